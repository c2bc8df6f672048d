//! `?q=` search: the folded text of the newest stories, held in memory, so that a
//! search reads the store only for the stories it finds.
//!
//! The index covers the [`SEARCH_SCAN`] newest stories and is built again on the
//! first search after a change (one read of those stories, whatever the number of
//! searches). A search is then one pass over that many short texts — its cost is
//! bounded by `SEARCH_SCAN`, never by the size of the store — followed by reading
//! at most `limit` stories. The index never writes and never renders.

use crate::model::{Story, StoryId};
use crate::store::{Scope, Store, StoreError};

/// How many of the newest stories a `?q=` search looks through.
pub const SEARCH_SCAN: usize = 20_000;

/// One story as search sees it.
struct Indexed {
    id: StoryId,
    agencies: Vec<String>,
    /// Title and excerpt folded (`util::slug`), one line each.
    text: String,
}

/// The newest stories' folded text, as of one generation of the store's stories.
#[derive(Default)]
pub struct SearchIndex {
    generation: Option<u64>,
    /// Newest first.
    stories: Vec<Indexed>,
}

impl SearchIndex {
    /// The newest stories of `scope` whose title or excerpt contains `folded_query`
    /// (folded with `util::slug`), at most `limit`. The index is rebuilt first
    /// when it is older than `generation`.
    pub fn find(
        &mut self,
        store: &Store,
        generation: u64,
        scope: &Scope,
        folded_query: &str,
        limit: usize,
    ) -> Result<Vec<Story>, StoreError> {
        if self.generation != Some(generation) {
            self.rebuild(store)?;
            self.generation = Some(generation);
        }
        let in_scope = |s: &Indexed| match scope {
            Scope::All => true,
            Scope::Agency(slug) => s.agencies.iter().any(|a| a == slug),
        };
        let found: Vec<&StoryId> = self
            .stories
            .iter()
            .filter(|s| in_scope(s) && s.text.contains(folded_query))
            .take(limit)
            .map(|s| &s.id)
            .collect();
        let mut out = Vec::with_capacity(found.len());
        for id in found {
            // A story gone since the index was built (retention) is skipped.
            if let Some(story) = store.story(id)? {
                out.push(story);
            }
        }
        Ok(out)
    }

    fn rebuild(&mut self, store: &Store) -> Result<(), StoreError> {
        self.stories.clear();
        let stories = &mut self.stories;
        // Read one at a time and kept as folded text only: `find` keeps none.
        store.find(&Scope::All, 1, SEARCH_SCAN, |story| {
            // Excerpts are short (280 characters): the index holds about 10 MB.
            stories.push(Indexed {
                id: story.id.clone(),
                agencies: story.agencies().into_iter().map(str::to_string).collect(),
                text: format!("{}\n{}", crate::util::slug::slug(&story.title), crate::util::slug::slug(&story.excerpt)),
            });
            false
        })?;
        self.stories.shrink_to_fit();
        Ok(())
    }
}
