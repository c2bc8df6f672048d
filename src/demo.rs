//! `loa demo`: bundled sample sources of a province, served on loopback, with the
//! daemon running against them in a temporary store.
//!
//! It shows loa working on a fresh machine with nothing but the binary: the sample
//! documents are compiled in, served with ETags like a real portal, and the store
//! lives in a temporary directory that is removed on exit.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::daemon::{self, Engine};
use crate::model::hex;
use sha2::{Digest, Sha256};

/// The sample documents: (source id, file served, agency of the source, bytes).
pub const SAMPLES: &[(&str, &str, &str, &[u8])] = &[
    ("tinhuy", "tin-hoat-dong.rss", "tinh-uy", include_bytes!("../tests/fixtures/tinhuy-rss.xml")),
    ("ubnd", "tin-tuc-su-kien.atom", "ubnd-tinh", include_bytes!("../tests/fixtures/ubnd-atom.xml")),
    ("baodongkhoi", "chinh-tri.rss", "bao-dong-khoi", include_bytes!("../tests/fixtures/baodongkhoi-rss.xml")),
];

/// Serves the samples on an ephemeral loopback port, with ETag and 304.
pub async fn serve_samples(stop: CancellationToken) -> anyhow::Result<SocketAddr> {
    let app = Router::new().route("/{file}", get(sample));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot open a loopback port for the demo sources")?;
    let addr = listener.local_addr()?;
    tokio::spawn(axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned()).into_future());
    Ok(addr)
}

async fn sample(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some((_, _, _, bytes)) = SAMPLES.iter().find(|(_, f, _, _)| *f == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex(&Sha256::digest(bytes)[..8]));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let ctype = if file.ends_with(".atom") { "application/atom+xml" } else { "application/rss+xml" };
    (StatusCode::OK, [(header::ETAG, etag), (header::CONTENT_TYPE, ctype.to_string())], *bytes).into_response()
}

/// The config the demo runs with.
pub fn config_text(sources: SocketAddr, listen: SocketAddr, store: &std::path::Path) -> String {
    let mut text = format!(
        "[server]\nlisten = \"{listen}\"\nbase_url = \"http://{listen}\"\n\n[store]\npath = {store:?}\n\n\
         [poll]\ninterval = \"1m\"\n\n[publish]\ntitle = \"Tin tức tỉnh Bến Tre (demo)\"\n",
        store = store.display().to_string(),
    );
    for (id, file, agency, _) in SAMPLES {
        text.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nurl = \"http://{sources}/{file}\"\nagency = \"{agency}\"\n"
        ));
    }
    text
}

/// Runs the demo until `stop`.
pub async fn run(listen: SocketAddr, stop: CancellationToken) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("loa-demo-")
        .tempdir()
        .context("cannot create a temporary directory for the demo store")?;
    let listener = daemon::bind(listen).await?;
    let listen = listener.local_addr()?;
    let sources = serve_samples(stop.clone()).await?;
    let text = config_text(sources, listen, &dir.path().join("store"));
    let config =
        Config::parse(&text, "<demo config>").map_err(|e| anyhow::anyhow!("the demo config is invalid: {e}"))?;
    let engine = Arc::new(tokio::task::spawn_blocking(move || Engine::new(config)).await??);
    println!("loa demo: {} sample sources on http://{sources}/", SAMPLES.len());
    println!("  read the news http://{listen}/   (in a browser: the reading view)");
    println!("  agency page   http://{listen}/agency/ban-dan-van-tinh-uy/");
    println!("  merged feed   http://{listen}/feed.atom  (also .rss, .json)");
    println!("  agency feed   http://{listen}/agency/ban-dan-van-tinh-uy.atom");
    println!("  status        http://{listen}/status");
    println!("Press Ctrl-C to stop.");
    daemon::run(engine, listener, stop, None).await
}
