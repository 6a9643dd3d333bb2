//! A media file's life after it was accepted: how long optimization takes and what finishing it
//! changes. The API handler and the seeding share these, so seeded files look exactly like
//! imported ones once ready.

use crate::domain::media::{MediaFile, MediaStatus};
use crate::domain::time::Millis;

/// Sandbox milliseconds optimizing a file of `size` bytes takes: `base_seconds` plus one second
/// per whole MB. Saturates rather than overflowing on absurd settings.
pub fn optimize_millis(size: u64, base_seconds: u64) -> Millis {
    let seconds = base_seconds.saturating_add(size / 1_048_576);
    Millis::try_from(seconds.saturating_mul(1000)).unwrap_or(Millis::MAX / 4)
}

/// Optimization is over: the file is ready and its URL serves it.
pub fn finish_optimizing(m: &mut MediaFile, at: Millis) {
    if m.status == MediaStatus::Optimizing {
        m.status = MediaStatus::Ready;
        m.optimized_at = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimization_time_never_overflows() {
        assert_eq!(optimize_millis(0, 3), 3_000);
        assert_eq!(optimize_millis(5 * 1_048_576, 3), 8_000);
        let huge = optimize_millis(u64::MAX, u64::MAX);
        assert!(huge > 0 && huge < Millis::MAX / 2, "{huge}");
        assert!(0i64.checked_add(huge).is_some());
    }
}
