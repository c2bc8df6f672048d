//! loa gathers the news of a Vietnamese province and publishes it as clean feeds.
//!
//! The modules follow the data: `config → schedule → fetch → parse → normalize →
//! dedupe → store → publish → serve`, wired together by `daemon`.

pub mod agency;
pub mod config;
pub mod control;
pub mod daemon;
pub mod dedupe;
pub mod demo;
pub mod discover;
pub mod export;
pub mod fetch;
pub mod inspect;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod publish;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod upkeep;
