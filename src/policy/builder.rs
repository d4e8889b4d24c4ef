//! [`PolicyBuilder`]: collects the configuration, then validates and
//! compiles it in one step, [`PolicyBuilder::build`].

use std::sync::Arc;
use std::time::Duration;

use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};

use super::{Compiled, CorsPolicy, Origins};
use crate::error::{Issue, IssueKind, List, PolicyError};
use crate::headers::{
    is_forbidden_method, is_forbidden_request_header, is_forbidden_response_header, MAX_METHOD_LEN,
    NORMALIZED_METHODS, REGISTERED_METHODS,
};
use crate::matcher::{is_mdns, OriginFn, OriginMatcher};
use crate::origin::{canonical_origin, Origin};

/// A method accepted by [`PolicyBuilder::allow_methods`]: an
/// [`http::Method`], or a string (checked by `build()`).
#[derive(Debug, Clone)]
pub struct MethodArg(Result<Method, String>);

impl From<Method> for MethodArg {
    fn from(m: Method) -> Self {
        Self(Ok(m))
    }
}

impl From<&Method> for MethodArg {
    fn from(m: &Method) -> Self {
        Self(Ok(m.clone()))
    }
}

impl From<&str> for MethodArg {
    fn from(s: &str) -> Self {
        Self(Method::from_bytes(s.as_bytes()).map_err(|_| s.to_owned()))
    }
}

impl From<String> for MethodArg {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

/// A header name accepted by [`PolicyBuilder::allow_headers`] and
/// [`PolicyBuilder::expose_headers`]: an [`http::HeaderName`], or a string
/// (checked by `build()`; any case).
#[derive(Debug, Clone)]
pub struct HeaderArg(Result<HeaderName, String>);

impl From<HeaderName> for HeaderArg {
    fn from(h: HeaderName) -> Self {
        Self(Ok(h))
    }
}

impl From<&HeaderName> for HeaderArg {
    fn from(h: &HeaderName) -> Self {
        Self(Ok(h.clone()))
    }
}

impl From<&str> for HeaderArg {
    fn from(s: &str) -> Self {
        Self(HeaderName::from_bytes(s.as_bytes()).map_err(|_| s.to_owned()))
    }
}

impl From<String> for HeaderArg {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

/// Collects a CORS configuration; [`build`](Self::build) validates all of it
/// and compiles a [`CorsPolicy`].
///
/// Methods never fail mid-chain: every problem is reported by `build()`, all
/// at once. Calls accumulate: `allow_origin`, `allow_origins`,
/// `allow_origin_pattern` (and `allow_origin_regex`) add to one allow-list.
///
/// ```
/// use tower_cors::CorsPolicy;
///
/// let err = CorsPolicy::builder()
///     .allow_origin("https://example.com/")
///     .allow_origin_pattern("https://*.com")
///     .build()
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid CORS policy (2 problems):\n  \
///      - \"https://example.com/\" is not an origin as browsers send it (remove the trailing \"/\"): did you mean \"https://example.com\"?\n  \
///      - \"https://*.com\" covers the public suffix \"com\", under which anyone can register a domain: use a pattern over a domain you control, e.g. \"https://*.example.com\"",
/// );
/// ```
#[derive(Debug, Clone)]
#[must_use = "call build() to get a CorsPolicy"]
pub struct PolicyBuilder {
    origins: Vec<String>,
    patterns: Vec<String>,
    #[cfg(feature = "regex")]
    regexes: Vec<String>,
    any_origin: bool,
    null_origin: bool,
    own_origins: Vec<String>,
    predicates: Vec<OriginFn>,
    methods: Vec<MethodArg>,
    headers: Vec<HeaderArg>,
    expose: Vec<HeaderArg>,
    credentials: bool,
    max_age: Option<Duration>,
    preflight_status: StatusCode,
    strict: bool,
    guard_websockets: bool,
    private_network: bool,
    explain: bool,
}

impl Default for PolicyBuilder {
    fn default() -> Self {
        Self {
            origins: Vec::new(),
            patterns: Vec::new(),
            #[cfg(feature = "regex")]
            regexes: Vec::new(),
            any_origin: false,
            null_origin: false,
            own_origins: Vec::new(),
            predicates: Vec::new(),
            methods: Vec::new(),
            headers: Vec::new(),
            expose: Vec::new(),
            credentials: false,
            max_age: None,
            preflight_status: StatusCode::NO_CONTENT,
            strict: false,
            guard_websockets: false,
            private_network: false,
            explain: false,
        }
    }
}

impl PolicyBuilder {
    /// Allows one exact origin, written as browsers send it:
    /// `scheme://host[:port]`, lowercase, no default port, no path, no
    /// trailing slash, punycode host. Anything else is a build error that
    /// shows the corrected form.
    ///
    /// A Unicode host (`https://bücher.example`) gets its `xn--` form as the
    /// correction when lowercasing is all the IDNA mapping does to it (Latin,
    /// Greek, Cyrillic, CJK, Hangul, … letters and digits); for other hosts
    /// (`straße.de`, full-width or combining characters) the error asks for
    /// the `xn--` form the browser sends instead of guessing one.
    ///
    /// Origins of schemes other than `http` and `https` — browser extensions
    /// and app shells: `chrome-extension://…`, `moz-extension://…`,
    /// `safari-web-extension://…`, `capacitor://localhost`,
    /// `ionic://localhost`, `tauri://localhost` — have an opaque host that
    /// browsers send as written, so its case is kept (the URL standard's
    /// non-special schemes). Chromium and Firefox send extension IDs in
    /// lowercase and Safari its extension UUIDs in uppercase; an entry in the
    /// other case is a build error showing the form they send. See the
    /// [table of what each platform sends](crate::docs::policy_rules).
    ///
    /// ```
    /// # use tower_cors::CorsPolicy;
    /// let policy = CorsPolicy::builder()
    ///     .allow_origin("safari-web-extension://1B2C3D4E-AAAA-4BBB-8CCC-0123456789AB")
    ///     .allow_origin("capacitor://localhost")
    ///     .build()?;
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    ///
    /// [MDN: Origin](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Origin)
    pub fn allow_origin(mut self, origin: impl AsRef<str>) -> Self {
        self.origins.push(origin.as_ref().to_owned());
        self
    }

    /// Allows several exact origins (see [`allow_origin`](Self::allow_origin)).
    pub fn allow_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.origins
            .extend(origins.into_iter().map(|o| o.as_ref().to_owned()));
        self
    }

    /// Allows every origin matching a pattern with one wildcard:
    ///
    /// - `https://*.example.com`: one or more whole labels in front of
    ///   `example.com` (not `example.com` itself, not `evilexample.com`),
    ///   same scheme, default port;
    /// - `https://*.example.com:8443`, `https://*.example.com:*`: with that
    ///   port, or any port;
    /// - `http://localhost:*`: one host on any port;
    /// - `https://pr-*.preview.example.com`, `https://*-staging.example.com`:
    ///   a glob, one `*` inside the leftmost label, matching one or more of
    ///   `[a-z0-9-]` — never a dot, never an empty run — so exactly one label
    ///   in front of the rest (`pr-42.preview.example.com`, not
    ///   `pr-.preview.example.com`, not `pr-1.evil.preview.example.com`, not
    ///   `a.pr-1.preview.example.com`). For preview deployments.
    ///
    /// A pattern over a public suffix of the Public Suffix List
    /// (`https://*.com`, `https://*.co.uk`, `https://*.github.io`), or over a
    /// base with a public suffix anywhere below it, wildcard rules included
    /// (`https://*.amazonaws.com` covers `attacker.s3.amazonaws.com`,
    /// `https://*.ck` covers `evil.co.ck`), is a build error: anyone can
    /// register a name there. So is a glob directly under one
    /// (`https://myapp-*.vercel.app`, `https://*--mysite.netlify.app`):
    /// anyone can register `myapp-attacker.vercel.app`; list the deployments
    /// exactly, or write an anchored `allow_origin_regex` (feature `regex`)
    /// that only your names match. With credentials or the WebSocket guard,
    /// a pattern over `.local` (`http://*.local:*`) is an error too: any
    /// device on the local network can answer for such a name. A test sweeps
    /// every rule of the embedded list. Names under a top-level domain the
    /// list does not know (`internal`, `test`, `localhost`) are taken as the
    /// network's own. Every origin a pattern matches can read
    /// your responses, so a subdomain takeover or an XSS on any of them is a
    /// breach; prefer exact origins when you can.
    ///
    /// Origins of non-special schemes (`chrome-extension`, `capacitor`, …)
    /// take no patterns: their hosts are opaque names with no subdomains;
    /// list them exactly with [`allow_origin`](Self::allow_origin).
    ///
    /// ```
    /// # use tower_cors::CorsPolicy;
    /// let policy = CorsPolicy::builder()
    ///     .allow_origin_pattern("https://pr-*.preview.example.com")
    ///     .build()?;
    /// let allowed = |origin: &str| {
    ///     let req = http::Request::get("/").header("origin", origin).body(()).unwrap();
    ///     policy.evaluate_request(&req).is_allowed()
    /// };
    /// assert!(allowed("https://pr-42.preview.example.com"));
    /// assert!(!allowed("https://pr-.preview.example.com"));
    /// assert!(!allowed("https://pr-4.2.preview.example.com"));
    ///
    /// assert!(CorsPolicy::builder().allow_origin_pattern("https://myapp-*.vercel.app").build().is_err());
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    pub fn allow_origin_pattern(mut self, pattern: impl AsRef<str>) -> Self {
        self.patterns.push(pattern.as_ref().to_owned());
        self
    }

    /// Allows every origin fully matched by a regular expression (feature
    /// `regex`).
    ///
    /// The expression is anchored by construction: its syntax tree is
    /// wrapped in start- and end-of-text assertions, so it must match the
    /// whole origin and no text inside it can escape the anchors. It is
    /// ASCII (origins are); `(?i)` folds ASCII case. A bare `.` (not `\.`,
    /// `.*` or `.+`) is a build error, as is an expression matching `null`.
    ///
    /// **With credentials or [`guard_websockets(true)`](Self::guard_websockets)**,
    /// `build()` proves, on the expression's automaton (not on samples), that
    /// every origin it can match, as browsers serialize origins, has a host
    /// at or under one of at most 16 registrable domains it spells out
    /// (Public Suffix List, with no public suffix below the part it leaves
    /// open), under an unlisted top-level domain other than `local`, or is
    /// `localhost` or a loopback address (or one of at most 16 IP literals or
    /// app-shell origins it spells out). Otherwise the error names an origin
    /// a stranger can claim (`https://evilexample.com` for
    /// `https://.*example\.com`). An expression too complex to prove within a
    /// fixed budget is refused with credentials, saying so. Without either
    /// setting, a regex is a public policy's business and is not analysed.
    /// Prefer [`allow_origin_pattern`](Self::allow_origin_pattern) when it
    /// can say the same.
    ///
    /// ```
    /// # use tower_cors::CorsPolicy;
    /// let policy = CorsPolicy::builder()
    ///     .allow_origin_regex(r"https://pr-[0-9]+\.preview\.example\.com")
    ///     .allow_credentials(true)
    ///     .build()?;
    ///
    /// let err = CorsPolicy::builder()
    ///     .allow_origin_regex(r"https://[a-z-]*example\.com")
    ///     .allow_credentials(true)
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("\"https://evilexample.com\", which a stranger can claim"));
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    #[cfg(feature = "regex")]
    #[cfg_attr(docsrs, doc(cfg(feature = "regex")))]
    pub fn allow_origin_regex(mut self, regex: impl AsRef<str>) -> Self {
        self.regexes.push(regex.as_ref().to_owned());
        self
    }

    /// Allows the origins a function accepts, for allow-lists that code
    /// decides: tenants, customers, per-request rules.
    ///
    /// The function runs after the exact origins, patterns and regexes, only
    /// for an origin none of them allows, and only ever sees a well-formed
    /// origin in browser serialization, parsed into an [`Origin`] (never
    /// `null`, never malformed bytes: those are refused first). It also gets
    /// the request head, for rules that depend on the path or a header.
    /// Several calls accumulate: an origin is allowed when any function
    /// accepts it.
    ///
    /// **It runs on every request from an origin the lists do not allow, so
    /// it must be cheap and must not block**: look the origin up in memory.
    /// For allow-lists kept in a database or a remote service, keep a
    /// snapshot in memory and refresh it in the background, or rebuild the
    /// whole policy and swap it in with a `PolicyHandle` (feature `reload`;
    /// see `examples/tenant_origins.rs`). A function that panics refuses the
    /// origin instead of failing the request (with `panic = "abort"`, a panic
    /// aborts the process as always).
    ///
    /// With [`allow_credentials(true)`](Self::allow_credentials) or
    /// [`guard_websockets(true)`](Self::guard_websockets), `build()` calls the
    /// function with strangers' origins — names under the reserved
    /// `.invalid`, `.example` and `.test` top-level domains (RFC 2606) and
    /// documentation IPv4 and IPv6 addresses, over `http` and `https` — each
    /// on a simple `GET /`, an API call with a `Host` and a cookie, a form
    /// `POST`, a preflight and a WebSocket handshake, and refuses a function
    /// that accepts any of them ("reflect every origin", CVE-2018-20744) or
    /// panics. **This is a probe, not a proof**: a function is trusted code,
    /// and one that accepts strangers only on other paths, hosts or headers
    /// than the probes use is not caught. Compare `origin.scheme()`,
    /// `origin.host()` and `origin.port()` with origins you trust, and keep
    /// per-path rules in [`PathPolicies`](crate::PathPolicies).
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use std::sync::Arc;
    /// use tower_cors::{CorsPolicy, Origin};
    ///
    /// let tenants: Arc<HashSet<String>> = Arc::new(["acme".into(), "globex".into()].into());
    /// let policy = CorsPolicy::builder()
    ///     .allow_origin_fn(move |origin: &Origin, _parts: &http::request::Parts| {
    ///         // https://<tenant>.app.example.com on the default port, nothing else
    ///         origin.scheme() == "https"
    ///             && origin.port().is_none()
    ///             && origin
    ///                 .host()
    ///                 .strip_suffix(".app.example.com")
    ///                 .is_some_and(|tenant| tenants.contains(tenant))
    ///     })
    ///     .allow_credentials(true)
    ///     .build()?;
    ///
    /// let req = |origin: &str| {
    ///     let req = http::Request::get("/").header("origin", origin).body(()).unwrap();
    ///     policy.evaluate_request(&req).is_allowed()
    /// };
    /// assert!(req("https://acme.app.example.com"));
    /// assert!(!req("http://acme.app.example.com")); // scheme downgrade
    /// assert!(!req("https://acme.app.example.com:8443")); // other port
    /// assert!(!req("https://initech.app.example.com"));
    ///
    /// // Reflecting every origin with credentials is refused at build time.
    /// let err = CorsPolicy::builder()
    ///     .allow_origin_fn(|_: &Origin, _: &http::request::Parts| true)
    ///     .allow_credentials(true)
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("accepts origins no one trusts"));
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    pub fn allow_origin_fn<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&Origin<'_>, &Parts) -> bool + Send + Sync + 'static,
    {
        self.predicates.push(OriginFn(Arc::new(predicate)));
        self
    }

    /// Makes the policy public: `Access-Control-Allow-Origin: *` on every
    /// response. Cannot be combined with explicit origins or credentials.
    ///
    /// Only for resources anyone may read: `*` also lets pages on the open
    /// web read resources that are protected only by network position
    /// (intranet, IP allow-list).
    pub fn allow_any_origin(mut self) -> Self {
        self.any_origin = true;
        self
    }

    /// Allows the opaque origin `null`, sent by sandboxed iframes, `data:`
    /// documents, `file:` pages — and by any attacker page that sandboxes
    /// itself. Cannot be combined with credentials.
    pub fn allow_null_origin(mut self) -> Self {
        self.null_origin = true;
        self
    }

    /// Methods a preflight may ask for, compared byte for byte (`patch` is
    /// not `PATCH`; browsers upper-case only `DELETE`, `GET`, `HEAD`,
    /// `OPTIONS`, `POST` and `PUT`). Sent in `Access-Control-Allow-Methods`.
    ///
    /// A method of the IANA registry written in another case (`patch`,
    /// `Delete`) is a build error that shows the registered spelling: it would
    /// match no client sending `PATCH`, and the browser would report a missing
    /// `Access-Control-Allow-Origin` instead of the method. Extension methods
    /// (`purge`) are taken as written.
    ///
    /// `GET`, `HEAD` and `POST` are CORS-safelisted: browsers never need them
    /// listed, so they are always allowed. `"*"` allows every method, only
    /// without credentials.
    ///
    /// [MDN: Access-Control-Allow-Methods](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Methods)
    pub fn allow_methods<I>(mut self, methods: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<MethodArg>,
    {
        self.methods.extend(methods.into_iter().map(Into::into));
        self
    }

    /// Request headers a script may send (compared case-insensitively), sent
    /// in `Access-Control-Allow-Headers`. `"*"` allows every header except
    /// `Authorization`, only without credentials; list `authorization`
    /// explicitly beside it.
    ///
    /// [MDN: Access-Control-Allow-Headers](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Headers)
    pub fn allow_headers<I>(mut self, headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<HeaderArg>,
    {
        self.headers.extend(headers.into_iter().map(Into::into));
        self
    }

    /// Response headers a script may read beyond the safelisted ones
    /// (`Cache-Control`, `Content-Language`, `Content-Length`,
    /// `Content-Type`, `Expires`, `Last-Modified`, `Pragma`), sent in
    /// `Access-Control-Expose-Headers`. `"*"` exposes all, only without
    /// credentials.
    ///
    /// [MDN: Access-Control-Expose-Headers](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Expose-Headers)
    pub fn expose_headers<I>(mut self, headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<HeaderArg>,
    {
        self.expose.extend(headers.into_iter().map(Into::into));
        self
    }

    /// Allows credentialed requests (cookies, HTTP authentication, client
    /// certificates): responses to allowed origins carry
    /// `Access-Control-Allow-Credentials: true`. Requires explicit origins:
    /// combining it with `allow_any_origin()`, `allow_null_origin()` or a `*`
    /// wildcard is a build error. What to use instead of "any origin with
    /// credentials" — for local development, previews and tenants — is in
    /// [`docs::credentials`](crate::docs::credentials).
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// How long browsers may cache a preflight answer
    /// (`Access-Control-Max-Age`, whole seconds). Without it browsers cache
    /// for 5 seconds. Browsers cap the value: Chromium at 7200 s, Firefox at
    /// 86400 s, Safari at 600 s; larger values are sent as given.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Status of an allowed preflight's answer: `204 No Content` (default) or
    /// `200 OK` (for old clients that mishandle 204).
    pub fn preflight_status(mut self, status: StatusCode) -> Self {
        self.preflight_status = status;
        self
    }

    /// The origins this service's own pages are served from, written as
    /// browsers send them (validated like [`allow_origin`](Self::allow_origin),
    /// with the same did-you-mean fixes).
    ///
    /// A request whose `Origin` equals one of them exactly (scheme, host and
    /// port) is same-origin: never refused by [`strict`](Self::strict) mode
    /// or the [WebSocket guard](Self::guard_websockets), never given an
    /// `Access-Control-*` header it would not otherwise get, and never
    /// reported to [`on_refusal`](crate::CorsLayer::on_refusal). Nothing else
    /// makes a request same-origin: an `Origin` equal to the request's `Host`
    /// is what a DNS-rebinding page sends, and it sends
    /// `Sec-Fetch-Site: same-origin` too.
    ///
    /// Own origins are not allowed origins: a preflight from one is judged by
    /// the allow-list (browsers never preflight same-origin requests).
    ///
    /// ```
    /// use http::Request;
    /// use tower_cors::{CorsPolicy, Decision};
    ///
    /// let policy = CorsPolicy::builder()
    ///     .allow_origin("https://app.example.com")
    ///     .own_origins(["https://api.example.com"])
    ///     .strict(true)
    ///     .build()?;
    /// let post = |origin: &str| {
    ///     let req = Request::post("/form")
    ///         .header("host", "api.example.com")
    ///         .header("origin", origin)
    ///         .body(())
    ///         .unwrap();
    ///     policy.evaluate_request(&req)
    /// };
    /// assert_eq!(post("https://api.example.com"), Decision::SameOrigin);
    /// // Same host as `Host`, other scheme: not an own origin.
    /// assert!(post("http://api.example.com").is_refused());
    /// # Ok::<(), tower_cors::PolicyError>(())
    /// ```
    pub fn own_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.own_origins
            .extend(origins.into_iter().map(|o| o.as_ref().to_owned()));
        self
    }

    /// Answers actual requests from refused origins with `403` without
    /// calling the inner service (default: forward them, and let the browser
    /// hide the response).
    ///
    /// Without it, a cross-origin "simple" request (a form-like `POST`) from
    /// any site still runs its side effects; CORS only protects reading.
    ///
    /// Same-origin requests are never refused: browsers also send `Origin`
    /// on a page's own `POST`s, so declare the origins of the service's own
    /// pages with [`own_origins`](Self::own_origins). A request whose
    /// `Origin` equals one of them is forwarded without any
    /// `Access-Control-*` header
    /// ([`Decision::SameOrigin`](crate::Decision::SameOrigin)); nothing else
    /// counts as same-origin (not `Host`, not `Sec-Fetch-Site`).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Answers WebSocket upgrades from refused origins with `403` before the
    /// inner service runs (default: off).
    ///
    /// Browsers do not apply CORS to WebSockets: any page may open one to
    /// your server, with your users' cookies, and read what it sends back
    /// (cross-site WebSocket hijacking). The `Origin` of the handshake is the
    /// server's only defence. With the guard, a handshake (HTTP/1.1 `GET`
    /// with `Connection: upgrade` and `Upgrade: websocket`, or an extended
    /// `CONNECT` in HTTP/2 and HTTP/3) whose `Origin` the policy refuses gets
    /// `403`. Handshakes without `Origin` come from non-browser clients and
    /// pass; so do same-origin ones, whose `Origin` is one of the
    /// [`own_origins`](Self::own_origins).
    ///
    /// The guard admits only origins that could read a credentialed answer:
    /// listed origins, patterns, regexes and `allow_origin_fn` predicates.
    /// `Origin: null` never passes it, even with
    /// [`allow_null_origin`](Self::allow_null_origin) (any page can send it
    /// from a sandboxed iframe, and a handshake always carries cookies), and
    /// combining it with [`allow_any_origin`](Self::allow_any_origin) is a
    /// build error: list the origins that may open a socket. The guard holds
    /// regexes, patterns and predicates to the same rules as credentials do
    /// (see `allow_origin_regex` (feature `regex`),
    /// [`allow_origin_pattern`](Self::allow_origin_pattern) and
    /// [`allow_origin_fn`](Self::allow_origin_fn)): an origin a stranger can
    /// claim does not build.
    ///
    /// ```
    /// # use tower_cors::CorsPolicy;
    /// let err = CorsPolicy::builder().allow_any_origin().guard_websockets(true).build().unwrap_err();
    /// assert!(err.to_string().contains("list the origins"));
    /// ```
    pub fn guard_websockets(mut self, guard: bool) -> Self {
        self.guard_websockets = guard;
        self
    }

    /// Answers Private Network Access preflights (default: off).
    ///
    /// When on, a preflight from an allowed origin carrying
    /// `Access-Control-Request-Private-Network: true` gets
    /// `Access-Control-Allow-Private-Network: true`; a preflight without that
    /// header never gets it. It never widens the allowed origins. Off by
    /// default (Flask-CORS CVE-2024-6221 sent it by default).
    ///
    /// Chromium 156, Firefox ESR 153 and WebKitGTK 2.50 send no such
    /// preflight, so in them this setting changes nothing (measured by the
    /// browser suite, `docs/private-network.md` in the repository). Chromium
    /// and Firefox ask the user instead (the Local Network Access
    /// permission): until the user allows it, a public page's request to a
    /// loopback or private address is not sent at all; once allowed, it is
    /// ordinary CORS, decided by the allowed origins like any other. Chromium
    /// refuses such requests from pages that are not secure contexts. Turn this
    /// on only for clients known to send the Private Network Access
    /// preflight.
    ///
    /// [WICG Private Network Access](https://wicg.github.io/private-network-access/),
    /// [MDN: Local network access](https://developer.mozilla.org/en-US/docs/Web/Security/Defenses/Local_network_access)
    pub fn allow_private_network(mut self, allow: bool) -> Self {
        self.private_network = allow;
        self
    }

    /// Makes refused preflights from *allowed* origins name the refused method
    /// or header in the browser's console (default: off; for development).
    ///
    /// A refused preflight normally gets a bare `403` without any
    /// `Access-Control-*` header, so Chrome always reports "No
    /// 'Access-Control-Allow-Origin' header is present". With this option,
    /// when the origin is allowed but the method or a header is not, the
    /// preflight is answered like an allowed one (ok status,
    /// `Access-Control-Allow-Origin` and the allowed lists): the browser then
    /// blocks the request itself and says why ("Method PATCH is not allowed
    /// by Access-Control-Allow-Methods in preflight response"). The inner
    /// service is still never called, and refused origins still learn
    /// nothing. The cost: allowed origins can read the configured lists.
    ///
    /// Exactly what is explained: a preflight whose origin is allowed and
    /// whose `Access-Control-Request-Method` is not (including a method that
    /// differs from an allowed one only in case, `patch` against `PATCH`:
    /// Chromium 156, Firefox ESR 153 and WebKitGTK 2.50 all block it, compared
    /// byte for byte), or is malformed, or whose
    /// `Access-Control-Request-Headers` names a header that is not allowed, or
    /// is malformed. Never explained, and answered with the bare `403`:
    /// refused, malformed, duplicated or `null` origins; an oversized header
    /// list; a refused method when no `allow_methods` list is configured (a
    /// browser then takes the request's own method as allowed for a request
    /// with a streamed body, Fetch "If methods is null"); a refused header
    /// under `allow_headers(["*"])` (every engine lets `*` cover
    /// `Authorization`, although the standard does not). In those cases the
    /// answer would let the browser send a request the policy refuses.
    pub fn explain_preflight_refusals(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    /// Validates the whole configuration and compiles it.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] listing every problem found, each with the offending
    /// input and a fix.
    ///
    /// # Panics
    ///
    /// Never.
    pub fn build(self) -> Result<CorsPolicy, PolicyError> {
        let mut issues = Vec::new();
        let origins = self.compile_origins(&mut issues);
        let own = self.compile_own_origins(&mut issues);
        if self.any_origin && self.guard_websockets {
            issues.push(Issue::new(
                IssueKind::AnyOriginWithWebSocketGuard,
                "",
                "allow_any_origin() cannot be combined with guard_websockets(true): a WebSocket handshake always carries the user's cookies, so the guard admits only origins that could read a credentialed answer; list the origins that may open a socket with allow_origin(), allow_origin_pattern() or allow_origin_fn()",
            ));
        }

        let methods = self.compile_methods(&mut issues);
        let (headers, any_header) = compile_names(
            &self.headers,
            List::Headers,
            "allow_headers",
            self.credentials,
            &mut issues,
            |n| {
                is_forbidden_request_header(n).then(|| {
                if n == "cookie" || n == "cookie2" {
                    "is a forbidden request header that scripts cannot set: remove it (cookies are sent when allow_credentials(true) is set and the request uses credentials)"
                } else {
                    "is a forbidden request header that scripts cannot set, so browsers never ask for it: remove it"
                }
            })
            },
        );
        let (expose, any_expose) = compile_names(
            &self.expose,
            List::Expose,
            "expose_headers",
            self.credentials,
            &mut issues,
            |n| {
                is_forbidden_response_header(n)
                    .then_some("is never exposed to scripts by browsers: remove it")
            },
        );
        if self.preflight_status != StatusCode::OK
            && self.preflight_status != StatusCode::NO_CONTENT
        {
            issues.push(Issue::new(
                IssueKind::InvalidPreflightStatus,
                self.preflight_status.as_str(),
                format!(
                    "preflight status {} is not 200 or 204: use StatusCode::NO_CONTENT (default) or StatusCode::OK",
                    self.preflight_status.as_u16()
                ),
            ));
        }
        if !issues.is_empty() {
            return Err(PolicyError::new(issues));
        }
        let (methods, any_method) = methods;
        let allow_methods = join(methods.iter().map(Method::as_str), any_method);
        let allow_headers = join(headers.iter().map(HeaderName::as_str), any_header);
        let expose_headers = join(expose.iter().map(HeaderName::as_str), any_expose);
        let max_age = self.max_age.map(|d| shared(HeaderValue::from(d.as_secs())));
        let mut compiled = Compiled {
            origins: origins.unwrap_or(Origins::Any),
            credentials: self.credentials,
            methods,
            any_method,
            header_bytes: headers
                .iter()
                .map(|h| h.as_str().as_bytes().into())
                .collect(),
            any_header,
            allow_methods,
            allow_headers,
            expose_headers,
            max_age,
            preflight_status: self.preflight_status,
            strict: self.strict,
            guard_websockets: self.guard_websockets,
            refuses_some: self.strict || self.guard_websockets,
            guard_null: self.guard_websockets && self.null_origin,
            own,
            needs_parts: !self.predicates.is_empty(),
            private_network: self.private_network,
            explain: self.explain,
            preflight_headers: HeaderMap::new(),
            described: self.describe_origins(),
        };
        compiled.preflight_headers = compiled.preflight_template();
        Ok(CorsPolicy {
            inner: Arc::new(compiled),
        })
    }

    /// The setting that makes origins credentialed, if any: credentials, or
    /// the WebSocket guard (a WebSocket handshake always carries cookies, so
    /// an origin the guard admits reads a credentialed answer).
    fn credentialed(&self) -> Option<&'static str> {
        if self.credentials {
            Some("allow_credentials(true)")
        } else if self.guard_websockets {
            Some("guard_websockets(true)")
        } else {
            None
        }
    }

    /// The allowed patterns and regexes as `Display` shows them: as given
    /// (valid ones are already canonical).
    fn describe_origins(&self) -> super::describe::Origins {
        super::describe::Origins {
            null: self.null_origin,
            patterns: self.patterns.clone(),
            #[cfg(feature = "regex")]
            regexes: self.regexes.clone(),
            #[cfg(not(feature = "regex"))]
            regexes: Vec::new(),
        }
    }

    fn compile_origins(&self, issues: &mut Vec<Issue>) -> Option<Origins> {
        let mut matcher = OriginMatcher::default();
        for (i, input) in self.origins.iter().enumerate() {
            match canonical_origin(input) {
                Ok(canonical) => matcher.add_exact(canonical),
                Err(message) => issues.push(
                    Issue::new(IssueKind::InvalidOrigin, input, message).at(List::Origins, i),
                ),
            }
        }
        let credentialed = self.credentialed();
        for (i, input) in self.patterns.iter().enumerate() {
            if let Err(issue) = matcher.add_pattern(input) {
                issues.push(issue.at(List::Patterns, i));
            } else if let (Some(setting), true) = (credentialed, is_mdns(input)) {
                issues.push(
                    Issue::new(
                        IssueKind::PublicSuffixPattern,
                        input,
                        format!(
                            "{input:?} covers \".local\" names, which any device on the local network can answer for (mDNS has no owner): with {setting} list the devices you trust exactly with allow_origin()"
                        ),
                    )
                    .at(List::Patterns, i),
                );
            }
        }
        #[cfg(feature = "regex")]
        let has_regex = !self.regexes.is_empty();
        #[cfg(not(feature = "regex"))]
        let has_regex = false;
        #[cfg(feature = "regex")]
        if let Some(r) = crate::matcher::Regexes::compile(&self.regexes, credentialed, issues) {
            matcher.set_regexes(r);
        }
        if self.null_origin {
            matcher.allow_null();
        }
        if let Some(predicate) = self.compile_predicates(issues) {
            matcher.set_predicate(predicate);
        }
        let explicit = !self.origins.is_empty()
            || !self.patterns.is_empty()
            || has_regex
            || self.null_origin
            || !self.predicates.is_empty();
        if self.any_origin {
            if explicit {
                issues.push(Issue::new(
                    IssueKind::AnyOriginWithExplicitOrigins,
                    "",
                    "allow_any_origin() already allows every origin: remove the explicit origins, patterns, allow_origin_fn() and allow_null_origin(), or remove allow_any_origin()",
                ));
            }
            if self.credentials {
                issues.push(Issue::new(
                    IssueKind::AnyOriginWithCredentials,
                    "",
                    "allow_any_origin() cannot be combined with allow_credentials(true): browsers reject \"*\" with credentials, and reflecting every origin instead would let any site read credentialed responses; list the trusted origins with allow_origin() or allow_origin_pattern() (\"http://localhost:*\" for development, \"https://pr-*.preview.example.com\" for previews) or decide them with allow_origin_fn(); see https://docs.rs/tower-cors/latest/tower_cors/docs/credentials/index.html",
                ));
            }
            if self.private_network {
                issues.push(Issue::new(
                    IssueKind::AnyOriginWithPrivateNetwork,
                    "",
                    "allow_any_origin() cannot be combined with allow_private_network(true): every public website could then reach this private-network service from its visitors' browsers; list the public origins that may reach it with allow_origin()",
                ));
            }
            return Some(Origins::Any);
        }
        if self.null_origin && self.credentials {
            issues.push(Issue::new(
                IssueKind::NullOriginWithCredentials,
                "null",
                "allow_null_origin() cannot be combined with allow_credentials(true): any page can send \"Origin: null\" from a sandboxed iframe and read credentialed responses; remove one of them",
            ));
        }
        if !explicit {
            issues.push(Issue::new(
                IssueKind::NoOrigin,
                "",
                "no origin is allowed: call allow_origin(), allow_origins(), allow_origin_pattern() or allow_any_origin()",
            ));
        }
        Some(Origins::List(matcher))
    }

    /// The own origins in browser serialization; a malformed one is an issue.
    fn compile_own_origins(&self, issues: &mut Vec<Issue>) -> Box<[Box<[u8]>]> {
        let mut own: Vec<Box<[u8]>> = Vec::new();
        for (i, input) in self.own_origins.iter().enumerate() {
            let canonical = match input.trim() {
                "null" => Err(format!(
                    "{input:?} is not an own origin: an opaque origin is never a service's own page, and any page can send it from a sandboxed iframe; remove it"
                )),
                t if t.contains('*') => Err(format!(
                    "{input:?} is not an own origin: list the exact origins this service's own pages are served from"
                )),
                _ => canonical_origin(input),
            };
            match canonical {
                Ok(c) if !own.iter().any(|o| **o == *c.as_bytes()) => {
                    own.push(c.into_owned().into_bytes().into_boxed_slice());
                }
                Ok(_) => {}
                Err(message) => issues.push(
                    Issue::new(IssueKind::InvalidOrigin, input, message).at(List::OwnOrigins, i),
                ),
            }
        }
        own.into_boxed_slice()
    }

    /// One function for all `allow_origin_fn` predicates; with credentials,
    /// a predicate accepting an unrelated origin is an issue.
    fn compile_predicates(&self, issues: &mut Vec<Issue>) -> Option<OriginFn> {
        let predicate = match self.predicates.as_slice() {
            [] => return None,
            [one] => one.clone(),
            many => {
                let all: Box<[OriginFn]> = many.into();
                OriginFn(Arc::new(move |origin: &Origin<'_>, parts: &Parts| {
                    all.iter().any(|p| (p.0)(origin, parts))
                }))
            }
        };
        if let Some(setting) = self.credentialed() {
            if let Some(issue) = probe_predicate(&predicate, setting) {
                issues.push(issue);
            }
        }
        Some(predicate)
    }

    fn compile_methods(&self, issues: &mut Vec<Issue>) -> (Vec<Method>, bool) {
        let mut methods: Vec<Method> = Vec::new();
        let mut any = false;
        for (i, arg) in self.methods.iter().enumerate() {
            let mut push = |issue: Issue| issues.push(issue.at(List::Methods, i));
            let method = match &arg.0 {
                Ok(m) => m,
                Err(raw) => {
                    push(Issue::new(
                        IssueKind::InvalidMethod,
                        raw,
                        format!("{raw:?} is not a valid method: a method is one token (letters, digits and !#$%&'*+-.^_`|~)"),
                    ));
                    continue;
                }
            };
            let name = method.as_str();
            if name == "*" {
                if self.credentials {
                    push(wildcard_with_credentials("allow_methods", "methods"));
                }
                any = true;
                continue;
            }
            if name.len() > MAX_METHOD_LEN {
                push(Issue::new(
                    IssueKind::InvalidMethod,
                    name,
                    format!("{name:?} is longer than {MAX_METHOD_LEN} bytes, the longest Access-Control-Request-Method read: remove it"),
                ));
                continue;
            }
            if is_forbidden_method(name) {
                push(Issue::new(
                    IssueKind::InvalidMethod,
                    name,
                    format!("{name:?} is a forbidden method that browsers never send: remove it"),
                ));
                continue;
            }
            if let Some(upper) = NORMALIZED_METHODS
                .iter()
                .find(|n| n.eq_ignore_ascii_case(name) && **n != name)
            {
                push(Issue::new(
                    IssueKind::InvalidMethod,
                    name,
                    format!("{name:?} is upper-cased by browsers before sending, so it never matches: did you mean {upper:?}?"),
                ));
                continue;
            }
            if let Some(registered) = REGISTERED_METHODS
                .iter()
                .find(|n| n.eq_ignore_ascii_case(name) && **n != name)
            {
                push(Issue::new(
                    IssueKind::InvalidMethod,
                    name,
                    format!("{name:?} is the registered method {registered:?} in another case: methods compare byte for byte and clients send {registered:?}, so {name:?} would refuse them: did you mean {registered:?}?"),
                ));
                continue;
            }
            if !methods.contains(method) {
                methods.push(method.clone());
            }
        }
        (methods, any)
    }
}

/// Origins no trusted list should hold: names under the reserved
/// `.invalid`, `.example` and `.test` top-level domains (RFC 2606) and
/// documentation IP addresses (RFC 5737, RFC 3849), over both schemes.
const PROBE_ORIGINS: [&str; 7] = [
    "https://tower-cors-probe.invalid",
    "http://tower-cors-probe.invalid",
    "https://evil.tower-cors-probe.invalid:8443",
    "https://stranger.example",
    "https://attacker.test",
    "http://203.0.113.7",
    "https://[2001:db8::7]:8443",
];

/// The requests each probe origin is sent with: a simple `GET`, an
/// authenticated API call with a `Host` and a cookie, a form `POST`, a
/// preflight, and a WebSocket handshake, on several paths.
fn probe_requests(origin: &str) -> impl Iterator<Item = Parts> + '_ {
    type Shape = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    let shapes: [Shape; 6] = [
        ("GET", "/", &[]),
        (
            "GET",
            "/api/v1/users/me",
            &[("host", "api.example.com"), ("cookie", "session=1")],
        ),
        (
            "POST",
            "/api/transfer",
            &[("host", "app.example.com"), ("content-type", "text/plain")],
        ),
        (
            "OPTIONS",
            "/api/items/1",
            &[
                ("host", "api.example.com"),
                ("access-control-request-method", "DELETE"),
                ("access-control-request-headers", "authorization"),
            ],
        ),
        (
            "GET",
            "/ws",
            &[
                ("host", "localhost:3000"),
                ("connection", "upgrade"),
                ("upgrade", "websocket"),
            ],
        ),
        ("GET", "/public/index.html?q=1", &[("host", "example.com")]),
    ];
    shapes
        .into_iter()
        .filter_map(move |(method, path, headers)| {
            let mut request = Request::builder().method(method).uri(path);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let request = request.header(http::header::ORIGIN, origin).body(()).ok()?;
            Some(request.into_parts().0)
        })
}

/// Calls a credentialed predicate with strangers' origins on typical
/// requests; the first one it accepts, or a panic, is an issue. This proves
/// nothing about origins it was not shown: a predicate is trusted code.
fn probe_predicate(predicate: &OriginFn, setting: &str) -> Option<Issue> {
    for probe in PROBE_ORIGINS {
        let Some(origin) = Origin::parse(probe) else {
            continue;
        };
        for parts in probe_requests(probe) {
            let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (predicate.0)(&origin, &parts)
            }));
            match call {
                Ok(false) => {}
                Ok(true) => {
                    return Some(Issue::new(
                        IssueKind::PredicateAllowsAnyOrigin,
                        probe,
                        format!(
                            "the allow_origin_fn() function accepts origins no one trusts (it accepted {probe:?} on {} {}): with {setting} that lets any site read your users' responses (CVE-2018-20744); compare origin.scheme(), origin.host() and origin.port() with the origins you trust",
                            parts.method,
                            parts.uri
                        ),
                    ))
                }
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    return Some(Issue::new(
                        IssueKind::PredicatePanicked,
                        probe,
                        format!(
                            "the allow_origin_fn() function panicked when called with {probe:?} on {} {} ({what:?}): it runs on every request whose origin the lists do not allow, so it must not panic; read headers with parts.headers.get(), which returns an Option",
                            parts.method,
                            parts.uri
                        ),
                    ));
                }
            }
        }
    }
    None
}

fn wildcard_with_credentials(setting: &str, what: &str) -> Issue {
    Issue::new(
        IssueKind::WildcardWithCredentials,
        "*",
        format!(
            "\"*\" in {setting}() is read literally by browsers when credentials are allowed: list the {what} explicitly, or remove allow_credentials(true)"
        ),
    )
}

/// Validates header names for `allow_headers`/`expose_headers`; returns the
/// lowercase names (without `*`) and whether `*` was given.
fn compile_names(
    args: &[HeaderArg],
    list: List,
    setting: &str,
    credentials: bool,
    issues: &mut Vec<Issue>,
    forbidden: impl Fn(&str) -> Option<&'static str>,
) -> (Vec<HeaderName>, bool) {
    let mut names: Vec<HeaderName> = Vec::new();
    let mut any = false;
    for (i, arg) in args.iter().enumerate() {
        let mut push = |issue: Issue| issues.push(issue.at(list, i));
        let name = match &arg.0 {
            Ok(n) => n,
            Err(raw) => {
                push(Issue::new(
                    IssueKind::InvalidHeaderName,
                    raw,
                    format!("{raw:?} in {setting}() is not a valid header name: a header name is one token (letters, digits and !#$%&'*+-.^_`|~)"),
                ));
                continue;
            }
        };
        if name.as_str() == "*" {
            if credentials {
                push(wildcard_with_credentials(setting, "header names"));
            }
            any = true;
            continue;
        }
        if let Some(why) = forbidden(name.as_str()) {
            push(Issue::new(
                IssueKind::ForbiddenHeaderName,
                name.as_str(),
                format!("{:?} in {setting}() {why}", name.as_str()),
            ));
            continue;
        }
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    (names, any)
}

/// The wire value of a list header: `*` first when given, then the names,
/// separated by `", "`. `None` when empty.
fn join<'a>(names: impl Iterator<Item = &'a str>, wildcard: bool) -> Option<HeaderValue> {
    let mut text = String::new();
    if wildcard {
        text.push('*');
    }
    for n in names {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(n);
    }
    if text.is_empty() {
        return None;
    }
    HeaderValue::from_str(&text).ok().map(shared)
}

/// Cloning a value once turns its buffer into a shared one, so clones on the
/// request path are reference-count increments, never allocations.
fn shared(value: HeaderValue) -> HeaderValue {
    drop(value.clone());
    value
}
