//! The node backend: subxt over WebSocket to a Substrate node with
//! `pallet-contracts`.
//!
//! * Several endpoints, tried in order; a transport failure or timeout moves
//!   to the next one and the request is made again there (reads only: a
//!   submission whose fate is unknown is reported, not repeated).
//! * Extrinsics are signed with the keeper's secp256k1 key
//!   ([`signing::EcdsaSigner`]); nonces come from one allocator per key
//!   ([`nonce::NonceAllocator`]).
//! * Calls are dry-run first (`ContractsApi_*`), for their output and for the
//!   weight and deposit limits the extrinsic then carries, with a margin.

mod calls;
mod connection;
mod dispatch;
mod errors;
mod metrics;
mod nonce;
mod runtime_api;
mod signing;
mod submit;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::RwLock;

pub use metrics::NodeMetrics;
pub use nonce::NonceAllocator;

use self::connection::Connection;
use self::runtime_api::DryRun;
use super::{
    AccountId, Balance, Block, BlockHash, BlockInfo, BlockRef, BlockSource, CallOutcome, Chain, ChainError, CodeHash, Head, HeadStream,
    Instantiated, Limits, Located, RecordTx, SignedTx, Tx, TxWatch, Uploaded, DRY_RUN_MARGIN_PERCENT,
};
use crate::keys::Signer;

/// How to reach the node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// WebSocket URLs, tried in order.
    pub endpoints: Vec<String>,
    /// Longest wait for one request.
    pub request_timeout: Duration,
}

/// A node, through one of its endpoints.
pub struct NodeChain {
    config: NodeConfig,
    current: RwLock<Option<Arc<Connection>>>,
    next: AtomicUsize,
    nonces: NonceAllocator,
    metrics: NodeMetrics,
}

impl NodeChain {
    /// Connects to the first endpoint that answers. Fails, naming every
    /// endpoint tried, when none does.
    pub async fn connect(config: NodeConfig, metrics: NodeMetrics) -> Result<Self, ChainError> {
        if config.endpoints.is_empty() {
            return Err(ChainError::BadInput("no node endpoint given".into()));
        }
        let chain = NodeChain { config, current: RwLock::new(None), next: AtomicUsize::new(0), nonces: NonceAllocator::default(), metrics };
        chain.conn().await?;
        Ok(chain)
    }

    /// The endpoint in use, if connected.
    pub async fn endpoint(&self) -> Option<String> {
        self.current.read().await.as_ref().map(|c| c.endpoint.clone())
    }

    /// The nonce allocator (tests corrupt it to see it recover).
    pub fn nonces(&self) -> &NonceAllocator {
        &self.nonces
    }

    async fn conn(&self) -> Result<Arc<Connection>, ChainError> {
        if let Some(c) = self.current.read().await.as_ref() {
            return Ok(Arc::clone(c));
        }
        let mut current = self.current.write().await;
        if let Some(c) = current.as_ref() {
            return Ok(Arc::clone(c));
        }
        let n = self.config.endpoints.len();
        let mut failures = Vec::new();
        for i in 0..n {
            let index = self.next.load(Ordering::Relaxed).wrapping_add(i) % n;
            let endpoint = &self.config.endpoints[index];
            match tokio::time::timeout(self.config.request_timeout, Connection::open(endpoint)).await {
                Ok(Ok(c)) => {
                    let c = Arc::new(c);
                    self.next.store(index, Ordering::Relaxed);
                    *current = Some(Arc::clone(&c));
                    tracing::info!(endpoint, "connected to the node");
                    return Ok(c);
                }
                Ok(Err(ChainError::Transport { detail, .. })) => failures.push((endpoint, detail)),
                Ok(Err(e)) => failures.push((endpoint, e.to_string())),
                Err(_) => failures.push((endpoint, format!("no answer within {:?}", self.config.request_timeout))),
            }
        }
        let detail = match failures.as_slice() {
            [(_, only)] => only.clone(),
            all => all.iter().map(|(e, d)| format!("{e}: {d}")).collect::<Vec<_>>().join("; "),
        };
        Err(ChainError::Transport { endpoint: self.config.endpoints.join(", "), detail })
    }

    /// Drops `failed` and moves on to the next endpoint.
    async fn fail_over(&self, failed: &Arc<Connection>) {
        let mut current = self.current.write().await;
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, failed)) {
            *current = None;
            self.next.fetch_add(1, Ordering::Relaxed);
            self.metrics.failovers.inc();
            tracing::warn!(endpoint = failed.endpoint, "the node connection failed; trying the next endpoint");
        }
    }

    /// Runs a read, failing over and trying again on a transport failure or
    /// timeout, once per endpoint.
    async fn read<T, F, Fut>(&self, op: F) -> Result<T, ChainError>
    where
        F: Fn(Arc<Connection>) -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
    {
        let mut last = None;
        for _ in 0..=self.config.endpoints.len() {
            let conn = self.conn().await?;
            let result = match tokio::time::timeout(self.config.request_timeout, op(Arc::clone(&conn))).await {
                Ok(r) => r,
                Err(_) => Err(ChainError::Timeout(format!("{}: no answer within {:?}", conn.endpoint, self.config.request_timeout))),
            };
            match result {
                Err(e @ (ChainError::Transport { .. } | ChainError::Timeout(_))) => {
                    self.metrics.rpc_errors.inc();
                    self.fail_over(&conn).await;
                    last = Some(e);
                }
                other => return other,
            }
        }
        Err(last.unwrap_or(ChainError::Stopped))
    }

    /// Submits `call` and waits for it to be in a block. A transport failure
    /// drops the connection (the next request fails over) but is not retried
    /// here: the extrinsic may be in the pool.
    async fn submit_and_wait(&self, signer: &Signer, call: subxt::tx::DynamicPayload, what: &str) -> Result<submit::Included, ChainError> {
        let conn = self.conn().await?;
        let result = submit::submit(&conn, &self.nonces, &self.metrics, &signing::EcdsaSigner(signer), &call, what).await;
        self.after_write(&conn, result).await
    }

    /// Passes a submission's result on; a transport failure drops `conn` so
    /// the next request fails over. Writes are not repeated here: the
    /// extrinsic may be in the pool.
    async fn after_write<T>(&self, conn: &Arc<Connection>, result: Result<T, ChainError>) -> Result<T, ChainError> {
        if let Err(ChainError::Transport { .. }) = &result {
            self.fail_over(conn).await;
        }
        result
    }

    /// The hashes of the extrinsics in block `hash`, in order (`None` when the
    /// node does not know the block): how a caller checks whether an
    /// extrinsic it recorded made it in.
    pub async fn extrinsics(&self, hash: BlockHash) -> Result<Option<Vec<super::TxHash>>, ChainError> {
        use blake2::digest::consts::U32;
        use blake2::{Blake2b, Digest};
        self.read(|c| async move {
            let block = c
                .rpc
                .chain_get_block(Some(subxt::utils::H256(hash)))
                .await
                .map_err(|e| errors::classify_rpc(e, &c.endpoint, "reading a block"))?;
            Ok(block.map(|b| b.block.extrinsics.iter().map(|x| Blake2b::<U32>::digest(&x.0).into()).collect()))
        })
        .await
    }

    /// `who`'s nonce in the state of block `at`: how many extrinsics it has
    /// had applied up to there (`System::Account`).
    pub async fn nonce_at(&self, who: AccountId, at: BlockHash) -> Result<u64, ChainError> {
        self.read(|c| async move {
            let address = subxt::dynamic::storage("System", "Account", vec![subxt::dynamic::Value::from_bytes(who.0)]);
            let key = c.client.storage().address_bytes(&address).map_err(|e| errors::classify(e, &c.endpoint, "a storage key"))?;
            let raw = c
                .rpc
                .state_get_storage(&key, Some(subxt::utils::H256(at)))
                .await
                .map_err(|e| errors::classify_rpc(e, &c.endpoint, "reading an account's nonce"))?;
            // AccountInfo starts with its nonce (u32 on this runtime).
            raw.map_or(Ok(0), |bytes| <u32 as scale::Decode>::decode(&mut &bytes[..]).map(u64::from))
                .map_err(|e| ChainError::Decode(format!("System::Account: {e}")))
        })
        .await
    }

    /// The code hash a live contract runs (`Contracts::ContractInfoOf`), or
    /// `None` when no contract lives at `contract`.
    pub async fn code_hash_of(&self, contract: AccountId) -> Result<Option<CodeHash>, ChainError> {
        self.read(|c| async move {
            let address = subxt::dynamic::storage("Contracts", "ContractInfoOf", vec![subxt::dynamic::Value::from_bytes(contract.0)]);
            let key = c.client.storage().address_bytes(&address).map_err(|e| errors::classify(e, &c.endpoint, "a storage key"))?;
            let raw = c.rpc.state_get_storage(&key, None).await.map_err(|e| errors::classify_rpc(e, &c.endpoint, "reading a contract"))?;
            // ContractInfo starts with its trie id, then its code hash.
            raw.map(|bytes| <(Vec<u8>, CodeHash) as scale::Decode>::decode(&mut &bytes[..]).map(|(_, hash)| hash))
                .transpose()
                .map_err(|e| ChainError::Decode(format!("Contracts::ContractInfoOf: {e}")))
        })
        .await
    }

    /// The account of the sr25519 dev key `//Alice`, which a dev node funds.
    pub fn alice() -> AccountId {
        AccountId(subxt_signer::sr25519::dev::alice().public_key().0)
    }

    /// Transfers `amount` from the sr25519 dev account `//Alice`, which a dev
    /// node's genesis funds (it funds no ECDSA account): how `lode deploy
    /// --dev` pays for a keeper's first extrinsics.
    pub async fn fund_from_alice(&self, to: AccountId, amount: Balance) -> Result<(), ChainError> {
        let conn = self.conn().await?;
        let alice = subxt_signer::sr25519::dev::alice();
        let result = submit::submit(&conn, &self.nonces, &self.metrics, &alice, &calls::transfer(to, amount), "funding from //Alice").await;
        self.after_write(&conn, result).await.map(|_| ())
    }

    /// What uploading `wasm` as `origin` would store: its code hash and the
    /// deposit (zero when the code is already there).
    pub async fn dry_run_upload(&self, origin: AccountId, wasm: &[u8]) -> Result<(CodeHash, Balance), ChainError> {
        let args = runtime_api::upload_args(origin.0, wasm);
        let raw = self
            .read(|c| {
                let args = args.clone();
                async move {
                    c.rpc
                        .state_call("ContractsApi_upload_code", Some(&args), None)
                        .await
                        .map_err(|e| errors::classify_rpc(e, &c.endpoint, "code upload dry run"))
                }
            })
            .await?;
        match runtime_api::decode_upload(&raw).map_err(|e| ChainError::Decode(format!("ContractsApi_upload_code: {e}")))? {
            Ok(ok) => Ok(ok),
            Err(error) => Err(self.rejected("code upload", &error, "").await),
        }
    }

    /// What instantiating `wasm` (not yet on chain) as `origin` would do:
    /// the new contract's address, and the weight and deposit it would cost
    /// (code storage included). A constructor that calls a contract not yet
    /// deployed fails here.
    pub async fn dry_run_deploy(
        &self,
        origin: AccountId,
        wasm: &[u8],
        input: &[u8],
        salt: &[u8],
    ) -> Result<(AccountId, CallOutcome), ChainError> {
        let args = runtime_api::instantiate_with_code_args(origin.0, 0, wasm, input, salt);
        let dry = self.dry_run_raw("ContractsApi_instantiate", args, true).await?;
        match &dry.result {
            Ok(e) if e.reverted => Err(ChainError::Reverted { what: "constructor".into(), data: hex::encode(&e.data) }),
            Ok(e) => {
                let address = e.account.map(AccountId).ok_or_else(|| ChainError::Decode("no address in the dry run".into()))?;
                Ok((address, outcome(&dry, e.data.clone(), false, Vec::new())))
            }
            Err(error) => Err(self.rejected("instantiate", error, &dry.debug).await),
        }
    }

    async fn dry_run_raw(&self, method: &'static str, args: Vec<u8>, instantiate: bool) -> Result<DryRun, ChainError> {
        self.read(|c| {
            let args = args.clone();
            async move {
                let bytes = c.rpc.state_call(method, Some(&args), None).await.map_err(|e| errors::classify_rpc(e, &c.endpoint, method))?;
                runtime_api::decode_exec(&bytes, instantiate).map_err(|e| ChainError::Decode(format!("{method}: {e}")))
            }
        })
        .await
    }

    async fn metadata(&self) -> Result<subxt::Metadata, ChainError> {
        Ok(self.conn().await?.client.metadata())
    }

    async fn rejected(&self, what: &str, error: &[u8], debug: &str) -> ChainError {
        let name = match self.metadata().await {
            Ok(m) => dispatch::describe(error, &m),
            Err(_) => format!("0x{}", hex::encode(error)),
        };
        let detail = if debug.trim().is_empty() { name } else { format!("{name} (contract said: {})", debug.trim()) };
        ChainError::Rejected { what: what.to_owned(), detail }
    }
}

fn outcome(dry: &DryRun, data: Vec<u8>, reverted: bool, events: Vec<super::ContractEvent>) -> CallOutcome {
    CallOutcome { data, reverted, weight_consumed: dry.consumed, weight_required: dry.required, storage_deposit: dry.deposit, events }
}

#[async_trait::async_trait]
impl BlockSource for NodeChain {
    async fn head(&self) -> Result<BlockInfo, ChainError> {
        self.read(|c| async move { c.info(None).await?.ok_or_else(|| ChainError::Decode("the node has no best block".into())) }).await
    }

    async fn finalized(&self) -> Result<BlockInfo, ChainError> {
        self.read(|c| async move { c.finalized().await }).await
    }

    async fn block(&self, hash: BlockHash) -> Result<Option<Block>, ChainError> {
        self.read(|c| async move { c.block(hash).await }).await
    }

    async fn block_hash(&self, number: u64) -> Result<Option<BlockHash>, ChainError> {
        self.read(|c| async move { c.hash_at(number).await }).await
    }

    async fn follow(&self) -> Result<HeadStream, ChainError> {
        // Through `read`, so a dead connection fails over to the next endpoint.
        self.read(|conn| async move {
            let endpoint = conn.endpoint.clone();
            let rpc_err = |e| errors::classify_rpc(e, &endpoint, "following heads");
            let best = conn.rpc.chain_subscribe_new_heads().await.map_err(rpc_err)?;
            let finalized = conn.rpc.chain_subscribe_finalized_heads().await.map_err(rpc_err)?;
            let tag = |s: subxt::ext::subxt_rpcs::client::RpcSubscription<_>, best: bool| s.map(move |h| (best, h));
            let merged = futures::stream::select(tag(best, true), tag(finalized, false));
            let stream = merged.then(move |(best, header)| {
                let conn = Arc::clone(&conn);
                async move {
                    let header = header.map_err(|e| errors::classify_rpc(e, &conn.endpoint, "following heads"))?;
                    let info = conn.info_of(&header).await?;
                    Ok(if best { Head::Best(info) } else { Head::Finalized(info) })
                }
            });
            Ok(Box::pin(stream) as HeadStream)
        })
        .await
    }
}

#[async_trait::async_trait]
impl Chain for NodeChain {
    fn backend(&self) -> &'static str {
        "node"
    }

    async fn genesis_hash(&self) -> Result<[u8; 32], ChainError> {
        Ok(self.conn().await?.client.genesis_hash().0)
    }

    async fn balance(&self, who: AccountId) -> Result<Balance, ChainError> {
        self.read(|c| async move { c.balance(who).await }).await
    }

    async fn transfer(&self, signer: &Signer, to: AccountId, amount: Balance) -> Result<(), ChainError> {
        self.submit_and_wait(signer, calls::transfer(to, amount), "transfer").await.map(|_| ())
    }

    async fn upload_code(&self, signer: &Signer, wasm: Vec<u8>) -> Result<Uploaded, ChainError> {
        let (code_hash, deposit) = self.dry_run_upload(signer.account_id(), &wasm).await?;
        if deposit == 0 {
            // Already stored: nothing to pay for, nothing to send.
            return Ok(Uploaded { code_hash, deposit: 0 });
        }
        let limit = deposit.saturating_add(deposit / 100 * u128::from(DRY_RUN_MARGIN_PERCENT));
        self.submit_and_wait(signer, calls::upload_code(wasm, Some(limit)), "code upload").await?;
        Ok(Uploaded { code_hash, deposit })
    }

    async fn instantiate(
        &self,
        signer: &Signer,
        code_hash: CodeHash,
        value: Balance,
        input: Vec<u8>,
        salt: Vec<u8>,
    ) -> Result<Instantiated, ChainError> {
        let args = runtime_api::instantiate_args(signer.account_id().0, value, code_hash, &input, &salt);
        let dry = self.dry_run_raw("ContractsApi_instantiate", args, true).await?;
        let executed = match &dry.result {
            Ok(e) => e.clone(),
            Err(error) => return Err(self.rejected("instantiate", error, &dry.debug).await),
        };
        if executed.reverted {
            return Err(ChainError::Reverted { what: "constructor".into(), data: hex::encode(&executed.data) });
        }
        let limits = Limits::from_dry_run(&outcome(&dry, Vec::new(), false, Vec::new()), DRY_RUN_MARGIN_PERCENT);
        let included = self.submit_and_wait(signer, calls::instantiate(code_hash, value, limits, input, salt), "instantiate").await?;
        let address = included
            .runtime_events
            .iter()
            .find(|(p, v, _)| p == "Contracts" && v == "Instantiated")
            .and_then(|(_, _, fields)| submit::two_accounts(fields))
            .map(|(_, contract)| contract)
            .or(executed.account.map(AccountId))
            .ok_or_else(|| ChainError::Decode("the instantiation emitted no Contracts::Instantiated event".into()))?;
        Ok(Instantiated { address, outcome: outcome(&dry, executed.data, false, included.events) })
    }

    async fn call(&self, signer: &Signer, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError> {
        let dry = self.dry_run(signer.account_id(), contract, value, input.clone()).await?;
        if dry.reverted {
            // The message returned an error: sending it would only pay for
            // the same refusal.
            return Ok(dry);
        }
        let limits = Limits::from_dry_run(&dry, DRY_RUN_MARGIN_PERCENT);
        let included = self.submit_and_wait(signer, calls::contract_call(contract, value, limits, input), "contract call").await?;
        tracing::debug!(extrinsic = hex::encode(included.extrinsic), block = hex::encode(included.block), "contract call included");
        Ok(CallOutcome { events: included.events, ..dry })
    }

    async fn dry_run(&self, origin: AccountId, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError> {
        let args = runtime_api::call_args(origin.0, contract.0, value, &input);
        let dry = self.dry_run_raw("ContractsApi_call", args, false).await?;
        match &dry.result {
            Ok(e) => Ok(outcome(&dry, e.data.clone(), e.reverted, Vec::new())),
            Err(error) => Err(self.rejected("contract call", error, &dry.debug).await),
        }
    }

    /// Reads the signer's nonce at the finalized block first: while it does
    /// not pass `tx`'s, `tx` cannot be in a finalized block, and no block
    /// need be read. Otherwise the blocks `tx` could be in (after `sent_at`,
    /// within its mortality) are searched by hash.
    async fn locate(&self, tx: &SignedTx, sent_at: u64) -> Result<Located, ChainError> {
        let tx = *tx;
        let finalized = self.finalized().await?;
        let next_nonce = self.nonce_at(tx.signer, finalized.hash).await?;
        if next_nonce <= tx.nonce {
            return Ok(Located::Pending);
        }
        let last = finalized.number.min(sent_at.saturating_add(submit::MORTALITY).saturating_add(1));
        for number in sent_at.saturating_add(1)..=last {
            let Some(block) = self.block_hash(number).await? else { continue };
            let found = self
                .read(|c| async move {
                    let what = "searching a block for an extrinsic";
                    let at = c.client.blocks().at(subxt::utils::H256(block)).await.map_err(|e| errors::classify(e, &c.endpoint, what))?;
                    let extrinsics = at.extrinsics().await.map_err(|e| errors::classify(e, &c.endpoint, what))?;
                    for ext in extrinsics.iter() {
                        if ext.hash().0 == tx.hash {
                            let events = ext.events().await.map_err(|e| errors::classify(e, &c.endpoint, what))?;
                            return submit::result_of(&c, &events, what).map(|(result, _)| Some(result));
                        }
                    }
                    Ok(None)
                })
                .await?;
            if let Some(result) = found {
                return Ok(Located::Included { block: BlockRef { number, hash: block }, result });
            }
        }
        Ok(Located::Superseded)
    }

    async fn submit(&self, signer: &Signer, tx: Tx, record: &mut dyn RecordTx) -> Result<TxWatch, ChainError> {
        let conn = self.conn().await?;
        let payload = calls::payload(tx.call);
        let signer = signing::EcdsaSigner(signer);
        let out = submit::Outgoing { call: &payload, tip: tx.tip, replaces: tx.replaces, what: "submission" };
        let sent = submit::send(&conn, &self.nonces, &self.metrics, &signer, out, record).await;
        let (_, progress) = self.after_write(&conn, sent).await?;
        Ok(submit::watch(conn, self.metrics.clone(), progress))
    }
}
