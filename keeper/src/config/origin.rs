//! Where a config value came from, so that an error points at the line to fix:
//! the file, or the environment variable that overrode it.

use std::fmt;
use std::path::PathBuf;

use figment::{Metadata, Source};

use super::{ENV_PREFIX, ENV_SEPARATOR};

/// The source of a config value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The config file.
    File(PathBuf),
    /// An environment variable, by name.
    Env(String),
    /// Another figment provider (tests use in-memory TOML), by its name.
    Other(String),
    /// Nobody set it: the built-in default.
    Default,
}

impl Origin {
    /// The origin figment recorded for a value at `path` (dotted keys, with
    /// array indices as their own components).
    pub(crate) fn of(metadata: Option<&Metadata>, path: &[String]) -> Origin {
        let Some(md) = metadata else { return Origin::Default };
        match &md.source {
            Some(Source::File(file)) => Origin::File(file.clone()),
            // figment's own interpolation gives `CHAIN.ENDPOINTS`, not the variable's name.
            _ if md.name.contains("environment variable") => Origin::Env(env_var(path)),
            _ => Origin::Other(md.name.to_string()),
        }
    }
}

/// The variable that sets `path`: the keys up to the first array index, since
/// a variable sets a whole array at once.
pub(crate) fn env_var(path: &[String]) -> String {
    let keys: Vec<String> = path.iter().take_while(|k| !k.bytes().all(|b| b.is_ascii_digit())).map(|k| k.to_ascii_uppercase()).collect();
    format!("{ENV_PREFIX}{}", keys.join(ENV_SEPARATOR))
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "in {}", path.display()),
            Origin::Env(var) => write!(f, "from environment variable {var}"),
            Origin::Other(name) => write!(f, "in {name}"),
            Origin::Default => f.write_str("the default"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_the_section_and_field_not_the_index() {
        let path = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(env_var(&path(&["chain", "endpoints", "1"])), "LODE_CHAIN__ENDPOINTS");
        assert_eq!(env_var(&path(&["watcher", "confirmations"])), "LODE_WATCHER__CONFIRMATIONS");
    }
}
