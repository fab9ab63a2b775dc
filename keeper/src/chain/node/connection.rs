//! One WebSocket connection to a node: the legacy RPC methods and a subxt
//! client over the same socket, plus the reads the backend makes with them.

use blake2::digest::consts::{U16, U32};
use blake2::{Blake2b, Digest};
use scale::{Decode, Encode};
use subxt::backend::legacy::rpc_methods::NumberOrHex;
use subxt::backend::legacy::LegacyRpcMethods;
use subxt::ext::subxt_rpcs::RpcClient;
use subxt::utils::H256;
use subxt::{OnlineClient, PolkadotConfig};

use super::errors::{classify, classify_rpc};
use crate::chain::{AccountId, Balance, Block, BlockHash, BlockInfo, ChainError, ContractEvent};

/// `twox128("Timestamp") ++ twox128("Now")`: the storage key of the block's timestamp.
const TIMESTAMP_NOW: [u8; 32] = hex_literal(*b"f0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb");
/// `twox128("System") ++ twox128("Account")`: the prefix of account records.
const SYSTEM_ACCOUNT: [u8; 32] = hex_literal(*b"26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9");

type Header = <PolkadotConfig as subxt::Config>::Header;

/// A live connection.
pub struct Connection {
    /// Which endpoint.
    pub endpoint: String,
    /// The node's legacy RPC methods.
    pub rpc: LegacyRpcMethods<PolkadotConfig>,
    /// subxt's client, for building transactions and decoding events.
    pub client: OnlineClient<PolkadotConfig>,
}

impl Connection {
    /// Connects to `endpoint` (ws:// or wss://) and reads the node's metadata.
    pub async fn open(endpoint: &str) -> Result<Self, ChainError> {
        let what = "connecting";
        let rpc_client = RpcClient::from_insecure_url(endpoint).await.map_err(|e| classify_rpc(e, endpoint, what))?;
        let rpc = LegacyRpcMethods::new(rpc_client.clone());
        let client = OnlineClient::from_rpc_client(rpc_client).await.map_err(|e| classify(e, endpoint, what))?;
        Ok(Connection { endpoint: endpoint.to_owned(), rpc, client })
    }

    fn rpc_err(&self, what: &str) -> impl Fn(subxt::ext::subxt_rpcs::Error) -> ChainError + '_ {
        let what = what.to_owned();
        move |e| classify_rpc(e, &self.endpoint, &what)
    }

    /// The block with `hash`, without its events.
    pub async fn info(&self, hash: Option<BlockHash>) -> Result<Option<BlockInfo>, ChainError> {
        let Some(header) = self.rpc.chain_get_header(hash.map(H256)).await.map_err(self.rpc_err("reading a header"))? else {
            return Ok(None);
        };
        Ok(Some(self.info_of(&header).await?))
    }

    /// A header's block, with its timestamp read from state.
    pub async fn info_of(&self, header: &Header) -> Result<BlockInfo, ChainError> {
        let hash: BlockHash = Blake2b::<U32>::digest(header.encode()).into();
        let timestamp = self.rpc.state_get_storage(&TIMESTAMP_NOW, Some(H256(hash))).await.map_err(self.rpc_err("reading a timestamp"))?;
        let timestamp_ms = timestamp.map(|b| u64::decode(&mut &b[..])).transpose().map_err(|e| ChainError::Decode(e.to_string()))?;
        Ok(BlockInfo { number: u64::from(header.number), hash, parent_hash: header.parent_hash.0, timestamp_ms: timestamp_ms.unwrap_or(0) })
    }

    /// The finalized block.
    pub async fn finalized(&self) -> Result<BlockInfo, ChainError> {
        let hash = self.rpc.chain_get_finalized_head().await.map_err(self.rpc_err("reading the finalized head"))?;
        self.info(Some(hash.0)).await?.ok_or_else(|| ChainError::Decode("the node does not know its own finalized head".into()))
    }

    /// The best chain's block hash at `number`.
    pub async fn hash_at(&self, number: u64) -> Result<Option<BlockHash>, ChainError> {
        let hash = self.rpc.chain_get_block_hash(Some(NumberOrHex::Number(number))).await.map_err(self.rpc_err("reading a block hash"))?;
        Ok(hash.map(|h| h.0))
    }

    /// The block with `hash` and its contract events.
    pub async fn block(&self, hash: BlockHash) -> Result<Option<Block>, ChainError> {
        let Some(info) = self.info(Some(hash)).await? else { return Ok(None) };
        let events = self.client.events().at(H256(hash)).await.map_err(|e| classify(e, &self.endpoint, "reading events"))?;
        let mut out = Vec::new();
        for ev in events.iter() {
            let ev = ev.map_err(|e| ChainError::Decode(e.to_string()))?;
            if let Some(c) = contract_event(&ev)? {
                out.push(c);
            }
        }
        Ok(Some(Block { info, events: out }))
    }

    /// Free balance of `who` at the best block.
    pub async fn balance(&self, who: AccountId) -> Result<Balance, ChainError> {
        let mut key = SYSTEM_ACCOUNT.to_vec();
        key.extend(Blake2b::<U16>::digest(who.0));
        key.extend(who.0);
        let raw = self.rpc.state_get_storage(&key, None).await.map_err(self.rpc_err("reading a balance"))?;
        let Some(raw) = raw else { return Ok(0) };
        // AccountInfo: nonce, consumers, providers, sufficients, then AccountData's `free`.
        let (_, free) = <([u32; 4], Balance)>::decode(&mut &raw[..]).map_err(|e| ChainError::Decode(e.to_string()))?;
        Ok(free)
    }
}

/// `Contracts::ContractEmitted` as a [`ContractEvent`]; other events are `None`.
pub fn contract_event(ev: &subxt::events::EventDetails<PolkadotConfig>) -> Result<Option<ContractEvent>, ChainError> {
    if ev.pallet_name() != "Contracts" || ev.variant_name() != "ContractEmitted" {
        return Ok(None);
    }
    let (contract, data) = <([u8; 32], Vec<u8>)>::decode(&mut ev.field_bytes()).map_err(|e| ChainError::Decode(e.to_string()))?;
    Ok(Some(ContractEvent { contract: AccountId(contract), topics: ev.topics().iter().map(|t| t.0).collect(), data }))
}

/// 64 hex digits as 32 bytes, at compile time.
const fn hex_literal(digits: [u8; 64]) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(digits[2 * i]) << 4 | nibble(digits[2 * i + 1]);
        i += 1;
    }
    out
}
