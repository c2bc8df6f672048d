//! Writing a file whole or not at all.
//!
//! Owns the one write-then-rename that the config edits (`import-opml`, `discover --append`), `export`, the store's
//! counts file, the kept documents and the store backups share: the content goes to a temporary file beside the
//! target, is synced, and only then renamed over it, so a reader or a crash sees the old file or the new one, never
//! half of one. Depends on nothing of the crate; it must never decide what is written or how a failure is worded.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` with what `fill` writes, through a temporary file beside it that is renamed into place once
/// complete and synced. On any failure the temporary file is removed and `path` is left as it was; I/O errors are
/// worded by `io_error`, given the path they concern.
pub fn write_then_rename<T, E>(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>,
    io_error: impl Fn(&Path, std::io::Error) -> E,
) -> Result<T, E> {
    let tmp = temporary(path);
    let result = File::create(&tmp).map_err(|e| io_error(&tmp, e)).and_then(|f| {
        let mut out = BufWriter::new(f);
        let value = fill(&mut out)?;
        let f = out.into_inner().map_err(|e| io_error(&tmp, e.into_error()))?;
        f.sync_all().map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))?;
        Ok(value)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` whole or not at all (see `write_then_rename`).
pub fn write_bytes<E>(path: &Path, bytes: &[u8], io_error: impl Fn(&Path, std::io::Error) -> E) -> Result<(), E> {
    write_then_rename(path, |out| out.write_all(bytes).map_err(|e| io_error(path, e)), &io_error)
}

/// `name.tmpPID` beside `path`: two processes writing the same file never share one.
fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{name}.tmp{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loa.toml");
        std::fs::write(&path, "old").unwrap();
        let r: Result<(), String> = write_then_rename(
            &path,
            |out| {
                out.write_all(b"half").map_err(|e| e.to_string())?;
                Err("stopped".to_string())
            },
            |p, e| format!("{}: {e}", p.display()),
        );
        assert_eq!(r, Err("stopped".to_string()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_whole_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.atom");
        std::fs::write(&path, "old").unwrap();
        write_bytes(&path, b"new", |_, e| e).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
