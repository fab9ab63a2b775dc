//! Payouts from a list: `account,amount,asset[,reference]` rows paid from the
//! keeper's account or a treasury's (`lode payout FILE.csv`, `POST /payouts`).
//!
//! * [`file`] reads and checks the whole list before anything is sent.
//! * [`pay`] writes every row to the store, sends them in extrinsics that fit
//!   a block (LODE with the token's `transfer_batch`, the native currency with
//!   `Utility::force_batch`), follows each to a finalized block, and resumes a
//!   payout that stopped anywhere without paying a row twice.
//! * [`receipt`] writes one receipt row per input row, and the reconciliation
//!   line that checks the store against the chain.

pub mod api;
pub mod file;
mod outcome;
mod pay;
pub mod receipt;

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use lode_splitter::Asset;

pub use outcome::TOKEN_REFUSED;
pub use pay::{pay, register, Payer, PayoutError, Report, ATTEMPTS};

use crate::store::NewPayoutRow;

/// A payout to run: its id and its checked rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRequest {
    /// Its id: rerunning an id resumes it and pays nothing twice.
    pub id: String,
    /// What it pays.
    pub rows: Vec<NewPayoutRow>,
}

impl PayoutRequest {
    /// A request for `rows`, with `id` or, without one, an id from the rows'
    /// digest: the same list run twice is the same payout.
    pub fn new(id: Option<String>, rows: Vec<NewPayoutRow>) -> Result<Self, BadId> {
        let id = match id {
            Some(id) => check_id(id)?,
            None => format!("list-{}", hex::encode(&digest(&rows)[..8])),
        };
        Ok(PayoutRequest { id, rows })
    }

    /// What the rows say, as one hash: an id run again with other rows is refused.
    pub fn digest(&self) -> [u8; 32] {
        digest(&self.rows)
    }
}

/// An id that cannot name a payout.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("payout id `{0}` is not usable: give 1 to 64 letters, digits, `-`, `_` or `.`")]
pub struct BadId(pub String);

fn check_id(id: String) -> Result<String, BadId> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(id)
    } else {
        Err(BadId(id.escape_debug().to_string()))
    }
}

fn digest(rows: &[NewPayoutRow]) -> [u8; 32] {
    use scale::Encode;
    let mut h = Blake2b::<U32>::new();
    h.update(b"lode-payout-v1");
    for r in rows {
        let asset: u8 = match r.asset {
            Asset::Lode => 0,
            Asset::Native => 1,
        };
        h.update((r.line, r.account.0, asset, r.amount, r.reference.as_deref().unwrap_or("")).encode());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::AccountId;

    fn row(line: u64, amount: u128) -> NewPayoutRow {
        NewPayoutRow { line, account: AccountId([line as u8; 32]), amount, asset: Asset::Lode, reference: None }
    }

    #[test]
    fn the_same_rows_make_the_same_id_and_other_rows_another() {
        let a = PayoutRequest::new(None, vec![row(1, 5), row(2, 6)]).unwrap();
        let b = PayoutRequest::new(None, vec![row(1, 5), row(2, 6)]).unwrap();
        let c = PayoutRequest::new(None, vec![row(1, 5), row(2, 7)]).unwrap();
        assert_eq!(a.id, b.id);
        assert!(a.id.starts_with("list-"), "{}", a.id);
        assert_ne!(a.id, c.id);
        assert_ne!(a.digest(), c.digest());
    }

    #[test]
    fn ids_are_checked() {
        assert_eq!(PayoutRequest::new(Some("april-2026.v2".into()), vec![row(1, 5)]).unwrap().id, "april-2026.v2");
        for bad in ["", "a b", "x/y", &"x".repeat(65)] {
            let e = PayoutRequest::new(Some(bad.into()), vec![row(1, 5)]).unwrap_err();
            assert!(e.to_string().contains("letters, digits"), "{e}");
        }
    }
}
