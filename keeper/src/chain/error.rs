//! Why the chain could not do what was asked, and whether asking again can help.

/// A failed chain operation. [`ChainError::retryable`] tells a caller whether to
/// try again (later, or on another endpoint) or to give up and report.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    /// The connection to the node failed or dropped. Another endpoint, or the
    /// same one later, may succeed.
    #[error("cannot reach the node ({endpoint}): {detail}")]
    Transport {
        /// Which endpoint.
        endpoint: String,
        /// What the transport said.
        detail: String,
    },
    /// The node did not answer in time.
    #[error("the node did not answer in time: {0}")]
    Timeout(String),
    /// The transaction pool refused the nonce (already used, or a transaction
    /// with it is pending at a higher priority). Re-sync the nonce and retry.
    #[error("the transaction pool refused nonce {nonce}: {detail}")]
    InvalidNonce {
        /// The nonce that was refused.
        nonce: u64,
        /// The pool's reason.
        detail: String,
    },
    /// The runtime refused the call (bad origin, out of gas, trapped contract,
    /// unknown code, unfunded account...). Retrying the same call will not help.
    #[error("the runtime rejected {what}: {detail}")]
    Rejected {
        /// What was being done.
        what: String,
        /// The runtime's error name plus any contract debug output.
        detail: String,
    },
    /// A constructor returned an error and the contract reverted.
    #[error("{what} reverted: contract returned error bytes 0x{data}")]
    Reverted {
        /// What was being done.
        what: String,
        /// Hex of the SCALE-encoded error.
        data: String,
    },
    /// A return value or event did not decode as expected.
    #[error("cannot decode chain data: {0}")]
    Decode(String),
    /// The request itself is wrong (an unknown block, an oversized call); the
    /// caller must change it.
    #[error("bad request: {0}")]
    BadInput(String),
    /// The backend has stopped (shutdown, or its thread died).
    #[error("the chain backend has stopped")]
    Stopped,
}

impl ChainError {
    /// Whether the same request may succeed if made again: on another
    /// endpoint, after a pause, or (for [`ChainError::InvalidNonce`]) with a
    /// re-synced nonce.
    pub fn retryable(&self) -> bool {
        matches!(self, ChainError::Transport { .. } | ChainError::Timeout(_) | ChainError::InvalidNonce { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retryable() {
        let transport = ChainError::Transport { endpoint: "ws://a".into(), detail: "reset".into() };
        assert!(transport.retryable());
        assert!(ChainError::Timeout("rpc".into()).retryable());
        assert!(ChainError::InvalidNonce { nonce: 3, detail: "1014".into() }.retryable());
        assert!(!ChainError::Rejected { what: "call".into(), detail: "ContractTrapped".into() }.retryable());
        assert!(!ChainError::BadInput("too big".into()).retryable());
        assert!(!ChainError::Stopped.retryable());
    }
}
