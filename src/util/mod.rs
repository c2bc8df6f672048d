//! The leaf helpers every stage shares: text cleaning (`text`), dates as portals
//! write them (`date`), XML/HTML escaping (`xml`), slugs (`slug`), hashes
//! (`hash`), files written whole or not at all (`atomic`) and locks taken past a
//! panicked holder (`sync`).
//!
//! Owns no state and no domain types; uses nothing else of the crate, so any
//! module may use it without a cycle. A helper that needs a `Source`, an `Item` or
//! the registry belongs to its stage instead.

pub mod atomic;
pub mod date;
pub mod hash;
pub mod slug;
pub mod sync;
pub mod text;
pub mod xml;
