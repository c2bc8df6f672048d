//! The documents kept beside the store (`loa-published`): a restart on an unchanged
//! store serves the same bytes and ETags without reading a story; a store that
//! changed after they were kept, other settings, or a damaged file make the start
//! render from the store instead.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{Behavior, SourceServer};
use loa::daemon::Engine;
use loa::model::FeedKind;
use loa::publish::{Coding, Document};

/// An RSS document of `n` items with unrelated titles, newest first.
fn feed(n: usize) -> Vec<u8> {
    const WORDS: [&str; 10] = ["lúa", "cầu", "trường", "điện", "rừng", "cảng", "chợ", "đường", "bệnh viện", "thủy lợi"];
    let items: String = (0..n)
        .rev()
        .map(|i| {
            format!(
                "<item><title>Tin {i}: {} {} {} năm {}</title><link>https://tin.example.vn/bai/{i}.html</link>\
                 <pubDate>Fri, 05 Aug 2022 {:02}:00:00 +0700</pubDate><description>Bài {i} về {} ở xã {}.</description></item>",
                WORDS[i % 10],
                WORDS[(i / 10) % 10],
                WORDS[(i * 7 + 3) % 10],
                2000 + i,
                i % 24,
                WORDS[(i * 3 + 1) % 10],
                i
            )
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Tin</title>{items}</channel></rss>")
        .into_bytes()
}

fn config(server: &SourceServer, store: &Path) -> String {
    common::config_text(server, &[("tinhuy", "tinhuy.rss", "tinh-uy"), ("ubnd", "ubnd.rss", "ubnd-tinh")], store, "")
}

/// A store with both sources polled and rendered (so the documents were kept).
async fn polled(server: &SourceServer, store: &Path) -> Arc<Engine> {
    server.set("tinhuy.rss", Behavior::File(feed(5)));
    server.fixture("ubnd.rss", "tinhuy-rss.xml");
    let engine = common::engine(&config(server, store));
    for r in engine.cycle(&[]).await {
        assert!(r.error.is_none() && r.new_items > 0, "{r:?}");
    }
    engine
}

/// Every first page as the server sends it: each representation's bytes and ETag,
/// Last-Modified and Link; then the stream pages, the agencies page and the OPML list.
fn served(engine: &Engine) -> BTreeMap<String, Vec<Vec<u8>>> {
    let p = &engine.publisher;
    let doc = |d: &Document| {
        let mut v: Vec<Vec<u8>> = [Coding::Identity, Coding::Gzip, Coding::Brotli]
            .iter()
            .flat_map(|&c| [d.body(c).to_vec(), d.etag(c).into_bytes()])
            .collect();
        v.push(d.headers.last_modified.as_ref().map(|h| h.as_bytes().to_vec()).unwrap_or_default());
        v.push(d.headers.link.as_ref().map(|h| h.as_bytes().to_vec()).unwrap_or_default());
        v
    };
    let mut out = BTreeMap::new();
    for (scope, _, _) in p.scopes() {
        for kind in FeedKind::ALL {
            out.insert(format!("{scope:?} {kind:?}"), doc(&p.get(&scope, kind).unwrap()));
        }
        out.insert(format!("{scope:?} page"), doc(&p.first_page(&scope).unwrap()));
    }
    out.insert("agencies".into(), doc(&p.agencies_page().unwrap()));
    out.insert("opml".into(), vec![p.feeds_opml().to_vec()]);
    out
}

fn atom(engine: &Engine) -> String {
    let doc = engine.publisher.get(&loa::store::Scope::All, FeedKind::Atom).unwrap();
    String::from_utf8(doc.bytes.to_vec()).unwrap()
}

/// Removes every story and item record behind loa's back, leaving the indexes
/// and the metadata (and so the generation) as they were.
fn remove_stories(store: &Path) {
    let db = sled::Config::new().path(store).mode(sled::Mode::LowSpace).open().unwrap();
    let tree = db.open_tree("loa").unwrap();
    let doomed: Vec<_> = tree.iter().keys().map(Result::unwrap).filter(|k| k[0] == b's' || k[0] == b'i').collect();
    assert!(doomed.len() > 10);
    for k in doomed {
        tree.remove(k).unwrap();
    }
    db.flush().unwrap();
}

/// The log lines at debug and above that `f` writes on this thread.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl Write for Lines {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&lines.0.lock().unwrap()).into_owned();
    (out, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_an_unchanged_store_installs_the_kept_documents_without_reading_a_story() {
    let server = SourceServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("db");
    let engine = polled(&server, &store).await;
    let before = served(&engine);
    assert!(before.len() > 8, "the merged feed, two agencies, their pages: {:?}", before.keys());
    drop(engine);
    assert!(store.join("loa-published").is_file());

    // Without its stories the store could render no entry: what is served comes
    // from the kept documents alone.
    remove_stories(&store);
    let engine = common::engine(&config(&server, &store));
    assert_eq!(served(&engine), before, "the same bytes, ETags and headers as before the restart");
    assert!(atom(&engine).contains("Tin 4: "), "{}", atom(&engine));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_after_the_documents_were_kept_makes_the_start_render_from_the_store() {
    let server = SourceServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("db");
    let engine = polled(&server, &store).await;
    assert!(!atom(&engine).contains("Tin 5: "));
    // A new story is committed and the process ends before it is rendered (a
    // crash between the commit and the render): the kept documents lack it.
    server.set("tinhuy.rss", Behavior::File(feed(6)));
    let source = engine.config().sources.iter().find(|s| s.id == "tinhuy").unwrap().clone();
    let report = engine.poll(&source).await;
    assert_eq!(report.new_items, 1, "{report:?}");
    assert!(!atom(&engine).contains("Tin 5: "), "not rendered yet");
    drop(engine);

    let engine = common::engine(&config(&server, &store));
    assert!(atom(&engine).contains("Tin 5: "), "rendered from the store: {}", atom(&engine));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_settings_make_the_start_render_from_the_store() {
    let server = SourceServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("db");
    let engine = polled(&server, &store).await;
    let before = served(&engine);
    drop(engine);
    let changes = [
        ("[server]\n", "[publish]\ntitle = \"Tin tỉnh khác\"\n\n[server]\n", "Tin tỉnh khác"),
        ("http://loa.test", "http://tin.example.org", "http://tin.example.org/feed.atom"),
        ("[server]\n", "[publish]\nlang = \"en\"\n\n[server]\n", "lang=\"en\""),
    ];
    for (from, to, shown) in changes {
        let engine = common::engine(&config(&server, &store).replacen(from, to, 1));
        let page = engine.publisher.first_page(&loa::store::Scope::All).unwrap();
        let shown_in = format!("{}{}", atom(&engine), String::from_utf8_lossy(&page.bytes));
        assert!(shown_in.contains(shown), "{to:?} is rendered: {shown_in}");
        drop(engine);
        // And back: the kept documents are those of the other settings now.
        let engine = common::engine(&config(&server, &store));
        assert_eq!(served(&engine), before, "{to:?} undone");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_truncated_or_foreign_file_makes_the_start_render_with_a_log_line() {
    let server = SourceServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("db");
    let engine = polled(&server, &store).await;
    let before = served(&engine);
    drop(engine);
    let file = store.join("loa-published");
    let kept = std::fs::read(&file).unwrap();
    let mut flipped = kept.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let damaged: [(&str, Vec<u8>); 5] = [
        ("flipped", flipped),
        ("truncated", kept[..kept.len() * 2 / 3].to_vec()),
        ("header only", kept[..10].to_vec()),
        ("empty", Vec::new()),
        ("foreign", b"<?xml version=\"1.0\"?><feed/>".repeat(50)),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&file, &bytes).unwrap();
        let (engine, log) = logged(|| common::engine(&config(&server, &store)));
        assert_eq!(served(&engine), before, "{what}: rendered from the store");
        assert!(log.contains("loa-published") && log.contains("rendering from the store"), "{what}: {log}");
        drop(engine);
        // The render kept its documents again: the next start installs them.
        let (engine, log) = logged(|| common::engine(&config(&server, &store)));
        assert!(log.contains("installed the published documents"), "{what}: {log}");
        assert_eq!(served(&engine), before, "{what}");
    }
}

/// `loa run` until its merged feed has `entries` entries, then stopped with
/// SIGTERM; its log.
fn run_until(config: &Path, port: u16, entries: usize) -> String {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["run", "-c"])
        .arg(config)
        .env("RUST_LOG", "loa=info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_for("the feed", std::time::Duration::from_secs(30), || {
        common::http_get(port, "/feed.json").is_some_and(|b| {
            serde_json::from_str::<serde_json::Value>(&b)
                .is_ok_and(|v| v["items"].as_array().map(Vec::len) == Some(entries))
        })
    });
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(status.success(), "{log}");
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_loa_keeps_what_it_rendered_last_when_it_stops() {
    let server = SourceServer::start().await;
    server.set("tinhuy.rss", Behavior::File(feed(5)));
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let config = dir.path().join("loa.toml");
    let text = common::config_text(&server, &[("tinhuy", "tinhuy.rss", "tinh-uy")], &dir.path().join("db"), "")
        .replace("[server]\n", &format!("[server]\nlisten = \"127.0.0.1:{port}\"\n"));
    std::fs::write(&config, text).unwrap();
    // The first render (of the empty store) is kept at once; the render of the
    // first poll follows within `SAVE_EVERY`, so it is kept when loa stops.
    let first = tokio::task::spawn_blocking({
        let config = config.clone();
        move || run_until(&config, port, 5)
    })
    .await
    .unwrap();
    assert!(!first.contains("installed the published documents"), "{first}");
    // The source answers 304 now: the store stays as it was rendered from.
    let second = tokio::task::spawn_blocking(move || run_until(&config, port, 5)).await.unwrap();
    assert!(second.contains("installed the published documents"), "{second}");
}
