//! EIP-712 typed data signed the way an external wallet signs it, with alloy:
//! owners' votes on the splitter and ballots for the governor. The contracts
//! compute the same digests with `lode_primitives::eip712`; the tests check
//! the two agree.

use alloy_primitives::{B256, U256};
use alloy_signer::SignerSync;
use alloy_sol_types::{eip712_domain, sol, Eip712Domain, SolStruct};
use lode_governor::{SignedBallot, Support};
use lode_keeper::chain::AccountId;
use lode_splitter::SignedVote;

use crate::alloy_key;

sol! {
    /// An owner's approval of a splitter operation.
    struct Approval { bytes32 opId; uint256 nonce; uint256 deadline; }
    /// An owner's vote to cancel a splitter operation.
    struct Cancellation { bytes32 opId; uint256 nonce; uint256 deadline; }
    /// A governor ballot.
    struct Ballot { uint256 proposalId; uint8 support; uint256 nonce; uint256 deadline; }
}

/// The splitter's domain: its chain id, and its own account as the salt.
pub fn splitter_domain(chain_id: u64, splitter: AccountId) -> Eip712Domain {
    eip712_domain! { name: "Lode Splitter", version: "1", chain_id: chain_id, salt: B256::from(splitter.0) }
}

/// The governor's domain, built the same way.
pub fn governor_domain(chain_id: u64, governor: AccountId) -> Eip712Domain {
    eip712_domain! { name: "Lode Governor", version: "1", chain_id: chain_id, salt: B256::from(governor.0) }
}

/// `name`'s approval of `op_id`.
pub fn sign_approval(name: &str, domain: &Eip712Domain, op_id: [u8; 32], nonce: u64, deadline: u64) -> SignedVote {
    let message = Approval { opId: B256::from(op_id), nonce: U256::from(nonce), deadline: U256::from(deadline) };
    sign_vote(name, message.eip712_signing_hash(domain), nonce, deadline)
}

/// `name`'s vote to cancel `op_id`.
pub fn sign_cancellation(name: &str, domain: &Eip712Domain, op_id: [u8; 32], nonce: u64, deadline: u64) -> SignedVote {
    let message = Cancellation { opId: B256::from(op_id), nonce: U256::from(nonce), deadline: U256::from(deadline) };
    sign_vote(name, message.eip712_signing_hash(domain), nonce, deadline)
}

fn sign_vote(name: &str, hash: B256, nonce: u64, deadline: u64) -> SignedVote {
    let signature = alloy_key(name).sign_hash_sync(&hash).expect("a dev key signs");
    SignedVote { nonce, deadline, signature: signature.as_bytes() }
}

/// `name`'s ballot on proposal `id`.
pub fn ballot(name: &str, domain: &Eip712Domain, id: u64, support: Support, nonce: u64, deadline: u64) -> SignedBallot {
    let message = Ballot { proposalId: U256::from(id), support: support as u8, nonce: U256::from(nonce), deadline: U256::from(deadline) };
    let signature = alloy_key(name).sign_hash_sync(&message.eip712_signing_hash(domain)).expect("a dev key signs");
    SignedBallot { proposal_id: id, support, nonce, deadline, signature: signature.as_bytes() }
}
