//! Every fact of `tests/fixtures/expected.json`, checked on what loa stored after
//! polling the fixtures (three feeds and an HTML listing with its articles) from a
//! local server: a new fact there is a new line of data, not new code.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{Behavior, SourceServer};
use loa::config::Config;
use loa::daemon::Engine;
use loa::store::StoredItem;
use serde_json::Value;

/// fixture → (source id, path served, default agency)
const SOURCES: &[(&str, &str, &str, &str)] = &[
    ("tinhuy-rss.xml", "tinhuy", "rss/tin-hoat-dong.rss", "tinh-uy"),
    ("ubnd-atom.xml", "ubnd", "atom/tin-tuc-su-kien.xml", "ubnd-tinh"),
    ("baodongkhoi-rss.xml", "baodongkhoi", "chinh-tri.rss", "bao-dong-khoi"),
];

/// The Ban Dân vận portal: an HTML source read with the selectors its markup needs.
fn html_source(server: &SourceServer) -> String {
    format!(
        "[[source]]\nid = \"danvan\"\nurl = \"{}\"\nkind = \"html\"\nagency = \"ban-dan-van-tinh-uy\"\n\
         [source.html]\nitem = \"div.news-item\"\nlink = \"h3 a\"\ntitle = \"h3 a\"\ndate = \"span.news-date\"\nsummary = \"p.news-summary\"\n\
         [source.html.article]\ncontent = \"div.news-content\"\ndate = \"div.news-date\"\nbyline = \"div.author\"\n",
        server.url("tin-hoat-dong")
    )
}

/// Polls the fixtures and returns each expected item's stored record, by key.
async fn ingest() -> (Arc<Engine>, HashMap<String, StoredItem>, Value, tempfile::TempDir) {
    let expected: Value = serde_json::from_slice(&common::read_fixture("expected.json")).unwrap();
    let server = SourceServer::start().await;
    for (fixture, _, path, _) in SOURCES {
        server.fixture(path, fixture);
    }
    // The HTML portal: its listing, and the articles it links to (the two without a
    // fixture answer 404, as a portal's missing pages do).
    server.fixture("tin-hoat-dong", "html/listing.html");
    for entry in expected["listing_html"].as_array().unwrap() {
        let href = entry["href"].as_str().unwrap();
        match entry["fixture"].as_str() {
            Some(f) => server.fixture(href, f),
            None => server.set(href, Behavior::Status(404)),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let sources: Vec<(&str, &str, &str)> = SOURCES.iter().map(|(_, id, path, agency)| (*id, *path, *agency)).collect();
    let text = common::config_text(&server, &sources, &dir.path().join("db"), "") + &html_source(&server);
    let engine = Arc::new(Engine::new(Config::parse(&text, "test.toml").unwrap()).unwrap());
    for id in SOURCES.iter().map(|s| s.1).chain(["danvan"]) {
        let r = engine.cycle(&[id.to_string()]).await;
        assert!(r[0].error.is_none(), "{r:?}");
    }
    // Find each expected item again: normalize its document the way the daemon did,
    // and look its identity up in the store.
    let mut stored = HashMap::new();
    for fact in expected["items"].as_array().unwrap() {
        let fixture = fact["fixture"].as_str().unwrap();
        let key = fact["key"].as_str().unwrap().to_string();
        if let Some(entry) = expected["listing_html"].as_array().unwrap().iter().find(|e| e["fixture"] == fixture) {
            // An HTML item is known by the link its listing gives.
            let link = url::Url::parse(&server.url(entry["href"].as_str().unwrap())).unwrap();
            let identity = loa::model::Identity::Link(loa::normalize::link::canonical(&link));
            let record = engine.store.item(&loa::model::Item::key_for("danvan", &identity)).unwrap();
            stored.insert(key.clone(), record.unwrap_or_else(|| panic!("{key} is stored")));
            continue;
        }
        let Some((_, id, _, _)) = SOURCES.iter().find(|s| s.0 == fixture) else { continue };
        let config = engine.config();
        let source = config.source(id).unwrap();
        let text = String::from_utf8(common::read_fixture(fixture)).unwrap();
        let feed =
            loa::parse::parse_feed(&text, engine.config().poll.timezone, engine.config().poll.max_items).unwrap();
        let raw = feed.items[fact["index"].as_u64().unwrap() as usize].clone();
        let cx = loa::normalize::Context {
            source,
            document_url: &source.url,
            document_title: feed.title.as_deref(),
            home: feed.home.as_deref(),
            authors: &feed.authors,
            now: chrono::Utc::now(),
            registry: &engine.config().agencies,
        };
        let item = loa::normalize::item(raw, &cx).unwrap();
        let record = engine.store.item(&item.store_key()).unwrap().unwrap_or_else(|| panic!("{key} is stored"));
        stored.insert(key, record);
    }
    (engine, stored, expected, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_item_fact_holds() {
    let (_engine, stored, expected, _dir) = ingest().await;
    let mut checked = 0;
    for fact in expected["items"].as_array().unwrap() {
        let key = fact["key"].as_str().unwrap();
        let Some(s) = stored.get(key) else { continue };
        let item = &s.item;
        assert_eq!(item.title, fact["title_nfc"].as_str().unwrap(), "{key}: title");
        assert_eq!(item.canonical_url.as_deref(), fact["canonical_url"].as_str(), "{key}: canonical URL");
        match fact["published_utc"].as_str() {
            Some(want) => {
                let got = item.published.or(item.updated).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                assert_eq!(got.as_deref(), Some(want), "{key}: date");
            }
            None => {
                assert_eq!(item.published, None, "{key}: no date");
                assert_eq!(item.date(), item.first_seen, "{key}: dated when first seen");
            }
        }
        assert_eq!(item.agency, fact["agency"].as_str().unwrap(), "{key}: agency ({:?})", item.evidence);
        checked += 1;
    }
    assert_eq!(checked, 23, "every item of expected.json was checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupe_groups_are_one_story_and_must_not_merge_pairs_apart() {
    let (engine, stored, expected, _dir) = ingest().await;
    let story_of = |key: &str| stored.get(key).map(|s| s.story.clone());
    let group_of: HashMap<&str, &str> = expected["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| Some((f["key"].as_str().unwrap(), f["dedupe_group"].as_str()?)))
        .collect();
    // Same group: same story. Different or no group: different stories.
    let keys: Vec<&str> = stored.keys().map(String::as_str).collect();
    for a in &keys {
        for b in &keys {
            if a >= b {
                continue;
            }
            let same_group = matches!((group_of.get(a), group_of.get(b)), (Some(x), Some(y)) if x == y);
            assert_eq!(story_of(a) == story_of(b), same_group, "{a} and {b}");
        }
    }
    for pair in expected["must_not_merge"].as_array().unwrap() {
        let (a, b) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        if let (Some(x), Some(y)) = (story_of(a), story_of(b)) {
            assert_ne!(x, y, "{a} and {b} must stay apart");
        }
    }
    // G1's story: H1, on the agency's own site, is the primary; T1 is as early;
    // every member is credited.
    let g1 = engine.store.story(&story_of("T1").unwrap()).unwrap().unwrap();
    assert_eq!(g1.members.len(), 4);
    assert_eq!(g1.members[0].item_key, stored["H1"].item.store_key());
    assert_eq!(g1.members[1].item_key, stored["T1"].item.store_key());
    assert_eq!(g1.published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "2022-08-05T03:15:00Z");
    assert_eq!(g1.agency, "ban-dan-van-tinh-uy");
    assert_eq!(g1.title, stored["T1"].item.title);
}
