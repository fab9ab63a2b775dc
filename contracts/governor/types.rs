//! The governor's public types. Kept apart so one lint allowance covers only
//! derive output: for enum variants that carry data, parity-scale-codec's derive
//! emits `index as u8`, which `contract-build`'s mandatory
//! `-D clippy::cast_possible_truncation` reports as our code. Every index here
//! is below 32.
#![allow(clippy::cast_possible_truncation)]

use ink::prelude::vec::Vec;
use ink::primitives::{AccountId, Hash};

/// One thing a proposal does when executed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum Action {
    /// `upgrade(code_hash)` on `target` (the governor itself included); recorded
    /// in the target's upgrade history.
    Upgrade { target: AccountId, code_hash: Hash },
    /// Message `selector` of `target` with SCALE-encoded `input`, sending
    /// `value`: parameter setters, treasury moves. The message must return a
    /// `Result`; an `Err` fails the execution.
    Call { target: AccountId, selector: [u8; 4], input: Vec<u8>, value: u128 },
}

/// A vote's direction, numbered as in Compound and OpenZeppelin (the EIP-712
/// ballot's `support`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum Support {
    Against = 0,
    For = 1,
    Abstain = 2,
}

impl Support {
    /// The ballot's `support` number for `self`.
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// OpenZeppelin's proposal states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum ProposalState {
    /// Created; voting has not started.
    Pending,
    /// Voting is open.
    Active,
    /// Cancelled by its proposer while pending, or vetoed by the guardian.
    Canceled,
    /// Voting ended without a For majority or without quorum.
    Defeated,
    /// Voting ended with a For majority and quorum; may be queued.
    Succeeded,
    /// In the timelock, or executable in `[eta, expires_at]`.
    Queued,
    /// Queued but not executed by `expires_at`.
    Expired,
    /// Executed.
    Executed,
}

/// How a proposal ended before its natural course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum Closed {
    /// Cancelled by its proposer while pending.
    Canceled,
    /// Vetoed by the guardian.
    Vetoed,
    /// Executed.
    Executed,
}

/// Timing and thresholds. Blocks, except where it says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct GovernorParams {
    /// Blocks between creation and the start of voting.
    pub voting_delay: u32,
    /// Blocks voting stays open; at least 1.
    pub voting_period: u32,
    /// Voting power (at the block before) needed to propose.
    pub proposal_threshold: u128,
    /// Share of the total power at the snapshot that must vote For or Abstain,
    /// in basis points; at most 10 000.
    pub quorum_bps: u16,
    /// Blocks between `queue` and the earliest `execute`.
    pub timelock_delay: u32,
    /// Blocks after that in which `execute` is allowed; at least 1.
    pub grace_period: u32,
}

/// Why a vote is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum VoteError {
    /// No proposal with that id.
    UnknownProposal,
    /// Voting is not open for it (see its state).
    NotActive,
    /// This voter already voted on it.
    AlreadyVoted,
    /// The voter had no voting power at the snapshot.
    NoVotingPower,
}

/// Why a signed ballot in a relayed batch is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum BallotError {
    /// Its deadline has passed.
    Expired,
    /// No key can be recovered from the signature.
    InvalidSignature,
    /// The nonce is not the signer's current ballot nonce (a replay, or out of order).
    BadNonce,
    /// The vote itself is refused.
    Vote(VoteError),
}

/// Errors of the governor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum Error {
    /// Only the governor itself (an executed proposal) may do this.
    NotGovernance,
    /// Only the guardian may veto.
    NotGuardian,
    /// Only the proposer may cancel.
    NotProposer,
    /// The proposer's voting power at the previous block is below `proposal_threshold`.
    BelowProposalThreshold,
    /// No actions, more than `MAX_ACTIONS`, or an input longer than `MAX_INPUT_LEN`.
    InvalidActions,
    /// The description is longer than `MAX_DESCRIPTION_LEN` bytes.
    DescriptionTooLong,
    /// Parameters out of range (see `GovernorParams`).
    InvalidParams,
    /// No proposal with that id.
    UnknownProposal,
    /// The proposal is not in a state that allows this (the state is given).
    WrongState(ProposalState),
    /// `execute` before the timelock's `eta`.
    TooEarly,
    /// A direct vote was refused.
    Vote(VoteError),
    /// Ballot `index` of a relayed batch was refused; nothing in the batch counted.
    Ballot { index: u32, reason: BallotError },
    /// More ballots than `MAX_BALLOTS` in one batch.
    TooManyBallots,
    /// Action `index` failed; nothing was executed and the proposal stays queued.
    ActionFailed { index: u32 },
    /// Staking could not be read.
    StakingUnreachable,
    /// `set_code_hash` failed: no code with that hash has been uploaded.
    UnknownCodeHash,
    /// The zero account is not allowed here.
    ZeroAccount,
    /// Staking's unbonding period would not outlast the governor's latency
    /// (voting delay + voting period + timelock): a keeper could unbond and
    /// withdraw before a slash proposal executes. Refused in the constructor,
    /// in `set_params`, and for any proposal that would leave it so.
    SlashingEscapable { unbonding_period: u32, latency: u32 },
    /// A proposal that only changes or removes the guardian cannot be vetoed:
    /// a guardian must not keep itself in place.
    GuardianChangeNotVetoable,
    /// A sum would overflow.
    Overflow,
}

impl From<lode_calls::AdminError> for Error {
    fn from(e: lode_calls::AdminError) -> Self {
        match e {
            lode_calls::AdminError::NotAdmin => Error::NotGovernance,
            lode_calls::AdminError::ZeroAccount => Error::ZeroAccount,
            lode_calls::AdminError::UnknownCodeHash => Error::UnknownCodeHash,
        }
    }
}

/// A proposal as stored: versioned, so a later code version can add fields in
/// a new variant and still read every proposal made before.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum StoredProposal {
    /// Code version 1's layout.
    V1(Proposal),
}

impl StoredProposal {
    /// The proposal in this code's layout.
    pub fn into_current(self) -> Proposal {
        match self {
            StoredProposal::V1(p) => p,
        }
    }
}

/// A proposal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Proposal {
    /// Who proposed it.
    pub proposer: AccountId,
    /// What it does, in order, all or nothing.
    pub actions: Vec<Action>,
    /// blake2-256 of the description (the full text is in `ProposalCreated`).
    pub description_hash: [u8; 32],
    /// Voting power is read at the end of this block: the one before creation.
    pub snapshot: u32,
    /// First block of voting.
    pub vote_start: u32,
    /// First block after voting.
    pub vote_end: u32,
    /// For + Abstain needed, from the total power at the snapshot.
    pub quorum: u128,
    /// Power voting For.
    pub for_votes: u128,
    /// Power voting Against.
    pub against_votes: u128,
    /// Power abstaining (counts toward quorum).
    pub abstain_votes: u128,
    /// Set by `queue`: executable in `[eta, expires_at]`.
    pub eta: Option<(u32, u32)>,
    /// Set when it ended early or was executed.
    pub closed: Option<Closed>,
}

/// A ballot signed off-chain with EIP-712 and relayed by anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub struct SignedBallot {
    /// The proposal voted on.
    pub proposal_id: u64,
    /// Against, For or Abstain.
    pub support: Support,
    /// The voter's ballot nonce.
    pub nonce: u64,
    /// Last valid block timestamp, ms since the Unix epoch.
    pub deadline: u64,
    /// 65-byte secp256k1 signature `r ‖ s ‖ v` of the EIP-712 digest.
    pub signature: [u8; 65],
}

/// One entry of a contract's upgrade history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct UpgradeRecord {
    /// The code before.
    pub old: Hash,
    /// The code after.
    pub new: Hash,
    /// The proposal that did it.
    pub proposal_id: u64,
    /// The block it happened in.
    pub block: u32,
}

/// How one voter voted on one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Receipt {
    /// Against, For or Abstain.
    pub support: Support,
    /// Voting power counted, from the proposal's snapshot.
    pub weight: u128,
}
