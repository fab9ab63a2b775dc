//! The checks a relayed signature passes before the keeper pays a fee for
//! it: the EIP-712 digest for this chain and contract (the domain), the
//! signer it recovers to, the deadline, and the nonce.

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use lode_primitives::eip712::{self, BallotMessage, Domain, Vote, VoteMessage};

use super::request::Relayable;
use crate::chain::AccountId;
use crate::keys::account_from_compressed;

/// The two domains signatures are checked against: replay protection
/// across chains (`chain_id`) and contracts (the contract's own account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domains {
    /// The chain id both contracts were built with.
    pub chain_id: u64,
    /// The splitter's account.
    pub splitter: AccountId,
    /// The governor's account.
    pub governor: AccountId,
}

fn keccak(input: &[u8]) -> [u8; 32] {
    alloy_primitives::keccak256(input).0
}

impl Domains {
    /// The EIP-712 digest the signer must have signed.
    pub fn digest(&self, r: &Relayable) -> [u8; 32] {
        match r {
            Relayable::Vote { op_id, approve, vote } => {
                let domain = Domain { name: eip712::SPLITTER_NAME, chain_id: self.chain_id, contract: &self.splitter.0 };
                let kind = if *approve { Vote::Approval } else { Vote::Cancellation };
                let message = VoteMessage { vote: kind, op_id: *op_id, nonce: vote.nonce, deadline: vote.deadline };
                eip712::signing_hash(keccak, &domain, &message)
            }
            Relayable::Ballot(b) => {
                let domain = Domain { name: eip712::GOVERNOR_NAME, chain_id: self.chain_id, contract: &self.governor.0 };
                let message =
                    BallotMessage { proposal_id: b.proposal_id, support: b.support.number(), nonce: b.nonce, deadline: b.deadline };
                eip712::signing_hash(keccak, &domain, &message)
            }
        }
    }
}

/// The signature of `r`.
pub fn signature(r: &Relayable) -> &[u8; 65] {
    match r {
        Relayable::Vote { vote, .. } => &vote.signature,
        Relayable::Ballot(b) => &b.signature,
    }
}

/// The account that signed `digest`, as the contracts derive it: BLAKE2b-256
/// of the compressed public key. `v` may be 0/1 or 27/28.
pub fn recover(signature: &[u8; 65], digest: &[u8; 32]) -> Option<AccountId> {
    let v = match signature[64] {
        v @ (0 | 1) => v,
        v @ (27 | 28) => v - 27,
        _ => return None,
    };
    let sig = Signature::from_slice(&signature[..64]).ok()?;
    let key = VerifyingKey::recover_from_prehash(digest, &sig, RecoveryId::from_byte(v)?).ok()?;
    Some(account_from_compressed(key.to_encoded_point(true).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Signer;

    #[test]
    fn a_signature_recovers_to_its_signer_and_nothing_else() {
        let alice = Signer::dev("alice");
        let digest = [7u8; 32];
        let sig = alice.sign_prehash(&digest).unwrap();
        assert_eq!(recover(&sig, &digest), Some(alice.account_id()));
        let mut v27 = sig;
        v27[64] += 27;
        assert_eq!(recover(&v27, &digest), Some(alice.account_id()), "Ethereum-style v");
        assert_ne!(recover(&sig, &[8u8; 32]), Some(alice.account_id()), "another digest, another signer");
        let mut bad_v = sig;
        bad_v[64] = 5;
        assert_eq!(recover(&bad_v, &digest), None);
    }
}
