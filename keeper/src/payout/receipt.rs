//! The receipt: one row per input row, as CSV (`lode payout --receipt`) or
//! JSON (`GET /payouts/{id}`), and the reconciliation line.

use std::fmt;
use std::io::Write;

use lode_splitter::Asset;
use serde::Serialize;

use super::file::{asset_name, format_amount};
use super::Report;
use crate::keys::ss58;
use crate::store::{PayoutRow, PayoutState};

/// One receipt row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptRow {
    /// The input row's line.
    pub line: u64,
    /// The payee, SS58.
    pub account: String,
    /// The amount, in whole units.
    pub amount: String,
    /// `LODE` or `native`.
    pub asset: &'static str,
    /// The input's reference.
    pub reference: Option<String>,
    /// `paid`, `failed`, `sent` (not yet known) or `pending` (not sent).
    pub status: &'static str,
    /// The finalized block that paid or refused it.
    pub block: Option<u64>,
    /// The extrinsic that carried it last, hex.
    pub extrinsic: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

impl From<&PayoutRow> for ReceiptRow {
    fn from(r: &PayoutRow) -> Self {
        ReceiptRow {
            line: r.row.line,
            account: ss58(&r.row.account),
            amount: format_amount(r.row.amount),
            asset: asset_name(r.row.asset),
            reference: r.row.reference.clone(),
            status: r.state.name(),
            block: r.block.map(|b| b.number),
            extrinsic: r.submission.map(|s| format!("0x{}", hex::encode(s.tx.hash))),
            // A paid row's error is an earlier attempt's, not the receipt's business.
            error: if r.state == PayoutState::Paid { None } else { r.error.clone() },
        }
    }
}

/// Writes the receipt of `rows` as CSV with a header.
pub fn write_csv(rows: &[PayoutRow], out: impl Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    for r in rows {
        w.serialize(ReceiptRow::from(r))?;
    }
    w.flush()?;
    Ok(())
}

/// Counts and sums of a payout's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Rows in the payout.
    pub rows: usize,
    /// Rows paid.
    pub paid: usize,
    /// Rows refused on chain.
    pub failed: usize,
    /// Rows not settled: not sent, or sent and not yet found.
    pub unsettled: usize,
    /// LODE paid, whole units.
    pub paid_lode: String,
    /// Native currency paid, whole units.
    pub paid_native: String,
}

impl Totals {
    /// The totals of `rows`.
    pub fn of(rows: &[PayoutRow]) -> Self {
        let sum = |asset: Asset| {
            rows.iter().filter(|r| r.state == PayoutState::Paid && r.row.asset == asset).fold(0u128, |s, r| s.saturating_add(r.row.amount))
        };
        let count = |state: PayoutState| rows.iter().filter(|r| r.state == state).count();
        let (paid, failed) = (count(PayoutState::Paid), count(PayoutState::Failed));
        Totals {
            rows: rows.len(),
            paid,
            failed,
            unsettled: rows.len().saturating_sub(paid).saturating_sub(failed),
            paid_lode: format_amount(sum(Asset::Lode)),
            paid_native: format_amount(sum(Asset::Native)),
        }
    }
}

/// The reconciliation line: totals, then what the chain confirmed.
pub struct Reconciliation<'a>(pub &'a Report);

impl fmt::Display for Reconciliation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        let t = Totals::of(&r.rows);
        write!(
            f,
            "payout {}: paid {} of {} rows ({} LODE, {} native), failed {}, unsettled {}; checked against the chain: {} extrinsic(s), {} mismatch(es)",
            r.id,
            t.paid,
            t.rows,
            t.paid_lode,
            t.paid_native,
            t.failed,
            t.unsettled,
            r.extrinsics_checked,
            r.mismatches.len()
        )
    }
}
