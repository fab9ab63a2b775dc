//! Keystore files on disk: creation, permissions, no overwriting, import,
//! listing, and how each failure is reported.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use alloy_signer::utils::secret_key_to_address;
use blake2::{digest::consts::U32, Blake2b, Digest};
use k256::ecdsa::SigningKey;
use lode_keeper::keys::{secret_bytes, Keystore, KeystoreError, Password, SecretInput};

const PASSWORD: &str = "correct horse battery staple";
const SECRET: &str = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS: &str = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

fn pw() -> Password {
    Password::new(PASSWORD)
}

fn account_of(key: &SigningKey) -> [u8; 32] {
    Blake2b::<U32>::digest(key.verifying_key().to_encoded_point(true).as_bytes()).into()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

fn import_known(dir: &Path, name: &str) -> lode_keeper::keys::KeyFile {
    Keystore::import(dir, name, &SecretInput::hex(SECRET), &pw()).unwrap()
}

#[test]
fn new_key_is_private_and_opens_to_its_address_and_account() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys/nested");
    let written = Keystore::new_key(&dir, "alice", &pw()).unwrap();

    assert_eq!(written.path, dir.join("alice.json"));
    assert_eq!(mode(&written.path), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&tmp.path().join("keys")), 0o700);
    assert_eq!(names_in(&dir), ["alice.json"], "no staging left behind");

    let key = Keystore::open(&written.path, &pw()).unwrap();
    assert_eq!(secret_key_to_address(&key), written.address);
    assert_eq!(account_of(&key), written.account);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&written.path).unwrap()).unwrap();
    assert_eq!(json["address"], hex::encode(written.address));
    assert_eq!(json["version"], 3);
    assert_eq!(json["crypto"]["kdf"], "scrypt");
}

#[test]
fn existing_directory_keeps_its_permissions() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
    Keystore::new_key(tmp.path(), "k", &pw()).unwrap();
    assert_eq!(mode(tmp.path()), 0o750);
}

#[test]
fn second_key_with_the_same_name_is_refused_and_the_first_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let first = Keystore::new_key(tmp.path(), "bob", &pw()).unwrap();
    let before = std::fs::read(&first.path).unwrap();

    let err = Keystore::new_key(tmp.path(), "bob", &Password::new("other password")).unwrap_err();
    assert!(matches!(&err, KeystoreError::Exists { path } if *path == first.path), "{err:?}");
    assert!(err.to_string().contains("bob.json"), "{err}");
    let err = Keystore::import(tmp.path(), "bob", &SecretInput::hex(SECRET), &pw()).unwrap_err();
    assert!(matches!(err, KeystoreError::Exists { .. }), "{err:?}");

    assert_eq!(std::fs::read(&first.path).unwrap(), before);
    assert_eq!(Keystore::open(&first.path, &pw()).map(|k| secret_key_to_address(&k)).unwrap(), first.address);
    assert_eq!(names_in(tmp.path()), ["bob.json"]);
}

#[test]
fn racing_writers_never_overwrite_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| Keystore::new_key(tmp.path(), "race", &pw()))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, KeystoreError::Exists { .. })));
    let key = Keystore::open(&won[0].path, &pw()).unwrap();
    assert_eq!(secret_key_to_address(&key), won[0].address);
    assert_eq!(names_in(tmp.path()), ["race.json"]);
}

#[test]
fn wrong_password_is_reported_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let written = import_known(tmp.path(), "k");
    let err = Keystore::open(&written.path, &Password::new("not it")).unwrap_err();
    assert!(matches!(&err, KeystoreError::WrongPassword { path } if *path == written.path), "{err:?}");
    assert!(err.to_string().contains("wrong password") && err.to_string().contains("k.json"), "{err}");
}

#[test]
fn broken_files_are_corrupt_and_missing_ones_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read(import_known(tmp.path(), "good").path).unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        ("truncated.json", &good[..good.len() / 2], "ends early"),
        ("empty.json", b"", "empty"),
        ("text.json", b"hello, not a keystore", "not valid JSON"),
        ("v1.json", br#"{"version": 1, "id": "x", "crypto": {}}"#, "version"),
    ];
    for (name, contents, want) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let err = Keystore::open(&path, &pw()).unwrap_err();
        assert!(matches!(&err, KeystoreError::Corrupt { path: p, .. } if *p == path), "{name}: {err:?}");
        assert!(err.to_string().contains(want) && err.to_string().contains(name), "{name}: {err}");
    }

    let missing = tmp.path().join("missing.json");
    let err = Keystore::open(&missing, &pw()).unwrap_err();
    assert!(matches!(&err, KeystoreError::NotFound { path } if *path == missing), "{err:?}");
    assert!(err.to_string().contains("missing.json"), "{err}");
}

#[test]
fn unsupported_or_dangerous_parameters_are_corrupt_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let good: serde_json::Value = serde_json::from_slice(&std::fs::read(import_known(tmp.path(), "good").path).unwrap()).unwrap();
    // Each of these would panic or mislead inside eth-keystore 0.5 without the check.
    for (pointer, value, want) in [
        ("/crypto/kdfparams/dklen", serde_json::json!(16), "dklen"),
        ("/crypto/cipherparams/iv", serde_json::json!("0011"), "iv"),
        ("/crypto/kdfparams/n", serde_json::json!(8000), "power of two"),
        ("/crypto/kdf", serde_json::json!("argon2id"), "not supported"),
        ("/address", serde_json::json!(hex::encode([1u8; 20])), "address"),
    ] {
        let mut broken = good.clone();
        *broken.pointer_mut(pointer).unwrap() = value;
        let path = tmp.path().join("broken.json");
        std::fs::write(&path, broken.to_string()).unwrap();
        let err = Keystore::open(&path, &pw()).unwrap_err();
        assert!(matches!(err, KeystoreError::Corrupt { .. }) && err.to_string().contains(want), "{pointer}: {err}");
    }
}

#[test]
fn import_hex_with_or_without_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in [("plain", SECRET.to_string()), ("prefixed", format!("0x{SECRET}")), ("pasted", format!("{SECRET}\n"))] {
        let written = Keystore::import(tmp.path(), name, &SecretInput::hex(text), &pw()).unwrap();
        assert_eq!(written.address.to_string(), ADDRESS);
        let key = Keystore::open(&written.path, &pw()).unwrap();
        assert_eq!(hex::encode(*secret_bytes(&key)), SECRET);
        assert_eq!(account_of(&key), written.account);
    }
}

#[test]
fn bad_hex_secrets_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    for bad in
        [&SECRET[..62], &"0".repeat(64), "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", &format!("{}g", &SECRET[..63])]
    {
        let err = Keystore::import(&dir, "bad", &SecretInput::hex(bad), &pw()).unwrap_err();
        assert!(matches!(err, KeystoreError::BadSecret(_)), "{err:?}");
    }
    assert!(!dir.exists());
}

#[test]
fn import_from_another_keystore_reencrypts_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let source = import_known(tmp.path(), "source");
    let new_password = Password::new("new password");
    let copy = Keystore::import(tmp.path(), "copy", &SecretInput::keystore(&source.path, pw()), &new_password).unwrap();
    assert_eq!(copy.address, source.address);
    assert_eq!(copy.account, source.account);
    let key = Keystore::open(&copy.path, &new_password).unwrap();
    assert_eq!(hex::encode(*secret_bytes(&key)), SECRET);
    assert!(matches!(Keystore::open(&copy.path, &pw()), Err(KeystoreError::WrongPassword { .. })));

    let err = Keystore::import(tmp.path(), "copy2", &SecretInput::keystore(&source.path, Password::new("wrong")), &pw()).unwrap_err();
    assert!(matches!(&err, KeystoreError::WrongPassword { path } if *path == source.path), "{err:?}");
}

#[test]
fn empty_password_and_bad_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Keystore::new_key(tmp.path(), "k", &Password::new("")).unwrap_err();
    assert!(matches!(err, KeystoreError::Password(_)) && err.to_string().contains("empty password"), "{err}");
    for name in ["", ".hidden", "a/b", "../up", "alice.json", "white space", &"x".repeat(65)] {
        let err = Keystore::new_key(tmp.path(), name, &pw()).unwrap_err();
        assert!(matches!(err, KeystoreError::BadName { .. }), "{name}: {err:?}");
    }
    assert!(names_in(tmp.path()).is_empty());
}

#[test]
fn list_reads_addresses_without_passwords_and_marks_broken_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let alice = import_known(dir, "alice");
    std::fs::write(dir.join("broken.json"), b"{\"version\": 3,").unwrap();
    std::fs::write(dir.join("notes.txt"), b"not a key").unwrap();
    std::fs::write(dir.join(".hidden.json"), b"{}").unwrap();
    std::fs::create_dir(dir.join("folder.json")).unwrap();
    // Opening a FIFO would block forever.
    assert!(std::process::Command::new("mkfifo").arg(dir.join("pipe.json")).status().unwrap().success());
    // A plain alloy keystore records no address.
    let mut rng = rand::rngs::OsRng;
    alloy_signer_local::LocalSigner::encrypt_keystore(dir, &mut rng, [7u8; 32], PASSWORD, Some("plain.json")).unwrap();

    let listed = Keystore::list(dir).unwrap();
    let names: Vec<_> = listed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["alice", "broken", "pipe", "plain"]);
    assert_eq!(listed[0].address.as_ref().unwrap(), &Some(alice.address));
    assert_eq!(listed[0].path, alice.path);
    assert!(matches!(listed[1].address, Err(KeystoreError::Corrupt { .. })), "{:?}", listed[1]);
    assert!(matches!(&listed[2].address, Err(e @ KeystoreError::Corrupt { .. }) if e.to_string().contains("not a regular file")));
    assert!(matches!(listed[3].address, Ok(None)), "{:?}", listed[3]);
    assert!(matches!(Keystore::open(&dir.join("pipe.json"), &pw()), Err(KeystoreError::Corrupt { .. })));

    let err = Keystore::list(&dir.join("nope")).unwrap_err();
    assert!(matches!(err, KeystoreError::NotFound { .. }), "{err:?}");
}
