//! The sandbox clock: the only source of "now" for the world.
//!
//! `realtime` runs from an anchor at `time_scale` × host speed; `manual` is frozen and moves only
//! when advanced. Both keep a (sandbox time, host instant) anchor, re-anchored on every change, so
//! switching modes or scales never makes time jump. Time never moves backwards.

use std::time::Instant;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::domain::time::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    Realtime,
    Manual,
}

impl ClockMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::Realtime => "realtime",
            ClockMode::Manual => "manual",
        }
    }
}

impl crate::domain::wire::WireEnum for ClockMode {
    const ALL: &'static [Self] = &[ClockMode::Realtime, ClockMode::Manual];
    fn as_str(self) -> &'static str {
        ClockMode::as_str(self)
    }
}

#[derive(Debug)]
struct State {
    mode: ClockMode,
    scale: f64,
    anchor_ms: Millis,
    anchor_host: Instant,
}

impl State {
    fn now(&self) -> Millis {
        match self.mode {
            ClockMode::Manual => self.anchor_ms,
            ClockMode::Realtime => {
                let elapsed = self.anchor_host.elapsed().as_secs_f64() * 1000.0 * self.scale;
                self.anchor_ms
                    .saturating_add(elapsed as Millis)
                    .min(MAX_TIME)
            }
        }
    }

    fn reanchor(&mut self) {
        self.anchor_ms = self.now();
        self.anchor_host = Instant::now();
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockReading {
    pub now: Millis,
    pub mode: ClockMode,
    pub time_scale: f64,
}

/// The last instant timestamps can show in RFC 3339 (9999-12-31T23:59:59.999Z): the clock never
/// passes it, so every timestamp keeps four-digit years.
pub const MAX_TIME: Millis = 253_402_300_799_999;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClockError {
    #[error("the sandbox clock never moves backwards: {requested} is before now ({now})")]
    Backwards { requested: String, now: String },
    #[error("the sandbox clock stops at 9999-12-31T23:59:59.999Z (RFC 3339 has four-digit years); {requested} is past it")]
    PastEnd { requested: String },
    #[error("time_scale must be a finite number between 0.001 and 1000000")]
    BadScale,
}

#[derive(Debug)]
pub struct Clock {
    state: Mutex<State>,
}

impl Clock {
    pub fn new(mode: ClockMode, start: Millis, scale: f64) -> Result<Self, ClockError> {
        check_scale(scale)?;
        Ok(Clock {
            state: Mutex::new(State {
                mode,
                scale,
                anchor_ms: start,
                anchor_host: Instant::now(),
            }),
        })
    }

    pub fn now(&self) -> Millis {
        self.state.lock().now()
    }

    pub fn read(&self) -> ClockReading {
        let s = self.state.lock();
        ClockReading {
            now: s.now(),
            mode: s.mode,
            time_scale: s.scale,
        }
    }

    pub fn set_mode(&self, mode: ClockMode) {
        let mut s = self.state.lock();
        s.reanchor();
        s.mode = mode;
    }

    pub fn set_scale(&self, scale: f64) -> Result<(), ClockError> {
        check_scale(scale)?;
        let mut s = self.state.lock();
        s.reanchor();
        s.scale = scale;
        Ok(())
    }

    /// Moves the clock to `to`, which must not be in the past.
    pub fn set_now(&self, to: Millis) -> Result<Millis, ClockError> {
        if to > MAX_TIME {
            return Err(ClockError::PastEnd {
                requested: format!("{to} ms since the epoch"),
            });
        }
        let mut s = self.state.lock();
        let now = s.now();
        if to < now {
            return Err(ClockError::Backwards {
                requested: crate::domain::time::format(to),
                now: crate::domain::time::format(now),
            });
        }
        s.anchor_ms = to;
        s.anchor_host = Instant::now();
        Ok(to)
    }

    /// Moves the clock forward by `ms` and returns the new time; never past [`MAX_TIME`].
    pub fn advance(&self, ms: Millis) -> Result<Millis, ClockError> {
        let mut s = self.state.lock();
        s.reanchor();
        let to = s.anchor_ms.saturating_add(ms.max(0));
        if to > MAX_TIME {
            return Err(ClockError::PastEnd {
                requested: format!("{} + {ms} ms", crate::domain::time::format(s.anchor_ms)),
            });
        }
        s.anchor_ms = to;
        Ok(to)
    }
}

fn check_scale(scale: f64) -> Result<(), ClockError> {
    if scale.is_finite() && (0.001..=1_000_000.0).contains(&scale) {
        Ok(())
    } else {
        Err(ClockError::BadScale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_frozen_until_advanced() {
        let c = Clock::new(ClockMode::Manual, 1_000, 1.0).expect("clock");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now(), 1_000);
        assert_eq!(c.advance(500), Ok(1_500));
        assert_eq!(c.now(), 1_500);
    }

    #[test]
    fn never_moves_backwards() {
        let c = Clock::new(ClockMode::Manual, 10_000, 1.0).expect("clock");
        assert!(matches!(
            c.set_now(9_999),
            Err(ClockError::Backwards { .. })
        ));
        assert_eq!(c.set_now(10_000), Ok(10_000));
        assert_eq!(c.set_now(20_000), Ok(20_000));
        assert_eq!(c.advance(-5), Ok(20_000));
    }

    #[test]
    fn realtime_scaled_clock_runs_faster_and_switching_modes_keeps_time() {
        let c = Clock::new(ClockMode::Realtime, 0, 1000.0).expect("clock");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let t = c.now();
        assert!(t >= 20_000, "scaled clock only at {t}");
        c.set_mode(ClockMode::Manual);
        let frozen = c.now();
        assert!(frozen >= t);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now(), frozen);
    }

    #[test]
    fn rejects_absurd_scales() {
        assert_eq!(
            Clock::new(ClockMode::Realtime, 0, 0.0).err(),
            Some(ClockError::BadScale)
        );
        let c = Clock::new(ClockMode::Realtime, 0, 1.0).expect("clock");
        assert_eq!(c.set_scale(f64::NAN), Err(ClockError::BadScale));
        assert_eq!(c.set_scale(60.0), Ok(()));
    }
}
