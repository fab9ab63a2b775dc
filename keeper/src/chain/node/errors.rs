//! subxt's errors, sorted by whether a retry can help.

use subxt::error::{Error as SubxtError, RpcError};

use crate::chain::ChainError;

/// Maps a subxt error met while doing `what` on `endpoint`.
pub fn classify(e: SubxtError, endpoint: &str, what: &str) -> ChainError {
    let transport = |detail: String| ChainError::Transport { endpoint: endpoint.to_owned(), detail };
    match e {
        SubxtError::Io(io) => transport(io.to_string()),
        SubxtError::Rpc(RpcError::SubscriptionDropped) => transport("the subscription was dropped".into()),
        SubxtError::Rpc(RpcError::LimitReached) => ChainError::Timeout(format!("{what}: the node's request limit was reached")),
        SubxtError::Rpc(RpcError::ClientError(rpc)) => classify_rpc(rpc, endpoint, what),
        SubxtError::Runtime(d) => ChainError::Rejected { what: what.to_owned(), detail: d.to_string() },
        other => ChainError::Rejected { what: what.to_owned(), detail: other.to_string() },
    }
}

/// Maps an error from the RPC layer.
pub fn classify_rpc(e: subxt::ext::subxt_rpcs::Error, endpoint: &str, what: &str) -> ChainError {
    use subxt::ext::subxt_rpcs::Error as Rpc;
    match e {
        Rpc::Client(c) => ChainError::Transport { endpoint: endpoint.to_owned(), detail: c.to_string() },
        Rpc::DisconnectedWillReconnect(d) => ChainError::Transport { endpoint: endpoint.to_owned(), detail: d },
        Rpc::User(u) => {
            let data = u.data.as_ref().map(|d| d.get().to_owned()).unwrap_or_default();
            let detail = format!("{} ({}){}", u.message, u.code, if data.is_empty() { String::new() } else { format!(": {data}") });
            if is_nonce_problem(u.code, &detail) {
                ChainError::InvalidNonce { nonce: 0, detail }
            } else {
                ChainError::Rejected { what: what.to_owned(), detail }
            }
        }
        other => ChainError::Rejected { what: what.to_owned(), detail: other.to_string() },
    }
}

/// The pool's refusals that a fresh nonce cures: 1014 "Priority is too low"
/// (a transaction with this nonce is already pending), and 1010 "Invalid
/// Transaction" with a stale (already used) nonce, which the node words as
/// "Transaction is outdated".
fn is_nonce_problem(code: i32, detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    code == 1014 || (code == 1010 && (detail.contains("stale") || detail.contains("outdated")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_refusals_about_nonces_are_retryable_others_not() {
        assert!(is_nonce_problem(1014, "Priority is too low: (2 vs 2)"));
        assert!(is_nonce_problem(1010, "Invalid Transaction: Transaction is outdated: \"Stale\""));
        // As contracts-node 0.42 words it, seen when a block was imported
        // between reading the next index and submitting.
        assert!(is_nonce_problem(1010, "Invalid Transaction (1010): \"Transaction is outdated\""));
        assert!(!is_nonce_problem(1010, "Invalid Transaction: Inability to pay some fees"));
        assert!(!is_nonce_problem(-32601, "Method not found"));
    }
}
