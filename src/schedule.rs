//! When each source is due, and how many requests may be in flight.
//!
//! The schedule owns timing only: the interval with a little jitter (so that a
//! hundred sources configured alike do not fire in the same second), backoff after
//! consecutive failures, and the per-host and overall limits on requests in flight.
//! It never looks at a body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::model::SourceHealth;

/// The longest loa waits between two polls of a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// The wait before the next poll of a source whose last poll ended as `health` says.
pub fn next_delay(interval: Duration, health: &SourceHealth, jitter_seed: u64) -> Duration {
    let base = match health.consecutive_failures {
        0 => interval,
        n => interval.saturating_mul(1u32 << (n - 1).min(16)).min(MAX_BACKOFF.max(interval)),
    };
    jitter(base, jitter_seed)
}

/// The wait before the first poll after a start: what the store says was due, so a
/// restart does not poll everything at once.
pub fn initial_delay(health: Option<&SourceHealth>, now: DateTime<Utc>) -> Duration {
    health.and_then(|h| h.next_due).and_then(|due| (due - now).to_std().ok()).unwrap_or(Duration::ZERO)
}

/// ±10 %, derived from a seed so that tests can pin it.
fn jitter(d: Duration, seed: u64) -> Duration {
    // splitmix64: a well-spread value from any seed.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let frac = (z % 2001) as f64 / 1000.0 - 1.0; // -1.0 ..= 1.0
    d.mul_f64(1.0 + 0.1 * frac)
}

/// Limits on requests in flight: overall and per host.
pub struct Limits {
    overall: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Held while a request is in flight.
pub struct Permit {
    _host: OwnedSemaphorePermit,
    _overall: OwnedSemaphorePermit,
}

impl Limits {
    pub fn new(concurrency: usize, per_host: usize) -> Limits {
        Limits {
            overall: Arc::new(Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a place for a request to `url`'s host. The host place is taken
    /// first, so a busy host never holds an overall place while it waits.
    pub async fn acquire(&self, url: &Url) -> Permit {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            hosts.entry(host).or_insert_with(|| Arc::new(Semaphore::new(self.per_host))).clone()
        };
        let host = sem.acquire_owned().await.expect("host semaphores are never closed");
        let overall = self.overall.clone().acquire_owned().await.expect("the overall semaphore is never closed");
        Permit { _host: host, _overall: overall }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let i = Duration::from_secs(600);
        let d = |n| {
            let h = SourceHealth { consecutive_failures: n, ..Default::default() };
            next_delay(i, &h, 0)
        };
        assert!(d(1) < d(2) && d(2) < d(3));
        assert!(d(30) <= MAX_BACKOFF.mul_f64(1.1));
        let ok = d(0);
        assert!(ok >= i.mul_f64(0.9) && ok <= i.mul_f64(1.1));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for seed in 0..1000 {
            let d = jitter(Duration::from_secs(1000), seed);
            assert!(d >= Duration::from_secs(900) && d <= Duration::from_secs(1100), "{d:?}");
        }
    }
}
