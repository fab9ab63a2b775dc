//! What can be wrong with a config, said in one line that names the field,
//! where its value came from, and what is accepted instead.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::error::Kind;

use super::files::MissingFile;
use super::origin::Origin;

/// A config that cannot be used. Every message is a single line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file does not exist.
    #[error("config file {} does not exist; pass --config with the path of the keeper's TOML config (docs/config.md describes it)", path.display())]
    NotFound {
        /// The path that was given, made absolute.
        path: PathBuf,
    },
    /// The config file exists but cannot be read.
    #[error("cannot read config file {}: {source}; check the path and this user's permission to read it", path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {} is not valid TOML: line {line}, column {column}: {message}", path.display())]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The TOML parser's explanation, on one line.
        message: String,
    },
    /// A field has a value that is not accepted, or is not a known field.
    #[error("config error in {field} ({origin}): {message}")]
    Field {
        /// The dotted path of the field, with indices: `chain.endpoints[1]`.
        field: String,
        /// Where the value came from.
        origin: Origin,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// A problem figment could not tie to a field.
    #[error("config error ({origin}): {message}")]
    Invalid {
        /// Where the problem came from.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// Files the config names do not exist (or are not files).
    #[error("config error: {}", MissingList(.0))]
    MissingFiles(Vec<MissingFile>),
}

impl ConfigError {
    /// A field error from figment's extraction, which carries the field's path
    /// and the provider of the value.
    pub(crate) fn from_figment(error: figment::Error) -> ConfigError {
        // Extraction stops at the first error, so the chain has one link; take
        // the first if ever there are more.
        let error = error.into_iter().next().unwrap_or_else(|| figment::Error::from("invalid configuration"));
        let origin = Origin::of(error.metadata.as_ref(), &error.path);
        let message = describe(&error.kind, &error.path);
        if error.path.is_empty() {
            return ConfigError::Invalid { origin, message: one_line(&message) };
        }
        ConfigError::Field { field: field_path(&error.path), origin, message: one_line(&message) }
    }

    /// A [`ConfigError::Syntax`] for `error` in `text`, read from `path`.
    pub(crate) fn syntax(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
        let offset = error.span().map_or(0, |s| s.start).min(text.len());
        let before = &text.as_bytes()[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = offset - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        ConfigError::Syntax { path: path.to_path_buf(), line, column, message: one_line(error.message()) }
    }

    /// The dotted path of the field this error is about, if it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Field { field, .. } => Some(field),
            ConfigError::MissingFiles(files) => files.first().map(|f| f.field),
            _ => None,
        }
    }
}

/// `chain.endpoints[1]` from `["chain", "endpoints", "1"]`.
pub(crate) fn field_path(path: &[String]) -> String {
    let mut out = String::new();
    for key in path {
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{key}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        }
    }
    out
}

fn describe(kind: &Kind, path: &[String]) -> String {
    match kind {
        Kind::Message(message) => message.clone(),
        Kind::UnknownField(field, expected) if path.len() <= 1 => {
            format!("`{field}` is not a section; the sections are {}", one_of(expected))
        }
        Kind::UnknownField(field, []) => format!("unknown field `{field}`; this takes no fields"),
        Kind::UnknownField(field, expected) => format!("unknown field `{field}`; the fields here are {}", one_of(expected)),
        Kind::UnknownVariant(found, expected) => format!("`{found}` is not accepted; use {}", one_of(expected)),
        // serde's word for a list; TOML and the environment write one in brackets.
        Kind::InvalidType(found, expected) if expected == "a sequence" => {
            format!("expected a list in brackets, e.g. [\"a\", \"b\"], found {found}")
        }
        Kind::InvalidType(found, expected) => format!("expected {expected}, found {found}"),
        Kind::InvalidValue(found, expected) => format!("{found} is not accepted; expected {expected}"),
        Kind::InvalidLength(found, expected) => format!("expected {expected}, found {found} items"),
        Kind::MissingField(field) => format!("`{field}` is missing"),
        Kind::DuplicateField(field) => format!("`{field}` is given twice"),
        other => other.to_string(),
    }
}

fn one_of(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Parser messages sometimes span lines; an error here is always one.
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

struct MissingList<'a>(&'a [MissingFile]);

impl fmt::Display for MissingList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, file) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{file}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_show_indices_in_brackets() {
        let path = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(field_path(&path(&["chain", "endpoints", "1"])), "chain.endpoints[1]");
        assert_eq!(field_path(&path(&["watcher", "confirmations"])), "watcher.confirmations");
    }

    #[test]
    fn syntax_errors_point_at_the_line_in_one_line() {
        let text = "[chain]\nendpoints = [\"ws://a:1\"\nx = 1\n";
        let e = text.parse::<toml::Table>().unwrap_err();
        let shown = ConfigError::syntax(Path::new("/c/lode.toml"), text, &e).to_string();
        assert!(shown.starts_with("config file /c/lode.toml is not valid TOML: line "), "{shown}");
        assert!(!shown.contains('\n'), "{shown}");
    }
}
