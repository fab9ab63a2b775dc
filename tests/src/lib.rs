//! Shared fixtures for the end-to-end tests: contracts built once per test
//! process by the real pipeline, and a fresh embedded chain with the suite deployed.

use std::sync::OnceLock;

use lode_deploy::{builder, Artifact, BuildOptions, Builder, Deployed, Suite, SuiteConfig, Workspace};
use lode_keeper::chain::embedded::{EmbeddedChain, EmbeddedConfig};
use lode_keeper::chain::{AccountId, Chain, ChainError};
use lode_keeper::events::EventRegistry;
use lode_keeper::keys::Signer;
use scale::Encode;

/// Native currency each test account starts with.
pub const ENDOWMENT: u128 = 1_000_000_000_000_000_000;

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
    pub chain: EmbeddedChain,
    /// The suite's artifacts and call encoders.
    pub suite: Suite,
    /// Where everything was deployed.
    pub deployed: Deployed,
    /// Names for contract events.
    pub registry: EventRegistry,
    /// Deployer, and admin of every contract.
    pub alice: Signer,
    /// Holds the genesis LODE allocation.
    pub treasury: Signer,
    /// A plain user.
    pub bob: Signer,
    /// The deployment parameters used.
    pub config: SuiteConfig,
}

impl Harness {
    /// Builds the contracts if needed, starts a chain and deploys the suite.
    pub async fn new() -> Self {
        let (alice, treasury, bob) = (Signer::dev("alice"), Signer::dev("treasury"), Signer::dev("bob"));
        let endowed = [&alice, &treasury, &bob].iter().map(|s| (s.account_id(), ENDOWMENT)).collect();
        let chain = EmbeddedChain::start(EmbeddedConfig::manual(endowed)).expect("chain starts");
        let suite = Suite::new(artifacts().to_vec()).expect("suite");
        let config = SuiteConfig::dev(treasury.account_id());
        let (deployed, registry) = lode_keeper::deployer::deploy_suite(&chain, &alice, &suite, &config).await.expect("suite deploys");
        // Seal the deployment into its own block, so tests start on an empty one.
        chain.seal_blocks(1).await.expect("deployment block seals");
        Self { chain, suite, deployed, registry, alice, treasury, bob, config }
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
}
