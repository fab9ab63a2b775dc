//! The relayer: wallets post EIP-712 signed splitter votes and governor
//! ballots over HTTP; the keeper checks each (domain, signer, deadline,
//! nonce, and a dry run of the call) before spending any fee, rate-limits
//! each signer, and sends what it accepted in batches
//! (`approve_by_signatures`, `cancel_by_signatures`, `cast_votes_by_sig`).
//! Each request gets an id whose status can be read until inclusion.
//!
//! Statuses live in memory: after a restart an id is unknown, and a wallet
//! reads the outcome on chain (the vote or ballot is there, or its nonce is
//! unused and the signature can be posted again).

mod check;
mod metrics;
pub mod request;

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use lode_governor::{Error as GovernorError, SignedBallot, MAX_BALLOTS};
use lode_splitter::{Error as SplitterError, SignedVote};
use tokio::sync::OnceCell;

pub use check::{recover, Domains};
pub use metrics::RelayMetrics;
use request::{BallotRequest, Refusal, Relayable, VoteRequest};

use crate::alerting::{Finding, Level, Rule};
use crate::chain::{AccountId, Limits, Tx, TxCall, TxResult, TxStatus, DRY_RUN_MARGIN_PERCENT};
use crate::contracts::ContractClient;
use crate::http::json_body;
use crate::keys::ss58;
use crate::runtime::{Context, Duty, DutyError, Shutdown};

/// The relayer's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    /// Accepted requests are sent at least this often.
    pub batch_every: Duration,
    /// Requests one signer may make per minute.
    pub per_signer_per_minute: u32,
    /// Failed signature checks within `bad_window` before an alert.
    pub bad_signatures: u32,
    /// The window for `bad_signatures`.
    pub bad_window: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            batch_every: Duration::from_millis(500),
            per_signer_per_minute: 30,
            bad_signatures: 5,
            bad_window: Duration::from_secs(60),
        }
    }
}

/// Statuses kept before finished ones are forgotten.
const MAX_STATUSES: usize = 10_000;

/// Where a relayed request stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RelayStatus {
    /// Its id.
    pub id: String,
    /// Who signed it.
    pub signer: String,
    /// `queued`, `submitted`, `included` or `failed`.
    pub status: &'static str,
    /// The extrinsic that carries it, once sent.
    pub tx_hash: Option<String>,
    /// The block it is in.
    pub block: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
}

struct Queued {
    id: String,
    item: Relayable,
    /// Who signed it, recovered once when it was checked.
    signer: AccountId,
}

struct Inner {
    config: RelayConfig,
    domains: OnceCell<Domains>,
    queue: Mutex<Vec<Queued>>,
    statuses: Mutex<HashMap<String, RelayStatus>>,
    limiter: DefaultKeyedRateLimiter<AccountId>,
    refused: Mutex<VecDeque<Instant>>,
    metrics: RelayMetrics,
}

/// The relayer's shared state: the HTTP handlers accept into it, the duty
/// sends from it. Cheap to clone.
#[derive(Clone)]
pub struct Relay(Arc<Inner>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Relay {
    /// A relayer with `config`'s limits.
    pub fn new(config: RelayConfig, metrics: RelayMetrics) -> Self {
        let per_minute = NonZeroU32::new(config.per_signer_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Relay(Arc::new(Inner {
            config,
            domains: OnceCell::new(),
            queue: Mutex::new(Vec::new()),
            statuses: Mutex::new(HashMap::new()),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            refused: Mutex::new(VecDeque::new()),
            metrics,
        }))
    }

    async fn domains(&self, ctx: &Context) -> Result<Domains, Refusal> {
        let c = &ctx.contracts;
        self.0
            .domains
            .get_or_try_init(|| async {
                let chain_id: u64 = c.splitter.0.read("chain_id", ()).await?;
                Ok::<_, crate::contracts::ContractError>(Domains {
                    chain_id,
                    splitter: c.splitter.address(),
                    governor: c.governor.0.address(),
                })
            })
            .await
            .copied()
            .map_err(|e| Refusal::unavailable(&e))
    }

    /// The status of request `id`.
    pub fn status(&self, id: &str) -> Option<RelayStatus> {
        lock(&self.0.statuses).get(id).cloned()
    }

    /// Checks `item` and queues it, or says why not. Nothing is sent here.
    pub async fn accept(&self, ctx: &Context, item: Relayable) -> Result<RelayStatus, Refusal> {
        let signer = match self.check(ctx, &item).await {
            Ok(signer) => signer,
            Err(refusal) => {
                self.0.metrics.refused.get_or_create(&metrics::CodeLabel { code: refusal.code.into() }).inc();
                if matches!(refusal.code, "bad_signature" | "refused_by_contract") {
                    self.count_bad_signature(ctx);
                }
                return Err(refusal);
            }
        };
        let id = hex::encode(rand::random::<[u8; 12]>());
        let accepted = RelayStatus { id: id.clone(), signer: ss58(&signer), status: "queued", tx_hash: None, block: None, error: None };
        {
            let mut statuses = lock(&self.0.statuses);
            if statuses.len() >= MAX_STATUSES {
                // Forget finished requests first; their outcome is on chain.
                statuses.retain(|_, s| matches!(s.status, "queued" | "submitted"));
            }
            statuses.insert(id.clone(), accepted.clone());
        }
        lock(&self.0.queue).push(Queued { id, item, signer });
        self.0.metrics.accepted.inc();
        Ok(accepted)
    }

    async fn check(&self, ctx: &Context, item: &Relayable) -> Result<AccountId, Refusal> {
        let head = ctx.chain.head().await.map_err(|e| Refusal::unavailable(&e))?;
        if item.deadline() < head.timestamp_ms {
            return Err(Refusal::bad(
                "expired",
                format!(
                    "the deadline {} is before the chain's time {}; sign again with a later deadline",
                    item.deadline(),
                    head.timestamp_ms
                ),
            ));
        }
        let domains = self.domains(ctx).await?;
        let digest = domains.digest(item);
        let signer = recover(check::signature(item), &digest)
            .ok_or_else(|| Refusal::bad("bad_signature", "the signature does not recover to any key; sign the EIP-712 typed data again"))?;
        if self.0.limiter.check_key(&signer).is_err() {
            return Err(Refusal {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "rate_limited",
                message: format!(
                    "{} sent more than {} requests this minute; wait and retry",
                    ss58(&signer),
                    self.0.config.per_signer_per_minute
                ),
            });
        }
        let queued_before = self.pending(item.contract(), signer);
        let on_chain: u64 = match item {
            Relayable::Vote { .. } => ctx.contracts.splitter.0.read("vote_nonce", signer.0).await,
            Relayable::Ballot(_) => ctx.contracts.governor.0.read("ballot_nonce", signer.0).await,
        }
        .map_err(|e| Refusal::unavailable(&e))?;
        let expected = on_chain.saturating_add(queued_before);
        if item.nonce() != expected {
            return Err(Refusal::bad(
                "bad_nonce",
                format!(
                    "the signature carries nonce {} but {} signs with nonce {expected} now (the digest covers the nonce: a wrong one also \
                     recovers to a stranger); sign again with nonce {expected}",
                    item.nonce(),
                    ss58(&signer)
                ),
            ));
        }
        if queued_before == 0 {
            // The call itself, as the keeper would send it: any refusal now costs nothing.
            let (client, message, input_args) = call_of(ctx, std::slice::from_ref(item));
            let (_, dry) = client.measure(ctx.signer.account_id(), message, input_args).await.map_err(|e| Refusal::unavailable(&e))?;
            if let Some(why) = refusal_of(item, &dry.data) {
                return Err(Refusal::bad("refused_by_contract", format!("the {} refuses it: {why}", item.contract())));
            }
        }
        Ok(signer)
    }

    /// Requests of `signer` on `contract` queued and not yet sent.
    fn pending(&self, contract: &str, signer: AccountId) -> u64 {
        let queue = lock(&self.0.queue);
        let n = queue.iter().filter(|q| q.signer == signer && q.item.contract() == contract).count();
        u64::try_from(n).unwrap_or(u64::MAX)
    }

    fn count_bad_signature(&self, ctx: &Context) {
        let now = Instant::now();
        let window = self.0.config.bad_window;
        let mut refused = lock(&self.0.refused);
        refused.push_back(now);
        while refused.front().is_some_and(|t| now.duration_since(*t) > window) {
            refused.pop_front();
        }
        let n = refused.len();
        if u32::try_from(n).unwrap_or(u32::MAX) >= self.0.config.bad_signatures {
            refused.clear();
            ctx.alerts.raise(
                Finding::new(
                    Rule::BadSignatures,
                    Level::Warning,
                    format!("{n} relayed signatures failed their checks within {} s", window.as_secs()),
                )
                .with(serde_json::json!({ "count": n, "window_secs": window.as_secs() })),
            );
        }
    }

    fn set(&self, id: &str, change: impl FnOnce(&mut RelayStatus)) {
        if let Some(s) = lock(&self.0.statuses).get_mut(id) {
            change(s);
        }
    }

    /// Sends everything queued, in batches.
    async fn flush(&self, ctx: &Context) {
        let queued: Vec<Queued> = std::mem::take(&mut *lock(&self.0.queue));
        if queued.is_empty() {
            return;
        }
        // Splitter votes go per operation and kind; ballots together.
        let mut groups: Vec<Vec<Queued>> = Vec::new();
        for q in queued {
            let same = |g: &Vec<Queued>| match (&g[0].item, &q.item) {
                (Relayable::Vote { op_id: a, approve: x, .. }, Relayable::Vote { op_id: b, approve: y, .. }) => a == b && x == y,
                (Relayable::Ballot(_), Relayable::Ballot(_)) => g.len() < MAX_BALLOTS,
                _ => false,
            };
            match groups.iter_mut().find(|g| same(g)) {
                Some(g) => g.push(q),
                None => groups.push(vec![q]),
            }
        }
        for group in groups {
            if let Some(refused) = self.send(ctx, group).await {
                // One request gone bad since it was checked must not sink the
                // rest: each is sent alone, and only the bad one fails.
                for q in refused {
                    let _ = self.send(ctx, vec![q]).await;
                }
            }
        }
    }

    /// Sends `group` as one batch. A group of several that the contract
    /// refuses is handed back untouched, to be sent one by one.
    async fn send(&self, ctx: &Context, group: Vec<Queued>) -> Option<Vec<Queued>> {
        let items: Vec<Relayable> = group.iter().map(|q| q.item.clone()).collect();
        let (client, message, args) = call_of(ctx, &items);
        let measured = client.measure(ctx.signer.account_id(), message, args).await;
        let refused = match &measured {
            Ok((_, dry)) => items.first().and_then(|first| refusal_of(first, &dry.data)),
            Err(e) => Some(e.to_string()),
        };
        if refused.is_some() && items.len() > 1 {
            return Some(group);
        }
        let ids: Vec<String> = group.into_iter().map(|q| q.id).collect();
        let fail = |why: String| {
            for id in &ids {
                self.set(id, |s| {
                    s.status = "failed";
                    s.error = Some(why.clone());
                });
            }
        };
        let (input, dry) = match (measured, refused) {
            (Ok(m), None) => m,
            (_, why) => {
                fail(format!("refused when sent: {}", why.unwrap_or_default()));
                return None;
            }
        };
        let call =
            TxCall::Contract { contract: client.address(), value: 0, input, limits: Limits::from_dry_run(&dry, DRY_RUN_MARGIN_PERCENT) };
        let mut watch = match ctx.chain.submit(&ctx.signer, Tx::from(call), &mut ()).await {
            Ok(w) => w,
            Err(e) => {
                fail(e.to_string());
                return None;
            }
        };
        self.0.metrics.batches.inc();
        for id in &ids {
            self.set(id, |s| s.status = "submitted");
        }
        let relay = self.clone();
        tokio::spawn(async move {
            while let Some(status) = watch.next().await {
                match status {
                    TxStatus::InBlock { block, result } => {
                        for id in &ids {
                            relay.set(id, |s| {
                                s.block = Some(block.number);
                                match &result {
                                    TxResult::Success { .. } => s.status = "included",
                                    TxResult::Failed { error } => {
                                        s.status = "failed";
                                        s.error = Some(error.clone());
                                    }
                                }
                            });
                        }
                        relay.0.metrics.included.inc_by(u64::try_from(ids.len()).unwrap_or(u64::MAX));
                    }
                    TxStatus::Dropped { reason } | TxStatus::Invalid { reason } => {
                        for id in &ids {
                            relay.set(id, |s| {
                                s.status = "failed";
                                s.error = Some(format!("the extrinsic left the pool: {reason}; post the signature again"));
                            });
                        }
                    }
                    TxStatus::Retracted { .. } | TxStatus::Finalized { .. } => {}
                }
            }
        });
        None
    }

    /// The HTTP routes: `POST /relay/splitter/vote`, `POST
    /// /relay/governor/ballot`, `GET /relay/status/{id}`.
    pub fn routes(&self, ctx: Context) -> Router {
        Router::new()
            .route("/relay/splitter/vote", post(post_vote))
            .route("/relay/governor/ballot", post(post_ballot))
            .route("/relay/status/{id}", get(get_status))
            .with_state((self.clone(), ctx))
    }
}

/// Which message `items` go to (they share it), and its arguments.
fn call_of<'c>(ctx: &'c Context, items: &[Relayable]) -> (&'c ContractClient, &'static str, Args) {
    match items.first() {
        Some(Relayable::Vote { op_id, approve, .. }) => {
            let votes: Vec<SignedVote> =
                items.iter().filter_map(|i| if let Relayable::Vote { vote, .. } = i { Some(vote.clone()) } else { None }).collect();
            let message = if *approve { "approve_by_signatures" } else { "cancel_by_signatures" };
            (&ctx.contracts.splitter.0, message, Args::Votes(*op_id, votes))
        }
        _ => {
            let ballots: Vec<SignedBallot> =
                items.iter().filter_map(|i| if let Relayable::Ballot(b) = i { Some(b.clone()) } else { None }).collect();
            (&ctx.contracts.governor.0, "cast_votes_by_sig", Args::Ballots(ballots))
        }
    }
}

/// A batch call's arguments.
enum Args {
    Votes([u8; 32], Vec<SignedVote>),
    Ballots(Vec<SignedBallot>),
}

impl scale::Encode for Args {
    fn encode_to<T: scale::Output + ?Sized>(&self, dest: &mut T) {
        match self {
            Args::Votes(op, votes) => (op, votes).encode_to(dest),
            Args::Ballots(b) => b.encode_to(dest),
        }
    }
}

/// The contract's refusal in a dry run's output, if it refused.
fn refusal_of(item: &Relayable, output: &[u8]) -> Option<String> {
    match item {
        Relayable::Vote { .. } => match crate::chain::decode_output::<Result<(), SplitterError>>(output) {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("{e:?}")),
            Err(e) => Some(e.to_string()),
        },
        Relayable::Ballot(_) => match crate::chain::decode_output::<Result<u32, GovernorError>>(output) {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(format!("{e:?}")),
            Err(e) => Some(e.to_string()),
        },
    }
}

type RelayState = (Relay, Context);

async fn post_vote(State((relay, ctx)): State<RelayState>, parsed: Result<Json<VoteRequest>, JsonRejection>) -> Response {
    match json_body(parsed).and_then(VoteRequest::parse) {
        Ok(item) => accepted(relay.accept(&ctx, item).await),
        Err(r) => r.into_response(),
    }
}

async fn post_ballot(State((relay, ctx)): State<RelayState>, parsed: Result<Json<BallotRequest>, JsonRejection>) -> Response {
    match json_body(parsed).and_then(BallotRequest::parse) {
        Ok(item) => accepted(relay.accept(&ctx, item).await),
        Err(r) => r.into_response(),
    }
}

fn accepted(r: Result<RelayStatus, Refusal>) -> Response {
    match r {
        Ok(status) => (StatusCode::ACCEPTED, Json(status)).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn get_status(State((relay, _)): State<RelayState>, Path(id): Path<String>) -> Response {
    match relay.status(&id) {
        Some(s) => Json(s).into_response(),
        None => Refusal {
            status: StatusCode::NOT_FOUND,
            code: "unknown_id",
            message: format!("no request {id:?} here (statuses are kept in memory until the keeper restarts)"),
        }
        .into_response(),
    }
}

/// Sends what the relayer accepted, in batches.
pub struct RelayerDuty {
    relay: Relay,
}

impl RelayerDuty {
    /// The duty for `relay`.
    pub fn new(relay: Relay) -> Self {
        RelayerDuty { relay }
    }
}

#[async_trait::async_trait]
impl Duty for RelayerDuty {
    fn name(&self) -> &'static str {
        "relayer"
    }

    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let mut tick = tokio::time::interval(self.relay.0.config.batch_every);
        loop {
            tokio::select! {
                _ = shutdown.wait() => {
                    self.relay.flush(ctx).await;
                    return Ok(());
                }
                _ = tick.tick() => self.relay.flush(ctx).await,
            }
        }
    }
}
