//! The files a config names must exist before the keeper starts: checked
//! without reading them (no decryption, no parsing).

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::Config;
use crate::keys::PasswordSource;

/// A file the config names that is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFile {
    /// The field naming it: `keeper.keystore`.
    pub field: &'static str,
    /// The path, resolved.
    pub path: PathBuf,
    /// What is wrong and what to do.
    pub why: String,
}

impl fmt::Display for MissingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} {}", self.field, self.path.display(), self.why)
    }
}

/// Every missing file, in one error.
pub(crate) fn check(config: &Config) -> Result<(), ConfigError> {
    let mut wanted: Vec<(&'static str, &Path, &str)> = vec![
        ("keeper.keystore", &config.keeper.keystore, "create a keystore with `lode keys new <name> --dir <dir>`, or fix the path"),
        ("deployment.manifest", &config.deployment.manifest, "`lode deploy` writes it; or fix the path"),
    ];
    if let PasswordSource::File(path) = &config.keeper.password {
        wanted.push(("keeper.password", path, "write the keystore password into it, or fix the path"));
    }
    let missing: Vec<MissingFile> = wanted
        .into_iter()
        .filter_map(|(field, path, hint)| problem(path, hint).map(|why| MissingFile { field, path: path.to_path_buf(), why }))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::MissingFiles(missing))
    }
}

fn problem(path: &Path, hint: &str) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => None,
        Ok(_) => Some(format!("is not a regular file; {hint}")),
        Err(e) if e.kind() == ErrorKind::NotFound => Some(format!("does not exist; {hint}")),
        Err(e) => Some(format!("cannot be checked ({e}); check this user's permission to read it")),
    }
}
