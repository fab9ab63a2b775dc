//! What can mine here, and which device mines by default.

use crate::backend::{Backend, DeviceId, DeviceInfo};
use crate::cpu::CpuBackend;
use crate::opencl::{self, OpenClBackend};
use crate::MinerError;

/// Every device that can mine here: the OpenCL devices, then the CPU backend.
#[derive(Debug)]
pub struct Inventory {
    /// Listed in `--list` order.
    pub devices: Vec<DeviceInfo>,
    /// Why there are no OpenCL devices, when there are none.
    pub opencl_missing: Option<MinerError>,
}

impl Inventory {
    /// Looks at the installed OpenCL platforms and the CPU.
    pub fn scan() -> Self {
        let (mut devices, opencl_missing) = match opencl::devices() {
            Ok(d) => (d, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        devices.push(CpuBackend::all_cores().info().clone());
        Inventory { devices, opencl_missing }
    }

    /// The default: a GPU, else OpenCL on the CPU (PoCL), else the CPU backend.
    pub fn preferred(&self) -> DeviceId {
        self.devices.iter().min_by_key(|d| d.kind).map_or(DeviceId::Cpu, |d| d.id)
    }
}

/// Opens the backend for `id`.
pub fn open(id: DeviceId) -> Result<Box<dyn Backend>, MinerError> {
    Ok(match id {
        DeviceId::Cpu => Box::new(CpuBackend::all_cores()),
        DeviceId::OpenCl { .. } => Box::new(OpenClBackend::new(id)?),
    })
}
