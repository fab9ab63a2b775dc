//! Webhook sink for keeper alerts: POSTs one JSON alert to a URL, signed so the
//! receiver can check that it came from this keeper and is not a replay.
//!
//! # Body
//!
//! `Content-Type: application/json`. One JSON object with a top-level `"text"`
//! string, so Slack-style incoming webhooks accept it as is, and every
//! [`WebhookAlert`] field at the top level for machine receivers:
//!
//! ```json
//! {"text":"[CRITICAL] node-down: the node at ws://… is unreachable",
//!  "id":"node-down:3","severity":"critical","rule":"node-down",
//!  "summary":"the node at ws://… is unreachable","details":{},
//!  "keeper":"keeper-1","at_ms":1700000000000}
//! ```
//!
//! `text` is `"[" + uppercase(severity) + "] " + rule + ": " + summary`, with
//! `&`, `<` and `>` escaped as `&amp;`, `&lt;` and `&gt;` (Slack's markup
//! escaping); the structured fields are never escaped.
//!
//! # Signature (scheme `v1`, the Stripe/Slack scheme)
//!
//! Every attempt carries two headers:
//!
//! ```text
//! X-Lode-Timestamp: <unix time in whole seconds, decimal ASCII, e.g. 1700000000>
//! X-Lode-Signature: v1=<64 lowercase hex digits>
//! ```
//!
//! where the hex digits are
//!
//! ```text
//! HMAC-SHA256(key = shared secret bytes,
//!             message = "v1:" + <X-Lode-Timestamp value> + ":" + <raw request body bytes>)
//! ```
//!
//! The message is the ASCII bytes `v1:`, the timestamp exactly as sent in the
//! header, the ASCII byte `:`, then the request body exactly as received (do not
//! re-serialize the JSON before checking). Each retry is re-signed with a fresh
//! timestamp, so the same alert may arrive with different timestamps and
//! signatures; its `id` is the deduplication key.
//!
//! A receiver must:
//! 1. take the two headers; refuse the request if either is missing;
//! 2. split the signature header at the first `=`; refuse a version other than `v1`;
//! 3. compute the HMAC above over the raw body and compare it with the hex-decoded
//!    signature in constant time;
//! 4. refuse a timestamp more than a tolerance (e.g. 300 s) away from its own
//!    clock, in either direction: this is the replay protection.
//!
//! [`verify`] does exactly this. For example, in Python:
//!
//! ```text
//! expected = hmac.new(secret, b"v1:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
//! ok = hmac.compare_digest("v1=" + expected, sig_header) and abs(time.time() - int(ts)) <= 300
//! ```
//!
//! # Delivery
//!
//! [`WebhookSink::send`] retries connection errors, timeouts, `429` and `5xx`
//! with doubling backoff (capped at 30 s); any other non-2xx answer (a receiver
//! that rejects the signature will not accept it later) fails at once. Redirects
//! are not followed (a redirected POST may lose its body); a `3xx` is a rejection.
//! Neither the secret nor signatures are ever logged, and the URL is only ever
//! shown as scheme, host and port, since incoming-webhook URLs carry their token
//! in the path.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Finding;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the signing time, in unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Lode-Timestamp";
/// Header carrying `v1=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "X-Lode-Signature";
/// The only signature version this module produces and accepts.
pub const SIGNATURE_VERSION: &str = "v1";
/// Upper bound of the delay between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How much of a rejecting receiver's answer ends up in [`WebhookError::Rejected`].
const SNIPPET_CHARS: usize = 200;
/// How much of a response body is read at most (the rest is dropped unread).
const SNIPPET_READ_BYTES: usize = 4096;

/// One alert as sent to a webhook.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookAlert {
    /// The incident and when it passed its cooldown, e.g.
    /// `"node-down:1767225600000"`: the same alert retried keeps its id.
    pub id: String,
    /// `"info"`, `"warning"` or `"critical"`.
    pub severity: String,
    /// The rule that fired.
    pub rule: String,
    /// One line for people.
    pub summary: String,
    /// Anything structured the rule wants to add.
    pub details: serde_json::Value,
    /// Which keeper sent it.
    pub keeper: String,
    /// When the alert was raised, unix milliseconds.
    pub at_ms: u64,
}

impl WebhookAlert {
    /// `finding` as `keeper` sends it, having passed its cooldown at `at_ms`:
    /// its id is the incident and that moment, so its retries share the id
    /// and a later occurrence of the incident does not.
    pub fn of(finding: &Finding, keeper: &str, at_ms: u64) -> Self {
        WebhookAlert {
            id: format!("{}:{at_ms}", finding.incident()),
            severity: finding.level.name().into(),
            rule: finding.rule.name().into(),
            summary: finding.summary.clone(),
            details: finding.details.clone(),
            keeper: keeper.to_owned(),
            at_ms,
        }
    }
}

/// The wire body: `text` for Slack-style receivers, then every alert field.
#[derive(Serialize)]
struct Body<'a> {
    text: String,
    #[serde(flatten)]
    alert: &'a WebhookAlert,
}

/// The `text` line: `[SEVERITY] rule: summary`, with Slack's markup escaped.
fn text_line(alert: &WebhookAlert) -> String {
    let line = format!("[{}] {}: {}", alert.severity.to_uppercase(), alert.rule, alert.summary);
    line.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The exact bytes sent (and signed) for `alert`.
fn body_bytes(alert: &WebhookAlert) -> Result<Vec<u8>, WebhookError> {
    serde_json::to_vec(&Body { text: text_line(alert), alert }).map_err(|err| WebhookError::Encode { reason: err.to_string() })
}

/// The MAC over `"v1:" + timestamp + ":" + body`.
fn mac_over(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
    // HMAC takes keys of any length (RFC 2104), and hmac 0.12 never fails here.
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(SIGNATURE_VERSION.as_bytes());
    mac.update(b":");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    Some(mac)
}

/// The `X-Lode-Signature` value for `body` signed at `timestamp` (unix seconds):
/// `v1=` + lowercase hex of HMAC-SHA256(secret, `"v1:" + timestamp + ":" + body`).
pub fn sign(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    match mac_over(secret, &timestamp.to_string(), body) {
        Some(mac) => format!("{SIGNATURE_VERSION}={}", hex::encode(mac.finalize().into_bytes())),
        // Unreachable (see `mac_over`); a bare prefix fails every verification.
        None => format!("{SIGNATURE_VERSION}="),
    }
}

/// Why a received webhook was refused by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The timestamp header is not a decimal number of seconds.
    #[error(
        "the {TIMESTAMP_HEADER} header is not a unix time in seconds; check that the sender is a Lode keeper using signature scheme v1"
    )]
    MalformedTimestamp,
    /// The signature header is not `<version>=<hex>`, or the hex is not a SHA-256 MAC.
    #[error("the {SIGNATURE_HEADER} header is malformed ({why}); it must be `v1=` followed by 64 hex digits")]
    MalformedSignature {
        /// What is wrong with it.
        why: &'static str,
    },
    /// The signature uses a scheme other than `v1`.
    #[error("the {SIGNATURE_HEADER} header uses signature version \"{version}\", but only v1 is supported; check that sender and receiver run compatible Lode versions")]
    UnknownVersion {
        /// The version found (at most 16 characters of it).
        version: String,
    },
    /// The signature does not match the body and timestamp.
    #[error("the webhook signature does not match: check that sender and receiver share the same secret, and that the raw body is verified before any re-encoding")]
    Mismatch,
    /// Signed too long ago: a replay, a long-delayed delivery, or a slow clock.
    #[error("the webhook was signed {age_secs} s ago, more than the {tolerance_secs} s tolerance: a replay, or the sender's clock is behind; check both clocks (NTP)")]
    TooOld {
        /// How long ago it was signed.
        age_secs: u64,
        /// The allowed skew.
        tolerance_secs: u64,
    },
    /// Signed in the future: a clock ahead of the receiver's.
    #[error("the webhook is timestamped {ahead_secs} s in the future, more than the {tolerance_secs} s tolerance: the sender's clock is ahead; check both clocks (NTP)")]
    FromFuture {
        /// How far ahead the timestamp is.
        ahead_secs: u64,
        /// The allowed skew.
        tolerance_secs: u64,
    },
}

/// Checks a received webhook: the signature over `body` with `secret` (in
/// constant time) and that the timestamp is within `tolerance_secs` of
/// `now_secs` in either direction.
///
/// The signature is checked before the timestamp, so [`VerifyError::TooOld`] and
/// [`VerifyError::FromFuture`] mean an authentic but stale (or skewed) request.
pub fn verify(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now_secs: u64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let timestamp_text = timestamp_header.trim();
    if timestamp_text.is_empty() || !timestamp_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::MalformedTimestamp);
    }
    let timestamp: u64 = timestamp_text.parse().map_err(|_| VerifyError::MalformedTimestamp)?;

    let (version, hex_mac) =
        signature_header.trim().split_once('=').ok_or(VerifyError::MalformedSignature { why: "no `=` after the version" })?;
    if version != SIGNATURE_VERSION {
        return Err(VerifyError::UnknownVersion { version: version.chars().take(16).collect() });
    }
    let claimed = hex::decode(hex_mac).map_err(|_| VerifyError::MalformedSignature { why: "not hexadecimal" })?;
    if claimed.len() != 32 {
        return Err(VerifyError::MalformedSignature { why: "not 32 bytes long" });
    }
    // The MAC is over the header text as sent, as the scheme says.
    let mac = mac_over(secret, timestamp_text, body).ok_or(VerifyError::Mismatch)?;
    mac.verify_slice(&claimed).map_err(|_| VerifyError::Mismatch)?;

    if timestamp <= now_secs {
        let age_secs = now_secs.abs_diff(timestamp);
        if age_secs > tolerance_secs {
            return Err(VerifyError::TooOld { age_secs, tolerance_secs });
        }
    } else {
        let ahead_secs = timestamp.abs_diff(now_secs);
        if ahead_secs > tolerance_secs {
            return Err(VerifyError::FromFuture { ahead_secs, tolerance_secs });
        }
    }
    Ok(())
}

/// Why a webhook sink could not be built or an alert not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The URL is unusable. `why` never contains the URL's path or query.
    #[error("the alert webhook URL is unusable: {why}; check the webhook URL in the keeper's configuration")]
    BadUrl {
        /// What is wrong.
        why: String,
    },
    /// The shared secret is empty.
    #[error("the alert webhook secret is empty; set the shared secret the receiver verifies signatures with")]
    EmptySecret,
    /// A zero request timeout.
    #[error("the alert webhook timeout is zero; set a positive timeout (e.g. 10 s)")]
    ZeroTimeout,
    /// The HTTP client could not be built.
    #[error("could not set up the HTTP client for the alert webhook: {reason}")]
    Client {
        /// The client's error.
        reason: String,
    },
    /// The alert could not be encoded as JSON.
    #[error("could not encode the alert as JSON: {reason}")]
    Encode {
        /// The encoder's error.
        reason: String,
    },
    /// The receiver answered with a status that retrying will not change
    /// (a 4xx other than 429, or a 3xx since redirects are not followed).
    #[error("the webhook receiver rejected the alert with HTTP {status} ({body_snippet:?}); check the receiver's logs, the URL, and that both sides share the same secret")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The first 200 characters of the receiver's answer.
        body_snippet: String,
    },
    /// Every attempt failed with a retryable error.
    #[error("gave up delivering the alert after {attempts} attempts, the last failing with: {last}; check that the receiver is up and reachable, and its logs")]
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's failure.
        last: String,
    },
}

/// A delivered alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// How many attempts it took (1 if the first succeeded).
    pub attempts: u32,
    /// The receiver's (2xx) status.
    pub status: u16,
}

/// The shared secret; its `Debug` never shows it.
#[derive(Clone)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Posts signed alerts to one webhook URL.
#[derive(Clone)]
pub struct WebhookSink {
    client: reqwest::Client,
    url: Url,
    secret: Secret,
    retries: u32,
    backoff: Duration,
    timeout: Duration,
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("url", &shown_url(&self.url))
            .field("secret", &self.secret)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// `scheme://host:port/…`: webhook URLs (Slack, Discord, …) carry their token in
/// the path or query, and userinfo may hold a password, so only these are shown.
fn shown_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let port = url.port().map(|port| format!(":{port}")).unwrap_or_default();
    let rest = if url.path() == "/" && url.query().is_none() { "" } else { "/…" };
    format!("{}://{host}{port}{rest}", url.scheme())
}

/// The current unix time in seconds (0 for a clock before 1970).
fn unix_now() -> u64 {
    crate::runtime::now_ms() / 1000
}

/// The delay after `delay`: doubled, capped at [`MAX_BACKOFF`].
fn next_backoff(delay: Duration) -> Duration {
    delay.checked_mul(2).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF)
}

/// Whether another attempt may get a different answer.
fn retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// A transport error for logs and [`WebhookError::GaveUp`]: the kind and the
/// whole source chain, without the URL.
fn describe(err: reqwest::Error, timeout: Duration) -> String {
    let kind = if err.is_timeout() {
        format!("timed out (timeout {timeout:?})")
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let err = err.without_url();
    let mut text = format!("{kind}: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The first [`SNIPPET_CHARS`] characters of a response body, reading at most
/// [`SNIPPET_READ_BYTES`] of it.
async fn snippet(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < SNIPPET_READ_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(err) => {
                if bytes.is_empty() {
                    return format!("<answer unreadable: {}>", err.without_url());
                }
                break;
            }
        }
    }
    String::from_utf8_lossy(&bytes).trim().chars().take(SNIPPET_CHARS).collect()
}

impl WebhookSink {
    /// A sink posting to `url` (http or https), signing with `secret`, making up
    /// to `retries` further attempts after the first, waiting `backoff` before
    /// the first retry and doubling (capped at 30 s), each attempt limited to
    /// `timeout`.
    pub fn new(url: &str, secret: Vec<u8>, retries: u32, backoff: Duration, timeout: Duration) -> Result<Self, WebhookError> {
        // url's parse errors describe the problem without quoting the input.
        let url = Url::parse(url.trim()).map_err(|err| WebhookError::BadUrl { why: err.to_string() })?;
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(WebhookError::BadUrl {
                    why: format!(
                        "the scheme is \"{}\", but only http:// and https:// are supported",
                        other.chars().take(16).collect::<String>()
                    ),
                })
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(WebhookError::BadUrl { why: "it has no host".to_owned() });
        }
        if secret.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        if timeout.is_zero() {
            return Err(WebhookError::ZeroTimeout);
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lode-keeper/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| WebhookError::Client { reason: err.to_string() })?;
        Ok(WebhookSink { client, url, secret: Secret(secret), retries, backoff, timeout })
    }

    /// Posts `alert`, retrying as described in the module docs.
    pub async fn send(&self, alert: &WebhookAlert) -> Result<Delivery, WebhookError> {
        self.send_with_clock(alert, unix_now).await
    }

    /// [`Self::send`] with the signing clock given (unix seconds, read once per attempt).
    async fn send_with_clock(&self, alert: &WebhookAlert, now_secs: impl Fn() -> u64) -> Result<Delivery, WebhookError> {
        let body = body_bytes(alert)?;
        let max_attempts = self.retries.saturating_add(1);
        let mut delay = self.backoff.min(MAX_BACKOFF);
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let timestamp = now_secs();
            let request = self
                .client
                .post(self.url.clone())
                .header(CONTENT_TYPE, "application/json")
                .header(TIMESTAMP_HEADER, timestamp.to_string())
                .header(SIGNATURE_HEADER, sign(&self.secret.0, timestamp, &body))
                .body(body.clone());
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        tracing::debug!(url = %shown_url(&self.url), alert = %alert.id, attempt, status = status.as_u16(), "webhook delivered");
                        return Ok(Delivery { attempts: attempt, status: status.as_u16() });
                    }
                    let body_snippet = snippet(response).await;
                    if !retryable_status(status) {
                        return Err(WebhookError::Rejected { status: status.as_u16(), body_snippet });
                    }
                    format!("HTTP {status} ({body_snippet:?})")
                }
                Err(err) => describe(err, self.timeout),
            };
            if attempt >= max_attempts {
                return Err(WebhookError::GaveUp { attempts: attempt, last: failure });
            }
            tracing::warn!(
                url = %shown_url(&self.url),
                alert = %alert.id,
                attempt,
                max_attempts,
                retry_in = ?delay,
                %failure,
                "webhook delivery failed; retrying"
            );
            tokio::time::sleep(delay).await;
            delay = next_backoff(delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode as AxumStatus};
    use axum::routing::post;
    use axum::Router;

    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const TOLERANCE: u64 = 300;

    fn alert() -> WebhookAlert {
        WebhookAlert {
            id: "node-down:3".to_owned(),
            severity: "critical".to_owned(),
            rule: "node-down".to_owned(),
            summary: "the node at ws://127.0.0.1:9944 is unreachable".to_owned(),
            details: serde_json::json!({"endpoint": "ws://127.0.0.1:9944", "failures": 5}),
            keeper: "keeper-1".to_owned(),
            at_ms: 1_700_000_000_123,
        }
    }

    fn sink(url: &str, secret: &[u8], retries: u32) -> WebhookSink {
        WebhookSink::new(url, secret.to_vec(), retries, Duration::from_millis(5), Duration::from_secs(5)).unwrap()
    }

    // ---- sign / verify ----

    #[test]
    fn an_alert_id_is_its_incident_and_occurrence_so_receivers_keep_later_ones() {
        use crate::alerting::{Finding, Level, Rule};
        let finding = Finding::new(Rule::NodeDown, Level::Critical, "the node is unreachable");
        let first = WebhookAlert::of(&finding, "keeper", 1_000);
        let later = WebhookAlert::of(&finding, "keeper", 400_000);
        assert_eq!(first.id, "node-down:1000");
        assert_ne!(first.id, later.id, "a later occurrence after the cooldown is not a duplicate");
        assert_eq!((first.rule.as_str(), first.severity.as_str(), first.at_ms), ("node-down", "critical", 1_000));
    }
    #[test]
    fn sign_known_answer() {
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test", b"v1:1700000000:{\"text\":\"hi\"}", hashlib.sha256).hexdigest())'
        let expected = "v1=ad7c792ff2327883c4a4e47a914b86c7ba96cd1d63c784fa23eda2c2a161a391";
        assert_eq!(sign(SECRET, 1_700_000_000, br#"{"text":"hi"}"#), expected);
    }

    #[test]
    fn sign_long_key_matches_rfc2104() {
        // Keys longer than SHA-256's 64-byte block are hashed first; hmac does this.
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"k"*100, b"v1:1:x", hashlib.sha256).hexdigest())'
        let expected = "v1=7ed18b3a7c39b8009f59d5bc611e8c586d9421a70838e2b738767d9ffc0a4412";
        assert_eq!(sign(&[b'k'; 100], 1, b"x"), expected);
    }

    #[test]
    fn verify_accepts_a_good_signature() {
        let body = br#"{"text":"hi"}"#;
        let signature = sign(SECRET, 1_700_000_000, body);
        assert_eq!(verify(SECRET, "1700000000", &signature, body, 1_700_000_000, TOLERANCE), Ok(()));
        // Within the tolerance on both sides, and exactly at its edges.
        assert_eq!(verify(SECRET, "1700000000", &signature, body, 1_700_000_300, TOLERANCE), Ok(()));
        assert_eq!(verify(SECRET, "1700000000", &signature, body, 1_699_999_700, TOLERANCE), Ok(()));
    }

    #[test]
    fn verify_rejects_a_changed_body() {
        let signature = sign(SECRET, 1_700_000_000, br#"{"text":"hi"}"#);
        assert_eq!(verify(SECRET, "1700000000", &signature, br#"{"text":"ho"}"#, 1_700_000_000, TOLERANCE), Err(VerifyError::Mismatch));
    }

    #[test]
    fn verify_rejects_a_wrong_secret() {
        let body = br#"{"text":"hi"}"#;
        let signature = sign(b"whsec_other", 1_700_000_000, body);
        assert_eq!(verify(SECRET, "1700000000", &signature, body, 1_700_000_000, TOLERANCE), Err(VerifyError::Mismatch));
    }

    #[test]
    fn verify_rejects_a_changed_timestamp() {
        // The timestamp is signed: moving it (to dodge the tolerance) breaks the MAC.
        let body = br#"{"text":"hi"}"#;
        let signature = sign(SECRET, 1_700_000_000, body);
        assert_eq!(verify(SECRET, "1700000001", &signature, body, 1_700_000_000, TOLERANCE), Err(VerifyError::Mismatch));
    }

    #[test]
    fn verify_rejects_timestamps_outside_the_tolerance() {
        let body = br#"{"text":"hi"}"#;
        let signature = sign(SECRET, 1_700_000_000, body);
        assert_eq!(
            verify(SECRET, "1700000000", &signature, body, 1_700_000_301, TOLERANCE),
            Err(VerifyError::TooOld { age_secs: 301, tolerance_secs: TOLERANCE })
        );
        assert_eq!(
            verify(SECRET, "1700000000", &signature, body, 1_699_999_699, TOLERANCE),
            Err(VerifyError::FromFuture { ahead_secs: 301, tolerance_secs: TOLERANCE })
        );
    }

    #[test]
    fn verify_rejects_malformed_headers() {
        let body = br#"{"text":"hi"}"#;
        let signature = sign(SECRET, 1_700_000_000, body);
        let hex = signature.trim_start_matches("v1=");
        for bad_ts in ["", "abc", "-1700000000", "1700000000.5", "+1700000000", "99999999999999999999999"] {
            assert_eq!(
                verify(SECRET, bad_ts, &signature, body, 1_700_000_000, TOLERANCE),
                Err(VerifyError::MalformedTimestamp),
                "{bad_ts:?}"
            );
        }
        assert!(matches!(verify(SECRET, "1700000000", hex, body, 1_700_000_000, TOLERANCE), Err(VerifyError::MalformedSignature { .. })));
        assert!(matches!(
            verify(SECRET, "1700000000", "v1=zz", body, 1_700_000_000, TOLERANCE),
            Err(VerifyError::MalformedSignature { .. })
        ));
        assert!(matches!(
            verify(SECRET, "1700000000", "v1=abcd", body, 1_700_000_000, TOLERANCE),
            Err(VerifyError::MalformedSignature { .. })
        ));
        assert!(matches!(verify(SECRET, "1700000000", "", body, 1_700_000_000, TOLERANCE), Err(VerifyError::MalformedSignature { .. })));
    }

    #[test]
    fn verify_rejects_an_unknown_version() {
        let body = br#"{"text":"hi"}"#;
        let signature = sign(SECRET, 1_700_000_000, body);
        let v2 = signature.replacen("v1=", "v2=", 1);
        assert_eq!(
            verify(SECRET, "1700000000", &v2, body, 1_700_000_000, TOLERANCE),
            Err(VerifyError::UnknownVersion { version: "v2".to_owned() })
        );
    }

    // ---- body ----

    #[test]
    fn body_has_text_and_every_field() {
        let alert = alert();
        let body: serde_json::Value = serde_json::from_slice(&body_bytes(&alert).unwrap()).unwrap();
        assert_eq!(body["text"], "[CRITICAL] node-down: the node at ws://127.0.0.1:9944 is unreachable");
        let back: WebhookAlert = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(back, alert);
        assert_eq!(body.as_object().unwrap().len(), 8, "text plus the seven alert fields: {body}");
    }

    #[test]
    fn text_escapes_slack_markup_but_fields_stay_raw() {
        let mut alert = alert();
        alert.summary = "a <b> & c".to_owned();
        let body: serde_json::Value = serde_json::from_slice(&body_bytes(&alert).unwrap()).unwrap();
        assert_eq!(body["text"], "[CRITICAL] node-down: a &lt;b&gt; &amp; c");
        assert_eq!(body["summary"], "a <b> & c");
    }

    // ---- construction ----

    #[test]
    fn new_refuses_bad_input() {
        let ok = |url: &str| WebhookSink::new(url, b"s".to_vec(), 0, Duration::ZERO, Duration::from_secs(1));
        assert!(ok("http://127.0.0.1:8080/hook").is_ok());
        for bad in ["ftp://example.com/hook", "not a url", "/relative/path", "ws://example.com", "file:///etc/passwd", "http://"] {
            assert!(matches!(ok(bad), Err(WebhookError::BadUrl { .. })), "{bad}: {:?}", ok(bad));
        }
        assert!(ok("https://hooks.example.com/services/T0/B0/tok3n").is_ok(), "Slack-style https hooks are accepted");
        assert_eq!(
            WebhookSink::new("http://127.0.0.1/", Vec::new(), 0, Duration::ZERO, Duration::from_secs(1)).unwrap_err(),
            WebhookError::EmptySecret
        );
        assert_eq!(
            WebhookSink::new("http://127.0.0.1/", b"s".to_vec(), 0, Duration::ZERO, Duration::ZERO).unwrap_err(),
            WebhookError::ZeroTimeout
        );
    }

    #[test]
    fn debug_redacts_the_secret_and_the_url_token() {
        let secret = b"super-secret-value-123";
        let sink = WebhookSink::new(
            "http://user:pa55word@relay.example:8080/services/T0/B0/tok3n?key=qu3ry",
            secret.to_vec(),
            1,
            Duration::ZERO,
            Duration::from_secs(1),
        )
        .unwrap();
        let shown = format!("{sink:?} {sink:#?}");
        assert!(shown.contains("relay.example:8080"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        for leak in [
            "super-secret-value-123".to_owned(),
            hex::encode(secret),
            format!("{:?}", secret.to_vec()),
            format!("{:?}", &secret[..4]).trim_end_matches(']').to_owned(),
            "tok3n".to_owned(),
            "qu3ry".to_owned(),
            "pa55word".to_owned(),
        ] {
            assert!(!shown.contains(&leak), "{leak:?} leaked in {shown}");
        }
    }

    #[test]
    fn backoff_doubles_and_caps_at_30s() {
        let mut delay = Duration::from_secs(1);
        let mut seen = Vec::new();
        for _ in 0..8 {
            seen.push(delay.as_secs());
            delay = next_backoff(delay);
        }
        assert_eq!(seen, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(next_backoff(Duration::MAX), MAX_BACKOFF);
    }

    // ---- a real receiver ----

    /// One request as the receiver saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        timestamp: String,
        signature: String,
        content_type: String,
        body: Vec<u8>,
        verified: Result<(), VerifyError>,
    }

    #[derive(Clone, Default)]
    struct Receiver {
        seen: Arc<Mutex<Vec<Seen>>>,
        /// Statuses to answer with, in order; 200 once empty.
        script: Arc<Mutex<VecDeque<u16>>>,
    }

    async fn hook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> (AxumStatus, &'static str) {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
        let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
        let verified = verify(SECRET, &timestamp, &signature, &body, unix_now(), TOLERANCE);
        let ok = verified.is_ok();
        receiver.seen.lock().unwrap().push(Seen {
            timestamp,
            signature,
            content_type: header("content-type"),
            body: body.to_vec(),
            verified,
        });
        if !ok {
            return (AxumStatus::UNAUTHORIZED, "bad signature");
        }
        let status = receiver.script.lock().unwrap().pop_front().unwrap_or(200);
        (AxumStatus::from_u16(status).unwrap(), "scripted answer")
    }

    /// A receiver on 127.0.0.1 answering `script`, then 200.
    async fn receiver(script: &[u16]) -> (Receiver, String) {
        let receiver = Receiver { script: Arc::new(Mutex::new(script.iter().copied().collect())), ..Receiver::default() };
        let app = Router::new().route("/hook", post(hook)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, format!("http://{addr}/hook"))
    }

    #[tokio::test]
    async fn delivers_once_signed_with_text_and_fields() {
        let (receiver, url) = receiver(&[]).await;
        let alert = alert();
        let delivery = sink(&url, SECRET, 3).send(&alert).await.unwrap();
        assert_eq!(delivery, Delivery { attempts: 1, status: 200 });

        let seen = receiver.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "{seen:?}");
        let seen = &seen[0];
        assert_eq!(seen.verified, Ok(()));
        assert!(seen.signature.starts_with("v1=") && seen.signature.len() == 67, "{}", seen.signature);
        assert_eq!(seen.content_type, "application/json");
        let timestamp: u64 = seen.timestamp.parse().unwrap();
        assert!(unix_now().abs_diff(timestamp) <= 5, "{timestamp}");
        // The signed bytes are exactly the body the sink builds.
        assert_eq!(seen.body, body_bytes(&alert).unwrap());

        let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
        assert_eq!(body["text"], "[CRITICAL] node-down: the node at ws://127.0.0.1:9944 is unreachable");
        assert_eq!(body["id"], "node-down:3");
        assert_eq!(body["severity"], "critical");
        assert_eq!(body["rule"], "node-down");
        assert_eq!(body["summary"], "the node at ws://127.0.0.1:9944 is unreachable");
        assert_eq!(body["details"], alert.details);
        assert_eq!(body["keeper"], "keeper-1");
        assert_eq!(body["at_ms"], 1_700_000_000_123_u64);
    }

    #[tokio::test]
    async fn retries_503_then_succeeds_resigning_each_attempt() {
        let (receiver, url) = receiver(&[503, 503]).await;
        // A clock that ticks one second per read, so each attempt's own
        // timestamp is visible without sleeping.
        let start = unix_now();
        let ticks = AtomicU64::new(0);
        let clock = || start.saturating_add(ticks.fetch_add(1, Ordering::SeqCst));
        let delivery = sink(&url, SECRET, 3).send_with_clock(&alert(), clock).await.unwrap();
        assert_eq!(delivery, Delivery { attempts: 3, status: 200 });

        let seen = receiver.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3, "{seen:?}");
        let timestamps: Vec<String> = seen.iter().map(|s| s.timestamp.clone()).collect();
        assert_eq!(timestamps, [start, start + 1, start + 2].map(|t| t.to_string()));
        for attempt in &seen {
            assert_eq!(attempt.verified, Ok(()), "{attempt:?}");
            assert_eq!(attempt.body, seen[0].body, "the body is the same bytes every attempt");
        }
        assert_ne!(seen[0].signature, seen[1].signature);
        assert_ne!(seen[1].signature, seen[2].signature);
    }

    #[tokio::test]
    async fn retries_429_and_gives_up_on_persistent_5xx() {
        let (receiver, url) = receiver(&[429, 500, 502, 500]).await;
        let err = sink(&url, SECRET, 2).send(&alert()).await.unwrap_err();
        match &err {
            WebhookError::GaveUp { attempts: 3, last } => assert!(last.contains("502"), "{last}"),
            other => panic!("expected GaveUp after 3 attempts, got {other:?}"),
        }
        assert_eq!(receiver.seen.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn does_not_retry_a_4xx() {
        let (receiver, url) = receiver(&[401]).await;
        let err = sink(&url, SECRET, 5).send(&alert()).await.unwrap_err();
        assert_eq!(err, WebhookError::Rejected { status: 401, body_snippet: "scripted answer".to_owned() });
        assert_eq!(receiver.seen.lock().unwrap().len(), 1, "exactly one attempt");
        assert!(err.to_string().contains("secret"), "{err}");
    }

    #[tokio::test]
    async fn a_wrong_secret_is_rejected_by_the_receiver_once() {
        let (receiver, url) = receiver(&[]).await;
        let err = sink(&url, b"not-the-shared-secret", 5).send(&alert()).await.unwrap_err();
        assert_eq!(err, WebhookError::Rejected { status: 401, body_snippet: "bad signature".to_owned() });
        let seen = receiver.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].verified, Err(VerifyError::Mismatch));
    }

    #[tokio::test]
    async fn gives_up_when_nothing_listens() {
        let addr = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let err = sink(&format!("http://{addr}/hook"), SECRET, 2).send(&alert()).await.unwrap_err();
        match &err {
            WebhookError::GaveUp { attempts: 3, last } => assert!(last.contains("could not connect"), "{last}"),
            other => panic!("expected GaveUp after 3 attempts, got {other:?}"),
        }
        assert!(!err.to_string().contains("/hook"), "the URL path is not shown: {err}");
    }

    #[tokio::test]
    async fn a_silent_receiver_times_out_and_is_retried() {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicU64::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        let sink =
            WebhookSink::new(&format!("http://{addr}/hook"), SECRET.to_vec(), 1, Duration::from_millis(5), Duration::from_millis(200))
                .unwrap();
        let err = sink.send(&alert()).await.unwrap_err();
        match &err {
            WebhookError::GaveUp { attempts: 2, last } => assert!(last.contains("timed out"), "{last}"),
            other => panic!("expected GaveUp after 2 attempts, got {other:?}"),
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }
}
