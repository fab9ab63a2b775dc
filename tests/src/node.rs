//! A real `substrate-contracts-node` for tests: its own free ports and a
//! temporary base path, stopped on drop.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lode_keeper::chain::node::{NodeChain, NodeConfig, NodeMetrics};

/// A running dev node.
pub struct DevNode {
    child: Option<Child>,
    bin: PathBuf,
    base: tempfile::TempDir,
    /// Its RPC port.
    pub rpc_port: u16,
    p2p_port: u16,
}

/// Where the node binary is: `LODE_NODE_BIN`, then the cache `scripts/setup`
/// unpacks it into, then `PATH`.
pub fn node_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LODE_NODE_BIN") {
        return Some(PathBuf::from(p));
    }
    let cached = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lode/bin/substrate-contracts-node"));
    if let Some(c) = cached.filter(|c| c.exists()) {
        return Some(c);
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join("substrate-contracts-node")).find(|p| p.exists())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl DevNode {
    /// Starts a node, or says loudly why not. Under CI a missing node fails
    /// the test; elsewhere the test is skipped with instructions.
    pub fn start() -> Option<DevNode> {
        let Some(bin) = node_binary() else {
            let how = "run scripts/setup (it unpacks ../shared/bin), set LODE_NODE_BIN, or build it: \
                       cargo install contracts-node --version 0.42.0 --locked (about an hour; ../shared/TOOLCHAIN.md has the recipe)";
            if std::env::var_os("CI").is_some() {
                panic!("substrate-contracts-node not found, and CI needs it: {how}");
            }
            eprintln!("\n!!! SKIPPED: this test needs substrate-contracts-node: {how}\n");
            return None;
        };
        let mut node = DevNode {
            child: None,
            bin,
            base: tempfile::tempdir().expect("a temporary base path"),
            rpc_port: free_port(),
            p2p_port: free_port(),
        };
        node.launch();
        Some(node)
    }

    fn launch(&mut self) {
        let child = Command::new(&self.bin)
            .args(["--dev", "--rpc-port", &self.rpc_port.to_string(), "--port", &self.p2p_port.to_string(), "--no-prometheus"])
            // Every block's state stays readable: tests replay old blocks' events.
            .args(["--state-pruning", "archive"])
            .arg("--base-path")
            .arg(self.base.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.bin.display()));
        self.child = Some(child);
    }

    /// Its WebSocket URL.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.rpc_port)
    }

    /// Connects a node backend, waiting up to a minute for the node to answer.
    pub async fn connect(&self, endpoints: Vec<String>, metrics: NodeMetrics) -> NodeChain {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let config = NodeConfig { endpoints: endpoints.clone(), request_timeout: Duration::from_secs(20) };
            match NodeChain::connect(config, metrics.clone()).await {
                Ok(chain) => return chain,
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!("node not up yet: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("the node did not answer within a minute: {e}"),
            }
        }
    }

    /// Kills the node (SIGKILL: an outage, not a shutdown).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports and base path: the chain continues.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        self.kill();
    }
}
