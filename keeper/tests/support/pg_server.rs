//! A throwaway PostgreSQL server for tests: a fresh cluster in a temporary directory, on a free
//! port, stopped when dropped. Tests that need PostgreSQL fail when it cannot start; they never
//! skip, so a machine without PostgreSQL shows up as red, not as green with nothing tested.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The superuser the cluster is created with; trust auth, so no password.
pub const PG_USER: &str = "lode";
/// The system account PostgreSQL runs as when the tests run as root, which it refuses.
const PG_SYSTEM_USER: &str = "postgres";
/// Attempts at picking a port, since another test may grab the same free port first.
const PORT_ATTEMPTS: usize = 3;

/// A running PostgreSQL server owned by one test (or one test binary).
pub struct PgServer {
    cluster: Cluster,
    port: u16,
    /// How long `start` took, initdb included.
    pub startup: Duration,
}

/// An initialised cluster that is not (yet) running, so nothing needs stopping.
struct Cluster {
    /// Holds the data directory, the socket and the server log; removed after the server stops.
    dir: TempDir,
    bin: PathBuf,
    runner: Runner,
}

impl PgServer {
    /// Creates a cluster with `initdb` and starts it with `pg_ctl`, listening on 127.0.0.1 only.
    ///
    /// The error says what failed and includes PostgreSQL's own output.
    pub fn start() -> Result<PgServer, String> {
        let started = Instant::now();
        let cluster = Cluster::init()?;
        let mut last_error = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match cluster.start(port) {
                Ok(()) => return Ok(PgServer { cluster, port, startup: started.elapsed() }),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// The connection URL for the `postgres` database as the trusted superuser.
    pub fn url(&self) -> String {
        format!("postgres://{PG_USER}@127.0.0.1:{}/postgres", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // Immediate: the cluster is thrown away next, so there is nothing to flush.
        if let Err(e) = self.cluster.pg_ctl(&["-m", "immediate", "-w", "stop"]) {
            eprintln!("test PostgreSQL on port {} may still be running: {e}", self.port);
        }
    }
}

impl Cluster {
    fn init() -> Result<Cluster, String> {
        let bin = find_bin_dir()?;
        let runner = Runner::detect()?;
        let dir = tempfile::Builder::new().prefix("lode-pg-").tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        runner.hand_over(dir.path())?;
        let cluster = Cluster { dir, bin, runner };
        let mut cmd = cluster.runner.command(&cluster.bin.join("initdb"), cluster.dir.path());
        // --no-sync here and fsync=off at start: a test cluster need not survive a power cut,
        // and syncing makes startup several times slower.
        cmd.arg("-D").arg(cluster.data()).args(["-U", PG_USER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
        run(cmd, "initdb")?;
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start(&self, port: u16) -> Result<(), String> {
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.dir.path().display()
        );
        let log_arg = log.to_string_lossy().into_owned();
        self.pg_ctl(&["-l", &log_arg, "-o", &options, "-w", "-t", "60", "start"]).map_err(|e| {
            let server_log = fs::read_to_string(&log).unwrap_or_else(|r| format!("(no server log: {r})"));
            format!("{e}\nserver log:\n{server_log}")
        })?;
        Ok(())
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<Output, String> {
        let mut cmd = self.runner.command(&self.bin.join("pg_ctl"), self.dir.path());
        cmd.arg("-D").arg(self.data()).args(args);
        run(cmd, "pg_ctl")
    }
}

/// How to run PostgreSQL's tools: directly, or as the `postgres` account when we are root.
#[derive(Clone)]
enum Runner {
    Direct,
    AsUser { uid: u32, gid: u32 },
}

impl Runner {
    fn detect() -> Result<Runner, String> {
        if id(&["-u"])? != 0 {
            return Ok(Runner::Direct);
        }
        let uid = id(&["-u", PG_SYSTEM_USER])
            .map_err(|e| format!("running as root, which PostgreSQL refuses, and there is no {PG_SYSTEM_USER:?} user to run it as: {e}"))?;
        let gid = id(&["-g", PG_SYSTEM_USER])?;
        Ok(Runner::AsUser { uid, gid })
    }

    /// Gives the server's directory to the account that will run the server.
    fn hand_over(&self, dir: &Path) -> Result<(), String> {
        match self {
            Runner::Direct => Ok(()),
            Runner::AsUser { uid, gid } => std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
                .map_err(|e| format!("cannot give {} to user {PG_SYSTEM_USER:?}: {e}", dir.display())),
        }
    }

    /// A command for `program`, run in `cwd` (the tools complain when they cannot enter the
    /// working directory, which as another user they may not).
    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut cmd = match self {
            Runner::Direct => Command::new(program),
            Runner::AsUser { .. } => {
                // runuser (util-linux) needs no password and passes arguments through untouched.
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", PG_SYSTEM_USER, "--"]).arg(program);
                cmd
            }
        };
        cmd.current_dir(cwd);
        cmd
    }
}

/// Runs `id` with `args` and parses the number it prints.
fn id(args: &[&str]) -> Result<u32, String> {
    let mut cmd = Command::new("id");
    cmd.args(args);
    let out = run(cmd, "id")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse().map_err(|e| format!("`id {}` printed {text:?}: {e}", args.join(" ")))
}

/// The directory holding `initdb` and `pg_ctl`: from PATH first, else the newest Debian install.
fn find_bin_dir() -> Result<PathBuf, String> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_tools(d)) {
            return Ok(dir);
        }
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "no PostgreSQL server tools: initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin; \
         install the server package (e.g. apt-get install postgresql)"
            .to_string()
    })
}

/// A port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("cannot find a free port: {e}"))
}

/// Runs `cmd`, turning a failure into a message with its output.
fn run(mut cmd: Command, what: &str) -> Result<Output, String> {
    let out = cmd.output().map_err(|e| format!("cannot run {what} ({cmd:?}): {e}"))?;
    if out.status.success() {
        return Ok(out);
    }
    Err(format!(
        "{what} failed ({}): {cmd:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}
