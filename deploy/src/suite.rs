//! The deployment plan: which contracts, with which arguments, wired how.
//!
//! The plan talks to a chain only through the [`Deployer`] port, so the same plan
//! deploys to the keeper's embedded chain in `lode dev` and to a node in
//! `lode deploy`. Contracts join the plan as their issues land.

use std::collections::BTreeMap;

use scale::Encode;
use serde::{Deserialize, Serialize};

pub use lode_alerts::AlertsParams;
pub use lode_governor::GovernorParams;
pub use lode_primitives::AccountId;
pub use lode_staking::StakingParams;
pub use lode_token::MiningParams;

use crate::{Artifact, DeployError};

/// What the suite needs from a chain. Errors are the chain's own explanation.
#[async_trait::async_trait]
pub trait Deployer: Send + Sync {
    /// The chain's genesis hash (block 0), which goes into every deployment salt.
    async fn genesis_hash(&self) -> Result<[u8; 32], String>;
    /// Uploads `wasm` (idempotent) and returns its code hash.
    async fn upload(&self, contract: &str, wasm: &[u8]) -> Result<[u8; 32], String>;
    /// Instantiates `code_hash` with SCALE-encoded constructor `input`.
    async fn instantiate(&self, contract: &str, code_hash: [u8; 32], input: Vec<u8>, salt: Vec<u8>) -> Result<AccountId, String>;
    /// Calls a message and returns its raw SCALE output.
    async fn call(&self, contract: &str, address: AccountId, input: Vec<u8>) -> Result<Vec<u8>, String>;
}

/// Parameters of a suite deployment.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// The DAO treasury: receives LODE's genesis allocation.
    pub treasury: AccountId,
    /// LODE minted to the treasury at genesis (smallest units).
    pub genesis_supply: u128,
    /// LODE's hard supply cap (smallest units).
    pub supply_cap: u128,
    /// LODE's mining parameters.
    pub mining: MiningParams,
    /// LODE's first target (big-endian; at most `mining.max_target`).
    pub initial_target: [u8; 32],
    /// Staking's parameters (unbonding period, keeper bond and activation delay).
    pub staking: StakingParams,
    /// The splitter's owners, timelock and split.
    pub splitter: SplitterConfig,
    /// The governor's voting and timelock parameters, and its guardian.
    pub governor: GovernorConfig,
    /// The alerts contract's rate limit and circuit breaker.
    pub alerts: AlertsParams,
    /// Hand every contract's admin role to the governor once all are deployed.
    /// Always so for a real deployment; tests of one contract's admin messages
    /// turn it off to call them directly as the deployer.
    pub hand_over_to_governor: bool,
    /// Salt for instantiation, so the same code can be deployed twice on one
    /// chain. The chain's genesis hash is appended ([`deploy_salt`]).
    pub salt: Vec<u8>,
}

impl SuiteConfig {
    /// Checks what the contracts would refuse, before anything is deployed,
    /// with a message that says which fields to change.
    pub fn validate(&self) -> Result<(), DeployError> {
        let params = &self.governor.params;
        let latency = params.latency().unwrap_or(u32::MAX);
        if self.staking.unbonding_period <= latency {
            return Err(DeployError::Config(format!(
                "staking.unbonding_period ({}) must exceed the governor's latency, voting_delay + voting_period + timelock_delay = {} + {} + {} = {latency} blocks: \
                 otherwise a keeper could unbond and withdraw before a slash executes; raise the unbonding period or shorten governance",
                self.staking.unbonding_period, params.voting_delay, params.voting_period, params.timelock_delay
            )));
        }
        Ok(())
    }
}

/// The splitter's constructor arguments (besides the token and staking, which
/// come from the deployment itself).
#[derive(Debug, Clone)]
pub struct SplitterConfig {
    /// Chain id in the EIP-712 domain of owners' signatures.
    pub chain_id: u64,
    /// 1 to 20 owners.
    pub owners: Vec<AccountId>,
    /// Approvals an operation needs.
    pub threshold: u8,
    /// Timelock before a queued operation may execute, ms.
    pub min_delay_ms: u64,
    /// Window after that in which it may execute, ms.
    pub grace_period_ms: u64,
    /// Who is paid.
    pub payees: Vec<AccountId>,
    /// Shares, one per payee.
    pub shares: Vec<u32>,
    /// Fee of the bonded keeper calling `distribute`, basis points.
    pub keeper_fee_bps: u16,
}

/// The governor's constructor arguments (besides staking and the chain id).
#[derive(Debug, Clone)]
pub struct GovernorConfig {
    /// Voting and timelock parameters.
    pub params: GovernorParams,
    /// May veto any proposal before it executes.
    pub guardian: Option<AccountId>,
}

/// The EIP-712 chain id the dev configuration gives the splitter.
pub const DEV_CHAIN_ID: u64 = 4_242;

impl SuiteConfig {
    /// Defaults for a development chain: 1M LODE to the treasury, capped at 21M;
    /// 50 LODE per mint, halving every 210,000 mints; a mint every 10 s wanted,
    /// retargeted every 16 mints; first target 2^240 − 1 (one try in 65,536 wins).
    /// Staking: unbonding takes 50 blocks, a keeper bonds 1,000 LODE for 10 blocks.
    /// Splitter: `owners` approve 2 of 3 (or all, if fewer), with a 1-minute
    /// timelock and a 1-day execution window; `payees` share 50/30/20 (equal
    /// shares beyond three), and a distributing keeper earns 1%.
    /// Governor: 1,000 LODE of power to propose; voting opens after 1 block and
    /// lasts 20 (2 minutes); quorum 4% of the staked power; a 10-block timelock
    /// and a 1-day window to execute. The first owner is its guardian, and
    /// every contract's admin role goes to the governor.
    /// Alerts: 10 per keeper per 100 blocks; Critical alerts from 2 keepers
    /// within 100 blocks pause a guarded contract (the splitter).
    pub fn dev(treasury: AccountId, owners: Vec<AccountId>, payees: Vec<AccountId>) -> Self {
        use lode_primitives::LODE;
        let first_owner = owners.first().copied();
        Self {
            treasury,
            genesis_supply: 1_000_000 * LODE,
            supply_cap: 21_000_000 * LODE,
            mining: MiningParams {
                epoch_length: 16,
                target_interval_ms: 10_000,
                halving_interval: 210_000,
                initial_reward: 50 * LODE,
                max_target: lode_primitives::pow::mask(252),
            },
            initial_target: lode_primitives::pow::mask(240),
            staking: StakingParams { unbonding_period: 50, min_keeper_bond: 1_000 * LODE, activation_delay: 10 },
            splitter: SplitterConfig {
                chain_id: DEV_CHAIN_ID,
                threshold: u8::try_from(owners.len().min(2)).unwrap_or(2),
                owners,
                min_delay_ms: 60_000,
                grace_period_ms: 24 * 60 * 60 * 1000,
                shares: (0..payees.len()).map(|i| [50, 30, 20].get(i).copied().unwrap_or(20)).collect(),
                payees,
                keeper_fee_bps: 100,
            },
            governor: GovernorConfig {
                params: GovernorParams {
                    voting_delay: 1,
                    voting_period: 20,
                    proposal_threshold: 1_000 * LODE,
                    quorum_bps: 400,
                    timelock_delay: 10,
                    grace_period: 14_400,
                },
                guardian: first_owner,
            },
            alerts: AlertsParams { max_per_window: 10, window_blocks: 100, pause_quorum: 2 },
            hand_over_to_governor: true,
            salt: b"lode-dev".to_vec(),
        }
    }
}

/// One deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedContract {
    /// Short name (`token`).
    pub name: String,
    /// Its account.
    pub address: AccountId,
    /// The code it runs.
    #[serde(with = "hex::serde")]
    pub code_hash: [u8; 32],
}

/// The result of deploying the suite: a record dapps and keepers load.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployed {
    /// Deployed contracts in deployment order.
    pub contracts: Vec<DeployedContract>,
}

impl Deployed {
    /// The address of contract `name`, if deployed.
    pub fn address(&self, name: &str) -> Option<AccountId> {
        self.contracts.iter().find(|c| c.name == name).map(|c| c.address)
    }
}

/// The suite's contracts, built, with the plan to deploy them.
#[derive(Debug, Clone)]
pub struct Suite {
    artifacts: BTreeMap<String, Artifact>,
}

/// Contracts in the order they must be deployed (later ones take earlier ones'
/// addresses as constructor arguments).
pub const DEPLOY_ORDER: &[&str] = &["token", "staking", "splitter", "governor", "alerts"];

impl Suite {
    /// A suite over built artifacts; every contract in [`DEPLOY_ORDER`] must be present.
    pub fn new(artifacts: Vec<Artifact>) -> Result<Self, DeployError> {
        let artifacts: BTreeMap<_, _> = artifacts.into_iter().map(|a| (a.name.clone(), a)).collect();
        for name in DEPLOY_ORDER {
            if !artifacts.contains_key(*name) {
                return Err(DeployError::Metadata { contract: (*name).into(), reason: "not built; the suite needs it".into() });
            }
        }
        Ok(Self { artifacts })
    }

    /// The artifact of `name`.
    pub fn artifact(&self, name: &str) -> Option<&Artifact> {
        self.artifacts.get(name)
    }

    /// SCALE input for constructor `label` of `contract`: selector then `args`.
    pub fn constructor_input(&self, contract: &str, label: &str, args: impl Encode) -> Result<Vec<u8>, DeployError> {
        Ok(with_selector(self.artifact_or_err(contract)?.metadata.constructor(label)?, args))
    }

    /// SCALE input for message `label` of `contract`: selector then `args`.
    pub fn message_input(&self, contract: &str, label: &str, args: impl Encode) -> Result<Vec<u8>, DeployError> {
        Ok(with_selector(self.artifact_or_err(contract)?.metadata.message(label)?, args))
    }

    /// Uploads, instantiates and wires every contract, in [`DEPLOY_ORDER`].
    pub async fn deploy(&self, chain: &dyn Deployer, config: &SuiteConfig) -> Result<Deployed, DeployError> {
        config.validate()?;
        let genesis = chain.genesis_hash().await.map_err(|reason| DeployError::Chain { contract: "(genesis)".into(), reason })?;
        let salt = deploy_salt(&config.salt, &genesis);
        let config = &SuiteConfig { salt, ..config.clone() };
        let mut deployed = Deployed::default();
        let token_args = (config.treasury.0, config.genesis_supply, config.supply_cap, config.mining, config.initial_target);
        let input = self.constructor_input("token", "new", token_args)?;
        let token = self.place(chain, &mut deployed, "token", input, &config.salt).await?;
        let input = self.constructor_input("staking", "new", (token.0, config.treasury.0, config.staking))?;
        let staking = self.place(chain, &mut deployed, "staking", input, &config.salt).await?;
        let s = &config.splitter;
        let ids = |list: &[AccountId]| list.iter().map(|a| a.0).collect::<Vec<_>>();
        // `Split { payees, shares, keeper_fee_bps }` encodes as this tuple.
        let split = (ids(&s.payees), s.shares.clone(), s.keeper_fee_bps);
        let args = (
            token.0,
            staking.0,
            s.chain_id,
            ids(&s.owners),
            s.threshold,
            s.min_delay_ms,
            s.grace_period_ms,
            split,
            // No guardian yet: the alerts contract, deployed later, becomes it.
            None::<[u8; 32]>,
        );
        let input = self.constructor_input("splitter", "new", args)?;
        let splitter = self.place(chain, &mut deployed, "splitter", input, &config.salt).await?;
        let g = &config.governor;
        let args = (staking.0, s.chain_id, g.params, g.guardian.map(|a| a.0), vec![splitter.0]);
        let input = self.constructor_input("governor", "new", args)?;
        let governor = self.place(chain, &mut deployed, "governor", input, &config.salt).await?;
        let input = self.constructor_input("alerts", "new", (staking.0, governor.0, config.alerts))?;
        let alerts = self.place(chain, &mut deployed, "alerts", input, &config.salt).await?;
        // Alerts guards the splitter: its circuit breaker may pause it.
        self.call(chain, "splitter", splitter, "set_guardian", Some(alerts.0)).await?;
        if config.hand_over_to_governor {
            for (name, address) in [("token", token), ("staking", staking), ("splitter", splitter)] {
                self.call(chain, name, address, "set_admin", governor.0).await?;
            }
        }
        Ok(deployed)
    }

    /// Uploads `name`'s code, checks the chain agrees on its hash, instantiates it
    /// with constructor `input` and records it in `deployed`.
    async fn place(
        &self,
        chain: &dyn Deployer,
        deployed: &mut Deployed,
        name: &str,
        input: Vec<u8>,
        salt: &[u8],
    ) -> Result<AccountId, DeployError> {
        let artifact = self.artifact_or_err(name)?;
        let chain_err = |reason| DeployError::Chain { contract: artifact.name.clone(), reason };
        let code_hash = chain.upload(&artifact.name, &artifact.wasm).await.map_err(chain_err)?;
        if code_hash != artifact.code_hash {
            return Err(DeployError::Chain {
                contract: artifact.name.clone(),
                reason: format!(
                    "chain reports code hash {} but the artifact hashes to {}",
                    hex::encode(code_hash),
                    hex::encode(artifact.code_hash)
                ),
            });
        }
        let address = chain.instantiate(&artifact.name, code_hash, input, salt.to_vec()).await.map_err(chain_err)?;
        deployed.contracts.push(DeployedContract { name: artifact.name.clone(), address, code_hash });
        Ok(address)
    }

    /// Calls `label` on the deployed `name` for wiring; its `Result` must be `Ok`.
    async fn call(&self, chain: &dyn Deployer, name: &str, address: AccountId, label: &str, args: impl Encode) -> Result<(), DeployError> {
        let input = self.message_input(name, label, args)?;
        let wiring = |reason: String| DeployError::Chain { contract: name.into(), reason: format!("wiring `{label}`: {reason}") };
        let output = chain.call(name, address, input).await.map_err(wiring)?;
        // `Result<Result<(), E>, LangError>`: Ok(Ok(())) is two zero bytes.
        if output.get(..2) != Some(&[0, 0][..]) {
            return Err(wiring(format!("answered 0x{}", hex::encode(&output))));
        }
        Ok(())
    }

    fn artifact_or_err(&self, name: &str) -> Result<&Artifact, DeployError> {
        self.artifacts.get(name).ok_or_else(|| DeployError::Metadata { contract: name.into(), reason: "not part of this suite".into() })
    }
}

/// The salt a deployment instantiates with: the configured salt, then the
/// chain's genesis hash. Contract addresses hash the deployer, code, input
/// and salt; without the genesis hash, one deployer with one salt would get
/// the same addresses on two chains, and with the same configured chain id
/// the same EIP-712 domains, so a signature for one would replay on the other.
pub fn deploy_salt(salt: &[u8], genesis_hash: &[u8; 32]) -> Vec<u8> {
    [salt, genesis_hash.as_slice()].concat()
}

fn with_selector(selector: [u8; 4], args: impl Encode) -> Vec<u8> {
    let mut input = selector.to_vec();
    args.encode_to(&mut input);
    input
}
