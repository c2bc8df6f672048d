//! The little XML writing the hand-made documents need: elements and attributes, escaped by `util::xml::esc`, with no
//! character XML 1.0 forbids.

use std::fmt::Write;

use crate::util::xml::esc;

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
        let mut s = String::new();
        element(&mut s, "title", &[("type", "text")], "Sở NN&PTNT");
        assert_eq!(s, "<title type=\"text\">Sở NN&amp;PTNT</title>");
    }
}
