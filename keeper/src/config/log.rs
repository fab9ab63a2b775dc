//! `[log]`: how the keeper logs. The `--log-format` flag takes the same
//! [`LogFormat`].

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

use super::text::{deserialize_as_text, TextValue};

/// Log output settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Human-readable lines or JSON objects.
    pub format: LogFormat,
    /// Which events to log.
    pub filter: LogFilter,
}

/// How log events are written (always to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Not a log format.
#[derive(Debug, thiserror::Error)]
#[error("\"{0}\" is not a log format; use \"text\" or \"json\"")]
pub struct BadLogFormat(String);

impl FromStr for LogFormat {
    type Err = BadLogFormat;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(BadLogFormat(text.escape_debug().to_string())),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

impl TextValue for LogFormat {
    const EXPECTING: &'static str = "\"text\" or \"json\"";
}

deserialize_as_text!(LogFormat);

/// A `tracing` filter directive (`info`, `warn,lode_keeper=debug`), known to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter(String);

/// Not a filter directive.
#[derive(Debug, thiserror::Error)]
#[error("\"{text}\" is not a log filter ({why}); give a level (error, warn, info, debug, trace) or directives such as \"info,lode_keeper=debug\"")]
pub struct BadLogFilter {
    text: String,
    why: String,
}

impl LogFilter {
    /// The directive as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `tracing-subscriber` filter for it.
    pub fn to_env_filter(&self) -> EnvFilter {
        // `from_str` parsed it already, so the fallback (errors only) is never used.
        EnvFilter::builder().parse(&self.0).unwrap_or_else(|_| EnvFilter::new("error"))
    }
}

impl Default for LogFilter {
    fn default() -> Self {
        LogFilter("info".to_owned())
    }
}

impl FromStr for LogFilter {
    type Err = BadLogFilter;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: String| BadLogFilter { text: text.escape_debug().to_string(), why };
        if text.trim().is_empty() {
            return Err(bad("it is empty".to_owned()));
        }
        EnvFilter::builder().parse(text).map_err(|e| bad(e.to_string()))?;
        Ok(LogFilter(text.to_owned()))
    }
}

impl fmt::Display for LogFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TextValue for LogFilter {
    const EXPECTING: &'static str = "a log filter such as \"info\"";
}

deserialize_as_text!(LogFilter);

/// `[log]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawLog {
    format: LogFormat,
    filter: LogFilter,
}

impl RawLog {
    pub(crate) fn validate(self) -> LogConfig {
        LogConfig { format: self.format, filter: self.filter }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_or_say_why_not() {
        for good in ["info", "warn,lode_keeper=debug", "lode_keeper::watcher=trace"] {
            assert_eq!(good.parse::<LogFilter>().unwrap().as_str(), good);
        }
        for bad in ["", "info,lode=loud", "lode=[{"] {
            let e = bad.parse::<LogFilter>().unwrap_err().to_string();
            assert!(e.contains("is not a log filter") && e.contains("info"), "{bad}: {e}");
        }
    }
}
