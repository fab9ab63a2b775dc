//! A proposal's state as a function of its record and the current block: plain
//! logic, tested natively.

use crate::types::{Closed, Proposal, ProposalState};

impl Proposal {
    /// The state at block `now`.
    pub fn state(&self, now: u32) -> ProposalState {
        match self.closed {
            Some(Closed::Canceled | Closed::Vetoed) => return ProposalState::Canceled,
            Some(Closed::Executed) => return ProposalState::Executed,
            None => {}
        }
        if now < self.vote_start {
            return ProposalState::Pending;
        }
        if now < self.vote_end {
            return ProposalState::Active;
        }
        if !self.passed() {
            return ProposalState::Defeated;
        }
        match self.eta {
            None => ProposalState::Succeeded,
            Some((_, expires_at)) if now > expires_at => ProposalState::Expired,
            Some(_) => ProposalState::Queued,
        }
    }

    /// More For than Against, and For + Abstain reach the quorum.
    pub fn passed(&self) -> bool {
        self.for_votes > self.against_votes && self.for_votes.saturating_add(self.abstain_votes) >= self.quorum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ink::primitives::AccountId;
    use proptest::prelude::*;

    fn proposal(for_votes: u128, against_votes: u128, abstain_votes: u128, quorum: u128) -> Proposal {
        Proposal {
            proposer: AccountId::from([1; 32]),
            actions: Default::default(),
            description_hash: [0; 32],
            snapshot: 9,
            vote_start: 12,
            vote_end: 20,
            quorum,
            for_votes,
            against_votes,
            abstain_votes,
            eta: None,
            closed: None,
        }
    }

    #[test]
    fn states_follow_the_clock() {
        let mut p = proposal(10, 5, 0, 10);
        assert_eq!(p.state(11), ProposalState::Pending);
        assert_eq!(p.state(12), ProposalState::Active);
        assert_eq!(p.state(19), ProposalState::Active);
        assert_eq!(p.state(20), ProposalState::Succeeded);
        p.eta = Some((25, 30));
        assert_eq!(p.state(24), ProposalState::Queued);
        assert_eq!(p.state(30), ProposalState::Queued);
        assert_eq!(p.state(31), ProposalState::Expired);
        p.closed = Some(Closed::Executed);
        assert_eq!(p.state(31), ProposalState::Executed);
        p.closed = Some(Closed::Vetoed);
        assert_eq!(p.state(31), ProposalState::Canceled);
    }

    #[test]
    fn quorum_counts_abstain_but_a_majority_needs_more_for_than_against() {
        assert_eq!(proposal(4, 3, 6, 10).state(20), ProposalState::Succeeded);
        assert_eq!(proposal(4, 3, 5, 10).state(20), ProposalState::Defeated, "quorum missed");
        assert_eq!(proposal(5, 5, 100, 10).state(20), ProposalState::Defeated, "a tie is no majority");
        assert_eq!(proposal(0, 0, 0, 0).state(20), ProposalState::Defeated, "nobody voted For");
    }

    proptest! {
        /// Once voting ends the outcome never changes with time, and a
        /// proposal never returns to an earlier state.
        #[test]
        fn states_only_move_forward(f in 0u128..100, a in 0u128..100, ab in 0u128..100, q in 0u128..150, eta in proptest::option::of((20u32..40, 0u32..10))) {
            let mut p = proposal(f, a, ab, q);
            p.eta = eta.map(|(eta, grace)| (eta, eta + grace));
            let rank = |s: ProposalState| match s {
                ProposalState::Pending => 0,
                ProposalState::Active => 1,
                ProposalState::Succeeded | ProposalState::Defeated => 2,
                ProposalState::Queued => 3,
                ProposalState::Expired => 4,
                _ => unreachable!(),
            };
            let mut last = 0;
            for now in 0..60 {
                let s = p.state(now);
                prop_assert!(rank(s) >= last, "went back to {:?} at {}", s, now);
                last = rank(s);
                if now >= p.vote_end {
                    prop_assert_eq!(p.passed(), !matches!(s, ProposalState::Defeated));
                }
            }
        }
    }
}
