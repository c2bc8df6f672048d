//! Fills a store with synthetic stories for the scale benchmark, then measures what
//! a province's archive costs: disk against logical size, reopening, rendering
//! after one new story, and a `?q=` search.
//!
//!   cargo run --release --example generate_store -- DIR STORIES [AGENCIES=50]
//!
//! Used by `bench/scale.sh`; prints one `key value` line per figure.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use loa::config::Config;
use loa::model::{Evidence, FeedKind, Identity, Item, Member, Story, StoryId};
use loa::publish::{Publisher, Query, Settings};
use loa::store::{Batch, Scope, Store, StoredItem};

const WORDS: &[&str] = &[
    "hội",
    "nghị",
    "sơ",
    "kết",
    "công",
    "tác",
    "dân",
    "vận",
    "tháng",
    "đầu",
    "năm",
    "triển",
    "khai",
    "nhiệm",
    "vụ",
    "tỉnh",
    "ủy",
    "ban",
    "thường",
    "trực",
    "kiểm",
    "tra",
    "giám",
    "sát",
    "xây",
    "dựng",
    "nông",
    "thôn",
    "mới",
    "chuyển",
    "đổi",
    "số",
];

fn text(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            WORDS[(x % WORDS.len() as u64) as usize]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn story(i: u64, agencies: u64) -> (Story, StoredItem) {
    let agency = format!("co-quan-{}", i % agencies);
    let published = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(i as i64 * 3);
    let source = format!("nguon-{}", i % 1000);
    let item = Item {
        source: source.clone(),
        identity: Identity::Guid(format!("g{i}")),
        guid: Some(format!("g{i}")),
        title: format!("{} {i}", text(i, 12)),
        link: Some(format!("https://site{}.example.vn/tin/{i}.html", i % 97)),
        canonical_url: Some(format!("https://site{}.example.vn/tin/{i}.html", i % 97)),
        summary: Some(format!("<p>{}</p>", text(i + 7, 40))),
        content: Some(format!("<p>{}</p><p>{}</p>", text(i + 11, 80), text(i + 13, 60))),
        published: Some(published),
        updated: None,
        first_seen: published,
        authors: vec![],
        categories: vec!["Tin tức".into()],
        agency: agency.clone(),
        agency_name: format!("Cơ quan {}", i % agencies),
        evidence: Evidence::SourceDefault,
        source_agency: agency.clone(),
        source_url: format!("https://site{}.example.vn/rss", i % 97),
        source_title: None,
        listing: None,
    };
    let key = item.store_key();
    let id = StoryId::for_item_key(&key);
    let story = Story {
        id: id.clone(),
        title: item.title.clone(),
        link: item.link.clone(),
        excerpt: text(i + 7, 40),
        published,
        updated: published,
        authors: vec![],
        categories: item.categories.clone(),
        agency: agency.clone(),
        agency_name: item.agency_name.clone(),
        members: vec![Member {
            source,
            item_key: key,
            url: item.link.clone(),
            id: item.guid.clone(),
            agency,
            source_url: item.source_url.clone(),
            source_title: None,
        }],
    };
    let fingerprint = item.fingerprint();
    (story, StoredItem { item, story: id, fingerprint })
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let m = e.metadata().unwrap();
                    if m.is_dir() {
                        dir_size(&e.path())
                    } else {
                        m.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let n: u64 = args[2].parse().unwrap();
    let agencies: u64 = args.get(3).map(|a| a.parse().unwrap()).unwrap_or(50);
    let mut logical = 0u64;
    {
        let store = Store::open(&dir, 64 << 20).unwrap();
        let started = Instant::now();
        let mut batch = Batch::default();
        for i in 0..n {
            let (s, item) = story(i, agencies);
            logical += serde_json::to_vec(&s).unwrap().len() as u64 + serde_json::to_vec(&item).unwrap().len() as u64;
            batch.put_item(true, item);
            batch.put_story(None, s);
            if (i + 1) % 5000 == 0 {
                store.commit(&std::mem::take(&mut batch)).unwrap();
            }
        }
        store.commit(&batch).unwrap();
        store.flush_blocking().unwrap();
        println!("generate_seconds {:.1}", started.elapsed().as_secs_f64());
    }
    println!("stories {n}");
    println!("logical_bytes {logical}");
    println!("disk_bytes {}", dir_size(&dir));

    // Reopening and rendering every feed: what `loa run` does before it serves.
    let started = Instant::now();
    let store = Store::open(&dir, 64 << 20).unwrap();
    let config = Config::parse("", "<defaults>").unwrap();
    let publisher = Publisher::new(Settings::from_config(&config), config.agencies.clone());
    publisher.render_all(&store).unwrap();
    println!("open_and_render_all_ms {}", started.elapsed().as_millis());

    // One new story: re-render the merged feed and its agency's feed.
    let (mut s, item) = story(n, agencies);
    s.published = Utc::now();
    let mut batch = Batch::default();
    batch.put_item(true, item);
    let agency = s.agency.clone();
    batch.put_story(None, s);
    store.commit(&batch).unwrap();
    let started = Instant::now();
    publisher.mark_dirty([Scope::All, Scope::Agency(agency)].into_iter().collect(), store.generation());
    publisher.render_pending(&store).unwrap();
    println!("rerender_after_one_new_ms {:.2}", started.elapsed().as_secs_f64() * 1000.0);

    let started = Instant::now();
    let doc = publisher
        .query(&store, &Scope::All, FeedKind::Atom, &Query::new(None, None, Some("kiem tra giam sat")))
        .unwrap()
        .unwrap();
    println!("search_ms {:.1} (found {})", started.elapsed().as_secs_f64() * 1000.0, doc.entries);
    println!(
        "rss_kib {}",
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmRSS"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
    );
}
