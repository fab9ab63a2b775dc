//! `lode mine` as a user runs it: the real binary, the real OpenCL loader.

use std::process::{Command, Output};

fn lode(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the lode binary runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn list_shows_pocl_and_the_cpu_backend_with_opencl_preferred() {
    let out = lode(&["mine", "--list"], &[]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("ocl:0:0") && t.contains("Portable Computing Language"), "PoCL is installed by scripts/setup: {t}");
    let cpu = t.lines().find(|l| l.trim_start().starts_with("cpu ")).expect("the CPU backend is listed");
    assert!(!cpu.contains("<- default"), "OpenCL is preferred over the CPU backend: {t}");
}

#[test]
fn without_an_icd_the_message_names_the_packages_and_the_cpu_backend_is_used() {
    // ocl-icd reads its vendor list from here instead of /etc/OpenCL/vendors.
    let out = lode(&["mine", "--list"], &[("OCL_ICD_VENDORS", "/nonexistent-lode-test")]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("ocl-icd-libopencl1") && t.contains("pocl-opencl-icd"), "{t}");
    assert!(t.lines().any(|l| l.trim_start().starts_with("cpu ") && l.contains("<- default")), "{t}");
    assert!(!t.contains("ocl:0:0"), "{t}");
}

#[test]
fn bad_device_names_are_refused_before_any_work() {
    let out = lode(&["mine", "--bench", "--seconds", "1", "--device", "gpu"], &[]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("ocl:<platform>:<device>") && t.contains("--list"), "{t}");
    assert!(!t.contains("measuring"), "nothing ran: {t}");

    let out = lode(&["mine", "--bench", "--seconds", "1", "--device", "ocl:7:0"], &[]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("no device ocl:7:0") && t.contains("ocl:0:0"), "names what exists: {t}");
}

#[test]
fn mine_needs_list_or_bench() {
    let out = lode(&["mine"], &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("--list|--bench"));
}
