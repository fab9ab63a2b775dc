//! `lode dev`'s tour: after the keeper's own duties have mined and settled,
//! it causes an anomaly the alert engine raises on chain, and takes a DAO
//! upgrade through governance (proposed, voted, queued, executed). Each step
//! is printed and shown on `/status` as the duty's progress. Dev only: it
//! signs with the well-known dev keys.

use std::time::Duration;

use lode_governor::{Action, Error as GovernorError, Proposal, Support};
use lode_primitives::LODE;
use lode_token::PSP22Error;
use tokio::sync::broadcast::error::RecvError;

use crate::chain::CodeHash;
use crate::contracts::{bond_keeper, ContractError, SplitterEvent};
use crate::keys::{ss58, Signer};
use crate::runtime::{Context, Duty, DutyBoard, DutyError, Shutdown};
use crate::watcher::ChainNotification;

/// How much LODE the demo's treasury move is: above [`DEMO_LARGE_TRANSFER`].
pub const DEMO_MOVE: u128 = 50_000 * LODE;
/// The large-transfer limit `lode dev` configures, so the move is an anomaly.
pub const DEMO_LARGE_TRANSFER: u128 = 30_000 * LODE;

/// The tour.
pub struct DemoDuty {
    board: DutyBoard,
    /// The code the upgrade proposal installs in the alerts contract (its own).
    alerts_code: CodeHash,
    done: bool,
}

impl DemoDuty {
    /// A tour reporting on `board`, upgrading alerts to `alerts_code`.
    pub fn new(board: DutyBoard, alerts_code: CodeHash) -> Self {
        DemoDuty { board, alerts_code, done: false }
    }

    fn step(&self, text: String) {
        println!("dev tour: {text}");
        self.board.note("demo", text);
    }

    async fn wait_for_block(&self, ctx: &Context, number: u64, shutdown: &mut Shutdown) -> Result<bool, DutyError> {
        loop {
            if ctx.chain.head().await.map_err(DutyError::transient)?.number >= number {
                return Ok(true);
            }
            tokio::select! {
                _ = shutdown.wait() => return Ok(false),
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }

    async fn tour(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<bool, DutyError> {
        let fail = |e: ContractError| DutyError::transient(e);
        let c = &ctx.contracts;
        let (treasury, bob, charlie) = (Signer::dev("treasury"), Signer::dev("bob"), Signer::dev("charlie"));
        // Voters stake first: voting power counts from before the proposal.
        for voter in [&bob, &charlie] {
            bond_keeper(c, &treasury, voter, 20_000 * LODE).await.map_err(DutyError::transient)?;
        }
        self.step("bob and charlie staked 20 000 LODE each: they may propose and vote".into());

        self.step("waiting for mining and the first settlement to pay the payees".into());
        let mut notes = ctx.notifications.subscribe();
        loop {
            let n = tokio::select! {
                _ = shutdown.wait() => return Ok(false),
                n = notes.recv() => n,
            };
            match n {
                Ok(ChainNotification::Confirmed(block)) => {
                    let settled = block.events.iter().find_map(|e| match c.splitter.event(e) {
                        Some(SplitterEvent::Settled { batch_id, paid, amount, .. }) => Some((batch_id, paid, amount)),
                        _ => None,
                    });
                    if let Some((batch, paid, amount)) = settled {
                        self.step(format!(
                            "settled batch 0x{}… in block #{}: {paid} payees paid {amount}",
                            hex::encode(&batch[..4]),
                            block.info.number
                        ));
                        break;
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Ok(false),
            }
        }

        let before: u64 = c.alerts.0.read("alert_count", ()).await.map_err(fail)?;
        let moved: Result<(), PSP22Error> =
            c.token.0.send(&treasury, "PSP22::transfer", (bob.account_id().0, DEMO_MOVE, Vec::<u8>::new())).await.map_err(fail)?;
        moved.map_err(|e| DutyError::transient(format!("the demo transfer failed: {e:?}")))?;
        self.step(format!("anomaly: the treasury moved {} LODE to {}", DEMO_MOVE / LODE, ss58(&bob.account_id())));
        loop {
            let count: u64 = c.alerts.0.read("alert_count", ()).await.map_err(fail)?;
            if count > before {
                self.step(format!("the alert engine raised alert #{before} on chain (large-transfer, warning)"));
                break;
            }
            tokio::select! {
                _ = shutdown.wait() => return Ok(false),
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }

        let action = Action::Upgrade { target: c.alerts.0.address().0.into(), code_hash: self.alerts_code.into() };
        let proposed: Result<u64, GovernorError> = c
            .governor
            .0
            .send(&bob, "propose", (vec![action], String::from("dev tour: re-install the alerts contract's code")))
            .await
            .map_err(fail)?;
        let id = proposed.map_err(|e| DutyError::transient(format!("the demo proposal was refused: {e:?}")))?;
        let proposal =
            || async { c.governor.proposal(id).await.map_err(fail)?.ok_or_else(|| DutyError::transient("the proposal vanished")) };
        let p: Proposal = proposal().await?;
        self.step(format!("governance: bob proposed #{id} (upgrade alerts); voting opens at block #{}", p.vote_start));
        if !self.wait_for_block(ctx, u64::from(p.vote_start), shutdown).await? {
            return Ok(false);
        }
        for voter in [&bob, &charlie] {
            let voted: Result<u128, GovernorError> = c.governor.0.send(voter, "cast_vote", (id, Support::For)).await.map_err(fail)?;
            voted.map_err(|e| DutyError::transient(format!("a demo vote was refused: {e:?}")))?;
        }
        self.step(format!("governance: bob and charlie voted for #{id}; voting closes at block #{}", p.vote_end));
        if !self.wait_for_block(ctx, u64::from(p.vote_end).saturating_add(1), shutdown).await? {
            return Ok(false);
        }
        let queued: Result<(), GovernorError> = c.governor.0.send(&bob, "queue", id).await.map_err(fail)?;
        queued.map_err(|e| DutyError::transient(format!("queueing the demo proposal failed: {e:?}")))?;
        let (eta, _) = proposal().await?.eta.ok_or_else(|| DutyError::transient("queued without an eta"))?;
        self.step(format!("governance: #{id} queued; the timelock opens at block #{eta}"));
        if !self.wait_for_block(ctx, u64::from(eta), shutdown).await? {
            return Ok(false);
        }
        let executed: Result<(), GovernorError> = c.governor.0.send(&bob, "execute", id).await.map_err(fail)?;
        executed.map_err(|e| DutyError::transient(format!("executing the demo proposal failed: {e:?}")))?;
        self.step(format!(
            "governance: #{id} executed: the alerts contract runs code 0x{}…; the tour is done",
            hex::encode(&self.alerts_code[..4])
        ));
        Ok(true)
    }
}

#[async_trait::async_trait]
impl Duty for DemoDuty {
    fn name(&self) -> &'static str {
        "demo"
    }

    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        if !self.done {
            self.done = self.tour(ctx, shutdown).await?;
        }
        shutdown.wait().await;
        Ok(())
    }
}
