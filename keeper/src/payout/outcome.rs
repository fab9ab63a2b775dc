//! What an extrinsic in a finalized block did for each row it carried.

use lode_splitter::Asset;

use crate::chain::{AccountId, BlockRef, TxResult};
use crate::contracts::TokenClient;
use crate::store::{NewPayoutRow, RowOutcome};

/// Why the token refused one payment of a batch it otherwise made.
pub const TOKEN_REFUSED: &str = "refused by the token: a payment to the token itself, or one the payee's balance cannot hold";

/// Each row's outcome, for `rows` in the order the extrinsic carried them.
///
/// The native batch reports refused items by index. The token lists the
/// payments it made, in order, in one `TransferBatch` event, so a row is paid
/// when it is the next payment listed.
pub fn row_outcomes(
    token: &TokenClient,
    payer: AccountId,
    asset: Asset,
    rows: &[NewPayoutRow],
    result: &TxResult,
    block: BlockRef,
) -> Vec<(u64, RowOutcome)> {
    let (events, failed_items) = match result {
        TxResult::Failed { error } => {
            return rows.iter().map(|r| (r.line, RowOutcome::Failed(block, error.clone()))).collect();
        }
        TxResult::Success { events, failed_items } => (events, failed_items),
    };
    match asset {
        Asset::Native => rows
            .iter()
            .zip(0u32..)
            .map(|(r, i)| match failed_items.iter().find(|(item, _)| *item == i) {
                Some((_, why)) => (r.line, RowOutcome::Failed(block, why.clone())),
                None => (r.line, RowOutcome::Paid(block)),
            })
            .collect(),
        Asset::Lode => {
            let paid: Vec<(AccountId, u128)> = events
                .iter()
                .filter_map(|e| token.transfer_batch_event(e))
                .filter(|(from, _)| *from == payer)
                .flat_map(|(_, paid)| paid)
                .collect();
            let mut next = paid.iter().peekable();
            rows.iter()
                .map(|r| match next.peek() {
                    Some((to, amount)) if *to == r.account && *amount == r.amount => {
                        next.next();
                        (r.line, RowOutcome::Paid(block))
                    }
                    _ => (r.line, RowOutcome::Failed(block, TOKEN_REFUSED.to_owned())),
                })
                .collect()
        }
    }
}
