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
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub status: u16,
}

#[derive(Clone, Default)]
struct Shared {
    routes: Arc<Mutex<HashMap<String, Behavior>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

pub struct SourceServer {
    pub addr: SocketAddr,
    shared: Shared,
}

pub const LAST_MODIFIED: &str = "Fri, 05 Aug 2022 09:00:00 GMT";

impl SourceServer {
    pub async fn start() -> SourceServer {
        let shared = Shared::default();
        let app = Router::new().route("/{*path}", get(answer)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
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
    let behavior = shared.routes.lock().unwrap().get(&path).cloned();
    let inm = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string);
    let ims = headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let resp = match behavior {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Behavior::Status(code)) => (StatusCode::from_u16(code).unwrap(), format!("status {code}")).into_response(),
        Some(Behavior::Delay(d, body)) => {
            tokio::time::sleep(d).await;
            body.into_response()
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
        status: resp.status().as_u16(),
    });
    resp
}

/// A config for the given sources `(id, path on the server, agency)`.
pub fn config_text(server: &SourceServer, sources: &[(&str, &str, &str)], store: &Path, extra: &str) -> String {
    let mut text = format!(
        "[store]\npath = {:?}\n\n[poll]\ntimeout = \"2s\"\n\n[server]\nbase_url = \"http://loa.test\"\n{extra}\n",
        store.display().to_string()
    );
    for (id, path, agency) in sources {
        text.push_str(&format!("[[source]]\nid = \"{id}\"\nurl = \"{}\"\nagency = \"{agency}\"\n\n", server.url(path)));
    }
    text
}
