//! Wiring: the engine that runs one poll through the stages (fetch, `read`,
//! dedupe, store, publish, the source's health), the per-source loops, the
//! server, the control socket (`control`), and a clean stop. It reads no
//! document itself: `read` does, with the store as its lookup of known items.
//!
//! A failing source never stops the loop: every error ends in that source's
//! health record. Parsing and store work run on blocking threads, so the async
//! workers stay free for fetching and serving. On shutdown no new fetch starts,
//! in-flight polls get a few seconds, and the store is flushed before exit.

pub mod control;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Timelike, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};
use url::Url;

use crate::config::{Config, Source};
use crate::fetch::{FetchError, Fetched, Fetcher, Response};
use crate::metrics::Metrics;
use crate::model::SourceHealth;
use crate::publish::{Publisher, Settings};
use crate::read::{ReadError, Reader};
use crate::schedule::{self, Cadence, Limits};
use crate::store::{Batch, Store, StoreError};
use crate::{dedupe, normalize, serve};

/// How long in-flight polls may run on after a stop is asked.
pub const STOP_GRACE: Duration = Duration::from_secs(4);

/// The result of one poll of one source, for logs and `loa fetch`.
#[derive(Debug, Clone, Default)]
pub struct PollReport {
    pub source: String,
    pub url: String,
    pub http_status: Option<u16>,
    pub not_modified: bool,
    /// Items in the document (read: at most `[poll].max_items`).
    pub seen: usize,
    /// Older items past `[poll].max_items`, left out.
    pub truncated: usize,
    pub new_items: usize,
    pub updated_items: usize,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    /// Bytes of the body, after decompression.
    pub bytes: usize,
    /// How long the poll took.
    pub elapsed: Duration,
    /// The wait until the next poll; `None` when the source is not polled again.
    pub next_in: Option<Duration>,
}

impl PollReport {
    /// One line for `loa fetch`.
    pub fn line(&self) -> String {
        let status = self.http_status.map(|s| s.to_string()).unwrap_or_else(|| "---".into());
        match &self.error {
            Some(e) => format!("{:<16} error  {status}  {} ({})", self.source, e, self.url),
            None if self.not_modified => {
                format!("{:<16} ok     {status}  not modified", self.source)
            }
            None => format!(
                "{:<16} ok     {status}  {} new, {} updated, {} in the feed{}",
                self.source,
                self.new_items,
                self.updated_items,
                self.seen,
                match self.truncated {
                    0 => String::new(),
                    n => format!(" (truncated: {n} older items past [poll].max_items left out)"),
                }
            ),
        }
    }
}

/// Everything one poll needs: the stages and their shared state.
pub struct Engine {
    /// The config in force; SIGHUP replaces it (see `reload`).
    config: Arc<std::sync::RwLock<Arc<Config>>>,
    pub store: Store,
    pub publisher: Arc<Publisher>,
    fetcher: Fetcher,
    limits: Limits,
    /// Ingest runs one source at a time, so stories shared by sources cannot race.
    ingest_lock: std::sync::Mutex<()>,
    pub metrics: Arc<Metrics>,
    /// Woken when a poll leaves scopes to render.
    changed: tokio::sync::Notify,
    /// WebSub pings still being sent: a one-shot `loa fetch` and a stopping daemon
    /// wait a moment for them instead of dropping them.
    pings: std::sync::Mutex<tokio::task::JoinSet<()>>,
}

impl Engine {
    /// Opens the store and installs the documents kept beside it when it has not
    /// changed since they were rendered; else renders every feed from it.
    pub fn new(config: Config) -> anyhow::Result<Engine> {
        let store = Store::open(&config.store.path, config.store.cache_capacity)?;
        let publisher = Publisher::new(Settings::from_config(&config), config.agencies.clone()).saving();
        if !publisher.restore(&store) {
            publisher
                .render_all(&store)
                .with_context(|| format!("cannot render the feeds from the store at {}", store.path().display()))?;
        }
        Ok(Engine {
            fetcher: Fetcher::new(&config.poll)?,
            limits: Limits::new(config.poll.concurrency, config.poll.per_host, config.poll.host_spacing),
            metrics: Arc::new(Metrics::default()),
            changed: tokio::sync::Notify::new(),
            store,
            publisher: Arc::new(publisher),
            config: Arc::new(std::sync::RwLock::new(Arc::new(config))),
            ingest_lock: std::sync::Mutex::new(()),
            pings: Default::default(),
        })
    }

    /// Runs `f` on the store while no poll commits: what it reads is consistent.
    pub fn quiesced<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        let _one_at_a_time = crate::util::sync::lock(&self.ingest_lock);
        f(&self.store)
    }

    /// The config in force.
    pub fn config(&self) -> Arc<Config> {
        crate::util::sync::read(&self.config).clone()
    }

    /// The lock the server reads the config through, so it sees reloads too.
    pub fn shared_config(&self) -> Arc<std::sync::RwLock<Arc<Config>>> {
        self.config.clone()
    }

    /// Polls the given sources (all when `ids` is empty) once, concurrently within
    /// the configured limits.
    pub async fn cycle(self: &Arc<Self>, ids: &[String]) -> Vec<PollReport> {
        let sources: Vec<Source> =
            self.config().sources.iter().filter(|s| ids.is_empty() || ids.contains(&s.id)).cloned().collect();
        let tasks: Vec<_> = sources
            .into_iter()
            .map(|s| {
                let engine = self.clone();
                tokio::spawn(async move { engine.poll(&s).await })
            })
            .collect();
        let mut reports = Vec::with_capacity(tasks.len());
        for t in tasks {
            match t.await {
                Ok(r) => reports.push(r),
                Err(e) => warn!("a poll task failed: {e}"),
            }
        }
        self.render_pending().await;
        self.save_published().await;
        reports
    }

    /// Keeps the documents beside the store that the last renders left unkept.
    async fn save_published(self: &Arc<Self>) {
        let engine = self.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || engine.publisher.save_pending(&engine.store)).await {
            warn!("the task keeping the published documents failed: {e}");
        }
    }

    /// Renders what the polls changed, off the async workers, and tells the
    /// WebSub hubs which feeds changed (in the background: never waited for).
    pub async fn render_pending(self: &Arc<Self>) {
        let engine = self.clone();
        let changed = match tokio::task::spawn_blocking(move || engine.publisher.render_pending(&engine.store)).await {
            Ok(Ok(changed)) => changed,
            Ok(Err(e)) => {
                warn!("cannot render the feeds: {e}");
                return;
            }
            Err(e) => {
                warn!("the render task failed: {e}");
                return;
            }
        };
        systemd::status(self);
        // The hubs the feeds name, as rendered: a reload does not change them.
        let hubs = &self.publisher.settings().hubs;
        if !changed.is_empty() && !hubs.is_empty() {
            let mut pings = crate::util::sync::lock(&self.pings);
            // Finished pings are let go of here, so the set holds only those in flight.
            while pings.try_join_next().is_some() {}
            pings.spawn(notify_hubs(self.fetcher.clone(), hubs.clone(), changed));
        }
    }

    /// Waits up to `limit` for the WebSub pings still being sent.
    pub async fn settle_pings(&self, limit: Duration) {
        let mut pings = std::mem::take(&mut *crate::util::sync::lock(&self.pings));
        if tokio::time::timeout(limit, async { while pings.join_next().await.is_some() {} }).await.is_err() {
            warn!("{} WebSub pings were still being sent after {limit:?} and were given up", pings.len());
        }
    }

    /// Applies `[store].retention_days` and `max_stories`: at start, then hourly.
    async fn pruner(self: Arc<Self>, stop: CancellationToken) {
        loop {
            let engine = self.clone();
            match tokio::task::spawn_blocking(move || engine.prune_now()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => info!(stories = n, "retention: old stories removed"),
                Ok(Err(e)) => warn!("retention failed: {e}"),
                Err(e) => warn!("the retention task failed: {e}"),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(PRUNE_EVERY) => {}
            }
        }
    }

    /// Removes what the retention settings say is too old or too many, and
    /// re-renders every feed if anything went. Returns how many stories went.
    pub fn prune_now(&self) -> Result<usize, StoreError> {
        let c = self.config();
        let before = (c.store.retention_days > 0)
            .then(|| Utc::now() - chrono::Duration::days(i64::from(c.store.retention_days)));
        let max = (c.store.max_stories > 0).then_some(c.store.max_stories as usize);
        if before.is_none() && max.is_none() {
            return Ok(0);
        }
        let n = {
            let _one_at_a_time = crate::util::sync::lock(&self.ingest_lock);
            self.store.prune(before, max)?
        };
        // Polls go on while the feeds are re-rendered (which flushes first).
        if n > 0 {
            self.publisher.render_all(&self.store)?;
        }
        Ok(n)
    }

    /// Renders changes as polls make them, gathering those that arrive within
    /// `RENDER_DELAY` of each other into one render.
    async fn renderer(self: Arc<Self>, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.changed.notified() => {}
            }
            tokio::time::sleep(RENDER_DELAY).await;
            self.render_pending().await;
        }
        // What the last polls stored is published before the process ends.
        self.render_pending().await;
    }

    /// One poll of one source through every stage, now.
    pub async fn poll(self: &Arc<Self>, source: &Source) -> PollReport {
        self.poll_at(source, now_secs()).await
    }

    /// One poll of one source, with `now` as the time that dates and schedules it
    /// (tests give their own clock). Never fails: what goes wrong is recorded in the
    /// source's health and in the report.
    pub async fn poll_at(self: &Arc<Self>, source: &Source, now: DateTime<Utc>) -> PollReport {
        let mut health = self.store.health(&source.id).ok().flatten().unwrap_or_default();
        if !health.is_for(source.url.as_str()) {
            // A new or changed URL starts afresh: no redirect, not gone, no validators.
            health = SourceHealth { items_total: health.items_total, recent: health.recent, ..Default::default() };
            health.configured_url = Some(source.url.to_string());
        }
        health.last_attempt = Some(now);
        let url =
            health.effective_url.as_deref().and_then(|u| Url::parse(u).ok()).unwrap_or_else(|| source.url.clone());
        let started = std::time::Instant::now();
        let mut report = PollReport { source: source.id.clone(), url: url.to_string(), ..Default::default() };
        let (result, asked) = self.fetch_and_ingest(source, &url, now, &mut health, &mut report).await;
        health.http_status = report.http_status;
        match result {
            Ok(()) => {
                health.last_success = Some(now);
                health.consecutive_failures = 0;
                health.error = None;
                health.error_kind = None;
            }
            Err(e) => {
                health.consecutive_failures += 1;
                report.error_kind = Some(e.kind().to_string());
                report.error = Some(e.to_string());
                health.error_kind = report.error_kind.clone();
                health.error = report.error.clone();
            }
        }
        let cadence = Cadence { interval: source.interval, max_interval: self.config().poll.max_interval };
        // Jitter differs per source and per poll, and is the same for the same pair.
        let seed = crate::util::hash::fnv1a_from(now.timestamp() as u64, source.id.as_bytes());
        report.next_in = cadence.next_delay(&health, asked, now, seed);
        health.next_due = report.next_in.and_then(|d| chrono::Duration::from_std(d).ok()).map(|d| now + d);
        // When ingest succeeded, its commit already carried the items' health; this
        // one records the outcome and the next due time.
        let mut batch = Batch::default();
        batch.put_health(&source.id, health);
        if let Err(e) = self.store.commit(&batch) {
            warn!(source = %source.id, "cannot record the source's health: {e}");
        }
        report.elapsed = started.elapsed();
        self.metrics.record_poll(report.error_kind.as_deref(), report.not_modified, report.bytes, report.elapsed);
        log(&report);
        report
    }

    /// Fetches the source and, when a document came, ingests it: the outcome, and
    /// the wait the server or the document asked for.
    async fn fetch_and_ingest(
        self: &Arc<Self>,
        source: &Source,
        url: &Url,
        now: DateTime<Utc>,
        health: &mut SourceHealth,
        report: &mut PollReport,
    ) -> (Result<(), PollError>, Option<Duration>) {
        // The overall place is held through parsing and ingest, so that at most
        // `concurrency` documents are in memory at once; the host's place only
        // while its server is being asked.
        let mut permit = self.limits.acquire(url).await;
        let fetched = match self.fetcher.reach(&source.url, source.auth.as_ref()).await {
            Ok(reach) => self.fetcher.get(url, Some(&health.validators), &reach).await,
            Err(e) => Err(e),
        };
        permit.release_host();
        let mut asked = None;
        let result = match fetched {
            Ok(Fetched::NotModified { moved_to, cache_for }) => {
                report.http_status = Some(304);
                report.not_modified = true;
                asked = cache_for;
                if let Some(to) = moved_to {
                    health.effective_url = Some(to.to_string());
                }
                Ok(())
            }
            Ok(Fetched::Body(resp)) => {
                report.http_status = Some(resp.status);
                report.bytes = resp.bytes;
                if let Some(to) = &resp.moved_to {
                    health.effective_url = Some(to.to_string());
                }
                let cache_for = resp.cache_for;
                self.ingest(source, *resp, now, health, report).await.map(|ttl| asked = cache_for.max(ttl))
            }
            Err(e) => {
                report.http_status = e.status();
                asked = e.retry_after();
                health.gone = matches!(e, FetchError::Gone);
                Err(PollError::Read(ReadError::Fetch(e)))
            }
        };
        (result, asked)
    }

    /// Reads a fetched document into the store and the published feeds. Returns
    /// the wait the document itself asks for (RSS `<ttl>`).
    async fn ingest(
        self: &Arc<Self>,
        source: &Source,
        resp: Response,
        now: DateTime<Utc>,
        health: &mut SourceHealth,
        report: &mut PollReport,
    ) -> Result<Option<Duration>, PollError> {
        let validators = resp.validators.clone();
        let reader = Reader { config: self.config(), fetcher: &self.fetcher, limits: Some(&self.limits) };
        let store = &self.store;
        let known = |key: &str| store.item(key).ok().flatten().map(|stored| stored.item);
        let normalize::Document { items: mut doc_items, ttl, truncated, .. } =
            reader.read(source, resp.text, resp.url, now, &known).await?;
        self.config().agencies.cap_new_agencies(health, &mut doc_items, &source.agency);
        report.seen = doc_items.len();
        report.truncated = truncated;

        let engine = self.clone();
        let source_id = source.id.clone();
        let mut updated = health.clone();
        let (outcome, committed) = tokio::task::spawn_blocking(move || {
            let mut outcome = dedupe::Outcome::default();
            let mut rest = doc_items;
            // In batches of INGEST_CHUNK items, so that a store batch's memory does not
            // follow the document's length. A crash between two leaves items stored
            // without the new validators: the next poll finds them stored, unchanged.
            let committed = loop {
                let tail = rest.split_off(rest.len().min(INGEST_CHUNK));
                let chunk = std::mem::replace(&mut rest, tail);
                let step = (|| {
                    // Everything that needs no lock first, on this source's own thread.
                    let prepared = dedupe::prepare(&engine.store, chunk)?;
                    let _one_at_a_time = crate::util::sync::lock(&engine.ingest_lock);
                    let mut batch = Batch::default();
                    outcome.absorb(dedupe::ingest_prepared(&engine.store, prepared, now, &mut batch)?);
                    if rest.is_empty() {
                        updated.record_new_items(outcome.new_dates.iter().copied());
                        updated.validators = validators.clone();
                        updated.items_total += outcome.new_items as u64;
                        updated.last_new = outcome.new_items as u64;
                        updated.truncated = truncated as u64;
                        // The validators travel with the last items: a crash can never
                        // leave a stored ETag whose items were not stored.
                        batch.put_health(&source_id, updated.clone());
                    }
                    let committed = engine.store.commit(&batch);
                    // Marked still under the lock: in the order of the commits (see `mark_dirty`).
                    if !outcome.touched.is_empty() {
                        engine.publisher.mark_dirty(outcome.touched.clone(), engine.store.generation());
                    }
                    committed
                })();
                match step {
                    Err(e) => break Err(e),
                    Ok(()) if rest.is_empty() => break Ok(updated),
                    Ok(()) => {}
                }
            };
            (outcome, committed)
        })
        .await
        .map_err(|e| PollError::Internal(format!("the ingest task failed: {e}")))?;
        // What was committed is published (by `render_pending` soon after, which
        // flushes first), even when a later batch failed.
        if !outcome.touched.is_empty() {
            self.changed.notify_one();
        }
        *health = committed?;
        report.new_items = outcome.new_items;
        report.updated_items = outcome.updated_items;
        self.metrics.record_ingest(&outcome);
        Ok(ttl)
    }
}

/// Pings every hub for every changed feed URL, retrying each failed ping with a
/// growing wait (1, 4, 16 s) before giving up on it.
async fn notify_hubs(fetcher: Fetcher, hubs: Vec<Url>, topics: Vec<String>) {
    use futures_util::StreamExt;
    let pings: Vec<(Url, String)> =
        hubs.iter().flat_map(|hub| topics.iter().map(|topic| (hub.clone(), topic.clone()))).collect();
    // A render can change a hundred documents: a few pings at a time, not one by one.
    futures_util::stream::iter(pings)
        .for_each_concurrent(PINGS_AT_ONCE, |(hub, topic)| {
            let fetcher = fetcher.clone();
            async move {
                let mut wait = Duration::from_secs(1);
                for attempt in 1..=4 {
                    match fetcher.ping_hub(&hub, &topic).await {
                        Ok(()) => break,
                        Err(e) if attempt == 4 => {
                            warn!(hub = %hub, topic = %topic, "WebSub ping failed, giving up: {e}")
                        }
                        Err(e) => {
                            warn!(hub = %hub, topic = %topic, "WebSub ping failed, retrying in {wait:?}: {e}");
                            tokio::time::sleep(wait).await;
                            wait *= 4;
                        }
                    }
                }
            }
        })
        .await;
}

/// WebSub pings in flight at once, across hubs.
const PINGS_AT_ONCE: usize = 8;

/// How often retention runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How long a one-shot `loa fetch` waits for its WebSub pings (with their retries).
pub const PING_GRACE: Duration = Duration::from_secs(30);

/// How long a change waits for others before the feeds are rendered.
pub const RENDER_DELAY: Duration = Duration::from_millis(200);

/// Items of one document committed in one store batch.
const INGEST_CHUNK: usize = 500;

/// Why one poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The document could not be fetched or read (its kind is the read's).
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl PollError {
    pub fn kind(&self) -> &'static str {
        match self {
            PollError::Read(e) => e.kind(),
            PollError::Store(_) => "store",
            PollError::Internal(_) => "internal",
        }
    }
}

/// The current time to the second: what feeds show needs no more.
fn now_secs() -> chrono::DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(0).unwrap_or(now)
}

fn log(r: &PollReport) {
    match &r.error {
        Some(e) => {
            warn!(source = %r.source, url = %r.url, status = r.http_status.unwrap_or(0), ms = r.elapsed.as_millis() as u64, kind = r.error_kind.as_deref().unwrap_or(""), "poll failed: {e}")
        }
        None => info!(
            source = %r.source,
            url = %r.url,
            status = r.http_status.unwrap_or(0),
            ms = r.elapsed.as_millis() as u64,
            new = r.new_items,
            updated = r.updated_items,
            seen = r.seen,
            truncated = r.truncated,
            "polled"
        ),
    }
}

/// Binds the public listener, naming the address when it cannot.
/// Opens the public listener; `remedy` says how to choose another address where
/// this one came from (the config's `[server].listen`, the demo's `--listen`).
pub async fn bind(addr: SocketAddr, remedy: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is another loa or server using it? {remedy})"))
}

/// Serves and polls until `stop` is cancelled, then stops cleanly. With a config
/// path, SIGHUP reloads the config from it.
pub async fn run(
    engine: Arc<Engine>,
    listener: TcpListener,
    stop: CancellationToken,
    config_path: Option<PathBuf>,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let state = Arc::new(serve::AppState {
        publisher: engine.publisher.clone(),
        store: engine.store.clone(),
        metrics: engine.metrics.clone(),
        config: engine.shared_config(),
    });
    let config = engine.config();
    let limits =
        serve::Limits { max_connections: config.server.max_connections, header_timeout: config.server.header_timeout };
    let admin = match config.server.admin_listen {
        Some(addr) => {
            let l =
                bind(addr, "set [server].admin_listen").await.context("the admin listener ([server].admin_listen)")?;
            info!(%addr, "status and metrics are served on the admin address only");
            Some(tokio::spawn(serve::serve(l, serve::admin(state.clone()), limits, stop.clone(), STOP_GRACE)))
        }
        None => {
            if !addr.ip().is_loopback() {
                warn!(
                    %addr,
                    "/status and /metrics are served on a non-loopback address: whoever reaches it sees every source's health; set [server].admin_listen = \"127.0.0.1:9090\" to serve them there only"
                );
            }
            None
        }
    };
    let public = serve::public(state, admin.is_none());
    let server = tokio::spawn(serve::serve(listener, public, limits, stop.clone(), STOP_GRACE));
    info!(
        %addr,
        sources = engine.config().sources.len(),
        stories = engine.store.story_count(),
        "loa is serving {}/feed.atom",
        engine.publisher.settings().base_url
    );

    let control = tokio::spawn(control::serve(engine.clone(), stop.clone()));
    let renderer = tokio::spawn(engine.clone().renderer(stop.clone()));
    let pruner = tokio::spawn(engine.clone().pruner(stop.clone()));
    let mut loops = Loops::default();
    for source in engine.config().sources.iter().cloned() {
        loops.start(&engine, source, &stop);
    }
    systemd::ready(&engine);

    let mut hangups = hangups();
    let mut watchdog = systemd::watchdog_interval().map(tokio::time::interval);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = hangups.recv() => match &config_path {
                Some(path) => reload(&engine, path, &mut loops, &stop),
                None => info!("SIGHUP ignored: this loa has no config file to reload"),
            },
            // The watchdog is fed from this loop: if it stops turning, systemd restarts loa.
            _ = async { watchdog.as_mut().expect("guarded").tick().await }, if watchdog.is_some() => systemd::watchdog(),
        }
    }
    shut_down(&engine, loops, [renderer, pruner, control], [Some(server), admin].into_iter().flatten()).await
}

/// The shutdown steps, in order: the polls in flight, the background tasks, the
/// listeners (each drains its connections), the hub pings, and last the store's flush.
async fn shut_down(
    engine: &Arc<Engine>,
    loops: Loops,
    background: [tokio::task::JoinHandle<()>; 3],
    servers: impl Iterator<Item = tokio::task::JoinHandle<()>>,
) -> anyhow::Result<()> {
    systemd::stopping();
    info!("stopping: no new polls; waiting up to {STOP_GRACE:?} for those in flight");
    if tokio::time::timeout(STOP_GRACE, loops.join_all()).await.is_err() {
        warn!("some polls did not finish in time and were cancelled");
    }
    for task in background {
        let _ = tokio::time::timeout(STOP_GRACE, task).await;
    }
    // After the renderer's last render: the next start installs what it rendered.
    engine.save_published().await;
    for server in servers {
        let _ = tokio::time::timeout(STOP_GRACE * 2, server).await;
    }
    engine.settle_pings(STOP_GRACE / 2).await;
    engine.store.flush().await.context("cannot flush the store on shutdown")?;
    info!("stopped; the store is flushed");
    Ok(())
}

/// The running per-source loops, by source id.
#[derive(Default)]
struct Loops {
    running: HashMap<String, (Source, CancellationToken, tokio::task::JoinHandle<()>)>,
}

impl Loops {
    fn start(&mut self, engine: &Arc<Engine>, source: Source, stop: &CancellationToken) {
        let token = stop.child_token();
        let handle = tokio::spawn(source_loop(engine.clone(), source.clone(), token.clone()));
        self.running.insert(source.id.clone(), (source, token, handle));
    }

    fn stop(&mut self, id: &str) {
        if let Some((_, token, _)) = self.running.remove(id) {
            // A poll in flight finishes; the loop then ends.
            token.cancel();
        }
    }

    async fn join_all(self) {
        futures_util::future::join_all(self.running.into_values().map(|(_, _, h)| h)).await;
    }
}

/// Reloads the config: sources added, removed or changed take effect at once,
/// without losing state; a config with mistakes is refused, its errors logged,
/// and the one in force kept.
fn reload(engine: &Arc<Engine>, path: &std::path::Path, loops: &mut Loops, stop: &CancellationToken) {
    systemd::reloading();
    let new = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            for line in e.to_string().lines() {
                error!("config not reloaded: {line}");
            }
            warn!("the config in force is kept; fix {} and send SIGHUP again", path.display());
            systemd::ready(engine);
            return;
        }
    };
    let old = engine.config();
    // What the listeners, the store, the fetcher, the limits and the publisher
    // were built from at start; the rest of the config applies at once.
    for (section, same) in [
        ("[server]", old.server == new.server),
        (
            "[store] path and cache",
            old.store.path == new.store.path && old.store.cache_capacity == new.store.cache_capacity,
        ),
        (
            "[poll] limits",
            old.poll.timeout == new.poll.timeout
                && old.poll.max_body == new.poll.max_body
                && old.poll.user_agent == new.poll.user_agent
                && old.poll.concurrency == new.poll.concurrency
                && old.poll.per_host == new.poll.per_host
                && old.poll.host_spacing == new.poll.host_spacing,
        ),
        ("[publish]", old.publish == new.publish),
    ] {
        if !same {
            warn!("{section} changed: it takes effect at the next restart");
        }
    }
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    let ids: Vec<String> = loops.running.keys().cloned().collect();
    for id in ids {
        match new.source(&id) {
            None => {
                loops.stop(&id);
                removed += 1;
            }
            Some(s) if loops.running.get(&id).is_some_and(|(old, _, _)| old != s) => {
                loops.stop(&id);
                loops.start(engine, s.clone(), stop);
                changed += 1;
            }
            Some(_) => {}
        }
    }
    for s in &new.sources {
        if !loops.running.contains_key(&s.id) {
            loops.start(engine, s.clone(), stop);
            added += 1;
        }
    }
    *crate::util::sync::write(&engine.config) = Arc::new(new);
    info!(added, removed, changed, "config reloaded from {}", path.display());
    systemd::ready(engine);
}

/// SIGHUPs, as a stream; never fires where signals cannot be had.
fn hangups() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            let _ = tx.try_send(());
        }
    });
    #[cfg(not(unix))]
    drop(tx);
    rx
}

/// The systemd notification protocol (`Type=notify`): a no-op outside systemd.
mod systemd {
    use std::time::Duration;

    use sd_notify::NotifyState;

    use super::Engine;

    fn send(states: &[NotifyState<'_>]) {
        let _ = sd_notify::notify(states);
    }

    /// The STATUS= line an operator sees in `systemctl status`.
    fn status_line(engine: &Engine) -> String {
        format!("{} sources, {} stories", engine.config().sources.len(), engine.store.story_count())
    }

    /// READY=1, with the status line.
    pub fn ready(engine: &Engine) {
        send(&[NotifyState::Ready, NotifyState::Status(&status_line(engine))]);
    }

    pub fn status(engine: &Engine) {
        send(&[NotifyState::Status(&status_line(engine))]);
    }

    pub fn reloading() {
        send(&[NotifyState::Reloading]);
    }

    pub fn stopping() {
        send(&[NotifyState::Stopping]);
    }

    pub fn watchdog() {
        send(&[NotifyState::Watchdog]);
    }

    /// Half the watchdog period systemd asked for, if it asked.
    pub fn watchdog_interval() -> Option<Duration> {
        sd_notify::watchdog_enabled().map(|d| (d / 2).max(Duration::from_millis(100)))
    }
}

/// Polls one source on its schedule until `stop`.
async fn source_loop(engine: Arc<Engine>, source: Source, stop: CancellationToken) {
    let health = engine.store.health(&source.id).ok().flatten();
    // A URL changed in the config starts afresh, even for a source that was gone.
    let health = health.filter(|h| h.is_for(source.url.as_str()));
    let mut delay = schedule::initial_delay(health.as_ref(), Utc::now());
    loop {
        let Some(wait) = delay else {
            info!(source = %source.id, "not polled: the source is gone (HTTP 410); change its url to poll it again");
            stop.cancelled().await;
            return;
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        // A poll in flight when the stop comes is left to finish within the grace.
        let report = engine.poll(&source).await;
        delay = report.next_in;
        if stop.is_cancelled() {
            return;
        }
    }
}

/// Cancels `stop` on SIGINT or SIGTERM. The handlers are installed before this returns,
/// so a signal sent as soon as loa answers is never lost to the default action.
pub fn stop_on_signals(stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::spawn(async move {
                    tokio::select! {
                        _ = int.recv() => info!("SIGINT received"),
                        _ = term.recv() => info!("SIGTERM received"),
                    }
                    stop.cancel();
                });
            }
            (Err(e), _) | (_, Err(e)) => {
                warn!("cannot listen for SIGTERM/SIGINT: {e}");
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    stop.cancel();
                });
            }
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
}
