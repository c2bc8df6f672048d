//! `loa inspect`: parse documents without storing anything and show the normalized
//! items with the reasons behind them (identity, agency evidence).
//!
//! The tool an operator reaches for when a source looks wrong, so it must never
//! panic and never write: every input ends as a result, good or bad.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use url::Url;

use crate::config::{Config, Source, SourceKind};
use crate::fetch::{charset, Fetched, Fetcher};
use crate::model::Item;
use crate::normalize::{self, UndatedBound};
use crate::read::Reader;

/// The result for one input, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub file: String,
    pub ok: bool,
    pub error: Option<String>,
    pub feed: Option<FeedInfo>,
    pub items: Vec<ItemInfo>,
    /// The bodies that items were credited to and the registry does not know.
    pub unknown_bodies: Vec<UnknownBody>,
}

/// A body the registry does not know, as bylines named it, with the known agency
/// nearest to it: an operator adds the name to that agency's `aliases` if it is the
/// same body, or leaves it to its own feed.
#[derive(Debug, Serialize)]
pub struct UnknownBody {
    pub slug: String,
    pub name: String,
    pub items: usize,
    pub nearest: Option<Nearest>,
}

#[derive(Debug, Serialize)]
pub struct Nearest {
    pub slug: String,
    pub name: String,
}

/// The unknown bodies that `items` were credited to, most items first.
fn unknown_bodies(items: &[Item], config: &Config) -> Vec<UnknownBody> {
    let mut out: Vec<UnknownBody> = Vec::new();
    for item in items.iter().filter(|i| !i.agency.is_empty() && !config.agencies.contains(&i.agency)) {
        match out.iter_mut().find(|u| u.slug == item.agency) {
            Some(u) => u.items += 1,
            None => out.push(UnknownBody {
                slug: item.agency.clone(),
                name: item.agency_name.clone(),
                items: 1,
                nearest: config
                    .agencies
                    .nearest(&item.agency_name)
                    .map(|a| Nearest { slug: a.slug.clone(), name: a.name.clone() }),
            }),
        }
    }
    out.sort_by(|a, b| b.items.cmp(&a.items).then_with(|| a.slug.cmp(&b.slug)));
    out
}

#[derive(Debug, Serialize)]
pub struct FeedInfo {
    pub title: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ItemInfo {
    pub title: String,
    pub link: Option<String>,
    pub canonical_url: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    /// The date readers see.
    pub date: String,
    /// Where `date` comes from: "published", "updated", "first seen", or how the
    /// document bounded an undated item.
    pub date_evidence: String,
    pub agency: String,
    pub agency_name: String,
    pub evidence: String,
    pub identity: String,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
}

impl ItemInfo {
    fn of(item: &Item, undated: Option<&UndatedBound>) -> ItemInfo {
        let date = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true));
        let date_evidence = match (item.published, item.updated, undated) {
            (Some(_), _, _) => "published".to_string(),
            (None, Some(_), _) => "updated".to_string(),
            (None, None, Some(bound)) => bound.to_string(),
            (None, None, None) => "first seen (undated)".to_string(),
        };
        ItemInfo {
            title: item.title.clone(),
            link: item.link.clone(),
            canonical_url: item.canonical_url.clone(),
            published: date(item.published),
            updated: date(item.updated),
            date: date(Some(item.date())).unwrap_or_default(),
            date_evidence,
            agency: item.agency.clone(),
            agency_name: item.agency_name.clone(),
            evidence: item.evidence.to_string(),
            identity: item.identity.key(),
            authors: item.authors.clone(),
            categories: item.categories.clone(),
        }
    }
}

/// Inspects one file or URL. `source` gives the default agency and the URL that
/// relative links resolve against, as when the daemon polls it.
pub async fn inspect(input: &str, config: &Config, source: Option<&Source>) -> Report {
    // A URL's credentials are used for the request, and shown nowhere.
    let shown = match Url::parse(input) {
        Ok(u) if u.has_host() => crate::config::without_userinfo(u).to_string(),
        _ => input.to_string(),
    };
    let mut report =
        Report { file: shown, ok: false, error: None, feed: None, items: Vec::new(), unknown_bodies: Vec::new() };
    let (text, url) = match load(input, config, source).await {
        Ok(v) => v,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let outcome = match source {
        // As the daemon reads this source: an HTML listing follows its articles.
        Some(source) => read_as_source(config, source, text, url).await,
        None => {
            let anonymous = Source {
                id: "inspect".into(),
                url: url.clone(),
                auth: None,
                kind: SourceKind::Feed,
                agency: String::new(),
                interval: config.poll.interval,
                keep_tracking: false,
            };
            catch_unwind(AssertUnwindSafe(|| {
                normalize::read_document(&text, &url, &anonymous, &config.agencies, &config.poll, Utc::now())
                    .map_err(|e| e.to_string())
            }))
            .unwrap_or_else(|_| Err("loa crashed on this input (a bug: please report it with the file)".into()))
        }
    };
    match outcome {
        Ok(doc) => {
            report.ok = true;
            report.feed = Some(FeedInfo { title: doc.title });
            let undated = |n: usize| doc.undated.iter().find(|(i, _)| *i == n).map(|(_, b)| b);
            report.items = doc.items.iter().enumerate().map(|(n, item)| ItemInfo::of(item, undated(n))).collect();
            report.unknown_bodies = unknown_bodies(&doc.items, config);
        }
        Err(e) => report.error = Some(e),
    }
    report
}

/// Reads a document with the reading stage a poll uses, knowing nothing stored:
/// no store is opened, so nothing of it is read or written.
async fn read_as_source(
    config: &Config,
    source: &Source,
    text: String,
    url: Url,
) -> Result<normalize::Document, String> {
    let fetcher = Fetcher::new(&config.poll).map_err(|e| e.to_string())?;
    let reader = Reader { config: Arc::new(config.clone()), fetcher: &fetcher, limits: None };
    reader.read(source, text, url, Utc::now(), &|_| None).await.map_err(|e| e.to_string())
}

/// The document's text and the URL it is read at: a file read for a configured
/// source is read at the source's URL, so its relative links resolve as in a poll.
async fn load(input: &str, config: &Config, source: Option<&Source>) -> Result<(String, Url), String> {
    if input.starts_with("http://") || input.starts_with("https://") {
        let mut url = Url::parse(input).map_err(|e| format!("not a URL: {e}"))?;
        // Credentials written into the URL, else the source's own for a URL on its origin.
        let auth = crate::config::take_credentials(&mut url)
            .or_else(|| source.filter(|s| s.url.origin() == url.origin()).and_then(|s| s.auth.clone()));
        let fetcher = Fetcher::new(&config.poll).map_err(|e| e.to_string())?;
        let reach = fetcher.reach(&url, auth.as_ref()).await.map_err(|e| e.to_string())?;
        return match fetcher.get(&url, None, &reach).await {
            Ok(Fetched::Body(resp)) => Ok((resp.text, resp.url)),
            Ok(Fetched::NotModified { .. }) => Err("HTTP 304 to an unconditional request".into()),
            Err(e) => Err(e.to_string()),
        };
    }
    let path = Path::new(input);
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {input}: {e}"))?;
    let text = charset::to_utf8(&bytes, None).map_err(|e| e.to_string())?.text;
    if let Some(source) = source {
        return Ok((text, source.url.clone()));
    }
    let abs = std::path::absolute(path).map_err(|e| format!("cannot resolve {input}: {e}"))?;
    let url = Url::from_file_path(&abs).map_err(|_| format!("cannot make a URL of {}", abs.display()))?;
    Ok((text, url))
}

/// The human-readable form of a report.
pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    match (&r.error, &r.feed) {
        (Some(e), _) => out.push_str(&format!("{}: error: {e}\n", r.file)),
        (None, feed) => {
            let title = feed.as_ref().and_then(|f| f.title.as_deref()).unwrap_or("(untitled)");
            out.push_str(&format!("{}: {title} — {} items\n", r.file, r.items.len()));
        }
    }
    for (n, i) in r.items.iter().enumerate() {
        out.push_str(&format!("{:>3}. {}\n", n + 1, i.title));
        let row = |label: &str, v: &str| format!("     {label:<10} {v}\n");
        out.push_str(&row("link", i.link.as_deref().unwrap_or("-")));
        out.push_str(&row("canonical", i.canonical_url.as_deref().unwrap_or("-")));
        out.push_str(&row("date", &format!("{} ({})", i.date, i.date_evidence)));
        let agency = if i.agency.is_empty() {
            "- (no byline, author or title names one)".to_string()
        } else {
            format!("{} ({}) by {}", i.agency, i.agency_name, i.evidence)
        };
        out.push_str(&row("agency", &agency));
        out.push_str(&row("identity", &i.identity));
    }
    if !r.unknown_bodies.is_empty() {
        out.push_str(
            "bodies the registry does not know (each has its own feed; if one is a known agency, add it to \
                      that [[agency]]'s aliases):\n",
        );
    }
    for u in &r.unknown_bodies {
        let nearest = match &u.nearest {
            Some(n) => format!(", nearest {} (\"{}\"): aliases = [\"{}\"]", n.slug, n.name, u.name),
            None => String::new(),
        };
        out.push_str(&format!("  {:>3} × {} \"{}\"{nearest}\n", u.items, u.slug, u.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Config {
        Config::parse("", "<defaults>").unwrap()
    }

    #[tokio::test]
    async fn inspects_a_fixture_with_evidence() {
        let r = inspect("tests/fixtures/tinhuy-rss.xml", &defaults(), None).await;
        assert!(r.ok, "{:?}", r.error);
        assert_eq!(r.items.len(), 8);
        assert_eq!(r.items[0].agency, "ban-dan-van-tinh-uy");
        assert!(r.items[0].evidence.contains("author byline"), "{}", r.items[0].evidence);
        assert_eq!(r.items[7].agency, "huyen-uy-giong-trom");
        let text = render_text(&r);
        assert!(text.contains("identity   g:https://bentre.dcs.vn/"), "{text}");
        assert_eq!(r.unknown_bodies.len(), 1);
        assert_eq!((r.unknown_bodies[0].slug.as_str(), r.unknown_bodies[0].items), ("huyen-uy-giong-trom", 1));
        assert!(
            text.contains(
                "1 × huyen-uy-giong-trom \"Huyện ủy Giồng Trôm\", nearest tinh-uy (\"Tỉnh ủy\"): aliases = [\"Huyện ủy Giồng Trôm\"]"
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn bad_inputs_are_results_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let nasty: &[&[u8]] = &[
            b"",
            b"\xff\xfe<\x00r\x00s\x00s\x00",
            b"<rss version=\"2.0\"><channel><item><title>&lol;",
            b"{\"version\":1",
            b"\x00\x00\x00",
        ];
        for (n, bytes) in nasty.iter().enumerate() {
            let p = dir.path().join(format!("{n}.xml"));
            std::fs::write(&p, bytes).unwrap();
            let r = inspect(p.to_str().unwrap(), &defaults(), None).await;
            assert!(r.ok || r.error.is_some());
        }
        let missing = inspect("/nonexistent/feed.xml", &defaults(), None).await;
        assert!(!missing.ok);
        assert!(missing.error.unwrap().contains("cannot read /nonexistent/feed.xml"));
        for f in std::fs::read_dir("tests/fixtures/broken").unwrap() {
            let p = f.unwrap().path();
            let r = inspect(p.to_str().unwrap(), &defaults(), None).await;
            assert!(r.ok || r.error.is_some(), "{}", p.display());
        }
    }
}
