//! Mending the XML that portals serve before a strict parser sees it.
//!
//! Each repair is for a fault seen in the wild and changes nothing else:
//! - whitespace or a BOM before `<?xml`;
//! - a DOCTYPE: dropped with its internal subset. Declared entities are never
//!   expanded or fetched, so a reference to one stays text (`&lol6;` of a
//!   billion-laughs bomb, `&xxe;` of an XXE probe) and HTML names still decode later;
//! - a bare `&` that starts no reference;
//! - `<rss>` without a version feed-rs knows (none, 0.93, 2.01…): read as RSS 2.0;
//!   `<rss>` put in a namespace (Userland's, or Atom's by mistake): its elements are
//!   RSS's, which have none;
//! - RSS 0.90's namespace as RSS 1.0's.
//!
//! CDATA sections, comments and processing instructions are left alone. Every
//! repair is one linear scan of the document (see `scan`).

use std::borrow::Cow;
use std::ops::Range;

use super::scan::{self, Kind, Tag};

const RSS_1: &str = "http://purl.org/rss/1.0/";
const RSS_090: [&str; 2] = ["http://channel.netscape.com/rdf/simple/0.9/", "http://my.netscape.com/rdf/simple/0.9/"];
/// The `<rss version>`s feed-rs reads; any other is read as 2.0.
const RSS_VERSIONS: [&str; 4] = ["2.0", "", "0.91", "0.92"];
/// The longest entity or character reference name looked for after a `&`.
const MAX_REFERENCE: usize = 32;

/// The document as a strict XML parser will accept it.
pub fn repair(text: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']));
    let steps: [fn(&str) -> Option<String>; 3] = [drop_doctype, escape_bare_ampersands, modernize];
    for step in steps {
        if let Some(mended) = step(&text) {
            text = Cow::Owned(mended);
        }
    }
    text
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

/// Drops every DOCTYPE before the root element, internal subset and all.
fn drop_doctype(text: &str) -> Option<String> {
    let mut edits = Edits::default();
    for m in scan::markup(text) {
        match m.kind {
            Kind::Doctype => edits.replace(m.start..m.end, ""),
            Kind::Start(_) => break,
            Kind::End(_) | Kind::Other => {}
        }
    }
    edits.apply(text)
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

/// Old formats as the ones that replaced them, read from the root element.
fn modernize(text: &str) -> Option<String> {
    let root = scan::root(text)?;
    let mut edits = Edits::default();
    match root.local_name() {
        "rss" => {
            known_namespaces(&root, true, &mut edits);
            match root.attribute("version") {
                None => {
                    let after_name = root.name_at + root.name.len();
                    edits.replace(after_name..after_name, " version=\"2.0\"");
                }
                Some(v) if !RSS_VERSIONS.contains(&v.value) => edits.replace(value_span(&v), "2.0"),
                Some(_) => {}
            }
        }
        _ => known_namespaces(&root, false, &mut edits),
    }
    edits.apply(text)
}

fn value_span(a: &scan::Attribute<'_>) -> Range<usize> {
    a.value_at..a.value_at + a.value.len()
}

/// Rewrites the namespaces a tag declares to the ones feed-rs knows them as (RSS
/// 0.90 → 1.0). On an `<rss>` root, the namespace the root itself is in becomes RSS
/// 1.0's, which feed-rs reads as plain RSS: RSS 0.9x and 2.0 have no namespace, so
/// one put there (Userland's, Atom's by mistake) would hide every element.
fn known_namespaces(tag: &Tag<'_>, rss_root: bool, edits: &mut Edits) {
    for a in tag.attributes() {
        let prefix = match a.name.strip_prefix("xmlns") {
            Some("") => None,
            Some(p) => match p.strip_prefix(':') {
                Some(p) => Some(p),
                None => continue,
            },
            None => continue,
        };
        let uri = if rss_root && prefix == tag.prefix() && !a.value.is_empty() {
            Some(RSS_1).filter(|_| a.value != RSS_1)
        } else {
            RSS_090.contains(&a.value).then_some(RSS_1)
        };
        if let Some(uri) = uri {
            edits.replace(value_span(&a), uri);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs() {
        assert_eq!(
            repair("\u{feff}\r\n\r\n<?xml version=\"1.0\"?><rss/>"),
            "<?xml version=\"1.0\"?><rss version=\"2.0\"/>"
        );
        assert_eq!(
            repair("<rss><channel><title>A & B &amp; C &#38; &aacute;</title></channel></rss>"),
            "<rss version=\"2.0\"><channel><title>A &amp; B &amp; C &#38; &aacute;</title></channel></rss>"
        );
        assert_eq!(
            repair("<rss version=\"0.91\"><![CDATA[a & b]]><!-- x & y --></rss>"),
            "<rss version=\"0.91\"><![CDATA[a & b]]><!-- x & y --></rss>"
        );
        assert_eq!(
            repair("<?xml version=\"1.0\"?>\n<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\">\n<rss version=\"0.91\"/>"),
            "<?xml version=\"1.0\"?>\n\n<rss version=\"0.91\"/>"
        );
        assert_eq!(repair("<rssfeed/>"), "<rssfeed/>");
    }

    #[test]
    fn bare_ampersands_cost_linear_time() {
        // Each bare `&` once looked for a `;` to the end of the text: 300 000 of them
        // took seconds.
        let doc = format!("<rss version=\"2.0\"><channel><title>{}</title></channel></rss>", "&".repeat(300_000));
        let started = std::time::Instant::now();
        let mended = repair(&doc);
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
        assert_eq!(mended.matches("&amp;").count(), 300_000);
        let far = format!("<rss version=\"2.0\">&{};</rss>", "a".repeat(40));
        assert!(repair(&far).starts_with("<rss version=\"2.0\">&amp;aaa"), "no name is that long");
    }

    #[test]
    fn doctypes_are_dropped_and_their_entities_stay_text() {
        let bomb = std::fs::read_to_string("tests/fixtures/broken/xml-bomb.xml").unwrap();
        let mended = repair(&bomb);
        assert!(!mended.contains("<!DOCTYPE") && !mended.contains("ENTITY") && mended.len() < bomb.len(), "{mended}");
        assert!(mended.contains("<title>&lol6;</title>"), "{mended}");
        let xxe = std::fs::read_to_string("tests/fixtures/broken/xxe-external-entity.xml").unwrap();
        let mended = repair(&xxe);
        assert!(!mended.contains("SYSTEM") && mended.contains("<title>&xxe;</title>"), "{mended}");
        // The subset ends at its own `]>`, not at one in a quoted value or a comment.
        assert_eq!(
            repair("<!DOCTYPE rss [<!ENTITY a \"x]>y\"><!-- ]> ' -->]>\n<rss version=\"2.0\">&a;</rss>"),
            "\n<rss version=\"2.0\">&a;</rss>"
        );
    }

    #[test]
    fn rss_is_read_whatever_its_version_or_namespace() {
        assert_eq!(
            repair("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://channel.netscape.com/rdf/simple/0.9/\"/>"),
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"/>"
        );
        assert_eq!(
            repair("<rss version=\"0.93\" xmlns=\"http://backend.userland.com/rss2\" xmlns:atom=\"http://www.w3.org/2005/Atom\"/>"),
            "<rss version=\"2.0\" xmlns=\"http://purl.org/rss/1.0/\" xmlns:atom=\"http://www.w3.org/2005/Atom\"/>"
        );
        assert_eq!(
            repair("<r:rss version=\"2.0\" xmlns:r=\"http://backend.userland.com/rss2\"/>"),
            "<r:rss version=\"2.0\" xmlns:r=\"http://purl.org/rss/1.0/\"/>"
        );
        assert_eq!(repair("<rss version=\"2.0\" xmlns=\"\"/>"), "<rss version=\"2.0\" xmlns=\"\"/>");
    }
}
