//! What can go wrong with the store, said so that an operator knows what to do next.

use std::io::ErrorKind;

use sqlx::error::BoxDynError;
use sqlx::migrate::MigrateError;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// An error from the keeper's SQL store.
///
/// Locations in messages are always the redacted form (see [`super::StoreLocation`]'s
/// `Display`), so no message carries a PostgreSQL password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store location could not be understood.
    #[error("bad store location: {why}; give a file path, a sqlite:// URL or a postgres:// URL")]
    Location {
        /// What is wrong with it.
        why: String,
    },

    /// The store could not be opened or connected to.
    #[error("cannot open {location}: {source}; {hint}")]
    Open {
        /// The redacted location, e.g. `SQLite store at /var/lib/lode/keeper.db`.
        location: String,
        /// What the operator should check.
        hint: &'static str,
        /// The underlying failure: a [`sqlx::Error`], or a [`std::io::Error`] from preparing
        /// the SQLite file's directory.
        #[source]
        source: BoxDynError,
    },

    /// The schema migrations could not be applied.
    #[error("cannot migrate {location}: {source}; {}", migrate_hint(.source))]
    Migrate {
        /// The redacted location.
        location: String,
        /// The underlying failure.
        #[source]
        source: MigrateError,
    },

    /// A query failed.
    #[error("store query failed while {what}: {source}")]
    Query {
        /// What the store was doing, e.g. `reading cursor "blocks"`.
        what: String,
        /// The underlying failure.
        #[source]
        source: sqlx::Error,
    },

    /// The store was bound to another chain than the one the keeper is now pointed at.
    #[error(
        "the {location} belongs to another chain (genesis 0x{}), but this chain's genesis is 0x{}; \
         use a fresh store (another path or database) for this chain",
        hex::encode(.stored),
        hex::encode(.given)
    )]
    OtherChain {
        /// The redacted location.
        location: String,
        /// The genesis hash recorded in the store.
        stored: [u8; 32],
        /// The genesis hash the keeper asked to bind.
        given: [u8; 32],
    },

    /// A value does not fit the store's column type. Nothing was written.
    #[error("{what} is {value}, above the largest value the store holds ({}); nothing was written", i64::MAX)]
    TooLarge {
        /// Which value, e.g. `block number of cursor "blocks"`.
        what: String,
        /// The value that was refused.
        value: u64,
    },

    /// Another keeper holds the lease on this work now; nothing was written.
    #[error("another keeper took over {what} (its lease had run out); this keeper leaves it alone")]
    LeaseLost {
        /// Which work, e.g. `batch 0x1a2b…`.
        what: String,
    },

    /// A stored value is not one the keeper could have written.
    #[error(
        "store column {table}.{column} holds a bad value: {why}; the store is damaged or was written by \
         something else: restore it from a backup or start a fresh store"
    )]
    Corrupt {
        /// The table holding the value.
        table: &'static str,
        /// The column holding the value.
        column: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

impl StoreError {
    /// Whether trying the same operation again later may succeed: true for lost or refused
    /// connections, pool and lock timeouts, and serialization conflicts; false for anything
    /// that the same input would hit again (constraints, corrupt rows, wrong chain, bad SQL).
    pub fn retryable(&self) -> bool {
        match self {
            StoreError::Open { source, .. } => {
                if let Some(e) = source.downcast_ref::<sqlx::Error>() {
                    sqlx_retryable(e)
                } else {
                    source.downcast_ref::<std::io::Error>().is_some_and(io_retryable)
                }
            }
            StoreError::Query { source, .. } => sqlx_retryable(source),
            StoreError::Migrate { source, .. } => match source {
                MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => sqlx_retryable(e),
                _ => false,
            },
            StoreError::Location { .. }
            | StoreError::OtherChain { .. }
            | StoreError::TooLarge { .. }
            | StoreError::LeaseLost { .. }
            | StoreError::Corrupt { .. } => false,
        }
    }
}

/// Classifies a driver error as transient or not.
fn sqlx_retryable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Io(e) => io_retryable(e),
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                pg_code_retryable(pg.code())
            } else if let Some(lite) = db.try_downcast_ref::<SqliteError>() {
                sqlx::error::DatabaseError::code(lite).and_then(|c| c.parse::<i32>().ok()).is_some_and(sqlite_code_retryable)
            } else {
                false
            }
        }
        _ => false,
    }
}

/// Socket failures that a later try may not hit; permission or missing-file errors would recur.
fn io_retryable(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::BrokenPipe
            | ErrorKind::TimedOut
            | ErrorKind::UnexpectedEof
            | ErrorKind::Interrupted
    )
}

/// SQLSTATEs that mean "the server or this transaction hit a passing condition".
fn pg_code_retryable(code: &str) -> bool {
    // Class 08: connection exceptions.
    code.starts_with("08")
        || matches!(
            code,
            "40001" // serialization_failure
                | "40P01" // deadlock_detected
                | "53300" // too_many_connections
                | "57P01" // admin_shutdown
                | "57P02" // crash_shutdown
                | "57P03" // cannot_connect_now (server starting up)
        )
}

/// SQLite reports extended result codes; the primary code is the low byte.
fn sqlite_code_retryable(code: i32) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)
}

/// What an operator should do about a failed migration.
fn migrate_hint(error: &MigrateError) -> &'static str {
    match error {
        MigrateError::VersionMissing(_) | MigrateError::VersionTooNew(..) => {
            "the store was written by a newer keeper: run that version, or use a fresh store"
        }
        MigrateError::VersionMismatch(_) => "an applied migration was edited afterwards: this keeper build is broken, report it",
        MigrateError::Dirty(_) => "an earlier migration failed half-way: restore the store from a backup or start a fresh one",
        MigrateError::Execute(_) => "check that the store is reachable and writable, then retry",
        _ => "this keeper build's migrations are broken, report it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_busy_and_locked_are_retryable_with_extended_codes() {
        assert!(sqlite_code_retryable(5));
        assert!(sqlite_code_retryable(517)); // SQLITE_BUSY_SNAPSHOT
        assert!(sqlite_code_retryable(6));
        assert!(!sqlite_code_retryable(19)); // SQLITE_CONSTRAINT
        assert!(!sqlite_code_retryable(2067)); // SQLITE_CONSTRAINT_UNIQUE
    }

    #[test]
    fn pg_connection_class_is_retryable_constraints_are_not() {
        assert!(pg_code_retryable("08006"));
        assert!(pg_code_retryable("57P03"));
        assert!(!pg_code_retryable("23505")); // unique_violation
        assert!(!pg_code_retryable("23514")); // check_violation
    }

    #[test]
    fn timeouts_retry_corruption_does_not() {
        let timeout = StoreError::Query { what: "x".into(), source: sqlx::Error::PoolTimedOut };
        assert!(timeout.retryable());
        let corrupt = StoreError::Corrupt { table: "t", column: "c", why: "w".into() };
        assert!(!corrupt.retryable());
        let denied = StoreError::Open { location: "x".into(), hint: "h", source: std::io::Error::from(ErrorKind::PermissionDenied).into() };
        assert!(!denied.retryable());
        let refused = StoreError::Open {
            location: "x".into(),
            hint: "h",
            source: Box::new(sqlx::Error::Io(std::io::Error::from(ErrorKind::ConnectionRefused))),
        };
        assert!(refused.retryable());
    }
}
