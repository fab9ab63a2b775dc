//! `lode mine`: list the mining devices, or benchmark them against OpenSSL.
//!
//! Mining itself runs inside `lode dev` (and `lode run` against a node), which
//! pick devices with the same `--device` option.

use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use lode_miner::devices::{self, Inventory};
use lode_miner::measure::{format_rate, measure, Measurement};
use lode_miner::DeviceId;

/// Options of `lode mine`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["list", "bench"])))]
pub struct MineArgs {
    /// List OpenCL platforms and devices, and the CPU backend.
    #[arg(long)]
    pub list: bool,
    /// Measure hashes per second on each device, next to OpenSSL's SHA3-256.
    #[arg(long)]
    pub bench: bool,
    /// Seconds to measure each device (and OpenSSL) for.
    #[arg(long, default_value_t = 5, requires = "bench", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub seconds: u64,
    /// Benchmark only these devices (`cpu`, `ocl:<platform>:<device>`; repeatable).
    #[arg(long = "device")]
    pub devices: Vec<DeviceId>,
}

/// Runs `lode mine`.
pub fn run(args: MineArgs) -> Result<()> {
    let inventory = Inventory::scan();
    if args.list {
        print_list(&inventory);
        return Ok(());
    }
    if let Some(why) = &inventory.opencl_missing {
        eprintln!("note: {why}");
    }
    let ids: Vec<DeviceId> = if args.devices.is_empty() { inventory.devices.iter().map(|d| d.id).collect() } else { args.devices.clone() };
    let span = Duration::from_secs(args.seconds);
    let mut results = Vec::new();
    for id in ids {
        let backend = devices::open(id).with_context(|| format!("opening {id}"))?;
        println!("measuring {} for {} s…", backend.info(), args.seconds);
        let m = measure(backend, span).with_context(|| format!("measuring {id}"))?;
        println!("  {}", describe(&m));
        results.push(m);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("measuring OpenSSL: openssl speed -seconds {} -bytes 96 -evp sha3-256 -multi {cores}…", args.seconds);
    match openssl_rate(args.seconds, cores) {
        Ok(reference) => {
            println!("  openssl sha3-256 (96-byte messages, one permutation each): {}", format_rate(reference));
            for m in &results {
                println!(
                    "{:<10} {:>12}  = {:.2}× OpenSSL on {cores} cores",
                    m.device.id.to_string(),
                    format_rate(m.rate),
                    m.rate / reference
                );
            }
        }
        Err(e) => println!("  no OpenSSL comparison: {e:#}"),
    }
    Ok(())
}

fn print_list(inventory: &Inventory) {
    match &inventory.opencl_missing {
        Some(why) => println!("OpenCL: {why}"),
        None => println!("OpenCL platforms and devices, then the Rust CPU backend:"),
    }
    let preferred = inventory.preferred();
    for d in &inventory.devices {
        let mark = if d.id == preferred { "  <- default" } else { "" };
        println!("  {d}{mark}");
    }
}

fn describe(m: &Measurement) -> String {
    format!("{} (batch {}, {} launches measured)", format_rate(m.rate), m.batch, m.launches)
}

/// Hashes per second of `openssl speed` on 96-byte SHA3-256 messages.
fn openssl_rate(seconds: u64, cores: usize) -> Result<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "-bytes", "96", "-evp", "sha3-256", "-multi", &cores.to_string()])
        .output()
        .context("running `openssl` (Debian package `openssl`)")?;
    if !out.status.success() {
        bail!("openssl speed failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    parse_openssl_speed(&String::from_utf8_lossy(&out.stdout))
}

/// Reads the `sha3-256  374135.90k` result line: thousands of bytes per second
/// over 96-byte messages.
pub fn parse_openssl_speed(output: &str) -> Result<f64> {
    let line = output
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("sha3-256") && l.trim_end().ends_with('k'))
        .context("openssl printed no sha3-256 result line")?;
    let value = line.split_whitespace().last().and_then(|v| v.strip_suffix('k')).context("no rate on the sha3-256 line")?;
    let kilobytes: f64 = value.parse().with_context(|| format!("`{value}` is not a number"))?;
    Ok(kilobytes * 1000.0 / 96.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_multi_output_parses_to_hashes_per_second() {
        let out = "Forked child 0\nForked child 1\nGot: +H:96 from 0\nGot: +F:7:sha3-256:187067.95 from 0\n\
                   version: 3.0.19\nbuilt on: ...\ntype             96 bytes\nsha3-256        374135.90k\n";
        let r = parse_openssl_speed(out).unwrap();
        assert!((r - 3_897_249.0).abs() < 1.0, "{r}");
        assert!(parse_openssl_speed("sha3-256 failed\n").is_err());
        assert!(parse_openssl_speed("sha3-256        abck\n").unwrap_err().to_string().contains("not a number"));
    }
}
