//! Mending the XML that portals serve before a strict parser sees it.
//!
//! Each repair is for a fault seen in the wild and changes nothing else: whitespace
//! or a BOM before `<?xml`; a DOCTYPE (dropped; one that declares entities is
//! refused, since loa never expands or fetches them); `<rss>` without a `version`;
//! a bare `&` that starts no reference. CDATA sections, comments and processing
//! instructions are left alone.

use std::borrow::Cow;
use std::ops::Range;

use super::scan::{self, Kind};

/// The longest entity or character reference name looked for after a `&`.
const MAX_REFERENCE: usize = 32;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the document declares external entities (an XXE probe or a broken export); loa never reads them")]
    ExternalEntities,
    #[error(
        "the document declares internal entities (a billion-laughs bomb or a broken export); loa never expands them"
    )]
    InternalEntities,
}

/// The document as a strict XML parser will accept it, or why it is refused.
pub fn repair(text: &str) -> Result<Cow<'_, str>, Refused> {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let text = drop_doctype(text)?;
    let text = match add_rss_version(&text) {
        Some(t) => Cow::Owned(t),
        None => text,
    };
    Ok(match escape_bare_ampersands(&text) {
        Some(t) => Cow::Owned(t),
        None => text,
    })
}

/// Replacements in a text, made at once. They never overlap.
#[derive(Default)]
struct Edits(Vec<(Range<usize>, Cow<'static, str>)>);

impl Edits {
    fn replace(&mut self, at: Range<usize>, with: impl Into<Cow<'static, str>>) {
        self.0.push((at, with.into()));
    }

    /// The edited text; `None` when there was nothing to change.
    fn apply(mut self, text: &str) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_by_key(|(at, _)| at.start);
        let mut out = String::with_capacity(text.len() + 64);
        let mut copied = 0;
        for (at, with) in &self.0 {
            out.push_str(&text[copied..at.start]);
            out.push_str(with);
            copied = at.end;
        }
        out.push_str(&text[copied..]);
        Some(out)
    }
}

fn drop_doctype(text: &str) -> Result<Cow<'_, str>, Refused> {
    let Some(start) = find_outside_markup(text, "<!DOCTYPE").or_else(|| find_outside_markup(text, "<!doctype")) else {
        return Ok(Cow::Borrowed(text));
    };
    // The declaration ends at the first '>' outside its internal subset `[...]`.
    let body = &text[start..];
    let mut depth = 0;
    let mut end = None;
    for (i, c) in body.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => {
                end = Some(i + 1);
                break;
            }
            _ => {}
        }
    }
    let end = end.unwrap_or(body.len());
    let decl = &body[..end];
    if decl.contains("<!ENTITY") {
        let external = decl.split("<!ENTITY").skip(1).any(|e| {
            let e = e.split('>').next().unwrap_or("");
            e.contains("SYSTEM") || e.contains("PUBLIC")
        });
        return Err(if external { Refused::ExternalEntities } else { Refused::InternalEntities });
    }
    Ok(Cow::Owned(format!("{}{}", &text[..start], &text[start + end..])))
}

/// Finds `needle` in the prolog: before the root element, outside comments.
fn find_outside_markup(text: &str, needle: &str) -> Option<usize> {
    let at = text.find(needle)?;
    let before = &text[..at];
    // Only in the prolog, where no element has opened yet.
    let opened = before.match_indices('<').any(|(i, _)| {
        let rest = &before[i + 1..];
        !(rest.starts_with('?') || rest.starts_with('!'))
    });
    (!opened).then_some(at)
}

/// `<rss>` without a version: feed-rs refuses it; RSS 2.0 is what such feeds are.
fn add_rss_version(text: &str) -> Option<String> {
    let at = text.find("<rss")?;
    let tag_end = at + text[at..].find('>')?;
    let tag = &text[at..tag_end];
    if tag.contains("version") || !(tag.len() == 4 || tag[4..].starts_with(|c: char| c.is_whitespace() || c == '/')) {
        return None;
    }
    Some(format!("{} version=\"2.0\"{}", &text[..at + 4], &text[at + 4..]))
}

/// Escapes every `&` that starts no character or entity reference, in text and in
/// tags; never in CDATA sections, comments or processing instructions.
fn escape_bare_ampersands(text: &str) -> Option<String> {
    let mut edits = Edits::default();
    let mut escape = |span: Range<usize>| {
        for (i, _) in text[span.clone()].match_indices('&') {
            let at = span.start + i;
            if !is_reference(&text.as_bytes()[at..]) {
                edits.replace(at..at + 1, "&amp;");
            }
        }
    };
    let mut pos = 0;
    for m in scan::markup(text) {
        escape(pos..m.start);
        if matches!(m.kind, Kind::Start(_) | Kind::End(_)) {
            escape(m.start..m.end);
        }
        pos = m.end;
    }
    escape(pos..text.len());
    edits.apply(text)
}

/// Whether `s`, at a `&`, starts a reference. The `;` is looked for only as far as
/// the longest name: searching the rest of the document for each bare `&` made a
/// document full of them take seconds.
fn is_reference(s: &[u8]) -> bool {
    let window = &s[1..s.len().min(MAX_REFERENCE + 2)];
    let Some(end) = window.iter().position(|&b| b == b';') else { return false };
    let name = &window[..end];
    if let Some(num) = name.strip_prefix(b"#") {
        return match num.strip_prefix(b"x").or_else(|| num.strip_prefix(b"X")) {
            Some(hex) => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
            None => !num.is_empty() && num.iter().all(u8::is_ascii_digit),
        };
    }
    name.first().is_some_and(u8::is_ascii_alphabetic) && name.iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs() {
        assert_eq!(
            repair("\u{feff}\r\n\r\n<?xml version=\"1.0\"?><rss/>").unwrap(),
            "<?xml version=\"1.0\"?><rss version=\"2.0\"/>"
        );
        assert_eq!(
            repair("<rss><channel><title>A & B &amp; C &#38; &aacute;</title></channel></rss>").unwrap(),
            "<rss version=\"2.0\"><channel><title>A &amp; B &amp; C &#38; &aacute;</title></channel></rss>"
        );
        assert_eq!(
            repair("<rss version=\"0.91\"><![CDATA[a & b]]><!-- x & y --></rss>").unwrap(),
            "<rss version=\"0.91\"><![CDATA[a & b]]><!-- x & y --></rss>"
        );
        assert_eq!(
            repair("<?xml version=\"1.0\"?>\n<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\">\n<rss version=\"0.91\"/>").unwrap(),
            "<?xml version=\"1.0\"?>\n\n<rss version=\"0.91\"/>"
        );
        assert_eq!(repair("<rssfeed/>").unwrap(), "<rssfeed/>");
    }

    #[test]
    fn bare_ampersands_cost_linear_time() {
        // Each bare `&` once looked for a `;` to the end of the text: 300 000 of them
        // took seconds.
        let doc = format!("<rss version=\"2.0\"><channel><title>{}</title></channel></rss>", "&".repeat(300_000));
        let started = std::time::Instant::now();
        let mended = repair(&doc).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
        assert_eq!(mended.matches("&amp;").count(), 300_000);
        let far = format!("<rss version=\"2.0\">&{};</rss>", "a".repeat(40));
        assert!(repair(&far).unwrap().starts_with("<rss version=\"2.0\">&amp;aaa"), "no name is that long");
    }

    #[test]
    fn entity_declarations_are_refused() {
        let bomb = std::fs::read_to_string("tests/fixtures/broken/xml-bomb.xml").unwrap();
        assert_eq!(repair(&bomb), Err(Refused::InternalEntities));
        let xxe = std::fs::read_to_string("tests/fixtures/broken/xxe-external-entity.xml").unwrap();
        assert_eq!(repair(&xxe), Err(Refused::ExternalEntities));
    }
}
