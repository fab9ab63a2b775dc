//! Settlement figures on a real dev node, measured through `lode run`:
//! payees settled per block at the splitter's maximum batch and per second,
//! and the time from new funds to the settlement sent (the keeper's own
//! `lode_settle_funds_to_settle_seconds`). Needs the dev node (scripts/setup);
//! run with `cargo bench -p lode-keeper --bench settle`.

#[path = "../tests/support/deployed.rs"]
#[allow(dead_code)]
mod deployed;
#[path = "../../tests/src/node.rs"]
#[allow(dead_code)]
mod dev_node;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lode_keeper::chain::{AccountId, BlockSource};
use lode_keeper::cmd::run::Setup;
use lode_keeper::contracts::SplitterEvent;
use lode_keeper::keys::Signer;
use lode_splitter::Asset;

const PAYEES: usize = 200;
const ROUNDS: usize = 5;

fn payee(i: usize) -> AccountId {
    let mut a = [0u8; 32];
    a[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    a[31] = 0xbe;
    AccountId(a)
}

struct Keeper(Child);

impl Drop for Keeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sum and count of a histogram in the keeper's /metrics.
async fn histogram(port: u16, name: &str) -> (f64, f64) {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap();
    let value = |suffix: &str| {
        text.lines().find_map(|l| l.strip_prefix(&format!("{name}_{suffix} "))).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0)
    };
    (value("sum"), value("count"))
}

#[tokio::main]
async fn main() {
    let Some(node) = dev_node::DevNode::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let payees: String = (0..PAYEES).map(|i| format!("0x{},1\n", hex::encode(payee(i).0))).collect();
    std::fs::write(dir.path().join("payees.csv"), payees).unwrap();
    let _probe = node.connect(vec![node.url()], Default::default()).await;
    deployed::deploy_dev(dir.path(), &node.url(), &["keeper"], Some(dir.path().join("payees.csv"))).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = format!(
        "[chain]\nendpoints = [\"{}\"]\n[keeper]\nkeystore = \"keys/keeper.json\"\npassword = {{ file = \"password\" }}\n\
         [store]\nurl = \"keeper.db\"\n[mining]\nenabled = false\n[http]\nlisten = \"127.0.0.1:{port}\"\n\
         [settle]\ninterval_secs = 3600\n[alerts]\non_chain = false\n",
        node.url()
    );
    std::fs::write(dir.path().join("lode.toml"), config).unwrap();
    let setup = Setup::open(&dir.path().join("lode.toml")).await.unwrap();
    let (chain, contracts) = (setup.chain.clone(), setup.contracts.clone());
    // The bond activates after 10 blocks; a dev node seals one per extrinsic.
    for i in 0..11u8 {
        chain.fund_from_alice(AccountId([i.wrapping_add(200); 32]), 1_000_000_000_000).await.unwrap();
    }
    let _keeper = Keeper(
        Command::new(env!("CARGO_BIN_EXE_lode"))
            .args(["run", "--config"])
            .arg(dir.path().join("lode.toml"))
            .stdout(Stdio::from(std::fs::File::create("/tmp/settle-bench-keeper.log").unwrap()))
            .stderr(Stdio::from(std::fs::File::create("/tmp/settle-bench-keeper.err").unwrap()))
            .spawn()
            .unwrap(),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;

    let treasury = Signer::dev("treasury");
    let mut per_second = Vec::new();
    let mut first_block = None;
    let mut per_block = Vec::new();
    for round in 0..ROUNDS {
        let started = Instant::now();
        let sent: Result<(), lode_token::PSP22Error> = contracts
            .token
            .0
            .send(&treasury, "PSP22::transfer", (contracts.splitter.address().0, 1_000 * lode_primitives::LODE, Vec::<u8>::new()))
            .await
            .unwrap();
        sent.unwrap();
        let deposit_block = chain.head().await.unwrap().number;
        loop {
            // Cheap checks first: the bench's own reads must not crowd out the keeper's.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let undistributed = contracts.splitter.undistributed(Asset::Lode).await.unwrap().unwrap_or(1);
            if undistributed == 0 && contracts.splitter.book(Asset::Lode).await.unwrap().owed == 0 {
                break;
            }
            if started.elapsed() > Duration::from_secs(120) {
                for b in setup.store.ledger_batches(true).await.unwrap() {
                    eprintln!(
                        "open batch 0x{}: {:?}, {} payees, attempts {}, tx {:?}, block {:?}, lease {:?}, settled on chain: {}",
                        hex::encode(&b.id[..4]),
                        b.state,
                        b.payees.len(),
                        b.attempts,
                        b.submission.map(|s| (hex::encode(&s.tx.hash[..4]), s.tx.nonce, s.sent_at_block)),
                        b.block.map(|b| b.number),
                        b.lease,
                        contracts.splitter.batch_settled(b.submission.map_or(AccountId([0; 32]), |s| s.tx.signer), b.id).await.unwrap(),
                    );
                }
                panic!("round {round} did not settle");
            }
        }
        let took = started.elapsed();
        per_second.push(PAYEES as f64 / took.as_secs_f64());
        println!("round {round}: {PAYEES} payees settled {:.2} s after the deposit was in a block", took.as_secs_f64());
        first_block.get_or_insert(deposit_block);
    }
    // Every batch the keeper settled, from the blocks themselves.
    let head = chain.head().await.unwrap().number;
    for n in first_block.unwrap_or(head)..=head {
        let block = chain.block(chain.block_hash(n).await.unwrap().unwrap()).await.unwrap().unwrap();
        let settled: Vec<u32> = block
            .events
            .iter()
            .filter_map(|e| match contracts.splitter.event(e) {
                Some(SplitterEvent::Settled { paid, .. }) => Some(paid),
                _ => None,
            })
            .collect();
        if !settled.is_empty() {
            per_block.push(settled.iter().sum::<u32>());
        }
    }
    let (sum, count) = histogram(port, "lode_settle_funds_to_settle_seconds").await;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "settle bench on the dev node ({ROUNDS} rounds, {PAYEES} payees, max batch {}):",
        contracts.splitter.max_batch_len().await.unwrap()
    );
    println!("  payees settled per block that held a settlement: {per_block:?}");
    println!("  payees settled per second, deposit to last payee paid: mean {:.1} (rounds {per_second:.1?})", mean(&per_second));
    println!("  new funds seen -> settlement sent (keeper's histogram): mean {:.0} ms over {count} sends", 1000.0 * sum / count.max(1.0));
}
