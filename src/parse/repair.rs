//! Mending the XML that portals serve before a strict parser sees it.
//!
//! Each repair is for a fault seen in the wild and changes nothing else:
//! - whitespace or a BOM before `<?xml`;
//! - a DOCTYPE: dropped with its internal subset. Declared entities are never
//!   expanded or fetched, so a reference to one stays text (`&lol6;` of a
//!   billion-laughs bomb, `&xxe;` of an XXE probe) and HTML names still decode later;
//! - a bare `&` that starts no reference, a `<` in text that starts no markup;
//! - `<rss>` without a version feed-rs knows (none, 0.93, 2.01…): read as RSS 2.0;
//!   `<rss>` put in a namespace (Userland's, or Atom's by mistake): its elements are
//!   RSS's, which have none;
//! - an RSS 1.0 item without `<link>`: its `rdf:about` is its link;
//! - old formats as the ones that replaced them: RSS 0.90's namespace as RSS 1.0's;
//!   Atom 0.3 as Atom 1.0 (namespace, renamed elements, `mode="escaped"`/`"base64"`);
//! - an Atom text construct whose `type` feed-rs refuses (a MIME type, an empty one):
//!   read as the text, html or xhtml it means;
//! - HTML left unescaped in an RSS `<title>` or `<description>` (`<p>…</p>`, a `<br>`
//!   never closed), which a strict parser takes for child elements and drops with
//!   the rest of the text: wrapped in CDATA, it reads as the text it is.
//!
//! CDATA sections, comments and processing instructions are left alone. Every
//! repair is one linear scan of the document (see `scan`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use base64::engine::{general_purpose, GeneralPurpose};
use base64::Engine as _;

use super::scan::{self, Kind, Tag};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const ATOM_03: &str = "http://purl.org/atom/ns#";
const RSS_1: &str = "http://purl.org/rss/1.0/";
const RSS_090: [&str; 2] = ["http://channel.netscape.com/rdf/simple/0.9/", "http://my.netscape.com/rdf/simple/0.9/"];
/// The `<rss version>`s feed-rs reads; any other is read as 2.0.
const RSS_VERSIONS: [&str; 4] = ["2.0", "", "0.91", "0.92"];
/// Atom 0.3 elements whose Atom 1.0 names differ.
const ATOM_03_NAMES: [(&str, &str); 4] =
    [("issued", "published"), ("modified", "updated"), ("tagline", "subtitle"), ("copyright", "rights")];
/// The longest entity or character reference name looked for after a `&`.
const MAX_REFERENCE: usize = 32;

/// The document as a strict XML parser will accept it.
pub fn repair(text: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']));
    let steps: [fn(&str) -> Option<String>; 4] = [drop_doctype, escape_strays, wrap_inline_html, modernize];
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
/// tags, and every `<` in text that starts no markup (`Doanh thu < kế hoạch`);
/// never in CDATA sections, comments or processing instructions.
fn escape_strays(text: &str) -> Option<String> {
    // Written out as found, not gathered as edits: a document may hold millions.
    let mut out = String::new();
    let mut copied = 0;
    let mut escape = |span: Range<usize>, in_text: bool| {
        for (i, c) in text[span.clone()].match_indices(['&', '<']) {
            let at = span.start + i;
            let (len, with) = match c {
                "&" => match reference(&text.as_bytes()[at..]) {
                    Reference::Sound => continue,
                    Reference::None => (1, "&amp;"),
                    // `&#0;`, a surrogate, past U+10FFFF: no character XML allows.
                    Reference::Forbidden(len) => (len, ""),
                    // `&#X41;`: XML wants a lower-case x.
                    Reference::UpperHex => (3, "&#x"),
                },
                _ if in_text => (1, "&lt;"),
                _ => continue,
            };
            if copied == 0 {
                out.reserve(text.len() + 64);
            }
            out.push_str(&text[copied..at]);
            out.push_str(with);
            copied = at + len;
        }
    };
    let mut pos = 0;
    for m in scan::markup(text) {
        escape(pos..m.start, true);
        if matches!(m.kind, Kind::Start(_) | Kind::End(_)) {
            escape(m.start..m.end, false);
        }
        pos = m.end;
    }
    escape(pos..text.len(), true);
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// RSS elements that name a person, which feed-rs splits into name and address.
const RSS_PEOPLE: [&str; 3] = ["author", "managingEditor", "webMaster"];

/// The document with each `@` in an RSS person element made a full-width `＠`, so
/// that no address is found in them; `None` when there is none.
pub fn unmail_people(text: &str) -> Option<String> {
    let mut edits = Edits::default();
    let mut open: Option<(&str, usize)> = None;
    for m in scan::markup(text) {
        match (m.kind, open) {
            (Kind::Start(t), None) if !t.empty && t.prefix().is_none() && RSS_PEOPLE.contains(&t.name) => {
                open = Some((t.name, m.end));
            }
            (Kind::End(name), Some((opened, from))) if name == opened => {
                for (i, _) in text[from..m.start].match_indices('@') {
                    edits.replace(from + i..from + i + 1, "＠");
                }
                open = None;
            }
            _ => {}
        }
    }
    edits.apply(text)
}

/// RSS elements whose content is text or escaped HTML, never child elements.
const RSS_TEXT: [&str; 2] = ["title", "description"];

/// Wraps the content of an RSS `<title>` or `<description>` that holds markup in
/// CDATA. One that already holds a CDATA section is left as it is.
fn wrap_inline_html(text: &str) -> Option<String> {
    let root = scan::root(text)?;
    if !matches!(root.local_name(), "rss" | "RDF") {
        return None;
    }
    struct Open<'a> {
        name: &'a str,
        content_at: usize,
        /// Elements of the same name opened inside it and not yet closed.
        depth: usize,
        children: bool,
        cdata: bool,
    }
    // Where an element never closed shows: the item or channel around it goes on.
    let structural = |name: &str| matches!(name.rsplit(':').next(), Some("item" | "channel" | "rss" | "RDF"));
    let mut edits = Edits::default();
    let mut open: Option<Open> = None;
    for m in scan::markup(text) {
        match (m.kind, open.as_mut()) {
            (Kind::Start(t), None) if !t.empty && t.prefix().is_none() && RSS_TEXT.contains(&t.name) => {
                open = Some(Open { name: t.name, content_at: m.end, depth: 0, children: false, cdata: false });
            }
            (Kind::Start(t), Some(_)) if structural(t.name) => open = None,
            (Kind::End(name), Some(_)) if structural(name) => open = None,
            (Kind::Start(t), Some(o)) if t.name == o.name && !t.empty => {
                o.depth += 1;
                o.children = true;
            }
            (Kind::End(name), Some(o)) if name == o.name && o.depth > 0 => o.depth -= 1,
            (Kind::End(name), Some(o)) if name == o.name => {
                if o.children && !o.cdata {
                    let content = o.content_at..m.start;
                    edits.replace(content.start..content.start, "<![CDATA[");
                    for (i, _) in text[content.clone()].match_indices("]]>") {
                        let at = content.start + i;
                        edits.replace(at..at + 3, "]]]]><![CDATA[>");
                    }
                    edits.replace(content.end..content.end, "]]>");
                }
                open = None;
            }
            (Kind::Start(_) | Kind::End(_), Some(o)) => o.children = true,
            (Kind::Other, Some(o)) if text[m.start..].starts_with("<![CDATA[") => o.cdata = true,
            _ => {}
        }
    }
    edits.apply(text)
}

/// What a `&` starts.
enum Reference {
    /// A reference XML reads.
    Sound,
    /// No reference: a bare `&`.
    None,
    /// A character reference to a character XML forbids, this many bytes long.
    Forbidden(usize),
    /// A character reference written `&#X…;`.
    UpperHex,
}

/// What `s`, at a `&`, starts. The `;` is looked for only as far as the longest
/// name: searching the rest of the document for each bare `&` made a document
/// full of them take seconds.
fn reference(s: &[u8]) -> Reference {
    let window = &s[1..s.len().min(MAX_REFERENCE + 2)];
    let Some(end) = window.iter().position(|&b| b == b';') else { return Reference::None };
    let name = &window[..end];
    let Some(num) = name.strip_prefix(b"#") else {
        let is_name = name.first().is_some_and(u8::is_ascii_alphabetic) && name.iter().all(u8::is_ascii_alphanumeric);
        return if is_name { Reference::Sound } else { Reference::None };
    };
    let (digits, radix) = match num.split_first() {
        Some((b'x' | b'X', hex)) => (hex, 16),
        _ => (num, 10),
    };
    if digits.is_empty() || !digits.iter().all(|b| (*b as char).is_digit(radix)) {
        return Reference::None;
    }
    // Too long for a u32 is past U+10FFFF anyway.
    let value = std::str::from_utf8(digits).ok().and_then(|d| u32::from_str_radix(d, radix).ok()).unwrap_or(u32::MAX);
    let allowed = matches!(value, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
    match (allowed, num[0]) {
        (false, _) => Reference::Forbidden(end + 2),
        (true, b'X') => Reference::UpperHex,
        (true, _) => Reference::Sound,
    }
}

/// Old formats as the ones that replaced them, and Atom text constructs as feed-rs
/// reads them. Only an Atom document is read past its root element.
fn modernize(text: &str) -> Option<String> {
    let mut markup = scan::markup(text);
    let (root, root_end) = markup.by_ref().find_map(|m| Some((m.tag()?, m.end)))?;
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
        "feed" | "entry" => {
            let mut atom = AtomWalk::default();
            atom.start(&root, root_end, &mut edits);
            for m in markup {
                let base64 = atom.base64.take();
                match m.kind {
                    Kind::Start(tag) => atom.start(&tag, m.end, &mut edits),
                    Kind::End(name) => {
                        if let Some(body) = base64 {
                            decode_base64(text, body..m.start, &mut edits);
                        }
                        atom.end(name, m.start, &mut edits);
                    }
                    Kind::Doctype | Kind::Other => {}
                }
            }
        }
        "RDF" => {
            known_namespaces(&root, false, &mut edits);
            links_from_about(markup, &mut edits);
        }
        _ => known_namespaces(&root, false, &mut edits),
    }
    edits.apply(text)
}

/// RSS 1.0 names each item's page twice, in `rdf:about` and in `<link>`; feed-rs
/// drops an item without the `<link>`, so one is written from `rdf:about`.
fn links_from_about<'a>(markup: impl Iterator<Item = scan::Markup<'a>>, edits: &mut Edits) {
    // The open item: where its content starts, its rdf:about, whether it has a link.
    let mut item: Option<(usize, &str, bool)> = None;
    for m in markup {
        match m.kind {
            Kind::Start(t) if t.local_name() == "item" => {
                let about = t.attributes().find(|a| a.name == "about" || a.name.ends_with(":about"));
                item = about.filter(|a| !t.empty && !a.value.trim().is_empty()).map(|a| (m.end, a.value, false));
            }
            Kind::Start(t) if t.local_name() == "link" && t.prefix() != Some("atom") => {
                if let Some(open) = item.as_mut() {
                    open.2 = true;
                }
            }
            Kind::End(name) if name.rsplit(':').next() == Some("item") => {
                if let Some((at, about, false)) = item.take() {
                    edits.replace(at..at, format!("<link>{about}</link>"));
                }
            }
            _ => {}
        }
    }
}

fn value_span(a: &scan::Attribute<'_>) -> Range<usize> {
    a.value_at..a.value_at + a.value.len()
}

/// Rewrites the namespaces a tag declares to the ones feed-rs knows them as (Atom
/// 0.3 → 1.0, RSS 0.90 → 1.0). On an `<rss>` root, the namespace the root
/// itself is in becomes RSS 1.0's, which feed-rs reads as plain RSS: RSS 0.9x and
/// 2.0 have no namespace, so one put there (Userland's, Atom's by mistake) would
/// hide every element.
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
        } else if a.value == ATOM_03 {
            Some(ATOM)
        } else {
            RSS_090.contains(&a.value).then_some(RSS_1)
        };
        if let Some(uri) = uri {
            edits.replace(value_span(&a), uri);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    None,
    Atom,
    Atom03,
    Other,
}

impl Ns {
    fn of(uri: &str) -> Ns {
        match uri {
            "" => Ns::None,
            ATOM => Ns::Atom,
            ATOM_03 => Ns::Atom03,
            _ => Ns::Other,
        }
    }
}

/// An open element of an Atom document.
struct Scope<'a> {
    default_ns: Ns,
    /// How many prefixes were declared before it.
    declared: usize,
    /// An Atom 0.3 name and the Atom 1.0 name it was given.
    renamed: Option<(&'a str, &'static str)>,
}

/// The walk through an Atom document, with the namespaces in scope.
#[derive(Default)]
struct AtomWalk<'a> {
    scopes: Vec<Scope<'a>>,
    /// Each prefix's namespaces, the innermost last.
    prefixes: HashMap<&'a str, Vec<Ns>>,
    declared: Vec<&'a str>,
    /// Where the text of an element in base64 starts, until the next markup.
    base64: Option<usize>,
}

impl<'a> AtomWalk<'a> {
    fn start(&mut self, tag: &Tag<'a>, tag_end: usize, edits: &mut Edits) {
        known_namespaces(tag, false, edits);
        let declared = self.declared.len();
        let mut default_ns = self.scopes.last().map_or(Ns::None, |s| s.default_ns);
        for a in tag.attributes() {
            if a.name == "xmlns" {
                default_ns = Ns::of(a.value);
            } else if let Some(p) = a.name.strip_prefix("xmlns:") {
                self.prefixes.entry(p).or_default().push(Ns::of(a.value));
                self.declared.push(p);
            }
        }
        let ns = match tag.prefix() {
            None => default_ns,
            Some(p) => self.prefixes.get(p).and_then(|v| v.last().copied()).unwrap_or(Ns::Other),
        };
        let old = tag.local_name();
        let renamed = ATOM_03_NAMES.iter().find(|(o, _)| ns == Ns::Atom03 && *o == old).map(|&(_, new)| (old, new));
        if let Some((_, new)) = renamed {
            let name_end = tag.name_at + tag.name.len();
            edits.replace(name_end - old.len()..name_end, new);
        }
        // feed-rs reads unqualified elements of an Atom document as Atom's.
        if matches!(ns, Ns::None | Ns::Atom | Ns::Atom03) {
            let local = renamed.map_or(old, |(_, new)| new);
            if text_construct(tag, local, edits) && !tag.empty {
                self.base64 = Some(tag_end);
            }
        }
        if tag.empty {
            self.undeclare(declared);
        } else {
            self.scopes.push(Scope { default_ns, declared, renamed });
        }
    }

    fn end(&mut self, name: &str, at: usize, edits: &mut Edits) {
        let Some(scope) = self.scopes.pop() else { return };
        if let Some((old, new)) = scope.renamed {
            // Only the end tag that matches: a mismatched one is feed-rs's to report.
            if name.rsplit(':').next() == Some(old) {
                let name_end = at + 2 + name.len();
                edits.replace(name_end - old.len()..name_end, new);
            }
        }
        self.undeclare(scope.declared);
    }

    fn undeclare(&mut self, declared: usize) {
        for p in self.declared.drain(declared..) {
            if let Some(v) = self.prefixes.get_mut(p) {
                v.pop();
            }
        }
    }
}

/// Gives an Atom text construct (or `<content>`) the type feed-rs reads it by; true
/// when its text is base64 to decode.
fn text_construct(tag: &Tag<'_>, local: &str, edits: &mut Edits) -> bool {
    let content = match local {
        "title" | "subtitle" | "summary" | "rights" => false,
        // Content elsewhere (`src`) is a link: its type is a MIME type by right.
        "content" if tag.attribute("src").is_none() => true,
        _ => return false,
    };
    let ty = tag.attribute("type");
    let mode = tag.attribute("mode").map(|m| m.value.trim().to_ascii_lowercase());
    let (new, base64) = atom_type(ty.map(|t| t.value), mode.as_deref(), content);
    if let (Some(new), Some(ty)) = (new, ty) {
        if ty.value != new {
            edits.replace(value_span(&ty), new);
        }
    }
    base64
}

/// The Atom 1.0 type for a text construct (`content`: a `<content>` element) whose
/// `type` may be a MIME type and whose Atom 0.3 `mode` may say how it is written:
/// `None` to leave it; and whether its text is base64. Title, subtitle, summary and
/// rights can only be text, html or xhtml; content may be any MIME type feed-rs
/// reads, so only what it refuses is changed.
fn atom_type(ty: Option<&str>, mode: Option<&str>, content: bool) -> (Option<&'static str>, bool) {
    let essence = ty.map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase()).unwrap_or_default();
    let e = essence.as_str();
    let html = matches!(e, "html" | "text/html");
    let xhtml = matches!(e, "xhtml" | "application/xhtml+xml");
    let xml = xhtml || e.ends_with("/xml") || e.ends_with("+xml");
    let mime = e.contains('/');
    let markup = if html || xml { "html" } else { "text" };
    match mode {
        // A base64 document of another kind is Atom 1.0 content as it stands.
        Some("base64") if content && mime && !xml && !e.starts_with("text/") => (None, false),
        Some("base64") => (Some(markup), true),
        Some("escaped") => (Some(markup), false),
        _ if content && xml => (Some("xhtml"), false),
        _ if content && mime => (None, false),
        _ if content => (Some(markup), false),
        _ if html => (Some("html"), false),
        _ if xhtml => (Some("xhtml"), false),
        _ => (Some("text"), false),
    }
}

/// Replaces base64 text with what it encodes, escaped; left as it is when it is not
/// base64 of UTF-8 text.
fn decode_base64(text: &str, span: Range<usize>, edits: &mut Edits) {
    const BASE64: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, general_purpose::PAD_INDIFFERENT);
    let encoded: Vec<u8> = text[span.clone()].bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if let Some(decoded) = BASE64.decode(encoded).ok().and_then(|d| String::from_utf8(d).ok()) {
        edits.replace(span, crate::util::xml::esc(&decoded));
    }
}

/// A JSON Feed whose item ids are numbers (`"id": 123`), which the spec says a
/// reader must take as strings: the document with them as strings, or `None` when
/// there is nothing of the kind to mend.
pub fn json_ids(body: &str) -> Option<String> {
    let mut doc: serde_json::Value = serde_json::from_str(body).ok()?;
    let mut mended = false;
    for item in doc.get_mut("items")?.as_array_mut()? {
        if let Some(id) = item.get_mut("id").filter(|id| id.is_number()) {
            *id = serde_json::Value::String(id.to_string());
            mended = true;
        }
    }
    mended.then(|| doc.to_string())
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
    fn rss_1_items_without_a_link_take_their_rdf_about() {
        let doc = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
                   <channel rdf:about=\"https://a.vn/\"><title>t</title><link>https://a.vn/</link><description>d</description></channel>\
                   <item rdf:about=\"https://a.vn/1?a=1&amp;b=2\"><title>Một</title></item>\
                   <item rdf:about=\"https://a.vn/2\"><title>Hai</title><link>https://a.vn/2.html</link></item></rdf:RDF>";
        let feed = crate::parse::parse_feed(doc, chrono::FixedOffset::east_opt(7 * 3600).unwrap(), 1000).unwrap();
        let links: Vec<_> = feed.items.iter().map(|i| i.link.as_deref()).collect();
        assert_eq!(links, [Some("https://a.vn/1?a=1&b=2"), Some("https://a.vn/2.html")]);
    }

    #[test]
    fn character_references_xml_refuses_are_mended() {
        let doc = "<rss version=\"2.0\"><channel><title>&#X41;&#x42;&#67; &#0;&#xD800;&#1114112;&#99999999999999; &#x; &#12a;</title></channel></rss>";
        assert_eq!(
            repair(doc),
            "<rss version=\"2.0\"><channel><title>&#x41;&#x42;&#67;  &amp;#x; &amp;#12a;</title></channel></rss>"
        );
        let feed = crate::parse::parse_feed(doc, chrono::FixedOffset::east_opt(7 * 3600).unwrap(), 1000).unwrap();
        assert_eq!(feed.title.as_deref(), Some("ABC  &#x; &#12a;"));
    }

    #[test]
    fn a_lone_less_than_in_text_is_escaped() {
        let doc = "<rss version=\"2.0\"><channel><title>Doanh thu < kế hoạch, 3<4</title></channel></rss>";
        assert_eq!(
            repair(doc),
            "<rss version=\"2.0\"><channel><title>Doanh thu &lt; kế hoạch, 3&lt;4</title></channel></rss>"
        );
        let feed = crate::parse::parse_feed(doc, chrono::FixedOffset::east_opt(7 * 3600).unwrap(), 1000).unwrap();
        assert_eq!(feed.title.as_deref(), Some("Doanh thu < kế hoạch, 3<4"));
    }

    #[test]
    fn html_left_unescaped_in_rss_text_is_read_as_text() {
        let doc = "<rss version=\"2.0\"><channel><title>t</title><item><title>Gene in <i>E. coli</i> cells</title>\
                   <description><p>A</p><p>B ]]> C<br></p></description></item></channel></rss>";
        let mended = repair(doc);
        assert!(mended.contains("<title><![CDATA[Gene in <i>E. coli</i> cells]]></title>"), "{mended}");
        assert!(
            mended.contains("<description><![CDATA[<p>A</p><p>B ]]]]><![CDATA[> C<br></p>]]></description>"),
            "{mended}"
        );
        let feed = crate::parse::parse_feed(doc, chrono::FixedOffset::east_opt(7 * 3600).unwrap(), 1000).unwrap();
        assert_eq!(feed.items[0].title.as_deref(), Some("Gene in <i>E. coli</i> cells"));
        assert_eq!(feed.items[0].summary.as_deref(), Some("<p>A</p><p>B ]]> C<br></p>"));
        // An element never closed does not take the items after it with it, and
        // one of the same name inside is part of it.
        let unclosed = "<rss version=\"2.0\"><channel><title>t</title><item><title>A</title><description>x <br> y</item>\
                        <item><title>B</title><link>https://a.vn/b</link><description>b</description></item></channel></rss>";
        assert!(repair(unclosed).contains("<item><title>B</title>"), "{}", repair(unclosed));
        let nested = "<rss version=\"2.0\"><channel><title>A <title>x</title> <b>y</b></title></channel></rss>";
        assert_eq!(
            repair(nested),
            "<rss version=\"2.0\"><channel><title><![CDATA[A <title>x</title> <b>y</b>]]></title></channel></rss>"
        );
        // Text and CDATA alone, and Atom's XHTML content, are left as they are.
        for kept in [
            "<rss version=\"2.0\"><channel><title>a &amp; b</title><description><![CDATA[<p>x</p>]]></description></channel></rss>",
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></title></feed>",
        ] {
            assert_eq!(repair(kept), kept);
        }
    }

    #[test]
    fn bare_ampersands_cost_linear_time() {
        // Each bare `&` once looked for a `;` to the end of the text: 300 000 of them
        // took seconds (bench/hostile-rss.sh times it; tests time nothing). The
        // search stops within a name's length instead:
        let doc = format!("<rss version=\"2.0\"><channel><title>{}</title></channel></rss>", "&".repeat(300_000));
        let mended = repair(&doc);
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
    fn atom_text_constructs_get_a_type_feed_rs_reads() {
        let doc = concat!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\">",
            "<title type=\"text/plain\">a</title><subtitle type=\"\">b</subtitle>",
            "<rights type=\"application/octet-stream\">c</rights><entry>",
            "<title type=\"application/xhtml+xml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">d</div></title>",
            "<summary type=\"TEXT/HTML; charset=utf-8\">e</summary><media:title type=\"plain\">f</media:title>",
            "<content type=\"application/xhtml+xml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><title>g</title></div></content>",
            "</entry><entry><content type=\"text/plain\">h</content></entry>",
            "<entry><content type=\"video/mp4\" src=\"v.mp4\"/><summary type=\"html\">i</summary></entry></feed>"
        );
        assert_eq!(
            repair(doc),
            concat!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\">",
                "<title type=\"text\">a</title><subtitle type=\"text\">b</subtitle>",
                "<rights type=\"text\">c</rights><entry>",
                "<title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">d</div></title>",
                "<summary type=\"html\">e</summary><media:title type=\"plain\">f</media:title>",
                "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><title>g</title></div></content>",
                "</entry><entry><content type=\"text/plain\">h</content></entry>",
                "<entry><content type=\"video/mp4\" src=\"v.mp4\"/><summary type=\"html\">i</summary></entry></feed>"
            )
        );
    }

    #[test]
    fn atom_03_reads_as_atom_10() {
        let doc = concat!(
            "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><tagline mode=\"escaped\" type=\"text/html\">&lt;b&gt;t&lt;/b&gt;</tagline>",
            "<modified>2005-06-01T12:00:00Z</modified><copyright>c</copyright><entry>",
            "<title mode=\"base64\" type=\"text/html\">PGI+QSAmIEjhu5lpPC9iPg==</title><issued>2005-06-01T14:00:00+02:00</issued>",
            "<content type=\"application/xhtml+xml\" mode=\"xml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Hi</p></div></content>",
            "<summary type=\"text/plain\" mode=\"base64\">bm90IGJhc2U2NA</summary><content type=\"image/png\" mode=\"base64\">iVBO</content>",
            "</entry></feed>"
        );
        assert_eq!(
            repair(doc),
            concat!(
                "<feed version=\"0.3\" xmlns=\"http://www.w3.org/2005/Atom\"><subtitle mode=\"escaped\" type=\"html\">&lt;b&gt;t&lt;/b&gt;</subtitle>",
                "<updated>2005-06-01T12:00:00Z</updated><rights>c</rights><entry>",
                "<title mode=\"base64\" type=\"html\">&lt;b&gt;A &amp; Hội&lt;/b&gt;</title><published>2005-06-01T14:00:00+02:00</published>",
                "<content type=\"xhtml\" mode=\"xml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Hi</p></div></content>",
                "<summary type=\"text\" mode=\"base64\">not base64</summary><content type=\"image/png\" mode=\"base64\">iVBO</content>",
                "</entry></feed>"
            )
        );
        // Only Atom 0.3's elements are renamed, not another namespace's.
        let doc = "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:a=\"http://purl.org/atom/ns#\"><a:issued>x</a:issued><issued>y</issued></feed>";
        assert_eq!(
            repair(doc),
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:a=\"http://www.w3.org/2005/Atom\"><a:published>x</a:published><issued>y</issued></feed>"
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
