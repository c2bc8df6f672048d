//! The sled store: items, stories, their indexes and each source's health.
//!
//! This is the only module that names sled; the rest of loa sees `Store` and
//! `Batch`. Everything lives in one tree under one-byte prefixes (never a tree per
//! source), so that one source's poll is committed as one atomic sled batch — much
//! cheaper than a transaction across trees — and flushed before it is published.
//! The schema version is checked at open. Rendering is not done here.
//!
//! sled 0.34 can panic on a damaged file: every open and read is contained
//! (`contained`), and a panic becomes `StoreError::Corrupt` naming the file. A
//! write that fails (a full disk) leaves sled's handle refusing everything after
//! it, so the store reopens itself before the next write; the health it could not
//! write is kept in memory meanwhile, so `/status` shows the failure. Opening first
//! settles what an interrupted `compact`, `import` or `recover` left beside the
//! store (`settle_before_open`, `settle_after_open`). This module never renders
//! and never decides what is stored.
//!
//! Dedupe's lookups are one key per member (holding the hashes of all its lookup
//! prefixes, instead of a key per prefix: half of all keys were these), led by a
//! 4-day bucket of its time: `Lookups` reads a bucket whole into memory the first
//! time a lookup spans it and keeps up to `WINDOW_ENTRIES` entries, so a lookup
//! costs no sled scan (most new items find nothing, which cost five scans each).
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `m` | name | metadata: schema version, counts, generation |
//! | `i` | item key | `StoredItem` |
//! | `s` | story id | `Story` |
//! | `t` | time · story id | index: newest first |
//! | `a` | agency slug · 0 · time · story id | index per agency |
//! | `h` | source id | `SourceHealth` |
//! | `k` | 4-day bucket · time · item hash · story id | a member's dedupe lookups: hashes of its prefixes |
//! | `n` | story id · item key | dedupe's note of a member |

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::model::{Item, SourceHealth, Story, StoryId};
use crate::util::hash::fnv1a;

/// The layout this build reads and writes.
/// 2: records in postcard (schema-1 JSON records are still read).
/// 3: lookup keys in time buckets (`lookup_key`); older ones are rewritten at open.
pub const SCHEMA_VERSION: u32 = 3;

const ITEM: &[u8] = b"i";
const STORY: &[u8] = b"s";
const TIME: &[u8] = b"t";
const AGENCY: &[u8] = b"a";
const HEALTH: &[u8] = b"h";
const LOOKUP: &[u8] = b"k";
const NOTE: &[u8] = b"n";

const META: &[u8] = b"m";
const SCHEMA_KEY: &[u8] = b"mschema_version";
const COUNTS_KEY: &[u8] = b"mcounts";
const GENERATION_KEY: &[u8] = b"mgeneration";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the store at {path}: {damage}\n  it looks damaged (a crash or power loss): stop loa and run `loa store \
         recover`: it keeps the damaged store beside the new one, carries every record it can read, and says how many"
    )]
    Open { path: PathBuf, damage: String },
    #[error("cannot open the store at {path}: {source} (check that its disk has space and that loa may read and write there)")]
    OpenIo { path: PathBuf, source: std::io::Error },
    #[error("the store at {path} has schema version {found}, newer than this loa understands ({SCHEMA_VERSION}): run a newer loa, or restore a backup")]
    TooNew { path: PathBuf, found: u32 },
    #[error(
        "the store at {path} is in use by {holder}: stop it first (`systemctl stop loa`) and run this again; nothing \
         was changed. `loa sources`, `loa store verify`, `loa store export` and `loa export` work beside a running \
         `loa run`"
    )]
    InUse { path: PathBuf, holder: String },
    #[error(
        "the store at {path} holds {} stories and {} items, but held {} and {} at its last flush: part of its log \
         was lost (a damaged file). Stop loa and run `loa store recover`: it reads what sled cannot, keeps the damaged \
         store, and says what it carried",
        found.0, found.1, held.0, held.1
    )]
    Lost { path: PathBuf, found: (u64, u64), held: (u64, u64) },
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

/// Where a page of a feed starts: the index position of the last story of the
/// page before it. Opaque to everyone but the store; printable as hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(Vec<u8>);

impl Cursor {
    pub fn to_hex(&self) -> String {
        crate::model::hex(&self.0)
    }

    pub fn from_hex(s: &str) -> Option<Cursor> {
        if s.len() > 128 {
            return None;
        }
        crate::model::unhex(s).map(Cursor)
    }
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
    /// (new to the store?, item)
    items: Vec<(bool, StoredItem)>,
    /// (story as stored before, if any; story now)
    stories: Vec<(Option<Story>, Story)>,
    health: Option<(String, SourceHealth)>,
    /// A member's lookup key and its value (see `lookup_entry`).
    keys: Vec<(Vec<u8>, Vec<u8>)>,
    notes: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Batch {
    /// Writes an item; `new` when the store did not hold it yet.
    pub fn put_item(&mut self, new: bool, stored: StoredItem) {
        self.items.push((new, stored));
    }

    /// Writes `story`, moving its index entries from those of `before`.
    pub fn put_story(&mut self, before: Option<Story>, story: Story) {
        self.stories.push((before, story));
    }

    pub fn put_health(&mut self, source: &str, health: SourceHealth) {
        self.health = Some((source.to_string(), health));
    }

    /// Keys the member `item_key` of `story`, dated `at`, under each of `prefixes`
    /// (see `Store::keyed`).
    pub fn put_lookups(&mut self, story: &StoryId, item_key: &str, at: DateTime<Utc>, prefixes: &[impl AsRef<[u8]>]) {
        if !prefixes.is_empty() {
            self.keys.push(lookup_entry(at.timestamp_millis(), fnv1a(item_key.as_bytes()), story, prefixes));
        }
    }

    /// Keeps `note` for the member `item_key` of `story` (see `Store::member_notes`).
    pub fn put_member_note(&mut self, story: &StoryId, item_key: &str, note: Vec<u8>) {
        self.notes.push((member_note_key(story, item_key), note));
    }
}

/// How many stories and items the store holds, kept with the data so that
/// counting never means scanning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    stories: u64,
    items: u64,
}

impl Counts {
    /// Stories then items, each a big-endian u64.
    fn to_bytes(self) -> [u8; 16] {
        let mut v = [0; 16];
        v[..8].copy_from_slice(&self.stories.to_be_bytes());
        v[8..].copy_from_slice(&self.items.to_be_bytes());
        v
    }

    /// What `to_bytes` wrote; zero counts for anything else.
    fn from_bytes(v: &[u8]) -> Counts {
        let Ok(v) = <[u8; 16]>::try_from(v) else { return Counts::default() };
        let (stories, items) = v.split_at(8);
        let word = |b: &[u8]| u64::from_be_bytes(b.try_into().expect("8 bytes"));
        Counts { stories: word(stories), items: word(items) }
    }
}

#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    cache_capacity: u64,
    /// sled's handle; `None` while a failed one is being replaced.
    handle: Arc<RwLock<Option<Handle>>>,
    /// Set when a write failed: sled then refuses everything until reopened.
    failed: Arc<AtomicBool>,
    /// The counts as last committed. Held only to read or set them: `reopen`
    /// sets them, and may run from within any call into sled.
    counts: Arc<Mutex<Counts>>,
    /// Orders the writes that work from the counts and the generation (commits,
    /// retention): held across their call into sled, never taken by `reopen`.
    writing: Arc<Mutex<()>>,
    /// See `generation`; moved on under `writing`.
    generation: Arc<AtomicU64>,
    /// Health records that could not be written (a full disk), by source: read
    /// before the stored ones until a write succeeds.
    unsaved_health: Arc<Mutex<HashMap<String, SourceHealth>>>,
    /// The newest lookup keys, in memory (see `Lookups`).
    lookups: Arc<Mutex<Lookups>>,
    /// Set by whatever makes the held lookups stale (a reopen, retention, a
    /// restore): the next holder of the lock forgets them. A flag, not the lock,
    /// because a reopen may run while a lookup holds it.
    lookups_stale: Arc<AtomicBool>,
}

/// At most this many prefix entries of lookups are kept in memory (about 40 bytes
/// each: 16 MB): a province's months, a country's days, and a first poll of a
/// thousand sources. A bucket found to hold more than a quarter of it is not read
/// into memory: lookups in it read the store.
const WINDOW_ENTRIES: usize = 400_000;

/// Dedupe's lookups (`k`) of recently used time buckets, in memory. A bucket is
/// read whole from the store the first time a lookup needs it, and kept up to date
/// by commits while it stays; past the cap, the least recently used buckets go.
/// The store stays the truth: every lookup is written to it as before.
#[derive(Debug)]
struct Lookups {
    /// (hash of the lookup prefix, milliseconds, story id). A hash collision only
    /// adds a candidate, which dedupe checks against its notes.
    keys: BTreeSet<(u64, i64, [u8; StoryId::LEN])>,
    /// The buckets held whole, by start: how many entries, when last used.
    buckets: BTreeMap<i64, (usize, u64)>,
    /// Buckets found too large to hold, so that they are not read again to learn it.
    too_large: BTreeSet<i64>,
    held: usize,
    clock: u64,
    cap: usize,
}

impl Lookups {
    fn new(cap: usize) -> Lookups {
        Lookups { keys: BTreeSet::new(), buckets: BTreeMap::new(), too_large: BTreeSet::new(), held: 0, clock: 0, cap }
    }

    /// Adds a member's lookups just written to the store, if its bucket is held.
    fn add(&mut self, key: &[u8], value: &[u8]) {
        let Some((at, id)) = split_lookup_key(key) else { return };
        let Some((entries, _)) = self.buckets.get_mut(&bucket_of(at)) else { return };
        for h in prefix_hashes(value) {
            if self.keys.insert((h, at, id)) {
                *entries += 1;
                self.held += 1;
            }
        }
        self.evict(&[]);
    }

    /// Lets the least recently used buckets go, but those of `keep`, until the
    /// entries held are within the cap.
    fn evict(&mut self, keep: &[i64]) {
        while self.held > self.cap {
            let Some((&oldest, _)) =
                self.buckets.iter().filter(|(b, _)| !keep.contains(b)).min_by_key(|(_, (_, used))| *used)
            else {
                return;
            };
            let (entries, _) = self.buckets.remove(&oldest).unwrap_or_default();
            self.held -= entries;
            self.keys.retain(|k| bucket_of(k.1) != oldest);
        }
    }

    /// The stories keyed under `prefix` within `from..=to` (milliseconds).
    fn find(&self, prefix: &[u8], from: i64, to: i64) -> Vec<StoryId> {
        let h = fnv1a(prefix);
        let ids = self.keys.range((h, from, [0; StoryId::LEN])..=(h, to, [0xff; StoryId::LEN]));
        ids.map(|k| story_id(&k.2)).collect()
    }
}

/// Lookup keys are grouped in buckets of this many milliseconds (4 days): a
/// lookup's window (a copy's date ± 5 days) spans at most four.
const BUCKET_MS: i64 = 4 * 86_400_000;

/// The start of the bucket of a time, in milliseconds.
fn bucket_of(millis: i64) -> i64 {
    millis - millis.rem_euclid(BUCKET_MS)
}

/// A member's lookup key and value: `k`, the bucket and time of `millis`, a hash
/// of the item key (two members of one story and time stay two keys), the story id
/// (last, as in every index key); the value is the hash of each prefix.
fn lookup_entry(millis: i64, item: u64, story: &StoryId, prefixes: &[impl AsRef<[u8]>]) -> (Vec<u8>, Vec<u8>) {
    let mut k = Vec::with_capacity(1 + 8 + 8 + 8 + StoryId::LEN);
    k.extend_from_slice(LOOKUP);
    k.extend_from_slice(&time_key(bucket_of(millis)));
    k.extend_from_slice(&time_key(millis));
    k.extend_from_slice(&item.to_be_bytes());
    k.extend_from_slice(story.0.as_bytes());
    let v = prefixes.iter().flat_map(|p| fnv1a(p.as_ref()).to_be_bytes()).collect();
    (k, v)
}

/// A lookup key's parts: (milliseconds, story id).
fn split_lookup_key(key: &[u8]) -> Option<(i64, [u8; StoryId::LEN])> {
    let rest = key.strip_prefix(LOOKUP)?;
    if rest.len() != 24 + StoryId::LEN {
        return None;
    }
    Some((millis_of(rest[8..16].try_into().ok()?), rest[24..].try_into().ok()?))
}

/// A story id as an index or lookup key ends with it.
fn story_id(bytes: &[u8]) -> StoryId {
    StoryId(String::from_utf8_lossy(bytes).into_owned())
}

/// The prefix hashes a lookup value holds.
fn prefix_hashes(value: &[u8]) -> impl Iterator<Item = u64> + '_ {
    value.chunks_exact(8).map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes")))
}

/// A lookup key as schema 2 and before wrote it (prefix · time · story id: one
/// key per prefix) as a key and value of schema 3 (`lookup_entry`: the prefix's hash
/// stands in for the item's); `None` for anything else. The two layouts are told
/// apart by their second byte: a prefix starts with `T` or `B`, a bucket with 0x7f
/// or 0x80 (before or after 1970).
fn relayout_lookup_key(key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let rest = key.strip_prefix(LOOKUP)?;
    let prefix_len = match rest.first()? {
        b'T' => 9,
        b'B' => 10,
        _ => return None,
    };
    if rest.len() != prefix_len + 8 + StoryId::LEN {
        return None;
    }
    let (prefix, rest) = rest.split_at(prefix_len);
    let (time, id) = rest.split_at(8);
    Some(lookup_entry(millis_of(time.try_into().ok()?), fnv1a(prefix), &story_id(id), &[prefix]))
}

#[derive(Clone)]
struct Handle {
    db: sled::Db,
    data: sled::Tree,
}

/// How long opening waits for a lock that a store closed by this process may
/// still hold; another process's lock is reported after it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether sled could not open because another holder has the store's file lock.
/// sled says so only in the message.
fn is_lock_held(e: &std::io::Error) -> bool {
    e.to_string().contains("could not acquire lock")
}

thread_local! {
    /// Set while a call into sled runs under `contained`: its panic is not printed.
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic contained on this thread.
    static CONTAINED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs a call into sled that may panic on damaged data (sled 0.34 indexes and
/// deserializes what it reads without checking), turning a panic into
/// `StoreError::Corrupt` about `file`. The panic is not printed: the error says it.
fn contained<T>(file: &Path, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CONTAINING.with(Cell::get) {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                CONTAINED.with(|c| *c.borrow_mut() = Some(msg));
            } else {
                default(info)
            }
        }));
    });
    let outer = CONTAINING.with(|c| c.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    CONTAINING.with(|c| c.set(outer));
    r.unwrap_or_else(|_| {
        let msg = CONTAINED.with(|c| c.borrow_mut().take()).unwrap_or_default();
        Err(StoreError::Corrupt {
            what: file.display().to_string(),
            error: format!("sled could not read it ({msg}): the file is damaged; stop loa and run `loa store recover`"),
        })
    })
}

/// Who holds the store's lock, when another process does: its pid and command
/// line as `/proc/locks` and `/proc/PID/cmdline` tell them.
pub fn holder(path: &Path) -> Option<String> {
    let db = path.join("db");
    let file = std::fs::File::open(&db).ok()?;
    if fs2::FileExt::try_lock_shared(&file).is_ok() {
        let _ = fs2::FileExt::unlock(&file);
        return None;
    }
    Some(describe_holder(&db).unwrap_or_else(|| "another process".into()))
}

/// `process PID (COMMAND LINE)` of the holder of a lock on `file`, on Linux.
fn describe_holder(file: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(file).ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    // Lines with `->` are processes waiting for a lock, not holding it.
    let pid = locks.lines().filter(|l| !l.contains("->")).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
        let (pid, dev_ino) = (f.get(4)?, f.get(5)?);
        (dev_ino.rsplit(':').next()?.parse::<u64>().ok()? == inode).then(|| pid.to_string())
    })?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).split('\0').filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    Some(if cmd.is_empty() { format!("process {pid}") } else { format!("process {pid} ({cmd})") })
}

/// The upkeep that replaces a store: each builds the new one beside it
/// (`NAME.compacting-STAMP`…), then moves the store aside (`NAME.before-compact-STAMP`…)
/// and the new one into its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    Compact,
    Import,
    Recover,
}

impl Swap {
    pub const ALL: [Swap; 3] = [Swap::Compact, Swap::Import, Swap::Recover];

    /// The word of the directory the new store is built in.
    pub fn building(self) -> &'static str {
        match self {
            Swap::Compact => "compacting",
            Swap::Import => "importing",
            Swap::Recover => "recovering",
        }
    }

    /// The word of the directory the replaced store is moved to.
    pub fn replaced(self) -> &'static str {
        match self {
            Swap::Compact => "before-compact",
            Swap::Import => "before-import",
            Swap::Recover => "before-recover",
        }
    }
}

/// Where `recover` keeps a damaged store: `NAME.damaged-STAMP`.
pub const DAMAGED: &str = "damaged";

/// A directory beside `path` named for what happened to it and when: `NAME.WHAT-STAMP`, as `siblings` finds it.
pub fn beside(path: &Path, what: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f");
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    path.with_file_name(format!("{name}.{what}-{stamp}"))
}

/// The siblings of `path` named `NAME.WHAT-STAMP`, oldest first.
pub fn siblings(path: &Path, what: &str) -> Vec<PathBuf> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!("{name}.{what}-");
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut out: Vec<PathBuf> = std::fs::read_dir(&parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| path.with_file_name(e.file_name()))
        .collect();
    out.sort();
    out
}

/// Before opening: a store missing from its place while a `before-*` copy
/// exists was moved aside by a swap that a crash interrupted, and goes back.
pub(crate) fn settle_before_open(path: &Path) {
    if path.join("db").exists() {
        return;
    }
    if let Some(aside) = Swap::ALL.iter().flat_map(|w| siblings(path, w.replaced())).max() {
        // An empty directory in its place (never a store: it has no `db`) gives way.
        let _ = std::fs::remove_dir(path);
        match std::fs::rename(&aside, path) {
            Ok(()) => tracing::warn!(
                "an interrupted compact or import had moved the store aside: {} is back at {}",
                aside.display(),
                path.display()
            ),
            Err(e) => tracing::warn!("cannot move {} back to {}: {e}", aside.display(), path.display()),
        }
    }
}

/// Once the store is open (and so locked): what an interrupted upkeep left
/// beside it is settled. A build that did not finish is removed; so is the store
/// a complete compact or import replaced (the new one holds all it held). A
/// store that `recover` replaced is damaged and kept, as `NAME.damaged-STAMP`.
pub(crate) fn settle_after_open(path: &Path) {
    for swap in Swap::ALL {
        for dir in siblings(path, swap.building()).into_iter().chain(siblings(path, swap.replaced())) {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if swap == Swap::Recover && name.contains(swap.replaced()) {
                let kept = path.with_file_name(name.replace(swap.replaced(), DAMAGED));
                match std::fs::rename(&dir, &kept) {
                    Ok(()) => tracing::warn!("the damaged store that recover replaced is kept at {}", kept.display()),
                    Err(e) => tracing::warn!("cannot rename {} to {}: {e}", dir.display(), kept.display()),
                }
                continue;
            }
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => tracing::warn!("removed {}, left by an interrupted store upkeep", dir.display()),
                Err(e) => tracing::warn!("cannot remove {} (left by an interrupted store upkeep): {e}", dir.display()),
            }
        }
    }
}

/// Opens sled at `path`: a lock held elsewhere is `InUse` (after a short wait
/// for one this process is letting go of), damage is `Open` or `Corrupt`.
fn open_handle(path: &Path, cache_capacity: u64) -> Result<Handle, StoreError> {
    let db_file = path.join("db");
    let config = sled::Config::new().path(path).cache_capacity(cache_capacity).mode(sled::Mode::LowSpace);
    // A store just closed in this process stays locked until sled's flusher
    // thread lets go of it, moments later (recover and compact reopen at once).
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    let db = loop {
        match opening(path, contained(&db_file, || Ok(config.open()?))) {
            Err(StoreError::InUse { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => break r?,
        }
    };
    let data = opening(path, contained(&db_file, || Ok(db.open_tree("loa")?)))?;
    Ok(Handle { db, data })
}

/// Names what went wrong opening the store at `path`: held by another process,
/// unreachable (permissions, space), or damaged.
fn opening<T>(path: &Path, r: Result<T, StoreError>) -> Result<T, StoreError> {
    match r {
        Err(StoreError::Io(sled::Error::Io(e))) if is_lock_held(&e) => Err(StoreError::InUse {
            path: path.to_path_buf(),
            holder: describe_holder(&path.join("db")).unwrap_or_else(|| "another process".into()),
        }),
        Err(StoreError::Io(sled::Error::Io(e)))
            if !matches!(e.kind(), std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData) =>
        {
            Err(StoreError::OpenIo { path: path.to_path_buf(), source: e })
        }
        Err(StoreError::Io(e)) => {
            let damage = match e {
                sled::Error::Corruption { .. } => {
                    format!("its log ({}) holds a damaged record", path.join("db").display())
                }
                e => e.to_string(),
            };
            Err(StoreError::Open { path: path.to_path_buf(), damage })
        }
        r => r,
    }
}

fn read_counts(db_file: &Path, data: &sled::Tree) -> Result<Counts, StoreError> {
    contained(db_file, || Ok(data.get(COUNTS_KEY)?.map(|v| Counts::from_bytes(&v)).unwrap_or_default()))
}

/// The stored generation (see `Store::generation`); 0 for a store that never had one.
fn read_generation(db_file: &Path, data: &sled::Tree) -> Result<u64, StoreError> {
    let word = |v: &[u8]| <[u8; 8]>::try_from(v).map(u64::from_be_bytes).unwrap_or(0);
    contained(db_file, || Ok(data.get(GENERATION_KEY)?.map_or(0, |v| word(&v))))
}

/// The file beside sled's in which each flush leaves the counts: what a store
/// whose log lost its end (sled then opens what is left, silently) held.
pub const CLAIM_FILE: &str = "loa-counts";

/// How much of a file `salvage` reads at once, and how much of each window it
/// leaves for the next (a record longer than that is not found).
const SALVAGE_WINDOW: usize = 16 << 20;
const SALVAGE_OVERLAP: usize = 4 << 20;

/// The (stories, items) the store at `path` held at its last flush, as its
/// claim file says, if it has one.
pub fn claimed(path: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(path.join(CLAIM_FILE)).ok()?;
    let mut words = text.split_whitespace().map(|w| w.parse::<u64>().ok());
    Some((words.next()??, words.next()??))
}

impl Store {
    /// Opens (or creates) the store; `cache_capacity` bounds sled's page cache.
    pub fn open(path: &Path, cache_capacity: u64) -> Result<Store, StoreError> {
        settle_before_open(path);
        let handle = open_handle(path, cache_capacity)?;
        settle_after_open(path);
        let data = &handle.data;
        let db_file = path.join("db");
        let older = contained(&db_file, || match data.get(SCHEMA_KEY)? {
            None => {
                data.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
                Ok(false)
            }
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref()).map(u32::from_be_bytes).unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::TooNew { path: path.to_path_buf(), found });
                }
                Ok(found < SCHEMA_VERSION)
            }
        })?;
        if older {
            // Schema 1's JSON records stay readable: new writes are compact. Lookup
            // keys move to the layout of schema 3. A store too damaged to move them
            // still opens (`recover` reads such stores), and the next open tries again.
            let moved = contained(&db_file, || {
                relayout_lookup_keys(path, data)?;
                Ok(data.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes()).map(|_| ())?)
            });
            if let Err(e) = moved {
                tracing::warn!(
                    "cannot move the dedupe lookup keys of the store at {} to schema 3 ({e}): copies of \
                     stories stored before may not be merged; stop loa and run `loa store recover`",
                    path.display()
                );
            }
        }
        let counts = read_counts(&db_file, data)?;
        let generation = read_generation(&db_file, data)?;
        if let Some(held) = claimed(path).filter(|c| c.0 > counts.stories || c.1 > counts.items) {
            // sled opens a log that lost its end (or what followed a damaged
            // record) without a word: this is the only sign of it.
            return Err(StoreError::Lost { path: path.to_path_buf(), found: (counts.stories, counts.items), held });
        }
        Ok(Store {
            path: path.to_path_buf(),
            cache_capacity,
            handle: Arc::new(RwLock::new(Some(handle))),
            failed: Arc::new(AtomicBool::new(false)),
            counts: Arc::new(Mutex::new(counts)),
            writing: Default::default(),
            generation: Arc::new(AtomicU64::new(generation)),
            unsaved_health: Default::default(),
            lookups: Arc::new(Mutex::new(Lookups::new(WINDOW_ENTRIES))),
            lookups_stale: Arc::new(AtomicBool::new(false)),
        })
    }

    /// sled's handle, reopening the store first when a write failed before.
    fn handle(&self) -> Result<Handle, StoreError> {
        if self.failed.load(Ordering::Acquire) {
            self.reopen()?;
        }
        match &*crate::util::sync::read(&self.handle) {
            Some(h) => Ok(h.clone()),
            None => Err(StoreError::Io(sled::Error::Io(std::io::Error::other("the store is being reopened")))),
        }
    }

    /// Runs calls into sled's tree, contained (see `contained`); an I/O error
    /// makes the next call reopen the store.
    fn with<T>(&self, f: impl FnOnce(&sled::Tree) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let h = self.handle()?;
        self.failing(contained(&self.path.join("db"), || f(&h.data)))
    }

    /// Replaces a handle that met a write error by a fresh one: sled keeps the
    /// first I/O error and refuses every later call, so only a reopen gets past
    /// a disk that was full. What was not durable is read again from the log as
    /// it was at the last flush, with the counts.
    fn reopen(&self) -> Result<(), StoreError> {
        let mut slot = crate::util::sync::write(&self.handle);
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        // The old handle must be gone before sled will lock the files again.
        drop(slot.take());
        let handle = open_handle(&self.path, self.cache_capacity)?;
        let counts = read_counts(&self.path.join("db"), &handle.data)?;
        let generation = read_generation(&self.path.join("db"), &handle.data)?;
        *crate::util::sync::lock(&self.counts) = counts;
        // Never back: the generations of commits the reopen lost are not used again.
        self.generation.fetch_max(generation, Ordering::AcqRel);
        // Commits since the last flush are gone with the old handle: so are their keys.
        self.lookups_stale.store(true, Ordering::Release);
        *slot = Some(handle);
        self.failed.store(false, Ordering::Release);
        tracing::info!("the store at {} was reopened after a failed write", self.path.display());
        Ok(())
    }

    /// Notes a failed write, so that the next call reopens the store.
    fn failing<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Io(_)) = &r {
            self.failed.store(true, Ordering::Release);
        }
        r
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn item(&self, key: &str) -> Result<Option<StoredItem>, StoreError> {
        self.get(&prefixed(ITEM, key.as_bytes()))
    }

    pub fn story(&self, id: &StoryId) -> Result<Option<Story>, StoreError> {
        self.get(&prefixed(STORY, id.0.as_bytes()))
    }

    /// A source's health: the one last committed, or a newer one that could not be.
    pub fn health(&self, source: &str) -> Result<Option<SourceHealth>, StoreError> {
        if let Some(h) = crate::util::sync::lock(&self.unsaved_health).get(source) {
            return Ok(Some(h.clone()));
        }
        self.get(&prefixed(HEALTH, source.as_bytes()))
    }

    pub fn story_count(&self) -> usize {
        crate::util::sync::lock(&self.counts).stories as usize
    }

    pub fn item_count(&self) -> usize {
        crate::util::sync::lock(&self.counts).items as usize
    }

    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        let h = self.handle()?;
        self.failing(contained(&self.path.join("db"), || Ok(h.db.size_on_disk()?)))
    }

    /// The newest `limit` stories of a scope, newest first.
    pub fn latest(&self, scope: &Scope, limit: usize) -> Result<Vec<Story>, StoreError> {
        Ok(self.page(scope, None, limit)?.0)
    }

    /// Up to `limit` stories of a scope older than `before`, newest first, and the
    /// cursor of the next page when there is one.
    pub fn page(
        &self,
        scope: &Scope,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<(Vec<Story>, Option<Cursor>), StoreError> {
        let prefix = scope_prefix(scope);
        let end = match before {
            Some(c) => {
                let mut k = prefix.clone();
                k.extend_from_slice(&c.0);
                k
            }
            None => {
                let mut k = prefix.clone();
                k.push(0xff);
                k
            }
        };
        let mut keys = Vec::with_capacity(limit + 1);
        self.with(|data| {
            for kv in data.range(prefix.clone()..end).rev().take(limit + 1) {
                keys.push(kv?.0);
            }
            Ok(())
        })?;
        let more = keys.len() > limit;
        keys.truncate(limit);
        let next = if more { keys.last().map(|k| Cursor(k[prefix.len()..].to_vec())) } else { None };
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.story_of_index_key(&key)?);
        }
        Ok((out, next))
    }

    /// Stories of a scope, newest first, that `keep` accepts, looking at no more
    /// than the `scan` newest: a bounded search.
    pub fn find(
        &self,
        scope: &Scope,
        limit: usize,
        scan: usize,
        mut keep: impl FnMut(&Story) -> bool,
    ) -> Result<Vec<Story>, StoreError> {
        let mut out = Vec::new();
        self.with(|data| {
            for kv in data.scan_prefix(scope_prefix(scope)).rev().take(scan) {
                let story = self.story_of_index_key(&kv?.0)?;
                if keep(&story) {
                    out.push(story);
                    if out.len() == limit {
                        break;
                    }
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn story_of_index_key(&self, key: &[u8]) -> Result<Story, StoreError> {
        // The story id is the last `StoryId::LEN` bytes of every index key.
        let id = &key[key.len().saturating_sub(StoryId::LEN)..];
        self.get::<Story>(&prefixed(STORY, id))?.ok_or_else(|| StoreError::Corrupt {
            what: format!("index entry for missing story {}", String::from_utf8_lossy(id)),
            error: "dangling index entry; stop loa and run `loa store recover`, which rebuilds the indexes".into(),
        })
    }

    /// The stories keyed under `prefix` at a time within `from..=to`: the lookup
    /// half of `Batch::put_lookups`. Answered from memory: the buckets the window
    /// spans are read from the store the first time they are needed.
    pub fn keyed(&self, prefix: &[u8], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<StoryId>, StoreError> {
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        if from > to {
            return Ok(Vec::new());
        }
        let mut lookups = self.lookups();
        let span: Vec<i64> =
            std::iter::successors(Some(bucket_of(from)), |b| b.checked_add(BUCKET_MS).filter(|b| *b <= to)).collect();
        lookups.clock += 1;
        let now = lookups.clock;
        let mut ids = Vec::new();
        for &bucket in &span {
            let held = if let Some((_, used)) = lookups.buckets.get_mut(&bucket) {
                *used = now;
                true
            } else if lookups.too_large.contains(&bucket) {
                false
            } else {
                self.load_bucket(&mut lookups, bucket, now)?
            };
            if !held {
                // Too large to hold (a flood of items of one date): read for this lookup alone.
                let (lo, hi) = (from.max(bucket), to.min(bucket.saturating_add(BUCKET_MS - 1)));
                let h = fnv1a(prefix);
                self.bucket_lookups(bucket, lo, hi, |_, id, value| {
                    if prefix_hashes(value).any(|p| p == h) {
                        ids.push(story_id(&id));
                    }
                    true
                })?;
            }
        }
        lookups.evict(&span);
        ids.extend(lookups.find(prefix, from, to));
        let mut seen = HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        Ok(ids)
    }

    /// The lookups held, forgotten first if a reopen made them stale.
    fn lookups(&self) -> std::sync::MutexGuard<'_, Lookups> {
        let mut lookups = crate::util::sync::lock(&self.lookups);
        if self.lookups_stale.swap(false, Ordering::AcqRel) {
            *lookups = Lookups::new(lookups.cap);
        }
        lookups
    }

    /// Reads one bucket's lookups from the store into memory, unless it holds more
    /// than a quarter of the cap (so that the four buckets a lookup may span fit in
    /// it): then nothing is kept, and `false` says so.
    fn load_bucket(&self, lookups: &mut Lookups, bucket: i64, now: u64) -> Result<bool, StoreError> {
        let limit = lookups.cap / 4;
        let mut read = Vec::new();
        let whole = self.bucket_lookups(bucket, bucket, bucket.saturating_add(BUCKET_MS - 1), |at, id, value| {
            read.extend(prefix_hashes(value).map(|h| (h, at, id)));
            read.len() <= limit
        })?;
        if !whole {
            lookups.too_large.insert(bucket);
            return Ok(false);
        }
        let entries = read.into_iter().map(|k| usize::from(lookups.keys.insert(k))).sum();
        lookups.held += entries;
        lookups.buckets.insert(bucket, (entries, now));
        Ok(true)
    }

    /// Calls `each` with (time, story id, prefix hashes) of every member keyed in
    /// one bucket within `from..=to`, while it returns true; returns whether all were seen.
    fn bucket_lookups(
        &self,
        bucket: i64,
        from: i64,
        to: i64,
        mut each: impl FnMut(i64, [u8; StoryId::LEN], &[u8]) -> bool,
    ) -> Result<bool, StoreError> {
        let mut start = prefixed(LOOKUP, &time_key(bucket));
        let mut end = start.clone();
        start.extend_from_slice(&time_key(from));
        end.extend_from_slice(&time_key(to.saturating_add(1)));
        self.with(|data| {
            for kv in data.range(start..end) {
                let (k, v) = kv?;
                if let Some((at, id)) = split_lookup_key(&k) {
                    if !each(at, id, &v) {
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        })
    }

    /// The notes kept for each member of a story, in item key order.
    pub fn member_notes(&self, story: &StoryId) -> Result<Vec<sled::IVec>, StoreError> {
        self.with(|data| data.scan_prefix(prefixed(NOTE, story.0.as_bytes())).map(|kv| Ok(kv?.1)).collect())
    }

    /// Every agency that has at least one story, in slug order.
    pub fn agencies(&self) -> Result<BTreeSet<String>, StoreError> {
        self.with(|data| {
            let mut out = BTreeSet::new();
            let mut next: Vec<u8> = AGENCY.to_vec();
            // Skip from one agency's prefix to the next instead of reading every entry.
            while let Some(kv) = data.range(next.clone()..).next() {
                let (k, _) = kv?;
                if !k.starts_with(AGENCY) {
                    break;
                }
                let slug_end = k.iter().position(|b| *b == 0).unwrap_or(k.len());
                out.insert(String::from_utf8_lossy(&k[1..slug_end]).into_owned());
                next = k[..slug_end].to_vec();
                next.push(1);
            }
            Ok(out)
        })
    }

    /// Commits a batch atomically: a crash leaves all of it or none.
    /// A batch whose health cannot be written (a full disk) leaves that health
    /// readable through `health` until a later commit writes one.
    pub fn commit(&self, batch: &Batch) -> Result<(), StoreError> {
        let r = self.commit_batch(batch);
        if let Some((id, h)) = &batch.health {
            let mut unsaved = crate::util::sync::lock(&self.unsaved_health);
            match &r {
                Ok(()) => unsaved.remove(id),
                Err(_) => unsaved.insert(id.clone(), h.clone()),
            };
        }
        r
    }

    fn commit_batch(&self, batch: &Batch) -> Result<(), StoreError> {
        let _writing = crate::util::sync::lock(&self.writing);
        let before = self.counts();
        let mut next = before;
        let mut b = sled::Batch::default();
        // An item a batch writes twice (a feed that repeats an entry) is one item.
        let mut new_keys = HashSet::new();
        for (new, stored) in &batch.items {
            let key = prefixed(ITEM, stored.item.store_key().as_bytes());
            next.items += u64::from(*new && new_keys.insert(key.clone()));
            b.insert(key, encode(stored)?);
        }
        for (before, story) in &batch.stories {
            // Most changes keep a story's date and agencies, so its index entries
            // stay as they are: only those that differ are moved.
            let old = match before {
                Some(old) => index_keys(old),
                None => {
                    next.stories += 1;
                    Vec::new()
                }
            };
            let new = index_keys(story);
            for k in old.iter().filter(|k| !new.contains(k)) {
                b.remove(k.as_slice());
            }
            for k in new.iter().filter(|k| !old.contains(k)) {
                b.insert(k.as_slice(), &[]);
            }
            b.insert(prefixed(STORY, story.id.0.as_bytes()), encode(story)?);
        }
        if let Some((id, h)) = &batch.health {
            b.insert(prefixed(HEALTH, id.as_bytes()), encode(h)?);
        }
        for (k, v) in &batch.keys {
            b.insert(k.as_slice(), v.as_slice());
        }
        for (k, v) in &batch.notes {
            b.insert(k.as_slice(), v.as_slice());
        }
        if next != before {
            b.insert(COUNTS_KEY, &next.to_bytes());
        }
        // Health alone changes nothing that is published.
        let generation = (!batch.items.is_empty() || !batch.stories.is_empty()).then(|| self.next_generation(&mut b));
        self.with(|data| Ok(data.apply_batch(b)?))?;
        *crate::util::sync::lock(&self.counts) = next;
        if let Some(g) = generation {
            self.set_generation(g);
        }
        if !batch.keys.is_empty() {
            let mut lookups = self.lookups();
            for (k, v) in &batch.keys {
                lookups.add(k, v);
            }
        }
        Ok(())
    }

    /// Counts the changes to what the store publishes (stories, items): every
    /// write that may change a feed moves it on, in the same sled batch, so what
    /// was rendered from the store at one generation is valid while the store is
    /// at it (`publish` keeps its documents under it). Never goes back: a crash
    /// loses only writes that were not flushed, with their generations.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Writes the next generation into `b`; `set_generation` once `b` is applied.
    /// Called under the `writing` lock, which orders writers.
    fn next_generation(&self, b: &mut sled::Batch) -> u64 {
        let next = self.generation() + 1;
        b.insert(GENERATION_KEY, &next.to_be_bytes());
        next
    }

    fn set_generation(&self, applied: u64) {
        self.generation.store(applied, Ordering::Release);
    }

    /// Makes every committed write durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let h = self.handle()?;
        let counts = self.counts();
        self.failing(h.db.flush_async().await.map_err(StoreError::from))?;
        self.write_claim(counts);
        Ok(())
    }

    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        let h = self.handle()?;
        let counts = self.counts();
        self.failing(h.db.flush().map_err(StoreError::from))?;
        self.write_claim(counts);
        Ok(())
    }

    fn counts(&self) -> Counts {
        *crate::util::sync::lock(&self.counts)
    }

    /// Keeps the counts taken before a flush, all of which it made durable,
    /// beside sled's files (see `claimed`).
    fn write_claim(&self, c: Counts) {
        let file = self.path.join(CLAIM_FILE);
        let text = format!("{} {}\n", c.stories, c.items);
        if let Err(e) = crate::util::atomic::write_bytes(&file, text.as_bytes(), |p, e| format!("{}: {e}", p.display()))
        {
            tracing::debug!("cannot write {e}");
        }
    }

    /// Removes stories published before `before`, and the oldest beyond
    /// `max_stories`, with everything that points at them: index entries, member
    /// items, dedupe notes and lookup keys. Returns how many stories went.
    pub fn prune(&self, before: Option<DateTime<Utc>>, max_stories: Option<usize>) -> Result<usize, StoreError> {
        self.with(|data| {
            let total = self.story_count();
            let excess = max_stories.map_or(0, |m| total.saturating_sub(m));
            let cutoff = before.map(|b| time_key(b.timestamp_millis()));
            // Oldest first, until neither rule asks for more.
            let mut doomed: Vec<Story> = Vec::new();
            for kv in data.scan_prefix(TIME) {
                let (k, _) = kv?;
                let old = cutoff.is_some_and(|c| k[1..9] < c[..]);
                if !old && doomed.len() >= excess {
                    break;
                }
                doomed.push(self.story_of_index_key(&k)?);
            }
            if doomed.is_empty() {
                return Ok(0);
            }
            let ids: std::collections::HashSet<Vec<u8>> = doomed.iter().map(|s| s.id.0.as_bytes().to_vec()).collect();
            let mut b = sled::Batch::default();
            let mut items_gone = 0u64;
            for story in &doomed {
                for k in index_keys(story) {
                    b.remove(k);
                }
                for m in &story.members {
                    b.remove(prefixed(ITEM, m.item_key.as_bytes()));
                    items_gone += 1;
                }
                for kv in data.scan_prefix(prefixed(NOTE, story.id.0.as_bytes())) {
                    b.remove(kv?.0);
                }
                b.remove(prefixed(STORY, story.id.0.as_bytes()));
            }
            // Lookup keys end in the story id: one pass over them finds those of the
            // stories removed.
            for kv in data.scan_prefix(LOOKUP) {
                let (k, _) = kv?;
                if ids.contains(&k[k.len().saturating_sub(StoryId::LEN)..]) {
                    b.remove(k);
                }
            }
            let _writing = crate::util::sync::lock(&self.writing);
            let counts = self.counts();
            let next = Counts {
                stories: counts.stories.saturating_sub(doomed.len() as u64),
                items: counts.items.saturating_sub(items_gone),
            };
            b.insert(COUNTS_KEY, &next.to_bytes());
            let generation = self.next_generation(&mut b);
            // The claim goes down first: a crash after the removal must not look
            // like a lost log at the next open.
            if let Some((stories, items)) = claimed(&self.path) {
                self.write_claim(Counts { stories: stories.min(next.stories), items: items.min(next.items) });
            }
            data.apply_batch(b)?;
            *crate::util::sync::lock(&self.counts) = next;
            self.set_generation(generation);
            // Read again as lookups need them, without the stories that went.
            self.lookups_stale.store(true, Ordering::Release);
            Ok(doomed.len())
        })
    }

    /// Checks that every index entry points at a story and every story is
    /// indexed, its members stored, and the counts right. Returns the problems.
    pub fn verify(&self) -> Result<Vec<String>, StoreError> {
        self.with(|data| {
            let mut problems = Vec::new();
            let mut stories = 0u64;
            let mut items = 0u64;
            for kv in data.scan_prefix(STORY) {
                let (k, v) = kv?;
                stories += 1;
                let story: Story = match decode(&v, "story") {
                    Ok(s) => s,
                    Err(e) => {
                        problems.push(format!("story {}: {e}", String::from_utf8_lossy(&k[1..])));
                        continue;
                    }
                };
                for key in index_keys(&story) {
                    if data.get(&key)?.is_none() {
                        problems.push(format!("story {} is missing an index entry", story.id));
                    }
                }
                for m in &story.members {
                    if data.get(prefixed(ITEM, m.item_key.as_bytes()))?.is_none() {
                        problems.push(format!("story {}: member item {:?} is missing", story.id, m.item_key));
                    }
                }
            }
            for kv in data.scan_prefix(ITEM) {
                let (k, v) = kv?;
                items += 1;
                if let Err(e) = decode::<StoredItem>(&v, "item") {
                    problems.push(format!("item {:?}: {e}", String::from_utf8_lossy(&k[1..])));
                }
            }
            for prefix in [TIME, AGENCY, LOOKUP] {
                for kv in data.scan_prefix(prefix) {
                    let (k, _) = kv?;
                    let id = &k[k.len().saturating_sub(StoryId::LEN)..];
                    if data.get(prefixed(STORY, id))?.is_none() {
                        problems.push(format!(
                            "index entry {:?} points at missing story {}",
                            prefix[0] as char,
                            String::from_utf8_lossy(id)
                        ));
                    }
                }
            }
            for kv in data.scan_prefix(NOTE) {
                let (k, _) = kv?;
                if k.len() < 17 || data.get(prefixed(STORY, &k[1..17]))?.is_none() {
                    problems
                        .push(format!("dedupe note {:?} points at a missing story", String::from_utf8_lossy(&k[1..])));
                }
            }
            let counts = *crate::util::sync::lock(&self.counts);
            if counts != (Counts { stories, items }) {
                problems.push(format!(
                    "counts say {} stories and {} items; the store holds {stories} and {items}",
                    counts.stories, counts.items
                ));
            }
            Ok(problems)
        })
    }

    /// Every record but the metadata (derived: the schema version, the counts),
    /// as (key, value) pairs: for backups and for copying into a fresh store.
    /// Stops at the first record sled cannot read, saying so.
    pub fn records(&self) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> {
        let file = self.path.join("db");
        let mut iter = self.handle().map(|h| h.data.iter()).map_err(Some);
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let next = match &mut iter {
                Err(e) => e.take().map(Err),
                Ok(it) => contained(&file, || Ok(it.next().transpose()?)).transpose(),
            };
            done = !matches!(next, Some(Ok(_)));
            next.map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
        })
        .filter(|r| !r.as_ref().is_ok_and(|(k, _)| k.starts_with(META)))
    }

    /// Writes records as they come (a restore or a copy), then recounts.
    pub fn load_records(&self, records: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<u64, StoreError> {
        let mut n = 0;
        let mut b = sled::Batch::default();
        for (k, v) in records {
            if k.starts_with(META) {
                continue;
            }
            // A backup or a store of schema 2 and before: its lookup keys move.
            let (k, v) = relayout_lookup_key(&k).unwrap_or((k, v));
            b.insert(k, v);
            n += 1;
            if n % 10_000 == 0 {
                let full = std::mem::take(&mut b);
                self.with(|data| Ok(data.apply_batch(full)?))?;
            }
        }
        self.with(|data| Ok(data.apply_batch(b)?))?;
        self.recount()?;
        self.lookups_stale.store(true, Ordering::Release);
        Ok(n)
    }

    /// Reads stories and items straight out of a store's files (`db`, and
    /// `blobs/`) that sled cannot read, into this store: the last resort of
    /// `recover`. Every place a record may start is tried; a record counts only
    /// when it proves itself: an item's stored fingerprint is that of its content,
    /// a story's id is minted from one of its members. Of the versions of one
    /// record, the one held already stays unless another was updated later (a
    /// story: or has more members). Index entries are rebuilt from the stories;
    /// dedupe's notes and keys and the sources' health are not (new copies of
    /// these stories are not merged into them; sources are polled afresh), and a
    /// story retention removed may come back. Memory stays within one window of
    /// the file. Returns how many stories and items this store then holds.
    pub fn salvage(&self, from: &Path) -> Result<(usize, usize), StoreError> {
        let io = |e: std::io::Error| StoreError::Corrupt { what: from.display().to_string(), error: e.to_string() };
        let mut files = vec![from.join("db")];
        if let Ok(blobs) = std::fs::read_dir(from.join("blobs")) {
            files.extend(blobs.flatten().map(|e| e.path()));
        }
        for file in files {
            let mut f = std::fs::File::open(&file).map_err(io)?;
            let mut window: Vec<u8> = Vec::new();
            loop {
                let before = window.len();
                std::io::Read::by_ref(&mut f)
                    .take((SALVAGE_WINDOW - before) as u64)
                    .read_to_end(&mut window)
                    .map_err(io)?;
                let end = window.len() == before;
                // A record that starts in the last part of a window is tried in the next.
                let scan_to = if end { window.len() } else { window.len().saturating_sub(SALVAGE_OVERLAP) };
                for at in (0..scan_to).filter(|&at| window[at] == COMPACT) {
                    self.salvage_at(&window[at + 1..])?;
                }
                if end {
                    break;
                }
                window.drain(..scan_to);
            }
        }
        self.reindex()?;
        Ok((self.story_count(), self.item_count()))
    }

    /// Makes the index entries follow the stories: every story gets its entries,
    /// and an entry whose story is missing goes (an interrupted older loa, a
    /// damaged store). Then recounts. Returns how many entries went.
    pub fn reindex(&self) -> Result<u64, StoreError> {
        let mut removed = 0;
        self.with(|data| {
            let mut b = sled::Batch::default();
            let mut n = 0;
            for kv in data.scan_prefix(STORY) {
                let (_, v) = kv?;
                if let Ok(story) = decode::<Story>(&v, "story") {
                    for k in index_keys(&story) {
                        b.insert(k, &[]);
                        n += 1;
                    }
                }
                if n >= 10_000 {
                    data.apply_batch(std::mem::take(&mut b))?;
                    n = 0;
                }
            }
            for prefix in [TIME, AGENCY] {
                for kv in data.scan_prefix(prefix) {
                    let (k, _) = kv?;
                    if !data.contains_key(prefixed(STORY, &k[k.len().saturating_sub(StoryId::LEN)..]))? {
                        b.remove(k);
                        removed += 1;
                    }
                }
            }
            Ok(data.apply_batch(b)?)
        })?;
        self.recount()?;
        Ok(removed)
    }

    /// Keeps the record that starts at `bytes`, if one does, proves itself, and
    /// is newer than the one held.
    fn salvage_at(&self, bytes: &[u8]) -> Result<(), StoreError> {
        if let Ok((stored, _)) = postcard::take_from_bytes::<StoredItem>(bytes) {
            if !stored.fingerprint.is_empty() && stored.fingerprint == stored.item.fingerprint() {
                let key = prefixed(ITEM, stored.item.store_key().as_bytes());
                if let Some(held) = self.get::<StoredItem>(&key)? {
                    if held.item.updated >= stored.item.updated {
                        return Ok(());
                    }
                }
                return self.with(|data| Ok(data.insert(key, encode(&stored)?).map(|_| ())?));
            }
        }
        let Ok((story, _)) = postcard::take_from_bytes::<Story>(bytes) else { return Ok(()) };
        if story.id.0.len() != StoryId::LEN
            || !story.members.iter().any(|m| StoryId::for_item_key(&m.item_key) == story.id)
        {
            return Ok(());
        }
        let key = prefixed(STORY, story.id.0.as_bytes());
        if let Some(held) = self.get::<Story>(&key)? {
            if (held.members.len(), held.updated) >= (story.members.len(), story.updated) {
                return Ok(());
            }
            // Its index entries move with it.
            let mut b = sled::Batch::default();
            for k in index_keys(&held) {
                b.remove(k);
            }
            self.with(|data| Ok(data.apply_batch(b)?))?;
        }
        self.with(|data| Ok(data.insert(key, encode(&story)?).map(|_| ())?))
    }

    /// Counts stories and items by scanning, and keeps the result. Every bulk
    /// write (`load_records`, `reindex`, `salvage`) ends here, so it also moves
    /// the generation on.
    fn recount(&self) -> Result<(), StoreError> {
        self.with(|data| {
            let counts = Counts {
                stories: data.scan_prefix(STORY).count() as u64,
                items: data.scan_prefix(ITEM).count() as u64,
            };
            let _writing = crate::util::sync::lock(&self.writing);
            let mut b = sled::Batch::default();
            b.insert(COUNTS_KEY, &counts.to_bytes());
            let generation = self.next_generation(&mut b);
            data.apply_batch(b)?;
            *crate::util::sync::lock(&self.counts) = counts;
            self.set_generation(generation);
            Ok(())
        })
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.with(|data| Ok(data.get(key)?))? {
            Some(v) => Ok(Some(decode(&v, &String::from_utf8_lossy(key))?)),
            None => Ok(None),
        }
    }
}

/// A story's index entries: one by time, one per credited agency, each ending in
/// the 16-byte story id so an index scan needs no second lookup to find it.
fn index_keys(story: &Story) -> Vec<Vec<u8>> {
    let t = time_key(story.published.timestamp_millis());
    let mut keys = Vec::with_capacity(1 + story.members.len());
    let mut time = TIME.to_vec();
    time.extend_from_slice(&t);
    time.extend_from_slice(story.id.0.as_bytes());
    keys.push(time);
    for slug in story.agencies() {
        let mut k = agency_prefix(slug);
        k.extend_from_slice(&t);
        k.extend_from_slice(story.id.0.as_bytes());
        keys.push(k);
    }
    keys
}

/// Rewrites the lookup keys of a store of schema 2 and before in the layout of
/// schema 3, in batches; part of the open that moves the store to schema 3.
fn relayout_lookup_keys(path: &Path, data: &sled::Tree) -> Result<(), StoreError> {
    let mut moved = 0u64;
    // Old keys sort before every new one ('B', 'T' < 0x7f): each round takes the
    // first of them. One of no known shape finds nothing, and goes.
    let old = prefixed(LOOKUP, &[0])..prefixed(LOOKUP, &[0x7f]);
    loop {
        let mut b = sled::Batch::default();
        let mut n = 0;
        for kv in data.range(old.clone()) {
            let (k, _) = kv?;
            if let Some((new, value)) = relayout_lookup_key(&k) {
                b.insert(new, value);
            }
            b.remove(k);
            n += 1;
            if n == 10_000 {
                break;
            }
        }
        if n == 0 {
            break;
        }
        data.apply_batch(b)?;
        moved += n;
    }
    if moved > 0 {
        tracing::info!(keys = moved, "the store at {} moved its dedupe lookup keys to schema 3", path.display());
    }
    Ok(())
}

fn member_note_key(story: &StoryId, item_key: &str) -> Vec<u8> {
    let mut k = prefixed(NOTE, story.0.as_bytes());
    k.extend_from_slice(item_key.as_bytes());
    k
}

fn scope_prefix(scope: &Scope) -> Vec<u8> {
    match scope {
        Scope::All => TIME.to_vec(),
        Scope::Agency(slug) => agency_prefix(slug),
    }
}

fn agency_prefix(slug: &str) -> Vec<u8> {
    let mut k = prefixed(AGENCY, slug.as_bytes());
    k.push(0);
    k
}

fn prefixed(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + rest.len());
    k.extend_from_slice(prefix);
    k.extend_from_slice(rest);
    k
}

/// Milliseconds as big-endian bytes that sort in time order, negatives included.
fn time_key(millis: i64) -> [u8; 8] {
    ((millis as u64) ^ (1 << 63)).to_be_bytes()
}

/// The milliseconds `time_key` wrote.
fn millis_of(key: [u8; 8]) -> i64 {
    (u64::from_be_bytes(key) ^ (1 << 63)) as i64
}

/// The first byte of a record in the compact encoding (postcard). Schema 1 wrote
/// JSON, whose records start with `{`: both are read.
const COMPACT: u8 = 0x01;

/// Records are postcard: about half the bytes of JSON, which is what sled's log,
/// cache and index pay for.
fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_extend(v, vec![COMPACT])
        .map_err(|e| StoreError::Corrupt { what: "record to write".into(), error: e.to_string() })
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    let corrupt = |error: String| StoreError::Corrupt { what: what.into(), error };
    match bytes.split_first() {
        Some((&COMPACT, rest)) => postcard::from_bytes(rest).map_err(|e| corrupt(e.to_string())),
        _ => serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Member;

    fn story(id: &str, agency: &str, published: &str) -> Story {
        let published = published.parse().unwrap();
        Story {
            id: StoryId(format!("{id:0>16}")),
            title: id.into(),
            link: None,
            excerpt: String::new(),
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
        // Paging: two, then the rest through the cursor.
        let (first, next) = store.page(&Scope::All, None, 2).unwrap();
        assert_eq!(first.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        let next = Cursor::from_hex(&next.unwrap().to_hex()).unwrap();
        let (rest, after) = store.page(&Scope::All, Some(&next), 2).unwrap();
        assert_eq!(rest.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), ["c"]);
        assert_eq!(after, None);
        let found = store.find(&Scope::All, 10, 10, |s| s.title == "a").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(store.agencies().unwrap().into_iter().collect::<Vec<_>>(), ["so-y-te", "tinh-uy"]);

        // Moving story a to another agency and date moves its index entries.
        let before = store.story(&StoryId("000000000000000a".into())).unwrap();
        let mut b = Batch::default();
        b.put_story(before, story("a", "so-y-te", "2022-08-05T00:00:00Z"));
        store.commit(&b).unwrap();
        assert_eq!(titles(Scope::All), ["a", "b", "c"]);
        assert_eq!(titles(Scope::Agency("tinh-uy".into())), ["c"]);
        assert_eq!(store.with(|d| Ok(d.scan_prefix(TIME).count())).unwrap(), 3);
        assert_eq!(store.story_count(), 3);
    }

    #[test]
    fn the_generation_moves_with_every_write_that_changes_what_is_published_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(store.generation(), 0);
        let mut b = Batch::default();
        b.put_story(None, story("a", "tinh-uy", "2022-08-01T00:00:00Z"));
        store.commit(&b).unwrap();
        assert_eq!(store.generation(), 1);
        let mut b = Batch::default();
        b.put_health("s", SourceHealth::default());
        store.commit(&b).unwrap();
        assert_eq!(store.generation(), 1, "health alone publishes nothing");
        assert_eq!(store.prune(None, Some(0)).unwrap(), 1);
        assert_eq!(store.generation(), 2);
        store.reindex().unwrap();
        assert_eq!(store.generation(), 3);
        store.load_records([]).unwrap();
        assert_eq!(store.generation(), 4);
        store.flush_blocking().unwrap();
        drop(store);
        assert_eq!(Store::open(dir.path(), 1 << 20).unwrap().generation(), 4);
    }

    #[test]
    fn reindex_drops_dangling_entries_and_restores_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut b = Batch::default();
        b.put_story(None, story("a", "tinh-uy", "2022-08-01T00:00:00Z"));
        store.commit(&b).unwrap();
        let a = store.story(&StoryId("000000000000000a".into())).unwrap().unwrap();
        let (kept, lost) = (index_keys(&a)[0].clone(), story("z", "tinh-uy", "2022-08-02T00:00:00Z"));
        store
            .with(|d| {
                d.remove(&kept)?;
                Ok(d.insert(index_keys(&lost)[0].as_slice(), &[])?)
            })
            .unwrap();
        let err = store.latest(&Scope::All, 10).unwrap_err();
        assert!(err.to_string().contains("loa store recover"), "{err}");
        assert_eq!(store.reindex().unwrap(), 1);
        assert_eq!(store.latest(&Scope::All, 10).unwrap(), vec![a]);
        // (The test story's member item is not stored: that is all verify finds.)
        let problems = store.verify().unwrap();
        assert!(problems.iter().all(|p| p.contains("member item")), "{problems:?}");
    }

    #[test]
    fn an_open_that_finds_less_than_the_last_flush_left_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            let mut b = Batch::default();
            b.put_story(None, story("a", "tinh-uy", "2022-08-01T00:00:00Z"));
            b.put_story(None, story("b", "tinh-uy", "2022-08-02T00:00:00Z"));
            store.commit(&b).unwrap();
            store.flush_blocking().unwrap();
            assert_eq!(claimed(dir.path()), Some((2, 0)));
            // Retention lowers the claim before it removes: no flush is needed.
            assert_eq!(store.prune(None, Some(1)).unwrap(), 1);
            assert_eq!(claimed(dir.path()), Some((1, 0)));
        }
        assert_eq!(Store::open(dir.path(), 1 << 20).unwrap().story_count(), 1);
        std::fs::write(dir.path().join(CLAIM_FILE), "5 0\n").unwrap();
        let err = Store::open(dir.path(), 1 << 20).err().expect("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("holds 1 stories") && msg.contains("held 5") && msg.contains("loa store recover"),
            "{msg}"
        );
    }

    #[test]
    fn an_item_a_batch_writes_twice_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let item = Item::sample("s", "1", "2022-08-01T00:00:00Z");
        let stored = StoredItem { story: StoryId("x".into()), fingerprint: item.fingerprint(), item };
        let mut b = Batch::default();
        b.put_item(true, stored.clone());
        b.put_item(true, stored);
        store.commit(&b).unwrap();
        assert_eq!(store.item_count(), 1);
        assert!(store.verify().unwrap().is_empty(), "{:?}", store.verify().unwrap());
    }

    #[test]
    fn contained_panics_become_corrupt_naming_the_file() {
        let err =
            contained(Path::new("/x/db"), || -> Result<(), StoreError> { panic!("index out of bounds") }).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }));
        let msg = err.to_string();
        assert!(msg.contains("/x/db") && msg.contains("index out of bounds") && msg.contains("recover"), "{msg}");
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store.with(|d| Ok(d.insert(SCHEMA_KEY, &99u32.to_be_bytes())?)).unwrap();
            store.flush_blocking().unwrap();
        }
        let err = Store::open(dir.path(), 1 << 20).err().expect("refused");
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn schema_1_json_records_are_read_and_the_store_moves_to_the_current_schema() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store.with(|d| Ok(d.insert(SCHEMA_KEY, &1u32.to_be_bytes())?)).unwrap();
            let old = SourceHealth { items_total: 7, ..Default::default() };
            store.with(|d| Ok(d.insert(prefixed(HEALTH, b"s"), serde_json::to_vec(&old).unwrap())?)).unwrap();
            store.flush_blocking().unwrap();
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(store.health("s").unwrap().unwrap().items_total, 7);
        assert_eq!(store.with(|d| Ok(d.get(SCHEMA_KEY)?)).unwrap().unwrap().as_ref(), &SCHEMA_VERSION.to_be_bytes());
        let mut b = Batch::default();
        b.put_health("s", SourceHealth { items_total: 8, ..Default::default() });
        store.commit(&b).unwrap();
        let raw = store.with(|d| Ok(d.get(prefixed(HEALTH, b"s"))?)).unwrap().unwrap();
        assert_eq!(raw[0], COMPACT, "new writes are compact");
        assert_eq!(store.health("s").unwrap().unwrap().items_total, 8);
    }

    #[test]
    fn items_and_health_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let item = Item { guid: Some("1".into()), title: "t".into(), ..Item::sample("s", "1", "2022-08-01T00:00:00Z") };
        let mut b = Batch::default();
        b.put_item(
            true,
            StoredItem { story: StoryId("x".into()), fingerprint: item.fingerprint(), item: item.clone() },
        );
        b.put_health("s", SourceHealth { items_total: 1, ..Default::default() });
        store.commit(&b).unwrap();
        assert_eq!(store.item(&item.store_key()).unwrap().unwrap().item, item);
        assert_eq!(store.health("s").unwrap().unwrap().items_total, 1);
        assert_eq!(store.item_count(), 1);
        drop(store);
        let reopened = Store::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(reopened.item_count(), 1, "counts survive a restart");
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn id(n: u32) -> StoryId {
        StoryId(format!("{n:016x}"))
    }

    #[test]
    fn lookups_read_buckets_as_needed_keep_them_current_and_let_old_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        // A small cap, so that buckets go within the test (a bucket here holds at
        // most 6 entries: a quarter of it).
        *crate::util::sync::lock(&store.lookups) = Lookups::new(24);
        let held = || {
            let l = crate::util::sync::lock(&store.lookups);
            assert_eq!(l.held, l.keys.len(), "{l:?}");
            (l.held, l.buckets.len())
        };
        let day = chrono::Duration::days(1);
        let start = at("2022-08-01T00:00:00Z");
        let mut b = Batch::default();
        for n in 0..30u32 {
            let prefix = if n % 2 == 0 { b"Teven" } else { b"Todd_" };
            b.put_lookups(&id(n), &format!("i{n}"), start + day * n as i32, &[prefix]);
        }
        // One member under several prefixes: one key, found by each.
        b.put_lookups(&id(100), "old", start, &[b"Tmulti", b"Bmulti"]);
        b.put_lookups(&id(101), "new", start + day * 29, &[b"Tmulti", b"Bmulti"]);
        store.commit(&b).unwrap();
        assert_eq!(held(), (0, 0), "nothing is read before a lookup needs it");
        let ids = |p: &[u8], from: i32, to: i32| {
            let mut v = store.keyed(p, start + day * from, start + day * to).unwrap();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        assert_eq!(ids(b"Teven", 26, 29), [id(26), id(28)]);
        assert!(held().1 <= 2);
        assert_eq!(ids(b"Bmulti", 28, 29), [id(101)]);
        assert_eq!(ids(b"Tmulti", 28, 29), [id(101)]);
        assert_eq!(ids(b"Bmulti", 0, 1), [id(100)]);
        // A window wider than the cap is read whole, then trimmed at the next lookup.
        assert_eq!(ids(b"Tmulti", 0, 29), [id(100), id(101)]);
        assert_eq!(ids(b"Teven", 0, 29).len(), 15);
        assert_eq!(held(), (34, 8));
        assert_eq!(ids(b"Todd_", 0, 6), [id(1), id(3), id(5)]);
        // The least recently used buckets went, down to the cap.
        let (entries, buckets) = held();
        assert!(entries <= 24 && buckets < 8, "{entries} entries in {buckets} buckets");
        // New lookups join a bucket held, and are found.
        let mut b = Batch::default();
        b.put_lookups(&id(200), "late", start + day * 2, &[b"Tlate"]);
        b.put_lookups(&id(201), "later", start + day * 40, &[b"Tlate"]);
        store.commit(&b).unwrap();
        assert_eq!(ids(b"Tlate", 0, 6), [id(200)]);
        assert_eq!(ids(b"Tlate", 0, 45), [id(200), id(201)]);
        assert_eq!(ids(b"Tnone", 0, 45), []);
        assert_eq!(ids(b"Tlate", 45, 0), [], "an empty window");
        // A fresh open reads the same answers from the store.
        drop(store);
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut v = store.keyed(b"Teven", start, start + day * 29).unwrap();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(v, (0..30).step_by(2).map(id).collect::<Vec<_>>());
        assert_eq!(store.keyed(b"Tlate", start + day * 40, start + day * 40).unwrap(), [id(201)]);
    }

    #[test]
    fn a_bucket_too_large_to_hold_is_read_from_the_store_for_each_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        // A quarter of the cap is 2 entries: no bucket of this test is held.
        *crate::util::sync::lock(&store.lookups) = Lookups::new(8);
        let start = at("2022-08-01T00:00:00Z");
        let minute = chrono::Duration::minutes(1);
        let mut b = Batch::default();
        for n in 0..20u32 {
            b.put_lookups(&id(n), &format!("i{n}"), start + minute * n as i32, &[b"Tflood", b"Bflood"]);
        }
        store.commit(&b).unwrap();
        let found = store.keyed(b"Bflood", start + minute * 5, start + minute * 9).unwrap();
        assert_eq!(found, (5..10).map(id).collect::<Vec<_>>());
        assert_eq!(store.keyed(b"Tflood", start, start + minute * 19).unwrap().len(), 20);
        let l = crate::util::sync::lock(&store.lookups);
        assert_eq!((l.held, l.keys.len(), l.buckets.len()), (0, 0, 0), "nothing held");
        assert_eq!(l.too_large.len(), 1, "and its size is known");
    }

    /// What `f` returns, run on another thread: a call that waits on itself
    /// fails the test instead of hanging it.
    fn returns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the call returned")
    }

    #[test]
    fn a_lookup_that_meets_a_failed_handle_reopens_the_store_without_waiting_on_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let when = at("2022-08-01T00:00:00Z");
        let mut b = Batch::default();
        b.put_lookups(&id(1), "a", when, &[b"Tx"]);
        store.commit(&b).unwrap();
        store.flush_blocking().unwrap();
        assert_eq!(store.keyed(b"Tx", when, when).unwrap(), [id(1)]);
        // As after a write that failed: the next call into sled reopens the store,
        // here from within a lookup's read of a bucket it does not hold yet.
        store.failed.store(true, Ordering::Release);
        let s = store.clone();
        let later = when + chrono::Duration::days(30);
        let r = returns(move || s.keyed(b"Tx", later, later).map(|v| v.len()));
        assert_eq!(r.unwrap(), 0);
        // The reopen made what was held stale: it is read again, and still found.
        assert_eq!(store.keyed(b"Tx", when, when).unwrap(), [id(1)]);
        assert_eq!(crate::util::sync::lock(&store.lookups).buckets.len(), 1);
    }

    #[test]
    fn a_commit_that_meets_a_failed_handle_reopens_the_store_without_waiting_on_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut b = Batch::default();
        b.put_story(None, story("a", "tinh-uy", "2022-08-01T00:00:00Z"));
        store.commit(&b).unwrap();
        store.flush_blocking().unwrap();
        let generation = store.generation();
        // As after a write that failed: the next call into sled reopens the store,
        // here from within a commit (a poll's health, as after a 304).
        store.failed.store(true, Ordering::Release);
        let s = store.clone();
        let mut b = Batch::default();
        b.put_health("s", SourceHealth { items_total: 1, ..Default::default() });
        returns(move || s.commit(&b)).unwrap();
        assert_eq!(store.health("s").unwrap().unwrap().items_total, 1);
        assert_eq!(store.story_count(), 1);
        assert!(store.generation() >= generation, "the generation never goes back");
    }

    /// A lookup key as schema 2 wrote it: prefix, time, story id.
    fn schema_2_lookup_key(prefix: &[u8], when: DateTime<Utc>, story: &StoryId) -> Vec<u8> {
        let mut k = LOOKUP.to_vec();
        k.extend_from_slice(prefix);
        k.extend_from_slice(&time_key(when.timestamp_millis()));
        k.extend_from_slice(story.0.as_bytes());
        k
    }

    #[test]
    fn schema_2_lookup_keys_move_to_the_time_major_layout_at_open_and_on_import() {
        let dir = tempfile::tempdir().unwrap();
        let title = b"T\x01\x02\x03\x04\x05\x06\x07\x08";
        let band = b"B\x02\x01\x02\x03\x04\x05\x06\x07\x08";
        let when = at("2022-08-03T08:30:00Z");
        let old = at("1969-07-20T20:17:00Z");
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store
                .with(|d| {
                    d.insert(SCHEMA_KEY, &2u32.to_be_bytes())?;
                    for k in [
                        schema_2_lookup_key(title, when, &id(1)),
                        schema_2_lookup_key(band, when, &id(2)),
                        schema_2_lookup_key(title, old, &id(3)),
                        // Of no known shape, sorting before the others: it goes, they move.
                        b"kA-not-a-lookup-key".to_vec(),
                    ] {
                        d.insert(k, &[])?;
                    }
                    Ok(())
                })
                .unwrap();
            store.flush_blocking().unwrap();
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let ms = chrono::Duration::milliseconds(1);
        assert_eq!(store.keyed(title, when - ms, when + ms).unwrap(), [id(1)]);
        assert_eq!(store.keyed(band, when - ms, when + ms).unwrap(), [id(2)]);
        assert_eq!(store.keyed(title, old - ms, old + ms).unwrap(), [id(3)]);
        let keys: Vec<Vec<u8>> = store
            .with(|d| Ok(d.scan_prefix(LOOKUP).keys().collect::<Result<Vec<_>, _>>()?))
            .unwrap()
            .into_iter()
            .map(|k| k.to_vec())
            .collect();
        assert_eq!(keys.len(), 3);
        assert!(keys.iter().all(|k| relayout_lookup_key(k).is_none()), "all moved");
        assert_eq!(store.with(|d| Ok(d.get(SCHEMA_KEY)?)).unwrap().unwrap().as_ref(), &SCHEMA_VERSION.to_be_bytes());
        // A backup of schema 2 carries the old layout: a restore moves it.
        let restored = tempfile::tempdir().unwrap();
        let fresh = Store::open(restored.path(), 1 << 20).unwrap();
        fresh.load_records([(schema_2_lookup_key(band, old, &id(4)), vec![])]).unwrap();
        assert_eq!(fresh.keyed(band, old - ms, old + ms).unwrap(), [id(4)]);
    }
}
