//! Pacing for a live account: a client-side rate limit, a request budget
//! per run, and exponential backoff with full jitter.

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
    pub max_backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rate: 5.0,
            budget: 2000,
            attempts: 6,
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

/// Spaces requests evenly at `rate` and counts them against the budget.
#[derive(Debug)]
pub struct Pacer {
    limits: Limits,
    next: Mutex<Instant>,
    spent: AtomicU64,
}

impl Pacer {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            next: Mutex::new(Instant::now()),
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
        let interval = Duration::from_secs_f64(1.0 / self.limits.rate.max(0.001));
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + interval;
            at
        };
        tokio::time::sleep_until(at).await;
        Ok(())
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

    #[test]
    fn backoff_grows_and_is_capped() {
        let pacer = Pacer::new(Limits::default());
        for attempt in 1..20 {
            assert!(pacer.backoff(attempt) <= Duration::from_secs(8));
        }
        assert!(pacer.backoff(1) <= Duration::from_millis(250));
    }
}
