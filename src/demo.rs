//! `loa demo`: bundled sample sources of a province, served on loopback, with the
//! daemon running against them in a temporary store.
//!
//! It shows loa working on a fresh machine with nothing but the binary: the sample
//! documents are compiled in, served with ETags like a real portal, and the store
//! lives in a temporary directory that is removed on exit. Its sources are those a
//! province has: feeds (RSS, Atom) and a portal with none, read from its HTML.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::daemon::{self, Engine};
use crate::model::hex;
use sha2::{Digest, Sha256};

/// A sample source: its id, the path its document is served at, its agency, and
/// the rest of its `[[source]]` table.
pub struct Sample {
    pub id: &'static str,
    pub path: &'static str,
    pub agency: &'static str,
    pub extra: &'static str,
}

/// The sample sources: three portals with feeds, and one with none (its listing
/// page read with CSS selectors), as a province has both.
pub const SAMPLES: &[Sample] = &[
    Sample { id: "tinhuy", path: "tin-hoat-dong.rss", agency: "tinh-uy", extra: "" },
    Sample { id: "ubnd", path: "tin-tuc-su-kien.atom", agency: "ubnd-tinh", extra: "" },
    Sample { id: "baodongkhoi", path: "chinh-tri.rss", agency: "bao-dong-khoi", extra: "" },
    Sample {
        id: "danvan",
        path: "tin-hoat-dong",
        agency: "ban-dan-van-tinh-uy",
        extra: "kind = \"html\"\n[source.html]\nitem = \"div.news-item\"\nlink = \"h3 a\"\ntitle = \"h3 a\"\n\
                date = \"span.news-date\"\nsummary = \"p.news-summary\"\n",
    },
];

/// Every document the sample server answers: the sources' documents and the
/// articles of the HTML portal that a reader of the demo may open.
const DOCUMENTS: &[(&str, &[u8])] = &[
    ("tin-hoat-dong.rss", include_bytes!("../tests/fixtures/tinhuy-rss.xml")),
    ("tin-tuc-su-kien.atom", include_bytes!("../tests/fixtures/ubnd-atom.xml")),
    ("chinh-tri.rss", include_bytes!("../tests/fixtures/baodongkhoi-rss.xml")),
    ("tin-hoat-dong", include_bytes!("../tests/fixtures/html/listing.html")),
    (
        "tin-hoat-dong/pho-bi-thu-thuong-truc-tinh-uy-du-hoi-nghi-so-ket-cong-tac-dan-van-6-thang-dau-nam-2022-1021.html",
        include_bytes!("../tests/fixtures/html/article-prefix-and-caption-credit.html"),
    ),
    (
        "dan-van-kheo/ban-dan-van-tinh-uy-khao-sat-mo-hinh-dan-van-kheo-tai-xa-phu-tuc-huyen-chau-thanh-1018.html",
        include_bytes!("../tests/fixtures/html/article-byline-outside-content.html"),
    ),
    (
        "tin-hoat-dong/ky-ket-chuong-trinh-phoi-hop-cong-tac-dan-van-giua-ban-dan-van-tinh-uy-va-ban-can-su-dang-ubnd-tinh-1015.html",
        include_bytes!("../tests/fixtures/html/article-unpadded-date-and-iframe.html"),
    ),
];

/// Serves the samples on an ephemeral loopback port, with ETag and 304.
pub async fn serve_samples(stop: CancellationToken) -> anyhow::Result<SocketAddr> {
    let app = Router::new().fallback(get(sample));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot open a loopback port for the demo sources")?;
    let addr = listener.local_addr()?;
    tokio::spawn(axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned()).into_future());
    Ok(addr)
}

async fn sample(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let Some((_, bytes)) = DOCUMENTS.iter().find(|(p, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex(&Sha256::digest(bytes)[..8]));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let ctype = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("atom") => "application/atom+xml",
        Some("rss") => "application/rss+xml",
        _ => "text/html; charset=utf-8",
    };
    (StatusCode::OK, [(header::ETAG, etag), (header::CONTENT_TYPE, ctype.to_string())], *bytes).into_response()
}

/// The config the demo runs with.
pub fn config_text(sources: SocketAddr, listen: SocketAddr, store: &std::path::Path) -> String {
    let mut text = format!(
        "[server]\nlisten = \"{listen}\"\nbase_url = \"http://{listen}\"\n\n[store]\npath = {store:?}\n\n\
         [poll]\ninterval = \"1m\"\n\n[publish]\ntitle = \"Tin tức tỉnh Bến Tre (demo)\"\n",
        store = store.display().to_string(),
    );
    for Sample { id, path, agency, extra } in SAMPLES {
        text.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nurl = \"http://{sources}/{path}\"\nagency = \"{agency}\"\n{extra}"
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
    let listener = daemon::bind(listen, "give another address with --listen ADDR").await?;
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
