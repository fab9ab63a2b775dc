//! Builds contract crates into artifacts with the `contract-build` library,
//! each from the locked [`Stage`], all into one shared target directory.
//!
//! Release mode always: debug contract builds on some toolchains emit bulk-memory
//! opcodes that `pallet-contracts` rejects (see `docs/decisions/001-rust-1.86.md`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use contract_build::{BuildArtifacts, BuildMode, ExecuteArgs, ManifestPath, Verbosity};
use fs4::fs_std::FileExt;

use crate::staging::Stage;
use crate::{fingerprint, toolchain, Artifact, BuildInputs, ContractCrate, DeployError, Workspace};

/// How to build.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Rebuild even when the sources are unchanged.
    pub force: bool,
    /// Hide cargo's own output (tests); otherwise it streams to stderr as progress.
    pub quiet: bool,
}

/// Progress reports, so a first build that takes minutes is never silent.
#[derive(Debug, Clone)]
pub enum BuildEvent {
    /// The sources are unchanged since the last build; its artifacts are reused.
    Reused {
        /// Contract name.
        name: String,
    },
    /// A build starts. `index` counts from 1.
    Building {
        /// Contract name.
        name: String,
        /// Position among the contracts being built.
        index: usize,
        /// How many contracts are being built.
        total: usize,
        /// True when no contract was built in this target directory yet (core,
        /// alloc and ink! get compiled for WASM: minutes, not seconds).
        first: bool,
    },
    /// A build finished.
    Built {
        /// Contract name.
        name: String,
        /// Size of the optimised WASM.
        wasm_bytes: usize,
        /// Wall time of the build.
        took: Duration,
    },
}

/// Builds the contracts of one workspace into one target directory.
#[derive(Debug, Clone)]
pub struct Builder {
    workspace: Workspace,
    target_dir: PathBuf,
    /// `CARGO_TARGET_DIR` is set: cargo builds the stage there, not in the
    /// stage's own `target`.
    target_from_env: bool,
    toolchain: String,
}

impl Builder {
    /// A builder for `workspace`, writing under `$CARGO_TARGET_DIR` or `<root>/target`,
    /// exactly where cargo itself (and so `contract-build`) puts output.
    pub fn new(workspace: Workspace) -> Result<Self, DeployError> {
        let toolchain = toolchain::pinned_channel(&workspace.root)?;
        let from_env = std::env::var_os("CARGO_TARGET_DIR");
        let target_dir = match &from_env {
            Some(dir) => {
                let dir = PathBuf::from(dir);
                if dir.is_absolute() {
                    dir
                } else {
                    std::env::current_dir().map_err(DeployError::io(&dir))?.join(dir)
                }
            }
            None => workspace.root.join("target"),
        };
        Ok(Self { workspace, target_dir, target_from_env: from_env.is_some(), toolchain })
    }

    /// The workspace this builder serves.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Builds (or reuses) every contract in the workspace.
    pub fn build_all(&self, opts: BuildOptions, on_event: &mut dyn FnMut(BuildEvent)) -> Result<Vec<Artifact>, DeployError> {
        let names: Vec<String> = self.workspace.contracts.iter().map(|c| c.name.clone()).collect();
        self.build_many(&names, opts, on_event)
    }

    /// Builds (or reuses) the named contracts, in order.
    pub fn build_many(
        &self,
        names: &[String],
        opts: BuildOptions,
        on_event: &mut dyn FnMut(BuildEvent),
    ) -> Result<Vec<Artifact>, DeployError> {
        self.check_toolchain()?;
        let _lock = self.lock()?;
        let total = names.len();
        let mut out = Vec::with_capacity(total);
        // Read once per call (it runs `rustc -V` and git), and only if something is built.
        let mut inputs = None;
        for (i, name) in names.iter().enumerate() {
            let contract = self.workspace.contract(name)?;
            out.push(self.build_locked(contract, i + 1, total, opts, &mut inputs, on_event)?);
        }
        Ok(out)
    }

    /// Loads the current artifacts of `name` without building; fails when they are
    /// missing or stale, saying which command builds them.
    pub fn load_current(&self, name: &str) -> Result<Artifact, DeployError> {
        let contract = self.workspace.contract(name)?;
        let want = fingerprint::of_contract(&self.workspace.root, contract, &self.toolchain)?;
        if self.recorded_fingerprint(contract).as_deref() != Some(want.as_str()) {
            return Err(DeployError::Build {
                name: contract.name.clone(),
                reason: anyhow::anyhow!("artifacts are missing or stale; run `cargo run -p lode-deploy -- build`"),
            });
        }
        self.load(contract)
    }

    fn build_locked(
        &self,
        contract: &ContractCrate,
        index: usize,
        total: usize,
        opts: BuildOptions,
        inputs: &mut Option<BuildInputs>,
        on_event: &mut dyn FnMut(BuildEvent),
    ) -> Result<Artifact, DeployError> {
        let want = fingerprint::of_contract(&self.workspace.root, contract, &self.toolchain)?;
        let recorded = self.recorded_fingerprint(contract);
        if !opts.force && recorded.as_deref() == Some(want.as_str()) {
            if let Ok(artifact) = self.load(contract) {
                on_event(BuildEvent::Reused { name: contract.name.clone() });
                return Ok(artifact);
            }
        }

        let first = !self.out_dir().join("wasm32-unknown-unknown").exists();
        on_event(BuildEvent::Building { name: contract.name.clone(), index, total, first });
        let started = Instant::now();
        let stage = self.stage();
        stage.prepare(&self.workspace.root, contract)?;
        let manifest = ManifestPath::new(stage.manifest()).map_err(|reason| self.build_err(contract, reason))?;
        let args = ExecuteArgs {
            manifest_path: manifest,
            verbosity: if opts.quiet { Verbosity::Quiet } else { Verbosity::Default },
            build_mode: BuildMode::Release,
            build_artifact: BuildArtifacts::All,
            ..Default::default()
        };
        let result = contract_build::execute(args).map_err(|reason| {
            // In quiet mode cargo's own output (a lint, a compiler error) is not shown.
            let hint = format!("`cargo run -p lode-deploy -- build {}` shows cargo's full output", contract.name);
            self.build_err(contract, reason.context(hint))
        })?;
        let built_dir = result.target_directory;
        if built_dir.canonicalize().ok() != self.out_dir().canonicalize().ok() {
            return Err(self.build_err(
                contract,
                anyhow::anyhow!(
                    "contract-build wrote to {} but lode-deploy expected {}; is `build.target-dir` set in a cargo config? Use CARGO_TARGET_DIR instead",
                    built_dir.display(),
                    self.out_dir().display()
                ),
            ));
        }
        let artifact = self.load(contract)?;
        let inputs = match inputs {
            Some(inputs) => inputs,
            None => inputs.insert(BuildInputs::collect(&self.workspace.root)?),
        };
        inputs.save(&self.inputs_path(contract))?;
        let path = self.fingerprint_path(contract);
        std::fs::write(&path, &want).map_err(DeployError::io(&path))?;
        on_event(BuildEvent::Built { name: contract.name.clone(), wasm_bytes: artifact.wasm.len(), took: started.elapsed() });
        Ok(artifact)
    }

    fn load(&self, contract: &ContractCrate) -> Result<Artifact, DeployError> {
        Artifact::load(&contract.name, &self.out_dir(), &artifact_stem(contract))
    }

    /// The stage every contract is built from, in turn.
    fn stage(&self) -> Stage {
        Stage::new(PathBuf::from(Stage::DIR))
    }

    /// Where `contract-build` puts every contract's output: `ink` in cargo's
    /// target directory for the stage, which is `CARGO_TARGET_DIR` when set,
    /// else the stage's own `target`.
    fn out_dir(&self) -> PathBuf {
        let cargo_target = if self.target_from_env { self.target_dir.clone() } else { self.stage().dir.join("target") };
        cargo_target.join("ink")
    }

    /// What the current artifacts of `name` were built from, when recorded.
    pub fn inputs(&self, name: &str) -> Option<BuildInputs> {
        BuildInputs::load(&self.inputs_path(self.workspace.contract(name).ok()?))
    }

    fn inputs_path(&self, contract: &ContractCrate) -> PathBuf {
        self.out_dir().join(format!("{}.inputs.json", artifact_stem(contract)))
    }

    fn fingerprint_path(&self, contract: &ContractCrate) -> PathBuf {
        self.out_dir().join(format!("{}.lode-fingerprint", artifact_stem(contract)))
    }

    fn recorded_fingerprint(&self, contract: &ContractCrate) -> Option<String> {
        std::fs::read_to_string(self.fingerprint_path(contract)).ok()
    }

    /// One build at a time on the machine: every build uses the one stage,
    /// parallel test binaries ask for the same artifacts, and two `wasm-opt`
    /// runs on one file would corrupt it.
    fn lock(&self) -> Result<File, DeployError> {
        let dir = self.stage().dir;
        // Another user's stage is the likely cause of a failure here: say what to do.
        let unwritable = |path: &Path| {
            let path = path.to_path_buf();
            move |source: std::io::Error| DeployError::Io {
                source: std::io::Error::new(
                    source.kind(),
                    format!("{source}; contract builds stage their sources in {}, so it must be writable by you", Stage::DIR),
                ),
                path,
            }
        };
        std::fs::create_dir_all(&dir).map_err(unwritable(&dir))?;
        let path = dir.join(".lock");
        let file = File::create(&path).map_err(unwritable(&path))?;
        file.lock_exclusive().map_err(DeployError::io(&path))?;
        Ok(file)
    }

    fn check_toolchain(&self) -> Result<(), DeployError> {
        let active = std::env::var("RUSTUP_TOOLCHAIN").unwrap_or_default();
        if active.starts_with(&self.toolchain) {
            return Ok(());
        }
        Err(DeployError::Build {
            name: "(all)".into(),
            reason: anyhow::anyhow!(
                "RUSTUP_TOOLCHAIN is `{active}` but the repository pins `{}`; run through `cargo` in the repository, \
                 or call lode_deploy::toolchain::pin_for_child_processes first",
                self.toolchain
            ),
        })
    }

    fn build_err(&self, contract: &ContractCrate, reason: anyhow::Error) -> DeployError {
        DeployError::Build { name: contract.name.clone(), reason }
    }
}

/// The artifacts' file stem: the package name with `_` for `-`, as
/// `contract-build` names them.
fn artifact_stem(contract: &ContractCrate) -> String {
    contract.package.replace('-', "_")
}

/// Human-readable progress for a terminal: one line per event.
pub fn describe(event: &BuildEvent) -> String {
    match event {
        BuildEvent::Reused { name } => format!("contract {name}: unchanged, reusing last build"),
        BuildEvent::Building { name, index, total, first: true } => {
            format!("contract {name} [{index}/{total}]: first build in this target directory, compiling core, alloc and ink! for WASM (a few minutes)...")
        }
        BuildEvent::Building { name, index, total, first: false } => {
            format!("contract {name} [{index}/{total}]: sources changed, rebuilding...")
        }
        BuildEvent::Built { name, wasm_bytes, took } => {
            format!("contract {name}: built {wasm_bytes} bytes of WASM in {:.1}s", took.as_secs_f64())
        }
    }
}
