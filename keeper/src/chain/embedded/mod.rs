//! The embedded chain: a real `pallet-contracts` runtime (ink_sandbox's
//! `DefaultSandbox`) in-process, executing the real contract WASM.
//!
//! The runtime is not thread-safe, so one OS thread owns it and everything else
//! sends it closures over a channel (an actor). That thread also seals blocks on
//! a timer, like an instant-seal dev node.
//!
//! Two traps of the sandbox are handled here:
//! * `build_block` sets the timestamp in *seconds* from the wall clock; we set it
//!   again right after, in milliseconds as a node does, from a deterministic clock:
//!   block `n` has timestamp `genesis_ms + n * block_time_ms`.
//! * `build_block` resets the event list, so a block's events are collected just
//!   before sealing it.

use std::collections::{HashMap, VecDeque};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use ink_sandbox::api::prelude::*;
use ink_sandbox::frame_support::weights::Weight as SbWeight;
use ink_sandbox::macros::{DefaultSandboxRuntime as Runtime, RuntimeCall, RuntimeEvent};
use ink_sandbox::pallet_contracts::{self, Determinism, ExecReturnValue, StorageDeposit as SbDeposit};
use ink_sandbox::{frame_system, pallet_balances, AccountId32, DefaultSandbox, DispatchError, Sandbox};
use tokio::sync::{broadcast, mpsc as mpsc_tokio, oneshot};

use super::{
    AccountId, Balance, Block, BlockHash, BlockInfo, BlockRef, BlockSource, CallOutcome, Chain, ChainError, CodeHash, ContractEvent, Head,
    HeadStream, Instantiated, Located, RecordTx, SignedTx, StorageDeposit, Tx, TxCall, TxHash, TxResult, TxStatus, TxWatch, Uploaded,
    Weight,
};
use crate::keys::Signer;

/// How the embedded chain runs.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Time between blocks; also the timestamp step per block.
    pub block_time: Duration,
    /// Seal blocks on a timer (`lode dev`). Off, blocks are sealed only by
    /// [`EmbeddedChain::seal_blocks`] (tests: fully deterministic).
    pub auto_seal: bool,
    /// Timestamp of block 0, in ms since the Unix epoch.
    pub genesis_ms: u64,
    /// Accounts funded at start.
    pub endowed: Vec<(AccountId, Balance)>,
}

impl EmbeddedConfig {
    /// Blocks sealed only on request, with a fixed genesis time: for tests.
    pub fn manual(endowed: Vec<(AccountId, Balance)>) -> Self {
        Self { block_time: Duration::from_secs(6), auto_seal: false, genesis_ms: 1_700_000_000_000, endowed }
    }
}

type Job = Box<dyn FnOnce(&mut ChainState) + Send>;

/// Handle to the embedded chain. Cheap to share behind an `Arc`; dropping the last
/// handle stops the chain thread.
///
/// Every sealed block is final at once (as on an instant-seal dev node with
/// no finality delay), and the chain never forks.
pub struct EmbeddedChain {
    jobs: mpsc::Sender<Job>,
    heads: broadcast::Sender<Head>,
}

/// How many recent blocks the embedded chain keeps for [`BlockSource::block`]:
/// enough for any follower to catch up after a stall of over an hour at one
/// block a second.
const KEPT_BLOCKS: usize = 4096;

impl EmbeddedChain {
    /// Starts the runtime on its own thread and funds `config.endowed`.
    pub fn start(config: EmbeddedConfig) -> Result<Self, ChainError> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (heads, _) = broadcast::channel(1024);
        let head_tx = heads.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        thread::Builder::new()
            .name("embedded-chain".into())
            .spawn(move || {
                let node = ChainState::new(config, head_tx);
                match node {
                    Ok(node) => {
                        let _ = ready_tx.send(Ok(()));
                        node.run(inbox);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| ChainError::Rejected { what: "starting the embedded chain".into(), detail: e.to_string() })?;
        ready_rx.recv().map_err(|_| ChainError::Stopped)??;
        Ok(Self { jobs, heads })
    }

    /// Seals `n` blocks now and returns the last one. For tests and tools that
    /// drive time themselves.
    pub async fn seal_blocks(&self, n: u32) -> Result<BlockInfo, ChainError> {
        self.exec(move |node| {
            for _ in 0..n {
                node.seal();
            }
            node.head
        })
        .await
    }

    /// Mints native currency to `who` (development funding).
    pub async fn fund(&self, who: AccountId, amount: Balance) -> Result<(), ChainError> {
        self.exec(move |node| node.fund(who, amount)).await?
    }

    async fn exec<T: Send + 'static>(&self, f: impl FnOnce(&mut ChainState) -> T + Send + 'static) -> Result<T, ChainError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |node| {
                let _ = tx.send(f(node));
            }))
            .map_err(|_| ChainError::Stopped)?;
        rx.await.map_err(|_| ChainError::Stopped)
    }
}

#[async_trait::async_trait]
impl BlockSource for EmbeddedChain {
    async fn head(&self) -> Result<BlockInfo, ChainError> {
        self.exec(|node| node.head).await
    }

    async fn finalized(&self) -> Result<BlockInfo, ChainError> {
        self.exec(|node| node.head).await
    }

    async fn block(&self, hash: BlockHash) -> Result<Option<Block>, ChainError> {
        self.exec(move |node| node.by_hash.get(&hash).map(|b| Block::clone(b))).await
    }

    async fn block_hash(&self, number: u64) -> Result<Option<BlockHash>, ChainError> {
        self.exec(move |node| node.history.iter().find(|b| b.info.number == number).map(|b| b.info.hash)).await
    }

    async fn follow(&self) -> Result<HeadStream, ChainError> {
        let rx = self.heads.subscribe();
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(head) => return Some((Ok(head), rx)),
                    // A follower that fell behind fills the gap from the next head.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })))
    }
}

#[async_trait::async_trait]
impl Chain for EmbeddedChain {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn genesis_hash(&self) -> Result<[u8; 32], ChainError> {
        self.exec(|node| sandbox_genesis_hash(&mut node.sandbox)).await
    }

    async fn balance(&self, who: AccountId) -> Result<Balance, ChainError> {
        self.exec(move |node| node.sandbox.free_balance(&to_sb(who))).await
    }

    async fn transfer(&self, signer: &Signer, to: AccountId, amount: Balance) -> Result<(), ChainError> {
        let from = signer.account_id();
        self.exec(move |node| node.transfer(from, to, amount)).await?
    }

    async fn upload_code(&self, signer: &Signer, wasm: Vec<u8>) -> Result<Uploaded, ChainError> {
        let origin = to_sb(signer.account_id());
        self.exec(move |node| {
            node.sandbox
                .upload_contract(wasm, origin, None, Determinism::Enforced)
                .map(|r| Uploaded { code_hash: r.code_hash.0, deposit: r.deposit })
                .map_err(|e| ChainError::Rejected { what: "code upload".into(), detail: describe(&e, &[]) })
        })
        .await?
    }

    async fn instantiate(
        &self,
        signer: &Signer,
        code_hash: CodeHash,
        value: Balance,
        input: Vec<u8>,
        salt: Vec<u8>,
    ) -> Result<Instantiated, ChainError> {
        let origin = to_sb(signer.account_id());
        self.exec(move |node| {
            let before = node.event_count();
            let gas = DefaultSandbox::default_gas_limit();
            let res = node.sandbox.instantiate_contract(code_hash.to_vec(), value, input, salt, origin, gas, None);
            let events = contract_events(res.events.as_deref().unwrap_or_default(), before);
            let ret =
                res.result.map_err(|e| ChainError::Rejected { what: "instantiate".into(), detail: describe(&e, &res.debug_message) })?;
            let outcome = outcome(ret.result, res.gas_consumed, res.gas_required, res.storage_deposit, events);
            if outcome.reverted {
                return Err(ChainError::Reverted { what: "constructor".into(), data: hex::encode(&outcome.data) });
            }
            Ok(Instantiated { address: from_sb(&ret.account_id), outcome })
        })
        .await?
    }

    async fn call(&self, signer: &Signer, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError> {
        let origin = signer.account_id();
        self.exec(move |node| node.call(origin, contract, value, input, false)).await?
    }

    async fn dry_run(&self, origin: AccountId, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError> {
        self.exec(move |node| node.call(origin, contract, value, input, true)).await?
    }

    /// The embedded chain has no pool: the call executes in the open block
    /// right after `record`, and is reported in its block, final at once,
    /// when that block is sealed. Its hash is `blake2_256` of the signer,
    /// a per-signer counter and the call: unique, though no node would
    /// compute it. The counter is the nonce: every call is applied when it
    /// is sent, so replacing an earlier one is refused as a used nonce.
    async fn submit(&self, signer: &Signer, tx: Tx, record: &mut dyn RecordTx) -> Result<TxWatch, ChainError> {
        // The embedded chain charges no fees and has no pool: a tip buys nothing.
        let Tx { call, replaces, .. } = tx;
        let who = signer.account_id();
        let encoded = encode_call(&call);
        let signed = self
            .exec(move |node| {
                let nonce = node.tx_nonces.entry(who).or_default();
                let n = *nonce;
                if let Some(used) = replaces.filter(|r| *r < n) {
                    return Err(ChainError::InvalidNonce { nonce: used, detail: "that nonce is already used by an applied call".into() });
                }
                *nonce = n.saturating_add(1);
                let hash: [u8; 32] =
                    Blake2b::<U32>::new().chain_update(who.0).chain_update(n.to_le_bytes()).chain_update(&encoded).finalize().into();
                Ok(SignedTx { hash, signer: who, nonce: n })
            })
            .await??;
        record.record(&signed).await.map_err(|why| ChainError::BadInput(format!("submission not sent: recording it failed: {why}")))?;
        let rx = self.exec(move |node| node.apply(signed, call)).await?;
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|s| (s, rx)) })))
    }

    /// Answers from the blocks it keeps. For a call sent before the oldest
    /// of them, a missing record proves nothing, and the answer is `Pending`.
    async fn locate(&self, tx: &SignedTx, sent_at: u64) -> Result<Located, ChainError> {
        let tx = *tx;
        self.exec(move |node| {
            let forgotten = node.history.front().is_some_and(|oldest| sent_at < oldest.info.number);
            match node.included.get(&tx.hash) {
                Some((block, result)) => Located::Included { block: *block, result: result.clone() },
                None if forgotten => Located::Pending,
                None if node.sealed_nonces.get(&tx.signer).is_some_and(|next| *next > tx.nonce) => Located::Superseded,
                None => Located::Pending,
            }
        })
        .await
    }
}

/// A stable encoding of a call, for the embedded chain's transaction hashes.
fn encode_call(call: &TxCall) -> Vec<u8> {
    use scale::Encode;
    match call {
        TxCall::Transfer { to, amount } => (0u8, to.0, amount).encode(),
        TxCall::Transfers { payments } => (2u8, payments.iter().map(|(to, amount)| (to.0, *amount)).collect::<Vec<_>>()).encode(),
        TxCall::Contract { contract, value, input, .. } => (1u8, contract.0, value, input).encode(),
    }
}

/// State owned by the chain thread.
struct ChainState {
    sandbox: DefaultSandbox,
    config: EmbeddedConfig,
    head: BlockInfo,
    heads: broadcast::Sender<Head>,
    history: VecDeque<Arc<Block>>,
    by_hash: HashMap<BlockHash, Arc<Block>>,
    /// Per-signer counters for [`Chain::submit`]'s hashes.
    tx_nonces: HashMap<AccountId, u64>,
    /// Submitted calls waiting for the block they are in to be sealed.
    in_open_block: Vec<(mpsc_tokio::UnboundedSender<TxStatus>, SignedTx, TxResult)>,
    /// Submitted calls in kept blocks, for [`Chain::locate`].
    included: HashMap<TxHash, (BlockRef, TxResult)>,
    /// The hashes in `included`, per kept block, oldest first: they leave with their block.
    included_per_block: VecDeque<Vec<TxHash>>,
    /// Per signer, one past the highest counter in a sealed block.
    sealed_nonces: HashMap<AccountId, u64>,
}

impl ChainState {
    fn new(config: EmbeddedConfig, heads: broadcast::Sender<Head>) -> Result<Self, ChainError> {
        let mut sandbox = DefaultSandbox::default();
        let genesis_hash = sandbox_genesis_hash(&mut sandbox);
        let genesis = BlockInfo { number: 0, hash: genesis_hash, parent_hash: [0; 32], timestamp_ms: config.genesis_ms };
        let mut node = Self {
            sandbox,
            config,
            head: genesis,
            heads,
            history: VecDeque::new(),
            by_hash: HashMap::new(),
            tx_nonces: HashMap::new(),
            in_open_block: Vec::new(),
            included: HashMap::new(),
            included_per_block: VecDeque::new(),
            sealed_nonces: HashMap::new(),
        };
        node.keep(Block { info: genesis, events: Vec::new() }, Vec::new());
        // The sandbox starts inside block 1 with a timestamp in seconds; fix it.
        node.set_timestamp_for(1);
        for (who, amount) in node.config.endowed.clone() {
            node.fund(who, amount)?;
        }
        Ok(node)
    }

    fn run(mut self, inbox: mpsc::Receiver<Job>) {
        let mut next_seal = Instant::now() + self.config.block_time;
        loop {
            let wait = if self.config.auto_seal { next_seal.saturating_duration_since(Instant::now()) } else { Duration::from_secs(3600) };
            match inbox.recv_timeout(wait) {
                Ok(job) => job(&mut self),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            if self.config.auto_seal && Instant::now() >= next_seal {
                self.seal();
                // If sealing fell behind (a slow call), do not burst to catch up.
                next_seal = (next_seal + self.config.block_time).max(Instant::now());
            }
        }
    }

    /// Closes the current block, publishes it with its contract events, and opens the next.
    fn seal(&mut self) {
        let records = self.sandbox.events();
        let events = contract_events(&records, 0);
        let (number, timestamp_ms) = self.sandbox.execute_with(|| {
            (u64::from(frame_system::Pallet::<Runtime>::block_number()), ink_sandbox::pallet_timestamp::Pallet::<Runtime>::get())
        });
        let next = self.sandbox.build_block();
        let hash = self.sandbox.execute_with(frame_system::Pallet::<Runtime>::parent_hash);
        self.set_timestamp_for(u64::from(next));
        let info = BlockInfo { number, hash: hash.0, parent_hash: self.head.hash, timestamp_ms };
        self.head = info;
        let mut hashes = Vec::with_capacity(self.in_open_block.len());
        for (watcher, signed, result) in std::mem::take(&mut self.in_open_block) {
            hashes.push(signed.hash);
            self.included.insert(signed.hash, (info.at(), result.clone()));
            let next = self.sealed_nonces.entry(signed.signer).or_default();
            *next = (*next).max(signed.nonce.saturating_add(1));
            // A caller that stopped following is not an error.
            let _ = watcher.send(TxStatus::InBlock { block: info.at(), result });
            let _ = watcher.send(TxStatus::Finalized { block: info.at() });
        }
        self.keep(Block { info, events }, hashes);
        // No subscribers is fine: nobody is following yet.
        let _ = self.heads.send(Head::Best(info));
        let _ = self.heads.send(Head::Finalized(info));
    }

    fn keep(&mut self, block: Block, txs: Vec<TxHash>) {
        let block = Arc::new(block);
        self.by_hash.insert(block.info.hash, Arc::clone(&block));
        self.history.push_back(block);
        self.included_per_block.push_back(txs);
        if self.history.len() > KEPT_BLOCKS {
            if let Some(old) = self.history.pop_front() {
                self.by_hash.remove(&old.info.hash);
            }
            for hash in self.included_per_block.pop_front().unwrap_or_default() {
                self.included.remove(&hash);
            }
        }
    }

    fn set_timestamp_for(&mut self, number: u64) {
        let step = u64::try_from(self.config.block_time.as_millis()).unwrap_or(u64::MAX);
        let ts = self.config.genesis_ms.saturating_add(number.saturating_mul(step));
        self.sandbox.set_timestamp(ts);
    }

    fn transfer(&mut self, from: AccountId, to: AccountId, amount: Balance) -> Result<(), ChainError> {
        let call = RuntimeCall::Balances(pallet_balances::Call::<Runtime>::transfer_allow_death { dest: to_sb(to).into(), value: amount });
        self.sandbox
            .runtime_call(call, Some(to_sb(from)))
            .map(|_| ())
            .map_err(|e| ChainError::Rejected { what: "transfer".into(), detail: describe(&e.error, &[]) })
    }

    /// Executes a submitted call in the open block; its statuses follow when
    /// the block is sealed. A failure is reported in the block, as a node
    /// reports a failed extrinsic.
    fn apply(&mut self, signed: SignedTx, call: TxCall) -> mpsc_tokio::UnboundedReceiver<TxStatus> {
        let from = signed.signer;
        let result = match call {
            TxCall::Transfer { to, amount } => match self.transfer(from, to, amount) {
                Ok(()) => TxResult::Success { events: Vec::new(), failed_items: Vec::new() },
                Err(e) => TxResult::Failed { error: e.to_string() },
            },
            TxCall::Transfers { payments } => {
                let mut failed_items = Vec::new();
                for (i, (to, amount)) in (0u32..).zip(payments) {
                    if let Err(e) = self.transfer_keep_alive(from, to, amount) {
                        failed_items.push((i, e));
                    }
                }
                TxResult::Success { events: Vec::new(), failed_items }
            }
            TxCall::Contract { contract, value, input, .. } => match self.call(from, contract, value, input, false) {
                Ok(out) if out.reverted => TxResult::Failed { error: "Contracts::ContractReverted".into() },
                Ok(out) => TxResult::Success { events: out.events, failed_items: Vec::new() },
                Err(e) => TxResult::Failed { error: e.to_string() },
            },
        };
        let (tx, rx) = mpsc_tokio::unbounded_channel();
        self.in_open_block.push((tx, signed, result));
        rx
    }

    /// One item of a [`TxCall::Transfers`]: the runtime's error name when refused.
    fn transfer_keep_alive(&mut self, from: AccountId, to: AccountId, amount: Balance) -> Result<(), String> {
        let call = RuntimeCall::Balances(pallet_balances::Call::<Runtime>::transfer_keep_alive { dest: to_sb(to).into(), value: amount });
        self.sandbox.runtime_call(call, Some(to_sb(from))).map(|_| ()).map_err(|e| describe(&e.error, &[]))
    }

    fn fund(&mut self, who: AccountId, amount: Balance) -> Result<(), ChainError> {
        self.sandbox
            .mint_into(&to_sb(who), amount)
            .map(|_| ())
            .map_err(|e| ChainError::Rejected { what: format!("funding {who}"), detail: describe(&e, &[]) })
    }

    fn event_count(&mut self) -> usize {
        self.sandbox.execute_with(|| frame_system::Pallet::<Runtime>::event_count() as usize)
    }

    fn call(
        &mut self,
        origin: AccountId,
        contract: AccountId,
        value: Balance,
        input: Vec<u8>,
        dry: bool,
    ) -> Result<CallOutcome, ChainError> {
        let before = self.event_count();
        let gas = DefaultSandbox::default_gas_limit();
        let run =
            |sb: &mut DefaultSandbox| sb.call_contract(to_sb(contract), value, input, to_sb(origin), gas, None, Determinism::Enforced);
        let res = if dry { self.sandbox.dry_run(run) } else { run(&mut self.sandbox) };
        let events = contract_events(res.events.as_deref().unwrap_or_default(), before);
        let ret =
            res.result.map_err(|e| ChainError::Rejected { what: "contract call".into(), detail: describe(&e, &res.debug_message) })?;
        Ok(outcome(ret, res.gas_consumed, res.gas_required, res.storage_deposit, events))
    }
}

fn sandbox_genesis_hash(sandbox: &mut DefaultSandbox) -> BlockHash {
    sandbox.execute_with(|| frame_system::Pallet::<Runtime>::block_hash(0)).0
}

type EventRecord = frame_system::EventRecord<RuntimeEvent, ink_sandbox::H256>;

/// `ContractEmitted` events among `records[from..]`.
fn contract_events(records: &[EventRecord], from: usize) -> Vec<ContractEvent> {
    records
        .iter()
        .skip(from)
        .filter_map(|rec| match &rec.event {
            RuntimeEvent::Contracts(pallet_contracts::Event::ContractEmitted { contract, data }) => {
                Some(ContractEvent { contract: from_sb(contract), topics: rec.topics.iter().map(|t| t.0).collect(), data: data.clone() })
            }
            _ => None,
        })
        .collect()
}

fn outcome(
    ret: ExecReturnValue,
    consumed: SbWeight,
    required: SbWeight,
    deposit: SbDeposit<Balance>,
    events: Vec<ContractEvent>,
) -> CallOutcome {
    CallOutcome {
        reverted: ret.did_revert(),
        data: ret.data,
        weight_consumed: weight(consumed),
        weight_required: weight(required),
        storage_deposit: match deposit {
            SbDeposit::Charge(b) => StorageDeposit::Charge(b),
            SbDeposit::Refund(b) => StorageDeposit::Refund(b),
        },
        events,
    }
}

/// The weight limit every call and instantiation runs under here: contracts'
/// batch sizes are chosen to fit it with room to spare.
pub fn call_gas_limit() -> Weight {
    weight(DefaultSandbox::default_gas_limit())
}

fn weight(w: SbWeight) -> Weight {
    Weight { ref_time: w.ref_time(), proof_size: w.proof_size() }
}

/// The runtime's error name (e.g. `ContractTrapped`) plus any contract debug output.
fn describe(err: &DispatchError, debug: &[u8]) -> String {
    let name = match err {
        DispatchError::Module(m) => m.message.map(str::to_owned).unwrap_or_else(|| format!("{m:?}")),
        // Named as the node backend names them.
        DispatchError::Token(e) => format!("Token::{e:?}"),
        DispatchError::Arithmetic(e) => format!("Arithmetic::{e:?}"),
        other => format!("{other:?}"),
    };
    let debug = String::from_utf8_lossy(debug);
    let debug = debug.trim();
    if debug.is_empty() {
        name
    } else {
        format!("{name} (contract said: {debug})")
    }
}

fn to_sb(id: AccountId) -> AccountId32 {
    AccountId32::new(id.0)
}

fn from_sb(id: &AccountId32) -> AccountId {
    AccountId(*<AccountId32 as AsRef<[u8; 32]>>::as_ref(id))
}
