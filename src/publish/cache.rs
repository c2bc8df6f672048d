//! The query cache: documents rendered on request (older pages, `?limit=`, `?q=`,
//! the reading view's story pages, older pages and searches)
//! and kept until the next change, within a budget of bytes.
//!
//! Anonymous clients choose the queries, so the cache is bounded by what it holds,
//! never by how many keys there can be: past its budget, the least recently used
//! documents go first. A document larger than the whole budget is served and not
//! kept. The cache never renders and never reads the store.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;

use super::Document;

/// The bytes the query cache may hold: every representation of every document
/// counted, with a little for its bookkeeping.
pub const QUERY_CACHE_BYTES: usize = 4 << 20;

/// What a kept document costs besides its bodies: headers, ETags, the key.
const OVERHEAD: usize = 1024;

/// Documents by key, each with the tick of its last use.
pub struct QueryCache<K> {
    generation: u64,
    budget: usize,
    used: usize,
    tick: u64,
    docs: HashMap<K, (Arc<Document>, u64)>,
    /// Keys by last use, oldest first.
    order: BTreeMap<u64, K>,
}

impl<K: Eq + Hash + Clone> QueryCache<K> {
    pub fn new(budget: usize) -> QueryCache<K> {
        QueryCache { generation: 0, budget, used: 0, tick: 0, docs: HashMap::new(), order: BTreeMap::new() }
    }

    /// Counts changes: a document read before the last one is not kept.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The bytes held now.
    pub fn bytes(&self) -> usize {
        self.used
    }

    pub fn get(&mut self, key: &K) -> Option<Arc<Document>> {
        self.tick += 1;
        let (doc, last) = self.docs.get_mut(key)?;
        self.order.remove(last);
        *last = self.tick;
        self.order.insert(self.tick, key.clone());
        Some(doc.clone())
    }

    /// A change: every kept document may be stale.
    pub fn invalidate(&mut self) {
        self.generation += 1;
        self.docs.clear();
        self.order.clear();
        self.used = 0;
    }

    /// Keeps a document read at `generation`, unless a change came since: it
    /// would serve stories older than the feeds' first pages until the next one.
    pub fn insert(&mut self, generation: u64, key: K, doc: Arc<Document>) {
        let cost = weight(&doc);
        if generation != self.generation || cost > self.budget {
            return;
        }
        if let Some((old, last)) = self.docs.remove(&key) {
            self.order.remove(&last);
            self.used -= weight(&old);
        }
        while self.used + cost > self.budget {
            let Some((_, oldest)) = self.order.pop_first() else { break };
            if let Some((d, _)) = self.docs.remove(&oldest) {
                self.used -= weight(&d);
            }
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.docs.insert(key, (doc, self.tick));
        self.used += cost;
    }
}

fn weight(doc: &Document) -> usize {
    doc.bytes.len() + doc.gzip.len() + doc.brotli.len() + OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedKind;
    use crate::publish::Format;

    fn doc(len: usize) -> Arc<Document> {
        Arc::new(Document::new(Format::Feed(FeedKind::Atom), vec![b'x'; len], None, 0, None, ""))
    }

    #[test]
    fn bytes_stay_within_the_budget_and_the_least_recently_used_go_first() {
        let one = weight(&doc(10_000));
        let mut cache = QueryCache::new(3 * one);
        for k in 0..3 {
            cache.insert(0, k, doc(10_000));
        }
        assert!(cache.get(&0).is_some(), "0 is now the most recently used");
        cache.insert(0, 3, doc(10_000));
        assert!(cache.get(&1).is_none(), "the least recently used went");
        assert!(cache.get(&0).is_some() && cache.get(&2).is_some() && cache.get(&3).is_some());
        for k in 4..1000 {
            cache.insert(0, k, doc(10_000));
            assert!(cache.bytes() <= 3 * one);
        }
        cache.insert(0, 1000, doc(4 * one));
        assert!(cache.get(&1000).is_none(), "larger than the whole budget: not kept");
        cache.invalidate();
        assert_eq!(cache.bytes(), 0);
        cache.insert(0, 1, doc(10));
        assert!(cache.get(&1).is_none(), "read before the change: not kept");
    }
}
