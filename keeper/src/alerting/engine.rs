//! The alert engine: the rules that watch blocks and probe the node, the
//! findings duties raise, and one delivery per incident and cooldown.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::sinks::{Delivered, Sinks};
use super::{Finding, Level, Rule};
use crate::chain::{Block, BlockInfo, Chain};
use crate::config::AlertsConfig;
use crate::contracts::SplitterEvent;
use crate::duties::settle::now_ms;
use crate::keys::ss58;
use crate::runtime::{Context, Duty, DutyError, Shutdown};
use crate::watcher::ChainNotification;

/// The alert engine duty.
pub struct AlertEngine {
    config: AlertsConfig,
    sinks: Sinks,
    /// The last new block's number and timestamp, for the block-time rule.
    last_block: Option<(u64, u64)>,
}

impl AlertEngine {
    /// An engine with `config`'s rules, delivering to `sinks`.
    pub fn new(config: AlertsConfig, sinks: Sinks) -> Self {
        AlertEngine { config, sinks, last_block: None }
    }

    async fn deliver(&self, ctx: &Context, finding: &Finding) -> Result<Delivered, DutyError> {
        self.sinks.deliver(ctx, finding).await.map_err(DutyError::transient)
    }

    /// What a new canonical block says.
    fn on_block(&mut self, ctx: &Context, block: &Block) -> Vec<Finding> {
        let mut found = Vec::new();
        let info = &block.info;
        if let (Some(max), Some((number, at))) = (self.config.max_block_gap, self.last_block) {
            let gap = Duration::from_millis(info.timestamp_ms.saturating_sub(at));
            if info.number == number.saturating_add(1) && gap > max {
                found.push(
                    Finding::new(
                        Rule::BlockTime,
                        Level::Warning,
                        format!("block #{} came {} s after its parent (at most {} s expected)", info.number, gap.as_secs(), max.as_secs()),
                    )
                    .keyed(info.number.to_string())
                    .with(serde_json::json!({ "block": info.number, "gap_ms": gap.as_millis().to_string() })),
                );
            }
        }
        self.last_block = Some((info.number, info.timestamp_ms));
        for (index, event) in block.events.iter().enumerate() {
            if let (Some(limit), Some((from, to, value))) = (self.config.large_transfer, ctx.contracts.token.transfer_event(event)) {
                if value > limit {
                    let name = |a: Option<crate::chain::AccountId>| a.map_or_else(|| "-".to_owned(), |a| ss58(&a));
                    found.push(
                        Finding::new(
                            Rule::LargeTransfer,
                            Level::Warning,
                            format!("{value} LODE units moved from {} to {} in block #{} (limit {limit})", name(from), name(to), info.number),
                        )
                        .keyed(format!("{}#{index}", info.number))
                        .with(serde_json::json!({
                            "block": info.number, "from": name(from), "to": name(to), "value": value.to_string(), "limit": limit.to_string(),
                        })),
                    );
                }
            }
            match ctx.contracts.splitter.event(event) {
                Some(SplitterEvent::Settled { keeper, batch_id, amount, .. })
                    if self.config.large_settlement.is_some_and(|l| amount > l) =>
                {
                    found.push(
                        Finding::new(
                            Rule::LargeSettlement,
                            Level::Warning,
                            format!("{} settled {amount} in one batch in block #{}", ss58(&keeper), info.number),
                        )
                        .about(ctx.contracts.splitter.address())
                        .keyed(hex::encode(batch_id))
                        .with(serde_json::json!({ "block": info.number, "keeper": ss58(&keeper), "amount": amount.to_string() })),
                    );
                }
                Some(SplitterEvent::PauseChanged { paused: true }) => found.push(paused(info)),
                _ => {}
            }
        }
        found
    }

    /// What probing the node, the keeper's balance and the splitter says.
    async fn probe(&self, ctx: &Context) -> Vec<Finding> {
        let chain: &dyn Chain = &*ctx.chain;
        let head = match chain.head().await {
            Ok(head) => head,
            Err(e) => {
                return vec![Finding::new(Rule::NodeDown, Level::Critical, format!("the node does not answer: {e}"))
                    .with(serde_json::json!({ "error": e.to_string() }))];
            }
        };
        let mut found = Vec::new();
        if let Ok(finalized) = chain.finalized().await {
            let lag = head.number.saturating_sub(finalized.number);
            if lag > self.config.max_finality_lag {
                found.push(
                    Finding::new(
                        Rule::NodeLagging,
                        Level::Warning,
                        format!(
                            "finality is {lag} blocks behind the best block #{} (at most {})",
                            head.number, self.config.max_finality_lag
                        ),
                    )
                    .keyed("finality")
                    .with(serde_json::json!({ "best": head.number, "finalized": finalized.number })),
                );
            }
        }
        if let Some(max) = self.config.max_head_age {
            let age = Duration::from_millis(now_ms().saturating_sub(head.timestamp_ms));
            if age > max {
                found.push(
                    Finding::new(
                        Rule::NodeLagging,
                        Level::Warning,
                        format!("the best block #{} is {} s old (at most {} s)", head.number, age.as_secs(), max.as_secs()),
                    )
                    .keyed("head-age")
                    .with(serde_json::json!({ "best": head.number, "age_ms": age.as_millis().to_string() })),
                );
            }
        }
        if let Some(min) = self.config.min_balance {
            if let Ok(balance) = chain.balance(ctx.signer.account_id()).await {
                if balance < min {
                    found.push(
                        Finding::new(
                            Rule::LowBalance,
                            Level::Warning,
                            format!("the keeper holds {balance}, below {min}: top it up before fees run out"),
                        )
                        .with(serde_json::json!({ "balance": balance.to_string(), "min": min.to_string() })),
                    );
                }
            }
        }
        if ctx.contracts.splitter.paused().await.unwrap_or(false) {
            found.push(paused(&head));
        }
        found
    }
}

fn paused(at: &BlockInfo) -> Finding {
    Finding::new(Rule::SplitterPaused, Level::Warning, format!("the splitter is paused (seen at block #{}); settlement waits", at.number))
        .keyed("paused")
}

#[async_trait::async_trait]
impl Duty for AlertEngine {
    fn name(&self) -> &'static str {
        "alerts"
    }

    /// Evaluates rules and delivers findings until shutdown.
    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let mut raised = ctx.alerts.subscribe();
        let mut notes = ctx.notifications.subscribe();
        let key = Finding::new(Rule::KeyUsed, Level::Info, format!("the keeper's key {} was unlocked to run", ctx.signer.label()))
            .keyed(ss58(&ctx.signer.account_id()));
        self.deliver(ctx, &key).await?;
        let mut probe = tokio::time::interval(self.config.probe_every);
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let found = tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                f = raised.recv() => match f {
                    Ok(f) => vec![f],
                    Err(RecvError::Lagged(n)) => vec![Finding::new(Rule::Duty, Level::Warning, format!("{n} alerts were lost in a burst"))],
                    Err(RecvError::Closed) => return Ok(()),
                },
                n = notes.recv() => match n {
                    Ok(ChainNotification::NewBlock(block)) => self.on_block(ctx, &block),
                    Ok(ChainNotification::Reorg { retracted, enacted }) => {
                        let mut found = Vec::new();
                        if retracted.len() > self.config.max_reorg_depth {
                            let first = retracted.last().map(|b| b.number).unwrap_or_default();
                            found.push(Finding::new(
                                Rule::DeepReorg,
                                Level::Warning,
                                format!("a reorg replaced {} blocks from #{first} (at most {} expected)", retracted.len(), self.config.max_reorg_depth),
                            )
                            .keyed(first.to_string())
                            .with(serde_json::json!({ "depth": retracted.len(), "from": first })));
                        }
                        for b in &enacted {
                            found.extend(self.on_block(ctx, b));
                        }
                        found
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => Vec::new(),
                    Err(RecvError::Closed) => return Err(DutyError::fatal("the watcher stopped; the alert engine has nothing to follow")),
                },
                _ = probe.tick() => self.probe(ctx).await,
            };
            for f in &found {
                self.deliver(ctx, f).await?;
            }
        }
    }
}
