//! Where a store lives, and how to name it without leaking a password.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use sqlx::any::AnyConnectOptions;

use super::StoreError;

/// PostgreSQL's default port, shown when a URL gives none.
const PG_DEFAULT_PORT: u16 = 5432;

/// Where the keeper's store lives.
///
/// `Display` gives the form used in messages (`SQLite store at /path`, `PostgreSQL store at
/// host:port/db`); `Debug` shows the full URL with any password shown as `REDACTED`. Neither shows a password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite database file; created, with its parent directory, if missing.
    SqliteFile(PathBuf),
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl StoreLocation {
    /// Parses a `postgres://` or `postgresql://` URL, a `sqlite://path` (or `sqlite:path`) URL,
    /// or a plain file path, which means SQLite.
    pub fn parse(text: &str) -> Result<StoreLocation, StoreError> {
        let bad = |why: &str| StoreError::Location { why: why.to_string() };
        if text.is_empty() {
            return Err(bad("it is empty"));
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            // Validate now so a typo is reported at startup, not at first connect. The URL
            // parser's messages never echo the input, so no password can leak through them.
            text.parse::<AnyConnectOptions>().map_err(|e| bad(&format!("not a valid PostgreSQL URL ({e})")))?;
            return Ok(StoreLocation::Postgres(text.to_string()));
        }
        if let Some(rest) = lower.strip_prefix("sqlite:") {
            let path = &text[text.len() - rest.len()..];
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.contains('?') {
                return Err(bad("sqlite:// URLs take no options here (the store sets its own); give just the path"));
            }
            if path.is_empty() || path == ":memory:" {
                return Err(bad("an in-memory SQLite store would lose the cursors on exit; give a file path"));
            }
            return Ok(StoreLocation::SqliteFile(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
                return Err(bad(&format!("the {scheme}:// scheme is not supported")));
            }
        }
        Ok(StoreLocation::SqliteFile(PathBuf::from(text)))
    }
}

impl FromStr for StoreLocation {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        StoreLocation::parse(text)
    }
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::SqliteFile(path) => write!(f, "SQLite store at {}", path.display()),
            StoreLocation::Postgres(url) => match url.parse::<AnyConnectOptions>() {
                Ok(opts) => {
                    let url = opts.database_url;
                    let query = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
                    let host = url.host_str().filter(|h| !h.is_empty()).map(str::to_string).or_else(|| query("host"));
                    let host = host.unwrap_or_else(|| "localhost".to_string());
                    let port = url.port().unwrap_or(PG_DEFAULT_PORT);
                    let db = url.path().trim_start_matches('/');
                    write!(f, "PostgreSQL store at {host}:{port}")?;
                    if !db.is_empty() {
                        write!(f, "/{db}")?;
                    }
                    Ok(())
                }
                Err(_) => f.write_str("PostgreSQL store at <unparseable URL>"),
            },
        }
    }
}

impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::SqliteFile(path) => f.debug_tuple("SqliteFile").field(path).finish(),
            StoreLocation::Postgres(url) => f.debug_tuple("Postgres").field(&redacted_url(url)).finish(),
        }
    }
}

/// The URL with the userinfo password and any `*password*` query parameter replaced.
/// An unparseable URL is not shown at all: it may hold a password in a place we cannot find.
fn redacted_url(url: &str) -> String {
    // URL-safe, so it shows as is rather than percent-encoded.
    const MASK: &str = "REDACTED";
    let Ok(opts) = url.parse::<AnyConnectOptions>() else {
        return "<unparseable URL>".to_string();
    };
    let mut url = opts.database_url;
    if url.password().is_some() && url.set_password(Some(MASK)).is_err() {
        return "<unparseable URL>".to_string();
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret = k.to_ascii_lowercase().contains("password");
                (k.into_owned(), if secret { MASK.to_string() } else { v.into_owned() })
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> StoreLocation {
        match StoreLocation::parse(text) {
            Ok(location) => location,
            Err(e) => panic!("{text:?} should parse: {e}"),
        }
    }

    #[test]
    fn plain_paths_and_sqlite_urls_are_sqlite_files() {
        assert_eq!(parse("/var/lib/lode/k.db"), StoreLocation::SqliteFile("/var/lib/lode/k.db".into()));
        assert_eq!(parse("k.db"), StoreLocation::SqliteFile("k.db".into()));
        assert_eq!(parse("sqlite:///var/k.db"), StoreLocation::SqliteFile("/var/k.db".into()));
        assert_eq!(parse("sqlite://rel/k.db"), StoreLocation::SqliteFile("rel/k.db".into()));
        assert_eq!(parse("SQLite:k.db"), StoreLocation::SqliteFile("k.db".into()));
    }

    #[test]
    fn postgres_urls_are_postgres() {
        for url in ["postgres://u@h/db", "postgresql://u:p@h:5433/db", "POSTGRES://h"] {
            assert!(matches!(parse(url), StoreLocation::Postgres(_)), "{url}");
        }
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        for text in ["", "sqlite::memory:", "sqlite://", "sqlite://k.db?mode=ro", "mysql://h/db", "postgres://h:notaport/db"] {
            let err = StoreLocation::parse(text).expect_err(text).to_string();
            assert!(err.starts_with("bad store location: "), "{err}");
        }
    }

    #[test]
    fn display_names_host_port_and_database_only() {
        assert_eq!(
            parse("postgres://u:secret@db.example:6000/lode?sslmode=require").to_string(),
            "PostgreSQL store at db.example:6000/lode"
        );
        assert_eq!(parse("postgresql://u:secret@db.example/lode").to_string(), "PostgreSQL store at db.example:5432/lode");
        assert_eq!(parse("postgres:///lode?host=/run/postgresql").to_string(), "PostgreSQL store at /run/postgresql:5432/lode");
        assert_eq!(parse("/x/k.db").to_string(), "SQLite store at /x/k.db");
    }

    #[test]
    fn debug_redacts_passwords_in_userinfo_and_query() {
        let shown = format!("{:?}", parse("postgres://lode:hunter2@h:5432/db?password=hunter3&sslmode=require"));
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(shown.contains("lode:REDACTED@h:5432/db"), "{shown}");
        assert!(shown.contains("sslmode=require"), "{shown}");
        // Built directly, so never validated: still not shown.
        let raw = format!("{:?}", StoreLocation::Postgres("postgres://u:hunter2@h:port/db".into()));
        assert!(!raw.contains("hunter"), "{raw}");
    }
}
