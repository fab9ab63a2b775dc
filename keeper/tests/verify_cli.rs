//! `lode verify`'s bad input, through the binary: one line, a non-zero exit,
//! and no build started.

use std::process::{Command, Output};

fn lode(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
    cmd.arg("verify").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("lode runs")
}

fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "must fail: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    lines[0].to_owned()
}

const HASH: &str = "0xabababababababababababababababababababababababababababababababab";

#[test]
fn a_malformed_hash_is_refused() {
    let err = one_line_error(&lode(&["token", "--code-hash", "0x1234"], &[]));
    assert!(err.contains("`0x1234` is not a code hash: give 0x and 64 hex digits"), "{err}");
}

#[test]
fn an_unknown_contract_is_refused_with_the_known_ones() {
    let err = one_line_error(&lode(&["tokn", "--code-hash", HASH], &[]));
    assert!(err.contains("unknown contract `tokn`") && err.contains("token"), "{err}");
}

#[test]
fn a_toolchain_other_than_the_pin_is_refused() {
    let err = one_line_error(&lode(&["token", "--code-hash", HASH], &[("RUSTUP_TOOLCHAIN", "stable")]));
    assert!(err.contains("RUSTUP_TOOLCHAIN is stable, but the repository pins 1.86.0"), "{err}");
}

#[test]
fn a_missing_manifest_is_named() {
    let err = one_line_error(&lode(&["--manifest", "/nonexistent/deployment.json"], &[]));
    assert!(err.contains("/nonexistent/deployment.json"), "{err}");
}
