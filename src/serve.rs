//! HTTP: routes, conditional responses, status and health.
//!
//! Feeds and the reading view's pages are served from the publisher's
//! pre-rendered bytes — in the coding the client accepts, each with its own strong
//! ETag — and answered 304 when the client's validators hold; a request for a
//! first page never renders and never waits on ingest. `/status` reads the small
//! per-source health records.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, SourceKind};
use crate::model::{FeedKind, SourceHealth, StoryId};
use crate::publish::{Coding, Document, Format, Publisher, Query, Representation, Settings};
use crate::store::{Cursor, Scope, Store, StoreError};

/// What the handlers share.
pub struct AppState {
    pub publisher: Arc<Publisher>,
    pub store: Store,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub config: Arc<std::sync::RwLock<Arc<Config>>>,
}

impl AppState {
    fn config(&self) -> Arc<Config> {
        crate::util::sync::read(&self.config).clone()
    }
}

/// Every route; `/status` and `/metrics` only when `admin` (they move to the admin
/// listener when `[server].admin_listen` is set).
pub fn router(state: Arc<AppState>) -> Router {
    public(state.clone(), true)
}

/// The routes of the public listener.
pub fn public(state: Arc<AppState>, with_admin: bool) -> Router {
    let routes = if with_admin { admin_routes() } else { Router::new() };
    routes.merge(feed_routes()).with_state(state)
}

/// The routes of the admin listener: status and metrics.
pub fn admin(state: Arc<AppState>) -> Router {
    admin_routes().route("/healthz", get(|| async { "ok\n" })).with_state(state)
}

fn admin_routes() -> Router<Arc<AppState>> {
    Router::new().route("/status", get(status)).route("/metrics", get(metrics))
}

fn feed_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|s: State<Arc<AppState>>, h: HeaderMap| page(s, h, Scope::All, None)))
        .route("/page/{cursor}", get(merged_older))
        .route("/page/{cursor}/", get(merged_older))
        .route("/agency/", get(agencies))
        .route(
            "/agency/{slug}/",
            get(|s: State<Arc<AppState>>, Path(slug): Path<String>, h: HeaderMap| {
                page(s, h, Scope::Agency(slug), None)
            }),
        )
        .route("/agency/{slug}/page/{cursor}/", get(agency_older))
        .route("/story/{id}", get(story))
        .route("/story/{id}/", get(story))
        .route("/search", get(search))
        .route(
            "/style.css",
            get(|s: State<Arc<AppState>>, h: HeaderMap| async move {
                conditional(&s.publisher.style(), &h, s.publisher.settings())
            }),
        )
        .route(
            "/feed.atom",
            get(|s: State<Arc<AppState>>, h: HeaderMap, q: RawQuery| feed(s, h, q, Scope::All, FeedKind::Atom, None)),
        )
        .route(
            "/feed.rss",
            get(|s: State<Arc<AppState>>, h: HeaderMap, q: RawQuery| feed(s, h, q, Scope::All, FeedKind::Rss, None)),
        )
        .route(
            "/feed.json",
            get(|s: State<Arc<AppState>>, h: HeaderMap, q: RawQuery| feed(s, h, q, Scope::All, FeedKind::Json, None)),
        )
        .route("/feed/page/{file}", get(merged_page))
        .route("/agency/{file}", get(agency_feed))
        .route("/agency/{slug}/page/{file}", get(agency_page))
        .route(
            "/feed.xsl",
            get(|| async { ([(header::CONTENT_TYPE, "text/xsl; charset=utf-8")], crate::publish::STYLESHEET) }),
        )
        .route("/feeds.opml", get(feeds_opml))
        .route("/sources.opml", get(sources_opml))
        .route("/healthz", get(|| async { "ok\n" }))
        .fallback(|s: State<Arc<AppState>>| async move { page_not_found(&s) })
}

/// `NAME.EXT` → (NAME, kind).
fn split_file(file: &str) -> Option<(&str, FeedKind)> {
    let (name, ext) = file.rsplit_once('.')?;
    Some((name, FeedKind::from_extension(ext)?))
}

/// `CURSOR.EXT` → (cursor, kind).
fn split_page(file: &str) -> Option<(Cursor, FeedKind)> {
    let (cursor, kind) = split_file(file)?;
    Some((Cursor::from_hex(cursor)?, kind))
}

async fn agency_feed(
    state: State<Arc<AppState>>,
    Path(file): Path<String>,
    headers: HeaderMap,
    q: RawQuery,
) -> Response {
    if !file.contains('.') {
        return page(state, headers, Scope::Agency(file), None).await;
    }
    match split_file(&file) {
        Some((slug, kind)) => feed(state, headers, q, Scope::Agency(slug.to_string()), kind, None).await,
        None => not_found(),
    }
}

async fn merged_page(
    state: State<Arc<AppState>>,
    Path(file): Path<String>,
    headers: HeaderMap,
    q: RawQuery,
) -> Response {
    match split_page(&file) {
        Some((cursor, kind)) => feed(state, headers, q, Scope::All, kind, Some(cursor)).await,
        None => not_found(),
    }
}

async fn agency_page(
    state: State<Arc<AppState>>,
    Path((slug, file)): Path<(String, String)>,
    headers: HeaderMap,
    q: RawQuery,
) -> Response {
    if !file.contains('.') {
        return agency_older(state, Path((slug, file)), headers).await;
    }
    match split_page(&file) {
        Some((cursor, kind)) => feed(state, headers, q, Scope::Agency(slug), kind, Some(cursor)).await,
        None => not_found(),
    }
}

async fn merged_older(state: State<Arc<AppState>>, Path(cursor): Path<String>, headers: HeaderMap) -> Response {
    match Cursor::from_hex(&cursor) {
        Some(c) => page(state, headers, Scope::All, Some(c)).await,
        None => page_not_found(&state),
    }
}

async fn agency_older(
    state: State<Arc<AppState>>,
    Path((slug, cursor)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match Cursor::from_hex(&cursor) {
        Some(c) => page(state, headers, Scope::Agency(slug), Some(c)).await,
        None => page_not_found(&state),
    }
}

/// A stream page for people: the first as rendered, an older one rendered once.
async fn page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    scope: Scope,
    before: Option<Cursor>,
) -> Response {
    let doc = match before {
        None => state.publisher.first_page(&scope),
        Some(c) => match off_workers(&state, move |p, store| p.older_page(store, &scope, &c)).await {
            Ok(doc) => doc,
            Err(unavailable) => return unavailable,
        },
    };
    match doc {
        Some(doc) => conditional(&doc, &headers, state.publisher.settings()),
        None => page_not_found(&state),
    }
}

async fn agencies(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match state.publisher.agencies_page() {
        Some(doc) => conditional(&doc, &headers, state.publisher.settings()),
        None => page_not_found(&state),
    }
}

async fn story(State(state): State<Arc<AppState>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    // Ids are `StoryId::LEN` hex digits: anything else is looked up nowhere.
    if id.len() != StoryId::LEN || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return page_not_found(&state);
    }
    match off_workers(&state, move |p, store| p.story_page(store, &StoryId(id))).await {
        Ok(Some(doc)) => conditional(&doc, &headers, state.publisher.settings()),
        Ok(None) => page_not_found(&state),
        Err(unavailable) => unavailable,
    }
}

async fn search(State(state): State<Arc<AppState>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let mut q = String::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "q" if v.chars().count() > MAX_QUERY_CHARS => return bad_request("q is too long"),
            "q" => q = v.into_owned(),
            _ => {}
        }
    }
    match off_workers(&state, move |p, store| p.search_page(store, &q)).await {
        Ok(Some(doc)) => conditional(&doc, &headers, state.publisher.settings()),
        Ok(None) => page_not_found(&state),
        Err(unavailable) => unavailable,
    }
}

/// 404 with the page for paths that name nothing.
fn page_not_found(state: &AppState) -> Response {
    let doc = state.publisher.not_found_page();
    let ctype = HeaderValue::from_static(Format::Html.content_type());
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, ctype)], doc.body(Coding::Identity).clone()).into_response()
}

/// Runs a render that may read the store off the async workers; `Err` is the
/// answer when the store cannot be read.
async fn off_workers(
    state: &Arc<AppState>,
    render: impl FnOnce(&Publisher, &Store) -> Result<Option<Arc<Document>>, StoreError> + Send + 'static,
) -> Result<Option<Arc<Document>>, Response> {
    let st = state.clone();
    match tokio::task::spawn_blocking(move || render(&st.publisher, &st.store)).await {
        Ok(Ok(doc)) => Ok(doc),
        _ => Err(unavailable()),
    }
}

fn unavailable() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "the feed cannot be read right now\n").into_response()
}

/// The longest `?q=` accepted.
const MAX_QUERY_CHARS: usize = 200;

async fn feed(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    scope: Scope,
    kind: FeedKind,
    before: Option<Cursor>,
) -> Response {
    let mut limit = None;
    let mut q = None;
    for (k, v) in url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "limit" => match v.parse::<usize>() {
                Ok(n) => limit = Some(n),
                Err(_) => return bad_request("limit must be a whole number"),
            },
            "q" if v.chars().count() > MAX_QUERY_CHARS => return bad_request("q is too long"),
            "q" => q = Some(v.into_owned()),
            _ => {}
        }
    }
    let query = Query::new(before, limit, q.as_deref());
    let doc = if query.is_plain() {
        state.publisher.get(&scope, kind)
    } else {
        // Older pages and searches are rendered once.
        let sc = scope.clone();
        match off_workers(&state, move |p, store| p.query(store, &sc, kind, &query)).await {
            Ok(doc) => doc,
            Err(unavailable) => return unavailable,
        }
    };
    match doc {
        Some(doc) => conditional(&doc, &headers, state.publisher.settings()),
        None => not_found(),
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such feed\n").into_response()
}

fn bad_request(why: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, why).into_response()
}

/// The best coding the client accepts: br, then gzip, then none. A coding the
/// client names is taken at its own weight, so `br;q=0, *` refuses br.
pub fn negotiate(req: &HeaderMap) -> Coding {
    let Some(accept) = req.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return Coding::Identity };
    let weights: Vec<(&str, f32)> = accept
        .split(',')
        .map(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q =
                it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
            (coding, q)
        })
        .collect();
    let weight = |name: &str| weights.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)).map(|&(_, q)| q);
    let accepts = |name: &str| weight(name).or_else(|| weight("*")).is_some_and(|q| q > 0.0);
    if accepts("br") {
        Coding::Brotli
    } else if accepts("gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// Whether the request is a browser navigation (it prefers HTML to XML) to an Atom
/// or RSS feed. A browser then gets it as `application/xml`, the type under which
/// browsers apply the feed's XSL stylesheet; feed readers get the feed types.
fn wants_page(req: &HeaderMap, format: Format) -> bool {
    if !matches!(format, Format::Feed(FeedKind::Atom | FeedKind::Rss)) {
        return false;
    }
    let accept = req.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let first = accept.split(',').next().unwrap_or("").split(';').next().unwrap_or("").trim();
    first == "text/html"
}

/// 200 with the document in the best coding the client accepts, or 304 when the
/// client's validators still hold.
pub fn conditional(doc: &Document, req: &HeaderMap, settings: &Settings) -> Response {
    let coding = negotiate(req);
    let browser = wants_page(req, doc.format);
    let etag = doc.etag_header(Representation { coding, browser });
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag.clone());
    if let Some(lm) = &doc.headers.last_modified {
        headers.insert(header::LAST_MODIFIED, lm.clone());
    }
    headers.insert(header::CACHE_CONTROL, settings.cache_control.clone());
    // Only feeds have another representation for browsers.
    let vary = if matches!(doc.format, Format::Feed(_)) { "Accept-Encoding, Accept" } else { "Accept-Encoding" };
    headers.insert(header::VARY, HeaderValue::from_static(vary));
    if let Some(link) = &doc.headers.link {
        headers.insert(header::LINK, link.clone());
    }
    if not_modified(etag.to_str().unwrap_or(""), doc.last_modified, req) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let ctype = if browser { "application/xml; charset=utf-8" } else { doc.format.content_type() };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Some(enc) = coding.header() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    (StatusCode::OK, headers, doc.body(coding).clone()).into_response()
}

fn not_modified(etag: &str, last_modified: Option<DateTime<Utc>>, req: &HeaderMap) -> bool {
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2), compared weakly.
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let ours = etag.trim_start_matches("W/");
        return inm.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == ours);
    }
    let ims = req
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    match (ims, last_modified) {
        (Some(ims), Some(lm)) => lm.timestamp() <= DateTime::<Utc>::from(ims).timestamp(),
        _ => false,
    }
}

async fn feeds_opml(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")], state.publisher.feeds_opml()).into_response()
}

async fn sources_opml(State(state): State<Arc<AppState>>) -> Response {
    let body = state.publisher.sources_opml(&state.config());
    ([(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")], body).into_response()
}

/// One source's line of `/status`.
#[derive(Debug, Serialize)]
pub struct SourceStatus {
    pub id: String,
    pub url: String,
    pub kind: &'static str,
    pub agency: String,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub http_status: Option<u16>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub consecutive_failures: u32,
    pub items: u64,
    pub items_last_week: usize,
    pub last_new: u64,
    /// Entries of the last document past `[poll].max_items`, left out: the
    /// document was truncated to its newest.
    pub truncated: u64,
    pub next_due: Option<DateTime<Utc>>,
    /// Where permanent redirects moved the source, if they did.
    pub effective_url: Option<String>,
    /// The source answered 410 Gone and is no longer polled.
    pub gone: bool,
}

/// The health of every configured source, in config order.
pub fn source_statuses(config: &Config, store: &Store) -> Vec<SourceStatus> {
    config
        .sources
        .iter()
        .map(|s| {
            let h: SourceHealth =
                store.health(&s.id).ok().flatten().filter(|h| h.is_for(s.url.as_str())).unwrap_or_default();
            let items_last_week = h.items_last_week(Utc::now());
            SourceStatus {
                id: s.id.clone(),
                url: s.url.to_string(),
                kind: match s.kind {
                    SourceKind::Feed => "feed",
                    SourceKind::Html(_) => "html",
                },
                agency: s.agency.clone(),
                last_attempt: h.last_attempt,
                last_success: h.last_success,
                http_status: h.http_status,
                error_kind: h.error_kind,
                error: h.error,
                consecutive_failures: h.consecutive_failures,
                items: h.items_total,
                items_last_week,
                last_new: h.last_new,
                truncated: h.truncated,
                next_due: h.next_due,
                effective_url: h.effective_url,
                gone: h.gone,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct StatusBody {
    stories: usize,
    items: usize,
    sources: Vec<SourceStatus>,
}

async fn status(State(state): State<Arc<AppState>>) -> Response {
    let config = state.config();
    let body = StatusBody {
        stories: state.store.story_count(),
        items: state.store.item_count(),
        sources: source_statuses(&config, &state.store),
    };
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let figures = crate::metrics::StoreFigures {
        stories: state.store.story_count(),
        items: state.store.item_count(),
        size_on_disk: state.store.size_on_disk().unwrap_or(0),
        last_success: source_statuses(&state.config(), &state.store)
            .into_iter()
            .filter_map(|s| Some((s.id, s.last_success?.timestamp())))
            .collect(),
    };
    let body = state.metrics.render(&figures);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// What the listener allows each client, so that slow or flooding clients cannot
/// starve readers or ingest.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// For a request's headers to arrive, and for an idle connection to send one.
    pub header_timeout: Duration,
}

/// The largest request head accepted: loa answers GETs, a few headers long.
pub const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// 431 for a request whose head is over `MAX_REQUEST_HEAD`. hyper's buffer limit
/// alone lets a head of up to about three times that through when it arrives in
/// one read, so the head is measured as it was sent.
async fn cap_head(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let line = req.method().as_str().len() + uri_len(req.uri()) + " HTTP/1.1\r\n".len();
    let head = req.headers().iter().fold(line + 2, |n, (k, v)| n + k.as_str().len() + v.len() + 4);
    if head > MAX_REQUEST_HEAD {
        return (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "request head over 64 KiB\n").into_response();
    }
    next.run(req).await
}

/// The length of `uri` as written in the request line, measured without writing it.
fn uri_len(uri: &axum::http::Uri) -> usize {
    uri.scheme_str().map_or(0, |s| s.len() + "://".len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path().len()
        + uri.query().map_or(0, |q| q.len() + 1)
}

/// Serves `app` on `listener` until `stop`, then lets open requests finish for
/// `grace`. Connections beyond `max_connections` wait in the kernel's queue; a
/// client that sends no request head within `header_timeout`, or leaves its
/// connection idle that long, is dropped.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, stop: CancellationToken, grace: Duration) {
    let app = app.layer(axum::middleware::from_fn(cap_head));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    loop {
        let slot = tokio::select! {
            _ = stop.cancelled() => break,
            slot = slots.clone().acquire_owned() => slot.expect("the connection semaphore is never closed"),
        };
        let stream = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, mostly: wait rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        // HTTP/1.1 only: sniffing for HTTP/2 would wait for a first byte without
        // any timeout. Behind a TLS proxy, the proxy speaks HTTP/2 to readers.
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(MAX_REQUEST_HEAD)
            .keep_alive(true);
        let service = TowerToHyperService::new(app.clone());
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("open connections did not close in time");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_len_is_the_length_of_the_uri_as_written() {
        for u in ["/", "/feed.atom?q=h%C3%A0&limit=5", "*", "http://example.org:8080/a/b?c", "http://example.org"] {
            let uri: axum::http::Uri = u.parse().unwrap();
            assert_eq!(uri_len(&uri), uri.to_string().len(), "{u}");
        }
    }
}
