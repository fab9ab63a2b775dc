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
use crate::chain::{AccountId, BlockHash, ChainError, ContractEvent};

/// How many blocks a transaction stays valid: long enough to wait out a
/// busy pool, short enough that a lost one expires instead of lingering.
const MORTALITY: u64 = 256;

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

/// Signs `call` as `signer` with the next nonce, submits it, and waits until
/// it is in a best block. A failed dispatch is [`ChainError::Rejected`] with
/// the runtime's error name.
pub async fn submit<S: subxt::tx::Signer<PolkadotConfig>>(
    conn: &Connection,
    nonces: &NonceAllocator,
    metrics: &NodeMetrics,
    signer: &S,
    call: &DynamicPayload,
    what: &str,
) -> Result<Included, ChainError> {
    let fail = |e| classify(e, &conn.endpoint, what);
    let account = signer.account_id();
    let mut lease = nonces.lease(AccountId(account.0)).await;
    let mut progress = None;
    for attempt in 0..2 {
        let chain_next = conn
            .rpc
            .system_account_next_index(&account)
            .await
            .map_err(|e| super::errors::classify_rpc(e, &conn.endpoint, "reading the next nonce"))?;
        let (nonce, drifted) = lease.choose(chain_next);
        if drifted {
            metrics.nonce_resyncs.inc();
            tracing::warn!(account = %account, nonce, "the nonce counter had drifted from the chain; re-synced");
        }
        let head = conn.info(None).await?.ok_or_else(|| ChainError::Decode("the node has no best block".into()))?;
        let params = DefaultExtrinsicParamsBuilder::<PolkadotConfig>::new()
            .nonce(nonce)
            .mortal_from_unchecked(MORTALITY, head.number, H256(head.hash))
            .build();
        let mut partial = conn.client.tx().create_partial_offline(call, params).map_err(fail)?;
        let tx = partial.sign(signer);
        metrics.submitted.inc();
        match tx.submit_and_watch().await.map_err(fail) {
            Ok(p) => {
                lease.accepted(nonce);
                progress = Some(p);
                break;
            }
            Err(ChainError::InvalidNonce { detail, .. }) if attempt == 0 => {
                metrics.nonce_resyncs.inc();
                metrics.retried.inc();
                tracing::warn!("the pool refused nonce {nonce} ({detail}); re-syncing and retrying");
                lease.reset();
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
    // The next submission from this key may go ahead: the pool holds this one.
    drop(lease);
    let Some(mut progress) = progress else { return Err(ChainError::Stopped) };
    let extrinsic = progress.extrinsic_hash().0;
    while let Some(status) = progress.next().await {
        match status.map_err(fail)? {
            TxStatus::InBestBlock(in_block) | TxStatus::InFinalizedBlock(in_block) => {
                let events = in_block.fetch_events().await.map_err(fail)?;
                let mut included = Included { extrinsic, block: in_block.block_hash().0, events: Vec::new(), runtime_events: Vec::new() };
                for ev in events.iter() {
                    let ev = ev.map_err(fail)?;
                    if ev.pallet_name() == "System" && ev.variant_name() == "ExtrinsicFailed" {
                        metrics.failed.inc();
                        let why = dispatch::describe(ev.field_bytes(), &conn.client.metadata());
                        return Err(ChainError::Rejected { what: what.to_owned(), detail: why });
                    }
                    match contract_event(&ev)? {
                        Some(c) => included.events.push(c),
                        None => included.runtime_events.push((
                            ev.pallet_name().to_owned(),
                            ev.variant_name().to_owned(),
                            ev.field_bytes().to_vec(),
                        )),
                    }
                }
                metrics.included.inc();
                return Ok(included);
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

/// The `(a, b)` account fields of a runtime event such as
/// `Contracts::Instantiated { deployer, contract }`.
pub fn two_accounts(fields: &[u8]) -> Option<(AccountId, AccountId)> {
    let (a, b) = <([u8; 32], [u8; 32]) as scale::Decode>::decode(&mut &fields[..]).ok()?;
    Some((AccountId(a), AccountId(b)))
}
