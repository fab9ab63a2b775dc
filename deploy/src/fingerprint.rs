//! Source fingerprints, so an unchanged contract is never rebuilt.
//!
//! `contract-build` has a fingerprint of its own, but it only skips `wasm-opt`: it
//! still runs clippy, cargo and the metadata generator, which take seconds to
//! minutes per contract. Ours is checked first and skips all of that.

use std::path::{Path, PathBuf};

use blake2::{Blake2b512, Digest};

use crate::{ContractCrate, DeployError};

/// Hash of everything that can change a contract's build output: the sources of
/// the crate and its path dependencies, the lockfile, the toolchain pin and the
/// builder's own version.
pub fn of_contract(workspace_root: &Path, contract: &ContractCrate, toolchain: &str) -> Result<String, DeployError> {
    let mut files = Vec::new();
    for dir in std::iter::once(&contract.dir).chain(&contract.path_deps) {
        list_files(dir, &mut files)?;
    }
    files.push(workspace_root.join("Cargo.lock"));
    files.sort();

    let mut hasher = Blake2b512::new();
    hasher.update(b"lode-fingerprint-v1\0");
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(toolchain.as_bytes());
    for file in &files {
        let rel = file.strip_prefix(workspace_root).unwrap_or(file);
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update([0]);
        let bytes = std::fs::read(file).map_err(DeployError::io(file))?;
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex::encode(&hasher.finalize()[..32]))
}

fn list_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DeployError> {
    for entry in std::fs::read_dir(dir).map_err(DeployError::io(dir))? {
        let entry = entry.map_err(DeployError::io(dir))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Build output and editor/VCS droppings do not change what gets built.
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let kind = entry.file_type().map_err(DeployError::io(&path))?;
        if kind.is_dir() {
            list_files(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_contract(root: &Path) -> ContractCrate {
        let dir = root.join("contracts/x");
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"lode-x\"\n").unwrap();
        std::fs::write(dir.join("lib.rs"), "// v1\n").unwrap();
        std::fs::write(root.join("Cargo.lock"), "# lock\n").unwrap();
        ContractCrate { package: "lode-x".into(), name: "x".into(), dir, path_deps: vec![] }
    }

    #[test]
    fn unchanged_sources_give_the_same_fingerprint() {
        let root = tempfile::tempdir().unwrap();
        let c = fake_contract(root.path());
        assert_eq!(of_contract(root.path(), &c, "1.86.0").unwrap(), of_contract(root.path(), &c, "1.86.0").unwrap());
    }

    #[test]
    fn a_source_edit_lockfile_change_or_toolchain_change_moves_it() {
        let root = tempfile::tempdir().unwrap();
        let c = fake_contract(root.path());
        let before = of_contract(root.path(), &c, "1.86.0").unwrap();
        std::fs::write(c.dir.join("lib.rs"), "// v2\n").unwrap();
        let edited = of_contract(root.path(), &c, "1.86.0").unwrap();
        assert_ne!(before, edited);
        std::fs::write(root.path().join("Cargo.lock"), "# lock 2\n").unwrap();
        let relocked = of_contract(root.path(), &c, "1.86.0").unwrap();
        assert_ne!(edited, relocked);
        assert_ne!(relocked, of_contract(root.path(), &c, "1.87.0").unwrap());
    }

    #[test]
    fn build_output_inside_the_crate_is_ignored() {
        let root = tempfile::tempdir().unwrap();
        let c = fake_contract(root.path());
        let before = of_contract(root.path(), &c, "1.86.0").unwrap();
        std::fs::create_dir_all(c.dir.join("target")).unwrap();
        std::fs::write(c.dir.join("target/junk"), "x").unwrap();
        assert_eq!(before, of_contract(root.path(), &c, "1.86.0").unwrap());
    }
}
