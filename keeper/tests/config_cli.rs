//! `lode config check` as an operator runs it: the real binary, real files in a
//! temporary directory, and the environment overrides.

use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

/// Runs `lode` in `cwd` with only the given `LODE_` variables set.
fn lode(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
    cmd.current_dir(cwd).args(args);
    // Whatever the test runner's environment holds must not override the file.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().to_ascii_uppercase().starts_with("LODE_") {
            cmd.env_remove(key);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the lode binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory with the files the example config names (their contents are not read).
fn workdir() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join("keys/keeper.json"), "{}").unwrap();
    std::fs::write(dir.path().join("deployment.json"), "{}").unwrap();
    dir
}

fn example() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("lode.example.toml")).unwrap()
}

fn check(dir: &Path, config: &str, env: &[(&str, &str)]) -> Output {
    std::fs::write(dir.join("lode.toml"), config).unwrap();
    lode(dir, &["config", "check", "--config", "lode.toml"], env)
}

/// Fails unless `out` failed with exactly one stderr line, `error: …`, containing every `want`.
fn assert_one_line_error(what: &str, out: &Output, want: &[&str]) -> String {
    let err = stderr(out);
    assert!(!out.status.success(), "{what}: should fail; stdout: {}", stdout(out));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: exactly one stderr line, got: {err}");
    assert!(lines[0].starts_with("error: "), "{what}: {err}");
    for w in want {
        assert!(lines[0].contains(w), "{what}: should contain {w:?}: {err}");
    }
    assert!(stdout(out).is_empty(), "{what}: nothing on stdout: {}", stdout(out));
    lines[0].to_owned()
}

#[test]
fn the_example_config_passes_and_is_summarised() {
    let dir = workdir();
    let out = check(dir.path(), &example(), &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let summary = stdout(&out);
    let root = dir.path().canonicalize().unwrap();
    for want in [
        "lode.toml is valid",
        "ws://127.0.0.1:9944",
        "request timeout 30 s",
        &format!("{}", root.join("deployment.json").display()),
        &format!("{}", root.join("keys/keeper.json").display()),
        "password from environment variable LODE_KEYSTORE_PASSWORD",
        &format!("SQLite store at {}", root.join("lode.db").display()),
        "confirmations: at finality",
        "127.0.0.1:9615",
        "on the preferred device, stall alert after 30 s",
    ] {
        assert!(summary.contains(want), "summary should contain {want:?}:\n{summary}");
    }
}

#[test]
fn an_empty_config_means_the_defaults() {
    let dir = workdir();
    let out = check(dir.path(), "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ws://127.0.0.1:9944") && stdout(&out).contains("http:          off"), "{}", stdout(&out));
}

#[test]
fn each_bad_config_is_one_line_naming_the_field() {
    let dir = workdir();
    let cases: &[(&str, &str, &[&str])] = &[
        ("unknown field", "[chain]\nendpoint = [\"ws://a:1\"]\n", &["chain.endpoint", "lode.toml", "unknown field", "endpoints"]),
        ("unknown section", "[chains]\n", &["chains", "lode.toml", "sections are"]),
        (
            "bad URL scheme",
            "[chain]\nendpoints = [\"ws://127.0.0.1:9944\", \"http://x\"]\n",
            &["config error in chain.endpoints[1]", "\"http://x\" is not a WebSocket URL; use ws:// or wss://"],
        ),
        ("empty endpoints", "[chain]\nendpoints = []\n", &["chain.endpoints", "at least one"]),
        (
            "duplicate endpoint",
            "[chain]\nendpoints = [\"ws://a:9944\", \"ws://b:9944\", \"ws://a:9944\"]\n",
            &["chain.endpoints[2]", "chain.endpoints[0]"],
        ),
        ("endpoints not a list", "[chain]\nendpoints = \"ws://a:9944\"\n", &["chain.endpoints", "list"]),
        ("timeout zero", "[chain]\nrequest_timeout_secs = 0\n", &["chain.request_timeout_secs", "1 to 3600"]),
        ("negative depth", "[watcher]\nconfirmations = -1\n", &["watcher.confirmations", "\"finality\"", "0 to 1000"]),
        ("depth too large", "[watcher]\nconfirmations = 1001\n", &["watcher.confirmations", "0 to 1000"]),
        ("depth as a word", "[watcher]\nconfirmations = \"soon\"\n", &["watcher.confirmations", "\"soon\"", "\"finality\""]),
        ("bad listen address", "[http]\nlisten = \"localhost:9615\"\n", &["http.listen", "127.0.0.1:9615"]),
        ("bad device", "[mining]\ndevices = [\"cpu\", \"gpu\"]\n", &["mining.devices[1]", "ocl:<platform>:<device>"]),
        ("duplicate device", "[mining]\ndevices = [\"cpu\", \"cpu\"]\n", &["mining.devices[1]", "once"]),
        ("bad cron", "[schedule]\nreconcile = \"*/5 * * * *\"\n", &["schedule.reconcile", "6 fields"]),
        ("bad log filter", "[log]\nfilter = \"info,lode=loud\"\n", &["log.filter", "info"]),
        ("bad log format", "[log]\nformat = \"xml\"\n", &["log.format", "\"text\" or \"json\""]),
        ("bad store URL", "[store]\nurl = \"mysql://u:hunter2@h/db\"\n", &["store.url", "postgres://"]),
        ("password in the config", "[keeper]\npassword = \"hunter2\"\n", &["keeper.password", "{ env = "]),
        ("two password sources", "[keeper]\npassword = { env = \"A\", file = \"b\" }\n", &["keeper.password", "only one"]),
        ("TOML syntax", "[chain]\nendpoints = ws://a\n", &["lode.toml", "not valid TOML", "line 2"]),
    ];
    for (what, config, want) in cases {
        let line = assert_one_line_error(what, &check(dir.path(), config, &[]), want);
        assert!(!line.contains("hunter2"), "{what}: a password is never echoed: {line}");
    }
}

#[test]
fn missing_files_are_each_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &example(), &[]);
    assert_one_line_error(
        "missing keystore and manifest",
        &out,
        &["keeper.keystore", "keys/keeper.json", "deployment.manifest", "deployment.json"],
    );

    std::fs::write(dir.path().join("deployment.json"), "{}").unwrap();
    let out = check(dir.path(), &example(), &[]);
    let line = assert_one_line_error("missing keystore", &out, &["keeper.keystore", "lode keys new"]);
    assert!(!line.contains("deployment.manifest"), "{line}");

    let dir = workdir();
    let out = check(dir.path(), "[keeper]\npassword = { file = \"secrets/pw\" }\n", &[]);
    assert_one_line_error("missing password file", &out, &["keeper.password", "secrets/pw"]);
}

#[test]
fn a_missing_config_file_is_named() {
    let dir = workdir();
    let out = lode(dir.path(), &["config", "check", "--config", "nowhere.toml"], &[]);
    assert_one_line_error("missing config", &out, &["nowhere.toml", "does not exist"]);
}

#[test]
fn environment_overrides_change_the_summary() {
    let dir = workdir();
    let out = check(dir.path(), &example(), &[("LODE_WATCHER__CONFIRMATIONS", "3")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("confirmations: under 3 blocks"), "{}", stdout(&out));

    let two = [("LODE_CHAIN__ENDPOINTS", "[\"wss://a.example\", \"ws://b:9944\"]"), ("LODE_MINING__ENABLED", "false")];
    let out = check(dir.path(), &example(), &two);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stdout(&out);
    assert!(summary.contains("wss://a.example, ws://b:9944 (in failover order)") && summary.contains("mining:        off"), "{summary}");

    // A password source from the environment replaces the file's `{ env = … }` whole.
    std::fs::write(dir.path().join("pw"), "x").unwrap();
    for (var, value) in [("LODE_KEEPER__PASSWORD__FILE", "pw"), ("LODE_KEEPER__PASSWORD", "{file=\"pw\"}")] {
        let out = check(dir.path(), &example(), &[(var, value)]);
        assert!(out.status.success(), "{var}: {}", stderr(&out));
        let want = format!("password from file {}", dir.path().canonicalize().unwrap().join("pw").display());
        assert!(stdout(&out).contains(&want), "{var}: {}", stdout(&out));
    }
}

#[test]
fn a_bad_environment_override_names_the_field_and_the_variable() {
    let dir = workdir();
    let out = check(dir.path(), &example(), &[("LODE_WATCHER__CONFIRMATIONS", "soon")]);
    assert_one_line_error("bad env", &out, &["watcher.confirmations", "LODE_WATCHER__CONFIRMATIONS", "\"soon\""]);

    let out = check(dir.path(), &example(), &[("LODE_CHAIN__ENDPOINTS", "[\"ws://a:1\", \"http://b\"]")]);
    assert_one_line_error("bad env list", &out, &["chain.endpoints[1]", "LODE_CHAIN__ENDPOINTS"]);

    let out = check(dir.path(), &example(), &[("LODE_KEEPER__PASSWORD", "hunter2")]);
    let line = assert_one_line_error("password in env", &out, &["keeper.password", "LODE_KEEPER__PASSWORD"]);
    assert!(!line.contains("hunter2"), "{line}");

    let out = check(dir.path(), &example(), &[("LODE_CHAIN__ENDPOIN", "[\"ws://a:1\"]")]);
    assert_one_line_error("unknown env field", &out, &["chain.endpoin", "LODE_CHAIN__ENDPOIN", "unknown field"]);
}

#[test]
fn lode_variables_that_are_not_fields_are_left_alone() {
    let dir = workdir();
    let env = [("LODE_KEYSTORE_PASSWORD", "not a field"), ("LODE_CONFIG", "lode.toml"), ("LODE_SOMETHING", "x")];
    std::fs::write(dir.path().join("lode.toml"), example()).unwrap();
    let out = lode(dir.path(), &["config", "check"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn relative_paths_start_at_the_config_files_directory() {
    let dir = workdir();
    let sub = dir.path().join("etc");
    std::fs::create_dir(&sub).unwrap();
    let config =
        "[keeper]\nkeystore = \"../keys/keeper.json\"\n[deployment]\nmanifest = \"../deployment.json\"\n[store]\nurl = \"state/k.db\"\n";
    std::fs::write(sub.join("lode.toml"), config).unwrap();
    let out = lode(dir.path(), &["config", "check", "--config", "etc/lode.toml"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let root = dir.path().canonicalize().unwrap();
    assert!(stdout(&out).contains(&format!("SQLite store at {}", root.join("etc/state/k.db").display())), "{}", stdout(&out));
}

#[test]
fn the_log_format_flag_takes_text_or_json() {
    let dir = workdir();
    std::fs::write(dir.path().join("lode.toml"), example()).unwrap();
    for format in ["text", "json"] {
        let out = lode(dir.path(), &["--log-format", format, "config", "check"], &[]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
    }
    let out = lode(dir.path(), &["--log-format", "xml", "config", "check"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("text") && stderr(&out).contains("json"), "{}", stderr(&out));
}
