//! The OpenCL backend, through the `ocl` crate: the kernel in
//! `kernels/lode_pow.cl`, compiled for the chosen device at start.

use std::sync::{Mutex, PoisonError};

use ocl::core::ffi;
use ocl::enums::{DeviceInfo as ClDeviceInfo, DeviceInfoResult};
use ocl::flags::{DeviceType, MemFlags};
use ocl::{Buffer, Context, Device, Kernel, Platform, Program, Queue};

use crate::backend::{Backend, DeviceId, DeviceInfo, DeviceKind, Job};
use crate::MinerError;

/// The kernel source, compiled at run time by the device's driver.
pub const KERNEL_SOURCE: &str = include_str!("../kernels/lode_pow.cl");

/// Work items per work group, fixed: PoCL compiles a kernel once per local
/// size, so letting the driver pick one per batch size recompiles constantly.
const WORK_GROUP: usize = 64;

/// `CL_PLATFORM_NOT_FOUND_KHR`: the ICD loader found no installed driver.
const PLATFORM_NOT_FOUND_KHR: i32 = -1001;

/// Serialises platform and device discovery in this process. ICD loaders and
/// PoCL are not safe to initialise from two threads at once: seen here, two
/// concurrent first calls left one of them with a platform but no devices.
static DISCOVERY: Mutex<()> = Mutex::new(());

/// Every OpenCL device on this machine, or [`MinerError::NoOpenCl`] when no
/// driver is installed.
pub fn devices() -> Result<Vec<DeviceInfo>, MinerError> {
    Ok(discover()?.into_iter().map(|f| f.info).collect())
}

/// A device as discovery found it: its description and the handles to open it.
#[derive(Clone)]
struct Found {
    info: DeviceInfo,
    platform: Platform,
    device: Device,
    units: u32,
}

/// One pass over every platform and device, under [`DISCOVERY`].
fn discover() -> Result<Vec<Found>, MinerError> {
    let _one_at_a_time = DISCOVERY.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = Vec::new();
    for (p, platform) in platforms()?.into_iter().enumerate() {
        let platform_name = platform.name().map_err(cl("reading a platform's name"))?;
        for (d, device) in Device::list_all(platform).map_err(cl("listing a platform's devices"))?.into_iter().enumerate() {
            out.push(describe(DeviceId::OpenCl { platform: p, device: d }, platform, &platform_name, device)?);
        }
    }
    Ok(out)
}

/// Asks the loader first, directly: `ocl` would retry for ten seconds before
/// reporting that there is no platform.
fn platforms() -> Result<Vec<Platform>, MinerError> {
    let mut count: ffi::cl_uint = 0;
    // SAFETY: a count query with no output array, as the OpenCL spec allows.
    let status = unsafe { ffi::clGetPlatformIDs(0, std::ptr::null_mut(), &mut count) };
    if status == PLATFORM_NOT_FOUND_KHR || (status == 0 && count == 0) {
        return Err(MinerError::NoOpenCl);
    }
    let ids =
        ocl::core::get_platform_ids().map_err(|e| MinerError::OpenCl { doing: "listing platforms".into(), message: e.to_string() })?;
    Ok(ids.into_iter().map(Platform::new).collect())
}

fn describe(id: DeviceId, platform: Platform, platform_name: &str, device: Device) -> Result<Found, MinerError> {
    let name = device.name().map_err(cl("reading a device's name"))?;
    let kind = match device.info(ClDeviceInfo::Type).map_err(cl("reading a device's type"))? {
        DeviceInfoResult::Type(t) if t.contains(DeviceType::CPU) => DeviceKind::OpenClCpu,
        _ => DeviceKind::Gpu,
    };
    let units = match device.info(ClDeviceInfo::MaxComputeUnits).map_err(cl("reading a device's compute units"))? {
        DeviceInfoResult::MaxComputeUnits(n) => n,
        _ => 0,
    };
    let width = vector_width(kind);
    let info = DeviceInfo {
        id,
        kind,
        name: format!("{} / {}", platform_name.trim(), name.trim()),
        detail: format!("{units} compute units, {width} tries per work item"),
    };
    Ok(Found { info, platform, device, units })
}

/// Tries per work item. CPU drivers turn `ulong4` into AVX2 registers (on PoCL
/// with AVX2, measured: 1 → 2.9, 2 → 3.7, 4 → 8–10, 8 → 4–5 MH/s on 2 cores);
/// GPUs run one try per work item and get their width from the warp.
fn vector_width(kind: DeviceKind) -> u64 {
    match kind {
        DeviceKind::OpenClCpu => 4,
        DeviceKind::Gpu | DeviceKind::Cpu => 1,
    }
}

/// Defines for the kernel: its width, and chi's form (see lode_pow.cl).
fn compiler_options(kind: DeviceKind) -> String {
    // Measured on PoCL (AVX2): and-not about 15% faster than bitselect.
    let chi = match kind {
        DeviceKind::OpenClCpu => " -D ANDNOT_CHI",
        DeviceKind::Gpu | DeviceKind::Cpu => "",
    };
    format!("-D WIDTH={}{chi}", vector_width(kind))
}

fn cl<E: std::fmt::Display>(doing: &'static str) -> impl Fn(E) -> MinerError {
    move |e| MinerError::OpenCl { doing: doing.into(), message: e.to_string() }
}

/// One OpenCL device with its compiled kernels.
pub struct OpenClBackend {
    info: DeviceInfo,
    queue: Queue,
    program: Program,
    search: Kernel,
    r0: Buffer<u64>,
    result: Buffer<u32>,
    width: u64,
    units: u64,
    loaded: Option<u64>,
}

impl OpenClBackend {
    /// Compiles the kernel for device `id` (an `ocl:` id from [`devices`]).
    pub fn new(id: DeviceId) -> Result<Self, MinerError> {
        let found = discover()?;
        let available = || found.iter().map(|f| f.info.id.to_string()).collect::<Vec<_>>().join(", ");
        let Some(Found { info, platform, device, units }) = found.iter().find(|f| f.info.id == id).cloned() else {
            return Err(MinerError::UnknownDevice { id, available: available() });
        };
        let units = u64::from(units.max(1));
        let width = vector_width(info.kind);
        let context = Context::builder().platform(platform).devices(device).build().map_err(cl("creating a context"))?;
        let queue = Queue::new(&context, device, None).map_err(cl("creating a command queue"))?;
        let program = Program::builder()
            .src(KERNEL_SOURCE)
            .devices(device)
            .cmplr_opt(compiler_options(info.kind))
            .build(&context)
            .map_err(cl("compiling kernels/lode_pow.cl"))?;
        let r0 = Buffer::<u64>::builder()
            .queue(queue.clone())
            .flags(MemFlags::new().read_only())
            .len(25)
            .build()
            .map_err(cl("allocating the round-1 buffer"))?;
        let result = Buffer::<u32>::builder().queue(queue.clone()).len(3).fill_val(0).build().map_err(cl("allocating the result slot"))?;
        let search = Kernel::builder()
            .program(&program)
            .name("lode_search")
            .queue(queue.clone())
            .global_work_size(WORK_GROUP)
            .local_work_size(WORK_GROUP)
            .arg(&r0)
            .arg(0u64)
            .arg(0u64)
            .arg(0u64)
            .arg(0u64)
            .arg(0u64)
            .arg(&result)
            .build()
            .map_err(cl("creating the search kernel"))?;
        Ok(OpenClBackend { info, queue, program, search, r0, result, width, units, loaded: None })
    }

    fn load(&mut self, job: &Job) -> Result<(), MinerError> {
        if self.loaded != Some(job.id) {
            self.r0.write(&job.prepared.r0[..]).enq().map_err(cl("uploading the round-1 lanes"))?;
            let t = job.prepared.target;
            for (i, word) in t.iter().enumerate() {
                self.search.set_arg(2 + i, *word).map_err(cl("setting the target"))?;
            }
            self.loaded = Some(job.id);
        }
        Ok(())
    }

    /// The full digests of `count` counters from `start` as the kernel computes
    /// them (four little-endian words each): for holding the kernel to a
    /// reference Keccak-256 in tests.
    pub fn digests(&mut self, job: &Job, start: u64, count: u64) -> Result<Vec<[u64; 4]>, MinerError> {
        self.load(job)?;
        let items = count.div_ceil(self.width);
        let lanes = usize::try_from(items.saturating_mul(self.width).saturating_mul(4))
            .map_err(|_| MinerError::Backend(format!("{count} digests do not fit in memory")))?;
        let out = Buffer::<u64>::builder().queue(self.queue.clone()).len(lanes).build().map_err(cl("allocating the digest buffer"))?;
        let kernel = Kernel::builder()
            .program(&self.program)
            .name("lode_digest")
            .queue(self.queue.clone())
            .global_work_size(items as usize)
            .arg(&self.r0)
            .arg(start)
            .arg(&out)
            .build()
            .map_err(cl("creating the digest kernel"))?;
        // SAFETY: the kernel writes exactly 4 × WIDTH words per work item, which
        // is the buffer's length.
        unsafe { kernel.enq() }.map_err(cl("running the digest kernel"))?;
        let mut words = vec![0u64; lanes];
        out.read(&mut words).enq().map_err(cl("reading digests back"))?;
        Ok(words.chunks_exact(4).take(count as usize).map(|c| [c[0], c[1], c[2], c[3]]).collect())
    }
}

impl Backend for OpenClBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn scan(&mut self, job: &Job, start: u64, count: u64) -> Result<Option<u64>, MinerError> {
        self.load(job)?;
        let items = usize::try_from(count / self.width).map_err(|_| MinerError::Backend(format!("a batch of {count} is too large")))?;
        self.result.write(&[0u32; 3][..]).enq().map_err(cl("clearing the result slot"))?;
        self.search.set_arg(1, start).map_err(cl("setting the first counter"))?;
        // SAFETY: the kernel only reads r0 (25 words) and writes the 3-word result slot.
        unsafe { self.search.cmd().global_work_size(items).local_work_size(WORK_GROUP).enq() }.map_err(cl("running the search kernel"))?;
        let mut slot = [0u32; 3];
        // A blocking read on the in-order queue also waits for the kernel.
        self.result.read(&mut slot[..]).enq().map_err(cl("reading the result slot"))?;
        Ok((slot[0] != 0).then(|| u64::from(slot[1]) | (u64::from(slot[2]) << 32)))
    }

    fn granularity(&self) -> u64 {
        self.width.saturating_mul(WORK_GROUP as u64)
    }

    fn initial_batch(&self) -> u64 {
        self.granularity().saturating_mul(self.units).saturating_mul(64)
    }
}
