//! The config as written: what figment extracts, before the checks that span
//! fields and the resolution of relative paths. Every section may be left out.

use serde::Deserialize;

use super::alerts::RawAlerts;
use super::chain::RawChain;
use super::deployment::RawDeployment;
use super::error::ConfigError;
use super::http::RawHttp;
use super::keeper::RawKeeper;
use super::log::RawLog;
use super::mining::RawMining;
use super::resolve::Resolver;
use super::schedule::Schedule;
use super::settle::RawSettle;
use super::store::RawStore;
use super::watcher::RawWatcher;
use super::Config;

/// The whole file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawConfig {
    chain: RawChain,
    deployment: RawDeployment,
    keeper: RawKeeper,
    store: RawStore,
    watcher: RawWatcher,
    http: RawHttp,
    mining: RawMining,
    settle: RawSettle,
    alerts: RawAlerts,
    log: RawLog,
    schedule: Schedule,
}

impl RawConfig {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> Result<Config, ConfigError> {
        Ok(Config {
            chain: self.chain.validate(r)?,
            deployment: self.deployment.validate(r),
            keeper: self.keeper.validate(r),
            store: self.store.validate(r),
            watcher: self.watcher.validate(),
            http: self.http.validate(r),
            mining: self.mining.validate(r)?,
            settle: self.settle.validate(r)?,
            alerts: self.alerts.validate(r),
            log: self.log.validate(),
            schedule: self.schedule,
        })
    }
}
