//! Bylines: `Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)` closing an article or in an author
//! field, read into a writer's name and an organisation; author fields as readers
//! should see them.

use super::text;

/// An author field as readers should see it: cleaned, without e-mail addresses
/// (RSS's `email (Name)` gives `Name`), `None` when nothing else is left. An
/// address is not a name, and a body's address would read as the body
/// (`so.yte@…` as "Sở Y tế").
pub fn author(field: &str) -> Option<String> {
    let cleaned = text::clean(field);
    let name = if cleaned.contains('@') {
        cleaned.split(' ').filter(|w| !is_email(w)).collect::<Vec<_>>().join(" ")
    } else {
        cleaned
    };
    // What `email (Name)` leaves, here or in feed-rs: "(Name)".
    let name = match name.strip_prefix('(').and_then(|n| n.strip_suffix(')')) {
        Some(inner) if !inner.contains(['(', ')']) => inner.trim(),
        _ => name.trim(),
    };
    (!name.is_empty()).then(|| name.to_string())
}

/// `jane@example.org`, as written in author fields: bare, `<…>`, `(…)` or `mailto:`.
fn is_email(word: &str) -> bool {
    let w = word.trim_matches(['<', '>', '(', ')', '[', ']', ',', ';']);
    let w = w.strip_prefix("mailto:").unwrap_or(w);
    w.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.contains('@')
    })
}

/// A writer and the body they write for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Byline {
    pub name: Option<String>,
    pub org: String,
}

/// The byline at the very end of `text`, if it ends with `Name (Organisation)`.
///
/// The name is the run of capitalised words just before the bracket (at most five),
/// so `… cho 160 hội viên nông dân. Minh Triết (Hội Nông dân tỉnh)` gives
/// `Minh Triết`. Whether the organisation is a body is for the agency registry.
pub fn trailing(text: &str) -> Option<Byline> {
    let text = text.trim_end().trim_end_matches(['.', ' ']);
    let inner_end = text.strip_suffix(')')?.len();
    let open = text[..inner_end].rfind('(')?;
    let org = text[open + 1..inner_end].trim();
    if org.is_empty() || org.chars().count() > 80 || org.contains(['(', ')']) {
        return None;
    }
    let before = text[..open].trim_end();
    let mut words: Vec<&str> = Vec::new();
    for w in before.rsplit(char::is_whitespace) {
        let capitalised = w.chars().next().is_some_and(char::is_uppercase)
            && w.chars().all(|c| c.is_alphabetic() || c == '-' || c == '.');
        if !capitalised || words.len() == 5 || w.ends_with('.') && w.chars().count() > 2 {
            break;
        }
        words.push(w);
    }
    words.reverse();
    let name = (!words.is_empty()).then(|| words.join(" "));
    Some(Byline { name, org: org.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(text: &str) -> Option<(Option<String>, String)> {
        trailing(text).map(|b| (b.name, b.org))
    }

    #[test]
    fn reads_bylines() {
        assert_eq!(
            b("Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)"),
            Some((Some("Nguyễn Hiếu".into()), "Ban Dân vận Tỉnh ủy".into()))
        );
        assert_eq!(
            b("… cho 160 hội viên nông dân. Minh Triết (Hội Nông dân tỉnh)"),
            Some((Some("Minh Triết".into()), "Hội Nông dân tỉnh".into()))
        );
        assert_eq!(b("(Sở Y tế)"), Some((None, "Sở Y tế".into())));
        assert_eq!(b("kết quả tốt (Ảnh: Nguyễn Diễm)").unwrap().1, "Ảnh: Nguyễn Diễm");
        assert_eq!(b("Không có dấu ngoặc"), None);
        assert_eq!(b("()"), None);
    }

    #[test]
    fn authors_lose_their_addresses() {
        assert_eq!(author("redazione@ilgiornale-web.it (Angela Leucci)").as_deref(), Some("Angela Leucci"));
        assert_eq!(author("Jane Doe <jane@example.org>").as_deref(), Some("Jane Doe"));
        assert_eq!(author("Jane Doe (mailto:jane@example.org)").as_deref(), Some("Jane Doe"));
        assert_eq!(author("jane@example.org"), None);
        assert_eq!(author("so.yte@bentre.gov.vn"), None);
        assert_eq!(
            author(" Nguyễn  Hiếu (Ban Dân vận Tỉnh ủy) ").as_deref(),
            Some("Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)")
        );
        assert_eq!(author("@handle (Jane)").as_deref(), Some("@handle (Jane)"));
        assert_eq!(author("(Angela Leucci)").as_deref(), Some("Angela Leucci"));
        assert_eq!(author("(A) và (B)").as_deref(), Some("(A) và (B)"));
        assert_eq!(author("  "), None);
    }
}
