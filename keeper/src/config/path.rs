//! File paths as written in the config: non-empty, and relative to the config
//! file's directory until [`super::resolve::Resolver::path`] resolves them.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::text::{deserialize_as_text, TextValue};

/// A path as written: not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawPath(PathBuf);

impl RawPath {
    pub(crate) fn as_path(&self) -> &Path {
        &self.0
    }
}

impl From<&str> for RawPath {
    fn from(path: &str) -> Self {
        RawPath(PathBuf::from(path))
    }
}

/// An empty path.
#[derive(Debug, thiserror::Error)]
#[error("the path is empty; give a file path (relative paths start at the config file's directory)")]
pub(crate) struct EmptyPath;

impl FromStr for RawPath {
    type Err = EmptyPath;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim().is_empty() {
            return Err(EmptyPath);
        }
        Ok(RawPath(PathBuf::from(text)))
    }
}

impl TextValue for RawPath {
    const EXPECTING: &'static str = "a file path";
}

deserialize_as_text!(RawPath);
