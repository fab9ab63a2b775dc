//! Hashrate over a sliding window.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Hashes per second over the last few seconds. Miners count a launch when it
/// ends, so a window several launches long smooths the steps.
#[derive(Debug, Default)]
pub struct RateWindow {
    samples: VecDeque<(Instant, u64)>,
}

impl RateWindow {
    const SPAN: Duration = Duration::from_secs(3);

    /// Records `hashes` (a running total) at `now` and returns the rate.
    pub fn push(&mut self, now: Instant, hashes: u64) -> u64 {
        self.samples.push_back((now, hashes));
        while self.samples.len() > 2 && self.samples.front().is_some_and(|(t, _)| now.duration_since(*t) > Self::SPAN) {
            self.samples.pop_front();
        }
        let Some(&(t0, h0)) = self.samples.front() else { return 0 };
        let secs = now.duration_since(t0).as_secs_f64();
        if secs <= 0.0 {
            return 0;
        }
        // Hashes per second fit in u64 with room to spare; the cast saturates.
        (hashes.saturating_sub(h0) as f64 / secs) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_hashes_over_the_window() {
        let t = Instant::now();
        let mut w = RateWindow::default();
        assert_eq!(w.push(t, 0), 0);
        assert_eq!(w.push(t + Duration::from_secs(1), 1_000), 1_000);
        assert_eq!(w.push(t + Duration::from_secs(2), 3_000), 1_500);
        // Samples older than the span drop out.
        assert_eq!(w.push(t + Duration::from_secs(6), 3_000), 0, "no hashes in the last span");
        assert_eq!(w.push(t + Duration::from_secs(7), 5_000), 2_000, "2,000 hashes in the last second");
    }
}
