//! No secret key and no password ever appears in `Debug` or `Display` output:
//! every error variant is produced by a real failing call, with the secret and
//! password in play, and all output is searched for them.

use alloy_signer_local::LocalSigner;
use lode_keeper::keys::{secret_bytes, Keystore, KeystoreError, Password, PasswordSource, SecretInput};

const PASSWORD: &str = "correct horse battery staple";
const SECRET: &str = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

fn assert_clean(what: &str, shown: &str) {
    for needle in [SECRET, &SECRET[..16], &SECRET[48..], PASSWORD, "horse battery"] {
        assert!(!shown.contains(needle), "{what} shows {needle:?}: {shown}");
    }
    let upper = SECRET.to_uppercase();
    assert!(!shown.contains(&upper[..16]), "{what}: {shown}");
}

fn assert_error_clean(what: &str, err: &KeystoreError) {
    assert_clean(what, &format!("{err:?}"));
    assert_clean(what, &format!("{err}"));
    assert_clean(what, &format!("{err:#?}"));
    assert!(!err.to_string().contains('\n'), "{what}: one line: {err}");
}

#[test]
fn nothing_secret_in_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pw = || Password::new(PASSWORD);
    let written = Keystore::import(dir, "k", &SecretInput::hex(SECRET), &pw()).unwrap();
    assert_clean("KeyFile", &format!("{written:?}"));

    let key = Keystore::open(&written.path, &pw()).unwrap();
    assert_eq!(hex::encode(*secret_bytes(&key)), SECRET, "the test uses the real secret");
    assert_clean("SigningKey", &format!("{key:?}"));
    assert_clean("LocalSigner", &format!("{:?}", LocalSigner::from_signing_key(key.clone())));
    assert_clean("Password", &format!("{:?}", pw()));
    assert_clean("SecretInput::Hex", &format!("{:?}", SecretInput::hex(SECRET)));
    assert_clean("SecretInput::Keystore", &format!("{:?}", SecretInput::keystore(&written.path, pw())));

    // A file holding the bare secret, quoted or not, under a keystore's name.
    std::fs::write(dir.join("quoted.json"), format!("\"{SECRET}\"")).unwrap();
    std::fs::write(dir.join("bare.json"), SECRET).unwrap();
    std::fs::write(dir.join("in-id.json"), format!("{{\"version\": 3, \"id\": \"{SECRET}\", \"crypto\": 5}}")).unwrap();
    std::fs::write(dir.join("password-file"), PASSWORD).unwrap();

    let errors: Vec<(&str, KeystoreError)> = vec![
        ("WrongPassword", Keystore::open(&written.path, &Password::new(&PASSWORD[1..])).unwrap_err()),
        ("Corrupt quoted", Keystore::open(&dir.join("quoted.json"), &pw()).unwrap_err()),
        ("Corrupt bare", Keystore::open(&dir.join("bare.json"), &pw()).unwrap_err()),
        ("Corrupt in-id", Keystore::open(&dir.join("in-id.json"), &pw()).unwrap_err()),
        ("Corrupt password file", Keystore::open(&dir.join("password-file"), &pw()).unwrap_err()),
        ("NotFound", Keystore::open(&dir.join("missing.json"), &pw()).unwrap_err()),
        ("Exists", Keystore::import(dir, "k", &SecretInput::hex(SECRET), &pw()).unwrap_err()),
        ("BadSecret length", Keystore::import(dir, "k2", &SecretInput::hex(&SECRET[..63]), &pw()).unwrap_err()),
        ("BadSecret char", Keystore::import(dir, "k2", &SecretInput::hex(format!("{}x", &SECRET[..63])), &pw()).unwrap_err()),
        ("BadSecret long", Keystore::import(dir, "k2", &SecretInput::hex(format!("{SECRET}{SECRET}")), &pw()).unwrap_err()),
        ("BadName", Keystore::import(dir, "../k", &SecretInput::hex(SECRET), &pw()).unwrap_err()),
        // Reading a directory as a keystore: a real I/O error.
        ("Io", Keystore::open(dir, &pw()).unwrap_err()),
        ("Password empty", Keystore::import(dir, "k3", &SecretInput::hex(SECRET), &Password::new("")).unwrap_err()),
        ("Password env", PasswordSource::Env("LODE_TEST_UNSET_PASSWORD_VAR".into()).resolve().unwrap_err()),
        ("Password file", PasswordSource::File(dir.join("no-such-file")).resolve().unwrap_err()),
        (
            "source WrongPassword",
            Keystore::import(dir, "k4", &SecretInput::keystore(&written.path, Password::new("x")), &pw()).unwrap_err(),
        ),
    ];
    let mut variants = std::collections::BTreeSet::new();
    for (what, err) in &errors {
        assert_error_clean(what, err);
        variants.insert(format!("{err:?}").split([' ', '(']).next().unwrap().to_string());
    }
    let all = ["BadName", "BadSecret", "Corrupt", "Exists", "Io", "NotFound", "Password", "WrongPassword"];
    assert_eq!(variants.into_iter().collect::<Vec<_>>(), all, "every variant is covered");

    for entry in Keystore::list(dir).unwrap() {
        assert_clean("KeyEntry", &format!("{entry:?}"));
        if let Err(e) = &entry.address {
            assert_error_clean("listed error", e);
        }
    }
}
