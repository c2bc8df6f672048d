//! Items per second of loa's whole ingest path (parse, normalize, identity, story
//! lookup against a populated store) beside raw feed-rs parsing of the same bytes.
//!
//! `cargo bench --bench ingest`; the ratio is recorded in BENCHMARKS.md.

use divan::counter::ItemsCount;
use divan::Bencher;
use loa::config::Config;
use loa::store::{Batch, Store};

fn main() {
    divan::main();
}

const FIXTURES: [(&str, &str, &str); 3] = [
    ("tinhuy", "tinh-uy", include_str!("../tests/fixtures/tinhuy-rss.xml")),
    ("ubnd", "ubnd-tinh", include_str!("../tests/fixtures/ubnd-atom.xml")),
    ("baodongkhoi", "bao-dong-khoi", include_str!("../tests/fixtures/baodongkhoi-rss.xml")),
];
const ITEMS: usize = 20;

#[divan::bench]
fn raw_feed_rs_parse(b: Bencher) {
    b.counter(ItemsCount::new(ITEMS)).bench(|| {
        for (_, _, bytes) in FIXTURES {
            divan::black_box(feed_rs::parser::parse(bytes.as_bytes()).unwrap());
        }
    });
}

/// New items, no other site's copy in the store: the usual poll of a busy source.
#[divan::bench]
fn loa_ingest_new(b: Bencher) {
    let (config, _dir, store) = setup();
    let now = "2022-08-06T00:00:00Z".parse().unwrap();
    b.counter(ItemsCount::new(ITEMS)).bench(|| {
        for (id, _, bytes) in FIXTURES {
            let mut batch = Batch::default();
            divan::black_box(loa::dedupe::ingest(&store, read(&config, id, bytes), now, &mut batch).unwrap());
        }
    });
}

fn setup() -> (Config, tempfile::TempDir, Store) {
    let mut text = String::new();
    for (id, agency, _) in FIXTURES {
        for copy in ["", "-mirror"] {
            text.push_str(&format!(
                "[[source]]\nid = \"{id}{copy}\"\nurl = \"https://{id}.example.vn/feed\"\nagency = \"{agency}\"\n"
            ));
        }
    }
    let config = Config::parse(&text, "bench.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 64 << 20).unwrap();
    (config, dir, store)
}

fn read(config: &Config, id: &str, bytes: &str) -> Vec<loa::model::Item> {
    let now = "2022-08-06T00:00:00Z".parse().unwrap();
    let source = config.source(id).unwrap();
    loa::normalize::read_document(bytes, &source.url, source, &config.agencies, &config.poll, now).unwrap().items
}

/// Every item is another site's copy of a stored story: each lookup finds
/// candidates, checks them, and recomposes the story.
#[divan::bench]
fn loa_ingest_reposts(b: Bencher) {
    let (config, _dir, store) = setup();
    let now = "2022-08-06T00:00:00Z".parse().unwrap();
    // The store already holds every story, so each item's story lookup finds
    // candidates and checks them, as a repost from another site would.
    for (id, _, bytes) in FIXTURES {
        let mut batch = Batch::default();
        loa::dedupe::ingest(&store, read(&config, id, bytes), now, &mut batch).unwrap();
        store.commit(&batch).unwrap();
    }
    b.counter(ItemsCount::new(ITEMS)).bench(|| {
        for (id, _, bytes) in FIXTURES {
            let mut batch = Batch::default();
            let items = read(&config, &format!("{id}-mirror"), bytes);
            divan::black_box(loa::dedupe::ingest(&store, items, now, &mut batch).unwrap());
        }
    });
}
