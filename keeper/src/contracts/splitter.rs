//! The splitter's client: the reads and messages settlement needs, and its
//! events, typed.

use lode_splitter::{Asset, Error as SplitterError, Split};
use scale::Decode;

use super::{ContractClient, ContractError};
use crate::chain::{AccountId, CallOutcome, ContractEvent};

/// The multisig, timelocked payout splitter.
#[derive(Debug, Clone)]
pub struct SplitterClient(pub ContractClient);

/// A splitter's books for one asset: what it must hold.
pub use lode_splitter::Book;

/// An event of the splitter that a keeper acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitterEvent {
    /// Newly received funds were credited to payees.
    Distributed {
        /// Which asset.
        asset: Asset,
        /// Newly received.
        received: u128,
        /// Credited to payees.
        credited: u128,
        /// Paid to the calling keeper.
        fee: u128,
    },
    /// A batch was settled.
    Settled {
        /// The keeper that settled it.
        keeper: AccountId,
        /// Its id.
        batch_id: [u8; 32],
        /// Which asset.
        asset: Asset,
        /// Payees paid.
        paid: u32,
        /// Amount paid.
        amount: u128,
        /// Payees whose transfer failed.
        failed: u32,
    },
    /// One payee of a batch could not be paid and stays owed.
    SettlementFailed {
        /// The batch.
        batch_id: [u8; 32],
        /// Which asset.
        asset: Asset,
        /// Who stays owed.
        payee: AccountId,
        /// How much.
        amount: u128,
    },
    /// The splitter was paused or unpaused.
    PauseChanged {
        /// Paused now.
        paused: bool,
    },
}

/// Field layouts of the events decoded here, in the contract's order.
mod layout {
    use lode_splitter::Asset;
    use scale::Decode;

    #[derive(Decode)]
    pub struct Distributed {
        pub asset: Asset,
        pub received: u128,
        pub credited: u128,
        pub fee: u128,
        pub _keeper: [u8; 32],
        pub _remainder: u128,
    }

    #[derive(Decode)]
    pub struct Settled {
        pub keeper: [u8; 32],
        pub batch_id: [u8; 32],
        pub asset: Asset,
        pub paid: u32,
        pub amount: u128,
        pub failed: u32,
    }

    #[derive(Decode)]
    pub struct SettlementFailed {
        pub batch_id: [u8; 32],
        pub asset: Asset,
        pub payee: [u8; 32],
        pub amount: u128,
    }

    #[derive(Decode)]
    pub struct PauseChanged {
        pub paused: bool,
        pub _pause_id: u32,
        pub _by: [u8; 32],
    }
}

/// Decodes exactly `T` from `data`: trailing bytes mean the layout is wrong.
fn exact<T: Decode>(mut data: &[u8]) -> Option<T> {
    let value = T::decode(&mut data).ok()?;
    data.is_empty().then_some(value)
}

impl SplitterClient {
    /// Its account.
    pub fn address(&self) -> AccountId {
        self.0.address()
    }

    /// Who may pause it (the alerts contract).
    pub async fn guardian(&self) -> Result<Option<AccountId>, ContractError> {
        Ok(self.0.read::<Option<[u8; 32]>>("guardian", ()).await?.map(AccountId::from))
    }

    /// The payees and their shares.
    pub async fn split(&self) -> Result<Split, ContractError> {
        self.0.read("split", ()).await
    }

    /// What `payee` is owed in `asset` as a payee.
    pub async fn owed(&self, asset: Asset, payee: AccountId) -> Result<u128, ContractError> {
        Ok(self.0.read::<(u128, u128)>("owed", (asset, payee.0)).await?.0)
    }

    /// Received in `asset` and not yet distributed.
    pub async fn undistributed(&self, asset: Asset) -> Result<Result<u128, SplitterError>, ContractError> {
        self.0.read("undistributed", asset).await
    }

    /// The books for `asset`.
    pub async fn book(&self, asset: Asset) -> Result<Book, ContractError> {
        self.0.read("book", asset).await
    }

    /// Whether `keeper` has settled `batch_id`.
    pub async fn batch_settled(&self, keeper: AccountId, batch_id: [u8; 32]) -> Result<bool, ContractError> {
        self.0.read("batch_settled", (keeper.0, batch_id)).await
    }

    /// Most payees one `settle` pays.
    pub async fn max_batch_len(&self) -> Result<u32, ContractError> {
        self.0.read("max_batch_len", ()).await
    }

    /// Whether it is paused.
    pub async fn paused(&self) -> Result<bool, ContractError> {
        self.0.read("paused", ()).await
    }

    /// Dry-runs `distribute(asset)` as `origin`.
    pub async fn measure_distribute(&self, origin: AccountId, asset: Asset) -> Result<(Vec<u8>, CallOutcome), ContractError> {
        self.0.measure(origin, "distribute", asset).await
    }

    /// Dry-runs `settle(batch_id, asset, payees)` as `origin`.
    pub async fn measure_settle(
        &self,
        origin: AccountId,
        batch_id: [u8; 32],
        asset: Asset,
        payees: &[AccountId],
    ) -> Result<(Vec<u8>, CallOutcome), ContractError> {
        let payees: Vec<[u8; 32]> = payees.iter().map(|p| p.0).collect();
        self.0.measure(origin, "settle", (batch_id, asset, payees)).await
    }

    /// `event` as a splitter event, if the splitter emitted it and a keeper
    /// acts on it.
    pub fn event(&self, event: &ContractEvent) -> Option<SplitterEvent> {
        Some(match self.0.event_label(event)? {
            "Distributed" => {
                let e: layout::Distributed = exact(&event.data)?;
                SplitterEvent::Distributed { asset: e.asset, received: e.received, credited: e.credited, fee: e.fee }
            }
            "Settled" => {
                let e: layout::Settled = exact(&event.data)?;
                SplitterEvent::Settled {
                    keeper: AccountId(e.keeper),
                    batch_id: e.batch_id,
                    asset: e.asset,
                    paid: e.paid,
                    amount: e.amount,
                    failed: e.failed,
                }
            }
            "SettlementFailed" => {
                let e: layout::SettlementFailed = exact(&event.data)?;
                SplitterEvent::SettlementFailed { batch_id: e.batch_id, asset: e.asset, payee: AccountId(e.payee), amount: e.amount }
            }
            "PauseChanged" => SplitterEvent::PauseChanged { paused: exact::<layout::PauseChanged>(&event.data)?.paused },
            _ => return None,
        })
    }
}
