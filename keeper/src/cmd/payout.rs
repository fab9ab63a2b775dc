//! `lode payout FILE.csv --config lode.toml`: pays a list from the keeper's
//! account or a treasury keystore, writes a receipt with one row per input
//! row, and checks what it says against the chain. Running it again pays
//! only what is not yet paid.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use super::keys::PasswordArgs;
use super::run::Setup;
use crate::audit::{self, Action, AuditHook};
use crate::keys::{secret_bytes, ss58, Keystore, Signer};
use crate::payout::file::{self, format_amount};
use crate::payout::receipt::{self, Reconciliation, Totals};
use crate::payout::{pay, Payer, PayoutRequest, ATTEMPTS};
use crate::store::PayoutState;

/// Options of `lode payout`.
#[derive(Debug, Clone, clap::Args)]
pub struct PayoutArgs {
    /// The list: one `account,amount,asset[,reference]` row per line, amounts
    /// in whole units (`12.5`), asset `LODE` or `native`; an optional header
    /// row and `#` comments.
    pub file: PathBuf,
    /// The config file (see docs/config.md).
    #[arg(long, env = "LODE_CONFIG")]
    pub config: PathBuf,
    /// The payout's id. Running an id again resumes it and pays no row twice.
    /// Without one, the id comes from the list's contents.
    #[arg(long)]
    pub id: Option<String>,
    /// Where to write the receipt (default: beside FILE, `<name>.receipt.csv`).
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
    /// Pay from this keystore (a treasury) instead of the keeper's key.
    #[arg(long, value_name = "KEYSTORE")]
    pub from: Option<PathBuf>,
    /// The --from keystore's password.
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Check the list and say what it would pay; send nothing.
    #[arg(long)]
    pub check: bool,
    /// Rounds of sending: rows whose extrinsic was lost go out again next round.
    #[arg(long, default_value_t = ATTEMPTS)]
    pub attempts: u32,
}

/// Runs `lode payout`.
pub async fn run(args: PayoutArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading the payout list {}", args.file.display()))?;
    let setup = Setup::open(&args.config).await?;
    let signer = match &args.from {
        Some(path) => {
            let password = args.password.source().resolve()?;
            let key = Keystore::open(path, &password)?;
            Signer::from_secret(path.display().to_string(), &secret_bytes(&key))?
        }
        None => setup.signer.clone(),
    };
    let rows = file::parse(&bytes, signer.account_id()).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let request = PayoutRequest::new(args.id.clone(), rows)?;
    if args.check {
        let sum = |asset| request.rows.iter().filter(|r| r.asset == asset).fold(0u128, |s, r| s.saturating_add(r.amount));
        println!(
            "payout {}: {} rows, {} LODE and {} native from {}; nothing sent (--check)",
            request.id,
            request.rows.len(),
            format_amount(sum(lode_splitter::Asset::Lode)),
            format_amount(sum(lode_splitter::Asset::Native)),
            ss58(&signer.account_id())
        );
        return Ok(());
    }
    let (hook, queue) = AuditHook::channel();
    if args.from.is_some() {
        hook.record(Action::KeyUse, serde_json::json!({ "key": signer.label(), "account": ss58(&signer.account_id()), "for": "payout" }));
    }
    let payer = Payer { chain: setup.chain.clone(), token: setup.contracts.token.clone(), signer };
    println!("payout {}: {} rows from {}", request.id, request.rows.len(), ss58(&payer.signer.account_id()));
    let outcome = pay(&payer, &setup.store, &hook, &request, args.attempts).await;
    // What was paid is logged even when the run stopped early.
    if let Err(e) = audit::write_queued(&setup.store, setup.signer.account_id(), queue).await {
        eprintln!("warning: the audit log was not written ({e}); `lode audit verify` will not show this payout");
    }
    let report = outcome?;
    let receipt_path = args.receipt.clone().unwrap_or_else(|| default_receipt(&args.file));
    let out = std::fs::File::create(&receipt_path).with_context(|| format!("writing the receipt {}", receipt_path.display()))?;
    receipt::write_csv(&report.rows, out).with_context(|| format!("writing the receipt {}", receipt_path.display()))?;
    println!("{}", Reconciliation(&report));
    println!("receipt: {}", receipt_path.display());
    for m in &report.mismatches {
        eprintln!("mismatch: {m}");
    }
    let totals = Totals::of(&report.rows);
    if !report.mismatches.is_empty() {
        bail!("{} mismatch(es) between the store and the chain", report.mismatches.len());
    }
    if totals.paid < totals.rows {
        let sent = report.rows.iter().filter(|r| r.state == PayoutState::Sent).count();
        bail!(
            "{} of {} rows are not paid ({} failed, {} still in flight); the receipt says why. Run the same command again to retry them: paid rows are never paid twice",
            totals.rows.saturating_sub(totals.paid),
            totals.rows,
            totals.failed,
            sent
        );
    }
    Ok(())
}

/// `list.csv` → `list.receipt.csv`, beside it.
fn default_receipt(file: &Path) -> PathBuf {
    let stem = file.file_stem().map_or_else(|| "payout".into(), |s| s.to_string_lossy().into_owned());
    file.with_file_name(format!("{stem}.receipt.csv"))
}
