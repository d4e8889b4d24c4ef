//! `cors-probe`: checks a live server's CORS answers exactly as a browser would, and says how to
//! fix what fails.
//!
//! CORS is enforced by browsers only: curl and Postman read any answer. `cors-probe` does what a
//! browser does for `fetch(url, { method, headers, credentials })` from a page on `origin`:
//!
//! 1. decides, with the Fetch Standard's rules (`cors-model`), whether a preflight is needed;
//! 2. sends it with exactly the browser's headers (`Origin`, `Accept: */*`,
//!    `Access-Control-Request-Method` and the sorted lowercase `Access-Control-Request-Headers`,
//!    no credentials) and validates the answer;
//! 3. sends the actual request (`Origin` and the page's headers, empty body) and applies the
//!    CORS check;
//! 4. on failure prints Chrome's console sentence and the likely fixes.
//!
//! Deliberate choices where a browser's behaviour cannot be reproduced from the command line:
//! - no cookie jar: `--credentials` sets the credentials mode to `include` (which changes every
//!   check) but sends no cookie;
//! - redirects are not followed: a redirected preflight fails (as in every browser); a
//!   redirected actual request is judged at its first hop and the `Location` is reported, to be
//!   probed next (with `--origin null` when the redirect leaves the URL's origin);
//! - `*` in `Access-Control-Allow-Headers` covers `Authorization` without credentials, as in
//!   every browser today (the Fetch Standard says it should not; a warning says so);
//! - a missing `Vary: Origin` is checked by asking a second time with another origin (only
//!   with a safe method: the preflight, or a `GET`/`HEAD` actual request) and reported as a
//!   warning: the browser allows the answer, shared caches may serve it to another origin.
//!
//! ```no_run
//! # fn main() {
//! let probe = cors_probe::Probe::new("https://api.example.com/v1/items", "https://app.example.com");
//! let report = cors_probe::run_blocking(&probe);
//! print!("{}", report.to_text());
//! std::process::exit(report.exit_code());
//! # }
//! ```

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod judge;
mod net;

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::time::Duration;

use cors_model::{CredentialsMode, FetchRequest, WireResponse};
use http::HeaderMap;
use serde_json::{json, Value};

pub use judge::{
    check_actual, check_preflight, console_sentence, echoes_origin, redirect_location,
    varies_on_origin, Diagnosis, PreflightVerdict,
};

/// The origin used to find out whether an answer depends on `Origin`.
const OTHER_ORIGIN: &str = "https://cors-probe.invalid";

/// What to probe: the page's `fetch()` call and the client's limits.
#[derive(Clone, Debug)]
pub struct Probe {
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    /// The page's origin (`scheme://host[:port]`, or `null`).
    pub origin: String,
    /// The method as passed to `fetch()` (normalized as the browser does).
    pub method: String,
    /// The page's request headers, in order.
    pub headers: Vec<(String, String)>,
    /// Credentials mode `include` instead of `same-origin`.
    pub credentials: bool,
    /// Time allowed to open each TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed for the whole probe.
    pub timeout: Duration,
    /// Print a progress line on stderr while waiting for a slow server.
    pub progress: bool,
}

impl Probe {
    /// A `GET` without headers or credentials, 10 s to connect, 30 s in all, no progress line.
    pub fn new(url: &str, origin: &str) -> Probe {
        Probe {
            url: url.to_owned(),
            origin: origin.to_owned(),
            method: "GET".to_owned(),
            headers: Vec::new(),
            credentials: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            progress: false,
        }
    }
}

/// The browser's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The page can read the response.
    Allowed,
    /// `fetch()` rejects with a `TypeError`; the console shows why.
    Blocked,
}

impl Verdict {
    /// `"allowed"` or `"blocked"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Blocked => "blocked",
        }
    }
}

/// One request on the wire and its answer.
#[derive(Clone, Debug)]
pub struct Step {
    /// `preflight`, `actual` or `vary-check`.
    pub name: &'static str,
    /// Method sent.
    pub method: String,
    /// Path and query sent.
    pub target: String,
    /// Headers sent (besides `Host`), as sent.
    pub sent: Vec<(String, String)>,
    /// Status received (`None` when the exchange failed).
    pub status: Option<u16>,
    /// The status's reason phrase.
    pub reason: String,
    /// Headers received, in order.
    pub received: Vec<(String, String)>,
    /// Whether the browser accepts this answer.
    pub passed: bool,
    /// What the browser concludes, in a sentence.
    pub verdict: String,
}

/// Why the probe could not judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeError {
    /// Bad arguments (exit status 2).
    Usage(String),
    /// The server could not be reached or did not answer HTTP (exit status 2).
    Network(String),
}

/// Everything the probe found.
#[derive(Clone, Debug)]
pub struct Report {
    /// The URL probed.
    pub url: String,
    /// The page's origin.
    pub origin: String,
    /// The method as the browser sends it.
    pub method: String,
    /// Credentials mode `include`.
    pub credentials: bool,
    /// Whether the browser sends a preflight.
    pub preflight: bool,
    /// Why it does (empty when it does not).
    pub preflight_reasons: Vec<String>,
    /// Requests and answers, in order.
    pub steps: Vec<Step>,
    /// `None` when the probe could not judge (see `error`).
    pub verdict: Option<Verdict>,
    /// Chrome's diagnosis when blocked.
    pub diagnosis: Option<Diagnosis>,
    /// Chrome's console sentence when blocked.
    pub console: Option<String>,
    /// Usage or network error.
    pub error: Option<ProbeError>,
    /// Fixes, most likely first.
    pub hints: Vec<String>,
    /// Things the browser allows but should be fixed.
    pub warnings: Vec<String>,
    /// `(status, Location)` of a redirect the browser would follow (not followed here).
    pub redirect: Option<(u16, String)>,
    /// Lowercase names of the response headers the page can read, when allowed.
    pub readable_headers: Vec<String>,
}

impl Report {
    fn new(probe: &Probe) -> Report {
        Report {
            url: probe.url.clone(),
            origin: probe.origin.clone(),
            method: cors_model::normalize_method(&probe.method),
            credentials: probe.credentials,
            preflight: false,
            preflight_reasons: Vec::new(),
            steps: Vec::new(),
            verdict: None,
            diagnosis: None,
            console: None,
            error: None,
            hints: Vec::new(),
            warnings: Vec::new(),
            redirect: None,
            readable_headers: Vec::new(),
        }
    }

    /// 0 when the browser lets the page read the response, 1 when it blocks it, 2 for a usage
    /// or network error.
    pub fn exit_code(&self) -> i32 {
        match (self.verdict, &self.error) {
            (Some(Verdict::Allowed), None) => 0,
            (Some(Verdict::Blocked), None) => 1,
            _ => 2,
        }
    }

    fn block(&mut self, diagnosis: Diagnosis) {
        self.console = Some(console_sentence(&self.url, &self.origin, &diagnosis));
        self.hints.extend(diagnosis.hints.iter().cloned());
        self.diagnosis = Some(diagnosis);
        self.verdict = Some(Verdict::Blocked);
    }

    /// The report for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let credentials = if self.credentials { "include" } else { "omit" };
        let _ = writeln!(
            out,
            "cors-probe: fetch('{}', {{ method: '{}', credentials: '{credentials}' }}) from {}",
            self.url, self.method, self.origin
        );
        if self.preflight {
            let _ = writeln!(
                out,
                "The browser sends a preflight first: {}.",
                self.preflight_reasons.join("; ")
            );
        } else if self.error.is_none() || !self.steps.is_empty() {
            let _ = writeln!(
                out,
                "No preflight: the method and headers are CORS-safelisted."
            );
        }
        for (i, step) in self.steps.iter().enumerate() {
            let _ = writeln!(out, "\n{}. {}", i + 1, step.name);
            let _ = writeln!(out, "   > {} {} HTTP/1.1", step.method, step.target);
            // The vary check repeats the previous request with another origin: show what
            // differs and what matters only.
            let compact = step.name == "vary-check";
            for (n, v) in &step.sent {
                if !compact || n == "origin" {
                    let _ = writeln!(out, "   > {n}: {v}");
                }
            }
            if let Some(status) = step.status {
                let _ = writeln!(out, "   < HTTP/1.1 {status} {}", step.reason);
                for (n, v) in &step.received {
                    if !compact || n == "access-control-allow-origin" || n == "vary" {
                        let _ = writeln!(out, "   < {n}: {v}");
                    }
                }
            }
            let mark = if step.passed { "ok" } else { "FAIL" };
            let _ = writeln!(out, "   = {mark}: {}", step.verdict);
        }
        out.push('\n');
        match (&self.error, self.verdict) {
            (Some(ProbeError::Usage(e)), _) => {
                let _ = writeln!(out, "error: {e}");
            }
            (Some(ProbeError::Network(e)), _) => {
                let _ = writeln!(out, "network error: {e}");
            }
            (None, Some(Verdict::Allowed)) => {
                let _ = writeln!(out, "verdict: ALLOWED: the page can read the response");
                if !self.readable_headers.is_empty() {
                    let _ = writeln!(
                        out,
                        "readable response headers: {}",
                        self.readable_headers.join(", ")
                    );
                }
            }
            (None, Some(Verdict::Blocked)) => {
                let _ = writeln!(out, "verdict: BLOCKED: the page cannot read the response");
            }
            (None, None) => {}
        }
        if let Some(console) = &self.console {
            let _ = writeln!(out, "\nChrome's console says:\n  {console}");
        }
        if let Some((status, location)) = &self.redirect {
            let _ = writeln!(
                out,
                "\nredirect: {status} to {location} (not followed; probe that URL next)"
            );
        }
        if !self.hints.is_empty() {
            let _ = writeln!(out, "\nHow to fix it:");
            for hint in &self.hints {
                let _ = writeln!(out, "  - {hint}");
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "\nWarnings:");
            for warning in &self.warnings {
                let _ = writeln!(out, "  - {warning}");
            }
        }
        out
    }

    /// The report as one JSON object: `verdict` (`"allowed"`, `"blocked"` or `null` on error),
    /// `preflight`, `preflight_reasons`, `steps`, `error` (`null`, or an object with `kind`
    /// `cors`/`network`/`usage`), `hints`, `warnings`, `redirect`, `readable_headers`,
    /// `exit_code`.
    pub fn to_json(&self) -> Value {
        let pairs = |list: &[(String, String)]| -> Value {
            list.iter().map(|(n, v)| json!([n, v])).collect::<Value>()
        };
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                json!({
                    "step": s.name,
                    "sent": { "method": s.method, "target": s.target, "headers": pairs(&s.sent) },
                    "received": s.status.map(|status| json!({
                        "status": status,
                        "headers": pairs(&s.received),
                    })),
                    "passed": s.passed,
                    "verdict": s.verdict,
                })
            })
            .collect();
        let error = match (&self.error, &self.diagnosis) {
            (Some(ProbeError::Usage(m)), _) => json!({ "kind": "usage", "message": m }),
            (Some(ProbeError::Network(m)), _) => json!({ "kind": "network", "message": m }),
            (None, Some(d)) => json!({
                "kind": "cors",
                "cors_error": d.cors_error,
                "console": self.console,
            }),
            (None, None) => Value::Null,
        };
        json!({
            "url": self.url,
            "origin": self.origin,
            "method": self.method,
            "credentials": self.credentials,
            "verdict": self.verdict.map(Verdict::as_str),
            "preflight": self.preflight,
            "preflight_reasons": self.preflight_reasons,
            "steps": steps,
            "error": error,
            "hints": self.hints,
            "warnings": self.warnings,
            "redirect": self.redirect.as_ref().map(|(s, l)| json!({ "status": s, "location": l })),
            "readable_headers": self.readable_headers,
            "exit_code": self.exit_code(),
        })
    }
}

/// Checks an origin argument: a serialized origin or `null`.
fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "null" {
        return Ok(());
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err(format!(
            "--origin {origin:?} is not an origin: write scheme://host[:port], for example \
             https://app.example.com"
        ));
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(format!(
            "--origin {origin:?}: the scheme must be lowercase, as browsers send it"
        ));
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "--origin {origin:?} is not an origin: no path, trailing slash, query or user \
             (a browser sends scheme://host[:port] only)"
        ));
    }
    if rest.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "--origin {origin:?}: browsers send the host in lowercase"
        ));
    }
    Ok(())
}

/// Parses a `Name: value` argument.
pub fn parse_header(arg: &str) -> Result<(String, String), String> {
    let Some((name, value)) = arg.split_once(':') else {
        return Err(format!("--header {arg:?}: write 'Name: value'"));
    };
    let name = name.trim();
    if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("--header {arg:?}: {name:?} is not a header name"));
    }
    // `#concept-header-value-normalize`: leading and trailing HTTP whitespace go.
    let value = value.trim_matches([' ', '\t', '\r', '\n']);
    if http::HeaderValue::from_str(value).is_err() {
        return Err(format!(
            "--header {arg:?}: the value is not a valid header value"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn display(headers: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

fn display_map(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Why a request needs a preflight, in words.
fn preflight_reasons(req: &FetchRequest) -> Vec<String> {
    let mut reasons = Vec::new();
    if !cors_model::is_cors_safelisted_method(&req.method) {
        reasons.push(format!("{} is not a CORS-safelisted method", req.method));
    }
    let unsafe_names = cors_model::cors_unsafe_request_header_names(&req.headers);
    for name in &unsafe_names {
        let value = req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        if cors_model::is_cors_safelisted_request_header(name, value.as_bytes()) {
            reasons.push(format!(
                "{name} is safelisted alone, but the safelisted values add up to more than 1024 \
                 bytes"
            ));
        } else if matches!(
            name.as_str(),
            "accept" | "accept-language" | "content-language" | "content-type" | "range"
        ) {
            reasons.push(format!(
                "header {name} with value {value:?} is not CORS-safelisted"
            ));
        } else {
            reasons.push(format!("header {name} is not CORS-safelisted"));
        }
    }
    reasons
}

/// Sends one request and records it as a step; the answer, or the network error.
async fn exchange(
    report: &mut Report,
    name: &'static str,
    target: &net::Target,
    method: &str,
    headers: &[(String, Vec<u8>)],
    limits: net::Limits,
    progress: bool,
) -> Result<WireResponse, String> {
    let what = format!("{name} {method} {}:{}", target.host, target.port);
    let sending = net::send(target, method, headers, limits);
    let result = if progress {
        with_progress(&what, sending).await
    } else {
        sending.await
    };
    let path = target
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let mut step = Step {
        name,
        method: method.to_owned(),
        target: path,
        sent: display(headers),
        status: None,
        reason: String::new(),
        received: Vec::new(),
        passed: false,
        verdict: String::new(),
    };
    match result {
        Ok(received) => {
            step.status = Some(received.status);
            step.reason = received.reason;
            step.received = display_map(&received.headers);
            report.steps.push(step);
            Ok(WireResponse {
                status: received.status,
                headers: received.headers,
            })
        }
        Err(e) => {
            step.verdict = format!("no answer: {e}");
            report.steps.push(step);
            Err(e)
        }
    }
}

/// Runs `future`, printing a progress line on stderr when it takes long: on a terminal after
/// one second (updated in place), otherwise after three seconds and every ten seconds then.
async fn with_progress<F: std::future::Future>(what: &str, future: F) -> F::Output {
    let tty = std::io::stderr().is_terminal();
    let first = Duration::from_secs(if tty { 1 } else { 3 });
    tokio::pin!(future);
    let started = tokio::time::Instant::now();
    let mut printed = false;
    let mut next = started + first;
    loop {
        tokio::select! {
            output = &mut future => {
                if printed && tty {
                    eprint!("\r\x1b[2K");
                    let _ = std::io::stderr().flush();
                }
                return output;
            }
            () = tokio::time::sleep_until(next) => {
                let waited = started.elapsed().as_secs();
                if tty {
                    eprint!("\r\x1b[2Kcors-probe: waiting for {what}… {waited} s");
                    let _ = std::io::stderr().flush();
                    next += Duration::from_secs(1);
                } else {
                    eprintln!("cors-probe: still waiting for {what} after {waited} s");
                    next += Duration::from_secs(10);
                }
                printed = true;
            }
        }
    }
}

/// Probes the server; never panics, whatever it answers.
pub async fn run(probe: &Probe) -> Report {
    let mut report = Report::new(probe);
    let target = match net::Target::parse(&probe.url) {
        Ok(t) => t,
        Err(e) => {
            report.error = Some(ProbeError::Usage(e));
            return report;
        }
    };
    if let Err(e) = check_origin(&probe.origin) {
        report.error = Some(ProbeError::Usage(e));
        return report;
    }
    if http::Method::from_bytes(probe.method.as_bytes()).is_err() {
        report.error = Some(ProbeError::Usage(format!(
            "--method {:?} is not an HTTP method token",
            probe.method
        )));
        return report;
    }
    if cors_model::is_forbidden_method(&probe.method) {
        report.error = Some(ProbeError::Usage(format!(
            "fetch() refuses the method {:?} (a forbidden method): no browser sends it",
            probe.method
        )));
        return report;
    }
    let borrowed: Vec<(&str, &[u8])> = probe
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    for (name, value) in &borrowed {
        if cors_model::is_forbidden_request_header(name, value) {
            report.warnings.push(format!(
                "the browser does not let a page set `{name}` (a forbidden request header): it \
                 is not sent"
            ));
        }
    }
    let credentials = if probe.credentials {
        CredentialsMode::Include
    } else {
        CredentialsMode::Omit
    };
    let req = FetchRequest::new(&probe.origin, &probe.method, &borrowed, credentials);
    let limits = net::Limits {
        connect: probe.connect_timeout,
        deadline: tokio::time::Instant::now() + probe.timeout,
    };

    report.preflight = cors_model::needs_preflight(&req);
    let mut preflight_passed = false;
    // Whether the answers depend on `Origin`, when a vary check found out.
    let mut origin_dependent = None;
    if report.preflight {
        report.preflight_reasons = preflight_reasons(&req);
        let wire = cors_model::preflight_request(&req);
        let response = match exchange(
            &mut report,
            "preflight",
            &target,
            &wire.method,
            &wire.headers,
            limits,
            probe.progress,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                report.error = Some(ProbeError::Network(e));
                return report;
            }
        };
        match check_preflight(&req, &response) {
            PreflightVerdict::Passed { outcome, warnings } => {
                if let Some(step) = report.steps.last_mut() {
                    step.passed = true;
                    step.verdict = format!(
                        "preflight accepted (cached for {} s at most)",
                        outcome.max_age
                    );
                }
                report.warnings.extend(warnings);
                preflight_passed = true;
                origin_dependent = vary_check(
                    &mut report,
                    &req,
                    &response,
                    &target,
                    (&wire.method, &wire.headers),
                    limits,
                )
                .await;
            }
            PreflightVerdict::Failed(diagnosis) => {
                if let Some(step) = report.steps.last_mut() {
                    step.verdict = format!("preflight rejected: {}", diagnosis.cors_error);
                }
                if let Some(location) = redirect_location(&response) {
                    report.redirect = Some((response.status, location));
                }
                report.block(diagnosis);
                return report;
            }
        }
    }

    // The actual request: `Origin` and the page's headers; no cookie jar.
    let mut headers = vec![("origin".to_owned(), req.origin.as_bytes().to_vec())];
    headers.extend(req.headers.iter().cloned());
    let response = match exchange(
        &mut report,
        "actual",
        &target,
        &req.method,
        &headers,
        limits,
        probe.progress,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            report.error = Some(ProbeError::Network(e));
            return report;
        }
    };
    let redirect = redirect_location(&response).map(|l| (response.status, l));
    match check_actual(&req, &response, preflight_passed) {
        Ok(()) => {
            if let Some(step) = report.steps.last_mut() {
                step.passed = true;
                step.verdict = "CORS check passed".to_owned();
            }
            report.verdict = Some(Verdict::Allowed);
            report.readable_headers = cors_model::readable_header_names(&req, &response);
            if let Some((_, location)) = &redirect {
                report.warnings.push(format!(
                    "the answer is a redirect to {location}: the browser follows it and judges \
                     the next answer too (its `Origin` becomes `null` if the redirect leaves \
                     this URL's origin); run cors-probe on that URL"
                ));
            }
            if matches!(req.method.as_str(), "GET" | "HEAD") {
                let _ = vary_check(
                    &mut report,
                    &req,
                    &response,
                    &target,
                    (&req.method, &headers),
                    limits,
                )
                .await;
            } else if echoes_origin(&req, &response)
                && !varies_on_origin(&response)
                && origin_dependent.is_none()
            {
                report.warnings.push(
                    "the answer echoes the origin without `Vary: Origin`: if the server picks \
                     this value per request, add `Vary: Origin`, or a cache may serve this \
                     answer to another origin (not checked: the method is not safe to repeat)"
                        .to_owned(),
                );
            }
        }
        Err(diagnosis) => {
            if let Some(step) = report.steps.last_mut() {
                step.verdict = format!("CORS check failed: {}", diagnosis.cors_error);
            }
            report.block(diagnosis);
        }
    }
    report.redirect = redirect;
    report
}

/// When `response` echoes the origin without `Vary: Origin`, asks again with another origin:
/// an answer that changes is origin-dependent and needs `Vary: Origin`. Returns whether it is,
/// when the check ran.
async fn vary_check(
    report: &mut Report,
    req: &FetchRequest,
    response: &WireResponse,
    target: &net::Target,
    (method, headers): (&str, &[(String, Vec<u8>)]),
    limits: net::Limits,
) -> Option<bool> {
    if !echoes_origin(req, response) || varies_on_origin(response) {
        return None;
    }
    let headers: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| {
            if n.eq_ignore_ascii_case("origin") {
                (n.clone(), OTHER_ORIGIN.as_bytes().to_vec())
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    let Ok(other) = exchange(
        report,
        "vary-check",
        target,
        method,
        &headers,
        limits,
        false,
    )
    .await
    else {
        report.warnings.push(
            "the answer echoes the origin without `Vary: Origin`; asking with another origin \
             failed, so whether it is origin-dependent is unknown"
                .to_owned(),
        );
        return None;
    };
    let first = cors_model::get_header(&response.headers, "access-control-allow-origin");
    let second = cors_model::get_header(&other.headers, "access-control-allow-origin");
    let dependent = first != second;
    if let Some(step) = report.steps.last_mut() {
        step.passed = !dependent;
        step.verdict = if dependent {
            format!(
                "the answer depends on Origin (another origin gets {}) but has no `Vary: Origin`",
                second.map_or_else(
                    || "no Access-Control-Allow-Origin".to_owned(),
                    |v| format!("'{}'", String::from_utf8_lossy(&v))
                )
            )
        } else {
            "the same Access-Control-Allow-Origin for another origin: a static value needs no \
             Vary"
                .to_owned()
        };
    }
    if dependent {
        report.warnings.push(format!(
            "missing `Vary: Origin`: the {} answer depends on the request's Origin, so a shared \
             or browser cache may serve the answer for {} to another origin (which the browser \
             then blocks) — add `Vary: Origin` to every answer of this resource, including ones \
             without CORS headers",
            report.steps.iter().rev().nth(1).map_or("", |s| s.name),
            req.origin
        ));
    }
    Some(dependent)
}

/// [`run`] on a fresh single-threaded runtime.
pub fn run_blocking(probe: &Probe) -> Report {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(probe)),
        Err(e) => {
            let mut report = Report::new(probe);
            report.error = Some(ProbeError::Network(format!(
                "cannot start the I/O runtime: {e}"
            )));
            report
        }
    }
}
