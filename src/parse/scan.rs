//! The markup of a document that may not be well-formed XML, found without parsing
//! it: for the repairs before feed-rs and the checks around it.
//!
//! The scan never fails and never looks back. Each piece of markup is found by
//! searching forward from the end of the last one, and one left unterminated runs
//! to the end of the text, so a scan is linear in the document whatever it holds.
//! Text between markup (with any stray `<` that starts no markup) is not reported.

/// A piece of markup and the bytes it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Markup<'a> {
    pub start: usize,
    pub end: usize,
    pub kind: Kind<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    Start(Tag<'a>),
    /// `</name>`, the name as written (with its prefix).
    End(&'a str),
    /// `<!DOCTYPE …>`, with its internal subset.
    Doctype,
    /// A comment, a CDATA section, a processing instruction or another `<!…>`.
    Other,
}

/// A start tag: `<name attributes>` or `<name attributes/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// As written, with its prefix.
    pub name: &'a str,
    pub name_at: usize,
    /// `<name/>`: the element ends where it starts.
    pub empty: bool,
    attrs: &'a str,
    attrs_at: usize,
}

/// An attribute as written: the value not unescaped, `value_at` its place in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub value_at: usize,
}

impl<'a> Markup<'a> {
    pub fn tag(&self) -> Option<Tag<'a>> {
        match self.kind {
            Kind::Start(tag) => Some(tag),
            _ => None,
        }
    }
}

impl<'a> Tag<'a> {
    pub fn prefix(&self) -> Option<&'a str> {
        self.name.split_once(':').map(|(p, _)| p)
    }

    pub fn local_name(&self) -> &'a str {
        self.name.rsplit(':').next().unwrap_or(self.name)
    }

    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { text: self.attrs, at: self.attrs_at, pos: 0 }
    }

    pub fn attribute(&self, name: &str) -> Option<Attribute<'a>> {
        self.attributes().find(|a| a.name == name)
    }
}

/// The markup of `text`, in order.
pub fn markup(text: &str) -> Scan<'_> {
    Scan { text, pos: 0 }
}

/// The root element: the first start tag, after the XML declaration, comments,
/// processing instructions and the DOCTYPE.
pub fn root(text: &str) -> Option<Tag<'_>> {
    markup(text).find_map(|m| m.tag())
}

pub struct Scan<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Scan<'a> {
    type Item = Markup<'a>;

    fn next(&mut self) -> Option<Markup<'a>> {
        let text = self.text;
        loop {
            let start = self.pos + text.get(self.pos..)?.find('<')?;
            let rest = &text[start..];
            let after = |token: &str| rest.find(token).map_or(text.len(), |e| start + e + token.len());
            let (end, kind) = if rest.starts_with("<!--") {
                (after("-->"), Kind::Other)
            } else if rest.starts_with("<![CDATA[") {
                (after("]]>"), Kind::Other)
            } else if rest.starts_with("<?") {
                (after("?>"), Kind::Other)
            } else if rest.get(..9).is_some_and(|d| d.eq_ignore_ascii_case("<!DOCTYPE")) {
                (start + doctype_len(rest), Kind::Doctype)
            } else if rest.starts_with("<!") {
                (after(">"), Kind::Other)
            } else if let Some(name) = rest.strip_prefix("</") {
                let name = &name[..name.find(|c: char| c == '>' || c.is_ascii_whitespace()).unwrap_or(name.len())];
                (after(">"), Kind::End(name))
            } else if rest[1..].starts_with(|c: char| c.is_alphabetic() || c == '_' || c == ':') {
                let (len, tag) = start_tag(rest, start);
                (start + len, Kind::Start(tag))
            } else {
                // A stray `<` in text: not markup.
                self.pos = start + 1;
                continue;
            };
            self.pos = end;
            return Some(Markup { start, end, kind });
        }
    }
}

/// The length of the start tag `s` begins with, and the tag. A `>` inside a quoted
/// value does not end it.
fn start_tag(s: &str, at: usize) -> (usize, Tag<'_>) {
    let b = s.as_bytes();
    let name_len = s[1..].find(|c: char| c == '>' || c == '/' || c.is_ascii_whitespace()).map_or(s.len() - 1, |n| n);
    let mut i = 1 + name_len;
    let end = loop {
        match b.get(i) {
            None => break s.len(),
            Some(b'>') => break i + 1,
            Some(&q @ (b'"' | b'\'')) => i = s[i + 1..].find(q as char).map_or(s.len(), |e| i + 1 + e + 1),
            Some(_) => i += 1,
        }
    };
    let inner_end = if s[..end].ends_with('>') { end - 1 } else { end };
    let empty = s[..inner_end].ends_with('/') && inner_end > 1 + name_len;
    let attrs_end = if empty { inner_end - 1 } else { inner_end };
    let attrs_at = 1 + name_len;
    let tag = Tag {
        name: &s[1..attrs_at],
        name_at: at + 1,
        empty,
        attrs: s.get(attrs_at..attrs_end).unwrap_or(""),
        attrs_at: at + attrs_at,
    };
    (end, tag)
}

/// The length of the `<!DOCTYPE …>` that `s` begins with: the first `>` outside
/// the internal subset `[…]`. Quotes count where XML has literals: in the external
/// id, unless a `>` comes first (portals have shipped a public id missing its closing
/// quote), and inside the subset's declarations. The subset's comments and
/// processing instructions may hold anything.
fn doctype_len(s: &str) -> usize {
    let b = s.as_bytes();
    let (mut subset, mut decl) = (false, false);
    // The first `>` after the last place it was looked for from: found once, not
    // once per quote (a run of quotes with no `>` was quadratic).
    let mut next_gt: Option<usize> = None;
    let mut i = 2;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'') if !subset || decl => {
                let close = s[i + 1..].find(q as char).map(|e| i + 1 + e);
                if next_gt.is_none_or(|g| g <= i) {
                    next_gt = Some(s[i + 1..].find('>').map_or(s.len(), |e| i + 1 + e));
                }
                let gt = next_gt.filter(|&g| g < s.len());
                // An unclosed literal: the quote is text.
                if let Some(c) = close.filter(|&c| subset || gt.is_none_or(|g| c < g)) {
                    i = c + 1;
                    continue;
                }
            }
            b'<' if subset && s[i..].starts_with("<!--") => {
                i = s[i..].find("-->").map_or(s.len(), |e| i + e + 3);
                continue;
            }
            b'<' if subset && s[i..].starts_with("<?") => {
                i = s[i..].find("?>").map_or(s.len(), |e| i + e + 2);
                continue;
            }
            b'<' if subset => decl = true,
            b'>' if decl => decl = false,
            b'[' if !subset => subset = true,
            b']' if subset && !decl => subset = false,
            b'>' if !subset => return i + 1,
            _ => {}
        }
        i += 1;
    }
    s.len()
}

pub struct Attributes<'a> {
    text: &'a str,
    at: usize,
    pos: usize,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        let t = self.text;
        let is_space = |c: char| c.is_ascii_whitespace();
        loop {
            let name_at = self.pos + t.get(self.pos..)?.find(|c: char| !is_space(c))?;
            let name_len = t[name_at..].find(|c: char| is_space(c) || c == '=').unwrap_or(t.len() - name_at);
            let name = &t[name_at..name_at + name_len];
            let rest = &t[name_at + name_len..];
            let eq = rest.len() - rest.trim_start_matches(is_space).len();
            let Some(value) = rest[eq..].strip_prefix('=') else {
                // A name without a value (not XML): skipped.
                self.pos = name_at + name_len.max(1);
                continue;
            };
            let value_start = t.len() - value.trim_start_matches(is_space).len();
            let (value_at, value_len, next) = match t[value_start..].chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let len = t[value_start + 1..].find(q).unwrap_or(t.len() - value_start - 1);
                    (value_start + 1, len, (value_start + len + 2).min(t.len()))
                }
                _ => {
                    let len = t[value_start..].find(is_space).unwrap_or(t.len() - value_start);
                    (value_start, len, value_start + len)
                }
            };
            self.pos = next.max(name_at + 1);
            return Some(Attribute { name, value: &t[value_at..value_at + value_len], value_at: self.at + value_at });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(&str, Kind<'_>)> {
        markup(text).map(|m| (&text[m.start..m.end], m.kind)).collect()
    }

    #[test]
    fn finds_each_kind_of_markup() {
        let doc = "<?xml version=\"1.0\"?><!-- <a> --><!DOCTYPE rss [<!ENTITY e \"]>\"><!-- ' -->]>\
                   <rss a='x>y'><![CDATA[<b>]]>a < b<c/></rss>";
        let found: Vec<&str> = kinds(doc).into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            found,
            [
                "<?xml version=\"1.0\"?>",
                "<!-- <a> -->",
                "<!DOCTYPE rss [<!ENTITY e \"]>\"><!-- ' -->]>",
                "<rss a='x>y'>",
                "<![CDATA[<b>]]>",
                "<c/>",
                "</rss>"
            ]
        );
        assert_eq!(root(doc).unwrap().name, "rss");
        assert!(root("<!-- only a comment -->").is_none());
    }

    #[test]
    fn reads_attributes_where_they_are() {
        let doc = "<atom:title  type = \"text/plain\" mode='escaped' nowrap xml:lang=vi/>";
        let tag = root(doc).unwrap();
        assert_eq!((tag.prefix(), tag.local_name(), tag.empty), (Some("atom"), "title", true));
        let attrs: Vec<(&str, &str)> = tag.attributes().map(|a| (a.name, a.value)).collect();
        assert_eq!(
            attrs,
            [("type", "text/plain"), ("mode", "escaped"), ("xml:lang", "vi")],
            "a name without a value is skipped"
        );
        let mode = tag.attribute("mode").unwrap();
        assert_eq!(&doc[mode.value_at..mode.value_at + mode.value.len()], "escaped");
    }

    #[test]
    fn a_doctype_ends_where_it_does_despite_a_stray_quote() {
        // A public id missing its closing quote, as a portal shipped it.
        let doc = "<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN \"http://my.netscape.com/rss-0.91.dtd\">\n<rss version=\"0.91\"><channel/></rss>";
        assert_eq!(root(doc).unwrap().name, "rss");
        // A quote in a processing instruction of the subset, or in its text.
        assert_eq!(root("<!DOCTYPE rss [<?pi don't ?> ' ]><rss/>").unwrap().name, "rss");
        assert_eq!(root("<!DOCTYPE rss [<!ENTITY a \"x]>y\">]><rss/>").unwrap().name, "rss");
    }

    #[test]
    fn unterminated_markup_runs_to_the_end() {
        for doc in ["<rss><!-- x", "<rss><![CDATA[ x", "<rss a=\"x", "<!DOCTYPE rss [ <rss>", "<rss"] {
            let last = markup(doc).last().unwrap();
            assert_eq!(last.end, doc.len(), "{doc}");
        }
    }
}
