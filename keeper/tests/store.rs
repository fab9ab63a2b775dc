//! The store's behaviour, with each test body run on SQLite and on a real PostgreSQL.

#[macro_use]
mod support;

use lode_keeper::chain::BlockRef;
use lode_keeper::store::{Store, StoreError, StoreKind, StoreLocation};
use lode_keeper::watcher::Cursor;
use sqlx::AnyConnection;
use support::Fixture;

const GENESIS_A: [u8; 32] = [0xaa; 32];
const GENESIS_B: [u8; 32] = [0xbb; 32];

fn block(number: u64, fill: u8) -> BlockRef {
    BlockRef { number, hash: [fill; 32] }
}

async fn exec(conn: &mut AnyConnection, sql: &str) {
    sqlx::query(sql).execute(&mut *conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn migrations_apply_once_and_reopen_is_idempotent(fx: Fixture) {
    let store = fx.open().await;
    assert_eq!(store.kind(), fx.kind());
    store.close().await;
    let again = fx.open().await;
    again.save_cursor("c", &Cursor { confirmed: block(1, 1), finalized: None }).await.expect("save after reopen");
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut fx.raw().await)
        .await
        .expect("read migration history");
    // One row per embedded migration: extend this list with each new migration.
    assert_eq!(versions, vec![1, 2, 3, 4]);
}

async fn concurrent_opens_of_a_fresh_store_both_succeed(fx: Fixture) {
    let location = fx.location();
    let (a, b) = tokio::join!(Store::open(&location), Store::open(&location));
    a.expect("first open");
    b.expect("second open");
}

async fn cursor_round_trip_upsert_and_missing(fx: Fixture) {
    let store = fx.open().await;
    assert_eq!(store.cursor("blocks").await.expect("read"), None);

    let first = Cursor { confirmed: block(7, 1), finalized: None };
    store.save_cursor("blocks", &first).await.expect("save");
    assert_eq!(store.cursor("blocks").await.expect("read"), Some(first));

    let second = Cursor { confirmed: block(i64::MAX as u64, 2), finalized: Some(block(5, 3)) };
    store.save_cursor("blocks", &second).await.expect("overwrite");
    assert_eq!(store.cursor("blocks").await.expect("read"), Some(second));

    let back = Cursor { confirmed: block(8, 4), finalized: None };
    store.save_cursor("blocks", &back).await.expect("clear finalized");
    assert_eq!(store.cursor("blocks").await.expect("read"), Some(back));

    assert_eq!(store.cursor("other").await.expect("read"), None, "cursors are independent by name");
    store.close().await;
    assert_eq!(fx.open().await.cursor("blocks").await.expect("read after reopen"), Some(back));
}

async fn bind_chain_accepts_its_own_genesis_and_refuses_another(fx: Fixture) {
    let store = fx.open().await;
    assert_eq!(store.bound_chain().await.expect("read"), None);
    store.bind_chain(GENESIS_A).await.expect("first bind");
    store.bind_chain(GENESIS_A).await.expect("same genesis again");

    let err = store.bind_chain(GENESIS_B).await.expect_err("other genesis");
    match &err {
        StoreError::OtherChain { stored, given, .. } => assert_eq!((*stored, *given), (GENESIS_A, GENESIS_B)),
        other => panic!("expected OtherChain, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("belongs to another chain") && message.contains("fresh store"), "{message}");
    assert!(message.contains(&hex::encode(GENESIS_A)) && message.contains(&hex::encode(GENESIS_B)), "{message}");
    assert!(!err.retryable());
    assert_eq!(store.bound_chain().await.expect("read"), Some(GENESIS_A), "refusal changed the binding");

    store.close().await;
    let reopened = fx.open().await;
    reopened.bind_chain(GENESIS_A).await.expect("binding survives reopen");
    assert!(matches!(reopened.bind_chain(GENESIS_B).await, Err(StoreError::OtherChain { .. })));
}

async fn numbers_above_i64_max_are_refused_and_nothing_is_written(fx: Fixture) {
    let store = fx.open().await;
    let too_big = i64::MAX as u64 + 1;

    let err = store.save_cursor("new", &Cursor { confirmed: block(too_big, 1), finalized: None }).await.expect_err("too large");
    assert!(matches!(err, StoreError::TooLarge { value, .. } if value == too_big), "{err:?}");
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert_eq!(store.cursor("new").await.expect("read"), None);

    let kept = Cursor { confirmed: block(3, 1), finalized: Some(block(2, 2)) };
    store.save_cursor("old", &kept).await.expect("save");
    let err = store
        .save_cursor("old", &Cursor { confirmed: block(4, 1), finalized: Some(block(u64::MAX, 2)) })
        .await
        .expect_err("finalized too large");
    assert!(matches!(err, StoreError::TooLarge { value: u64::MAX, .. }), "{err:?}");
    assert_eq!(store.cursor("old").await.expect("read"), Some(kept));
}

async fn corrupt_rows_read_back_as_corrupt(fx: Fixture) {
    let store = fx.open().await;
    let mut raw = fx.raw_unchecked().await;
    let h32 = format!("{:064x}", 0);
    let h31 = "ab".repeat(31);
    let blob = |hex: &str| match fx.kind() {
        StoreKind::Sqlite => format!("X'{hex}'"),
        StoreKind::Postgres => format!("'\\x{hex}'::bytea"),
    };
    let insert = |name: &str, number: &str, hash: &str, fin_number: &str, fin_hash: &str| {
        format!("INSERT INTO cursors (name, number, hash, finalized_number, finalized_hash) VALUES ('{name}', {number}, {hash}, {fin_number}, {fin_hash})")
    };
    exec(&mut raw, &insert("short", "1", &blob(&h31), "NULL", "NULL")).await;
    exec(&mut raw, &insert("negative", "-1", &blob(&h32), "NULL", "NULL")).await;
    exec(&mut raw, &insert("half", "1", &blob(&h32), "1", "NULL")).await;
    exec(&mut raw, &insert("short_final", "1", &blob(&h32), "1", &blob(&h31))).await;
    exec(&mut raw, &format!("INSERT INTO chain_binding (id, genesis_hash) VALUES (1, {})", blob(&h31))).await;

    for (name, column) in [("short", "hash"), ("negative", "number"), ("half", "finalized_hash"), ("short_final", "finalized_hash")] {
        match store.cursor(name).await {
            Err(e @ StoreError::Corrupt { .. }) => {
                let StoreError::Corrupt { table, column: got, .. } = &e else { unreachable!() };
                assert_eq!((*table, *got), ("cursors", column), "{name}: {e}");
                assert!(!e.retryable());
                assert!(e.to_string().contains(&format!("cursors.{column}")), "{e}");
            }
            other => panic!("{name}: expected Corrupt, got {other:?}"),
        }
    }
    let err = store.bind_chain(GENESIS_A).await.expect_err("31-byte genesis");
    assert!(matches!(err, StoreError::Corrupt { table: "chain_binding", column: "genesis_hash", .. }), "{err:?}");
}

on_both_backends!(
    migrations_apply_once_and_reopen_is_idempotent,
    concurrent_opens_of_a_fresh_store_both_succeed,
    cursor_round_trip_upsert_and_missing,
    bind_chain_accepts_its_own_genesis_and_refuses_another,
    numbers_above_i64_max_are_refused_and_nothing_is_written,
    corrupt_rows_read_back_as_corrupt,
);

#[tokio::test]
async fn sqlite_store_is_in_wal_mode() {
    let fx = Fixture::sqlite();
    let _store = fx.open().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut fx.raw().await).await.expect("journal mode");
    assert_eq!(mode, "wal");
}

/// One line, naming the location, saying what to check.
fn assert_clear_open_error(err: &StoreError, location: &str, hint: &str) {
    let message = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(!message.contains('\n'), "{message}");
    assert!(message.starts_with(&format!("cannot open {location}: ")), "{message}");
    assert!(message.contains(hint), "{message}");
}

#[tokio::test]
async fn unwritable_sqlite_paths_give_a_clear_error() {
    for path in ["/proc/lode-no-such-dir/keeper.db", "/proc/keeper.db"] {
        let err = Store::open(&StoreLocation::SqliteFile(path.into())).await.expect_err(path);
        eprintln!("{err}");
        assert_clear_open_error(&err, &format!("SQLite store at {path}"), "check the path is writable");
        assert!(!err.retryable(), "{err:?}");
    }
}

#[tokio::test]
async fn unreachable_postgres_gives_a_clear_error_without_the_password() {
    // Bound and released: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let location = StoreLocation::parse(&format!("postgres://lode:sekrit@127.0.0.1:{port}/postgres")).expect("valid URL");
    let started = std::time::Instant::now();
    let err = Store::open(&location).await.expect_err("nothing listens");
    eprintln!("{err} (after {:?})", started.elapsed());
    assert_clear_open_error(&err, &format!("PostgreSQL store at 127.0.0.1:{port}/postgres"), "is the server running");
    assert!(!err.to_string().contains("sekrit"), "{err}");
    assert!(!format!("{err:?}").contains("sekrit"), "{err:?}");
    assert!(err.retryable(), "a refused connection may succeed once the server is up: {err:?}");
}

#[tokio::test]
async fn debug_output_never_shows_the_postgres_password() {
    let fx = Fixture::postgres();
    let Fixture::Postgres { server } = &fx else { unreachable!() };
    // Trust auth ignores the password, so the store opens and its Debug can be checked too.
    let url = format!("postgres://lode:sekrit@127.0.0.1:{}/postgres?password=sekrit2", server.port());
    let location = StoreLocation::parse(&url).expect("valid URL");
    let store = Store::open(&location).await.expect("open");
    for shown in [format!("{location:?}"), format!("{location}"), format!("{store:?}"), format!("{:#?}", store)] {
        assert!(!shown.contains("sekrit"), "{shown}");
    }
    assert!(format!("{location:?}").contains("lode:REDACTED@127.0.0.1"));
}
