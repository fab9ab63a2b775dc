//! The alert engine: the rules that watch blocks and probe the node, the
//! findings duties raise, and one delivery per incident and cooldown.

use tokio::sync::broadcast::error::RecvError;

use super::sinks::{Delivered, Sinks};
use super::{rules, Finding, Level, Rule};
use crate::chain::{Block, Chain};
use crate::config::AlertsConfig;
use crate::contracts::SplitterEvent;
use crate::keys::ss58;
use crate::runtime::{now_ms, Context, Duty, DutyError, Shutdown};
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
        let info = &block.info;
        let mut found: Vec<Finding> = rules::block_gap(self.config.max_block_gap, self.last_block, info).into_iter().collect();
        self.last_block = Some((info.number, info.timestamp_ms));
        let splitter = ctx.contracts.splitter.address();
        for (index, event) in block.events.iter().enumerate() {
            if let Some((from, to, value)) = ctx.contracts.token.transfer_event(event) {
                found.extend(rules::large_transfer(self.config.large_transfer, info.number, index, from, to, value));
            }
            match ctx.contracts.splitter.event(event) {
                Some(SplitterEvent::Settled { keeper, batch_id, amount, .. }) => {
                    found.extend(rules::large_settlement(self.config.large_settlement, splitter, info.number, keeper, batch_id, amount));
                }
                Some(SplitterEvent::PauseChanged { paused: true }) => found.push(rules::paused(info.number)),
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
            Err(e) => return vec![rules::node_down(&e)],
        };
        let mut found = Vec::new();
        if let Ok(finalized) = chain.finalized().await {
            found.extend(rules::finality_lag(self.config.max_finality_lag, head.number, finalized.number));
        }
        found.extend(rules::head_age(self.config.max_head_age, &head, now_ms()));
        if self.config.min_balance.is_some() {
            if let Ok(balance) = chain.balance(ctx.signer.account_id()).await {
                found.extend(rules::low_balance(self.config.min_balance, balance));
            }
        }
        if ctx.contracts.splitter.paused().await.unwrap_or(false) {
            found.push(rules::paused(head.number));
        }
        found
    }
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
                        let mut found: Vec<Finding> = rules::deep_reorg(self.config.max_reorg_depth, &retracted).into_iter().collect();
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
