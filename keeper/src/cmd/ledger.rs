//! `lode ledger reconcile --config FILE`: the settlement ledger against the
//! chain, by hand. Exits non-zero on any mismatch.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::run::Setup;
use crate::duties::settle::reconcile::reconcile;

/// Options of `lode ledger`.
#[derive(Debug, Clone, clap::Args)]
pub struct LedgerArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: LedgerAction,
}

/// `lode ledger` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum LedgerAction {
    /// Compare the ledger with the chain and print a report.
    Reconcile {
        /// The config file (see docs/config.md).
        #[arg(long, env = "LODE_CONFIG")]
        config: PathBuf,
    },
}

/// Runs `lode ledger`.
pub async fn run(args: LedgerArgs) -> Result<()> {
    match args.action {
        LedgerAction::Reconcile { config } => {
            let setup = Setup::open(&config).await?;
            let report = reconcile(&setup.store, &setup.contracts, &*setup.chain).await?;
            println!("{report}");
            if !report.mismatches.is_empty() {
                bail!("{} mismatch(es) between the ledger and the chain", report.mismatches.len());
            }
            Ok(())
        }
    }
}
