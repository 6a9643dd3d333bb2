//! API keys: format, scopes, per-key rate limits and the role a seeded key plays.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a key may do. Reads need `read`; POST/PATCH/DELETE need `write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

/// A fixed request budget per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    /// Requests allowed per window (at least 1).
    pub limit: u64,
    /// Window length in seconds (at least 1).
    pub window_seconds: u64,
}

impl RateLimitSpec {
    /// Parses `100/hour`, `600/minute`, `10/second`, `5000/day`, `20/30s`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (n, per) = s.split_once('/').ok_or_else(|| {
            format!("expected N/hour, N/minute, N/second, N/day or off, got {s:?}")
        })?;
        let limit: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{n:?} is not a whole number"))?;
        let per = per.trim();
        let window_seconds = match per {
            "second" | "sec" | "s" => 1,
            "minute" | "min" | "m" => 60,
            "hour" | "h" => 3600,
            "day" | "d" => 86_400,
            other => other
                .strip_suffix('s')
                .and_then(|x| x.parse::<u64>().ok())
                .ok_or_else(|| format!("unknown window {other:?}"))?,
        };
        let spec = RateLimitSpec {
            limit,
            window_seconds,
        };
        spec.check().map(|_| spec)
    }

    pub fn check(&self) -> Result<(), String> {
        if self.limit == 0 {
            return Err("limit must be at least 1".into());
        }
        if self.window_seconds == 0 || self.window_seconds > 31 * 86_400 {
            return Err("window_seconds must be between 1 and 2678400".into());
        }
        Ok(())
    }
}

/// A token bucket: `capacity` requests at once, refilled at `refill_per_second` (the newest
/// Python SDK README's 600 refilling 10 per second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BucketSpec {
    pub capacity: u64,
    pub refill_per_second: u64,
}

/// How requests of a key are limited: a fixed window (the documented 100/hour; keys' own limits)
/// or a token bucket (`--rate-limit bucket:600,10/s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LimitPolicy {
    Window(RateLimitSpec),
    Bucket(BucketSpec),
}

impl LimitPolicy {
    /// Parses `--rate-limit`: a window (`100/hour`, see [`RateLimitSpec::parse`]) or
    /// `bucket:CAPACITY,RATE/s`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let Some(rest) = s.trim().strip_prefix("bucket:") else {
            return RateLimitSpec::parse(s).map(LimitPolicy::Window);
        };
        let bad = || format!("expected bucket:CAPACITY,RATE/s (e.g. bucket:600,10/s), got {s:?}");
        let (cap, rate) = rest.split_once(',').ok_or_else(bad)?;
        let capacity: u64 = cap.trim().parse().map_err(|_| bad())?;
        let refill_per_second: u64 = rate
            .trim()
            .strip_suffix("/s")
            .and_then(|r| r.trim().parse().ok())
            .ok_or_else(bad)?;
        if capacity == 0 || refill_per_second == 0 || capacity > 1_000_000_000 {
            return Err("a bucket needs a capacity and a refill rate of at least 1".into());
        }
        Ok(LimitPolicy::Bucket(BucketSpec {
            capacity,
            refill_per_second,
        }))
    }

    /// The `X-RateLimit-Limit` value.
    pub fn limit(&self) -> u64 {
        match self {
            LimitPolicy::Window(w) => w.limit,
            LimitPolicy::Bucket(b) => b.capacity,
        }
    }
}

/// The purpose of a key in the seeded world (`custom` for keys made at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    Root,
    Child,
    Grandchild,
    ReadOnly,
    Revoked,
    Elevated,
    OnboardingIncomplete,
    ZeroBalance,
    SendingPaused,
    Custom,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub key: String,
    pub name: String,
    pub organization_id: String,
    pub scopes: Vec<Scope>,
    /// The key's own limit; `None` uses the global one.
    pub rate_limit: Option<RateLimitSpec>,
    pub revoked: bool,
    pub role: KeyRole,
    pub created_at: i64,
}

impl ApiKey {
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// `pc_live_` or `pc_test_` followed by 24 base62 characters.
pub fn is_well_formed(key: &str) -> bool {
    let rest = key
        .strip_prefix("pc_live_")
        .or_else(|| key.strip_prefix("pc_test_"));
    matches!(rest, Some(r) if r.len() == 24 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_format() {
        assert!(is_well_formed("pc_test_SandboxRootKey0000000000"));
        assert!(is_well_formed("pc_live_abcdefghijklmnopqrstuvwx"));
        assert!(!is_well_formed("pc_test_short"));
        assert!(!is_well_formed("pc_prod_abcdefghijklmnopqrstuvwx"));
        assert!(!is_well_formed("pc_test_abcdefghijklmnopqrstuvw-"));
        assert!(!is_well_formed("pc_test_abcdefghijklmnopqrstuvwxy"));
    }

    #[test]
    fn rate_limit_specs() {
        let hour = RateLimitSpec::parse("100/hour").expect("valid");
        assert_eq!((hour.limit, hour.window_seconds), (100, 3600));
        let min = RateLimitSpec::parse("600/minute").expect("valid");
        assert_eq!((min.limit, min.window_seconds), (600, 60));
        let custom = RateLimitSpec::parse("5/30s").expect("valid");
        assert_eq!((custom.limit, custom.window_seconds), (5, 30));
        assert!(RateLimitSpec::parse("0/hour").is_err());
        assert!(RateLimitSpec::parse("ten/hour").is_err());
        assert!(RateLimitSpec::parse("10/fortnight").is_err());
        assert!(RateLimitSpec::parse("100").is_err());
    }
}
