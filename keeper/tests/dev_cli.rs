//! `lode dev`, the whole loop, as a user runs it: the binary mines on the
//! embedded chain, settles to the payees, raises an on-chain alert for the
//! tour's anomaly and takes a DAO upgrade through governance; `/status`
//! shows the tour's step; SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[test]
fn lode_dev_shows_mining_settlement_an_alert_and_a_dao_upgrade() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lode"))
        .args(["dev", "--block-time-ms", "300", "--metrics", &format!("127.0.0.1:{port}")])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lode dev starts");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while !seen.iter().any(|l: &String| l.contains("the tour is done")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("the tour did not finish in 300 s; output:\n{}", seen.join("\n"));
            }
        }
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status: serde_json::Value =
        runtime.block_on(async { reqwest::get(format!("http://127.0.0.1:{port}/status")).await.unwrap().json().await.unwrap() });
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(child.wait().unwrap().success(), "a clean stop on SIGTERM");

    let text = seen.join("\n");
    for step in [
        "mining on",
        "bonded",
        "dev tour: settled batch",
        "dev tour: anomaly: the treasury moved",
        "dev tour: the alert engine raised alert #",
        "governance: bob proposed",
        "voted for",
        "queued; the timelock opens",
        "executed: the alerts contract runs code",
    ] {
        assert!(text.contains(step), "no {step:?} in:\n{text}");
    }
    let progress = status["progress"]["demo"].as_str().unwrap_or_default();
    assert!(progress.contains("the tour is done"), "/status shows the tour's step: {status}");
}
