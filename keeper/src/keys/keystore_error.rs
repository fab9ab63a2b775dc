//! What can go wrong with a keystore file, said so that the operator knows what
//! to do next.
//!
//! No variant carries key material or a password: messages are built from fixed
//! text, paths and names only, never from the contents of a secret or a keystore.

use std::path::PathBuf;

/// A keystore operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The MAC did not match: the password is wrong (or the ciphertext was altered).
    #[error("wrong password for keystore {path} (its MAC check failed); check the password and try again")]
    WrongPassword {
        /// The keystore file.
        path: PathBuf,
    },
    /// The file is not JSON, not a V3 keystore, or uses something we do not support.
    #[error("keystore {path} is not usable: {why}; import the key again from its hex secret, or restore the file from a backup")]
    Corrupt {
        /// The keystore file.
        path: PathBuf,
        /// What is wrong with it, without its contents.
        why: String,
    },
    /// No file or directory at this path.
    #[error("{path} does not exist; check the path (a key is stored as <dir>/<name>.json)")]
    NotFound {
        /// The missing file or directory.
        path: PathBuf,
    },
    /// A keystore with this name already exists; keystores are never overwritten.
    #[error("a keystore already exists at {path}; choose another name, or move that file away first (keystores are never overwritten)")]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// A secret key given for import is malformed or not a valid secp256k1 scalar.
    #[error("the secret key is not usable: {0}; give 32 bytes as 64 hex digits, with or without 0x")]
    BadSecret(String),
    /// A key name that cannot be a plain file name.
    #[error("invalid key name `{name}`: {why}; use letters, digits, `-`, `_` and `.`, not starting with `.`")]
    BadName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}; check the path and this user's permission to read and write it")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// No password could be obtained, or it is unfit for a new keystore.
    #[error("{0}")]
    Password(String),
}

impl KeystoreError {
    /// Maps an I/O error on `path`; a missing file becomes [`KeystoreError::NotFound`].
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| match source.kind() {
            std::io::ErrorKind::NotFound => KeystoreError::NotFound { path },
            _ => KeystoreError::Io { path, source },
        }
    }

    /// A [`KeystoreError::Corrupt`] for `path`.
    pub(crate) fn corrupt(path: impl Into<PathBuf>, why: impl Into<String>) -> Self {
        KeystoreError::Corrupt { path: path.into(), why: why.into() }
    }
}
