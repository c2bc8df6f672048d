//! The process's counters, and their Prometheus text form for `/metrics`.
//!
//! Updated by the daemon after each poll (never on the request path), read by the
//! server. Counters only grow; a restart starts them at zero, as Prometheus expects.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::dedupe::Outcome;

/// Upper bounds, in seconds, of the fetch duration histogram's buckets.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Polls by result: `ok`, `not_modified`, or an error kind.
    polls: BTreeMap<String, u64>,
    bytes: u64,
    duration_buckets: [u64; BUCKETS.len()],
    duration_sum: f64,
    duration_count: u64,
    items_new: u64,
    items_updated: u64,
    items_merged: u64,
}

/// What the store says at the moment of rendering.
pub struct StoreFigures {
    pub stories: usize,
    pub items: usize,
    pub size_on_disk: u64,
    /// Each configured source's last successful poll, in Unix seconds, from its
    /// stored health: it survives a restart, and a source removed from the
    /// config drops out.
    pub last_success: Vec<(String, i64)>,
}

impl Metrics {
    /// One poll: its error kind if it failed, whether the server answered 304, the
    /// bytes of its body and how long it took.
    pub fn record_poll(&self, error_kind: Option<&str>, not_modified: bool, bytes: usize, elapsed: Duration) {
        let mut m = crate::util::sync::lock(&self.inner);
        let result = match (error_kind, not_modified) {
            (Some(kind), _) => kind.to_string(),
            (None, true) => "not_modified".into(),
            (None, false) => "ok".into(),
        };
        *m.polls.entry(result).or_default() += 1;
        m.bytes += bytes as u64;
        let secs = elapsed.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                m.duration_buckets[i] += 1;
            }
        }
        m.duration_sum += secs;
        m.duration_count += 1;
    }

    pub fn record_ingest(&self, o: &Outcome) {
        let mut m = crate::util::sync::lock(&self.inner);
        m.items_new += o.new_items as u64;
        m.items_updated += o.updated_items as u64;
        m.items_merged += o.merged_items as u64;
    }

    /// The Prometheus text exposition.
    pub fn render(&self, store: &StoreFigures) -> String {
        let m = crate::util::sync::lock(&self.inner);
        let mut out = String::new();
        header(
            &mut out,
            "loa_polls_total",
            "counter",
            "Polls of sources, by result (ok, not_modified, or the error kind).",
        );
        for (result, n) in &m.polls {
            let _ = writeln!(out, "loa_polls_total{{result=\"{}\"}} {n}", escape(result));
        }
        header(&mut out, "loa_fetched_bytes_total", "counter", "Body bytes received, after decompression.");
        let _ = writeln!(out, "loa_fetched_bytes_total {}", m.bytes);
        header(&mut out, "loa_poll_duration_seconds", "histogram", "Time from the start of a poll to its end.");
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "loa_poll_duration_seconds_bucket{{le=\"{le}\"}} {}", m.duration_buckets[i]);
        }
        let _ = writeln!(out, "loa_poll_duration_seconds_bucket{{le=\"+Inf\"}} {}", m.duration_count);
        let _ = writeln!(out, "loa_poll_duration_seconds_sum {}", m.duration_sum);
        let _ = writeln!(out, "loa_poll_duration_seconds_count {}", m.duration_count);
        header(
            &mut out,
            "loa_items_ingested_total",
            "counter",
            "Items stored, by what they were: new, updated (edited), merged (joined another site's story).",
        );
        let _ = writeln!(out, "loa_items_ingested_total{{kind=\"new\"}} {}", m.items_new);
        let _ = writeln!(out, "loa_items_ingested_total{{kind=\"updated\"}} {}", m.items_updated);
        let _ = writeln!(out, "loa_items_ingested_total{{kind=\"merged\"}} {}", m.items_merged);
        header(&mut out, "loa_stories", "gauge", "Stories in the store.");
        let _ = writeln!(out, "loa_stories {}", store.stories);
        header(&mut out, "loa_items", "gauge", "Items in the store.");
        let _ = writeln!(out, "loa_items {}", store.items);
        header(&mut out, "loa_store_size_bytes", "gauge", "Size of the store on disk (sled's size_on_disk).");
        let _ = writeln!(out, "loa_store_size_bytes {}", store.size_on_disk);
        header(
            &mut out,
            "loa_source_last_success_timestamp_seconds",
            "gauge",
            "When each source was last polled successfully.",
        );
        for (source, t) in &store.last_success {
            let _ = writeln!(out, "loa_source_last_success_timestamp_seconds{{source=\"{}\"}} {t}", escape(source));
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
