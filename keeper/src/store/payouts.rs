//! Payouts from a file: every row is written before anything is sent, and
//! every extrinsic before it leaves, so a run that stops anywhere resumes
//! from here and pays no row twice.

use lode_splitter::Asset;
use sqlx::any::AnyRow;

use super::convert::{column, from_sql_u64, hash_from_sql, to_sql_u64};
use super::ledger::{account_from_sql, amount_from_sql, asset_from_sql, asset_name, corrupt, query_failed};
use super::{Store, StoreError, Submission};
use crate::chain::{AccountId, BlockRef, SignedTx};

/// Where a payout row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayoutState {
    /// Not sent, or sent in an extrinsic proven never to land: to be sent.
    Pending,
    /// In an extrinsic that may land: to be found on chain before anything else.
    Sent,
    /// Paid, in a finalized block.
    Paid,
    /// Refused in a finalized block; a later run of the payout tries it again.
    Failed,
}

impl PayoutState {
    /// Its name in the store, receipts and reports.
    pub fn name(self) -> &'static str {
        match self {
            PayoutState::Pending => "pending",
            PayoutState::Sent => "sent",
            PayoutState::Paid => "paid",
            PayoutState::Failed => "failed",
        }
    }

    fn from_sql(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => PayoutState::Pending,
            "sent" => PayoutState::Sent,
            "paid" => PayoutState::Paid,
            "failed" => PayoutState::Failed,
            other => return Err(corrupt("payout_rows", "state", format!("unknown state {other:?}"))),
        })
    }
}

/// One row to pay, as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayoutRow {
    /// Its line in the file: the row's key within the payout.
    pub line: u64,
    /// The payee.
    pub account: AccountId,
    /// Which asset.
    pub asset: Asset,
    /// How much, in the asset's smallest unit.
    pub amount: u128,
    /// The caller's reference, echoed in the receipt.
    pub reference: Option<String>,
}

/// A payout row as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRow {
    /// What it pays.
    pub row: NewPayoutRow,
    /// Where it stands.
    pub state: PayoutState,
    /// How many extrinsics carried it.
    pub attempts: u32,
    /// The last extrinsic that carried it.
    pub submission: Option<Submission>,
    /// The finalized block that paid or refused it.
    pub block: Option<BlockRef>,
    /// Why it failed, or why its last extrinsic did not land.
    pub error: Option<String>,
}

/// What became of a row that was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Paid in this finalized block.
    Paid(BlockRef),
    /// Refused in this finalized block, for this reason.
    Failed(BlockRef, String),
    /// Its extrinsic will never land, for this reason: send it again.
    Unsent(String),
}

const ROWS: &str = "payout_rows";

impl Store {
    /// Registers payout `id` with its rows, all in one transaction. When `id`
    /// is already registered nothing is written and its digest and payer are
    /// returned, so the caller can tell a resumed run from a different one.
    pub async fn register_payout(
        &self,
        id: &str,
        digest: [u8; 32],
        payer: AccountId,
        rows: &[NewPayoutRow],
        now_ms: u64,
    ) -> Result<Option<([u8; 32], AccountId)>, StoreError> {
        let what = format!("registering payout {id:?}");
        let mut tx = self.pool.begin().await.map_err(query_failed(what.clone()))?;
        let existing = sqlx::query("SELECT digest, payer FROM payouts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query_failed(what.clone()))?;
        if let Some(row) = existing {
            let digest = hash_from_sql(column::<Vec<u8>>(&row, "payouts", "digest")?, "payouts", "digest")?;
            let payer = account_from_sql(column::<Vec<u8>>(&row, "payouts", "payer")?, "payouts", "payer")?;
            return Ok(Some((digest, payer)));
        }
        sqlx::query("INSERT INTO payouts (id, digest, payer, created_ms) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(&digest[..])
            .bind(&payer.0[..])
            .bind(to_sql_u64(now_ms, || "the time".into())?)
            .execute(&mut *tx)
            .await
            .map_err(query_failed(what.clone()))?;
        // Many rows to a statement: a file of thousands is one round trip per chunk.
        for chunk in rows.chunks(500) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = i * 5;
                    format!("($1, ${}, ${}, ${}, ${}, ${}, 'pending')", p + 2, p + 3, p + 4, p + 5, p + 6)
                })
                .collect();
            let sql =
                format!("INSERT INTO payout_rows (payout_id, line, account, asset, amount, reference, state) VALUES {}", values.join(", "));
            let mut q = sqlx::query(&sql).bind(id);
            for r in chunk {
                q = q
                    .bind(to_sql_u64(r.line, || "a line number".into())?)
                    .bind(r.account.0.to_vec())
                    .bind(asset_name(r.asset))
                    .bind(r.amount.to_string())
                    .bind(r.reference.clone());
            }
            q.execute(&mut *tx).await.map_err(query_failed(what.clone()))?;
        }
        tx.commit().await.map_err(query_failed(what))?;
        Ok(None)
    }

    /// Payout `id`'s rows, by line.
    pub async fn payout_rows(&self, id: &str) -> Result<Vec<PayoutRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT line, account, asset, amount, reference, state, attempts, signer, tx_hash, nonce, sent_at_block, \
             block_number, block_hash, error FROM payout_rows WHERE payout_id = $1 ORDER BY line",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(query_failed(format!("reading payout {id:?}")))?;
        rows.iter().map(payout_row).collect()
    }

    /// Records that the rows at `lines` are carried by `tx`, sent when the
    /// best block was `sent_at_block`: called before it leaves. Each row must
    /// be pending or failed; if another run took one first, nothing is
    /// written and the error says so, and the extrinsic must not be sent.
    pub async fn record_payout_sent(&self, id: &str, lines: &[u64], tx: &SignedTx, sent_at_block: u64) -> Result<(), StoreError> {
        let what = format!("recording a send of payout {id:?}");
        let mut db = self.pool.begin().await.map_err(query_failed(what.clone()))?;
        for line in lines {
            let done = sqlx::query(
                "UPDATE payout_rows SET state = 'sent', attempts = attempts + 1, signer = $1, tx_hash = $2, nonce = $3, \
                 sent_at_block = $4, block_number = NULL, block_hash = NULL, error = NULL \
                 WHERE payout_id = $5 AND line = $6 AND state IN ('pending', 'failed')",
            )
            .bind(&tx.signer.0[..])
            .bind(&tx.hash[..])
            .bind(to_sql_u64(tx.nonce, || "the nonce".into())?)
            .bind(to_sql_u64(sent_at_block, || "the block number".into())?)
            .bind(id)
            .bind(to_sql_u64(*line, || "a line number".into())?)
            .execute(&mut *db)
            .await
            .map_err(query_failed(what.clone()))?;
            if done.rows_affected() == 0 {
                // Dropping the transaction rolls back the rows already marked.
                return Err(StoreError::LeaseLost { what: format!("line {line} of payout {id:?}, taken by another run") });
            }
        }
        db.commit().await.map_err(query_failed(what))
    }

    /// Records what became of rows carried by extrinsic `tx_hash`, in one
    /// transaction. A row since sent again in another extrinsic is left alone.
    pub async fn record_payout_outcomes(&self, id: &str, tx_hash: &[u8; 32], outcomes: &[(u64, RowOutcome)]) -> Result<(), StoreError> {
        let what = format!("recording outcomes of payout {id:?}");
        let mut db = self.pool.begin().await.map_err(query_failed(what.clone()))?;
        for (line, outcome) in outcomes {
            let (state, block, error) = match outcome {
                RowOutcome::Paid(block) => (PayoutState::Paid, Some(block), None),
                RowOutcome::Failed(block, why) => (PayoutState::Failed, Some(block), Some(why.as_str())),
                RowOutcome::Unsent(why) => (PayoutState::Pending, None, Some(why.as_str())),
            };
            let number = block.map(|b| to_sql_u64(b.number, || "the block number".into())).transpose()?;
            sqlx::query(
                "UPDATE payout_rows SET state = $1, block_number = $2, block_hash = $3, error = $4 \
                 WHERE payout_id = $5 AND line = $6 AND tx_hash = $7 AND state = 'sent'",
            )
            .bind(state.name())
            .bind(number)
            .bind(block.map(|b| b.hash.to_vec()))
            .bind(error)
            .bind(id)
            .bind(to_sql_u64(*line, || "a line number".into())?)
            .bind(&tx_hash[..])
            .execute(&mut *db)
            .await
            .map_err(query_failed(what.clone()))?;
        }
        db.commit().await.map_err(query_failed(what))
    }
}

fn payout_row(r: &AnyRow) -> Result<PayoutRow, StoreError> {
    let t = ROWS;
    let line = from_sql_u64(column::<i64>(r, t, "line")?, t, "line")?;
    let row = NewPayoutRow {
        line,
        account: account_from_sql(column::<Vec<u8>>(r, t, "account")?, t, "account")?,
        asset: asset_from_sql(&column::<String>(r, t, "asset")?)?,
        amount: amount_from_sql(&column::<String>(r, t, "amount")?, t, "amount")?,
        reference: column::<Option<String>>(r, t, "reference")?,
    };
    let submission = match column::<Option<Vec<u8>>>(r, t, "tx_hash")? {
        None => None,
        Some(hash) => {
            let signer = column::<Option<Vec<u8>>>(r, t, "signer")?.ok_or_else(|| corrupt(t, "signer", "missing beside tx_hash".into()))?;
            let nonce = column::<Option<i64>>(r, t, "nonce")?.ok_or_else(|| corrupt(t, "nonce", "missing beside tx_hash".into()))?;
            let sent = column::<Option<i64>>(r, t, "sent_at_block")?
                .ok_or_else(|| corrupt(t, "sent_at_block", "missing beside tx_hash".into()))?;
            Some(Submission {
                tx: SignedTx {
                    hash: hash_from_sql(hash, t, "tx_hash")?,
                    signer: account_from_sql(signer, t, "signer")?,
                    nonce: from_sql_u64(nonce, t, "nonce")?,
                },
                sent_at_block: from_sql_u64(sent, t, "sent_at_block")?,
            })
        }
    };
    let block = match (column::<Option<i64>>(r, t, "block_number")?, column::<Option<Vec<u8>>>(r, t, "block_hash")?) {
        (Some(n), Some(h)) => Some(BlockRef { number: from_sql_u64(n, t, "block_number")?, hash: hash_from_sql(h, t, "block_hash")? }),
        _ => None,
    };
    let attempts = from_sql_u64(column::<i64>(r, t, "attempts")?, t, "attempts")?;
    Ok(PayoutRow {
        row,
        state: PayoutState::from_sql(&column::<String>(r, t, "state")?)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        submission,
        block,
        error: column::<Option<String>>(r, t, "error")?,
    })
}
