//! Feed documents rendered to bytes once per change: Atom, RSS 2.0 and JSON Feed,
//! for the merged feed and for each agency, and the reading view's HTML pages of
//! the same stories (`page`), each also compressed with gzip and br.
//!
//! The publisher owns the rendered documents and their validators (a strong ETag
//! per representation, Last-Modified from the newest entry). Rendering is
//! deterministic — no clock is read — so a restart serves the same bytes with the
//! same ETags. First pages are rendered after a change, off the async workers;
//! older pages (RFC 5005 `next` links), `?limit` and `?q=`, and the pages of
//! stories and searches are rendered on first request and cached until the next
//! change. The server itself never renders.
//! A change is published only once the store has it on disk: rendering what polls
//! marked dirty starts with a flush.
//! A publisher made `saving` keeps its first pages beside the store (`saved`)
//! after a render (at most once per [`SAVE_EVERY`], the rest by `save_pending`),
//! tagged with the store's generation, and a start that finds the store at that
//! generation installs them instead of rendering.

mod atom;
mod cache;
mod json;
pub mod opml;
pub mod page;
mod rss;
mod saved;
mod search;
pub(crate) mod xml;

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::http::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, Utc};
use sha2::{Digest, Sha256};
use url::Url;

use crate::agency::Registry;
use crate::config::{Config, Lang};
use crate::model::{hex, FeedKind, Story, StoryId};
use crate::store::{Cursor, Scope, Store, StoreError};

/// The XSL stylesheet that makes a feed opened in a browser a readable page.
pub const STYLESHEET: &str = include_str!("feed.xsl");

pub use cache::QUERY_CACHE_BYTES;
pub use search::SEARCH_SCAN;

/// How often the documents are kept beside the store at most: each time writes
/// them all (18 MB at 100 000 stories), while renders may follow every poll.
/// What a render left unkept is kept by `save_pending` (at a stop, after a cycle).
pub const SAVE_EVERY: Duration = Duration::from_secs(60);

/// The most entries `?limit=` may ask for: a larger one is served this many.
pub const MAX_LIMIT: usize = 100;

/// A content coding a document is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity = 0,
    Gzip = 1,
    Brotli = 2,
}

impl Coding {
    /// The `Content-Encoding` value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// What a document is: a feed for readers, or something for browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Feed(FeedKind),
    /// A page of the reading view.
    Html,
    /// The reading view's stylesheet.
    Css,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Feed(kind) => kind.content_type(),
            Format::Html => "text/html; charset=utf-8",
            Format::Css => "text/css; charset=utf-8",
        }
    }
}

/// One rendered document (a feed, a page) with its validators.
#[derive(Debug)]
pub struct Document {
    pub format: Format,
    pub bytes: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
    /// The digest the ETags derive from.
    digest: String,
    /// The newest entry's `updated`; `None` for an empty feed.
    pub last_modified: Option<DateTime<Utc>>,
    pub entries: usize,
    /// Where the next older page starts, if there is one.
    pub next: Option<Cursor>,
    /// The response headers that never change for this document, built once here
    /// so that serving it only sends bytes.
    pub headers: DocHeaders,
}

/// A document's fixed response headers.
#[derive(Debug)]
pub struct DocHeaders {
    /// The ETag of each representation, by [`Representation::index`].
    etags: [HeaderValue; 6],
    pub last_modified: Option<HeaderValue>,
    /// Feeds: `rel="self"` (this document's own URL) and the WebSub hubs; stream
    /// pages: their Atom feed.
    pub link: Option<HeaderValue>,
}

impl DocHeaders {
    /// The headers of a document whose bytes have `digest` (hex).
    fn new(digest: &str, last_modified: Option<DateTime<Utc>>, link: Option<HeaderValue>) -> DocHeaders {
        DocHeaders {
            etags: Representation::ALL
                .map(|r| HeaderValue::from_str(&r.etag(digest)).expect("a hex ETag is a valid header")),
            // An HTTP date says no time before 1970 (httpdate panics on one), and a
            // feed may date its items so: such a document goes without Last-Modified.
            last_modified: last_modified.filter(|lm| lm.timestamp() >= 0).map(|lm| {
                HeaderValue::from_str(&httpdate::fmt_http_date(lm.into())).expect("an HTTP date is a valid header")
            }),
            link,
        }
    }
}

/// One representation of a document: its content coding, and whether it is the
/// `application/xml` view that browsers get (another media type, so its own ETag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Representation {
    pub coding: Coding,
    pub browser: bool,
}

impl Representation {
    const ALL: [Representation; 6] = [
        Representation { coding: Coding::Identity, browser: false },
        Representation { coding: Coding::Gzip, browser: false },
        Representation { coding: Coding::Brotli, browser: false },
        Representation { coding: Coding::Identity, browser: true },
        Representation { coding: Coding::Gzip, browser: true },
        Representation { coding: Coding::Brotli, browser: true },
    ];

    fn index(self) -> usize {
        self.coding as usize + if self.browser { 3 } else { 0 }
    }

    fn etag(self, digest: &str) -> String {
        let coding = match self.coding {
            Coding::Identity => "",
            Coding::Gzip => "-gz",
            Coding::Brotli => "-br",
        };
        let view = if self.browser { "-xml" } else { "" };
        format!("\"{digest}{coding}{view}\"")
    }
}

impl Document {
    fn new(
        format: Format,
        bytes: Vec<u8>,
        last_modified: Option<DateTime<Utc>>,
        entries: usize,
        next: Option<Cursor>,
        link: &str,
    ) -> Document {
        let digest = hex(&Sha256::digest(&bytes)[..16]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = gz.write_all(&bytes);
        let gzip = gz.finish().unwrap_or_default();
        let mut brotli = Vec::new();
        {
            // A 256 KiB window covers a feed document; the default 4 MiB one only costs memory.
            let mut w = brotli::CompressorWriter::new(&mut brotli, 4096, 5, 18);
            let _ = w.write_all(&bytes);
        }
        let link = Some(link).filter(|l| !l.is_empty()).and_then(|l| HeaderValue::from_str(l).ok());
        let headers = DocHeaders::new(&digest, last_modified, link);
        // Documents stay resident until the next change: without the growth slack
        // of the buffers they were written into, they take a third less.
        let keep = |mut v: Vec<u8>| {
            v.shrink_to_fit();
            Bytes::from(v)
        };
        Document {
            format,
            bytes: keep(bytes),
            gzip: keep(gzip),
            brotli: keep(brotli),
            digest,
            last_modified,
            entries,
            next,
            headers,
        }
    }

    /// The strong ETag of a representation: each has its own.
    pub fn etag_header(&self, r: Representation) -> &HeaderValue {
        &self.headers.etags[r.index()]
    }

    /// The strong ETag of the document in a coding, as feed readers get it.
    pub fn etag(&self, coding: Coding) -> String {
        let v = self.etag_header(Representation { coding, browser: false });
        v.to_str().expect("ETags are ASCII").to_string()
    }

    pub fn body(&self, coding: Coding) -> &Bytes {
        match coding {
            Coding::Identity => &self.bytes,
            Coding::Gzip => &self.gzip,
            Coding::Brotli => &self.brotli,
        }
    }
}

/// What the documents say about themselves.
#[derive(Debug, Clone)]
pub struct Settings {
    pub title: String,
    pub limit: usize,
    /// Without a trailing slash.
    pub base_url: String,
    pub max_age: Duration,
    /// `Cache-Control` of every document, from `max_age`.
    pub cache_control: HeaderValue,
    pub hubs: Vec<Url>,
    /// The authority of `tag:` entry ids.
    tag_host: String,
    /// The language of the pages' own words.
    pub lang: Lang,
    /// The province's time zone, for the dates on pages.
    pub timezone: FixedOffset,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            title: config.publish.title.clone(),
            limit: config.publish.limit,
            base_url: config.server.base_url.as_str().trim_end_matches('/').to_string(),
            max_age: config.publish.max_age,
            cache_control: HeaderValue::from_str(&format!("public, max-age={}", config.publish.max_age.as_secs()))
                .expect("digits are a valid header"),
            hubs: config.publish.hubs.clone(),
            tag_host: config.server.base_url.host_str().unwrap_or("localhost").to_string(),
            lang: config.publish.lang,
            timezone: config.poll.timezone,
        }
    }

    /// The public URL of a feed's first page.
    pub fn url(&self, scope: &Scope, kind: FeedKind) -> String {
        format!("{}{}", self.base_url, Self::path(scope, kind))
    }

    /// The path of a feed's first page.
    pub fn path(scope: &Scope, kind: FeedKind) -> String {
        match scope {
            Scope::All => format!("/feed.{}", kind.extension()),
            Scope::Agency(slug) => format!("/agency/{slug}.{}", kind.extension()),
        }
    }

    /// The path of an older page of a feed (RFC 5005 `next`).
    pub fn page_path(scope: &Scope, kind: FeedKind, cursor: &Cursor) -> String {
        match scope {
            Scope::All => format!("/feed/page/{}.{}", cursor.to_hex(), kind.extension()),
            Scope::Agency(slug) => format!("/agency/{slug}/page/{}.{}", cursor.to_hex(), kind.extension()),
        }
    }

    /// The public URL of a scope's first page for people.
    pub fn html_url(&self, scope: &Scope) -> String {
        format!("{}{}", self.base_url, page::stream_path(scope, None))
    }

    pub fn stylesheet_url(&self) -> String {
        format!("{}/feed.xsl", self.base_url)
    }

    /// The `tag:` URI of a story, stable for its whole life.
    fn entry_id(&self, story: &Story) -> String {
        format!("tag:{},2026:story/{}", self.tag_host, story.id)
    }

    /// The public URL of an older page of a feed.
    pub fn page_url(&self, scope: &Scope, kind: FeedKind, cursor: &Cursor) -> String {
        format!("{}{}", self.base_url, Self::page_path(scope, kind, cursor))
    }

    /// The `Link` header of a document at `self_url`: itself and the WebSub hubs.
    fn link_header(&self, self_url: &str) -> String {
        let mut links = vec![format!("<{self_url}>; rel=\"self\"")];
        links.extend(self.hubs.iter().map(|h| format!("<{h}>; rel=\"hub\"")));
        links.join(", ")
    }
}

/// A story with its primary's article, read from the item where it is kept.
pub struct Entry {
    pub story: Story,
    /// HTML.
    pub summary: Option<String>,
    /// HTML.
    pub content: Option<String>,
}

/// One document to render: which entries, and how it names itself.
pub struct Page<'a> {
    pub title: &'a str,
    pub entries: &'a [Entry],
    /// This document's URL.
    pub self_url: String,
    /// The feed's first page.
    pub feed_url: String,
    /// The next older page, if there is one.
    pub next_url: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    /// The same stories as a page for people.
    pub html_url: String,
    /// The comment pointing a browser without XSLT to that page.
    pub comment: String,
}

/// RFC 3339 in UTC with `Z`; the epoch for a feed with no entries.
fn rfc3339(d: Option<DateTime<Utc>>) -> String {
    d.unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What a request asks of a feed beyond its first page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Query {
    pub before: Option<Cursor>,
    pub limit: Option<usize>,
    /// Folded for tone-insensitive search (`dan van` finds `dân vận`).
    pub q: Option<String>,
}

impl Query {
    pub fn new(before: Option<Cursor>, limit: Option<usize>, q: Option<&str>) -> Query {
        let q = q.map(crate::util::slug::slug).filter(|q| !q.is_empty());
        Query { before, limit: limit.map(|l| l.clamp(1, MAX_LIMIT)), q }
    }

    pub fn is_plain(&self) -> bool {
        self.before.is_none() && self.limit.is_none() && self.q.is_none()
    }
}

/// A document rendered on first request and kept until the next change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// An older page or a query of a feed.
    Feed(Scope, FeedKind, Query),
    /// An older page of a stream for people.
    Page(Scope, Cursor),
    Story(StoryId),
    /// The search page of a query, as typed (trimmed).
    Search(String),
}

/// The rendered documents, replaced whole when a scope changes.
pub struct Publisher {
    settings: Settings,
    registry: Registry,
    docs: RwLock<HashMap<(Scope, FeedKind), Arc<Document>>>,
    /// The first page for people of each published scope, rendered with its feeds.
    pages: RwLock<HashMap<Scope, Arc<Document>>>,
    /// The page listing every published scope, rendered after each change.
    agencies_page: RwLock<Option<Arc<Document>>>,
    /// `/feeds.opml`, rendered with the agencies page: it lists the same scopes.
    feeds_opml: RwLock<Bytes>,
    /// `/sources.opml` and the config it lists, rendered once per config in force.
    sources_opml: Mutex<Option<(std::sync::Weak<Config>, Bytes)>>,
    /// The pages' stylesheet and the page of unknown paths: they never change.
    style: Arc<Document>,
    not_found: Arc<Document>,
    /// Older pages and queries, rendered on first request; emptied by a change.
    queries: Mutex<cache::QueryCache<Key>>,
    /// What `?q=` looks through, built again on the first search after a change.
    search: Mutex<search::SearchIndex>,
    /// Held from reading the store to installing the documents, so a render that
    /// read older state can never replace one that read newer state.
    render_lock: Mutex<()>,
    /// Scopes changed in the store and not yet rendered.
    dirty: Mutex<Dirty>,
    /// Names of bodies the registry does not know, as their bylines wrote them.
    learned: RwLock<HashMap<String, String>>,
    /// Whether the documents are kept beside the store (see `saving`).
    saving: bool,
    /// What is kept beside the store, and what is not yet.
    saved: Mutex<Saved>,
    /// What rendering depends on besides the stories: settings, registry, templates.
    fingerprint: [u8; 32],
}

/// One page of a scope in every form (see [`Publisher::listing`]).
pub struct Listing {
    pub feeds: [(FeedKind, Document); 3],
    /// The stream page for people.
    pub page: Document,
    /// The stories listed, newest first.
    pub stories: Vec<StoryId>,
}

/// The documents kept beside the store.
#[derive(Default)]
struct Saved {
    /// The tag of the file, as last written or read.
    tag: Option<saved::Tag>,
    /// When it was last written.
    at: Option<std::time::Instant>,
    /// The generation the installed documents were rendered from, when they were
    /// not kept for `SAVE_EVERY`.
    pending: Option<u64>,
}

/// What polls changed and `render_pending` has not rendered yet.
#[derive(Default)]
struct Dirty {
    scopes: BTreeSet<Scope>,
    /// The store's generation after the last commit marked: every commit up to it
    /// has marked the scopes it changed.
    generation: u64,
}

impl Publisher {
    pub fn new(settings: Settings, registry: Registry) -> Publisher {
        let style = Arc::new(Document::new(Format::Css, page::STYLE.as_bytes().to_vec(), None, 0, None, ""));
        let not_found = Arc::new(Document::new(Format::Html, page::not_found(&settings), None, 0, None, ""));
        let publisher = Publisher {
            registry,
            docs: RwLock::new(HashMap::new()),
            pages: RwLock::new(HashMap::new()),
            agencies_page: RwLock::new(None),
            feeds_opml: RwLock::default(),
            sources_opml: Mutex::default(),
            style,
            not_found,
            settings,
            queries: Mutex::new(cache::QueryCache::new(QUERY_CACHE_BYTES)),
            search: Mutex::default(),
            render_lock: Mutex::new(()),
            dirty: Mutex::default(),
            learned: RwLock::new(HashMap::new()),
            saving: false,
            saved: Mutex::default(),
            fingerprint: [0; 32],
        };
        // Before the first render: the list of no feeds.
        *crate::util::sync::write(&publisher.feeds_opml) = opml::feeds(&publisher).into();
        Publisher { fingerprint: publisher.fingerprint(), ..publisher }
    }

    /// This publisher keeps what it renders beside the store (`loa-published`),
    /// and `restore` installs it at start while the store has not changed.
    pub fn saving(self) -> Publisher {
        Publisher { saving: true, ..self }
    }

    /// The digest of everything but the stories that the documents' bytes depend
    /// on: loa's version, the settings, the registry's names, and the templates as
    /// this build renders a feed, a stream page and the agencies page of no stories.
    fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION"));
        h.update(format!("{:?}", self.settings));
        for a in self.registry.iter() {
            h.update([&a.slug, "\0", &a.name, "\0"].concat());
        }
        for kind in FeedKind::ALL {
            h.update(&self.render(&Scope::All, kind, &[], None, None, None).bytes);
        }
        h.update(&self.render_stream(&Scope::All, &[], None, None).bytes);
        h.update(&self.render_agencies().bytes);
        h.update(&self.not_found.bytes);
        h.update(&self.style.bytes);
        h.update(STYLESHEET);
        h.finalize().into()
    }

    /// Installs the documents kept beside the store when they were rendered from
    /// the store as it is now, by a build and settings that render them alike.
    /// Returns whether it did; when not, the caller renders (`render_all`).
    pub fn restore(&self, store: &Store) -> bool {
        if !self.saving {
            return false;
        }
        let path = store.path().join(saved::FILE);
        let (tag, published) = match saved::read(&path) {
            Ok(read) => read,
            Err(e) if !path.exists() => {
                tracing::debug!("no published documents kept at {}: rendering from the store ({e})", path.display());
                return false;
            }
            Err(e) => {
                tracing::info!("cannot use {}: {e}; rendering from the store", path.display());
                return false;
            }
        };
        let now = self.tag(store, store.generation());
        if tag != now {
            tracing::debug!("{} was rendered from another state of the store or other settings", path.display());
            return false;
        }
        let _serial = crate::util::sync::lock(&self.render_lock);
        *crate::util::sync::write(&self.docs) = published.feeds.into_iter().collect();
        *crate::util::sync::write(&self.pages) = published.pages.into_iter().collect();
        crate::util::sync::write(&self.learned).extend(published.learned);
        self.installed();
        crate::util::sync::lock(&self.saved).tag = Some(tag);
        tracing::info!(
            "installed the published documents kept at {} (the store is as they were rendered from)",
            path.display()
        );
        true
    }

    /// The tag of documents rendered from `store` at `generation`.
    fn tag(&self, store: &Store, generation: u64) -> saved::Tag {
        saved::Tag {
            generation,
            stories: store.story_count() as u64,
            items: store.item_count() as u64,
            digest: self.fingerprint,
        }
    }

    /// Keeps every installed document beside the store, after a render that read
    /// the store at `generation` and covered every commit up to it; not when the
    /// store moved on meanwhile (the render that follows keeps its own) or the
    /// kept documents are already these, and not again within `SAVE_EVERY` (it is
    /// then pending). Called under the render lock.
    fn save(&self, store: &Store, generation: u64) {
        if !self.saving {
            return;
        }
        let mut saved = crate::util::sync::lock(&self.saved);
        saved.pending = None;
        if store.generation() != generation {
            return;
        }
        if saved.at.is_some_and(|at| at.elapsed() < SAVE_EVERY) {
            saved.pending = Some(generation);
            return;
        }
        drop(saved);
        self.write_saved(store, generation);
    }

    /// Keeps the documents a render left unkept (see `save`), while the store is
    /// still as they were rendered from: at a stop, after a cycle.
    pub fn save_pending(&self, store: &Store) {
        let _serial = crate::util::sync::lock(&self.render_lock);
        let pending = crate::util::sync::lock(&self.saved).pending.take();
        if let Some(generation) = pending.filter(|g| *g == store.generation()) {
            self.write_saved(store, generation);
        }
    }

    /// Writes the installed documents as rendered at `generation`, unless the file
    /// holds them already. A failure is logged: the next start renders.
    fn write_saved(&self, store: &Store, generation: u64) {
        let tag = self.tag(store, generation);
        if crate::util::sync::lock(&self.saved).tag == Some(tag) {
            return;
        }
        let published = saved::Published {
            feeds: crate::util::sync::read(&self.docs).iter().map(|(k, d)| (k.clone(), d.clone())).collect(),
            pages: crate::util::sync::read(&self.pages).iter().map(|(s, d)| (s.clone(), d.clone())).collect(),
            learned: crate::util::sync::read(&self.learned).iter().map(|(s, n)| (s.clone(), n.clone())).collect(),
        };
        let path = store.path().join(saved::FILE);
        match saved::write(&path, &tag, &published) {
            Ok(()) => {
                let mut saved = crate::util::sync::lock(&self.saved);
                saved.tag = Some(tag);
                saved.at = Some(std::time::Instant::now());
            }
            Err(e) => tracing::warn!("cannot keep the published documents at {}: {e}", path.display()),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Renders every document from the store: at start.
    pub fn render_all(&self, store: &Store) -> Result<(), StoreError> {
        let mut scopes: BTreeSet<Scope> = store.agencies()?.into_iter().map(Scope::Agency).collect();
        scopes.insert(Scope::All);
        // Feeds already published are rendered too: one whose stories all went
        // (retention) must disappear, not stay as it was.
        scopes.extend(crate::util::sync::read(&self.docs).keys().map(|(s, _)| s.clone()));
        let _serial = crate::util::sync::lock(&self.render_lock);
        // Every scope is rendered: every commit up to this generation is covered.
        let generation = store.generation();
        self.render_scopes(store, &scopes, generation).map(|_| ())
    }

    /// Notes scopes whose stories changed in the store; `render_pending` renders
    /// them. Many sources finishing close together cost one render of each
    /// document, not one per source. `generation` is the store's after the
    /// commit that changed them: call this right after each commit, in the
    /// order of the commits.
    pub fn mark_dirty(&self, scopes: BTreeSet<Scope>, generation: u64) {
        let mut dirty = crate::util::sync::lock(&self.dirty);
        dirty.scopes.extend(scopes);
        dirty.generation = dirty.generation.max(generation);
    }

    /// Renders every scope marked dirty, and returns the URLs of the documents
    /// whose bytes changed (for WebSub). When another thread is rendering, the
    /// scopes are left to it.
    pub fn render_pending(&self, store: &Store) -> Result<Vec<String>, StoreError> {
        let mut changed = Vec::new();
        loop {
            let Ok(serial) = self.render_lock.try_lock() else {
                // The renderer re-checks the dirty set after it finishes.
                return Ok(changed);
            };
            let (pending, generation) = {
                let mut dirty = crate::util::sync::lock(&self.dirty);
                (std::mem::take(&mut dirty.scopes), dirty.generation)
            };
            if !pending.is_empty() {
                match self.render_scopes(store, &pending, generation) {
                    Ok(c) => changed.extend(c),
                    Err(e) => {
                        // Left for the next render, not lost.
                        self.mark_dirty(pending, generation);
                        return Err(e);
                    }
                }
            }
            drop(serial);
            if crate::util::sync::lock(&self.dirty).scopes.is_empty() {
                return Ok(changed);
            }
        }
    }

    /// Renders `scopes`, every commit up to `generation` having marked the scopes
    /// it changed, and keeps what is installed then beside the store.
    fn render_scopes(
        &self,
        store: &Store,
        scopes: &BTreeSet<Scope>,
        generation: u64,
    ) -> Result<Vec<String>, StoreError> {
        // Durable first, then published: one flush covers every change made before
        // it, however many polls made them.
        store.flush_blocking()?;
        let mut fresh = Vec::new();
        let mut pages = Vec::new();
        for scope in scopes {
            let (stories, next) = store.page(scope, None, self.settings.limit)?;
            self.learn_names(&stories);
            let entries = entries(store, stories)?;
            for kind in FeedKind::ALL {
                let doc = self.render(scope, kind, &entries, None, next.as_ref(), None);
                fresh.push(((scope.clone(), kind), Arc::new(doc)));
            }
            let stories: Vec<&Story> = entries.iter().map(|e| &e.story).collect();
            pages.push((scope.clone(), Arc::new(self.render_stream(scope, &stories, None, next.as_ref()))));
        }
        let mut changed = Vec::new();
        let mut docs = crate::util::sync::write(&self.docs);
        for (k, d) in fresh {
            let old = docs.get(&k).map(|o| o.digest.clone());
            if old.as_deref() != Some(d.digest.as_str()) {
                changed.push(self.settings.url(&k.0, k.1));
            }
            if d.entries == 0 && k.0 != Scope::All {
                docs.remove(&k);
            } else {
                docs.insert(k, d);
            }
        }
        drop(docs);
        let mut installed = crate::util::sync::write(&self.pages);
        for (scope, page) in pages {
            if page.entries == 0 && scope != Scope::All {
                installed.remove(&scope);
            } else {
                installed.insert(scope, page);
            }
        }
        drop(installed);
        self.installed();
        self.save(store, generation);
        Ok(changed)
    }

    /// After first pages were installed: renders what lists their scopes (the
    /// agencies page, `/feeds.opml`) and forgets the pages and queries of before.
    fn installed(&self) {
        *crate::util::sync::write(&self.agencies_page) = Some(Arc::new(self.render_agencies()));
        *crate::util::sync::write(&self.feeds_opml) = opml::feeds(self).into();
        crate::util::sync::lock(&self.queries).invalidate();
    }

    fn learn_names(&self, stories: &[Story]) {
        let unknown: Vec<&Story> = stories.iter().filter(|s| !self.registry.contains(&s.agency)).collect();
        if unknown.is_empty() {
            return;
        }
        let mut learned = crate::util::sync::write(&self.learned);
        for s in unknown {
            learned.entry(s.agency.clone()).or_insert_with(|| s.agency_name.clone());
        }
    }

    /// A feed's first page, as rendered after the last change.
    pub fn get(&self, scope: &Scope, kind: FeedKind) -> Option<Arc<Document>> {
        crate::util::sync::read(&self.docs).get(&(scope.clone(), kind)).cloned()
    }

    /// A page or query of a feed: the first page as rendered, anything else
    /// rendered now and kept until the next change. `None` for an unknown feed.
    /// Blocking: call it off the async workers.
    pub fn query(
        &self,
        store: &Store,
        scope: &Scope,
        kind: FeedKind,
        query: &Query,
    ) -> Result<Option<Arc<Document>>, StoreError> {
        if query.is_plain() {
            return Ok(self.get(scope, kind));
        }
        if self.get(scope, kind).is_none() {
            return Ok(None);
        }
        self.cached(Key::Feed(scope.clone(), kind, query.clone()), |generation| {
            let limit = query.limit.unwrap_or(self.settings.limit);
            let (stories, next) = match &query.q {
                Some(q) => {
                    let mut index = crate::util::sync::lock(&self.search);
                    (index.find(store, generation, scope, q, limit)?, None)
                }
                None => store.page(scope, query.before.as_ref(), limit)?,
            };
            let entries = entries(store, stories)?;
            Ok(Some(self.render(scope, kind, &entries, query.before.as_ref(), next.as_ref(), Some(query))))
        })
    }

    /// The document under `key` as kept since the last change, else `render`ed now
    /// (given the generation of the stories it reads, for the search index) and
    /// kept (`None`: nothing to render, nothing kept). Blocking when `render` reads
    /// the store.
    fn cached(
        &self,
        key: Key,
        render: impl FnOnce(u64) -> Result<Option<Document>, StoreError>,
    ) -> Result<Option<Arc<Document>>, StoreError> {
        let generation = {
            let mut cache = crate::util::sync::lock(&self.queries);
            if let Some(doc) = cache.get(&key) {
                return Ok(Some(doc));
            }
            cache.generation()
        };
        let Some(doc) = render(generation)? else { return Ok(None) };
        let doc = Arc::new(doc);
        crate::util::sync::lock(&self.queries).insert(generation, key, doc.clone());
        Ok(Some(doc))
    }

    /// A scope's first page for people, as rendered after the last change; `None`
    /// for a scope with no stories.
    pub fn first_page(&self, scope: &Scope) -> Option<Arc<Document>> {
        crate::util::sync::read(&self.pages).get(scope).cloned()
    }

    /// An older page of a scope for people, from `before`: rendered on first
    /// request and kept until the next change. Blocking.
    pub fn older_page(
        &self,
        store: &Store,
        scope: &Scope,
        before: &Cursor,
    ) -> Result<Option<Arc<Document>>, StoreError> {
        if self.first_page(scope).is_none() {
            return Ok(None);
        }
        self.cached(Key::Page(scope.clone(), before.clone()), |_| {
            let (stories, next) = store.page(scope, Some(before), self.settings.limit)?;
            let stories: Vec<&Story> = stories.iter().collect();
            Ok(Some(self.render_stream(scope, &stories, Some(before), next.as_ref())))
        })
    }

    /// A scope's page from `before` (the first from `None`) in every form, from one
    /// read of the store, rendered now and not kept: for `loa export`, which writes
    /// them and then the page of each story listed. `None` for a scope with no stories.
    pub fn listing(
        &self,
        store: &Store,
        scope: &Scope,
        before: Option<&Cursor>,
    ) -> Result<Option<Listing>, StoreError> {
        if self.first_page(scope).is_none() {
            return Ok(None);
        }
        let (stories, next) = store.page(scope, before, self.settings.limit)?;
        let entries = entries(store, stories)?;
        let feeds = FeedKind::ALL.map(|kind| (kind, self.render(scope, kind, &entries, before, next.as_ref(), None)));
        let listed: Vec<&Story> = entries.iter().map(|e| &e.story).collect();
        let page = self.render_stream(scope, &listed, before, next.as_ref());
        Ok(Some(Listing { feeds, page, stories: entries.into_iter().map(|e| e.story.id).collect() }))
    }

    /// A story's page, rendered on first request and kept until the next change;
    /// `None` for a story the store does not hold. Blocking.
    pub fn story_page(&self, store: &Store, id: &StoryId) -> Result<Option<Arc<Document>>, StoreError> {
        self.cached(Key::Story(id.clone()), |_| {
            let Some(story) = store.story(id)? else { return Ok(None) };
            let items = story
                .members
                .iter()
                .map(|m| Ok(store.item(&m.item_key)?.map(|s| s.item)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let bytes = page::story(&self.settings, &story, &items, &|slug| self.agency_name(slug));
            Ok(Some(Document::new(Format::Html, bytes, Some(story.updated), 1, None, "")))
        })
    }

    /// The search page for `q` (tone-insensitive, among the [`SEARCH_SCAN`]
    /// newest stories, at most a page of them), kept until the next change. An
    /// empty `q` gives the bare form. Blocking.
    pub fn search_page(&self, store: &Store, q: &str) -> Result<Option<Arc<Document>>, StoreError> {
        let q = q.trim();
        self.cached(Key::Search(q.to_string()), |generation| {
            let folded = crate::util::slug::slug(q);
            let stories = if folded.is_empty() {
                Vec::new()
            } else {
                let mut index = crate::util::sync::lock(&self.search);
                index.find(store, generation, &Scope::All, &folded, self.settings.limit)?
            };
            let found: Vec<&Story> = stories.iter().collect();
            let bytes = page::search(&self.settings, q, &found);
            let updated = stories.iter().map(|s| s.updated).max();
            Ok(Some(Document::new(Format::Html, bytes, updated, stories.len(), None, "")))
        })
    }

    /// The page listing every published scope, once the first render is done.
    pub fn agencies_page(&self) -> Option<Arc<Document>> {
        crate::util::sync::read(&self.agencies_page).clone()
    }

    /// `/feeds.opml` as rendered after the last change.
    pub fn feeds_opml(&self) -> Bytes {
        crate::util::sync::read(&self.feeds_opml).clone()
    }

    /// `/sources.opml` of `config`: rendered on the first request after it came into
    /// force (at start, at a reload), then sent as it is.
    pub fn sources_opml(&self, config: &Arc<Config>) -> Bytes {
        let mut kept = crate::util::sync::lock(&self.sources_opml);
        match &*kept {
            // The weak reference keeps the allocation: another config never has its address.
            Some((of, bytes)) if std::ptr::eq(of.as_ptr(), Arc::as_ptr(config)) => bytes.clone(),
            _ => {
                let bytes = Bytes::from(opml::sources(config, &self.settings));
                *kept = Some((Arc::downgrade(config), bytes.clone()));
                bytes
            }
        }
    }

    /// The pages' stylesheet.
    pub fn style(&self) -> Arc<Document> {
        self.style.clone()
    }

    /// The page of a path that names nothing.
    pub fn not_found_page(&self) -> Arc<Document> {
        self.not_found.clone()
    }

    /// Renders a stream page. Pure, like `render`.
    fn render_stream(
        &self,
        scope: &Scope,
        stories: &[&Story],
        this: Option<&Cursor>,
        next: Option<&Cursor>,
    ) -> Document {
        let name = self.scope_name(scope);
        let bytes = page::stream(&self.settings, &page::Stream { scope, name: &name, stories, this, next });
        let link =
            format!("<{}>; rel=\"alternate\"; type=\"application/atom+xml\"", self.settings.url(scope, FeedKind::Atom));
        let updated = stories.iter().map(|s| s.updated).max();
        Document::new(Format::Html, bytes, updated, stories.len(), next.cloned(), &link)
    }

    /// Renders the page of every published scope.
    fn render_agencies(&self) -> Document {
        let scopes = self.scopes();
        let names: Vec<String> = scopes.iter().map(|(scope, _, _)| self.scope_name(scope)).collect();
        let listed: Vec<page::Listed<'_>> = scopes
            .iter()
            .zip(&names)
            .map(|((scope, _, updated), name)| page::Listed { scope, name, updated: *updated })
            .collect();
        let bytes = page::agencies(&self.settings, &listed);
        let updated = scopes.iter().filter_map(|s| s.2).max();
        Document::new(Format::Html, bytes, updated, listed.len(), None, "")
    }

    /// The bytes the query cache holds (at most [`QUERY_CACHE_BYTES`]).
    pub fn query_cache_bytes(&self) -> usize {
        crate::util::sync::lock(&self.queries).bytes()
    }

    /// Every published scope with its entry count and last update, merged first.
    pub fn scopes(&self) -> Vec<(Scope, usize, Option<DateTime<Utc>>)> {
        let docs = crate::util::sync::read(&self.docs);
        let mut out: Vec<_> = docs
            .iter()
            .filter(|((_, k), _)| *k == FeedKind::Atom)
            .map(|((s, _), d)| (s.clone(), d.entries, d.last_modified))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The display title of a scope's feed.
    pub fn title(&self, scope: &Scope) -> String {
        match scope {
            Scope::All => self.settings.title.clone(),
            Scope::Agency(_) => format!("{} — {}", self.scope_name(scope), self.settings.title),
        }
    }

    /// A scope's name on its pages: the site's title, or the agency's name.
    fn scope_name(&self, scope: &Scope) -> String {
        match scope {
            Scope::All => self.settings.title.clone(),
            Scope::Agency(slug) => self.agency_name(slug),
        }
    }

    /// An agency's display name: the registry's, else as bylines wrote it.
    pub fn agency_name(&self, slug: &str) -> String {
        match self.registry.get(slug) {
            Some(a) => a.name.clone(),
            None => {
                let learned = crate::util::sync::read(&self.learned);
                learned.get(slug).cloned().unwrap_or_else(|| slug.to_string())
            }
        }
    }

    /// Renders one document. Pure: same stories, same bytes.
    fn render(
        &self,
        scope: &Scope,
        kind: FeedKind,
        entries: &[Entry],
        this: Option<&Cursor>,
        next: Option<&Cursor>,
        query: Option<&Query>,
    ) -> Document {
        let s = &self.settings;
        let title = self.title(scope);
        let self_url = match (this, query) {
            (Some(c), _) => s.page_url(scope, kind, c),
            (None, Some(q)) => format!("{}{}", s.url(scope, kind), q.query_string()),
            (None, None) => s.url(scope, kind),
        };
        let updated = entries.iter().map(|e| e.story.updated).max();
        let link = s.link_header(&self_url);
        let page = Page {
            title: &title,
            entries,
            self_url,
            feed_url: s.url(scope, kind),
            next_url: next.map(|c| s.page_url(scope, kind, c)),
            updated,
            html_url: format!("{}{}", s.base_url, page::stream_path(scope, this)),
            comment: page::feed_comment(s, scope),
        };
        let bytes = match kind {
            FeedKind::Atom => atom::render(s, &page),
            FeedKind::Rss => rss::render(s, &page),
            FeedKind::Json => json::render(s, &page),
        };
        Document::new(Format::Feed(kind), bytes, updated, entries.len(), next.cloned(), &link)
    }
}

impl Query {
    /// The query string this query was asked with, for the document's self link.
    fn query_string(&self) -> String {
        let mut parts = Vec::new();
        if let Some(l) = self.limit {
            parts.push(format!("limit={l}"));
        }
        if let Some(q) = &self.q {
            parts.push(format!("q={q}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// The stories with their primaries' articles.
fn entries(store: &Store, stories: Vec<Story>) -> Result<Vec<Entry>, StoreError> {
    stories
        .into_iter()
        .map(|story| {
            let item = store.item(&story.members[0].item_key)?.map(|s| s.item);
            let (summary, content) = item.map(|i| (i.summary, i.content)).unwrap_or_default();
            Ok(Entry { story, summary, content })
        })
        .collect()
}
