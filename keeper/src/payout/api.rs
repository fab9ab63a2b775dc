//! `POST /payouts` and `GET /payouts/{id}`: `lode payout` over HTTP, paid
//! from the keeper's account, for callers holding the bearer token.
//!
//! A payout runs in the background; `GET` shows its receipt as it goes. A
//! payout cut short (the keeper stopped) resumes when the same request is
//! posted again: paid rows are never paid twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use serde::Deserialize;
use serde_json::json;

use super::file::{check_rows, FileError};
use super::receipt::{ReceiptRow, Totals};
use super::{pay, register, Payer, PayoutError, PayoutRequest, ATTEMPTS};
use crate::http::{json_body, Refusal};
use crate::keys::Password;
use crate::runtime::Context;
use crate::store::Store;

/// The payout routes' shared state. Cheap to clone.
#[derive(Clone)]
pub struct PayoutApi {
    inner: Arc<Inner>,
}

struct Inner {
    /// A hash of the token: comparing hashes takes no longer for a closer guess.
    token: [u8; 32],
    store: Store,
    runs: Mutex<HashMap<String, RunState>>,
}

/// A payout this keeper started since it started.
#[derive(Debug, Clone)]
enum RunState {
    Running,
    Done { extrinsics_checked: usize, mismatches: Vec<String> },
    Failed(String),
}

/// `POST /payouts`: the rows as `lode payout` reads them from a file, amounts
/// as decimal strings in whole units.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostPayout {
    id: Option<String>,
    rows: Vec<JsonRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    account: String,
    amount: String,
    asset: String,
    #[serde(default)]
    reference: Option<String>,
}

type ApiState = (PayoutApi, Context);

impl PayoutApi {
    /// Routes guarded by `token`, keeping payouts in `store`.
    pub fn new(token: &Password, store: Store) -> Self {
        PayoutApi { inner: Arc::new(Inner { token: hash(token.as_bytes()), store, runs: Mutex::new(HashMap::new()) }) }
    }

    /// The routes, paying as `ctx`'s signer.
    pub fn routes(&self, ctx: Context) -> Router {
        Router::new().route("/payouts", post(post_payout)).route("/payouts/{id}", get(get_payout)).with_state((self.clone(), ctx))
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let given = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(token) if hash(token.as_bytes()) == self.inner.token => Ok(()),
            _ => Err(Refusal {
                status: StatusCode::UNAUTHORIZED,
                code: "unauthorized",
                message: "send the payout token as `Authorization: Bearer <token>` ([http] payout_token)".into(),
            }),
        }
    }

    fn runs(&self) -> std::sync::MutexGuard<'_, HashMap<String, RunState>> {
        self.inner.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `request` and starts it in the background, unless it is
    /// running already or its id names other rows.
    async fn start(&self, ctx: &Context, request: PayoutRequest) -> Result<(), Refusal> {
        match register(&self.inner.store, &request, ctx.signer.account_id()).await {
            Ok(()) => {}
            Err(e @ (PayoutError::OtherRows { .. } | PayoutError::OtherPayer { .. })) => {
                return Err(Refusal { status: StatusCode::CONFLICT, code: "other_rows", message: e.to_string() })
            }
            Err(e) => return Err(Refusal::unavailable(e)),
        }
        {
            let mut runs = self.runs();
            if matches!(runs.get(&request.id), Some(RunState::Running)) {
                return Err(Refusal {
                    status: StatusCode::CONFLICT,
                    code: "running",
                    message: format!("payout {} is running; follow it at /payouts/{}", request.id, request.id),
                });
            }
            runs.insert(request.id.clone(), RunState::Running);
        }
        let payer = Payer { chain: ctx.chain.clone(), token: ctx.contracts.token.clone(), signer: ctx.signer.clone() };
        let (api, audit) = (self.clone(), ctx.audit.clone());
        tokio::spawn(async move {
            let state = match pay(&payer, &api.inner.store, &audit, &request, ATTEMPTS).await {
                Ok(report) => RunState::Done { extrinsics_checked: report.extrinsics_checked, mismatches: report.mismatches },
                Err(e) => {
                    tracing::warn!("payout {}: {e}", request.id);
                    RunState::Failed(e.to_string())
                }
            };
            api.runs().insert(request.id, state);
        });
        Ok(())
    }
}

fn hash(bytes: &[u8]) -> [u8; 32] {
    Blake2b::<U32>::digest(bytes).into()
}

async fn post_payout(State((api, ctx)): State<ApiState>, headers: HeaderMap, parsed: Result<Json<PostPayout>, JsonRejection>) -> Response {
    let accepted = async {
        api.authorize(&headers)?;
        let body = json_body(parsed)?;
        let fields = body.rows.iter().zip(1u64..).map(|(r, n)| {
            let mut f = vec![r.account.as_str(), r.amount.as_str(), r.asset.as_str()];
            f.extend(r.reference.as_deref());
            (n, f)
        });
        let rows = check_rows(fields, ctx.signer.account_id()).map_err(|e| match e {
            FileError::Rows(_) => Refusal::bad("bad_rows", format!("{e} (rows are numbered from 1)")),
            other => Refusal::bad("bad_rows", other.to_string()),
        })?;
        let request = PayoutRequest::new(body.id, rows).map_err(|e| Refusal::bad("bad_request", e.to_string()))?;
        let id = request.id.clone();
        api.start(&ctx, request).await?;
        Ok::<_, Refusal>(id)
    }
    .await;
    match accepted {
        Ok(id) => {
            (StatusCode::ACCEPTED, Json(json!({ "id": id, "status": "running", "receipt": format!("/payouts/{id}") }))).into_response()
        }
        Err(r) => r.into_response(),
    }
}

async fn get_payout(State((api, _)): State<ApiState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = api.authorize(&headers) {
        return r.into_response();
    }
    let rows = match api.inner.store.payout_rows(&id).await {
        Ok(rows) => rows,
        Err(e) => return Refusal::unavailable(e).into_response(),
    };
    if rows.is_empty() {
        return Refusal { status: StatusCode::NOT_FOUND, code: "unknown_id", message: format!("no payout {id:?} in this keeper's store") }
            .into_response();
    }
    let run = api.runs().get(&id).cloned();
    let (status, error, check) = match run {
        Some(RunState::Running) => ("running", None, None),
        Some(RunState::Done { extrinsics_checked, mismatches }) => {
            ("done", None, Some(json!({ "extrinsics": extrinsics_checked, "mismatches": mismatches })))
        }
        Some(RunState::Failed(why)) => ("failed", Some(why), None),
        // Started before this keeper did: post it again to finish it.
        None => ("stopped", None, None),
    };
    let receipt: Vec<ReceiptRow> = rows.iter().map(ReceiptRow::from).collect();
    Json(json!({ "id": id, "status": status, "error": error, "totals": Totals::of(&rows), "check": check, "rows": receipt }))
        .into_response()
}
