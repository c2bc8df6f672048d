//! Reading a source: its fetched document → normalized `Item`s. Feeds go through
//! `parse` and `normalize`; an HTML listing is read through its selectors, each
//! entry completed from its article page (fetched within the source's reach, on the
//! listing's host, under the per-host limits when the caller shares them).
//!
//! Owns the parse time limit and the listing-entry digest that says when an
//! article must be read again. Needs no store and no engine: what the caller
//! already holds (the daemon: the stored items) comes in as a `Known` lookup, so
//! `loa inspect` and `loa discover` read exactly as a poll does. Never writes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tracing::warn;
use url::Url;

use crate::config::{ArticleSelectors, Config, HtmlSelectors, Source, SourceKind};
use crate::fetch::{FetchError, Fetched, Fetcher, Reach};
use crate::model::{Identity, Item};
use crate::parse::ParseError;
use crate::schedule::Limits;
use crate::{fetch, normalize, parse, util};

/// The item the caller already holds under an item key (`Item::key_for`), if any:
/// an HTML entry whose stored item was read from the same listing entry is kept
/// as it is, and its article not fetched again. `&|_| None` reads everything.
pub type Known<'a> = dyn Fn(&str) -> Option<Item> + Sync + 'a;

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("parsing took longer than {PARSE_LIMIT:?}; the document was abandoned")]
    Timeout,
    #[error("{0}")]
    Internal(String),
}

impl ReadError {
    /// The error kind a source's health and the metrics record.
    pub fn kind(&self) -> &'static str {
        match self {
            ReadError::Fetch(e) => e.kind(),
            ReadError::Parse(e) => e.kind(),
            ReadError::Timeout => "parse_timeout",
            ReadError::Internal(_) => "internal",
        }
    }
}

/// What reading needs: the config in force, the HTTP client for articles, and the
/// per-host limits article fetches share with polls (none for a one-off read).
pub struct Reader<'a> {
    pub config: Arc<Config>,
    pub fetcher: &'a Fetcher,
    pub limits: Option<&'a Limits>,
}

impl Reader<'_> {
    /// Reads a fetched document of a source into items, as a poll does, without
    /// storing them: feeds through feed-rs, HTML listings through their selectors
    /// (fetching articles).
    pub async fn read(
        &self,
        source: &Source,
        text: String,
        url: Url,
        now: DateTime<Utc>,
        known: &Known<'_>,
    ) -> Result<normalize::Document, ReadError> {
        match &source.kind {
            SourceKind::Feed => {
                let config = self.config.clone();
                let src = source.clone();
                Ok(off_workers(move || {
                    normalize::read_document(&text, &url, &src, &config.agencies, &config.poll, now)
                })
                .await??)
            }
            SourceKind::Html(sel) => self.read_listing(source, sel, text, url, now, known).await,
        }
    }

    /// Reads an HTML source: the listing's entries, each completed from its
    /// article page when article selectors are set. An article is fetched once per
    /// new entry, again only when its entry changes, and never from another host.
    async fn read_listing(
        &self,
        source: &Source,
        sel: &HtmlSelectors,
        text: String,
        url: Url,
        now: DateTime<Utc>,
        known: &Known<'_>,
    ) -> Result<normalize::Document, ReadError> {
        // Articles are fetched within the source's reach, and on the listing's host
        // however they redirect.
        let reach = self.fetcher.reach(&source.url, source.auth.as_ref()).await?.on_host_of(&url);
        let css = sel.clone();
        let listing = off_workers(move || parse::html::listing(&text, &css)).await??;
        let title = listing.title;
        // A listing has no dates to rank by before its articles are read: its first
        // entries are taken, as portals list the newest first.
        let max = self.config.poll.max_items;
        let truncated = listing.entries.len().saturating_sub(max);
        let base = normalize::link::document_base(listing.base.as_deref(), &url);
        let entries = listing.entries.into_iter().take(max).map(|mut e| {
            if let Some(link) = normalize::link::absolute(&e.link, &base) {
                e.link = link.to_string();
            }
            e
        });
        let page = ListingPage { url: &url, title: title.as_deref(), reach: &reach };
        let reads = entries.map(|e| self.read_entry(source, sel, &page, e, now, known));
        let mut items: Vec<Item> = futures_util::future::join_all(reads).await.into_iter().flatten().collect();
        let undated = normalize::bound_undated(&mut items, None);
        Ok(normalize::Document { title, ttl: None, items, undated, truncated })
    }

    async fn read_entry(
        &self,
        source: &Source,
        sel: &HtmlSelectors,
        page: &ListingPage<'_>,
        entry: parse::html::ListingEntry,
        now: DateTime<Utc>,
        known: &Known<'_>,
    ) -> Option<Item> {
        let (listing_url, listing_title, reach) = (page.url, page.title, page.reach);
        let link = normalize::link::absolute(&entry.link, listing_url)?;
        let digest = entry_digest(&entry, &link);
        let key = Item::key_for(&source.id, &Identity::Link(normalize::link::canonical(&link)));
        if let Some(known) = known(&key) {
            if known.listing.as_deref() == Some(digest.as_str()) {
                // Unchanged since its article was read: nothing to fetch.
                return Some(known);
            }
        }
        let same_host = link.host_str().zip(listing_url.host_str()).is_some_and(|(a, b)| fetch::same_site(a, b));
        let article = match (&sel.article, same_host) {
            (Some(a), true) => self.read_article(source, a, reach, &link).await,
            _ => None,
        };
        let complete = sel.article.is_none() || !same_host || article.is_some();
        let config = self.config.clone();
        let (src, listing_url, title) = (source.clone(), listing_url.clone(), listing_title.map(str::to_string));
        off_workers(move || {
            let tz = config.poll.timezone;
            let (article, page_url) = article.unwrap_or_else(|| (Default::default(), link.clone()));
            let date = article.date.as_deref().or(entry.date.as_deref()).and_then(|d| util::date::parse(d, tz));
            let raw = parse::RawItem {
                canonical: article.canonical,
                title: Some(entry.title),
                link: Some(link.to_string()),
                summary: entry.summary,
                content: article.content,
                published: date,
                authors: article.byline.into_iter().collect(),
                ..Default::default()
            };
            let cx = normalize::Context {
                source: &src,
                document_url: &page_url,
                document_title: title.as_deref(),
                home: None,
                authors: &[],
                now,
                registry: &config.agencies,
            };
            let mut item = normalize::item(raw, &cx)?;
            item.source_url = listing_url.to_string();
            item.listing = complete.then_some(digest);
            Some(item)
        })
        .await
        .ok()
        .flatten()
    }

    /// Fetches and reads one article page; `None` (logged) when it cannot be had.
    async fn read_article(
        &self,
        source: &Source,
        sel: &ArticleSelectors,
        reach: &Reach,
        url: &Url,
    ) -> Option<(parse::html::Article, Url)> {
        // The poll already holds an overall place; an article takes only its
        // host's, so the listing and its articles share the host's limits.
        let permit = match self.limits {
            Some(limits) => Some(limits.acquire_host(url).await),
            None => None,
        };
        let fetched = self.fetcher.get(url, None, reach).await;
        drop(permit);
        let page = match fetched {
            Ok(Fetched::Body(page)) => page,
            Ok(Fetched::NotModified { .. }) => return None,
            Err(e) => {
                warn!(source = %source.id, url = %url, "article not read: {e}");
                return None;
            }
        };
        let css = sel.clone();
        let page_url = page.url.clone();
        match off_workers(move || parse::html::article(&page.text, &css)).await.and_then(|r| Ok(r?)) {
            Ok(article) => Some((article, page_url)),
            Err(e) => {
                warn!(source = %source.id, url = %url, "article not read: {e}");
                None
            }
        }
    }
}

/// The listing page an HTML source's entries come from.
struct ListingPage<'a> {
    url: &'a Url,
    title: Option<&'a str>,
    /// Where its articles may be fetched from.
    reach: &'a Reach,
}

/// How long parsing one document may take before the read gives up on it.
pub const PARSE_LIMIT: Duration = Duration::from_secs(20);

/// Runs CPU work (parsing, normalizing) on a blocking thread under `PARSE_LIMIT`.
/// A blocking task cannot be stopped, but the read stops waiting for it.
pub(crate) async fn off_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ReadError> {
    tokio::time::timeout(PARSE_LIMIT, tokio::task::spawn_blocking(work))
        .await
        .map_err(|_| ReadError::Timeout)?
        .map_err(|e| ReadError::Internal(format!("a parse task failed: {e}")))
}

/// A digest of a listing entry and where it points: its article is read again
/// when this changes.
fn entry_digest(entry: &parse::html::ListingEntry, link: &Url) -> String {
    let mut h = Sha256::new();
    for part in [
        entry.title.as_str(),
        link.as_str(),
        entry.date.as_deref().unwrap_or(""),
        entry.summary.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    crate::model::hex(&h.finalize()[..12])
}
