//! `lode config check`: validates a config without starting anything.
//!
//! No network, no store, no keystore decryption: only the file, the `LODE_`
//! overrides, and whether the files it names exist.

use std::path::PathBuf;

use anyhow::Result;
use lode_miner::DeviceId;

use crate::config::Config;
use crate::keys::PasswordSource;
use crate::watcher::Confirmation;

/// Options of `lode config`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// What to do with the config.
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// `lode config` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file and its `LODE_` overrides, and summarise it.
    Check(CheckArgs),
}

/// Options of `lode config check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// The TOML config file (docs/config.md).
    #[arg(long, value_name = "FILE", default_value = "lode.toml", env = "LODE_CONFIG")]
    pub config: PathBuf,
}

/// Runs `lode config`.
pub fn run(args: ConfigArgs) -> Result<()> {
    match args.command {
        ConfigCommand::Check(args) => check(&args),
    }
}

fn check(args: &CheckArgs) -> Result<()> {
    // The errors are returned as they are: their message is the one line shown.
    let config = Config::load(&args.config)?;
    config.check_files()?;
    println!("{} is valid:", args.config.display());
    for line in summary(&config) {
        println!("  {line}");
    }
    Ok(())
}

/// The config in a few lines, without secrets: store URLs and endpoints show no password.
pub fn summary(config: &Config) -> Vec<String> {
    let endpoints: Vec<String> = config.chain.endpoints.iter().map(ToString::to_string).collect();
    let failover = if endpoints.len() > 1 { " (in failover order)" } else { "" };
    let password = match &config.keeper.password {
        PasswordSource::Prompt => "asked on the terminal".to_owned(),
        PasswordSource::Env(var) => format!("from environment variable {var}"),
        PasswordSource::File(path) => format!("from file {}", path.display()),
    };
    let confirmations = match config.watcher.confirmations {
        Confirmation::Finality => "at finality".to_owned(),
        Confirmation::Depth(0) => "at once (depth 0)".to_owned(),
        Confirmation::Depth(1) => "under 1 block".to_owned(),
        Confirmation::Depth(n) => format!("under {n} blocks"),
    };
    let http = match config.http.listen {
        Some(addr) => format!("serving /metrics, /health and /status on {addr}"),
        None => "off".to_owned(),
    };
    let mining = if config.mining.enabled {
        let devices = if config.mining.devices.is_empty() {
            "the preferred device".to_owned()
        } else {
            config.mining.devices.iter().map(DeviceId::to_string).collect::<Vec<_>>().join(", ")
        };
        format!("on {devices}, stall alert after {} s", config.mining.stall_after.as_secs())
    } else {
        "off".to_owned()
    };
    let schedule = if config.schedule.is_empty() {
        "no jobs".to_owned()
    } else {
        config.schedule.iter().map(|(name, cron)| format!("{name} \"{cron}\"")).collect::<Vec<_>>().join(", ")
    };
    vec![
        format!("chain:         {}{failover}, request timeout {} s", endpoints.join(", "), config.chain.request_timeout.as_secs()),
        format!("deployment:    {}", config.deployment.manifest.display()),
        format!("keeper key:    {}, password {password}", config.keeper.keystore.display()),
        format!("store:         {}", config.store.location),
        format!("confirmations: {confirmations}"),
        format!("http:          {http}"),
        format!("mining:        {mining}"),
        format!("log:           {}, filter \"{}\"", config.log.format, config.log.filter),
        format!("schedule:      {schedule}"),
    ]
}
