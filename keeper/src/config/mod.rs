//! The keeper's configuration: a TOML file, overridden by `LODE_` environment
//! variables, validated once at start into types that cannot hold a wrong value.
//!
//! [`Config::load`] reads the file with figment, lets `LODE_<SECTION>__<FIELD>`
//! variables override it, and checks every field. The first problem found is a
//! [`ConfigError`] whose message is one line naming the field (`chain.endpoints[1]`),
//! where its value came from (the file or the variable) and what is accepted.
//!
//! Relative paths resolve against the directory of the config file, whichever
//! source set them, so a config means the same thing from any working directory.
//! The config never holds a password: [`KeeperConfig::password`] says where to
//! get it. `docs/config.md` documents every field.

mod alerts;
mod bounded;
mod chain;
mod deployment;
mod endpoint;
mod error;
mod files;
mod http;
mod keeper;
mod log;
mod mining;
mod origin;
mod password;
mod path;
mod raw;
mod replace;
mod resolve;
mod schedule;
mod settle;
mod store;
mod text;
mod watcher;

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;

pub use alerts::{AlertsConfig, WebhookConfig};
pub use chain::ChainConfig;
pub use deployment::DeploymentConfig;
pub use endpoint::{BadEndpoint, Endpoint, Endpoints};
pub use error::ConfigError;
pub use files::MissingFile;
pub use http::HttpConfig;
pub use keeper::KeeperConfig;
pub use log::{BadLogFilter, BadLogFormat, LogConfig, LogFilter, LogFormat};
pub use mining::MiningConfig;
pub use origin::Origin;
pub use schedule::{BadCronSchedule, BadJobName, CronSchedule, JobName, Schedule};
pub use settle::SettleConfig;
pub use store::StoreConfig;
pub use watcher::{WatcherConfig, MAX_DEPTH};

use raw::RawConfig;
use resolve::Resolver;

/// Environment variables starting with this override the file.
pub const ENV_PREFIX: &str = "LODE_";

/// Separates the section from the field in an override: `LODE_CHAIN__ENDPOINTS`.
pub const ENV_SEPARATOR: &str = "__";

/// The whole configuration, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The node(s) to talk to.
    pub chain: ChainConfig,
    /// The deployment manifest naming the contracts.
    pub deployment: DeploymentConfig,
    /// The keeper's own key.
    pub keeper: KeeperConfig,
    /// Where the keeper's state lives.
    pub store: StoreConfig,
    /// When a block counts as confirmed.
    pub watcher: WatcherConfig,
    /// The metrics and status server.
    pub http: HttpConfig,
    /// Proof-of-work mining.
    pub mining: MiningConfig,
    /// Batched settlement.
    pub settle: SettleConfig,
    /// Alert rules and sinks.
    pub alerts: AlertsConfig,
    /// Log output.
    pub log: LogConfig,
    /// Named periodic jobs.
    pub schedule: Schedule,
}

impl Config {
    /// Reads the TOML file at `path`, applies `LODE_` environment overrides and
    /// validates the result. The file must exist; relative paths in it resolve
    /// against its directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let path = std::path::absolute(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        // figment takes a missing file for an empty one, and reports TOML syntax
        // errors over several lines; both are caught here first.
        let text = read(&path)?;
        if let Err(e) = text.parse::<toml::Table>() {
            return Err(ConfigError::syntax(&path, &text, &e));
        }
        let file = replace::UnlessOverridden::new(Toml::file_exact(&path));
        let figment = Figment::new().merge(file).merge(env_overrides());
        let base = path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        Config::from_figment(&figment, &base)
    }

    /// Validates whatever `figment` holds; relative paths resolve against `base_dir`.
    /// [`Config::load`] uses it; tests give it in-memory sources.
    pub fn from_figment(figment: &Figment, base_dir: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = figment.extract().map_err(ConfigError::from_figment)?;
        raw.validate(&Resolver::new(figment, base_dir))
    }

    /// Checks that the files this config names exist: the keystore, the
    /// deployment manifest and a password file. Reads none of them.
    pub fn check_files(&self) -> Result<(), ConfigError> {
        files::check(self)
    }
}

/// The environment provider: `LODE_<SECTION>__<FIELD>` variables, which
/// override the file. Variables without `__` (`LODE_KEYSTORE_PASSWORD`,
/// `LODE_WORKSPACE`, `LODE_CONFIG`) are not config fields and are left alone.
pub fn env_overrides() -> Env {
    Env::prefixed(ENV_PREFIX).split(ENV_SEPARATOR).filter(|key| key.as_str().contains('.'))
}

fn read(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError::NotFound { path: path.to_path_buf() }),
        Err(source) => Err(ConfigError::Read { path: path.to_path_buf(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PasswordSource;
    use crate::store::StoreLocation;
    use crate::watcher::Confirmation;

    fn from_toml(text: &str) -> Result<Config, ConfigError> {
        Config::from_figment(&Figment::from(Toml::string(text)), Path::new("/etc/lode"))
    }

    #[test]
    fn an_empty_config_is_the_defaults_with_paths_at_the_config_directory() {
        let c = from_toml("").unwrap();
        assert_eq!(c.chain.endpoints.primary().as_str(), "ws://127.0.0.1:9944");
        assert_eq!(c.chain.request_timeout, std::time::Duration::from_secs(30));
        assert_eq!(c.deployment.manifest, Path::new("/etc/lode/deployment.json"));
        assert_eq!(c.keeper.keystore, Path::new("/etc/lode/keys/keeper.json"));
        assert_eq!(c.keeper.password, PasswordSource::Env(crate::keys::PASSWORD_ENV.into()));
        assert_eq!(c.store.location, StoreLocation::SqliteFile("/etc/lode/lode.db".into()));
        assert_eq!(c.watcher.confirmations, Confirmation::Finality);
        assert_eq!(c.http.listen, None);
        assert!(c.mining.enabled && c.mining.devices.is_empty());
        assert_eq!(c.log.format, LogFormat::Text);
        assert!(c.schedule.is_empty());
    }

    #[test]
    fn fields_become_typed_values() {
        let c = from_toml(
            "[watcher]\nconfirmations = 12\n[keeper]\npassword = { file = \"pw\" }\n[store]\nurl = \"/abs/k.db\"\n\
             [http]\nlisten = \"0.0.0.0:9615\"\n[mining]\ndevices = [\"ocl:0:1\", \"cpu\"]\n[schedule]\nreconcile = \"0 */5 * * * *\"\n",
        )
        .unwrap();
        assert_eq!(c.watcher.confirmations, Confirmation::Depth(12));
        assert_eq!(c.keeper.password, PasswordSource::File("/etc/lode/pw".into()));
        assert_eq!(c.store.location, StoreLocation::SqliteFile("/abs/k.db".into()));
        assert_eq!(c.http.listen, Some("0.0.0.0:9615".parse().unwrap()));
        assert_eq!(c.mining.devices, vec![lode_miner::DeviceId::OpenCl { platform: 0, device: 1 }, lode_miner::DeviceId::Cpu]);
        assert_eq!(c.schedule.get("reconcile").map(CronSchedule::as_str), Some("0 */5 * * * *"));
    }

    #[test]
    fn errors_name_the_field_and_are_one_line() {
        let e = from_toml("[chain]\nendpoints = [\"ws://a:1\", \"http://x\"]\n").unwrap_err();
        assert_eq!(e.field(), Some("chain.endpoints[1]"));
        let shown = e.to_string();
        assert!(shown.starts_with("config error in chain.endpoints[1] (in ") && !shown.contains('\n'), "{shown}");
        assert!(shown.ends_with("\"http://x\" is not a WebSocket URL; use ws:// or wss://"), "{shown}");
    }
}
