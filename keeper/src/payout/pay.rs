//! Paying a registered list: find what may have landed, send what has not,
//! follow each extrinsic to a finalized block.
//!
//! A row is sent again only when its last extrinsic is proven never to land:
//! its signer's nonce is used, in a finalized block, by something else. An
//! extrinsic that is only late is cancelled with an empty batch under the same
//! nonce, so that one of the two lands and the next round can tell which.
//! Statuses the pool reports (dropped, invalid, a lost subscription) decide
//! nothing: they leave the row `sent` for the next round to find on chain.
//!
//! Two runs of one payout at once (a rerun while the first still works) are
//! safe without a lock: a row is marked sent only from pending or failed, in
//! the same write that records its extrinsic, so only one run can send it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use lode_splitter::Asset;
use serde_json::json;

use super::file::{asset_name, format_amount};
use super::outcome::row_outcomes;
use super::PayoutRequest;
use crate::audit::{Action, AuditHook};
use crate::chain::{
    AccountId, Chain, ChainError, Limits, Located, RecordTx, SignedTx, Tx, TxCall, TxResult, TxStatus, TxWatch, DRY_RUN_MARGIN_PERCENT,
};
use crate::contracts::{ContractError, TokenClient};
use crate::keys::{ss58, Signer};
use crate::runtime::now_ms;
use crate::store::{NewPayoutRow, PayoutRow, PayoutState, RowOutcome, Store, StoreError, Submission};

/// Rounds of sending a run makes by default: rows whose extrinsic was lost
/// are sent again in the next round.
pub const ATTEMPTS: u32 = 3;

/// Rows per extrinsic. The splitter settles 100 payees with one
/// `transfer_batch`, inside its own call; alone, 100 fit with room to spare,
/// and so do 100 native transfers.
const MAX_BATCH: usize = 100;

/// How long to wait for an extrinsic from an earlier run to reach a
/// finalized block before replacing it.
const LATE_WAIT: Duration = Duration::from_secs(15);

/// How long to follow one extrinsic before leaving it to the next round.
const FOLLOW_LIMIT: Duration = Duration::from_secs(120);

/// Who pays, on which chain.
#[derive(Clone)]
pub struct Payer {
    /// The chain.
    pub chain: Arc<dyn Chain>,
    /// The LODE token.
    pub token: TokenClient,
    /// The paying account's key.
    pub signer: Signer,
}

/// Why a payout could not run. Rows already paid stay paid; running the same
/// list again continues where it stopped.
#[derive(Debug, thiserror::Error)]
pub enum PayoutError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chain.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A contract read.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The id was used for other rows.
    #[error("payout `{id}` was started with other rows; nothing was sent: run this list under its own id (--id)")]
    OtherRows {
        /// The id.
        id: String,
    },
    /// The id is paid from another account.
    #[error("payout `{id}` is paid from {payer}; nothing was sent: run it with that account's key")]
    OtherPayer {
        /// The id.
        id: String,
        /// Its payer.
        payer: String,
    },
    /// The payer cannot cover the rows still to pay.
    #[error("{payer} holds {held} {asset} and the rows still to pay need {needed}{fees}; nothing was sent: fund it or remove rows, then run again")]
    Insufficient {
        /// The payer.
        payer: String,
        /// Which asset.
        asset: &'static str,
        /// What it holds.
        held: String,
        /// What the rows need.
        needed: String,
        /// A note on fees, for the native currency.
        fees: &'static str,
    },
}

/// A payout's rows as they ended, and the check of every settled row
/// against the chain.
#[derive(Debug, Clone)]
pub struct Report {
    /// The payout.
    pub id: String,
    /// Every row, by line.
    pub rows: Vec<PayoutRow>,
    /// Extrinsics found on chain again for the check.
    pub extrinsics_checked: usize,
    /// Rows whose stored outcome the chain does not confirm.
    pub mismatches: Vec<String>,
}

/// Writes `request`'s rows to the store, paid by `payer`, before anything is
/// sent; a request registered before must have the same rows and payer.
pub async fn register(store: &Store, request: &PayoutRequest, payer: AccountId) -> Result<(), PayoutError> {
    let id = &request.id;
    match store.register_payout(id, request.digest(), payer, &request.rows, now_ms()).await? {
        Some((digest, _)) if digest != request.digest() => Err(PayoutError::OtherRows { id: id.to_owned() }),
        Some((_, registered)) if registered != payer => Err(PayoutError::OtherPayer { id: id.to_owned(), payer: ss58(&registered) }),
        _ => Ok(()),
    }
}

/// Pays `request` from `payer`: registers it (or resumes it), sends in up to
/// `attempts` rounds, and checks the outcome against the chain.
pub async fn pay(payer: &Payer, store: &Store, audit: &AuditHook, request: &PayoutRequest, attempts: u32) -> Result<Report, PayoutError> {
    let run = Run { payer, store, audit, id: &request.id, me: payer.signer.account_id() };
    run.pay(request, attempts).await
}

struct Run<'a> {
    payer: &'a Payer,
    store: &'a Store,
    audit: &'a AuditHook,
    id: &'a str,
    me: AccountId,
}

/// An extrinsic sent, and the rows it carries.
struct Flight {
    tx: SignedTx,
    asset: Asset,
    rows: Vec<NewPayoutRow>,
    watch: TxWatch,
}

impl Run<'_> {
    async fn pay(&self, request: &PayoutRequest, attempts: u32) -> Result<Report, PayoutError> {
        let store = self.store;
        let id = self.id;
        register(store, request, self.me).await?;
        // Rows the chain refused in an earlier run are tried once more; paid ones never.
        let mut retry_failed = true;
        for round in 0..=attempts {
            let last = round == attempts;
            self.resolve(!last).await?;
            if last {
                break;
            }
            let rows = store.payout_rows(id).await?;
            let todo: Vec<&PayoutRow> =
                rows.iter().filter(|r| r.state == PayoutState::Pending || (retry_failed && r.state == PayoutState::Failed)).collect();
            retry_failed = false;
            if todo.is_empty() {
                if rows.iter().all(|r| r.state != PayoutState::Sent) {
                    break;
                }
                continue;
            }
            if round == 0 {
                self.check_funds(&todo).await?;
            }
            let mut flights = Vec::new();
            for (asset, batch) in batches(&todo) {
                match self.send(asset, batch).await {
                    Ok(f) => flights.push(f),
                    // Recorded rows stay `sent` and are found next round; the rest stay pending.
                    Err(e) => tracing::warn!("payout {id}: a batch was not sent ({e}); the next round tries again"),
                }
            }
            self.follow_all(flights).await?;
        }
        self.report().await
    }

    /// Finds every `sent` row's extrinsic. One that landed settles its rows,
    /// one that never will puts them back to pending, and one still out of
    /// sight after [`LATE_WAIT`] is cancelled (when `cancel`), for the next
    /// round to find either it or the cancellation.
    async fn resolve(&self, cancel: bool) -> Result<(), PayoutError> {
        let rows = self.store.payout_rows(self.id).await?;
        let mut by_tx: BTreeMap<[u8; 32], (Submission, Vec<NewPayoutRow>)> = BTreeMap::new();
        for r in rows.into_iter().filter(|r| r.state == PayoutState::Sent) {
            let Some(sub) = r.submission else { continue };
            by_tx.entry(sub.tx.hash).or_insert_with(|| (sub, Vec::new())).1.push(r.row);
        }
        for (hash, (sub, rows)) in by_tx {
            let Some(asset) = rows.first().map(|r| r.asset) else { continue };
            match self.locate_waiting(&sub).await? {
                Located::Included { block, result } => self.settle(&sub.tx, asset, &rows, &result, block).await?,
                Located::Superseded => {
                    let why = "its extrinsic never landed (its nonce was used by another); sent again";
                    let outcomes: Vec<_> = rows.iter().map(|r| (r.line, RowOutcome::Unsent(why.into()))).collect();
                    self.store.record_payout_outcomes(self.id, &hash, &outcomes).await?;
                }
                Located::Pending if cancel => self.cancel(&sub).await,
                Located::Pending => {}
            }
        }
        Ok(())
    }

    /// Sends an empty batch with `sub`'s nonce and a tip (payouts send none), as a wallet
    /// cancels a transaction: whichever of the two lands uses the nonce, so
    /// the rows' extrinsic either landed or never will, and the rows' own
    /// record is left as it is for the next round to judge.
    async fn cancel(&self, sub: &Submission) {
        let tx = Tx { call: TxCall::Transfers { payments: Vec::new() }, tip: 1, replaces: Some(sub.tx.nonce) };
        match self.payer.chain.submit(&self.payer.signer, tx, &mut ()).await {
            Ok(_) => tracing::info!("payout {}: an extrinsic from an earlier run is late; sent a cancellation with its nonce", self.id),
            // Most often the nonce is used meanwhile, perhaps by the extrinsic itself.
            Err(e) => tracing::info!("payout {}: cancelling a late extrinsic failed ({e}); looking again next round", self.id),
        }
    }

    async fn locate_waiting(&self, sub: &Submission) -> Result<Located, PayoutError> {
        let deadline = tokio::time::Instant::now() + LATE_WAIT;
        loop {
            let found = self.payer.chain.locate(&sub.tx, sub.sent_at_block).await?;
            if found != Located::Pending || tokio::time::Instant::now() >= deadline {
                return Ok(found);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Refuses before anything is sent when the payer cannot cover `todo`.
    async fn check_funds(&self, todo: &[&PayoutRow]) -> Result<(), PayoutError> {
        for asset in [Asset::Lode, Asset::Native] {
            let needed = todo.iter().filter(|r| r.row.asset == asset).fold(0u128, |s, r| s.saturating_add(r.row.amount));
            if needed == 0 {
                continue;
            }
            // The native payer must also keep its existential deposit and pay fees: `<=`.
            let (held, fees, short) = match asset {
                Asset::Lode => {
                    let held = self.payer.token.balance_of(self.me).await?;
                    (held, "", held < needed)
                }
                Asset::Native => {
                    let held = self.payer.chain.balance(self.me).await?;
                    (held, " plus fees", held <= needed)
                }
            };
            if short {
                return Err(PayoutError::Insufficient {
                    payer: ss58(&self.me),
                    asset: asset_name(asset),
                    held: format_amount(held),
                    needed: format_amount(needed),
                    fees,
                });
            }
        }
        Ok(())
    }

    /// Signs and sends one extrinsic for `rows`, recording it first.
    async fn send(&self, asset: Asset, rows: Vec<NewPayoutRow>) -> Result<Flight, PayoutError> {
        let payments: Vec<(AccountId, u128)> = rows.iter().map(|r| (r.account, r.amount)).collect();
        let call = match asset {
            Asset::Native => TxCall::Transfers { payments },
            Asset::Lode => {
                let (input, dry) = self.payer.token.measure_transfer_batch(self.me, &payments).await?;
                TxCall::Contract {
                    contract: self.payer.token.0.address(),
                    value: 0,
                    input,
                    limits: Limits::from_dry_run(&dry, DRY_RUN_MARGIN_PERCENT),
                }
            }
        };
        let sent_at_block = self.payer.chain.head().await?.number;
        let mut record = Record { store: self.store, id: self.id, lines: rows.iter().map(|r| r.line).collect(), sent_at_block, tx: None };
        let watch = self.payer.chain.submit(&self.payer.signer, Tx::from(call), &mut record).await?;
        let tx = record.tx.ok_or_else(|| ChainError::BadInput("the chain sent an extrinsic without recording it".into()))?;
        Ok(Flight { tx, asset, rows, watch })
    }

    async fn follow_all(&self, flights: Vec<Flight>) -> Result<(), PayoutError> {
        let results = futures::future::join_all(flights.into_iter().map(|f| self.follow(f))).await;
        results.into_iter().collect()
    }

    /// Follows one extrinsic to its finalized block. Anything short of that
    /// leaves its rows `sent`, for the next round to find on chain.
    async fn follow(&self, mut flight: Flight) -> Result<(), PayoutError> {
        let mut result: Option<TxResult> = None;
        let deadline = tokio::time::Instant::now() + FOLLOW_LIMIT;
        loop {
            let status = match tokio::time::timeout_at(deadline, flight.watch.next()).await {
                Ok(Some(s)) => s,
                Ok(None) | Err(_) => return Ok(()),
            };
            match status {
                TxStatus::InBlock { result: r, .. } => result = Some(r),
                TxStatus::Retracted { .. } => result = None,
                TxStatus::Finalized { block } => {
                    return match result {
                        Some(r) => self.settle(&flight.tx, flight.asset, &flight.rows, &r, block).await,
                        // Finalized without a best block seen: the next round reads it from the chain.
                        None => Ok(()),
                    };
                }
                TxStatus::Dropped { reason } | TxStatus::Invalid { reason } => {
                    tracing::info!("payout {}: the pool gave up an extrinsic ({reason}); finding it on chain next round", self.id);
                    return Ok(());
                }
            }
        }
    }

    /// Records what a finalized extrinsic did for each of its rows.
    async fn settle(
        &self,
        tx: &SignedTx,
        asset: Asset,
        rows: &[NewPayoutRow],
        result: &TxResult,
        block: crate::chain::BlockRef,
    ) -> Result<(), PayoutError> {
        let outcomes = row_outcomes(&self.payer.token, tx.signer, asset, rows, result, block);
        self.store.record_payout_outcomes(self.id, &tx.hash, &outcomes).await?;
        let (mut paid, mut failed, mut amount) = (0u32, 0u32, 0u128);
        for ((_, outcome), row) in outcomes.iter().zip(rows) {
            match outcome {
                RowOutcome::Paid(_) => {
                    paid = paid.saturating_add(1);
                    amount = amount.saturating_add(row.amount);
                }
                _ => failed = failed.saturating_add(1),
            }
        }
        self.audit.record(
            Action::Payout,
            json!({
                "payout": self.id,
                "extrinsic": format!("0x{}", hex::encode(tx.hash)),
                "block": block.number,
                "asset": asset_name(asset),
                "paid": paid,
                "failed": failed,
                "amount": amount.to_string(),
            }),
        );
        Ok(())
    }

    /// The rows as they ended, each settled one checked on chain again.
    async fn report(&self) -> Result<Report, PayoutError> {
        let rows = self.store.payout_rows(self.id).await?;
        let mut by_tx: BTreeMap<[u8; 32], (Submission, Vec<&PayoutRow>)> = BTreeMap::new();
        for r in rows.iter().filter(|r| matches!(r.state, PayoutState::Paid | PayoutState::Failed)) {
            if let Some(sub) = r.submission {
                by_tx.entry(sub.tx.hash).or_insert_with(|| (sub, Vec::new())).1.push(r);
            }
        }
        let mut mismatches = Vec::new();
        for (sub, settled) in by_tx.values() {
            let Some(asset) = settled.first().map(|r| r.row.asset) else { continue };
            let hash = format!("0x{}", hex::encode(sub.tx.hash));
            let (block, result) = match self.payer.chain.locate(&sub.tx, sub.sent_at_block).await? {
                Located::Included { block, result } => (block, result),
                other => {
                    mismatches.push(format!("extrinsic {hash} is not in a finalized block ({other:?})"));
                    continue;
                }
            };
            let carried: Vec<NewPayoutRow> = settled.iter().map(|r| r.row.clone()).collect();
            let outcomes = row_outcomes(&self.payer.token, sub.tx.signer, asset, &carried, &result, block);
            for ((_, chain_says), stored) in outcomes.iter().zip(settled) {
                let agrees = match chain_says {
                    RowOutcome::Paid(b) => stored.state == PayoutState::Paid && stored.block == Some(*b),
                    RowOutcome::Failed(b, _) => stored.state == PayoutState::Failed && stored.block == Some(*b),
                    RowOutcome::Unsent(_) => false,
                };
                if !agrees {
                    mismatches.push(format!(
                        "line {}: the store says {}, extrinsic {hash} says otherwise",
                        stored.row.line,
                        stored.state.name()
                    ));
                }
            }
        }
        Ok(Report { id: self.id.to_owned(), extrinsics_checked: by_tx.len(), mismatches, rows })
    }
}

/// Rows to send, by asset and line, in extrinsics of at most [`MAX_BATCH`].
fn batches(todo: &[&PayoutRow]) -> Vec<(Asset, Vec<NewPayoutRow>)> {
    let mut out = Vec::new();
    for asset in [Asset::Lode, Asset::Native] {
        let rows: Vec<NewPayoutRow> = todo.iter().filter(|r| r.row.asset == asset).map(|r| r.row.clone()).collect();
        out.extend(rows.chunks(MAX_BATCH).map(|c| (asset, c.to_vec())));
    }
    out
}

/// Writes the rows' extrinsic to the store before it leaves.
struct Record<'a> {
    store: &'a Store,
    id: &'a str,
    lines: Vec<u64>,
    sent_at_block: u64,
    tx: Option<SignedTx>,
}

#[async_trait::async_trait]
impl RecordTx for Record<'_> {
    async fn record(&mut self, tx: &SignedTx) -> Result<(), String> {
        self.store.record_payout_sent(self.id, &self.lines, tx, self.sent_at_block).await.map_err(|e| e.to_string())?;
        self.tx = Some(*tx);
        Ok(())
    }
}
