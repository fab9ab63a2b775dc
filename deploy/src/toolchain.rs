//! Keeps the cargo processes that `contract-build` spawns on the pinned toolchain.
//!
//! `contract-build` builds each contract inside a temporary directory under `/tmp`.
//! rustup picks a toolchain by the `rust-toolchain.toml` of the *current directory*,
//! and there is none in `/tmp`, so without help the nested cargo would use the
//! machine's default toolchain, which cannot build ink! 5 contracts (see
//! `docs/decisions/001-rust-1.86.md`). rustup passes `RUSTUP_TOOLCHAIN` down when we
//! run under `cargo`; a binary started directly must set it itself.

use std::path::Path;

use crate::DeployError;

/// Reads the `channel` pinned in `<root>/rust-toolchain.toml`.
pub fn pinned_channel(workspace_root: &Path) -> Result<String, DeployError> {
    let path = workspace_root.join("rust-toolchain.toml");
    let text = std::fs::read_to_string(&path).map_err(DeployError::io(&path))?;
    let doc: toml::Table =
        toml::from_str(&text).map_err(|e| DeployError::Manifest { path: path.clone(), reason: format!("not valid TOML: {e}") })?;
    doc.get("toolchain")
        .and_then(|t| t.get("channel"))
        .and_then(|c| c.as_str())
        .map(str::to_owned)
        .ok_or_else(|| DeployError::Manifest { path, reason: "missing `[toolchain] channel = \"...\"`".into() })
}

/// Sets `RUSTUP_TOOLCHAIN` to the pinned channel unless it is already set.
///
/// Call it at the very start of `main`, before any thread exists: changing the
/// environment while other threads may read it is undefined behaviour on glibc.
pub fn pin_for_child_processes(workspace_root: &Path) -> Result<(), DeployError> {
    if std::env::var_os("RUSTUP_TOOLCHAIN").is_none() {
        let channel = pinned_channel(workspace_root)?;
        std::env::set_var("RUSTUP_TOOLCHAIN", channel);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_repository_pin() {
        let cwd = std::env::current_dir().unwrap(); // cargo runs unit tests in the package dir
        let root = cwd.parent().unwrap();
        assert_eq!(pinned_channel(root).unwrap(), "1.86.0");
    }

    #[test]
    fn missing_channel_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rust-toolchain.toml"), "[toolchain]\nprofile = \"minimal\"\n").unwrap();
        let err = pinned_channel(dir.path()).unwrap_err().to_string();
        assert!(err.contains("missing `[toolchain] channel"), "{err}");
    }
}
