//! The `loa` binary as an operator uses it: check, fetch, run and restart.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Behavior, SourceServer};

fn loa(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loa")).args(args).arg("-c").arg(config).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn check_reports_every_mistake_with_its_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loa.toml");
    std::fs::write(
        &path,
        "[poll]\ninterval = \"every hour\"\n\n[[source]]\nid = \"tinhuy\"\nurl = \"https://bentre.dcs.vn/rss\"\nagency = \"ban-khong-co\"\n\n[[source]]\nid = \"tinhuy\"\nurl = \"https://bentre.gov.vn/rss\"\nagency = \"tinh-uy\"\n",
    )
    .unwrap();
    let out = loa(&["check"], &path);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let p = path.display();
    assert!(stderr.contains(&format!("{p}:2:12: \"interval\" = \"every hour\" is not a duration")), "{stderr}");
    assert!(stderr.contains(&format!("{p}:7:10: unknown agency \"ban-khong-co\"")), "{stderr}");
    assert!(stderr.contains(&format!("{p}:10:6: duplicate source id \"tinhuy\"")), "{stderr}");
    assert!(stderr.contains("3 errors in the config"), "{stderr}");

    std::fs::write(&path, "[[source]]\nid = \"tinhuy\"\nurl = \"https://bentre.dcs.vn/rss\"\nagency = \"tinh-uy\"\n")
        .unwrap();
    let out = loa(&["check"], &path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // run and fetch refuse a bad config the same way.
    std::fs::write(&path, "[poll]\nconcurrency = 0\n").unwrap();
    for cmd in ["run", "fetch"] {
        let out = loa(&[cmd], &path);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains(":2:15:"), "{cmd}: {}", text(&out));
    }
}

#[test]
fn missing_config_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_loa")).args(["check", "-c", "/nonexistent/loa.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read config file /nonexistent/loa.toml"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_ready(base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("loa run exited early: {status}");
        }
        if get(&format!("{base}/healthz")).is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("loa run did not start serving");
}

/// A blocking GET returning (status, etag, body).
fn get(url: &str) -> Option<(u16, String, Vec<u8>)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}")))?;
    let mut s = std::net::TcpStream::connect(host).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let etag = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().starts_with("etag:").then(|| l[5..].trim().to_string()))
        .unwrap_or_default();
    Some((status, etag, buf[split + 4..].to_vec()))
}

fn stop(mut child: Child) -> std::process::ExitStatus {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "loa run did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `loa run`, reads the three merged feeds once it serves, and stops it:
/// the feeds as (status, ETag, body) and the exit status.
fn run_and_read_feeds(config: &std::path::Path, base: &str) -> (Vec<(u16, String, Vec<u8>)>, std::process::ExitStatus) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["run", "-c"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(base, &mut child);
    let feeds = ["feed.atom", "feed.rss", "feed.json"].iter().map(|f| get(&format!("{base}/{f}")).unwrap()).collect();
    (feeds, stop(child))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_prints_a_line_per_source_and_run_restarts_with_the_same_feeds() {
    let server = SourceServer::start().await;
    server.fixture("tinhuy.rss", "tinhuy-rss.xml");
    server.fixture("ubnd.atom", "ubnd-atom.xml");
    server.set("down.rss", Behavior::Status(500));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("loa.toml");
    let config_body = common::config_text(
        &server,
        &[("tinhuy", "tinhuy.rss", "tinh-uy"), ("ubnd", "ubnd.atom", "ubnd-tinh"), ("down", "down.rss", "tinh-uy")],
        &dir.path().join("db"),
        "",
    )
    .replace("[server]\n", &format!("[server]\nlisten = \"127.0.0.1:{port}\"\n"));
    std::fs::write(&config, config_body).unwrap();

    let out = tokio::task::spawn_blocking({
        let config = config.clone();
        move || loa(&["fetch"], &config)
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "a failed source makes fetch exit 1: {}", text(&out));
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("tinhuy") && l.contains("200") && l.contains("8 new")), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("ubnd") && l.contains("6 new")), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("down") && l.contains("error") && l.contains("HTTP 500")), "{stdout}");

    let base = format!("http://127.0.0.1:{port}");
    let first = tokio::task::spawn_blocking({
        let (config, base) = (config.clone(), base.clone());
        move || run_and_read_feeds(&config, &base)
    })
    .await
    .unwrap();
    assert!(first.1.success(), "SIGTERM ends loa run with exit 0: {}", first.1);
    for (status, etag, body) in &first.0 {
        assert_eq!(*status, 200);
        assert!(etag.starts_with('"'));
        assert!(!body.is_empty());
    }
    assert_eq!(feed_rs::parser::parse(&first.0[0].2[..]).unwrap().entries.len(), 12);

    let second = tokio::task::spawn_blocking(move || run_and_read_feeds(&config, &base)).await.unwrap();
    assert_eq!(first.0, second.0, "a new process serves the same bytes and ETags");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_delivers_its_websub_pings_before_exiting() {
    let server = SourceServer::start().await;
    server.fixture("tinhuy.rss", "tinhuy-rss.xml");
    // A hub that takes its time to answer, as real ones do.
    let hub = common::FakeHub::start(Duration::from_millis(300)).await;
    let hub_url = hub.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loa.toml");
    let body = common::config_text(&server, &[("tinhuy", "tinhuy.rss", "tinh-uy")], &dir.path().join("db"), "")
        .replace("[server]\n", &format!("[publish]\nhubs = [\"{hub_url}\"]\n\n[server]\n"));
    std::fs::write(&config, body).unwrap();

    let out = tokio::task::spawn_blocking(move || loa(&["fetch"], &config)).await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let pinged = hub.pings();
    assert!(
        pinged.iter().any(|b| b.contains("feed.atom")),
        "the merged feed changed, so its hub heard of it before fetch exited: {pinged:?}"
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loa.toml");
    std::fs::write(&config, format!("[store]\npath = {:?}\n", dir.path().join("db").display().to_string())).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tinhuy-rss.xml");
    // As `loa inspect … | head -1`: the reader goes away after the first line.
    let fixtures: Vec<_> = std::iter::repeat_n(fixture.as_os_str(), 200).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
        .arg("inspect")
        .args(&fixtures)
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn import_opml_adds_new_feeds_and_keeps_the_config_valid() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loa.toml");
    std::fs::write(&config, "# Bến Tre\n[[source]]\nid = \"tinhuy\"\nurl = \"https://bentre.dcs.vn/rss\"\nagency = \"tinh-uy\"  # the Party portal\n").unwrap();
    let opml = dir.path().join("reader.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="Tỉnh">
<outline text="Sở Y tế" type="rss" xmlUrl="https://syt.bentre.gov.vn/rss"/>
<outline text="Tin Tỉnh ủy" type="rss" xmlUrl="https://bentre.dcs.vn/rss"/>
<outline text="Blog ai đó" type="rss" xmlUrl="https://blog.example.com/feed"/>
</outline></body></opml>"#,
    )
    .unwrap();
    let out = loa(&["import-opml", opml.to_str().unwrap()], &config);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("added    so-y-te"), "{stdout}");
    assert!(stdout.contains("already a source"), "{stdout}");
    assert!(stdout.contains("no agency"), "{stdout}");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.starts_with("# Bến Tre\n"), "comments kept: {written}");
    assert!(written.contains("# the Party portal"));
    assert!(written.contains("agency = \"so-y-te\""));
    assert_eq!(loa(&["check"], &config).status.code(), Some(0));
    // With a default agency the blog is added too; nothing is added twice.
    let out = loa(&["import-opml", opml.to_str().unwrap(), "--agency", "ubnd-tinh"], &config);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = std::fs::read_to_string(&config).unwrap();
    assert_eq!(written.matches("[[source]]").count(), 3, "{written}");
}

#[test]
fn demo_on_a_busy_port_names_its_listen_option() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_loa")).args(["demo", "--listen", &addr]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("cannot listen on {addr}")) && stderr.contains("--listen"), "{stderr}");
    assert!(!stderr.contains("[server]"), "the demo has no config: {stderr}");
}

/// A child process killed if the test fails before stopping it.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn demo_reads_an_html_only_portal_and_publishes_clean_links() {
    let base = format!("http://127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["demo", "--listen", base.trim_start_matches("http://")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut demo = KillOnDrop(Some(child));
    wait_ready(&base, demo.0.as_mut().unwrap());
    // Every sample source is polled at start; wait for the four of them.
    let deadline = Instant::now() + Duration::from_secs(20);
    let feed = loop {
        let (_, _, body) = get(&format!("{base}/feed.json")).unwrap();
        let feed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let sources: std::collections::BTreeSet<String> = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["_loa"]["sources"].as_array().unwrap().iter())
            .map(|s| s["source"].as_str().unwrap().to_string())
            .collect();
        if sources.len() == 4 {
            break feed;
        }
        assert!(Instant::now() < deadline, "the demo polled only {sources:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let items = feed["items"].as_array().unwrap();
    let danvan = items.iter().find(|i| i["_loa"]["sources"][0]["source"] == "danvan").unwrap();
    assert!(danvan["url"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{danvan}");
    // The 2022 samples: the undated item of the newspaper's feed is not today's top story.
    assert!(!items[0]["title"].as_str().unwrap().contains("trồng dừa"), "{}", items[0]);
    let undated = items.iter().position(|i| i["title"].as_str().unwrap().contains("trồng dừa")).unwrap();
    let date = items[undated]["date_published"].as_str().unwrap();
    assert!(date.starts_with("2022-08-0") && undated > 2, "placed among its 2022 neighbours: {date}, #{undated}");
    for path in ["feed.atom", "feed.rss", "feed.json", ""] {
        let (status, _, body) = get(&format!("{base}/{path}")).unwrap();
        assert_eq!(status, 200);
        assert!(!String::from_utf8_lossy(&body).contains("utm_"), "/{path} publishes a tracking parameter");
    }
    assert!(stop(demo.0.take().unwrap()).success());
}

#[test]
fn sources_says_which_time_zone_its_times_are_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loa.toml");
    let store = dir.path().join("db");
    std::fs::write(
        &path,
        format!("[store]\npath = {:?}\n[poll]\ntimezone = \"+07:00\"\n", store.display().to_string()),
    )
    .unwrap();
    drop(loa::store::Store::open(&store, 1 << 20).unwrap());
    let out = loa(&["sources"], &path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Times are in +07:00 ([poll].timezone)."), "{}", text(&out));
}
