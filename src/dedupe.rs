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
//! then checked against the member items' text, so a lookup can only widen the
//! search, never decide. Ingest must run one source at a time (the daemon holds a
//! lock), so that two sources carrying the same story cannot race.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::model::{Item, Member, Story, StoryId};
use crate::store::{lookup_key, Batch, Scope, Store, StoreError, StoredItem};

/// Copies of one story are looked for within this distance in time.
pub const WINDOW_DAYS: i64 = 4;
/// A title this short ("Thông báo") is not enough on its own to merge.
const MIN_TITLE_WORDS: usize = 4;
/// Bodies shorter than this are not compared.
const MIN_BODY_WORDS: usize = 20;
/// Two bodies this alike (Jaccard of word pairs) are the same article.
const SAME_BODY: f64 = 0.7;
/// Same title, but bodies sharing less than this (containment of words): two
/// different events under one title.
const DIFFERENT_BODY: f64 = 0.2;

const MINHASH: usize = 32;
const BANDS: usize = 8;
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
}

/// Works out the writes for one source's items. Nothing is written until the
/// caller commits the batch.
pub fn ingest(store: &Store, items: Vec<Item>, now: DateTime<Utc>, batch: &mut Batch) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    // Stories changed earlier in this batch, so later items see them.
    let mut pending: HashMap<StoryId, (Option<Story>, Vec<Item>)> = HashMap::new();
    for mut item in items {
        let key = item.store_key();
        let fingerprint = item.fingerprint();
        let text = Text::of(&item);
        let prefixes = text.lookup_prefixes();
        let story_id = match store.item(&key)? {
            Some(prev) if prev.fingerprint == fingerprint => continue,
            Some(prev) => {
                item.first_seen = prev.item.first_seen;
                out.updated_items += 1;
                prev.story
            }
            None => {
                out.new_items += 1;
                match find_story(store, &pending, &item, &text, &prefixes)? {
                    Some(id) => {
                        out.merged_items += 1;
                        id
                    }
                    None => StoryId::for_item_key(&key),
                }
            }
        };
        for p in &prefixes {
            batch.put_key(lookup_key(p, item.date(), &story_id));
        }
        let entry = match pending.entry(story_id.clone()) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let before = store.story(&story_id)?;
                let members = match &before {
                    Some(s) => member_items(store, s)?,
                    None => Vec::new(),
                };
                v.insert((before, members))
            }
        };
        let members = &mut entry.1;
        match members.iter_mut().find(|m| m.store_key() == key) {
            Some(m) => *m = item.clone(),
            None => members.push(item.clone()),
        }
        batch.put_item(StoredItem { item, story: story_id, fingerprint });
    }
    for (id, (before, members)) in pending {
        let story = compose(id, &members, before.as_ref(), now);
        for slug in before.iter().flat_map(|b| b.agencies()).chain(story.agencies()) {
            out.touched.insert(Scope::Agency(slug.to_string()));
        }
        out.touched.insert(Scope::All);
        batch.put_story(before, story);
    }
    Ok(out)
}

/// The story another site's copy of `item` belongs to, if any.
fn find_story(
    store: &Store,
    pending: &HashMap<StoryId, (Option<Story>, Vec<Item>)>,
    item: &Item,
    text: &Text,
    prefixes: &[Vec<u8>],
) -> Result<Option<StoryId>, StoreError> {
    let date = item.date();
    let (from, to) = (date - Duration::days(WINDOW_DAYS), date + Duration::days(WINDOW_DAYS));
    let mut candidates: Vec<StoryId> = Vec::new();
    for prefix in prefixes {
        for id in store.keyed(prefix, from, to)? {
            if !candidates.contains(&id) {
                candidates.push(id);
            }
        }
    }
    for id in candidates {
        let members = match pending.get(&id) {
            Some((_, members)) => members.clone(),
            None => match store.story(&id)? {
                Some(story) => member_items(store, &story)?,
                None => continue,
            },
        };
        // One story never holds two items of one source: a site does not repost
        // its own article, so two of its items are two articles.
        if members.iter().any(|m| m.source == item.source) {
            continue;
        }
        if members.iter().any(|m| same_story(item, text, m)) {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Whether `m` is another site's copy of the article `item`.
fn same_story(item: &Item, text: &Text, m: &Item) -> bool {
    if (m.date() - item.date()).num_days().abs() > WINDOW_DAYS {
        return false;
    }
    let other = Text::of(m);
    let both_long = text.words.len() >= MIN_BODY_WORDS && other.words.len() >= MIN_BODY_WORDS;
    if other.title_key == text.title_key && !text.title_key.is_empty() {
        if both_long && containment(&text.unigrams(), &other.unigrams()) < DIFFERENT_BODY {
            return false;
        }
        let long_title = text.title_key.split(' ').count() >= MIN_TITLE_WORDS;
        return long_title || (both_long && jaccard(&text.bigrams(), &other.bigrams()) >= SAME_BODY);
    }
    both_long && jaccard(&text.bigrams(), &other.bigrams()) >= SAME_BODY
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
        '\u{0300}' | '\u{0301}' | '\u{0303}' | '\u{0309}' | '\u{0323}' => *tone = Some(c),
        c if c.is_alphanumeric() || is_mark(c) => word.extend(c.to_lowercase()),
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

fn is_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// The comparable text of an item: its title key and the words of its body.
struct Text {
    title_key: String,
    words: Vec<String>,
}

impl Text {
    fn of(item: &Item) -> Text {
        let body = item.content.as_deref().or(item.summary.as_deref()).unwrap_or("");
        Text { title_key: title_key(&item.title), words: folded_words(&strip_tags(body)) }
    }

    fn unigrams(&self) -> HashSet<&str> {
        self.words.iter().map(String::as_str).collect()
    }

    fn bigrams(&self) -> HashSet<(&str, &str)> {
        self.words.windows(2).map(|w| (w[0].as_str(), w[1].as_str())).collect()
    }

    /// The prefixes this text is looked up under: its title key, and each band of
    /// its body's MinHash when the body is long enough to compare.
    fn lookup_prefixes(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if !self.title_key.is_empty() {
            let mut p = b"T".to_vec();
            p.extend_from_slice(&hash64(self.title_key.as_bytes()).to_be_bytes());
            out.push(p);
        }
        if self.words.len() >= MIN_BODY_WORDS {
            let sig = self.minhash();
            for (band, rows) in sig.chunks(ROWS).enumerate() {
                let mut bytes = Vec::with_capacity(ROWS * 4);
                for r in rows {
                    bytes.extend_from_slice(&r.to_be_bytes());
                }
                let mut p = vec![b'B', band as u8];
                p.extend_from_slice(&hash64(&bytes).to_be_bytes());
                out.push(p);
            }
        }
        out
    }

    /// MinHash of the word pairs.
    fn minhash(&self) -> [u32; MINHASH] {
        let mut sig = [u32::MAX; MINHASH];
        for pair in self.words.windows(2) {
            let h = hash64(pair[0].as_bytes()) ^ hash64(pair[1].as_bytes()).rotate_left(29);
            for (i, slot) in sig.iter_mut().enumerate() {
                let v = (splitmix(h ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 32) as u32;
                *slot = (*slot).min(v);
            }
        }
        sig
    }
}

/// The text of some HTML for comparison: tags out, entities decoded. Unlike
/// `normalize::text::html_to_text` it skips NFC and spacing, which folding redoes.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    if out.contains('&') {
        html_escape::decode_html_entities(&out).into_owned()
    } else {
        out
    }
}

/// FNV-1a: fast, and stable across builds, as keys kept in the store must be.
fn hash64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3))
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn jaccard<T: Eq + std::hash::Hash>(a: &HashSet<T>, b: &HashSet<T>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// How much of the smaller set the larger one contains: a summary is contained in
/// its article even when their Jaccard is low.
fn containment<T: Eq + std::hash::Hash>(a: &HashSet<T>, b: &HashSet<T>) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / smaller as f64
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

/// Builds a story from its member items. The primary is the copy on the credited
/// agency's own site if there is one, else the earliest; the story is dated by its
/// earliest copy.
fn compose(id: StoryId, members: &[Item], before: Option<&Story>, now: DateTime<Utc>) -> Story {
    let mut order: Vec<&Item> = members.iter().collect();
    order.sort_by_key(|i| (!i.from_own_site(), i.date(), i.store_key()));
    let primary = order[0];
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
        summary: primary.summary.clone(),
        content: primary.content.clone(),
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

    #[test]
    fn minhash_of_equal_texts_is_equal_and_of_different_texts_differs() {
        let t = |s: &str| Text { title_key: String::new(), words: folded_words(s) };
        let a = t("Sáng 03/8/2022, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị báo cáo viên định kỳ tháng 8/2022, thông tin tình hình thời sự");
        let b = t("Sáng 03/8/2022, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị báo cáo viên định kỳ tháng 8/2022, thông tin tình hình thời sự");
        let c = t("Hội Liên hiệp Phụ nữ tỉnh vừa ra mắt mô hình chi hội phụ nữ năm không ba sạch tại xã Tân Phú huyện Châu Thành");
        assert_eq!(a.minhash(), b.minhash());
        let same = a.minhash().iter().zip(c.minhash()).filter(|(x, y)| *x == y).count();
        assert!(same < 4, "{same}");
    }
}
