//! # Governor
//!
//! ## Overview
//! DAO members, weighted by their staking voting power, govern upgrades and
//! parameters of every Lode contract, which all name the governor as admin.
//!
//! ## Life cycle (OpenZeppelin's states)
//! `propose(actions, description)` needs `proposal_threshold` power at the
//! previous block, which is also the proposal's snapshot. After
//! `voting_delay` blocks voting is open for `voting_period` blocks: `cast_vote`,
//! or EIP-712 ballots relayed in a batch with `cast_votes_by_sig`. A proposal
//! passes with more For than Against and For + Abstain ≥ `quorum_bps` of the
//! total power at the snapshot. `queue` starts the timelock; `execute` runs
//! every action, all or nothing, in `[eta, eta + grace_period]`; after that the
//! proposal has expired. The proposer may cancel while pending; the guardian
//! may veto until execution, except a proposal whose actions only change or
//! remove the guardian: a compromised guardian cannot keep itself in place.
//!
//! ## Relayed ballots
//! `cast_votes_by_sig` cannot be griefed: a ballot whose voter has already
//! voted on that proposal (say, copied out of the batch and relayed first) is
//! skipped and reported with a `BallotSkipped` event, and the rest still
//! count. An expired, forged or out-of-order ballot refuses the whole batch.
//!
//! ## Slashing cannot be escaped
//! A slash is a proposal, so it takes at least the governor's latency
//! (voting delay + voting period + timelock) to execute. Staking's unbonding
//! period must be longer, or a keeper could unbond and withdraw first. The
//! governor checks this in its constructor, in `set_params`, and after every
//! executed proposal (which reverts if it broke the rule, whether it changed
//! the governor's parameters or staking's).
//!
//! ## Upgrades
//! An `Upgrade` action calls the target's `upgrade(code_hash)` (or swaps the
//! governor's own code) and appends to that target's upgrade history, so a
//! rollback is a proposal naming the previous hash.
//!
//! ## Storage
//! Everything that changes lives in `Lazy` or `Mapping` cells with a
//! `ManualKey`, so a proposal that calls the governor itself (a parameter
//! change) is not overwritten when the outer `execute` stores its root, and
//! a later version adds state without changing the root's encoding.
//! Proposals are stored as a versioned [`StoredProposal`]
//! (`docs/contracts/upgrades.md`).
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod lifecycle;
mod types;

pub use types::{
    Action, BallotError, Closed, Error, GovernorParams, Proposal, ProposalState, Receipt, SignedBallot, StoredProposal, Support,
    UpgradeRecord, VoteError,
};

/// Most actions in one proposal.
pub const MAX_ACTIONS: usize = 10;
/// Longest `Call` input, bytes.
pub const MAX_INPUT_LEN: usize = 1_024;
/// Longest description, bytes.
pub const MAX_DESCRIPTION_LEN: usize = 4_096;
/// Most ballots in one `cast_votes_by_sig`; see `docs/contracts/governor.md`
/// for the measured weight.
pub const MAX_BALLOTS: usize = 20;
/// Most upgrade records kept per target (the oldest go first).
pub const MAX_HISTORY: usize = 32;
/// Longest delay, period or grace: 30 days of 6-second blocks.
pub const MAX_PERIOD_BLOCKS: u32 = 432_000;

impl GovernorParams {
    /// Whether every field is in range.
    pub fn is_valid(&self) -> bool {
        let periods = [self.voting_delay, self.voting_period, self.timelock_delay, self.grace_period];
        self.voting_period > 0 && self.grace_period > 0 && self.quorum_bps <= 10_000 && periods.iter().all(|p| *p <= MAX_PERIOD_BLOCKS)
    }

    /// Blocks from a proposal's creation to its earliest execution: voting
    /// delay + voting period + timelock. A slash can take no less.
    pub fn latency(&self) -> Option<u32> {
        self.voting_delay.checked_add(self.voting_period)?.checked_add(self.timelock_delay)
    }
}

#[ink::contract]
mod governor {
    use ink::env::hash::Blake2x256;
    use ink::prelude::{string::String, vec::Vec};
    use ink::storage::{traits::ManualKey, Lazy, Mapping};
    use lode_calls::CallError;
    use lode_primitives::eip712::{self, BallotMessage};
    use lode_primitives::math::mul_div;

    use super::*;

    /// Version of this contract's code, bumped on every behavioural change.
    pub const CODE_VERSION: u32 = 2;

    /// `set_guardian`'s selector: a proposal of only these cannot be vetoed.
    const SET_GUARDIAN: [u8; 4] = ink::selector_bytes!("set_guardian");

    #[ink(event)]
    pub struct ProposalCreated {
        #[ink(topic)]
        pub id: u64,
        #[ink(topic)]
        pub proposer: AccountId,
        pub actions: Vec<Action>,
        pub description: String,
        pub snapshot: u32,
        pub vote_start: u32,
        pub vote_end: u32,
        pub quorum: u128,
    }

    #[ink(event)]
    pub struct VoteCast {
        #[ink(topic)]
        pub id: u64,
        #[ink(topic)]
        pub voter: AccountId,
        pub support: Support,
        pub weight: u128,
        pub by_signature: bool,
    }

    /// A relayed ballot was skipped because its voter has already voted on
    /// that proposal; the rest of the batch counted.
    #[ink(event)]
    pub struct BallotSkipped {
        #[ink(topic)]
        pub id: u64,
        pub voter: AccountId,
        /// Position of the ballot in the relayed list.
        pub index: u32,
    }

    #[ink(event)]
    pub struct ProposalQueued {
        #[ink(topic)]
        pub id: u64,
        pub eta: u32,
        pub expires_at: u32,
    }

    #[ink(event)]
    pub struct ProposalExecuted {
        #[ink(topic)]
        pub id: u64,
    }

    #[ink(event)]
    pub struct ProposalCanceled {
        #[ink(topic)]
        pub id: u64,
        pub by: AccountId,
        pub vetoed: bool,
    }

    #[ink(event)]
    pub struct UpgradeRecorded {
        #[ink(topic)]
        pub target: AccountId,
        pub record: UpgradeRecord,
    }

    #[ink(event)]
    pub struct ParamsChanged {
        pub params: GovernorParams,
    }

    #[ink(event)]
    pub struct GuardianChanged {
        pub guardian: Option<AccountId>,
    }

    #[ink(event)]
    pub struct GuardedChanged {
        #[ink(topic)]
        pub contract: AccountId,
        pub guarded: bool,
    }

    #[ink(event)]
    pub struct Upgraded {
        pub old: Hash,
        pub new: Hash,
    }

    #[ink(storage)]
    pub struct Governor {
        staking: AccountId,
        chain_id: u64,
        params: Lazy<GovernorParams, ManualKey<0x4c4f_0301>>,
        guardian: Lazy<Option<AccountId>, ManualKey<0x4c4f_0302>>,
        /// Contracts the alerts contract may pause.
        guarded: Lazy<Vec<AccountId>, ManualKey<0x4c4f_0303>>,
        proposal_count: Lazy<u64, ManualKey<0x4c4f_0304>>,
        proposals: Mapping<u64, StoredProposal, ManualKey<0x4c4f_0305>>,
        /// `(proposal, voter)` → how it voted and with what weight.
        receipts: Mapping<(u64, AccountId), Receipt, ManualKey<0x4c4f_0306>>,
        ballot_nonces: Mapping<AccountId, u64, ManualKey<0x4c4f_0307>>,
        history: Mapping<AccountId, Vec<UpgradeRecord>, ManualKey<0x4c4f_0308>>,
    }

    impl Governor {
        /// A governor reading voting power from `staking`. `chain_id` goes into
        /// the EIP-712 domain of ballots; `guarded` lists the contracts alerts
        /// may pause.
        #[ink(constructor)]
        pub fn new(
            staking: AccountId,
            chain_id: u64,
            params: GovernorParams,
            guardian: Option<AccountId>,
            guarded: Vec<AccountId>,
        ) -> Result<Self, Error> {
            for account in [staking].iter().chain(guardian.iter()).chain(guarded.iter()) {
                lode_calls::ensure_nonzero(account)?;
            }
            if !params.is_valid() {
                return Err(Error::InvalidParams);
            }
            ensure_slashable(staking, &params)?;
            let mut me = Self {
                staking,
                chain_id,
                params: Lazy::new(),
                guardian: Lazy::new(),
                guarded: Lazy::new(),
                proposal_count: Lazy::new(),
                proposals: Mapping::new(),
                receipts: Mapping::new(),
                ballot_nonces: Mapping::new(),
                history: Mapping::new(),
            };
            me.params.set(&params);
            me.guardian.set(&guardian);
            me.guarded.set(&guarded);
            me.proposal_count.set(&0);
            Ok(me)
        }

        // ---- Proposals ----

        /// Creates a proposal; returns its id. Needs `proposal_threshold` voting
        /// power at the previous block.
        #[ink(message)]
        pub fn propose(&mut self, actions: Vec<Action>, description: String) -> Result<u64, Error> {
            let proposer = self.env().caller();
            if actions.is_empty() || actions.len() > MAX_ACTIONS || actions.iter().any(too_long) {
                return Err(Error::InvalidActions);
            }
            if description.len() > MAX_DESCRIPTION_LEN {
                return Err(Error::DescriptionTooLong);
            }
            let params = self.params();
            let now = self.env().block_number();
            let snapshot = now.checked_sub(1).ok_or(Error::Overflow)?;
            let power = lode_calls::voting_power_at(self.staking, proposer, snapshot).map_err(staking_error)?;
            if power < params.proposal_threshold {
                return Err(Error::BelowProposalThreshold);
            }
            let total = lode_calls::total_power_at(self.staking, snapshot).map_err(staking_error)?;
            let quorum = mul_div(total, u128::from(params.quorum_bps), 10_000).ok_or(Error::Overflow)?;
            let vote_start = now.checked_add(params.voting_delay).ok_or(Error::Overflow)?;
            let vote_end = vote_start.checked_add(params.voting_period).ok_or(Error::Overflow)?;
            let id = self.proposal_count.get().unwrap_or(0);
            self.proposal_count.set(&id.checked_add(1).ok_or(Error::Overflow)?);
            let proposal = Proposal {
                proposer,
                actions: actions.clone(),
                description_hash: self.env().hash_bytes::<Blake2x256>(description.as_bytes()),
                snapshot,
                vote_start,
                vote_end,
                quorum,
                for_votes: 0,
                against_votes: 0,
                abstain_votes: 0,
                eta: None,
                closed: None,
            };
            self.store(id, proposal);
            self.env().emit_event(ProposalCreated { id, proposer, actions, description, snapshot, vote_start, vote_end, quorum });
            Ok(id)
        }

        /// Votes on an active proposal with the caller's power at its snapshot.
        /// Returns the weight counted.
        #[ink(message)]
        pub fn cast_vote(&mut self, id: u64, support: Support) -> Result<u128, Error> {
            self.count_vote(id, self.env().caller(), support, false).map_err(Error::Vote)
        }

        /// Counts EIP-712 ballots signed off-chain, relayed by anyone. A ballot
        /// whose voter already voted on its proposal is skipped
        /// (`BallotSkipped`); any other refused ballot fails the whole call,
        /// naming its index and why. Returns how many were counted.
        #[ink(message)]
        pub fn cast_votes_by_sig(&mut self, ballots: Vec<SignedBallot>) -> Result<u32, Error> {
            if ballots.len() > MAX_BALLOTS {
                return Err(Error::TooManyBallots);
            }
            let now_ms = self.env().block_timestamp();
            let mut counted = 0u32;
            for (i, ballot) in ballots.iter().enumerate() {
                let index = u32::try_from(i).map_err(|_| Error::Overflow)?;
                let refuse = |reason| Error::Ballot { index, reason };
                if ballot.deadline < now_ms {
                    return Err(refuse(BallotError::Expired));
                }
                let digest = self.ballot_digest(ballot.proposal_id, ballot.support, ballot.nonce, ballot.deadline);
                let voter = lode_calls::recover_signer(&ballot.signature, &digest).ok_or(refuse(BallotError::InvalidSignature))?;
                // Before the nonce: a copy relayed first has used it up.
                if self.receipts.contains((ballot.proposal_id, voter)) {
                    self.env().emit_event(BallotSkipped { id: ballot.proposal_id, voter, index });
                    continue;
                }
                let nonce = self.ballot_nonce(voter);
                if ballot.nonce != nonce {
                    return Err(refuse(BallotError::BadNonce));
                }
                self.ballot_nonces.insert(voter, &nonce.checked_add(1).ok_or(Error::Overflow)?);
                self.count_vote(ballot.proposal_id, voter, ballot.support, true).map_err(|e| refuse(BallotError::Vote(e)))?;
                counted = counted.checked_add(1).ok_or(Error::Overflow)?;
            }
            Ok(counted)
        }

        /// Starts the timelock of a succeeded proposal.
        #[ink(message)]
        pub fn queue(&mut self, id: u64) -> Result<(), Error> {
            let mut proposal = self.proposal_or_err(id)?;
            let now = self.env().block_number();
            let state = proposal.state(now);
            if state != ProposalState::Succeeded {
                return Err(Error::WrongState(state));
            }
            let params = self.params();
            let eta = now.checked_add(params.timelock_delay).ok_or(Error::Overflow)?;
            let expires_at = eta.checked_add(params.grace_period).ok_or(Error::Overflow)?;
            proposal.eta = Some((eta, expires_at));
            self.store(id, proposal);
            self.env().emit_event(ProposalQueued { id, eta, expires_at });
            Ok(())
        }

        /// Runs a queued proposal's actions in order, all or nothing, in
        /// `[eta, expires_at]`. Anyone may call.
        #[ink(message)]
        pub fn execute(&mut self, id: u64) -> Result<(), Error> {
            let mut proposal = self.proposal_or_err(id)?;
            let now = self.env().block_number();
            let state = proposal.state(now);
            if state != ProposalState::Queued {
                return Err(Error::WrongState(state));
            }
            if proposal.eta.is_some_and(|(eta, _)| now < eta) {
                return Err(Error::TooEarly);
            }
            // Recorded before the actions run, so a re-entering action finds it executed.
            proposal.closed = Some(Closed::Executed);
            let actions = proposal.actions.clone();
            self.store(id, proposal);
            for (i, action) in actions.iter().enumerate() {
                let index = u32::try_from(i).map_err(|_| Error::Overflow)?;
                self.perform(id, action).map_err(|_| Error::ActionFailed { index })?;
            }
            // Whatever the actions changed (these parameters, staking's), a
            // slash must still be able to catch a keeper that unbonds.
            ensure_slashable(self.staking, &self.params())?;
            self.env().emit_event(ProposalExecuted { id });
            Ok(())
        }

        /// The proposer withdraws its proposal before voting starts.
        #[ink(message)]
        pub fn cancel(&mut self, id: u64) -> Result<(), Error> {
            let mut proposal = self.proposal_or_err(id)?;
            let caller = self.env().caller();
            if caller != proposal.proposer {
                return Err(Error::NotProposer);
            }
            let state = proposal.state(self.env().block_number());
            if state != ProposalState::Pending {
                return Err(Error::WrongState(state));
            }
            proposal.closed = Some(Closed::Canceled);
            self.store(id, proposal);
            self.env().emit_event(ProposalCanceled { id, by: caller, vetoed: false });
            Ok(())
        }

        /// The guardian vetoes a proposal at any point before execution, unless
        /// its actions only change or remove the guardian.
        #[ink(message)]
        pub fn veto(&mut self, id: u64) -> Result<(), Error> {
            let caller = self.env().caller();
            if Some(caller) != self.guardian() {
                return Err(Error::NotGuardian);
            }
            let mut proposal = self.proposal_or_err(id)?;
            let state = proposal.state(self.env().block_number());
            if matches!(state, ProposalState::Canceled | ProposalState::Executed | ProposalState::Expired | ProposalState::Defeated) {
                return Err(Error::WrongState(state));
            }
            let me = self.env().account_id();
            let sets_guardian =
                |a: &Action| matches!(a, Action::Call { target, selector, .. } if *target == me && *selector == SET_GUARDIAN);
            if proposal.actions.iter().all(sets_guardian) {
                return Err(Error::GuardianChangeNotVetoable);
            }
            proposal.closed = Some(Closed::Vetoed);
            self.store(id, proposal);
            self.env().emit_event(ProposalCanceled { id, by: caller, vetoed: true });
            Ok(())
        }

        // ---- Reads ----

        /// A proposal's state now; `None` for an unknown id.
        #[ink(message)]
        pub fn state(&self, id: u64) -> Option<ProposalState> {
            self.proposal(id).map(|p| p.state(self.env().block_number()))
        }

        /// A proposal as stored.
        #[ink(message)]
        pub fn proposal(&self, id: u64) -> Option<Proposal> {
            self.proposals.get(id).map(StoredProposal::into_current)
        }

        /// How `voter` voted on `id`, and with what weight.
        #[ink(message)]
        pub fn receipt(&self, id: u64, voter: AccountId) -> Option<Receipt> {
            self.receipts.get((id, voter))
        }

        /// Proposals created so far (ids are `0..count`).
        #[ink(message)]
        pub fn proposal_count(&self) -> u64 {
            self.proposal_count.get().unwrap_or(0)
        }

        /// The nonce `voter`'s next signed ballot must carry.
        #[ink(message)]
        pub fn ballot_nonce(&self, voter: AccountId) -> u64 {
            self.ballot_nonces.get(voter).unwrap_or(0)
        }

        /// The EIP-712 digest a voter signs (`docs/contracts/governor.md`).
        #[ink(message)]
        pub fn ballot_digest(&self, id: u64, support: Support, nonce: u64, deadline: u64) -> [u8; 32] {
            let me = self.env().account_id();
            let domain = eip712::Domain { name: eip712::GOVERNOR_NAME, chain_id: self.chain_id, contract: me.as_ref() };
            let message = BallotMessage { proposal_id: id, support: support.number(), nonce, deadline };
            eip712::signing_hash(lode_calls::keccak256, &domain, &message)
        }

        /// Upgrades executed on `target`, oldest first.
        #[ink(message)]
        pub fn upgrade_history(&self, target: AccountId) -> Vec<UpgradeRecord> {
            self.history.get(target).unwrap_or_default()
        }

        /// Whether alerts may pause `contract`.
        #[ink(message)]
        pub fn is_guarded(&self, contract: AccountId) -> bool {
            self.guarded.get().unwrap_or_default().contains(&contract)
        }

        /// Contracts alerts may pause.
        #[ink(message)]
        pub fn guarded(&self) -> Vec<AccountId> {
            self.guarded.get().unwrap_or_default()
        }

        #[ink(message)]
        pub fn params(&self) -> GovernorParams {
            self.params.get().unwrap_or(GovernorParams {
                voting_delay: 0,
                voting_period: 1,
                proposal_threshold: u128::MAX,
                quorum_bps: 10_000,
                timelock_delay: 0,
                grace_period: 1,
            })
        }

        #[ink(message)]
        pub fn guardian(&self) -> Option<AccountId> {
            self.guardian.get().flatten()
        }

        #[ink(message)]
        pub fn staking(&self) -> AccountId {
            self.staking
        }

        #[ink(message)]
        pub fn chain_id(&self) -> u64 {
            self.chain_id
        }

        /// The governor administers itself: changes come from executed proposals.
        #[ink(message)]
        pub fn admin(&self) -> AccountId {
            self.env().account_id()
        }

        #[ink(message)]
        pub fn code_version(&self) -> u32 {
            CODE_VERSION
        }

        // ---- Governance of the governor (executed proposals only) ----

        #[ink(message)]
        pub fn set_params(&mut self, params: GovernorParams) -> Result<(), Error> {
            self.ensure_self()?;
            if !params.is_valid() {
                return Err(Error::InvalidParams);
            }
            ensure_slashable(self.staking, &params)?;
            self.params.set(&params);
            self.env().emit_event(ParamsChanged { params });
            Ok(())
        }

        #[ink(message)]
        pub fn set_guardian(&mut self, guardian: Option<AccountId>) -> Result<(), Error> {
            self.ensure_self()?;
            if let Some(guardian) = &guardian {
                lode_calls::ensure_nonzero(guardian)?;
            }
            self.guardian.set(&guardian);
            self.env().emit_event(GuardianChanged { guardian });
            Ok(())
        }

        /// Adds `contract` to, or removes it from, what alerts may pause.
        #[ink(message)]
        pub fn set_guarded(&mut self, contract: AccountId, guarded: bool) -> Result<(), Error> {
            self.ensure_self()?;
            let mut list = self.guarded.get().unwrap_or_default();
            list.retain(|c| *c != contract);
            if guarded {
                list.push(contract);
            }
            self.guarded.set(&list);
            self.env().emit_event(GuardedChanged { contract, guarded });
            Ok(())
        }

        /// Swaps the governor's own code; only through an executed proposal.
        #[ink(message)]
        pub fn upgrade(&mut self, code_hash: Hash) -> Result<(), Error> {
            let old = lode_calls::upgrade_as_admin(&self.env().account_id(), &self.env().caller(), &code_hash)?;
            self.env().emit_event(Upgraded { old, new: code_hash });
            Ok(())
        }

        // ---- Internals ----

        fn count_vote(&mut self, id: u64, voter: AccountId, support: Support, by_signature: bool) -> Result<u128, VoteError> {
            let mut proposal = self.proposal(id).ok_or(VoteError::UnknownProposal)?;
            if proposal.state(self.env().block_number()) != ProposalState::Active {
                return Err(VoteError::NotActive);
            }
            if self.receipts.contains((id, voter)) {
                return Err(VoteError::AlreadyVoted);
            }
            // Unreachable staking reads as no power: the vote is refused, not miscounted.
            let weight = lode_calls::voting_power_at(self.staking, voter, proposal.snapshot).unwrap_or(0);
            if weight == 0 {
                return Err(VoteError::NoVotingPower);
            }
            let tally = match support {
                Support::For => &mut proposal.for_votes,
                Support::Against => &mut proposal.against_votes,
                Support::Abstain => &mut proposal.abstain_votes,
            };
            // Σ weights ≤ total staked LODE, far below u128::MAX.
            *tally = tally.saturating_add(weight);
            self.store(id, proposal);
            self.receipts.insert((id, voter), &Receipt { support, weight });
            self.env().emit_event(VoteCast { id, voter, support, weight, by_signature });
            Ok(weight)
        }

        fn perform(&mut self, id: u64, action: &Action) -> Result<(), CallError> {
            match action {
                Action::Upgrade { target, code_hash } => {
                    let old = self.env().code_hash(target).map_err(|_| CallError::Unreachable)?;
                    if *target == self.env().account_id() {
                        let swapped = lode_calls::replace_code(code_hash).ok_or(CallError::Rejected)?;
                        self.env().emit_event(Upgraded { old: swapped, new: *code_hash });
                    } else {
                        lode_calls::upgrade(*target, *code_hash)?;
                    }
                    self.record_upgrade(*target, UpgradeRecord { old, new: *code_hash, proposal_id: id, block: self.env().block_number() });
                    Ok(())
                }
                Action::Call { target, selector, input, value } => lode_calls::call_raw(*target, *selector, input.clone(), *value),
            }
        }

        fn record_upgrade(&mut self, target: AccountId, record: UpgradeRecord) {
            let mut list = self.history.get(target).unwrap_or_default();
            if list.len() >= MAX_HISTORY {
                list.remove(0);
            }
            list.push(record);
            self.history.insert(target, &list);
            self.env().emit_event(UpgradeRecorded { target, record });
        }

        fn proposal_or_err(&self, id: u64) -> Result<Proposal, Error> {
            self.proposal(id).ok_or(Error::UnknownProposal)
        }

        fn store(&mut self, id: u64, proposal: Proposal) {
            self.proposals.insert(id, &StoredProposal::V1(proposal));
        }

        fn ensure_self(&self) -> Result<(), Error> {
            Ok(lode_calls::ensure_admin(&self.env().account_id(), &self.env().caller())?)
        }
    }

    /// The one home of the slashing rule: staking's unbonding period must be
    /// longer than `params`' latency, so a slash proposed when a keeper
    /// unbonds executes before its stake unlocks.
    fn ensure_slashable(staking: AccountId, params: &GovernorParams) -> Result<(), Error> {
        let unbonding_period = lode_calls::unbonding_period(staking).map_err(staking_error)?;
        let latency = params.latency().ok_or(Error::Overflow)?;
        if unbonding_period <= latency {
            return Err(Error::SlashingEscapable { unbonding_period, latency });
        }
        Ok(())
    }

    fn too_long(action: &Action) -> bool {
        matches!(action, Action::Call { input, .. } if input.len() > MAX_INPUT_LEN)
    }

    fn staking_error(_: CallError) -> Error {
        Error::StakingUnreachable
    }
}
