//! Where an alert goes once it passes its incident's cooldown: the log and
//! the webhook (one keeper speaks for all that share a store), and, for
//! Warning and above, the alerts contract (each keeper for itself: the
//! circuit breaker counts distinct keepers).

use std::sync::Arc;
use std::time::Duration;

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};

use super::webhook::{WebhookAlert, WebhookError, WebhookSink};
use super::{AlertMetrics, Finding, Level};
use crate::audit::Action;
use crate::chain::AccountId;
use crate::keys::ss58;
use crate::runtime::{now_ms, Context};
use crate::store::{Store, StoreError};

/// What happened to one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivered {
    /// It passed the shared cooldown: logged and posted.
    pub notified: bool,
    /// The id the alerts contract gave it.
    pub on_chain: Option<u64>,
}

/// The sinks, and the gate in front of them.
#[derive(Debug, Clone)]
pub struct Sinks {
    store: Store,
    keeper: String,
    cooldown: Duration,
    webhook: Option<Arc<WebhookSink>>,
    on_chain: bool,
    metrics: AlertMetrics,
}

impl Sinks {
    /// Sinks for the keeper `keeper`, gating in `store`.
    pub fn new(
        store: Store,
        keeper: AccountId,
        cooldown: Duration,
        webhook: Option<WebhookSink>,
        on_chain: bool,
        metrics: AlertMetrics,
    ) -> Self {
        Sinks { store, keeper: ss58(&keeper), cooldown, webhook: webhook.map(Arc::new), on_chain, metrics }
    }

    /// Delivers `finding` to every sink whose cooldown for its incident has run out.
    pub async fn deliver(&self, ctx: &Context, finding: &Finding) -> Result<Delivered, StoreError> {
        let now = now_ms();
        let cooldown = u64::try_from(self.cooldown.as_millis()).unwrap_or(u64::MAX);
        let incident = finding.incident();
        let mut out = Delivered::default();
        if self.store.alert_gate(&format!("notify:{incident}"), now, cooldown).await? {
            out.notified = true;
            let labels = super::metrics::AlertLabels { rule: finding.rule.name().into(), level: finding.level.name().into() };
            self.metrics.fired.get_or_create(&labels).inc();
            log(finding);
            ctx.audit.record(
                Action::Alert,
                serde_json::json!({
                    "rule": finding.rule.name(),
                    "level": finding.level.name(),
                    "incident": incident,
                    "summary": finding.summary,
                    "details": finding.details,
                }),
            );
            if let Some(webhook) = &self.webhook {
                let alert = WebhookAlert::of(finding, &self.keeper, now);
                // Retries take seconds: they must not hold up the next finding.
                let (webhook, metrics) = (Arc::clone(webhook), self.metrics.clone());
                tokio::spawn(async move {
                    match webhook.send(&alert).await {
                        Ok(_) => {
                            metrics.webhook_delivered.inc();
                        }
                        Err(e) => {
                            metrics.webhook_failed.inc();
                            warn_webhook(&alert.id, &e);
                        }
                    };
                });
            }
        } else {
            self.metrics.suppressed.inc();
        }
        if self.on_chain && finding.level >= Level::Warning {
            let key = format!("chain:{}:{incident}", self.keeper);
            if self.store.alert_gate(&key, now, cooldown).await? {
                out.on_chain = self.raise_on_chain(ctx, finding, now).await?;
            }
        }
        Ok(out)
    }

    /// Keeps the details in the store and raises the alert with their hash.
    async fn raise_on_chain(&self, ctx: &Context, finding: &Finding, now: u64) -> Result<Option<u64>, StoreError> {
        let doc = serde_json::json!({
            "rule": finding.rule.name(),
            "level": finding.level.name(),
            "incident": finding.incident(),
            "summary": finding.summary,
            "details": finding.details,
            "keeper": self.keeper,
            "at_ms": now,
        });
        let json = doc.to_string();
        let hash: [u8; 32] = Blake2b::<U32>::digest(json.as_bytes()).into();
        self.store.save_alert_details(&hash, &json).await?;
        let raised = ctx.contracts.alerts.raise(&ctx.signer, finding.rule.kind(), finding.level.severity(), finding.subject, hash).await;
        match raised {
            Ok(Ok(id)) => {
                self.metrics.on_chain.inc();
                tracing::info!(id, incident = %finding.incident(), "alert raised on chain");
                Ok(Some(id))
            }
            Ok(Err(refused)) => {
                self.metrics.on_chain_failed.inc();
                tracing::warn!(incident = %finding.incident(), "the alerts contract refused the alert: {refused:?}");
                Ok(None)
            }
            Err(e) => {
                self.metrics.on_chain_failed.inc();
                tracing::warn!(incident = %finding.incident(), "raising the alert on chain failed: {e}");
                Ok(None)
            }
        }
    }
}

fn log(f: &Finding) {
    let incident = f.incident();
    match f.level {
        Level::Critical => tracing::error!(rule = %f.rule, %incident, "ALERT critical: {}", f.summary),
        Level::Warning => tracing::warn!(rule = %f.rule, %incident, "ALERT warning: {}", f.summary),
        Level::Info => tracing::info!(rule = %f.rule, %incident, "alert: {}", f.summary),
    }
}

fn warn_webhook(id: &str, e: &WebhookError) {
    tracing::warn!(incident = id, "the alert webhook failed: {e}");
}
