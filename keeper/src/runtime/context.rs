//! What every duty is handed: one [`Context`].

use std::sync::Arc;

use super::Stopper;
use crate::alerting::AlertHook;
use crate::audit::AuditHook;
use crate::chain::Chain;
use crate::contracts::Contracts;
use crate::keys::Signer;
use crate::watcher::Notifications;

/// The chain, the suite's typed clients, the keeper's key, the alert hook and
/// the watcher's notifications. `lode dev` and `lode run` build the same
/// context from different chains and deployments; duties cannot tell which.
#[derive(Clone)]
pub struct Context {
    /// The chain backend.
    pub chain: Arc<dyn Chain>,
    /// Typed clients of the deployed suite.
    pub contracts: Contracts,
    /// The key this keeper signs with.
    pub signer: Signer,
    /// Where duties raise keeper alerts.
    pub alerts: AlertHook,
    /// Where duties record what they did, for the audit log.
    pub audit: AuditHook,
    /// Canonical chain notifications, published by the watcher alone.
    pub notifications: Notifications,
    /// Stops the whole keeper (a duty whose work is done, `lode dev --blocks`).
    pub stopper: Stopper,
}
