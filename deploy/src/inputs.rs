//! What a contract build was made from, recorded next to its artifacts, so a
//! code hash can later be traced to a toolchain, a builder, a lockfile and a
//! commit (`docs/contracts/upgrades.md`, "Before you vote on an upgrade").

use std::path::Path;
use std::process::Command;

use blake2::{digest::consts::U32, Blake2b, Digest};
use serde::{Deserialize, Serialize};

use crate::DeployError;

/// The inputs of one contract build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInputs {
    /// `rustc -V` of the toolchain that compiled it.
    pub toolchain: String,
    /// The `contract-build` version, as `Cargo.lock` pins it.
    pub contract_build: String,
    /// `blake2-256` of the repository's `Cargo.lock`, hex.
    pub cargo_lock: String,
    /// The checkout's commit, when it is a git checkout.
    pub commit: Option<String>,
    /// Files that affect contract builds and differ from that commit
    /// (`contracts/`, `Cargo.lock`, `rust-toolchain.toml`); empty when clean.
    pub dirty: Vec<String>,
}

impl BuildInputs {
    /// Reads the inputs of a build from the repository at `root`, with the
    /// toolchain `RUSTUP_TOOLCHAIN` selects.
    pub fn collect(root: &Path) -> Result<Self, DeployError> {
        let lock_path = root.join("Cargo.lock");
        let lock = std::fs::read(&lock_path).map_err(DeployError::io(&lock_path))?;
        let toolchain = run(root, "rustc", &["-V"]).ok_or_else(|| DeployError::Manifest {
            path: root.join("rust-toolchain.toml"),
            reason: "`rustc -V` failed: is the pinned toolchain installed? Run `scripts/setup`".into(),
        })?;
        let contract_build = locked_version(&String::from_utf8_lossy(&lock), "contract-build")
            .ok_or_else(|| DeployError::Manifest { path: lock_path.clone(), reason: "no `contract-build` package is locked".into() })?;
        let commit = run(root, "git", &["rev-parse", "HEAD"]);
        let dirty = match &commit {
            // Untrimmed: each porcelain line is two status columns, a space and
            // the path, and the first column is often a space.
            Some(_) => output(root, "git", &["status", "--porcelain", "--", "contracts", "Cargo.lock", "rust-toolchain.toml"])
                .map(|out| out.lines().filter_map(|l| l.get(3..)).map(str::to_owned).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(Self { toolchain, contract_build, cargo_lock: hex::encode(Blake2b::<U32>::digest(&lock)), commit, dirty })
    }

    /// One line for a terminal.
    pub fn describe(&self) -> String {
        let commit = match (&self.commit, self.dirty.is_empty()) {
            (Some(c), true) => format!("commit {}", c.get(..12).unwrap_or(c)),
            (Some(c), false) => format!("commit {} with uncommitted changes to {}", c.get(..12).unwrap_or(c), self.dirty.join(", ")),
            (None, _) => "no git commit".into(),
        };
        let lock = self.cargo_lock.get(..12).unwrap_or(&self.cargo_lock);
        format!("{}, contract-build {}, Cargo.lock {lock}, {commit}", self.toolchain, self.contract_build)
    }

    /// Writes the record to `path` as JSON.
    pub fn save(&self, path: &Path) -> Result<(), DeployError> {
        let json = serde_json::to_vec_pretty(self).expect("plain strings serialise");
        std::fs::write(path, json).map_err(DeployError::io(path))
    }

    /// Reads a record written by [`BuildInputs::save`]; `None` when absent or
    /// unreadable (artifacts built before records were kept).
    pub fn load(path: &Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }
}

/// The version of `package` in a lockfile, if exactly one is locked.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let toml: toml::Table = toml::from_str(lock).ok()?;
    let mut versions = toml.get("package")?.as_array()?.iter().filter(|p| p.get("name").and_then(|n| n.as_str()) == Some(package));
    let version = versions.next()?.get("version")?.as_str()?.to_owned();
    versions.next().is_none().then_some(version)
}

/// Stdout of a command run in `dir`, trimmed; `None` if it cannot run or fails.
fn run(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    output(dir, program, args).map(|out| out.trim().to_owned())
}

/// A command's standard output as it printed it, when it succeeded.
fn output(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository_root() -> std::path::PathBuf {
        crate::Workspace::discover(&std::env::current_dir().unwrap()).unwrap().root
    }

    #[test]
    fn the_repositorys_inputs_name_the_pinned_toolchain_builder_lockfile_and_commit() {
        let root = repository_root();
        let inputs = BuildInputs::collect(&root).unwrap();
        let pin = crate::toolchain::pinned_channel(&root).unwrap();
        assert!(inputs.toolchain.starts_with(&format!("rustc {pin}")), "{inputs:?}");
        assert_eq!(inputs.contract_build, "5.0.3");
        assert_eq!(inputs.cargo_lock.len(), 64);
        if let Some(commit) = &inputs.commit {
            assert_eq!(commit.len(), 40, "{commit}");
        }
        let line = inputs.describe();
        assert!(line.contains("contract-build 5.0.3") && line.contains("Cargo.lock"), "{line}");
    }

    #[test]
    fn uncommitted_changes_are_named_by_their_whole_paths() {
        // A repository whose first changed file is modified, not new: git
        // prints it as " M path", with a leading space.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = |args: &[&str]| {
            let ok = Command::new("git").args(args).current_dir(root).output().unwrap().status.success();
            assert!(ok, "git {args:?}");
        };
        std::fs::create_dir(root.join("contracts")).unwrap();
        std::fs::write(root.join("contracts/lib.rs"), "// v1\n").unwrap();
        std::fs::write(root.join("Cargo.lock"), "[[package]]\nname = \"contract-build\"\nversion = \"5.0.3\"\n").unwrap();
        git(&["init", "-q"]);
        git(&["add", "."]);
        git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1"]);
        std::fs::write(root.join("contracts/lib.rs"), "// v2\n").unwrap();
        std::fs::write(root.join("contracts/new.rs"), "// new\n").unwrap();
        let inputs = BuildInputs::collect(root).unwrap();
        assert_eq!(inputs.dirty, vec!["contracts/lib.rs".to_owned(), "contracts/new.rs".to_owned()]);
    }

    #[test]
    fn a_record_round_trips_and_a_missing_one_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = BuildInputs {
            toolchain: "rustc 1.86.0".into(),
            contract_build: "5.0.3".into(),
            cargo_lock: "ab".repeat(32),
            commit: Some("c".repeat(40)),
            dirty: vec!["contracts/token/lib.rs".into()],
        };
        let path = dir.path().join("x.inputs.json");
        inputs.save(&path).unwrap();
        assert_eq!(BuildInputs::load(&path), Some(inputs.clone()));
        assert_eq!(BuildInputs::load(&dir.path().join("missing.json")), None);
        assert!(inputs.describe().contains("uncommitted changes to contracts/token/lib.rs"));
    }

    #[test]
    fn a_package_locked_twice_or_not_at_all_has_no_single_version() {
        let lock = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"a\"\nversion = \"2.0.0\"\n";
        assert_eq!(locked_version(lock, "a"), None);
        assert_eq!(locked_version(lock, "b"), None);
        assert_eq!(locked_version("[[package]]\nname = \"b\"\nversion = \"3.1.4\"\n", "b").as_deref(), Some("3.1.4"));
    }
}
