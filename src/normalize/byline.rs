//! Bylines: `Nguyễn Hiếu (Ban Dân vận Tỉnh ủy)` closing an article or in an author
//! field, read into a writer's name and an organisation.

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
}
