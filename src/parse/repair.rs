//! Mending the XML that portals serve before a strict parser sees it.
//!
//! Each repair is for a fault seen in the wild and changes nothing else: whitespace
//! or a BOM before `<?xml`; a DOCTYPE (dropped; one that declares entities is
//! refused, since loa never expands or fetches them); `<rss>` without a `version`;
//! a bare `&` that starts no reference. CDATA sections and comments are left alone.

use std::borrow::Cow;

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

/// Escapes every `&` that starts no character or entity reference, outside CDATA
/// sections and comments. `None` when there is none.
fn escape_bare_ampersands(text: &str) -> Option<String> {
    let mut out: Option<String> = None;
    let mut i = 0;
    let bytes = text.as_bytes();
    let mut copied = 0;
    while i < bytes.len() {
        // Only ASCII bytes are looked at, so every slice starts on a char boundary.
        if bytes[i] == b'<' && text[i..].starts_with("<![CDATA[") {
            i = text[i..].find("]]>").map_or(bytes.len(), |e| i + e + 3);
            continue;
        }
        if bytes[i] == b'<' && text[i..].starts_with("<!--") {
            i = text[i..].find("-->").map_or(bytes.len(), |e| i + e + 3);
            continue;
        }
        if bytes[i] == b'&' && !is_reference(&text[i..]) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            o.push_str(&text[copied..i]);
            o.push_str("&amp;");
            copied = i + 1;
        }
        i += 1;
    }
    out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    })
}

fn is_reference(s: &str) -> bool {
    let body = &s[1..];
    let Some(end) = body.find(';') else { return false };
    if end == 0 || end > 32 {
        return false;
    }
    let name = &body[..end];
    if let Some(num) = name.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    name.starts_with(|c: char| c.is_ascii_alphabetic()) && name.chars().all(|c| c.is_ascii_alphanumeric())
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
    fn entity_declarations_are_refused() {
        let bomb = std::fs::read_to_string("tests/fixtures/broken/xml-bomb.xml").unwrap();
        assert_eq!(repair(&bomb), Err(Refused::InternalEntities));
        let xxe = std::fs::read_to_string("tests/fixtures/broken/xxe-external-entity.xml").unwrap();
        assert_eq!(repair(&xxe), Err(Refused::ExternalEntities));
    }
}
