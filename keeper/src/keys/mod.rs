//! Keys and accounts.
//!
//! The keeper signs with secp256k1. Its chain account is derived as Substrate
//! derives ECDSA accounts: `blake2_256(compressed public key)`. The same key later
//! signs EIP-712 messages that contracts check with `ecdsa_recover`.

mod address;
mod keystore;
mod keystore_error;
mod keystore_json;
mod keystore_stage;
mod password;
mod secret;

use std::fmt;

use blake2::{digest::consts::U32, Blake2b, Digest};
use k256::ecdsa::SigningKey;
use lode_primitives::AccountId;

pub use address::{parse_account, ss58, BadAddress};
pub use keystore::{KeyEntry, KeyFile, Keystore};
pub use keystore_error::KeystoreError;
pub use password::{Password, PasswordSource, PASSWORD_ENV};
pub use secret::{secret_bytes, SecretInput};

/// A secp256k1 signing key and the account it controls. `Debug` never shows the
/// secret.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    account: AccountId,
    label: String,
}

impl Signer {
    /// A signer from a 32-byte secret; fails if the bytes are not a valid
    /// secp256k1 scalar (zero, or not below the curve order).
    pub fn from_secret(label: impl Into<String>, secret: &[u8; 32]) -> Result<Self, KeyError> {
        let key = SigningKey::from_bytes(secret.into()).map_err(|_| KeyError::InvalidSecret)?;
        let account = account_of(&key);
        Ok(Self { key, account, label: label.into() })
    }

    /// A well-known development signer: secret = `blake2_256("lode/dev/<name>")`.
    /// Public knowledge; never hold real value with it.
    pub fn dev(name: &str) -> Self {
        let secret: [u8; 32] = Blake2b::<U32>::digest(format!("lode/dev/{name}")).into();
        // A blake2 output is a valid scalar except with probability ~2^-128.
        Self::from_secret(name, &secret).expect("dev secret is a valid scalar")
    }

    /// The chain account this key controls.
    pub fn account_id(&self) -> AccountId {
        self.account
    }

    /// Human label (`alice`, or a keystore file name).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Signs a 32-byte prehash (an EIP-712 digest, or the hash of an extrinsic
    /// payload) and returns the 65-byte recoverable signature `r ‖ s ‖ v`, with
    /// `v` in {0, 1}: the layout of Substrate's `ecdsa::Signature` and of ink!'s
    /// `ecdsa_recover` input.
    pub fn sign_prehash(&self, prehash: &[u8; 32]) -> Result<[u8; 65], KeyError> {
        let (sig, recid) = self.key.sign_prehash_recoverable(prehash).map_err(|_| KeyError::Signing)?;
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&sig.to_bytes());
        out[64] = recid.to_byte();
        Ok(out)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("label", &self.label).field("account", &self.account).finish_non_exhaustive()
    }
}

/// `blake2_256` of the 33-byte compressed public key: Substrate's ECDSA account id.
pub fn account_of(key: &SigningKey) -> AccountId {
    let compressed = key.verifying_key().to_encoded_point(true);
    account_from_compressed(compressed.as_bytes())
}

/// `blake2_256(compressed_pubkey)`: the account id of an ECDSA public key.
pub fn account_from_compressed(compressed_pubkey: &[u8]) -> AccountId {
    AccountId(Blake2b::<U32>::digest(compressed_pubkey).into())
}

/// Names of the development accounts `lode dev` funds.
pub const DEV_ACCOUNTS: &[&str] = &["alice", "bob", "charlie", "dave", "eve", "ferdie"];

/// Problems with key material.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The secret is zero or not below the secp256k1 group order.
    #[error("secret key is not a valid secp256k1 scalar (zero, or not below the curve order); generate a new key")]
    InvalidSecret,
    /// The signing backend refused the message (never expected for a 32-byte prehash).
    #[error("signing failed; the key or prehash is malformed")]
    Signing,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_accounts_are_distinct_and_stable() {
        let a = Signer::dev("alice");
        assert_eq!(a.account_id(), Signer::dev("alice").account_id());
        assert_ne!(a.account_id(), Signer::dev("bob").account_id());
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let secret = [7u8; 32];
        let s = Signer::from_secret("k", &secret).unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains(&hex::encode(secret)), "{shown}");
        assert!(!shown.contains("070707"), "{shown}");
    }

    #[test]
    fn invalid_secrets_are_rejected() {
        assert_eq!(Signer::from_secret("zero", &[0u8; 32]).unwrap_err(), KeyError::InvalidSecret);
        assert_eq!(Signer::from_secret("max", &[0xff; 32]).unwrap_err(), KeyError::InvalidSecret);
    }

    #[test]
    fn signature_recovers_to_the_signers_account() {
        use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
        let s = Signer::dev("alice");
        let prehash = [42u8; 32];
        let sig = s.sign_prehash(&prehash).unwrap();
        let recid = RecoveryId::from_byte(sig[64]).unwrap();
        let key = VerifyingKey::recover_from_prehash(&prehash, &Signature::from_slice(&sig[..64]).unwrap(), recid).unwrap();
        let compressed = key.to_encoded_point(true);
        assert_eq!(account_from_compressed(compressed.as_bytes()), s.account_id());
        let other = VerifyingKey::recover_from_prehash(&[43u8; 32], &Signature::from_slice(&sig[..64]).unwrap(), recid);
        assert!(other.map(|k| account_from_compressed(k.to_encoded_point(true).as_bytes()) != s.account_id()).unwrap_or(true));
    }

    #[test]
    fn account_derivation_matches_substrate_for_ecdsa_alice() {
        // `subkey inspect --scheme ecdsa //Alice`: public key and account id.
        let alice_pub = hex::decode("020a1091341fe5664bfa1782d5e04779689068c916b04cb365ec3153755684d9a1").unwrap();
        let want = "0x01e552298e47454041ea31273b4b630c64c104e4514aa3643490b8aaca9cf8ed";
        assert_eq!(account_from_compressed(&alice_pub).to_string(), want);
    }
}
