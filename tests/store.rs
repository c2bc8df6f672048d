//! The store as an operator meets it: a check that changes nothing, upkeep that
//! refuses a store in use, read commands beside a running loa, damage that never
//! panics or hides, upkeep killed midway, and a full disk.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Behavior, SourceServer};
use loa::store::{Scope, Store};

fn loa(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loa")).args(args).arg("-c").arg(config).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// No panic, whatever the exit code says.
fn assert_no_panic(what: &str, out: &Output) {
    assert_ne!(out.status.code(), Some(101), "{what} panicked: {}", text(out));
    assert!(!text(out).contains("panicked"), "{what} panicked: {}", text(out));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
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

fn spawn_run(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["run", "-c"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Stops `loa run` with SIGTERM; its exit status and log.
fn stop(mut child: Child) -> (std::process::ExitStatus, String) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status, err);
        }
        assert!(Instant::now() < deadline, "loa did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The entry ids a running loa serves in its merged JSON feed.
fn served_ids(port: u16) -> BTreeSet<String> {
    let body = http_get(port, "/feed.json").expect("the feed is served");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

/// The ids of every story in the store at `path`.
fn stored_ids(path: &Path) -> BTreeSet<String> {
    let store = Store::open(path, 1 << 20).unwrap();
    store.latest(&Scope::All, 1_000_000).unwrap().into_iter().map(|s| s.id.0).collect()
}

/// Every file under `dir` and its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.insert(p.clone(), std::fs::read(&p).unwrap());
        }
    }
    out
}

/// A feed that lists one entry twice (same guid, link and date, another category).
fn repeating_feed() -> Vec<u8> {
    let item = |cat: &str, n: u32| {
        format!(
            "<item><title>Hội nghị chuyên đề số {n} của tỉnh về chuyển đổi số</title>\
             <link>https://lap.example.vn/{n}.html</link><guid>lap-{n}</guid>\
             <pubDate>Mon, 02 Nov 2026 08:0{n}:00 +0700</pubDate><category>{cat}</category>\
             <description>Nội dung của tin số {n}.</description></item>"
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Lặp</title>\
         <link>https://lap.example.vn/</link>{}{}{}</channel></rss>",
        item("Tin tức", 1),
        item("Thời sự", 1),
        item("Tin tức", 2)
    )
    .into_bytes()
}

/// Local sources (one repeating an entry) and a config for them with the store
/// at `dir/db`, listening on `port`.
async fn sources(dir: &Path, port: u16) -> (SourceServer, PathBuf) {
    let server = SourceServer::start().await;
    server.fixture("tinhuy.rss", "tinhuy-rss.xml");
    server.fixture("ubnd.atom", "ubnd-atom.xml");
    server.set("lap.rss", Behavior::File(repeating_feed()));
    let mut config = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\n[store]\npath = {:?}\n\
         [poll]\ninterval = \"1h\"\nhost_spacing = \"0s\"\nper_host = 4\ntimeout = \"5s\"\n",
        dir.join("db").display().to_string()
    );
    for (id, path, agency) in
        [("tinhuy", "tinhuy.rss", "tinh-uy"), ("ubnd", "ubnd.atom", "ubnd-tinh"), ("lap", "lap.rss", "tinh-uy")]
    {
        config.push_str(&format!("[[source]]\nid = \"{id}\"\nurl = \"{}\"\nagency = \"{agency}\"\n", server.url(path)));
    }
    let path = dir.join("loa.toml");
    std::fs::write(&path, config).unwrap();
    (server, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_on_a_healthy_store_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, config) = sources(dir.path(), free_port()).await;
    let config2 = config.clone();
    let (fetched, before, verified, after) = tokio::task::spawn_blocking(move || {
        let fetched = loa(&["fetch"], &config2);
        let before = files(&config2.with_file_name("db"));
        let verified = loa(&["store", "verify"], &config2);
        let after = files(&config2.with_file_name("db"));
        (fetched, before, verified, after)
    })
    .await
    .unwrap();
    assert!(fetched.status.success(), "{}", text(&fetched));
    assert!(text(&fetched).contains("lap              ok     200  2 new"), "{}", text(&fetched));
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(text(&verified).contains(": 0 problems"), "{}", text(&verified));
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    for (file, bytes) in &before {
        assert!(after[file] == *bytes, "{} changed", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_loa_answers_read_commands_and_upkeep_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, config) = sources(dir.path(), port).await;
    let d = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let child = spawn_run(&config);
        wait_for("the first polls", Duration::from_secs(30), || {
            http_get(port, "/status").is_some_and(|b| b.matches("\"last_success\":\"").count() == 3)
        });
        // Rendered moments after the polls stored them.
        wait_for("the entries served", Duration::from_secs(10), || served_ids(port).len() > 10);
        let served = served_ids(port);

        // Upkeep that rewrites the store refuses it, naming the holder and a safe step.
        let backup = d.join("backup.jsonl");
        std::fs::write(&backup, "{\"loa_store\":2}\n").unwrap();
        for args in [&["store", "recover"][..], &["store", "compact"], &["store", "import", backup.to_str().unwrap()]] {
            let out = loa(args, &config);
            assert_no_panic(&args.join(" "), &out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
            let msg = text(&out);
            assert!(msg.contains(&format!("in use by process {}", child.id())), "{args:?}: {msg}");
            assert!(msg.contains("stop it first"), "{args:?}: {msg}");
            assert!(!msg.contains("run `loa store recover`"), "{args:?}: {msg}");
        }
        assert!(d.join("db").join("db").exists());
        assert!(loa::store::siblings(&d.join("db"), "damaged").is_empty(), "nothing was moved aside");

        // Read commands are answered by the running loa.
        let out = loa(&["sources"], &config);
        assert!(out.status.success(), "{}", text(&out));
        let table = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(table.starts_with("SOURCE"), "{table}");
        for id in ["tinhuy", "ubnd", "lap"] {
            assert!(table.lines().any(|l| l.starts_with(id) && l.ends_with("ok")), "{id}: {table}");
        }
        let out = loa(&["store", "verify"], &config);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains(": 0 problems"), "{}", text(&out));
        let backup = d.join("live.jsonl");
        let out = loa(&["store", "export", backup.to_str().unwrap()], &config);
        assert!(out.status.success(), "{}", text(&out));
        let site = d.join("site");
        let out = loa(&["export", "--out", site.to_str().unwrap()], &config);
        assert!(out.status.success(), "{}", text(&out));
        let exported = std::fs::read_to_string(site.join("feed.json")).unwrap();
        assert_eq!(exported.matches("\"id\": \"tag:").count(), served.len().min(50));

        let (status, log) = stop(child);
        assert!(status.success(), "{log}");
        // After a restart, every entry is still served.
        let child = spawn_run(&config);
        wait_for("the restart", Duration::from_secs(20), || http_get(port, "/healthz").is_some());
        assert_eq!(served_ids(port), served);
        stop(child);

        // The live backup restores every story into an empty store.
        let restored_config = d.join("restored.toml");
        let text_config = std::fs::read_to_string(&config).unwrap().replace(
            &format!("{:?}", d.join("db").display().to_string()),
            &format!("{:?}", d.join("restored").display().to_string()),
        );
        std::fs::write(&restored_config, text_config).unwrap();
        let out = loa(&["store", "import", backup.to_str().unwrap()], &restored_config);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(stored_ids(&d.join("restored")), stored_ids(&d.join("db")));
        let out = loa(&["store", "verify"], &restored_config);
        assert!(out.status.success(), "{}", text(&out));
    })
    .await
    .unwrap();
}

/// A config for the store at `store` with no sources: what `loa run` serves
/// comes from the store alone.
fn store_config(dir: &Path, store: &Path, port: u16) -> PathBuf {
    let path = dir.join(format!("{}.toml", store.file_name().unwrap().to_string_lossy()));
    std::fs::write(
        &path,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\n[store]\npath = {:?}\n",
            store.display().to_string()
        ),
    )
    .unwrap();
    path
}

/// `loa run` on a config: the entries it serves, or its exit code and log when it
/// refuses to start.
fn run_once(config: &Path, port: u16) -> Result<BTreeSet<String>, (Option<i32>, String)> {
    let mut child = spawn_run(config);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return Err((status.code(), err));
        }
        if http_get(port, "/healthz").is_some() {
            let ids = served_ids(port);
            let (status, log) = stop(child);
            assert!(status.success(), "{log}");
            return Ok(ids);
        }
        assert!(Instant::now() < deadline, "loa run neither served nor exited");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Replaces `n` bytes of `file` at places a seeded generator picks.
fn flip_bytes(file: &Path, seed: u64, n: usize) {
    let mut bytes = std::fs::read(file).unwrap();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = (x % bytes.len() as u64) as usize;
        bytes[at] ^= (x >> 32) as u8 | 1;
    }
    std::fs::write(file, bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

type Damage = Box<dyn Fn(&Path) + Send>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_never_panics_and_never_hides() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, config) = sources(dir.path(), free_port()).await;
    let d = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = loa(&["fetch"], &config);
        assert!(out.status.success(), "{}", text(&out));
        let original = d.join("db");
        let ids = stored_ids(&original);
        assert!(ids.len() > 10);
        let len = std::fs::metadata(original.join("db")).unwrap().len();
        let snapshots = |store: &Path| -> Vec<PathBuf> {
            std::fs::read_dir(store)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("snap."))
                .collect()
        };
        assert!(!snapshots(&original).is_empty(), "sled keeps a snapshot");

        // (name, damage, whether only metadata is damaged: then nothing may be lost)
        let mut cases: Vec<(String, Damage, bool)> = Vec::new();
        for cut in [len / 10, len / 2, len * 9 / 10, len - 64] {
            cases.push((
                format!("db truncated at {cut} of {len}"),
                Box::new(move |s: &Path| {
                    std::fs::OpenOptions::new().write(true).open(s.join("db")).unwrap().set_len(cut).unwrap()
                }),
                false,
            ));
        }
        for seed in 1..=10u64 {
            cases.push((
                format!("db with bytes flipped (seed {seed})"),
                Box::new(move |s: &Path| flip_bytes(&s.join("db"), seed, if seed % 2 == 0 { 24 } else { 3 })),
                false,
            ));
        }
        cases.push((
            "conf replaced by garbage".into(),
            Box::new(|s: &Path| std::fs::write(s.join("conf"), b"\x00garbage\xff").unwrap()),
            true,
        ));
        cases.push((
            "snapshots deleted".into(),
            Box::new(move |s: &Path| snapshots(s).iter().for_each(|p| std::fs::remove_file(p).unwrap())),
            true,
        ));
        cases.push((
            "snapshots corrupted".into(),
            Box::new(move |s: &Path| snapshots(s).iter().for_each(|p| flip_bytes(p, 7, 16))),
            true,
        ));
        cases.push((
            "blobs emptied".into(),
            Box::new(|s: &Path| {
                std::fs::remove_dir_all(s.join("blobs")).unwrap();
                std::fs::create_dir(s.join("blobs")).unwrap();
            }),
            true,
        ));

        for (i, (name, damage, metadata_only)) in cases.iter().enumerate() {
            // Two copies with the same damage: `loa run` meets one, `recover` the
            // other (sled's own recovery zeroes what follows a damaged record in
            // the store it opens, so recover comes first on a damaged store).
            let store = d.join(format!("case{i}"));
            let other = d.join(format!("case{i}-run"));
            for s in [&store, &other] {
                copy_dir(&original, s);
                damage(s);
            }
            let port = free_port();
            let config = store_config(&d, &store, port);
            let run_config = store_config(&d, &other, port);

            let verify = loa(&["store", "verify"], &config);
            assert_no_panic(&format!("{name}: verify"), &verify);

            let ran = run_once(&run_config, port);
            match &ran {
                // A store loa runs on is whole: damage that loses entries is refused.
                Ok(served) => {
                    assert!(served.len() == ids.len().min(50), "{name}: run serves {} of {}", served.len(), ids.len())
                }
                Err((code, log)) => {
                    assert_eq!(*code, Some(1), "{name}: run: {log}");
                    assert!(!log.contains("panicked"), "{name}: run: {log}");
                    assert!(log.contains("loa store recover"), "{name}: run names recover: {log}");
                }
            }

            let recover = loa(&["store", "recover"], &config);
            assert_no_panic(&format!("{name}: recover"), &recover);
            let said = text(&recover);
            eprintln!(
                "{name}: verify {:?}, run {}, recover {:?}: {}",
                verify.status.code(),
                match &ran {
                    Ok(s) => format!("served {}", s.len()),
                    Err((code, log)) => format!("refused ({code:?}): {}", log.lines().last().unwrap_or("")),
                },
                recover.status.code(),
                said.trim()
            );
            if *metadata_only {
                assert!(recover.status.success(), "{name}: {said}");
            }
            if recover.status.success() {
                // Everything claimed was carried over, and is served.
                let line = said.lines().find(|l| l.contains("carried")).unwrap_or_else(|| panic!("{name}: {said}"));
                let words: Vec<&str> = line.split_whitespace().collect();
                let n = |w: &str| words.iter().position(|x| *x == w).unwrap();
                assert_eq!(words[n("of") - 1], words[n("of") + 1], "{name}: {said}");
                assert_eq!(stored_ids(&store), ids, "{name}: every story after recover");
                let again = run_once(&config, port).unwrap_or_else(|e| panic!("{name}: run after recover: {e:?}"));
                assert!(!again.is_empty() || said.contains("carried 0"), "{name}");
            } else {
                assert_eq!(recover.status.code(), Some(1), "{name}: {said}");
                assert!(
                    said.contains("carried") || said.contains("nothing could be read"),
                    "{name}: recover says what it did: {said}"
                );
                // The damaged store is kept.
                assert!(
                    store.join("db").exists() || !loa::store::siblings(&store, "damaged").is_empty(),
                    "{name}: the damaged store is kept"
                );
            }
        }
    })
    .await
    .unwrap();
}

/// A store of `n` stories made through the library (faster than polling them).
fn big_store(path: &Path, n: usize) -> BTreeSet<String> {
    let store = Store::open(path, 16 << 20).unwrap();
    for chunk in 0..n.div_ceil(1000) {
        let mut batch = loa::store::Batch::default();
        for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
            let published = chrono::DateTime::from_timestamp(1_700_000_000 + i as i64 * 60, 0).unwrap();
            batch.put_story(
                None,
                loa::model::Story {
                    id: loa::model::StoryId(format!("{i:016x}")),
                    title: format!("Tin số {i}: hội nghị tổng kết công tác năm của tỉnh"),
                    link: Some(format!("https://a.example.vn/{i}.html")),
                    excerpt: "Nội dung tóm tắt của tin, đủ dài để chiếm chỗ trong kho. ".repeat(4),
                    published,
                    updated: published,
                    authors: vec![],
                    categories: vec![],
                    agency: "tinh-uy".into(),
                    agency_name: "Tỉnh ủy".into(),
                    members: vec![],
                },
            );
        }
        store.commit(&batch).unwrap();
    }
    store.flush_blocking().unwrap();
    store.latest(&Scope::All, n + 1).unwrap().into_iter().map(|s| s.id.0).collect()
}

/// Whatever upkeep leaves beside the store at `path`.
fn leftovers(path: &Path) -> Vec<PathBuf> {
    loa::store::Swap::ALL
        .iter()
        .flat_map(|s| [s.building(), s.replaced()])
        .flat_map(|w| loa::store::siblings(path, w))
        .collect()
}

#[test]
fn import_and_compact_killed_midway_leave_the_store_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("db");
    let ids = big_store(&db, 8_000);
    let config = store_config(d, &db, free_port());
    let backup = d.join("backup.jsonl");
    let out = loa(&["store", "export", backup.to_str().unwrap()], &config);
    assert!(out.status.success(), "{}", text(&out));
    for args in [&["store", "compact"][..], &["store", "import", backup.to_str().unwrap()]] {
        for delay in [30, 100, 250, 600] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
                .args(args)
                .arg("-c")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay));
            let _ = child.kill();
            let finished = child.wait().unwrap().success();
            // The next command settles what the killed one left.
            let out = loa(&["store", "verify"], &config);
            assert!(out.status.success(), "{args:?} killed after {delay} ms: {}", text(&out));
            assert!(leftovers(&db).is_empty(), "{args:?} after {delay} ms: {:?}", leftovers(&db));
            let after = stored_ids(&db);
            assert!(after == ids, "{args:?} killed after {delay} ms (finished: {finished}): {} stories", after.len());
        }
        // Left alone, each finishes, and changes nothing of what is served.
        let out = loa(args, &config);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(leftovers(&db).is_empty(), "{args:?}: {:?}", leftovers(&db));
        assert!(stored_ids(&db) == ids, "{args:?} run to its end");
    }
}

/// A tmpfs mounted for a test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` at `at`; `None` (and why) where mounting is refused.
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(text(&out));
        }
        Ok(Tmpfs(at.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let out = Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(&self.0).output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A feed of `n` items of round `round`: each round brings new items.
fn round_feed(source: &str, round: usize, n: usize) -> Vec<u8> {
    let items: String = (0..n)
        .map(|i| {
            format!(
                "<item><title>Tin {source} đợt {round} số {i}: {}</title><link>https://{source}.example.vn/{round}/{i}.html</link>\
                 <guid>{source}-{round}-{i}</guid><pubDate>Mon, 02 Nov 2026 08:00:00 +0700</pubDate>\
                 <description>{}</description></item>",
                "hội nghị chuyên đề về chuyển đổi số ".repeat(1 + i % 3),
                (0..200).map(|w| format!("{source}{round}x{i}w{w} ")).collect::<String>()
            )
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>{source}</title><link>https://{source}.example.vn/</link>{items}</channel></rss>").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_the_sources_health_and_passes_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    let disk = match Tmpfs::mount(&mnt, "8m") {
        Ok(t) => t,
        Err(why) => {
            eprintln!("SKIPPED: a full disk needs a tmpfs, and mounting one was refused: {why}");
            return;
        }
    };
    let server = SourceServer::start().await;
    for s in ["a", "b"] {
        server.set(&format!("{s}.rss"), Behavior::File(round_feed(s, 0, 10)));
    }
    let port = free_port();
    let mut config = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\n[store]\npath = {:?}\n\
         [poll]\ninterval = \"1s\"\nmax_interval = \"1s\"\nhost_spacing = \"0s\"\nper_host = 4\ntimeout = \"5s\"\n",
        mnt.join("db").display().to_string()
    );
    for s in ["a", "b"] {
        config.push_str(&format!(
            "[[source]]\nid = \"{s}\"\nurl = \"{}\"\nagency = \"tinh-uy\"\n",
            server.url(&format!("{s}.rss"))
        ));
    }
    let config_path = dir.path().join("loa.toml");
    std::fs::write(&config_path, config).unwrap();
    let server = std::sync::Arc::new(server);
    let s2 = server.clone();
    tokio::task::spawn_blocking(move || {
        let server = s2;
        let status = || -> serde_json::Value { serde_json::from_str(&http_get(port, "/status").unwrap()).unwrap() };
        let child = spawn_run(&config_path);
        wait_for("the first polls", Duration::from_secs(30), || {
            http_get(port, "/status").is_some_and(|b| b.matches("\"last_success\":\"").count() == 2)
        });
        wait_for("every entry served", Duration::from_secs(10), || served_ids(port).len() == 20);
        let served = served_ids(port);

        // Fill the disk, and give the sources something new to store.
        let mut filler = std::fs::File::create(mnt.join("filler")).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
        let _ = filler.sync_all();
        for round in 1..=20 {
            for s in ["a", "b"] {
                server.set(&format!("{s}.rss"), Behavior::File(round_feed(s, round, 10)));
            }
            let st = status();
            if st["sources"].as_array().unwrap().iter().any(|s| s["error_kind"] == "store") {
                break;
            }
            std::thread::sleep(Duration::from_millis(700));
        }
        let st = status();
        let failing: Vec<&serde_json::Value> =
            st["sources"].as_array().unwrap().iter().filter(|s| s["error_kind"] == "store").collect();
        assert!(!failing.is_empty(), "a store error shows in /status: {st}");
        for s in &failing {
            assert!(s["error"].as_str().unwrap().contains("store"), "{s}");
            assert!(s["consecutive_failures"].as_u64().unwrap() >= 1, "{s}");
        }
        let metrics = http_get(port, "/metrics").unwrap();
        assert!(metrics.contains("loa_polls_total{result=\"store\"}"), "{metrics}");
        // `loa sources`, answered by the running loa, shows it too.
        let out = loa(&["sources"], &config_path);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("the store failed"), "{}", text(&out));
        // What was served before still is.
        assert!(served.is_subset(&served_ids(port)));

        // Space comes back: the next polls succeed, without a restart.
        disk.resize("64m");
        wait_for("a poll after the disk has room", Duration::from_secs(60), || {
            let st = status();
            st["sources"].as_array().unwrap().iter().all(|s| s["error"].is_null() && s["consecutive_failures"] == 0)
        });
        wait_for("the new items served", Duration::from_secs(30), || served_ids(port).len() > served.len());
        let (code, log) = stop(child);
        assert!(code.success(), "{log}");
        drop(disk);
    })
    .await
    .unwrap();
}

#[test]
fn read_commands_name_a_missing_store_and_create_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("nowhere");
    let config = store_config(dir.path(), &store, free_port());
    let backup = dir.path().join("b.jsonl");
    for args in [
        &["sources"][..],
        &["store", "verify"],
        &["store", "export", backup.to_str().unwrap()],
        &["export", "--out", dir.path().join("site").to_str().unwrap()],
        &["store", "compact"],
        &["store", "recover"],
    ] {
        let out = loa(args, &config);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(&format!("there is no store at {}", store.display())), "{args:?}: {}", text(&out));
        assert!(!store.exists(), "{args:?} created a store");
    }
}

#[test]
fn a_swap_interrupted_between_its_renames_puts_the_store_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let ids = big_store(&db, 50);
    let config = store_config(dir.path(), &db, free_port());
    // As a compact killed after moving the store aside, before moving the new one in.
    std::fs::rename(&db, dir.path().join("db.before-compact-20260101T000000.000")).unwrap();
    std::fs::create_dir(dir.path().join("db.compacting-20260101T000000.000")).unwrap();
    let backup = dir.path().join("empty.jsonl");
    std::fs::write(&backup, "{\"loa_store\":2}\n").unwrap();
    // Even an import, which would otherwise make a new store at the empty path.
    let out = loa(&["store", "import", backup.to_str().unwrap()], &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(leftovers(&db).is_empty(), "{:?}", leftovers(&db));
    assert_eq!(stored_ids(&db), ids);
}
