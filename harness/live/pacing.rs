//! Pacing for a live account: a client-side rate limit that halves when
//! the service says `RequestLimitExceeded` and creeps back on success
//! (additive increase, multiplicative decrease), a request budget per run,
//! and exponential backoff with full jitter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// How fast and how much a run may call.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Requests per second, across the run (IAI's own limits are 20 QPS and up).
    pub rate: f64,
    /// Requests per run, retries included; cleanup is exempt.
    pub budget: u64,
    /// Attempts per call when the answer says `RequestLimitExceeded` (or,
    /// for reads, the transport fails).
    pub attempts: u32,
    /// The first backoff; each next one doubles, up to `max_backoff`.
    pub base_backoff: Duration,
    /// The longest backoff between retries.
    pub max_backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rate: 5.0,
            budget: 2000,
            attempts: 8,
            base_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

/// The request budget is spent.
#[derive(Clone, Debug, thiserror::Error)]
#[error(
    "the run's request budget of {0} requests is spent (raise it with --budget); no request was sent"
)]
pub struct BudgetSpent(pub u64);

/// Spaces requests evenly at the current rate and counts them against the budget.
#[derive(Debug)]
pub struct Pacer {
    limits: Limits,
    /// The next free slot and the current rate.
    slot: Mutex<(Instant, f64)>,
    spent: AtomicU64,
}

/// The slowest the pacer goes, requests per second.
const FLOOR: f64 = 0.5;

impl Pacer {
    pub fn new(limits: Limits) -> Self {
        let rate = limits_rate(&limits);
        Self {
            limits,
            slot: Mutex::new((Instant::now(), rate)),
            spent: AtomicU64::new(0),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Requests sent so far.
    pub fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// Waits for the next slot; `budgeted` requests count against the budget.
    pub async fn admit(&self, budgeted: bool) -> Result<(), BudgetSpent> {
        if budgeted {
            let before = self.spent.fetch_add(1, Ordering::Relaxed);
            if before >= self.limits.budget {
                self.spent.fetch_sub(1, Ordering::Relaxed);
                return Err(BudgetSpent(self.limits.budget));
            }
        } else {
            self.spent.fetch_add(1, Ordering::Relaxed);
        }
        let at = {
            let mut slot = self.slot.lock().await;
            let now = Instant::now();
            let at = slot.0.max(now);
            slot.0 = at + Duration::from_secs_f64(1.0 / slot.1);
            at
        };
        tokio::time::sleep_until(at).await;
        Ok(())
    }

    /// The service throttled us: halve the rate for everyone.
    pub async fn throttled(&self) {
        let mut slot = self.slot.lock().await;
        slot.1 = (slot.1 / 2.0).max(FLOOR.min(limits_rate(&self.limits)));
    }

    /// An answer that was not throttled: win back a tenth of the limit.
    pub async fn succeeded(&self) {
        let mut slot = self.slot.lock().await;
        let max = limits_rate(&self.limits);
        slot.1 = (slot.1 + max / 10.0).min(max);
    }

    /// The current rate, requests per second.
    pub async fn rate(&self) -> f64 {
        self.slot.lock().await.1
    }

    /// The wait before retry number `attempt` (1-based): uniformly random
    /// in `[0, min(max, base * 2^(attempt-1))]` ("full jitter").
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .limits
            .base_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.limits.max_backoff);
        ceiling.mul_f64(rand::random::<f64>())
    }
}

fn limits_rate(limits: &Limits) -> f64 {
    if limits.rate.is_finite() && limits.rate > 0.0 {
        limits.rate
    } else {
        Limits::default().rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_requests_and_stops_at_the_budget() {
        let pacer = Pacer::new(Limits {
            rate: 50.0,
            budget: 3,
            ..Limits::default()
        });
        let start = Instant::now();
        for _ in 0..3 {
            pacer.admit(true).await.unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(40));
        assert!(pacer.admit(true).await.is_err());
        assert!(pacer.admit(false).await.is_ok(), "cleanup is exempt");
    }

    #[tokio::test]
    async fn halves_when_throttled_and_recovers() {
        let pacer = Pacer::new(Limits {
            rate: 8.0,
            ..Limits::default()
        });
        pacer.throttled().await;
        pacer.throttled().await;
        assert_eq!(pacer.rate().await, 2.0);
        for _ in 0..20 {
            pacer.throttled().await;
        }
        assert_eq!(pacer.rate().await, FLOOR);
        for _ in 0..20 {
            pacer.succeeded().await;
        }
        assert_eq!(pacer.rate().await, 8.0);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let pacer = Pacer::new(Limits::default());
        for attempt in 1..20 {
            assert!(pacer.backoff(attempt) <= Duration::from_secs(8));
        }
        assert!(pacer.backoff(1) <= Duration::from_millis(250));
    }
}
