//! HTML-only portals read with CSS selectors, against a local server: articles
//! fetched once, other hosts never followed, selector drift reported.

mod common;

use std::sync::Arc;

use common::{read_fixture, Behavior, SourceServer};
use loa::config::Config;
use loa::daemon::Engine;
use loa::model::FeedKind;
use loa::store::Scope;

const ARTICLES: [(&str, &str); 3] = [
    ("/tin-hoat-dong/pho-bi-thu-thuong-truc-tinh-uy-du-hoi-nghi-so-ket-cong-tac-dan-van-6-thang-dau-nam-2022-1021.html", "html/article-prefix-and-caption-credit.html"),
    ("/dan-van-kheo/ban-dan-van-tinh-uy-khao-sat-mo-hinh-dan-van-kheo-tai-xa-phu-tuc-huyen-chau-thanh-1018.html", "html/article-byline-outside-content.html"),
    ("/tin-hoat-dong/ky-ket-chuong-trinh-phoi-hop-cong-tac-dan-van-giua-ban-dan-van-tinh-uy-va-ban-can-su-dang-ubnd-tinh-1015.html", "html/article-unpadded-date-and-iframe.html"),
];

fn config(server: &SourceServer, dir: &std::path::Path) -> String {
    format!(
        "[poll]\nhost_spacing = \"0s\"\nper_host = 2\n[store]\npath = {:?}\n\
         [[source]]\nid = \"danvan\"\nurl = \"{}\"\nkind = \"html\"\nagency = \"ban-dan-van-tinh-uy\"\n\
         [source.html]\nitem = \"div.news-item\"\nlink = \"h3 a\"\ntitle = \"h3 a\"\ndate = \"span.news-date\"\nsummary = \"p.news-summary\"\n\
         [source.html.article]\ncontent = \"div.news-content\"\ndate = \"div.news-date\"\nbyline = \"div.author\"\n",
        dir.join("db").display().to_string(),
        server.url("tin-hoat-dong")
    )
}

async fn portal() -> SourceServer {
    let server = SourceServer::start().await;
    server.fixture("tin-hoat-dong", "html/listing.html");
    for (path, fixture) in ARTICLES {
        server.fixture(path, fixture);
    }
    server
}

fn titles(engine: &Engine) -> Vec<String> {
    let doc = engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap();
    feed_rs::parser::parse(&doc.bytes[..]).unwrap().entries.into_iter().map(|e| e.title.unwrap().content).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_article_is_fetched_once_over_three_polls() {
    let server = portal().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine(&config(&server, dir.path()));
    for _ in 0..3 {
        let r = engine.cycle(&[]).await;
        assert!(r[0].error.is_none(), "{r:?}");
    }
    for (path, _) in ARTICLES {
        assert_eq!(server.seen(path).len(), 1, "{path}");
    }
    assert_eq!(server.seen("tin-hoat-dong").len(), 3);
    // Five entries: three read with their articles, two from the listing alone.
    assert_eq!(titles(&engine).len(), 5);
    // H1's content is the article, without the portal's furniture.
    let json: serde_json::Value =
        serde_json::from_slice(&engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let h1 = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with("Phó Bí thư"))
        .unwrap();
    let content = h1["content_html"].as_str().unwrap();
    assert!(
        content.contains("(Ảnh: Nguyễn Diễm)") && !content.contains("Lượt xem") && !content.contains("Tin liên quan")
    );
    assert_eq!(h1["_loa"]["agency"], "ban-dan-van-tinh-uy");

    // A changed listing entry has its article read again; the others do not.
    let listing = String::from_utf8(read_fixture("html/listing.html")).unwrap();
    let edited = listing.replacen("(05/08/2022)</span>", "(05/08/2022 - 10:15)</span>", 1);
    assert_ne!(listing, edited);
    server.set("tin-hoat-dong", Behavior::File(edited.into_bytes()));
    engine.cycle(&[]).await;
    assert_eq!(server.seen(ARTICLES[0].0).len(), 2);
    assert_eq!(server.seen(ARTICLES[1].0).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_drift_is_an_error_and_earlier_items_stay() {
    let server = portal().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine(&config(&server, dir.path()));
    engine.cycle(&[]).await;
    let before = titles(&engine);
    // The portal's new theme: the same news in other markup.
    let redesigned = String::from_utf8(read_fixture("html/listing.html")).unwrap().replace("news-item", "tin-bai");
    server.set("tin-hoat-dong", Behavior::File(redesigned.into_bytes()));
    let r = &engine.cycle(&[]).await[0];
    assert_eq!(r.error_kind.as_deref(), Some("selector_drift"));
    assert!(r.error.as_deref().unwrap().contains("item selector \"div.news-item\" matched 0 items"), "{r:?}");
    let status = loa::serve::source_statuses(&engine.config(), &engine.store);
    assert!(status[0].error.as_deref().unwrap().contains("matched 0 items"));
    assert_eq!(titles(&engine), before, "the source's earlier items stay published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_to_other_hosts_are_never_followed() {
    let server = portal().await;
    let elsewhere = SourceServer::start().await;
    elsewhere.fixture("bai.html", "html/article-prefix-and-caption-credit.html");
    // The same server by another name is another host: "localhost", not "127.0.0.1".
    let foreign = format!("http://localhost:{}/bai.html", elsewhere.addr.port());
    let listing = String::from_utf8(read_fixture("html/listing.html")).unwrap().replacen(ARTICLES[2].0, &foreign, 2);
    server.set("tin-hoat-dong", Behavior::File(listing.into_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine(&config(&server, dir.path()));
    let r = &engine.cycle(&[]).await[0];
    assert!(r.error.is_none(), "{r:?}");
    assert!(elsewhere.seen("bai.html").is_empty(), "never followed");
    // The entry itself is still listed, from what the listing says.
    assert!(titles(&engine).iter().any(|t| t.starts_with("Ký kết Chương trình phối hợp")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_previews_what_a_source_extracts() {
    let server = portal().await;
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(&config(&server, dir.path()), "t.toml").unwrap();
    let listing = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/html/listing.html");
    let r = loa::inspect::inspect(listing.to_str().unwrap(), &config, config.source("danvan")).await;
    assert!(r.ok, "{:?}", r.error);
    assert_eq!(r.items.len(), 5);
    let title = r.feed.as_ref().and_then(|f| f.title.as_deref());
    assert_eq!(title, Some("Tin hoạt động - Ban Dân vận Tỉnh ủy Bến Tre"), "the page's own title, not \"(untitled)\"");
    assert_eq!(r.items[0].published.as_deref(), Some("2022-08-05T03:15:00Z"));
    assert!(r.items[1].evidence.contains("Ngọc Trâm (Ban Dân vận Tỉnh ủy)"), "{}", r.items[1].evidence);
    assert!(!dir.path().join("db").exists(), "inspect never writes the configured store");
}

/// `loa inspect` reads as a poll does, articles and all, yet opens no store: not the
/// configured one, and no throwaway one either (with the temporary directory a
/// plain file, nothing could be created there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_creates_no_store_for_a_feed_or_an_html_source() {
    let server = portal().await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("loa.toml");
    std::fs::write(&config_path, config(&server, dir.path())).unwrap();
    let no_tmp = dir.path().join("not-a-directory");
    std::fs::write(&no_tmp, "").unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let runs = [
        vec!["inspect".to_string(), fixtures.join("tinhuy-rss.xml").display().to_string()],
        vec![
            "inspect".to_string(),
            "--source".to_string(),
            "danvan".to_string(),
            fixtures.join("html/listing.html").display().to_string(),
        ],
    ];
    for args in runs {
        let (config_path, no_tmp) = (config_path.clone(), no_tmp.clone());
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_loa"))
                .args(&args)
                .arg("-c")
                .arg(&config_path)
                .env("TMPDIR", &no_tmp)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{shown}");
        assert!(!shown.contains("cannot create"), "{shown}");
        assert!(!dir.path().join("db").exists(), "no store at the configured path");
    }
    // The HTML source was read with its articles, as a poll reads it.
    assert_eq!(server.seen(ARTICLES[0].0).len(), 1);
    let mut left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, ["loa.toml", "not-a-directory"], "nothing else was written beside the config");
}

/// The reading stage alone, without a store or an engine: what the caller already
/// holds comes in as a lookup, and an entry it holds unchanged has no article fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_stage_reads_without_a_store_and_skips_known_entries() {
    let server = portal().await;
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(&config(&server, dir.path()), "t.toml").unwrap();
    let source = config.source("danvan").unwrap().clone();
    let fetcher = loa::fetch::Fetcher::new(&config.poll).unwrap();
    let reader = loa::read::Reader { config: Arc::new(config.clone()), fetcher: &fetcher, limits: None };
    let listing = String::from_utf8(read_fixture("html/listing.html")).unwrap();
    let url = source.url.clone();
    let first = reader.read(&source, listing.clone(), url.clone(), chrono::Utc::now(), &|_| None).await.unwrap();
    assert_eq!(first.items.len(), 5);
    for (path, _) in ARTICLES {
        assert_eq!(server.seen(path).len(), 1, "{path}");
    }
    let held = |key: &str| first.items.iter().find(|i| i.store_key() == key).cloned();
    let again = reader.read(&source, listing, url, chrono::Utc::now(), &held).await.unwrap();
    assert_eq!(again.items.len(), 5);
    for (path, _) in ARTICLES {
        assert_eq!(server.seen(path).len(), 1, "{path}: held unchanged, not fetched again");
    }
    assert!(!dir.path().join("db").exists());
}
