//! Ethereum V3 JSON keystores (scrypt) for the keeper's secp256k1 key, through
//! alloy's local signer.
//!
//! A key named `alice` lives in `<dir>/alice.json`, mode 0600, with a top-level
//! `address` field (as geth and eth-account write it) so keys can be listed
//! without their passwords. Callers get the key back, never the file's secret
//! bytes: [`Keystore::open`] returns a k256 [`SigningKey`], which wipes itself on
//! drop; [`super::secret_bytes`] gives the 32 bytes that `Signer::from_secret`
//! takes.

use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use alloy_signer::utils::secret_key_to_address;
use alloy_signer_local::{LocalSigner, LocalSignerError};
use blake2::{digest::consts::U32, Blake2b, Digest};
use k256::ecdsa::SigningKey;
use rand::rngs::OsRng;
use serde_json::Value;

use super::keystore_json::check_file;
use super::keystore_stage::Stage;
use super::{secret_bytes, KeystoreError, Password, SecretInput};

/// Operations on a directory of V3 keystores.
pub struct Keystore;

/// A keystore just written. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    /// The key's name (the file name without `.json`).
    pub name: String,
    /// Where the keystore was written.
    pub path: PathBuf,
    /// The key's Ethereum address.
    pub address: Address,
    /// The key's chain account: `blake2_256` of the compressed public key.
    pub account: [u8; 32],
}

/// One `*.json` file in a keystore directory, read without decrypting it.
#[derive(Debug)]
pub struct KeyEntry {
    /// The file name without `.json`.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// The recorded address; `Ok(None)` for a valid keystore that records none
    /// (as plain alloy writes them), `Err` for a file that is not a usable keystore.
    pub address: Result<Option<Address>, KeystoreError>,
}

impl Keystore {
    /// The file that holds the key `name` in `dir`.
    pub fn path_of(dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{name}.json"))
    }

    /// Generates a key and writes it to `<dir>/<name>.json`, creating `dir` (0700)
    /// if missing. Fails with [`KeystoreError::Exists`] rather than overwrite.
    pub fn new_key(dir: &Path, name: &str, password: &Password) -> Result<KeyFile, KeystoreError> {
        // Not alloy's `new_keystore`: it leaves an unwiped copy of the new secret
        // on the heap, and `SigningKey` wipes itself.
        write(dir, name, &SigningKey::random(&mut OsRng), password)
    }

    /// Writes an existing secret key to `<dir>/<name>.json`, encrypted with
    /// `password`; otherwise as [`Keystore::new_key`].
    pub fn import(dir: &Path, name: &str, secret: &SecretInput, password: &Password) -> Result<KeyFile, KeystoreError> {
        // Cheap checks first, so a bad name or password costs no key derivation
        // and a bad secret leaves no directory behind.
        prepare(dir, name, password)?;
        write(dir, name, &secret.signing_key()?, password)
    }

    /// Decrypts the keystore at `path`. A recorded `address` that does not match
    /// the decrypted key makes the file [`KeystoreError::Corrupt`].
    pub fn open(path: &Path, password: &Password) -> Result<SigningKey, KeystoreError> {
        // Checked first: alloy panics or misreports on some malformed files.
        let summary = check_file(path)?;
        let signer = LocalSigner::decrypt_keystore(path, password.as_bytes()).map_err(|e| decrypt_error(path, e))?;
        if summary.address.is_some_and(|recorded| recorded != signer.address()) {
            return Err(KeystoreError::corrupt(path, "its `address` field is not the address of the key it holds (the file was edited)"));
        }
        Ok(signer.into_credential())
    }

    /// The `*.json` files in `dir`, sorted by name, each with the address it
    /// records. A broken file is listed with its error; hidden files, other files
    /// and subdirectories are skipped.
    pub fn list(dir: &Path) -> Result<Vec<KeyEntry>, KeystoreError> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(KeystoreError::io(dir))? {
            let path = entry.map_err(KeystoreError::io(dir))?.path();
            let Some(name) = key_name(&path) else { continue };
            // Follows symlinks, so a link to a keystore is listed and a dangling one shows its error.
            if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let address = check_file(&path).map(|summary| summary.address);
            entries.push(KeyEntry { name, path, address });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
}

/// Checks what can be checked before the (slow) key derivation; returns the destination.
fn prepare(dir: &Path, name: &str, password: &Password) -> Result<PathBuf, KeystoreError> {
    check_name(name)?;
    let dest = Keystore::path_of(dir, name);
    if password.is_empty() {
        return Err(KeystoreError::Password(format!(
            "refusing to write {} with an empty password, which would protect nothing; choose a password",
            dest.display()
        )));
    }
    if dest.symlink_metadata().is_ok() {
        return Err(KeystoreError::Exists { path: dest });
    }
    Ok(dest)
}

/// Encrypts `key` with alloy into a private stage, adds the address, and moves
/// the result into place.
fn write(dir: &Path, name: &str, key: &SigningKey, password: &Password) -> Result<KeyFile, KeystoreError> {
    let dest = prepare(dir, name, password)?;
    let stage = Stage::new(dir, name)?;
    let secret = secret_bytes(key);
    LocalSigner::encrypt_keystore(stage.dir(), &mut OsRng, secret.as_slice(), password.as_bytes(), Some(Stage::ALLOY_FILE))
        .map_err(|e| write_error(stage.dir(), e))?;

    let address = secret_key_to_address(key);
    let written = stage.dir().join(Stage::ALLOY_FILE);
    let bytes = std::fs::read(&written).map_err(KeystoreError::io(&written))?;
    let mut json: Value = serde_json::from_slice(&bytes).map_err(|_| KeystoreError::corrupt(&written, "alloy wrote invalid JSON"))?;
    let Some(object) = json.as_object_mut() else {
        return Err(KeystoreError::corrupt(&written, "alloy wrote JSON that is not an object"));
    };
    // geth's layout: lower-case hex without 0x.
    object.insert("address".into(), Value::String(hex::encode(address)));
    let contents = serde_json::to_vec_pretty(&json).map_err(|_| KeystoreError::corrupt(&written, "cannot serialise the keystore"))?;
    stage.publish(&contents, &dest)?;
    Ok(KeyFile { name: name.into(), path: dest, address, account: substrate_account(key) })
}

fn check_name(name: &str) -> Result<(), KeystoreError> {
    let why = if name.is_empty() {
        "it is empty"
    } else if name.len() > 64 {
        "it is longer than 64 characters"
    } else if name.starts_with('.') {
        "it starts with `.`"
    } else if name.ends_with(".json") {
        "it ends in `.json`, which is added for you"
    } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        "it contains other characters"
    } else {
        return Ok(());
    };
    Err(KeystoreError::BadName { name: name.into(), why: why.into() })
}

/// `blake2_256(compressed public key)`, Substrate's ECDSA account. The keeper's
/// `keys::account_of` computes the same; this module keeps its own copy so it
/// has no dependency on the keeper's account type.
fn substrate_account(key: &SigningKey) -> [u8; 32] {
    Blake2b::<U32>::digest(key.verifying_key().to_encoded_point(true).as_bytes()).into()
}

fn key_name(path: &Path) -> Option<String> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let stem = path.file_stem()?.to_string_lossy();
    (is_json && !stem.is_empty() && !stem.starts_with('.')).then(|| stem.into_owned())
}

fn decrypt_error(path: &Path, err: LocalSignerError) -> KeystoreError {
    use eth_keystore::KeystoreError as Eth;
    match err {
        LocalSignerError::EthKeystoreError(Eth::MacMismatch) => KeystoreError::WrongPassword { path: path.into() },
        LocalSignerError::EthKeystoreError(Eth::StdIo(why)) => KeystoreError::Io { path: path.into(), source: std::io::Error::other(why) },
        LocalSignerError::EthKeystoreError(Eth::SerdeJson(_)) => KeystoreError::corrupt(path, "alloy cannot parse it (is `id` a UUID?)"),
        LocalSignerError::EcdsaError(_) => KeystoreError::corrupt(path, "it decrypts to a value that is not a valid secp256k1 secret key"),
        _ => KeystoreError::corrupt(path, "alloy cannot decrypt it (unsupported parameters)"),
    }
}

fn write_error(stage: &Path, err: LocalSignerError) -> KeystoreError {
    // alloy's messages here are I/O or "signature error"; none carries key material.
    KeystoreError::Io { path: stage.into(), source: std::io::Error::other(err.to_string()) }
}
