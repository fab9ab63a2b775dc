//! What wallets post to the relayer, and every reason it is refused before
//! any fee is spent.

use lode_governor::{SignedBallot, Support};
use lode_splitter::SignedVote;
use serde::Deserialize;

pub use crate::http::Refusal;

/// A splitter owner's signed approval (or cancellation) of an operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// The operation, 0x-prefixed 32-byte hex.
    pub op_id: String,
    /// `true`: an `Approval`; `false`: a `Cancellation`.
    pub approve: bool,
    /// The signer's vote nonce on the splitter.
    pub nonce: u64,
    /// Last valid block timestamp, ms since the Unix epoch.
    pub deadline: u64,
    /// 65 bytes `r ‖ s ‖ v`, 0x-prefixed hex.
    pub signature: String,
}

/// A signed governor ballot.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotRequest {
    /// The proposal.
    pub proposal_id: u64,
    /// `"against"`, `"for"` or `"abstain"`.
    pub support: String,
    /// The voter's ballot nonce on the governor.
    pub nonce: u64,
    /// Last valid block timestamp, ms since the Unix epoch.
    pub deadline: u64,
    /// 65 bytes `r ‖ s ‖ v`, 0x-prefixed hex.
    pub signature: String,
}

/// A request checked for form, ready for the signature checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relayable {
    /// To `approve_by_signatures` (or `cancel_by_signatures`).
    Vote {
        /// The operation.
        op_id: [u8; 32],
        /// Approval or cancellation.
        approve: bool,
        /// The signed vote.
        vote: SignedVote,
    },
    /// To `cast_votes_by_sig`.
    Ballot(SignedBallot),
}

impl Relayable {
    /// The signature's deadline.
    pub fn deadline(&self) -> u64 {
        match self {
            Relayable::Vote { vote, .. } => vote.deadline,
            Relayable::Ballot(b) => b.deadline,
        }
    }

    /// The nonce it carries.
    pub fn nonce(&self) -> u64 {
        match self {
            Relayable::Vote { vote, .. } => vote.nonce,
            Relayable::Ballot(b) => b.nonce,
        }
    }

    /// Which contract's nonces it uses: `"splitter"` or `"governor"`.
    pub fn contract(&self) -> &'static str {
        match self {
            Relayable::Vote { .. } => "splitter",
            Relayable::Ballot(_) => "governor",
        }
    }
}

fn hex_bytes<const N: usize>(field: &str, text: &str) -> Result<[u8; N], Refusal> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits).map_err(|_| Refusal::bad("bad_request", format!("{field} is not hex")))?;
    let len = bytes.len();
    bytes.try_into().map_err(|_| Refusal::bad("bad_request", format!("{field} has {len} bytes, not {N}")))
}

impl VoteRequest {
    /// Checks its form.
    pub fn parse(self) -> Result<Relayable, Refusal> {
        let vote = SignedVote { nonce: self.nonce, deadline: self.deadline, signature: hex_bytes::<65>("signature", &self.signature)? };
        Ok(Relayable::Vote { op_id: hex_bytes::<32>("op_id", &self.op_id)?, approve: self.approve, vote })
    }
}

impl BallotRequest {
    /// Checks its form.
    pub fn parse(self) -> Result<Relayable, Refusal> {
        let support = match self.support.as_str() {
            "against" => Support::Against,
            "for" => Support::For,
            "abstain" => Support::Abstain,
            other => {
                return Err(Refusal::bad("bad_request", format!("support is {other:?}; use \"for\", \"against\" or \"abstain\"")));
            }
        };
        Ok(Relayable::Ballot(SignedBallot {
            proposal_id: self.proposal_id,
            support,
            nonce: self.nonce,
            deadline: self.deadline,
            signature: hex_bytes::<65>("signature", &self.signature)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_fields_are_named() {
        let vote = |op_id: &str, signature: &str| VoteRequest {
            op_id: op_id.into(),
            approve: true,
            nonce: 0,
            deadline: 1,
            signature: signature.into(),
        };
        let good_sig = format!("0x{}", "11".repeat(65));
        assert!(vote(&format!("0x{}", "22".repeat(32)), &good_sig).parse().is_ok());
        let err = vote("0x1234", &good_sig).parse().unwrap_err();
        assert_eq!((err.code, err.message.as_str()), ("bad_request", "op_id has 2 bytes, not 32"));
        let err = vote(&format!("0x{}", "22".repeat(32)), "0xzz").parse().unwrap_err();
        assert_eq!(err.message, "signature is not hex");
        let ballot = BallotRequest { proposal_id: 1, support: "yes".into(), nonce: 0, deadline: 1, signature: good_sig };
        assert!(ballot.parse().unwrap_err().message.contains("use \"for\", \"against\" or \"abstain\""));
    }
}
