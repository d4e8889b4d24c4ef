//! `cors-probe URL --origin ORIGIN [--method M] [--header 'Name: value']… [--data TEXT]
//! [--credentials [--cookie NAME=VALUE]…] [--send] [--json]`, and `cors-probe check FILE.toml`.
//!
//! Exit status: 0 when the browser would let the page read the response (or CORS does not apply),
//! 1 when it would block it, 2 for a usage or network error, 3 when the actual request was not
//! sent (a method that may change data, without `--send`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgAction, Command};

fn command() -> Command {
    Command::new("cors-probe")
        .version(env!("CARGO_PKG_VERSION"))
        .about(
            "Checks a server's CORS answers exactly as a browser would: preflight, CORS check, \
             Chrome's error sentence and the fix.",
        )
        .after_help(
            "Exit status: 0 the page can read the response (or same origin), 1 the browser \
             blocks it, 2 usage or network error, 3 not checked (a method that may change data, \
             without --send).\n\
             `cors-probe check FILE.toml [--junit FILE]` runs a table of expectations.\n\
             SSL_CERT_FILE, when set, is trusted like --cacert.",
        )
        .arg(
            Arg::new("url")
                .value_name("URL")
                .required(true)
                .help("http://, https://, ws:// or wss:// URL"),
        )
        .arg(
            Arg::new("origin")
                .long("origin")
                .value_name("ORIGIN")
                .required(true)
                .help("the page's origin, scheme://host[:port] (or null)"),
        )
        .arg(
            Arg::new("method")
                .long("method")
                .short('X')
                .value_name("M")
                .default_value("GET")
                .help("the method passed to fetch()"),
        )
        .arg(
            Arg::new("header")
                .long("header")
                .short('H')
                .value_name("'Name: value'")
                .action(ArgAction::Append)
                .help("a request header set by the page (repeatable)"),
        )
        .arg(
            Arg::new("data")
                .long("data")
                .short('d')
                .value_name("TEXT")
                .conflicts_with("data-file")
                .help(
                    "the request body (Content-Type text/plain;charset=UTF-8 unless -H sets one)",
                ),
        )
        .arg(
            Arg::new("data-file")
                .long("data-file")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("the request body, read from FILE"),
        )
        .arg(
            Arg::new("credentials")
                .long("credentials")
                .action(ArgAction::SetTrue)
                .help("credentials: 'include' (sends the --cookie cookies)"),
        )
        .arg(
            Arg::new("cookie")
                .long("cookie")
                .short('b')
                .value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .help("a cookie the browser holds for the URL, sent only with --credentials"),
        )
        .arg(
            Arg::new("send")
                .long("send")
                .action(ArgAction::SetTrue)
                .help(
                "send the actual request even if its method may change data (not GET/HEAD/OPTIONS)",
            ),
        )
        .arg(
            Arg::new("cacert")
                .long("cacert")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Append)
                .help("PEM certificate(s) of a CA to trust besides the bundled roots"),
        )
        .arg(
            Arg::new("insecure")
                .long("insecure")
                .short('k')
                .action(ArgAction::SetTrue)
                .help("accept any TLS certificate (a browser does not; marked in the report)"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("print one JSON object instead of the text report"),
        )
        .arg(
            Arg::new("connect-timeout")
                .long("connect-timeout")
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64))
                .default_value("10")
                .help("time allowed to open each connection"),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64))
                .default_value("30")
                .help("time allowed for the whole probe"),
        )
}

/// At most this many bytes are read from `--data-file`.
const BODY_FILE_LIMIT: u64 = 64 * 1024 * 1024;

/// The CA files: `--cacert` and `SSL_CERT_FILE`.
pub(crate) fn cacert(given: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = given.into_iter().collect();
    if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
        files.push(PathBuf::from(path));
    }
    files
}

/// A usage error found here, before the probe: on stderr, and as the JSON report's `error`
/// with `--json`, exit status 2.
fn fail(message: &str, json: bool) -> ! {
    eprintln!("error: {message}");
    if json {
        println!(
            "{}",
            serde_json::json!({
                "verdict": null,
                "error": { "kind": "usage", "message": message },
                "steps": [],
                "exit_code": 2,
            })
        );
    }
    std::process::exit(2);
}

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "check") {
        args.remove(1);
        std::process::exit(cors_probe::check::main(args, cacert([])));
    }
    let matches = match command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors.
            std::process::exit(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let get = |name: &str| matches.get_one::<String>(name).cloned().unwrap_or_default();
    let seconds =
        |name: &str| Duration::from_secs(matches.get_one::<u64>(name).copied().unwrap_or(30));
    let json = matches.get_flag("json");
    let mut probe = cors_probe::Probe::new(&get("url"), &get("origin"));
    probe.method = get("method");
    probe.credentials = matches.get_flag("credentials");
    probe.send = matches.get_flag("send");
    probe.insecure = matches.get_flag("insecure");
    probe.cacert = cacert(
        matches
            .get_many::<PathBuf>("cacert")
            .into_iter()
            .flatten()
            .cloned(),
    );
    if let Some(data) = matches.get_one::<String>("data") {
        probe.body = Some(data.clone().into_bytes());
    } else if let Some(path) = matches.get_one::<PathBuf>("data-file") {
        let mut body = Vec::new();
        let read = std::fs::File::open(path).and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, BODY_FILE_LIMIT + 1), &mut body)
        });
        match read {
            Ok(n) if n as u64 > BODY_FILE_LIMIT => fail(
                &format!(
                    "--data-file {}: larger than {} MiB",
                    path.display(),
                    BODY_FILE_LIMIT >> 20
                ),
                json,
            ),
            Ok(_) => probe.body = Some(body),
            Err(e) => fail(&format!("--data-file {}: {e}", path.display()), json),
        }
    }
    for arg in matches.get_many::<String>("cookie").into_iter().flatten() {
        match cors_probe::parse_cookie(arg) {
            Ok(c) => probe.cookies.push(c),
            Err(e) => fail(&e, json),
        }
    }
    probe.connect_timeout = seconds("connect-timeout");
    probe.timeout = seconds("timeout");
    // On stderr, so it never mixes with the report or the JSON on stdout.
    probe.progress = true;
    for arg in matches.get_many::<String>("header").into_iter().flatten() {
        match cors_probe::parse_header(arg) {
            Ok(h) => probe.headers.push(h),
            Err(e) => fail(&e, json),
        }
    }
    let report = cors_probe::run_blocking(&probe);
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    std::process::exit(report.exit_code());
}
