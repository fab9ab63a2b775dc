//! The keeper's mining duty on the embedded chain with the real token WASM and a
//! real OpenCL device (PoCL): LODE is minted to the splitter.

use std::time::{Duration, Instant};

use lode_keeper::duties::mining::{self, MiningConfig, MiningDuty, MiningMetrics, Submitted};
use lode_keeper::runtime::Duty;
use lode_miner::devices::Inventory;
use lode_miner::{DeviceKind, Work};
use lode_tests::Harness;
use lode_token::{Error as TokenError, MiningState};

fn duty(h: &Harness, metrics: &MiningMetrics) -> MiningDuty {
    let inventory = Inventory::scan();
    if let Some(why) = &inventory.opencl_missing {
        panic!("this test mines on a real OpenCL device: {why}");
    }
    let device = inventory.preferred();
    assert_ne!(inventory.devices.iter().find(|d| d.id == device).map(|d| d.kind), Some(DeviceKind::Cpu), "OpenCL is preferred");
    let config = MiningConfig { devices: vec![device], beneficiary: h.address("splitter"), stall_after: Duration::from_secs(30) };
    MiningDuty::start(&config, h.alice.account_id(), metrics.clone()).expect("the duty starts")
}

async fn splitter_lode(h: &Harness) -> u128 {
    h.read("token", "PSP22::balance_of", h.address("splitter").0).await.unwrap()
}

#[tokio::test]
async fn the_keeper_mines_lode_to_the_splitter_through_opencl() {
    let h = Harness::new().await;
    let before = splitter_lode(&h).await;
    let mut registry = prometheus_client::registry::Registry::with_prefix("lode");
    let metrics = MiningMetrics::register(&mut registry);
    let mut duty = duty(&h, &metrics);
    let (ctx, mut shutdown, _drain) = h.context(&h.alice);
    let deadline = Instant::now() + Duration::from_secs(180);
    let watch = async {
        while metrics.mints.get() < 3 {
            assert!(Instant::now() < deadline, "fewer than 3 mints in 180 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ctx.stopper.fire();
    };
    let (ran, ()) = tokio::join!(duty.run(&ctx, &mut shutdown), watch);
    ran.expect("the duty ran until shutdown");

    let mints = metrics.mints.get();
    let state: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    assert_eq!(state.mint_count, mints, "every counted mint is on chain");
    assert!(metrics.minted() >= 3 * h.config.mining.initial_reward / 2, "rewards were counted");
    assert_eq!(splitter_lode(&h).await - before, metrics.minted(), "the splitter received exactly what was minted");
    assert!(metrics.hashes.get() > 0);
    assert_eq!(metrics.rejected.get(), 0, "PoCL gave no wrong answers");
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert!(text.contains(&format!("lode_miner_mints_total {mints}\n")), "{text}");
}

#[tokio::test]
async fn a_solution_for_a_rotated_challenge_is_refused_as_stale() {
    let h = Harness::new().await;
    let state: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    let work = Work { challenge: state.challenge, beneficiary: h.address("splitter").0, target: state.target, salt: [9; 24] };
    let solution = (0u64..).find_map(|n| work.check(n)).expect("the dev target is easy");
    let before = splitter_lode(&h).await;
    let token = &h.contracts.token;

    assert_eq!(mining::submit(token, &h.alice, &solution).await.unwrap(), Submitted::Minted { reward: state.reward });
    assert_eq!(
        mining::submit(token, &h.alice, &solution).await.unwrap(),
        Submitted::Refused { reason: TokenError::StaleChallenge },
        "the challenge rotated with the first mint"
    );
    assert_eq!(splitter_lode(&h).await - before, state.reward, "paid once");
}
