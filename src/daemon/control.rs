//! The control socket: how the read-only commands (`loa sources`, `loa store
//! verify`, `loa store export`, `loa export`) work beside a running `loa run`.
//!
//! Only one process can hold the sled store. `loa run` listens on a unix socket
//! beside it (`PATH.sock` for the store at `PATH`, with the permissions of the
//! service's user), and a command that finds the store held asks through it. A
//! request is one line (`sources`, `verify`, `backup`); the answer is text lines,
//! then a last line `loa-control: exit N` with the exit code the command should
//! end with: an answer without it was cut short and is worth nothing. Verify and
//! backup read under the ingest lock, so they see no poll half-written.
//!
//! This module never writes the store.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::Config;
use crate::daemon::Engine;
use crate::store::{self, Store};

/// What a command asks of a running loa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// The table of `loa sources`.
    Sources,
    /// The problems `loa store verify` prints, one a line.
    Verify,
    /// A backup in the format of `loa store export`.
    Backup,
}

impl Request {
    fn word(self) -> &'static str {
        match self {
            Request::Sources => "sources",
            Request::Verify => "verify",
            Request::Backup => "backup",
        }
    }

    fn from_word(w: &str) -> Option<Request> {
        [Request::Sources, Request::Verify, Request::Backup].into_iter().find(|r| r.word() == w)
    }
}

const EXIT: &str = "loa-control: exit ";

/// How long an answer waits on a reader that does not read.
const WRITE_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Answers at once at most: each holds a blocking thread.
const AT_ONCE: usize = 4;

/// The socket of the store at `store`.
pub fn socket_path(store: &Path) -> PathBuf {
    let mut name = store.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "store".into());
    name.push(".sock");
    store.with_file_name(name)
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(
        "the store at {path} is in use by {holder}, which does not answer on {socket} ({source}): a `loa run` logs \
         at start why it cannot listen there; any other loa command holds the store only until it ends, so run this \
         again then"
    )]
    NoAnswer { path: PathBuf, holder: String, socket: PathBuf, source: std::io::Error },
    #[error("the running loa stopped answering on {socket} before it was done: {why}")]
    CutShort { socket: PathBuf, why: String },
}

/// An answer being read: its lines, then its exit code.
pub struct Answer {
    socket: PathBuf,
    reader: BufReader<UnixStream>,
    exit: Option<u8>,
}

impl Answer {
    /// The next line of the answer (without its newline), or `None` at its end.
    pub fn next_line(&mut self) -> Result<Option<String>, ControlError> {
        let mut line = String::new();
        let cut = |why: String| ControlError::CutShort { socket: self.socket.clone(), why };
        match self.reader.read_line(&mut line) {
            Ok(0) => Err(cut("the answer has no end".into())),
            Ok(_) => {
                let line = line.trim_end_matches('\n');
                match line.strip_prefix(EXIT) {
                    Some(code) => {
                        self.exit = Some(code.parse().map_err(|_| cut(format!("a bad last line {line:?}")))?);
                        Ok(None)
                    }
                    None => Ok(Some(line.to_string())),
                }
            }
            Err(e) => Err(cut(e.to_string())),
        }
    }

    /// The exit code the running loa gave, once every line was read.
    pub fn exit(&self) -> u8 {
        self.exit.unwrap_or(1)
    }
}

impl Iterator for Answer {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().map_err(std::io::Error::other).transpose()
    }
}

/// Asks the `loa run` of the store at `store`, when one runs: `None` when none
/// answers and the store is free (the command reads it itself). A running loa
/// answers even while it has let go of the store (reopening it after a full disk).
pub fn ask(store: &Path, request: Request) -> Result<Option<Answer>, ControlError> {
    let socket = socket_path(store);
    let asked = UnixStream::connect(&socket).and_then(|mut stream| {
        writeln!(stream, "{}", request.word())?;
        let _ = stream.shutdown(Shutdown::Write);
        Ok(stream)
    });
    match asked {
        Ok(stream) => Ok(Some(Answer { socket, reader: BufReader::new(stream), exit: None })),
        // A socket a killed loa left behind answers nothing either.
        Err(source) => match store::holder(store) {
            Some(holder) => Err(ControlError::NoAnswer { path: store.to_path_buf(), holder, socket, source }),
            None => Ok(None),
        },
    }
}

/// Listens on the store's socket until `stop`, answering each request on a
/// blocking thread. A socket that cannot be had is logged, never fatal: only the
/// live read commands need it.
pub async fn serve(engine: Arc<Engine>, stop: CancellationToken) {
    let socket = socket_path(engine.store.path());
    // loa holds the store, so a socket left here is a dead loa's.
    let _ = std::fs::remove_file(&socket);
    let listener = match tokio::net::UnixListener::bind(&socket) {
        Ok(l) => l,
        Err(e) => {
            warn!(
                "cannot listen on {}: {e}; `loa sources`, `loa store verify|export` and `loa export` will not work \
                 while loa runs",
                socket.display()
            );
            return;
        }
    };
    info!(socket = %socket.display(), "read-only commands are answered on the control socket");
    let slots = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    warn!("control socket: {e}");
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let engine = engine.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            if let Err(e) = stream.into_std().and_then(|s| answer(&engine, s)) {
                warn!("control socket: {e}");
            }
        });
    }
    let _ = std::fs::remove_file(&socket);
}

fn answer(engine: &Engine, stream: UnixStream) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    // Verify and backup hold the ingest lock: a reader that stops reading must
    // not stop the polls for longer than this.
    stream.set_write_timeout(Some(WRITE_LIMIT))?;
    let mut line = String::new();
    // A request is one short word: a longer line is cut, and answered as unknown.
    BufReader::new(stream.try_clone()?).take(64).read_line(&mut line)?;
    let mut out = std::io::BufWriter::new(stream);
    let code = match Request::from_word(line.trim()) {
        None => {
            writeln!(out, "unknown request {:?}", line.trim())?;
            2
        }
        Some(Request::Sources) => {
            out.write_all(sources_table(&engine.config(), &engine.store).as_bytes())?;
            0
        }
        Some(Request::Verify) => match engine.quiesced(|s| s.verify()) {
            Ok(problems) => {
                for p in &problems {
                    writeln!(out, "{p}")?;
                }
                writeln!(out, "{}: {} problems", engine.store.path().display(), problems.len())?;
                u8::from(!problems.is_empty())
            }
            Err(e) => {
                writeln!(out, "loa: {e}")?;
                1
            }
        },
        Some(Request::Backup) => match engine.quiesced(|s| crate::upkeep::write_backup(s, &mut out)) {
            Ok(_) => 0,
            // The client sees no end line and writes no backup.
            Err(e) => return Err(std::io::Error::other(e.to_string())),
        },
    };
    writeln!(out, "{EXIT}{code}")?;
    out.flush()
}

/// The table `loa sources` prints, from the running loa or the command alike: each
/// source's health in `store`, its times in `[poll].timezone` (the province's time,
/// as the portals date their news), which its last line names.
pub fn sources_table(config: &Config, store: &Store) -> String {
    use std::fmt::Write as _;
    let zone = config.poll.timezone;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<6} {:<19} {:<19} {:<19} {:>6} {:>5} {:>5}  STATE",
        "SOURCE", "STATUS", "LAST ATTEMPT", "LAST SUCCESS", "NEXT DUE", "ITEMS", "WEEK", "FAILS"
    );
    let fmt = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map(|d| d.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "-".into())
    };
    for s in crate::serve::source_statuses(config, store) {
        let state = match (&s.error, &s.effective_url) {
            (Some(e), _) => e.clone(),
            (None, Some(moved)) => format!("ok, moved to {moved}"),
            (None, None) if s.last_attempt.is_none() => "never polled".into(),
            (None, None) => "ok".into(),
        };
        let _ = writeln!(
            out,
            "{:<16} {:<6} {:<19} {:<19} {:<19} {:>6} {:>5} {:>5}  {}",
            s.id,
            s.http_status.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
            fmt(s.last_attempt),
            fmt(s.last_success),
            if s.gone { "never (gone)".into() } else { fmt(s.next_due) },
            s.items,
            s.items_last_week,
            s.consecutive_failures,
            state
        );
    }
    let _ = writeln!(out, "Times are in {zone} ([poll].timezone).");
    out
}
