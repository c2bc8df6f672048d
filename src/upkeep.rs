//! `loa store verify|compact|recover|export|import`: looking after the store.
//!
//! sled 0.34 has open reports of corruption after a kill and of space growth, so
//! loa can check its store, rewrite it compactly, carry what it can still read out
//! of a damaged one, and back it up as JSON lines. Nothing here runs in the daemon.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::model::{hex, unhex};
use crate::store::{Store, StoreError, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum UpkeepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {why}")]
    Backup { path: PathBuf, line: usize, why: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> UpkeepError + '_ {
    move |source| UpkeepError::Io { path: path.to_path_buf(), source }
}

/// A directory beside `path` named for what happened to it and when.
fn beside(path: &Path, what: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    path.with_file_name(format!("{name}.{what}-{stamp}"))
}

/// Rewrites the store into a fresh directory and swaps it in: sled gives back the
/// space its log holds. Returns the sizes on disk before and after.
pub fn compact(path: &Path, cache: u64) -> Result<(u64, u64), UpkeepError> {
    let fresh = beside(path, "compacting");
    let before;
    let after;
    {
        let old = Store::open(path, cache)?;
        before = old.size_on_disk()?;
        let new = Store::open(&fresh, cache)?;
        if let (_, Some(e)) = copy_records(&old, &new)? {
            return Err(e.into());
        }
        new.flush_blocking()?;
        after = new.size_on_disk()?;
    }
    let aside = beside(path, "before-compact");
    std::fs::rename(path, &aside).map_err(io(path))?;
    std::fs::rename(&fresh, path).map_err(io(&fresh))?;
    std::fs::remove_dir_all(&aside).map_err(io(&aside))?;
    Ok((before, after))
}

/// What `recover` did.
#[derive(Debug)]
pub struct Recovered {
    /// Where the damaged store now is.
    pub moved_to: PathBuf,
    pub records: u64,
    pub stories: usize,
    /// Why copying stopped early, if it did.
    pub stopped: Option<String>,
}

/// Moves a store that fails to open (or reads wrong) aside, and carries every
/// record it can still read into a fresh store at the same path.
pub fn recover(path: &Path, cache: u64) -> Result<Recovered, UpkeepError> {
    let moved_to = beside(path, "damaged");
    std::fs::rename(path, &moved_to).map_err(io(path))?;
    let fresh = Store::open(path, cache)?;
    let (records, stopped) = match Store::open(&moved_to, cache) {
        Err(e) => (0, Some(format!("the damaged store cannot be opened at all: {e}"))),
        Ok(old) => {
            let (n, stopped) = copy_records(&old, &fresh)?;
            (n, stopped.map(|e| e.to_string()))
        }
    };
    fresh.flush_blocking()?;
    Ok(Recovered { moved_to, records, stories: fresh.story_count(), stopped })
}

/// Streams every record `from` can read into `to`, stopping at the first read
/// error, which it returns beside the count: a write error is an `Err`.
fn copy_records(from: &Store, to: &Store) -> Result<(u64, Option<StoreError>), StoreError> {
    let mut stopped = None;
    let n = to.load_records(from.records().map_while(|r| r.map_err(|e| stopped = Some(e)).ok()))?;
    Ok((n, stopped))
}

/// Writes every record as JSON lines: a header, then `{"k": hex, "v": hex}`.
pub fn export(store: &Store, file: &Path) -> Result<u64, UpkeepError> {
    let tmp = file.with_extension("partial");
    let mut out = BufWriter::new(std::fs::File::create(&tmp).map_err(io(&tmp))?);
    writeln!(out, "{{\"loa_store\":{SCHEMA_VERSION}}}").map_err(io(&tmp))?;
    let mut n = 0;
    for r in store.records() {
        let (k, v) = r?;
        writeln!(out, "{{\"k\":\"{}\",\"v\":\"{}\"}}", hex(&k), hex(&v)).map_err(io(&tmp))?;
        n += 1;
    }
    out.flush().map_err(io(&tmp))?;
    drop(out);
    std::fs::rename(&tmp, file).map_err(io(file))?;
    Ok(n)
}

/// Reads a backup written by `export` into the store.
pub fn import(store: &Store, file: &Path) -> Result<u64, UpkeepError> {
    let input = std::io::BufReader::new(std::fs::File::open(file).map_err(io(file))?);
    let bad = |line: usize, why: String| UpkeepError::Backup { path: file.to_path_buf(), line, why };
    let mut records = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(io(file))?;
        let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| bad(i + 1, e.to_string()))?;
        if i == 0 {
            match v["loa_store"].as_u64() {
                Some(s) if s <= u64::from(SCHEMA_VERSION) => continue,
                Some(s) => return Err(bad(1, format!("written by a newer loa (schema {s})"))),
                None => return Err(bad(1, "not a loa store backup".into())),
            }
        }
        let field =
            |name: &str| v[name].as_str().and_then(unhex).ok_or_else(|| bad(i + 1, format!("no hex \"{name}\"")));
        records.push((field("k")?, field("v")?));
    }
    let n = store.load_records(records)?;
    store.flush_blocking()?;
    Ok(n)
}
