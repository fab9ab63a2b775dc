//! The schema migrations, embedded in the binary, one list per backend.
//!
//! The DDL differs per backend (`BLOB` vs `BYTEA`, `STRICT` tables), so each backend has its own
//! files; both lists must carry the same versions and descriptions so a store's history reads the
//! same whichever backend holds it. Migrations are additive: never edit an applied one (sqlx
//! checks its checksum and refuses to start), add a new version instead.

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use super::StoreKind;

/// One migration as compiled into the binary.
#[derive(Debug)]
struct Embedded {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

const SQLITE: &[Embedded] = &[
    Embedded { version: 1, description: "init", sql: include_str!("../../migrations/sqlite/0001_init.sql") },
    Embedded { version: 2, description: "settlement", sql: include_str!("../../migrations/sqlite/0002_settlement.sql") },
    Embedded { version: 3, description: "audit", sql: include_str!("../../migrations/sqlite/0003_audit.sql") },
    Embedded { version: 4, description: "alerts", sql: include_str!("../../migrations/sqlite/0004_alerts.sql") },
    Embedded { version: 5, description: "payouts", sql: include_str!("../../migrations/sqlite/0005_payouts.sql") },
];

const POSTGRES: &[Embedded] = &[
    Embedded { version: 1, description: "init", sql: include_str!("../../migrations/postgres/0001_init.sql") },
    Embedded { version: 2, description: "settlement", sql: include_str!("../../migrations/postgres/0002_settlement.sql") },
    Embedded { version: 3, description: "audit", sql: include_str!("../../migrations/postgres/0003_audit.sql") },
    Embedded { version: 4, description: "alerts", sql: include_str!("../../migrations/postgres/0004_alerts.sql") },
    Embedded { version: 5, description: "payouts", sql: include_str!("../../migrations/postgres/0005_payouts.sql") },
];

/// A [`MigrationSource`] over a compiled-in list, because `sqlx::migrate!` needs the `macros`
/// feature, which the keeper leaves off to keep build times down.
#[derive(Debug)]
struct EmbeddedSource(&'static [Embedded]);

impl MigrationSource<'static> for EmbeddedSource {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|m| Migration::new(m.version, Cow::Borrowed(m.description), MigrationType::Simple, Cow::Borrowed(m.sql), false))
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

/// The migrator for one backend.
pub(super) async fn migrator(kind: StoreKind) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(EmbeddedSource(list(kind))).await
}

fn list(kind: StoreKind) -> &'static [Embedded] {
    match kind {
        StoreKind::Sqlite => SQLITE,
        StoreKind::Postgres => POSTGRES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_history() {
        let names = |l: &[Embedded]| l.iter().map(|m| (m.version, m.description)).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
    }

    #[test]
    fn versions_are_strictly_increasing_from_one() {
        for l in [SQLITE, POSTGRES] {
            let versions: Vec<i64> = l.iter().map(|m| m.version).collect();
            let expected: Vec<i64> = (1..).take(versions.len()).collect();
            assert_eq!(versions, expected);
        }
    }
}
