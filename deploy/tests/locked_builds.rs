//! Contract builds use exactly the versions in the repository's `Cargo.lock`:
//! a real build never resolves anything afresh and records what it was made
//! from, and a lockfile that lacks a version a contract needs stops the build
//! with one line that says what to do.

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

#[test]
fn a_lockfile_without_a_needed_version_stops_the_build_with_the_fix() {
    let ws = repository();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for krate in ["fixture-v1", "calls", "primitives"] {
        copy_tree(&ws.root.join("contracts").join(krate), &root.join("contracts").join(krate));
    }
    std::fs::write(root.join("Cargo.toml"), "[workspace]\nresolver = \"2\"\nmembers = [\"contracts/fixture-v1\"]\n").unwrap();
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
