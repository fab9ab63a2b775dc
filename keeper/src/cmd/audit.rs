//! `lode audit verify|export`: check this keeper's audit log against itself
//! and its on-chain anchor, or write it out for an auditor, who can re-check
//! the file alone (`lode audit verify --export FILE`, or any BLAKE2b
//! implementation: the layout is in docs/keeper.md).

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::run::Setup;
use crate::audit::{self, hashchain};
use crate::keys::ss58;

/// Options of `lode audit`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: AuditAction,
}

/// `lode audit` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AuditAction {
    /// Check the whole log and its on-chain anchor; names the first bad entry.
    Verify {
        /// The config file (see docs/config.md).
        #[arg(long, env = "LODE_CONFIG", required_unless_present = "export")]
        config: Option<PathBuf>,
        /// Check an exported file instead, offline.
        #[arg(long, conflicts_with = "config")]
        export: Option<PathBuf>,
    },
    /// Write the log, verified, as JSON an auditor can re-check.
    Export {
        /// The config file (see docs/config.md).
        #[arg(long, env = "LODE_CONFIG")]
        config: PathBuf,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `lode audit`.
pub async fn run(args: AuditArgs) -> Result<()> {
    match args.action {
        AuditAction::Verify { export: Some(path), .. } => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let export: hashchain::Export =
                serde_json::from_str(&text).with_context(|| format!("{} is not an audit export", path.display()))?;
            let head = hashchain::verify_export(&export)?;
            println!("{}: {} entries, head 0x{}: intact", path.display(), head.seq, hex::encode(head.hash));
            Ok(())
        }
        AuditAction::Verify { config, .. } => {
            let config = config.context("give --config or --export")?;
            let setup = Setup::open(&config).await?;
            let me = setup.signer.account_id();
            let verified = audit::verify(&setup.store, &setup.contracts, me).await?;
            println!("audit log of {}: {} entries, head 0x{}: intact", ss58(&me), verified.head.seq, hex::encode(verified.head.hash));
            match verified.anchor {
                Some(a) => println!("anchored on chain through entry {} (block #{}): matches", a.to_seq, a.block),
                None => println!("not anchored on chain yet (the `anchor` job does it)"),
            }
            Ok(())
        }
        AuditAction::Export { config, out } => {
            let setup = Setup::open(&config).await?;
            let me = ss58(&setup.signer.account_id());
            let export = hashchain::export(setup.store.audit_rows(&me).await?)?;
            let text = serde_json::to_string_pretty(&export)?;
            std::fs::write(&out, text + "\n").with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} entries of {me}'s audit log to {}", export.rows.len(), out.display());
            Ok(())
        }
    }
}
