//! The keeper's mining duty on the embedded chain with the real token WASM and a
//! real OpenCL device (PoCL): LODE is minted to the splitter.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_keeper::health::AlertHook;
use lode_keeper::metrics::Metrics;
use lode_keeper::mining::{MiningConfig, MiningDuty, Submitted};
use lode_keeper::shutdown;
use lode_miner::devices::Inventory;
use lode_miner::{DeviceKind, Work};
use lode_tests::Harness;
use lode_token::{Error as TokenError, MiningState};

fn duty(h: &Harness, metrics: &Arc<Metrics>) -> MiningDuty {
    let inventory = Inventory::scan();
    if let Some(why) = &inventory.opencl_missing {
        panic!("this test mines on a real OpenCL device: {why}");
    }
    let device = inventory.preferred();
    assert_ne!(inventory.devices.iter().find(|d| d.id == device).map(|d| d.kind), Some(DeviceKind::Cpu), "OpenCL is preferred");
    let config = MiningConfig { devices: vec![device], beneficiary: h.address("splitter"), stall_after: Duration::from_secs(30) };
    MiningDuty::start(&config, &h.suite, h.address("token"), h.alice.clone(), Arc::clone(metrics), AlertHook::default())
        .expect("the duty starts")
}

async fn splitter_lode(h: &Harness) -> u128 {
    h.read("token", "PSP22::balance_of", h.address("splitter").0).await.unwrap()
}

#[tokio::test]
async fn the_keeper_mines_lode_to_the_splitter_through_opencl() {
    let h = Harness::new().await;
    let before = splitter_lode(&h).await;
    let metrics = Arc::new(Metrics::default());
    let duty = duty(&h, &metrics);
    let (trigger, stop) = shutdown::channel();
    let deadline = Instant::now() + Duration::from_secs(180);
    let watch = async {
        while metrics.mints.load(Ordering::Relaxed) < 3 {
            assert!(Instant::now() < deadline, "fewer than 3 mints in 180 s: {}", metrics.render());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        trigger.fire();
    };
    let (ran, ()) = tokio::join!(duty.run(&h.chain, stop), watch);
    ran.expect("the duty ran until shutdown");

    let mints = metrics.mints.load(Ordering::Relaxed);
    let state: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    assert_eq!(state.mint_count, mints, "every counted mint is on chain");
    assert!(metrics.minted() >= 3 * h.config.mining.initial_reward / 2, "rewards were counted");
    assert_eq!(splitter_lode(&h).await - before, metrics.minted(), "the splitter received exactly what was minted");
    assert!(metrics.hashes.load(Ordering::Relaxed) > 0);
    assert_eq!(metrics.rejected.load(Ordering::Relaxed), 0, "PoCL gave no wrong answers");
    assert!(metrics.render().contains(&format!("lode_miner_mints_total {mints}\n")));
}

#[tokio::test]
async fn a_solution_for_a_rotated_challenge_is_refused_as_stale() {
    let h = Harness::new().await;
    let metrics = Arc::new(Metrics::default());
    let duty = duty(&h, &metrics);
    let state: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    let work = Work { challenge: state.challenge, beneficiary: h.address("splitter").0, target: state.target, salt: [9; 24] };
    let solution = (0u64..).find_map(|n| work.check(n)).expect("the dev target is easy");
    let before = splitter_lode(&h).await;

    assert_eq!(duty.submit(&h.chain, &solution).await.unwrap(), Submitted::Minted { reward: state.reward });
    assert_eq!(
        duty.submit(&h.chain, &solution).await.unwrap(),
        Submitted::Refused { reason: TokenError::StaleChallenge },
        "the challenge rotated with the first mint"
    );
    assert_eq!(splitter_lode(&h).await - before, state.reward, "paid once");
}
