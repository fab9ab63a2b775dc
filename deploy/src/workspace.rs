//! Finds the repository root and the contract crates under `contracts/`.

use std::path::{Path, PathBuf};

use crate::DeployError;

/// The Lode repository: its root and the contract crates it holds.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Directory holding the workspace `Cargo.toml`.
    pub root: PathBuf,
    /// Contract crates, sorted by name.
    pub contracts: Vec<ContractCrate>,
}

/// One ink! contract crate: a package under `contracts/` whose manifest carries
/// `[package.metadata.lode] contract = true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractCrate {
    /// Package name, e.g. `lode-token`.
    pub package: String,
    /// Short name used everywhere else (`token`): the package name without `lode-`.
    pub name: String,
    /// Directory of the crate.
    pub dir: PathBuf,
    /// Directories of its local (`path = ...`) dependencies, transitively; their
    /// sources are part of the contract's fingerprint.
    pub path_deps: Vec<PathBuf>,
}

impl Workspace {
    /// Finds the workspace root at or above `start` and lists its contracts.
    pub fn discover(start: &Path) -> Result<Self, DeployError> {
        let root = find_root(start)?;
        Self::at(root)
    }

    /// Lists the contracts of the workspace rooted at `root`.
    pub fn at(root: PathBuf) -> Result<Self, DeployError> {
        let dir = root.join("contracts");
        let entries = std::fs::read_dir(&dir).map_err(DeployError::io(&dir))?;
        let mut contracts = Vec::new();
        for entry in entries {
            let entry = entry.map_err(DeployError::io(&dir))?;
            let manifest = entry.path().join("Cargo.toml");
            if !manifest.is_file() {
                continue;
            }
            let toml = read_manifest(&manifest)?;
            let is_contract = toml
                .get("package")
                .and_then(|p| p.get("metadata"))
                .and_then(|m| m.get("lode"))
                .and_then(|l| l.get("contract"))
                .and_then(|c| c.as_bool())
                .unwrap_or(false);
            if !is_contract {
                continue;
            }
            let package = package_name(&toml, &manifest)?;
            let crate_dir = entry.path();
            let mut path_deps = Vec::new();
            collect_path_deps(&crate_dir, &mut path_deps)?;
            contracts.push(ContractCrate {
                name: package.strip_prefix("lode-").unwrap_or(&package).to_owned(),
                package,
                dir: crate_dir,
                path_deps,
            });
        }
        contracts.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self { root, contracts })
    }

    /// The contract called `name` (`token`, or its package name `lode-token`).
    pub fn contract(&self, name: &str) -> Result<&ContractCrate, DeployError> {
        self.contracts.iter().find(|c| c.name == name || c.package == name).ok_or_else(|| DeployError::UnknownContract {
            name: name.to_owned(),
            known: self.contracts.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
        })
    }
}

fn find_root(start: &Path) -> Result<PathBuf, DeployError> {
    let start = start.canonicalize().map_err(DeployError::io(start))?;
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let manifest = d.join("Cargo.toml");
        if manifest.is_file() && d.join("contracts").is_dir() && read_manifest(&manifest)?.contains_key("workspace") {
            return Ok(d.to_path_buf());
        }
        dir = d.parent();
    }
    Err(DeployError::NoWorkspace(start))
}

fn read_manifest(path: &Path) -> Result<toml::Table, DeployError> {
    let text = std::fs::read_to_string(path).map_err(DeployError::io(path))?;
    toml::from_str(&text).map_err(|e| DeployError::Manifest { path: path.to_path_buf(), reason: format!("not valid TOML: {e}") })
}

fn package_name(toml: &toml::Table, manifest: &Path) -> Result<String, DeployError> {
    toml.get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .ok_or_else(|| DeployError::Manifest { path: manifest.to_path_buf(), reason: "missing `[package] name`".into() })
}

/// Adds the directories of `crate_dir`'s path dependencies, transitively.
fn collect_path_deps(crate_dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DeployError> {
    let manifest = crate_dir.join("Cargo.toml");
    let toml = read_manifest(&manifest)?;
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(deps) = toml.get(section).and_then(|d| d.as_table()) else { continue };
        for dep in deps.values() {
            let Some(rel) = dep.get("path").and_then(|p| p.as_str()) else { continue };
            let dir = crate_dir.join(rel);
            let dir = dir.canonicalize().map_err(DeployError::io(&dir))?;
            if !out.contains(&dir) {
                out.push(dir.clone());
                collect_path_deps(&dir, out)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_and_skips_non_contract_crates() {
        let ws = Workspace::discover(&std::env::current_dir().unwrap()).unwrap();
        let names: Vec<_> = ws.contracts.iter().map(|c| c.name.as_str()).collect();
        assert!(names.contains(&"token"), "{names:?}");
        assert!(!names.contains(&"primitives"), "lode-primitives is a library, not a contract");
    }

    #[test]
    fn unknown_contract_lists_the_known_ones() {
        let ws = Workspace::discover(&std::env::current_dir().unwrap()).unwrap();
        let err = ws.contract("nope").unwrap_err().to_string();
        assert!(err.contains("unknown contract `nope`") && err.contains("token"), "{err}");
    }

    #[test]
    fn outside_a_workspace_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Workspace::discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no Lode workspace found"), "{err}");
    }
}
