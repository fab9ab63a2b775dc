//! What validation needs beyond the values: the directory relative paths are
//! taken from, and figment's record of where each value came from, for errors
//! found after extraction (a duplicate endpoint, an empty list).

use std::path::{Path, PathBuf};

use figment::Figment;

use super::error::ConfigError;
use super::origin::Origin;

/// Resolves paths and names origins while a raw config is validated.
pub(crate) struct Resolver<'a> {
    figment: &'a Figment,
    base: &'a Path,
}

impl<'a> Resolver<'a> {
    /// Relative paths resolve against `base`.
    pub(crate) fn new(figment: &'a Figment, base: &'a Path) -> Self {
        Resolver { figment, base }
    }

    /// `path` made relative to the config file's directory, unless absolute.
    pub(crate) fn path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        }
    }

    /// Where the value at the dotted `key` came from.
    pub(crate) fn origin(&self, key: &str) -> Origin {
        let path: Vec<String> = key.split('.').map(str::to_owned).collect();
        Origin::of(self.figment.find_metadata(key), &path)
    }

    /// An error in `field` (`chain.endpoints[1]`), whose value is at `key` (`chain.endpoints`).
    pub(crate) fn error(&self, key: &str, field: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Field { field: field.into(), origin: self.origin(key), message: message.into() }
    }
}
