//! `lode-deploy`: builds the contract suite and shows what was built.
//!
//! Deploying to a chain is `lode deploy` (the keeper owns the chain backends);
//! `lode dev` builds, deploys and runs everything on the embedded chain.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use lode_deploy::{builder, BuildOptions, Builder, Workspace};

#[derive(Parser)]
#[command(name = "lode-deploy", version, about = "Build the Lode contract suite")]
struct Cli {
    /// Repository root (default: found from the current directory).
    #[arg(long, global = true)]
    workspace: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build contracts into .wasm, .json and .contract (unchanged ones are reused).
    Build {
        /// Only these contracts (default: all).
        contracts: Vec<String>,
        /// Rebuild even if the sources are unchanged.
        #[arg(long)]
        force: bool,
    },
    /// List the contracts, their artifacts and code hashes.
    List,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let start = match &cli.workspace {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()?,
    };
    let workspace = Workspace::discover(&start)?;
    lode_deploy::toolchain::pin_for_child_processes(&workspace.root)?;
    let builder = Builder::new(workspace)?;
    match cli.command {
        Command::Build { contracts, force } => {
            let names =
                if contracts.is_empty() { builder.workspace().contracts.iter().map(|c| c.name.clone()).collect() } else { contracts };
            let opts = BuildOptions { force, quiet: false };
            let artifacts = builder.build_many(&names, opts, &mut |e| eprintln!("{}", builder::describe(&e)))?;
            for a in artifacts {
                println!("{:<12} 0x{}  {:>7} bytes  {}", a.name, hex::encode(a.code_hash), a.wasm.len(), a.bundle_path.display());
                println!("{:<12} {}", "", inputs_line(&builder, &a.name));
            }
        }
        Command::List => {
            for c in &builder.workspace().contracts {
                match builder.load_current(&c.name) {
                    Ok(a) => {
                        println!("{:<12} 0x{}  {:>7} bytes  {}", c.name, hex::encode(a.code_hash), a.wasm.len(), a.bundle_path.display());
                        println!("{:<12} {}", "", inputs_line(&builder, &c.name));
                    }
                    Err(e) => println!("{:<12} not built: {e}", c.name),
                }
            }
        }
    }
    Ok(())
}

fn inputs_line(builder: &Builder, name: &str) -> String {
    builder.inputs(name).map_or_else(
        || "no build record (built before records were kept; `build --force` writes one)".into(),
        |i| format!("built with {}", i.describe()),
    )
}
