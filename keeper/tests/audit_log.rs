//! The audit log in a real store (SQLite and PostgreSQL): appended rows
//! verify; a row tampered with, a row deleted and two rows reordered are each
//! caught, naming the first bad sequence; an export re-checks with an
//! independent implementation (Python's hashlib, scripts/audit-check.py).

#[macro_use]
mod support;

use std::process::Command;

use lode_keeper::audit::hashchain::{self, Action, Break, Entry, Head};
use lode_keeper::store::Store;
use support::Fixture;

const KEEPER: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

async fn write_log(store: &Store, n: u64) -> Head {
    let mut head = Head::genesis();
    for i in 0..n {
        let entry = Entry {
            action: [Action::Submission, Action::Inclusion, Action::Payout, Action::Alert][i as usize % 4],
            at_ms: 1_700_000_000_000 + i,
            keeper: KEEPER.into(),
            detail: serde_json::json!({ "i": i, "amount": (i * 1000).to_string() }),
        };
        let row = hashchain::append(&head, &entry).unwrap();
        store.audit_insert(KEEPER, &row).await.unwrap();
        head = Head { seq: row.seq, hash: row.hash };
    }
    head
}

async fn verify(store: &Store) -> Result<Head, Break> {
    hashchain::verify(store.audit_rows(KEEPER).await.unwrap())
}

async fn exec(fx: &Fixture, sql: &str) {
    sqlx::query(sql).execute(&mut fx.raw().await).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn an_intact_log_verifies_and_its_head_is_the_last_row(fx: Fixture) {
    let store = fx.open().await;
    let head = write_log(&store, 12).await;
    assert_eq!(verify(&store).await.unwrap(), head);
    assert_eq!(store.audit_head(KEEPER).await.unwrap(), head);
    let taken = hashchain::append(
        &Head { seq: 4, hash: head.hash },
        &Entry { action: Action::Alert, at_ms: 0, keeper: KEEPER.into(), detail: serde_json::json!({}) },
    )
    .unwrap();
    assert!(store.audit_insert(KEEPER, &taken).await.is_err(), "a sequence is written once: a second writer cannot fork the log");
}

async fn a_tampered_row_is_named(fx: Fixture) {
    let store = fx.open().await;
    write_log(&store, 10).await;
    let replace = match fx.kind() {
        lode_keeper::store::StoreKind::Sqlite => "CAST(replace(CAST(entry AS TEXT), '\"6000\"', '\"9000\"') AS BLOB)",
        lode_keeper::store::StoreKind::Postgres => "convert_to(replace(convert_from(entry, 'UTF8'), '\"6000\"', '\"9000\"'), 'UTF8')",
    };
    exec(&fx, &format!("UPDATE audit_log SET entry = {replace} WHERE seq = 7")).await;
    let err = verify(&store).await.expect_err("a changed amount is caught");
    assert_eq!(err, Break::HashMismatch { seq: 7 });
    assert!(err.to_string().starts_with("audit log broken at sequence 7: "), "{err}");
}

async fn a_deleted_row_is_named(fx: Fixture) {
    let store = fx.open().await;
    write_log(&store, 10).await;
    exec(&fx, "DELETE FROM audit_log WHERE seq = 4").await;
    assert_eq!(verify(&store).await.expect_err("a gap is caught"), Break::Gap { seq: 5, expected: 4 });
}

async fn two_reordered_rows_are_named(fx: Fixture) {
    let store = fx.open().await;
    write_log(&store, 10).await;
    // Swap rows 3 and 4 by their sequence numbers (through a free number).
    exec(&fx, "UPDATE audit_log SET seq = 1000 WHERE seq = 3").await;
    exec(&fx, "UPDATE audit_log SET seq = 3 WHERE seq = 4").await;
    exec(&fx, "UPDATE audit_log SET seq = 4 WHERE seq = 1000").await;
    let err = verify(&store).await.expect_err("a reorder is caught");
    assert!(matches!(err, Break::PrevMismatch { seq: 3 } | Break::HashMismatch { seq: 3 }), "{err:?}");
}

on_both_backends!(
    an_intact_log_verifies_and_its_head_is_the_last_row,
    a_tampered_row_is_named,
    a_deleted_row_is_named,
    two_reordered_rows_are_named,
);

fn python() -> String {
    std::env::var("LODE_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn audit_check(args: &[&str]) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/audit-check.py");
    let out = Command::new(python()).arg(script).args(args).output().expect("python runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test]
async fn an_export_re_checks_with_pythons_hashlib_and_tampering_fails_there_too() {
    let fx = Fixture::sqlite();
    let store = fx.open().await;
    let head = write_log(&store, 9).await;
    let export = hashchain::export(store.audit_rows(KEEPER).await.unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.json");
    std::fs::write(&path, serde_json::to_string_pretty(&export).unwrap()).unwrap();
    let p = path.to_str().unwrap();
    let (ok, said) = audit_check(&[p, "9", &hex::encode(head.hash)]);
    assert!(ok, "{said}");
    assert_eq!(said, format!("ok 9 {}", hex::encode(head.hash)), "Python computes the same head");

    let mut tampered = export.clone();
    tampered.rows[4].entry_canonical = tampered.rows[4].entry_canonical.replace("4000", "4001");
    std::fs::write(&path, serde_json::to_string(&tampered).unwrap()).unwrap();
    let (ok, said) = audit_check(&[p]);
    assert!(!ok && said.contains("broken at sequence 5"), "{said}");
    assert!(hashchain::verify_export(&tampered).is_err(), "and so does lode");

    let (ok, said) = {
        std::fs::write(&path, serde_json::to_string(&export).unwrap()).unwrap();
        audit_check(&[p, "9", &"00".repeat(32)])
    };
    assert!(!ok && said.contains("anchor mismatch at sequence 9"), "{said}");
}
