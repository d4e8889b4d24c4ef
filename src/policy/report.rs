//! What only reports need of a policy: the answer it puts on the wire, to
//! compare a report-only candidate with the enforced policy, and the near
//! miss of a refused origin. Nothing here runs on the allowed path.

use http::request::Parts;
use http::{HeaderMap, Method, StatusCode};

use super::{is_websocket_upgrade, Action, CorsPolicy, Decision, Origins};
use crate::origin::Origin;
use crate::refusal::PolicyView;

/// What a policy sends for one request: its own answer (status, headers,
/// body), or the headers it adds to the inner service's response.
#[derive(Debug, PartialEq)]
pub(crate) enum WireAnswer {
    Answer(StatusCode, HeaderMap, &'static str),
    Forward(HeaderMap),
}

impl WireAnswer {
    /// What differs between two answers, for logs: `"forwarded / answered"`,
    /// `"status"`, `"body"` and the names of the headers whose values differ,
    /// comma-separated.
    pub(crate) fn differences(&self, other: &WireAnswer) -> String {
        let (mine, theirs) = match (self, other) {
            (WireAnswer::Answer(s1, h1, b1), WireAnswer::Answer(s2, h2, b2)) => {
                let mut out = Vec::new();
                if s1 != s2 {
                    out.push("status".to_owned());
                }
                if b1 != b2 {
                    out.push("body".to_owned());
                }
                return join_differences(out, h1, h2);
            }
            (WireAnswer::Forward(h1), WireAnswer::Forward(h2)) => (h1, h2),
            _ => return "forwarded / answered by the layer".to_owned(),
        };
        join_differences(Vec::new(), mine, theirs)
    }
}

/// `out` plus the names of the headers whose values differ between `a` and `b`.
fn join_differences(mut out: Vec<String>, a: &HeaderMap, b: &HeaderMap) -> String {
    for name in a.keys().chain(b.keys()) {
        let differ = !a.get_all(name).iter().eq(b.get_all(name).iter());
        if differ && !out.iter().any(|n| n == name.as_str()) {
            out.push(name.as_str().to_owned());
        }
    }
    crate::list::join(&out, ", ")
}

impl CorsPolicy {
    /// What this policy puts on the wire for a request it decided
    /// `decision` for: the answer the layer gives itself, or the headers it
    /// adds to the inner service's response. Only for comparing two policies
    /// (report-only mode): it builds header maps.
    pub(crate) fn wire_answer(
        &self,
        decision: &Decision,
        method: &Method,
        headers: &HeaderMap,
        parts: Option<&Parts>,
    ) -> WireAnswer {
        match self.action(decision.clone(), method, headers, parts) {
            Action::Answer(answer) => {
                let (status, headers, body) = self.answer(answer);
                WireAnswer::Answer(status, headers, body)
            }
            Action::Forward(decoration) => {
                let mut headers = HeaderMap::new();
                self.decorate(decoration, &mut headers);
                WireAnswer::Forward(headers)
            }
        }
    }
}

impl PolicyView for CorsPolicy {
    fn near_miss(&self, origin: &[u8]) -> Option<(String, &'static str)> {
        let Origins::List(matcher) = &self.inner.origins else {
            return None;
        };
        near_misses(std::str::from_utf8(origin).ok()?)
            .find(|(twin, _)| matcher.has_exact(twin.as_bytes()))
    }

    fn guards_handshake(&self, method: &Method, headers: &HeaderMap) -> bool {
        self.inner.guard_websockets && is_websocket_upgrade(method, headers)
    }
}

/// The origins a refused `http` or `https` origin is often mistaken for,
/// with what differs: the other scheme, no port (the default), `www.` added
/// or removed. Each is looked up in the exact set: a few hashes, on the
/// refusal path only, whatever the size of the list.
fn near_misses(origin: &str) -> impl Iterator<Item = (String, &'static str)> + '_ {
    let parsed = Origin::parse(origin).and_then(|o| {
        let other = match o.scheme() {
            "https" => "http",
            "http" => "https",
            _ => return None,
        };
        Some((o, other))
    });
    parsed.into_iter().flat_map(move |(o, other)| {
        let (scheme, host) = (o.scheme(), o.host());
        let port = o.port().map(|p| format!(":{p}")).unwrap_or_default();
        let www = match host.strip_prefix("www.") {
            Some(bare) => bare.to_owned(),
            None => format!("www.{host}"),
        };
        [
            (format!("{other}://{host}{port}"), "the scheme differs"),
            (format!("{other}://{host}"), "the scheme and port differ"),
            (format!("{scheme}://{host}"), "the port differs"),
            (format!("{scheme}://{www}{port}"), "\"www.\" differs"),
        ]
        .into_iter()
        .filter(move |(twin, _)| twin != origin)
    })
}
