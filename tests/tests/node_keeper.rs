//! `lode deploy` and `lode run` against a real node, through the same
//! functions the binary calls: the suite deployed from a keystore key, then
//! the keeper's duties run from a config file until they have mined on the
//! node; bad inputs fail with one line and change nothing.

use std::path::Path;

use lode_keeper::cmd::deploy::{self, DeployArgs};
use lode_keeper::cmd::run::{self, RunArgs, Setup};
use lode_keeper::cmd::status::{self, StatusArgs};
use lode_keeper::cmd::verify::{self, VerifyArgs};
use lode_keeper::keys::{Keystore, Password};
use lode_tests::node::DevNode;
use lode_tests::repository;

const PASSWORD: &str = "correct horse battery staple";

fn config(dir: &Path, endpoint: &str) -> String {
    format!(
        r#"
[chain]
endpoints = ["{endpoint}"]
request_timeout_secs = 20
[deployment]
manifest = "deployment.json"
[keeper]
keystore = "keys/keeper.json"
password = {{ file = "password" }}
[store]
url = "keeper.db"
[watcher]
confirmations = "finality"
[mining]
enabled = true
"#
    ) + &format!("# in {}\n", dir.display())
}

#[tokio::test]
async fn deploy_then_run_mines_on_the_node_and_a_rerun_changes_nothing() {
    let Some(node) = DevNode::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    Keystore::new_key(&keys, "keeper", &Password::new(PASSWORD)).expect("a keystore");
    std::fs::write(dir.path().join("password"), PASSWORD).unwrap();
    let manifest = dir.path().join("deployment.json");
    let deploy_args = DeployArgs {
        nodes: vec![node.url()],
        dev: true,
        keystore: Some(keys.join("keeper.json")),
        password_file: Some(dir.path().join("password")),
        password_env: None,
        out: manifest.clone(),
        rebuild: false,
        dry_run: false,
        payees: None,
    };
    // Wait for the node to answer before the first command.
    let probe = node.connect(vec![node.url()], Default::default()).await;
    let unfunded = DeployArgs { dry_run: true, dev: false, ..deploy_args.clone() };
    let err = format!("{:#}", deploy::run(unfunded, repository().root).await.unwrap_err());
    assert!(err.contains("holds no funds"), "{err}");
    let measured = DeployArgs { dry_run: true, ..deploy_args.clone() };
    deploy::run(measured, repository().root).await.expect("--dry-run --dev measures as //Alice");
    assert!(!manifest.exists(), "a dry run writes no manifest");
    let head = lode_keeper::chain::BlockSource::head(&probe).await.unwrap();
    assert_eq!(head.number, 0, "and sends nothing");
    deploy::run(deploy_args.clone(), repository().root).await.expect("lode deploy succeeds");
    let written = std::fs::read_to_string(&manifest).unwrap();
    deploy::run(deploy_args, repository().root).await.expect("a re-run succeeds");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), written, "a re-run changes nothing");

    // `lode verify`: this checkout builds what the manifest names, and the
    // live contracts run it; a manifest naming other code does not match.
    let verify = |manifest: std::path::PathBuf| VerifyArgs {
        contract: None,
        code_hash: None,
        manifest: Some(manifest),
        nodes: vec![node.url()],
        proposal: None,
    };
    verify::run(verify(manifest.clone()), repository().root).await.expect("the deployment verifies against the checkout and the node");
    let altered = dir.path().join("altered.json");
    let other = "0x".to_owned() + &"ab".repeat(32);
    let token_hash = written.split("\"code_hash\": \"").nth(1).and_then(|rest| rest.get(..66)).expect("the token's code hash").to_owned();
    std::fs::write(&altered, written.replacen(&token_hash, &other, 1)).unwrap();
    let err = verify::run(verify(altered), repository().root).await.expect_err("a changed code hash is a mismatch");
    assert_eq!(err.to_string(), "1 of 5 contracts do not match");

    let config_path = dir.path().join("lode.toml");
    std::fs::write(&config_path, config(dir.path(), &node.url())).unwrap();
    let setup = Setup::open(&config_path).await.expect("the config opens");
    let splitter = setup.contracts.splitter.0.address();
    let before = setup.contracts.token.balance_of(splitter).await.unwrap();
    drop(setup);

    // Every mint seals a block on a dev node: three blocks, three mints or fewer.
    run::run(RunArgs { config: config_path.clone(), blocks: Some(3) }).await.expect("lode run mines and stops after 3 blocks");
    let setup = Setup::open(&config_path).await.unwrap();
    let after = setup.contracts.token.balance_of(splitter).await.unwrap();
    assert!(after > before, "the keeper mined LODE to the splitter on the node ({before} -> {after})");
    let cursor = setup.store.cursor("watcher").await.unwrap().expect("the watcher saved its cursor");
    assert!(cursor.confirmed.number > 0);
    status::run(StatusArgs { config: config_path }).await.expect("lode status prints");
}

#[tokio::test]
async fn an_unreachable_node_or_a_wrong_password_fails_with_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    Keystore::new_key(&keys, "keeper", &Password::new(PASSWORD)).unwrap();
    std::fs::write(dir.path().join("password"), PASSWORD).unwrap();
    std::fs::write(dir.path().join("deployment.json"), "{}").unwrap();
    let config_path = dir.path().join("lode.toml");
    // Nothing listens on port 1.
    std::fs::write(&config_path, config(dir.path(), "ws://127.0.0.1:1")).unwrap();
    let err = format!("{:#}", run::run(RunArgs { config: config_path.clone(), blocks: Some(1) }).await.unwrap_err());
    assert!(err.contains("cannot reach the node") && err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(!dir.path().join("keeper.db").exists(), "nothing was created");

    std::fs::write(dir.path().join("password"), "wrong").unwrap();
    let err = format!("{:#}", run::run(RunArgs { config: config_path, blocks: Some(1) }).await.unwrap_err());
    assert!(err.to_lowercase().contains("password"), "{err}");
    assert!(!err.contains('\n') && !err.contains(PASSWORD), "one line, no secret: {err}");
}
