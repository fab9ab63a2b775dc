//! The `heartbeat` job: one log line with the chain's heads and the keeper's
//! balance, so an operator (or a log alert) sees a keeper that is alive.

use crate::chain::Chain;
use crate::keys::ss58;
use crate::runtime::{Context, Job};

/// Logs where the chain and the keeper stand.
pub struct Heartbeat;

#[async_trait::async_trait]
impl Job for Heartbeat {
    fn name(&self) -> &'static str {
        "heartbeat"
    }

    async fn run(&self, ctx: &Context) -> Result<(), String> {
        let chain: &dyn Chain = &*ctx.chain;
        let head = chain.head().await.map_err(|e| e.to_string())?;
        let finalized = chain.finalized().await.map_err(|e| e.to_string())?;
        let balance = chain.balance(ctx.signer.account_id()).await.map_err(|e| e.to_string())?;
        tracing::info!(
            head = head.number,
            finalized = finalized.number,
            keeper = ss58(&ctx.signer.account_id()),
            balance = balance.to_string(),
            "heartbeat"
        );
        Ok(())
    }
}
