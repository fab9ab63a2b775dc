//! The keeper's Prometheus metrics and the `/metrics` endpoint that serves them.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::shutdown::Shutdown;

/// Every metric the keeper exports. Fields, not a name-keyed map, so a typo is
/// a compile error.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Hashes per second over the last few seconds, all devices.
    pub hashrate: AtomicU64,
    /// Tries since start, all devices.
    pub hashes: AtomicU64,
    /// Solutions found and confirmed by the host check.
    pub solutions: AtomicU64,
    /// Answers from a device that the host check refused.
    pub rejected: AtomicU64,
    /// Solutions the token accepted.
    pub mints: AtomicU64,
    /// Solutions the token refused (most often: another miner was first).
    pub stale: AtomicU64,
    /// LODE minted through this keeper, in the token's smallest units.
    minted: Mutex<u128>,
}

impl Metrics {
    /// Adds a mint's reward.
    pub fn add_minted(&self, reward: u128) {
        let mut m = self.minted.lock().unwrap_or_else(PoisonError::into_inner);
        *m = m.saturating_add(reward);
    }

    /// LODE minted so far.
    pub fn minted(&self) -> u128 {
        *self.minted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        metric(
            "lode_miner_hashrate_hashes_per_second",
            "gauge",
            "Hashes per second over the last seconds, all devices.",
            get(&self.hashrate),
        );
        metric("lode_miner_hashes_total", "counter", "Proof-of-work tries since start.", get(&self.hashes));
        metric("lode_miner_solutions_total", "counter", "Solutions found and confirmed by the host.", get(&self.solutions));
        metric("lode_miner_rejected_total", "counter", "Device answers the host check refused.", get(&self.rejected));
        metric("lode_miner_mints_total", "counter", "Solutions the token accepted.", get(&self.mints));
        metric("lode_miner_stale_total", "counter", "Solutions the token refused.", get(&self.stale));
        metric("lode_miner_minted_total", "counter", "LODE minted, in the token's smallest units.", self.minted().to_string());
        out
    }
}

/// Serves `GET /metrics` on `addr` until `shutdown`. Returns the bound address
/// (pass port 0 for any free port) once listening.
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>, mut shutdown: Shutdown) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.wait() => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let metrics = Arc::clone(&metrics);
                    tokio::spawn(async move { let _ = answer(stream, &metrics).await; });
                }
            }
        }
    });
    Ok(bound)
}

/// One HTTP/1.1 request, one response, then close.
async fn answer(mut stream: tokio::net::TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut buf = vec![0u8; 4096];
    let mut len = 0;
    // Read the request head; a scraper sends no body.
    while !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
        let Some(free) = buf.get_mut(len..).filter(|f| !f.is_empty()) else { break };
        let n = stream.read(free).await?;
        if n == 0 {
            break;
        }
        len += n;
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let (status, body) = match (head.starts_with("GET "), path) {
        (true, "/metrics") => ("200 OK", metrics.render()),
        (true, _) => ("404 Not Found", "only /metrics is served here\n".to_owned()),
        (false, _) => ("405 Method Not Allowed", "use GET /metrics\n".to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_help_type_and_value_for_each_metric() {
        let m = Metrics::default();
        m.hashrate.store(8_100_000, Ordering::Relaxed);
        m.add_minted(u128::from(u64::MAX) * 3);
        let text = m.render();
        assert!(
            text.contains("# TYPE lode_miner_hashrate_hashes_per_second gauge\nlode_miner_hashrate_hashes_per_second 8100000\n"),
            "{text}"
        );
        assert!(text.contains(&format!("lode_miner_minted_total {}\n", u128::from(u64::MAX) * 3)), "u128 totals are exact");
        assert_eq!(text.matches("# HELP ").count(), text.matches("# TYPE ").count());
    }

    async fn get(addr: SocketAddr, request: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn the_endpoint_serves_metrics_over_http() {
        let metrics = Arc::new(Metrics::default());
        metrics.mints.store(2, Ordering::Relaxed);
        let (trigger, shutdown) = crate::shutdown::channel();
        let addr = serve("127.0.0.1:0".parse().unwrap(), Arc::clone(&metrics), shutdown).await.unwrap();
        let ok = get(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n") && ok.contains("lode_miner_mints_total 2\n"), "{ok}");
        assert!(get(addr, "GET / HTTP/1.1\r\n\r\n").await.starts_with("HTTP/1.1 404"));
        assert!(get(addr, "POST /metrics HTTP/1.1\r\n\r\n").await.starts_with("HTTP/1.1 405"));
        trigger.fire();
    }
}
