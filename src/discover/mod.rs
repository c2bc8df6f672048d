//! `loa discover`: from a portal's address to a ready `[[source]]`.
//!
//! Feeds first: the page itself, the feeds it links to, then the paths the
//! portal software of public bodies serves feeds at; every feed that answers with
//! items is listed. Otherwise the page's news listing (`listing`), and the first
//! entry's article (`article`, checked on the second). The source proposed is
//! then read through `loa inspect`'s path, the `read` stage a poll uses (with no
//! store), so the preview is what `loa fetch` will read.
//!
//! Reads only the page's own host, one request at a time and `host_spacing`
//! apart, under the fetcher's limits (timeout, body cap), and at most
//! `MAX_REQUESTS` of them besides the preview's. It writes no store; `append`
//! writes a config only once the result passes `loa check`'s validation.

mod article;
mod css;
mod feeds;
mod listing;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use scraper::{Html, Selector};
use serde::Serialize;
use url::Url;

use crate::agency::Registry;
use crate::config::{ArticleSelectors, Config, ConfigError, HtmlSelectors, Source, SourceKind};
use crate::fetch::{Fetched, Fetcher, Response};
use crate::inspect::ItemInfo;
pub use feeds::Origin;

/// Items of the preview kept and shown: enough to judge the selectors by.
const PREVIEW_ITEMS: usize = 20;

/// Requests one discovery may send, the preview's aside: the page, its feeds and
/// the well-known paths, and two articles.
const MAX_REQUESTS: usize = 24;

/// A feed that answered with items.
#[derive(Debug, Clone, Serialize)]
pub struct FeedFound {
    pub url: String,
    pub origin: Option<Origin>,
    pub title: Option<String>,
    pub items: usize,
    /// The newest item's date, UTC.
    pub newest: Option<String>,
}

/// What `loa discover` found for one address, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Discovery {
    pub url: String,
    /// A source was found.
    pub ok: bool,
    /// Why none was, when none was.
    pub error: Option<String>,
    /// The reasons behind `error`, and what was left out.
    pub why: Vec<String>,
    pub feeds: Vec<FeedFound>,
    #[serde(serialize_with = "source_json")]
    pub source: Option<Source>,
    /// The `[[source]]` block, as printed.
    pub block: Option<String>,
    /// Why the agency is the one proposed.
    pub agency_evidence: Option<String>,
    /// What the operator should know about the source proposed.
    pub notes: Vec<String>,
    /// The first items the source reads, through the daemon's reading code.
    pub preview: Vec<ItemInfo>,
    /// How many items it reads in all.
    pub items_read: usize,
    pub preview_error: Option<String>,
    /// Requests sent to the portal (the preview's aside).
    pub requests: usize,
    /// The config already has a source at the address proposed.
    pub duplicate: bool,
}

impl Discovery {
    fn new(url: &str) -> Discovery {
        Discovery {
            url: url.to_string(),
            ok: false,
            error: None,
            why: Vec::new(),
            feeds: Vec::new(),
            source: None,
            block: None,
            agency_evidence: None,
            notes: Vec::new(),
            preview: Vec::new(),
            items_read: 0,
            preview_error: None,
            requests: 0,
            duplicate: false,
        }
    }

    fn failed(mut self, error: impl Into<String>) -> Discovery {
        self.error = Some(error.into());
        self
    }
}

/// Discovers each address in turn; ids stay unique across them and `config`'s
/// sources.
pub async fn discover_all(urls: &[String], config: &Config) -> Vec<Discovery> {
    let mut taken: HashSet<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    let mut out = Vec::new();
    for url in urls {
        let d = discover(url, config, &taken).await;
        if let Some(s) = &d.source {
            taken.insert(s.id.clone());
        }
        out.push(d);
    }
    out
}

/// Discovers one address. `taken` holds the source ids already in use.
pub async fn discover(input: &str, config: &Config, taken: &HashSet<String>) -> Discovery {
    let d = Discovery::new(input);
    let url = match Url::parse(input.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
        _ => return d.failed(format!("{input} is not an http(s) address")),
    };
    let mut reader = match Reader::new(config, &url) {
        Ok(r) => r,
        Err(e) => return d.failed(e),
    };
    let mut d = find(d, &url, config, &mut reader, taken).await;
    d.requests = reader.requests;
    if let Some(existing) = d.source.as_ref().and_then(|s| config.sources.iter().find(|c| c.url == s.url)) {
        d.notes.push(format!("already in the config as source \"{}\": --append leaves it out", existing.id));
        d.duplicate = true;
    }
    if let Some(source) = d.source.clone() {
        d.block = Some(block(&source, d.agency_evidence.as_deref()));
        let report = crate::inspect::inspect(source.url.as_str(), config, Some(&source)).await;
        d.items_read = report.items.len();
        d.preview = report.items;
        d.preview.truncate(PREVIEW_ITEMS);
        d.preview_error = report.error;
        d.ok = d.preview_error.is_none() && !d.preview.is_empty();
        if d.preview.is_empty() && d.preview_error.is_none() {
            d.preview_error = Some("the source reads no items".into());
        }
    }
    d
}

/// The page, its feeds, else its listing and article.
async fn find(mut d: Discovery, url: &Url, config: &Config, reader: &mut Reader, taken: &HashSet<String>) -> Discovery {
    let tz = config.poll.timezone;
    let page = match reader.get(url).await {
        Ok(p) => p,
        Err(e) => return d.failed(format!("cannot read {url}: {e}")),
    };
    let page_url = page.url.clone();
    if let Some(feed) = off_thread({
        let text = page.text.clone();
        move || feed_summary(&text, tz)
    })
    .await
    .flatten()
    {
        d.feeds.push(FeedFound { url: page_url.to_string(), origin: None, ..feed });
        d.source = Some(proposed(&page_url, SourceKind::Feed, &feed_agency(&d.feeds[0]), config, taken, &mut d));
        return d;
    }
    let analysed = off_thread({
        let (text, page_url) = (page.text, page_url.clone());
        move || analyse(&text, &page_url, tz)
    })
    .await;
    let page_facts = match analysed {
        Some(Ok(p)) => p,
        Some(Err(e)) => return d.failed(format!("cannot read {page_url} as HTML: {e}")),
        None => return d.failed(format!("reading {page_url} took too long")),
    };
    for other in &page_facts.elsewhere {
        d.notes.push(format!("feed on another host, not read: {other}"));
    }
    probe_feeds(&mut d, reader, page_facts.feeds.clone(), tz).await;
    if d.feeds.is_empty() {
        probe_feeds(
            &mut d,
            reader,
            feeds::well_known(&page_url).into_iter().map(|u| (u, Origin::WellKnown)).collect(),
            tz,
        )
        .await;
    }
    if let Some(first) = d.feeds.first().cloned() {
        if d.feeds.len() > 1 {
            d.notes.push(format!(
                "{} feeds answer; the block is for the first, re-run with another's address",
                d.feeds.len()
            ));
        }
        let feed_url = Url::parse(&first.url).unwrap_or(page_url.clone());
        let mut names = page_facts.names.clone();
        names.insert(0, ("feed title".into(), first.title.clone().unwrap_or_default()));
        d.source = Some(proposed(&feed_url, SourceKind::Feed, &names, config, taken, &mut d));
        return d;
    }
    from_listing(d, &page_url, page_facts, config, reader, taken).await
}

/// A page with no feed: the source its news listing makes, with the selectors of
/// its articles when they read.
async fn from_listing(
    mut d: Discovery,
    page_url: &Url,
    page_facts: PageFacts,
    config: &Config,
    reader: &mut Reader,
    taken: &HashSet<String>,
) -> Discovery {
    let tz = config.poll.timezone;
    let found = match page_facts.listing {
        Ok(found) => found,
        Err(why) => {
            d.why = why;
            d.why.extend(page_facts.hints);
            return d.failed(format!("no feed, and no news listing on {page_url}"));
        }
    };
    let mut selectors = found.selectors.clone();
    d.notes.extend(found.notes.clone());
    d.notes.push(format!(
        "{} entries read by item \"{}\", {} of them dated",
        found.links.len(),
        selectors.item,
        found.dated
    ));
    selectors.article = read_articles(&mut d, reader, &found, tz).await;
    // Titles alone, leading to no article, are a box of links (a portal's
    // services, a search page's shortcuts), not news.
    if selectors.article.is_none() && found.dated == 0 && selectors.summary.is_none() {
        d.why.push(format!(
            "the block read by item \"{}\" shows neither dates nor summaries, and its first entry leads to no \
             article: it reads as a box of links",
            selectors.item
        ));
        return d.failed(format!("no feed, and no news listing on {page_url}"));
    }
    d.source = Some(proposed(page_url, SourceKind::Html(selectors), &page_facts.names, config, taken, &mut d));
    d
}

/// Reads each address that may be a feed; keeps those that answer with items.
async fn probe_feeds(d: &mut Discovery, reader: &mut Reader, mut queue: Vec<(Url, Origin)>, tz: FixedOffset) {
    let mut i = 0;
    let mut seen: HashSet<Url> = queue.iter().map(|(u, _)| u.clone()).collect();
    while i < queue.len() && reader.requests < MAX_REQUESTS - 2 {
        let (url, origin) = queue[i].clone();
        i += 1;
        let Ok(resp) = reader.get(&url).await else { continue };
        let resp_url = resp.url.clone();
        let text = resp.text;
        let result = off_thread(move || match feed_summary(&text, tz) {
            Some(f) => Ok(f),
            // A portal's `/rss` page lists its feeds.
            None => Err(crate::parse::html::parse_page(&text)
                .map(|doc| feeds::linked(&doc, &resp_url).0)
                .unwrap_or_default()),
        })
        .await;
        match result {
            Some(Ok(f)) if !d.feeds.iter().any(|g| g.url == url.as_str()) => {
                d.feeds.push(FeedFound { url: url.to_string(), origin: Some(origin), ..f })
            }
            Some(Err(listed)) if origin != Origin::Alternate => {
                for (u, _) in listed {
                    if seen.insert(u.clone()) {
                        queue.push((u, Origin::Anchor));
                    }
                }
            }
            _ => {}
        }
    }
}

/// A feed's title, item count and newest date, when the text is a feed with items.
/// Entries past the cap's default are counted, not read.
fn feed_summary(text: &str, tz: FixedOffset) -> Option<FeedFound> {
    const READ: usize = 1000;
    let feed = std::panic::catch_unwind(|| crate::parse::parse_feed(text, tz, READ)).ok()?.ok()?;
    if feed.items.is_empty() {
        return None;
    }
    let newest = feed.items.iter().filter_map(|i| i.published.or(i.updated)).max();
    Some(FeedFound {
        url: String::new(),
        origin: None,
        title: feed.title.clone(),
        items: feed.items.len() + feed.truncated,
        newest: newest.map(utc),
    })
}

fn feed_agency(f: &FeedFound) -> Vec<(String, String)> {
    vec![("feed title".into(), f.title.clone().unwrap_or_default())]
}

/// The first entry's article gives the selectors; the second must read with them
/// too, or what does not hold is left out.
async fn read_articles(
    d: &mut Discovery,
    reader: &mut Reader,
    found: &listing::Found,
    tz: FixedOffset,
) -> Option<ArticleSelectors> {
    let first = found.links.first()?;
    let title = found.titles.first().cloned().unwrap_or_default();
    let page = match reader.get(first).await {
        Ok(p) => p,
        Err(e) => {
            d.notes.push(format!("no article selectors: the first entry's page {first} cannot be read: {e}"));
            return None;
        }
    };
    let text = page.text;
    let result = off_thread(move || {
        let doc = crate::parse::html::parse_page(&text).map_err(|e| e.to_string())?;
        let found = article::find(&doc, &title, tz)?;
        let date = article::holds_on(&doc, &found.selectors, tz).2;
        Ok::<_, String>((found, date))
    })
    .await;
    let (mut found_article, first_date) = match result {
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            d.notes.push(format!("no article selectors ({first}): {e}; items carry the listing's summary"));
            return None;
        }
        None => return None,
    };
    d.notes.append(&mut found_article.notes);
    let mut sel = found_article.selectors;
    disagreeing_date(d, &mut sel, found, 0, first_date, tz);
    if let Some(second) = found.links.get(1) {
        if let Ok(page) = reader.get(second).await {
            let (text, check) = (page.text, sel.clone());
            let held = off_thread(move || {
                crate::parse::html::parse_page(&text).map(|doc| article::holds_on(&doc, &check, tz)).unwrap_or_default()
            })
            .await
            .unwrap_or_default();
            disagreeing_date(d, &mut sel, found, 1, held.2, tz);
            match held {
                (false, ..) => {
                    d.notes.push(format!(
                        "the content selector \"{}\" found on {first} reads nothing on {second}: article selectors left out",
                        sel.content
                    ));
                    return None;
                }
                (true, false, _) if sel.date.is_some() => {
                    d.notes.push(format!("the article date selector does not read {second}: left out"));
                    sel.date = None;
                }
                _ => {}
            }
        }
    }
    d.notes.push(format!(
        "article text read by \"{}\" ({} characters on {first})",
        sel.content, found_article.content_chars
    ));
    Some(sel)
}

/// Leaves out an article date selector that reads, on the article of entry `i`,
/// another day than the listing shows for it: a side box's date, or the
/// header's "today", would date every item wrongly.
fn disagreeing_date(
    d: &mut Discovery,
    sel: &mut ArticleSelectors,
    found: &listing::Found,
    i: usize,
    read: Option<DateTime<Utc>>,
    tz: FixedOffset,
) {
    let (Some(css_text), Some(read), Some(Some(listed))) = (&sel.date, read, found.dates.get(i)) else { return };
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    if day(read) != day(*listed) {
        d.notes.push(format!(
            "the article date selector \"{css_text}\" reads {} on {} where the listing shows {}: left out, items \
             take the listing's date",
            day(read),
            found.links[i],
            day(*listed)
        ));
        sel.date = None;
    }
}

/// What one parse of the page tells.
struct PageFacts {
    feeds: Vec<(Url, Origin)>,
    elsewhere: Vec<Url>,
    listing: Result<listing::Found, Vec<String>>,
    /// Names the page gives itself, for the agency: (where, text).
    names: Vec<(String, String)>,
    /// Why a page without a listing may be what it is.
    hints: Vec<String>,
}

fn analyse(text: &str, page: &Url, tz: FixedOffset) -> Result<PageFacts, String> {
    let doc = crate::parse::html::parse_page(text).map_err(|e| e.to_string())?;
    let (feeds, elsewhere) = feeds::linked(&doc, page);
    let listing = listing::find(&doc, page, tz);
    let mut hints = Vec::new();
    if listing.is_err() {
        let password = Selector::parse("input[type=password]").expect("a valid selector");
        if doc.select(&password).next().is_some() {
            hints.push("the page asks for a password: loa reads public pages only".into());
        }
        if let Ok(a) = article::find(&doc, "", tz) {
            hints.push(format!(
                "the page reads as one article ({} characters in \"{}\"): give the address of the listing that links to it",
                a.content_chars, a.selectors.content
            ));
        }
    }
    Ok(PageFacts { feeds, elsewhere, listing, names: names(&doc), hints })
}

/// The names a page gives its site: `og:site_name`, the `<title>`'s parts (the
/// site's usually last), a logo's or banner's text.
fn names(doc: &Html) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let first = |css_text: &str, attr: Option<&str>| {
        let sel = Selector::parse(css_text).expect("a valid selector");
        doc.select(&sel).find_map(|el| match attr {
            Some(a) => el.attr(a).map(str::to_string),
            None => Some(crate::parse::html::element_text(el)),
        })
    };
    if let Some(s) = first("meta[property='og:site_name']", Some("content")) {
        out.push(("site name".into(), s));
    }
    if let Some(t) = first("title", None) {
        out.push(("page title".into(), t));
    }
    // The site's logo: in its header or banner, or the picture that links home.
    for css_text in [
        "header img[alt]",
        "#header img[alt]",
        "[class*=logo] img[alt]",
        "[class*=banner] img[alt]",
        "[class*=header] img[alt]",
        "a[href='/'] img[alt]",
    ] {
        if let Some(alt) =
            first(css_text, Some("alt")).filter(|alt| !alt.trim().is_empty() && !out.iter().any(|(_, t)| t == alt))
        {
            out.push(("banner".into(), alt));
        }
    }
    out
}

/// The agency the names denote: a registry name or alias for a whole part of a
/// name, else one that opens a part ("Ban Dân vận Tỉnh ủy Bến Tre"). The body is
/// taken as named, not as what it later became: the site is that body's.
fn guess_agency(names: &[(String, String)], registry: &Registry) -> Option<(String, String)> {
    // The registry's names as written at any date, before any merger.
    let as_named = DateTime::<Utc>::MIN_UTC;
    for (what, text) in names {
        let segments: Vec<&str> = text
            .split(" - ")
            .flat_map(|s| s.split(" | "))
            .flat_map(|s| s.split(" – "))
            .flat_map(|s| s.split(" :: "))
            .collect();
        // "Cổng thông tin điện tử UBND tỉnh Bến Tre": the body follows the kind of site.
        let bodies = segments.iter().rev().map(|s| s.trim()).flat_map(|s| [s, without_site_kind(s)]);
        for seg in bodies.filter(|s| !s.is_empty()) {
            let found = match registry.find(seg) {
                Some(a) => Some((a, a.name.clone())),
                None => registry.title_prefix(seg, as_named).map(|m| (m.agency, m.matched)),
            };
            if let Some((a, matched)) = found {
                let mut evidence = format!("{what} \"{text}\" names \"{matched}\"");
                if let Some(until) = &a.until {
                    evidence
                        .push_str(&format!("; that body ended in {until}, succeeded by {}", a.successors.join(", ")));
                }
                return Some((a.slug.clone(), evidence));
            }
        }
    }
    None
}

/// The words that name the kind of site before the body's name in a portal's
/// title, as slugs.
const SITE_KINDS: &[&str] = &[
    "cong-thong-tin-dien-tu",
    "trang-thong-tin-dien-tu",
    "cong-thong-tin",
    "trang-thong-tin",
    "cong-ttdt",
    "trang-ttdt",
    "website",
];

/// A name less a leading kind of site ("Cổng thông tin điện tử", "Trang TTĐT"),
/// or the empty string when it has none.
fn without_site_kind(name: &str) -> &str {
    let words: Vec<&str> = name.split_whitespace().collect();
    for kind in SITE_KINDS {
        let n = kind.split('-').count();
        if words.len() >= n && crate::util::slug::slug(&words[..n].join(" ")) == *kind {
            if words.len() == n {
                return "";
            }
            // The name's own text after the n-th word.
            let mut rest = name.trim_start();
            for w in &words[..n] {
                rest = rest.trim_start()[w.len()..].trim_start();
            }
            return rest;
        }
    }
    ""
}

/// The source proposed for `url`: its id from the host, its agency from the
/// names the page gives itself.
fn proposed(
    url: &Url,
    kind: SourceKind,
    names: &[(String, String)],
    config: &Config,
    taken: &HashSet<String>,
    d: &mut Discovery,
) -> Source {
    let agency = match guess_agency(names, &config.agencies) {
        Some((slug, evidence)) => {
            d.agency_evidence = Some(evidence);
            slug
        }
        None => {
            let said: Vec<String> = names.iter().map(|(w, t)| format!("{w} \"{t}\"")).collect();
            d.notes.push(format!(
                "no agency of the registry is named by {}: set `agency` to a registry slug (or add an [[agency]])",
                if said.is_empty() { "the page".to_string() } else { said.join(", ") }
            ));
            String::new()
        }
    };
    Source {
        id: source_id(url, taken),
        url: url.clone(),
        auth: None,
        kind,
        agency,
        interval: config.poll.interval,
        keep_tracking: false,
    }
}

/// An id from the host (`danvan.bentre.dcs.vn` → `danvan-bentre`), made unique
/// with the page's last path part, then a number.
fn source_id(url: &Url, taken: &HashSet<String>) -> String {
    const GENERIC: &[&str] = &["vn", "com", "net", "org", "gov", "edu", "info", "dcs", "www"];
    let host = url.host_str().unwrap_or("source");
    let mut labels: Vec<&str> = host.split('.').collect();
    while labels.len() > 1 && labels.last().is_some_and(|l| GENERIC.contains(l)) {
        labels.pop();
    }
    if labels.len() > 1 && labels[0] == "www" {
        labels.remove(0);
    }
    let base = crate::util::slug::slug(&labels.join("-"));
    let base = if base.is_empty() { "source".to_string() } else { base };
    let last = url.path_segments().and_then(|mut s| s.rfind(|p| !p.is_empty())).unwrap_or_default();
    let last = crate::util::slug::slug(last.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(last));
    let with_path: String =
        format!("{base}-{last}").chars().take(48).collect::<String>().trim_end_matches('-').to_string();
    let mut candidates = vec![base.clone()];
    if !last.is_empty() {
        candidates.push(with_path.clone());
    }
    if let Some(free) = candidates.into_iter().find(|c| !taken.contains(c)) {
        return free;
    }
    (2..).map(|n| format!("{with_path}-{n}")).find(|c| !taken.contains(c)).unwrap_or(base)
}

/// The `[[source]]` block of a source, as TOML.
pub fn block(source: &Source, evidence: Option<&str>) -> String {
    let q = |s: &str| toml_edit::Value::from(s).to_string();
    let mut out = String::from("[[source]]\n");
    out.push_str(&format!("id = {}\n", q(&source.id)));
    out.push_str(&format!("url = {}\n", q(source.url.as_str())));
    let agency_line = match evidence {
        Some(e) => format!("agency = {}  # {}\n", q(&source.agency), e.replace('\n', " ")),
        None => format!("agency = {}  # set a registry slug\n", q(&source.agency)),
    };
    match &source.kind {
        SourceKind::Feed => {
            out.push_str("kind = \"feed\"\n");
            out.push_str(&agency_line);
        }
        SourceKind::Html(h) => {
            out.push_str("kind = \"html\"\n");
            out.push_str(&agency_line);
            out.push_str("[source.html]\n");
            out.push_str(&format!("item = {}\nlink = {}\ntitle = {}\n", q(&h.item), q(&h.link), q(&h.title)));
            for (key, v) in [("date", &h.date), ("summary", &h.summary)] {
                if let Some(v) = v {
                    out.push_str(&format!("{key} = {}\n", q(v)));
                }
            }
            if let Some(a) = &h.article {
                out.push_str("[source.html.article]\n");
                out.push_str(&format!("content = {}\n", q(&a.content)));
                for (key, v) in [("date", &a.date), ("byline", &a.byline)] {
                    if let Some(v) = v {
                        out.push_str(&format!("{key} = {}\n", q(v)));
                    }
                }
            }
        }
    }
    out
}

/// The report for one address as text: everything but the block is a TOML
/// comment, so the whole output can be pasted into a config.
pub fn render_text(d: &Discovery) -> String {
    let mut out = String::new();
    let mut say = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    match (&d.error, &d.source) {
        (Some(e), _) => say(format!("# {}: {e}", d.url)),
        (None, Some(s)) => {
            let kind = if matches!(s.kind, SourceKind::Feed) { "a feed" } else { "an HTML listing" };
            say(format!("# {}: {kind} ({} requests)", d.url, d.requests));
        }
        (None, None) => say(format!("# {}: nothing found", d.url)),
    }
    for w in &d.why {
        say(format!("#   - {w}"));
    }
    for f in &d.feeds {
        say(format!(
            "#   feed {} ({}): \"{}\", {} items, newest {}",
            f.url,
            f.origin.map(|o| o.to_string()).unwrap_or_else(|| "the address itself".into()),
            f.title.as_deref().unwrap_or(""),
            f.items,
            f.newest.as_deref().unwrap_or("undated")
        ));
    }
    for n in &d.notes {
        say(format!("#   {n}"));
    }
    if let Some(b) = &d.block {
        say(b.trim_end().to_string());
    }
    if d.source.is_some() {
        match &d.preview_error {
            Some(e) => say(format!("# preview: {e}")),
            None if d.items_read > d.preview.len() => say(format!(
                "# preview, as `loa fetch` reads it: {} items, the first {} shown",
                d.items_read,
                d.preview.len()
            )),
            None => say(format!("# preview, as `loa fetch` reads it: {} items", d.items_read)),
        }
        for item in &d.preview {
            say(format!("#   {}  {}", item.published.as_deref().unwrap_or("(no date)                "), item.title));
            say(format!(
                "#       {}  agency {} ({})",
                item.link.as_deref().unwrap_or("(no link)"),
                if item.agency.is_empty() { "(none)" } else { &item.agency },
                item.evidence
            ));
        }
    }
    out
}

/// Appends the blocks to the config at `path`, once the whole config passes
/// validation; a config that would not is left untouched and the errors say why.
pub fn append(path: &Path, blocks: &[&str]) -> Result<(), ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let mut new = text.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    for b in blocks {
        new.push('\n');
        new.push_str(b);
    }
    Config::parse(&new, &path.display().to_string())?;
    crate::util::atomic::write_bytes(path, new.as_bytes(), |_, source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The same-host reader: one request at a time, `host_spacing` apart, at most
/// `MAX_REQUESTS`.
struct Reader {
    fetcher: Fetcher,
    /// The address discovery starts from: its reach is the operator's choice.
    start: Url,
    reach: Option<crate::fetch::Reach>,
    host: String,
    spacing: Duration,
    last: Option<Instant>,
    requests: usize,
}

impl Reader {
    fn new(config: &Config, url: &Url) -> Result<Reader, String> {
        Ok(Reader {
            fetcher: Fetcher::new(&config.poll).map_err(|e| e.to_string())?,
            start: url.clone(),
            reach: None,
            host: url.host_str().unwrap_or_default().to_string(),
            spacing: config.poll.host_spacing,
            last: None,
            requests: 0,
        })
    }

    async fn get(&mut self, url: &Url) -> Result<Box<Response>, String> {
        // One site as `listing::site_link` and the fetcher's reach judge it: `www.`
        // or not, so the links discovery finds are the links it may read.
        if !url.host_str().is_some_and(|h| crate::fetch::same_site(h, &self.host)) {
            return Err(format!("{url} is on another host: not read"));
        }
        if self.requests >= MAX_REQUESTS {
            return Err(format!("not read: {MAX_REQUESTS} requests already sent to {}", self.host));
        }
        if let Some(last) = self.last {
            tokio::time::sleep_until((last + self.spacing).into()).await;
        }
        self.requests += 1;
        let reach = match self.reach.take() {
            Some(r) => r,
            None => self.fetcher.reach(&self.start, None).await.map_err(|e| e.to_string())?.on_host_of(&self.start),
        };
        let result = self.fetcher.get(url, None, &reach).await;
        self.reach = Some(reach);
        self.last = Some(Instant::now());
        match result {
            Ok(Fetched::Body(resp)) if resp.url.host_str().is_some_and(|h| crate::fetch::same_site(h, &self.host)) => {
                Ok(resp)
            }
            Ok(Fetched::Body(resp)) => Err(format!("redirected to another host ({}): not read", resp.url)),
            Ok(Fetched::NotModified { .. }) => Err("HTTP 304 to an unconditional request".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Runs parsing work as the read stage does, off the workers under its parse
/// limit; `None` when it fails or takes too long.
async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    crate::read::off_workers(work).await.ok()
}

fn utc(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A source as JSON: what the block says, as data.
fn source_json<S: serde::Serializer>(source: &Option<Source>, s: S) -> Result<S::Ok, S::Error> {
    let Some(src) = source else { return s.serialize_none() };
    let html = |h: &HtmlSelectors| {
        serde_json::json!({
            "item": h.item, "link": h.link, "title": h.title, "date": h.date, "summary": h.summary,
            "article": h.article.as_ref().map(|a| serde_json::json!({"content": a.content, "date": a.date, "byline": a.byline})),
        })
    };
    let (kind, selectors) = match &src.kind {
        SourceKind::Feed => ("feed", None),
        SourceKind::Html(h) => ("html", Some(html(h))),
    };
    serde_json::json!({"id": src.id, "url": src.url.as_str(), "kind": kind, "agency": src.agency, "html": selectors})
        .serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_of_site_before_the_body_s_name_is_left_out() {
        assert_eq!(without_site_kind("Cổng thông tin điện tử UBND tỉnh Bến Tre"), "UBND tỉnh Bến Tre");
        assert_eq!(without_site_kind("TRANG THÔNG TIN ĐIỆN TỬ Sở Y tế"), "Sở Y tế");
        assert_eq!(without_site_kind("Cổng TTĐT  Sở Tư pháp"), "Sở Tư pháp");
        assert_eq!(without_site_kind("Sở Tư pháp tỉnh Bến Tre"), "");
        assert_eq!(without_site_kind("Cổng thông tin điện tử"), "");
    }

    #[test]
    fn ids_come_from_the_host_and_stay_unique() {
        let u = |s: &str| Url::parse(s).unwrap();
        let mut taken = HashSet::new();
        assert_eq!(source_id(&u("https://danvan.bentre.dcs.vn/tin-hoat-dong"), &taken), "danvan-bentre");
        assert_eq!(source_id(&u("https://www.bentre.gov.vn/"), &taken), "bentre");
        taken.insert("danvan-bentre".to_string());
        assert_eq!(source_id(&u("https://danvan.bentre.dcs.vn/tin-hoat-dong"), &taken), "danvan-bentre-tin-hoat-dong");
        taken.insert("danvan-bentre-tin-hoat-dong".to_string());
        assert_eq!(
            source_id(&u("https://danvan.bentre.dcs.vn/tin-hoat-dong"), &taken),
            "danvan-bentre-tin-hoat-dong-2"
        );
    }

    #[test]
    fn a_block_reads_back_as_the_same_source() {
        let source = Source {
            id: "danvan".into(),
            url: Url::parse("https://danvan.bentre.dcs.vn/tin-hoat-dong").unwrap(),
            auth: None,
            kind: SourceKind::Html(HtmlSelectors {
                item: "table.gridview tr.RowStyle, table.gridview tr.AlternatingRowStyle".into(),
                link: "a[href=\"x\"]".into(),
                title: "h3 a".into(),
                date: Some("td:nth-of-type(3)".into()),
                summary: None,
                article: Some(ArticleSelectors {
                    content: "div.news-content".into(),
                    date: None,
                    byline: Some("div.author".into()),
                }),
            }),
            agency: "ban-dan-van-tinh-uy".into(),
            interval: Duration::from_secs(900),
            keep_tracking: false,
        };
        let text = block(&source, Some("page title \"Tin - Ban Dân vận\" names \"Ban Dân vận Tỉnh ủy\""));
        let config = Config::parse(&text, "block.toml").unwrap();
        assert_eq!(config.sources[0], source);
    }

    #[test]
    fn agencies_from_the_names_a_page_gives_itself() {
        let reg = Registry::builtin();
        let names = vec![("page title".to_string(), "Tin hoạt động - Ban Dân vận Tỉnh ủy Bến Tre".to_string())];
        let (slug, evidence) = guess_agency(&names, &reg).unwrap();
        assert_eq!(slug, "ban-dan-van-tinh-uy", "as named, though it merged in 2025");
        assert!(evidence.contains("names \"Ban Dân vận Tỉnh ủy\"; that body ended in 2025-03"), "{evidence}");
        let named = vec![("site name".to_string(), "Sở Tư pháp".to_string())];
        assert_eq!(guess_agency(&named, &reg).unwrap().0, "so-tu-phap");
        assert!(guess_agency(&[("page title".into(), "Trang chủ".into())], &reg).is_none());
    }
}
