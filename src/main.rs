//! The `loa` command line: the binary edge, where errors become messages and exit
//! codes (0 ok, 1 runtime failure, 2 bad usage or bad config).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use loa::config::{self, Config};
use loa::daemon::{self, Engine};
use loa::store::Store;

/// Prints a line of a command's output. A reader that went away (`loa inspect … |
/// head`) ends the output, not the command: whatever else it does (flushing the
/// store after `fetch`) still happens, and nothing panics.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("loa: cannot write the output: {e}");
            }
        }
    }};
}

#[derive(Parser)]
#[command(name = "loa", version, about = "Gathers the news of a Vietnamese province and publishes it as clean feeds")]
struct Cli {
    /// The config file (else $LOA_CONFIG, ./config/loa.toml, /etc/loa/loa.toml).
    #[arg(short, long, global = true, env = "LOA_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// The daemon: poll and serve until stopped.
    Run,
    /// One poll cycle: print a line per source, then exit (1 if any source failed).
    Fetch {
        /// Poll only these sources.
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
    },
    /// Validate the config: exit 0, or 2 with every error.
    Check {
        /// Also say what each declared agency merged with, and the province's names.
        #[arg(short, long)]
        verbose: bool,
    },
    /// The health of each source, from the store.
    Sources,
    /// Parse files or URLs without storing anything: the normalized items and why.
    Inspect {
        /// One JSON object per input.
        #[arg(long)]
        json: bool,
        /// Read the inputs as this configured source would be read.
        #[arg(long = "source", value_name = "ID")]
        source: Option<String>,
        #[arg(required = true, value_name = "FILE|URL")]
        inputs: Vec<PathBuf>,
    },
    /// Write every published feed and page for people (with each listed story's page)
    /// and the OPML files as static files.
    Export {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Pages written per feed and per stream of pages (the first page and older ones).
        #[arg(long, default_value_t = 1000)]
        max_pages: usize,
    },
    /// Add the feeds of an OPML file (a feed reader's export) as sources to the config.
    ImportOpml {
        opml: PathBuf,
        /// The agency of feeds whose title names none.
        #[arg(long, value_name = "SLUG")]
        agency: Option<String>,
    },
    /// Store upkeep and backups.
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Bundled sample sources served on loopback, and the daemon against them.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

#[derive(Subcommand)]
enum StoreAction {
    /// Check that every index entry points at a story and every story is indexed.
    Verify,
    /// Rewrite the store compactly (stop the daemon first).
    Compact,
    /// Move a damaged store aside and carry what it can still read into a fresh one.
    Recover,
    /// Back the store up as JSON lines.
    Export { file: PathBuf },
    /// Restore a backup written by `loa store export` into the store.
    Import { file: PathBuf },
}

/// A failure and the exit code it deserves.
enum Failure {
    Usage(String),
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Runtime(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        Command::Check { .. } | Command::Sources | Command::Fetch { .. } | Command::Inspect { .. }
    );
    init_logs(cli.log_format, if quiet { "warn" } else { "info" });
    match real_main(cli) {
        Ok(code) => code,
        Err(Failure::Usage(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("loa: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode, Failure> {
    let load = || -> Result<(PathBuf, Config), Failure> {
        let path = config::locate(cli.config.as_deref()).map_err(|e| Failure::Usage(format!("loa: {e}")))?;
        let config = Config::load(&path).map_err(|e| Failure::Usage(e.to_string()))?;
        Ok((path, config))
    };
    match cli.command {
        Command::Check { verbose } => {
            let (path, config) = load()?;
            say!(
                "{}: ok, {} sources, {} agencies known",
                path.display(),
                config.sources.len(),
                config.agencies.iter().count()
            );
            if verbose {
                let (names, inferred) = config.agencies.province();
                let whence =
                    if inferred { ", as the declared agencies' names end (add [province] to say)" } else { "" };
                match names.split_first() {
                    Some((name, [])) => say!("province {name}: read past after a body's name{whence}"),
                    Some((name, former)) => say!(
                        "province {name} (formerly also {}): read past after a body's name{whence}",
                        former.join(", ")
                    ),
                    None => say!("province: none named ([province] name = \"…\" reads it past after a body's name)"),
                }
                for d in config.agencies.declarations() {
                    say!("{d}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run => {
            let (path, config) = load()?;
            runtime()?.block_on(async {
                let engine = Arc::new(
                    tokio::task::spawn_blocking(move || Engine::new(config)).await.context("start-up failed")??,
                );
                let listener = daemon::bind(engine.config().server.listen).await?;
                let stop = CancellationToken::new();
                daemon::stop_on_signals(stop.clone());
                daemon::run(engine, listener, stop, Some(path)).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch { sources } => {
            let (_, config) = load()?;
            if let Some(unknown) = sources.iter().find(|id| config.source(id).is_none()) {
                return Err(Failure::Usage(format!("loa: no source \"{unknown}\" in the config")));
            }
            let failed = runtime()?.block_on(async {
                let engine = Arc::new(
                    tokio::task::spawn_blocking(move || Engine::new(config)).await.context("start-up failed")??,
                );
                let reports = engine.cycle(&sources).await;
                for r in &reports {
                    say!("{}", r.line());
                }
                engine.store.flush().await?;
                engine.settle_pings(loa::daemon::PING_GRACE).await;
                Ok::<_, anyhow::Error>(reports.iter().any(|r| r.error.is_some()))
            })?;
            Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Sources => {
            let (_, config) = load()?;
            let store = Store::open(&config.store.path, config.store.cache_capacity).map_err(anyhow::Error::from)?;
            say!(
                "{:<16} {:<6} {:<19} {:<19} {:<19} {:>6} {:>5} {:>5}  STATE",
                "SOURCE",
                "STATUS",
                "LAST ATTEMPT",
                "LAST SUCCESS",
                "NEXT DUE",
                "ITEMS",
                "WEEK",
                "FAILS"
            );
            let fmt = |d: Option<chrono::DateTime<chrono::Utc>>| {
                d.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "-".into())
            };
            for s in loa::serve::source_statuses(&config, &store) {
                let state = match (&s.error, &s.effective_url) {
                    (Some(e), _) => e.clone(),
                    (None, Some(moved)) => format!("ok, moved to {moved}"),
                    (None, None) if s.last_attempt.is_none() => "never polled".into(),
                    (None, None) => "ok".into(),
                };
                say!(
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
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { json, source, inputs } => {
            let config = if cli.config.is_some() || source.is_some() {
                load()?.1
            } else {
                Config::parse("", "<defaults>").map_err(|e| Failure::Usage(e.to_string()))?
            };
            let source = match &source {
                Some(id) => Some(
                    config
                        .source(id)
                        .cloned()
                        .ok_or_else(|| Failure::Usage(format!("loa: no source \"{id}\" in the config")))?,
                ),
                None => None,
            };
            let all_ok = runtime()?.block_on(async {
                let mut all_ok = true;
                for input in &inputs {
                    let r = loa::inspect::inspect(&input.to_string_lossy(), &config, source.as_ref()).await;
                    all_ok &= r.ok;
                    if json {
                        say!("{}", serde_json::to_string(&r).unwrap_or_default());
                    } else {
                        say!("{}", loa::inspect::render_text(&r).trim_end());
                    }
                }
                all_ok
            });
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Export { out, max_pages } => {
            let (_, config) = load()?;
            let store = Store::open(&config.store.path, config.store.cache_capacity).map_err(anyhow::Error::from)?;
            let summary = loa::export::export(&config, &store, &out, max_pages).map_err(anyhow::Error::from)?;
            say!("{}: {} files, {} bytes", out.display(), summary.files, summary.bytes);
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportOpml { opml, agency } => {
            let path = config::locate(cli.config.as_deref()).map_err(|e| Failure::Usage(format!("loa: {e}")))?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Failure::Usage(format!("loa: cannot read config file {}: {e}", path.display())))?;
            let list = std::fs::read_to_string(&opml)
                .map_err(|e| Failure::Usage(format!("loa: cannot read {}: {e}", opml.display())))?;
            let outlines = loa::publish::opml::outlines(&list);
            if outlines.is_empty() {
                return Err(Failure::Usage(format!(
                    "loa: {} lists no feed (no outline with an xmlUrl)",
                    opml.display()
                )));
            }
            let imported = config::import_opml(&text, &path.display().to_string(), &outlines, agency.as_deref())
                .map_err(|e| Failure::Usage(e.to_string()))?;
            let tmp = path.with_extension("toml.new");
            std::fs::write(&tmp, &imported.text)
                .and_then(|_| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            for (id, url) in &imported.added {
                say!("added    {id:<24} {url}");
            }
            for (url, why) in &imported.skipped {
                say!("skipped  {url}: {why}");
            }
            say!("{}: {} sources added, {} skipped", path.display(), imported.added.len(), imported.skipped.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Store { action } => {
            let (_, config) = load()?;
            let (path, cache) = (&config.store.path, config.store.cache_capacity);
            let open = || Store::open(path, cache).map_err(anyhow::Error::from);
            match action {
                StoreAction::Verify => {
                    let problems = open()?.verify().map_err(anyhow::Error::from)?;
                    for p in &problems {
                        say!("{p}");
                    }
                    say!("{}: {} problems", path.display(), problems.len());
                    return Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
                }
                StoreAction::Compact => {
                    let (before, after) = loa::upkeep::compact(path, cache).map_err(anyhow::Error::from)?;
                    say!("{}: {before} bytes on disk before, {after} after", path.display());
                }
                StoreAction::Recover => {
                    let r = loa::upkeep::recover(path, cache).map_err(anyhow::Error::from)?;
                    say!("the damaged store is now {}", r.moved_to.display());
                    say!("{}: {} records carried over, {} stories", path.display(), r.records, r.stories);
                    if let Some(why) = r.stopped {
                        say!("copying stopped early: {why}");
                    }
                }
                StoreAction::Export { file } => {
                    let n = loa::upkeep::export(&open()?, &file).map_err(anyhow::Error::from)?;
                    say!("{}: {n} records", file.display());
                }
                StoreAction::Import { file } => {
                    let store = open()?;
                    let n = loa::upkeep::import(&store, &file).map_err(anyhow::Error::from)?;
                    say!("{}: {n} records imported, {} stories", path.display(), store.story_count());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen } => {
            runtime()?.block_on(async {
                let stop = CancellationToken::new();
                daemon::stop_on_signals(stop.clone());
                loa::demo::run(listen, stop).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?)
}

fn init_logs(format: LogFormat, default: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // Under systemd the journal stamps every line itself.
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    match (format, journal) {
        (LogFormat::Text, false) => builder.init(),
        (LogFormat::Text, true) => builder.without_time().init(),
        (LogFormat::Json, _) => builder.json().init(),
    }
}
