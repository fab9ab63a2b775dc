//! EIP-712 typed data for the splitter's off-chain votes, so any EIP-712 wallet
//! (`eth_signTypedData_v4`) can approve or cancel an operation.
//!
//! ```text
//! EIP712Domain(string name,string version,uint256 chainId,bytes32 salt)
//!   name = "Lode Splitter", version = "1", chainId = the chain id given to the
//!   splitter's constructor, salt = the splitter's own 32-byte AccountId
//! Approval(bytes32 opId,uint256 nonce,uint256 deadline)
//! Cancellation(bytes32 opId,uint256 nonce,uint256 deadline)
//! ```
//!
//! `nonce` is the signer's current vote nonce on that splitter (each accepted
//! signature uses one up); `deadline` is a block timestamp in milliseconds since
//! the Unix epoch, the last moment the signature is valid.
//!
//! The composition lives here once; the caller supplies keccak-256 (the contract
//! its host function, off-chain code a library), so both sides compute the same
//! digest by construction.

/// `name` of the domain.
pub const NAME: &str = "Lode Splitter";
/// `version` of the domain.
pub const VERSION: &str = "1";
/// The domain's type string.
pub const DOMAIN_TYPE: &str = "EIP712Domain(string name,string version,uint256 chainId,bytes32 salt)";
/// The approval vote's type string.
pub const APPROVAL_TYPE: &str = "Approval(bytes32 opId,uint256 nonce,uint256 deadline)";
/// The cancellation vote's type string.
pub const CANCELLATION_TYPE: &str = "Cancellation(bytes32 opId,uint256 nonce,uint256 deadline)";

/// What an owner's signature votes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    /// Approve the operation.
    Approval,
    /// Cancel the operation.
    Cancellation,
}

impl Vote {
    /// The primary type string signed for this vote.
    pub fn type_string(self) -> &'static str {
        match self {
            Vote::Approval => APPROVAL_TYPE,
            Vote::Cancellation => CANCELLATION_TYPE,
        }
    }
}

/// The signed message's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteMessage {
    /// Approval or cancellation.
    pub vote: Vote,
    /// The operation voted on.
    pub op_id: [u8; 32],
    /// The signer's vote nonce on this splitter.
    pub nonce: u64,
    /// Last valid block timestamp, ms since the Unix epoch.
    pub deadline: u64,
}

/// The EIP-712 domain separator of the splitter at `splitter` on chain `chain_id`.
pub fn domain_separator(keccak: impl Fn(&[u8]) -> [u8; 32], chain_id: u64, splitter: &[u8; 32]) -> [u8; 32] {
    let mut encoded = [0u8; 160];
    encoded[..32].copy_from_slice(&keccak(DOMAIN_TYPE.as_bytes()));
    encoded[32..64].copy_from_slice(&keccak(NAME.as_bytes()));
    encoded[64..96].copy_from_slice(&keccak(VERSION.as_bytes()));
    encoded[96..128].copy_from_slice(&uint256(chain_id));
    encoded[128..].copy_from_slice(splitter);
    keccak(&encoded)
}

/// `hashStruct(message)`.
pub fn struct_hash(keccak: impl Fn(&[u8]) -> [u8; 32], message: &VoteMessage) -> [u8; 32] {
    let mut encoded = [0u8; 128];
    encoded[..32].copy_from_slice(&keccak(message.vote.type_string().as_bytes()));
    encoded[32..64].copy_from_slice(&message.op_id);
    encoded[64..96].copy_from_slice(&uint256(message.nonce));
    encoded[96..].copy_from_slice(&uint256(message.deadline));
    keccak(&encoded)
}

/// The digest an owner signs: `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))`.
pub fn signing_hash(keccak: impl Fn(&[u8]) -> [u8; 32], chain_id: u64, splitter: &[u8; 32], message: &VoteMessage) -> [u8; 32] {
    let mut encoded = [0u8; 66];
    encoded[0] = 0x19;
    encoded[1] = 0x01;
    encoded[2..34].copy_from_slice(&domain_separator(&keccak, chain_id, splitter));
    encoded[34..].copy_from_slice(&struct_hash(&keccak, message));
    keccak(&encoded)
}

/// A `uint256` ABI word holding `value`.
fn uint256(value: u64) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&value.to_be_bytes());
    word
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha3::{Digest, Keccak256};

    fn keccak(input: &[u8]) -> [u8; 32] {
        Keccak256::digest(input).into()
    }

    #[test]
    fn words_are_big_endian_and_left_padded() {
        let w = uint256(0x0102);
        assert_eq!(&w[..30], &[0u8; 30]);
        assert_eq!(&w[30..], &[1, 2]);
    }

    #[test]
    fn every_field_changes_the_digest() {
        let m = VoteMessage { vote: Vote::Approval, op_id: [1; 32], nonce: 0, deadline: 9 };
        let base = signing_hash(keccak, 42, &[7; 32], &m);
        let variants = [
            signing_hash(keccak, 43, &[7; 32], &m),
            signing_hash(keccak, 42, &[8; 32], &m),
            signing_hash(keccak, 42, &[7; 32], &VoteMessage { vote: Vote::Cancellation, ..m }),
            signing_hash(keccak, 42, &[7; 32], &VoteMessage { op_id: [2; 32], ..m }),
            signing_hash(keccak, 42, &[7; 32], &VoteMessage { nonce: 1, ..m }),
            signing_hash(keccak, 42, &[7; 32], &VoteMessage { deadline: 10, ..m }),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }
}
