//! Connecting to a store and bringing its schema up to date.

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::MigrateError;
use sqlx::{AnyConnection, AnyPool, Connection as _};

use super::{migrations, Store, StoreError, StoreKind, StoreLocation};

/// With WAL, readers never block the writer, so a few connections serve the keeper's tasks;
/// writes still go one at a time, which `busy_timeout` waits out.
const SQLITE_POOL_SIZE: u32 = 4;
/// How long a SQLite statement waits for another connection's write lock before failing busy.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
const SQLITE_HINT: &str = "check the path is writable and on a local filesystem";

/// The keeper is one client among others on a shared server: stay well under `max_connections`.
const PG_POOL_SIZE: u32 = 5;
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const PG_HINT: &str = "is the server running and the URL right?";

/// Opens the store at `location` and applies any pending migrations.
pub(super) async fn open(location: &StoreLocation) -> Result<Store, StoreError> {
    install_drivers();
    // The redacted form: this string ends up in errors and logs.
    let described = location.to_string();
    let (pool, kind) = match location {
        StoreLocation::SqliteFile(path) => (open_sqlite(path, &described).await?, StoreKind::Sqlite),
        StoreLocation::Postgres(url) => (open_postgres(url, &described).await?, StoreKind::Postgres),
    };
    migrate(&pool, kind).await.map_err(|source| StoreError::Migrate { location: described.clone(), source })?;
    Ok(Store { pool, kind, location: described })
}

/// Applies pending migrations, once even when several keepers open a fresh store together.
async fn migrate(pool: &AnyPool, kind: StoreKind) -> Result<(), MigrateError> {
    let migrator = migrations::migrator(kind).await?;
    match kind {
        // The migrator takes an advisory lock around its work.
        StoreKind::Postgres => migrator.run(pool).await,
        // The migrator's lock is a no-op on SQLite, so two openers would both see the store
        // unmigrated and the second would fail with "table already exists". An IMMEDIATE
        // transaction takes SQLite's write lock up front: the second opener waits (up to
        // busy_timeout), then finds the migrations applied. The migrator's own transactions
        // nest inside as savepoints.
        StoreKind::Sqlite => {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            migrator.run(&mut tx).await?;
            tx.commit().await?;
            Ok(())
        }
    }
}

/// `AnyPool` finds its driver through a process-wide registry that must be filled first.
fn install_drivers() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(sqlx::any::install_default_drivers);
}

async fn open_sqlite(path: &Path, described: &str) -> Result<AnyPool, StoreError> {
    let fail = |source: sqlx::error::BoxDynError| StoreError::Open { location: described.to_string(), hint: SQLITE_HINT, source };
    // Absolute, so the store does not move if the keeper's working directory changes, and so
    // the URL below has no host part for a relative first segment to be mistaken for.
    let path = std::path::absolute(path).map_err(|e| fail(e.into()))?;
    if let Some(dir) = path.parent() {
        // std, not tokio::fs: a one-off mkdir at startup is too short to be worth a blocking
        // thread, and the keeper's tokio is built without the `fs` feature.
        std::fs::create_dir_all(dir)
            .map_err(|e| fail(io::Error::new(e.kind(), format!("cannot create its directory {}: {e}", dir.display())).into()))?;
    }
    let options: AnyConnectOptions = sqlite_url(&path).map_err(fail)?.parse().map_err(|e: sqlx::Error| fail(e.into()))?;
    AnyPoolOptions::new()
        .max_connections(SQLITE_POOL_SIZE)
        .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
        .after_connect(|conn, _meta| Box::pin(sqlite_pragmas(conn)))
        .connect_with(options)
        .await
        .map_err(|e| fail(e.into()))
}

/// Sets the per-connection SQLite options.
///
/// Why a hook and not URL parameters: `AnyConnectOptions` is only a URL, and the SQLite driver
/// rebuilds its options from that URL on every connect, accepting only `mode`, `cache`,
/// `immutable` and `vfs` (anything else is an "unknown query parameter" error). Options set
/// on a `SqliteConnectOptions` cannot be carried into an `AnyPool`. sqlx's SQLite defaults
/// happen to include `foreign_keys = ON` and a 5 s busy timeout, but not WAL; setting all three
/// here keeps the store's behaviour from depending on those defaults.
async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let busy = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}");
    sqlx::query(&busy).execute(&mut *conn).await?;
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
    // WAL is a property of the file and persists; asking again on each connection is a no-op
    // once set, and reports the mode actually in force (e.g. a filesystem without shared memory
    // support keeps the old one).
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL").fetch_one(&mut *conn).await?;
    if !mode.eq_ignore_ascii_case("wal") {
        let why = format!("SQLite would not switch to WAL journal mode (it stays in {mode:?} mode)");
        return Err(sqlx::Error::Configuration(why.into()));
    }
    Ok(())
}

/// The `sqlite://` URL for an absolute path. The driver percent-decodes the path, so every byte
/// that could be read as URL syntax (`%`, `?`, `#`, spaces) is encoded.
fn sqlite_url(path: &Path) -> Result<String, sqlx::error::BoxDynError> {
    let text = path.to_str().ok_or("the path is not valid UTF-8, which the SQLite driver requires")?;
    let mut url = String::from("sqlite://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            write!(url, "%{byte:02X}")?;
        }
    }
    url.push_str("?mode=rwc");
    Ok(url)
}

async fn open_postgres(url: &str, described: &str) -> Result<AnyPool, StoreError> {
    let fail = |source: sqlx::error::BoxDynError| StoreError::Open { location: described.to_string(), hint: PG_HINT, source };
    let options: AnyConnectOptions = url.parse().map_err(|e: sqlx::Error| fail(e.into()))?;
    // One direct connection first, because the pool retries a refused connection until its
    // acquire timeout and then reports only "pool timed out", hiding the cause.
    let probe = tokio::time::timeout(PG_CONNECT_TIMEOUT, AnyConnection::connect_with(&options))
        .await
        .map_err(|_| fail(io::Error::new(io::ErrorKind::TimedOut, format!("no answer within {PG_CONNECT_TIMEOUT:?}")).into()))?
        .map_err(|e| fail(e.into()))?;
    // The probe has done its job; a failure to say goodbye politely changes nothing.
    let _ = probe.close().await;
    AnyPoolOptions::new()
        .max_connections(PG_POOL_SIZE)
        .acquire_timeout(PG_CONNECT_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| fail(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_encodes_url_syntax_in_paths() {
        let url = sqlite_url(Path::new("/tmp/a b/c%d?e#f.db")).expect("utf-8 path");
        assert_eq!(url, "sqlite:///tmp/a%20b/c%25d%3Fe%23f.db?mode=rwc");
    }
}
