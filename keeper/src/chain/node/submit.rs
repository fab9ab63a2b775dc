//! Signing, submitting and following one extrinsic to its block.

use subxt::config::DefaultExtrinsicParamsBuilder;
use subxt::tx::{DynamicPayload, TxStatus};
use subxt::utils::H256;
use subxt::PolkadotConfig;

use super::connection::{contract_event, Connection};
use super::dispatch;
use super::errors::classify;
use super::metrics::NodeMetrics;
use super::nonce::NonceAllocator;
use std::sync::Arc;

use crate::chain::{
    AccountId, BlockHash, BlockRef, ChainError, ContractEvent, RecordTx, SignedTx, TxResult, TxStatus as ChainTxStatus, TxWatch,
};

/// How many blocks a transaction stays valid: long enough to wait out a
/// busy pool, short enough that a lost one expires instead of lingering.
pub const MORTALITY: u64 = 256;

/// An extrinsic in a block, successful.
#[derive(Debug, Clone)]
pub struct Included {
    /// The extrinsic's hash.
    pub extrinsic: [u8; 32],
    /// The block it is in.
    pub block: BlockHash,
    /// The contract events it emitted.
    pub events: Vec<ContractEvent>,
    /// `(pallet, event, fields)` of its other events, for instantiation and
    /// upload results.
    pub runtime_events: Vec<(String, String, Vec<u8>)>,
}

/// A transaction in the pool, and how to follow it.
pub type Progress = subxt::tx::TxProgress<PolkadotConfig, subxt::OnlineClient<PolkadotConfig>>;

/// One extrinsic to send.
pub struct Outgoing<'a> {
    /// The call.
    pub call: &'a DynamicPayload,
    /// The tip offered.
    pub tip: u128,
    /// Send with this nonce, replacing the pool's extrinsic that holds it.
    pub replaces: Option<u64>,
    /// What it is, for messages.
    pub what: &'a str,
}

/// Signs `out` as `signer` with the next nonce (or the one it replaces),
/// hands it to `record`, and sends it. The key's nonce lock is held until
/// the pool has accepted it.
pub async fn send<S: subxt::tx::Signer<PolkadotConfig>>(
    conn: &Connection,
    nonces: &NonceAllocator,
    metrics: &NodeMetrics,
    signer: &S,
    out: Outgoing<'_>,
    record: &mut dyn RecordTx,
) -> Result<(SignedTx, Progress), ChainError> {
    let Outgoing { call, tip, replaces, what } = out;
    let fail = |e| classify(e, &conn.endpoint, what);
    let account = signer.account_id();
    let mut lease = nonces.lease(AccountId(account.0)).await;
    // A block imported between reading the next index and submitting makes
    // the nonce stale; the next read sees the block.
    const ATTEMPTS: u32 = 4;
    for attempt in 1..=ATTEMPTS {
        let chain_next = conn
            .rpc
            .system_account_next_index(&account)
            .await
            .map_err(|e| super::errors::classify_rpc(e, &conn.endpoint, "reading the next nonce"))?;
        let (nonce, drifted) = match replaces {
            Some(nonce) => (nonce, false),
            None => lease.choose(chain_next),
        };
        if drifted {
            metrics.nonce_resyncs.inc();
            tracing::warn!(account = %account, nonce, "the nonce counter had drifted from the chain; re-synced");
        }
        let head = conn.info(None).await?.ok_or_else(|| ChainError::Decode("the node has no best block".into()))?;
        let params = DefaultExtrinsicParamsBuilder::<PolkadotConfig>::new()
            .nonce(nonce)
            .tip(tip)
            .mortal_from_unchecked(MORTALITY, head.number, H256(head.hash))
            .build();
        let mut partial = conn.client.tx().create_partial_offline(call, params).map_err(fail)?;
        let tx = partial.sign(signer);
        let signed = SignedTx { hash: tx.hash().0, signer: AccountId(account.0), nonce };
        record.record(&signed).await.map_err(|why| ChainError::BadInput(format!("{what} not sent: recording it failed: {why}")))?;
        metrics.submitted.inc();
        match tx.submit_and_watch().await.map_err(fail) {
            Ok(progress) => {
                if replaces.is_none() {
                    lease.accepted(nonce);
                }
                return Ok((signed, progress));
            }
            Err(ChainError::InvalidNonce { detail, .. }) if attempt < ATTEMPTS && replaces.is_none() => {
                metrics.nonce_resyncs.inc();
                metrics.retried.inc();
                tracing::warn!("the pool refused nonce {nonce} ({detail}); re-syncing and retrying");
                lease.reset();
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(ChainError::InvalidNonce { detail, .. }) => return Err(ChainError::InvalidNonce { nonce, detail }),
            Err(e) => {
                // Whether it reached the pool is unknown: take the chain's view next time.
                lease.reset();
                metrics.failed.inc();
                return Err(e);
            }
        }
    }
    Err(ChainError::Stopped)
}

/// Sends `call` and waits until it is in a best block. A failed dispatch is
/// [`ChainError::Rejected`] with the runtime's error name.
pub async fn submit<S: subxt::tx::Signer<PolkadotConfig>>(
    conn: &Connection,
    nonces: &NonceAllocator,
    metrics: &NodeMetrics,
    signer: &S,
    call: &DynamicPayload,
    what: &str,
) -> Result<Included, ChainError> {
    let (signed, mut progress) = send(conn, nonces, metrics, signer, Outgoing { call, tip: 0, replaces: None, what }, &mut ()).await?;
    let fail = |e| classify(e, &conn.endpoint, what);
    while let Some(status) = progress.next().await {
        match status.map_err(fail)? {
            TxStatus::InBestBlock(in_block) | TxStatus::InFinalizedBlock(in_block) => {
                let block = in_block.block_hash().0;
                let (result, runtime_events) = outcome(conn, &in_block, what).await?;
                return match result {
                    TxResult::Success { events, .. } => {
                        metrics.included.inc();
                        Ok(Included { extrinsic: signed.hash, block, events, runtime_events })
                    }
                    TxResult::Failed { error } => {
                        metrics.failed.inc();
                        Err(ChainError::Rejected { what: what.to_owned(), detail: error })
                    }
                };
            }
            TxStatus::Invalid { message } | TxStatus::Dropped { message } | TxStatus::Error { message } => {
                metrics.failed.inc();
                return Err(ChainError::Rejected { what: what.to_owned(), detail: message });
            }
            TxStatus::Validated | TxStatus::Broadcasted | TxStatus::NoLongerInBestBlock => {}
        }
    }
    Err(ChainError::Transport { endpoint: conn.endpoint.clone(), detail: format!("{what}: the status subscription ended") })
}

/// `(pallet, event, fields)` of runtime events other than contract events.
pub type RuntimeEvents = Vec<(String, String, Vec<u8>)>;

/// How the extrinsic in `in_block` went, and its runtime events.
async fn outcome(
    conn: &Connection,
    in_block: &subxt::tx::TxInBlock<PolkadotConfig, subxt::OnlineClient<PolkadotConfig>>,
    what: &str,
) -> Result<(TxResult, RuntimeEvents), ChainError> {
    let events = in_block.fetch_events().await.map_err(|e| classify(e, &conn.endpoint, what))?;
    result_of(conn, &events, what)
}

/// How an extrinsic went, from its events: `System::ExtrinsicFailed` or not,
/// its contract events, a `force_batch`'s refused items, and its other
/// runtime events.
pub fn result_of(
    conn: &Connection,
    events: &subxt::blocks::ExtrinsicEvents<PolkadotConfig>,
    what: &str,
) -> Result<(TxResult, RuntimeEvents), ChainError> {
    let fail = |e| classify(e, &conn.endpoint, what);
    let (mut contract, mut runtime, mut failed_items) = (Vec::new(), Vec::new(), Vec::new());
    let mut item = 0u32;
    for ev in events.iter() {
        let ev = ev.map_err(fail)?;
        match (ev.pallet_name(), ev.variant_name()) {
            ("System", "ExtrinsicFailed") => {
                let error = dispatch::describe(ev.field_bytes(), &conn.client.metadata());
                return Ok((TxResult::Failed { error }, runtime));
            }
            ("Utility", "ItemCompleted") => item = item.saturating_add(1),
            ("Utility", "ItemFailed") => {
                failed_items.push((item, dispatch::describe(ev.field_bytes(), &conn.client.metadata())));
                item = item.saturating_add(1);
            }
            _ => {}
        }
        match contract_event(&ev)? {
            Some(c) => contract.push(c),
            None => runtime.push((ev.pallet_name().to_owned(), ev.variant_name().to_owned(), ev.field_bytes().to_vec())),
        }
    }
    Ok((TxResult::Success { events: contract, failed_items }, runtime))
}

/// Follows `progress` as [`crate::chain::TxStatus`]es until it is final,
/// dropped or invalid.
pub fn watch(conn: Arc<Connection>, metrics: NodeMetrics, progress: Progress) -> TxWatch {
    struct State {
        conn: Arc<Connection>,
        metrics: NodeMetrics,
        progress: Option<Progress>,
        last: Option<BlockRef>,
    }
    let state = State { conn, metrics, progress: Some(progress), last: None };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        loop {
            let progress = st.progress.as_mut()?;
            let status = match progress.next().await {
                Some(Ok(s)) => s,
                Some(Err(e)) => {
                    st.progress = None;
                    return Some((ChainTxStatus::Dropped { reason: format!("lost track of it: {e}") }, st));
                }
                None => return None,
            };
            let conn = Arc::clone(&st.conn);
            let block_ref = |hash: H256| async move {
                let number = conn.info(Some(hash.0)).await.ok().flatten().map_or(0, |i| i.number);
                BlockRef { number, hash: hash.0 }
            };
            let next = match status {
                TxStatus::InBestBlock(in_block) => {
                    let block = block_ref(in_block.block_hash()).await;
                    let result = match outcome(&st.conn, &in_block, "following an extrinsic").await {
                        Ok((r, _)) => r,
                        Err(e) => TxResult::Failed { error: format!("its events could not be read: {e}") },
                    };
                    match &result {
                        TxResult::Success { .. } => st.metrics.included.inc(),
                        TxResult::Failed { .. } => st.metrics.failed.inc(),
                    };
                    st.last = Some(block);
                    ChainTxStatus::InBlock { block, result }
                }
                TxStatus::NoLongerInBestBlock => match st.last.take() {
                    Some(block) => ChainTxStatus::Retracted { block },
                    None => continue,
                },
                TxStatus::InFinalizedBlock(in_block) => {
                    st.progress = None;
                    ChainTxStatus::Finalized { block: block_ref(in_block.block_hash()).await }
                }
                TxStatus::Dropped { message } => {
                    st.progress = None;
                    ChainTxStatus::Dropped { reason: message }
                }
                TxStatus::Invalid { message } | TxStatus::Error { message } => {
                    st.progress = None;
                    ChainTxStatus::Invalid { reason: message }
                }
                TxStatus::Validated | TxStatus::Broadcasted => continue,
            };
            return Some((next, st));
        }
    }))
}

/// The `(a, b)` account fields of a runtime event such as
/// `Contracts::Instantiated { deployer, contract }`.
pub fn two_accounts(fields: &[u8]) -> Option<(AccountId, AccountId)> {
    let (a, b) = <([u8; 32], [u8; 32]) as scale::Decode>::decode(&mut &fields[..]).ok()?;
    Some((AccountId(a), AccountId(b)))
}
