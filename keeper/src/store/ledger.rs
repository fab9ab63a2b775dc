//! The settlement ledger: each batch is written before it is sent, each
//! submission before it leaves, and each outcome from a confirmed block, so a
//! keeper that crashes anywhere resumes from here. Leases say which keeper
//! works on what; on PostgreSQL, several keepers share one ledger.

use std::collections::{HashMap, HashSet};

use lode_splitter::Asset;
use sqlx::any::AnyRow;

use super::convert::{column, from_sql_u64, hash_from_sql, to_sql_u64};
use super::{Store, StoreError, StoreKind};
use crate::chain::{AccountId, BlockRef, SignedTx};
use crate::watcher::Cursor;

/// A batch id: the splitter accepts each once per keeper.
pub type BatchId = [u8; 32];

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchState {
    /// Written, not sent (or sent and lost: to be sent again).
    Planned,
    /// Sent; not yet seen in a block.
    Submitted,
    /// In a best block, not yet confirmed.
    Included,
    /// Its `Settled` event is in a confirmed block.
    Settled,
}

impl BatchState {
    /// Its name in the ledger and in reports.
    pub fn name(self) -> &'static str {
        match self {
            BatchState::Planned => "planned",
            BatchState::Submitted => "submitted",
            BatchState::Included => "included",
            BatchState::Settled => "settled",
        }
    }

    fn from_sql(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "planned" => BatchState::Planned,
            "submitted" => BatchState::Submitted,
            "included" => BatchState::Included,
            "settled" => BatchState::Settled,
            other => return Err(corrupt("settle_batches", "state", format!("unknown state {other:?}"))),
        })
    }
}

/// How one payee of a batch fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayeeOutcome {
    /// Not known yet.
    Pending,
    /// Paid.
    Paid,
    /// Its transfer failed; it stays owed on chain.
    Failed,
}

impl PayeeOutcome {
    fn from_sql(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => PayeeOutcome::Pending,
            "paid" => PayeeOutcome::Paid,
            "failed" => PayeeOutcome::Failed,
            other => return Err(corrupt("settle_payees", "outcome", format!("unknown outcome {other:?}"))),
        })
    }
}

/// A batch about to be written: who it pays and what each was owed then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBatch {
    /// Its id.
    pub id: BatchId,
    /// Which asset.
    pub asset: Asset,
    /// Payees and what each was owed when planned.
    pub payees: Vec<(AccountId, u128)>,
}

/// The last submission of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submission {
    /// The extrinsic as signed.
    pub tx: SignedTx,
    /// The best block number when it was sent.
    pub sent_at_block: u64,
}

/// One `Settled` event for a ledger batch, from a confirmed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The batch.
    pub batch_id: BatchId,
    /// The keeper that settled it.
    pub keeper: AccountId,
    /// The confirmed block it is in.
    pub block: BlockRef,
    /// Payees paid.
    pub paid: u32,
    /// Payees that failed.
    pub failed: u32,
    /// Amount paid.
    pub amount: u128,
}

/// A batch as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerBatch {
    /// Its id.
    pub id: BatchId,
    /// Which asset.
    pub asset: Asset,
    /// Where it stands.
    pub state: BatchState,
    /// When it was planned, unix ms.
    pub planned_ms: u64,
    /// Its last submission, if it was ever sent.
    pub submission: Option<Submission>,
    /// The tip its last submission offered.
    pub tip: u128,
    /// How many times it was sent.
    pub attempts: u32,
    /// The best block it was seen in.
    pub block: Option<BlockRef>,
    /// The keeper working on it, and until when (unix ms).
    pub lease: (String, u64),
    /// Payees, what each was owed when planned, and how each fared.
    pub payees: Vec<(AccountId, u128, PayeeOutcome)>,
    /// Its `Settled` events.
    pub receipts: Vec<Receipt>,
}

impl LedgerBatch {
    /// `batch` as [`Store::plan_batches`] writes it for `owner`, leased
    /// until `until_ms`: what reading it back would give.
    pub fn planned(batch: &PlannedBatch, owner: &str, now_ms: u64, until_ms: u64) -> Self {
        let mut payees: Vec<(AccountId, u128, PayeeOutcome)> =
            batch.payees.iter().map(|(p, owed)| (*p, *owed, PayeeOutcome::Pending)).collect();
        // In the order the ledger reads them back.
        payees.sort_by_key(|p| p.0 .0);
        LedgerBatch {
            id: batch.id,
            asset: batch.asset,
            state: BatchState::Planned,
            planned_ms: now_ms,
            submission: None,
            tip: 0,
            attempts: 0,
            block: None,
            lease: (owner.to_owned(), until_ms),
            payees,
            receipts: Vec::new(),
        }
    }

    /// What its receipts say was paid.
    pub fn paid(&self) -> u128 {
        self.receipts.iter().fold(0u128, |sum, r| sum.saturating_add(r.amount))
    }

    /// Whether it is still being worked on.
    pub fn open(&self) -> bool {
        self.state != BatchState::Settled
    }
}

/// What a confirmed block says about the ledger's batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettledInBlock {
    /// `Settled` events, in order.
    pub receipts: Vec<Receipt>,
    /// `(batch, payee)` of each `SettlementFailed` event.
    pub failed: Vec<(BatchId, AccountId)>,
}

/// The asset's name in the ledger.
pub fn asset_name(asset: Asset) -> &'static str {
    match asset {
        Asset::Native => "native",
        Asset::Lode => "lode",
    }
}

pub(super) fn asset_from_sql(s: &str) -> Result<Asset, StoreError> {
    match s {
        "native" => Ok(Asset::Native),
        "lode" => Ok(Asset::Lode),
        other => Err(corrupt("settle_batches", "asset", format!("unknown asset {other:?}"))),
    }
}

pub(super) fn corrupt(table: &'static str, column: &'static str, why: String) -> StoreError {
    StoreError::Corrupt { table, column, why }
}

pub(super) fn amount_from_sql(text: &str, table: &'static str, column: &'static str) -> Result<u128, StoreError> {
    text.parse().map_err(|_| corrupt(table, column, format!("{text:?} is not an amount")))
}

pub(super) fn account_from_sql(bytes: Vec<u8>, table: &'static str, column: &'static str) -> Result<AccountId, StoreError> {
    hash_from_sql(bytes, table, column).map(AccountId)
}

pub(super) fn query_failed(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Query { what, source }
}

fn short(id: &BatchId) -> String {
    format!("batch 0x{}…", hex::encode(&id[..4]))
}

fn ms(value: u64, what: &str) -> Result<i64, StoreError> {
    to_sql_u64(value, || what.to_owned())
}

const BATCHES: &str = "settle_batches";
const OPEN: &str = "state <> 'settled'";

impl Store {
    /// Writes `batches` as planned, leased to `owner` until `until_ms`, in
    /// one transaction: all or none.
    pub async fn plan_batches(&self, batches: &[PlannedBatch], owner: &str, now_ms: u64, until_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_failed("starting to plan batches"))?;
        for b in batches {
            sqlx::query(
                "INSERT INTO settle_batches (id, asset, state, planned_ms, lease_owner, lease_until_ms) VALUES ($1, $2, 'planned', $3, $4, $5)",
            )
            .bind(&b.id[..])
            .bind(asset_name(b.asset))
            .bind(ms(now_ms, "the planning time")?)
            .bind(owner)
            .bind(ms(until_ms, "the lease expiry")?)
            .execute(&mut *tx)
            .await
            .map_err(query_failed(format!("writing {}", short(&b.id))))?;
            for (payee, owed) in &b.payees {
                sqlx::query("INSERT INTO settle_payees (batch_id, payee, planned, outcome) VALUES ($1, $2, $3, 'pending')")
                    .bind(&b.id[..])
                    .bind(&payee.0[..])
                    .bind(owed.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(query_failed(format!("writing a payee of {}", short(&b.id))))?;
            }
        }
        tx.commit().await.map_err(query_failed("committing planned batches"))
    }

    /// Renews `owner`'s leases on open batches and takes over those whose
    /// lease ran out, until `until_ms`. Returns the ids `owner` now holds.
    ///
    /// On PostgreSQL the rows are locked with `FOR UPDATE SKIP LOCKED`, so
    /// keepers claiming at once never block on, nor take, each other's rows.
    pub async fn claim_batches(&self, owner: &str, now_ms: u64, until_ms: u64) -> Result<Vec<BatchId>, StoreError> {
        let now = ms(now_ms, "the time")?;
        let until = ms(until_ms, "the lease expiry")?;
        let what = "claiming batches";
        let rows = match self.kind {
            StoreKind::Postgres => {
                let mut tx = self.pool.begin().await.map_err(query_failed(what))?;
                let rows = sqlx::query(&format!(
                    "SELECT id FROM settle_batches WHERE {OPEN} AND (lease_owner = $1 OR lease_until_ms < $2) \
                     ORDER BY planned_ms FOR UPDATE SKIP LOCKED"
                ))
                .bind(owner)
                .bind(now)
                .fetch_all(&mut *tx)
                .await
                .map_err(query_failed(what))?;
                for row in &rows {
                    let id: Vec<u8> = column(row, BATCHES, "id")?;
                    sqlx::query("UPDATE settle_batches SET lease_owner = $1, lease_until_ms = $2 WHERE id = $3")
                        .bind(owner)
                        .bind(until)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_failed(what))?;
                }
                tx.commit().await.map_err(query_failed(what))?;
                rows
            }
            // SQLite serializes writers: one conditional UPDATE is the lock.
            StoreKind::Sqlite => sqlx::query(&format!(
                "UPDATE settle_batches SET lease_owner = $1, lease_until_ms = $3 \
                 WHERE {OPEN} AND (lease_owner = $1 OR lease_until_ms < $2) RETURNING id"
            ))
            .bind(owner)
            .bind(now)
            .bind(until)
            .fetch_all(&self.pool)
            .await
            .map_err(query_failed(what))?,
        };
        rows.into_iter().map(|r| hash_from_sql(column(&r, BATCHES, "id")?, BATCHES, "id")).collect()
    }

    /// Records that batch `id` is about to be sent as `tx` with `tip`, if
    /// `owner` still holds its lease: the caller sends only after this
    /// succeeds. Fails with [`StoreError::LeaseLost`] otherwise.
    pub async fn record_submission(
        &self,
        id: &BatchId,
        owner: &str,
        now_ms: u64,
        tx: &SignedTx,
        tip: u128,
        sent_at_block: u64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(&format!(
            "UPDATE settle_batches SET state = 'submitted', keeper = $1, tx_hash = $2, nonce = $3, tip = $4, sent_at_block = $5, \
             attempts = attempts + 1, block_number = NULL, block_hash = NULL \
             WHERE id = $6 AND {OPEN} AND lease_owner = $7 AND lease_until_ms >= $8"
        ))
        .bind(&tx.signer.0[..])
        .bind(&tx.hash[..])
        .bind(to_sql_u64(tx.nonce, || "the nonce".into())?)
        .bind(tip.to_string())
        .bind(to_sql_u64(sent_at_block, || "the block number".into())?)
        .bind(&id[..])
        .bind(owner)
        .bind(ms(now_ms, "the time")?)
        .execute(&self.pool)
        .await
        .map_err(query_failed(format!("recording the submission of {}", short(id))))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::LeaseLost { what: short(id) });
        }
        Ok(())
    }

    /// Records that batch `id`'s extrinsic `tx_hash` is in best block `block`.
    pub async fn record_inclusion(&self, id: &BatchId, tx_hash: &[u8; 32], block: BlockRef) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE settle_batches SET state = 'included', block_number = $1, block_hash = $2 \
             WHERE id = $3 AND tx_hash = $4 AND state IN ('submitted', 'included')",
        )
        .bind(to_sql_u64(block.number, || "the block number".into())?)
        .bind(&block.hash[..])
        .bind(&id[..])
        .bind(&tx_hash[..])
        .execute(&self.pool)
        .await
        .map_err(query_failed(format!("recording the inclusion of {}", short(id))))?;
        Ok(())
    }

    /// Puts batches included in `block_hash` back in flight: it left the best chain.
    pub async fn record_retraction(&self, block_hash: &[u8; 32]) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE settle_batches SET state = 'submitted', block_number = NULL, block_hash = NULL \
             WHERE state = 'included' AND block_hash = $1",
        )
        .bind(&block_hash[..])
        .execute(&self.pool)
        .await
        .map_err(query_failed("recording a retracted block"))?;
        Ok(done.rows_affected())
    }

    /// Marks batch `id` to be sent again: its extrinsic was dropped or can
    /// no longer be included. Only if it has not settled meanwhile.
    pub async fn replan(&self, id: &BatchId, owner: &str) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE settle_batches SET state = 'planned', block_number = NULL, block_hash = NULL \
             WHERE id = $1 AND {OPEN} AND lease_owner = $2"
        ))
        .bind(&id[..])
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(query_failed(format!("re-planning {}", short(id))))?;
        Ok(())
    }

    /// Applies what confirmed block `block` says about ledger batches and
    /// moves cursor `cursor_name` to it, in one transaction. Idempotent: a
    /// block applied twice (two keepers, or a replay after a crash) changes
    /// nothing the second time. Events of batches the ledger does not hold
    /// are ignored.
    pub async fn apply_settled(
        &self,
        block: BlockRef,
        found: &SettledInBlock,
        cursor_name: &str,
        cursor: &Cursor,
    ) -> Result<Vec<Receipt>, StoreError> {
        let what = || format!("applying block #{}", block.number);
        let mut recorded = Vec::new();
        let number = to_sql_u64(block.number, || "the block number".into())?;
        let mut tx = self.pool.begin().await.map_err(query_failed(what()))?;
        for (batch, payee) in &found.failed {
            sqlx::query("UPDATE settle_payees SET outcome = 'failed' WHERE batch_id = $1 AND payee = $2")
                .bind(&batch[..])
                .bind(&payee.0[..])
                .execute(&mut *tx)
                .await
                .map_err(query_failed(what()))?;
        }
        for r in &found.receipts {
            let inserted = sqlx::query(
                "INSERT INTO settle_receipts (batch_id, keeper, block_number, block_hash, paid, failed, amount) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM settle_batches WHERE id = $1) \
                 ON CONFLICT (batch_id, keeper) DO NOTHING",
            )
            .bind(&r.batch_id[..])
            .bind(&r.keeper.0[..])
            .bind(number)
            .bind(&block.hash[..])
            .bind(i64::from(r.paid))
            .bind(i64::from(r.failed))
            .bind(r.amount.to_string())
            .execute(&mut *tx)
            .await
            .map_err(query_failed(what()))?;
            if inserted.rows_affected() == 0 {
                continue;
            }
            recorded.push(*r);
            // Payees not named failed in this block were paid (or owed nothing).
            sqlx::query("UPDATE settle_payees SET outcome = 'paid' WHERE batch_id = $1 AND outcome = 'pending'")
                .bind(&r.batch_id[..])
                .execute(&mut *tx)
                .await
                .map_err(query_failed(what()))?;
            sqlx::query("UPDATE settle_batches SET state = 'settled', block_number = $1, block_hash = $2 WHERE id = $3")
                .bind(number)
                .bind(&block.hash[..])
                .bind(&r.batch_id[..])
                .execute(&mut *tx)
                .await
                .map_err(query_failed(what()))?;
        }
        super::cursor::save_cursor_in(&mut *tx, cursor_name, cursor).await?;
        tx.commit().await.map_err(query_failed(what()))?;
        Ok(recorded)
    }

    /// Every batch, or only the open ones, oldest first, with payees and receipts.
    pub async fn ledger_batches(&self, only_open: bool) -> Result<Vec<LedgerBatch>, StoreError> {
        let filter = if only_open { format!("WHERE {OPEN}") } else { String::new() };
        let rows = sqlx::query(&format!(
            "SELECT id, asset, state, planned_ms, keeper, tx_hash, nonce, tip, sent_at_block, attempts, block_number, block_hash, \
             lease_owner, lease_until_ms FROM settle_batches {filter} ORDER BY planned_ms, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(query_failed("reading the ledger"))?;
        let mut batches = rows.iter().map(batch_from_row).collect::<Result<Vec<_>, _>>()?;
        let index: HashMap<BatchId, usize> = batches.iter().enumerate().map(|(i, b)| (b.id, i)).collect();

        // Only the rows of the batches asked for: a round reads the open ones,
        // and the settled history only grows.
        let of_batches = if only_open { format!("WHERE batch_id IN (SELECT id FROM settle_batches WHERE {OPEN})") } else { String::new() };
        let payees =
            sqlx::query(&format!("SELECT batch_id, payee, planned, outcome FROM settle_payees {of_batches} ORDER BY batch_id, payee"))
                .fetch_all(&self.pool)
                .await
                .map_err(query_failed("reading the ledger's payees"))?;
        for row in payees {
            let t = "settle_payees";
            let id = hash_from_sql(column(&row, t, "batch_id")?, t, "batch_id")?;
            let Some(&i) = index.get(&id) else { continue };
            let payee = account_from_sql(column(&row, t, "payee")?, t, "payee")?;
            let planned = amount_from_sql(&column::<String>(&row, t, "planned")?, t, "planned")?;
            let outcome = PayeeOutcome::from_sql(&column::<String>(&row, t, "outcome")?)?;
            batches[i].payees.push((payee, planned, outcome));
        }

        // A receipt is written in the transaction that settles its batch, so
        // open batches have none.
        if only_open {
            return Ok(batches);
        }
        let receipts = sqlx::query("SELECT batch_id, keeper, block_number, block_hash, paid, failed, amount FROM settle_receipts")
            .fetch_all(&self.pool)
            .await
            .map_err(query_failed("reading the ledger's receipts"))?;
        for row in receipts {
            let t = "settle_receipts";
            let id = hash_from_sql(column(&row, t, "batch_id")?, t, "batch_id")?;
            let Some(&i) = index.get(&id) else { continue };
            let count = |c: &'static str| -> Result<u32, StoreError> {
                let v: i64 = column(&row, t, c)?;
                u32::try_from(v).map_err(|_| corrupt(t, c, format!("{v} is not a count")))
            };
            batches[i].receipts.push(Receipt {
                batch_id: id,
                keeper: account_from_sql(column(&row, t, "keeper")?, t, "keeper")?,
                block: BlockRef {
                    number: from_sql_u64(column(&row, t, "block_number")?, t, "block_number")?,
                    hash: hash_from_sql(column(&row, t, "block_hash")?, t, "block_hash")?,
                },
                paid: count("paid")?,
                failed: count("failed")?,
                amount: amount_from_sql(&column::<String>(&row, t, "amount")?, t, "amount")?,
            });
        }
        Ok(batches)
    }

    /// Payees of batches in `asset` not yet in a block: planning leaves them
    /// out. A batch in a best block has already zeroed what it paid, so what
    /// its payees are owed at the best block is new and may be planned; if
    /// that block is retracted and both batches land, the splitter still pays
    /// each payee only what it is owed.
    pub async fn in_flight_payees(&self, asset: Asset) -> Result<HashSet<AccountId>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.payee FROM settle_payees p JOIN settle_batches b ON b.id = p.batch_id \
             WHERE b.asset = $1 AND b.state IN ('planned', 'submitted')",
        )
        .bind(asset_name(asset))
        .fetch_all(&self.pool)
        .await
        .map_err(query_failed("reading payees in flight"))?;
        rows.into_iter().map(|r| account_from_sql(column(&r, "settle_payees", "payee")?, "settle_payees", "payee")).collect()
    }

    /// For each payee of `asset` whose latest settled outcomes are failures,
    /// how many in a row.
    pub async fn failure_streaks(&self, asset: Asset) -> Result<HashMap<AccountId, u32>, StoreError> {
        let rows = sqlx::query(
            // Only payees that ever failed: the settled history grows with every
            // round, and nearly every payee in it was simply paid.
            "SELECT p.payee, p.outcome FROM settle_payees p JOIN settle_batches b ON b.id = p.batch_id \
             WHERE b.asset = $1 AND b.state = 'settled' \
             AND p.payee IN (SELECT payee FROM settle_payees WHERE outcome = 'failed') ORDER BY b.planned_ms, b.id",
        )
        .bind(asset_name(asset))
        .fetch_all(&self.pool)
        .await
        .map_err(query_failed("reading failed payees"))?;
        let mut streaks: HashMap<AccountId, u32> = HashMap::new();
        for row in rows {
            let t = "settle_payees";
            let payee = account_from_sql(column(&row, t, "payee")?, t, "payee")?;
            match PayeeOutcome::from_sql(&column::<String>(&row, t, "outcome")?)? {
                PayeeOutcome::Failed => *streaks.entry(payee).or_default() += 1,
                _ => {
                    streaks.remove(&payee);
                }
            }
        }
        Ok(streaks)
    }

    /// Takes lease `name` for `owner` until `until_ms` if it is free, run out
    /// or already `owner`'s. Returns whether `owner` holds it now.
    pub async fn acquire_lease(&self, name: &str, owner: &str, now_ms: u64, until_ms: u64) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "INSERT INTO leases (name, owner, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms \
             WHERE leases.owner = excluded.owner OR leases.until_ms < $4 RETURNING owner",
        )
        .bind(name)
        .bind(owner)
        .bind(ms(until_ms, "the lease expiry")?)
        .bind(ms(now_ms, "the time")?)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_failed(format!("taking lease {name:?}")))?;
        Ok(row.is_some())
    }

    /// Gives lease `name` up, if `owner` holds it.
    pub async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND owner = $2")
            .bind(name)
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(query_failed(format!("releasing lease {name:?}")))?;
        Ok(())
    }
}

fn batch_from_row(row: &AnyRow) -> Result<LedgerBatch, StoreError> {
    let t = BATCHES;
    let id = hash_from_sql(column(row, t, "id")?, t, "id")?;
    let keeper: Option<Vec<u8>> = column(row, t, "keeper")?;
    let tx_hash: Option<Vec<u8>> = column(row, t, "tx_hash")?;
    let nonce: Option<i64> = column(row, t, "nonce")?;
    let sent: Option<i64> = column(row, t, "sent_at_block")?;
    let submission = match (keeper, tx_hash, nonce, sent) {
        (Some(k), Some(h), Some(n), Some(s)) => Some(Submission {
            tx: SignedTx {
                hash: hash_from_sql(h, t, "tx_hash")?,
                signer: account_from_sql(k, t, "keeper")?,
                nonce: from_sql_u64(n, t, "nonce")?,
            },
            sent_at_block: from_sql_u64(s, t, "sent_at_block")?,
        }),
        (None, None, None, None) => None,
        _ => return Err(corrupt(t, "tx_hash", "a submission with some of keeper, tx_hash, nonce, sent_at_block missing".into())),
    };
    let block_number: Option<i64> = column(row, t, "block_number")?;
    let block_hash: Option<Vec<u8>> = column(row, t, "block_hash")?;
    let block = match (block_number, block_hash) {
        (Some(n), Some(h)) => Some(BlockRef { number: from_sql_u64(n, t, "block_number")?, hash: hash_from_sql(h, t, "block_hash")? }),
        (None, None) => None,
        _ => return Err(corrupt(t, "block_hash", "a block number without its hash, or the reverse".into())),
    };
    let attempts: i64 = column(row, t, "attempts")?;
    Ok(LedgerBatch {
        id,
        asset: asset_from_sql(&column::<String>(row, t, "asset")?)?,
        state: BatchState::from_sql(&column::<String>(row, t, "state")?)?,
        planned_ms: from_sql_u64(column(row, t, "planned_ms")?, t, "planned_ms")?,
        submission,
        tip: amount_from_sql(&column::<String>(row, t, "tip")?, t, "tip")?,
        attempts: u32::try_from(attempts).map_err(|_| corrupt(t, "attempts", format!("{attempts} is not a count")))?,
        block,
        lease: (column(row, t, "lease_owner")?, from_sql_u64(column(row, t, "lease_until_ms")?, t, "lease_until_ms")?),
        payees: Vec::new(),
        receipts: Vec::new(),
    })
}
