//! The keeper's tamper-evident audit log: every action it takes (a
//! submission, an inclusion, a settlement, an alert, a payout, a key use) is
//! appended to a hash chain in its store, and the chain's head is anchored on
//! chain (`alerts.anchor`) by the `anchor` job, so rows cut from the end are
//! caught too.
//!
//! Duties record through the [`AuditHook`] in their context (alerts are
//! recorded by the alert sinks, once per incident that passes its cooldown);
//! one writer, the [`AuditDuty`], appends in order. An entry still in the hook's queue when
//! the process is killed is lost; what reached the store is checked whole by
//! `lode audit verify`.

pub mod hashchain;

use lode_alerts::Anchor;
use tokio::sync::mpsc;

pub use hashchain::{Action, Break, Entry, Export, Head, Row};

use crate::contracts::Contracts;
use crate::keys::ss58;
use crate::runtime::{Context, Duty, DutyError, Job, Shutdown};
use crate::store::{Store, StoreError};

/// What a duty hands the audit log: an action and its details.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// What was done.
    pub action: Action,
    /// When, unix ms.
    pub at_ms: u64,
    /// The details, as JSON (amounts as strings).
    pub detail: serde_json::Value,
}

/// Where duties record their actions. Cheap to clone; without a writer
/// (tests, one-off commands) records go nowhere.
#[derive(Debug, Clone, Default)]
pub struct AuditHook {
    tx: Option<mpsc::UnboundedSender<Record>>,
}

/// The writer's end of an [`AuditHook`].
#[derive(Debug)]
pub struct AuditQueue(mpsc::UnboundedReceiver<Record>);

impl AuditHook {
    /// A hook and the queue its records arrive in.
    pub fn channel() -> (AuditHook, AuditQueue) {
        let (tx, rx) = mpsc::unbounded_channel();
        (AuditHook { tx: Some(tx) }, AuditQueue(rx))
    }

    /// Records `action` with `detail`, now.
    pub fn record(&self, action: Action, detail: serde_json::Value) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Record { action, at_ms: crate::runtime::now_ms(), detail });
        }
    }
}

/// Why the audit log could not be written or checked.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A row could not be built.
    #[error(transparent)]
    Append(#[from] hashchain::AppendError),
    /// The log is broken.
    #[error(transparent)]
    Broken(#[from] Break),
    /// The log disagrees with its on-chain anchor.
    #[error(transparent)]
    Anchor(#[from] hashchain::AnchorMismatch),
    /// The chain could not be asked.
    #[error(transparent)]
    Contract(#[from] crate::contracts::ContractError),
}

/// The single writer of this keeper's log.
pub struct AuditDuty {
    store: Store,
    keeper: String,
    queue: AuditQueue,
}

impl AuditDuty {
    /// Writes `keeper`'s records from `queue` into `store`.
    pub fn new(store: Store, keeper: crate::chain::AccountId, queue: AuditQueue) -> Self {
        AuditDuty { store, keeper: ss58(&keeper), queue }
    }

    async fn write(&self, head: &mut Head, record: Record) -> Result<(), AuditError> {
        let entry = Entry { action: record.action, at_ms: record.at_ms, keeper: self.keeper.clone(), detail: record.detail };
        let row = hashchain::append(head, &entry)?;
        self.store.audit_insert(&self.keeper, &row).await?;
        *head = Head { seq: row.seq, hash: row.hash };
        Ok(())
    }
}

#[async_trait::async_trait]
impl Duty for AuditDuty {
    fn name(&self) -> &'static str {
        "audit"
    }

    /// Appends records until shutdown, then what is still queued.
    async fn run(&mut self, _ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let mut head = self.store.audit_head(&self.keeper).await.map_err(DutyError::transient)?;
        loop {
            let record = tokio::select! {
                _ = shutdown.wait() => break,
                r = self.queue.0.recv() => match r {
                    Some(r) => r,
                    None => break,
                },
            };
            self.write(&mut head, record).await.map_err(DutyError::transient)?;
        }
        self.drain(&mut head).await.map_err(DutyError::transient)?;
        Ok(())
    }
}

impl AuditDuty {
    /// Writes what the queue holds now; returns how many records.
    async fn drain(&mut self, head: &mut Head) -> Result<usize, AuditError> {
        let mut written = 0;
        while let Ok(record) = self.queue.0.try_recv() {
            self.write(head, record).await?;
            written += 1;
        }
        Ok(written)
    }
}

/// Writes the records `queue` holds now into `keeper`'s log: for one-off
/// commands (`lode payout`), which run no writer duty. A keeper running with
/// the same key at the same moment makes the write fail on its sequence
/// number, and nothing is half-written.
pub async fn write_queued(store: &Store, keeper: crate::chain::AccountId, queue: AuditQueue) -> Result<usize, AuditError> {
    let mut duty = AuditDuty::new(store.clone(), keeper, queue);
    let mut head = store.audit_head(&duty.keeper).await?;
    duty.drain(&mut head).await
}

/// The keeper's last anchor on chain.
pub async fn anchor_on_chain(contracts: &Contracts, keeper: crate::chain::AccountId) -> Result<Option<Anchor>, AuditError> {
    Ok(contracts.alerts.anchor_of(keeper).await?)
}

/// What `lode audit verify` found: the log's head and the anchor it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The log's head.
    pub head: Head,
    /// The on-chain anchor it agrees with, if the keeper anchored yet.
    pub anchor: Option<Anchor>,
}

/// Checks `keeper`'s whole log in `store`, then against its on-chain anchor.
pub async fn verify(store: &Store, contracts: &Contracts, keeper: crate::chain::AccountId) -> Result<Verified, AuditError> {
    let rows = store.audit_rows(&ss58(&keeper)).await?;
    let hashes: Vec<[u8; 32]> = rows.iter().map(|r| r.hash).collect();
    let head = hashchain::verify(rows)?;
    let anchor = anchor_on_chain(contracts, keeper).await?;
    if let Some(a) = &anchor {
        let at = |seq: u64| usize::try_from(seq).ok().and_then(|s| s.checked_sub(1)).and_then(|i| hashes.get(i).copied());
        hashchain::verify_anchor(at, a.to_seq, &a.head_hash)?;
    }
    Ok(Verified { head, anchor })
}

/// The `anchor` job: anchors the log's new rows on chain.
pub struct AnchorJob {
    store: Store,
}

impl AnchorJob {
    /// A job over the log in `store`.
    pub fn new(store: Store) -> Self {
        AnchorJob { store }
    }
}

#[async_trait::async_trait]
impl Job for AnchorJob {
    fn name(&self) -> &'static str {
        "anchor"
    }

    async fn run(&self, ctx: &Context) -> Result<(), String> {
        let me = ctx.signer.account_id();
        let head = self.store.audit_head(&ss58(&me)).await.map_err(|e| e.to_string())?;
        let last = anchor_on_chain(&ctx.contracts, me).await.map_err(|e| e.to_string())?;
        let from = last.map_or(1, |a| a.to_seq.saturating_add(1));
        if head.seq < from {
            return Ok(());
        }
        let sent = ctx.contracts.alerts.anchor(&ctx.signer, from, head.seq, head.hash).await.map_err(|e| e.to_string())?;
        sent.map_err(|e| format!("the alerts contract refused the anchor: {e:?}"))?;
        ctx.audit.record(Action::Anchor, serde_json::json!({ "from_seq": from, "to_seq": head.seq, "head_hash": hex::encode(head.hash) }));
        tracing::info!(from, to = head.seq, "audit: anchored the log's head on chain");
        Ok(())
    }
}
