//! Notices a miner that stopped hashing while it had work.

use std::time::{Duration, Instant};

/// Watches for a zero hashrate while there is work: reports once when it has
/// lasted `after`, and once when hashing resumes.
#[derive(Debug)]
pub struct StallWatch {
    after: Duration,
    since: Option<Instant>,
    alerted: bool,
}

/// A change worth an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// No hashes for this long, with work assigned.
    Began(Duration),
    /// Hashing resumed after a reported stall.
    Ended,
}

impl StallWatch {
    /// Reports stalls that last `after`.
    pub fn new(after: Duration) -> Self {
        StallWatch { after, since: None, alerted: false }
    }

    /// One observation: the current `rate`, and whether any miner has work (an
    /// idle miner waiting for the next challenge is not stalled).
    pub fn observe(&mut self, now: Instant, rate: u64, working: bool) -> Option<Stall> {
        if rate == 0 && working {
            let since = *self.since.get_or_insert(now);
            let lasted = now.saturating_duration_since(since);
            if !self.alerted && lasted >= self.after {
                self.alerted = true;
                return Some(Stall::Began(lasted));
            }
            return None;
        }
        self.since = None;
        if self.alerted && rate > 0 {
            self.alerted = false;
            return Some(Stall::Ended);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_is_reported_once_after_the_delay_and_its_end_once() {
        let t = Instant::now();
        let s = Duration::from_secs;
        let mut w = StallWatch::new(s(10));
        assert_eq!(w.observe(t, 5_000, true), None);
        assert_eq!(w.observe(t + s(1), 0, true), None, "stall starts");
        assert_eq!(w.observe(t + s(10), 0, true), None, "9 s is not yet 10");
        assert_eq!(w.observe(t + s(11), 0, true), Some(Stall::Began(s(10))));
        assert_eq!(w.observe(t + s(30), 0, true), None, "reported once");
        assert_eq!(w.observe(t + s(31), 0, false), None, "idle waiting for work is not a stall or a recovery");
        assert_eq!(w.observe(t + s(32), 7_000, true), Some(Stall::Ended));
        assert_eq!(w.observe(t + s(33), 7_000, true), None);
        // Idle time does not count toward a stall.
        assert_eq!(w.observe(t + s(40), 0, false), None);
        assert_eq!(w.observe(t + s(60), 0, true), None, "the clock starts when work is assigned");
        assert_eq!(w.observe(t + s(70), 0, true), Some(Stall::Began(s(10))));
    }
}
