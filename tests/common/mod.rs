//! A local source server for the integration tests: serves documents on 127.0.0.1
//! with ETag and Last-Modified like a real portal, injects faults, and records
//! every request it receives.

#![allow(dead_code)] // each test binary uses its own part of the harness

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

/// How the server answers one path.
#[derive(Clone)]
pub enum Behavior {
    /// The document, with validators and 304 support.
    File(Vec<u8>),
    /// A bare status code with a short body.
    Status(u16),
    /// The document, after a delay.
    Delay(Duration, Vec<u8>),
    /// A redirect with this status to this location.
    Redirect(u16, String),
    /// A status with a Retry-After header.
    RetryAfter(u16, String),
    /// Bytes already gzip-compressed, sent with `Content-Encoding: gzip`.
    Gzip(Arc<Vec<u8>>),
    /// A body that never ends, as fast as the client reads.
    Endless,
    /// One byte a second, forever.
    Drip,
    /// Bytes with the given Content-Type and extra headers.
    Typed(&'static str, Vec<(&'static str, String)>, Vec<u8>),
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub authorization: Option<String>,
    pub status: u16,
}

#[derive(Clone, Default)]
struct Shared {
    routes: Arc<Mutex<HashMap<String, Behavior>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: Arc<Mutex<(usize, usize)>>,
}

pub struct SourceServer {
    pub addr: SocketAddr,
    shared: Shared,
}

pub const LAST_MODIFIED: &str = "Fri, 05 Aug 2022 09:00:00 GMT";

impl SourceServer {
    pub async fn start() -> SourceServer {
        SourceServer::start_on("127.0.0.1").await
    }

    /// A server on another loopback address (`127.0.0.2`…): another origin, as an
    /// internal service would be.
    pub async fn start_on(ip: &str) -> SourceServer {
        let shared = Shared::default();
        let app = Router::new().route("/{*path}", get(answer)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        SourceServer { addr, shared }
    }

    pub fn set(&self, path: &str, behavior: Behavior) {
        self.shared.routes.lock().unwrap().insert(path.trim_start_matches('/').to_string(), behavior);
    }

    /// Serves a file of `tests/fixtures`.
    pub fn fixture(&self, path: &str, fixture: &str) {
        self.set(path, Behavior::File(read_fixture(fixture)));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// The most requests this server was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.in_flight.lock().unwrap().1
    }

    /// The requests received for `path`, in order.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let path = path.trim_start_matches('/');
        self.shared.seen.lock().unwrap().iter().filter(|s| s.path == path).cloned().collect()
    }
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
}

async fn answer(State(shared): State<Shared>, UrlPath(path): UrlPath<String>, headers: HeaderMap) -> Response {
    {
        let mut f = shared.in_flight.lock().unwrap();
        f.0 += 1;
        f.1 = f.1.max(f.0);
    }
    let resp = respond(&shared, &path, &headers).await;
    shared.in_flight.lock().unwrap().0 -= 1;
    resp
}

async fn respond(shared: &Shared, path: &str, headers: &HeaderMap) -> Response {
    let path = path.to_string();
    let behavior = shared.routes.lock().unwrap().get(&path).cloned();
    let inm = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string);
    let ims = headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let resp = match behavior {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Behavior::Status(code)) => (StatusCode::from_u16(code).unwrap(), format!("status {code}")).into_response(),
        Some(Behavior::Delay(d, body)) => {
            tokio::time::sleep(d).await;
            body.into_response()
        }
        Some(Behavior::Redirect(code, to)) => {
            (StatusCode::from_u16(code).unwrap(), [(header::LOCATION, to)]).into_response()
        }
        Some(Behavior::RetryAfter(code, after)) => {
            (StatusCode::from_u16(code).unwrap(), [(header::RETRY_AFTER, after)], "slow down").into_response()
        }
        Some(Behavior::Gzip(bytes)) => (
            [(header::CONTENT_ENCODING, "gzip"), (header::CONTENT_TYPE, "application/rss+xml")],
            bytes.as_ref().clone(),
        )
            .into_response(),
        Some(Behavior::Endless) => {
            let chunk = bytes::Bytes::from(vec![b'<'; 64 * 1024]);
            let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            axum::body::Body::from_stream(stream).into_response()
        }
        Some(Behavior::Drip) => {
            let stream = futures_util::stream::unfold((), |_| async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"<")), ()))
            });
            axum::body::Body::from_stream(stream).into_response()
        }
        Some(Behavior::Typed(ctype, extra, body)) => {
            let mut resp = body.into_response();
            resp.headers_mut().insert(header::CONTENT_TYPE, ctype.parse().unwrap());
            for (k, v) in extra {
                resp.headers_mut().insert(k, v.parse().unwrap());
            }
            resp
        }
        Some(Behavior::File(body)) => {
            let etag = format!("\"{:x}\"", Sha256::digest(&body));
            if inm.as_deref() == Some(etag.as_str()) {
                (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()
            } else {
                (StatusCode::OK, [(header::ETAG, etag), (header::LAST_MODIFIED, LAST_MODIFIED.to_string())], body)
                    .into_response()
            }
        }
    };
    shared.seen.lock().unwrap().push(Seen {
        path,
        if_none_match: inm,
        if_modified_since: ims,
        authorization,
        status: resp.status().as_u16(),
    });
    resp
}

/// A config for the given sources `(id, path on the server, agency)`; `poll` adds
/// lines to its `[poll]` table.
pub fn config_text(server: &SourceServer, sources: &[(&str, &str, &str)], store: &Path, poll: &str) -> String {
    let mut text = format!(
        "[poll]\ntimeout = \"2s\"\nhost_spacing = \"10ms\"\n{poll}\n\n[store]\npath = {:?}\n\n[server]\nbase_url = \"http://loa.test\"\n\n",
        store.display().to_string()
    );
    for (id, path, agency) in sources {
        text.push_str(&format!("[[source]]\nid = \"{id}\"\nurl = \"{}\"\nagency = \"{agency}\"\n\n", server.url(path)));
    }
    text
}

/// Serves an engine's routes on `listener` until the returned token is cancelled.
pub fn serve_engine(
    engine: &std::sync::Arc<loa::daemon::Engine>,
    listener: tokio::net::TcpListener,
) -> tokio_util::sync::CancellationToken {
    let stop = tokio_util::sync::CancellationToken::new();
    let state = std::sync::Arc::new(loa::serve::AppState {
        publisher: engine.publisher.clone(),
        store: engine.store.clone(),
        metrics: engine.metrics.clone(),
        config: engine.shared_config(),
    });
    let s = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, loa::serve::router(state)).with_graceful_shutdown(s.cancelled_owned()).await.unwrap()
    });
    stop
}

/// A WebSub hub that records the body of every ping it gets, answering after
/// `delay` as a real hub may.
pub struct FakeHub {
    pub url: String,
    pings: Arc<Mutex<Vec<String>>>,
}

impl FakeHub {
    pub async fn start(delay: Duration) -> FakeHub {
        let pings: Arc<Mutex<Vec<String>>> = Arc::default();
        let recorded = pings.clone();
        let hub = Router::new().route(
            "/hub",
            axum::routing::post(move |body: String| {
                let recorded = recorded.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    recorded.lock().unwrap().push(body);
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, hub).await.unwrap() });
        FakeHub { url, pings }
    }

    pub fn pings(&self) -> Vec<String> {
        self.pings.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.pings.lock().unwrap().clear();
    }
}
