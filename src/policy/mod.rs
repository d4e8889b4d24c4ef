//! [`CorsPolicy`]: the compiled, immutable policy and its pure per-request
//! decisions. Nothing here knows about tower.

mod builder;
mod compile;
mod config;
mod decision;
mod describe;
mod env;
mod path;
mod paths;
mod probe;
mod report;
mod request;
mod response;
mod source;

use std::sync::Arc;

use http::header::GetAll;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC, ACCESS_CONTROL_ALLOW_HEADERS as ACAH,
    ACCESS_CONTROL_ALLOW_METHODS as ACAM, ACCESS_CONTROL_ALLOW_ORIGIN as ACAO,
    ACCESS_CONTROL_EXPOSE_HEADERS as ACEH, ACCESS_CONTROL_MAX_AGE as ACMA,
    ACCESS_CONTROL_REQUEST_HEADERS as ACRH, ACCESS_CONTROL_REQUEST_METHOD as ACRM, CONTENT_TYPE,
    ORIGIN, VARY,
};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};

pub use builder::PolicyBuilder;
pub use config::CorsConfig;
pub use decision::Decision;
pub use paths::{PathPolicies, PathPoliciesBuilder};
use request::head_of;
pub(crate) use request::is_websocket_upgrade;
use response::{merge_vary, remove_access_control, set_allow_origin};
#[cfg(feature = "reload")]
pub use source::PolicyHandle;
#[cfg(feature = "reload")]
pub(crate) use source::TableCache;
pub(crate) use source::{ReportOnlySource, Source};

use crate::headers::{check_request_headers, is_safelisted_method, is_token, MAX_METHOD_LEN};
use crate::matcher::OriginMatcher;
use crate::refusal::{Refusal, Refused};

/// WICG Private Network Access response and request headers.
const ACAPN: HeaderName = HeaderName::from_static("access-control-allow-private-network");
const ACRPN: HeaderName = HeaderName::from_static("access-control-request-private-network");

const WILDCARD: HeaderValue = HeaderValue::from_static("*");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);
const VARY_PREFLIGHT_PNA: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
);
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// A validated, compiled CORS policy.
///
/// Built with [`CorsPolicy::builder`]; immutable, cheap to clone (one `Arc`),
/// `Send + Sync + 'static`. Wrap a service with it using
/// [`CorsLayer::new`](crate::CorsLayer::new), or ask it directly what it
/// would answer with [`evaluate`](Self::evaluate).
///
/// ```
/// use std::time::Duration;
/// use http::Method;
/// use tower_cors::CorsPolicy;
///
/// let policy = CorsPolicy::builder()
///     .allow_origin("https://app.example.com")
///     .allow_origin_pattern("https://*.example.com")
///     .allow_methods([Method::GET, Method::POST, Method::PUT])
///     .allow_headers(["content-type", "authorization"])
///     .expose_headers(["x-request-id"])
///     .allow_credentials(true)
///     .max_age(Duration::from_secs(600))
///     .build()?;
/// # Ok::<(), tower_cors::PolicyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    inner: Arc<Compiled>,
}

#[derive(Debug)]
enum Origins {
    /// The public policy: `Access-Control-Allow-Origin: *` on every response.
    Any,
    List(OriginMatcher),
    /// No origin at all: the policy of a path no [`PathPolicies`]
    /// entry covers. Answers carry no `Access-Control-*` header and no `Vary`.
    Nobody,
}

/// Everything the request path needs, validated and precomputed by `build()`.
#[derive(Debug)]
struct Compiled {
    origins: Origins,
    credentials: bool,
    /// Allowed non-wildcard methods, byte-exact.
    methods: Vec<Method>,
    any_method: bool,
    /// Allowed non-wildcard header names, lowercase.
    header_bytes: Box<[Box<[u8]>]>,
    any_header: bool,
    allow_methods: Option<HeaderValue>,
    allow_headers: Option<HeaderValue>,
    expose_headers: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
    preflight_status: StatusCode,
    strict: bool,
    /// Answer WebSocket upgrades from refused origins `403`.
    guard_websockets: bool,
    /// `strict || guard_websockets`: some refused actual requests get `403`.
    refuses_some: bool,
    /// `guard_websockets` with `allow_null_origin`: an allowed `null` origin
    /// must still be refused on a WebSocket handshake.
    guard_null: bool,
    /// The service's own origins, canonical: a request whose `Origin` equals
    /// one is same-origin.
    own: Box<[Box<[u8]>]>,
    /// An `allow_origin_fn` predicate needs the request head as `Parts`.
    needs_parts: bool,
    private_network: bool,
    /// Answer method/header refusals of allowed origins with the lists.
    explain: bool,
    /// The headers of an allowed preflight's answer, `Access-Control-Allow-Origin`
    /// first (a map keeps insertion order) and replaced per preflight: a clone
    /// costs the map's two allocations and a copy, inserting each header again a
    /// hash and a probe per header. (A `204` gets no `content-length` from
    /// axum, so the clone's lack of spare room costs nothing there.)
    preflight_headers: HeaderMap,
    /// The allowed origins, for `Display`.
    described: describe::Origins,
}

/// How to decorate the inner service's response to a forwarded request.
#[derive(Debug, Clone)]
pub(crate) enum Decoration {
    /// No `Origin`, or a refused origin: only `Vary` (or the public headers).
    Plain,
    /// Allowed origin: ACAO with this value, ACAC, ACEH, `Vary`.
    Allowed(HeaderValue),
}

/// What the service does with a request.
#[derive(Debug)]
pub(crate) enum Action {
    /// Call the inner service, then decorate its response.
    Forward(Decoration),
    /// Answer without calling the inner service.
    Answer(Answer),
}

/// A response the layer gives itself, made by [`CorsPolicy::answer`].
#[derive(Debug)]
pub(crate) enum Answer {
    /// An allowed (or explained) preflight.
    Preflight {
        allow_origin: HeaderValue,
        /// The preflight asked for Private Network Access and the policy grants it.
        private_network: bool,
    },
    /// A `403` with no `Access-Control-*` header.
    Refusal { body: &'static str, preflight: bool },
}

impl CorsPolicy {
    /// Starts a [`PolicyBuilder`].
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    /// Decides what the layer will answer to a request, without side effects.
    ///
    /// See [`Decision`] for the possible answers.
    pub fn evaluate(&self, parts: &Parts) -> Decision {
        self.decide(&parts.method, &parts.headers, Some(parts))
    }

    /// [`evaluate`](Self::evaluate) for a whole request.
    ///
    /// A policy with an [`allow_origin_fn`](PolicyBuilder::allow_origin_fn)
    /// predicate hands it the request head as [`Parts`], so this copies the
    /// head first (the layer itself takes the request apart instead, without
    /// copying).
    #[inline(always)]
    pub fn evaluate_request<B>(&self, request: &Request<B>) -> Decision {
        if self.inner.needs_parts {
            return self.evaluate(&head_of(request));
        }
        self.decide(request.method(), request.headers(), None)
    }

    /// Whether [`evaluate`](Self::evaluate) needs the request head as
    /// [`Parts`] (the policy has an `allow_origin_fn` predicate).
    #[inline(always)]
    pub(crate) fn needs_parts(&self) -> bool {
        self.inner.needs_parts
    }

    /// The decision for a request head; `parts` is `Some` whenever the
    /// policy has a predicate.
    #[inline(always)]
    pub(crate) fn decide(
        &self,
        method: &Method,
        headers: &HeaderMap,
        parts: Option<&Parts>,
    ) -> Decision {
        let mut origins = headers.get_all(ORIGIN).iter();
        let Some(origin) = origins.next() else {
            return Decision::NotCors;
        };
        let duplicated = origins.next().is_some();
        // Fetch #cors-preflight-request: OPTIONS with Origin and
        // Access-Control-Request-Method. Any other OPTIONS is an ordinary request.
        let acrm = (method == Method::OPTIONS)
            .then(|| headers.get_all(ACRM))
            .filter(|acrm| acrm.iter().next().is_some());
        let c = &*self.inner;
        let origin_verdict = match &c.origins {
            Origins::Any => Ok(WILDCARD),
            Origins::List(_) if duplicated => Err(Refusal::OriginDuplicated),
            Origins::List(m) => m.allow(origin, parts),
            Origins::Nobody => Err(Refusal::PathNotCovered),
        };
        let Some(acrm) = acrm else {
            return match origin_verdict {
                // The guard admits only origins that could read a credentialed
                // answer: never `null`, which any page can send from a sandbox.
                Ok(_)
                    if c.guard_null
                        && origin.as_bytes() == b"null"
                        && is_websocket_upgrade(method, headers) =>
                {
                    Decision::ActualRefused(Refused::origin(Refusal::NullOriginNotAllowed))
                }
                Ok(allow_origin) => Decision::ActualAllowed { allow_origin },
                // The service's own pages send `Origin` too (every POST, every
                // WebSocket handshake): never refused, never reported.
                Err(_) if !duplicated && c.is_own(origin) => Decision::SameOrigin,
                Err(r) => Decision::ActualRefused(c.origin_refusal(r)),
            };
        };
        let refused = match origin_verdict {
            Err(r) => c.origin_refusal(r),
            Ok(allow_origin) => match c
                .check_request_method(acrm)
                .and_then(|()| c.check_request_headers(headers))
            {
                Ok(()) => return Decision::PreflightAllowed { allow_origin },
                // The origin is allowed: the refusal can be explained, unless
                // it is `null`, which any page can send.
                Err(r) => r.explained(c.explains(r.refusal()) && origin.as_bytes() != b"null"),
            },
        };
        Decision::PreflightRefused(refused)
    }

    /// Whether requests are answered `403` instead of forwarded when their
    /// origin is refused.
    pub fn is_strict(&self) -> bool {
        self.inner.strict
    }

    /// Whether the policy allows credentialed requests.
    pub fn allows_credentials(&self) -> bool {
        self.inner.credentials
    }

    /// Whether WebSocket upgrades from refused origins are answered `403`
    /// (see [`PolicyBuilder::guard_websockets`]).
    pub fn guards_websockets(&self) -> bool {
        self.inner.guard_websockets
    }

    /// The service's own origins, canonical.
    pub(crate) fn own_origins(&self) -> impl Iterator<Item = &[u8]> {
        self.inner.own.iter().map(|o| &**o)
    }

    /// Turns a decision into what the service does.
    #[inline(always)]
    pub(crate) fn action(
        &self,
        decision: Decision,
        method: &Method,
        headers: &HeaderMap,
        parts: Option<&Parts>,
    ) -> Action {
        let c = &*self.inner;
        match decision {
            Decision::NotCors | Decision::SameOrigin => Action::Forward(Decoration::Plain),
            Decision::ActualAllowed { allow_origin } => {
                Action::Forward(Decoration::Allowed(allow_origin))
            }
            Decision::ActualRefused(_) if !c.refuses_some => Action::Forward(Decoration::Plain),
            Decision::ActualRefused(r) if c.strict => Action::Answer(Answer::Refusal {
                body: r.refusal().actual_body(),
                preflight: false,
            }),
            Decision::ActualRefused(r)
                if c.guard_websockets && is_websocket_upgrade(method, headers) =>
            {
                Action::Answer(Answer::Refusal {
                    body: r.refusal().websocket_body(),
                    preflight: false,
                })
            }
            Decision::ActualRefused(_) => Action::Forward(Decoration::Plain),
            Decision::PreflightAllowed { allow_origin } => {
                Action::Answer(c.preflight(allow_origin, headers))
            }
            Decision::PreflightRefused(r) => {
                match r
                    .is_explained()
                    .then(|| c.explained_origin(headers, parts))
                    .flatten()
                {
                    Some(allow_origin) => Action::Answer(c.preflight(allow_origin, headers)),
                    None => Action::Answer(Answer::Refusal {
                        body: r.refusal().preflight_body(),
                        preflight: true,
                    }),
                }
            }
        }
    }

    /// Whether `self` and `other` are the same compiled policy (one
    /// promoted with `PolicyHandle::replace`).
    pub(crate) fn same_as(&self, other: &CorsPolicy) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The status, headers and body of an answer the layer gives itself.
    #[inline(always)]
    pub(crate) fn answer(&self, answer: Answer) -> (StatusCode, HeaderMap, &'static str) {
        let c = &*self.inner;
        match answer {
            Answer::Preflight {
                allow_origin,
                private_network,
            } => {
                let mut headers = c.preflight_headers.clone();
                set_allow_origin(&mut headers, allow_origin);
                if private_network {
                    headers.insert(ACAPN, TRUE);
                }
                (c.preflight_status, headers, "")
            }
            Answer::Refusal { body, preflight } => {
                (StatusCode::FORBIDDEN, c.refusal(preflight), body)
            }
        }
    }

    /// Sets the CORS headers on a forwarded request's response.
    #[inline(always)]
    pub(crate) fn decorate(&self, decoration: Decoration, headers: &mut HeaderMap) {
        let c = &*self.inner;
        // The inner service's map is extended, never replaced: a map the layer
        // filled from empty has the room of a first insert (six entries) for the
        // headers later layers add, such as axum's `content-length`. A cloned
        // map would be cheaper here but has no spare room, and the next insert
        // would reallocate it.
        let fresh = headers.is_empty();
        if !fresh
            && headers
                .keys()
                .any(|k| k.as_str().starts_with("access-control-"))
        {
            // The layer owns the whole `Access-Control-*` namespace of the response, not
            // only the names it writes (an application's `Access-Control-Allow-Local-Network`
            // must not reach a refused origin).
            remove_access_control(headers);
        }
        // An empty map has no `Vary` to merge with.
        let vary = |headers: &mut HeaderMap| {
            if fresh {
                headers.insert(VARY, VARY_ORIGIN);
            } else {
                merge_vary(headers, &VARY_ORIGIN, &["Origin"]);
            }
        };
        match (&c.origins, decoration) {
            (Origins::Any, _) => {
                // Fetch #cors-protocol-and-http-caches: a static `*` goes on
                // every response, with or without Origin, and needs no Vary.
                headers.insert(ACAO, WILDCARD);
                if let Some(v) = &c.expose_headers {
                    headers.insert(ACEH, v.clone());
                }
            }
            (Origins::List(_), Decoration::Allowed(origin)) => {
                headers.insert(ACAO, origin);
                if c.credentials {
                    headers.insert(ACAC, TRUE);
                }
                if let Some(v) = &c.expose_headers {
                    headers.insert(ACEH, v.clone());
                }
                vary(headers);
            }
            (Origins::List(_), Decoration::Plain) => vary(headers),
            (Origins::Nobody, _) => {}
        }
    }
}

impl Compiled {
    /// Whether `origin` is one of the service's own origins: compared byte
    /// for byte, so a value of another length costs one comparison per own
    /// origin, whatever its size.
    #[inline(always)]
    fn is_own(&self, origin: &HeaderValue) -> bool {
        !self.own.is_empty() && self.own.iter().any(|o| **o == *origin.as_bytes())
    }

    /// An origin refusal, naming the `Origin` it refuses (a path without
    /// policy names nothing).
    #[inline(always)]
    fn origin_refusal(&self, refusal: Refusal) -> Refused {
        match refusal {
            Refusal::PathNotCovered => Refused::bare(refusal),
            _ => Refused::origin(refusal),
        }
    }

    /// `Access-Control-Request-Method`: exactly one token, compared byte for
    /// byte (Fetch #cors-preflight-fetch, step "request's method is not in methods").
    fn check_request_method(&self, acrm: GetAll<'_, HeaderValue>) -> Result<(), Refused> {
        let mut values = acrm.iter();
        let method = values.next().map(HeaderValue::as_bytes).unwrap_or_default();
        // The cap before the scan: a 1 MiB value costs what a 65-byte one does.
        if method.len() > MAX_METHOD_LEN || values.next().is_some() || !is_token(method) {
            return Err(Refused::method(Refusal::MethodMalformed));
        }
        let allowed = is_safelisted_method(method)
            || self.any_method
            || self.methods.iter().any(|m| m.as_str().as_bytes() == method);
        if allowed {
            Ok(())
        } else {
            Err(Refused::method(Refusal::MethodNotAllowed))
        }
    }

    /// `Access-Control-Request-Headers`: every name allowed, case-insensitively;
    /// `*` never covers `Authorization` (Fetch #cors-non-wildcard-request-header-name).
    fn check_request_headers(&self, headers: &HeaderMap) -> Result<(), Refused> {
        check_request_headers(headers.get_all(ACRH), |name| {
            // Allowed names are lowercase, as browsers send them: an exact
            // comparison first, case-insensitive only when it fails.
            self.header_bytes
                .iter()
                .any(|h| h.len() == name.len() && (**h == *name || h.eq_ignore_ascii_case(name)))
                || (self.any_header && !name.eq_ignore_ascii_case(b"authorization"))
        })
    }

    /// The ACAO value of a preflight whose decision is explained (refused for
    /// its method or headers while its origin is allowed).
    fn explained_origin(&self, request: &HeaderMap, parts: Option<&Parts>) -> Option<HeaderValue> {
        match &self.origins {
            Origins::Any => Some(WILDCARD),
            Origins::List(m) => {
                let mut origins = request.get_all(ORIGIN).iter();
                let origin = origins.next()?;
                if origins.next().is_some() {
                    return None;
                }
                m.allow(origin, parts).ok()
            }
            Origins::Nobody => None,
        }
    }

    /// Whether `explain_preflight_refusals` answers a preflight refused for
    /// this reason (its origin allowed) like an allowed one.
    #[inline(always)]
    fn explains(&self, refusal: Refusal) -> bool {
        if !self.explain {
            return false;
        }
        let about_request = matches!(
            refusal,
            Refusal::MethodNotAllowed
                | Refusal::MethodMalformed
                | Refusal::HeaderNotAllowed
                | Refusal::HeadersMalformed
        );
        if !self.explain || !about_request {
            return false;
        }
        // Explaining hands the decision to the browser, so never explain a refusal that a
        // browser would overturn: without Access-Control-Allow-Methods a request with the
        // use-CORS-preflight flag takes its own method as allowed (Fetch
        // #cors-preflight-fetch-0, "If methods is null"); all engines let `*` in
        // Access-Control-Allow-Headers cover Authorization (whatwg/fetch#1919). Methods
        // differing only in case are explained: Chromium 156, Firefox ESR 153 and
        // WebKitGTK 2.50 compare them byte for byte (older Chromium did not, crbug 1228178).
        let browser_would_allow = match refusal {
            Refusal::HeaderNotAllowed => self.any_header,
            Refusal::MethodNotAllowed => self.allow_methods.is_none(),
            _ => false,
        };
        !browser_would_allow
    }

    fn preflight(&self, allow_origin: HeaderValue, request: &HeaderMap) -> Answer {
        // WICG Private Network Access §3.2: only when the preflight asks for it.
        let private_network =
            self.private_network && request.get(ACRPN).is_some_and(|v| v == "true");
        Answer::Preflight {
            allow_origin,
            private_network,
        }
    }

    /// A `403` with no `Access-Control-*` header: a refused origin learns
    /// nothing about the policy (Fetch #http-responses: "the 403 status can
    /// be used, coupled with omitting the relevant headers").
    fn refusal(&self, preflight: bool) -> HeaderMap {
        // Room for a third header added further out (axum adds
        // `content-length`) without growing the map.
        let mut headers = HeaderMap::with_capacity(3);
        headers.insert(CONTENT_TYPE, TEXT_PLAIN);
        match (&self.origins, preflight) {
            (Origins::Nobody, _) => {}
            (_, true) => {
                headers.insert(VARY, VARY_PREFLIGHT);
            }
            (Origins::List(_), false) => {
                headers.insert(VARY, VARY_ORIGIN);
            }
            (Origins::Any, false) => {}
        }
        headers
    }

    /// An allowed preflight's answer, `Access-Control-Allow-Origin` first, and
    /// `Access-Control-Allow-Private-Network` aside (only for preflights asking).
    fn preflight_template(&self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(ACAO, WILDCARD);
        if self.credentials {
            headers.insert(ACAC, TRUE);
        }
        if let Some(v) = &self.allow_methods {
            headers.insert(ACAM, v.clone());
        }
        if let Some(v) = &self.allow_headers {
            headers.insert(ACAH, v.clone());
        }
        if let Some(v) = &self.max_age {
            headers.insert(ACMA, v.clone());
        }
        if self.private_network {
            headers.insert(VARY, VARY_PREFLIGHT_PNA);
        } else {
            headers.insert(VARY, VARY_PREFLIGHT);
        }
        headers
    }
}
