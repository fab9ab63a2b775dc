//! The console duty: one status line per canonical block and one per keeper
//! alert, for a person watching `lode dev` or `lode run`.

use lode_primitives::LODE;
use tokio::sync::broadcast::error::RecvError;

use super::mining::MiningMetrics;
use crate::chain::Block;
use crate::contracts::EventRegistry;
use crate::runtime::{Context, Duty, DutyError, Shutdown};
use crate::watcher::ChainNotification;

/// Prints the chain as it grows; stops the keeper after `stop_after` blocks
/// when given.
pub struct ConsoleDuty {
    mining: Option<MiningMetrics>,
    stop_after: Option<u64>,
    seen: u64,
}

impl ConsoleDuty {
    /// Shows the miner's figures when `mining` is given.
    pub fn new(mining: Option<MiningMetrics>, stop_after: Option<u64>) -> Self {
        ConsoleDuty { mining, stop_after, seen: 0 }
    }

    fn show(&mut self, block: &Block, ctx: &Context) {
        println!("{}", status_line(block, &ctx.contracts.events, self.mining.as_ref()));
        self.seen = self.seen.saturating_add(1);
        if self.stop_after.is_some_and(|n| self.seen >= n) {
            println!("reached {} blocks, stopping", self.seen);
            ctx.stopper.fire();
        }
    }
}

#[async_trait::async_trait]
impl Duty for ConsoleDuty {
    fn name(&self) -> &'static str {
        "console"
    }

    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let mut chain = ctx.notifications.subscribe();
        let mut alerts = ctx.alerts.subscribe();
        loop {
            tokio::select! {
                _ = shutdown.wait() => {
                    println!("shutting down after {} blocks", self.seen);
                    return Ok(());
                }
                Ok(alert) = alerts.recv() => {
                    println!("keeper alert [{}] {}: {}", alert.level, alert.incident(), alert.summary);
                }
                n = chain.recv() => match n {
                    Ok(ChainNotification::NewBlock(block)) => self.show(&block, ctx),
                    Ok(ChainNotification::Reorg { retracted, enacted }) => {
                        println!("reorg: {} blocks retracted, {} enacted", retracted.len(), enacted.len());
                        for block in enacted {
                            self.show(&block, ctx);
                        }
                    }
                    Ok(ChainNotification::Confirmed(_) | ChainNotification::Finalized(_)) => {}
                    Err(RecvError::Lagged(n)) => eprintln!("status output fell {n} notifications behind; skipping them"),
                    Err(RecvError::Closed) => return Err(DutyError::fatal("the watcher stopped")),
                }
            }
        }
    }
}

/// `#12 0x1a2b3c4d… 14:03:07.000 UTC  8.12 MH/s mined 3 (150.00 LODE)  events: token.Mined×2`
pub fn status_line(block: &Block, registry: &EventRegistry, mining: Option<&MiningMetrics>) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for ev in &block.events {
        let name = registry.name(ev).to_string();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    let events = if counts.is_empty() {
        "none".to_owned()
    } else {
        counts.iter().map(|(n, c)| if *c == 1 { n.clone() } else { format!("{n}×{c}") }).collect::<Vec<_>>().join(", ")
    };
    let mining = mining.map_or_else(String::new, |m| {
        let minted = m.minted();
        format!(
            "  {} mined {} ({}.{:02} LODE)",
            lode_miner::measure::format_rate(m.hashrate.get() as f64),
            m.mints.get(),
            minted / LODE,
            minted % LODE / (LODE / 100)
        )
    });
    format!(
        "#{:<6} 0x{}…  {}{mining}  events: {events}",
        block.info.number,
        hex::encode(&block.info.hash[..4]),
        clock(block.info.timestamp_ms)
    )
}

/// `HH:MM:SS.mmm UTC` of a millisecond timestamp.
fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!("{:02}:{:02}:{:02}.{:03} UTC", (secs / 3600) % 24, (secs / 60) % 60, secs % 60, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{BlockInfo, ContractEvent};

    #[test]
    fn status_line_counts_events_by_name() {
        let info = BlockInfo { number: 7, hash: [0xab; 32], parent_hash: [0; 32], timestamp_ms: 3_723_004 };
        let ev = ContractEvent { contract: [1; 32].into(), topics: vec![], data: vec![] };
        let block = Block { info, events: vec![ev.clone(), ev] };
        let line = status_line(&block, &EventRegistry::default(), None);
        assert!(line.starts_with("#7 "), "{line}");
        assert!(!line.contains("H/s"), "no miner, no hashrate: {line}");
        let metrics = MiningMetrics::default();
        metrics.hashrate.set(8_120_000);
        metrics.mints.inc_by(3);
        metrics.add_minted(150 * LODE + LODE / 4);
        let line = status_line(&block, &EventRegistry::default(), Some(&metrics));
        assert!(line.contains("8.12 MH/s mined 3 (150.25 LODE)"), "{line}");
        assert!(line.contains("0xabababab…"), "{line}");
        assert!(line.contains("01:02:03.004 UTC"), "{line}");
        assert!(line.contains(".unknown×2"), "{line}");
    }
}
