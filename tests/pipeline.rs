//! The whole path against a local source server: fetch, parse, store, publish, serve.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::{read_fixture, Behavior, SourceServer};
use loa::config::Config;
use loa::daemon::Engine;
use loa::model::FeedKind;
use loa::publish::Coding;
use loa::store::Scope;
use tokio_util::sync::CancellationToken;

const SOURCES: &[(&str, &str, &str)] = &[
    ("tinhuy", "rss/tin-hoat-dong.rss", "tinh-uy"),
    ("ubnd", "atom/tin-tuc.xml", "ubnd-tinh"),
    ("stp", "feed.json", "so-tu-phap"),
];

async fn serve_fixtures() -> SourceServer {
    let server = SourceServer::start().await;
    server.fixture("rss/tin-hoat-dong.rss", "tinhuy-rss.xml");
    server.fixture("atom/tin-tuc.xml", "ubnd-atom.xml");
    server.fixture("feed.json", "sotuphap-feed.json");
    server
}

fn engine(text: &str) -> Arc<Engine> {
    Arc::new(Engine::new(Config::parse(text, "test.toml").unwrap()).unwrap())
}

/// Titles of a served document, parsed back with feed-rs, with their dates.
fn read_back(bytes: &[u8]) -> Vec<(String, chrono::DateTime<chrono::Utc>, String)> {
    let feed = feed_rs::parser::parse(bytes).expect("our own output parses");
    feed.entries.into_iter().map(|e| (e.title.unwrap().content, e.published.or(e.updated).unwrap(), e.id)).collect()
}

/// Starts the server for an engine on an ephemeral port.
async fn serve(engine: &Arc<Engine>) -> (String, CancellationToken) {
    let listener = loa::daemon::bind("127.0.0.1:0".parse().unwrap(), "test").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (base, common::serve_engine(engine, listener))
}

fn client() -> reqwest::Client {
    loa::fetch::install_crypto_provider();
    reqwest::Client::new()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cycle_publishes_every_item_once_newest_first() {
    let server = serve_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&common::config_text(&server, SOURCES, &dir.path().join("db"), ""));
    let reports = engine.cycle(&[]).await;
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:#?}");
    let (base, stop) = serve(&engine).await;
    let http = client();

    for ext in ["atom", "rss", "json"] {
        let resp = http.get(format!("{base}/feed.{ext}")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ctype, FeedKind::from_extension(ext).unwrap().content_type());
        let entries = read_back(&resp.bytes().await.unwrap());
        // 16 items, of which two stories (G1, G2) were carried by two sites each.
        assert_eq!(entries.len(), 14, "{ext}: every story once");
        let mut ids: Vec<&str> = entries.iter().map(|e| e.2.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 14, "{ext}: no entry twice");
        assert!(entries.windows(2).all(|w| w[0].1 >= w[1].1), "{ext}: newest first");
        for title in [
            "Ủy ban Kiểm tra Tỉnh ủy tổ chức kỳ họp thứ 18",
            "Sở TT&TT tập huấn kỹ năng chuyển đổi số cho cán bộ, công chức cấp xã",
            "Tập huấn nghiệp vụ hộ tịch cho công chức tư pháp - hộ tịch cấp xã",
        ] {
            assert_eq!(entries.iter().filter(|e| e.0 == title).count(), 1, "{ext}: {title}");
        }
    }

    // Every source item is credited exactly once, in `_loa.sources`; each agency
    // feed holds exactly the stories that credit the agency.
    let json: serde_json::Value =
        serde_json::from_slice(&http.get(format!("{base}/feed.json")).send().await.unwrap().bytes().await.unwrap())
            .unwrap();
    let mut members: Vec<(String, String)> = Vec::new();
    let mut by_agency: HashMap<String, Vec<String>> = HashMap::new();
    for item in json["items"].as_array().unwrap() {
        for m in item["_loa"]["sources"].as_array().unwrap() {
            members.push((m["source"].as_str().unwrap().into(), m["url"].as_str().unwrap().into()));
        }
        for a in item["_loa"]["agencies"].as_array().unwrap() {
            by_agency.entry(a.as_str().unwrap().into()).or_default().push(item["id"].as_str().unwrap().into());
        }
    }
    assert_eq!(members.len(), 16);
    members.sort();
    members.dedup();
    assert_eq!(members.len(), 16, "no member twice");
    assert!(by_agency.len() >= 10, "{by_agency:?}");
    for (agency, mut ids) in by_agency {
        for ext in ["atom", "rss", "json"] {
            let body = http.get(format!("{base}/agency/{agency}.{ext}")).send().await.unwrap().bytes().await.unwrap();
            let mut got: Vec<String> = read_back(&body).into_iter().map(|e| e.2).collect();
            got.sort();
            ids.sort();
            assert_eq!(got, ids, "agency {agency}.{ext}");
        }
    }
    // Validators: a strong ETag and Last-Modified, 304 for either, HEAD without a body.
    let full = http.get(format!("{base}/feed.atom")).send().await.unwrap();
    let etag = full.headers()["etag"].to_str().unwrap().to_string();
    let last_modified = full.headers()["last-modified"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    let inm = http.get(format!("{base}/feed.atom")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(inm.status(), 304);
    assert_eq!(inm.headers()["etag"].to_str().unwrap(), etag);
    assert!(inm.bytes().await.unwrap().is_empty());
    let ims = http.get(format!("{base}/feed.atom")).header("if-modified-since", &last_modified).send().await.unwrap();
    assert_eq!(ims.status(), 304);
    let stale = http.get(format!("{base}/feed.atom")).header("if-none-match", "\"other\"").send().await.unwrap();
    assert_eq!(stale.status(), 200);
    let head = http.head(format!("{base}/feed.rss")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"].to_str().unwrap(), "application/rss+xml; charset=utf-8");
    assert!(head.headers().contains_key("etag"));
    assert!(head.bytes().await.unwrap().is_empty());

    let missing = http.get(format!("{base}/agency/no-such-agency.atom")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_cycle_is_conditional_and_changes_only_what_changed() {
    let server = serve_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&common::config_text(&server, SOURCES, &dir.path().join("db"), ""));
    engine.cycle(&[]).await;
    let etag_before = engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap().etag(Coding::Identity);
    let items_before = engine.store.item_count();
    let y_te_before = engine.publisher.get(&Scope::Agency("so-y-te".into()), FeedKind::Atom).unwrap();

    let reports = engine.cycle(&[]).await;
    for r in &reports {
        assert!(r.not_modified, "{r:?}");
        assert_eq!(r.http_status, Some(304));
    }
    for (_, path, _) in SOURCES {
        let seen = server.seen(path);
        assert_eq!(seen.len(), 2);
        assert!(seen[1].if_none_match.is_some(), "{path}: sent If-None-Match");
        assert_eq!(seen[1].if_modified_since.as_deref(), Some(common::LAST_MODIFIED), "{path}");
        assert_eq!(seen[1].status, 304);
    }
    assert_eq!(engine.store.item_count(), items_before);
    assert_eq!(engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap().etag(Coding::Identity), etag_before);

    // One new item in the RSS source: only it appears.
    let rss = String::from_utf8(read_fixture("tinhuy-rss.xml")).unwrap();
    let new_item = "<item><title>Tỉnh ủy họp phiên tháng 8</title><link>https://bentre.dcs.vn/tin-hoat-dong/tinh-uy-hop-25880.html</link><guid>25880</guid><pubDate>Sat, 06 Aug 2022 08:00:00 +0700</pubDate><description>Tỉnh ủy họp.</description></item>";
    server.set(
        "rss/tin-hoat-dong.rss",
        Behavior::File(rss.replacen("<item>", &format!("{new_item}<item>"), 1).into_bytes()),
    );
    let reports = engine.cycle(&[]).await;
    let by_id: HashMap<_, _> = reports.iter().map(|r| (r.source.as_str(), r)).collect();
    assert_eq!(by_id["tinhuy"].new_items, 1);
    assert_eq!(by_id["tinhuy"].updated_items, 0);
    assert!(by_id["ubnd"].not_modified && by_id["stp"].not_modified);
    let doc = engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap();
    assert_ne!(doc.etag(Coding::Identity), etag_before);
    let entries = read_back(&doc.bytes);
    assert_eq!(entries.len(), 15);
    assert_eq!(entries[0].0, "Tỉnh ủy họp phiên tháng 8");
    // The agency feeds the change does not touch keep their bytes.
    let untouched = engine.publisher.get(&Scope::Agency("so-y-te".into()), FeedKind::Atom).unwrap();
    assert_eq!(untouched.etag(Coding::Identity), y_te_before.etag(Coding::Identity));
    assert_eq!(read_back(&untouched.bytes).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopened_store_serves_the_same_ids_and_etags() {
    let server = serve_fixtures().await;
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&server, SOURCES, &dir.path().join("db"), "");
    let mut before = Vec::new();
    {
        let engine = engine(&text);
        for (id, _, _) in SOURCES {
            engine.cycle(&[id.to_string()]).await;
        }
        engine.store.flush().await.unwrap();
        for kind in FeedKind::ALL {
            let d = engine.publisher.get(&Scope::All, kind).unwrap();
            before.push((d.etag(Coding::Identity), d.bytes.clone()));
        }
    }
    let engine = engine(&text);
    for (kind, (etag, bytes)) in FeedKind::ALL.into_iter().zip(before) {
        let d = engine.publisher.get(&Scope::All, kind).unwrap();
        assert_eq!(d.etag(Coding::Identity), etag, "{kind:?}");
        assert_eq!(d.bytes, bytes, "{kind:?}");
    }
    // Re-ingesting the same documents into a fresh store, in the same order, mints
    // the same ids: they derive from item identity, never from time.
    let ids: Vec<String> =
        read_back(&engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap().bytes).into_iter().map(|e| e.2).collect();
    let dir2 = tempfile::tempdir().unwrap();
    let fresh = self::engine(&common::config_text(&server, SOURCES, &dir2.path().join("db"), ""));
    for (id, _, _) in SOURCES {
        fresh.cycle(&[id.to_string()]).await;
    }
    let fresh_ids: Vec<String> =
        read_back(&fresh.publisher.get(&Scope::All, FeedKind::Atom).unwrap().bytes).into_iter().map(|e| e.2).collect();
    assert_eq!(ids, fresh_ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_sources_are_reported_and_isolated() {
    let server = serve_fixtures().await;
    server.set("broken", Behavior::Status(500));
    server.set("slow", Behavior::Delay(Duration::from_secs(30), read_fixture("tinhuy-rss.xml")));
    server.fixture("error-page", "broken/html-error-page.xml");
    let mut sources = SOURCES.to_vec();
    sources.extend([
        ("broken", "broken", "tinh-uy"),
        ("slow", "slow", "tinh-uy"),
        ("htmlpage", "error-page", "tinh-uy"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&common::config_text(&server, &sources, &dir.path().join("db"), ""));
    let started = std::time::Instant::now();
    let reports = engine.cycle(&[]).await;
    assert!(started.elapsed() < Duration::from_secs(10), "the slow source is cut off by the timeout");
    let by_id: HashMap<_, _> = reports.iter().map(|r| (r.source.as_str(), r)).collect();
    assert_eq!(by_id["broken"].error_kind.as_deref(), Some("http_status"));
    assert!(by_id["broken"].line().contains("HTTP 500 Internal Server Error"), "{}", by_id["broken"].line());
    assert_eq!(by_id["slow"].error_kind.as_deref(), Some("timeout"));
    assert!(by_id["slow"].line().contains("no complete response within 2s"), "{}", by_id["slow"].line());
    assert_eq!(by_id["htmlpage"].error_kind.as_deref(), Some("not_a_feed"));
    assert!(
        by_id["htmlpage"].line().contains("not a feed: the document is an HTML page"),
        "{}",
        by_id["htmlpage"].line()
    );
    for id in ["tinhuy", "ubnd", "stp"] {
        assert!(by_id[id].error.is_none());
    }

    let (base, stop) = serve(&engine).await;
    let http = client();
    let status: serde_json::Value =
        serde_json::from_slice(&http.get(format!("{base}/status")).send().await.unwrap().bytes().await.unwrap())
            .unwrap();
    let find = |id: &str| status["sources"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(find("broken")["http_status"], 500);
    assert_eq!(find("broken")["consecutive_failures"], 1);
    assert_eq!(find("slow")["error_kind"], "timeout");
    assert!(find("htmlpage")["error"].as_str().unwrap().contains("not a feed"));
    assert_eq!(find("tinhuy")["items"], 8);
    assert!(find("tinhuy")["error"].is_null());
    let entries = read_back(&http.get(format!("{base}/feed.atom")).send().await.unwrap().bytes().await.unwrap());
    assert_eq!(entries.len(), 14, "the healthy sources' items are published");
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);

    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    for line in [
        "loa_polls_total{result=\"ok\"} 3",
        "loa_polls_total{result=\"http_status\"} 1",
        "loa_polls_total{result=\"timeout\"} 1",
        "loa_stories ",
        "loa_poll_duration_seconds_count 6",
    ] {
        assert!(metrics.lines().any(|l| l.starts_with(line)), "{line} in:\n{metrics}");
    }
    let last_success: Vec<&str> =
        metrics.lines().filter(|l| l.starts_with("loa_source_last_success_timestamp_seconds{")).collect();
    assert_eq!(last_success.len(), 3, "the three healthy sources, from their stored health: {last_success:?}");
    assert!(last_success.iter().any(|l| l.contains("source=\"tinhuy\"")));
    stop.cancel();
}
