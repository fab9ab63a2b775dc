//! Shared test support: a store on each backend, and raw access for planting bad rows.

// Each test binary uses its own subset of the helpers.
#![allow(dead_code)]

pub mod deployed;
pub mod pg_server;

/// Runs each named `async fn(Fixture)` as two tests, `sqlite::name` and `postgres::name`.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $test() { super::$test(super::Fixture::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $test() { super::$test(super::Fixture::postgres()).await })*
        }
    };
}

use std::path::PathBuf;

use lode_keeper::store::{Store, StoreKind, StoreLocation};
use sqlx::{AnyConnection, Connection as _};
use tempfile::TempDir;

use pg_server::PgServer;

/// An empty store location on one backend, cleaned up when dropped.
pub enum Fixture {
    /// A SQLite file in a fresh temporary directory (not yet created: the store creates it).
    Sqlite { _dir: TempDir, path: PathBuf },
    /// A fresh PostgreSQL server of this test's own.
    Postgres { server: PgServer },
}

impl Fixture {
    /// A SQLite location in a new temporary directory.
    pub fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        // A subdirectory, so every test also covers creating the parent directory.
        let path = dir.path().join("state").join("keeper.db");
        Fixture::Sqlite { _dir: dir, path }
    }

    /// A new PostgreSQL server; fails the test, with the reason, when none can start.
    pub fn postgres() -> Fixture {
        match PgServer::start() {
            Ok(server) => {
                eprintln!("PostgreSQL started on port {} in {:?}", server.port(), server.startup);
                Fixture::Postgres { server }
            }
            Err(e) => panic!("cannot start a PostgreSQL server for this test: {e}"),
        }
    }

    /// Which backend this is.
    pub fn kind(&self) -> StoreKind {
        match self {
            Fixture::Sqlite { .. } => StoreKind::Sqlite,
            Fixture::Postgres { .. } => StoreKind::Postgres,
        }
    }

    /// Where the store lives.
    pub fn location(&self) -> StoreLocation {
        match self {
            Fixture::Sqlite { path, .. } => StoreLocation::SqliteFile(path.clone()),
            Fixture::Postgres { server } => StoreLocation::Postgres(server.url()),
        }
    }

    /// Opens the store, failing the test with the store's own message.
    pub async fn open(&self) -> Store {
        match Store::open(&self.location()).await {
            Ok(store) => store,
            Err(e) => panic!("opening {}: {e}", self.location()),
        }
    }

    /// A raw connection to the store's database, bypassing the store.
    pub async fn raw(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        let url = match self {
            Fixture::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Fixture::Postgres { server } => server.url(),
        };
        AnyConnection::connect(&url).await.expect("raw connection")
    }

    /// A raw connection on which the schema's CHECK constraints no longer hold, to plant rows
    /// that the keeper could never write itself (as a hand edit or another program could).
    pub async fn raw_unchecked(&self) -> AnyConnection {
        let mut conn = self.raw().await;
        let sql = match self {
            Fixture::Sqlite { .. } => "PRAGMA ignore_check_constraints = ON",
            Fixture::Postgres { .. } => {
                "DO $$ DECLARE c record; BEGIN \
                   FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint \
                            WHERE contype = 'c' AND connamespace = 'public'::regnamespace LOOP \
                     EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname); \
                   END LOOP; END $$"
            }
        };
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("disable CHECK constraints");
        conn
    }
}
