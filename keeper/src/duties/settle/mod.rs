//! Settlement: paying the splitter's payees in batches, so that a crash at
//! any point loses nothing and pays nothing twice.
//!
//! A round distributes new funds, reads what each payee is owed, cuts
//! batches of at most the contract's maximum (smaller if a dry run says a
//! full one does not fit), writes them to the ledger, and only then sends
//! them, recording each extrinsic's hash before it leaves. A batch counts as
//! settled only when its `Settled` event is in a confirmed block; the settler
//! reads confirmed blocks from its own cursor, moved in the same transaction
//! as the ledger, so no outcome is missed across a crash. A batch found open
//! after a restart is asked about on chain (`batch_settled`) and sent again
//! only if it never landed; the splitter refuses a batch id twice and zeroes
//! what it pays, so a second extrinsic pays nothing twice.
//!
//! Keepers sharing one store divide the work through leases: a batch belongs
//! to the keeper that planned it while its lease is renewed, and is taken
//! over once it runs out.

mod metrics;
pub mod plan;
pub mod reconcile;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use lode_splitter::{Asset, Error as SplitterError};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

pub use metrics::SettleMetrics;

use crate::alerting::{Finding, Level, Rule};
use crate::audit::Action;
use crate::chain::{
    AccountId, Block, ChainError, Limits, RecordTx, SignedTx, Tx, TxCall, TxHash, TxResult, TxStatus, DRY_RUN_MARGIN_PERCENT,
};
use crate::config::SettleConfig;
use crate::contracts::{ContractError, SplitterClient, SplitterEvent};
use crate::keys::ss58;
use crate::runtime::{now_ms, Context, Duty, DutyError, Shutdown};
use crate::store::{asset_name, BatchId, BatchState, LedgerBatch, Receipt, SettledInBlock, Store, StoreError};
use crate::watcher::{ChainNotification, Cursor};

/// The assets the splitter pays out.
pub const ASSETS: [Asset; 2] = [Asset::Lode, Asset::Native];

/// Why a round stopped. Every kind is retried on the next round.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// The ledger.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A contract read or call.
    #[error("{0}")]
    Contract(#[from] ContractError),
    /// The chain.
    #[error("{0}")]
    Chain(#[from] ChainError),
    /// The splitter refused a batch for a reason the settler cannot fix.
    #[error("the splitter refuses batch 0x{}…: {reason:?}", hex::encode(&batch[..4]))]
    Refused {
        /// Which batch.
        batch: BatchId,
        /// Why.
        reason: SplitterError,
    },
}

/// The settlement duty.
pub struct SettleDuty {
    store: Store,
    config: SettleConfig,
    metrics: SettleMetrics,
    /// Names this keeper in leases: its account, so a restarted keeper
    /// resumes its own batches at once.
    owner: String,
    /// The settler's own cursor over confirmed blocks.
    cursor_name: String,
    statuses_tx: mpsc::UnboundedSender<(BatchId, TxHash, TxStatus)>,
    statuses: mpsc::UnboundedReceiver<(BatchId, TxHash, TxStatus)>,
    /// Batches this process follows, and their latest extrinsic.
    live: HashMap<BatchId, SignedTx>,
    /// When new funds were first seen and not yet settled.
    funds_seen: Option<Instant>,
    /// Something changed that planning should look at.
    dirty: bool,
    /// Payees already alerted as given up.
    given_up: HashSet<(AccountId, &'static str)>,
    /// Said once that the keeper is not bonded.
    said_unbonded: bool,
}

impl SettleDuty {
    /// A settler for the keeper `keeper`, keeping its ledger in `store`.
    pub fn new(store: Store, config: SettleConfig, keeper: AccountId, metrics: SettleMetrics) -> Self {
        let (statuses_tx, statuses) = mpsc::unbounded_channel();
        let owner = ss58(&keeper);
        SettleDuty {
            store,
            config,
            metrics,
            cursor_name: format!("settler:{owner}"),
            owner,
            statuses_tx,
            statuses,
            live: HashMap::new(),
            funds_seen: None,
            dirty: true,
            given_up: HashSet::new(),
            said_unbonded: false,
        }
    }

    fn lease_until(&self, now: u64) -> u64 {
        now.saturating_add(u64::try_from(self.config.lease.as_millis()).unwrap_or(u64::MAX))
    }

    /// Reads confirmed blocks the settler has not applied, up to the
    /// finalized head. A first start begins at the finalized head.
    async fn catch_up(&mut self, ctx: &Context) -> Result<(), SettleError> {
        let finalized = ctx.chain.finalized().await?;
        match self.store.cursor(&self.cursor_name).await? {
            None => {
                let cursor = Cursor { confirmed: finalized.at(), finalized: None };
                self.store.save_cursor(&self.cursor_name, &cursor).await?;
            }
            Some(c) => self.apply_range(ctx, c.confirmed.number.saturating_add(1), finalized.number.saturating_add(1)).await?,
        }
        Ok(())
    }

    /// Applies canonical blocks `from..to`.
    async fn apply_range(&mut self, ctx: &Context, from: u64, to: u64) -> Result<(), SettleError> {
        for n in from..to {
            let missing = || ChainError::Decode(format!("the node has no block #{n}, below the confirmed head"));
            let hash = ctx.chain.block_hash(n).await?.ok_or_else(missing)?;
            let block = ctx.chain.block(hash).await?.ok_or_else(missing)?;
            self.apply(ctx, &block).await?;
        }
        Ok(())
    }

    /// A confirmed block: apply any blocks skipped before it, then it.
    async fn on_confirmed(&mut self, ctx: &Context, block: &Block) -> Result<(), SettleError> {
        let next = match self.store.cursor(&self.cursor_name).await? {
            Some(c) => c.confirmed.number.saturating_add(1),
            None => block.info.number,
        };
        if block.info.number < next {
            return Ok(());
        }
        self.apply_range(ctx, next, block.info.number).await?;
        self.apply(ctx, block).await
    }

    /// Records what a confirmed block says about ledger batches, and moves
    /// the cursor past it, in one transaction.
    async fn apply(&mut self, ctx: &Context, block: &Block) -> Result<(), SettleError> {
        let at = block.info.at();
        let mut found = SettledInBlock::default();
        let me = ctx.signer.account_id();
        for event in &block.events {
            match ctx.contracts.splitter.event(event) {
                Some(SplitterEvent::Settled { keeper, batch_id, paid, amount, failed, .. }) => {
                    found.receipts.push(Receipt { batch_id, keeper, block: at, paid, failed, amount });
                }
                Some(SplitterEvent::SettlementFailed { batch_id, payee, .. }) => {
                    found.failed.push((batch_id, payee));
                    self.dirty = true;
                }
                _ => {}
            }
        }
        for r in &found.receipts {
            self.live.remove(&r.batch_id);
        }
        let recorded = self.store.apply_settled(at, &found, &self.cursor_name, &Cursor { confirmed: at, finalized: None }).await?;
        if !recorded.is_empty() {
            // Payees of a batch of this ledger that closes may be owed again
            // already (funds that arrived while it was open left them out):
            // plan again. Other ledgers' batches never held them out.
            self.dirty = true;
        }
        // Only what this block newly recorded: a block applied again after a
        // crash logs and counts nothing twice.
        for r in recorded.iter().filter(|r| r.keeper == me) {
            ctx.audit.record(
                Action::Settlement,
                serde_json::json!({
                    "batch": hex::encode(r.batch_id), "amount": r.amount.to_string(), "paid": r.paid, "failed": r.failed,
                    "block": at.number, "block_hash": hex::encode(at.hash),
                }),
            );
            self.metrics.batches_settled.inc();
            self.metrics.payees_paid.inc_by(u64::from(r.paid));
            self.metrics.payees_failed.inc_by(u64::from(r.failed));
        }
        Ok(())
    }

    /// A new best block: note new funds (a mint, a LODE deposit, a
    /// distribution; native deposits leave no contract event and wait for
    /// the interval), and whether a batch waits too long.
    fn on_new_block(&mut self, ctx: &Context, block: &Block) -> bool {
        let splitter = ctx.contracts.splitter.address();
        let funds = block.events.iter().any(|e| {
            ctx.contracts.events.is(e, "token", "Mined")
                || ctx.contracts.token.transfer_event(e).is_some_and(|(_, to, _)| to == Some(splitter))
                || matches!(ctx.contracts.splitter.event(e), Some(SplitterEvent::Distributed { .. }))
        });
        if funds {
            self.funds_seen.get_or_insert_with(Instant::now);
            self.dirty = true;
        }
        funds || !self.live.is_empty()
    }

    /// What an extrinsic this process sent did. Returns whether a round should run.
    async fn on_status(&mut self, ctx: &Context, id: BatchId, hash: TxHash, status: TxStatus) -> Result<bool, SettleError> {
        if self.live.get(&id).is_none_or(|tx| tx.hash != hash) {
            // A replaced extrinsic's last words.
            return Ok(false);
        }
        match status {
            TxStatus::InBlock { block, result: TxResult::Success { .. } } => {
                self.store.record_inclusion(&id, &hash, block).await?;
                ctx.audit.record(
                    Action::Inclusion,
                    serde_json::json!({ "batch": hex::encode(id), "tx_hash": hex::encode(hash), "block": block.number, "block_hash": hex::encode(block.hash) }),
                );
                Ok(false)
            }
            TxStatus::InBlock { result: TxResult::Failed { error }, .. } => {
                tracing::warn!(batch = %hex::encode(&id[..4]), "settle: the batch's extrinsic failed on chain ({error}); it will be looked at again");
                self.live.remove(&id);
                self.store.replan(&id, &self.owner).await?;
                Ok(true)
            }
            TxStatus::Dropped { reason } | TxStatus::Invalid { reason } => {
                tracing::warn!(batch = %hex::encode(&id[..4]), "settle: the batch's extrinsic left the pool ({reason}); sending it again");
                self.live.remove(&id);
                self.store.replan(&id, &self.owner).await?;
                Ok(true)
            }
            TxStatus::Retracted { .. } => Ok(false),
            TxStatus::Finalized { .. } => {
                self.live.remove(&id);
                Ok(false)
            }
        }
    }

    /// One round: resume open batches, distribute, plan and send.
    async fn round(&mut self, ctx: &Context) -> Result<(), SettleError> {
        self.metrics.rounds.inc();
        // Statuses first: a batch already in a block is not stuck.
        while let Ok((id, hash, status)) = self.statuses.try_recv() {
            self.on_status(ctx, id, hash, status).await?;
        }
        let splitter = &ctx.contracts.splitter;
        let me = ctx.signer.account_id();
        if splitter.paused().await? {
            tracing::info!("settle: the splitter is paused; settlement waits for it to be unpaused");
            return Ok(());
        }
        if !ctx.contracts.staking.is_keeper(me).await? {
            if !self.said_unbonded {
                tracing::warn!("settle: {} is not a bonded keeper (yet); settlement waits until it is", self.owner);
                self.said_unbonded = true;
            }
            return Ok(());
        }
        self.said_unbonded = false;

        let now = now_ms();
        let held: HashSet<BatchId> = self.store.claim_batches(&self.owner, now, self.lease_until(now)).await?.into_iter().collect();
        let open = self.store.ledger_batches(true).await?;
        self.metrics.open_batches.set(i64::try_from(open.len()).unwrap_or(i64::MAX));
        let head = ctx.chain.head().await?.number;
        for batch in open.iter().filter(|b| held.contains(&b.id)) {
            match self.resume(ctx, batch, head).await {
                // One batch the splitter refuses must not hold up the others.
                Err(refused @ SettleError::Refused { .. }) => {
                    self.metrics.round_errors.inc();
                    tracing::warn!("settle: {refused}; the batch stays open and is looked at again next round");
                }
                other => other?,
            }
        }

        for asset in ASSETS {
            if let Ok(pending) = splitter.undistributed(asset).await? {
                if pending > 0 {
                    let sent: Result<u128, SplitterError> = splitter.0.send(&ctx.signer, "distribute", asset).await?;
                    self.metrics.distributions.inc();
                    match sent {
                        Ok(_) => self.dirty = true,
                        Err(e) => tracing::warn!("settle: distribute({asset:?}) refused: {e:?}"),
                    }
                }
            }
        }
        if std::mem::take(&mut self.dirty) {
            for asset in ASSETS {
                self.plan(ctx, asset).await?;
            }
        }
        Ok(())
    }

    /// Continues an open batch this keeper holds.
    async fn resume(&mut self, ctx: &Context, batch: &LedgerBatch, head: u64) -> Result<(), SettleError> {
        let me = ctx.signer.account_id();
        match (batch.state, batch.submission) {
            (BatchState::Settled, _) => Ok(()),
            (BatchState::Planned, _) | (_, None) => self.send(ctx, batch, batch.tip, None).await,
            (state, Some(sub)) => match self.live.get(&batch.id) {
                Some(live) => {
                    let waited = head.saturating_sub(sub.sent_at_block);
                    if state == BatchState::Submitted && waited >= self.config.stuck_blocks {
                        if ctx.contracts.splitter.batch_settled(me, batch.id).await? {
                            return Ok(());
                        }
                        let tip = batch.tip.saturating_add(self.config.tip_step).min(self.config.tip_ceiling);
                        tracing::warn!(
                            batch = %hex::encode(&batch.id[..4]),
                            "settle: not included after {waited} blocks; sending it again with tip {tip} (was {})", batch.tip
                        );
                        if tip > batch.tip {
                            self.metrics.tip_raises.inc();
                        }
                        let nonce = live.nonce;
                        match self.send(ctx, batch, tip, Some(nonce)).await {
                            // The nonce was used meanwhile: the extrinsic it
                            // replaced landed, and its event will say so.
                            Err(SettleError::Chain(ChainError::InvalidNonce { .. })) => Ok(()),
                            other => other,
                        }
                    } else {
                        Ok(())
                    }
                }
                None => {
                    // Sent by an earlier run of this keeper, or by a keeper
                    // whose lease ran out: ask the chain whether it landed.
                    if ctx.contracts.splitter.batch_settled(sub.tx.signer, batch.id).await? {
                        return Ok(());
                    }
                    if sub.tx.signer != me {
                        self.metrics.takeovers.inc();
                        tracing::info!(batch = %hex::encode(&batch.id[..4]), "settle: taking over a batch from {}", ss58(&sub.tx.signer));
                    }
                    self.send(ctx, batch, batch.tip, None).await
                }
            },
        }
    }

    /// Plans `asset`'s batches, if no other keeper is planning them, and sends them.
    async fn plan(&mut self, ctx: &Context, asset: Asset) -> Result<(), SettleError> {
        let lease = format!("plan:{}", asset_name(asset));
        let now = now_ms();
        if !self.store.acquire_lease(&lease, &self.owner, now, self.lease_until(now)).await? {
            return Ok(());
        }
        let planned = self.plan_held(ctx, asset).await;
        self.store.release_lease(&lease, &self.owner).await?;
        for batch in planned? {
            self.send(ctx, &batch, 0, None).await?;
        }
        Ok(())
    }

    async fn plan_held(&mut self, ctx: &Context, asset: Asset) -> Result<Vec<LedgerBatch>, SettleError> {
        let splitter = &ctx.contracts.splitter;
        let me = ctx.signer.account_id();
        let owed = owed_by_payee(splitter, asset).await?;
        let in_flight = self.store.in_flight_payees(asset).await?;
        let failures = self.store.failure_streaks(asset).await?;
        let selection = plan::select(&owed, &in_flight, &failures, self.config.max_failures);
        for (payee, amount, n) in &selection.given_up {
            if self.given_up.insert((*payee, asset_name(asset))) {
                ctx.alerts.raise(
                    Finding::new(
                        Rule::Duty,
                        Level::Warning,
                        format!(
                            "{} is owed {amount} ({}) but its last {n} transfers failed; it is left out of batches. \
                             It stays owed on chain and can withdraw itself",
                            ss58(payee),
                            asset_name(asset)
                        ),
                    )
                    .keyed(format!("given-up:{}:{}", asset_name(asset), ss58(payee))),
                );
            }
        }
        if selection.pay.is_empty() {
            return Ok(Vec::new());
        }
        // Size by dry run: halve until the first (fullest) batch fits.
        let max_len = usize::try_from(splitter.max_batch_len().await?).unwrap_or(usize::MAX).max(1);
        let mut len = max_len.min(selection.pay.len());
        loop {
            let probe: Vec<AccountId> = selection.pay[..len].iter().map(|(p, _)| *p).collect();
            match splitter.measure_settle(me, rand::random(), asset, &probe).await {
                Ok(_) => break,
                Err(ContractError::Chain { source, .. }) if len > 1 && !source.retryable() => {
                    tracing::info!("settle: a batch of {len} does not fit ({source}); trying {}", len / 2);
                    len /= 2;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let batches = plan::cut(asset, &selection.pay, len, rand::random);
        let now = now_ms();
        let until = self.lease_until(now);
        self.store.plan_batches(&batches, &self.owner, now, until).await?;
        self.metrics.batches_planned.inc_by(u64::try_from(batches.len()).unwrap_or(u64::MAX));
        tracing::info!("settle: planned {} batch(es) paying {} payees in {}", batches.len(), selection.pay.len(), asset_name(asset));
        Ok(batches.iter().map(|b| LedgerBatch::planned(b, &self.owner, now, until)).collect())
    }

    /// Dry-runs `batch`, records the extrinsic in the ledger, sends it and
    /// follows it.
    async fn send(&mut self, ctx: &Context, batch: &LedgerBatch, tip: u128, replaces: Option<u64>) -> Result<(), SettleError> {
        let splitter = &ctx.contracts.splitter;
        let payees: Vec<AccountId> = batch.payees.iter().map(|(p, _, _)| *p).collect();
        let (input, dry) = splitter.measure_settle(ctx.signer.account_id(), batch.id, batch.asset, &payees).await?;
        match dry.decode::<Result<u128, SplitterError>>()? {
            Ok(_) => {}
            // This keeper's extrinsic landed; its event is on its way.
            Err(SplitterError::BatchAlreadySettled) => return Ok(()),
            Err(SplitterError::Paused) => return Ok(()),
            Err(reason) => return Err(SettleError::Refused { batch: batch.id, reason }),
        }
        let limits = Limits::from_dry_run(&dry, DRY_RUN_MARGIN_PERCENT);
        let head = ctx.chain.head().await?.number;
        let mut recorder = LedgerRecorder { store: &self.store, id: batch.id, owner: &self.owner, tip, head, signed: None };
        let call = TxCall::Contract { contract: splitter.address(), value: 0, input, limits };
        let mut watch = ctx.chain.submit(&ctx.signer, Tx { call, tip, replaces }, &mut recorder).await?;
        let signed = recorder.signed.ok_or_else(|| ChainError::Decode("submitted without being recorded".into()))?;
        self.live.insert(batch.id, signed);
        ctx.audit.record(
            Action::Submission,
            serde_json::json!({
                "batch": hex::encode(batch.id), "asset": asset_name(batch.asset), "payees": payees.len(),
                "tx_hash": hex::encode(signed.hash), "nonce": signed.nonce, "tip": tip.to_string(), "attempt": batch.attempts + 1,
            }),
        );
        self.metrics.batches_sent.inc();
        if batch.attempts > 0 {
            self.metrics.batches_resent.inc();
        }
        if let Some(seen) = self.funds_seen.take() {
            self.metrics.funds_to_settle_seconds.observe(seen.elapsed().as_secs_f64());
        }
        let (id, forward) = (batch.id, self.statuses_tx.clone());
        tokio::spawn(async move {
            while let Some(status) = watch.next().await {
                if forward.send((id, signed.hash, status)).is_err() {
                    break;
                }
            }
        });
        Ok(())
    }
}

/// Reads at once, at most: a node answers dry runs in parallel.
const READS_IN_FLIGHT: usize = 16;

/// What each payee of the split is owed in `asset`, in split order.
pub async fn owed_by_payee(splitter: &SplitterClient, asset: Asset) -> Result<Vec<(AccountId, u128)>, ContractError> {
    let split = splitter.split().await?;
    let reads: Vec<_> = split
        .payees
        .iter()
        .map(|p| {
            let (splitter, payee) = (splitter.clone(), AccountId(*AsRef::<[u8; 32]>::as_ref(p)));
            async move { Ok::<_, ContractError>((payee, splitter.owed(asset, payee).await?)) }
        })
        .collect();
    futures::stream::iter(reads).buffered(READS_IN_FLIGHT).try_collect().await
}

/// Writes each extrinsic to the ledger before it is sent.
struct LedgerRecorder<'a> {
    store: &'a Store,
    id: BatchId,
    owner: &'a str,
    tip: u128,
    head: u64,
    signed: Option<SignedTx>,
}

#[async_trait::async_trait]
impl RecordTx for LedgerRecorder<'_> {
    async fn record(&mut self, tx: &SignedTx) -> Result<(), String> {
        self.store.record_submission(&self.id, self.owner, now_ms(), tx, self.tip, self.head).await.map_err(|e| e.to_string())?;
        self.signed = Some(*tx);
        Ok(())
    }
}

#[async_trait::async_trait]
impl Duty for SettleDuty {
    fn name(&self) -> &'static str {
        "settler"
    }

    /// Settles until shutdown. A failed round is logged and retried; a
    /// failure to read blocks or write the ledger restarts the duty, which
    /// resumes from the ledger.
    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let mut notes = ctx.notifications.subscribe();
        self.catch_up(ctx).await.map_err(DutyError::transient)?;
        let mut tick = tokio::time::interval(self.config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut due = true;
        loop {
            if std::mem::take(&mut due) {
                if let Err(e) = self.round(ctx).await {
                    self.metrics.round_errors.inc();
                    tracing::warn!("settle: round failed: {e}; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    due = true;
                }
            }
            tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                n = notes.recv() => match n {
                    Ok(ChainNotification::NewBlock(block)) => due |= self.on_new_block(ctx, &block),
                    Ok(ChainNotification::Reorg { retracted, enacted }) => {
                        for b in &retracted {
                            self.store.record_retraction(&b.hash).await.map_err(DutyError::transient)?;
                        }
                        for b in &enacted {
                            due |= self.on_new_block(ctx, b);
                        }
                    }
                    Ok(ChainNotification::Confirmed(block)) => {
                        self.on_confirmed(ctx, &block).await.map_err(DutyError::transient)?;
                        due |= self.dirty;
                    }
                    Ok(ChainNotification::Finalized(_)) => {}
                    Err(RecvError::Lagged(_)) => self.catch_up(ctx).await.map_err(DutyError::transient)?,
                    Err(RecvError::Closed) => return Err(DutyError::fatal("the watcher stopped; the settler has nothing to follow")),
                },
                Some((id, hash, status)) = self.statuses.recv() => {
                    due |= self.on_status(ctx, id, hash, status).await.map_err(DutyError::transient)?;
                }
                _ = tick.tick() => {
                    self.dirty = true;
                    due = true;
                }
            }
        }
    }
}
