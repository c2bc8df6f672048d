//! Operations: retention, store upkeep, reload, systemd notification, stopping,
//! and crash safety, with the `loa` binary where a process is what matters.

mod common;

use std::collections::HashSet;
use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Behavior, SourceServer};
use loa::config::Config;
use loa::daemon::Engine;
use loa::model::FeedKind;
use loa::store::{Scope, Store};

async fn ingested(dir: &Path, extra_store: &str) -> (SourceServer, Arc<Engine>, String) {
    let server = SourceServer::start().await;
    server.fixture("tinhuy.rss", "tinhuy-rss.xml");
    server.fixture("ubnd.atom", "ubnd-atom.xml");
    let text = common::config_text(
        &server,
        &[("tinhuy", "tinhuy.rss", "tinh-uy"), ("ubnd", "ubnd.atom", "ubnd-tinh")],
        &dir.join("db"),
        "",
    )
    .replace("[store]\n", &format!("[store]\n{extra_store}\n"));
    let engine = Arc::new(Engine::new(Config::parse(&text, "t.toml").unwrap()).unwrap());
    engine.cycle(&[]).await;
    (server, engine, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_removes_old_stories_everywhere_and_verify_passes() {
    let dir = tempfile::tempdir().unwrap();
    // The fixtures are from 2022: a retention of 30 days removes all but the one
    // undated item (dated when first seen, today).
    let (_server, engine, _) = ingested(dir.path(), "retention_days = 30").await;
    assert!(engine.store.story_count() > 5);
    assert!(engine.store.verify().unwrap().is_empty(), "{:?}", engine.store.verify().unwrap());
    let removed = engine.prune_now().unwrap();
    assert_eq!(removed, 12, "every story of 2022");
    assert_eq!(engine.store.story_count(), 0);
    assert!(engine.store.verify().unwrap().is_empty(), "{:?}", engine.store.verify().unwrap());
    let atom = engine.publisher.get(&Scope::All, FeedKind::Atom).unwrap();
    assert_eq!(feed_rs::parser::parse(&atom.bytes[..]).unwrap().entries.len(), 0);
    assert!(
        engine.publisher.get(&Scope::Agency("ban-dan-van-tinh-uy".into()), FeedKind::Atom).is_none(),
        "emptied agency feeds go"
    );
    assert!(engine.store.agencies().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_stories_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, engine, _) = ingested(dir.path(), "max_stories = 5").await;
    let newest: Vec<String> = engine.store.latest(&Scope::All, 5).unwrap().into_iter().map(|s| s.id.0).collect();
    engine.prune_now().unwrap();
    assert_eq!(engine.store.story_count(), 5);
    let kept: Vec<String> = engine.store.latest(&Scope::All, 10).unwrap().into_iter().map(|s| s.id.0).collect();
    assert_eq!(kept, newest);
    assert!(engine.store.verify().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_compaction_and_recovery_keep_every_story() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, engine, _) = ingested(dir.path(), "").await;
    let stories = engine.store.story_count();
    let ids: Vec<String> = engine.store.latest(&Scope::All, 100).unwrap().into_iter().map(|s| s.id.0).collect();
    let backup = dir.path().join("backup.jsonl");
    let n = loa::upkeep::export(&engine.store, &backup).unwrap();
    assert!(n > 50);
    drop(engine);

    let other = dir.path().join("other");
    loa::upkeep::import(&other, 1 << 20, &backup).unwrap();
    let restored = Store::open(&other, 1 << 20).unwrap();
    assert_eq!(restored.story_count(), stories);
    assert!(restored.verify().unwrap().is_empty());
    drop(restored);

    let db = dir.path().join("db");
    let (before, after) = loa::upkeep::compact(&db, 1 << 20).unwrap();
    assert!(before > 0 && after > 0);
    let compacted = Store::open(&db, 1 << 20).unwrap();
    let again: Vec<String> = compacted.latest(&Scope::All, 100).unwrap().into_iter().map(|s| s.id.0).collect();
    assert_eq!(again, ids);
    drop(compacted);

    let r = loa::upkeep::recover(&db, 1 << 20).unwrap();
    assert_eq!(r.carried.stories as usize, stories);
    assert!(r.complete(), "{r:?}");
    assert!(r.kept.exists());
    assert!(Store::open(&db, 1 << 20).unwrap().verify().unwrap().is_empty());

    // A backup from a newer loa is refused, saying why.
    let future = dir.path().join("future.jsonl");
    std::fs::write(&future, "{\"loa_store\":99}\n").unwrap();
    let err = loa::upkeep::import(&other, 1 << 20, &future).unwrap_err();
    assert!(err.to_string().contains("newer loa"), "{err}");
}

// ---- the binary ----

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn_loa(config: &Path, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loa"));
    cmd.args(["run", "-c"]).arg(config).stdout(Stdio::null()).stderr(Stdio::piped()).env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.starts_with("HTTP/1.1 200").then(|| buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

fn signal(child: &Child, sig: &str) {
    Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap();
}

fn exit_within(mut child: Child, limit: Duration) -> (std::process::ExitStatus, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status, err);
        }
        assert!(Instant::now() < deadline, "loa did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn config_for(server: &SourceServer, dir: &Path, port: u16, sources: &[(&str, &str)]) -> String {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\n[store]\npath = {:?}\n\
         [poll]\ninterval = \"1s\"\nmax_interval = \"1s\"\nhost_spacing = \"0s\"\nper_host = 4\ntimeout = \"5s\"\n",
        dir.join("db").display().to_string()
    );
    for (id, path) in sources {
        text.push_str(&format!("[[source]]\nid = \"{id}\"\nurl = \"{}\"\nagency = \"tinh-uy\"\n", server.url(path)));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_sources_and_refuses_a_broken_config() {
    let server = SourceServer::start().await;
    // Feeds without a <ttl>, so the one-second interval holds.
    server.fixture("a.rss", "ubnd-atom.xml");
    server.fixture("b.atom", "baodongkhoi-rss.xml");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("loa.toml");
    std::fs::write(&path, config_for(&server, dir.path(), port, &[("a", "a.rss")])).unwrap();
    let child = spawn_loa(&path, &[]);
    let server = Arc::new(server);
    tokio::task::spawn_blocking({
        let path = path.clone();
        let dir = dir.path().to_path_buf();
        let server = server.clone();
        let s_url = (server.url("a.rss"), server.url("b.atom"));
        move || {
            wait_for("the first poll", Duration::from_secs(20), || {
                http_get(port, "/status").is_some_and(|b| b.contains("\"items\":6"))
            });
            // A new source: polled without a restart.
            let text = std::fs::read_to_string(&path).unwrap()
                + &format!("[[source]]\nid = \"b\"\nurl = \"{}\"\nagency = \"bao-dong-khoi\"\n", s_url.1);
            std::fs::write(&path, text).unwrap();
            signal(&child, "-HUP");
            wait_for("the new source", Duration::from_secs(20), || {
                http_get(port, "/status").is_some_and(|b| b.contains("\"id\":\"b\"") && b.contains("\"items\":6"))
            });
            // A broken config: errors logged, the old sources still polled.
            std::fs::write(&path, "[poll]\ninterval = \"often\"\n").unwrap();
            signal(&child, "-HUP");
            let polls_then = server.seen("a.rss").len();
            wait_for("a poll after the broken reload", Duration::from_secs(10), || {
                server.seen("a.rss").len() > polls_then
            });
            assert!(
                http_get(port, "/status").is_some_and(|b| b.contains("\"id\":\"b\"")),
                "still serving the old config"
            );
            signal(&child, "-TERM");
            let (status, log) = exit_within(child, Duration::from_secs(10));
            assert!(status.success(), "{status}: {log}");
            assert!(log.contains("config not reloaded"), "{log}");
            assert!(log.contains("is not a duration"), "{log}");
            assert!(log.contains("config reloaded"), "{log}");
            let _ = (dir, s_url.0);
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn systemd_notifications_arrive_on_the_notify_socket() {
    let server = SourceServer::start().await;
    server.fixture("a.rss", "tinhuy-rss.xml");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("loa.toml");
    std::fs::write(&path, config_for(&server, dir.path(), port, &[("a", "a.rss")])).unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let child = spawn_loa(&path, &[("NOTIFY_SOCKET", socket_path.to_str().unwrap()), ("WATCHDOG_USEC", "400000")]);
    let got = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline
            && !(seen.contains("READY=1") && seen.contains("WATCHDOG=1") && seen.contains("stories"))
        {
            if let Ok(n) = socket.recv(&mut buf) {
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
        signal(&child, "-TERM");
        let (status, _) = exit_within(child, Duration::from_secs(10));
        assert!(status.success());
        seen
    })
    .await
    .unwrap();
    assert!(got.contains("READY=1"), "{got}");
    assert!(got.contains("STATUS=1 sources,"), "{got}");
    assert!(got.contains("WATCHDOG=1"), "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_poll_exits_cleanly_and_loses_nothing() {
    let server = SourceServer::start().await;
    server.fixture("a.rss", "tinhuy-rss.xml");
    server.set("slow.rss", Behavior::Delay(Duration::from_secs(30), common::read_fixture("ubnd-atom.xml")));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("loa.toml");
    std::fs::write(&path, config_for(&server, dir.path(), port, &[("a", "a.rss"), ("slow", "slow.rss")])).unwrap();
    let (before, after) = tokio::task::spawn_blocking(move || {
        let child = spawn_loa(&path, &[]);
        wait_for("the first source", Duration::from_secs(20), || {
            http_get(port, "/feed.json").is_some_and(|b| b.matches("\"id\": \"tag:").count() == 8)
        });
        let before = http_get(port, "/feed.json").unwrap();
        // The slow source is in flight now.
        let t = Instant::now();
        signal(&child, "-TERM");
        let (status, log) = exit_within(child, Duration::from_secs(5));
        assert!(status.success(), "{status}: {log}");
        assert!(t.elapsed() < Duration::from_secs(5));
        let child = spawn_loa(&path, &[]);
        wait_for("the restart", Duration::from_secs(20), || http_get(port, "/healthz").is_some());
        let after = http_get(port, "/feed.json").unwrap();
        signal(&child, "-TERM");
        exit_within(child, Duration::from_secs(10));
        (before, after)
    })
    .await
    .unwrap();
    let ids = |b: &str| {
        let v: serde_json::Value = serde_json::from_str(b).unwrap();
        v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect::<HashSet<_>>()
    };
    assert!(ids(&before).is_subset(&ids(&after)));
}

/// A feed of `n` items with titles unique to `feed`.
fn generated_feed(feed: usize, n: usize) -> Vec<u8> {
    let items: String = (0..n)
        .map(|i| {
            format!(
                "<item><title>Tin số {i} của nguồn {feed}: hội nghị chuyên đề lần {i}</title><link>https://s{feed}.example.vn/{i}.html</link>\
                 <guid>s{feed}-{i}</guid><pubDate>Mon, {:02} Nov 2026 08:00:00 +0700</pubDate><description>Nội dung {feed}-{i}.</description></item>",
                1 + (i % 25)
            )
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Nguồn {feed}</title><link>https://s{feed}.example.vn/</link>{items}</channel></rss>").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingest_twenty_times_loses_and_doubles_nothing() {
    let server = SourceServer::start().await;
    let feeds = 12;
    let per_feed = 15;
    let mut sources = Vec::new();
    for f in 0..feeds {
        server.set(&format!("f{f}.rss"), Behavior::File(generated_feed(f, per_feed)));
        sources.push((format!("s{f}"), format!("f{f}.rss")));
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("loa.toml");
    let refs: Vec<(&str, &str)> = sources.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    std::fs::write(&path, config_for(&server, dir.path(), port, &refs)).unwrap();
    let served = tokio::task::spawn_blocking(move || {
        let mut served: HashSet<String> = HashSet::new();
        for round in 0..20u64 {
            let child = spawn_loa(&path, &[]);
            wait_for("serving after a kill", Duration::from_secs(30), || http_get(port, "/healthz").is_some());
            // Every entry, page after page (`?limit` is capped below the 180 entries).
            let mut ids: Vec<String> = Vec::new();
            let mut page = Some("/feed.json?limit=100".to_string());
            while let Some(path) = page.take() {
                let body = http_get(port, &path).expect("the store always opens");
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                ids.extend(v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()));
                let base = format!("http://127.0.0.1:{port}");
                page = v["next_url"].as_str().and_then(|u| u.strip_prefix(&base)).map(str::to_string);
            }
            let unique: HashSet<String> = ids.iter().cloned().collect();
            assert_eq!(unique.len(), ids.len(), "round {round}: no entry twice");
            assert!(served.is_subset(&unique), "round {round}: every entry served before a kill is served after it");
            served = unique;
            // Kill at a moment that varies from round to round, mid-ingest early on.
            std::thread::sleep(Duration::from_millis(40 + (round * 137) % 400));
            signal(&child, "-KILL");
            let _ = exit_within(child, Duration::from_secs(5));
        }
        served
    })
    .await
    .unwrap();
    assert_eq!(served.len(), feeds * per_feed, "everything was ingested in the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_oversized_clients_do_not_starve_readers() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, engine, _) = ingested(dir.path(), "").await;
    let state = Arc::new(loa::serve::AppState {
        publisher: engine.publisher.clone(),
        store: engine.store.clone(),
        metrics: engine.metrics.clone(),
        config: engine.shared_config(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = tokio_util::sync::CancellationToken::new();
    let limits = loa::serve::Limits { max_connections: 4096, header_timeout: Duration::from_secs(1) };
    tokio::spawn(loa::serve::serve(
        listener,
        loa::serve::public(state, true),
        limits,
        stop.clone(),
        Duration::from_secs(2),
    ));

    // Many idle connections (the descriptor limit permitting)...
    let idle_count = 400;
    let mut idle = Vec::new();
    for _ in 0..idle_count {
        idle.push(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    // ...do not keep a reader from being served.
    let t = Instant::now();
    let body = tokio::task::spawn_blocking(move || http_get(port, "/feed.atom")).await.unwrap();
    assert!(body.is_some_and(|b| b.contains("<feed")));
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // And they are closed once the header timeout passes.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let reads = idle.into_iter().map(|mut s| async move {
        let mut rest = Vec::new();
        // A 408 or nothing, then the end: the server closed it.
        tokio::time::timeout(Duration::from_millis(500), tokio::io::AsyncReadExt::read_to_end(&mut s, &mut rest))
            .await
            .is_ok()
    });
    let closed = futures_util::future::join_all(reads).await.into_iter().filter(|c| *c).count();
    assert_eq!(closed, idle_count, "idle connections are dropped");

    // A request head larger than loa accepts is refused, not buffered.
    let huge = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = write!(s, "GET /feed.atom HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(200_000));
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    })
    .await
    .unwrap();
    assert!(!huge.starts_with("HTTP/1.1 200"), "{}", &huge[..huge.len().min(80)]);
    stop.cancel();
}
