//! Refusals of API requests, as JSON `{"error": {"code", "message"}}`: one
//! shape for every route the keeper serves.

use std::fmt;

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Why a request was refused. Nothing was sent, so nothing was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable reason, such as `bad_request` or `unavailable`; each
    /// route's docs list its own.
    pub code: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

impl Refusal {
    /// A 503 `unavailable`: the keeper cannot answer now, because of `why`.
    pub fn unavailable(why: impl fmt::Display) -> Self {
        Refusal {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            message: format!("the keeper cannot answer now ({why}); retry later"),
        }
    }

    /// A 400 with `code`.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Refusal { status: StatusCode::BAD_REQUEST, code, message: message.into() }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": { "code": self.code, "message": self.message } }))).into_response()
    }
}

/// A JSON body, or the refusal that says why it is not one.
pub fn json_body<T>(parsed: Result<Json<T>, JsonRejection>) -> Result<T, Refusal> {
    parsed.map(|Json(t)| t).map_err(|e| Refusal::bad("bad_request", format!("the body is not the expected JSON: {}", e.body_text())))
}
