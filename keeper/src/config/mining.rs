//! `[mining]`: proof-of-work mining on the keeper's devices.

use std::str::FromStr;
use std::time::Duration;

use lode_miner::DeviceId;
use serde::Deserialize;

use super::bounded::Bounded;
use super::error::ConfigError;
use super::resolve::Resolver;
use super::text::{deserialize_as_text, TextValue};

const DEFAULT_STALL_SECS: u64 = 30;

/// Mining settings, as the operator asks for them. The mining duty's own
/// `duties::mining::MiningConfig` adds what comes from the chain (the beneficiary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiningConfig {
    /// Whether to mine at all.
    pub enabled: bool,
    /// The devices to mine on, each once; empty: the preferred device
    /// (a GPU, else OpenCL on the CPU, else the CPU backend).
    pub devices: Vec<DeviceId>,
    /// Raise an alert when the hashrate has been zero this long.
    pub stall_after: Duration,
}

/// `[mining]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawMining {
    enabled: bool,
    devices: Vec<Device>,
    stall_secs: Bounded<1, 86_400>,
}

impl Default for RawMining {
    fn default() -> Self {
        RawMining { enabled: true, devices: Vec::new(), stall_secs: Bounded(DEFAULT_STALL_SECS) }
    }
}

impl RawMining {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> Result<MiningConfig, ConfigError> {
        let devices: Vec<DeviceId> = self.devices.into_iter().map(|d| d.0).collect();
        for (index, device) in devices.iter().enumerate() {
            if let Some(first) = devices[..index].iter().position(|d| d == device) {
                return Err(r.error(
                    "mining.devices",
                    format!("mining.devices[{index}]"),
                    format!("{device} is already mining.devices[{first}]; list each device once"),
                ));
            }
        }
        Ok(MiningConfig { enabled: self.enabled, devices, stall_after: Duration::from_secs(self.stall_secs.0) })
    }
}

/// A device name; `DeviceId`'s own parser says what is accepted.
#[derive(Debug)]
struct Device(DeviceId);

impl FromStr for Device {
    type Err = lode_miner::MinerError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Device)
    }
}

impl TextValue for Device {
    const EXPECTING: &'static str = "a device name: \"cpu\" or \"ocl:<platform>:<device>\"";
}

deserialize_as_text!(Device);
