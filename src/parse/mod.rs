//! Bytes to raw items: feeds through feed-rs (RSS 0.9x/1.0/2.0, Atom, JSON Feed).
//!
//! The parser gets raw bytes, never reqwest's `.text()`, runs under `catch_unwind`
//! (quick-xml has panicked on hostile input), and tells "not a feed" (an HTML error
//! page on a feed URL, judged by its root element) apart from "a feed with no items",
//! and both from a feed whose items were all lost on the way (elements feed-rs did
//! not read as items). It keeps no state and writes nothing: identity and cleaning
//! happen in `normalize`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, FixedOffset, Utc};

pub mod cap;
pub mod html;
pub mod repair;
pub mod scan;

use crate::util::date;

/// A parsed document, before normalization.
#[derive(Debug, Clone, Default)]
pub struct RawFeed {
    pub title: Option<String>,
    /// The site the document belongs to (RSS `<channel><link>`, Atom
    /// `rel="alternate"`), as given.
    pub home: Option<String>,
    /// RSS `<ttl>`: how many minutes the publisher asks readers to wait.
    pub ttl: Option<u32>,
    /// The document's own authors (Atom `<feed><author>`, `<itunes:author>` of the
    /// channel): those of every entry that names none (RFC 4287 §4.2.1).
    pub authors: Vec<String>,
    /// When the document says it last changed: RSS `<lastBuildDate>` or the
    /// channel's `<pubDate>`, Atom `<updated>`, whichever is later.
    pub updated: Option<DateTime<Utc>>,
    pub items: Vec<RawItem>,
    /// Entries past the cap that were left out (the oldest).
    pub truncated: usize,
}

/// One entry as the document gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawItem {
    /// The source's own guid/id; never one feed-rs made up.
    pub guid: Option<String>,
    /// The page's own `rel=canonical`, when it names one (HTML sources).
    pub canonical: Option<String>,
    pub title: Option<String>,
    /// The entry's page as published (possibly relative): its alternate link, else
    /// its guid/id when that is a permalink; never an enclosure or comments link.
    pub link: Option<String>,
    /// HTML.
    pub summary: Option<String>,
    /// HTML.
    pub content: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a feed: the document is {0}")]
    NotAFeed(&'static str),
    #[error("malformed feed: {0}")]
    Malformed(String),
    #[error("the feed parser crashed on this document (reported as malformed input)")]
    Panicked,
    /// The document has `<item>`s or `<entry>`s, and feed-rs read none of them.
    #[error("items lost: {found} under the root {root}, none read as an item (feed-rs reads RSS <item>s and Atom <entry>s by their namespace, and RSS 1.0 items only with a <link>)")]
    ItemsLost { found: String, root: String },
    /// An HTML source's selectors no longer match its pages.
    #[error("selector drift: {0}")]
    SelectorDrift(String),
}

impl ParseError {
    pub fn kind(&self) -> &'static str {
        match self {
            ParseError::NotAFeed(_) => "not_a_feed",
            ParseError::Malformed(_) => "malformed",
            ParseError::Panicked => "parser_panic",
            ParseError::ItemsLost { .. } => "items_lost",
            ParseError::SelectorDrift(_) => "selector_drift",
        }
    }
}

/// Parses a feed document, already decoded to UTF-8 (see `fetch::charset`).
/// Dates without a zone are read in `tz`. Of more than `max_items` entries, the
/// newest are read and the rest counted (`cap`).
pub fn parse_feed(text: &str, tz: FixedOffset, max_items: usize) -> Result<RawFeed, ParseError> {
    let body = skip_leading_junk(text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']));
    if body.is_empty() {
        return Err(ParseError::NotAFeed("empty"));
    }
    if let Some(what) = sniff_not_feed(body) {
        return Err(ParseError::NotAFeed(what));
    }
    let xml = body.starts_with('<');
    let original = body;
    let body = if xml { repair::repair(body) } else { std::borrow::Cow::Borrowed(body) };
    let (body, truncated) = match cap::newest(&body, max_items, tz) {
        Some(capped) => (std::borrow::Cow::Owned(capped.text), capped.dropped),
        None => (body, 0),
    };
    // A parser per attempt: one that panicked is left mid-entry and refuses more.
    let parse = |bytes: &[u8]| {
        let parser = feed_rs::parser::Builder::new()
            // An empty id tells "the source gave none" from one feed-rs invented.
            .id_generator(|_, _, _| String::new())
            .sanitize_content(false)
            .timestamp_parser(move |s| date::parse(s, tz))
            .build();
        catch_unwind(AssertUnwindSafe(|| parser.parse(bytes))).map_err(|_| ParseError::Panicked)
    };
    let mut result = match parse(body.as_bytes()) {
        // feed-rs 3 slices around an address in an RSS author at a byte that can
        // fall inside a character (`ban@x.vn’`): once more with the addresses
        // made plain text, rather than lose the feed.
        Err(ParseError::Panicked) if xml => match repair::unmail_people(&body) {
            Some(mended) => parse(mended.as_bytes())?,
            None => return Err(ParseError::Panicked),
        },
        other => other?,
    };
    if result.is_err() && !xml {
        // Only a JSON Feed that fails is looked at again: most need no mending.
        if let Some(mended) = repair::json_ids(&body) {
            result = parse(mended.as_bytes())?;
        }
    }
    let feed = result.map_err(|e| match e {
        feed_rs::parser::ParseFeedError::ParseError(feed_rs::parser::ParseErrorKind::NoFeedRoot) => no_feed_root(&body),
        other => ParseError::Malformed(other.to_string()),
    })?;
    if feed.entries.is_empty() && xml {
        // Told from the document as served, not as repaired.
        if let Some(lost) = lost_items(original) {
            return Err(lost);
        }
    }
    let home = feed.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).map(|l| l.href.clone());
    // feed-rs keeps neither a guid's isPermaLink nor where a media credit came
    // from; the text tells, for the whole document.
    let marks = Marks {
        guids_are_links: !disowns_permalinks(&body),
        credits_are_authors: !body.contains(":credit") && !body.contains("<credit"),
    };
    Ok(RawFeed {
        title: feed.title.map(|t| t.content),
        home,
        ttl: feed.ttl,
        authors: names(feed.authors),
        updated: feed.updated.max(feed.published),
        items: feed.entries.into_iter().map(|e| raw_item(e, &marks)).collect(),
        truncated,
    })
}

/// What the document's text says about all its entries.
struct Marks {
    /// No guid is marked `isPermaLink="false"`: a guid that is an http(s) URL is
    /// the entry's page.
    guids_are_links: bool,
    /// No `<media:credit>`: every media credit is an `<itunes:author>`.
    credits_are_authors: bool,
}

fn raw_item(e: feed_rs::model::Entry, marks: &Marks) -> RawItem {
    let guid = Some(e.id).filter(|id| !id.trim().is_empty());
    // Only the page itself: RSS `<link>`, an Atom link with rel="alternate" (the
    // default), never an enclosure, comments, replies, self, via or related.
    let link = e
        .links
        .iter()
        .find(|l| l.target.is_none() && l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .map(|l| l.href.clone())
        .or_else(|| guid.clone().filter(|g| marks.guids_are_links && is_web_url(g)));
    let mut authors = names(e.authors);
    if authors.is_empty() && marks.credits_are_authors {
        authors = e.media.iter().flat_map(|m| &m.credits).map(|c| c.entity.clone()).collect();
    }
    RawItem {
        guid,
        canonical: None,
        title: e.title.map(|t| t.content),
        link,
        summary: e.summary.map(|t| t.content),
        content: e.content.and_then(|c| c.body),
        published: e.published,
        updated: e.updated,
        authors,
        categories: e
            .categories
            .into_iter()
            .map(|c| c.label.unwrap_or(c.term))
            .filter(|c| !c.trim().is_empty())
            .collect(),
    }
}

fn names(people: Vec<feed_rs::model::Person>) -> Vec<String> {
    people.into_iter().filter_map(|p| p.name).filter(|n| !n.trim().is_empty()).collect()
}

/// An absolute http(s) URL.
fn is_web_url(s: &str) -> bool {
    url::Url::parse(s.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Whether any guid is marked `isPermaLink="false"` (any case, either quote).
fn disowns_permalinks(body: &str) -> bool {
    const ATTR: &[u8] = b"ispermalink";
    // Only where an `i` starts: comparing a window at every byte cost more than
    // escaping the whole document. Found as bytes (an ASCII byte is never part of
    // another character): a search for either char decodes every character.
    let bytes = body.as_bytes();
    (0..bytes.len()).filter(|&i| bytes[i] | 0x20 == b'i').any(|i| {
        bytes.get(i..i + ATTR.len()).is_some_and(|w| w.eq_ignore_ascii_case(ATTR)) && {
            let value = body[i + ATTR.len()..].trim_start().strip_prefix('=').unwrap_or("").trim_start();
            value.get(1..6).is_some_and(|v| v.eq_ignore_ascii_case("false"))
        }
    })
}

/// What a broken server printed before the feed (a PHP warning, a notice line) is
/// skipped: an XML declaration only ever opens a document, so what comes before one
/// is not part of it. Looked for near the start only, and only when the document
/// does not already open with a feed's root.
fn skip_leading_junk(body: &str) -> &str {
    const FEED_ROOTS: [&str; 4] = ["rss", "feed", "entry", "RDF"];
    if body.starts_with("<?xml") || body.starts_with('{') {
        return body;
    }
    if body.starts_with('<') && scan::root(body).is_some_and(|r| FEED_ROOTS.contains(&r.local_name())) {
        return body;
    }
    let mut end = body.len().min(8 << 10);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let head = &body[..end];
    // A root's name ends there: `<feedback>` is no `<feed>`.
    let root_at = |name: &str| {
        head.match_indices(name)
            .map(|(i, _)| i)
            .find(|&i| head[i + name.len()..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/'))
    };
    let start = head.find("<?xml").or_else(|| ["<rss", "<feed", "<rdf:RDF"].into_iter().filter_map(root_at).min());
    &body[start.unwrap_or(0)..]
}

/// Recognises the documents that portals serve on a feed URL when they fail. An
/// HTML page is told by its root element: `<body>` or `<html>` further in may be a
/// feed's content (in CDATA, escaped, or XHTML).
fn sniff_not_feed(body: &str) -> Option<&'static str> {
    if body.starts_with('{') {
        return None;
    }
    if !body.starts_with('<') {
        return Some("plain text, not XML or JSON");
    }
    let root = scan::root(body)?.local_name();
    ["html", "head", "body"].iter().any(|h| root.eq_ignore_ascii_case(h)).then_some("an HTML page")
}

/// Why feed-rs found no feed root.
fn no_feed_root(body: &str) -> ParseError {
    let Some(root) = scan::root(body) else {
        return ParseError::NotAFeed("XML without an <rss>, <feed> or <rdf:RDF> root");
    };
    match root.local_name() {
        "rss" if !scan::markup(body).filter_map(|m| m.tag()).any(|t| t.local_name() == "channel") => {
            ParseError::NotAFeed("an <rss> root with no <channel> in it")
        }
        // feed-rs reports a root it could not read as no root.
        "rss" | "feed" | "entry" | "RDF" => {
            ParseError::Malformed(format!("feed-rs could not read the root <{}>", root.name))
        }
        _ => ParseError::NotAFeed("XML without an <rss>, <feed> or <rdf:RDF> root"),
    }
}

/// A document that yielded no item although it has `<item>`s or `<entry>`s (in a
/// namespace feed-rs does not know, or without what it needs) lost them: an error,
/// not an empty feed.
fn lost_items(body: &str) -> Option<ParseError> {
    let (mut items, mut entries) = (0, 0);
    for tag in scan::markup(body).filter_map(|m| m.tag()) {
        match tag.local_name() {
            "item" => items += 1,
            "entry" => entries += 1,
            _ => {}
        }
    }
    let elements = |n: usize, name: &str| format!("{n} <{name}> element{}", if n == 1 { "" } else { "s" });
    let found = match (items, entries) {
        (0, 0) => return None,
        (n, 0) => elements(n, "item"),
        (0, n) => elements(n, "entry"),
        (i, e) => format!("{} and {}", elements(i, "item"), elements(e, "entry")),
    };
    let root = scan::root(body)?;
    let root = match root.attribute("xmlns") {
        Some(ns) => format!("<{} xmlns=\"{}\">", root.name, ns.value),
        None => format!("<{}>", root.name),
    };
    Some(ParseError::ItemsLost { found, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    #[test]
    fn rss_items_keep_their_own_ids_only() {
        let feed = parse_feed(include_str!("../../tests/fixtures/tinhuy-rss.xml"), vn(), 1000).unwrap();
        assert_eq!(feed.items.len(), 8);
        assert_eq!(feed.items[2].guid.as_deref(), Some("25860"));
        assert_eq!(feed.items[3].guid, None, "T4 has no guid; feed-rs must not invent one");
        assert_eq!(
            feed.items[2].link.as_deref(),
            Some("/tin-hoat-dong/uy-ban-kiem-tra-tinh-uy-to-chuc-ky-hop-thu-18-25860.html")
        );
    }

    #[test]
    fn what_a_server_printed_before_the_feed_is_skipped() {
        let feed = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
                    <item><title>Một</title><link>https://a.vn/1</link></item></channel></rss>";
        let php = format!(
            "<br />\n<b>Warning</b>:  Undefined variable $x in <b>/var/www/rss.php</b> on line <b>12</b><br />\n{feed}"
        );
        assert_eq!(parse_feed(&php, vn(), 1000).unwrap().items.len(), 1);
        let notice = format!("Notice: Undefined index: id in /var/www/rss.php on line 7\n{}", &feed[21..]);
        assert_eq!(parse_feed(&notice, vn(), 1000).unwrap().items.len(), 1);
        // A feed that quotes a declaration in its content is left whole.
        let quoted = "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title>\
                      <description><![CDATA[<?xml version=\"1.0\"?>]]></description></item></channel></rss>";
        assert_eq!(parse_feed(quoted, vn(), 1000).unwrap().items.len(), 1);
        // An HTML error page is still one, whatever it mentions.
        for page in ["<html><body>404</body></html>", "<html><body><feedback-form>x</feedback-form></body></html>"] {
            assert!(matches!(parse_feed(page, vn(), 1000), Err(ParseError::NotAFeed("an HTML page"))), "{page}");
        }
    }

    #[test]
    fn an_address_glued_to_a_letter_in_an_author_loses_nothing() {
        let doc = "<rss version=\"2.0\"><channel><title>t</title><managingEditor>ban@x.vn’</managingEditor>\
                   <item><title>Một</title><link>https://a.vn/1</link><author>toasoan@a.vn–Hà</author></item></channel></rss>";
        let feed = parse_feed(doc, vn(), 1000).unwrap();
        assert_eq!(feed.items.len(), 1);
        assert_eq!(feed.items[0].authors, ["toasoan＠a.vn–Hà"]);
        let alone = "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title><link>https://x.vn/a</link><author>ban@x.vn’</author></item></channel></rss>";
        assert_eq!(parse_feed(alone, vn(), 1000).unwrap().items.len(), 1);
    }

    #[test]
    fn json_feed_ids_may_be_numbers() {
        let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[
            {"id":123,"url":"https://a.vn/123","title":"một"},{"id":"x","url":"https://a.vn/x","title":"hai"}]}"#;
        let feed = parse_feed(doc, vn(), 1000).unwrap();
        let ids: Vec<_> = feed.items.iter().map(|i| i.guid.as_deref()).collect();
        assert_eq!(ids, [Some("123"), Some("x")]);
        assert!(matches!(parse_feed(r#"{"items": 5}"#, vn(), 1000), Err(ParseError::Malformed(_))));
    }

    #[test]
    fn links_are_the_page_or_a_permalink_guid() {
        let links = |doc: &str| -> Vec<Option<String>> {
            parse_feed(doc, vn(), 1000).unwrap().items.into_iter().map(|i| i.link).collect()
        };
        let rss = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>a</title><guid>https://a.vn/1</guid></item>
            <item><title>b</title><guid isPermaLink="true">https://a.vn/2</guid><comments>https://a.vn/2#c</comments></item>
            <item><title>c</title><comments>https://a.vn/3#c</comments></item>
            <item><title>d</title><guid>urn:a:4</guid></item>
            <item><title>e</title><comments>https://a.vn/5#c</comments><link>/5</link><guid>https://a.vn/x</guid></item>
            </channel></rss>"#;
        let want = [Some("https://a.vn/1"), Some("https://a.vn/2"), None, None, Some("/5")];
        assert_eq!(links(rss), want.map(|l| l.map(String::from)));
        let disowned = rss.replace("<guid>https://a.vn/1", "<guid isPermaLink='False'>https://a.vn/1");
        assert_eq!(links(&disowned)[..2], [None, None]);
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:f</id>
            <entry><id>https://p.vn/ep/1</id><title>1</title>
              <link rel="enclosure" href="https://cdn.vn/1.mp3"/><link rel="replies" href="https://p.vn/ep/1#c"/></entry>
            <entry><id>urn:p:2</id><title>2</title><link rel="self" href="https://p.vn/2.xml"/><link rel="via" href="https://v.vn/"/></entry>
            <entry><id>urn:p:3</id><title>3</title><link rel="related" href="https://r.vn/"/><link href="https://p.vn/3"/></entry>
            </feed>"#;
        assert_eq!(links(atom), [Some("https://p.vn/ep/1".to_string()), None, Some("https://p.vn/3".to_string())]);
    }

    #[test]
    fn authors_of_the_document_and_of_itunes() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:f</id>
            <author><name>Jane Blogger</name></author>
            <entry><id>urn:1</id><title>1</title><link href="https://s.vn/1"/></entry></feed>"#;
        let feed = parse_feed(atom, vn(), 1000).unwrap();
        assert_eq!(feed.authors, ["Jane Blogger"]);
        assert!(feed.items[0].authors.is_empty(), "normalize decides what entries take");
        let rss = r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>t</title>
            <itunes:author>Show</itunes:author>
            <item><title>1</title><link>https://a.vn/1</link><itunes:author>Host</itunes:author><itunes:summary>s</itunes:summary></item>
            <item><title>2</title><link>https://a.vn/2</link><author>Ed</author><itunes:author>Host</itunes:author></item>
            </channel></rss>"#;
        let feed = parse_feed(rss, vn(), 1000).unwrap();
        assert_eq!(feed.authors, ["Show"]);
        assert_eq!(feed.items[0].authors, ["Host"]);
        assert_eq!(feed.items[1].authors, ["Ed"]);
        let credited = rss.replace("<item><title>1</title>", r#"<item xmlns:media="http://search.yahoo.com/mrss/"><title>1</title><media:credit role="photographer">Ảnh: TTXVN</media:credit>"#);
        assert!(parse_feed(&credited, vn(), 1000).unwrap().items[0].authors.is_empty(), "a photo credit is no author");
    }

    #[test]
    fn vietnamese_dates_are_read() {
        let feed = parse_feed(include_str!("../../tests/fixtures/baodongkhoi-rss.xml"), vn(), 1000).unwrap();
        assert_eq!(feed.items[0].published.unwrap().to_rfc3339(), "2022-08-05T08:20:00+00:00");
        assert_eq!(feed.items[4].published, None);
    }

    #[test]
    fn error_pages_are_not_feeds() {
        for f in ["html-error-page.xml", "aspnet-error.xml"] {
            let bytes = std::fs::read_to_string(format!("tests/fixtures/broken/{f}")).unwrap();
            let err = parse_feed(&bytes, vn(), 1000).unwrap_err();
            assert!(matches!(err, ParseError::NotAFeed(_)), "{f}: {err}");
        }
        assert!(matches!(parse_feed("  ", vn(), 1000), Err(ParseError::NotAFeed(_))));
    }

    #[test]
    fn empty_channel_is_zero_items_not_an_error() {
        let bytes = std::fs::read_to_string("tests/fixtures/broken/empty-channel.xml").unwrap();
        assert_eq!(parse_feed(&bytes, vn(), 1000).unwrap().items.len(), 0);
    }

    fn rss(items: &str) -> String {
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Tin tức</title>{items}</channel></rss>")
    }

    #[test]
    fn html_pages_are_told_by_their_root_element() {
        let cdata = rss(
            "<item><title>A</title><description><![CDATA[<html><body><p>x</p></body></html>]]></description></item>",
        );
        let xhtml = rss("<item><title>A</title><body xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></body></item>");
        // Byte 2048 falls inside "ộ": the first 2 KB used to be no slice at all, and
        // then the whole document was searched for "<body".
        let head = rss("<item><title>");
        let head = &head[..head.find("</channel>").unwrap()];
        let pad = "a".repeat(2047 - head.len() - "H".len());
        let long =
            rss(&format!("<item><title>{pad}Hội nghị</title></item><item><title>B</title><body>b</body></item>"));
        assert!(!long.is_char_boundary(2048));
        let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
                       "items": [{"id": "1", "content_html": "<html><body>x</body></html>"}]}"#;
        for doc in [cdata, xhtml, long, json.into()] {
            assert!(!parse_feed(&doc, vn(), 1000).unwrap().items.is_empty(), "{doc}");
        }
        let page = "<?xml version=\"1.0\"?>\n<!-- cached --><!DOCTYPE html><HTML><body><rss></rss></body></HTML>";
        assert!(matches!(parse_feed(page, vn(), 1000), Err(ParseError::NotAFeed("an HTML page"))));
    }

    #[test]
    fn declared_entities_are_never_expanded() {
        let bomb = std::fs::read_to_string("tests/fixtures/broken/xml-bomb.xml").unwrap();
        let feed = parse_feed(&bomb, vn(), 1000).unwrap();
        assert_eq!(feed.items[0].title.as_deref(), Some("&lol6;"));
        let xxe = std::fs::read_to_string("tests/fixtures/broken/xxe-external-entity.xml").unwrap();
        let feed = parse_feed(&xxe, vn(), 1000).unwrap();
        assert_eq!(feed.items[0].title.as_deref(), Some("&xxe;"));
        assert_eq!(feed.items[0].summary.as_deref(), Some("&remote;"));
        let declared = "<!DOCTYPE rss [<!ENTITY nbsp \"&#160;\">]><rss version=\"2.0\"><channel><item><title>A&nbsp;B</title></item></channel></rss>";
        assert_eq!(
            parse_feed(declared, vn(), 1000).unwrap().items[0].title.as_deref(),
            Some("A&nbsp;B"),
            "decoded in normalize"
        );
    }

    #[test]
    fn atom_titles_with_mime_types_keep_the_feed() {
        let doc = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text/plain\">F</title>\
                   <entry><id>1</id><title type=\"application/octet-stream\">A</title></entry>\
                   <entry><id>2</id><title type=\"\">B</title><summary type=\"text/html\">&lt;b&gt;s&lt;/b&gt;</summary></entry></feed>";
        let feed = parse_feed(doc, vn(), 1000).unwrap();
        assert_eq!(feed.title.as_deref(), Some("F"));
        let titles: Vec<_> = feed.items.iter().map(|i| i.title.as_deref().unwrap()).collect();
        assert_eq!(titles, ["A", "B"]);
        assert_eq!(feed.items[1].summary.as_deref(), Some("<b>s</b>"));
    }

    #[test]
    fn old_formats_are_read() {
        let atom03 = "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title mode=\"escaped\" type=\"text/html\">Old</title>\
                      <entry><title>First</title><link rel=\"alternate\" type=\"text/html\" href=\"http://o.example.org/1\"/>\
                      <id>tag:o,2005:1</id><issued>2005-06-01T14:00:00+02:00</issued><modified>2005-06-01T12:30:00Z</modified>\
                      <content type=\"text/html\" mode=\"escaped\">&lt;p&gt;Hi&lt;/p&gt;</content></entry></feed>";
        let feed = parse_feed(atom03, vn(), 1000).unwrap();
        let item = &feed.items[0];
        assert_eq!((feed.title.as_deref(), item.title.as_deref()), (Some("Old"), Some("First")));
        assert_eq!(item.published.unwrap().to_rfc3339(), "2005-06-01T12:00:00+00:00");
        assert_eq!(item.updated.unwrap().to_rfc3339(), "2005-06-01T12:30:00+00:00");
        assert_eq!(item.content.as_deref(), Some("<p>Hi</p>"));
        let rss090 = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://channel.netscape.com/rdf/simple/0.9/\">\
                      <channel><title>Mozilla</title></channel><item><title>Status</title><link>http://www.mozilla.org/status/</link></item></rdf:RDF>";
        assert_eq!(parse_feed(rss090, vn(), 1000).unwrap().items[0].title.as_deref(), Some("Status"));
        let userland = rss("<item><title>U</title></item>")
            .replace("<rss version=\"2.0\">", "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\">");
        assert_eq!(parse_feed(&userland, vn(), 1000).unwrap().items[0].title.as_deref(), Some("U"));
        let v093 = rss("<item><title>V</title></item>").replace("2.0", "0.93");
        assert_eq!(parse_feed(&v093, vn(), 1000).unwrap().items[0].title.as_deref(), Some("V"));
    }

    #[test]
    fn items_lost_on_the_way_are_an_error() {
        let cases = [
            // A namespace feed-rs does not know.
            "<feed xmlns=\"http://purl.org/echo/\"><entry><title>A</title></entry><entry><title>B</title></entry></feed>",
            // RSS 1.0 items with neither a <link> nor an rdf:about to take it from.
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
             <channel><title>C</title></channel><item><title>A</title></item></rdf:RDF>",
        ];
        for doc in cases {
            let err = parse_feed(doc, vn(), 1000).unwrap_err();
            assert_eq!(err.kind(), "items_lost", "{doc}: {err}");
        }
        let err = parse_feed(cases[0], vn(), 1000).unwrap_err().to_string();
        assert!(err.contains("2 <entry> elements under the root <feed xmlns=\"http://purl.org/echo/\">"), "{err}");
    }

    #[test]
    fn an_rss_root_without_a_channel_says_so() {
        let err = parse_feed("<rss version=\"2.0\"><item><title>A</title></item></rss>", vn(), 1000).unwrap_err();
        assert_eq!(err.to_string(), "not a feed: the document is an <rss> root with no <channel> in it");
        let err = parse_feed("<?xml version=\"1.0\"?><opml/>", vn(), 1000).unwrap_err();
        assert_eq!(err.to_string(), "not a feed: the document is XML without an <rss>, <feed> or <rdf:RDF> root");
    }
}
