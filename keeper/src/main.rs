//! `lode`: the Lode keeper.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use lode_keeper::cmd;
use lode_keeper::config::LogFormat;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "lode", version, about = "The Lode keeper: mines, watches, settles and alerts on Substrate contract chains")]
struct Cli {
    /// Repository root holding `contracts/` (default: found from the current directory).
    #[arg(long, global = true, env = "LODE_WORKSPACE")]
    workspace: Option<PathBuf>,
    /// Log lines for people (`text`) or one JSON object per line for collectors (`json`), on stderr.
    /// Default: the config's `[log] format` for `run` and `status`, else `text`.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole suite on the embedded chain: build, deploy, follow blocks.
    Dev(cmd::dev::DevArgs),
    /// List mining devices (`--list`) or measure them against OpenSSL (`--bench`).
    Mine(cmd::mine::MineArgs),
    /// Check a config file (`lode config check --config lode.toml`).
    Config(cmd::config::ConfigArgs),
    /// Create, import, list and inspect keystores.
    Keys(cmd::keys::KeysArgs),
    /// Deploy the suite to a node and write a deployment manifest.
    Deploy(cmd::deploy::DeployArgs),
    /// Run the keeper's duties against a node (`lode run --config lode.toml`).
    Run(cmd::run::RunArgs),
    /// Print the chain's and this keeper's state.
    Status(cmd::status::StatusArgs),
    /// The settlement ledger: `lode ledger reconcile --config lode.toml`.
    Ledger(cmd::ledger::LedgerArgs),
    /// The audit log: `lode audit verify|export --config lode.toml`.
    Audit(cmd::audit::AuditArgs),
    /// Pay a list of `account,amount,asset[,reference]` rows, with a receipt:
    /// `lode payout list.csv --config lode.toml`.
    Payout(cmd::payout::PayoutArgs),
    /// Rebuild contracts and compare their code hashes with a given one, a
    /// manifest's, and the live contracts'.
    Verify(cmd::verify::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `run` and `status` take [log] from their config; a bad config is
    // reported by the command itself, after logging is up.
    let from_config = match &cli.command {
        Command::Run(a) => lode_keeper::config::Config::load(&a.config).ok().map(|c| c.log),
        Command::Status(a) => lode_keeper::config::Config::load(&a.config).ok().map(|c| c.log),
        Command::Payout(a) => lode_keeper::config::Config::load(&a.config).ok().map(|c| c.log),
        _ => None,
    };
    let format = cli.log_format.or(from_config.as_ref().map(|l| l.format)).unwrap_or(LogFormat::Text);
    init_logging(format, from_config.map(|l| l.filter.to_env_filter()));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, joined by `: `.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `RUST_LOG` wins over the config's filter, which wins over `info`.
fn init_logging(format: LogFormat, configured: Option<EnvFilter>) {
    let filter = EnvFilter::try_from_default_env().ok().or(configured).unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: Cli) -> Result<()> {
    enum NeedsWorkspace {
        Dev(cmd::dev::DevArgs),
        Deploy(cmd::deploy::DeployArgs),
        Verify(cmd::verify::VerifyArgs),
    }
    let command = match cli.command {
        Command::Mine(args) => return cmd::mine::run(args),
        Command::Config(args) => return cmd::config::run(args),
        Command::Keys(args) => return cmd::keys::run(args),
        Command::Run(args) => return tokio_main(cmd::run::run(args)),
        Command::Status(args) => return tokio_main(cmd::status::run(args)),
        Command::Ledger(args) => return tokio_main(cmd::ledger::run(args)),
        Command::Audit(args) => return tokio_main(cmd::audit::run(args)),
        Command::Payout(args) => return tokio_main(cmd::payout::run(args)),
        Command::Dev(args) => NeedsWorkspace::Dev(args),
        Command::Deploy(args) => NeedsWorkspace::Deploy(args),
        Command::Verify(args) => NeedsWorkspace::Verify(args),
    };
    let workspace = find_workspace(cli.workspace)?;
    // Before any thread exists: see lode_deploy::toolchain.
    lode_deploy::toolchain::pin_for_child_processes(&workspace)?;

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match command {
            NeedsWorkspace::Dev(args) => cmd::dev::run(args, workspace).await,
            NeedsWorkspace::Deploy(args) => cmd::deploy::run(args, workspace).await,
            NeedsWorkspace::Verify(args) => cmd::verify::run(args, workspace).await,
        }
    })
}

fn tokio_main(f: impl std::future::Future<Output = Result<()>>) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(f)
}

fn find_workspace(explicit: Option<PathBuf>) -> Result<PathBuf> {
    let start = match explicit {
        Some(dir) => dir,
        None => std::env::current_dir()?,
    };
    Ok(lode_deploy::Workspace::discover(&start)?.root)
}
