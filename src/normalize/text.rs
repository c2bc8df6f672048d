//! Plain text as readers should see it: one decoding of stray entities, NFC,
//! no control characters, single spaces.

use unicode_normalization::UnicodeNormalization;

/// Cleans a title or other plain-text field.
///
/// Entities still present after XML parsing (`&amp;amp;` in CDATA, `&#038;`,
/// `&aacute;`, `&nbsp;`) are decoded once — never repeatedly, so that a title
/// about "&amp;" written on purpose keeps one level.
pub fn clean(text: &str) -> String {
    let decoded;
    let text = if text.contains('&') {
        decoded = html_escape::decode_html_entities(text);
        &*decoded
    } else {
        text
    };
    collapse(text.nfc())
}

/// NFC, with XML-illegal control characters removed and whitespace collapsed.
pub fn collapse(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in chars {
        if c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}' {
            space = true;
        } else if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') {
            continue;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Removes characters XML 1.0 forbids, keeping tabs and newlines.
pub fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_xml_illegal) {
        text.chars()
            .filter(|c| !is_xml_illegal(*c))
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

fn is_xml_illegal(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// The text of some HTML, for titles derived from content and for search.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    clean(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_titles() {
        assert_eq!(clean("Sở NN&amp;PTNT"), "Sở NN&PTNT");
        assert_eq!(clean("A &#038; B&nbsp;C"), "A & B C");
        assert_eq!(clean("  Ho\u{0300}a\n\t bi\u{0300}nh \u{7} "), "Hòa bình");
        assert_eq!(clean("&amp;amp;"), "&amp;");
    }

    #[test]
    fn html_to_text_drops_tags() {
        assert_eq!(
            html_to_text("<p>Xin <b>chào</b></p><p>bạn</p>"),
            "Xin chào bạn"
        );
    }

    #[test]
    fn xml_safe_removes_controls() {
        assert_eq!(xml_safe("a\u{1}b\nc"), "ab\nc");
    }
}
