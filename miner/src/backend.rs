//! The interface every search backend implements, and how devices are named.

use std::fmt;
use std::str::FromStr;

use crate::keccak::Prepared;
use crate::work::Work;
use crate::MinerError;

/// A piece of work with its precomputed round 1. `id` changes whenever the work
/// does, so a backend can cache what it uploaded.
#[derive(Debug, Clone)]
pub struct Job {
    /// Distinct for every job a miner is given.
    pub id: u64,
    /// The puzzle.
    pub work: Work,
    /// `work.prepare()`.
    pub prepared: Prepared,
}

impl Job {
    /// Prepares `work` under `id`.
    pub fn new(id: u64, work: Work) -> Self {
        Job { id, prepared: work.prepare(), work }
    }
}

/// A search backend: one device, driven by a [`crate::Miner`].
pub trait Backend: Send {
    /// What this backend runs on.
    fn info(&self) -> &DeviceInfo;

    /// Tries the `count` counters from `start` (`count` a multiple of
    /// [`Backend::granularity`]) and returns one whose digest meets the target,
    /// if any did. The caller re-checks it.
    fn scan(&mut self, job: &Job, start: u64, count: u64) -> Result<Option<u64>, MinerError>;

    /// Batch sizes are multiples of this.
    fn granularity(&self) -> u64;

    /// A first batch size, before measurement tunes it.
    fn initial_batch(&self) -> u64;
}

/// Names a device on the command line: `cpu`, or `ocl:<platform>:<device>` as
/// `lode mine --list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceId {
    /// The pure-Rust CPU backend on every core.
    Cpu,
    /// An OpenCL device, by platform and device index.
    OpenCl {
        /// Index in the platform list.
        platform: usize,
        /// Index in that platform's device list.
        device: usize,
    },
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceId::Cpu => write!(f, "cpu"),
            DeviceId::OpenCl { platform, device } => write!(f, "ocl:{platform}:{device}"),
        }
    }
}

impl FromStr for DeviceId {
    type Err = MinerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || MinerError::BadDeviceName(s.to_owned());
        if s == "cpu" {
            return Ok(DeviceId::Cpu);
        }
        let rest = s.strip_prefix("ocl:").ok_or_else(bad)?;
        let (p, d) = rest.split_once(':').ok_or_else(bad)?;
        Ok(DeviceId::OpenCl { platform: p.parse().map_err(|_| bad())?, device: d.parse().map_err(|_| bad())? })
    }
}

/// What kind of device, in the order the default choice prefers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeviceKind {
    /// An OpenCL GPU (or other accelerator).
    Gpu,
    /// An OpenCL CPU device, such as PoCL.
    OpenClCpu,
    /// The pure-Rust CPU backend.
    Cpu,
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Gpu => "GPU",
            DeviceKind::OpenClCpu => "OpenCL CPU",
            DeviceKind::Cpu => "CPU (Rust)",
        })
    }
}

/// A device as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// How to pick it with `--device`.
    pub id: DeviceId,
    /// GPU, OpenCL CPU or the Rust backend.
    pub kind: DeviceKind,
    /// Platform and device name, or the CPU backend's description.
    pub name: String,
    /// Compute units or threads, and SIMD width.
    pub detail: String,
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<10} {:<11} {}  ({})", self.id.to_string(), self.kind.to_string(), self.name, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_round_trip() {
        for id in [DeviceId::Cpu, DeviceId::OpenCl { platform: 0, device: 3 }, DeviceId::OpenCl { platform: 12, device: 0 }] {
            assert_eq!(id.to_string().parse::<DeviceId>().unwrap(), id);
        }
    }

    #[test]
    fn bad_device_names_say_what_is_accepted() {
        for bad in ["", "gpu", "ocl:", "ocl:0", "ocl:a:0", "ocl:0:-1", "cpu:0", "ocl:0:0:0"] {
            let err = bad.parse::<DeviceId>().unwrap_err().to_string();
            assert!(err.contains("ocl:<platform>:<device>") && err.contains("--list"), "{bad}: {err}");
        }
    }
}
