//! Two replicas of `examples/tenants_postgres.rs` on a real PostgreSQL (the
//! Debian package, in a temporary directory, on a private Unix socket
//! directory): an origin inserted is allowed by both within 1 s, one deleted
//! is refused by both within 1 s; with PostgreSQL stopped both keep serving
//! their last snapshot, and once it is back they catch up, through
//! notifications and through the periodic resync.
//!
//! Run with `cargo test --test it tenants_postgres:: -- --include-ignored`. As
//! root, PostgreSQL runs as the `postgres` user (it refuses to run as
//! root); otherwise as the current user.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TENANT: &str = "acme";
const APP: &str = "https://app.acme.example";
const NEW: &str = "https://shop.acme.example";
const LATE: &str = "https://late.acme.example";
const QUIET: &str = "https://quiet.acme.example";
/// The replicas' periodic resync.
const RESYNC: Duration = Duration::from_secs(2);

/// The newest PostgreSQL server binaries installed by Debian's packages.
fn postgres_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb \
             (apt-get install postgresql; scripts/test-all.sh installs it)"
        ),
    }
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A PostgreSQL server in a temporary directory, stopped on drop.
struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// `Some("postgres")` when the test runs as root.
    user: Option<&'static str>,
}

impl Postgres {
    fn start() -> Self {
        let bin = postgres_bin();
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(dir.path().join("socket")).expect("socket directory");
        let root = run(Command::new("id").arg("-u")).stdout == b"0\n";
        let user = root.then_some("postgres");
        if let Some(user) = user {
            // Its data directory must belong to the user that runs it.
            run(Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:"))
                .arg(dir.path()));
        }
        let server = Self { dir, bin, user };
        run(server
            .as_server("initdb")
            .args([
                "--auth=trust",
                "--username=tower",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(server.data()));
        server.pg_ctl("start");
        server
    }

    /// `tool` of the server's binaries, run as the server's user.
    fn as_server(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        match self.user {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("socket")
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-k {} -c listen_addresses='' -p 5432 -c fsync=off",
            self.socket().display()
        );
        let mut command = self.as_server("pg_ctl");
        command
            .arg(action)
            .arg("-w")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("postgres.log"));
        match action {
            "start" => command.arg("-o").arg(options),
            _ => command.args(["-m", "fast"]),
        };
        run(&mut command);
    }

    /// A libpq-style connection string.
    fn url(&self) -> String {
        format!(
            "host={} port=5432 user=tower dbname=postgres",
            self.socket().display()
        )
    }

    /// Runs `sql` with psql, as the test's user.
    fn psql(&self, sql: &str) {
        run(Command::new(self.bin.join("psql"))
            .arg("-v")
            .arg("ON_ERROR_STOP=1")
            .arg("-h")
            .arg(self.socket())
            .args(["-p", "5432", "-U", "tower", "-d", "postgres", "-c", sql]));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .as_server("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.data())
            .output();
    }
}

/// The example's binary, built like this test (same features and profile).
fn example_binary() -> PathBuf {
    let features: Vec<&str> = [
        (cfg!(feature = "regex"), "regex"),
        (cfg!(feature = "tracing"), "tracing"),
        (cfg!(feature = "serde"), "serde"),
        (cfg!(feature = "reload"), "reload"),
        (cfg!(feature = "watch"), "watch"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    // target/<profile>/deps/<this test> → target/<profile>/examples/
    let exe = std::env::current_exe().expect("test binary");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build
        .args(["build", "--quiet", "--example", "tenants_postgres"])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    if !features.is_empty() {
        build.arg("--features").arg(features.join(","));
    }
    if profile_dir.ends_with("release") {
        build.arg("--release");
    }
    run(&mut build);
    profile_dir.join("examples").join("tenants_postgres")
}

/// A replica process, killed on drop; its output is kept for failures.
struct Replica {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Replica {
    fn start(binary: &Path, url: &str, name: &str) -> Self {
        let mut child = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("ADDR", "127.0.0.1:0")
            .env("RESYNC_SECS", RESYNC.as_secs_f64().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a replica");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("{name} printed nothing"));
        let port = first
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{name}: unexpected first line {first:?}"));
        let log = Arc::new(Mutex::new(String::new()));
        let kept = Arc::clone(&log);
        let name = name.to_owned();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                println!("[{name}] {line}");
                let mut log = kept.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self { child, port, log }
    }

    /// The status of a preflight from `origin` to the tenant's path.
    fn preflight(&self, origin: &str) -> u16 {
        let mut stream =
            TcpStream::connect(("127.0.0.1", self.port)).expect("the replica is listening");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        write!(
            stream,
            "OPTIONS /api/tenants/{TENANT}/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("answer");
        let status: u16 = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {response:?}"));
        let allowed = response
            .to_ascii_lowercase()
            .contains(&format!("access-control-allow-origin: {origin}\r\n"));
        assert_eq!(status == 204, allowed, "{response}");
        status
    }

    fn allows(&self, origin: &str) -> bool {
        self.preflight(origin) == 204
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The time until every replica answers `origin` as `allowed`, polled every
/// 10 ms; fails after `limit`, with the replicas' logs.
fn converge(replicas: &[&Replica], origin: &str, allowed: bool, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if replicas.iter().all(|r| r.allows(origin) == allowed) {
            return start.elapsed();
        }
        if start.elapsed() > limit {
            let logs: Vec<String> = replicas
                .iter()
                .map(|r| r.log.lock().unwrap_or_else(|e| e.into_inner()).clone())
                .collect();
            panic!(
                "{origin} not {} by every replica within {limit:?}; logs:\n{}",
                if allowed { "allowed" } else { "refused" },
                logs.join("\n----\n")
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
#[ignore = "needs PostgreSQL (Debian package postgresql): run with --include-ignored"]
fn two_replicas_follow_the_tenant_table() {
    let binary = example_binary();
    let pg = Postgres::start();
    let url = pg.url();
    let example = |args: &[&str]| {
        let output = run(Command::new(&binary).args(args).env("DATABASE_URL", &url));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    example(&["init"]);
    assert_eq!(example(&["add", TENANT, APP]), "added");

    let a = Replica::start(&binary, &url, "replica a");
    let b = Replica::start(&binary, &url, "replica b");
    let both = [&a, &b];
    // The first resync at connection.
    converge(&both, APP, true, Duration::from_secs(10));
    assert!(!a.allows(NEW) && !b.allows(NEW), "not in the table yet");

    // Inserted: allowed by both within 1 s of the commit (a notification).
    assert_eq!(example(&["add", TENANT, NEW]), "added");
    let took = converge(&both, NEW, true, Duration::from_secs(1));
    println!("insert seen by both replicas after {took:?}");
    // Deleted: refused by both within 1 s.
    assert_eq!(example(&["remove", TENANT, NEW]), "removed");
    let took = converge(&both, NEW, false, Duration::from_secs(1));
    println!("delete seen by both replicas after {took:?}");

    // A row that is not an origin as browsers send it: the example refuses
    // to add it; written by another tool, both replicas report and ignore it.
    let refused = Command::new(&binary)
        .args(["add", TENANT, "https://Shop.acme.example/"])
        .env("DATABASE_URL", &url)
        .output()
        .expect("run the example");
    assert!(
        !refused.status.success()
            && String::from_utf8_lossy(&refused.stderr).contains("is not an origin"),
        "{refused:?}"
    );
    pg.psql(&format!(
        "INSERT INTO tenant_origins VALUES ('{TENANT}', 'https://Shop.acme.example/')"
    ));
    let reported = Instant::now();
    while !both.iter().all(|r| {
        r.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains("ignored row of tenant \"acme\": \"https://Shop.acme.example/\"")
    }) {
        assert!(
            reported.elapsed() < Duration::from_secs(1),
            "the malformed row is not reported by both replicas"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!a.allows("https://shop.acme.example") && !b.allows("https://shop.acme.example"));
    pg.psql("DELETE FROM tenant_origins WHERE origin = 'https://Shop.acme.example/'");

    // A change without notification (triggers off, as in a bulk load):
    // the periodic resync brings it.
    pg.psql(&format!(
        "SET session_replication_role = replica; \
         INSERT INTO tenant_origins VALUES ('{TENANT}', '{QUIET}')"
    ));
    let took = converge(&both, QUIET, true, RESYNC * 3);
    println!("silent insert seen by both replicas after {took:?} (resync every {RESYNC:?})");

    // PostgreSQL away: both keep serving their last snapshot, through
    // several failed reconnections and resync periods.
    pg.pg_ctl("stop");
    let (mut a, mut b) = (a, b);
    let until = Instant::now() + RESYNC + Duration::from_secs(1);
    while Instant::now() < until {
        for (r, name) in [(&a, "a"), (&b, "b")] {
            assert!(
                r.allows(APP),
                "replica {name} forgot {APP} with the database away"
            );
            assert!(
                r.allows(QUIET),
                "replica {name} forgot {QUIET} with the database away"
            );
            assert!(
                !r.allows(NEW),
                "replica {name} allowed {NEW} with the database away"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        a.is_running() && b.is_running(),
        "a replica died with the database away"
    );
    for r in [&a, &b] {
        let log = r.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert!(
            log.contains("database unavailable") && log.contains("serving the last snapshot"),
            "the loss is reported:\n{log}"
        );
    }

    // Back: they reconnect, resync and follow notifications again.
    pg.pg_ctl("start");
    assert_eq!(example(&["add", TENANT, LATE]), "added");
    assert_eq!(example(&["remove", TENANT, QUIET]), "removed");
    let both = [&a, &b];
    let took = converge(&both, LATE, true, Duration::from_secs(10));
    converge(&both, QUIET, false, Duration::from_secs(10));
    println!("caught up after the restart in {took:?}");
    assert!(a.allows(APP) && b.allows(APP));
    // And notifications flow again: within 1 s.
    assert_eq!(example(&["add", TENANT, NEW]), "added");
    let took = converge(&both, NEW, true, Duration::from_secs(1));
    println!("insert after the restart seen by both replicas after {took:?}");
}
