//! Contract builds use exactly the versions in the repository's `Cargo.lock`:
//! a real build never resolves anything afresh and records what it was made
//! from, a lockfile that lacks a version a contract needs stops the build
//! with one line that says what to do, and one commit gives the same WASM
//! from another checkout path and a clean target directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use lode_deploy::staging::Stage;
use lode_deploy::Workspace;

fn repository() -> Workspace {
    Workspace::discover(&std::env::current_dir().unwrap()).expect("tests run inside the repository")
}

#[test]
fn a_contract_build_resolves_nothing_afresh() {
    let ws = repository();
    let out = Command::new(env!("CARGO_BIN_EXE_lode-deploy"))
        .args(["build", "fixture-v1", "--force"])
        .current_dir(&ws.root)
        .output()
        .expect("lode-deploy runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("fixture-v1"), "{stderr}");
    assert!(
        stdout.contains("built with rustc 1.86.0") && stdout.contains("contract-build 5.0.3"),
        "the build's inputs are printed: {stdout}"
    );
    for fresh in ["Locking", "Adding"] {
        assert!(!stderr.contains(fresh), "the build resolved something afresh ({fresh}):\n{stderr}");
    }
}

/// Copies `from` into `to`, files only, skipping build output.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A checkout of `contracts` (and what they use) at a new path under `root`,
/// with the repository's lockfile and toolchain pin.
fn checkout(ws: &Workspace, root: &Path, contracts: &[&str]) {
    for krate in contracts.iter().chain(&["calls", "primitives"]) {
        copy_tree(&ws.root.join("contracts").join(krate), &root.join("contracts").join(krate));
    }
    let members: Vec<String> = contracts.iter().map(|c| format!("\"contracts/{c}\"")).collect();
    std::fs::write(root.join("Cargo.toml"), format!("[workspace]\nresolver = \"2\"\nmembers = [{}]\n", members.join(", "))).unwrap();
    for file in ["Cargo.lock", "rust-toolchain.toml"] {
        std::fs::copy(ws.root.join(file), root.join(file)).unwrap();
    }
}

/// Builds `contract` of the checkout at `root` with `lode-deploy`; returns
/// the code hash it prints.
fn build(root: &Path, contract: &str, target_dir: Option<&Path>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode-deploy"));
    cmd.args(["build", contract, "--force"]).current_dir(root);
    if let Some(dir) = target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    let out = cmd.output().expect("lode-deploy runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = stdout.lines().find(|l| l.starts_with(contract)).unwrap_or_else(|| panic!("no line for {contract}: {stdout}"));
    line.split_whitespace().nth(1).expect("a code hash").to_owned()
}

/// Alerts uses `lode-primitives` and `lode-calls` throughout; built from the
/// checkout directly, it came out in another function order at another
/// checkout path.
#[test]
fn one_commit_gives_the_same_code_hash_from_another_checkout_and_a_clean_target() {
    let ws = repository();
    let here = build(&ws.root, "alerts", None);
    let elsewhere = tempfile::tempdir().unwrap();
    checkout(&ws, elsewhere.path(), &["alerts"]);
    let clean_target = tempfile::tempdir().unwrap();
    let there = build(elsewhere.path(), "alerts", Some(clean_target.path()));
    assert_eq!(here, there, "alerts built at {} and at {}", ws.root.display(), elsewhere.path().display());
}

#[test]
fn a_lockfile_without_a_needed_version_stops_the_build_with_the_fix() {
    let ws = repository();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    checkout(&ws, root, &["fixture-v1"]);
    // The lockfile holds ink 5.1.0, which the contract's `ink = "5.1.1"` cannot use.
    let lock = std::fs::read_to_string(ws.root.join("Cargo.lock")).unwrap();
    let stale = lock.replace("name = \"ink\"\nversion = \"5.1.1\"", "name = \"ink\"\nversion = \"5.1.0\"");
    assert_ne!(stale, lock, "the repository locks ink 5.1.1");
    std::fs::write(root.join("Cargo.lock"), &stale).unwrap();
    let copy = Workspace::at(PathBuf::from(root)).unwrap();
    let stage = Stage::new(root.join("target/contract-stage"));

    let err = stage.prepare(root, copy.contract("fixture-v1").unwrap()).unwrap_err().to_string();
    assert!(err.contains("ink 5.1.1 not in Cargo.lock"), "{err}");
    assert!(err.contains("cargo update"), "the error says how to fix it: {err}");
    assert_eq!(std::fs::read_to_string(root.join("Cargo.lock")).unwrap(), stale, "the repository's lockfile is left alone");
}
