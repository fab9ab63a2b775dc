//! # lode-miner
//!
//! The search for LODE proof-of-work solutions:
//! `keccak256(challenge ‖ beneficiary ‖ nonce) ≤ target` (see
//! `lode_primitives::pow`).
//!
//! * [`Backend`]: one device. [`opencl::OpenClBackend`] runs
//!   `kernels/lode_pow.cl` through the `ocl` crate (PoCL on CPUs, vendor
//!   drivers on GPUs); [`cpu::CpuBackend`] is pure Rust on every core.
//! * [`Miner`]: drives a backend on its own thread with the latest [`Work`],
//!   tunes launches to about 75 ms, and re-checks every answer with a reference
//!   Keccak-256 before reporting it.
//! * [`devices`]: what is installed, and the default choice (GPU, then OpenCL on
//!   the CPU, then the Rust backend).

pub mod backend;
pub mod cpu;
pub mod devices;
pub mod keccak;
pub mod measure;
pub mod miner;
pub mod opencl;
pub mod work;

pub use backend::{Backend, DeviceId, DeviceInfo, DeviceKind, Job};
pub use miner::{Miner, MinerEvent, MinerStats};
pub use work::{Solution, Work};

/// What can go wrong finding or driving a device.
#[derive(Debug, thiserror::Error)]
pub enum MinerError {
    /// The OpenCL loader found no driver.
    #[error(
        "no OpenCL driver (ICD) is installed. On Debian install `ocl-icd-libopencl1` and `pocl-opencl-icd` \
         (scripts/setup does), or a GPU vendor's driver; until then mining uses the CPU backend"
    )]
    NoOpenCl,
    /// An OpenCL call failed.
    #[error("OpenCL failed while {doing}: {message}")]
    OpenCl {
        /// What the backend was doing.
        doing: String,
        /// The driver's message.
        message: String,
    },
    /// `--device` named something that does not parse.
    #[error("device `{0}` is not `cpu` or `ocl:<platform>:<device>`; `lode mine --list` shows the devices here")]
    BadDeviceName(String),
    /// `--device` named a device that is not installed.
    #[error("there is no device {id} here (available: {available}); `lode mine --list` shows the devices")]
    UnknownDevice {
        /// What was asked for.
        id: DeviceId,
        /// What there is.
        available: String,
    },
    /// Anything else a backend reports.
    #[error("miner backend: {0}")]
    Backend(String),
}
