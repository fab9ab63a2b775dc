//! The engine's rules, as pure functions of what was observed and the
//! configured thresholds: each returns the finding, if the rule fires.

use std::time::Duration;

use super::{Finding, Level, Rule};
use crate::chain::{AccountId, BlockInfo};
use crate::keys::ss58;

fn name(a: Option<AccountId>) -> String {
    a.map_or_else(|| "-".to_owned(), |a| ss58(&a))
}

/// Block `info` came too long after its parent (`prev`: number, timestamp).
pub fn block_gap(max: Option<Duration>, prev: Option<(u64, u64)>, info: &BlockInfo) -> Option<Finding> {
    let (max, (number, at)) = (max?, prev?);
    let gap = Duration::from_millis(info.timestamp_ms.saturating_sub(at));
    (info.number == number.saturating_add(1) && gap > max).then(|| {
        Finding::new(
            Rule::BlockTime,
            Level::Warning,
            format!("block #{} came {} s after its parent (at most {} s expected)", info.number, gap.as_secs(), max.as_secs()),
        )
        .keyed(info.number.to_string())
        .with(serde_json::json!({ "block": info.number, "gap_ms": gap.as_millis().to_string() }))
    })
}

/// A LODE transfer of `value` (the `index`th event of block `block`) above `limit`.
pub fn large_transfer(
    limit: Option<u128>,
    block: u64,
    index: usize,
    from: Option<AccountId>,
    to: Option<AccountId>,
    value: u128,
) -> Option<Finding> {
    let limit = limit?;
    (value > limit).then(|| {
        Finding::new(
            Rule::LargeTransfer,
            Level::Warning,
            format!("{value} LODE units moved from {} to {} in block #{block} (limit {limit})", name(from), name(to)),
        )
        .keyed(format!("{block}#{index}"))
        .with(serde_json::json!({
            "block": block, "from": name(from), "to": name(to), "value": value.to_string(), "limit": limit.to_string(),
        }))
    })
}

/// A settled batch of `amount` above `limit`, about the splitter.
pub fn large_settlement(
    limit: Option<u128>,
    splitter: AccountId,
    block: u64,
    keeper: AccountId,
    batch: [u8; 32],
    amount: u128,
) -> Option<Finding> {
    let limit = limit?;
    (amount > limit).then(|| {
        Finding::new(Rule::LargeSettlement, Level::Warning, format!("{} settled {amount} in one batch in block #{block}", ss58(&keeper)))
            .about(splitter)
            .keyed(hex::encode(batch))
            .with(serde_json::json!({ "block": block, "keeper": ss58(&keeper), "amount": amount.to_string(), "limit": limit.to_string() }))
    })
}

/// A reorg that replaced `retracted` (newest first), deeper than `max`.
pub fn deep_reorg(max: usize, retracted: &[BlockInfo]) -> Option<Finding> {
    let first = retracted.last()?.number;
    (retracted.len() > max).then(|| {
        Finding::new(
            Rule::DeepReorg,
            Level::Warning,
            format!("a reorg replaced {} blocks from #{first} (at most {max} expected)", retracted.len()),
        )
        .keyed(first.to_string())
        .with(serde_json::json!({ "depth": retracted.len(), "from": first }))
    })
}

/// The best block `best` further than `max` blocks ahead of `finalized`.
pub fn finality_lag(max: u64, best: u64, finalized: u64) -> Option<Finding> {
    let lag = best.saturating_sub(finalized);
    (lag > max).then(|| {
        Finding::new(Rule::NodeLagging, Level::Warning, format!("finality is {lag} blocks behind the best block #{best} (at most {max})"))
            .keyed("finality")
            .with(serde_json::json!({ "best": best, "finalized": finalized }))
    })
}

/// The best block `head` older than `max` at `now_ms`.
pub fn head_age(max: Option<Duration>, head: &BlockInfo, now_ms: u64) -> Option<Finding> {
    let max = max?;
    let age = Duration::from_millis(now_ms.saturating_sub(head.timestamp_ms));
    (age > max).then(|| {
        Finding::new(
            Rule::NodeLagging,
            Level::Warning,
            format!("the best block #{} is {} s old (at most {} s)", head.number, age.as_secs(), max.as_secs()),
        )
        .keyed("head-age")
        .with(serde_json::json!({ "best": head.number, "age_ms": age.as_millis().to_string() }))
    })
}

/// The keeper's `balance` below `min`.
pub fn low_balance(min: Option<u128>, balance: u128) -> Option<Finding> {
    let min = min?;
    (balance < min).then(|| {
        Finding::new(Rule::LowBalance, Level::Warning, format!("the keeper holds {balance}, below {min}: top it up before fees run out"))
            .with(serde_json::json!({ "balance": balance.to_string(), "min": min.to_string() }))
    })
}

/// The node did not answer.
pub fn node_down(error: &dyn std::fmt::Display) -> Finding {
    Finding::new(Rule::NodeDown, Level::Critical, format!("the node does not answer: {error}"))
        .with(serde_json::json!({ "error": error.to_string() }))
}

/// The splitter is paused, as seen at block `number`.
pub fn paused(number: u64) -> Finding {
    Finding::new(Rule::SplitterPaused, Level::Warning, format!("the splitter is paused (seen at block #{number}); settlement waits"))
        .keyed("paused")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(number: u64, timestamp_ms: u64) -> BlockInfo {
        BlockInfo { number, hash: [number as u8; 32], parent_hash: [0; 32], timestamp_ms }
    }

    #[test]
    fn each_rule_fires_above_its_threshold_and_not_at_it() {
        let secs = |s| Some(Duration::from_secs(s));
        assert!(block_gap(secs(6), Some((9, 0)), &block(10, 6_000)).is_none(), "at the limit");
        let f = block_gap(secs(6), Some((9, 0)), &block(10, 6_001)).unwrap();
        assert_eq!((f.rule, f.level, f.incident()), (Rule::BlockTime, Level::Warning, "block-time:10".to_owned()));
        assert!(block_gap(secs(6), Some((8, 0)), &block(10, 60_000)).is_none(), "not its parent: a gap in what was seen, not in the chain");
        assert!(block_gap(None, Some((9, 0)), &block(10, 60_000)).is_none(), "off");

        assert!(large_transfer(Some(100), 5, 2, None, None, 100).is_none());
        let f = large_transfer(Some(100), 5, 2, None, Some(AccountId([1; 32])), 101).unwrap();
        assert_eq!(f.incident(), "large-transfer:5#2");
        assert_eq!(f.details["value"], "101");
        assert!(large_transfer(None, 5, 2, None, None, u128::MAX).is_none());

        let splitter = AccountId([9; 32]);
        let f = large_settlement(Some(10), splitter, 3, AccountId([2; 32]), [7; 32], 11).unwrap();
        assert_eq!((f.rule, f.subject), (Rule::LargeSettlement, Some(splitter)));
        assert!(large_settlement(Some(10), splitter, 3, AccountId([2; 32]), [7; 32], 10).is_none());

        let retracted = [block(12, 0), block(11, 0), block(10, 0), block(9, 0)];
        assert!(deep_reorg(4, &retracted).is_none());
        let f = deep_reorg(3, &retracted).unwrap();
        assert_eq!((f.incident(), f.details["depth"].as_u64()), ("deep-reorg:9".to_owned(), Some(4)));
        assert!(deep_reorg(0, &[]).is_none(), "no reorg");

        assert!(finality_lag(20, 120, 100).is_none());
        assert_eq!(finality_lag(20, 121, 100).unwrap().incident(), "node-lagging:finality");
        assert!(head_age(secs(60), &block(1, 1_000), 61_000).is_none());
        assert_eq!(head_age(secs(60), &block(1, 1_000), 61_001).unwrap().incident(), "node-lagging:head-age");
        assert!(low_balance(Some(5), 5).is_none());
        assert_eq!(low_balance(Some(5), 4).unwrap().level, Level::Warning);
        assert_eq!(node_down(&"connection refused").level, Level::Critical);
    }
}
