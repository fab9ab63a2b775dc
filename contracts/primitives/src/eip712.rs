//! EIP-712 typed data for Lode's off-chain signatures, so any EIP-712 wallet
//! (`eth_signTypedData_v4`) can sign a splitter vote or a governor ballot.
//!
//! ```text
//! EIP712Domain(string name,string version,uint256 chainId,bytes32 salt)
//!   name = "Lode Splitter" or "Lode Governor", version = "1",
//!   chainId = the chain id given to the contract's constructor,
//!   salt = the contract's own 32-byte AccountId
//! Approval(bytes32 opId,uint256 nonce,uint256 deadline)       splitter
//! Cancellation(bytes32 opId,uint256 nonce,uint256 deadline)   splitter
//! Ballot(uint256 proposalId,uint8 support,uint256 nonce,uint256 deadline)   governor
//! ```
//!
//! `nonce` is the signer's current nonce on that contract (each accepted
//! signature uses one up); `deadline` is a block timestamp in milliseconds since
//! the Unix epoch, the last moment the signature is valid.
//!
//! The composition lives here once; the caller supplies keccak-256 (a contract
//! its host function, off-chain code a library), so both sides compute the same
//! digest by construction.

/// `name` of the splitter's domain.
pub const SPLITTER_NAME: &str = "Lode Splitter";
/// `name` of the governor's domain.
pub const GOVERNOR_NAME: &str = "Lode Governor";
/// `version` of every Lode domain.
pub const VERSION: &str = "1";
/// The domain's type string.
pub const DOMAIN_TYPE: &str = "EIP712Domain(string name,string version,uint256 chainId,bytes32 salt)";
/// The approval vote's type string.
pub const APPROVAL_TYPE: &str = "Approval(bytes32 opId,uint256 nonce,uint256 deadline)";
/// The cancellation vote's type string.
pub const CANCELLATION_TYPE: &str = "Cancellation(bytes32 opId,uint256 nonce,uint256 deadline)";
/// The governor ballot's type string.
pub const BALLOT_TYPE: &str = "Ballot(uint256 proposalId,uint8 support,uint256 nonce,uint256 deadline)";

/// Which contract a signature is for: the replay protection across chains and contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domain<'a> {
    /// [`SPLITTER_NAME`] or [`GOVERNOR_NAME`].
    pub name: &'a str,
    /// The chain id the contract was constructed with.
    pub chain_id: u64,
    /// The contract's own account (the domain's `salt`).
    pub contract: &'a [u8; 32],
}

/// A message with an EIP-712 `hashStruct`.
pub trait TypedMessage {
    /// `hashStruct(self)`.
    fn struct_hash(&self, keccak: &impl Fn(&[u8]) -> [u8; 32]) -> [u8; 32];
}

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

/// A splitter owner's vote.
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

impl TypedMessage for VoteMessage {
    fn struct_hash(&self, keccak: &impl Fn(&[u8]) -> [u8; 32]) -> [u8; 32] {
        hash_words(keccak, self.vote.type_string(), &[self.op_id, uint256(self.nonce), uint256(self.deadline)])
    }
}

/// A governor ballot: `support` is 0 Against, 1 For, 2 Abstain (Compound's and
/// OpenZeppelin's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BallotMessage {
    /// The proposal voted on.
    pub proposal_id: u64,
    /// 0 Against, 1 For, 2 Abstain.
    pub support: u8,
    /// The voter's ballot nonce on this governor.
    pub nonce: u64,
    /// Last valid block timestamp, ms since the Unix epoch.
    pub deadline: u64,
}

impl TypedMessage for BallotMessage {
    fn struct_hash(&self, keccak: &impl Fn(&[u8]) -> [u8; 32]) -> [u8; 32] {
        let words = [uint256(self.proposal_id), uint256(u64::from(self.support)), uint256(self.nonce), uint256(self.deadline)];
        hash_words(keccak, BALLOT_TYPE, &words)
    }
}

/// The EIP-712 domain separator of `domain`.
pub fn domain_separator(keccak: &impl Fn(&[u8]) -> [u8; 32], domain: &Domain) -> [u8; 32] {
    let words = [keccak(domain.name.as_bytes()), keccak(VERSION.as_bytes()), uint256(domain.chain_id), *domain.contract];
    hash_words(keccak, DOMAIN_TYPE, &words)
}

/// The digest a signer signs: `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))`.
pub fn signing_hash(keccak: impl Fn(&[u8]) -> [u8; 32], domain: &Domain, message: &impl TypedMessage) -> [u8; 32] {
    let mut encoded = [0u8; 66];
    encoded[0] = 0x19;
    encoded[1] = 0x01;
    encoded[2..34].copy_from_slice(&domain_separator(&keccak, domain));
    encoded[34..].copy_from_slice(&message.struct_hash(&keccak));
    keccak(&encoded)
}

/// `keccak256(keccak256(type) ‖ words…)` for a struct of at most four words.
fn hash_words(keccak: &impl Fn(&[u8]) -> [u8; 32], type_string: &str, words: &[[u8; 32]]) -> [u8; 32] {
    let mut encoded = [0u8; 160];
    encoded[..32].copy_from_slice(&keccak(type_string.as_bytes()));
    for (slot, word) in encoded[32..].chunks_exact_mut(32).zip(words) {
        slot.copy_from_slice(word);
    }
    let len = words.len().saturating_add(1).saturating_mul(32).min(encoded.len());
    keccak(&encoded[..len])
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

    fn domain<'a>(name: &'a str, chain_id: u64, contract: &'a [u8; 32]) -> Domain<'a> {
        Domain { name, chain_id, contract }
    }

    #[test]
    fn words_are_big_endian_and_left_padded() {
        let w = uint256(0x0102);
        assert_eq!(&w[..30], &[0u8; 30]);
        assert_eq!(&w[30..], &[1, 2]);
    }

    #[test]
    fn every_field_of_a_vote_changes_the_digest() {
        let m = VoteMessage { vote: Vote::Approval, op_id: [1; 32], nonce: 0, deadline: 9 };
        let d = domain(SPLITTER_NAME, 42, &[7; 32]);
        let base = signing_hash(keccak, &d, &m);
        let variants = [
            signing_hash(keccak, &domain(SPLITTER_NAME, 43, &[7; 32]), &m),
            signing_hash(keccak, &domain(SPLITTER_NAME, 42, &[8; 32]), &m),
            signing_hash(keccak, &domain(GOVERNOR_NAME, 42, &[7; 32]), &m),
            signing_hash(keccak, &d, &VoteMessage { vote: Vote::Cancellation, ..m }),
            signing_hash(keccak, &d, &VoteMessage { op_id: [2; 32], ..m }),
            signing_hash(keccak, &d, &VoteMessage { nonce: 1, ..m }),
            signing_hash(keccak, &d, &VoteMessage { deadline: 10, ..m }),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }

    #[test]
    fn every_field_of_a_ballot_changes_the_digest() {
        let b = BallotMessage { proposal_id: 3, support: 1, nonce: 0, deadline: 9 };
        let d = domain(GOVERNOR_NAME, 42, &[7; 32]);
        let base = signing_hash(keccak, &d, &b);
        let variants = [
            signing_hash(keccak, &domain(SPLITTER_NAME, 42, &[7; 32]), &b),
            signing_hash(keccak, &d, &BallotMessage { proposal_id: 4, ..b }),
            signing_hash(keccak, &d, &BallotMessage { support: 0, ..b }),
            signing_hash(keccak, &d, &BallotMessage { nonce: 1, ..b }),
            signing_hash(keccak, &d, &BallotMessage { deadline: 10, ..b }),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }
}
