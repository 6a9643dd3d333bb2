//! Fixed-window rate limiting per API key on the sandbox clock.
//!
//! One mutex around the window table makes the count exact under concurrency: with N allowed,
//! exactly N concurrent requests pass, whatever the interleaving. Windows are aligned to multiples
//! of their length since the epoch, so `X-RateLimit-Reset` is the same for every request in a
//! window.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::domain::keys::RateLimitSpec;

/// What the limiter decided for one request, and the header values that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds at which the current window ends.
    pub reset: i64,
    /// Seconds until the window ends (at least 1), for `Retry-After`.
    pub retry_after: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    index: i64,
    window_seconds: u64,
    count: u64,
}

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

impl RateLimiter {
    fn window_of(spec: RateLimitSpec, now_secs: i64) -> (i64, i64) {
        let len = spec.window_seconds as i64;
        let index = now_secs.div_euclid(len);
        (index, (index + 1) * len)
    }

    /// Counts one request for `key` and decides whether it may pass.
    pub fn hit(&self, key: &str, spec: RateLimitSpec, now_secs: i64) -> Decision {
        let (index, reset) = Self::window_of(spec, now_secs);
        let mut windows = self.windows.lock();
        let w = windows.entry(key.to_string()).or_insert(Window {
            index,
            window_seconds: spec.window_seconds,
            count: 0,
        });
        if w.index != index || w.window_seconds != spec.window_seconds {
            *w = Window {
                index,
                window_seconds: spec.window_seconds,
                count: 0,
            };
        }
        let allowed = w.count < spec.limit;
        if allowed {
            w.count += 1;
        }
        Decision {
            allowed,
            limit: spec.limit,
            remaining: spec.limit - w.count.min(spec.limit),
            reset,
            retry_after: (reset - now_secs).max(1) as u64,
        }
    }

    /// The current state for `key` without counting a request (for answers that do not count,
    /// such as a 401 for an unknown key).
    pub fn peek(&self, key: &str, spec: RateLimitSpec, now_secs: i64) -> Decision {
        let (index, reset) = Self::window_of(spec, now_secs);
        let used = self
            .windows
            .lock()
            .get(key)
            .filter(|w| w.index == index && w.window_seconds == spec.window_seconds)
            .map_or(0, |w| w.count);
        Decision {
            allowed: used < spec.limit,
            limit: spec.limit,
            remaining: spec.limit - used.min(spec.limit),
            reset,
            retry_after: (reset - now_secs).max(1) as u64,
        }
    }

    /// Drops windows that ended at or before `now_secs`.
    pub fn prune(&self, now_secs: i64) {
        self.windows
            .lock()
            .retain(|_, w| (w.index + 1) * w.window_seconds as i64 > now_secs);
    }

    pub fn clear(&self) {
        self.windows.lock().clear();
    }

    pub fn tracked_keys(&self) -> usize {
        self.windows.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const HOURLY: RateLimitSpec = RateLimitSpec {
        limit: 3,
        window_seconds: 3600,
    };

    #[test]
    fn allows_exactly_the_limit_per_window_then_resets() {
        let l = RateLimiter::default();
        let t = 7200 + 10;
        let results: Vec<_> = (0..4).map(|_| l.hit("k", HOURLY, t)).collect();
        assert_eq!(
            results.iter().map(|d| d.allowed).collect::<Vec<_>>(),
            [true, true, true, false]
        );
        assert_eq!(
            results.iter().map(|d| d.remaining).collect::<Vec<_>>(),
            [2, 1, 0, 0]
        );
        assert_eq!(results[3].reset, 3 * 3600);
        assert_eq!(results[3].retry_after, 3600 - 10);
        assert!(l.hit("other", HOURLY, t).allowed);
        assert!(l.hit("k", HOURLY, 3 * 3600).allowed);
    }

    #[test]
    fn peek_does_not_count() {
        let l = RateLimiter::default();
        assert_eq!(l.peek("k", HOURLY, 0).remaining, 3);
        l.hit("k", HOURLY, 0);
        assert_eq!(l.peek("k", HOURLY, 0).remaining, 2);
        assert_eq!(l.peek("k", HOURLY, 0).remaining, 2);
    }

    #[test]
    fn exact_under_concurrency() {
        let l = Arc::new(RateLimiter::default());
        let spec = RateLimitSpec {
            limit: 500,
            window_seconds: 60,
        };
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || (0..100).filter(|_| l.hit("k", spec, 5).allowed).count())
            })
            .collect();
        let passed: usize = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .sum();
        assert_eq!(passed, 500);
    }

    #[test]
    fn prune_forgets_finished_windows() {
        let l = RateLimiter::default();
        l.hit("a", HOURLY, 10);
        l.hit("b", HOURLY, 3700);
        l.prune(3600);
        assert_eq!(l.tracked_keys(), 1);
    }
}
