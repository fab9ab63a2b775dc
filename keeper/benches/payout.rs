//! Payout figures on a real dev node, measured through `lode payout` from a
//! treasury keystore: rows paid per second and per block (per extrinsic,
//! as the dev node seals one block per extrinsic), for LODE and the native
//! currency, and the process's peak memory. Needs the dev node
//! (scripts/setup); run with `cargo bench -p lode-keeper --bench payout`.

#[path = "../tests/support/deployed.rs"]
#[allow(dead_code)]
mod deployed;
#[path = "../../tests/src/node.rs"]
#[allow(dead_code)]
mod dev_node;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lode_keeper::chain::AccountId;
use lode_keeper::cmd::run::Setup;
use lode_keeper::keys::{ss58, Signer};
use lode_primitives::LODE;

const SIZES: [u32; 3] = [100, 1_000, 5_000];

fn payee(run: u32, i: u32) -> AccountId {
    let mut a = [0xb7u8; 32];
    a[..4].copy_from_slice(&run.to_be_bytes());
    a[4..8].copy_from_slice(&i.to_be_bytes());
    AccountId(a)
}

/// Peak resident memory (VmHWM) of a running process, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Pays `rows` rows of `asset` with `lode payout`; prints the figures.
fn measure(dir: &Path, run: u32, rows: u32, asset: &str) {
    let amount = if asset == "LODE" { "1.5" } else { "0.1" };
    let list: String = (0..rows).map(|i| format!("{},{amount},{asset}\n", ss58(&payee(run, i)))).collect();
    let name = format!("bench-{run}.csv");
    std::fs::write(dir.join(&name), list).unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lode"))
        .current_dir(dir)
        .args(["payout", &name, "--config", "lode.toml", "--from", "keys/treasury.json", "--password-file", "password"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_kib(child.id()).unwrap_or(0));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    assert!(status.success(), "lode payout failed: see {}", dir.display());
    let receipt = std::fs::read_to_string(dir.join(format!("bench-{run}.receipt.csv"))).unwrap();
    let rows_paid = receipt.lines().skip(1).filter(|l| l.contains(",paid,")).count();
    assert_eq!(rows_paid, rows as usize, "every row paid");
    let blocks: HashSet<&str> = receipt.lines().skip(1).filter_map(|l| l.split(',').nth(6)).collect();
    println!(
        "payout of {rows} {asset} rows: {:.2} s in all ({:.0} rows/s, process start and finality included), \
         {} blocks ({:.0} rows per block), peak memory {} MiB",
        took.as_secs_f64(),
        f64::from(rows) / took.as_secs_f64(),
        blocks.len(),
        f64::from(rows) / blocks.len() as f64,
        peak / 1024
    );
}

#[tokio::main]
async fn main() {
    let Some(node) = dev_node::DevNode::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _probe = node.connect(vec![node.url()], Default::default()).await;
    deployed::deploy_dev(d, &node.url(), &["keeper"], None).await;
    let config = format!(
        "[chain]\nendpoints = [\"{}\"]\n[keeper]\nkeystore = \"keys/keeper.json\"\npassword = {{ file = \"password\" }}\n\
         [store]\nurl = \"keeper.db\"\n",
        node.url()
    );
    std::fs::write(d.join("lode.toml"), config).unwrap();
    // The dev treasury holds the genesis LODE; it pays, from a keystore.
    deployed::import_dev_treasury(d);
    let setup = Setup::open(&d.join("lode.toml")).await.unwrap();
    setup.chain.fund_from_alice(Signer::dev("treasury").account_id(), 10_000 * LODE).await.unwrap();
    let mut run = 0;
    for rows in SIZES {
        for asset in ["LODE", "native"] {
            run += 1;
            measure(d, run, rows, asset);
        }
    }
}
