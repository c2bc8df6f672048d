//! `loa store verify|compact|recover|export|import`: looking after the store.
//!
//! sled 0.34 has open reports of corruption after a kill and of space growth, so
//! loa can check its store, rewrite it compactly, carry what it can still read out
//! of a damaged one, and back it up as JSON lines. Nothing here runs in the daemon;
//! a running `loa run` answers the read-only commands itself (see `control`).
//!
//! What never happens here: a store in use is changed (the lock is probed first,
//! and sled's own lock stands behind it), the original is written before a
//! complete replacement exists (`compact`, `import` and `recover` build beside it
//! and swap it in by renames that `store` settles after a crash), or a store is
//! replaced by a smaller one without saying so (`recover` reports what it carried
//! out of what the damaged store claims, and keeps the damaged store).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::model::{hex, unhex};
use crate::store::{self, Store, StoreError, Swap, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum UpkeepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {why}")]
    Backup { path: PathBuf, line: usize, why: String },
    #[error("cannot check the store at {path}: {why}")]
    Check { path: PathBuf, why: String },
    #[error("there is no store at {0} (check [store].path, and run loa from the directory the service runs in)")]
    NoStore(PathBuf),
    #[error(
        "{path} cannot be read entirely ({why}); nothing was changed. Run `loa store recover` (with loa stopped): it keeps \
         the damaged store and carries every record it can read"
    )]
    Unreadable { path: PathBuf, why: String },
    #[error(
        "nothing could be read from the store at {path} ({why}); it is left as it is. Move it aside and restore a backup \
         with `loa store import FILE`"
    )]
    NothingReadable { path: PathBuf, why: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> UpkeepError + '_ {
    move |source| UpkeepError::Io { path: path.to_path_buf(), source }
}

/// Refuses a store another process holds, naming it.
fn refuse_in_use(path: &Path) -> Result<(), UpkeepError> {
    match store::holder(path) {
        Some(holder) => Err(StoreError::InUse { path: path.to_path_buf(), holder }.into()),
        None => Ok(()),
    }
}

/// Refuses a path where there is no store, instead of creating an empty one
/// (after putting back a store an interrupted swap left aside).
pub fn require_store(path: &Path) -> Result<(), UpkeepError> {
    store::settle_before_open(path);
    if path.join("db").is_file() {
        Ok(())
    } else {
        Err(UpkeepError::NoStore(path.to_path_buf()))
    }
}

/// Puts the complete store at `fresh` in the place of the one at `path`, which
/// goes to `aside`. A crash between the two renames leaves no store at `path`
/// and the original at `aside`: the next open moves it back
/// (`store::settle_before_open`).
fn swap_in(path: &Path, fresh: &Path, aside: &Path) -> Result<(), UpkeepError> {
    std::fs::rename(path, aside).map_err(io(path))?;
    if let Err(e) = std::fs::rename(fresh, path) {
        // The original goes back; the new one is left for the next open to remove.
        let _ = std::fs::rename(aside, path);
        return Err(io(fresh)(e));
    }
    Ok(())
}

/// Checks the store without changing a byte of it: a copy taken under the
/// store's lock is opened and checked, then removed. Returns the problems.
pub fn verify(path: &Path, cache: u64) -> Result<Vec<String>, UpkeepError> {
    require_store(path)?;
    let copy = tempfile::Builder::new().prefix("loa-verify-").tempdir().map_err(io(&std::env::temp_dir()))?;
    let at = copy.path().join("store");
    {
        let _lock = lock(path)?;
        // What an interrupted compact or import left goes, as at any open.
        store::settle_after_open(path);
        copy_dir(path, &at, &|_| true)?;
    }
    // What goes wrong is about the store, not about its copy.
    let named = |e: StoreError| UpkeepError::Check {
        path: path.to_path_buf(),
        why: e.to_string().replace(&at.display().to_string(), &path.display().to_string()),
    };
    let problems = Store::open(&at, cache).map_err(named)?.verify().map_err(named)?;
    Ok(problems)
}

/// Holds the store's lock (the one sled and a running loa take) while a copy
/// is taken, so that nobody writes meanwhile.
fn lock(path: &Path) -> Result<std::fs::File, UpkeepError> {
    let db = path.join("db");
    let file = std::fs::File::open(&db).map_err(io(&db))?;
    if fs2::FileExt::try_lock_exclusive(&file).is_err() {
        let holder = store::holder(path).unwrap_or_else(|| "another process".into());
        return Err(StoreError::InUse { path: path.to_path_buf(), holder }.into());
    }
    Ok(file)
}

/// Copies the files of a store directory that `keep` accepts (by file name),
/// and everything under its `blobs/`. Sockets and the like are skipped.
fn copy_dir(from: &Path, to: &Path, keep: &dyn Fn(&str) -> bool) -> Result<(), UpkeepError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(io(&entry.path()))?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &to.join(&name), &|_| true)?;
        } else if kind.is_file() && keep(&name) {
            std::fs::copy(entry.path(), to.join(&name)).map_err(io(&entry.path()))?;
        }
    }
    Ok(())
}

/// Rewrites the store into a fresh directory and swaps it in: sled gives back the
/// space its log holds. Returns the sizes on disk before and after.
pub fn compact(path: &Path, cache: u64) -> Result<(u64, u64), UpkeepError> {
    refuse_in_use(path)?;
    require_store(path)?;
    let fresh = store::beside(path, Swap::Compact.building());
    let sizes = (|| {
        // The store first: opening it settles what earlier upkeep left beside it,
        // which the new one is not yet.
        let old = Store::open(path, cache)?;
        let new = Store::open(&fresh, cache)?;
        if let (_, Some(e)) = copy_records(&old, &new)? {
            return Err(UpkeepError::Unreadable { path: path.to_path_buf(), why: e.to_string() });
        }
        new.flush_blocking()?;
        Ok((old.size_on_disk()?, new.size_on_disk()?))
    })();
    let (before, after) = match sizes {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&fresh);
            return Err(e);
        }
    };
    let aside = store::beside(path, Swap::Compact.replaced());
    swap_in(path, &fresh, &aside)?;
    std::fs::remove_dir_all(&aside).map_err(io(&aside))?;
    Ok((before, after))
}

/// How many stories and items a store holds (or claims to).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub stories: u64,
    pub items: u64,
}

/// What `recover` did.
#[derive(Debug)]
pub struct Recovered {
    /// Where the damaged store is kept.
    pub kept: PathBuf,
    /// What the new store holds.
    pub carried: Tally,
    /// What the damaged store's counts say it held, when they could be read.
    pub claimed: Option<Tally>,
    /// Whether `claimed` is what the store held at its last flush.
    pub claimed_at_flush: bool,
    /// Records carried over.
    pub records: u64,
    /// Why reading stopped early, if it did.
    pub stopped: Option<String>,
    /// What was read straight from the log after sled stopped (see `Store::salvage`).
    pub salvaged: Option<Tally>,
}

impl Recovered {
    /// Whether every story and item the damaged store claims was carried over.
    /// When sled stopped reading early, only the counts its last flush left
    /// (`store::claimed`) are a claim to trust: sled's own may be as old as the
    /// part of the log it could read.
    pub fn complete(&self) -> bool {
        (self.stopped.is_none() || self.claimed_at_flush)
            && self.claimed.is_some_and(|c| self.carried.stories >= c.stories && self.carried.items >= c.items)
    }
}

/// Carries every record a damaged store still gives into a fresh one and puts
/// that in its place, keeping the damaged store beside it (`NAME.damaged-*`).
///
/// Two reads are tried, each on a copy (the original is never written): the
/// store as it is, and its log alone (sled rebuilds `conf` and the snapshots
/// from it), which is how damage to those files loses nothing. The read that
/// gives more records wins. Nothing is replaced when nothing could be read.
pub fn recover(path: &Path, cache: u64) -> Result<Recovered, UpkeepError> {
    refuse_in_use(path)?;
    require_store(path)?;
    let work = store::beside(path, Swap::Recover.building());
    let result = recover_into(path, &work, cache);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn recover_into(path: &Path, work: &Path, cache: u64) -> Result<Recovered, UpkeepError> {
    let whole = work.join("whole");
    let log_only = work.join("log-only");
    // The copies carry no claim: they are read for what they hold, which is
    // compared with the claim below.
    copy_dir(path, &whole, &|name| name != store::CLAIM_FILE)?;
    copy_dir(path, &log_only, &|name| name == "db")?;
    // (copy, records it gives, why it stopped)
    let mut best: Option<(PathBuf, u64, Option<String>)> = None;
    // What the store held at its last flush, when it says: sled opens a log that
    // lost its end without a word, so its own counts may be as old as that end.
    let at_flush = store::claimed(path).map(|(stories, items)| Tally { stories, items });
    let mut claimed = at_flush;
    for dir in [whole, log_only] {
        let (records, stopped) = match Store::open(&dir, cache) {
            // What goes wrong is about the store, not about its copy.
            Err(e) => (0, Some(e.to_string().replace(&dir.display().to_string(), &path.display().to_string()))),
            Ok(old) => {
                let claim = Tally { stories: old.story_count() as u64, items: old.item_count() as u64 };
                // A damaged copy may have lost its counts: the larger claim is the truer.
                if claimed.is_none_or(|c| claim.stories + claim.items > c.stories + c.items) {
                    claimed = Some(claim);
                }
                let mut stopped = None;
                let n = old.records().map_while(|r| r.map_err(|e| stopped = Some(e.to_string())).ok()).count();
                (n as u64, stopped)
            }
        };
        if best.as_ref().is_none_or(|(_, n, _)| records > *n) {
            best = Some((dir, records, stopped));
        }
    }
    let (dir, readable, why) = best.expect("two reads were tried");
    let fresh = work.join("new");
    let (records, stopped, carried, salvaged) = {
        let new = Store::open(&fresh, cache)?;
        let (n, stopped) = if readable > 0 { copy_records(&Store::open(&dir, cache)?, &new)? } else { (0, None) };
        let stopped = stopped.map(|e| e.to_string()).or(why);
        new.reindex()?;
        let mut carried = Tally { stories: new.story_count() as u64, items: new.item_count() as u64 };
        // What sled could not give may still be in its files, record by record.
        let short = claimed.is_none_or(|c| carried.stories < c.stories || carried.items < c.items);
        let mut salvaged = None;
        if stopped.is_some() || short {
            let (stories, items) = new.salvage(path)?;
            let more = Tally { stories: stories as u64, items: items as u64 };
            salvaged = Some(Tally { stories: more.stories - carried.stories, items: more.items - carried.items });
            carried = more;
        }
        new.flush_blocking()?;
        (n, stopped, carried, salvaged)
    };
    if carried.stories + carried.items == 0 {
        let why = stopped.unwrap_or_else(|| "it holds no story".into());
        return Err(UpkeepError::NothingReadable { path: path.to_path_buf(), why });
    }
    let aside = store::beside(path, Swap::Recover.replaced());
    swap_in(path, &fresh, &aside)?;
    let kept = store::beside(path, store::DAMAGED);
    std::fs::rename(&aside, &kept).map_err(io(&aside))?;
    let claimed_at_flush = at_flush.is_some() && claimed == at_flush;
    Ok(Recovered { kept, carried, claimed, claimed_at_flush, records, stopped, salvaged })
}

/// Streams every record `from` can read into `to`, stopping at the first read
/// error, which it returns beside the count: a write error is an `Err`.
fn copy_records(from: &Store, to: &Store) -> Result<(u64, Option<StoreError>), StoreError> {
    let mut stopped = None;
    let n = to.load_records(from.records().map_while(|r| r.map_err(|e| stopped = Some(e)).ok()))?;
    Ok((n, stopped))
}

/// Writes every record as JSON lines to `out`: a header, then `{"k": hex, "v":
/// hex}` per record. Returns how many records.
pub fn write_backup(store: &Store, out: &mut impl Write) -> Result<u64, UpkeepError> {
    let mut n = 0;
    let broken = |e: std::io::Error| UpkeepError::Io { path: PathBuf::from("<backup>"), source: e };
    writeln!(out, "{{\"loa_store\":{SCHEMA_VERSION}}}").map_err(broken)?;
    for r in store.records() {
        let (k, v) = r?;
        writeln!(out, "{{\"k\":\"{}\",\"v\":\"{}\"}}", hex(&k), hex(&v)).map_err(broken)?;
        n += 1;
    }
    Ok(n)
}

/// Writes a backup of the store to `file`, beside it first and renamed into place.
pub fn export(store: &Store, file: &Path) -> Result<u64, UpkeepError> {
    crate::util::atomic::write_then_rename(
        file,
        |out| match write_backup(store, out) {
            Err(UpkeepError::Io { source, .. }) => Err(io(file)(source)),
            other => other,
        },
        |path, source| io(path)(source),
    )
}

/// Reads a backup written by `export` into the store at `path` (created if
/// there is none): the store and the backup are written into a new store beside
/// it, swapped in once complete. A bad line changes nothing. Returns the records
/// read from the backup and the stories the store then holds.
pub fn import(path: &Path, cache: u64, file: &Path) -> Result<(u64, usize), UpkeepError> {
    refuse_in_use(path)?;
    let input = std::io::BufReader::new(std::fs::File::open(file).map_err(io(file))?);
    // A store an interrupted swap left aside is the store to import into.
    store::settle_before_open(path);
    let exists = path.join("db").is_file();
    let fresh = store::beside(path, Swap::Import.building());
    let built = (|| {
        // The store first: opening it settles what earlier upkeep left beside it,
        // which the new one is not yet.
        let old = if exists { Some(Store::open(path, cache)?) } else { None };
        let new = Store::open(&fresh, cache)?;
        if let Some(old) = old {
            if let (_, Some(e)) = copy_records(&old, &new)? {
                return Err(UpkeepError::Unreadable { path: path.to_path_buf(), why: e.to_string() });
            }
        }
        let n = load_backup(&new, input.lines(), file)?;
        new.flush_blocking()?;
        Ok((n, new.story_count()))
    })();
    let done = match built {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&fresh);
            return Err(e);
        }
    };
    if exists {
        let aside = store::beside(path, Swap::Import.replaced());
        swap_in(path, &fresh, &aside)?;
        std::fs::remove_dir_all(&aside).map_err(io(&aside))?;
    } else {
        let _ = std::fs::remove_dir(path);
        std::fs::rename(&fresh, path).map_err(io(&fresh))?;
    }
    Ok(done)
}

/// The records of a backup, line by line; the first bad line ends it with an
/// error naming `file` and the line.
pub fn backup_records<'a>(
    lines: impl Iterator<Item = std::io::Result<String>> + 'a,
    file: &'a Path,
) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), UpkeepError>> + 'a {
    let bad = move |line: usize, why: String| UpkeepError::Backup { path: file.to_path_buf(), line, why };
    let mut header = false;
    lines.enumerate().filter_map(move |(i, line)| {
        let line = match line {
            Ok(l) => l,
            Err(e) => return Some(Err(io(file)(e))),
        };
        let v: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => return Some(Err(bad(i + 1, e.to_string()))),
        };
        if !header {
            header = true;
            return match v["loa_store"].as_u64() {
                Some(s) if s <= u64::from(SCHEMA_VERSION) => None,
                Some(s) => Some(Err(bad(1, format!("written by a newer loa (schema {s})")))),
                None => Some(Err(bad(1, "not a loa store backup".into()))),
            };
        }
        let field =
            |name: &str| v[name].as_str().and_then(unhex).ok_or_else(|| bad(i + 1, format!("no hex \"{name}\"")));
        Some(field("k").and_then(|k| Ok((k, field("v")?))))
    })
}

/// Loads the records of a backup into `store` (a restore); the first bad line
/// ends it with an error. Returns how many records.
pub fn load_backup(
    store: &Store,
    lines: impl Iterator<Item = std::io::Result<String>>,
    file: &Path,
) -> Result<u64, UpkeepError> {
    let mut bad = None;
    let n = store.load_records(backup_records(lines, file).map_while(|r| r.map_err(|e| bad = Some(e)).ok()))?;
    match bad {
        Some(e) => Err(e),
        None => Ok(n),
    }
}
