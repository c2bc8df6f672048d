//! Bylines: `Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)` closing an article or in an author
//! field, read into a writer's name and an organisation; author fields as readers
//! should see them.

use crate::util::text;

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

/// The body a credit names when it is not simply the body or `Tên (Cơ quan)`:
/// `Theo Báo Gia Lai`, `Nguồn: Sở Y tế`, `Hồng Thi - Ban TG&DV Tỉnh ủy` (a writer,
/// then the body after the first dash). `None` when there is no other reading.
pub fn credited(field: &str) -> Option<&str> {
    let field = field.trim().trim_end_matches(['.', ' ']);
    let lower = field.to_lowercase();
    for lead in ["nguồn tin:", "nguồn:", "theo nguồn", "nguồn", "theo"] {
        if let Some(rest) = lower.strip_prefix(lead) {
            if lead.ends_with(':') || rest.starts_with(' ') {
                // Lower-casing keeps the byte offsets of Vietnamese letters.
                return field
                    .get(field.len() - rest.len()..)
                    .map(|r| r.trim_start_matches([':', ' ']))
                    .filter(|r| !r.is_empty());
            }
        }
    }
    let (writer, body) =
        [" - ", " – ", " — "].iter().filter_map(|d| field.split_once(d)).min_by_key(|(w, _)| w.len())?;
    let person = writer.split_whitespace().count() <= 5
        && writer.split_whitespace().all(|w| w.chars().next().is_some_and(char::is_uppercase));
    (person && !body.trim().is_empty()).then(|| body.trim())
}

/// A credit closing a text: `… Nguồn: Sở Y tế`, the few words after the last
/// `Nguồn:` of the last hundred characters (a sentence there is no credit).
pub fn closing_credit(text: &str) -> Option<&str> {
    let text = text.trim_end().trim_end_matches(['.', ' ', ')']);
    let tail_start = text.char_indices().rev().nth(99).map_or(0, |(i, _)| i);
    let tail = &text[tail_start..];
    let at = tail.rfind("Nguồn:").or_else(|| tail.rfind("nguồn:"))?;
    let body = tail[at + "Nguồn:".len()..].trim();
    let words = body.split_whitespace().count();
    ((1..=10).contains(&words) && !body.contains(['(', ')', ',', ';'])).then_some(body)
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
    fn reads_credits_of_other_shapes() {
        assert_eq!(credited("Theo Báo Gia Lai"), Some("Báo Gia Lai"));
        assert_eq!(credited("Nguồn: Sở Y tế."), Some("Sở Y tế"));
        assert_eq!(credited("NGUỒN: SỞ Y TẾ"), Some("SỞ Y TẾ"));
        assert_eq!(credited("Hồng Thi - Ban TG&DV Tỉnh ủy"), Some("Ban TG&DV Tỉnh ủy"));
        assert_eq!(
            credited("Hồng Thi - Sở Lao động - Thương binh và Xã hội"),
            Some("Sở Lao động - Thương binh và Xã hội")
        );
        assert_eq!(credited("Theodore Smith"), None);
        assert_eq!(credited("Sở Y tế"), None);
        assert_eq!(credited("tin bài - ảnh: Hồng Thi"), None);
        assert_eq!(closing_credit("… cho 160 hội viên. Nguồn: Sở Y tế."), Some("Sở Y tế"));
        assert_eq!(
            closing_credit("Nguồn: Sở Y tế cho biết, năm nay tỉnh có 12 ca bệnh sốt xuất huyết ở các xã ven biển"),
            None
        );
        assert_eq!(closing_credit("Không có nguồn"), None);
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
