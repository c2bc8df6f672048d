//! Identity: the same item seen again, and the story each item belongs to.
//!
//! An item already stored with the same fingerprint is a re-poll and writes
//! nothing; with another fingerprint it is an edit, which updates its story in
//! place (same entry id, later `updated`). A new item founds a story. Ingest must
//! run one source at a time (the daemon holds a lock), so that two sources carrying
//! the same story cannot race.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::model::{Item, Member, Story, StoryId};
use crate::store::{Batch, Scope, Store, StoreError, StoredItem};

/// What one source's poll changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    pub new_items: usize,
    pub updated_items: usize,
    /// The feed documents whose content changed.
    pub touched: BTreeSet<Scope>,
}

/// Works out the writes for one source's items. Nothing is written until the
/// caller commits the batch.
pub fn ingest(
    store: &Store,
    items: Vec<Item>,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    // Stories changed earlier in this batch, so later items see them.
    let mut pending: HashMap<StoryId, (Option<Story>, Vec<Item>)> = HashMap::new();
    for mut item in items {
        let key = item.store_key();
        let fingerprint = item.fingerprint();
        let story_id = match store.item(&key)? {
            Some(prev) if prev.fingerprint == fingerprint => continue,
            Some(prev) => {
                item.first_seen = prev.item.first_seen;
                out.updated_items += 1;
                prev.story
            }
            None => {
                out.new_items += 1;
                StoryId::for_item_key(&key)
            }
        };
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
        batch.put_item(StoredItem {
            item,
            story: story_id,
            fingerprint,
        });
    }
    for (id, (before, members)) in pending {
        let story = compose(id, &members, before.as_ref(), now);
        for slug in before
            .iter()
            .flat_map(|b| b.agencies())
            .chain(story.agencies())
        {
            out.touched.insert(Scope::Agency(slug.to_string()));
        }
        out.touched.insert(Scope::All);
        batch.put_story(before, story);
    }
    Ok(out)
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

/// Builds a story from its member items: the primary is the earliest.
fn compose(id: StoryId, members: &[Item], before: Option<&Story>, now: DateTime<Utc>) -> Story {
    let mut order: Vec<&Item> = members.iter().collect();
    order.sort_by_key(|i| (i.date(), i.store_key()));
    let primary = order[0];
    let mut updated = order
        .iter()
        .map(|i| i.updated.unwrap_or_else(|| i.date()))
        .max()
        .unwrap_or(now);
    if let Some(b) = before {
        // An edit must show as a later `updated`, even when the source's own dates
        // did not move.
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
        published: primary.date(),
        updated,
        authors: primary.authors.clone(),
        categories: primary.categories.clone(),
        agency: primary.agency.clone(),
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
