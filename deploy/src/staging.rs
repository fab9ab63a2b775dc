//! The workspace each contract is built from: locked, and sharing one target
//! directory with every other contract.
//!
//! `contract-build` copies a contract's manifest into a temporary workspace and
//! builds there. Pointed at a crate inside the repository's workspace, it puts
//! the copy in a subfolder while the lockfile lands at the temporary root,
//! where cargo never looks, so every build resolved its dependencies afresh;
//! and it gives each crate a target directory of its own, so `core`, `alloc`
//! and ink! were compiled once per contract.
//!
//! So contracts are built from a *stage*: one directory, [`Stage::DIR`], that
//! becomes, for each contract in turn (builds hold its lock), a one-crate
//! workspace holding
//! - `crates/`: copies of the contract and its path dependencies, at their
//!   paths relative to the repository. Cargo hashes the absolute path of a
//!   path dependency outside the workspace into its symbols, and the symbols
//!   order the code: built from the checkout, one commit gave other WASM at
//!   another checkout path. From a stage at one fixed path it does not;
//! - `Cargo.toml`: the contract's manifest with an empty `[workspace]` and
//!   every path pointing into `crates/`;
//! - `Cargo.lock`: the repository's lockfile, which cargo narrows to this
//!   crate's graph; [`Stage::prepare`] then checks that the narrowed file only
//!   holds versions the repository's lockfile holds, so nothing is resolved
//!   afresh.
//!
//! The crate is now its workspace's root, so `contract-build` copies the
//! lockfile next to the manifest, where cargo reads it, and builds into
//! `<the stage's target>/ink` without a per-crate subfolder: one target
//! directory for every contract, so `core`, `alloc` and ink! compile once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{ContractCrate, DeployError};

/// What `contract-build`'s metadata generator adds to a contract's graph.
/// Listed as dev-dependencies of the stage so that the narrowed lockfile keeps
/// their locked versions and the generator resolves nothing itself.
const METADATA_GEN_DEPS: &[&str] = &["serde", "serde_json"];

/// The workspace contracts are built from, one at a time.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The stage's directory (the workspace root of the contract staged now).
    pub dir: PathBuf,
}

impl Stage {
    /// Where every build on a machine stages its contract. Fixed, because the
    /// path of the staged sources is part of what the compiler sees: the same
    /// commit gives the same code hash from any checkout only if it is the
    /// same everywhere.
    pub const DIR: &'static str = "/tmp/lode-contract-stage";

    /// The stage at `dir` (tests stage elsewhere; builds use [`Stage::DIR`]).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The staged manifest, which `contract-build` is pointed at.
    pub fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }

    /// Stages `contract` from the repository at `root`: copies its sources and
    /// those of its path dependencies, writes its manifest, narrows the
    /// repository's lockfile to its graph and checks the result.
    /// The caller holds the build lock: one contract is staged at a time.
    pub fn prepare(&self, root: &Path, contract: &ContractCrate) -> Result<(), DeployError> {
        std::fs::create_dir_all(&self.dir).map_err(DeployError::io(&self.dir))?;
        let copies = self.dir.join("crates");
        for dir in std::iter::once(&contract.dir).chain(&contract.path_deps) {
            let rel = dir.strip_prefix(root).map_err(|_| DeployError::Manifest {
                path: contract.dir.join("Cargo.toml"),
                reason: format!("path dependency {} lies outside the repository; contracts may only use crates in it", dir.display()),
            })?;
            sync_tree(dir, &copies.join(rel))?;
        }
        let staged = ContractCrate { dir: copies.join(contract.dir.strip_prefix(root).unwrap_or(&contract.dir)), ..contract.clone() };
        let manifest = staged_manifest(&staged)?;
        let path = self.manifest();
        std::fs::write(&path, manifest).map_err(DeployError::io(&path))?;
        let repo_lock = root.join("Cargo.lock");
        let locked = std::fs::read_to_string(&repo_lock).map_err(DeployError::io(&repo_lock))?;
        let stage_lock = self.dir.join("Cargo.lock");
        std::fs::write(&stage_lock, &locked).map_err(DeployError::io(&stage_lock))?;
        self.narrow_lockfile(contract)?;
        let narrowed = std::fs::read_to_string(&stage_lock).map_err(DeployError::io(&stage_lock))?;
        check_locked(&contract.name, &narrowed, &locked)
    }

    /// Lets cargo drop what this contract does not use; any version it had to
    /// add shows up in the narrowed file and fails [`check_locked`].
    fn narrow_lockfile(&self, contract: &ContractCrate) -> Result<(), DeployError> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(self.manifest())
            .output()
            .map_err(DeployError::io(self.manifest()))?;
        if !out.status.success() {
            return Err(DeployError::Build {
                name: contract.name.clone(),
                reason: anyhow::anyhow!("`cargo metadata` on the staged manifest failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
            });
        }
        Ok(())
    }
}

/// The contract's manifest as a one-crate workspace with absolute paths.
fn staged_manifest(contract: &ContractCrate) -> Result<String, DeployError> {
    let path = contract.dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(DeployError::io(&path))?;
    let bad = |reason: &str| DeployError::Manifest { path: path.clone(), reason: reason.into() };
    let mut toml: toml::Table = toml::from_str(&text).map_err(|e| bad(&format!("not valid TOML: {e}")))?;
    let absolute = |rel: &str| contract.dir.join(rel).to_string_lossy().into_owned();
    let lib = toml.get_mut("lib").and_then(|l| l.as_table_mut()).ok_or_else(|| bad("a contract needs a `[lib]` with a `path`"))?;
    let lib_path = lib.get("path").and_then(|p| p.as_str()).ok_or_else(|| bad("a contract needs a `[lib]` with a `path`"))?;
    let lib_path = absolute(lib_path);
    lib.insert("path".into(), lib_path.into());
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(deps) = toml.get_mut(section).and_then(|d| d.as_table_mut()) else { continue };
        for (_, dep) in deps.iter_mut() {
            if let Some(table) = dep.as_table_mut() {
                if let Some(rel) = table.get("path").and_then(|p| p.as_str()) {
                    let abs = absolute(rel);
                    table.insert("path".into(), abs.into());
                }
            }
        }
    }
    let dev = toml.entry("dev-dependencies").or_insert_with(|| toml::Table::new().into());
    let dev = dev.as_table_mut().ok_or_else(|| bad("`[dev-dependencies]` must be a table"))?;
    for dep in METADATA_GEN_DEPS {
        dev.entry(*dep).or_insert_with(|| "1".into());
    }
    toml.insert("workspace".into(), toml::Table::new().into());
    let header = format!("# Generated by lode-deploy from {}; do not edit.\n", path.display());
    Ok(header + &toml::to_string(&toml).map_err(|e| bad(&format!("cannot be written back: {e}")))?)
}

/// `(name, version, source)` of every registry or git package in a lockfile.
fn packages(lock: &str) -> Result<BTreeSet<(String, String, String)>, String> {
    let toml: toml::Table = toml::from_str(lock).map_err(|e| format!("Cargo.lock is not valid TOML: {e}"))?;
    let list = toml.get("package").and_then(|p| p.as_array()).cloned().unwrap_or_default();
    Ok(list
        .iter()
        .filter_map(|p| {
            let field = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            // Path packages (ours) have no source; their sources are fingerprinted instead.
            Some((field("name")?, field("version")?, field("source")?))
        })
        .collect())
}

/// Fails when the narrowed lockfile holds a version the repository's does not.
fn check_locked(contract: &str, narrowed: &str, repo: &str) -> Result<(), DeployError> {
    let fail = |reason: String| DeployError::Build { name: contract.into(), reason: anyhow::anyhow!(reason) };
    let (narrowed, repo) = (packages(narrowed).map_err(fail)?, packages(repo).map_err(fail)?);
    let fresh: Vec<String> = narrowed.difference(&repo).map(|(n, v, _)| format!("{n} {v}")).collect();
    if fresh.is_empty() {
        return Ok(());
    }
    Err(fail(format!(
        "needs {} not in Cargo.lock; contract builds use only locked versions: run `cargo update --workspace` in the repository (or add the dependency to a workspace crate) and commit Cargo.lock",
        fresh.join(", ")
    )))
}

/// Makes `to` a copy of `from`'s files, skipping build output and dotfiles.
/// Unchanged files are not rewritten, so cargo sees their old times and does
/// not rebuild; files gone from `from` are removed.
fn sync_tree(from: &Path, to: &Path) -> Result<(), DeployError> {
    std::fs::create_dir_all(to).map_err(DeployError::io(to))?;
    let mut wanted = BTreeSet::new();
    for entry in std::fs::read_dir(from).map_err(DeployError::io(from))? {
        let entry = entry.map_err(DeployError::io(from))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name == "target" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type().map_err(DeployError::io(&src))?;
        if kind.is_dir() {
            sync_tree(&src, &dst)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(&src).map_err(DeployError::io(&src))?;
            if std::fs::read(&dst).ok().as_deref() != Some(bytes.as_slice()) {
                std::fs::write(&dst, &bytes).map_err(DeployError::io(&dst))?;
            }
        } else {
            continue;
        }
        wanted.insert(name);
    }
    for entry in std::fs::read_dir(to).map_err(DeployError::io(to))? {
        let entry = entry.map_err(DeployError::io(to))?;
        if !wanted.contains(&entry.file_name()) {
            let path = entry.path();
            let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            removed.map_err(DeployError::io(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "ink"
version = "5.1.1"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "lode-token"
version = "0.1.0"
"#;

    #[test]
    fn a_narrowed_lockfile_with_only_locked_versions_passes() {
        let narrowed = LOCK.replace("[[package]]\nname = \"lode-token\"\nversion = \"0.1.0\"\n", "");
        assert!(check_locked("token", &narrowed, LOCK).is_ok());
    }

    #[test]
    fn a_version_the_repository_does_not_lock_fails_naming_it_and_the_fix() {
        let narrowed = LOCK.replace("5.1.1", "5.1.2");
        let err = check_locked("token", &narrowed, LOCK).unwrap_err().to_string();
        assert!(err.contains("ink 5.1.2 not in Cargo.lock") && err.contains("cargo update"), "{err}");
    }

    #[test]
    fn the_staged_manifest_is_its_own_workspace_with_absolute_paths() {
        let dir = tempfile::tempdir().unwrap();
        let crate_dir = dir.path().join("contracts/x");
        std::fs::create_dir_all(&crate_dir).unwrap();
        std::fs::write(
            crate_dir.join("Cargo.toml"),
            "[package]\nname = \"lode-x\"\n[lib]\npath = \"lib.rs\"\n[dependencies]\nink = { version = \"5.1.1\" }\nlode-calls = { path = \"../calls\" }\n",
        )
        .unwrap();
        let contract = ContractCrate { package: "lode-x".into(), name: "x".into(), dir: crate_dir.clone(), path_deps: vec![] };
        let staged: toml::Table = toml::from_str(&staged_manifest(&contract).unwrap()).unwrap();
        assert!(staged.contains_key("workspace"));
        assert_eq!(staged["lib"]["path"].as_str().unwrap(), crate_dir.join("lib.rs").to_str().unwrap());
        assert_eq!(staged["dependencies"]["lode-calls"]["path"].as_str().unwrap(), crate_dir.join("../calls").to_str().unwrap());
        assert_eq!(staged["dev-dependencies"]["serde_json"].as_str(), Some("1"));
    }
}
