//! `cors-probe check FILE.toml`: a table of expectations, for CI.
//!
//! ```toml
//! [defaults]                        # every field optional
//! base = "http://127.0.0.1:8081"    # relative `url`s are joined to it
//! origin = "http://127.0.0.1:8080"
//! concurrency = 4                   # probes at a time (1 to 64)
//! timeout = 10                      # seconds per probe
//! cacert = "ca.pem"                 # relative to this file
//! insecure = false
//!
//! [[check]]
//! name = "the page reads the public endpoint"
//! url = "/api/public"
//! expect = "allowed"                # or "blocked"
//!
//! [[check]]
//! url = "/api/items"
//! origin = "https://evil.example"
//! method = "PUT"
//! headers = ["Content-Type: application/json"]
//! body = '{"name":"ada"}'
//! credentials = true
//! cookies = ["session=s1"]
//! send = true                        # needed to send PUT, PATCH, DELETE, POST
//! expect = "blocked"
//! cors_error = "PreflightMissingAllowOriginHeader"   # optional: Chrome's corsError too
//! ```
//!
//! Each row runs one probe; a row passes when the verdict (and `cors_error`, when given) is the
//! expected one. A row whose actual request was not sent (no `send = true` for a method that
//! may change data) fails: it checked nothing. Exit status: 0 when every row passes, 1 when one
//! does not, 2 when the file cannot be used. `--junit FILE` writes JUnit XML.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Arg, Command};
use serde::Deserialize;

use crate::{parse_cookie, parse_header, run, Probe, Report, Verdict};

/// At most this many bytes are read from a check file.
const FILE_LIMIT: u64 = 4 * 1024 * 1024;

/// At most this many probes at a time.
const MAX_CONCURRENCY: usize = 64;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    base: Option<String>,
    origin: Option<String>,
    concurrency: Option<usize>,
    timeout: Option<u64>,
    cacert: Option<PathBuf>,
    #[serde(default)]
    insecure: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    name: Option<String>,
    url: String,
    origin: Option<String>,
    #[serde(default = "get")]
    method: String,
    #[serde(default)]
    headers: Vec<String>,
    body: Option<String>,
    #[serde(default)]
    credentials: bool,
    #[serde(default)]
    cookies: Vec<String>,
    #[serde(default)]
    send: bool,
    expect: Expect,
    cors_error: Option<String>,
}

fn get() -> String {
    "GET".to_owned()
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Allowed,
    Blocked,
}

impl Expect {
    fn as_str(self) -> &'static str {
        match self {
            Expect::Allowed => "allowed",
            Expect::Blocked => "blocked",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    check: Vec<Row>,
}

/// A row ready to run: its name, what it expects, and the probe.
struct Planned {
    name: String,
    expect: Expect,
    cors_error: Option<String>,
    probe: Probe,
}

/// One row's result.
struct Outcome {
    name: String,
    expect: Expect,
    /// `allowed`, `blocked`, `not-checked` or `error`.
    got: String,
    passed: bool,
    /// Why it failed, in a line.
    why: String,
    report: Report,
    seconds: f64,
}

/// Runs `cors-probe check` with `args` (the program name first) and the CA files of the
/// environment (`SSL_CERT_FILE`); returns the exit status.
pub fn main(args: Vec<OsString>, cacert: Vec<PathBuf>) -> i32 {
    let command = Command::new("cors-probe check")
        .bin_name("cors-probe check")
        .about("Runs a table of CORS expectations (TOML) and fails on any mismatch.")
        .after_help("Exit status: 0 every check passes, 1 one does not, 2 the file cannot be used.")
        .arg(Arg::new("file").value_name("FILE.toml").required(true))
        .arg(
            Arg::new("junit")
                .long("junit")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("write the results as JUnit XML"),
        )
        .arg(
            Arg::new("base")
                .long("base")
                .value_name("URL")
                .help("replace [defaults] base"),
        )
        .arg(
            Arg::new("origin")
                .long("origin")
                .value_name("ORIGIN")
                .help("replace [defaults] origin"),
        );
    let matches = match command.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let Some(path) = matches.get_one::<String>("file").map(PathBuf::from) else {
        return 2;
    };
    let mut file = match load(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if let Some(base) = matches.get_one::<String>("base") {
        file.defaults.base = Some(base.clone());
    }
    if let Some(origin) = matches.get_one::<String>("origin") {
        file.defaults.origin = Some(origin.clone());
    }
    let mut extra = cacert;
    if let Some(ca) = &file.defaults.cacert {
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        extra.insert(0, dir.join(ca));
    }
    let probes = match probes(&file, &extra) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return 2;
        }
    };
    let concurrency = file
        .defaults
        .concurrency
        .unwrap_or(4)
        .clamp(1, MAX_CONCURRENCY);
    let started = Instant::now();
    let outcomes = match run_all(probes, concurrency) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    print!("{}", table(&path, &outcomes, concurrency));
    if let Some(junit_path) = matches.get_one::<PathBuf>("junit") {
        if let Err(e) = std::fs::write(junit_path, junit(&path, &outcomes, elapsed)) {
            eprintln!("error: cannot write {}: {e}", junit_path.display());
            return 2;
        }
    }
    if outcomes.iter().all(|o| o.passed) {
        0
    } else {
        1
    }
}

fn load(path: &Path) -> Result<File, String> {
    let mut text = String::new();
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    std::io::Read::read_to_string(&mut std::io::Read::take(f, FILE_LIMIT), &mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file: File = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if file.check.is_empty() {
        return Err(format!(
            "{}: no [[check]] rows: nothing to check",
            path.display()
        ));
    }
    Ok(file)
}

/// The probes of the rows, with their names and expectations.
fn probes(file: &File, cacert: &[PathBuf]) -> Result<Vec<Planned>, String> {
    let d = &file.defaults;
    let mut out = Vec::new();
    for (i, row) in file.check.iter().enumerate() {
        let n = i + 1;
        let url = if row.url.contains("://") {
            row.url.clone()
        } else {
            let Some(base) = &d.base else {
                return Err(format!(
                    "check {n}: url {:?} is relative and [defaults] has no base",
                    row.url
                ));
            };
            format!(
                "{}/{}",
                base.trim_end_matches('/'),
                row.url.trim_start_matches('/')
            )
        };
        let Some(origin) = row.origin.clone().or_else(|| d.origin.clone()) else {
            return Err(format!(
                "check {n}: no origin (set it on the row or in [defaults])"
            ));
        };
        let mut probe = Probe::new(&url, &origin);
        probe.method = row.method.clone();
        for h in &row.headers {
            probe
                .headers
                .push(parse_header(h).map_err(|e| format!("check {n}: {e}"))?);
        }
        for c in &row.cookies {
            probe
                .cookies
                .push(parse_cookie(c).map_err(|e| format!("check {n}: {e}"))?);
        }
        probe.body = row.body.as_ref().map(|b| b.as_bytes().to_vec());
        probe.credentials = row.credentials;
        probe.send = row.send;
        probe.cacert = cacert.to_vec();
        probe.insecure = d.insecure;
        if let Some(t) = d.timeout {
            probe.timeout = Duration::from_secs(t.max(1));
            probe.connect_timeout = probe.connect_timeout.min(probe.timeout);
        }
        let name = row.name.clone().unwrap_or_else(|| {
            format!(
                "{} {} from {}",
                cors_model::normalize_method(&row.method),
                url,
                origin
            )
        });
        out.push(Planned {
            name,
            expect: row.expect,
            cors_error: row.cors_error.clone(),
            probe,
        });
    }
    Ok(out)
}

/// Runs every probe, at most `concurrency` at a time, on one thread; results in row order.
fn run_all(probes: Vec<Planned>, concurrency: usize) -> Result<Vec<Outcome>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    let local = tokio::task::LocalSet::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let outcomes = local.block_on(&runtime, async move {
        let mut handles = Vec::new();
        for Planned {
            name,
            expect,
            cors_error,
            probe,
        } in probes
        {
            let permits = permits.clone();
            let probe = Rc::new(probe);
            handles.push(tokio::task::spawn_local(async move {
                let _permit = permits.acquire_owned().await.ok();
                let started = Instant::now();
                let report = run(&probe).await;
                judge(
                    name,
                    expect,
                    cors_error,
                    report,
                    started.elapsed().as_secs_f64(),
                )
            }));
        }
        let mut outcomes = Vec::new();
        for handle in handles {
            match handle.await {
                Ok(o) => outcomes.push(o),
                Err(e) => return Err(format!("a check did not finish: {e}")),
            }
        }
        Ok(outcomes)
    })?;
    Ok(outcomes)
}

fn judge(
    name: String,
    expect: Expect,
    cors_error: Option<String>,
    report: Report,
    seconds: f64,
) -> Outcome {
    let got = match (&report.error, report.verdict) {
        (Some(_), _) | (None, None) => "error".to_owned(),
        (None, Some(v)) => v.as_str().to_owned(),
    };
    let actual_error = report.diagnosis.as_ref().map(|d| d.cors_error);
    let why = match (&report.error, report.verdict) {
        (Some(crate::ProbeError::Usage(e)), _) => format!("usage error: {e}"),
        (Some(crate::ProbeError::Network(e)), _) => format!("network error: {e}"),
        (None, Some(Verdict::NotChecked)) => format!(
            "not checked: the {} request was not sent (add `send = true` to the row, against \
             a server where sending it is harmless)",
            report.method
        ),
        (None, Some(v)) if v.as_str() != expect.as_str() => {
            format!("expected {}, got {}", expect.as_str(), v.as_str())
        }
        (None, Some(_)) => match (&cors_error, actual_error) {
            (Some(want), got) if Some(want.as_str()) != got => {
                format!("expected corsError {want}, got {}", got.unwrap_or("none"))
            }
            _ => String::new(),
        },
        (None, None) => "no verdict".to_owned(),
    };
    Outcome {
        name,
        expect,
        got,
        passed: why.is_empty(),
        why,
        report,
        seconds,
    }
}

fn table(path: &Path, outcomes: &[Outcome], concurrency: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cors-probe check {}: {} check(s), {concurrency} at a time\n",
        path.display(),
        outcomes.len()
    );
    let _ = writeln!(out, "  {:<6} {:<7} {:<11} check", "result", "expect", "got");
    for o in outcomes {
        let mark = if o.passed { "ok" } else { "FAIL" };
        let _ = writeln!(
            out,
            "  {mark:<6} {:<7} {:<11} {}",
            o.expect.as_str(),
            o.got,
            o.name
        );
        if !o.passed {
            let _ = writeln!(out, "         {}", o.why);
            if let Some(console) = &o.report.console {
                let _ = writeln!(out, "         console: {console}");
            }
            if let Some(hint) = o.report.hints.first() {
                let _ = writeln!(out, "         hint: {hint}");
            }
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    let _ = writeln!(out, "\n{} passed, {failed} failed", outcomes.len() - failed);
    out
}

/// Escapes text for XML content and attributes; drops characters XML 1.0 cannot hold.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

fn junit(path: &Path, outcomes: &[Outcome], elapsed: f64) -> String {
    let suite = xml(&path.display().to_string());
    let errors = outcomes
        .iter()
        .filter(|o| !o.passed && o.got == "error")
        .count();
    let failures = outcomes
        .iter()
        .filter(|o| !o.passed && o.got != "error")
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"cors-probe\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" \
         time=\"{elapsed:.3}\">",
        outcomes.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" \
         skipped=\"0\" time=\"{elapsed:.3}\">",
        outcomes.len()
    );
    for o in outcomes {
        let _ = write!(
            out,
            "    <testcase classname=\"cors-probe\" name=\"{}\" time=\"{:.3}\"",
            xml(&o.name),
            o.seconds
        );
        if o.passed {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let tag = if o.got == "error" { "error" } else { "failure" };
        let mut detail = String::new();
        if let Some(console) = &o.report.console {
            let _ = writeln!(detail, "console: {console}");
        }
        for hint in &o.report.hints {
            let _ = writeln!(detail, "hint: {hint}");
        }
        let _ = writeln!(
            out,
            "      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>",
            xml(&o.why),
            xml(&o.got),
            xml(&detail)
        );
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml(&o.report.to_text())
        );
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(xml("a<b>&\"c'\u{1}\n"), "a&lt;b&gt;&amp;&quot;c&apos;\n");
    }

    #[test]
    fn a_row_must_say_what_it_expects() {
        let err = toml::from_str::<File>("[[check]]\nurl = \"/x\"\n").map(|_| ());
        assert!(err.is_err());
        let err =
            toml::from_str::<File>("[[check]]\nurl = \"/x\"\nexpect = \"maybe\"\n").map(|_| ());
        assert!(err.is_err());
        let err =
            toml::from_str::<File>("[[check]]\nurl = \"/x\"\nexpect = \"allowed\"\nsned = true\n")
                .map(|_| ());
        assert!(err.is_err(), "an unknown key is an error, not ignored");
    }
}
