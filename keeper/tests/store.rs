//! The store's behaviour, with each test body run on SQLite and on a real PostgreSQL.

#[macro_use]
mod support;

use lode_keeper::chain::{AccountId, BlockRef, SignedTx};
use lode_keeper::store::{NewPayoutRow, PayoutState, RowOutcome, Store, StoreError, StoreKind, StoreLocation, Submission};
use lode_keeper::watcher::Cursor;
use lode_splitter::Asset;
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
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);
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

/// Payout rows: written whole (in chunks past 500), claimed once per send,
/// settled only by the extrinsic that last carried them.
async fn payout_rows_are_claimed_once_and_settled_by_their_own_extrinsic(fx: Fixture) {
    let store = fx.open().await;
    let payer = AccountId([9; 32]);
    let rows: Vec<NewPayoutRow> = (1..=1_201u64)
        .map(|line| NewPayoutRow {
            line,
            account: AccountId([(line % 200) as u8; 32]),
            asset: if line % 2 == 0 { Asset::Lode } else { Asset::Native },
            amount: u128::from(line) * 1_000_000_000_000_000_000_000,
            reference: (line % 3 == 0).then(|| format!("ref-{line}")),
        })
        .collect();
    assert_eq!(store.register_payout("p", [1; 32], payer, &rows, 5).await.unwrap(), None, "new");
    let known = store.register_payout("p", [2; 32], payer, &rows[..1], 6).await.unwrap();
    assert_eq!(known.map(|(digest, _)| digest), Some([1; 32]), "known: its digest, nothing written");
    assert_eq!(known.map(|(_, registered)| registered), Some(payer));
    let read = store.payout_rows("p").await.unwrap();
    assert_eq!(read.iter().map(|r| r.row.clone()).collect::<Vec<_>>(), rows, "every row back, by line, u128 amounts intact");
    assert!(read.iter().all(|r| r.state == PayoutState::Pending && r.submission.is_none() && r.attempts == 0));

    let a = SignedTx { hash: [0xa1; 32], signer: payer, nonce: 7 };
    store.record_payout_sent("p", &[1, 2, 3], &a, 40).await.unwrap();
    // Another run claiming line 3 again: refused, and its line 4 stays pending.
    let b = SignedTx { hash: [0xb2; 32], signer: payer, nonce: 8 };
    let err = store.record_payout_sent("p", &[4, 3], &b, 41).await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err:?}");
    let read = store.payout_rows("p").await.unwrap();
    assert_eq!(read[3].state, PayoutState::Pending, "the refused claim wrote nothing");
    assert_eq!(read[2].submission, Some(Submission { tx: a, sent_at_block: 40 }));
    assert_eq!((read[2].state, read[2].attempts), (PayoutState::Sent, 1));

    let at = block(42, 0x42);
    // Outcomes from another extrinsic than the one carrying the row change nothing.
    store.record_payout_outcomes("p", &b.hash, &[(1, RowOutcome::Paid(at))]).await.unwrap();
    assert_eq!(store.payout_rows("p").await.unwrap()[0].state, PayoutState::Sent);
    let outcomes =
        [(1, RowOutcome::Paid(at)), (2, RowOutcome::Failed(at, "Token::BelowMinimum".into())), (3, RowOutcome::Unsent("lost".into()))];
    store.record_payout_outcomes("p", &a.hash, &outcomes).await.unwrap();
    let read = store.payout_rows("p").await.unwrap();
    assert_eq!((read[0].state, read[0].block, read[0].error.as_deref()), (PayoutState::Paid, Some(at), None));
    assert_eq!((read[1].state, read[1].error.as_deref()), (PayoutState::Failed, Some("Token::BelowMinimum")));
    assert_eq!((read[2].state, read[2].block, read[2].error.as_deref()), (PayoutState::Pending, None, Some("lost")));
    // A paid row is never claimed again; a failed or pending one is.
    assert!(store.record_payout_sent("p", &[1], &b, 43).await.is_err());
    store.record_payout_sent("p", &[2, 3], &b, 43).await.unwrap();
    assert_eq!(store.payout_rows("p").await.unwrap()[2].attempts, 2);
    assert!(store.payout_rows("unknown").await.unwrap().is_empty());
}

on_both_backends!(
    payout_rows_are_claimed_once_and_settled_by_their_own_extrinsic,
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
