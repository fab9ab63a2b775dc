//! Reconciliation: the ledger against the chain. Run on a schedule (the
//! `reconcile` job, which raises an alert on a mismatch) and by hand with
//! `lode ledger reconcile`.

use std::fmt;

use lode_splitter::Asset;

use super::{owed_by_payee, SettleError, ASSETS};
use crate::alerting::{Finding, Level, Rule};
use crate::chain::{AccountId, Chain};

use crate::contracts::{Book, Contracts};
use crate::keys::ss58;
use crate::runtime::{Context, Job};
use crate::store::{asset_name, BatchId, BatchState, Store};

/// Something the ledger and the chain disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The ledger holds a receipt for a batch the splitter does not know.
    SettledNotOnChain {
        /// The batch.
        batch: BatchId,
        /// The keeper the receipt names.
        keeper: AccountId,
    },
    /// The splitter's books do not add up to what its payees are owed.
    BooksDisagree {
        /// Which asset.
        asset: Asset,
        /// The books' Σ owed.
        book_owed: u128,
        /// Σ `owed(payee)` over the split's payees.
        payees_owed: u128,
    },
    /// The splitter holds less than its books say it owes.
    Unbacked {
        /// Which asset.
        asset: Asset,
        /// What it holds.
        held: u128,
        /// What it owes (owed + fees + remainder).
        accounted: u128,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::SettledNotOnChain { batch, keeper } => write!(
                f,
                "the ledger says batch 0x{} was settled by {}, but the splitter has no such batch",
                hex::encode(batch),
                ss58(keeper)
            ),
            Mismatch::BooksDisagree { asset, book_owed, payees_owed } => {
                write!(f, "{}: the splitter's books owe payees {book_owed}, its payees are owed {payees_owed}", asset_name(*asset))
            }
            Mismatch::Unbacked { asset, held, accounted } => {
                write!(f, "{}: the splitter holds {held} but owes {accounted}", asset_name(*asset))
            }
        }
    }
}

/// One asset's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetLine {
    /// Which asset.
    pub asset: Asset,
    /// Σ receipts in the ledger.
    pub ledger_paid: u128,
    /// The splitter's books.
    pub book: Book,
    /// What the splitter holds.
    pub held: u128,
    /// Payees owed something now.
    pub payees_owed: usize,
}

/// What reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Batches in the ledger.
    pub batches: usize,
    /// Of which settled.
    pub settled: usize,
    /// Payees paid, by the ledger.
    pub payees_paid: usize,
    /// Payees whose transfer failed, by the ledger.
    pub payees_failed: usize,
    /// Per asset.
    pub assets: Vec<AssetLine>,
    /// Disagreements; empty when the ledger and the chain agree.
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "ledger: {} batches, {} settled, {} open; {} payees paid, {} failed",
            self.batches,
            self.settled,
            self.batches.saturating_sub(self.settled),
            self.payees_paid,
            self.payees_failed
        )?;
        for a in &self.assets {
            writeln!(
                f,
                "{:<6} paid by the ledger {}; splitter holds {}, owes payees {} ({} payees), fees {}, remainder {}",
                asset_name(a.asset),
                a.ledger_paid,
                a.held,
                a.book.owed,
                a.payees_owed,
                a.book.fees,
                a.book.remainder
            )?;
        }
        if self.mismatches.is_empty() {
            write!(f, "the ledger agrees with the chain")
        } else {
            for m in &self.mismatches {
                writeln!(f, "MISMATCH: {m}")?;
            }
            write!(f, "{} mismatch(es) between the ledger and the chain", self.mismatches.len())
        }
    }
}

/// Compares the ledger in `store` with the splitter on `chain`.
pub async fn reconcile(store: &Store, contracts: &Contracts, chain: &dyn Chain) -> Result<Report, SettleError> {
    let splitter = &contracts.splitter;
    let batches = store.ledger_batches(false).await?;
    let mut report = Report { batches: batches.len(), ..Report::default() };
    for b in &batches {
        report.payees_paid += b.payees.iter().filter(|p| p.2 == crate::store::PayeeOutcome::Paid).count();
        report.payees_failed += b.payees.iter().filter(|p| p.2 == crate::store::PayeeOutcome::Failed).count();
        if b.state != BatchState::Settled {
            continue;
        }
        report.settled += 1;
        for r in &b.receipts {
            if !splitter.batch_settled(r.keeper, b.id).await? {
                report.mismatches.push(Mismatch::SettledNotOnChain { batch: b.id, keeper: r.keeper });
            }
        }
    }
    for asset in ASSETS {
        let book = splitter.book(asset).await?;
        let owed = owed_by_payee(splitter, asset).await?;
        let payees_owed = owed.iter().fold(0u128, |sum, (_, o)| sum.saturating_add(*o));
        let owing = owed.iter().filter(|(_, o)| *o > 0).count();
        // Payees dropped from the split keep what they were owed; the books
        // count them, the split does not: only more owed than booked is wrong.
        if payees_owed > book.owed {
            report.mismatches.push(Mismatch::BooksDisagree { asset, book_owed: book.owed, payees_owed });
        }
        let held = match asset {
            Asset::Lode => contracts.token.balance_of(splitter.address()).await?,
            Asset::Native => chain.balance(splitter.address()).await?,
        };
        let accounted = book.accounted().unwrap_or(u128::MAX);
        if held < accounted {
            report.mismatches.push(Mismatch::Unbacked { asset, held, accounted });
        }
        let ledger_paid = batches.iter().filter(|b| b.asset == asset).fold(0u128, |s, b| s.saturating_add(b.paid()));
        report.assets.push(AssetLine { asset, ledger_paid, book, held, payees_owed: owing });
    }
    Ok(report)
}

/// The `reconcile` job: reconciles and raises an alert on any mismatch.
pub struct ReconcileJob {
    store: Store,
}

impl ReconcileJob {
    /// A job over the ledger in `store`.
    pub fn new(store: Store) -> Self {
        ReconcileJob { store }
    }
}

#[async_trait::async_trait]
impl Job for ReconcileJob {
    fn name(&self) -> &'static str {
        "reconcile"
    }

    async fn run(&self, ctx: &Context) -> Result<(), String> {
        let report = reconcile(&self.store, &ctx.contracts, &*ctx.chain).await.map_err(|e| e.to_string())?;
        if report.mismatches.is_empty() {
            tracing::info!(batches = report.batches, settled = report.settled, "reconcile: the ledger agrees with the chain");
        } else {
            let list = report.mismatches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            let finding = Finding::new(Rule::ReconcileMismatch, Level::Critical, format!("ledger and chain disagree: {list}"))
                .about(ctx.contracts.splitter.address())
                .with(serde_json::json!({ "mismatches": report.mismatches.iter().map(ToString::to_string).collect::<Vec<_>>() }));
            ctx.alerts.raise(finding);
        }
        Ok(())
    }
}
