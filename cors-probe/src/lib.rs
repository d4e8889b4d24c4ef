//! `cors-probe`: checks a live server's CORS answers exactly as a browser would, and says how to
//! fix what fails.
//!
//! CORS is enforced by browsers only: curl and Postman read any answer. `cors-probe` does what a
//! browser does for `fetch(url, { method, headers, body, credentials })` from a page on `origin`:
//!
//! 1. a page on the URL's own origin is not a CORS request at all: it says so and sends nothing;
//! 2. decides, with the Fetch Standard's rules (`cors-model`), whether a preflight is needed;
//! 3. sends it with exactly the browser's headers (`Origin`, `Accept: */*`,
//!    `Access-Control-Request-Method` and the sorted lowercase `Access-Control-Request-Headers`,
//!    no credentials, no body) and validates the answer;
//! 4. sends the actual request (`Origin`, the page's headers and body, the cookies when
//!    credentialed) and applies the CORS check; a method other than `GET`, `HEAD` or `OPTIONS`
//!    is sent only when [`Probe::send`] is set, so that probing never changes data by surprise;
//! 5. on failure prints Chrome's console sentence and the likely fixes, telling a CORS layer's
//!    deliberate refusal from authentication in front of CORS.
//!
//! `ws://` and `wss://` URLs get a browser's WebSocket handshake instead (see [`run`]).
//!
//! Deliberate choices where a browser's behaviour cannot be reproduced from the command line:
//! - no cookie jar: the cookies of [`Probe::cookies`] are sent as they are, only with
//!   credentials (a browser also checks their `SameSite` and `Secure` attributes);
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

pub mod check;
mod judge;
mod lna;
mod net;
mod report;
mod ws;

use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use cors_model::{CredentialsMode, FetchRequest, WireResponse};
use http::HeaderMap;

pub use judge::{
    check_actual, check_preflight, console_sentence, echoes_origin, redirect_location,
    varies_on_origin, Diagnosis, PreflightVerdict,
};
pub use report::{ProbeError, Report, SentRequest, Step, Verdict};

/// The origin used to find out whether an answer depends on `Origin`.
const OTHER_ORIGIN: &str = "https://cors-probe.invalid";

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("cors-probe/", env!("CARGO_PKG_VERSION"));

/// The `Content-Type` `fetch()` sets for a string body when the page sets none.
const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

/// What to probe: the page's `fetch()` call and the client's limits.
#[derive(Clone, Debug)]
pub struct Probe {
    /// Absolute `http://`, `https://`, `ws://` or `wss://` URL.
    pub url: String,
    /// The page's origin (`scheme://host[:port]`, or `null`).
    pub origin: String,
    /// The method as passed to `fetch()` (normalized as the browser does).
    pub method: String,
    /// The page's request headers, in order.
    pub headers: Vec<(String, String)>,
    /// The request body (`fetch`'s `body`), sent with the actual request only. Without a
    /// `Content-Type` among [`Probe::headers`], `text/plain;charset=UTF-8` is set, as `fetch()`
    /// does for a string body.
    pub body: Option<Vec<u8>>,
    /// Credentials mode `include` instead of `same-origin`.
    pub credentials: bool,
    /// Cookies as `name=value`, sent in one `Cookie` header on the actual request when
    /// [`Probe::credentials`] is set (and on a WebSocket handshake, which always carries them).
    pub cookies: Vec<String>,
    /// Send the actual request even when its method is not `GET`, `HEAD` or `OPTIONS`.
    pub send: bool,
    /// PEM files of certificate authorities trusted besides the bundled Mozilla roots.
    pub cacert: Vec<PathBuf>,
    /// Accept any TLS certificate (a browser does not).
    pub insecure: bool,
    /// Time allowed to open each TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed for the whole probe.
    pub timeout: Duration,
    /// Print a progress line on stderr while waiting for a slow server.
    pub progress: bool,
}

impl Probe {
    /// A `GET` without headers, body or credentials, 10 s to connect, 30 s in all, no progress
    /// line.
    pub fn new(url: &str, origin: &str) -> Probe {
        Probe {
            url: url.to_owned(),
            origin: origin.to_owned(),
            method: "GET".to_owned(),
            headers: Vec::new(),
            body: None,
            credentials: false,
            cookies: Vec::new(),
            send: false,
            cacert: Vec::new(),
            insecure: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            progress: false,
        }
    }
}

/// Whether a method changes nothing on a well-behaved server (`GET`, `HEAD`, `OPTIONS`).
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Checks an origin argument: a serialized origin or `null`.
pub(crate) fn check_origin(origin: &str) -> Result<(), String> {
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
    let default_port = match scheme {
        "http" | "ws" => Some(":80"),
        "https" | "wss" => Some(":443"),
        _ => None,
    };
    if let Some(port) = default_port.filter(|p| rest.ends_with(p)) {
        return Err(format!(
            "--origin {origin:?}: browsers leave out the default port; write {:?}",
            origin.trim_end_matches(port)
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

/// Parses a `name=value` cookie argument.
pub fn parse_cookie(arg: &str) -> Result<String, String> {
    let Some((name, value)) = arg.split_once('=') else {
        return Err(format!("--cookie {arg:?}: write 'name=value'"));
    };
    let name = name.trim();
    let value = value.trim();
    if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("--cookie {arg:?}: {name:?} is not a cookie name"));
    }
    if value
        .bytes()
        .any(|b| b == b';' || b == b',' || b == b'"' || b == b'\\' || b <= b' ' || b >= 0x7f)
    {
        return Err(format!(
            "--cookie {arg:?}: a cookie value has no spaces, quotes, commas, semicolons or \
             backslashes (one --cookie per cookie)"
        ));
    }
    Ok(format!("{name}={value}"))
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

/// What one exchange gave: the answer for the judges, and the start of its body.
struct Answer {
    response: WireResponse,
    body: Vec<u8>,
}

/// The client side of one probe: connection, limits, progress.
struct Wire {
    client: net::Client,
    target: net::Target,
    limits: net::Limits,
    progress: bool,
}

impl Wire {
    /// Sends one request and records it as a step; the answer, or the network error.
    async fn exchange(
        &self,
        report: &mut Report,
        name: &'static str,
        method: &str,
        headers: &[(String, Vec<u8>)],
        body: &[u8],
    ) -> Result<Answer, String> {
        let target = &self.target;
        let what = format!("{name} {method} {}:{}", target.host, target.port);
        let sending = net::send(&self.client, target, method, headers, body, self.limits);
        let result = if self.progress && name != "vary-check" {
            with_progress(&what, sending).await
        } else {
            sending.await
        };
        let mut step = Step {
            name,
            method: method.to_owned(),
            target: target.path_and_query(),
            sent: display(headers),
            sent_body: body.len(),
            status: None,
            reason: String::new(),
            received: Vec::new(),
            body: String::new(),
            passed: false,
            verdict: String::new(),
        };
        match result {
            Ok(received) => {
                step.status = Some(received.status);
                step.reason = received.reason;
                step.received = display_map(&received.headers);
                step.body = String::from_utf8_lossy(&received.body).into_owned();
                report.steps.push(step);
                if report.address.is_none() {
                    report.address = received.peer;
                }
                Ok(Answer {
                    response: WireResponse {
                        status: received.status,
                        headers: received.headers,
                    },
                    body: received.body,
                })
            }
            Err(e) => {
                step.verdict = format!("no answer: {e}");
                report.steps.push(step);
                Err(e)
            }
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

/// The checks every probe starts with; the first usage error found.
fn validate(probe: &Probe, target: &net::Target) -> Result<(), String> {
    check_origin(&probe.origin)?;
    if http::Method::from_bytes(probe.method.as_bytes()).is_err() {
        return Err(format!(
            "--method {:?} is not an HTTP method token",
            probe.method
        ));
    }
    if cors_model::is_forbidden_method(&probe.method) {
        return Err(format!(
            "fetch() refuses the method {:?} (a forbidden method): no browser sends it",
            probe.method
        ));
    }
    let method = cors_model::normalize_method(&probe.method);
    if target.websocket {
        if method != "GET" || probe.body.is_some() {
            return Err(
                "a WebSocket handshake is a GET without a body: drop --method and --data"
                    .to_owned(),
            );
        }
    } else if probe.body.is_some() && matches!(method.as_str(), "GET" | "HEAD") {
        return Err(format!(
            "fetch() throws \"TypeError: Request with GET/HEAD method cannot have body.\": \
             drop --data, or use --method POST (or another method) as the page does; method \
             {method}"
        ));
    }
    for cookie in &probe.cookies {
        parse_cookie(cookie)?;
    }
    Ok(())
}

/// Probes the server; never panics, whatever it answers.
///
/// For a `ws://` or `wss://` URL it sends a browser's WebSocket handshake (`Origin`,
/// `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`, `Upgrade: websocket`) and reports whether
/// a page on the origin could connect: WebSocket handshakes have no CORS, the server alone
/// decides, so an answer `101` to a foreign origin is a cross-site WebSocket hijacking risk
/// when the socket trusts cookies.
pub async fn run(probe: &Probe) -> Report {
    let mut report = Report::new(probe);
    let target = match net::Target::parse(&probe.url) {
        Ok(t) => t,
        Err(e) => {
            report.error = Some(ProbeError::Usage(e));
            return report;
        }
    };
    if let Err(e) = validate(probe, &target) {
        report.error = Some(ProbeError::Usage(e));
        return report;
    }
    report.websocket = target.websocket;
    let client = match net::Client::new(
        &net::TlsOptions {
            cacert: probe.cacert.clone(),
            insecure: probe.insecure,
        },
        target.https,
    ) {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(ProbeError::Usage(e));
            return report;
        }
    };
    if target.https {
        report.sent.tls = Some(if probe.insecure {
            "NOT VERIFIED (--insecure): a browser refuses a certificate it does not trust \
             (net::ERR_CERT_AUTHORITY_INVALID and the like), whatever the CORS headers say"
                .to_owned()
        } else if probe.cacert.is_empty() {
            "verified against the bundled Mozilla roots".to_owned()
        } else {
            format!(
                "verified against the bundled Mozilla roots and {}",
                probe
                    .cacert
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        if probe.insecure {
            report.notes.push(
                "TLS certificate not verified (--insecure): a browser would not accept an \
                 untrusted certificate; trust the server's CA with --cacert instead to judge \
                 what a browser with that CA installed does"
                    .to_owned(),
            );
        }
    }
    let wire = Wire {
        client,
        target,
        limits: net::Limits {
            connect: probe.connect_timeout,
            deadline: tokio::time::Instant::now() + probe.timeout,
        },
        progress: probe.progress,
    };
    if wire.target.websocket {
        ws::run(probe, &wire, &mut report).await;
    } else if probe.origin == wire.target.origin() {
        same_origin(probe, &mut report);
    } else {
        run_http(probe, &wire, &mut report).await;
    }
    // Local Network Access is described for fetches; WebSockets are left out of the note.
    if report.error.is_none() && !wire.target.websocket {
        if let Some(note) = lna::note(&probe.origin, &wire.target, report.address) {
            report.notes.push(note);
        }
    }
    report
}

/// The page is on the URL's origin: no CORS at all.
fn same_origin(probe: &Probe, report: &mut Report) {
    report.same_origin = true;
    report.verdict = Some(Verdict::Allowed);
    let origin_header = if matches!(report.method.as_str(), "GET" | "HEAD") {
        "no `Origin` header (a GET or HEAD)".to_owned()
    } else {
        format!(
            "`Origin: {}` (it does for every method but GET and HEAD)",
            probe.origin
        )
    };
    report.notes.push(format!(
        "same origin: the page ({}) and the URL have the same origin (scheme, host and port), \
         so CORS does not apply. The browser sends no preflight, checks no Access-Control-* \
         header and lets the page read the answer, whatever its status. It sends \
         {origin_header}, `Sec-Fetch-Site: same-origin`, and the origin's cookies by default \
         (credentials 'same-origin'). What still applies: the page's Content-Security-Policy \
         (`connect-src`), mixed content (an https page cannot fetch http://), and the server's \
         own checks (authentication, CSRF). Nothing was sent. If the browser reports a CORS \
         error anyway, the request is not this one: compare the page's address bar (scheme, \
         host and port, `localhost` vs `127.0.0.1`) with the URL, and look in the Network tab \
         for a redirect to another origin",
        probe.origin
    ));
}

/// The HTTP flow: preflight when needed, then the actual request when it is safe or allowed.
async fn run_http(probe: &Probe, wire: &Wire, report: &mut Report) {
    let mut page_headers = probe.headers.clone();
    if probe.body.is_some()
        && !page_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        page_headers.push(("Content-Type".to_owned(), TEXT_PLAIN.to_owned()));
        report.notes.push(format!(
            "no Content-Type given: fetch() sends a string body as `Content-Type: \
             {TEXT_PLAIN}` (CORS-safelisted); a page sending JSON usually sets \
             `Content-Type: application/json`, which needs a preflight: pass it with -H"
        ));
    }
    let borrowed: Vec<(&str, &[u8])> = page_headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    for (name, value) in &borrowed {
        if cors_model::is_forbidden_request_header(name, value) {
            let instead = if name.eq_ignore_ascii_case("cookie") {
                " (use --cookie 'name=value' with --credentials)"
            } else {
                ""
            };
            report.warnings.push(format!(
                "the browser does not let a page set `{name}` (a forbidden request header): it \
                 is not sent{instead}"
            ));
        }
    }
    let credentials = if probe.credentials {
        CredentialsMode::Include
    } else {
        CredentialsMode::Omit
    };
    let req = FetchRequest::new(&probe.origin, &probe.method, &borrowed, credentials);
    report.sent.headers = display(&req.headers);
    report.sent.body = probe.body.as_ref().map(Vec::len);
    if !probe.cookies.is_empty() {
        if probe.credentials {
            report.sent.cookies = probe.cookies.clone();
        } else {
            report.warnings.push(format!(
                "--cookie given without --credentials: not sent. A cross-origin fetch() sends \
                 cookies only with `credentials: 'include'`; {} cookie(s) withheld",
                probe.cookies.len()
            ));
        }
    }

    report.preflight = cors_model::needs_preflight(&req);
    let mut preflight_passed = false;
    // Whether the answers depend on `Origin`, when a vary check found out.
    let mut origin_dependent = None;
    if report.preflight {
        report.preflight_reasons = preflight_reasons(&req);
        let preflight = cors_model::preflight_request(&req);
        let mut headers = preflight.headers.clone();
        headers.push(("user-agent".to_owned(), USER_AGENT.as_bytes().to_vec()));
        let answer = match wire
            .exchange(report, "preflight", &preflight.method, &headers, &[])
            .await
        {
            Ok(a) => a,
            Err(e) => {
                report.error = Some(ProbeError::Network(e));
                return;
            }
        };
        match judge::check_preflight_answer(&req, &answer.response, &answer.body) {
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
                    wire,
                    report,
                    &req,
                    &answer.response,
                    (&preflight.method, &headers),
                )
                .await;
            }
            PreflightVerdict::Failed(diagnosis) => {
                if let Some(step) = report.steps.last_mut() {
                    step.verdict = format!("preflight rejected: {}", diagnosis.cors_error);
                }
                if let Some(location) = redirect_location(&answer.response) {
                    report.redirect = Some((answer.response.status, location));
                }
                report.block(diagnosis);
                return;
            }
        }
    }

    if !is_safe_method(&req.method) && !probe.send {
        report.verdict = Some(Verdict::NotChecked);
        let before = if preflight_passed {
            "the preflight passed, so a browser would send it"
        } else {
            "it needs no preflight, so a browser sends it at once"
        };
        report.not_checked = Some(format!(
            "the actual {} request was not sent, because it may change data on the server: \
             {before}, and whether the page can read the answer depends on that answer's \
             headers, which were not checked. Add --send to send it (against a server where \
             that is harmless)",
            req.method
        ));
        return;
    }

    // The actual request: `Origin`, the page's headers, the body, the cookies when
    // credentialed.
    let mut headers = vec![("origin".to_owned(), req.origin.as_bytes().to_vec())];
    headers.extend(req.headers.iter().cloned());
    headers.push(("user-agent".to_owned(), USER_AGENT.as_bytes().to_vec()));
    if probe.credentials && !probe.cookies.is_empty() {
        headers.push(("cookie".to_owned(), probe.cookies.join("; ").into_bytes()));
    }
    let body = probe.body.as_deref().unwrap_or_default();
    let answer = match wire
        .exchange(report, "actual", &req.method, &headers, body)
        .await
    {
        Ok(a) => a,
        Err(e) => {
            report.error = Some(ProbeError::Network(e));
            return;
        }
    };
    let response = &answer.response;
    let redirect = redirect_location(response).map(|l| (response.status, l));
    match judge::check_actual_answer(&req, response, preflight_passed, &answer.body) {
        Ok(()) => {
            if let Some(step) = report.steps.last_mut() {
                step.passed = true;
                step.verdict = "CORS check passed".to_owned();
            }
            report.verdict = Some(Verdict::Allowed);
            report.readable_headers = cors_model::readable_header_names(&req, response);
            if let Some((_, location)) = &redirect {
                report.warnings.push(format!(
                    "the answer is a redirect to {location}: the browser follows it and judges \
                     the next answer too (its `Origin` becomes `null` if the redirect leaves \
                     this URL's origin); run cors-probe on that URL"
                ));
            }
            if matches!(req.method.as_str(), "GET" | "HEAD") {
                let _ = vary_check(wire, report, &req, response, (&req.method, &headers)).await;
            } else if echoes_origin(&req, response)
                && !varies_on_origin(response)
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
}

/// When `response` echoes the origin without `Vary: Origin`, asks again with another origin:
/// an answer that changes is origin-dependent and needs `Vary: Origin`. Returns whether it is,
/// when the check ran. Sends no cookie and no body: only safe methods get here.
async fn vary_check(
    wire: &Wire,
    report: &mut Report,
    req: &FetchRequest,
    response: &WireResponse,
    (method, headers): (&str, &[(String, Vec<u8>)]),
) -> Option<bool> {
    if !echoes_origin(req, response) || varies_on_origin(response) {
        return None;
    }
    let headers: Vec<(String, Vec<u8>)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("cookie"))
        .map(|(n, v)| {
            if n.eq_ignore_ascii_case("origin") {
                (n.clone(), OTHER_ORIGIN.as_bytes().to_vec())
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    let Ok(other) = wire
        .exchange(report, "vary-check", method, &headers, &[])
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
    let second = cors_model::get_header(&other.response.headers, "access-control-allow-origin");
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
