//! Bytes to raw items: feeds through feed-rs (RSS 0.9x/1.0/2.0, Atom, JSON Feed).
//!
//! The parser gets raw bytes, never reqwest's `.text()`, runs under `catch_unwind`
//! (quick-xml has panicked on hostile input), and tells "not a feed" (an HTML error
//! page on a feed URL) apart from "a feed with no items". It keeps no state and
//! writes nothing: identity and cleaning happen in `normalize`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, FixedOffset, Utc};

pub mod html;
pub mod repair;

use crate::normalize::date;

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
    pub items: Vec<RawItem>,
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
    #[error("refused: {0}")]
    Refused(#[from] repair::Refused),
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
            ParseError::Refused(repair::Refused::ExternalEntities) => "external_entities",
            ParseError::Refused(repair::Refused::InternalEntities) => "entity_expansion",
            ParseError::SelectorDrift(_) => "selector_drift",
        }
    }
}

/// Parses a feed document, already decoded to UTF-8 (see `fetch::charset`).
/// Dates without a zone are read in `tz`.
pub fn parse_feed(text: &str, tz: FixedOffset) -> Result<RawFeed, ParseError> {
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if body.is_empty() {
        return Err(ParseError::NotAFeed("empty"));
    }
    if let Some(what) = sniff_not_feed(body) {
        return Err(ParseError::NotAFeed(what));
    }
    let body = if body.starts_with('<') { repair::repair(body)? } else { std::borrow::Cow::Borrowed(body) };
    let parser = feed_rs::parser::Builder::new()
        // An empty id tells "the source gave none" from one feed-rs invented.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(move |s| date::parse(s, tz))
        .build();
    let result = catch_unwind(AssertUnwindSafe(|| parser.parse(body.as_bytes()))).map_err(|_| ParseError::Panicked)?;
    let feed = result.map_err(|e| match e {
        feed_rs::parser::ParseFeedError::ParseError(feed_rs::parser::ParseErrorKind::NoFeedRoot) => {
            ParseError::NotAFeed("XML without an <rss>, <feed> or <rdf:RDF> root")
        }
        other => ParseError::Malformed(other.to_string()),
    })?;
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
        items: feed.entries.into_iter().map(|e| raw_item(e, &marks)).collect(),
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
    body.as_bytes().windows(ATTR.len()).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(ATTR) && {
            let value = body[i + ATTR.len()..].trim_start().strip_prefix('=').unwrap_or("").trim_start();
            value.get(1..6).is_some_and(|v| v.eq_ignore_ascii_case("false"))
        }
    })
}

/// Recognises the documents that portals serve on a feed URL when they fail.
fn sniff_not_feed(body: &str) -> Option<&'static str> {
    let head = body.get(..2048).unwrap_or(body);
    let head = head.to_ascii_lowercase();
    if head.contains("<html") || head.starts_with("<!doctype html") || head.contains("<body") {
        Some("an HTML page")
    } else if !head.starts_with('<') && !head.starts_with('{') {
        Some("plain text, not XML or JSON")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    #[test]
    fn rss_items_keep_their_own_ids_only() {
        let feed = parse_feed(include_str!("../../tests/fixtures/tinhuy-rss.xml"), vn()).unwrap();
        assert_eq!(feed.items.len(), 8);
        assert_eq!(feed.items[2].guid.as_deref(), Some("25860"));
        assert_eq!(feed.items[3].guid, None, "T4 has no guid; feed-rs must not invent one");
        assert_eq!(
            feed.items[2].link.as_deref(),
            Some("/tin-hoat-dong/uy-ban-kiem-tra-tinh-uy-to-chuc-ky-hop-thu-18-25860.html")
        );
    }

    #[test]
    fn links_are_the_page_or_a_permalink_guid() {
        let links = |doc: &str| -> Vec<Option<String>> {
            parse_feed(doc, vn()).unwrap().items.into_iter().map(|i| i.link).collect()
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
        let feed = parse_feed(atom, vn()).unwrap();
        assert_eq!(feed.authors, ["Jane Blogger"]);
        assert!(feed.items[0].authors.is_empty(), "normalize decides what entries take");
        let rss = r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>t</title>
            <itunes:author>Show</itunes:author>
            <item><title>1</title><link>https://a.vn/1</link><itunes:author>Host</itunes:author><itunes:summary>s</itunes:summary></item>
            <item><title>2</title><link>https://a.vn/2</link><author>Ed</author><itunes:author>Host</itunes:author></item>
            </channel></rss>"#;
        let feed = parse_feed(rss, vn()).unwrap();
        assert_eq!(feed.authors, ["Show"]);
        assert_eq!(feed.items[0].authors, ["Host"]);
        assert_eq!(feed.items[1].authors, ["Ed"]);
        let credited = rss.replace("<item><title>1</title>", r#"<item xmlns:media="http://search.yahoo.com/mrss/"><title>1</title><media:credit role="photographer">Ảnh: TTXVN</media:credit>"#);
        assert!(parse_feed(&credited, vn()).unwrap().items[0].authors.is_empty(), "a photo credit is no author");
    }

    #[test]
    fn vietnamese_dates_are_read() {
        let feed = parse_feed(include_str!("../../tests/fixtures/baodongkhoi-rss.xml"), vn()).unwrap();
        assert_eq!(feed.items[0].published.unwrap().to_rfc3339(), "2022-08-05T08:20:00+00:00");
        assert_eq!(feed.items[4].published, None);
    }

    #[test]
    fn error_pages_are_not_feeds() {
        for f in ["html-error-page.xml", "aspnet-error.xml"] {
            let bytes = std::fs::read_to_string(format!("tests/fixtures/broken/{f}")).unwrap();
            let err = parse_feed(&bytes, vn()).unwrap_err();
            assert!(matches!(err, ParseError::NotAFeed(_)), "{f}: {err}");
        }
        assert!(matches!(parse_feed("  ", vn()), Err(ParseError::NotAFeed(_))));
    }

    #[test]
    fn empty_channel_is_zero_items_not_an_error() {
        let bytes = std::fs::read_to_string("tests/fixtures/broken/empty-channel.xml").unwrap();
        assert_eq!(parse_feed(&bytes, vn()).unwrap().items.len(), 0);
    }
}
