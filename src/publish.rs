//! Feed documents rendered to bytes once per change: Atom, RSS 2.0 and JSON Feed,
//! for the merged feed and for each agency.
//!
//! The publisher owns the rendered documents and their validators (a strong ETag
//! from the bytes, Last-Modified from the newest entry). Rendering is deterministic
//! — no clock is read — so a restart serves the same bytes with the same ETags.
//! It is called off the async workers after a commit; the server only reads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use atom_syndication as atom;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::agency::Registry;
use crate::model::{hex, FeedKind, Story};
use crate::normalize::text::xml_safe;
use crate::store::{Scope, Store, StoreError};

/// One rendered feed document with its validators.
#[derive(Debug)]
pub struct Document {
    pub kind: FeedKind,
    pub bytes: Bytes,
    /// Strong, quoted: `"…"`.
    pub etag: String,
    /// The newest entry's `updated`; `None` for an empty feed.
    pub last_modified: Option<DateTime<Utc>>,
    pub entries: usize,
}

/// What the documents say about themselves.
#[derive(Debug, Clone)]
pub struct Settings {
    pub title: String,
    pub limit: usize,
    /// Without a trailing slash.
    pub base_url: String,
}

impl Settings {
    pub fn new(title: &str, limit: usize, base_url: &Url) -> Settings {
        Settings { title: title.to_string(), limit, base_url: base_url.as_str().trim_end_matches('/').to_string() }
    }

    /// The public URL of a document.
    pub fn url(&self, scope: &Scope, kind: FeedKind) -> String {
        match scope {
            Scope::All => format!("{}/feed.{}", self.base_url, kind.extension()),
            Scope::Agency(slug) => format!("{}/agency/{slug}.{}", self.base_url, kind.extension()),
        }
    }

    /// The `tag:` URI of a story, stable for its whole life.
    fn entry_id(&self, story: &Story) -> String {
        let host = Url::parse(&self.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".into());
        format!("tag:{host},2026:story/{}", story.id)
    }
}

/// The rendered documents, replaced whole when a scope changes.
pub struct Publisher {
    settings: Settings,
    registry: Registry,
    docs: RwLock<HashMap<(Scope, FeedKind), Arc<Document>>>,
    /// Held from reading the store to installing the documents, so a render that
    /// read older state can never replace one that read newer state.
    render_lock: Mutex<()>,
    /// Scopes changed in the store and not yet rendered.
    dirty: Mutex<BTreeSet<Scope>>,
    /// Names of bodies the registry does not know, as their bylines wrote them.
    learned: RwLock<HashMap<String, String>>,
}

impl Publisher {
    pub fn new(settings: Settings, registry: Registry) -> Publisher {
        Publisher {
            settings,
            registry,
            docs: RwLock::new(HashMap::new()),
            render_lock: Mutex::new(()),
            dirty: Mutex::new(BTreeSet::new()),
            learned: RwLock::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Renders every document from the store: at start.
    pub fn render_all(&self, store: &Store) -> Result<(), StoreError> {
        let mut scopes: BTreeSet<Scope> = store.agencies()?.into_iter().map(Scope::Agency).collect();
        scopes.insert(Scope::All);
        self.refresh(store, &scopes)
    }

    /// Notes scopes whose stories changed in the store; `render_pending` renders
    /// them. Many sources finishing close together cost one render of each
    /// document, not one per source.
    pub fn mark_dirty(&self, scopes: BTreeSet<Scope>) {
        self.dirty.lock().unwrap_or_else(|e| e.into_inner()).extend(scopes);
    }

    /// Renders every scope marked dirty. When another thread is rendering, the
    /// scopes are left to it.
    pub fn render_pending(&self, store: &Store) -> Result<(), StoreError> {
        loop {
            let Ok(serial) = self.render_lock.try_lock() else {
                // The renderer re-checks the dirty set after it finishes.
                return Ok(());
            };
            let pending = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner()));
            if !pending.is_empty() {
                self.render_scopes(store, &pending)?;
            }
            drop(serial);
            if self.dirty.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
                return Ok(());
            }
        }
    }

    /// Re-renders the documents of the given scopes.
    pub fn refresh(&self, store: &Store, scopes: &BTreeSet<Scope>) -> Result<(), StoreError> {
        let _serial = self.render_lock.lock().unwrap_or_else(|e| e.into_inner());
        self.render_scopes(store, scopes)
    }

    fn render_scopes(&self, store: &Store, scopes: &BTreeSet<Scope>) -> Result<(), StoreError> {
        let mut fresh = Vec::new();
        for scope in scopes {
            let stories = store.latest(scope, self.settings.limit)?;
            self.learn_names(&stories);
            for kind in FeedKind::ALL {
                fresh.push(((scope.clone(), kind), Arc::new(self.render(scope, kind, &stories))));
            }
        }
        let mut docs = self.docs.write().unwrap_or_else(|e| e.into_inner());
        for (k, d) in fresh {
            if d.entries == 0 && k.0 != Scope::All {
                docs.remove(&k);
            } else {
                docs.insert(k, d);
            }
        }
        Ok(())
    }

    fn learn_names(&self, stories: &[Story]) {
        let unknown: Vec<&Story> = stories.iter().filter(|s| !self.registry.contains(&s.agency)).collect();
        if unknown.is_empty() {
            return;
        }
        let mut learned = self.learned.write().unwrap_or_else(|e| e.into_inner());
        for s in unknown {
            learned.entry(s.agency.clone()).or_insert_with(|| s.agency_name.clone());
        }
    }

    pub fn get(&self, scope: &Scope, kind: FeedKind) -> Option<Arc<Document>> {
        self.docs.read().unwrap_or_else(|e| e.into_inner()).get(&(scope.clone(), kind)).cloned()
    }

    /// Every published scope with its entry count and last update, merged first.
    pub fn scopes(&self) -> Vec<(Scope, usize, Option<DateTime<Utc>>)> {
        let docs = self.docs.read().unwrap_or_else(|e| e.into_inner());
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
            Scope::Agency(slug) => {
                let learned = self.learned.read().unwrap_or_else(|e| e.into_inner());
                let name = match self.registry.get(slug) {
                    Some(a) => a.name.as_str(),
                    None => learned.get(slug).map(String::as_str).unwrap_or(slug),
                };
                format!("{name} — {}", self.settings.title)
            }
        }
    }

    /// Renders one document. Pure: same stories, same bytes.
    pub fn render(&self, scope: &Scope, kind: FeedKind, stories: &[Story]) -> Document {
        let last_modified = stories.iter().map(|s| s.updated).max();
        let bytes = match kind {
            FeedKind::Atom => self.atom(scope, stories, last_modified),
            FeedKind::Rss => self.rss(scope, stories, last_modified),
            FeedKind::Json => self.json(scope, stories),
        };
        Document {
            kind,
            etag: format!("\"{}\"", hex(&Sha256::digest(&bytes)[..16])),
            bytes: Bytes::from(bytes),
            last_modified,
            entries: stories.len(),
        }
    }

    fn atom(&self, scope: &Scope, stories: &[Story], updated: Option<DateTime<Utc>>) -> Vec<u8> {
        let s = &self.settings;
        let self_url = s.url(scope, FeedKind::Atom);
        let entries = stories
            .iter()
            .map(|story| {
                let mut links = Vec::new();
                if let Some(l) = &story.link {
                    links.push(atom_link(l, "alternate", Some("text/html")));
                }
                for m in story.members.iter().skip(1) {
                    if let Some(u) = &m.url {
                        links.push(atom_link(u, "via", Some("text/html")));
                    }
                }
                let primary = &story.members[0];
                let source = atom::Source {
                    title: plain(primary.source_title.as_deref().unwrap_or(&primary.source)),
                    id: primary.source_url.clone(),
                    updated: fixed(story.updated),
                    links: vec![atom_link(&primary.source_url, "self", None)],
                    ..Default::default()
                };
                atom::Entry {
                    id: s.entry_id(story),
                    title: plain(&story.title),
                    updated: fixed(story.updated),
                    published: Some(fixed(story.published)),
                    authors: vec![atom::Person {
                        name: xml_safe(&story.agency_name).into_owned(),
                        ..Default::default()
                    }],
                    links,
                    categories: story
                        .categories
                        .iter()
                        .map(|c| atom::Category { term: xml_safe(c).into_owned(), ..Default::default() })
                        .collect(),
                    summary: story.summary.as_deref().map(html_text),
                    content: story.content.as_deref().or(story.summary.as_deref()).map(|html| atom::Content {
                        value: Some(xml_safe(html).into_owned()),
                        content_type: Some("html".into()),
                        ..Default::default()
                    }),
                    source: Some(source),
                    ..Default::default()
                }
            })
            .collect();
        let feed = atom::Feed {
            id: self_url.clone(),
            title: plain(&self.title(scope)),
            updated: fixed(updated.unwrap_or(DateTime::UNIX_EPOCH)),
            authors: vec![atom::Person { name: xml_safe(&s.title).into_owned(), ..Default::default() }],
            links: vec![
                atom_link(&self_url, "self", Some("application/atom+xml")),
                atom_link(&format!("{}/", s.base_url), "alternate", Some("text/html")),
            ],
            generator: Some(atom::Generator {
                value: "loa".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
                ..Default::default()
            }),
            lang: Some("vi".into()),
            entries,
            ..Default::default()
        };
        feed.to_string().into_bytes()
    }

    fn rss(&self, scope: &Scope, stories: &[Story], updated: Option<DateTime<Utc>>) -> Vec<u8> {
        let s = &self.settings;
        let self_url = s.url(scope, FeedKind::Rss);
        let items = stories
            .iter()
            .map(|story| {
                let primary = &story.members[0];
                let mut dc = rss::extension::dublincore::DublinCoreExtension::default();
                dc.set_creators(vec![xml_safe(&story.agency_name).into_owned()]);
                rss::Item {
                    title: Some(xml_safe(&story.title).into_owned()),
                    link: story.link.clone(),
                    description: story
                        .summary
                        .as_deref()
                        .or(story.content.as_deref())
                        .map(|h| xml_safe(h).into_owned()),
                    guid: Some(rss::Guid { value: s.entry_id(story), permalink: false }),
                    pub_date: Some(story.published.to_rfc2822()),
                    source: Some(rss::Source {
                        url: primary.source_url.clone(),
                        title: Some(xml_safe(primary.source_title.as_deref().unwrap_or(&primary.source)).into_owned()),
                    }),
                    categories: story
                        .categories
                        .iter()
                        .map(|c| rss::Category { name: xml_safe(c).into_owned(), domain: None })
                        .collect(),
                    dublin_core_ext: Some(dc),
                    ..Default::default()
                }
            })
            .collect();
        let mut atom_ext = rss::extension::atom::AtomExtension::default();
        atom_ext.set_links(vec![atom_link(&self_url, "self", Some("application/rss+xml"))]);
        let channel = rss::Channel {
            title: xml_safe(&self.title(scope)).into_owned(),
            link: format!("{}/", s.base_url),
            description: xml_safe(&self.title(scope)).into_owned(),
            language: Some("vi".into()),
            last_build_date: updated.map(|u| u.to_rfc2822()),
            generator: Some(concat!("loa ", env!("CARGO_PKG_VERSION")).into()),
            items,
            atom_ext: Some(atom_ext),
            namespaces: BTreeMap::from([
                ("atom".to_string(), "http://www.w3.org/2005/Atom".to_string()),
                ("dc".to_string(), "http://purl.org/dc/elements/1.1/".to_string()),
            ]),
            ..Default::default()
        };
        let mut out = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = channel.pretty_write_to(&mut out, b' ', 0);
        out
    }

    fn json(&self, scope: &Scope, stories: &[Story]) -> Vec<u8> {
        let s = &self.settings;
        let feed = JsonFeed {
            version: "https://jsonfeed.org/version/1.1",
            title: self.title(scope),
            home_page_url: format!("{}/", s.base_url),
            feed_url: s.url(scope, FeedKind::Json),
            language: "vi",
            items: stories
                .iter()
                .map(|story| JsonItem {
                    id: s.entry_id(story),
                    url: story.link.clone(),
                    title: story.title.clone(),
                    content_html: story.content.clone().or_else(|| story.summary.clone()).unwrap_or_default(),
                    summary: story.summary.as_deref().map(crate::normalize::text::html_to_text),
                    date_published: story.published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    date_modified: story.updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    authors: vec![JsonAuthor { name: story.agency_name.clone() }],
                    tags: story.categories.clone(),
                    loa: LoaExtension {
                        agency: story.agency.clone(),
                        agencies: story.agencies().into_iter().map(str::to_string).collect(),
                        sources: story
                            .members
                            .iter()
                            .map(|m| LoaSource { source: m.source.clone(), url: m.url.clone(), id: m.id.clone() })
                            .collect(),
                    },
                })
                .collect(),
        };
        serde_json::to_vec_pretty(&feed).unwrap_or_default()
    }
}

fn fixed(d: DateTime<Utc>) -> DateTime<FixedOffset> {
    d.fixed_offset()
}

fn plain(text: &str) -> atom::Text {
    atom::Text::plain(xml_safe(text).into_owned())
}

fn html_text(html: &str) -> atom::Text {
    atom::Text::html(xml_safe(html).into_owned())
}

fn atom_link(href: &str, rel: &str, mime: Option<&str>) -> atom::Link {
    atom::Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        ..Default::default()
    }
}

#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    language: &'static str,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    title: String,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(rename = "_loa")]
    loa: LoaExtension,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

#[derive(Serialize)]
struct LoaExtension {
    agency: String,
    agencies: Vec<String>,
    sources: Vec<LoaSource>,
}

#[derive(Serialize)]
struct LoaSource {
    source: String,
    url: Option<String>,
    id: Option<String>,
}
