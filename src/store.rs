//! The sled store: items, stories, their indexes and each source's health.
//!
//! This is the only module that names sled; the rest of loa sees `Store` and
//! `Batch`. A fixed set of trees with prefixed keys (never a tree per source); one
//! source's poll is committed in one transaction across them, and flushed before it
//! is published. The schema version is checked at open. Rendering is not done here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use crate::model::{Item, SourceHealth, Story, StoryId};

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the store at {path}: {source}\n  if it was damaged by a crash or power loss, move the directory aside and \
         start again; the sources will be polled afresh"
    )]
    Open { path: PathBuf, source: sled::Error },
    #[error("the store at {path} has schema version {found}, newer than this loa understands ({SCHEMA_VERSION}): run a newer loa, or restore a backup")]
    TooNew { path: PathBuf, found: u32 },
    #[error("store I/O failed: {0}")]
    Io(#[from] sled::Error),
    #[error("a stored record cannot be read ({what}): {error}")]
    Corrupt { what: String, error: String },
}

/// An item as kept: the normalized item, the story it belongs to, and the
/// fingerprint that tells an edit from a re-poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredItem {
    pub item: Item,
    pub story: StoryId,
    pub fingerprint: String,
}

/// Which stories a feed document shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    All,
    Agency(String),
}

/// The writes of one poll of one source, committed together.
#[derive(Debug, Default)]
pub struct Batch {
    items: Vec<(String, StoredItem)>,
    /// (story as stored before, if any; story now)
    stories: Vec<(Option<Story>, Story)>,
    health: Option<(String, SourceHealth)>,
    keys: Vec<Vec<u8>>,
    notes: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Batch {
    pub fn put_item(&mut self, stored: StoredItem) {
        self.items.push((stored.item.store_key(), stored));
    }

    /// Writes `story`, moving its index entries from those of `before`.
    pub fn put_story(&mut self, before: Option<Story>, story: Story) {
        self.stories.push((before, story));
    }

    pub fn put_health(&mut self, source: &str, health: SourceHealth) {
        self.health = Some((source.to_string(), health));
    }

    /// Adds a dedupe lookup key (see `Store::keyed`).
    pub fn put_key(&mut self, key: Vec<u8>) {
        self.keys.push(key);
    }

    /// Keeps `note` for the member `item_key` of `story` (see `Store::member_notes`).
    pub fn put_member_note(&mut self, story: &StoryId, item_key: &str, note: Vec<u8>) {
        self.notes.push((member_note_key(story, item_key), note));
    }

    /// Nothing but the source's health: no reader-visible change.
    pub fn is_health_only(&self) -> bool {
        self.items.is_empty() && self.stories.is_empty()
    }
}

#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    items: sled::Tree,
    stories: sled::Tree,
    by_time: sled::Tree,
    by_agency: sled::Tree,
    sources: sled::Tree,
    /// Dedupe lookups: `prefix · time · story id`, written by `dedupe`.
    keys: sled::Tree,
    /// Dedupe's compact record of each story member: `story id · item key`.
    notes: sled::Tree,
}

const SCHEMA_KEY: &[u8] = b"schema_version";

impl Store {
    /// Opens (or creates) the store; `cache_capacity` bounds sled's page cache.
    pub fn open(path: &Path, cache_capacity: u64) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(cache_capacity)
            .mode(sled::Mode::LowSpace)
            .open()
            .map_err(open_err)?;
        let tree = |name: &str| db.open_tree(name).map_err(open_err);
        let store = Store {
            path: path.to_path_buf(),
            meta: tree("meta")?,
            items: tree("items")?,
            stories: tree("stories")?,
            by_time: tree("by_time")?,
            by_agency: tree("by_agency")?,
            sources: tree("sources")?,
            keys: tree("keys")?,
            notes: tree("notes")?,
            db,
        };
        match store.meta.get(SCHEMA_KEY)? {
            None => {
                store.meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            }
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref()).map(u32::from_be_bytes).unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::TooNew { path: path.to_path_buf(), found });
                }
            }
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn item(&self, key: &str) -> Result<Option<StoredItem>, StoreError> {
        get(&self.items, key.as_bytes())
    }

    pub fn story(&self, id: &StoryId) -> Result<Option<Story>, StoreError> {
        get(&self.stories, id.0.as_bytes())
    }

    pub fn health(&self, source: &str) -> Result<Option<SourceHealth>, StoreError> {
        get(&self.sources, source.as_bytes())
    }

    /// Every source with recorded health, by id.
    pub fn all_health(&self) -> Result<Vec<(String, SourceHealth)>, StoreError> {
        self.sources
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((String::from_utf8_lossy(&k).into_owned(), decode(&v, "source health")?))
            })
            .collect()
    }

    pub fn story_count(&self) -> usize {
        self.stories.len()
    }

    pub fn item_count(&self) -> usize {
        self.items.len()
    }

    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }

    /// The newest `limit` stories of a scope, newest first.
    pub fn latest(&self, scope: &Scope, limit: usize) -> Result<Vec<Story>, StoreError> {
        let ids: Vec<sled::IVec> = match scope {
            Scope::All => {
                self.by_time.iter().rev().take(limit).map(|kv| kv.map(|(k, _)| k)).collect::<Result<_, _>>()?
            }
            Scope::Agency(slug) => self
                .by_agency
                .scan_prefix(agency_prefix(slug))
                .rev()
                .take(limit)
                .map(|kv| kv.map(|(k, _)| k))
                .collect::<Result<_, _>>()?,
        };
        let mut out = Vec::with_capacity(ids.len());
        for key in ids {
            // The story id is the last 16 bytes of every index key.
            let id = &key[key.len().saturating_sub(16)..];
            match get::<Story>(&self.stories, id)? {
                Some(s) => out.push(s),
                None => {
                    return Err(StoreError::Corrupt {
                        what: format!("index entry for missing story {}", String::from_utf8_lossy(id)),
                        error: "dangling index entry".into(),
                    })
                }
            }
        }
        Ok(out)
    }

    /// The stories keyed under `prefix` at a time within `from..=to`: the lookup
    /// half of `Batch::put_key`, with keys made by `lookup_key`.
    pub fn keyed(&self, prefix: &[u8], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<StoryId>, StoreError> {
        let start = lookup_key(prefix, from, &StoryId(String::new()));
        let mut end = lookup_key(prefix, to, &StoryId(String::new()));
        end.extend_from_slice(&[0xff; 17]);
        self.keys
            .range(start..end)
            .map(|kv| {
                let (k, _) = kv?;
                Ok(StoryId(String::from_utf8_lossy(&k[k.len().saturating_sub(16)..]).into_owned()))
            })
            .collect()
    }

    /// The notes kept for each member of a story, in item key order.
    pub fn member_notes(&self, story: &StoryId) -> Result<Vec<sled::IVec>, StoreError> {
        self.notes.scan_prefix(story.0.as_bytes()).map(|kv| Ok(kv?.1)).collect()
    }

    /// Every agency that has at least one story, in slug order.
    pub fn agencies(&self) -> Result<BTreeSet<String>, StoreError> {
        let mut out = BTreeSet::new();
        let mut next: Vec<u8> = Vec::new();
        // Skip from one agency's prefix to the next instead of reading every entry.
        while let Some(kv) = self.by_agency.range(next.clone()..).next() {
            let (k, _) = kv?;
            let slug_end = k.iter().position(|b| *b == 0).unwrap_or(k.len());
            let slug = String::from_utf8_lossy(&k[..slug_end]).into_owned();
            next = k[..slug_end].to_vec();
            next.push(1);
            out.insert(slug);
        }
        Ok(out)
    }

    /// Commits a batch atomically across all trees.
    pub fn commit(&self, batch: &Batch) -> Result<(), StoreError> {
        let mut encoded_items = Vec::with_capacity(batch.items.len());
        for (k, v) in &batch.items {
            encoded_items.push((k.as_bytes(), encode(v)?));
        }
        let mut story_writes = Vec::with_capacity(batch.stories.len());
        for (before, story) in &batch.stories {
            story_writes.push((before.as_ref().map(index_keys), index_keys(story), encode(story)?, story));
        }
        let health = match &batch.health {
            Some((id, h)) => Some((id.as_bytes(), encode(h)?)),
            None => None,
        };
        let trees =
            (&self.items, &self.stories, &self.by_time, &self.by_agency, &self.sources, &self.keys, &self.notes);
        trees
            .transaction(|(items, stories, by_time, by_agency, sources, keys, notes)| {
                for k in &batch.keys {
                    keys.insert(k.as_slice(), &[])?;
                }
                for (k, v) in &batch.notes {
                    notes.insert(k.as_slice(), v.as_slice())?;
                }
                for (k, v) in &encoded_items {
                    items.insert(*k, v.as_slice())?;
                }
                for (old_keys, new_keys, bytes, story) in &story_writes {
                    if let Some(old) = old_keys {
                        remove_index(by_time, by_agency, old)?;
                    }
                    for k in &new_keys.time {
                        by_time.insert(k.as_slice(), &[])?;
                    }
                    for k in &new_keys.agency {
                        by_agency.insert(k.as_slice(), &[])?;
                    }
                    stories.insert(story.id.0.as_bytes(), bytes.as_slice())?;
                }
                if let Some((id, h)) = &health {
                    sources.insert(*id, h.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Storage(e) => StoreError::Io(e),
                TransactionError::Abort(()) => {
                    StoreError::Corrupt { what: "transaction".into(), error: "aborted".into() }
                }
            })
    }

    /// Makes every committed write durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }

    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

struct IndexKeys {
    time: Vec<Vec<u8>>,
    agency: Vec<Vec<u8>>,
}

/// A story's index entries: one by time, one per credited agency, each ending in
/// the 16-byte story id so an index scan needs no second lookup to find it.
fn index_keys(story: &Story) -> IndexKeys {
    let t = time_key(story.published.timestamp_millis());
    let mut time = t.to_vec();
    time.extend_from_slice(story.id.0.as_bytes());
    let agency = story
        .agencies()
        .into_iter()
        .map(|slug| {
            let mut k = agency_prefix(slug);
            k.extend_from_slice(&t);
            k.extend_from_slice(story.id.0.as_bytes());
            k
        })
        .collect();
    IndexKeys { time: vec![time], agency }
}

fn remove_index(
    by_time: &TransactionalTree,
    by_agency: &TransactionalTree,
    keys: &IndexKeys,
) -> Result<(), sled::transaction::UnabortableTransactionError> {
    for k in &keys.time {
        by_time.remove(k.as_slice())?;
    }
    for k in &keys.agency {
        by_agency.remove(k.as_slice())?;
    }
    Ok(())
}

/// A dedupe lookup key: a caller's prefix, then the time, then the story id, so
/// that `Store::keyed` reads one window of time under one prefix.
pub fn lookup_key(prefix: &[u8], at: DateTime<Utc>, story: &StoryId) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 8 + 16);
    k.extend_from_slice(prefix);
    k.extend_from_slice(&time_key(at.timestamp_millis()));
    k.extend_from_slice(story.0.as_bytes());
    k
}

fn member_note_key(story: &StoryId, item_key: &str) -> Vec<u8> {
    let mut k = story.0.as_bytes().to_vec();
    k.extend_from_slice(item_key.as_bytes());
    k
}

fn agency_prefix(slug: &str) -> Vec<u8> {
    let mut k = slug.as_bytes().to_vec();
    k.push(0);
    k
}

/// Milliseconds as big-endian bytes that sort in time order, negatives included.
fn time_key(millis: i64) -> [u8; 8] {
    ((millis as u64) ^ (1 << 63)).to_be_bytes()
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt { what: "record to write".into(), error: e.to_string() })
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt { what: what.into(), error: e.to_string() })
}

fn get<T: DeserializeOwned>(tree: &sled::Tree, key: &[u8]) -> Result<Option<T>, StoreError> {
    match tree.get(key)? {
        Some(v) => Ok(Some(decode(&v, &String::from_utf8_lossy(key))?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Identity, Member};

    fn story(id: &str, agency: &str, published: &str) -> Story {
        let published = published.parse().unwrap();
        Story {
            id: StoryId(format!("{id:0>16}")),
            title: id.into(),
            link: None,
            summary: None,
            content: None,
            published,
            updated: published,
            authors: vec![],
            categories: vec![],
            agency: agency.into(),
            agency_name: agency.into(),
            members: vec![Member {
                source: "s".into(),
                item_key: id.into(),
                url: None,
                id: None,
                agency: agency.into(),
                source_url: "https://a.vn/rss".into(),
                source_title: None,
            }],
        }
    }

    #[test]
    fn latest_is_newest_first_per_scope_and_indexes_move() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut b = Batch::default();
        b.put_story(None, story("a", "tinh-uy", "2022-08-01T00:00:00Z"));
        b.put_story(None, story("b", "so-y-te", "2022-08-03T00:00:00Z"));
        b.put_story(None, story("c", "tinh-uy", "1969-08-02T00:00:00Z"));
        store.commit(&b).unwrap();
        let titles = |scope| store.latest(&scope, 10).unwrap().into_iter().map(|s| s.title).collect::<Vec<_>>();
        assert_eq!(titles(Scope::All), ["b", "a", "c"]);
        assert_eq!(titles(Scope::Agency("tinh-uy".into())), ["a", "c"]);
        assert_eq!(store.agencies().unwrap().into_iter().collect::<Vec<_>>(), ["so-y-te", "tinh-uy"]);

        // Moving story a to another agency and date moves its index entries.
        let before = store.story(&StoryId("000000000000000a".into())).unwrap();
        let mut b = Batch::default();
        b.put_story(before, story("a", "so-y-te", "2022-08-05T00:00:00Z"));
        store.commit(&b).unwrap();
        assert_eq!(titles(Scope::All), ["a", "b", "c"]);
        assert_eq!(titles(Scope::Agency("tinh-uy".into())), ["c"]);
        assert_eq!(store.by_time.len(), 3);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store.meta.insert(SCHEMA_KEY, &99u32.to_be_bytes()).unwrap();
            store.flush_blocking().unwrap();
        }
        let err = Store::open(dir.path(), 1 << 20).err().expect("refused");
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn items_and_health_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let item = Item {
            source: "s".into(),
            identity: Identity::Guid("1".into()),
            guid: Some("1".into()),
            title: "t".into(),
            link: None,
            canonical_url: None,
            summary: None,
            content: None,
            published: None,
            updated: None,
            first_seen: "2022-08-01T00:00:00Z".parse().unwrap(),
            authors: vec![],
            categories: vec![],
            agency: "tinh-uy".into(),
            agency_name: "Tỉnh ủy".into(),
            evidence: crate::model::Evidence::SourceDefault,
            source_agency: "tinh-uy".into(),
            source_url: "https://a.vn/rss".into(),
            source_title: None,
        };
        let mut b = Batch::default();
        b.put_item(StoredItem { story: StoryId("x".into()), fingerprint: item.fingerprint(), item: item.clone() });
        b.put_health("s", SourceHealth { items_total: 1, ..Default::default() });
        store.commit(&b).unwrap();
        assert_eq!(store.item(&item.store_key()).unwrap().unwrap().item, item);
        assert_eq!(store.health("s").unwrap().unwrap().items_total, 1);
    }
}
