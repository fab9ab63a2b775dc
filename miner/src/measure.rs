//! Hashrate of a backend over wall-clock time, as the keeper would run it.

use std::time::{Duration, Instant};

use crate::backend::{Backend, DeviceInfo};
use crate::miner::Miner;
use crate::work::Work;
use crate::MinerError;

/// One device's measured rate.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The device.
    pub device: DeviceInfo,
    /// Hashes per second.
    pub rate: f64,
    /// The batch size the tuner settled on.
    pub batch: u64,
    /// Launches inside the measured window.
    pub launches: u64,
}

/// Runs `backend` through a [`Miner`] on work that never succeeds (target 0)
/// for `span` after warm-up (kernel compilation and the first tuning steps),
/// and counts whole launches only.
pub fn measure(backend: Box<dyn Backend>, span: Duration) -> Result<Measurement, MinerError> {
    let device = backend.info().clone();
    let miner = Miner::start(backend, |_| {});
    miner.set_work(Work { challenge: [0x4c; 32], beneficiary: [0x44; 32], target: [0; 32], salt: [0; 24] });
    let deadline = Instant::now() + Duration::from_secs(60);
    let wait_for = |launches: u64| -> Result<(), MinerError> {
        while miner.stats().launches < launches {
            if Instant::now() > deadline {
                return Err(MinerError::Backend(format!("{} completed no launches within 60 s", device.id)));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    };
    wait_for(4)?;
    let before = miner.stats();
    std::thread::sleep(span);
    wait_for(before.launches + 1)?;
    let after = miner.stats();
    let secs = Duration::from_nanos(after.last_launch_end_ns.saturating_sub(before.last_launch_end_ns)).as_secs_f64();
    Ok(Measurement {
        device,
        rate: if secs > 0.0 { after.hashes.saturating_sub(before.hashes) as f64 / secs } else { 0.0 },
        batch: after.batch,
        launches: after.launches.saturating_sub(before.launches),
    })
}

/// A hashrate for people: `8.12 MH/s`.
pub fn format_rate(hashes_per_second: f64) -> String {
    match hashes_per_second {
        r if r >= 1e9 => format!("{:.2} GH/s", r / 1e9),
        r if r >= 1e6 => format!("{:.2} MH/s", r / 1e6),
        r if r >= 1e3 => format!("{:.2} kH/s", r / 1e3),
        r => format!("{r:.0} H/s"),
    }
}

#[cfg(test)]
mod rate_format_tests {
    use super::format_rate;

    #[test]
    fn rates_are_printed_with_units() {
        assert_eq!(format_rate(8_120_000.0), "8.12 MH/s");
        assert_eq!(format_rate(3_900_000_000.0), "3.90 GH/s");
        assert_eq!(format_rate(12.0), "12 H/s");
    }
}
