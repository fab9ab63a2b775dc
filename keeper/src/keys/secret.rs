//! Secret keys given for import, and the 32 raw bytes the keeper's `Signer` is
//! built from.
//!
//! Parsing errors say what is wrong in fixed words: they never quote the input,
//! which may be a secret key with one typo.

use std::fmt;
use std::path::PathBuf;

use k256::ecdsa::SigningKey;
use zeroize::{Zeroize, Zeroizing};

use super::{Keystore, KeystoreError, Password};

/// A secret key to import into a new keystore.
pub enum SecretInput {
    /// 32 bytes as 64 hex digits, with or without `0x`; surrounding whitespace
    /// (a pasted newline) is ignored.
    Hex(Zeroizing<String>),
    /// Another V3 keystore file, opened with its own password.
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// Its password.
        password: Password,
    },
}

impl SecretInput {
    /// A hex secret; the `String` is moved in and wiped on drop.
    pub fn hex(secret: impl Into<String>) -> Self {
        SecretInput::Hex(Zeroizing::new(secret.into()))
    }

    /// An existing keystore file and its password.
    pub fn keystore(path: impl Into<PathBuf>, password: Password) -> Self {
        SecretInput::Keystore { path: path.into(), password }
    }

    /// The key this input holds, checked to be a valid secp256k1 secret.
    pub(crate) fn signing_key(&self) -> Result<SigningKey, KeystoreError> {
        match self {
            SecretInput::Hex(text) => parse_hex(text),
            SecretInput::Keystore { path, password } => Keystore::open(path, password),
        }
    }
}

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretInput::Hex(_) => f.write_str("SecretInput::Hex(***)"),
            SecretInput::Keystore { path, password } => {
                f.debug_struct("SecretInput::Keystore").field("path", path).field("password", password).finish()
            }
        }
    }
}

/// The 32-byte big-endian secret of `key`, wiped when dropped: what
/// `Signer::from_secret` takes.
pub fn secret_bytes(key: &SigningKey) -> Zeroizing<[u8; 32]> {
    let mut field = key.to_bytes();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&field);
    let field: &mut [u8] = &mut field;
    field.zeroize();
    out
}

fn parse_hex(text: &str) -> Result<SigningKey, KeystoreError> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    if digits.len() != 64 {
        return Err(KeystoreError::BadSecret(format!("expected 64 hex digits (32 bytes), got {} characters", digits.len())));
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(digits, bytes.as_mut_slice())
        .map_err(|_| KeystoreError::BadSecret("it contains a character that is not a hex digit".into()))?;
    SigningKey::from_bytes((&*bytes).into())
        .map_err(|_| KeystoreError::BadSecret("it is zero or not below the secp256k1 curve order, so it is not a valid secret key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

    #[test]
    fn hex_with_or_without_prefix_and_whitespace() {
        let plain = parse_hex(SECRET).unwrap();
        for text in [format!("0x{SECRET}"), format!("0X{SECRET}"), format!("  {SECRET}\n"), SECRET.to_uppercase()] {
            assert_eq!(parse_hex(&text).unwrap(), plain);
        }
        assert_eq!(hex::encode(*secret_bytes(&plain)), SECRET);
    }

    #[test]
    fn bad_hex_secrets_are_rejected_without_echo() {
        let cases = [
            (&SECRET[..62], "64 hex digits"),
            ("", "64 hex digits"),
            (&*format!("{SECRET}00"), "64 hex digits"),
            (&*format!("{}zz", &SECRET[..62]), "not a hex digit"),
            (&*"0".repeat(64), "not a valid secret key"),
            (&*"f".repeat(64), "not a valid secret key"),
            // The curve order n itself.
            ("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", "not a valid secret key"),
        ];
        for (input, want) in cases {
            let err = parse_hex(input).unwrap_err();
            assert!(matches!(err, KeystoreError::BadSecret(_)), "{err:?}");
            let (shown, debug) = (err.to_string(), format!("{err:?}"));
            assert!(shown.contains(want), "{shown}");
            if input.len() >= 8 {
                assert!(!shown.contains(&input[..8]) && !debug.contains(&input[..8]), "{shown}");
            }
        }
    }

    #[test]
    fn debug_hides_the_hex_secret() {
        let shown = format!("{:?}", SecretInput::hex(SECRET));
        assert!(!shown.contains(SECRET) && !shown.contains(&SECRET[..8]), "{shown}");
    }
}
