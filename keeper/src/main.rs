//! `lode`: the Lode keeper.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use lode_keeper::cmd;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "lode", version, about = "The Lode keeper: mines, watches, settles and alerts on Substrate contract chains")]
struct Cli {
    /// Repository root holding `contracts/` (default: found from the current directory).
    #[arg(long, global = true, env = "LODE_WORKSPACE")]
    workspace: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole suite on the embedded chain: build, deploy, follow blocks.
    Dev(cmd::dev::DevArgs),
    /// List mining devices (`--list`) or measure them against OpenSSL (`--bench`).
    Mine(cmd::mine::MineArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();

    let args = match cli.command {
        Command::Mine(args) => return cmd::mine::run(args),
        Command::Dev(args) => args,
    };
    let workspace = find_workspace(cli.workspace)?;
    // Before any thread exists: see lode_deploy::toolchain.
    lode_deploy::toolchain::pin_for_child_processes(&workspace)?;

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(cmd::dev::run(args, workspace))
}

fn find_workspace(explicit: Option<PathBuf>) -> Result<PathBuf> {
    let start = match explicit {
        Some(dir) => dir,
        None => std::env::current_dir()?,
    };
    Ok(lode_deploy::Workspace::discover(&start)?.root)
}
