//! [`PolicyBuilder`]: a policy's settings ([`CorsConfig`]) plus what only
//! code can give (predicates); [`PolicyBuilder::build`] hands both to the
//! one compiler.

use std::sync::Arc;
use std::time::Duration;

use http::request::Parts;
use http::StatusCode;

use super::compile::compile;
use super::config::CorsConfig;
use super::CorsPolicy;
use crate::error::{Front, PolicyError};
use crate::matcher::OriginFn;
use crate::origin::Origin;

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
#[derive(Debug, Clone, Default)]
#[must_use = "call build() to get a CorsPolicy"]
pub struct PolicyBuilder {
    /// Every setting with a configuration field: the builder's methods
    /// write here.
    spec: CorsConfig,
    /// `allow_origin_fn` predicates, which only code can give.
    predicates: Vec<OriginFn>,
    /// How issues name settings: builder methods, or the fields or
    /// variables of the configuration this builder started from.
    front: Front,
}

/// Code on top of configuration: a builder holding `config`'s settings, to
/// which methods add (predicates, more origins, …). Issues about settings
/// the configuration gave name its fields (or its environment variables).
///
/// ```
/// use tower_cors::{CorsConfig, Origin, PolicyBuilder};
///
/// let config = CorsConfig {
///     allow_origins: vec!["https://app.example.com".into()],
///     allow_credentials: true,
///     ..CorsConfig::default()
/// };
/// let policy = PolicyBuilder::from(config)
///     .allow_origin_fn(|origin: &Origin, _: &http::request::Parts| {
///         origin.scheme() == "https" && origin.host() == "tenant.example.net"
///     })
///     .build()?;
/// assert!(policy.allows_credentials());
/// # Ok::<(), tower_cors::PolicyError>(())
/// ```
impl From<CorsConfig> for PolicyBuilder {
    fn from(spec: CorsConfig) -> Self {
        let front = spec.front();
        Self {
            spec,
            predicates: Vec::new(),
            front,
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
        self.spec.allow_origins.push(origin.as_ref().to_owned());
        self
    }

    /// Allows several exact origins (see [`allow_origin`](Self::allow_origin)).
    pub fn allow_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.spec
            .allow_origins
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
        self.spec.allow_origins.push(pattern.as_ref().to_owned());
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
        self.spec
            .allow_origin_regexes
            .push(regex.as_ref().to_owned());
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
        self.spec.allow_any_origin = true;
        self
    }

    /// Allows the opaque origin `null`, sent by sandboxed iframes, `data:`
    /// documents, `file:` pages — and by any attacker page that sandboxes
    /// itself. Cannot be combined with credentials.
    pub fn allow_null_origin(mut self) -> Self {
        self.spec.allow_null_origin = true;
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
        I::Item: AsRef<str>,
    {
        self.spec
            .allow_methods
            .extend(methods.into_iter().map(|m| m.as_ref().to_owned()));
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
        I::Item: AsRef<str>,
    {
        self.spec
            .allow_headers
            .extend(headers.into_iter().map(|h| h.as_ref().to_owned()));
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
        I::Item: AsRef<str>,
    {
        self.spec
            .expose_headers
            .extend(headers.into_iter().map(|h| h.as_ref().to_owned()));
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
        self.spec.allow_credentials = allow;
        self
    }

    /// How long browsers may cache a preflight answer
    /// (`Access-Control-Max-Age`, whole seconds). Without it browsers cache
    /// for 5 seconds. Browsers cap the value: Chromium at 7200 s, Firefox at
    /// 86400 s, Safari at 600 s; larger values are sent as given.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.spec.max_age = Some(max_age.as_secs());
        self
    }

    /// Status of an allowed preflight's answer: `204 No Content` (default) or
    /// `200 OK` (for old clients that mishandle 204).
    pub fn preflight_status(mut self, status: StatusCode) -> Self {
        self.spec.preflight_status = Some(status.as_u16());
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
        self.spec
            .own_origins
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
        self.spec.strict = strict;
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
        self.spec.guard_websockets = guard;
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
        self.spec.allow_private_network = allow;
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
        self.spec.explain_preflight_refusals = explain;
        self
    }

    /// Validates the whole configuration and compiles it.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] listing every problem found, each with the offending
    /// input and a fix. A predicate that panics while `build()` probes it
    /// is reported ([`IssueKind::PredicatePanicked`](crate::IssueKind::PredicatePanicked)),
    /// not propagated.
    pub fn build(self) -> Result<CorsPolicy, PolicyError> {
        compile(&self.spec, &self.predicates, &self.front)
    }
}
