//! A dev node with the suite deployed by `lode deploy --dev`, a keeper
//! keystore and a config: what the tests that run the `lode` binary against
//! a real node share.

use std::path::{Path, PathBuf};

use lode_keeper::cmd::deploy::{self, DeployArgs};
use lode_keeper::keys::{Keystore, Password};

/// The keystores' password, also in the directory's `password` file.
pub const PASSWORD: &str = "node test password";

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// A temporary directory kept, and named, when the test fails: the
/// processes' logs are in it.
pub struct WorkDir(Option<tempfile::TempDir>);

impl WorkDir {
    /// A new, empty directory.
    pub fn new() -> Self {
        WorkDir(Some(tempfile::tempdir().expect("a temporary directory")))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.as_ref().map(tempfile::TempDir::path).expect("present until dropped")
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let (true, Some(dir)) = (std::thread::panicking(), self.0.take()) {
            eprintln!("the test's directory, with every process's log, is kept at {}", dir.keep().display());
        }
    }
}

/// The last 40 lines of a log.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Makes `keys/<name>.json` for each of `keys` and the `password` file in
/// `dir`, then deploys the suite to `node` with `--dev` (the first key
/// bonded as a keeper) into `dir/deployment.json`, with `payees` if given.
pub async fn deploy_dev(dir: &Path, node: &str, keys: &[&str], payees: Option<PathBuf>) {
    let password = Password::new(PASSWORD);
    for name in keys {
        Keystore::new_key(&dir.join("keys"), name, &password).unwrap();
    }
    std::fs::write(dir.join("password"), PASSWORD).unwrap();
    deploy::run(
        DeployArgs {
            nodes: vec![node.to_owned()],
            dev: true,
            keystore: Some(dir.join("keys").join(format!("{}.json", keys[0]))),
            password_file: Some(dir.join("password")),
            password_env: None,
            out: dir.join("deployment.json"),
            rebuild: false,
            dry_run: false,
            payees,
        },
        workspace(),
    )
    .await
    .expect("the suite deploys and the keeper bonds");
}

/// The dev treasury's key (it holds the genesis LODE) as `keys/treasury.json`
/// in `dir`, under [`PASSWORD`]: a treasury that pays from a keystore.
pub fn import_dev_treasury(dir: &Path) {
    use blake2::digest::consts::U32;
    use blake2::{Blake2b, Digest};
    // `Signer::dev`'s derivation, which the dev deployment's treasury uses.
    let secret: [u8; 32] = Blake2b::<U32>::digest("lode/dev/treasury").into();
    let secret = lode_keeper::keys::SecretInput::Hex(hex::encode(secret).into());
    Keystore::import(&dir.join("keys"), "treasury", &secret, &Password::new(PASSWORD)).unwrap();
}
