//! Shared fixtures for the end-to-end tests: contracts built once per test
//! process by the real pipeline, and a fresh embedded chain with the suite deployed.

use std::sync::OnceLock;

pub mod eip712;
pub mod node;

use alloy_primitives::B256;
use alloy_signer_local::PrivateKeySigner;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};

use lode_deploy::{builder, Artifact, BuildOptions, Builder, Deployed, Suite, SuiteConfig, Workspace};
use lode_governor::GovernorParams;
use lode_keeper::chain::embedded::{EmbeddedChain, EmbeddedConfig};
use lode_keeper::chain::BlockSource;
use lode_keeper::chain::{AccountId, Chain, ChainError};
use std::sync::Arc;

use lode_keeper::alerting::AlertHook;
use lode_keeper::contracts::{Contracts, EventRegistry};
use lode_keeper::keys::Signer;
use lode_keeper::runtime::{Context, Drain, Duty, DutyBoard, DutyFailed, Shutdown, Stopper, Supervisor};
use lode_keeper::watcher::{Confirmation, Notifications, Watcher, WatcherMetrics};
use lode_primitives::LODE;
use scale::Encode;

/// Native currency each test account starts with.
pub const ENDOWMENT: u128 = 1_000_000_000_000_000_000;

/// The governance tests' parameters: voting opens after 1 block and lasts 5,
/// with a 2-block timelock, so the latency is 8 blocks and staking must take
/// at least 9 to unbond. 100 LODE proposes; the quorum is 20%.
pub const TEST_GOVERNANCE: GovernorParams = GovernorParams {
    voting_delay: 1,
    voting_period: 5,
    proposal_threshold: 100 * LODE,
    quorum_bps: 2_000,
    timelock_delay: 2,
    grace_period: 3,
};

/// Governance fast enough for tests that do not exercise it: voting opens at
/// once and lasts one block, with no timelock, so its latency is one block and
/// staking may unbond in as few as two (the slashing rule; see
/// `SuiteConfig::validate`). Tests of governance set their own.
pub const FAST_GOVERNANCE: GovernorParams = GovernorParams {
    voting_delay: 0,
    voting_period: 1,
    proposal_threshold: LODE,
    quorum_bps: 400,
    timelock_delay: 0,
    grace_period: 14_400,
};

/// The contracts, built (or reused) once per test process.
pub fn artifacts() -> &'static [Artifact] {
    static BUILT: OnceLock<Vec<Artifact>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let ws = repository();
        let builder = Builder::new(ws).expect("builder");
        builder
            .build_all(BuildOptions { force: false, quiet: true }, &mut |e| eprintln!("{}", builder::describe(&e)))
            .expect("contracts build")
    })
}

/// The alloy signer holding the same secp256k1 key as `Signer::dev(name)`, for
/// signing EIP-712 typed data the way an external wallet would.
pub fn alloy_key(name: &str) -> PrivateKeySigner {
    let secret: [u8; 32] = Blake2b::<U32>::digest(format!("lode/dev/{name}")).into();
    PrivateKeySigner::from_bytes(&B256::from(secret)).expect("a blake2 output is a valid secp256k1 secret")
}

/// The repository under test, found from the current directory (cargo runs tests
/// in the package's directory). Never from a compile-time path: with a target
/// directory shared between checkouts, cargo may reuse a crate compiled in another
/// checkout, and its `env!("CARGO_MANIFEST_DIR")` would point there.
pub fn repository() -> Workspace {
    let cwd = std::env::current_dir().expect("current directory");
    Workspace::discover(&cwd).expect("tests run inside the repository")
}

/// A fresh embedded chain (blocks sealed on demand) with the suite deployed.
pub struct Harness {
    /// The chain.
    pub chain: Arc<EmbeddedChain>,
    /// The suite's artifacts and call encoders.
    pub suite: Suite,
    /// Where everything was deployed.
    pub deployed: Deployed,
    /// Typed clients of the deployment.
    pub contracts: Contracts,
    /// Names for contract events.
    pub registry: EventRegistry,
    /// Deployer, and admin of every contract.
    pub alice: Signer,
    /// Holds the genesis LODE allocation.
    pub treasury: Signer,
    /// Plain users.
    pub bob: Signer,
    /// Plain users.
    pub carol: Signer,
    /// Plain users.
    pub dave: Signer,
    /// The deployment parameters used.
    pub config: SuiteConfig,
}

impl Harness {
    /// Builds the contracts if needed, starts a chain and deploys the suite with
    /// the dev configuration.
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// Like [`Harness::new`], with the dev configuration adjusted by `adjust`.
    pub async fn with(adjust: impl FnOnce(&mut SuiteConfig)) -> Self {
        let [alice, treasury, bob, carol, dave] = ["alice", "treasury", "bob", "carol", "dave"].map(Signer::dev);
        let endowed = [&alice, &treasury, &bob, &carol, &dave].iter().map(|s| (s.account_id(), ENDOWMENT)).collect();
        let chain = Arc::new(EmbeddedChain::start(EmbeddedConfig::manual(endowed)).expect("chain starts"));
        let suite = Suite::new(artifacts().to_vec()).expect("suite");
        // Owners alice, bob, carol (2 of 3); payees dave and treasury.
        let owners = [&alice, &bob, &carol].map(Signer::account_id).to_vec();
        let mut config = SuiteConfig::dev(treasury.account_id(), owners, vec![dave.account_id(), treasury.account_id()]);
        // Alice stays admin so tests can call admin messages directly; the
        // governance tests turn the hand-over back on.
        config.hand_over_to_governor = false;
        config.governor.params = FAST_GOVERNANCE;
        adjust(&mut config);
        let (deployed, contracts) =
            lode_keeper::contracts::deploy_suite(chain.clone(), &alice, &suite, &config).await.expect("suite deploys");
        let registry = contracts.events.clone();
        // Seal the deployment into its own block, so tests start on an empty one.
        chain.seal_blocks(1).await.expect("deployment block seals");
        Self { chain, suite, deployed, contracts, registry, alice, treasury, bob, carol, dave, config }
    }

    /// A keeper context on this chain and deployment, signing as `signer`,
    /// with the listener and drain of its own shutdown.
    pub fn context(&self, signer: &Signer) -> (Context, Shutdown, Drain) {
        let (stopper, shutdown, drain) = lode_keeper::runtime::shutdown::channel();
        let ctx = Context {
            chain: self.chain.clone(),
            contracts: self.contracts.clone(),
            signer: signer.clone(),
            alerts: AlertHook::default(),
            audit: Default::default(),
            notifications: Notifications::default(),
            stopper,
        };
        (ctx, shutdown, drain)
    }

    /// A keeper signing as `signer` on this chain, its watcher in place
    /// (blocks count at `confirmation`): add duties, then start it.
    pub fn keeper(&self, signer: &Signer, confirmation: Confirmation) -> Keeper {
        let (ctx, shutdown, drain) = self.context(signer);
        let mut supervisor = Supervisor::new(DutyBoard::default(), std::time::Duration::from_secs(5));
        let metrics = WatcherMetrics::register(&mut prometheus_client::registry::Registry::default());
        supervisor.add(Watcher::new(self.chain.clone(), ctx.notifications.clone(), confirmation, None, metrics));
        Keeper { ctx, supervisor, shutdown, drain }
    }

    /// Address of a deployed contract.
    pub fn address(&self, contract: &str) -> AccountId {
        self.deployed.address(contract).unwrap_or_else(|| panic!("{contract} not deployed"))
    }

    /// SCALE input for `contract`'s message `label` with `args`.
    pub fn input(&self, contract: &str, label: &str, args: impl Encode) -> Vec<u8> {
        self.suite.message_input(contract, label, args).expect("message exists")
    }

    /// Reads a value through a dry run as `bob`.
    pub async fn read<T: scale::Decode>(&self, contract: &str, label: &str, args: impl Encode) -> Result<T, ChainError> {
        let out = self.chain.dry_run(self.bob.account_id(), self.address(contract), 0, self.input(contract, label, args)).await?;
        out.decode()
    }

    /// Calls a message as `signer` in the open block and decodes its return
    /// value (typically `Result<_, Error>`; a reverted call decodes too).
    pub async fn send<T: scale::Decode>(&self, signer: &Signer, contract: &str, label: &str, args: impl Encode) -> T {
        let out = self.chain.call(signer, self.address(contract), 0, self.input(contract, label, args)).await.expect("call dispatches");
        out.decode().expect("return value decodes")
    }

    /// A signature deadline one minute after the head's timestamp.
    pub async fn deadline(&self) -> u64 {
        self.chain.head().await.expect("head").timestamp_ms + 60_000
    }

    /// The number of the open block: the one calls execute in now.
    pub async fn block(&self) -> u32 {
        let head = self.chain.head().await.expect("head").number;
        u32::try_from(head + 1).expect("block numbers fit u32")
    }

    /// Seals blocks until `number` is the open block.
    pub async fn advance_to(&self, number: u32) {
        let open = self.block().await;
        assert!(number >= open, "cannot go back from block {open} to {number}");
        if number > open {
            self.chain.seal_blocks(number - open).await.expect("blocks seal");
        }
    }

    /// LODE balance of `who`.
    pub async fn lode(&self, who: AccountId) -> u128 {
        self.read("token", "PSP22::balance_of", who.0).await.expect("balance reads")
    }

    /// Gives `who` `amount` LODE from the treasury and lets staking pull all of it.
    pub async fn fund_staker(&self, who: &Signer, amount: u128) {
        let sent: Result<(), lode_token::PSP22Error> =
            self.send(&self.treasury, "token", "PSP22::transfer", (who.account_id().0, amount, Vec::<u8>::new())).await;
        sent.expect("treasury pays");
        let approved: Result<(), lode_token::PSP22Error> =
            self.send(who, "token", "PSP22::approve", (self.address("staking").0, u128::MAX)).await;
        approved.expect("approve succeeds");
    }

    /// Funds `who` with `amount` LODE from the treasury and stakes all of it.
    pub async fn stake(&self, who: &Signer, amount: u128) {
        self.fund_staker(who, amount).await;
        let staked: Result<(), lode_staking::Error> = self.send(who, "staking", "stake", amount).await;
        staked.expect("stake succeeds");
    }

    /// A governor action calling `label` on the deployed `contract` with `args`.
    pub fn action(&self, contract: &str, label: &str, args: impl Encode) -> lode_governor::Action {
        let input = self.input(contract, label, args);
        let selector = input[..4].try_into().expect("inputs start with a 4-byte selector");
        lode_governor::Action::Call { target: self.address(contract).0.into(), selector, input: input[4..].to_vec(), value: 0 }
    }

    /// Takes `actions` through governance: bob proposes, bob and carol vote For
    /// (they need stake from before the proposal), dave queues and, after the
    /// timelock, executes. Returns the proposal id and what `execute` answered.
    pub async fn pass_proposal(&self, actions: Vec<lode_governor::Action>) -> (u64, Result<(), lode_governor::Error>) {
        use lode_governor::{Error, Proposal, Support};
        let proposed: Result<u64, Error> = self.send(&self.bob, "governor", "propose", (actions, String::from("test proposal"))).await;
        let id = proposed.expect("bob may propose");
        let proposal =
            || async { self.read::<Option<Proposal>>("governor", "proposal", id).await.expect("proposal reads").expect("proposal exists") };
        self.advance_to(proposal().await.vote_start).await;
        for voter in [&self.bob, &self.carol] {
            let voted: Result<u128, Error> = self.send(voter, "governor", "cast_vote", (id, Support::For)).await;
            voted.expect("bob and carol vote");
        }
        self.advance_to(proposal().await.vote_end).await;
        let queued: Result<(), Error> = self.send(&self.dave, "governor", "queue", id).await;
        queued.expect("the proposal succeeded");
        let (eta, _) = proposal().await.eta.expect("queued");
        self.advance_to(eta).await;
        (id, self.send(&self.dave, "governor", "execute", id).await)
    }
}

/// A keeper being assembled: its context and supervisor.
pub struct Keeper {
    /// What its duties run with.
    pub ctx: Context,
    supervisor: Supervisor,
    shutdown: Shutdown,
    drain: Drain,
}

impl Keeper {
    /// Adds a duty.
    pub fn add(&mut self, duty: impl Duty) -> &mut Self {
        self.supervisor.add(duty);
        self
    }

    /// Runs its duties until [`Running::stop`].
    pub fn start(self) -> Running {
        let stopper = self.ctx.stopper.clone();
        Running { stopper, handle: tokio::spawn(self.supervisor.run(self.ctx, self.shutdown, self.drain)) }
    }
}

/// A keeper's duties, running.
pub struct Running {
    stopper: Stopper,
    handle: tokio::task::JoinHandle<Result<(), DutyFailed>>,
}

impl Running {
    /// Stops the duties and checks that every one stopped cleanly.
    pub async fn stop(self) {
        self.stopper.fire();
        self.handle.await.expect("the supervisor task").expect("the keeper stops cleanly");
    }
}
