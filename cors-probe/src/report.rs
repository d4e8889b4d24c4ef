//! What a probe found, and how it is shown: the text report and the JSON object.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde_json::{json, Value};

use crate::judge::{console_sentence, Diagnosis};
use crate::{Probe, USER_AGENT};

/// The browser's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The page can read the response (or the page is on the URL's origin, where CORS does not
    /// apply; or, for a WebSocket, the page can connect).
    Allowed,
    /// `fetch()` rejects with a `TypeError` (a WebSocket fails); the console shows why.
    Blocked,
    /// The actual request was not sent (a method that may change data, without `--send`):
    /// the preflight passed or was not needed, the rest is unknown.
    NotChecked,
}

impl Verdict {
    /// `"allowed"`, `"blocked"` or `"not-checked"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Blocked => "blocked",
            Verdict::NotChecked => "not-checked",
        }
    }
}

/// One request on the wire and its answer.
#[derive(Clone, Debug)]
pub struct Step {
    /// `preflight`, `actual`, `vary-check` or `handshake`.
    pub name: &'static str,
    /// Method sent.
    pub method: String,
    /// Path and query sent.
    pub target: String,
    /// Headers sent (besides `Host`), as sent.
    pub sent: Vec<(String, String)>,
    /// Bytes of body sent.
    pub sent_body: usize,
    /// Status received (`None` when the exchange failed).
    pub status: Option<u16>,
    /// The status's reason phrase.
    pub reason: String,
    /// Headers received, in order.
    pub received: Vec<(String, String)>,
    /// The start of the body received (at most 1 KiB, lossy UTF-8).
    pub body: String,
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

/// What the page's request carries, as the probe sent it (or would have).
#[derive(Clone, Debug, Default)]
pub struct SentRequest {
    /// The page's headers after `fetch()`'s rules (forbidden ones dropped, `Content-Type` added
    /// for a body without one).
    pub headers: Vec<(String, String)>,
    /// Bytes of body, when there is one.
    pub body: Option<usize>,
    /// Cookies sent (`name=value`): only with credentials.
    pub cookies: Vec<String>,
    /// How the server's certificate was checked (`None` for plain HTTP).
    pub tls: Option<String>,
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
    /// A WebSocket handshake (`ws://`, `wss://`).
    pub websocket: bool,
    /// The page is on the URL's origin: CORS does not apply, nothing was sent.
    pub same_origin: bool,
    /// What the page's request carries.
    pub sent: SentRequest,
    /// Whether the browser sends a preflight.
    pub preflight: bool,
    /// Why it does (empty when it does not).
    pub preflight_reasons: Vec<String>,
    /// Requests and answers, in order.
    pub steps: Vec<Step>,
    /// `None` when the probe could not judge (see `error`).
    pub verdict: Option<Verdict>,
    /// Why the actual request was not sent (with [`Verdict::NotChecked`]).
    pub not_checked: Option<String>,
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
    /// Facts about the request that are not faults (same origin, Local Network Access, TLS).
    pub notes: Vec<String>,
    /// `(status, Location)` of a redirect the browser would follow (not followed here).
    pub redirect: Option<(u16, String)>,
    /// Lowercase names of the response headers the page can read, when allowed.
    pub readable_headers: Vec<String>,
    /// The server's address, as connected to.
    pub address: Option<IpAddr>,
}

impl Report {
    pub(crate) fn new(probe: &Probe) -> Report {
        Report {
            url: probe.url.clone(),
            origin: probe.origin.clone(),
            method: cors_model::normalize_method(&probe.method),
            credentials: probe.credentials,
            websocket: false,
            same_origin: false,
            sent: SentRequest::default(),
            preflight: false,
            preflight_reasons: Vec::new(),
            steps: Vec::new(),
            verdict: None,
            not_checked: None,
            diagnosis: None,
            console: None,
            error: None,
            hints: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
            redirect: None,
            readable_headers: Vec::new(),
            address: None,
        }
    }

    /// 0 when the browser lets the page read the response (or CORS does not apply), 1 when it
    /// blocks it, 2 for a usage or network error, 3 when the actual request was not sent (a
    /// method that may change data, without `--send`).
    pub fn exit_code(&self) -> i32 {
        match (self.verdict, &self.error) {
            (Some(Verdict::Allowed), None) => 0,
            (Some(Verdict::Blocked), None) => 1,
            (Some(Verdict::NotChecked), None) => 3,
            _ => 2,
        }
    }

    pub(crate) fn block(&mut self, diagnosis: Diagnosis) {
        self.console = Some(console_sentence(&self.url, &self.origin, &diagnosis));
        self.hints.extend(diagnosis.hints.iter().cloned());
        self.diagnosis = Some(diagnosis);
        self.verdict = Some(Verdict::Blocked);
    }

    /// The report for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.websocket {
            let _ = writeln!(
                out,
                "cors-probe: new WebSocket('{}') from {}",
                self.url, self.origin
            );
        } else {
            let credentials = if self.credentials {
                "include"
            } else {
                "same-origin"
            };
            let body = match self.sent.body {
                Some(n) => format!(", body: ({n} bytes)"),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "cors-probe: fetch('{}', {{ method: '{}', credentials: '{credentials}'{body} }}) \
                 from {}",
                self.url, self.method, self.origin
            );
        }
        if !self.sent.cookies.is_empty() {
            let _ = writeln!(out, "cookies sent: {}", self.sent.cookies.join("; "));
        }
        if let Some(tls) = &self.sent.tls {
            let _ = writeln!(out, "TLS: {tls}");
        }
        if self.same_origin {
            let _ = writeln!(out, "Same origin: CORS does not apply.");
        } else if self.websocket {
            let _ = writeln!(
                out,
                "A WebSocket handshake has no CORS: the server alone decides from `Origin`."
            );
        } else if self.preflight {
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
            if step.sent_body > 0 {
                let _ = writeln!(out, "   > ({} bytes of body)", step.sent_body);
            }
            if let Some(status) = step.status {
                let _ = writeln!(out, "   < HTTP/1.1 {status} {}", step.reason);
                for (n, v) in &step.received {
                    if !compact || n == "access-control-allow-origin" || n == "vary" {
                        let _ = writeln!(out, "   < {n}: {v}");
                    }
                }
                if !step.passed && !step.body.trim().is_empty() {
                    let shown: String = step.body.trim().chars().take(200).collect();
                    let _ = writeln!(out, "   < (body) {shown:?}");
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
            (None, Some(Verdict::Allowed)) if self.websocket => {
                let _ = writeln!(
                    out,
                    "verdict: ALLOWED: a page on {} can connect",
                    self.origin
                );
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
            (None, Some(Verdict::Blocked)) if self.websocket => {
                let _ = writeln!(out, "verdict: BLOCKED: the handshake fails");
            }
            (None, Some(Verdict::Blocked)) => {
                let _ = writeln!(out, "verdict: BLOCKED: the page cannot read the response");
            }
            (None, Some(Verdict::NotChecked)) => {
                let _ = writeln!(
                    out,
                    "verdict: NOT CHECKED: {}",
                    self.not_checked
                        .as_deref()
                        .unwrap_or("the actual request was not sent")
                );
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
        let mut list = |title: &str, items: &[String]| {
            if !items.is_empty() {
                let _ = writeln!(out, "\n{title}:");
                for item in items {
                    let _ = writeln!(out, "  - {item}");
                }
            }
        };
        list("How to fix it", &self.hints);
        list("Warnings", &self.warnings);
        list("Notes", &self.notes);
        out
    }

    /// The report as one JSON object: `verdict` (`"allowed"`, `"blocked"`, `"not-checked"` or
    /// `null` on error), `same_origin`, `cors_applies`, `websocket`, `request` (what the page's
    /// request carries: `headers`, `body_bytes`, `cookies`, `credentials`, `user_agent`, `tls`),
    /// `actual_request` (`sent`, and `reason` when it was not), `preflight`,
    /// `preflight_reasons`, `steps`, `error` (`null`, or an object with `kind`
    /// `cors`/`network`/`usage`), `hints`, `warnings`, `notes`, `redirect`, `readable_headers`,
    /// `address`, `exit_code`.
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
                    "sent": {
                        "method": s.method,
                        "target": s.target,
                        "headers": pairs(&s.sent),
                        "body_bytes": s.sent_body,
                    },
                    "received": s.status.map(|status| json!({
                        "status": status,
                        "headers": pairs(&s.received),
                        "body_start": s.body,
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
                "kind": if self.websocket { "websocket" } else { "cors" },
                "cors_error": d.cors_error,
                "console": self.console,
            }),
            (None, None) => Value::Null,
        };
        let actual_sent = self.steps.iter().any(|s| s.name == "actual");
        json!({
            "url": self.url,
            "origin": self.origin,
            "method": self.method,
            "credentials": self.credentials,
            "websocket": self.websocket,
            "same_origin": self.same_origin,
            "cors_applies": !self.same_origin && !self.websocket,
            "request": {
                "headers": pairs(&self.sent.headers),
                "body_bytes": self.sent.body,
                "cookies": self.sent.cookies,
                "credentials": if self.credentials { "include" } else { "same-origin" },
                "user_agent": USER_AGENT,
                "tls": self.sent.tls,
            },
            "actual_request": {
                "sent": actual_sent,
                "reason": self.not_checked,
            },
            "verdict": self.verdict.map(Verdict::as_str),
            "preflight": self.preflight,
            "preflight_reasons": self.preflight_reasons,
            "steps": steps,
            "error": error,
            "hints": self.hints,
            "warnings": self.warnings,
            "notes": self.notes,
            "redirect": self.redirect.as_ref().map(|(s, l)| json!({ "status": s, "location": l })),
            "readable_headers": self.readable_headers,
            "address": self.address.map(|a| a.to_string()),
            "exit_code": self.exit_code(),
        })
    }
}
