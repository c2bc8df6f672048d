//! loa gathers the news of a Vietnamese province and publishes it as clean feeds.
//!
//! The modules follow the data: `config → schedule → fetch → parse → normalize →
//! read → store/dedupe → publish → serve`, over the leaves `util` and `model`, wired
//! together by `daemon`. Each uses only those ARCHITECTURE.md draws before it
//! (checked by `tests/architecture.rs`).

pub mod agency;
pub mod config;
pub mod daemon;
pub mod dedupe;
pub mod demo;
pub mod discover;
pub mod export;
pub mod fetch;
pub mod import;
pub mod inspect;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod publish;
pub mod read;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod upkeep;
pub mod util;
