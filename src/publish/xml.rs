//! The little XML writing the hand-made documents need: escaping, and no
//! character XML 1.0 forbids.

use std::fmt::Write;

use crate::normalize::text::xml_safe;

/// Text escaped for element content and attribute values, control characters out.
pub fn esc(text: &str) -> String {
    let safe = xml_safe(text);
    let mut out = String::with_capacity(safe.len() + 8);
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `<name attrs>text</name>`, the text escaped; nothing for an empty text.
pub fn element(out: &mut String, name: &str, attrs: &[(&str, &str)], text: &str) {
    if text.is_empty() {
        return;
    }
    let _ = write!(out, "<{name}");
    for (k, v) in attrs {
        let _ = write!(out, " {k}=\"{}\"", esc(v));
    }
    let _ = write!(out, ">{}</{name}>", esc(text));
}

/// An empty element with attributes: `<link href="…" rel="…"/>`.
pub fn empty(out: &mut String, name: &str, attrs: &[(&str, &str)]) {
    let _ = write!(out, "<{name}");
    for (k, v) in attrs {
        let _ = write!(out, " {k}=\"{}\"", esc(v));
    }
    out.push_str("/>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_drops_controls() {
        assert_eq!(esc("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
        let mut s = String::new();
        element(&mut s, "title", &[("type", "text")], "Sở NN&PTNT");
        assert_eq!(s, "<title type=\"text\">Sở NN&amp;PTNT</title>");
    }
}
