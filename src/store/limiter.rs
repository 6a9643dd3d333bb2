//! Rate limiting per API key on the sandbox clock: fixed windows (the documented 100/hour, and
//! keys' own limits) or a token bucket (`--rate-limit bucket:600,10/s`, the newest SDK README's
//! model).
//!
//! One mutex around the table makes the count exact under concurrency: with N allowed, exactly
//! N concurrent requests pass, whatever the interleaving. Windows are aligned to multiples of
//! their length since the epoch, so `X-RateLimit-Reset` is the same for every request in a
//! window. A bucket refills continuously (in milliseconds of sandbox time); its `-Remaining` is
//! the whole tokens left and its `-Reset` the moment it is full again.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::domain::keys::{BucketSpec, LimitPolicy, RateLimitSpec};
use crate::domain::time::Millis;

/// What the limiter decided for one request, and the header values that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds at which the window ends (a bucket: at which it is full again).
    pub reset: i64,
    /// Seconds until a request would pass again (at least 1), for `Retry-After`.
    pub retry_after: u64,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Window {
        index: i64,
        window_seconds: u64,
        count: u64,
    },
    Bucket {
        spec: BucketSpec,
        /// Tokens in thousandths, as of `at`.
        milli_tokens: u64,
        at: Millis,
    },
}

#[derive(Default)]
pub struct RateLimiter {
    slots: Mutex<HashMap<String, Slot>>,
}

fn window_of(spec: RateLimitSpec, now_secs: i64) -> (i64, i64) {
    let len = spec.window_seconds as i64;
    let index = now_secs.div_euclid(len);
    (index, (index + 1) * len)
}

/// The bucket's tokens (in thousandths) at `now`, refilled since `at`.
fn refilled(spec: BucketSpec, milli_tokens: u64, at: Millis, now: Millis) -> u64 {
    let elapsed = (now - at).max(0) as u64;
    // refill_per_second tokens per 1000 ms = refill_per_second milli-tokens per ms.
    milli_tokens
        .saturating_add(elapsed.saturating_mul(spec.refill_per_second))
        .min(spec.capacity.saturating_mul(1000))
}

/// Requests counted in window `index` of `spec` by `slot` (0 for another window or policy).
fn window_used(slot: Option<&Slot>, spec: RateLimitSpec, index: i64) -> u64 {
    match slot {
        Some(Slot::Window {
            index: i,
            window_seconds: w,
            count,
        }) if *i == index && *w == spec.window_seconds => *count,
        _ => 0,
    }
}

/// The tokens (thousandths) of `slot`'s bucket at `now`; a full bucket for no slot or another policy.
fn bucket_tokens(slot: Option<&Slot>, spec: BucketSpec, now: Millis) -> u64 {
    match slot {
        Some(Slot::Bucket {
            spec: s,
            milli_tokens,
            at,
        }) if *s == spec => refilled(spec, *milli_tokens, *at, now),
        _ => spec.capacity.saturating_mul(1000),
    }
}

fn bucket_decision(spec: BucketSpec, milli_tokens: u64, allowed: bool, now: Millis) -> Decision {
    let full = spec.capacity.saturating_mul(1000);
    let ms_to_full = (full - milli_tokens.min(full)).div_ceil(spec.refill_per_second);
    let ms_to_one = 1000u64
        .saturating_sub(milli_tokens)
        .div_ceil(spec.refill_per_second);
    Decision {
        allowed,
        limit: spec.capacity,
        remaining: milli_tokens / 1000,
        reset: (now + ms_to_full as i64 + 999).div_euclid(1000),
        retry_after: ms_to_one.div_ceil(1000).max(1),
    }
}

impl RateLimiter {
    /// Counts one request for `key` at sandbox time `now` and decides whether it may pass.
    pub fn hit(&self, key: &str, policy: LimitPolicy, now: Millis) -> Decision {
        let mut slots = self.slots.lock();
        match policy {
            LimitPolicy::Window(spec) => {
                let now_secs = now.div_euclid(1000);
                let (index, reset) = window_of(spec, now_secs);
                let used = window_used(slots.get(key), spec, index);
                let allowed = used < spec.limit;
                let count = if allowed { used + 1 } else { used };
                slots.insert(
                    key.to_string(),
                    Slot::Window {
                        index,
                        window_seconds: spec.window_seconds,
                        count,
                    },
                );
                Decision {
                    allowed,
                    limit: spec.limit,
                    remaining: spec.limit - count.min(spec.limit),
                    reset,
                    retry_after: (reset - now_secs).max(1) as u64,
                }
            }
            LimitPolicy::Bucket(spec) => {
                let mut tokens = bucket_tokens(slots.get(key), spec, now);
                let allowed = tokens >= 1000;
                if allowed {
                    tokens -= 1000;
                }
                slots.insert(
                    key.to_string(),
                    Slot::Bucket {
                        spec,
                        milli_tokens: tokens,
                        at: now,
                    },
                );
                bucket_decision(spec, tokens, allowed, now)
            }
        }
    }

    /// The current state for `key` without counting a request (for answers that do not count,
    /// such as a 401 for an unknown key).
    pub fn peek(&self, key: &str, policy: LimitPolicy, now: Millis) -> Decision {
        let slots = self.slots.lock();
        match policy {
            LimitPolicy::Window(spec) => {
                let now_secs = now.div_euclid(1000);
                let (index, reset) = window_of(spec, now_secs);
                let used = window_used(slots.get(key), spec, index);
                Decision {
                    allowed: used < spec.limit,
                    limit: spec.limit,
                    remaining: spec.limit - used.min(spec.limit),
                    reset,
                    retry_after: (reset - now_secs).max(1) as u64,
                }
            }
            LimitPolicy::Bucket(spec) => {
                let tokens = bucket_tokens(slots.get(key), spec, now);
                bucket_decision(spec, tokens, tokens >= 1000, now)
            }
        }
    }

    /// Forgets windows that ended and buckets that are full again by `now` (either is the same
    /// as no entry at all).
    pub fn prune(&self, now: Millis) {
        let now_secs = now.div_euclid(1000);
        self.slots.lock().retain(|_, slot| match *slot {
            Slot::Window {
                index,
                window_seconds,
                ..
            } => (index + 1) * window_seconds as i64 > now_secs,
            Slot::Bucket {
                spec,
                milli_tokens,
                at,
            } => refilled(spec, milli_tokens, at, now) < spec.capacity.saturating_mul(1000),
        });
    }

    pub fn clear(&self) {
        self.slots.lock().clear();
    }

    pub fn tracked_keys(&self) -> usize {
        self.slots.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::BucketSpec;
    use std::sync::Arc;

    const HOURLY: LimitPolicy = LimitPolicy::Window(RateLimitSpec {
        limit: 3,
        window_seconds: 3600,
    });

    /// Seconds as sandbox milliseconds.
    fn s(secs: i64) -> Millis {
        secs * 1000
    }

    #[test]
    fn allows_exactly_the_limit_per_window_then_resets() {
        let l = RateLimiter::default();
        let t = 7200 + 10;
        let results: Vec<_> = (0..4).map(|_| l.hit("k", HOURLY, s(t))).collect();
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
        assert!(l.hit("other", HOURLY, s(t)).allowed);
        assert!(l.hit("k", HOURLY, s(3 * 3600)).allowed);
    }

    #[test]
    fn peek_does_not_count() {
        let l = RateLimiter::default();
        assert_eq!(l.peek("k", HOURLY, s(0)).remaining, 3);
        l.hit("k", HOURLY, s(0));
        assert_eq!(l.peek("k", HOURLY, s(0)).remaining, 2);
        assert_eq!(l.peek("k", HOURLY, s(0)).remaining, 2);
    }

    #[test]
    fn exact_under_concurrency() {
        let l = Arc::new(RateLimiter::default());
        let spec = LimitPolicy::Window(RateLimitSpec {
            limit: 500,
            window_seconds: 60,
        });
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || {
                    (0..100).filter(|_| l.hit("k", spec, 5_000).allowed).count()
                })
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
        l.hit("a", HOURLY, s(10));
        l.hit("b", HOURLY, s(3700));
        l.prune(s(3600));
        assert_eq!(l.tracked_keys(), 1);
    }

    #[test]
    fn a_bucket_allows_its_capacity_at_once_then_refills_continuously() {
        let l = RateLimiter::default();
        let bucket = LimitPolicy::Bucket(BucketSpec {
            capacity: 600,
            refill_per_second: 10,
        });
        let t = 1_000_000;
        let first = l.hit("k", bucket, t);
        assert_eq!(
            (first.allowed, first.limit, first.remaining),
            (true, 600, 599)
        );
        assert_eq!(
            first.reset,
            t / 1000 + 1,
            "full again a tenth of a second later"
        );
        for _ in 0..599 {
            assert!(l.hit("k", bucket, t).allowed);
        }
        let empty = l.hit("k", bucket, t);
        assert!(!empty.allowed);
        assert_eq!(empty.remaining, 0);
        assert_eq!(empty.retry_after, 1);
        assert_eq!(empty.reset, t / 1000 + 60, "600 tokens at 10/s");
        // 250 ms later: 2.5 tokens, so two requests pass and the third does not.
        assert!(l.hit("k", bucket, t + 250).allowed);
        assert!(l.hit("k", bucket, t + 250).allowed);
        assert!(!l.hit("k", bucket, t + 250).allowed);
        assert_eq!(
            l.peek("k", bucket, t + 60_000).remaining,
            598,
            "0.5 + 59.75 s × 10"
        );
        assert_eq!(l.peek("k", bucket, t + 61_000).remaining, 600);
        l.prune(t + 61_000);
        assert_eq!(l.tracked_keys(), 0, "a full bucket is forgotten");
    }

    #[test]
    fn bucket_specs_parse() {
        assert_eq!(
            LimitPolicy::parse("bucket:600,10/s"),
            Ok(LimitPolicy::Bucket(BucketSpec {
                capacity: 600,
                refill_per_second: 10
            }))
        );
        assert!(LimitPolicy::parse("bucket:600").is_err());
        assert!(LimitPolicy::parse("bucket:0,10/s").is_err());
        assert_eq!(LimitPolicy::parse("100/hour").map(|p| p.limit()), Ok(100));
    }
}
