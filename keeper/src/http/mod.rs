//! The keeper's one HTTP server: `/metrics` (Prometheus), `/health` and
//! `/status` (JSON). The relayer and dashboard mount here too.

mod refusal;
mod status;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

pub use refusal::{json_body, Refusal};
pub use status::{DutyHealth, KeeperStatus};

use crate::runtime::{Context, Duty, DutyBoard, DutyError, Shutdown};

/// The server, bound and ready to run as a duty.
pub struct HttpServer {
    listener: Option<TcpListener>,
    address: SocketAddr,
    shared: Arc<Shared>,
    mounted: Vec<Mount>,
}

/// Routes another component serves here, built once the context exists.
type Mount = Box<dyn Fn(Context) -> Router + Send + Sync>;

struct Shared {
    registry: Registry,
    board: DutyBoard,
}

impl HttpServer {
    /// Binds `address` now (port 0: any free port), so a taken port fails at
    /// start. Serves `registry` and the duty states on `board`.
    pub async fn bind(address: SocketAddr, registry: Registry, board: DutyBoard) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        Ok(HttpServer { listener: Some(listener), address, shared: Arc::new(Shared { registry, board }), mounted: Vec::new() })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves the routes `build` makes from the keeper's context as well (the relayer's).
    pub fn mount(&mut self, build: impl Fn(Context) -> Router + Send + Sync + 'static) {
        self.mounted.push(Box::new(build));
    }
}

#[async_trait::async_trait]
impl Duty for HttpServer {
    fn name(&self) -> &'static str {
        "http"
    }

    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        // A restart after a failure binds the same address again.
        let listener = match self.listener.take() {
            Some(l) => l,
            None => TcpListener::bind(self.address).await.map_err(DutyError::transient)?,
        };
        let mut router = Router::new()
            .route("/metrics", get(metrics))
            .route("/health", get(health))
            .route("/status", get(status))
            .with_state((Arc::clone(&self.shared), ctx.clone()));
        for build in &self.mounted {
            router = router.merge(build(ctx.clone()));
        }
        let mut stop = shutdown.clone();
        axum::serve(listener, router).with_graceful_shutdown(async move { stop.wait().await }).await.map_err(DutyError::transient)
    }
}

type AppState = (Arc<Shared>, Context);

async fn metrics(State((shared, _)): State<AppState>) -> Response {
    let mut body = String::new();
    match prometheus_client::encoding::text::encode(&mut body, &shared.registry) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("encoding metrics failed: {e}\n")).into_response(),
    }
}

async fn health(State((shared, _)): State<AppState>) -> Response {
    let health = DutyHealth::of(&shared.board);
    let code = if health.healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(health)).into_response()
}

async fn status(State((shared, ctx)): State<AppState>) -> Response {
    match KeeperStatus::read(&ctx, &shared.board).await {
        Ok(s) => Json(s).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(serde_json::json!({ "error": e.to_string() }))).into_response(),
    }
}
