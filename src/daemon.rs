//! Wiring: the engine that runs one poll through every stage, the per-source
//! loops, the server, and a clean stop.
//!
//! A failing source never stops the loop: every error ends in that source's
//! health record. Parsing and store work run on blocking threads, so the async
//! workers stay free for fetching and serving. On shutdown no new fetch starts,
//! in-flight polls get a few seconds, and the store is flushed before exit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::future::IntoFuture;

use anyhow::Context as _;
use chrono::{Timelike, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::{Config, Source, SourceKind};
use crate::fetch::{Fetched, Fetcher, Response};
use crate::model::SourceHealth;
use crate::publish::{Publisher, Settings};
use crate::schedule::{self, Limits};
use crate::store::{Batch, Store};
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
    /// Items in the document.
    pub seen: usize,
    pub new_items: usize,
    pub updated_items: usize,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    /// The wait until the next poll.
    pub next_in: Duration,
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
                "{:<16} ok     {status}  {} new, {} updated, {} in the feed",
                self.source, self.new_items, self.updated_items, self.seen
            ),
        }
    }
}

/// Everything one poll needs: the stages and their shared state.
pub struct Engine {
    pub config: Arc<Config>,
    pub store: Store,
    pub publisher: Arc<Publisher>,
    fetcher: Fetcher,
    limits: Limits,
    /// Ingest runs one source at a time, so stories shared by sources cannot race.
    ingest_lock: std::sync::Mutex<()>,
}

impl Engine {
    /// Opens the store and renders every feed from it.
    pub fn new(config: Config) -> anyhow::Result<Engine> {
        let store = Store::open(&config.store.path, config.store.cache_capacity)?;
        let publisher = Publisher::new(
            Settings::new(&config.publish.title, config.publish.limit, &config.server.base_url),
            config.agencies.clone(),
        );
        publisher
            .render_all(&store)
            .with_context(|| format!("cannot render the feeds from the store at {}", store.path().display()))?;
        Ok(Engine {
            fetcher: Fetcher::new(&config.poll)?,
            limits: Limits::new(config.poll.concurrency, config.poll.per_host),
            store,
            publisher: Arc::new(publisher),
            config: Arc::new(config),
            ingest_lock: std::sync::Mutex::new(()),
        })
    }

    /// Polls the given sources (all when `ids` is empty) once, concurrently within
    /// the configured limits.
    pub async fn cycle(self: &Arc<Self>, ids: &[String]) -> Vec<PollReport> {
        let sources: Vec<Source> =
            self.config.sources.iter().filter(|s| ids.is_empty() || ids.contains(&s.id)).cloned().collect();
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
        reports
    }

    /// One poll of one source through every stage. Never fails: what goes wrong is
    /// recorded in the source's health and in the report.
    pub async fn poll(self: &Arc<Self>, source: &Source) -> PollReport {
        let now = now_secs();
        let mut health = self.store.health(&source.id).ok().flatten().unwrap_or_default();
        health.last_attempt = Some(now);
        let mut report = PollReport { source: source.id.clone(), url: source.url.to_string(), ..Default::default() };
        let fetched = {
            let _permit = self.limits.acquire(&source.url).await;
            self.fetcher.get(&source.url, Some(&health.validators)).await
        };
        let result: Result<(), (String, String)> = match fetched {
            Ok(Fetched::NotModified) => {
                report.http_status = Some(304);
                report.not_modified = true;
                Ok(())
            }
            Ok(Fetched::Body(resp)) => {
                report.http_status = Some(resp.status);
                self.ingest(source, *resp, &mut health, &mut report).await
            }
            Err(e) => {
                report.http_status = e.status();
                Err((e.kind().to_string(), e.to_string()))
            }
        };
        health.http_status = report.http_status;
        match result {
            Ok(()) => {
                health.last_success = Some(now);
                health.consecutive_failures = 0;
                health.error = None;
                health.error_kind = None;
            }
            Err((kind, message)) => {
                health.consecutive_failures += 1;
                report.error_kind = Some(kind.clone());
                report.error = Some(message.clone());
                health.error_kind = Some(kind);
                health.error = Some(message);
            }
        }
        report.next_in = schedule::next_delay(source.interval, &health, now.timestamp_nanos_opt().unwrap_or(0) as u64);
        health.next_due = chrono::Duration::from_std(report.next_in).ok().map(|d| now + d);
        // When ingest succeeded, its commit already carried the health; this one
        // records the outcome and the next due time.
        let mut batch = Batch::default();
        batch.put_health(&source.id, health);
        if let Err(e) = self.store.commit(&batch) {
            warn!(source = %source.id, "cannot record the source's health: {e}");
        }
        log(&report);
        report
    }

    async fn ingest(
        self: &Arc<Self>,
        source: &Source,
        resp: Response,
        health: &mut SourceHealth,
        report: &mut PollReport,
    ) -> Result<(), (String, String)> {
        if let SourceKind::Html(_) = source.kind {
            return Err((
                "unsupported".into(),
                "kind = \"html\" sources are not read by this version of loa yet".into(),
            ));
        }
        let validators = resp.validators.clone();
        let engine = self.clone();
        let src = source.clone();
        let now = now_secs();
        let items = tokio::task::spawn_blocking(move || {
            let c = &engine.config;
            normalize::read_document(&resp.body, &resp.url, &src, &c.agencies, c.poll.timezone, now).map(|d| d.items)
        })
        .await
        .map_err(|e| ("internal".to_string(), format!("the parse task failed: {e}")))?
        .map_err(|e| (e.kind().to_string(), e.to_string()))?;
        report.seen = items.len();

        let engine = self.clone();
        let source_id = source.id.clone();
        let mut updated_health = health.clone();
        let committed = tokio::task::spawn_blocking(move || {
            let _one_at_a_time = engine.ingest_lock.lock().unwrap_or_else(|e| e.into_inner());
            let mut batch = Batch::default();
            let outcome = dedupe::ingest(&engine.store, items, now, &mut batch)?;
            updated_health.validators = validators;
            updated_health.items_total += outcome.new_items as u64;
            updated_health.last_new = outcome.new_items as u64;
            // The validators travel with the items: a crash can never leave a stored
            // ETag whose items were not stored.
            batch.put_health(&source_id, updated_health.clone());
            engine.store.commit(&batch)?;
            Ok::<_, crate::store::StoreError>((outcome, updated_health))
        })
        .await
        .map_err(|e| ("internal".to_string(), format!("the ingest task failed: {e}")))?
        .map_err(|e| ("store".to_string(), e.to_string()))?;
        let (outcome, updated_health) = committed;
        *health = updated_health;
        report.new_items = outcome.new_items;
        report.updated_items = outcome.updated_items;
        if outcome.touched.is_empty() {
            return Ok(());
        }
        // Durable first, then published.
        self.store.flush().await.map_err(|e| ("store".to_string(), e.to_string()))?;
        let engine = self.clone();
        tokio::task::spawn_blocking(move || engine.publisher.refresh(&engine.store, &outcome.touched))
            .await
            .map_err(|e| ("internal".to_string(), format!("the render task failed: {e}")))?
            .map_err(|e| ("store".to_string(), e.to_string()))?;
        Ok(())
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
            warn!(source = %r.source, url = %r.url, status = r.http_status.unwrap_or(0), kind = ?r.error_kind, "poll failed: {e}")
        }
        None => info!(
            source = %r.source,
            url = %r.url,
            status = r.http_status.unwrap_or(0),
            new = r.new_items,
            updated = r.updated_items,
            seen = r.seen,
            "polled"
        ),
    }
}

/// Binds the public listener, naming the address when it cannot.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is another loa or server using it? set [server].listen)"))
}

/// Serves and polls until `stop` is cancelled, then stops cleanly.
pub async fn run(engine: Arc<Engine>, listener: TcpListener, stop: CancellationToken) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let state = Arc::new(serve::AppState {
        publisher: engine.publisher.clone(),
        store: engine.store.clone(),
        config: Arc::new(std::sync::RwLock::new(engine.config.clone())),
    });
    let server = axum::serve(listener, serve::router(state)).with_graceful_shutdown(stop.clone().cancelled_owned());
    let server = tokio::spawn(server.into_future());
    info!(
        %addr,
        sources = engine.config.sources.len(),
        stories = engine.store.story_count(),
        "loa is serving {}/feed.atom",
        engine.publisher.settings().base_url
    );

    let loops: Vec<_> = engine
        .config
        .sources
        .iter()
        .cloned()
        .map(|source| tokio::spawn(source_loop(engine.clone(), source, stop.clone())))
        .collect();

    stop.cancelled().await;
    info!("stopping: no new polls; waiting up to {STOP_GRACE:?} for those in flight");
    let all = futures_util::future::join_all(loops);
    if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
        warn!("some polls did not finish in time and were cancelled");
    }
    match tokio::time::timeout(STOP_GRACE, server).await {
        Ok(Ok(Err(e))) => warn!("the server stopped with an error: {e}"),
        Err(_) => warn!("open connections did not close in time"),
        _ => {}
    }
    engine.store.flush().await.context("cannot flush the store on shutdown")?;
    info!("stopped; the store is flushed");
    Ok(())
}

/// Polls one source on its schedule until `stop`.
async fn source_loop(engine: Arc<Engine>, source: Source, stop: CancellationToken) {
    let health = engine.store.health(&source.id).ok().flatten();
    let mut delay = schedule::initial_delay(health.as_ref(), Utc::now());
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        // A poll in flight when the stop comes is left to finish within the grace.
        let report = engine.poll(&source).await;
        delay = report.next_in;
        if stop.is_cancelled() {
            return;
        }
    }
}

/// Cancels `stop` on SIGINT or SIGTERM.
pub fn stop_on_signals(stop: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = match signal(SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    warn!("cannot listen for SIGTERM: {e}");
                    let _ = tokio::signal::ctrl_c().await;
                    stop.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => info!("SIGINT received"),
                _ = term.recv() => info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        stop.cancel();
    });
}
