//! `lode deploy`: the whole suite to a node, and a manifest `lode run` reads.
//!
//! Uploads, instantiates in dependency order, wires, hands ownership to the
//! governor, and writes the manifest. A re-run against the same chain finds
//! the manifest's contracts in place and changes nothing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lode_deploy::{Deployer, SuiteConfig};

use crate::chain::node::{NodeChain, NodeConfig, NodeMetrics};
use crate::chain::{AccountId, BlockSource, Chain, StorageDeposit, Weight};
use crate::contracts::{bond_keeper, ChainDeployer, Contracts, Manifest, Wiring};
use crate::keys::{secret_bytes, ss58, Keystore, PasswordSource, Signer, DEV_ACCOUNTS};

/// Options of `lode deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    /// Node WebSocket endpoints (ws:// or wss://), tried in order.
    #[arg(long = "node", required = true)]
    pub nodes: Vec<String>,
    /// A dev chain: fund the deployer from //Alice first, and without
    /// --keystore deploy as the well-known dev key `alice`.
    #[arg(long)]
    pub dev: bool,
    /// Deploy as the key in this keystore.
    #[arg(long, required_unless_present = "dev")]
    pub keystore: Option<PathBuf>,
    /// Read the keystore's password from this file.
    #[arg(long, conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Read the keystore's password from this environment variable.
    #[arg(long)]
    pub password_env: Option<String>,
    /// Where to write the manifest.
    #[arg(long, default_value = "deployment.json")]
    pub out: PathBuf,
    /// Rebuild contracts even if their sources are unchanged.
    #[arg(long)]
    pub rebuild: bool,
    /// Measure each step's weight and deposit without sending anything.
    #[arg(long)]
    pub dry_run: bool,
    /// The splitter's payees: one `account,share` per line (default: the
    /// dev accounts dave, eve and ferdie).
    #[arg(long)]
    pub payees: Option<PathBuf>,
}

/// Native currency `--dev` gives the deployer: enough for every deposit.
const DEV_FUNDING: u128 = 1_000_000_000_000_000_000;

/// Runs `lode deploy`.
pub async fn run(args: DeployArgs, workspace: PathBuf) -> Result<()> {
    let mut config = super::suite::dev_roles();
    if let Some(path) = &args.payees {
        let payees = super::payees::read(path)?;
        config.splitter.shares = payees.iter().map(|(_, s)| *s).collect();
        config.splitter.payees = payees.into_iter().map(|(a, _)| a).collect();
    }
    let signer = match &args.keystore {
        Some(path) => {
            let source = match (&args.password_file, &args.password_env) {
                (Some(f), _) => PasswordSource::File(f.clone()),
                (None, Some(v)) => PasswordSource::Env(v.clone()),
                (None, None) => PasswordSource::Prompt,
            };
            let password = source.resolve()?;
            let key = Keystore::open(path, &password)?;
            Signer::from_secret(path.display().to_string(), &secret_bytes(&key))?
        }
        None => Signer::dev("alice"),
    };
    let chain = Arc::new(
        NodeChain::connect(NodeConfig { endpoints: args.nodes.clone(), request_timeout: Duration::from_secs(30) }, NodeMetrics::default())
            .await
            .context("connecting to the node")?,
    );
    let genesis = chain.genesis_hash().await?;
    println!("node {} (chain 0x{}…), deploying as {}", args.nodes.join(", "), hex::encode(&genesis[..4]), ss58(&signer.account_id()));

    let suite = super::suite::build(workspace.clone(), args.rebuild).await?;
    if args.out.exists() {
        let manifest = Manifest::load(&args.out)?;
        manifest.check_chain(&args.out, genesis)?;
        let deployed = manifest.deployed().map_err(anyhow::Error::msg)?;
        let contracts = Contracts::from_suite(chain.clone(), &suite, &deployed, signer.account_id())?;
        Wiring::read(&contracts).await.with_context(|| format!("{} lists contracts the chain does not answer for", args.out.display()))?;
        println!("the suite in {} is deployed on this chain; nothing to do", args.out.display());
        return Ok(());
    }

    if args.dry_run {
        // Deposits must be payable even in a dry run. On a dev chain an
        // unfunded deployer is measured as //Alice, who `--dev` would fund it from.
        let origin = match chain.balance(signer.account_id()).await? {
            0 if args.dev => NodeChain::alice(),
            0 => bail!(
                "the deployer {} holds no funds, and a dry run must be able to pay the deposits; fund it first (or use --dev on a dev chain)",
                ss58(&signer.account_id())
            ),
            _ => signer.account_id(),
        };
        return dry_run(&chain, origin, &suite, &config).await;
    }
    if args.dev {
        let have = chain.balance(signer.account_id()).await?;
        if have < DEV_FUNDING / 2 {
            chain.fund_from_alice(signer.account_id(), DEV_FUNDING).await.context("funding the deployer from //Alice")?;
            println!("funded {} from //Alice", ss58(&signer.account_id()));
        }
    } else if chain.balance(signer.account_id()).await? == 0 {
        bail!("the deployer {} holds no funds on this chain; fund it first (or use --dev on a dev chain)", ss58(&signer.account_id()));
    }

    let deployer = Progress { inner: ChainDeployer::new(&*chain, &signer), bar: progress() };
    let deployed = suite.deploy(&deployer, &config).await?;
    deployer.bar.finish_with_message("deployed");

    let head = chain.head().await?;
    let inputs = |name: &str| super::suite::recorded_inputs(&workspace, name);
    let manifest = Manifest::new(genesis, head.number, signer.account_id(), &suite, &deployed, inputs);
    manifest.save(&args.out)?;
    let contracts = Contracts::from_suite(chain.clone(), &suite, &deployed, signer.account_id())?;
    for c in contracts.all() {
        println!("deployed {:<10} at {}", c.contract().name(), ss58(&c.address()));
    }
    let wiring = Wiring::read(&contracts).await.context("reading the suite's wiring back")?;
    let dev_name = |a: &AccountId| DEV_ACCOUNTS.iter().find(|n| Signer::dev(n).account_id() == *a).map(|n| (*n).to_owned());
    for line in wiring.describe(&contracts, dev_name) {
        println!("  {line}");
    }
    println!("manifest written to {}", args.out.display());
    if args.dev {
        // A dev deployment's keeper is ready to work: bonded from the dev treasury.
        let treasury = Signer::dev("treasury");
        chain.fund_from_alice(treasury.account_id(), DEV_FUNDING / 10).await.context("funding the dev treasury from //Alice")?;
        let bond = config.staking.min_keeper_bond;
        bond_keeper(&contracts, &treasury, &signer, bond).await.context("bonding the deployer as a keeper")?;
        println!(
            "bonded {} as a keeper with {} LODE from the dev treasury; it may settle after {} blocks",
            ss58(&signer.account_id()),
            bond / lode_primitives::LODE,
            config.staking.activation_delay
        );
    }
    Ok(())
}

/// `--dry-run`: every step measured against the node's state, nothing sent.
async fn dry_run(chain: &NodeChain, origin: AccountId, suite: &lode_deploy::Suite, config: &SuiteConfig) -> Result<()> {
    let measure = Measure { chain, origin, code: Mutex::new(HashMap::new()), steps: Mutex::new(Vec::new()) };
    suite.deploy(&measure, config).await?;
    let steps = measure.steps.into_inner().unwrap_or_else(PoisonError::into_inner);
    let mut total: u128 = 0;
    println!("{:<28} {:>16} {:>12} {:>24}", "step", "ref_time", "proof (B)", "deposit");
    for step in &steps {
        match &step.cost {
            Ok((weight, deposit)) => {
                total = total.saturating_add(*deposit);
                println!("{:<28} {:>16} {:>12} {:>24}", step.name, weight.ref_time, weight.proof_size, deposit);
            }
            Err(why) => println!("{:<28} not measurable now: {why}", step.name),
        }
    }
    let balance = chain.balance(origin).await?;
    println!("deposits measured: {total}, as {} who holds {balance}; nothing was sent", ss58(&origin));
    Ok(())
}

/// Code a dry run "uploaded", and the deposit storing it would take.
type Measured = (Vec<u8>, u128);

/// One measured step.
struct Step {
    name: String,
    /// Weight and deposit, or why it cannot be measured before the steps
    /// before it have run for real.
    cost: Result<(Weight, u128), String>,
}

/// A deployer that dry-runs every step. Instantiations carry their code
/// (`Code::Upload`), so they can be measured before anything is stored;
/// a constructor or wiring call that needs a contract not yet on chain
/// cannot, and says so.
struct Measure<'a> {
    chain: &'a NodeChain,
    origin: AccountId,
    /// Uploaded code and its deposit, by code hash.
    code: Mutex<HashMap<[u8; 32], Measured>>,
    steps: Mutex<Vec<Step>>,
}

impl Measure<'_> {
    fn record(&self, name: String, cost: Result<(Weight, u128), String>) {
        self.steps.lock().unwrap_or_else(PoisonError::into_inner).push(Step { name, cost });
    }
}

fn charged(deposit: StorageDeposit) -> u128 {
    match deposit {
        StorageDeposit::Charge(c) => c,
        StorageDeposit::Refund(_) => 0,
    }
}

#[async_trait::async_trait]
impl Deployer for Measure<'_> {
    async fn genesis_hash(&self) -> Result<[u8; 32], String> {
        self.chain.genesis_hash().await.map_err(|e| e.to_string())
    }

    async fn upload(&self, contract: &str, wasm: &[u8]) -> Result<[u8; 32], String> {
        let (hash, deposit) = self.chain.dry_run_upload(self.origin, wasm).await.map_err(|e| e.to_string())?;
        self.code.lock().unwrap_or_else(PoisonError::into_inner).insert(hash, (wasm.to_vec(), deposit));
        self.record(format!("upload {contract}"), Ok((Weight::default(), deposit)));
        Ok(hash)
    }

    async fn instantiate(&self, contract: &str, code_hash: [u8; 32], input: Vec<u8>, salt: Vec<u8>) -> Result<AccountId, String> {
        let (wasm, code_deposit) = self.code.lock().unwrap_or_else(PoisonError::into_inner).get(&code_hash).cloned().unwrap_or_default();
        match self.chain.dry_run_deploy(self.origin, &wasm, &input, &salt).await {
            Ok((address, out)) => {
                // The dry run carried the code, so its deposit includes the
                // code's, already counted on the upload line.
                let deposit = charged(out.storage_deposit).saturating_sub(code_deposit);
                self.record(format!("instantiate {contract}"), Ok((out.weight_required, deposit)));
                Ok(address)
            }
            Err(e) => {
                self.record(format!("instantiate {contract}"), Err(format!("its constructor needs contracts deployed before it ({e})")));
                // A stand-in address, so later steps can still be measured.
                Ok(AccountId(blake2_256(contract.as_bytes())))
            }
        }
    }

    async fn call(&self, contract: &str, address: AccountId, input: Vec<u8>) -> Result<Vec<u8>, String> {
        let cost = match self.chain.dry_run(self.origin, address, 0, input).await {
            Ok(out) if !out.reverted => Ok((out.weight_required, charged(out.storage_deposit))),
            Ok(_) => Err("it reverts against today's state".to_owned()),
            Err(_) => Err(format!("{contract} is not deployed yet")),
        };
        self.record(format!("wire {contract}"), cost);
        // `Ok(Ok(()))`, so the plan goes on to its next step.
        Ok(vec![0, 0])
    }
}

fn blake2_256(data: &[u8]) -> [u8; 32] {
    use blake2::digest::consts::U32;
    use blake2::{Blake2b, Digest};
    Blake2b::<U32>::digest(data).into()
}

/// A spinner counting the plan's steps (uploads, instantiations, wiring
/// calls) as they complete.
fn progress() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {pos} steps done, {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The chain deployer, ticking a progress bar.
struct Progress<'a> {
    inner: ChainDeployer<'a>,
    bar: ProgressBar,
}

#[async_trait::async_trait]
impl Deployer for Progress<'_> {
    async fn genesis_hash(&self) -> Result<[u8; 32], String> {
        self.inner.genesis_hash().await
    }

    async fn upload(&self, contract: &str, wasm: &[u8]) -> Result<[u8; 32], String> {
        self.bar.set_message(format!("uploading {contract}"));
        let r = self.inner.upload(contract, wasm).await;
        self.bar.inc(1);
        r
    }

    async fn instantiate(&self, contract: &str, code_hash: [u8; 32], input: Vec<u8>, salt: Vec<u8>) -> Result<AccountId, String> {
        self.bar.set_message(format!("instantiating {contract}"));
        let r = self.inner.instantiate(contract, code_hash, input, salt).await;
        self.bar.inc(1);
        r
    }

    async fn call(&self, contract: &str, address: AccountId, input: Vec<u8>) -> Result<Vec<u8>, String> {
        self.bar.set_message(format!("wiring {contract}"));
        let r = self.inner.call(contract, address, input).await;
        self.bar.inc(1);
        r
    }
}
