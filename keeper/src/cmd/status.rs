//! `lode status --config FILE`: the chain and the keeper's state, for a person.

use std::path::PathBuf;

use anyhow::Result;

use super::run::Setup;
use crate::chain::{BlockSource, Chain};
use crate::keys::ss58;

/// Options of `lode status`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// The config file (see docs/config.md).
    #[arg(long, env = "LODE_CONFIG")]
    pub config: PathBuf,
}

/// Prints where the chain and this keeper stand.
pub async fn run(args: StatusArgs) -> Result<()> {
    let setup = Setup::open(&args.config).await?;
    let chain = &setup.chain;
    let (head, finalized) = (chain.head().await?, chain.finalized().await?);
    println!("chain     0x{} via {}", hex::encode(setup.genesis), chain.endpoint().await.unwrap_or_default());
    println!(
        "head      #{} 0x{}…  finalized #{} ({} behind)",
        head.number,
        hex::encode(&head.hash[..4]),
        finalized.number,
        head.number.saturating_sub(finalized.number)
    );
    let keeper = setup.signer.account_id();
    println!("keeper    {}  balance {}", ss58(&keeper), chain.balance(keeper).await?);
    println!("bonded    {}", if setup.contracts.staking.is_keeper(keeper).await? { "yes (may settle and raise alerts)" } else { "no" });
    match setup.store.cursor("watcher").await? {
        Some(c) => println!(
            "watcher   confirmed up to #{} ({} blocks behind the head)",
            c.confirmed.number,
            head.number.saturating_sub(c.confirmed.number)
        ),
        None => println!("watcher   no cursor yet (the keeper has not run against this store)"),
    }
    for c in setup.contracts.all() {
        println!("{:<9} {}", c.contract().name(), ss58(&c.address()));
    }
    Ok(())
}
