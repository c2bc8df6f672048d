//! When each source is due, and how many requests may be in flight.
//!
//! The schedule owns timing only: the interval with a little jitter (so that a
//! hundred sources configured alike do not fire in the same second), a cadence
//! that follows how often the source publishes, never faster than the source asks
//! (Cache-Control, Expires, RSS `<ttl>`, Retry-After), backoff after consecutive
//! failures, and the per-host and overall limits on requests in flight with a
//! minimum spacing per host. It never looks at a body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::model::SourceHealth;

/// The longest loa waits between two polls of a failing source, and the longest a
/// source may ask it to wait.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// What decides the wait before a source's next poll.
pub struct Cadence {
    /// The source's configured interval: the fastest loa polls it.
    pub interval: Duration,
    /// The slowest loa polls a quiet source.
    pub max_interval: Duration,
}

impl Cadence {
    /// The wait before the next poll of a source whose last poll ended as `health`
    /// says; `asked` is what the source asked for (Cache-Control, Expires, `<ttl>`
    /// on success; Retry-After on failure). `None`: never (the source is gone).
    pub fn next_delay(
        &self,
        health: &SourceHealth,
        asked: Option<Duration>,
        now: DateTime<Utc>,
        seed: u64,
    ) -> Option<Duration> {
        if health.gone {
            return None;
        }
        let planned = match health.consecutive_failures {
            0 => jitter(self.by_rate(health, now), seed),
            n => jitter(self.interval.saturating_mul(1u32 << (n - 1).min(16)).min(MAX_WAIT.max(self.interval)), seed),
        };
        // Jitter may shorten the plan, never what the source asked for.
        Some(planned.max(asked.unwrap_or_default().min(MAX_WAIT)))
    }

    /// The interval that follows the source's publishing rate: about four polls per
    /// average gap between its items of the last week, within the configured bounds.
    fn by_rate(&self, health: &SourceHealth, now: DateTime<Utc>) -> Duration {
        let max = self.max_interval.max(self.interval);
        match health.items_last_week(now) {
            0 => max,
            n => (Duration::from_secs(7 * 86_400) / (4 * n as u32)).clamp(self.interval, max),
        }
    }
}

/// The wait before the first poll after a start: what the store says was due, so a
/// restart does not poll everything at once.
pub fn initial_delay(health: Option<&SourceHealth>, now: DateTime<Utc>) -> Option<Duration> {
    match health {
        Some(h) if h.gone => None,
        Some(h) => Some(h.next_due.and_then(|due| (due - now).to_std().ok()).unwrap_or(Duration::ZERO)),
        None => Some(Duration::ZERO),
    }
}

/// Whether a source is due at `now`.
pub fn is_due(health: Option<&SourceHealth>, now: DateTime<Utc>) -> bool {
    initial_delay(health, now) == Some(Duration::ZERO)
}

/// ±10 %, derived from a seed so that tests can pin it.
fn jitter(d: Duration, seed: u64) -> Duration {
    let z = crate::util::hash::splitmix64(seed);
    let frac = (z % 2001) as f64 / 1000.0 - 1.0; // -1.0 ..= 1.0
    d.mul_f64(1.0 + 0.1 * frac)
}

/// Limits on requests in flight: overall and per host, with a minimum spacing
/// between the starts of two requests to one host.
pub struct Limits {
    overall: Arc<Semaphore>,
    per_host: usize,
    spacing: Duration,
    hosts: Mutex<HashMap<String, Host>>,
}

struct Host {
    slots: Arc<Semaphore>,
    next_start: Instant,
}

/// Held while a request is in flight (the host's place) and while its document is
/// processed (the overall place).
pub struct Permit {
    host: Option<OwnedSemaphorePermit>,
    _overall: OwnedSemaphorePermit,
}

impl Permit {
    /// Frees the host's place once its server has answered.
    pub fn release_host(&mut self) {
        self.host = None;
    }
}

impl Limits {
    pub fn new(concurrency: usize, per_host: usize, spacing: Duration) -> Limits {
        Limits {
            overall: Arc::new(Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            spacing,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a place for a request to `url`'s host. The host place is taken
    /// first, so a busy host never holds an overall place while it waits.
    pub async fn acquire(&self, url: &Url) -> Permit {
        let host = self.acquire_host(url).await;
        let overall = self.overall.clone().acquire_owned().await.expect("the overall semaphore is never closed");
        Permit { host: Some(host), _overall: overall }
    }

    /// Waits for a place among the requests to `url`'s host only: for the pages a
    /// poll fetches beyond its first (an HTML source's articles).
    pub async fn acquire_host(&self, url: &Url) -> OwnedSemaphorePermit {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let slots = {
            let mut hosts = crate::util::sync::lock(&self.hosts);
            let h = hosts
                .entry(host.clone())
                .or_insert_with(|| Host { slots: Arc::new(Semaphore::new(self.per_host)), next_start: Instant::now() });
            h.slots.clone()
        };
        let host_permit = slots.acquire_owned().await.expect("host semaphores are never closed");
        // Claim the next start time of this host, then wait for it.
        let start = {
            let mut hosts = crate::util::sync::lock(&self.hosts);
            let h = hosts.get_mut(&host).expect("inserted above");
            let start = h.next_start.max(Instant::now());
            h.next_start = start + self.spacing;
            start
        };
        tokio::time::sleep_until(start).await;
        host_permit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2022-08-06T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn backoff_grows_caps_and_respects_retry_after() {
        let c = Cadence { interval: Duration::from_secs(600), max_interval: Duration::from_secs(7200) };
        let d = |n, asked| {
            let h = SourceHealth { consecutive_failures: n, ..Default::default() };
            c.next_delay(&h, asked, now(), 7).unwrap()
        };
        assert!(d(1, None) < d(2, None) && d(2, None) < d(3, None));
        assert!(d(30, None) <= MAX_WAIT.mul_f64(1.1));
        assert_eq!(d(1, Some(Duration::from_secs(3600))), Duration::from_secs(3600));
        let gone = SourceHealth { gone: true, ..Default::default() };
        assert_eq!(c.next_delay(&gone, None, now(), 7), None);
    }

    #[test]
    fn cadence_follows_the_publishing_rate_within_bounds() {
        let c = Cadence { interval: Duration::from_secs(900), max_interval: Duration::from_secs(7200) };
        let with = |per_week: i64| {
            let mut h = SourceHealth::default();
            h.record_new_items(
                (0..per_week).map(|i| now() - chrono::Duration::seconds(i * 7 * 86_400 / per_week.max(1))),
            );
            c.by_rate(&h, now())
        };
        assert_eq!(with(0), Duration::from_secs(7200), "a quiet source is polled at the slowest");
        assert_eq!(with(7), Duration::from_secs(7200));
        assert_eq!(with(40), Duration::from_secs(3780));
        assert_eq!(with(64), Duration::from_secs(7 * 86_400) / 256);
        let busy = SourceHealth { recent: (0..64).map(|i| now().timestamp() - i * 60).collect(), ..Default::default() };
        assert_eq!(c.by_rate(&busy, now()), Duration::from_secs(7 * 86_400) / 256);
    }

    #[test]
    fn never_faster_than_the_source_asks() {
        let c = Cadence { interval: Duration::from_secs(60), max_interval: Duration::from_secs(60) };
        let h = SourceHealth::default();
        assert_eq!(c.next_delay(&h, Some(Duration::from_secs(1800)), now(), 1), Some(Duration::from_secs(1800)));
        assert_eq!(c.next_delay(&h, Some(Duration::from_secs(10 * 86_400)), now(), 1), Some(MAX_WAIT));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for seed in 0..1000 {
            let d = jitter(Duration::from_secs(1000), seed);
            assert!(d >= Duration::from_secs(900) && d <= Duration::from_secs(1100), "{d:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn host_spacing_separates_request_starts() {
        let limits = Limits::new(8, 2, Duration::from_millis(500));
        let url = Url::parse("http://a.example/feed").unwrap();
        let t0 = Instant::now();
        let p1 = limits.acquire(&url).await;
        let p2 = limits.acquire(&url).await;
        assert!(Instant::now() - t0 >= Duration::from_millis(500));
        drop((p1, p2));
        let other = Url::parse("http://b.example/feed").unwrap();
        let t1 = Instant::now();
        let _p = limits.acquire(&other).await;
        assert_eq!(Instant::now(), t1, "another host does not wait");
    }
}
