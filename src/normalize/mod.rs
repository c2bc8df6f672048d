//! Raw item → `Item`: NFC text, UTC dates, absolute and canonical URLs, safe HTML,
//! the identity within its source, and the publishing agency.
//!
//! Pure functions of their input and a context (the source, the document URL, the
//! clock): normalize keeps no state, so the same document always gives the same
//! items.

pub mod byline;
pub mod html;
pub mod link;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use url::Url;

use crate::agency::Registry;
use crate::config::Source;
use crate::model::{hex, Evidence, Identity, Item};
use crate::parse::RawItem;
use crate::util::text;

/// What normalization needs to know besides the raw item.
pub struct Context<'a> {
    pub source: &'a Source,
    /// The URL of the document the item came from.
    pub document_url: &'a Url,
    /// The site the document names as its home, if any: relative links in a feed
    /// are relative to the site, which is not always where the feed is served.
    pub home: Option<&'a str>,
    pub document_title: Option<&'a str>,
    /// The document's own authors, as published: those of an item that names none.
    pub authors: &'a [String],
    /// The time of this poll: the first-seen time of new items.
    pub now: DateTime<Utc>,
    pub registry: &'a Registry,
}

/// A document read and normalized: what one poll of a source yields.
#[derive(Debug)]
pub struct Document {
    pub title: Option<String>,
    /// RSS `<ttl>`: how long the publisher asks readers to wait.
    pub ttl: Option<std::time::Duration>,
    pub items: Vec<Item>,
    /// Entries past `[poll].max_items` that were not read.
    pub truncated: usize,
    /// The undated items whose date the document bounded (see [`bound_undated`]),
    /// by their index in `items`, with the reason.
    pub undated: Vec<(usize, UndatedBound)>,
}

/// Why an undated item shows an earlier date than when loa first saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UndatedBound {
    /// A second before this date, that of the nearest newer dated item listed next
    /// to it (the newest dated item when it is listed first).
    DatedNeighbour(DateTime<Utc>),
    /// No item of the document is dated: the document's lastBuildDate/updated.
    DocumentUpdated(DateTime<Utc>),
}

impl UndatedBound {
    /// The date the item shows.
    pub fn date(&self) -> DateTime<Utc> {
        match self {
            UndatedBound::DatedNeighbour(d) => *d - Duration::seconds(1),
            UndatedBound::DocumentUpdated(d) => *d,
        }
    }
}

impl std::fmt::Display for UndatedBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |d: &DateTime<Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match self {
            UndatedBound::DatedNeighbour(d) => {
                write!(f, "undated: placed just before the newer dated item listed next to it ({})", at(d))
            }
            UndatedBound::DocumentUpdated(d) => {
                write!(f, "undated: no later than the document's lastBuildDate/updated ({})", at(d))
            }
        }
    }
}

/// Keeps an undated item from outranking dated news when its document is old:
/// it keeps its first-seen time as its date (the feed formats allow it), but
/// never later than the newer dated item it is listed next to (documents list
/// newest first, or oldest first: told by their dated items), else than the
/// document's own `updated`. A document republished years later still shows its
/// undated items among their dated neighbours, not as today's news.
pub fn bound_undated(items: &mut [Item], document_updated: Option<DateTime<Utc>>) -> Vec<(usize, UndatedBound)> {
    let dated: Vec<(usize, DateTime<Utc>)> =
        items.iter().enumerate().filter_map(|(i, it)| it.published.or(it.updated).map(|d| (i, d))).collect();
    let newest_first = match (dated.first(), dated.last()) {
        (Some(first), Some(last)) => first.1 >= last.1,
        _ => true,
    };
    let newest = dated.iter().map(|(_, d)| *d).max();
    let mut bounded = Vec::new();
    for (i, item) in items.iter_mut().enumerate() {
        if item.published.is_some() || item.updated.is_some() {
            continue;
        }
        let neighbour =
            if newest_first { dated.iter().rev().find(|(j, _)| *j < i) } else { dated.iter().find(|(j, _)| *j > i) };
        let bound = match (neighbour.map(|(_, d)| *d).or(newest), document_updated) {
            (Some(d), _) => UndatedBound::DatedNeighbour(d),
            (None, Some(d)) => UndatedBound::DocumentUpdated(d),
            (None, None) => continue,
        };
        if bound.date() < item.first_seen {
            item.first_seen = bound.date();
            bounded.push((i, bound));
        }
    }
    bounded
}

/// Parses a feed document and normalizes its items (the newest `poll.max_items`),
/// as the daemon does on a poll.
pub fn read_document(
    text: &str,
    document_url: &Url,
    source: &Source,
    registry: &Registry,
    poll: &crate::config::PollConfig,
    now: DateTime<Utc>,
) -> Result<Document, crate::parse::ParseError> {
    let feed = crate::parse::parse_feed(text, poll.timezone, poll.max_items)?;
    let cx = Context {
        source,
        document_url,
        document_title: feed.title.as_deref(),
        home: feed.home.as_deref(),
        authors: &feed.authors,
        now,
        registry,
    };
    let mut items: Vec<Item> = feed.items.into_iter().filter_map(|raw| item(raw, &cx)).collect();
    let undated = bound_undated(&mut items, feed.updated);
    let ttl = feed.ttl.map(|minutes| std::time::Duration::from_secs(u64::from(minutes) * 60));
    Ok(Document { title: document_title(cx.document_title), ttl, items, undated, truncated: feed.truncated })
}

/// Normalizes one raw item; `None` for an entry with nothing to show.
pub fn item(raw: RawItem, cx: &Context<'_>) -> Option<Item> {
    let site = cx.home.and_then(link::site_base);
    let doc_base = site.as_ref().unwrap_or(cx.document_url);
    let link = raw.link.as_deref().and_then(|l| link::absolute(l, doc_base));
    let base = link.as_ref().unwrap_or(doc_base);
    let summary =
        raw.summary.as_deref().map(|h| text::strip_summary_prefix(&html::sanitize(h, base))).filter(|h| !h.is_empty());
    let content = raw.content.as_deref().map(|h| html::sanitize(h, base)).filter(|h| !h.is_empty());
    let body = content.as_deref().or(summary.as_deref()).map(text::html_to_text).unwrap_or_default();
    let mut title = raw.title.as_deref().map(text::title).unwrap_or_default();
    if title.is_empty() {
        // JSON Feed and some RSS items carry no title: show the start of the text.
        title = body.chars().take(100).collect();
    }
    if title.is_empty() && link.is_none() {
        return None;
    }
    let link_key = link.as_ref().map(link::canonical);
    // A page's own rel=canonical is shown, but identity stays with the link the
    // source lists: it is known before the page is fetched.
    let canonical_url = raw
        .canonical
        .as_deref()
        .and_then(|c| link::absolute(c, base))
        .map(|c| link::canonical(&c))
        .or_else(|| link_key.clone());
    let guid = raw.guid.as_deref().map(|g| text::collapse(g.chars())).filter(|g| !g.is_empty());
    let identity = match &guid {
        Some(g) => Identity::Guid(g.clone()),
        None => match &link_key {
            Some(c) => Identity::Link(c.clone()),
            None => Identity::Hash(content_hash(&title, content.as_deref().or(summary.as_deref()))),
        },
    };
    let plausible = |d: DateTime<Utc>| (d <= cx.now + Duration::days(1)).then_some(d);
    let published = raw.published.and_then(plausible);
    let updated = raw.updated.and_then(plausible);
    let own_authors: Vec<String> = raw.authors.iter().filter_map(|a| byline::author(a)).collect();
    // A document's authors are shown on its items but credit no agency: they name
    // the site (a portal's `<author>` is the portal), which the source already does.
    let (agency, agency_name, evidence) =
        attribute(&own_authors, &body, &title, published.or(updated).unwrap_or(cx.now), cx);
    let authors = if own_authors.is_empty() {
        cx.authors.iter().filter_map(|a| byline::author(a)).collect()
    } else {
        own_authors
    };
    Some(Item {
        source: cx.source.id.clone(),
        identity,
        guid,
        title,
        // Readers get the canonical link, as `loa inspect` shows it: tracking
        // parameters follow the reader, they never name the article.
        link: if cx.source.keep_tracking { link.map(|l| l.to_string()) } else { link_key },
        canonical_url,
        summary,
        content,
        published,
        updated,
        first_seen: cx.now,
        authors,
        categories: dedup(raw.categories.iter().map(|c| text::clean(c)).filter(|c| !c.is_empty())),
        agency,
        agency_name,
        evidence,
        source_agency: cx.source.agency.clone(),
        source_url: cx.document_url.to_string(),
        source_title: document_title(cx.document_title),
        listing: None,
    })
}

/// Credits an item, first rule that applies: an author `Tên (Cơ quan)`; an author
/// that is a body; a byline closing the content, or a closing `Nguồn: …` naming a
/// known body; a title that opens with a body's name or an official's title; the
/// source's own agency. A credit `Theo …`, `Nguồn: …` or `Tên - Cơ quan` counts when
/// it names a known body.
fn attribute(
    authors: &[String],
    body: &str,
    title: &str,
    date: DateTime<Utc>,
    cx: &Context<'_>,
) -> (String, String, Evidence) {
    let reg = cx.registry;
    let credit = |r: crate::agency::Resolved, rule: Evidence| (r.slug, r.name, Evidence::read(rule, r.how));
    // A credit read as written, else as `Theo …`, `Nguồn: …` or `Tên - Cơ quan` naming
    // a known body (`Theo Báo Nhân Dân` is a repost, not a body of the province).
    let body_of =
        |org: &str| reg.resolve(org, date).or_else(|| reg.resolve(byline::credited(org)?, date).filter(|r| r.known));
    let found = authors
        .iter()
        .find_map(|a| {
            let b = byline::trailing(a)?;
            Some(credit(body_of(&b.org)?, Evidence::AuthorByline(a.clone())))
        })
        .or_else(|| authors.iter().find_map(|a| Some(credit(body_of(a)?, Evidence::AuthorOrganisation(a.clone())))))
        .or_else(|| {
            let b = byline::trailing(body)?;
            let r = body_of(&b.org)?;
            let shown = match &b.name {
                Some(n) => format!("{n} ({})", b.org),
                None => format!("({})", b.org),
            };
            Some(credit(r, Evidence::ContentByline(shown)))
        })
        .or_else(|| {
            let org = byline::closing_credit(body)?;
            // Free text closing an article credits only a body the registry knows.
            let r = reg.resolve(org, date).filter(|r| r.known)?;
            Some(credit(r, Evidence::ContentByline(format!("Nguồn: {org}"))))
        })
        .or_else(|| {
            let m = reg.title_prefix(title, date)?;
            Some((
                m.agency.slug.clone(),
                m.agency.name.clone(),
                Evidence::read(Evidence::TitlePrefix(m.matched), m.how),
            ))
        });
    found.unwrap_or_else(|| {
        let slug = cx.source.agency.clone();
        let name = reg.name_of(&slug).to_string();
        (slug, name, Evidence::SourceDefault)
    })
}

/// A document's title, cleaned as item titles are.
fn document_title(raw: Option<&str>) -> Option<String> {
    raw.map(text::title).filter(|t| !t.is_empty())
}

fn content_hash(title: &str, body: Option<&str>) -> String {
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    h.update([0]);
    h.update(body.unwrap_or("").as_bytes());
    hex(&h.finalize()[..16])
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceKind;

    fn source() -> Source {
        Source {
            id: "tinhuy".into(),
            url: Url::parse("https://bentre.dcs.vn/rss/tin-hoat-dong.rss").unwrap(),
            auth: None,
            kind: SourceKind::Feed,
            agency: "tinh-uy".into(),
            interval: std::time::Duration::from_secs(900),
            keep_tracking: false,
        }
    }

    fn items(fixture: &str) -> Vec<Item> {
        let src = source();
        let feed = crate::parse::parse_feed(fixture, chrono::FixedOffset::east_opt(25200).unwrap(), 1000).unwrap();
        let cx = Context {
            source: &src,
            document_url: &src.url,
            document_title: feed.title.as_deref(),
            home: feed.home.as_deref(),
            authors: &feed.authors,
            now: "2022-08-06T00:00:00Z".parse().unwrap(),
            registry: &Registry::builtin(),
        };
        feed.items.into_iter().filter_map(|r| item(r, &cx)).collect()
    }

    #[test]
    fn identity_prefers_guid_then_canonical_link() {
        let items = items(include_str!("../../tests/fixtures/tinhuy-rss.xml"));
        assert_eq!(items[2].identity, Identity::Guid("25860".into()));
        assert_eq!(
            items[3].identity,
            Identity::Link(
                "https://bentre.dcs.vn/tin-hoat-dong/hoi-nghi-bao-cao-vien-tinh-uy-dinh-ky-thang-8-2022-25855.html"
                    .into()
            )
        );
        assert_eq!(
            items[2].link.as_deref(),
            Some("https://bentre.dcs.vn/tin-hoat-dong/uy-ban-kiem-tra-tinh-uy-to-chuc-ky-hop-thu-18-25860.html")
        );
        assert!(items[2]
            .summary
            .as_deref()
            .unwrap()
            .contains("https://bentre.dcs.vn/uploads/2022/08/04/ubkt-ky-hop-18.jpg"));
        assert!(!items[0].summary.as_deref().unwrap().contains("<script"));
    }

    #[test]
    fn titles_are_nfc_and_decoded() {
        let items = items(include_str!("../../tests/fixtures/ubnd-atom.xml"));
        assert_eq!(items[1].title, "Thường trực HĐND tỉnh giám sát công tác chuẩn bị năm học mới 2022 - 2023");
        assert_eq!(items[3].title, "Sở NN&PTNT triển khai kế hoạch phòng, chống hạn mặn mùa khô 2022 - 2023");
        assert_eq!(items[4].date().to_rfc3339(), "2022-08-01T03:20:00+00:00", "A5 falls back to updated");
    }

    #[test]
    fn document_titles_are_cleaned_as_item_titles() {
        let src = source();
        let rss = r#"<rss version="2.0"><channel><title>Caf&amp;eacute; &lt;b&gt;news&lt;/b&gt;</title>
            <item><title>x</title><link>https://a.vn/1</link></item></channel></rss>"#;
        let poll = crate::config::Config::parse("", "loa.toml").unwrap().poll;
        let doc = read_document(rss, &src.url, &src, &Registry::builtin(), &poll, Utc::now()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Café news"));
        assert_eq!(doc.items[0].source_title.as_deref(), Some("Café news"));
    }

    #[test]
    fn document_authors_are_shown_but_credit_nothing() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Sở Y tế</title><id>urn:x</id>
            <author><name>Sở Y tế</name><email>soyte@bentre.gov.vn</email></author>
            <entry><id>urn:x:1</id><title>Tiêm chủng mở rộng</title><link href="https://a.vn/1"/></entry>
            <entry><id>urn:x:2</id><title>Khám bệnh</title><link href="https://a.vn/2"/>
              <author><name>Ban Dân vận Tỉnh ủy</name></author></entry></feed>"#;
        let items = items(atom);
        assert_eq!(items[0].authors, ["Sở Y tế"]);
        assert_eq!((items[0].agency.as_str(), &items[0].evidence), ("tinh-uy", &Evidence::SourceDefault));
        assert_eq!(items[1].authors, ["Ban Dân vận Tỉnh ủy"]);
        assert_eq!(items[1].agency, "ban-dan-van-tinh-uy");
        let rss = r#"<rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://a.vn/1</link>
            <author>redazione@ilgiornale-web.it (Angela Leucci)</author></item></channel></rss>"#;
        assert_eq!(super::tests::items(rss)[0].authors, ["Angela Leucci"]);
    }

    #[test]
    fn future_dates_fall_back_to_first_seen() {
        let src = source();
        let registry = Registry::builtin();
        let cx = Context {
            source: &src,
            document_url: &src.url,
            document_title: None,
            home: None,
            authors: &[],
            now: "2022-08-06T00:00:00Z".parse().unwrap(),
            registry: &registry,
        };
        let raw = RawItem {
            title: Some("x".into()),
            published: Some("2030-01-01T00:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        let it = item(raw, &cx).unwrap();
        assert_eq!(it.published, None);
        assert_eq!(it.date(), cx.now);
    }

    #[test]
    fn published_links_drop_tracking_unless_the_source_keeps_it() {
        let rss = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>a</title><link>https://a.vn/tin/1.html?utm_source=rss&amp;utm_medium=feed</link></item>
            <item><title>b</title><link>https://a.vn/x.aspx?ItemID=7&amp;fbclid=F1&amp;zarsrc=30#top</link></item>
            </channel></rss>"#;
        let clean = items(rss);
        assert_eq!(clean[0].link.as_deref(), Some("https://a.vn/tin/1.html"));
        assert_eq!(clean[1].link.as_deref(), Some("https://a.vn/x.aspx?ItemID=7"));
        assert_eq!(clean[1].link, clean[1].canonical_url);
        let mut src = source();
        src.keep_tracking = true;
        let poll = crate::config::Config::parse("", "loa.toml").unwrap().poll;
        let doc = read_document(rss, &src.url, &src, &Registry::builtin(), &poll, Utc::now()).unwrap();
        assert_eq!(doc.items[0].link.as_deref(), Some("https://a.vn/tin/1.html?utm_source=rss&utm_medium=feed"));
        assert_eq!(doc.items[0].canonical_url.as_deref(), Some("https://a.vn/tin/1.html"));
    }

    fn undated_doc(rss: &str) -> Document {
        let src = source();
        let poll = crate::config::Config::parse("", "loa.toml").unwrap().poll;
        let now = "2026-12-04T08:00:00Z".parse().unwrap();
        read_document(rss, &src.url, &src, &Registry::builtin(), &poll, now).unwrap()
    }

    #[test]
    fn undated_items_of_an_old_document_stay_among_their_dated_neighbours() {
        let newest_first = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>top</title><link>https://a.vn/0</link></item>
            <item><title>a</title><link>https://a.vn/1</link><pubDate>Fri, 05 Aug 2022 10:00:00 +0700</pubDate></item>
            <item><title>b</title><link>https://a.vn/2</link><pubDate>Thu, 04 Aug 2022 10:00:00 +0700</pubDate></item>
            <item><title>mid</title><link>https://a.vn/3</link></item>
            <item><title>c</title><link>https://a.vn/4</link><pubDate>Mon, 01 Aug 2022 10:00:00 +0700</pubDate></item>
            </channel></rss>"#;
        let doc = undated_doc(newest_first);
        let date = |n: usize| doc.items[n].date().to_rfc3339();
        assert_eq!(date(0), "2022-08-05T02:59:59+00:00", "listed first: just before the newest dated item");
        assert_eq!(date(3), "2022-08-04T02:59:59+00:00", "just before the newer neighbour");
        assert!(doc.items[3].date() < doc.items[2].date() && doc.items[3].date() > doc.items[4].date());
        assert_eq!(doc.undated.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 3]);
        assert!(doc.undated[1].1.to_string().contains("2022-08-04T03:00:00Z"), "{}", doc.undated[1].1);

        // Oldest first (told by the dated items): the newer neighbour comes after.
        let oldest_first = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>c</title><link>https://a.vn/4</link><pubDate>Mon, 01 Aug 2022 10:00:00 +0700</pubDate></item>
            <item><title>mid</title><link>https://a.vn/3</link></item>
            <item><title>b</title><link>https://a.vn/2</link><pubDate>Thu, 04 Aug 2022 10:00:00 +0700</pubDate></item>
            </channel></rss>"#;
        assert_eq!(undated_doc(oldest_first).items[1].date().to_rfc3339(), "2022-08-04T02:59:59+00:00");

        // Nothing dated: the document's own lastBuildDate bounds them.
        let built = r#"<rss version="2.0"><channel><title>t</title>
            <lastBuildDate>Tue, 01 Jan 2019 08:00:00 +0700</lastBuildDate>
            <item><title>x</title><link>https://a.vn/9</link></item></channel></rss>"#;
        let doc = undated_doc(built);
        assert_eq!(doc.items[0].date().to_rfc3339(), "2019-01-01T01:00:00+00:00");
        assert!(doc.undated[0].1.to_string().contains("lastBuildDate"));

        // A current document leaves an undated item at its first-seen time.
        let fresh = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>x</title><link>https://a.vn/9</link></item></channel></rss>"#;
        let doc = undated_doc(fresh);
        assert_eq!(doc.items[0].date().to_rfc3339(), "2026-12-04T08:00:00+00:00");
        assert!(doc.undated.is_empty());
    }
}
