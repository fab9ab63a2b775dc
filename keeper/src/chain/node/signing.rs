//! Signs extrinsics with the keeper's secp256k1 key as `MultiSignature::Ecdsa`.
//!
//! The node's `MultiSignature::verify` checks an ECDSA signature over
//! `blake2_256` of the signer payload (itself hashed first when longer than
//! 256 bytes; subxt passes the already shortened payload), and the signer's
//! account is `blake2_256` of the compressed public key: the account
//! [`Signer::account_id`] gives.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use subxt::utils::{AccountId32, MultiSignature};
use subxt::PolkadotConfig;

use crate::keys::Signer;

/// A [`Signer`] as subxt's transaction signer.
pub struct EcdsaSigner<'a>(pub &'a Signer);

impl subxt::tx::Signer<PolkadotConfig> for EcdsaSigner<'_> {
    fn account_id(&self) -> AccountId32 {
        AccountId32(self.0.account_id().0)
    }

    fn sign(&self, signer_payload: &[u8]) -> MultiSignature {
        let prehash: [u8; 32] = Blake2b::<U32>::digest(signer_payload).into();
        // k256 signs any 32-byte prehash; failure would mean a broken key,
        // which `Signer` cannot hold.
        let sig = self.0.sign_prehash(&prehash).unwrap_or([0; 65]);
        MultiSignature::Ecdsa(sig)
    }
}
