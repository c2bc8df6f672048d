//! The `loa` command line: the binary edge, where errors become messages and exit
//! codes (0 ok, 1 runtime failure, 2 bad usage or bad config).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use loa::config::{self, Config};
use loa::daemon::control::Request;
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
    /// Find a portal's feeds, or the selectors of its news listing, and print a ready [[source]].
    Discover {
        /// One JSON object per address.
        #[arg(long)]
        json: bool,
        /// Add the sources found to this config, once the result passes `loa check`.
        #[arg(long, value_name = "FILE")]
        append: Option<PathBuf>,
        #[arg(required = true, value_name = "URL")]
        urls: Vec<String>,
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
    tune_allocator();
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        Command::Check { .. }
            | Command::Sources
            | Command::Fetch { .. }
            | Command::Inspect { .. }
            | Command::Discover { .. }
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
    match cli.command {
        Command::Check { verbose } => check(cli.config.as_deref(), verbose),
        Command::Run => run(cli.config.as_deref()),
        Command::Fetch { sources } => fetch(cli.config.as_deref(), sources),
        Command::Sources => sources(cli.config.as_deref()),
        Command::Inspect { json, source, inputs } => inspect(cli.config.as_deref(), json, source, inputs),
        Command::Export { out, max_pages } => export(cli.config.as_deref(), out, max_pages),
        Command::ImportOpml { opml, agency } => import_opml(cli.config.as_deref(), opml, agency),
        Command::Discover { json, append, urls } => discover(cli.config.as_deref(), json, append, urls),
        Command::Store { action } => store(cli.config.as_deref(), action),
        Command::Demo { listen } => demo(listen),
    }
}

/// The config the command line or the environment names, else the usual places.
fn load(config_file: Option<&Path>) -> Result<(PathBuf, Config), Failure> {
    let path = config::locate(config_file).map_err(|e| Failure::Usage(format!("loa: {e}")))?;
    let config = Config::load(&path).map_err(|e| Failure::Usage(e.to_string()))?;
    Ok((path, config))
}

/// `loa check`: validates the config and, verbose, says what the agencies merged into.
fn check(config_file: Option<&Path>, verbose: bool) -> Result<ExitCode, Failure> {
    let (path, config) = load(config_file)?;
    say!("{}: ok, {} sources, {} agencies known", path.display(), config.sources.len(), config.agencies.iter().count());
    for warning in config.warnings() {
        eprintln!("{}: warning: {warning}", path.display());
    }
    if verbose {
        let (names, inferred) = config.agencies.province();
        let whence = if inferred { ", as the declared agencies' names end (add [province] to say)" } else { "" };
        match names.split_first() {
            Some((name, [])) => say!("province {name}: read past after a body's name{whence}"),
            Some((name, former)) => {
                say!("province {name} (formerly also {}): read past after a body's name{whence}", former.join(", "))
            }
            None => say!("province: none named ([province] name = \"…\" reads it past after a body's name)"),
        }
        for d in config.agencies.declarations() {
            say!("{d}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `loa run`: the daemon, until a signal stops it.
fn run(config_file: Option<&Path>) -> Result<ExitCode, Failure> {
    let (path, config) = load(config_file)?;
    if config.sources.is_empty() {
        tracing::warn!(
            "{}: no [[source]]: nothing is polled until you add one (an example: \
             /usr/share/doc/loa/examples/bentre.toml), check the file with `loa check` and reload",
            path.display()
        );
    }
    runtime()?.block_on(async {
        let engine =
            Arc::new(tokio::task::spawn_blocking(move || Engine::new(config)).await.context("start-up failed")??);
        let listener = daemon::bind(engine.config().server.listen, "set [server].listen").await?;
        let stop = CancellationToken::new();
        daemon::stop_on_signals(stop.clone());
        daemon::run(engine, listener, stop, Some(path)).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `loa fetch`: one poll cycle, a line per source.
fn fetch(config_file: Option<&Path>, sources: Vec<String>) -> Result<ExitCode, Failure> {
    let (_, config) = load(config_file)?;
    if let Some(unknown) = sources.iter().find(|id| config.source(id).is_none()) {
        return Err(Failure::Usage(format!("loa: no source \"{unknown}\" in the config")));
    }
    let failed = runtime()?.block_on(async {
        let engine =
            Arc::new(tokio::task::spawn_blocking(move || Engine::new(config)).await.context("start-up failed")??);
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

/// `loa sources`: each source's health, from the running loa or else the store.
fn sources(config_file: Option<&Path>) -> Result<ExitCode, Failure> {
    let (_, config) = load(config_file)?;
    if let Some(answer) = ask(&config.store.path, Request::Sources)? {
        return relay(answer);
    }
    let store = open_existing(&config)?;
    say!("{}", loa::daemon::control::sources_table(&config, &store).trim_end());
    Ok(ExitCode::SUCCESS)
}

/// `loa inspect`: reads files or URLs as a source would, storing nothing.
fn inspect(
    config_file: Option<&Path>,
    json: bool,
    source: Option<String>,
    inputs: Vec<PathBuf>,
) -> Result<ExitCode, Failure> {
    let config = if config_file.is_some() || source.is_some() {
        load(config_file)?.1
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

/// `loa export`: every published document as static files.
fn export(config_file: Option<&Path>, out: PathBuf, max_pages: usize) -> Result<ExitCode, Failure> {
    let (_, config) = load(config_file)?;
    // Beside a running loa, its backup is read into a store of our own.
    let mut copy = None;
    let store = match ask(&config.store.path, Request::Backup)? {
        Some(answer) => {
            let dir = tempfile::Builder::new().prefix("loa-export-").tempdir().context("a temporary store")?;
            let store =
                Store::open(&dir.path().join("store"), config.store.cache_capacity).map_err(anyhow::Error::from)?;
            let socket = loa::daemon::control::socket_path(&config.store.path);
            loa::upkeep::load_backup(&store, answer, &socket).map_err(anyhow::Error::from)?;
            copy = Some(dir);
            store
        }
        None => open_existing(&config)?,
    };
    let summary = loa::export::export(&config, &store, &out, max_pages).map_err(anyhow::Error::from)?;
    say!("{}: {} files, {} bytes", out.display(), summary.files, summary.bytes);
    drop((store, copy));
    Ok(ExitCode::SUCCESS)
}

/// `loa import-opml`: adds an OPML file's feeds to the config as sources.
fn import_opml(config_file: Option<&Path>, opml: PathBuf, agency: Option<String>) -> Result<ExitCode, Failure> {
    let path = config::locate(config_file).map_err(|e| Failure::Usage(format!("loa: {e}")))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::Usage(format!("loa: cannot read config file {}: {e}", path.display())))?;
    let list = std::fs::read_to_string(&opml)
        .map_err(|e| Failure::Usage(format!("loa: cannot read {}: {e}", opml.display())))?;
    let outlines = loa::publish::opml::outlines(&list);
    if outlines.is_empty() {
        return Err(Failure::Usage(format!("loa: {} lists no feed (no outline with an xmlUrl)", opml.display())));
    }
    let imported = loa::import::import_opml(&text, &path.display().to_string(), &outlines, agency.as_deref())
        .map_err(|e| Failure::Usage(e.to_string()))?;
    loa::util::atomic::write_bytes(&path, imported.text.as_bytes(), |_, e| {
        anyhow::anyhow!("cannot write {}: {e}", path.display())
    })?;
    for (id, url) in &imported.added {
        say!("added    {id:<24} {url}");
    }
    for (url, why) in &imported.skipped {
        say!("skipped  {url}: {why}");
    }
    say!("{}: {} sources added, {} skipped", path.display(), imported.added.len(), imported.skipped.len());
    Ok(ExitCode::SUCCESS)
}

/// `loa discover`: finds a portal's feeds or listing selectors, and may append them to a config.
fn discover(
    config_file: Option<&Path>,
    json: bool,
    append: Option<PathBuf>,
    urls: Vec<String>,
) -> Result<ExitCode, Failure> {
    // The config gives politeness, limits and the agency registry: the
    // one appended to, else the usual one, else the defaults.
    let config = match (&append, config_file) {
        (Some(path), _) => Config::load(path).map_err(|e| Failure::Usage(e.to_string()))?,
        (None, Some(_)) => load(config_file)?.1,
        (None, None) => match config::locate(None) {
            Ok(_) => load(config_file)?.1,
            Err(_) => Config::parse("", "<defaults>").map_err(|e| Failure::Usage(e.to_string()))?,
        },
    };
    let found = runtime()?.block_on(loa::discover::discover_all(&urls, &config));
    for d in &found {
        if json {
            say!("{}", serde_json::to_string(d).unwrap_or_default());
        } else {
            say!("{}", loa::discover::render_text(d).trim_end());
        }
    }
    if let Some(path) = append {
        let blocks: Vec<&str> =
            found.iter().filter(|d| d.ok && !d.duplicate).filter_map(|d| d.block.as_deref()).collect();
        if blocks.is_empty() {
            return Err(Failure::Runtime(anyhow::anyhow!("no new source found: {} left unchanged", path.display())));
        }
        loa::discover::append(&path, &blocks).map_err(|e| {
            Failure::Usage(format!(
                "{e}
loa: {} left unchanged: set what the errors name, then add the block by hand",
                path.display()
            ))
        })?;
        eprintln!("{}: {} sources added", path.display(), blocks.len());
    }
    Ok(if found.iter().all(|d| d.ok) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `loa store …`: upkeep and backups of the store.
fn store(config_file: Option<&Path>, action: StoreAction) -> Result<ExitCode, Failure> {
    let (_, config) = load(config_file)?;
    let (path, cache) = (&config.store.path, config.store.cache_capacity);
    match action {
        StoreAction::Verify => {
            if let Some(answer) = ask(path, Request::Verify)? {
                return relay(answer);
            }
            let problems = loa::upkeep::verify(path, cache).map_err(anyhow::Error::from)?;
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
        StoreAction::Recover => recover(path, cache)?,
        StoreAction::Export { file } => match ask(path, Request::Backup)? {
            Some(answer) => {
                let n = write_answer(answer, &file)?;
                say!("{}: {n} records (from the running loa)", file.display());
            }
            None => {
                let n = loa::upkeep::export(&open_existing(&config)?, &file).map_err(anyhow::Error::from)?;
                say!("{}: {n} records", file.display());
            }
        },
        StoreAction::Import { file } => {
            let (n, stories) = loa::upkeep::import(path, cache, &file).map_err(anyhow::Error::from)?;
            say!("{}: {n} records imported, {stories} stories", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `loa store recover`: carries what a damaged store still reads into a fresh one, and says how much.
fn recover(path: &Path, cache: u64) -> Result<(), Failure> {
    let r = loa::upkeep::recover(path, cache).map_err(anyhow::Error::from)?;
    say!("the damaged store is kept at {}", r.kept.display());
    match r.claimed {
        Some(c) => say!(
            "{}: carried {} of {} stories and {} of {} items ({} records)",
            path.display(),
            r.carried.stories,
            c.stories,
            r.carried.items,
            c.items,
            r.records
        ),
        None => say!(
            "{}: carried {} stories and {} items ({} records); the damaged store's counts could not \
             be read",
            path.display(),
            r.carried.stories,
            r.carried.items,
            r.records
        ),
    }
    if let Some(why) = &r.stopped {
        say!("sled stopped reading early: {why}");
    }
    if let Some(s) = r.salvaged {
        say!(
            "{} stories and {} items of those were read straight from the store's files, record by record \
             (dedupe notes and source health are not: sources are polled afresh)",
            s.stories,
            s.items
        );
    }
    if !r.complete() {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "recover carried less than the damaged store claims, or could not tell: the damaged store is \
             kept at {}; restore a backup (`loa store import FILE`) if you have a newer one",
            r.kept.display()
        )));
    }
    Ok(())
}

/// `loa demo`: bundled sample sources on loopback and the daemon against them.
fn demo(listen: SocketAddr) -> Result<ExitCode, Failure> {
    runtime()?.block_on(async {
        let stop = CancellationToken::new();
        daemon::stop_on_signals(stop.clone());
        loa::demo::run(listen, stop).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Asks a running loa that holds the store, if one does.
fn ask(store: &std::path::Path, request: Request) -> Result<Option<loa::daemon::control::Answer>, Failure> {
    Ok(loa::daemon::control::ask(store, request).map_err(anyhow::Error::from)?)
}

/// Prints a running loa's answer, and ends as it says.
fn relay(mut answer: loa::daemon::control::Answer) -> Result<ExitCode, Failure> {
    while let Some(line) = answer.next_line().map_err(anyhow::Error::from)? {
        say!("{line}");
    }
    Ok(ExitCode::from(answer.exit()))
}

/// Writes a running loa's backup to `file`: beside it first, renamed into place
/// only once the answer is complete. Returns the records written.
fn write_answer(mut answer: loa::daemon::control::Answer, file: &std::path::Path) -> Result<u64, Failure> {
    use std::io::Write as _;
    let written = loa::util::atomic::write_then_rename(
        file,
        |out| {
            let mut lines = 0u64;
            while let Some(line) = answer.next_line()? {
                writeln!(out, "{line}")?;
                lines += 1;
            }
            anyhow::ensure!(answer.exit() == 0, "the running loa could not read its store");
            Ok(lines)
        },
        |path, e| anyhow::anyhow!("cannot write {}: {e}", path.display()),
    );
    let lines =
        written.map_err(|e| Failure::Runtime(e.context(format!("no backup was written to {}", file.display()))))?;
    // The first line is the header.
    Ok(lines.saturating_sub(1))
}

/// The store of the config, which must exist: a read-only command never creates one.
fn open_existing(config: &Config) -> Result<Store, Failure> {
    loa::upkeep::require_store(&config.store.path).map_err(anyhow::Error::from)?;
    Ok(Store::open(&config.store.path, config.store.cache_capacity).map_err(anyhow::Error::from)?)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?)
}

/// glibc's malloc keeps freed memory for reuse and raises its thresholds as large
/// blocks are freed, so a daemon's resident size settles at the peak of whatever it
/// once held (a cold cycle's sled pages: ~60 MiB more than it uses). Blocks of
/// 64 KiB and more are mapped on their own and returned when freed, and free memory
/// above 64 KiB at the top of a heap is given back: measured on the 1000-source cold
/// cycle, peak RSS 200 → 140 MiB for about 5 % more CPU (BENCHMARKS.md).
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 10);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 10);
    }
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
