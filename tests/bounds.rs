//! Bounds under hostile sources and anonymous clients: a document of 100 000 items,
//! credentials in a source's URL, redirects and article links toward internal
//! addresses, and what the listener accepts.

mod common;

use std::process::Command;

use common::{Behavior, SourceServer};
use loa::config::Config;
use loa::model::FeedKind;
use loa::store::Scope;

/// An RSS document of `n` tiny items, the oldest first: item `i` is dated `i`
/// minutes after the first.
fn big_feed(n: usize) -> Vec<u8> {
    let mut doc = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Big</title>\n");
    let base: chrono::DateTime<chrono::FixedOffset> = "2026-11-01T08:00:00+07:00".parse().unwrap();
    for i in 0..n {
        let when = (base + chrono::Duration::minutes(i as i64)).format("%d/%m/%Y %H:%M");
        doc.push_str(&format!("<item><title>Tin {i}</title><link>/{i}</link><pubDate>{when}</pubDate></item>\n"));
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_of_100_000_items_is_cut_to_its_newest_and_says_so() {
    let server = SourceServer::start().await;
    server.set("big.xml", Behavior::File(big_feed(100_000)));
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&server, &[("big", "big.xml", "tinh-uy")], &dir.path().join("db"), "")
        .replace("timeout = \"2s\"", "timeout = \"60s\"");
    let engine = common::engine(&text);
    assert_eq!(engine.config().poll.max_items, 1000, "the default cap");
    let report = engine.poll_at(engine.config().source("big").unwrap(), "2027-03-01T00:00:00Z".parse().unwrap()).await;
    assert_eq!(report.error, None);
    assert_eq!((report.seen, report.new_items, report.truncated), (1000, 1000, 99_000));
    assert!(report.line().contains("truncated: 99000"), "{}", report.line());
    let status = loa::serve::source_statuses(&engine.config(), &engine.store);
    assert_eq!(status[0].truncated, 99_000);
    let json = serde_json::to_value(&status[0]).unwrap();
    assert_eq!(json["truncated"], 99_000);
    assert_eq!(engine.store.item_count(), 1000);
    // The newest were kept.
    let stored = |i: usize| {
        let link = loa::model::Identity::Link(server.url(&i.to_string()));
        engine.store.item(&loa::model::Item::key_for("big", &link)).unwrap().is_some()
    };
    assert!(stored(99_999) && stored(99_000) && !stored(98_999) && !stored(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_a_url_are_sent_and_shown_nowhere() {
    const PASSWORD: &str = "s3cr3t-p4ss";
    let server = SourceServer::start().await;
    server.fixture("feed.xml", "tinhuy-rss.xml");
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&server, &[("tinhuy", "feed.xml", "tinh-uy")], &dir.path().join("db"), "")
        .replace("http://127.0.0.1", &format!("http://loa:{PASSWORD}@127.0.0.1"));
    assert!(text.contains(PASSWORD));
    let config_path = dir.path().join("loa.toml");
    std::fs::write(&config_path, &text).unwrap();

    // What every command prints, logs included.
    let loa = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_loa"))
            .args(args)
            .arg("-c")
            .arg(&config_path)
            .env("RUST_LOG", "loa=debug")
            .output()
            .unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let fetched = loa(&["fetch"]);
    assert!(fetched.contains("8 new"), "{fetched}");
    let check = loa(&["check"]);
    assert!(check.contains("warning: source \"tinhuy\": a password is written into its url"), "{check}");
    let sources = loa(&["sources"]);
    let url = server.url("feed.xml").replace("http://", &format!("http://loa:{PASSWORD}@"));
    let inspected = loa(&["inspect", "--json", "--source", "tinhuy", &url]);
    assert!(inspected.contains("\"ok\":true") || inspected.contains("\"ok\": true"), "{inspected}");
    for (what, out) in [("fetch", &fetched), ("check", &check), ("sources", &sources), ("inspect", &inspected)] {
        assert!(!out.contains(PASSWORD), "loa {what} shows the password: {out}");
    }
    // The requests carried it, as basic credentials.
    let seen = server.seen("feed.xml");
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.authorization.as_deref() == Some("Basic bG9hOnMzY3IzdC1wNHNz")), "{seen:?}");

    // And no endpoint shows it.
    let engine = common::engine(&text);
    engine.cycle(&[]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = common::serve_engine(&engine, listener);
    // The reading view (`/`, `/agency/`) shows the news, not the sources' addresses.
    for path in [
        "/",
        "/agency/",
        "/search?q=dan+van",
        "/sources.opml",
        "/feeds.opml",
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/status",
        "/metrics",
    ] {
        let body = reqwest::get(format!("{base}{path}")).await.unwrap().text().await.unwrap();
        if ["/sources.opml", "/status"].contains(&path) {
            assert!(body.contains(&server.addr.to_string()), "{path} names the source: {body}");
        }
        assert!(!body.contains(PASSWORD) && !body.contains("loa:"), "{path} shows the credentials: {body}");
    }
    // Nor a story's page, which lists every copy and where it came from.
    let index = reqwest::get(format!("{base}/")).await.unwrap().text().await.unwrap();
    let story = index.split("href=\"").map(|h| h.split('"').next().unwrap()).find(|h| h.contains("/story/")).unwrap();
    // The config's base_url is http://loa.test: the page is asked of this listener.
    let path = &story[story.find("/story/").unwrap()..];
    let body = reqwest::get(format!("{base}{path}")).await.unwrap().text().await.unwrap();
    assert!(body.contains("<section class=\"copies\""), "{body}");
    assert!(!body.contains(PASSWORD) && !body.contains("loa:"), "{story} shows the credentials: {body}");
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_auth_reads_its_secret_from_a_file_or_the_environment() {
    let server = SourceServer::start().await;
    server.fixture("a.xml", "tinhuy-rss.xml");
    server.fixture("b.xml", "ubnd-atom.xml");
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("portal");
    std::fs::write(&secret, "from-a-file\n").unwrap();
    std::env::set_var("LOA_TEST_BEARER_TOKEN", "tok-123");
    let text = common::config_text(
        &server,
        &[("a", "a.xml", "tinh-uy"), ("b", "b.xml", "ubnd-tinh"), ("c", "a.xml", "tinh-uy")],
        &dir.path().join("db"),
        "",
    );
    let text = text
        .replacen(
            "agency = \"tinh-uy\"\n",
            &format!(
                "agency = \"tinh-uy\"\n[source.auth]\ntype = \"basic\"\nuser = \"loa\"\npassword_file = {:?}\n",
                secret.display().to_string()
            ),
            1,
        )
        .replacen(
            "agency = \"ubnd-tinh\"\n",
            "agency = \"ubnd-tinh\"\n[source.auth]\ntype = \"bearer\"\ntoken_env = \"LOA_TEST_BEARER_TOKEN\"\n",
            1,
        );
    let c = text.rfind("agency = \"tinh-uy\"\n").unwrap() + "agency = \"tinh-uy\"\n".len();
    let text = format!(
        "{}[source.auth]\ntype = \"bearer\"\ntoken_file = {:?}\n{}",
        &text[..c],
        dir.path().join("missing").display().to_string(),
        &text[c..]
    );
    let engine = common::engine(&text);
    let reports = engine.cycle(&[]).await;
    let by = |id: &str| reports.iter().find(|r| r.source == id).unwrap().clone();
    assert_eq!((by("a").error.as_deref(), by("b").error.as_deref()), (None, None));
    let seen_a = server.seen("a.xml");
    // base64("loa:from-a-file")
    assert_eq!(seen_a[0].authorization.as_deref(), Some("Basic bG9hOmZyb20tYS1maWxl"));
    assert_eq!(server.seen("b.xml")[0].authorization.as_deref(), Some("Bearer tok-123"));
    // A secret that cannot be read fails the poll, naming the file, before any request.
    assert_eq!(by("c").error_kind.as_deref(), Some("credentials"));
    assert!(by("c").error.unwrap().contains("missing"));
    assert_eq!(seen_a.len(), 1);

    let both = text.replacen("http://127.0.0.1", "http://u:p@127.0.0.1", 1);
    let err = Config::parse(&both, "t.toml").unwrap_err().to_string();
    assert!(err.contains("remove them from the url"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_another_non_public_address_are_refused() {
    let internal = SourceServer::start_on("127.0.0.2").await;
    let secret = String::from_utf8(big_feed(1)).unwrap().replace("Tin 0", "INTERNAL");
    internal.set("secret.xml", Behavior::File(secret.into_bytes()));
    let server = SourceServer::start().await;
    server.set("moved.xml", Behavior::Redirect(301, internal.url("secret.xml")));
    // By name: `localhost` is 127.0.0.1 (or ::1), not the source's own 127.0.0.2.
    let on_2 = SourceServer::start_on("127.0.0.2").await;
    on_2.set("named.xml", Behavior::Redirect(302, server.url("x.xml").replace("127.0.0.1", "localhost")));
    server.fixture("x.xml", "tinhuy-rss.xml");
    // The same address, another path: allowed.
    server.set("near.xml", Behavior::Redirect(301, server.url("x.xml")));
    let dir = tempfile::tempdir().unwrap();
    let mut text = common::config_text(
        &server,
        &[("moved", "moved.xml", "tinh-uy"), ("near", "near.xml", "tinh-uy")],
        &dir.path().join("db"),
        "",
    );
    text.push_str(&format!("[[source]]\nid = \"named\"\nurl = \"{}\"\nagency = \"tinh-uy\"\n", on_2.url("named.xml")));
    let engine = common::engine(&text);
    let reports = engine.cycle(&[]).await;
    let by = |id: &str| reports.iter().find(|r| r.source == id).unwrap().clone();
    for id in ["moved", "named"] {
        assert_eq!(by(id).error_kind.as_deref(), Some("blocked_address"), "{id}: {:?}", by(id).error);
        assert_eq!(engine.store.health(id).unwrap().unwrap().effective_url, None, "{id} did not move");
    }
    assert!(by("moved").error.unwrap().contains("127.0.0.2"));
    assert!(internal.seen("secret.xml").is_empty(), "never asked");
    assert!(server.seen("x.xml").len() == 1, "only the source on 127.0.0.1 reached it");
    assert_eq!(by("near").new_items, 8);
    let feed = engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap();
    assert!(!String::from_utf8_lossy(&feed.bytes).contains("INTERNAL"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_that_redirects_off_its_host_is_not_read() {
    let internal = SourceServer::start_on("127.0.0.2").await;
    internal.set(
        "admin.html",
        Behavior::File(b"<html><body><div class=\"news-content\">INTERNAL admin page</div></body></html>".to_vec()),
    );
    let server = SourceServer::start().await;
    let listing = "<html><body><div class=\"news-item\"><h3><a href=\"/a1.html\">Tin một</a></h3></div>\
                   <div class=\"news-item\"><h3><a href=\"/a2.html\">Tin hai</a></h3></div></body></html>";
    server.set("list.html", Behavior::File(listing.as_bytes().to_vec()));
    server.set("a1.html", Behavior::Redirect(302, internal.url("admin.html")));
    server.set(
        "a2.html",
        Behavior::File(
            "<html><body><div class=\"news-content\">Nội dung bài hai</div></body></html>".as_bytes().to_vec(),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[store]\npath = {:?}\n[[source]]\nid = \"dv\"\nurl = \"{}\"\nkind = \"html\"\nagency = \"tinh-uy\"\n\
         [source.html]\nitem = \"div.news-item\"\nlink = \"h3 a\"\ntitle = \"h3 a\"\n\
         [source.html.article]\ncontent = \"div.news-content\"\n",
        dir.path().join("db").display().to_string(),
        server.url("list.html")
    );
    let engine = common::engine(&text);
    let report = engine.cycle(&[]).await.remove(0);
    assert_eq!(report.error, None);
    assert_eq!(report.new_items, 2, "the entry stays, without the page it was sent to");
    assert!(internal.seen("admin.html").is_empty(), "never asked");
    let feed = engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap();
    let body = String::from_utf8_lossy(&feed.bytes).into_owned();
    assert!(!body.contains("INTERNAL") && body.contains("Nội dung bài hai"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bylines_naming_a_thousand_invented_bodies_add_no_more_agencies_than_the_cap() {
    let server = SourceServer::start().await;
    let mut doc = String::from("<rss version=\"2.0\"><channel><title>t</title>\n");
    for i in 0..1000 {
        doc.push_str(&format!(
            "<item><title>Bài số {i} về công tác</title><link>https://b.vn/{i}</link>\
             <author>Phóng viên (Ban Công tác số {i})</author></item>\n"
        ));
    }
    doc.push_str("</channel></rss>");
    server.set("bodies.xml", Behavior::File(doc.into_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&server, &[("b", "bodies.xml", "tinh-uy")], &dir.path().join("db"), "")
        .replace("timeout = \"2s\"", "timeout = \"60s\"");
    let engine = common::engine(&text);
    let report = engine.cycle(&[]).await.remove(0);
    assert_eq!((report.error, report.new_items), (None, 1000));
    let agencies = engine.store.agencies().unwrap();
    assert!(agencies.iter().any(|a| a == "ban-cong-tac-so-0"), "bodies are still added, up to the cap: {agencies:?}");
    assert_eq!(agencies.len(), loa::model::MAX_NEW_AGENCIES + 1, "the cap, and the source's own agency");
    let scopes = engine.publisher.scopes().len();
    assert_eq!(scopes, loa::model::MAX_NEW_AGENCIES + 2, "the merged feed, the source's and the capped bodies'");
    let last = loa::model::Item::key_for("b", &loa::model::Identity::Link("https://b.vn/999".into()));
    let item = engine.store.item(&last).unwrap().unwrap().item;
    assert_eq!(item.agency, "tinh-uy");
    let evidence = item.evidence.to_string();
    assert!(evidence.contains("Ban Công tác số 999") && evidence.contains("already added 64"), "{evidence}");
    // The source remembers the bodies it added.
    let health = engine.store.health("b").unwrap().unwrap();
    assert_eq!(health.new_agencies.len(), loa::model::MAX_NEW_AGENCIES);
}

#[test]
fn status_on_a_non_loopback_listener_is_warned_about() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let path = dir.path().join("loa.toml");
    let store = dir.path().join("db").display().to_string();
    std::fs::write(&path, format!("[server]\nlisten = \"0.0.0.0:{port}\"\n[store]\npath = {store:?}\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["run", "-c"])
        .arg(&path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    for line in stderr.lines().map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("loa is serving") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.contains("/status and /metrics are served on a non-loopback address"), "{seen}");
    assert!(seen.contains("admin_listen"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_listing_is_cut_to_its_first_entries() {
    let server = SourceServer::start().await;
    let entries: String = (0..5)
        .map(|i| format!("<div class=\"news-item\"><h3><a href=\"/a{i}.html\">Tin số {i}</a></h3></div>"))
        .collect();
    server.set("list.html", Behavior::File(format!("<html><body>{entries}</body></html>").into_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[poll]\nmax_items = 2\n[store]\npath = {:?}\n[[source]]\nid = \"dv\"\nurl = \"{}\"\nkind = \"html\"\n\
         agency = \"tinh-uy\"\n[source.html]\nitem = \"div.news-item\"\nlink = \"h3 a\"\ntitle = \"h3 a\"\n",
        dir.path().join("db").display().to_string(),
        server.url("list.html")
    );
    let engine = common::engine(&text);
    let report = engine.cycle(&[]).await.remove(0);
    assert_eq!((report.error, report.seen, report.truncated), (None, 2, 3));
    let first = loa::model::Item::key_for("dv", &loa::model::Identity::Link(server.url("a0.html")));
    assert!(engine.store.item(&first).unwrap().is_some(), "portals list the newest first");
}
