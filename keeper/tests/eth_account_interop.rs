//! Cross-checks our keystores with eth-account (PyPI), in both directions.
//!
//! Needs a Python with eth-account: `LODE_PYTHON`, else `python3`. scripts/setup
//! makes one at $HOME/.cache/lode/venv. Without it these tests fail, never skip:
//! an interop check that silently stops running is worse than none.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use blake2::{digest::consts::U32, Blake2b, Digest};
use k256::ecdsa::SigningKey;
use lode_keeper::keys::{secret_bytes, Keystore, KeystoreError, Password, SecretInput};
use serde_json::{json, Value};

const HOW_TO_INSTALL: &str = "install it with scripts/setup (it creates $HOME/.cache/lode/venv with eth-account), \
     then run with LODE_PYTHON=$HOME/.cache/lode/venv/bin/python";
/// Non-ASCII on purpose: both sides must encode the password as UTF-8.
const PASSWORD: &str = "pässwörd ✓ interop";
/// The web3.js documentation's example key and its address.
const SECRET: &str = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS: &str = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

/// Runs tests/eth_account_interop.py with one JSON request on stdin.
fn eth_account(request: Value) -> Value {
    let python = std::env::var("LODE_PYTHON").unwrap_or_else(|_| {
        let cached = std::env::var("HOME").map(|h| format!("{h}/.cache/lode/venv/bin/python")).unwrap_or_default();
        if Path::new(&cached).exists() {
            cached
        } else {
            "python3".into()
        }
    });
    // cargo runs tests in the package's directory; a compile-time path could
    // point into another checkout sharing the target directory.
    let script = Path::new("tests/eth_account_interop.py");
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}); eth-account is needed: {HOW_TO_INSTALL}"));
    child.stdin.take().unwrap().write_all(request.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 3: the script could not import eth_account.
    if out.status.code() == Some(3) {
        panic!("{}; {HOW_TO_INSTALL}", stderr.trim());
    }
    assert!(out.status.success(), "eth-account failed: {stderr}");
    serde_json::from_slice(&out.stdout).expect("eth-account's answer is JSON")
}

fn account_of(key: &SigningKey) -> [u8; 32] {
    Blake2b::<U32>::digest(key.verifying_key().to_encoded_point(true).as_bytes()).into()
}

fn open_timed(path: &Path, password: &Password, what: &str) -> SigningKey {
    let start = Instant::now();
    let key = Keystore::open(path, password).unwrap();
    eprintln!("Keystore::open of {what}: {:.2?}", start.elapsed());
    key
}

#[test]
fn eth_account_is_installed() {
    let version = eth_account(json!({"op": "version"}));
    eprintln!("eth-account {}", version["eth_account"]);
}

#[test]
fn eth_account_decrypts_our_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let written = Keystore::new_key(dir.path(), "fresh", &Password::new(PASSWORD)).unwrap();
    let keystore: Value = serde_json::from_slice(&std::fs::read(&written.path).unwrap()).unwrap();

    let theirs = eth_account(json!({"op": "decrypt", "keystore": keystore, "password": PASSWORD}));
    let ours = open_timed(&written.path, &Password::new(PASSWORD), "our new key (alloy scrypt n=2^13, r=8, p=1)");
    assert_eq!(theirs["private_key"], hex::encode(*secret_bytes(&ours)));
    assert_eq!(theirs["address"], written.address.to_string());
    let their_key = SigningKey::from_slice(&hex::decode(theirs["private_key"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(account_of(&their_key), written.account);
}

#[test]
fn eth_account_decrypts_our_import() {
    let dir = tempfile::tempdir().unwrap();
    let written = Keystore::import(dir.path(), "known", &SecretInput::hex(format!("0x{SECRET}")), &Password::new(PASSWORD)).unwrap();
    assert_eq!(written.address.to_string(), ADDRESS);
    let keystore: Value = serde_json::from_slice(&std::fs::read(&written.path).unwrap()).unwrap();

    let theirs = eth_account(json!({"op": "decrypt", "keystore": keystore, "password": PASSWORD}));
    assert_eq!(theirs["private_key"], SECRET);
    assert_eq!(theirs["address"], ADDRESS);
}

/// eth-account writes `kdf` with its default work factor (or `iterations`);
/// we open the file and must find the same key, address and account.
fn we_open_theirs(kdf: &str, iterations: Option<u32>, what: &str) {
    let keystore = eth_account(json!({
        "op": "encrypt", "private_key": SECRET, "password": PASSWORD, "kdf": kdf, "iterations": iterations,
    }));
    assert_eq!(keystore["crypto"]["kdf"], kdf);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theirs.json");
    std::fs::write(&path, keystore.to_string()).unwrap();

    let key = open_timed(&path, &Password::new(PASSWORD), what);
    assert_eq!(hex::encode(*secret_bytes(&key)), SECRET);
    let expected = SigningKey::from_slice(&hex::decode(SECRET).unwrap()).unwrap();
    assert_eq!(account_of(&key), account_of(&expected));

    let listed = Keystore::list(dir.path()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].address.as_ref().unwrap().unwrap().to_string(), ADDRESS);
}

#[test]
fn we_open_eth_account_scrypt_default() {
    we_open_theirs("scrypt", None, "eth-account's default scrypt (n=2^18, r=8, p=1)");
}

#[test]
fn we_open_eth_account_pbkdf2_default() {
    we_open_theirs("pbkdf2", None, "eth-account's default pbkdf2 (c=1,000,000)");
}

#[test]
fn we_open_eth_account_small_scrypt() {
    we_open_theirs("scrypt", Some(1 << 12), "eth-account scrypt n=2^12, r=8, p=1");
}

/// eth-keyfile before 0.7 wrote scrypt n = 2^18 with r = 1, p = 8, which breaks
/// RFC 7914 and which alloy's scrypt refuses: we must say so, not misreport it.
#[test]
fn old_eth_account_scrypt_files_are_refused_clearly() {
    let keystore = eth_account(json!({
        "op": "encrypt", "private_key": SECRET, "password": PASSWORD, "kdf": "scrypt", "scrypt_r_p": [1, 8],
    }));
    assert_eq!(keystore["crypto"]["kdfparams"]["r"], 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.json");
    std::fs::write(&path, keystore.to_string()).unwrap();

    let err = Keystore::open(&path, &Password::new(PASSWORD)).unwrap_err();
    assert!(matches!(err, KeystoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("RFC 7914") && err.to_string().contains("hex secret"), "{err}");
}
