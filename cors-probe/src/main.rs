//! `cors-probe URL --origin ORIGIN [--method M] [--header 'Name: value']… [--credentials] [--json]`
//!
//! Exit status: 0 when the browser would let the page read the response, 1 when it would block
//! it, 2 for a usage or network error.

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
            "Exit status: 0 the page can read the response, 1 the browser blocks it, 2 usage or \
             network error.",
        )
        .arg(
            Arg::new("url")
                .value_name("URL")
                .required(true)
                .help("http:// or https:// URL"),
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
            Arg::new("credentials")
                .long("credentials")
                .action(ArgAction::SetTrue)
                .help("credentials: 'include' (no cookie is actually sent)"),
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

fn main() {
    let matches = match command().try_get_matches() {
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
    probe.connect_timeout = seconds("connect-timeout");
    probe.timeout = seconds("timeout");
    // On stderr, so it never mixes with the report or the JSON on stdout.
    probe.progress = true;
    for arg in matches.get_many::<String>("header").into_iter().flatten() {
        match cors_probe::parse_header(arg) {
            Ok(h) => probe.headers.push(h),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
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
