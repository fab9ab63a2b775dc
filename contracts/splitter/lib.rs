//! # Splitter
//!
//! ## Overview
//! Receives mining rewards in native currency and in LODE and splits them among
//! payees by shares. `distribute(asset)` (anyone; a bonded keeper earns a fee)
//! credits newly received funds to per-payee balances, carrying the integer
//! remainder forward. Bonded keepers pay payees out in batches with
//! `settle(batch_id, asset, payees)`: a batch id is used once, and a payee whose
//! transfer fails stays owed without blocking the rest. Payees can always
//! `withdraw(asset)` themselves.
//!
//! LODE is paid with one `transfer_batch` call into the token per `settle`,
//! so the token's code is loaded once per batch, not once per payee. Batch
//! ids belong to the keeper that settles them: another keeper cannot take
//! one first.
//!
//! ## Owners, operations, timelock
//! Changing who gets paid, and who decides, goes through one path: `propose(op)`,
//! approvals by owners (on-chain `approve`, or EIP-712 signatures relayed with
//! `approve_by_signatures`) up to the threshold, a queue of `min_delay`, then
//! `execute` within `grace_period`. Operations are independent: none waits on
//! another. `cancel` needs the threshold again (or the guardian, or the
//! governor). Any owner, the guardian or the governor can `pause()`; unpausing
//! needs an `Unpause` operation or the governor. An `Unpause` is bound to the
//! pause it answers: it can only be proposed while paused, records that
//! pause's id, and executes only while that same pause holds. A later pause
//! is never lifted by an `Unpause` approved for an earlier one.
//!
//! Each operation's execution window `[ready_at, expires_at]` is fixed when it
//! is queued; a later `SetTimelock` changes only operations queued after it.
//!
//! ## Relayed signatures
//! `approve_by_signatures` and `cancel_by_signatures` cannot be griefed: a
//! signature from an owner already counted (say, copied out of the batch and
//! relayed first) or one that arrives after the threshold was reached is
//! skipped and reported with a `VoteSkipped` event (its index and reason),
//! uses no nonce, and the rest still count. A signature that is expired,
//! forged, from a non-owner or with a wrong nonce refuses the whole call.
//!
//! ## Invariant
//! For each asset: held = Σ owed to payees + Σ keeper fees owed + remainder
//! (+ what arrived since the last `distribute`).
//!
//! ## Roles and upgrades
//! `admin` holds the governor's role: it may cancel, pause, unpause, `upgrade`
//! (`set_code_hash`) and hand the role over.
//!
//! ## Storage
//! The root holds only what is fixed at deployment (token, staking, chain
//! id). Every mutable part has its own `Lazy` or `Mapping` cell under a
//! `ManualKey`; proposals are stored as a versioned [`StoredProposal`], so a
//! later version can add fields (`docs/contracts/upgrades.md`).
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod split;

pub use split::{Division, Split, MAX_KEEPER_FEE_BPS, MAX_PAYEES};
pub use types::{Asset, Error, OpState, Operation, Proposal, SignedVote, SkipReason, Status, StoredProposal};

/// Most owners.
pub const MAX_OWNERS: usize = 20;
/// Most payees one `settle` call pays. A full batch of the costliest kind
/// (LODE to payees holding none yet) must stay under 80% of the per-call
/// weight limit; the measured table is in `docs/contracts/splitter.md`.
pub const MAX_BATCH_LEN: u32 = 100;
/// Longest `min_delay` or `grace_period`: 30 days, in milliseconds. A longer
/// delay could lock the owners out of their own splitter.
pub const MAX_PERIOD_MS: u64 = 30 * 24 * 60 * 60 * 1000;

/// Kept apart so one lint allowance covers only derive output: for enum variants
/// that carry data, parity-scale-codec's derive emits `index as u8`, which
/// `contract-build`'s mandatory `-D clippy::cast_possible_truncation` reports as
/// our code. Every index here is below 32.
#[allow(clippy::cast_possible_truncation)]
mod types {
    use ink::prelude::vec::Vec;
    use ink::primitives::AccountId;

    /// What is being split.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
    pub enum Asset {
        /// The chain's native currency.
        Native,
        /// The LODE token.
        Lode,
    }

    /// A change the owners can make.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
    pub enum Operation {
        /// New payees and shares; what is owed under the old split is kept.
        SetSplit {
            /// Who is paid.
            payees: Vec<AccountId>,
            /// Shares, one per payee.
            shares: Vec<u32>,
            /// Keeper fee on `distribute`, basis points.
            keeper_fee_bps: u16,
        },
        /// New owners and threshold.
        SetOwners {
            /// 1 to 20 distinct owners.
            owners: Vec<AccountId>,
            /// Approvals needed, 1 to the number of owners.
            threshold: u8,
        },
        /// New timelock.
        SetTimelock {
            /// Queue time before execution, ms.
            min_delay: u64,
            /// Window for execution after that, ms; at least 1.
            grace_period: u64,
        },
        /// Lift a pause.
        Unpause,
        /// New guardian (the alerts contract), or none.
        SetGuardian {
            /// The guardian.
            guardian: Option<AccountId>,
        },
    }

    /// Where a proposal stands (stored).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
    pub enum Status {
        /// Collecting approvals.
        Pending,
        /// Approved; executable in `[ready_at, expires_at]` (block timestamps,
        /// ms), fixed when queued.
        Queued {
            /// First moment it may execute.
            ready_at: u64,
            /// Last moment it may execute.
            expires_at: u64,
        },
        /// Done.
        Executed,
        /// Cancelled.
        Cancelled,
    }

    /// Where a proposal stands now, with time taken into account (read-only).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum OpState {
        /// Collecting approvals.
        Pending,
        /// Approved, waiting out the delay.
        Queued,
        /// Executable now.
        Ready,
        /// The grace period passed without execution.
        Expired,
        /// Done.
        Executed,
        /// Cancelled.
        Cancelled,
    }

    /// A proposed operation and its votes.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
    pub struct Proposal {
        /// The change.
        pub op: Operation,
        /// Who proposed it.
        pub proposer: AccountId,
        /// Owners who approved. Only those still owners count.
        pub approvals: Vec<AccountId>,
        /// Owners who voted to cancel. Only those still owners count.
        pub cancellations: Vec<AccountId>,
        /// Stored status.
        pub status: Status,
        /// For an `Unpause`: the id of the pause it answers (see `pause_id`).
        pub answers_pause: Option<u32>,
    }

    /// A proposal as stored: versioned, so a later code version can add
    /// fields in a new variant and still read every proposal made before.
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

    /// Why a relayed signature was skipped rather than counted.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum SkipReason {
        /// Its signer's vote is already counted on this proposal.
        AlreadyCounted,
        /// The proposal stopped taking this vote (the threshold was reached,
        /// or it was executed or cancelled).
        Closed,
    }

    /// An owner's EIP-712 vote, relayed by anyone. The signer is recovered.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub struct SignedVote {
        /// The signer's vote nonce on this splitter when signing.
        pub nonce: u64,
        /// Last valid block timestamp, ms since the Unix epoch.
        pub deadline: u64,
        /// 65 bytes `r ‖ s ‖ v`; `v` is 0/1 or 27/28.
        pub signature: [u8; 65],
    }

    /// Errors of the splitter.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum Error {
        /// The caller is not an owner.
        NotOwner,
        /// The caller is not the admin (the governor's role).
        NotAdmin,
        /// Only an owner, the guardian or the governor may pause.
        NotPauser,
        /// Only bonded keepers (staking's `is_keeper`) may settle.
        NotKeeper,
        /// The splitter is paused.
        Paused,
        /// It is not paused.
        NotPaused,
        /// This `Unpause` answers a pause that has already been lifted; a later
        /// pause needs an `Unpause` of its own.
        StaleUnpause,
        /// No proposal with that id.
        UnknownOperation,
        /// The proposal is not collecting votes (queued, executed or cancelled).
        NotPending,
        /// The proposal is executed or cancelled already.
        Finished,
        /// The proposal is not queued.
        NotQueued,
        /// The timelock has not passed yet.
        TooEarly,
        /// The grace period has passed: the proposal expired.
        Expired,
        /// This owner already voted this way on this proposal.
        AlreadyVoted,
        /// Signature `index` does not recover to a public key.
        InvalidSignature {
            /// Position in the list.
            index: u32,
        },
        /// Signature `index` recovers to an account that is not an owner (or was
        /// signed for another splitter, chain, operation or vote).
        SignerNotOwner {
            /// Position in the list.
            index: u32,
        },
        /// Signature `index` carries a nonce other than the signer's current one.
        BadNonce {
            /// Position in the list.
            index: u32,
        },
        /// Signature `index` is past its deadline.
        SignatureExpired {
            /// Position in the list.
            index: u32,
        },
        /// Owners: none, more than 20, a duplicate or the zero account; or a
        /// threshold of 0 or above their number.
        InvalidOwners,
        /// Payees and shares break a rule of `Split`.
        InvalidSplit,
        /// `min_delay` above 30 days, or `grace_period` 0 or above 30 days.
        InvalidTimelock,
        /// The zero account is not allowed here.
        ZeroAccount,
        /// This batch id was settled before.
        BatchAlreadySettled,
        /// More payees than `MAX_BATCH_LEN` in one batch.
        BatchTooLarge,
        /// Nothing is owed to the caller in that asset.
        NothingOwed,
        /// The transfer to the caller failed.
        TransferFailed,
        /// The token or staking contract could not be called.
        CallFailed,
        /// Held funds are below what is accounted: should never happen.
        Insolvent,
        /// `set_code_hash` failed: no code with that hash has been uploaded.
        UnknownCodeHash,
        /// A sum would overflow.
        Overflow,
    }
}

/// Per-asset accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Book {
    /// Σ owed to payees.
    pub owed: u128,
    /// Σ keeper fees owed.
    pub fees: u128,
    /// Divided last time but not credited to anyone; joins the next division.
    pub remainder: u128,
}

impl Book {
    /// Everything the splitter must hold for this asset.
    pub fn accounted(&self) -> Option<u128> {
        self.owed.checked_add(self.fees)?.checked_add(self.remainder)
    }
}

#[ink::contract]
mod splitter {
    use ink::env::hash::Keccak256;
    use ink::prelude::vec::Vec;
    use ink::storage::{traits::ManualKey, Lazy, Mapping};
    use lode_primitives::eip712::{self, Vote, VoteMessage};

    use super::{
        Asset, Book, Error, OpState, Operation, Proposal, SignedVote, SkipReason, Split, Status, StoredProposal, MAX_BATCH_LEN, MAX_OWNERS,
        MAX_PERIOD_MS,
    };

    /// Version of this contract's code, bumped on every behavioural change.
    pub const CODE_VERSION: u32 = 2;

    lode_calls::admin_errors!(Error);

    /// An operation was proposed.
    #[ink(event)]
    pub struct Proposed {
        /// Its id.
        #[ink(topic)]
        pub op_id: [u8; 32],
        /// Who proposed it.
        pub proposer: AccountId,
        /// The change.
        pub op: Operation,
    }

    /// An owner voted.
    #[ink(event)]
    pub struct Voted {
        /// The operation.
        #[ink(topic)]
        pub op_id: [u8; 32],
        /// The owner.
        #[ink(topic)]
        pub owner: AccountId,
        /// To approve (`false`: to cancel).
        pub approve: bool,
        /// By an EIP-712 signature (`false`: an on-chain call).
        pub by_signature: bool,
    }

    /// An operation reached its threshold and is queued.
    #[ink(event)]
    pub struct Queued {
        /// The operation.
        #[ink(topic)]
        pub op_id: [u8; 32],
        /// First moment it may execute (ms).
        pub ready_at: u64,
        /// Last moment it may execute (ms).
        pub expires_at: u64,
    }

    /// An operation was executed.
    #[ink(event)]
    pub struct Executed {
        /// The operation.
        #[ink(topic)]
        pub op_id: [u8; 32],
    }

    /// An operation was cancelled.
    #[ink(event)]
    pub struct Cancelled {
        /// The operation.
        #[ink(topic)]
        pub op_id: [u8; 32],
        /// The guardian, the governor, or the last owner whose vote made the threshold.
        pub by: AccountId,
    }

    /// A relayed signature was skipped: its vote was already counted, or the
    /// proposal no longer takes it. The rest of the batch still counted.
    #[ink(event)]
    pub struct VoteSkipped {
        /// The operation.
        #[ink(topic)]
        pub op_id: [u8; 32],
        /// Position of the signature in the relayed list.
        pub index: u32,
        /// Its signer.
        pub signer: AccountId,
        /// Why it was skipped.
        pub reason: SkipReason,
    }

    /// Paused or unpaused.
    #[ink(event)]
    pub struct PauseChanged {
        /// Paused now.
        pub paused: bool,
        /// The pause this event starts or ends (see `pause_id`).
        pub pause_id: u32,
        /// Who did it (for an `Unpause` operation: its executor).
        pub by: AccountId,
    }

    /// New funds were divided among payees.
    #[ink(event)]
    pub struct Distributed {
        /// Which asset.
        pub asset: Asset,
        /// Newly received.
        pub received: u128,
        /// Credited to payees.
        pub credited: u128,
        /// Keeper fee credited to `keeper`.
        pub fee: u128,
        /// The caller.
        pub keeper: AccountId,
        /// Carried to the next division.
        pub remainder: u128,
    }

    /// A batch was settled.
    #[ink(event)]
    pub struct Settled {
        /// The keeper that settled it: batch ids are its own.
        #[ink(topic)]
        pub keeper: AccountId,
        /// The batch id.
        #[ink(topic)]
        pub batch_id: [u8; 32],
        /// Which asset.
        pub asset: Asset,
        /// Payees paid.
        pub paid: u32,
        /// Total paid.
        pub amount: u128,
        /// Payees whose transfer failed (they stay owed).
        pub failed: u32,
    }

    /// A payee's transfer failed in a batch; it stays owed.
    #[ink(event)]
    pub struct SettlementFailed {
        /// The batch id.
        #[ink(topic)]
        pub batch_id: [u8; 32],
        /// Which asset.
        pub asset: Asset,
        /// The payee.
        #[ink(topic)]
        pub payee: AccountId,
        /// Still owed.
        pub amount: u128,
    }

    /// A payee (or keeper) took what it was owed.
    #[ink(event)]
    pub struct Withdrawn {
        /// Which asset.
        pub asset: Asset,
        /// Who.
        #[ink(topic)]
        pub account: AccountId,
        /// How much.
        pub amount: u128,
    }

    /// The split changed.
    #[ink(event)]
    pub struct SplitChanged {
        /// The split now in force.
        pub split: Split,
    }

    /// The owners changed.
    #[ink(event)]
    pub struct OwnersChanged {
        /// Owners now.
        pub owners: Vec<AccountId>,
        /// Threshold now.
        pub threshold: u8,
    }

    /// The timelock changed.
    #[ink(event)]
    pub struct TimelockChanged {
        /// Queue time, ms.
        pub min_delay: u64,
        /// Execution window, ms.
        pub grace_period: u64,
    }

    /// The guardian changed.
    #[ink(event)]
    pub struct GuardianChanged {
        /// Guardian now.
        pub guardian: Option<AccountId>,
    }

    /// The admin (governor) role moved.
    #[ink(event)]
    pub struct AdminChanged {
        /// Previous admin.
        pub old: AccountId,
        /// New admin.
        #[ink(topic)]
        pub new: AccountId,
    }

    /// The contract's code was replaced through `upgrade`.
    #[ink(event)]
    pub struct Upgraded {
        /// Code hash before.
        pub old: Hash,
        /// Code hash after.
        pub new: Hash,
    }

    /// A settled batch: the keeper that settled it and its id.
    type BatchKey = (AccountId, [u8; 32]);

    /// Splitter state: the root holds what is fixed at deployment; each
    /// mutable part has its own cell (see the crate docs, "Storage").
    #[ink(storage)]
    pub struct Splitter {
        token: AccountId,
        staking: AccountId,
        chain_id: u64,
        proposals: Mapping<[u8; 32], StoredProposal, ManualKey<0x4c4f_0201>>,
        /// Next EIP-712 vote nonce per signer.
        vote_nonces: Mapping<AccountId, u64, ManualKey<0x4c4f_0202>>,
        owed: Mapping<(Asset, AccountId), u128, ManualKey<0x4c4f_0203>>,
        fees: Mapping<(Asset, AccountId), u128, ManualKey<0x4c4f_0204>>,
        /// Block each `(keeper, batch id)` was settled in.
        batches: Mapping<BatchKey, u32, ManualKey<0x4c4f_0205>>,
        admin: Lazy<AccountId, ManualKey<0x4c4f_0206>>,
        owners: Lazy<Vec<AccountId>, ManualKey<0x4c4f_0207>>,
        threshold: Lazy<u8, ManualKey<0x4c4f_0208>>,
        min_delay: Lazy<u64, ManualKey<0x4c4f_0209>>,
        grace_period: Lazy<u64, ManualKey<0x4c4f_020a>>,
        guardian: Lazy<Option<AccountId>, ManualKey<0x4c4f_020b>>,
        paused: Lazy<bool, ManualKey<0x4c4f_020c>>,
        /// Pauses so far; the current pause's id while paused.
        pauses: Lazy<u32, ManualKey<0x4c4f_020d>>,
        split: Lazy<Split, ManualKey<0x4c4f_020e>>,
        books: Mapping<Asset, Book, ManualKey<0x4c4f_020f>>,
        /// Proposals made so far; part of every op id.
        proposal_count: Lazy<u64, ManualKey<0x4c4f_0210>>,
    }

    impl Splitter {
        /// Creates the splitter. `chain_id` goes into the EIP-712 domain; `token`
        /// is LODE and `staking` answers `is_keeper`. The caller becomes admin.
        #[allow(clippy::too_many_arguments)]
        #[ink(constructor)]
        pub fn new(
            token: AccountId,
            staking: AccountId,
            chain_id: u64,
            owners: Vec<AccountId>,
            threshold: u8,
            min_delay: u64,
            grace_period: u64,
            split: Split,
            guardian: Option<AccountId>,
        ) -> Result<Self, Error> {
            for account in [token, staking].iter().chain(guardian.iter()) {
                lode_calls::ensure_nonzero(account)?;
            }
            check_owners(&owners, threshold)?;
            check_timelock(min_delay, grace_period)?;
            split.validate().map_err(|_| Error::InvalidSplit)?;
            let mut me = Self {
                token,
                staking,
                chain_id,
                proposals: Mapping::default(),
                vote_nonces: Mapping::default(),
                owed: Mapping::default(),
                fees: Mapping::default(),
                batches: Mapping::default(),
                admin: Lazy::new(),
                owners: Lazy::new(),
                threshold: Lazy::new(),
                min_delay: Lazy::new(),
                grace_period: Lazy::new(),
                guardian: Lazy::new(),
                paused: Lazy::new(),
                pauses: Lazy::new(),
                split: Lazy::new(),
                books: Mapping::default(),
                proposal_count: Lazy::new(),
            };
            me.admin.set(&Self::env().caller());
            me.owners.set(&owners);
            me.threshold.set(&threshold);
            me.min_delay.set(&min_delay);
            me.grace_period.set(&grace_period);
            me.guardian.set(&guardian);
            me.paused.set(&false);
            me.pauses.set(&0);
            me.split.set(&split);
            me.proposal_count.set(&0);
            Ok(me)
        }

        // ---- Operations ----

        /// Proposes `op` (owners only) and returns its id, unique because it
        /// hashes a running proposal count. The proposer's approval is not
        /// implied: it approves like everyone else.
        #[ink(message)]
        pub fn propose(&mut self, op: Operation) -> Result<[u8; 32], Error> {
            let proposer = self.env().caller();
            self.ensure_owner(proposer)?;
            validate(&op)?;
            // An Unpause answers the pause in force now, and no other.
            let answers_pause = match op {
                Operation::Unpause => Some(self.pause_id().ok_or(Error::NotPaused)?),
                _ => None,
            };
            let count = self.proposal_count.get().unwrap_or(0);
            self.proposal_count.set(&count.checked_add(1).ok_or(Error::Overflow)?);
            let op_id = self.env().hash_encoded::<Keccak256, _>(&(self.env().account_id(), count, &op));
            let proposal = Proposal {
                op: op.clone(),
                proposer,
                approvals: Vec::new(),
                cancellations: Vec::new(),
                status: Status::Pending,
                answers_pause,
            };
            self.store(op_id, proposal);
            self.env().emit_event(Proposed { op_id, proposer, op });
            Ok(op_id)
        }

        /// Approves `op_id` as the calling owner; queues it at the threshold.
        #[ink(message)]
        pub fn approve(&mut self, op_id: [u8; 32]) -> Result<(), Error> {
            let owner = self.env().caller();
            self.ensure_owner(owner)?;
            let mut proposal = self.proposal(op_id)?;
            self.record(op_id, &mut proposal, owner, Vote::Approval, false)?;
            self.store(op_id, proposal);
            Ok(())
        }

        /// Approves `op_id` with owners' EIP-712 `Approval` signatures (relayed by
        /// anyone). A signature already counted, or past the threshold, is
        /// skipped (`VoteSkipped`); any invalid one fails the call, naming it.
        #[ink(message)]
        pub fn approve_by_signatures(&mut self, op_id: [u8; 32], votes: Vec<SignedVote>) -> Result<(), Error> {
            self.vote_by_signatures(op_id, Vote::Approval, votes)
        }

        /// Votes to cancel `op_id`. The guardian or the governor cancels at once;
        /// an owner's vote counts toward the threshold, which cancels.
        #[ink(message)]
        pub fn cancel(&mut self, op_id: [u8; 32]) -> Result<(), Error> {
            let caller = self.env().caller();
            let mut proposal = self.proposal(op_id)?;
            if caller == self.admin() || Some(caller) == self.guardian() {
                if matches!(proposal.status, Status::Executed | Status::Cancelled) {
                    return Err(Error::Finished);
                }
                proposal.status = Status::Cancelled;
                self.env().emit_event(Cancelled { op_id, by: caller });
            } else {
                self.ensure_owner(caller)?;
                self.record(op_id, &mut proposal, caller, Vote::Cancellation, false)?;
            }
            self.store(op_id, proposal);
            Ok(())
        }

        /// Votes to cancel `op_id` with owners' EIP-712 `Cancellation` signatures.
        #[ink(message)]
        pub fn cancel_by_signatures(&mut self, op_id: [u8; 32], votes: Vec<SignedVote>) -> Result<(), Error> {
            self.vote_by_signatures(op_id, Vote::Cancellation, votes)
        }

        /// Executes a queued operation inside its window `[ready_at, expires_at]`.
        /// Anyone may call. While paused only the `Unpause` answering this very
        /// pause executes.
        #[ink(message)]
        pub fn execute(&mut self, op_id: [u8; 32]) -> Result<(), Error> {
            let mut proposal = self.proposal(op_id)?;
            let Status::Queued { ready_at, expires_at } = proposal.status else {
                return Err(match proposal.status {
                    Status::Pending => Error::NotQueued,
                    _ => Error::Finished,
                });
            };
            let now = self.env().block_timestamp();
            if now < ready_at {
                return Err(Error::TooEarly);
            }
            if now > expires_at {
                return Err(Error::Expired);
            }
            match proposal.op {
                Operation::Unpause if proposal.answers_pause.is_none() || proposal.answers_pause != self.pause_id() => {
                    return Err(Error::StaleUnpause)
                }
                Operation::Unpause => {}
                _ => self.ensure_unpaused()?,
            }
            proposal.status = Status::Executed;
            let op = proposal.op.clone();
            self.store(op_id, proposal);
            self.apply(op)?;
            self.env().emit_event(Executed { op_id });
            Ok(())
        }

        /// Pauses distribution, settlement, withdrawal and execution. Any single
        /// owner, the guardian or the governor: a fast answer to a leaked key.
        #[ink(message)]
        pub fn pause(&mut self) -> Result<(), Error> {
            let caller = self.env().caller();
            if !(self.owners_list().contains(&caller) || Some(caller) == self.guardian() || caller == self.admin()) {
                return Err(Error::NotPauser);
            }
            if self.paused() {
                return Ok(());
            }
            let pause_id = self.pauses.get().unwrap_or(0).checked_add(1).ok_or(Error::Overflow)?;
            self.pauses.set(&pause_id);
            self.paused.set(&true);
            self.env().emit_event(PauseChanged { paused: true, pause_id, by: caller });
            Ok(())
        }

        /// Lifts a pause at once. Governor only; owners use an `Unpause` operation.
        #[ink(message)]
        pub fn unpause(&mut self) -> Result<(), Error> {
            self.ensure_admin()?;
            self.set_unpaused()
        }

        // ---- Money ----

        /// Divides what arrived in `asset` since last time among the payees by
        /// shares, plus the carried remainder. A bonded keeper caller earns the
        /// keeper fee. Returns the amount newly received.
        #[ink(message)]
        pub fn distribute(&mut self, asset: Asset) -> Result<u128, Error> {
            self.ensure_unpaused()?;
            let caller = self.env().caller();
            let received = self.received(asset)?;
            if received == 0 {
                return Ok(0);
            }
            let pay_fee = self.split().keeper_fee_bps > 0 && self.is_keeper(caller)?;
            self.divide(asset, received, pay_fee.then_some(caller))?;
            Ok(received)
        }

        /// Pays each listed payee what it is owed in `asset`. Bonded keepers only.
        /// A `batch_id` is accepted once per keeper; a payee whose transfer fails
        /// stays owed (`SettlementFailed`) and the rest are paid. LODE goes out in
        /// one `transfer_batch` call. Returns the amount paid.
        #[ink(message)]
        pub fn settle(&mut self, batch_id: [u8; 32], asset: Asset, payees: Vec<AccountId>) -> Result<u128, Error> {
            self.ensure_unpaused()?;
            if u32::try_from(payees.len()).map_or(true, |n| n > MAX_BATCH_LEN) {
                return Err(Error::BatchTooLarge);
            }
            let keeper = self.env().caller();
            if self.batches.contains((keeper, batch_id)) {
                return Err(Error::BatchAlreadySettled);
            }
            if !self.is_keeper(keeper)? {
                return Err(Error::NotKeeper);
            }
            self.batches.insert((keeper, batch_id), &self.env().block_number());
            // Taken out as they are listed, so a payee listed twice is paid once.
            let mut payments: Vec<(AccountId, u128)> = Vec::with_capacity(payees.len());
            for payee in payees {
                if let Some(owed) = self.owed.take((asset, payee)).filter(|o| *o > 0) {
                    payments.push((payee, owed));
                }
            }
            let refused = self.send_all(asset, &payments);
            let (mut paid, mut failed, mut amount) = (0u32, 0u32, 0u128);
            for (i, (payee, owed)) in payments.into_iter().enumerate() {
                if refused.contains(&i) {
                    self.owed.insert((asset, payee), &owed);
                    failed = failed.saturating_add(1);
                    self.env().emit_event(SettlementFailed { batch_id, asset, payee, amount: owed });
                } else {
                    paid = paid.saturating_add(1);
                    amount = amount.checked_add(owed).ok_or(Error::Overflow)?;
                }
            }
            let mut book = self.book(asset);
            book.owed = book.owed.checked_sub(amount).ok_or(Error::Overflow)?;
            self.books.insert(asset, &book);
            self.env().emit_event(Settled { keeper, batch_id, asset, paid, amount, failed });
            Ok(amount)
        }

        /// Pays the caller everything it is owed in `asset` (as payee and as
        /// keeper). Needs no keeper. Returns the amount.
        #[ink(message)]
        pub fn withdraw(&mut self, asset: Asset) -> Result<u128, Error> {
            self.ensure_unpaused()?;
            let who = self.env().caller();
            let owed = self.owed.take((asset, who)).unwrap_or(0);
            let fee = self.fees.take((asset, who)).unwrap_or(0);
            let amount = owed.checked_add(fee).ok_or(Error::Overflow)?;
            if amount == 0 {
                return Err(Error::NothingOwed);
            }
            let mut book = self.book(asset);
            book.owed = book.owed.checked_sub(owed).ok_or(Error::Overflow)?;
            book.fees = book.fees.checked_sub(fee).ok_or(Error::Overflow)?;
            self.books.insert(asset, &book);
            self.send(asset, who, amount)?;
            self.env().emit_event(Withdrawn { asset, account: who, amount });
            Ok(amount)
        }

        // ---- Reads ----

        /// A proposal and its state now.
        #[ink(message)]
        pub fn operation(&self, op_id: [u8; 32]) -> Option<(Proposal, OpState)> {
            let proposal = self.proposals.get(op_id)?.into_current();
            let state = self.state_of(&proposal);
            Some((proposal, state))
        }

        /// The EIP-712 digest an owner signs to cast `vote` on `op_id`.
        #[ink(message)]
        pub fn vote_digest(&self, op_id: [u8; 32], approve: bool, nonce: u64, deadline: u64) -> [u8; 32] {
            let vote = if approve { Vote::Approval } else { Vote::Cancellation };
            self.digest(&VoteMessage { vote, op_id, nonce, deadline })
        }

        /// The next EIP-712 vote nonce of `signer`.
        #[ink(message)]
        pub fn vote_nonce(&self, signer: AccountId) -> u64 {
            self.vote_nonces.get(signer).unwrap_or(0)
        }

        /// Owners and threshold.
        #[ink(message)]
        pub fn owners(&self) -> (Vec<AccountId>, u8) {
            (self.owners_list(), self.threshold.get().unwrap_or(u8::MAX))
        }

        /// `(min_delay, grace_period)` in ms.
        #[ink(message)]
        pub fn timelock(&self) -> (u64, u64) {
            (self.min_delay.get().unwrap_or(MAX_PERIOD_MS), self.grace_period.get().unwrap_or(0))
        }

        /// The split in force.
        #[ink(message)]
        pub fn split(&self) -> Split {
            self.split.get().unwrap_or_default()
        }

        /// The accounting of `asset`.
        #[ink(message)]
        pub fn book(&self, asset: Asset) -> Book {
            self.books.get(asset).unwrap_or_default()
        }

        /// What arrived in `asset` since the last division: what `distribute`
        /// would divide now.
        #[ink(message)]
        pub fn undistributed(&self, asset: Asset) -> Result<u128, Error> {
            self.received(asset)
        }

        /// What `account` is owed in `asset`: `(as payee, as keeper)`.
        #[ink(message)]
        pub fn owed(&self, asset: Asset, account: AccountId) -> (u128, u128) {
            (self.owed.get((asset, account)).unwrap_or(0), self.fees.get((asset, account)).unwrap_or(0))
        }

        /// Whether `keeper` has settled `batch_id`.
        #[ink(message)]
        pub fn batch_settled(&self, keeper: AccountId, batch_id: [u8; 32]) -> bool {
            self.batches.contains((keeper, batch_id))
        }

        /// Most payees per `settle`.
        #[ink(message)]
        pub fn max_batch_len(&self) -> u32 {
            MAX_BATCH_LEN
        }

        /// Whether paused.
        #[ink(message)]
        pub fn paused(&self) -> bool {
            self.paused.get().unwrap_or(false)
        }

        /// The id of the pause in force (pauses are counted from 1); `None`
        /// while running. An `Unpause` lifts only the pause it was proposed in.
        #[ink(message)]
        pub fn pause_id(&self) -> Option<u32> {
            self.paused().then(|| self.pauses.get().unwrap_or(0))
        }

        /// The guardian.
        #[ink(message)]
        pub fn guardian(&self) -> Option<AccountId> {
            self.guardian.get().flatten()
        }

        /// The chain id in the EIP-712 domain.
        #[ink(message)]
        pub fn chain_id(&self) -> u64 {
            self.chain_id
        }

        // ---- Governance ----

        /// The account holding the governor role.
        #[ink(message)]
        pub fn admin(&self) -> AccountId {
            self.admin.get().unwrap_or(AccountId::from([0u8; 32]))
        }

        /// Version of the code this contract runs (see [`CODE_VERSION`]).
        #[ink(message)]
        pub fn code_version(&self) -> u32 {
            CODE_VERSION
        }

        /// Names the guardian (the alerts contract) directly. Admin only: the
        /// deployment wires it, later the governor; owners use `SetGuardian`.
        #[ink(message)]
        pub fn set_guardian(&mut self, guardian: Option<AccountId>) -> Result<(), Error> {
            self.ensure_admin()?;
            let op = Operation::SetGuardian { guardian };
            validate(&op)?;
            self.apply(op)
        }

        /// Hands the admin role to `new_admin`. Admin only.
        #[ink(message)]
        pub fn set_admin(&mut self, new_admin: AccountId) -> Result<(), Error> {
            let old = self.admin();
            lode_calls::check_hand_over(&old, &self.env().caller(), &new_admin)?;
            self.admin.set(&new_admin);
            self.env().emit_event(AdminChanged { old, new: new_admin });
            Ok(())
        }

        /// Replaces this contract's code, keeping its storage. Admin only.
        #[ink(message)]
        pub fn upgrade(&mut self, code_hash: Hash) -> Result<(), Error> {
            let old = lode_calls::upgrade_as_admin(&self.admin(), &self.env().caller(), &code_hash)?;
            self.env().emit_event(Upgraded { old, new: code_hash });
            Ok(())
        }

        // ---- Internals: votes ----

        fn vote_by_signatures(&mut self, op_id: [u8; 32], vote: Vote, votes: Vec<SignedVote>) -> Result<(), Error> {
            let mut proposal = self.proposal(op_id)?;
            let now = self.env().block_timestamp();
            let owners = self.owners_list();
            for (i, signed) in votes.iter().enumerate() {
                let index = u32::try_from(i).map_err(|_| Error::Overflow)?;
                if signed.deadline < now {
                    return Err(Error::SignatureExpired { index });
                }
                let digest = self.digest(&VoteMessage { vote, op_id, nonce: signed.nonce, deadline: signed.deadline });
                let signer = lode_calls::recover_signer(&signed.signature, &digest).ok_or(Error::InvalidSignature { index })?;
                if !owners.contains(&signer) {
                    return Err(Error::SignerNotOwner { index });
                }
                // Checked before the nonce: a copy relayed first has used it up.
                let skip = if counted(&proposal, vote).contains(&signer) {
                    Some(SkipReason::AlreadyCounted)
                } else if !takes(&proposal.status, vote) {
                    Some(SkipReason::Closed)
                } else {
                    None
                };
                if let Some(reason) = skip {
                    self.env().emit_event(VoteSkipped { op_id, index, signer, reason });
                    continue;
                }
                let nonce = self.vote_nonce(signer);
                if signed.nonce != nonce {
                    return Err(Error::BadNonce { index });
                }
                self.vote_nonces.insert(signer, &nonce.checked_add(1).ok_or(Error::Overflow)?);
                self.record(op_id, &mut proposal, signer, vote, true)?;
            }
            self.store(op_id, proposal);
            Ok(())
        }

        /// Adds `owner`'s vote and applies the threshold: queue on approvals,
        /// cancel on cancellations.
        fn record(
            &mut self,
            op_id: [u8; 32],
            proposal: &mut Proposal,
            owner: AccountId,
            vote: Vote,
            by_signature: bool,
        ) -> Result<(), Error> {
            if !takes(&proposal.status, vote) {
                return Err(match vote {
                    Vote::Approval => Error::NotPending,
                    Vote::Cancellation => Error::Finished,
                });
            }
            let votes = match vote {
                Vote::Approval => &mut proposal.approvals,
                Vote::Cancellation => &mut proposal.cancellations,
            };
            if votes.contains(&owner) {
                return Err(Error::AlreadyVoted);
            }
            votes.push(owner);
            self.env().emit_event(Voted { op_id, owner, approve: vote == Vote::Approval, by_signature });
            // Votes of accounts no longer owners (after a rotation) do not count.
            let (owners, threshold) = self.owners();
            let counted = votes.iter().filter(|v| owners.contains(*v)).count();
            if counted < usize::from(threshold) {
                return Ok(());
            }
            match vote {
                Vote::Approval => {
                    let (min_delay, grace_period) = self.timelock();
                    let ready_at = self.env().block_timestamp().checked_add(min_delay).ok_or(Error::Overflow)?;
                    let expires_at = ready_at.checked_add(grace_period).ok_or(Error::Overflow)?;
                    proposal.status = Status::Queued { ready_at, expires_at };
                    self.env().emit_event(Queued { op_id, ready_at, expires_at });
                }
                Vote::Cancellation => {
                    proposal.status = Status::Cancelled;
                    self.env().emit_event(Cancelled { op_id, by: owner });
                }
            }
            Ok(())
        }

        fn digest(&self, message: &VoteMessage) -> [u8; 32] {
            let me = self.env().account_id();
            let domain = eip712::Domain { name: eip712::SPLITTER_NAME, chain_id: self.chain_id, contract: me.as_ref() };
            eip712::signing_hash(lode_calls::keccak256, &domain, message)
        }

        fn proposal(&self, op_id: [u8; 32]) -> Result<Proposal, Error> {
            self.proposals.get(op_id).map(StoredProposal::into_current).ok_or(Error::UnknownOperation)
        }

        fn store(&mut self, op_id: [u8; 32], proposal: Proposal) {
            self.proposals.insert(op_id, &StoredProposal::V1(proposal));
        }

        fn state_of(&self, proposal: &Proposal) -> OpState {
            let now = self.env().block_timestamp();
            match proposal.status {
                Status::Pending => OpState::Pending,
                Status::Executed => OpState::Executed,
                Status::Cancelled => OpState::Cancelled,
                Status::Queued { ready_at, .. } if now < ready_at => OpState::Queued,
                Status::Queued { expires_at, .. } if now <= expires_at => OpState::Ready,
                Status::Queued { .. } => OpState::Expired,
            }
        }

        /// Carries out an executed operation.
        fn apply(&mut self, op: Operation) -> Result<(), Error> {
            match op {
                Operation::SetSplit { payees, shares, keeper_fee_bps } => {
                    // Everything received so far is owed under the old split.
                    for asset in [Asset::Native, Asset::Lode] {
                        let received = self.received(asset)?;
                        if received > 0 {
                            self.divide(asset, received, None)?;
                        }
                    }
                    let split = Split { payees, shares, keeper_fee_bps };
                    self.split.set(&split);
                    self.env().emit_event(SplitChanged { split });
                }
                Operation::SetOwners { owners, threshold } => {
                    self.owners.set(&owners);
                    self.threshold.set(&threshold);
                    self.env().emit_event(OwnersChanged { owners, threshold });
                }
                Operation::SetTimelock { min_delay, grace_period } => {
                    self.min_delay.set(&min_delay);
                    self.grace_period.set(&grace_period);
                    self.env().emit_event(TimelockChanged { min_delay, grace_period });
                }
                Operation::Unpause => self.set_unpaused()?,
                Operation::SetGuardian { guardian } => {
                    self.guardian.set(&guardian);
                    self.env().emit_event(GuardianChanged { guardian });
                }
            }
            Ok(())
        }

        // ---- Internals: money ----

        /// Funds of `asset` that arrived since the last division.
        fn received(&self, asset: Asset) -> Result<u128, Error> {
            let held = match asset {
                Asset::Native => self.env().balance(),
                Asset::Lode => self.lode_balance()?,
            };
            let accounted = self.book(asset).accounted().ok_or(Error::Overflow)?;
            held.checked_sub(accounted).ok_or(Error::Insolvent)
        }

        /// Credits a division of `received` (plus the carried remainder).
        fn divide(&mut self, asset: Asset, received: u128, keeper: Option<AccountId>) -> Result<(), Error> {
            let book = self.book(asset);
            let split = self.split();
            let division = split.divide(received, book.remainder, keeper.is_some()).ok_or(Error::Overflow)?;
            let mut credited = 0u128;
            for (payee, part) in split.payees.iter().zip(division.parts.iter()) {
                if *part == 0 {
                    continue;
                }
                let owed = self.owed.get((asset, *payee)).unwrap_or(0).checked_add(*part).ok_or(Error::Overflow)?;
                self.owed.insert((asset, *payee), &owed);
                credited = credited.checked_add(*part).ok_or(Error::Overflow)?;
            }
            let caller = self.env().caller();
            if let Some(keeper) = keeper {
                let fees = self.fees.get((asset, keeper)).unwrap_or(0).checked_add(division.fee).ok_or(Error::Overflow)?;
                self.fees.insert((asset, keeper), &fees);
            }
            let new_book = Book {
                owed: book.owed.checked_add(credited).ok_or(Error::Overflow)?,
                fees: book.fees.checked_add(division.fee).ok_or(Error::Overflow)?,
                remainder: division.remainder,
            };
            self.books.insert(asset, &new_book);
            self.env().emit_event(Distributed {
                asset,
                received,
                credited,
                fee: division.fee,
                keeper: caller,
                remainder: division.remainder,
            });
            Ok(())
        }

        /// Transfers `amount` of `asset` to `to`; `Err` leaves everything as it was.
        fn send(&self, asset: Asset, to: AccountId, amount: u128) -> Result<(), Error> {
            match asset {
                Asset::Native => self.env().transfer(to, amount).map_err(|_| Error::TransferFailed),
                Asset::Lode => lode_calls::psp22_transfer(self.token, to, amount).map_err(|_| Error::TransferFailed),
            }
        }

        /// Pays every `(to, amount)`; returns the positions that were not paid.
        /// LODE goes in one call into the token; if that call fails as a whole,
        /// nobody is paid.
        fn send_all(&self, asset: Asset, payments: &[(AccountId, u128)]) -> Vec<usize> {
            match asset {
                Asset::Native => (0..payments.len()).filter(|i| self.send(asset, payments[*i].0, payments[*i].1).is_err()).collect(),
                Asset::Lode if payments.is_empty() => Vec::new(),
                Asset::Lode => match lode_calls::transfer_batch(self.token, payments) {
                    Ok(refused) => refused.into_iter().filter_map(|i| usize::try_from(i).ok()).collect(),
                    Err(_) => (0..payments.len()).collect(),
                },
            }
        }

        fn lode_balance(&self) -> Result<u128, Error> {
            lode_calls::psp22_balance_of(self.token, self.env().account_id()).map_err(|_| Error::CallFailed)
        }

        fn is_keeper(&self, who: AccountId) -> Result<bool, Error> {
            lode_calls::is_keeper(self.staking, who).map_err(|_| Error::CallFailed)
        }

        // ---- Internals: roles ----

        fn owners_list(&self) -> Vec<AccountId> {
            self.owners.get().unwrap_or_default()
        }

        fn ensure_owner(&self, who: AccountId) -> Result<(), Error> {
            if !self.owners_list().contains(&who) {
                return Err(Error::NotOwner);
            }
            Ok(())
        }

        fn ensure_admin(&self) -> Result<(), Error> {
            Ok(lode_calls::ensure_admin(&self.admin(), &self.env().caller())?)
        }

        fn ensure_unpaused(&self) -> Result<(), Error> {
            if self.paused() {
                return Err(Error::Paused);
            }
            Ok(())
        }

        fn set_unpaused(&mut self) -> Result<(), Error> {
            let pause_id = self.pause_id().ok_or(Error::NotPaused)?;
            self.paused.set(&false);
            self.env().emit_event(PauseChanged { paused: false, pause_id, by: self.env().caller() });
            Ok(())
        }
    }

    /// The votes of kind `vote` counted on `proposal`.
    fn counted(proposal: &Proposal, vote: Vote) -> &[AccountId] {
        match vote {
            Vote::Approval => &proposal.approvals,
            Vote::Cancellation => &proposal.cancellations,
        }
    }

    /// Whether a proposal in `status` still takes votes of kind `vote`:
    /// approvals until queued, cancellations until executed or cancelled.
    fn takes(status: &Status, vote: Vote) -> bool {
        match vote {
            Vote::Approval => *status == Status::Pending,
            Vote::Cancellation => !matches!(status, Status::Executed | Status::Cancelled),
        }
    }

    /// Checks an operation's arguments when it is proposed (so a bad one never
    /// collects votes).
    fn validate(op: &Operation) -> Result<(), Error> {
        match op {
            Operation::SetSplit { payees, shares, keeper_fee_bps } => {
                Split { payees: payees.clone(), shares: shares.clone(), keeper_fee_bps: *keeper_fee_bps }
                    .validate()
                    .map_err(|_| Error::InvalidSplit)
            }
            Operation::SetOwners { owners, threshold } => check_owners(owners, *threshold),
            Operation::SetTimelock { min_delay, grace_period } => check_timelock(*min_delay, *grace_period),
            Operation::SetGuardian { guardian: Some(guardian) } => Ok(lode_calls::ensure_nonzero(guardian)?),
            Operation::Unpause | Operation::SetGuardian { guardian: None } => Ok(()),
        }
    }

    fn check_owners(owners: &[AccountId], threshold: u8) -> Result<(), Error> {
        let distinct = owners.iter().enumerate().all(|(i, o)| !lode_calls::is_zero(o) && !owners[..i].contains(o));
        if owners.is_empty() || owners.len() > MAX_OWNERS || !distinct || threshold == 0 || usize::from(threshold) > owners.len() {
            return Err(Error::InvalidOwners);
        }
        Ok(())
    }

    fn check_timelock(min_delay: u64, grace_period: u64) -> Result<(), Error> {
        if min_delay > MAX_PERIOD_MS || grace_period == 0 || grace_period > MAX_PERIOD_MS {
            return Err(Error::InvalidTimelock);
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::MAX_KEEPER_FEE_BPS;

        fn accounts() -> ink::env::test::DefaultAccounts<ink::env::DefaultEnvironment> {
            ink::env::test::default_accounts::<ink::env::DefaultEnvironment>()
        }

        fn set_caller(who: AccountId) {
            ink::env::test::set_caller::<ink::env::DefaultEnvironment>(who);
        }

        fn set_now(ms: u64) {
            ink::env::test::set_block_timestamp::<ink::env::DefaultEnvironment>(ms);
        }

        /// Holds the governor's role in these tests; not an owner.
        fn admin() -> AccountId {
            AccountId::from([0xad; 32])
        }

        fn splitter() -> Splitter {
            let a = accounts();
            set_caller(admin());
            let split = Split { payees: vec![a.django], shares: vec![1], keeper_fee_bps: 0 };
            Splitter::new(a.eve, a.frank, 42, vec![a.alice, a.bob, a.charlie], 2, 1_000, 500, split, None).expect("valid")
        }

        fn timelock_op() -> Operation {
            Operation::SetTimelock { min_delay: 10, grace_period: 20 }
        }

        #[ink::test]
        fn constructor_rejects_bad_owners_timelocks_and_splits() {
            let a = accounts();
            let split = Split { payees: vec![a.django], shares: vec![1], keeper_fee_bps: 0 };
            let new = |owners: Vec<AccountId>, threshold, delay, grace, split: Split| {
                Splitter::new(a.eve, a.frank, 1, owners, threshold, delay, grace, split, None).err()
            };
            assert_eq!(new(vec![], 1, 0, 1, split.clone()), Some(Error::InvalidOwners));
            assert_eq!(new(vec![a.bob, a.bob], 1, 0, 1, split.clone()), Some(Error::InvalidOwners));
            assert_eq!(new(vec![a.bob], 2, 0, 1, split.clone()), Some(Error::InvalidOwners));
            assert_eq!(new(vec![a.bob], 0, 0, 1, split.clone()), Some(Error::InvalidOwners));
            assert_eq!(new(vec![a.bob; MAX_OWNERS + 1], 1, 0, 1, split.clone()), Some(Error::InvalidOwners));
            assert_eq!(new(vec![a.bob], 1, 0, 0, split.clone()), Some(Error::InvalidTimelock));
            assert_eq!(new(vec![a.bob], 1, MAX_PERIOD_MS + 1, 1, split.clone()), Some(Error::InvalidTimelock));
            assert_eq!(new(vec![a.bob], 1, 0, 1, Split { shares: vec![0], ..split }), Some(Error::InvalidSplit));
        }

        #[ink::test]
        fn an_operation_queues_at_the_threshold_and_executes_only_in_its_window() {
            let mut s = splitter();
            let a = accounts();
            set_now(100);
            set_caller(a.alice);
            let id = s.propose(timelock_op()).unwrap();
            assert_eq!(s.approve(id), Ok(()));
            assert_eq!(s.approve(id), Err(Error::AlreadyVoted));
            assert_eq!(s.execute(id), Err(Error::NotQueued));
            set_caller(a.bob);
            assert_eq!(s.approve(id), Ok(()));
            assert_eq!(s.operation(id).unwrap().1, OpState::Queued);
            set_caller(a.charlie);
            assert_eq!(s.approve(id), Err(Error::NotPending));
            set_now(1_099);
            assert_eq!(s.execute(id), Err(Error::TooEarly));
            set_now(1_100);
            assert_eq!(s.operation(id).unwrap().1, OpState::Ready);
            assert_eq!(s.execute(id), Ok(()));
            assert_eq!(s.timelock(), (10, 20));
            assert_eq!(s.execute(id), Err(Error::Finished));
        }

        #[ink::test]
        fn an_operation_expires_after_its_grace_period() {
            let mut s = splitter();
            let a = accounts();
            set_now(0);
            set_caller(a.alice);
            let id = s.propose(timelock_op()).unwrap();
            s.approve(id).unwrap();
            set_caller(a.bob);
            s.approve(id).unwrap();
            set_now(1_501);
            assert_eq!(s.operation(id).unwrap().1, OpState::Expired);
            assert_eq!(s.execute(id), Err(Error::Expired));
        }

        #[ink::test]
        fn identical_proposals_get_distinct_ids() {
            let mut s = splitter();
            set_caller(accounts().alice);
            assert_ne!(s.propose(timelock_op()).unwrap(), s.propose(timelock_op()).unwrap());
        }

        #[ink::test]
        fn cancelling_takes_the_threshold_or_the_governor() {
            let mut s = splitter();
            let a = accounts();
            set_caller(a.alice);
            let id = s.propose(timelock_op()).unwrap();
            assert_eq!(s.cancel(id), Ok(()));
            assert_eq!(s.operation(id).unwrap().1, OpState::Pending, "one vote of two");
            set_caller(a.django);
            assert_eq!(s.cancel(id), Err(Error::NotOwner));
            set_caller(a.bob);
            assert_eq!(s.cancel(id), Ok(()));
            assert_eq!(s.operation(id).unwrap().1, OpState::Cancelled);
            assert_eq!(s.approve(id), Err(Error::NotPending));

            set_caller(a.alice);
            let id = s.propose(timelock_op()).unwrap();
            s.approve(id).unwrap();
            set_caller(a.bob);
            s.approve(id).unwrap();
            set_caller(admin());
            assert_eq!(s.cancel(id), Ok(()));
            assert_eq!(s.operation(id).unwrap().1, OpState::Cancelled, "the governor cancels even a queued operation");
        }

        #[ink::test]
        fn rotated_out_owners_stop_counting() {
            let mut s = splitter();
            let a = accounts();
            set_caller(a.alice);
            let pending = s.propose(timelock_op()).unwrap();
            s.approve(pending).unwrap();
            // Rotate: alice out, django in.
            let rotate = s.propose(Operation::SetOwners { owners: vec![a.bob, a.charlie, a.django], threshold: 2 }).unwrap();
            s.approve(rotate).unwrap();
            set_caller(a.bob);
            s.approve(rotate).unwrap();
            set_now(1_000);
            s.execute(rotate).unwrap();
            // Bob's approval joins alice's, but alice no longer counts.
            s.approve(pending).unwrap();
            assert_eq!(s.operation(pending).unwrap().1, OpState::Pending);
            set_caller(a.django);
            s.approve(pending).unwrap();
            assert_eq!(s.operation(pending).unwrap().1, OpState::Queued);
            set_caller(a.alice);
            assert_eq!(s.propose(timelock_op()), Err(Error::NotOwner));
        }

        #[ink::test]
        fn pause_is_quick_and_unpause_takes_the_full_path() {
            let mut s = splitter();
            let a = accounts();
            set_caller(a.django);
            assert_eq!(s.pause(), Err(Error::NotPauser));
            set_caller(a.charlie);
            assert_eq!(s.pause(), Ok(()));
            assert_eq!(s.withdraw(Asset::Native), Err(Error::Paused));
            assert_eq!(s.unpause(), Err(Error::NotAdmin));
            let other = s.propose(timelock_op()).unwrap();
            let unpause = s.propose(Operation::Unpause).unwrap();
            for who in [a.bob, a.charlie] {
                set_caller(who);
                s.approve(other).unwrap();
                s.approve(unpause).unwrap();
            }
            set_now(1_000);
            assert_eq!(s.execute(other), Err(Error::Paused), "only Unpause runs while paused");
            assert_eq!(s.execute(unpause), Ok(()));
            assert!(!s.paused());
            assert_eq!(s.execute(other), Ok(()));
        }

        #[ink::test]
        fn bad_proposals_never_collect_votes() {
            let mut s = splitter();
            let a = accounts();
            set_caller(a.alice);
            assert_eq!(s.propose(Operation::SetOwners { owners: vec![a.bob], threshold: 2 }), Err(Error::InvalidOwners));
            assert_eq!(
                s.propose(Operation::SetSplit { payees: vec![a.bob], shares: vec![1], keeper_fee_bps: MAX_KEEPER_FEE_BPS + 1 }),
                Err(Error::InvalidSplit)
            );
            assert_eq!(s.propose(Operation::SetTimelock { min_delay: 0, grace_period: 0 }), Err(Error::InvalidTimelock));
            assert_eq!(s.propose(Operation::SetGuardian { guardian: Some(AccountId::from([0u8; 32])) }), Err(Error::ZeroAccount));
            assert_eq!(s.approve([0u8; 32]), Err(Error::UnknownOperation));
        }
    }
}
