//! `lode keys` as an operator runs it: the real binary, real keystore files in
//! a temporary directory. No command may ever print the secret key.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use blake2::{digest::consts::U32, Blake2b, Digest};
use k256::ecdsa::SigningKey;

const SECRET: &str = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
/// The Ethereum address of `SECRET`, as eth-account and geth give it.
const SECRET_ETH_ADDRESS: &str = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
const PASSWORD: &str = "correct horse battery staple";

/// Everything the commands of one test printed, searched for the secret at the end.
#[derive(Default)]
struct Session {
    printed: String,
}

impl Session {
    fn lode(&mut self, cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
        cmd.current_dir(cwd).args(args).env_remove("LODE_KEYSTORE_PASSWORD").stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.spawn().expect("the lode binary runs");
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        self.printed.push_str(&String::from_utf8_lossy(&out.stdout));
        self.printed.push_str(&String::from_utf8_lossy(&out.stderr));
        out
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let upper = SECRET.to_uppercase();
        for needle in [SECRET, &SECRET[..16], &SECRET[40..], &upper[..16], PASSWORD] {
            assert!(!self.printed.contains(needle), "output shows {needle:?}:\n{}", self.printed);
        }
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The value after `label` on the line that has it.
fn field(out: &Output, label: &str) -> String {
    let text = stdout(out);
    let line = text.lines().find(|l| l.trim_start().starts_with(label)).unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    line.trim_start()[label.len()..].trim().to_owned()
}

fn assert_one_line_error(what: &str, out: &Output, want: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "{what} should fail: {}", stdout(out));
    assert_eq!(err.lines().count(), 1, "{what}: one line: {err}");
    assert!(err.starts_with("error: ") && err.contains(want), "{what}: {err}");
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), format!("{PASSWORD}\n")).unwrap();
    dir
}

#[test]
fn new_then_list_then_address_agree() {
    let dir = setup();
    let cwd = dir.path();
    let mut s = Session::default();

    let created = s.lode(cwd, &["keys", "new", "keeper", "--password-file", "pw"], None);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("keys/keeper.json"), "{}", stdout(&created));
    let (ss58, hex, eth) = (field(&created, "account (SS58):"), field(&created, "account (hex):"), field(&created, "Ethereum address:"));
    assert!(ss58.starts_with('5') && hex.starts_with("0x") && hex.len() == 66 && eth.len() == 42, "{}", stdout(&created));
    assert!(cwd.join("keys/keeper.json").is_file());

    let listed = s.lode(cwd, &["keys", "list"], None);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let line = stdout(&listed).lines().find(|l| l.starts_with("keeper")).map(str::to_owned).expect("listed");
    assert!(line.contains(&eth) && line.contains("keys/keeper.json"), "{line}");
    assert!(stderr(&listed).contains("lode keys address"), "says how to get the SS58 account: {}", stderr(&listed));

    let shown = s.lode(cwd, &["keys", "address", "keys/keeper.json", "--password-file", "pw"], None);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert_eq!(field(&shown, "account (SS58):"), ss58);
    assert_eq!(field(&shown, "account (hex):"), hex);
    assert_eq!(field(&shown, "Ethereum address:"), eth);

    // The password from an environment variable opens it too.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
    let by_env = cmd
        .current_dir(cwd)
        .args(["keys", "address", "keys/keeper.json", "--password-env", "MY_KEY_PW"])
        .env("MY_KEY_PW", PASSWORD)
        .output()
        .unwrap();
    assert!(by_env.status.success(), "{}", stderr(&by_env));
    assert_eq!(field(&by_env, "account (hex):"), hex);

    let again = s.lode(cwd, &["keys", "new", "keeper", "--password-file", "pw"], None);
    assert_one_line_error("existing name", &again, "already exists");
}

/// The account the chain gives an ECDSA key: blake2_256 of the compressed public key.
fn expected_account(secret_hex: &str) -> [u8; 32] {
    let bytes: [u8; 32] = hex::decode(secret_hex).unwrap().try_into().unwrap();
    let key = SigningKey::from_bytes((&bytes).into()).unwrap();
    Blake2b::<U32>::digest(key.verifying_key().to_encoded_point(true).as_bytes()).into()
}

#[test]
fn import_of_a_known_key_gives_its_known_accounts() {
    let dir = setup();
    let cwd = dir.path();
    let mut s = Session::default();
    let account = expected_account(SECRET);
    let want_hex = format!("0x{}", hex::encode(account));
    let want_ss58 = lode_keeper::keys::ss58(&lode_keeper::chain::AccountId(account));

    std::fs::write(cwd.join("secret.hex"), format!("0x{SECRET}\n")).unwrap();
    let from_file = s.lode(cwd, &["keys", "import", "known", "--secret-file", "secret.hex", "--password-file", "pw"], None);
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    assert!(field(&from_file, "Ethereum address:").eq_ignore_ascii_case(SECRET_ETH_ADDRESS), "{}", stdout(&from_file));
    assert_eq!(field(&from_file, "account (hex):"), want_hex);
    assert_eq!(field(&from_file, "account (SS58):"), want_ss58);

    let from_stdin = s.lode(cwd, &["keys", "import", "piped", "--secret-file", "-", "--password-file", "pw"], Some(&format!("{SECRET}\n")));
    assert!(from_stdin.status.success(), "{}", stderr(&from_stdin));
    assert_eq!(field(&from_stdin, "account (hex):"), want_hex);

    let from_keystore = s.lode(
        cwd,
        &["keys", "import", "copy", "--from-keystore", "keys/known.json", "--from-password-file", "pw", "--password-file", "pw"],
        None,
    );
    assert!(from_keystore.status.success(), "{}", stderr(&from_keystore));
    assert_eq!(field(&from_keystore, "account (hex):"), want_hex);

    let shown = s.lode(cwd, &["keys", "address", "keys/copy.json", "--password-file", "pw"], None);
    assert!(field(&shown, "Ethereum address:").eq_ignore_ascii_case(SECRET_ETH_ADDRESS), "{}", stdout(&shown));
    assert_eq!(field(&shown, "account (SS58):"), want_ss58);
}

#[test]
fn failures_are_one_line_and_never_show_the_secret() {
    let dir = setup();
    let cwd = dir.path();
    let mut s = Session::default();
    std::fs::write(cwd.join("secret.hex"), SECRET).unwrap();
    let made = s.lode(cwd, &["keys", "import", "k", "--secret-file", "secret.hex", "--password-file", "pw"], None);
    assert!(made.status.success(), "{}", stderr(&made));

    std::fs::write(cwd.join("wrong"), "not the password").unwrap();
    let wrong = s.lode(cwd, &["keys", "address", "keys/k.json", "--password-file", "wrong"], None);
    assert_one_line_error("wrong password", &wrong, "wrong password");

    let missing = s.lode(cwd, &["keys", "address", "keys/none.json", "--password-file", "pw"], None);
    assert_one_line_error("missing keystore", &missing, "keys/none.json does not exist");

    // A keystore file that holds the bare secret instead.
    std::fs::write(cwd.join("keys/bare.json"), SECRET).unwrap();
    let corrupt = s.lode(cwd, &["keys", "address", "keys/bare.json", "--password-file", "pw"], None);
    assert_one_line_error("corrupt keystore", &corrupt, "not usable");
    let listed = s.lode(cwd, &["keys", "list"], None);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).lines().any(|l| l.starts_with("bare") && l.contains("not usable")), "{}", stdout(&listed));

    // A secret with one digit wrong, or too short: refused without an echo.
    let typo = format!("{}x", &SECRET[..63]);
    std::fs::write(cwd.join("typo.hex"), &typo).unwrap();
    let bad = s.lode(cwd, &["keys", "import", "t", "--secret-file", "typo.hex", "--password-file", "pw"], None);
    assert_one_line_error("bad secret", &bad, "not a hex digit");
    let short = s.lode(cwd, &["keys", "import", "t", "--secret-file", "-", "--password-file", "pw"], Some(&SECRET[..60]));
    assert_one_line_error("short secret", &short, "64 hex digits");
    assert!(!cwd.join("keys/t.json").exists());

    let missing_secret = s.lode(cwd, &["keys", "import", "t", "--secret-file", "nope.hex", "--password-file", "pw"], None);
    assert_one_line_error("missing secret file", &missing_secret, "nope.hex");

    // No terminal and no password source: told what to use, and nothing is written.
    let no_password = s.lode(cwd, &["keys", "new", "p"], None);
    assert_one_line_error("no password", &no_password, "--password-file");
    assert!(!cwd.join("keys/p.json").exists());
}

#[test]
fn listing_a_missing_directory_fails_and_an_empty_one_says_so() {
    let dir = setup();
    let mut s = Session::default();
    let missing = s.lode(dir.path(), &["keys", "list", "--dir", "nowhere"], None);
    assert_one_line_error("missing dir", &missing, "nowhere does not exist");
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let empty = s.lode(dir.path(), &["keys", "list", "--dir", "empty"], None);
    assert!(empty.status.success() && stdout(&empty).contains("no keystores in empty"), "{}", stdout(&empty));
}
