//! What anonymous clients can buy: distinct `?limit=` and `?q=` requests fill
//! the query cache up to its byte budget and no further, and an oversized request
//! head is refused. (The daemon's resident memory under such a flood is measured
//! by `bench/anonymous-flood.sh`: in a test process, the allocator's reuse of freed
//! memory hides it.)

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Behavior, SourceServer};
use loa::config::Config;
use loa::daemon::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A feed of `n` items with distinct titles and bodies of about 2 KB.
fn feed(n: usize) -> Vec<u8> {
    let words = ["hội nghị", "dân vận", "nông thôn mới", "chuyển đổi số", "cải cách hành chính", "y tế", "giáo dục"];
    let mut doc = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Tin</title>\n");
    let base: chrono::DateTime<chrono::FixedOffset> = "2026-10-01T08:00:00+07:00".parse().unwrap();
    for i in 0..n {
        let when = (base + chrono::Duration::minutes(10 * i as i64)).to_rfc2822();
        let (a, b) = (words[i % words.len()], words[(i / 7) % words.len()]);
        let body =
            format!("Nội dung bài {i} về {a}, {b} và các việc khác của tỉnh trong tuần, kể cả {i} mục. ").repeat(20);
        doc.push_str(&format!(
            "<item><title>Tin {i}: {a} và {b} số {i}</title><link>https://s.vn/{i}.html</link><pubDate>{when}</pubDate>\
             <description>{body}</description></item>\n"
        ));
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

/// Serves the engine's routes through loa's own listener (its limits included).
async fn serve(engine: &Arc<Engine>) -> (String, tokio_util::sync::CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(loa::serve::AppState {
        publisher: engine.publisher.clone(),
        store: engine.store.clone(),
        metrics: engine.metrics.clone(),
        config: engine.shared_config(),
    });
    let stop = tokio_util::sync::CancellationToken::new();
    let limits = loa::serve::Limits { max_connections: 64, header_timeout: Duration::from_secs(5) };
    tokio::spawn(loa::serve::serve(listener, loa::serve::router(state), limits, stop.clone(), Duration::from_secs(1)));
    (base, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_limits_and_searches_stay_within_the_query_cache() {
    let server = SourceServer::start().await;
    server.set("tin.xml", Behavior::File(feed(3000)));
    let dir = tempfile::tempdir().unwrap();
    let text =
        common::config_text(&server, &[("tin", "tin.xml", "tinh-uy")], &dir.path().join("db"), "max_items = 3000")
            .replace("timeout = \"2s\"", "timeout = \"60s\"");
    let engine = Arc::new(Engine::new(Config::parse(&text, "t.toml").unwrap()).unwrap());
    let report = engine.cycle(&[]).await.remove(0);
    assert_eq!((report.error, report.new_items), (None, 3000));
    let (base, stop) = serve(&engine).await;
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let resp = client.get(format!("{base}{path}")).send().await.unwrap();
            let status = resp.status().as_u16();
            let etag = resp.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
            (status, etag, resp.text().await.unwrap())
        }
    };
    let first = get("/feed.atom".into()).await;
    assert_eq!(first.0, 200);
    // The largest page, and a search, once: the index and the buffers exist before measuring.
    let most = get("/feed.json?limit=100000".into()).await;
    let items = serde_json::from_str::<serde_json::Value>(&most.2).unwrap()["items"].as_array().unwrap().len();
    assert_eq!(items, loa::publish::MAX_LIMIT, "?limit is clamped to its documented maximum");
    let found = get("/feed.json?q=dan+van".into()).await.2;
    assert!(found.contains("dân vận"), "tone-insensitive search still finds");
    for n in 1..=200 {
        let kind = ["atom", "rss", "json"][n % 3];
        assert_eq!(get(format!("/feed.{kind}?limit={n}")).await.0, 200);
        // Searches that match nothing cost the most: every indexed story is looked at.
        assert_eq!(get(format!("/feed.{kind}?q=khong-co-{n}")).await.0, 200);
        assert!(engine.publisher.query_cache_bytes() <= loa::publish::QUERY_CACHE_BYTES);
    }
    // Full, and no fuller: the unbounded cache held 23 MB of these documents.
    let held = engine.publisher.query_cache_bytes();
    assert!(held > loa::publish::QUERY_CACHE_BYTES / 2, "{held}");
    let again = get("/feed.atom".into()).await;
    assert_eq!((again.0, again.1), (200, first.1), "the first page is still served, unchanged");
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_over_64_kib_gets_431() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("[store]\npath = {:?}\n", dir.path().join("db").display().to_string());
    let engine = Arc::new(Engine::new(Config::parse(&text, "t.toml").unwrap()).unwrap());
    let (base, stop) = serve(&engine).await;
    let addr = base.trim_start_matches("http://").to_string();
    let send = |cookie: usize| {
        let addr = addr.clone();
        async move {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let head = format!(
                "GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nConnection: close\r\n\r\n",
                "c".repeat(cookie)
            );
            // The server may answer and close before it has read everything.
            let _ = s.write_all(head.as_bytes()).await;
            let mut answer = Vec::new();
            let _ = s.read_to_end(&mut answer).await;
            String::from_utf8_lossy(&answer).lines().next().unwrap_or("").to_string()
        }
    };
    assert!(send(1000).await.starts_with("HTTP/1.1 200"));
    assert!(send(60 * 1024).await.starts_with("HTTP/1.1 200"), "a head under 64 KiB is served");
    for kib in [65, 100, 200] {
        let line = send(kib * 1024).await;
        assert!(line.starts_with("HTTP/1.1 431"), "{kib} KiB: {line}");
    }
    stop.cancel();
}
