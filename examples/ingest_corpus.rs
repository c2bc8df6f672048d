//! Items per second on a corpus of feed files: raw feed-rs parsing, loa's reading
//! (decode, parse, normalize) and loa's whole ingest path (reading, then identity,
//! story lookup and commit to sled).
//!
//!   cargo run --release --example ingest_corpus -- DIR [RUNS=5]
//!
//! Used by `bench/ingest-peers.sh`; prints `name items seconds_median`.

use std::time::Instant;

use loa::config::Config;
use loa::store::{Batch, Store};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let runs: usize = args.get(2).map(|r| r.parse().unwrap()).unwrap_or(5);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();

    let mut items = 0;
    let raw = median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                items = files.iter().map(|(_, b)| feed_rs::parser::parse(&b[..]).unwrap().entries.len()).sum();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!("feed_rs_parse {items} {raw:.4}");

    let mut text = String::new();
    for (i, (name, _)) in files.iter().enumerate() {
        text.push_str(&format!(
            "[[source]]\nid = \"s{i}\"\nurl = \"https://site{i}.example.vn/{name}\"\nagency = \"ubnd-tinh\"\n"
        ));
    }
    let config = Config::parse(&text, "corpus.toml").unwrap();
    let now = chrono::Utc::now();
    // What loa does before dedupe and the store: decode, parse, normalize.
    let read = |source: &loa::config::Source, bytes: &[u8]| {
        let text = loa::fetch::charset::to_utf8(bytes, None).unwrap().text;
        loa::normalize::read_document(&text, &source.url, source, &config.agencies, &config.poll, now).unwrap().items
    };
    let sources = || config.sources.iter().zip(&files).map(|(source, (_, bytes))| (source, bytes));
    let reading = median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                let n: usize = sources().map(|(source, bytes)| read(source, bytes).len()).sum();
                assert_eq!(n, items);
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!("loa_read {items} {reading:.4}");
    let ingest = median(
        (0..runs)
            .map(|_| {
                let tmp = tempfile::tempdir().unwrap();
                let store = Store::open(tmp.path(), 64 << 20).unwrap();
                let t = Instant::now();
                let mut n = 0;
                for (source, bytes) in sources() {
                    let doc_items = read(source, bytes);
                    n += doc_items.len();
                    let mut batch = Batch::default();
                    loa::dedupe::ingest(&store, doc_items, now, &mut batch).unwrap();
                    store.commit(&batch).unwrap();
                }
                assert_eq!(n, items);
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!("loa_ingest {items} {ingest:.4}");
}
