//! The domain types that flow between the stages: `Item`, `Story`, `FeedKind`.
//!
//! Every stage speaks these types, never maps of strings, so a field renamed here
//! is renamed everywhere the compiler can see. This module holds data and the few
//! derivations that belong to the data itself (keys, ids); it does no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why an item was credited to its agency, for `loa inspect` and the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Evidence {
    /// An author or `dc:creator` of the form `Tên (Cơ quan)`.
    AuthorByline(String),
    /// An author or `dc:creator` that is itself a body.
    AuthorOrganisation(String),
    /// A byline `Tên (Cơ quan)` closing the content.
    ContentByline(String),
    /// A title that starts with a body's name.
    TitlePrefix(String),
    /// Nothing named another body: the source's own agency.
    SourceDefault,
    /// One of the rules above, where the name matched otherwise than as the registry
    /// writes it: `how` says how (`abbreviation of "Ban Tuyên giáo Tỉnh ủy"`). After the
    /// variants above, so that stored records of them read as before (new variants go last).
    Read { rule: Box<Evidence>, how: String },
    /// A body the registry does not know, named past the number of such bodies one
    /// source may add as agencies: the source's own agency (the first evidence kept).
    PastCap { named: String, cap: usize },
}

impl Evidence {
    /// `rule`, with how the name was read when that was not as written.
    pub fn read(rule: Evidence, how: Option<String>) -> Evidence {
        match how {
            Some(how) => Evidence::Read { rule: Box::new(rule), how },
            None => rule,
        }
    }
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Evidence::AuthorByline(s) => write!(f, "author byline \"{s}\""),
            Evidence::AuthorOrganisation(s) => write!(f, "author is the body \"{s}\""),
            Evidence::ContentByline(s) => write!(f, "byline closing the content \"{s}\""),
            Evidence::TitlePrefix(s) => write!(f, "title starts with \"{s}\""),
            Evidence::SourceDefault => f.write_str("the source's default agency"),
            Evidence::PastCap { named, cap } => write!(
                f,
                "the source's default agency: {named} names a body the registry does not know, and this source already added {cap} such agencies (add it with [[agency]] to credit it)"
            ),
            Evidence::Read { rule, how } => write!(f, "{rule} → {how}"),
        }
    }
}

/// A feed listed in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub title: String,
    pub xml_url: String,
}

/// The output formats loa publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FeedKind {
    Atom,
    Rss,
    Json,
}

impl FeedKind {
    pub const ALL: [FeedKind; 3] = [FeedKind::Atom, FeedKind::Rss, FeedKind::Json];

    /// The file extension used in URLs (`/feed.atom`).
    pub fn extension(self) -> &'static str {
        match self {
            FeedKind::Atom => "atom",
            FeedKind::Rss => "rss",
            FeedKind::Json => "json",
        }
    }

    pub fn from_extension(ext: &str) -> Option<FeedKind> {
        FeedKind::ALL.into_iter().find(|k| k.extension() == ext)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FeedKind::Atom => "application/atom+xml; charset=utf-8",
            FeedKind::Rss => "application/rss+xml; charset=utf-8",
            FeedKind::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// How an item is recognised when its source publishes it again.
///
/// Never feed-rs's generated id: it changes when a title is edited and is random
/// when an entry has no link.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Identity {
    /// The source's own guid (RSS) or id (Atom, JSON Feed).
    Guid(String),
    /// The canonical form of the item's link.
    Link(String),
    /// A hash of title and content, for items with neither.
    Hash(String),
}

impl Identity {
    /// The identity as a stable string, unique within one source.
    pub fn key(&self) -> String {
        match self {
            Identity::Guid(g) => format!("g:{g}"),
            Identity::Link(l) => format!("l:{l}"),
            Identity::Hash(h) => format!("h:{h}"),
        }
    }
}

/// One entry as one source published it, normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The id of the configured source.
    pub source: String,
    pub identity: Identity,
    /// The source's own guid/id, as given.
    pub guid: Option<String>,
    pub title: String,
    /// The link readers are sent to: the source's link made absolute, in its
    /// canonical form (no tracking parameters or noise fragments) unless the
    /// source keeps them (`keep_tracking`).
    pub link: Option<String>,
    /// The canonical form of `link`, used for identity.
    pub canonical_url: Option<String>,
    /// Sanitized HTML.
    pub summary: Option<String>,
    /// Sanitized HTML.
    pub content: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// When loa first saw the item; the date of last resort. For an undated item
    /// of an older document, no later than its document allows
    /// (`normalize::bound_undated`).
    pub first_seen: DateTime<Utc>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    /// The slug of the publishing agency.
    pub agency: String,
    /// Its display name.
    pub agency_name: String,
    /// Why the item was credited to `agency`.
    pub evidence: Evidence,
    /// The configured agency of the source: an item credited to it comes from the
    /// agency's own site.
    pub source_agency: String,
    /// The URL of the feed or page the item came from (for `atom:source`).
    pub source_url: String,
    /// The title of the feed or page the item came from.
    pub source_title: Option<String>,
    /// For an item read from an HTML listing: a digest of its listing entry, so
    /// that its article is fetched again only when the entry changes. `None` also
    /// when the article could not be fetched, so that it is tried again.
    #[serde(default)]
    pub listing: Option<String>,
}

impl Item {
    /// The key of the item in the store: unique across sources.
    pub fn store_key(&self) -> String {
        Item::key_for(&self.source, &self.identity)
    }

    /// The store key of an item of `source` with `identity`, known before the
    /// item is read.
    pub fn key_for(source: &str, identity: &Identity) -> String {
        format!("{source}\u{0}{}", identity.key())
    }

    /// Whether the item is on the site of the agency it is credited to.
    pub fn from_own_site(&self) -> bool {
        self.agency == self.source_agency
    }

    /// The date readers see: published, else updated, else first seen.
    pub fn date(&self) -> DateTime<Utc> {
        self.published.or(self.updated).unwrap_or(self.first_seen)
    }

    /// A digest of what a reader sees, to tell an edit from a re-poll.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.title.as_str(),
            self.link.as_deref().unwrap_or(""),
            self.summary.as_deref().unwrap_or(""),
            self.content.as_deref().unwrap_or(""),
            &self.agency,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for part in self.authors.iter().chain(&self.categories) {
            h.update(part.as_bytes());
            h.update([1]);
        }
        h.update(self.published.map(|d| d.timestamp()).unwrap_or(0).to_be_bytes());
        h.update(self.updated.map(|d| d.timestamp()).unwrap_or(0).to_be_bytes());
        hex(&h.finalize()[..16])
    }
}

/// Where a story's member came from: its source and the source's own ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub source: String,
    /// `Item::store_key` of the member.
    pub item_key: String,
    pub url: Option<String>,
    /// The source's own guid/id, if it gave one.
    pub id: Option<String>,
    pub agency: String,
    /// The feed or page the member came from.
    pub source_url: String,
    pub source_title: Option<String>,
}

/// The merged entry readers see: one article, however many sites carried it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// Minted once when the story is created; the entry id derives from it.
    pub id: StoryId,
    pub title: String,
    pub link: Option<String>,
    /// The start of the primary's text, plain: for search and JSON Feed's
    /// `summary`. The article itself stays in the primary item, stored once.
    #[serde(default)]
    pub excerpt: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    /// The primary member's agency.
    pub agency: String,
    pub agency_name: String,
    /// Every member, primary first.
    pub members: Vec<Member>,
}

impl Story {
    /// Every agency credited by any member, primary first, without repeats.
    pub fn agencies(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![self.agency.as_str()];
        for m in &self.members {
            if !out.contains(&m.agency.as_str()) {
                out.push(&m.agency);
            }
        }
        out
    }
}

/// A story's id: 16 hex digits, stable for the story's whole life.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoryId(pub String);

impl StoryId {
    /// How many hex digits an id has; index keys end with them, so a scan reads the id without a lookup.
    pub const LEN: usize = 16;

    /// Derives the id from the key of the item that founded the story.
    pub fn for_item_key(item_key: &str) -> StoryId {
        StoryId(hex(&Sha256::digest(item_key.as_bytes())[..StoryId::LEN / 2]))
    }
}

impl std::fmt::Display for StoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The validators of a source's last successful response, sent back as
/// `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What loa knows of a source's health and how to poll it next, kept in the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub validators: Validators,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt, when there was a response.
    pub http_status: Option<u16>,
    /// A short, stable name of the last error (`timeout`, `http_status`, `not_a_feed`…).
    pub error_kind: Option<String>,
    /// The last error, written for people.
    pub error: Option<String>,
    pub consecutive_failures: u32,
    /// Items this source has contributed, in all.
    pub items_total: u64,
    /// New items in the last successful poll.
    pub last_new: u64,
    /// When the next poll is due; `None` before the first poll, and for a source
    /// that is gone.
    pub next_due: Option<DateTime<Utc>>,
    /// The configured URL this record is about: when the config changes the URL,
    /// the redirect and gone state below no longer apply.
    #[serde(default)]
    pub configured_url: Option<String>,
    /// Where permanent redirects moved the source; polls go there.
    #[serde(default)]
    pub effective_url: Option<String>,
    /// The source answered 410 Gone: not polled again until its config changes.
    #[serde(default)]
    pub gone: bool,
    /// Dates (Unix seconds) of the source's most recent new items, oldest first:
    /// its publishing rate, for the adaptive cadence.
    #[serde(default)]
    pub recent: Vec<i64>,
    /// Entries of the last document past `[poll].max_items`, left out (the oldest).
    #[serde(default, deserialize_with = "trailing")]
    pub truncated: u64,
    /// Bodies the registry does not know that this source's items were credited
    /// to, each its own agency: at most `MAX_NEW_AGENCIES`.
    #[serde(default, deserialize_with = "trailing")]
    pub new_agencies: Vec<String>,
}

/// How many bodies the registry does not know one source may add as agencies
/// (each gets a feed); items naming more are credited to the source's own agency.
pub const MAX_NEW_AGENCIES: usize = 64;

/// A field added at the end of a postcard record: the records written before it
/// end where it would start, and read it as its default.
fn trailing<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(T::deserialize(d).unwrap_or_default())
}

impl SourceHealth {
    /// Whether this record is about `url`, the source's configured URL: a record
    /// about another URL (the config changed it) says nothing of this one.
    pub fn is_for(&self, url: &str) -> bool {
        self.configured_url.as_deref() == Some(url)
    }

    /// How many of the recent items are dated within a week before `now`.
    pub fn items_last_week(&self, now: DateTime<Utc>) -> usize {
        let since = (now - chrono::Duration::days(7)).timestamp();
        self.recent.iter().filter(|t| **t >= since && **t <= now.timestamp()).count()
    }

    /// Remembers the dates of new items, keeping the most recent ones.
    pub fn record_new_items(&mut self, dates: impl IntoIterator<Item = DateTime<Utc>>) {
        self.recent.extend(dates.into_iter().map(|d| d.timestamp()));
        self.recent.sort_unstable();
        let excess = self.recent.len().saturating_sub(RECENT_KEPT);
        self.recent.drain(..excess);
    }
}

/// How many recent item dates a source's health keeps.
pub const RECENT_KEPT: usize = 64;

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The bytes `hex` wrote; `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A plain item of the `tinh-uy` agency for unit tests: source `source`, guid
/// identity `guid`, first seen at `first_seen`, nothing else set.
#[cfg(test)]
impl Item {
    pub(crate) fn sample(source: &str, guid: &str, first_seen: &str) -> Item {
        Item {
            source: source.into(),
            identity: Identity::Guid(guid.into()),
            guid: None,
            title: String::new(),
            link: None,
            canonical_url: None,
            summary: None,
            content: None,
            published: None,
            updated: None,
            first_seen: first_seen.parse().expect("an RFC 3339 date"),
            authors: vec![],
            categories: vec![],
            agency: "tinh-uy".into(),
            agency_name: "Tỉnh ủy".into(),
            evidence: Evidence::SourceDefault,
            source_agency: "tinh-uy".into(),
            source_url: "https://a.vn/rss".into(),
            source_title: None,
            listing: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn story_id_is_stable() {
        let a = StoryId::for_item_key("tinhuy\u{0}g:25860");
        assert_eq!(a, StoryId::for_item_key("tinhuy\u{0}g:25860"));
        assert_eq!(a.0.len(), 16);
        assert_ne!(a, StoryId::for_item_key("tinhuy\u{0}g:25861"));
    }

    #[test]
    fn feed_kind_extensions_round_trip() {
        for k in FeedKind::ALL {
            assert_eq!(FeedKind::from_extension(k.extension()), Some(k));
        }
        assert_eq!(FeedKind::from_extension("xml"), None);
    }
}
