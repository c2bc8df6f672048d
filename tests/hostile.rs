//! Polling against a hostile local server: rate limits, failures, redirects, bombs,
//! endless and dripping bodies, entity attacks, and odd but valid feeds. Schedules
//! are checked with an injected clock (`Engine::poll_at`), never by sleeping.

mod common;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{read_fixture, Behavior, SourceServer};
use loa::daemon::Engine;
use loa::model::FeedKind;
use loa::schedule;
use loa::store::Scope;

fn engine(server: &SourceServer, sources: &[(&str, &str, &str)], poll: &str) -> (Arc<Engine>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(server, sources, &dir.path().join("db"), poll);
    (common::engine(&text), dir)
}

fn t0() -> DateTime<Utc> {
    "2026-11-26T08:00:00Z".parse().unwrap()
}

/// Steps a fake clock from `t0` in `step`s up to `until`, polling the source
/// whenever the schedule says it is due; returns the times of the polls.
async fn run_schedule(engine: &Arc<Engine>, id: &str, step: i64, until: i64) -> Vec<i64> {
    let source = engine.config().source(id).unwrap().clone();
    let mut polls = Vec::new();
    for s in (0..=until).step_by(step as usize) {
        let now = t0() + chrono::Duration::seconds(s);
        let health = engine.store.health(id).unwrap();
        if schedule::is_due(health.as_ref(), now) {
            engine.poll_at(&source, now).await;
            polls.push(s);
        }
    }
    polls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_obeyed_in_seconds_and_as_a_date() {
    let server = SourceServer::start().await;
    server.set("busy", Behavior::RetryAfter(429, "120".into()));
    let date = httpdate::fmt_http_date((t0() + chrono::Duration::seconds(300)).into());
    server.set("dated", Behavior::RetryAfter(503, date));
    let (engine, _dir) =
        engine(&server, &[("busy", "busy", "tinh-uy"), ("dated", "dated", "tinh-uy")], "interval = \"10s\"");

    let polls = run_schedule(&engine, "busy", 5, 200).await;
    assert_eq!(polls[0], 0);
    assert!(polls[1] >= 120, "no request before 120 s: {polls:?}");
    assert_eq!(server.seen("busy").len(), polls.len());
    let status: serde_json::Value =
        serde_json::to_value(loa::serve::source_statuses(&engine.config(), &engine.store)).unwrap();
    assert_eq!(status[0]["http_status"], 429);
    assert!(status[0]["error"].as_str().unwrap().contains("retry after 120s"), "{}", status[0]);

    // An HTTP-date Retry-After counts from the real clock of the response, which the
    // fake clock runs ahead of; what matters is that the date is obeyed, not less.
    let source = engine.config().source("dated").unwrap().clone();
    let report = engine.poll_at(&source, t0()).await;
    assert_eq!(report.http_status, Some(503));
    let wait = report.next_in.unwrap();
    let asked = (t0() + chrono::Duration::seconds(300) - Utc::now()).to_std().unwrap_or_default();
    assert!(wait + Duration::from_secs(2) >= asked.min(schedule::MAX_WAIT), "{wait:?} vs {asked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_back_off_and_a_success_resets() {
    let server = SourceServer::start().await;
    server.set("flaky", Behavior::Status(500));
    let (engine, _dir) =
        engine(&server, &[("flaky", "flaky", "tinh-uy")], "interval = \"60s\"\nmax_interval = \"60s\"");
    let source = engine.config().source("flaky").unwrap().clone();
    let mut waits = Vec::new();
    for _ in 0..3 {
        let r = engine.poll_at(&source, t0()).await;
        assert_eq!(r.error_kind.as_deref(), Some("http_status"));
        waits.push(r.next_in.unwrap());
    }
    assert!(waits[0] < waits[1] && waits[1] < waits[2], "{waits:?}");
    assert_eq!(engine.store.health("flaky").unwrap().unwrap().consecutive_failures, 3);
    server.fixture("flaky", "tinhuy-rss.xml");
    let r = engine.poll_at(&source, t0()).await;
    assert!(r.error.is_none());
    // Back to the plain cadence, floored by the feed's own <ttl>30</ttl>.
    assert_eq!(r.next_in, Some(Duration::from_secs(1800)));
    assert_eq!(engine.store.health("flaky").unwrap().unwrap().consecutive_failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_redirects_move_a_source_and_temporary_ones_do_not() {
    let server = SourceServer::start().await;
    server.fixture("new.rss", "tinhuy-rss.xml");
    server.set("old.rss", Behavior::Redirect(301, server.url("new.rss")));
    server.fixture("there.rss", "ubnd-atom.xml");
    server.set("here.rss", Behavior::Redirect(302, server.url("there.rss")));
    server.set("loop-a", Behavior::Redirect(301, server.url("loop-b")));
    server.set("loop-b", Behavior::Redirect(308, server.url("loop-a")));
    let (engine, _dir) = engine(
        &server,
        &[("moved", "old.rss", "tinh-uy"), ("temp", "here.rss", "ubnd-tinh"), ("loop", "loop-a", "tinh-uy")],
        "",
    );
    let reports = engine.cycle(&[]).await;
    let by = |id: &str| reports.iter().find(|r| r.source == id).unwrap().clone();
    assert_eq!(by("moved").new_items, 8);
    assert_eq!(by("temp").new_items, 6);
    assert_eq!(by("loop").error_kind.as_deref(), Some("redirects"));
    assert!(by("loop").error.unwrap().contains("redirect loop"));
    let health = |id: &str| engine.store.health(id).unwrap().unwrap();
    assert_eq!(health("moved").effective_url.as_deref(), Some(server.url("new.rss").as_str()));
    assert_eq!(health("temp").effective_url, None);

    engine.cycle(&[]).await;
    assert_eq!(server.seen("old.rss").len(), 1, "later polls go to the new URL");
    assert_eq!(server.seen("new.rss").len(), 2);
    assert_eq!(server.seen("here.rss").len(), 2, "a 302 does not move the source");
    let status = loa::serve::source_statuses(&engine.config(), &engine.store);
    assert_eq!(status[0].effective_url.as_deref(), Some(server.url("new.rss").as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_sources_stop_being_polled_and_say_why() {
    let server = SourceServer::start().await;
    server.set("gone", Behavior::Status(410));
    let (engine, _dir) = engine(&server, &[("gone", "gone", "tinh-uy")], "interval = \"10s\"");
    let polls = run_schedule(&engine, "gone", 10, 600).await;
    assert_eq!(polls, [0]);
    let status = loa::serve::source_statuses(&engine.config(), &engine.store);
    assert!(status[0].gone);
    assert!(status[0].error.as_deref().unwrap().contains("410 Gone"));
}

/// 1 GiB of zeros as a gzip stream of about 1 MB. Compressing a gigabyte takes
/// seconds, so one MiB is deflated with a full flush (which makes its blocks stand
/// alone) and repeated 1024 times, then closed with a final empty block and the
/// gzip trailer.
fn gzip_bomb() -> Arc<Vec<u8>> {
    static BOMB: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let zeros = vec![0u8; 1 << 20];
        let mut deflate = flate2::Compress::new(flate2::Compression::best(), false);
        let mut chunk = Vec::with_capacity(64 * 1024);
        deflate.compress_vec(&zeros, &mut chunk, flate2::FlushCompress::Full).unwrap();
        assert_eq!(deflate.total_in(), 1 << 20);
        let mut crc = flate2::Crc::new();
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        for _ in 0..1024 {
            out.extend_from_slice(&chunk);
            crc.update(&zeros);
        }
        out.extend_from_slice(&[0x03, 0x00]);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(1u32 << 30).to_le_bytes());
        Arc::new(out)
    })
    .clone()
}

#[test]
fn the_gzip_bomb_is_what_it_claims() {
    let bomb = gzip_bomb();
    let mut dec = flate2::read::GzDecoder::new(&bomb[..]);
    let n = std::io::copy(&mut dec, &mut std::io::sink()).unwrap();
    assert_eq!(n, 1 << 30);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_fail_with_their_own_errors_and_others_keep_updating() {
    let server = SourceServer::start().await;
    let bomb = gzip_bomb();
    assert!(bomb.len() < 2 << 20, "the bomb is small on the wire: {}", bomb.len());
    server.set("bomb", Behavior::Gzip(bomb));
    server.set("endless", Behavior::Endless);
    server.set("drip", Behavior::Drip);
    server.fixture("laughs", "broken/xml-bomb.xml");
    server.fixture("xxe", "broken/xxe-external-entity.xml");
    server.fixture("good", "tinhuy-rss.xml");
    let sources = [
        ("bomb", "bomb", "tinh-uy"),
        ("endless", "endless", "tinh-uy"),
        ("drip", "drip", "tinh-uy"),
        ("laughs", "laughs", "tinh-uy"),
        ("xxe", "xxe", "tinh-uy"),
        ("good", "good", "tinh-uy"),
    ];
    let (engine, _dir) = engine(&server, &sources, "max_body = \"1MiB\"\nper_host = 8\nconcurrency = 8");
    let started = std::time::Instant::now();
    let reports = engine.cycle(&[]).await;
    assert!(started.elapsed() < Duration::from_secs(10), "every limit held: {:?}", started.elapsed());
    let by = |id: &str| reports.iter().find(|r| r.source == id).unwrap().clone();
    assert_eq!(by("bomb").error_kind.as_deref(), Some("too_large"), "{:?}", by("bomb"));
    assert!(by("bomb").error.unwrap().contains("1048576 bytes (counted after decompression)"));
    assert_eq!(by("endless").error_kind.as_deref(), Some("too_large"));
    assert_eq!(by("drip").error_kind.as_deref(), Some("timeout"));
    // Their DOCTYPEs are dropped and nothing declared is expanded or fetched: the
    // references stay as text, and the feeds are kept.
    for id in ["laughs", "xxe"] {
        assert!(by(id).error.is_none(), "{id}: {:?}", by(id).error);
        assert_eq!(by(id).new_items, 1, "{id}");
    }
    assert_eq!(by("good").new_items, 8);
    let doc = engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap();
    let text = String::from_utf8(doc.bytes.to_vec()).unwrap();
    assert!(!text.contains("root:") && !text.contains("lollol"), "nothing of the attacks is published");
    assert!(text.len() < 64 * 1024, "{}", text.len());
    let json: serde_json::Value =
        serde_json::from_slice(&engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let titles: Vec<&str> = json["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"&lol6;") && titles.contains(&"&xxe;"), "{titles:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_host_is_never_asked_twice_at_once_with_per_host_1() {
    let server = SourceServer::start().await;
    let body = read_fixture("tinhuy-rss.xml");
    for p in ["a", "b", "c"] {
        server.set(p, Behavior::Delay(Duration::from_millis(300), body.clone()));
    }
    let (engine, _dir) = engine(
        &server,
        &[("a", "a", "tinh-uy"), ("b", "b", "tinh-uy"), ("c", "c", "tinh-uy")],
        "per_host = 1\nconcurrency = 8",
    );
    engine.cycle(&[]).await;
    assert_eq!(server.max_in_flight(), 1);
    assert_eq!(server.seen("a").len() + server.seen("b").len() + server.seen("c").len(), 3);
}

/// Wraps an RSS body in a minimal valid feed.
fn rss(items: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Sở Tư pháp</title><link>https://stp.example.vn/</link>{items}</channel></rss>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_but_valid_feeds_parse_with_the_right_text() {
    let server = SourceServer::start().await;
    let item = "<item><title>Sở Tư pháp tập huấn nghiệp vụ hộ tịch</title><link>https://stp.example.vn/a-1.html</link><guid>a-1</guid></item>";
    let valid = rss(item);
    let utf16le: Vec<u8> = valid.replace("utf-8", "UTF-16").encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let utf16be: Vec<u8> = valid.replace("utf-8", "UTF-16").encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("no-version", valid.replace("<rss version=\"2.0\">", "<rss>").into_bytes(), "application/rss+xml"),
        ("utf16le-bom", [&[0xFF, 0xFE][..], &utf16le].concat(), "application/xml"),
        ("utf16le", utf16le.clone(), "application/xml"),
        ("utf16be-bom", [&[0xFE, 0xFF][..], &utf16be].concat(), "application/xml"),
        ("utf16be", utf16be.clone(), "application/xml"),
        (
            "bare-amp",
            valid.replace("tập huấn nghiệp vụ hộ tịch", "tập huấn nghiệp vụ hộ tịch & chứng thực").into_bytes(),
            "application/xml",
        ),
        ("bom-blank-lines", [&b"\xEF\xBB\xBF\r\n\r\n"[..], valid.as_bytes()].concat(), "text/xml"),
        ("latin1-label-utf8-bytes", valid.replace("utf-8", "ISO-8859-1").into_bytes(), "text/xml; charset=ISO-8859-1"),
        ("windows-1258", read_fixture("broken/windows-1258.xml"), "text/xml"),
        ("bom-leading-fixture", read_fixture("broken/leading-whitespace-bom.xml"), "text/xml"),
    ];
    let mut sources = Vec::new();
    for (name, body, ctype) in &cases {
        server.set(name, Behavior::Typed(ctype, vec![], body.clone()));
        sources.push((*name, *name, "so-tu-phap"));
    }
    let (engine, _dir) = engine(&server, &sources, "per_host = 4");
    let reports = engine.cycle(&[]).await;
    for r in &reports {
        assert!(r.error.is_none(), "{}: {:?}", r.source, r.error);
        assert!(r.new_items >= 1, "{}: {r:?}", r.source);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&engine.publisher.get(&Scope::All, FeedKind::Json).unwrap().bytes).unwrap();
    let titles: Vec<String> =
        json["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect();
    assert!(titles.iter().any(|t| t == "Sở Tư pháp tập huấn nghiệp vụ hộ tịch & chứng thực"), "{titles:?}");
    assert!(
        titles.iter().any(|t| t.starts_with("Sở Tư pháp tổ chức hội nghị phổ biến")),
        "windows-1258, NFC: {titles:?}"
    );
    for t in &titles {
        assert!(!t.contains('\u{309}') && !t.contains('\u{FFFD}') && !t.contains("Ã"), "{t:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_fixtures_get_the_errors_their_readme_names() {
    let server = SourceServer::start().await;
    let cases = [
        ("truncated.xml", Some("malformed")),
        ("html-error-page.xml", Some("not_a_feed")),
        ("aspnet-error.xml", Some("not_a_feed")),
        ("xml-bomb.xml", None),
        ("xxe-external-entity.xml", None),
        ("windows-1258.xml", None),
        ("empty-channel.xml", None),
        ("leading-whitespace-bom.xml", None),
        ("declared-latin1-actually-utf8.xml", None),
    ];
    let mut sources = Vec::new();
    for (file, _) in &cases {
        server.fixture(file, &format!("broken/{file}"));
        sources.push((file.trim_end_matches(".xml"), *file, "tinh-uy"));
    }
    let (engine, _dir) = engine(&server, &sources, "per_host = 4");
    let reports = engine.cycle(&[]).await;
    for (file, kind) in cases {
        let r = reports.iter().find(|r| r.source == file.trim_end_matches(".xml")).unwrap();
        assert_eq!(r.error_kind.as_deref(), kind, "{file}: {:?}", r.error);
    }
    let empty = reports.iter().find(|r| r.source == "empty-channel").unwrap();
    assert_eq!((empty.seen, empty.new_items), (0, 0), "zero items is not an error");
}
