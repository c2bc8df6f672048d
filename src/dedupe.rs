//! Identity: the same item seen again, and the story each item belongs to.
//!
//! An item already stored with the same fingerprint is a re-poll and writes
//! nothing; with another fingerprint it is an edit, which updates its story in
//! place (same entry id, later `updated`). A new item joins the story of another
//! site's copy of the same article — same title key, or a near-identical body,
//! within a few days — or founds a story of its own.
//!
//! The title key folds what differs between copies of one title: Unicode form,
//! case, tone placement (`uỷ`/`ủy`), dashes, quotes and spacing. Candidates come
//! from two lookups kept in the store (title key; MinHash bands of the body) and are
//! then checked against a compact note of each member (date, source, hashed words),
//! so a lookup can only widen the search, never decide, and checking a candidate
//! never decodes a whole article. Ingest must run one source at a time (the daemon
//! holds a lock), so that two sources carrying the same story cannot race.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::model::{Item, Member, Story, StoryId};
use crate::store::{Batch, Scope, Store, StoreError, StoredItem};
use crate::util::hash::{fnv1a, splitmix64};
use crate::util::text::{is_combining_mark, TONES};

/// Copies of one story are looked for within this distance in time.
pub const WINDOW_DAYS: i64 = 4;
/// A member's lookup key stands in for those of copies dated this close to it.
const KEY_SLACK_MS: i64 = 86_400_000;
/// A title this short ("Thông báo") is not enough on its own to merge.
const MIN_TITLE_WORDS: u16 = 4;
/// Bodies shorter than this are not compared.
const MIN_BODY_WORDS: u32 = 20;
/// Two bodies this alike (Jaccard of word pairs) are the same article.
const SAME_BODY: f64 = 0.7;
/// Same title, but bodies sharing less than this (containment of words): two
/// different events under one title.
const DIFFERENT_BODY: f64 = 0.2;

/// MinHash of word pairs, in 4 bands of 4: a body pair with Jaccard 0.9 shares a
/// band with probability 0.99, at 0.7 (the merge threshold) 0.67. Each band is a
/// write and a range scan per new item, so few bands keep ingest cheap; copies
/// whose titles match are found by the title lookup anyway.
const MINHASH: usize = 16;
const BANDS: usize = 4;
const ROWS: usize = MINHASH / BANDS;

/// What one source's poll changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    pub new_items: usize,
    pub updated_items: usize,
    /// New items that joined another site's story.
    pub merged_items: usize,
    /// The feed documents whose content changed.
    pub touched: BTreeSet<Scope>,
    /// The dates of the new items.
    pub new_dates: Vec<DateTime<Utc>>,
}

impl Outcome {
    /// Adds what a later batch of the same poll changed.
    pub fn absorb(&mut self, later: Outcome) {
        self.new_items += later.new_items;
        self.updated_items += later.updated_items;
        self.merged_items += later.merged_items;
        self.touched.extend(later.touched);
        self.new_dates.extend(later.new_dates);
    }
}

/// A story changed by this batch: as stored before, its member items, the notes
/// of its members, and the excerpts of the members this batch brings.
struct Pending {
    before: Option<Story>,
    members: Vec<Item>,
    notes: Vec<Note>,
    excerpts: HashMap<String, String>,
    /// The lookup keys the story has in the store: (prefix, member's date, member).
    keys: Vec<(Vec<u8>, i64, String)>,
}

/// An item read off the ingest lock: re-polls already dropped, and what the rest
/// needs of it (fingerprint, stored record, dedupe note, excerpt) computed by the
/// source's own thread, so that the section run one source at a time stays short.
pub struct Prepared {
    item: Item,
    fingerprint: String,
    prev: Option<StoredItem>,
    note: Note,
    encoded_note: Vec<u8>,
    excerpt: String,
}

/// Drops the items stored unchanged and computes what ingest needs of the rest.
/// Needs no lock: only this source's own poll writes this source's items.
pub fn prepare(store: &Store, items: Vec<Item>) -> Result<Vec<Prepared>, StoreError> {
    let mut out = Vec::with_capacity(items.len());
    // A document that lists one entry twice (same identity) holds one item: its first.
    let mut keys = std::collections::HashSet::new();
    for mut item in items {
        let key = item.store_key();
        if !keys.insert(key.clone()) {
            continue;
        }
        let fingerprint = item.fingerprint();
        let prev = store.item(&key)?;
        if let Some(p) = &prev {
            if p.fingerprint == fingerprint {
                continue;
            }
            item.first_seen = p.item.first_seen;
        }
        let text = body_text(&item);
        let note = Note::of(&item, &text);
        let encoded_note = note.encode();
        let excerpt = excerpt_from(&item, &text);
        out.push(Prepared { item, fingerprint, prev, note, encoded_note, excerpt });
    }
    Ok(out)
}

/// Works out the writes for one source's items. Nothing is written until the
/// caller commits the batch.
pub fn ingest(store: &Store, items: Vec<Item>, now: DateTime<Utc>, batch: &mut Batch) -> Result<Outcome, StoreError> {
    ingest_prepared(store, prepare(store, items)?, now, batch)
}

/// `ingest` for items already prepared; this part must run one source at a time.
pub fn ingest_prepared(
    store: &Store,
    items: Vec<Prepared>,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    // Stories changed earlier in this batch, so later items see them.
    let mut pending: HashMap<StoryId, Pending> = HashMap::new();
    for Prepared { item, fingerprint, prev, mut note, mut encoded_note, excerpt } in items {
        let key = item.store_key();
        let prefixes = note.lookup_prefixes();
        let is_new = prev.is_none();
        let story_id = match prev {
            Some(prev) => {
                out.updated_items += 1;
                prev.story
            }
            None => {
                out.new_items += 1;
                out.new_dates.push(item.date());
                match find_story(store, &pending, &note, prefixes.iter().map(|(_, p)| p))? {
                    Some(id) => {
                        out.merged_items += 1;
                        id
                    }
                    None => StoryId::for_item_key(&key),
                }
            }
        };
        let entry = match pending.entry(story_id.clone()) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let before = store.story(&story_id)?;
                // A story not stored yet has neither members nor notes to read.
                let (members, notes) = match &before {
                    Some(s) => (member_items(store, s)?, stored_notes(store, &story_id)?),
                    None => (Vec::new(), Vec::new()),
                };
                let keys =
                    notes.iter().flat_map(|n| n.written_keys().map(|(p, at)| (p, at, n.item_key.clone()))).collect();
                v.insert(Pending { before, members, notes, excerpts: HashMap::new(), keys })
            }
        };
        // A copy dated close to a member already keyed under the same prefix adds
        // nothing a lookup could not find through that member's key: lookups reach
        // KEY_SLACK further than the merge window for this reason. Reposts mostly
        // share their title and body, so most merges write no lookup key at all.
        // An edited item's lookups replace those it had (one key per member), so
        // only the other members' keys cover any of its prefixes.
        entry.keys.retain(|(_, _, member)| *member != key);
        let mut keyed: Vec<Vec<u8>> = Vec::new();
        for (bit, p) in prefixes {
            let covered = entry.keys.iter().any(|(q, at, _)| *q == p && (at - note.date_ms).abs() <= KEY_SLACK_MS);
            if !covered {
                note.keyed |= bit;
                entry.keys.push((p.clone(), note.date_ms, key.clone()));
                keyed.push(p);
            }
        }
        batch.put_lookups(&story_id, &key, item.date(), &keyed);
        encoded_note[KEYED_AT] = note.keyed;
        batch.put_member_note(&story_id, &key, encoded_note);
        match entry.members.iter_mut().find(|m| m.store_key() == key) {
            Some(m) => *m = item.clone(),
            None => entry.members.push(item.clone()),
        }
        entry.notes.retain(|n| n.item_key != key);
        entry.notes.push(note);
        entry.excerpts.insert(key, excerpt);
        batch.put_item(is_new, StoredItem { item, story: story_id, fingerprint });
    }
    for (id, p) in pending {
        let story = compose(id, &p.members, p.before.as_ref(), &p.excerpts, now);
        for slug in p.before.iter().flat_map(|b| b.agencies()).chain(story.agencies()) {
            out.touched.insert(Scope::Agency(slug.to_string()));
        }
        out.touched.insert(Scope::All);
        batch.put_story(p.before, story);
    }
    Ok(out)
}

/// The story another site's copy of the item noted in `note` belongs to, if any.
fn find_story<'a>(
    store: &Store,
    pending: &HashMap<StoryId, Pending>,
    note: &Note,
    prefixes: impl Iterator<Item = &'a Vec<u8>>,
) -> Result<Option<StoryId>, StoreError> {
    let date = DateTime::<Utc>::from_timestamp_millis(note.date_ms).unwrap_or_default();
    let reach = Duration::days(WINDOW_DAYS) + Duration::milliseconds(KEY_SLACK_MS);
    let (from, to) = (date - reach, date + reach);
    // The title lookup first: most copies share their title, and a hit spares the
    // four body lookups.
    let mut checked: Vec<StoryId> = Vec::new();
    for prefix in prefixes {
        for id in store.keyed(prefix, from, to)? {
            if checked.contains(&id) {
                continue;
            }
            checked.push(id.clone());
            let stored;
            let notes = match pending.get(&id) {
                Some(p) => &p.notes,
                None => {
                    stored = stored_notes(store, &id)?;
                    &stored
                }
            };
            // One story never holds two items of one source: a site does not repost
            // its own article, so two of its items are two articles.
            if notes.iter().any(|m| m.source == note.source) {
                continue;
            }
            if notes.iter().any(|m| note.same_story(m)) {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

fn stored_notes(store: &Store, story: &StoryId) -> Result<Vec<Note>, StoreError> {
    Ok(store.member_notes(story)?.iter().filter_map(|b| Note::decode(b)).collect())
}

/// The key two copies of one title share.
///
/// NFC and NFD, upper and lower case, old and new tone placement (`uỷ`/`ủy`,
/// `hoà`/`hòa`), dashes, quotes and spacing all fold away; each word keeps its
/// letters and its tone, so `dân` and `dần` stay apart.
pub fn title_key(title: &str) -> String {
    folded_words(title).join(" ")
}

/// Words folded for comparison: lower case, punctuation dropped, the tone mark
/// moved to the end of the word so that where a site placed it does not matter.
fn folded_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut tone: Option<char> = None;
    let mut flush = |word: &mut String, tone: &mut Option<char>| {
        if !word.is_empty() {
            // Left decomposed: the key is compared, never shown, and recomposing
            // would put the tone back on a letter.
            if let Some(t) = tone.take() {
                word.push(t);
            }
            words.push(std::mem::take(word));
        }
        *tone = None;
    };
    let mut push = |c: char, word: &mut String, tone: &mut Option<char>| match c {
        // The five tone marks: grave, acute, tilde, hook above, dot below.
        c if TONES.contains(&c) => *tone = Some(c),
        c if c.is_alphanumeric() || is_combining_mark(c) => word.extend(c.to_lowercase()),
        _ => flush(word, tone),
    };
    for c in text.chars() {
        if c.is_ascii() {
            push(c, &mut word, &mut tone);
        } else {
            unicode_normalization::char::decompose_canonical(c, |d| push(d, &mut word, &mut tone));
        }
    }
    flush(&mut word, &mut tone);
    words
}

/// What dedupe needs to know of an item to compare it with another: kept in the
/// store beside each story member, a few hundred bytes instead of the article.
#[derive(Debug, Clone, PartialEq)]
struct Note {
    item_key: String,
    source: String,
    date_ms: i64,
    /// FNV hash of the title key; 0 for an empty title.
    title: u64,
    title_words: u16,
    /// Words in the body.
    words: u32,
    /// Hashes of the body's words, sorted, without repeats. 32 bits are plenty
    /// for sets of a few hundred, and halve what every stored member costs.
    unigrams: Vec<u32>,
    /// Hashes of the body's word pairs, sorted, without repeats.
    bigrams: Vec<u32>,
    minhash: [u32; MINHASH],
    /// Which of `lookup_prefixes` the member was keyed under (bit per prefix).
    keyed: u8,
}

impl Note {
    /// The note of `item`, whose body reads `text` (`strip_tags` of its content,
    /// else of its summary).
    fn of(item: &Item, text: &str) -> Note {
        let key = title_key(&item.title);
        let words = folded_words(text);
        let word_hashes: Vec<u64> = words.iter().map(|w| fnv1a(w.as_bytes())).collect();
        let pair_hashes: Vec<u64> = word_hashes.windows(2).map(|w| w[0] ^ w[1].rotate_left(29)).collect();
        let mut minhash = [u32::MAX; MINHASH];
        for h in &pair_hashes {
            for (i, slot) in minhash.iter_mut().enumerate() {
                let v = (splitmix64(h ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 32) as u32;
                *slot = (*slot).min(v);
            }
        }
        Note {
            item_key: item.store_key(),
            source: item.source.clone(),
            date_ms: item.date().timestamp_millis(),
            title: if key.is_empty() { 0 } else { fnv1a(key.as_bytes()) },
            title_words: key.split(' ').filter(|w| !w.is_empty()).count().min(u16::MAX as usize) as u16,
            words: words.len().min(u32::MAX as usize) as u32,
            unigrams: short_set(word_hashes.into_iter()),
            bigrams: short_set(pair_hashes.into_iter()),
            minhash,
            keyed: 0,
        }
    }

    /// Whether `other` notes another site's copy of the same article.
    fn same_story(&self, other: &Note) -> bool {
        if (self.date_ms - other.date_ms).abs() > WINDOW_DAYS * 86_400_000 {
            return false;
        }
        let both_long = self.words >= MIN_BODY_WORDS && other.words >= MIN_BODY_WORDS;
        if self.title != 0 && self.title == other.title {
            if both_long && containment(&self.unigrams, &other.unigrams) < DIFFERENT_BODY {
                return false;
            }
            return self.title_words >= MIN_TITLE_WORDS
                || (both_long && jaccard(&self.bigrams, &other.bigrams) >= SAME_BODY);
        }
        both_long && jaccard(&self.bigrams, &other.bigrams) >= SAME_BODY
    }

    /// The prefixes this item is looked up under, each with its bit in `keyed`:
    /// its title key, and each band of its body's MinHash when the body is long
    /// enough to compare.
    fn lookup_prefixes(&self) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        if self.title != 0 {
            let mut p = b"T".to_vec();
            p.extend_from_slice(&self.title.to_be_bytes());
            out.push((1, p));
        }
        if self.words >= MIN_BODY_WORDS {
            for (band, rows) in self.minhash.chunks(ROWS).enumerate() {
                let mut bytes = Vec::with_capacity(ROWS * 4);
                for r in rows {
                    bytes.extend_from_slice(&r.to_be_bytes());
                }
                let mut p = vec![b'B', band as u8];
                p.extend_from_slice(&fnv1a(&bytes).to_be_bytes());
                out.push((2 << band, p));
            }
        }
        out
    }

    /// The lookup keys stored for this member: (prefix, date).
    fn written_keys(&self) -> impl Iterator<Item = (Vec<u8>, i64)> + '_ {
        self.lookup_prefixes().into_iter().filter(|(bit, _)| self.keyed & bit != 0).map(|(_, p)| (p, self.date_ms))
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(72 + 4 * (self.unigrams.len() + self.bigrams.len()));
        // No note of the first format starts so: its first field is a length.
        b.extend_from_slice(&COMPACT_NOTE);
        b.push(self.keyed);
        for s in [&self.item_key, &self.source] {
            b.extend_from_slice(&(s.len() as u32).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        b.extend_from_slice(&self.date_ms.to_le_bytes());
        b.extend_from_slice(&self.title.to_le_bytes());
        b.extend_from_slice(&self.title_words.to_le_bytes());
        b.extend_from_slice(&self.words.to_le_bytes());
        for m in self.minhash {
            b.extend_from_slice(&m.to_le_bytes());
        }
        for set in [&self.unigrams, &self.bigrams] {
            b.extend_from_slice(&(set.len() as u32).to_le_bytes());
            for h in set {
                b.extend_from_slice(&h.to_le_bytes());
            }
        }
        b
    }

    /// `None` for a note this build cannot read: the candidate is then skipped,
    /// which can only miss a merge, never make a wrong one.
    fn decode(b: &[u8]) -> Option<Note> {
        // Notes stored before the compact format hold 64-bit hashes: their low
        // halves are what a compact note keeps, so old and new notes compare.
        // They were keyed under every prefix.
        let (b, wide, keyed) = match b.strip_prefix(&COMPACT_NOTE) {
            Some([keyed, rest @ ..]) => (rest, false, *keyed),
            Some([]) => return None,
            None => (b, true, u8::MAX),
        };
        let mut r = Reader(b);
        let item_key = r.string()?;
        let source = r.string()?;
        let date_ms = i64::from_le_bytes(r.take()?);
        let title = u64::from_le_bytes(r.take()?);
        let title_words = u16::from_le_bytes(r.take()?);
        let words = u32::from_le_bytes(r.take()?);
        let mut minhash = [0u32; MINHASH];
        for m in &mut minhash {
            *m = u32::from_le_bytes(r.take()?);
        }
        let mut set = || -> Option<Vec<u32>> {
            let n = u32::from_le_bytes(r.take()?) as usize;
            if wide {
                let hashes: Option<Vec<u64>> = (0..n.min(1 << 20)).map(|_| r.take().map(u64::from_le_bytes)).collect();
                Some(short_set(hashes?.into_iter()))
            } else {
                (0..n.min(1 << 20)).map(|_| r.take().map(u32::from_le_bytes)).collect()
            }
        };
        let unigrams = set()?;
        let bigrams = set()?;
        Some(Note { item_key, source, date_ms, title, title_words, words, unigrams, bigrams, minhash, keyed })
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn string(&mut self) -> Option<String> {
        let n = u32::from_le_bytes(self.take()?) as usize;
        if n > self.0.len() {
            return None;
        }
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(s.to_vec()).ok()
    }
}

/// The text of an item's body as its note reads it: its content, else its summary.
fn body_text(item: &Item) -> String {
    strip_tags(item.content.as_deref().or(item.summary.as_deref()).unwrap_or(""))
}

/// The text of some HTML for comparison: tags out, entities decoded. Unlike
/// `util::text::html_to_text` it skips NFC and spacing, which folding redoes.
fn strip_tags(html: &str) -> String {
    let out = crate::util::text::strip_tags(html);
    if out.contains('&') {
        html_escape::decode_html_entities(&out).into_owned()
    } else {
        out
    }
}

/// Marks a note in the compact format (32-bit word hashes), which then goes on
/// with its `keyed` byte.
const COMPACT_NOTE: [u8; 5] = [0xFF, 0xFF, 0xFF, 0xFF, 2];
const KEYED_AT: usize = COMPACT_NOTE.len();

/// 64-bit hashes as a sorted set of their low 32 bits.
fn short_set(hashes: impl Iterator<Item = u64>) -> Vec<u32> {
    let mut v: Vec<u32> = hashes.map(|h| h as u32).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Jaccard similarity of two sorted sets.
fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let common = intersection(a, b);
    let union = a.len() + b.len() - common;
    if union == 0 {
        return 0.0;
    }
    common as f64 / union as f64
}

/// How much of the smaller sorted set the larger one contains: a summary is
/// contained in its article even when their Jaccard is low.
fn containment(a: &[u32], b: &[u32]) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    intersection(a, b) as f64 / smaller as f64
}

fn intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn member_items(store: &Store, story: &Story) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::with_capacity(story.members.len());
    for m in &story.members {
        if let Some(stored) = store.item(&m.item_key)? {
            items.push(stored.item);
        }
    }
    Ok(items)
}

/// The first words of an item's text, plain, for search and summaries.
fn excerpt(item: &Item) -> String {
    cut(item.summary.as_deref().or(item.content.as_deref()).map(crate::util::text::html_to_text).unwrap_or_default())
}

/// `excerpt`, from `text`, the item's `body_text`: the same body when the item has a
/// summary or a content, not both, so that its text is read once.
fn excerpt_from(item: &Item, text: &str) -> String {
    match (&item.summary, &item.content) {
        (Some(_), Some(_)) => excerpt(item),
        _ => cut(crate::util::text::settle(text)),
    }
}

/// The first words of a text, as an excerpt shows them.
fn cut(text: String) -> String {
    const CHARS: usize = 280;
    match text.char_indices().nth(CHARS) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text,
    }
}

/// Builds a story from its member items. The primary is the copy on the credited
/// agency's own site if there is one, else the earliest; the story is dated by its
/// earliest copy. `excerpts` holds those of the members just read, by item key.
fn compose(
    id: StoryId,
    members: &[Item],
    before: Option<&Story>,
    excerpts: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Story {
    let mut order: Vec<&Item> = members.iter().collect();
    order.sort_by_key(|i| (!i.from_own_site(), i.date(), i.store_key()));
    let primary = order[0];
    let primary_key = primary.store_key();
    // A primary this batch did not touch keeps the excerpt stored with the story.
    let kept = before.filter(|b| !b.excerpt.is_empty() && b.members.first().is_some_and(|m| m.item_key == primary_key));
    let excerpt = match (excerpts.get(&primary_key), kept) {
        (Some(e), _) => e.clone(),
        (None, Some(b)) => b.excerpt.clone(),
        (None, None) => excerpt(primary),
    };
    let published = members.iter().map(Item::date).min().unwrap_or(now);
    let mut updated = order.iter().map(|i| i.updated.unwrap_or_else(|| i.date())).max().unwrap_or(now);
    if let Some(b) = before {
        // A change must show as a later `updated`, even when the sources' own
        // dates did not move.
        if updated <= b.updated {
            updated = now.max(b.updated + Duration::seconds(1));
        }
    }
    Story {
        id,
        title: primary.title.clone(),
        link: primary.link.clone(),
        excerpt,
        published,
        updated: updated.max(published),
        authors: primary.authors.clone(),
        categories: primary.categories.clone(),
        agency: primary.agency.clone(),
        agency_name: primary.agency_name.clone(),
        members: order
            .iter()
            .map(|i| Member {
                source: i.source.clone(),
                item_key: i.store_key(),
                url: i.link.clone(),
                id: i.guid.clone(),
                agency: i.agency.clone(),
                source_url: i.source_url.clone(),
                source_title: i.source_title.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn title_keys_fold_form_case_and_tone_placement() {
        let nfc = "Phó Bí thư Thường trực Tỉnh ủy dự hội nghị sơ kết";
        let nfd: String = nfc.nfd().collect();
        assert_eq!(title_key(nfc), title_key(&nfd));
        assert_eq!(title_key(nfc), title_key("PHÓ BÍ THƯ THƯỜNG TRỰC TỈNH UỶ DỰ HỘI NGHỊ SƠ KẾT"));
        assert_eq!(title_key("Hoà bình"), title_key("Hòa   bình"));
        assert_eq!(title_key("năm học 2022 - 2023"), title_key("năm học 2022–2023"));
        assert_eq!(title_key("“Dân vận khéo”"), title_key("\"Dân vận khéo\""));
        assert_ne!(title_key("dân"), title_key("dần"));
        assert_ne!(title_key("sơ kết 6 tháng"), title_key("tổng kết năm"));
    }

    fn item(source: &str, title: &str, body: &str, date: &str) -> Item {
        Item {
            title: title.into(),
            summary: Some(body.into()),
            published: Some(date.parse().unwrap()),
            ..Item::sample(source, title, date)
        }
    }

    const BODY: &str = "<p>Sáng 03/8/2022, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị báo cáo viên định kỳ tháng 8/2022, thông tin tình hình thời sự trong nước, quốc tế và những vấn đề được dư luận quan tâm.</p>";
    const OTHER: &str = "<p>Hội Liên hiệp Phụ nữ tỉnh vừa ra mắt mô hình chi hội phụ nữ năm không ba sạch tại xã Tân Phú huyện Châu Thành với bốn mươi lăm hội viên tham gia sinh hoạt định kỳ hằng tháng.</p>";

    fn note(item: &Item) -> Note {
        Note::of(item, &body_text(item))
    }

    #[test]
    fn the_excerpt_from_the_notes_text_is_the_excerpt_read_anew() {
        let base = url::Url::parse("https://bentre.dcs.vn/tin/a.html").unwrap();
        let mut long = 0;
        for body in crate::normalize::html::tests::bodies() {
            // As stored: sanitized, summary or content alone.
            let html = crate::normalize::html::sanitize(&body, &base);
            let both =
                [(Some(html.clone()), None), (None, Some(html.clone())), (Some("<p>Tóm tắt</p>".into()), Some(html))];
            for (summary, content) in both {
                let it = Item { summary, content, ..Item::sample("a", "t", "2022-08-03T08:30:00Z") };
                let shared = excerpt_from(&it, &body_text(&it));
                assert_eq!(shared, excerpt(&it), "{body:?}");
                long += usize::from(shared.ends_with('…'));
            }
        }
        assert!(long > 100, "only {long} excerpts were cut");
    }

    #[test]
    fn notes_survive_the_store_and_minhash_tracks_similarity() {
        let a = note(&item("a", "Hội nghị báo cáo viên tháng 8", BODY, "2022-08-03T08:30:00Z"));
        assert_eq!(Note::decode(&a.encode()), Some(a.clone()));
        assert_eq!(Note::decode(&a.encode()[..10]), None);
        let b = note(&item("b", "Khác hẳn", BODY, "2022-08-03T09:30:00Z"));
        assert_eq!(a.minhash, b.minhash);
        let c = note(&item("c", "Khác hẳn", OTHER, "2022-08-03T09:30:00Z"));
        let same = a.minhash.iter().zip(c.minhash).filter(|(x, y)| **x == *y).count();
        assert!(same < 3, "{same}");
    }

    fn scratch_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        (dir, store)
    }

    /// One poll's worth: the items ingested and their batch committed.
    fn ingest_and_commit(store: &Store, items: Vec<Item>) -> Outcome {
        let mut batch = Batch::default();
        let out = ingest(store, items, Utc::now(), &mut batch).unwrap();
        store.commit(&batch).unwrap();
        out
    }

    #[test]
    fn the_excerpt_follows_the_primary_through_joins_and_edits() {
        let (_dir, store) = scratch_store();
        let run = |items: Vec<Item>| ingest_and_commit(&store, items);
        let title = "Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị báo cáo viên";
        let first = item("a", title, BODY, "2022-08-03T08:30:00Z");
        run(vec![first.clone()]);
        let story = || store.latest(&Scope::All, 1).unwrap().remove(0);
        assert!(story().excerpt.starts_with("Sáng 03/8/2022"), "{}", story().excerpt);
        // A later copy joins: the earlier one stays primary, and so does its excerpt.
        let copy = item("b", title, &BODY.replace("Sáng 03/8/2022", "Hôm 03/8/2022"), "2022-08-03T10:00:00Z");
        assert_eq!(run(vec![copy]).merged_items, 1);
        assert_eq!(story().members.len(), 2);
        assert!(story().excerpt.starts_with("Sáng 03/8/2022"), "{}", story().excerpt);
        // The primary is edited: the excerpt follows the edit.
        let edited = Item { summary: Some(BODY.replace("Sáng 03/8/2022", "Chiều 03/8/2022")), ..first };
        assert_eq!(run(vec![edited]).updated_items, 1);
        assert!(story().excerpt.starts_with("Chiều 03/8/2022"), "{}", story().excerpt);
    }

    #[test]
    fn a_close_copy_writes_no_lookup_keys_and_later_copies_still_find_the_story() {
        let (_dir, store) = scratch_store();
        let run = |items: Vec<Item>| ingest_and_commit(&store, items);
        let title = "Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị báo cáo viên";
        run(vec![item("a", title, BODY, "2022-08-03T08:00:00Z")]);
        // Half a day later, another site's copy: it joins, and the founder's keys
        // stand in for its own.
        let b = item("b", title, BODY, "2022-08-03T20:00:00Z");
        assert_eq!(run(vec![b.clone()]).merged_items, 1);
        let at = b.date();
        let ms = Duration::milliseconds(1);
        for (_, prefix) in note(&b).lookup_prefixes() {
            assert!(store.keyed(&prefix, at - ms, at + ms).unwrap().is_empty(), "no key of its own");
        }
        // Four and a half days after the founder, four after the copy: within the
        // merge window of the copy only, it must still find the story.
        let c = item("c", title, BODY, "2022-08-07T20:00:00Z");
        assert_eq!(run(vec![c]).merged_items, 1);
        assert_eq!(store.story_count(), 1);
        assert_eq!(store.latest(&Scope::All, 1).unwrap()[0].members.len(), 3);
    }

    #[test]
    fn an_edited_item_keeps_every_lookup_another_sites_copy_needs() {
        let dir = tempfile::tempdir().unwrap();
        let title = "Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị báo cáo viên";
        let first = item("a", title, BODY, "2022-08-03T08:30:00Z");
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            ingest_and_commit(&store, vec![first.clone()]);
            // The title is edited, same date: the item's lookups are written again.
            let edited = Item { title: "Hội nghị báo cáo viên định kỳ tháng 8".into(), ..first };
            assert_eq!(ingest_and_commit(&store, vec![edited]).updated_items, 1);
            store.flush_blocking().unwrap();
        }
        // Another process, nothing held in memory: another site's copy under
        // another title, the same body, is found through the body's bands.
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let copy = item("b", "Tin khác hẳn về hội nghị", BODY, "2022-08-03T10:00:00Z");
        assert_eq!(ingest_and_commit(&store, vec![copy]).merged_items, 1);
        assert_eq!(store.story_count(), 1);
    }

    #[test]
    fn notes_of_the_first_format_still_compare() {
        let body = item("a", "Hội nghị báo cáo viên tháng 8", BODY, "2022-08-03T08:30:00Z");
        let note = note(&body);
        // The first format, as stored before compact notes: 64-bit word hashes.
        let words = folded_words(&strip_tags(BODY));
        let hashes: Vec<u64> = words.iter().map(|w| fnv1a(w.as_bytes())).collect();
        let pairs: Vec<u64> = hashes.windows(2).map(|w| w[0] ^ w[1].rotate_left(29)).collect();
        let mut old = Vec::new();
        for s in [&note.item_key, &note.source] {
            old.extend_from_slice(&(s.len() as u32).to_le_bytes());
            old.extend_from_slice(s.as_bytes());
        }
        old.extend_from_slice(&note.date_ms.to_le_bytes());
        old.extend_from_slice(&note.title.to_le_bytes());
        old.extend_from_slice(&note.title_words.to_le_bytes());
        old.extend_from_slice(&note.words.to_le_bytes());
        for m in note.minhash {
            old.extend_from_slice(&m.to_le_bytes());
        }
        for mut set in [hashes, pairs] {
            set.sort_unstable();
            set.dedup();
            old.extend_from_slice(&(set.len() as u32).to_le_bytes());
            for h in set {
                old.extend_from_slice(&h.to_le_bytes());
            }
        }
        // Keyed under every prefix, as members always were then.
        assert_eq!(Note::decode(&old), Some(Note { keyed: u8::MAX, ..note.clone() }));
        assert!(note.encode().len() < old.len() * 2 / 3, "{} vs {}", note.encode().len(), old.len());
    }

    #[test]
    fn same_story_rules() {
        let n = |src: &str, title: &str, body: &str, date: &str| note(&item(src, title, body, date));
        let t = "Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị báo cáo viên";
        let base = n("a", t, BODY, "2022-08-03T08:30:00Z");
        // Same title, other site, same days: one story, whatever the Unicode form.
        let nfd: String = t.nfd().collect();
        assert!(base.same_story(&n("b", &nfd, BODY, "2022-08-04T08:30:00Z")));
        // Same title a week later: a recurring event, apart.
        assert!(!base.same_story(&n("b", t, BODY, "2022-08-10T08:30:00Z")));
        // Same title, an unrelated body: apart.
        assert!(!base.same_story(&n("b", t, OTHER, "2022-08-03T08:30:00Z")));
        // Another title, the same body: a reposted article under a new headline.
        assert!(base.same_story(&n("b", "Tin mới từ tỉnh", BODY, "2022-08-03T10:00:00Z")));
        // A short generic title alone is not enough.
        let short = n("a", "Thông báo", "<p>Lịch tiếp công dân</p>", "2022-08-03T08:30:00Z");
        assert!(!short.same_story(&n("b", "Thông báo", "<p>Mời họp</p>", "2022-08-03T08:30:00Z")));
    }
}
