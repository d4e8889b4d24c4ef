//! The scenario table: (desc, policy, request, expected) plus, for the
//! comparison with tower-http, why its answer differs where it does.
//!
//! Templates: `{page}` is the page server's port, `{api}` the API server's.
//! `127.0.0.1:{page}` → `127.0.0.1:{api}` is a same-site pair (cookies flow);
//! `127.0.0.1:{page}` → `localhost:{api}` is cross-site. Names under `.test`
//! resolve to loopback inside the browser.

use super::backends::Policy;
use super::harness::Engine;

pub(crate) const PAGE: &str = "http://127.0.0.1:{page}";
pub(crate) const PAGE_LOCALHOST: &str = "http://localhost:{page}";
pub(crate) const PAGE_APP: &str = "http://app.example.test:{page}";
pub(crate) const PAGE_DEEP: &str = "http://a.b.example.test:{page}";
pub(crate) const PAGE_APEX: &str = "http://example.test:{page}";
pub(crate) const PAGE_LOOKALIKE: &str = "http://evilexample.test:{page}";
pub(crate) const PAGE_PREVIEW: &str = "http://pr-7.preview.example.test:{page}";

/// Same-site with `PAGE`: the host-only cookie of `127.0.0.1` is sent.
pub(crate) const API_SAME_SITE: &str = "http://127.0.0.1:{api}";
/// Cross-site with `PAGE`.
pub(crate) const API: &str = "http://localhost:{api}";

/// A look-alike that appends a name to the real one.
#[cfg(feature = "regex")]
pub(crate) const PAGE_SUFFIXED: &str = "http://example.test.evil.test:{page}";
/// The API on a name of the `example.test` site: same-site with its pages,
/// so their requests carry its cookie.
pub(crate) const API_EXAMPLE: &str = "http://api.example.test:{api}";
/// One customer's names under a provider domain shared by all its customers
/// (like `*.s3.amazonaws.com`), and another customer's name beside them.
pub(crate) const PAGE_PROVIDER_OWN: &str = "http://app.mycorp.s3.amazonaws.test:{page}";
pub(crate) const PAGE_PROVIDER_SIBLING: &str = "http://attacker-bucket.s3.amazonaws.test:{page}";
/// The customer's API. `.test` is not on the Public Suffix List, so the
/// browser counts every `*.amazonaws.test` name as one site: the sibling's
/// requests carry the API's cookie too, and only CORS stands in the way.
pub(crate) const API_PROVIDER: &str = "http://api.mycorp.s3.amazonaws.test:{api}";
/// API hosts whose session cookie is set before the scenarios run.
pub(crate) const COOKIE_HOSTS: [&str; 3] = [API_SAME_SITE, API_EXAMPLE, API_PROVIDER];

const SUBDOMAINS: &str = "http://*.example.test:{page}";
/// A single-label glob for preview deployments.
const PREVIEWS: &str = "http://pr-*.preview.example.test:{page}";

/// `fetch()`'s credentials mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    Omit,
    SameOrigin,
    Include,
}

impl Credentials {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Credentials::Omit => "omit",
            Credentials::SameOrigin => "same-origin",
            Credentials::Include => "include",
        }
    }
}

/// The first hop answers `status` with `Location` pointing at `to` + `path`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Redirect {
    pub(crate) status: u16,
    pub(crate) to: &'static str,
    pub(crate) path: &'static str,
}

/// What the page does: `fetch(api + path, init)`, `repeat` times in a row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request {
    pub(crate) page: &'static str,
    pub(crate) api: &'static str,
    pub(crate) path: &'static str,
    /// Extra query parameters for the application (see `servers::handler`).
    pub(crate) query: &'static str,
    pub(crate) method: &'static str,
    pub(crate) headers: &'static [(&'static str, &'static str)],
    pub(crate) body: Option<&'static str>,
    pub(crate) credentials: Credentials,
    pub(crate) repeat: u8,
    pub(crate) redirect: Option<Redirect>,
    /// Response headers the page tries to read.
    pub(crate) read: &'static [&'static str],
    /// First fetch the URL in `no-cors` mode, which sends no `Origin`, so that
    /// the browser's HTTP cache holds a response to a request without `Origin`.
    pub(crate) prime_without_origin: bool,
    /// Run the fetch in a sandboxed iframe (opaque origin: `Origin: null`).
    pub(crate) sandboxed: bool,
}

pub(crate) const GET: Request = Request {
    page: PAGE,
    api: API,
    path: "/data",
    query: "",
    method: "GET",
    headers: &[],
    body: None,
    credentials: Credentials::SameOrigin,
    repeat: 1,
    redirect: None,
    read: &[],
    prime_without_origin: false,
    sandboxed: false,
};

/// What the browser lets the page see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The response is readable with this status.
    Readable(u16),
    /// `fetch` rejects; Chrome reports this CDP `corsError` code.
    Blocked(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Expected {
    pub(crate) outcome: Outcome,
    /// CORS-preflight requests the server received.
    pub(crate) preflights: Option<usize>,
    /// With `preflights`: the server may receive up to this many (an engine
    /// whose preflight cache is not deterministic; say why).
    pub(crate) preflights_at_most: Option<usize>,
    /// Calls that reached the application behind the CORS layer.
    pub(crate) inner_calls: Option<usize>,
    /// Substrings of the readable body (templates allowed).
    pub(crate) body_has: &'static [&'static str],
    /// Values the page reads with `response.headers.get(name)`.
    pub(crate) headers: &'static [(&'static str, Option<&'static str>)],
    /// `response.redirected`.
    pub(crate) redirected: Option<bool>,
    /// Chrome's `corsErrorStatus.failedParameter`.
    pub(crate) failed_parameter: Option<&'static str>,
    /// Status the server answered to the last non-preflight request.
    pub(crate) server_status: Option<u16>,
    /// `Origin` of the last request the server received (templates allowed).
    pub(crate) last_origin: Option<&'static str>,
    /// Whether the last request the server received carried the session cookie.
    pub(crate) last_cookie: Option<bool>,
    /// Engines that genuinely differ: each states its whole expectation and
    /// why. Optional: without an entry, every engine expects the above.
    /// Written `engines: const { &[EngineExpectation { .. }] }`.
    pub(crate) engines: &'static [EngineExpectation],
}

/// One engine's own expectation for a scenario, where it differs from the
/// others, with the reason (shown in docs/comparison.md).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EngineExpectation {
    pub(crate) engine: Engine,
    pub(crate) expected: Expected,
    pub(crate) why: &'static str,
}

impl Expected {
    pub(crate) const fn readable(status: u16) -> Expected {
        Expected::new(Outcome::Readable(status))
    }

    pub(crate) const fn blocked(cors_error: &'static str) -> Expected {
        Expected::new(Outcome::Blocked(cors_error))
    }

    const fn new(outcome: Outcome) -> Expected {
        Expected {
            outcome,
            preflights: None,
            preflights_at_most: None,
            inner_calls: None,
            body_has: &[],
            headers: &[],
            redirected: None,
            failed_parameter: None,
            server_status: None,
            last_origin: None,
            last_cookie: None,
            engines: &[],
        }
    }

    /// What `engine` must show, and why it differs if it does.
    pub(crate) fn for_engine(&self, engine: Engine) -> (&Expected, Option<&'static str>) {
        self.engines
            .iter()
            .find(|e| e.engine == engine)
            .map_or((self, None), |e| (&e.expected, Some(e.why)))
    }
}

pub(crate) struct Scenario {
    pub(crate) desc: &'static str,
    pub(crate) policy: Policy,
    pub(crate) request: Request,
    pub(crate) expected: Expected,
    /// Why tower-http's outcome differs from tower-cors' (shown in the
    /// comparison table only when the recorded outcomes differ).
    pub(crate) tower_http_note: &'static str,
}

pub(crate) const BASE: Policy = Policy {
    origins: &[PAGE],
    regexes: &[],
    any_origin: false,
    null_origin: false,
    methods: &["PUT"],
    headers: &["content-type", "x-api-key"],
    expose: &[],
    credentials: false,
    max_age: None,
    strict: false,
    explain: false,
    guard_websockets: false,
    own: &[],
};

const CREDENTIALED: Policy = Policy {
    credentials: true,
    ..BASE
};

const PUBLIC: Policy = Policy {
    origins: &[],
    any_origin: true,
    ..BASE
};

/// The safe form of a glob over a shared provider domain: one customer's
/// own subdomain, never the provider's.
const PROVIDER_CUSTOMER: Policy = Policy {
    origins: &["http://*.mycorp.s3.amazonaws.test:{page}"],
    ..CREDENTIALED
};

/// The safe form of an origin regex: the registrable domain spelled out,
/// dots escaped, one label in front, any port.
#[cfg(feature = "regex")]
const SAFE_REGEX: Policy = Policy {
    origins: &[],
    regexes: &[r"https?://[a-z0-9-]+\.example\.test(:[0-9]+)?"],
    ..CREDENTIALED
};

const PUT: Request = Request {
    method: "PUT",
    body: Some("{}"),
    headers: &[("content-type", "application/json")],
    ..GET
};

const FIREFOX_SAME_SITE_PREFLIGHT: &str = "Firefox sometimes sends the preflight again \
    for a same-site request (page 127.0.0.1, API 127.0.0.1 on another port) despite \
    Access-Control-Max-Age: 600: one or two preflights from run to run on the same build, so \
    Firefox is held to 1..=2. Cross-site (API on localhost, the Max-Age 600 scenario above) it \
    reused its preflight cache in every run. Both requests are answered and readable either way.";

const NO_ACAO: &str = "MissingAllowOriginHeader";
const PREFLIGHT_NO_ACAO: &str = "PreflightMissingAllowOriginHeader";

const REFUSED_PREFLIGHT_NOTE: &str = "Both refuse. tower-http answers every preflight 200 with \
    its allowed methods and headers, whatever was asked, and lets Chrome find the mismatch, so the \
    console names the method or header. tower-cors answers a refused preflight 403 without any \
    Access-Control-* header (Fetch #http-responses: 403 \"coupled with omitting the relevant \
    headers\"), so Chrome reports the missing Allow-Origin.";

/// The scenarios. Every blocked one names the `corsError` Chrome must report.
pub(crate) fn table() -> Vec<Scenario> {
    let mut table = vec![
        // ---- origins -------------------------------------------------------
        Scenario {
            desc: "exact allowed origin, simple GET: readable without preflight",
            policy: BASE,
            request: GET,
            expected: Expected {
                preflights: Some(0),
                inner_calls: Some(1),
                body_has: &["method=GET", "origin=http://127.0.0.1:{page}"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "origin listed second in allow_origins: readable",
            policy: Policy {
                origins: &["http://admin.example.test:{page}", PAGE],
                ..BASE
            },
            request: GET,
            expected: Expected::readable(200),
            tower_http_note: "",
        },
        Scenario {
            desc: "refused origin, simple GET: forwarded, unreadable",
            policy: BASE,
            request: Request {
                page: PAGE_LOCALHOST,
                ..GET
            },
            expected: Expected {
                preflights: Some(0),
                inner_calls: Some(1),
                server_status: Some(200),
                ..Expected::blocked(NO_ACAO)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "refused origin, strict policy: 403, application not called",
            policy: Policy {
                strict: true,
                ..BASE
            },
            request: Request {
                page: PAGE_LOCALHOST,
                ..GET
            },
            expected: Expected {
                inner_calls: Some(0),
                server_status: Some(403),
                ..Expected::blocked(NO_ACAO)
            },
            tower_http_note: "tower-http has no strict mode: the refused simple request still \
                runs the handler (the browser only hides the response).",
        },
        Scenario {
            desc: "refused origin, preflighted PUT: preflight refused, application never called",
            policy: BASE,
            request: Request {
                page: PAGE_LOCALHOST,
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "sandboxed iframe (Origin: null) is refused by default",
            policy: BASE,
            request: Request {
                sandboxed: true,
                ..GET
            },
            expected: Expected {
                last_origin: Some("null"),
                ..Expected::blocked(NO_ACAO)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "allow_null_origin: a sandboxed iframe reads the response",
            policy: Policy {
                null_origin: true,
                ..BASE
            },
            request: Request {
                sandboxed: true,
                ..GET
            },
            expected: Expected {
                body_has: &["origin=null"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "subdomain pattern matches one label",
            policy: Policy {
                origins: &[SUBDOMAINS],
                ..BASE
            },
            request: Request {
                page: PAGE_APP,
                ..GET
            },
            expected: Expected {
                body_has: &["origin=http://app.example.test:{page}"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "subdomain pattern matches several labels",
            policy: Policy {
                origins: &[SUBDOMAINS],
                ..BASE
            },
            request: Request {
                page: PAGE_DEEP,
                ..GET
            },
            expected: Expected::readable(200),
            tower_http_note: "",
        },
        Scenario {
            desc: "subdomain pattern does not match the apex",
            policy: Policy {
                origins: &[SUBDOMAINS],
                ..BASE
            },
            request: Request {
                page: PAGE_APEX,
                ..GET
            },
            expected: Expected::blocked(NO_ACAO),
            tower_http_note: "",
        },
        Scenario {
            desc: "apex listed next to the subdomain pattern: readable",
            policy: Policy {
                origins: &[SUBDOMAINS, PAGE_APEX],
                ..BASE
            },
            request: Request {
                page: PAGE_APEX,
                ..GET
            },
            expected: Expected::readable(200),
            tower_http_note: "",
        },
        Scenario {
            desc: "subdomain pattern matches whole labels only (evilexample.test)",
            policy: Policy {
                origins: &[SUBDOMAINS],
                ..BASE
            },
            request: Request {
                page: PAGE_LOOKALIKE,
                ..GET
            },
            expected: Expected::blocked(NO_ACAO),
            tower_http_note: "",
        },
        Scenario {
            desc: "subdomain pattern without a port does not match another port",
            policy: Policy {
                origins: &["http://*.example.test"],
                ..BASE
            },
            request: Request {
                page: PAGE_APP,
                ..GET
            },
            expected: Expected::blocked(NO_ACAO),
            tower_http_note: "",
        },
        Scenario {
            desc: "port wildcard http://localhost:* matches the page's port",
            policy: Policy {
                origins: &["http://localhost:*"],
                ..BASE
            },
            request: Request {
                page: PAGE_LOCALHOST,
                ..GET
            },
            expected: Expected::readable(200),
            tower_http_note: "",
        },
        Scenario {
            desc: "port wildcard does not widen the host (127.0.0.1 is not localhost)",
            policy: Policy {
                origins: &["http://localhost:*"],
                ..BASE
            },
            request: GET,
            expected: Expected::blocked(NO_ACAO),
            tower_http_note: "",
        },
        Scenario {
            desc: "pattern-matched origin, preflighted PUT: readable",
            policy: Policy {
                origins: &[SUBDOMAINS],
                ..BASE
            },
            request: Request {
                page: PAGE_APP,
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        // A non-special origin (chrome-extension://, capacitor://) has no scenario: the pages
        // here come from the harness's own HTTP servers, and Chromium sends such an origin
        // only from a loaded extension or an app shell's WebView; an extension with host
        // permissions is not subject to CORS at all. tests/it/origin_forms.rs covers them.
        Scenario {
            desc: "glob pr-* matches a preview deployment's label",
            policy: Policy {
                origins: &[PREVIEWS],
                credentials: true,
                ..BASE
            },
            request: Request {
                page: PAGE_PREVIEW,
                credentials: Credentials::Include,
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                body_has: &["origin=http://pr-7.preview.example.test:{page}"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "glob never matches an empty run (pr-.preview)",
            policy: Policy {
                origins: &[PREVIEWS],
                ..BASE
            },
            request: Request {
                page: "http://pr-.preview.example.test:{page}",
                ..GET
            },
            expected: Expected::blocked(NO_ACAO),
            tower_http_note: "",
        },
        Scenario {
            desc: "glob never matches a dot (pr-7.x.preview)",
            policy: Policy {
                origins: &[PREVIEWS],
                ..BASE
            },
            request: Request {
                page: "http://pr-7.x.preview.example.test:{page}",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note: "",
        },
        // ---- stranger's names next to a glob over a provider domain (credentialed) ----
        Scenario {
            desc: "glob over a customer's own name on a shared provider domain, credentialed: \
                its subdomain reads the cookie-authenticated response",
            policy: PROVIDER_CUSTOMER,
            request: Request {
                page: PAGE_PROVIDER_OWN,
                api: API_PROVIDER,
                credentials: Credentials::Include,
                ..GET
            },
            expected: Expected {
                body_has: &[
                    "origin=http://app.mycorp.s3.amazonaws.test:{page}",
                    "cookie=sid=s3cret",
                ],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "glob over a customer's own name on a shared provider domain, credentialed: \
                a sibling customer's page (attacker-bucket.s3…) is refused, though its request \
                carries the cookie",
            policy: PROVIDER_CUSTOMER,
            request: Request {
                page: PAGE_PROVIDER_SIBLING,
                api: API_PROVIDER,
                credentials: Credentials::Include,
                ..GET
            },
            expected: Expected {
                preflights: Some(0),
                inner_calls: Some(1),
                last_origin: Some(PAGE_PROVIDER_SIBLING),
                last_cookie: Some(true),
                ..Expected::blocked(NO_ACAO)
            },
            tower_http_note: "",
        },
    ];
    #[cfg(feature = "regex")]
    table.extend(safe_regex_scenarios());
    table.extend([
        // ---- safelisted requests and preflights (Fetch #main-fetch, #cors-safelisted-request-header) ----
        Scenario {
            desc: "POST text/plain is a simple request: no preflight",
            policy: BASE,
            request: Request {
                method: "POST",
                body: Some("hello"),
                headers: &[("content-type", "text/plain;charset=UTF-8")],
                ..GET
            },
            expected: Expected {
                preflights: Some(0),
                body_has: &["method=POST"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "POST urlencoded form is a simple request: no preflight",
            policy: BASE,
            request: Request {
                method: "POST",
                body: Some("a=1"),
                headers: &[("content-type", "application/x-www-form-urlencoded")],
                ..GET
            },
            expected: Expected {
                preflights: Some(0),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "safelisted Accept-Language, Content-Language and Range headers: no preflight",
            policy: Policy {
                headers: &[],
                ..BASE
            },
            request: Request {
                headers: &[
                    ("accept-language", "de-CH"),
                    ("content-language", "en"),
                    ("range", "bytes=0-"),
                ],
                ..GET
            },
            expected: Expected {
                preflights: Some(0),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "POST application/json is preflighted; POST needs no Allow-Methods entry",
            policy: BASE,
            request: Request {
                method: "POST",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                body_has: &["method=POST"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "Content-Type text/plain with a non-safelisted byte is preflighted and refused",
            policy: Policy {
                headers: &["x-api-key"],
                ..BASE
            },
            request: Request {
                method: "POST",
                body: Some("x"),
                headers: &[("content-type", "text/plain; charset=\"a@b\"")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note: REFUSED_PREFLIGHT_NOTE,
        },
        Scenario {
            desc: "custom header allowed: one preflight, then readable",
            policy: BASE,
            request: Request {
                headers: &[("x-api-key", "k1")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "allowed header configured in mixed case matches case-insensitively",
            policy: Policy {
                headers: &["X-API-Key"],
                ..BASE
            },
            request: Request {
                headers: &[("X-Api-KEY", "k1")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "header not allowed: preflight refused, request never sent",
            policy: BASE,
            request: Request {
                headers: &[("x-other", "1")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note: REFUSED_PREFLIGHT_NOTE,
        },
        Scenario {
            desc: "one unlisted header among allowed ones refuses the preflight",
            policy: BASE,
            request: Request {
                headers: &[("x-api-key", "k1"), ("x-other", "1")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note: REFUSED_PREFLIGHT_NOTE,
        },
        Scenario {
            desc: "wildcard allow_headers covers any custom header (no credentials)",
            policy: Policy {
                headers: &["*"],
                ..BASE
            },
            request: Request {
                headers: &[("x-anything", "1")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "wildcard allow_headers never covers Authorization",
            policy: Policy {
                headers: &["*"],
                ..BASE
            },
            request: Request {
                path: "/private",
                headers: &[("authorization", "Bearer letmein")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note:
                "tower-http's AllowHeaders::any() sends Access-Control-Allow-Headers: *, \
                and Chrome still lets * cover Authorization. The Fetch standard says * never \
                covers it (#cors-non-wildcard-request-header-name); tower-cors follows the \
                standard, so a wildcard policy must list authorization explicitly.",
        },
        Scenario {
            desc: "Authorization listed next to the wildcard: readable",
            policy: Policy {
                headers: &["*", "authorization"],
                ..BASE
            },
            request: Request {
                path: "/private",
                headers: &[("authorization", "Bearer letmein")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                body_has: &["authorization=Bearer letmein"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        // ---- methods (Fetch #methods: byte-exact; fetch() normalizes only six) ----
        Scenario {
            desc: "PUT allowed: preflight, then readable",
            policy: BASE,
            request: PUT,
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                body_has: &["method=PUT"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "DELETE not allowed: preflight refused, request never sent",
            policy: BASE,
            request: Request {
                method: "DELETE",
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note: REFUSED_PREFLIGHT_NOTE,
        },
        Scenario {
            desc: "fetch normalizes put to PUT: allowed by PUT",
            policy: BASE,
            request: Request {
                method: "put",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                body_has: &["method=PUT"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "lower-case extension method purge is sent as is and allowed when purge is listed",
            policy: Policy {
                methods: &["purge"],
                ..BASE
            },
            request: Request {
                method: "purge",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                body_has: &["method=purge"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "lower-case patch is refused when only PATCH is listed (byte-exact)",
            policy: Policy {
                methods: &["PATCH"],
                ..BASE
            },
            request: Request {
                method: "patch",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked(PREFLIGHT_NO_ACAO)
            },
            tower_http_note: REFUSED_PREFLIGHT_NOTE,
        },
        Scenario {
            desc: "explain_preflight_refusals: Chrome names the refused method",
            policy: Policy {
                explain: true,
                ..BASE
            },
            request: Request {
                method: "DELETE",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                failed_parameter: Some("DELETE"),
                ..Expected::blocked("MethodDisallowedByPreflightResponse")
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "explain_preflight_refusals: Chrome names the refused header",
            policy: Policy {
                explain: true,
                ..BASE
            },
            request: Request {
                headers: &[("content-type", "application/json"), ("x-debug", "1")],
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                failed_parameter: Some("x-debug"),
                ..Expected::blocked("HeaderDisallowedByPreflightResponse")
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "explain_preflight_refusals: Chrome names a method differing only in case",
            policy: Policy {
                methods: &["PATCH"],
                explain: true,
                ..BASE
            },
            request: Request {
                method: "patch",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                failed_parameter: Some("patch"),
                ..Expected::blocked("MethodDisallowedByPreflightResponse")
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "upper-case PATCH allowed when PATCH is listed",
            policy: Policy {
                methods: &["PATCH"],
                ..BASE
            },
            request: Request {
                method: "PATCH",
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                body_has: &["method=PATCH"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "fetch with method OPTIONS: preflight, then the actual OPTIONS reaches the app",
            policy: Policy {
                methods: &["OPTIONS"],
                ..BASE
            },
            request: Request {
                method: "OPTIONS",
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                body_has: &["method=OPTIONS"],
                ..Expected::readable(200)
            },
            tower_http_note: "tower-http treats every OPTIONS request as a preflight, so the \
                actual OPTIONS request (no Access-Control-Request-Method) never reaches the \
                application. tower-cors classifies a preflight as OPTIONS + Origin + \
                Access-Control-Request-Method (Fetch #cors-preflight-request) and forwards the rest.",
        },
        Scenario {
            desc: "wildcard allow_methods allows DELETE without credentials",
            policy: Policy {
                methods: &["*"],
                ..BASE
            },
            request: Request {
                method: "DELETE",
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                body_has: &["method=DELETE"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        // ---- credentials (Fetch #cors-protocol-and-credentials) -------------
        Scenario {
            desc: "credentialed GET on a same-site pair: cookie sent, readable",
            policy: CREDENTIALED,
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Include,
                ..GET
            },
            expected: Expected {
                preflights: Some(0),
                body_has: &["cookie=sid=s3cret"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "credentialed preflighted PUT: preflight carries Allow-Credentials, cookie sent",
            policy: CREDENTIALED,
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Include,
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                body_has: &["method=PUT", "cookie=sid=s3cret"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "credentials omitted: no cookie even on a credentialed policy",
            policy: CREDENTIALED,
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Omit,
                ..GET
            },
            expected: Expected {
                body_has: &["cookie=-"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "credentialed GET against a policy without credentials: blocked",
            policy: BASE,
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Include,
                ..GET
            },
            expected: Expected {
                inner_calls: Some(1),
                ..Expected::blocked("InvalidAllowCredentials")
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "credentialed PUT against a policy without credentials: preflight blocked",
            policy: BASE,
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Include,
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::blocked("PreflightInvalidAllowCredentials")
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "public * policy: the browser rejects * for a credentialed request",
            policy: PUBLIC,
            request: Request {
                credentials: Credentials::Include,
                ..GET
            },
            expected: Expected::blocked("WildcardOriginNotAllowed"),
            tower_http_note: "",
        },
        // ---- error statuses behind an auth layer inside CORS ----------------
        Scenario {
            desc: "401 from the auth layer is readable, WWW-Authenticate exposed",
            policy: Policy {
                expose: &["www-authenticate"],
                ..BASE
            },
            request: Request {
                path: "/private",
                read: &["www-authenticate"],
                ..GET
            },
            expected: Expected {
                preflights: Some(0),
                inner_calls: Some(0),
                headers: &[("www-authenticate", Some("Bearer realm=\"api\""))],
                body_has: &["unauthorized"],
                ..Expected::readable(401)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "valid bearer token: preflight answered before auth, then 200",
            policy: Policy {
                headers: &["authorization"],
                ..BASE
            },
            request: Request {
                path: "/private",
                headers: &[("authorization", "Bearer letmein")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(1),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "wrong bearer token: preflight passes, 401 readable",
            policy: Policy {
                headers: &["authorization"],
                ..BASE
            },
            request: Request {
                path: "/private",
                headers: &[("authorization", "Bearer wrong")],
                ..GET
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(0),
                ..Expected::readable(401)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "404 for an unknown path is readable",
            policy: BASE,
            request: Request {
                path: "/missing",
                ..GET
            },
            expected: Expected::readable(404),
            tower_http_note: "",
        },
        Scenario {
            desc: "500 is readable with its exposed header",
            policy: Policy {
                expose: &["x-request-id"],
                ..BASE
            },
            request: Request {
                query: "status=500",
                read: &["x-request-id"],
                ..GET
            },
            expected: Expected {
                headers: &[("x-request-id", Some("rid-42"))],
                ..Expected::readable(500)
            },
            tower_http_note: "",
        },
        // ---- exposed response headers (Fetch #http-access-control-expose-headers) ----
        Scenario {
            desc: "exposed header readable, unexposed hidden, safelisted Content-Type readable",
            policy: Policy {
                expose: &["x-request-id"],
                ..BASE
            },
            request: Request {
                read: &["x-request-id", "x-secret", "content-type"],
                ..GET
            },
            expected: Expected {
                headers: &[
                    ("x-request-id", Some("rid-42")),
                    ("x-secret", None),
                    ("content-type", Some("text/plain; charset=utf-8")),
                ],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "expose_headers * exposes every header without credentials",
            policy: Policy {
                expose: &["*"],
                ..BASE
            },
            request: Request {
                read: &["x-secret"],
                ..GET
            },
            expected: Expected {
                headers: &[("x-secret", Some("hidden"))],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "exposed header readable on a credentialed response",
            policy: Policy {
                expose: &["x-request-id"],
                ..CREDENTIALED
            },
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Include,
                read: &["x-request-id", "x-secret"],
                ..GET
            },
            expected: Expected {
                headers: &[("x-request-id", Some("rid-42")), ("x-secret", None)],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        // ---- CORS-preflight cache (Fetch #concept-cache) -------------------
        Scenario {
            desc: "Max-Age 600: the second PUT reuses the cached preflight",
            policy: Policy {
                max_age: Some(600),
                ..BASE
            },
            request: Request { repeat: 2, ..PUT },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(2),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "Max-Age 600, same-site credentialed PUT: the second PUT reuses the cached preflight",
            policy: Policy {
                max_age: Some(600),
                ..CREDENTIALED
            },
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Include,
                repeat: 2,
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(2),
                engines: const {
                    &[EngineExpectation {
                        engine: Engine::Firefox,
                        expected: Expected {
                            preflights: Some(1),
                            preflights_at_most: Some(2),
                            inner_calls: Some(2),
                            ..Expected::readable(200)
                        },
                        why: FIREFOX_SAME_SITE_PREFLIGHT,
                    }]
                },
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "Max-Age 600, same-site JSON POST: the second POST reuses the cached preflight",
            policy: Policy {
                max_age: Some(600),
                ..BASE
            },
            request: Request {
                api: API_SAME_SITE,
                method: "POST",
                repeat: 2,
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(2),
                engines: const {
                    &[EngineExpectation {
                        engine: Engine::Firefox,
                        expected: Expected {
                            preflights: Some(1),
                            preflights_at_most: Some(2),
                            inner_calls: Some(2),
                            ..Expected::readable(200)
                        },
                        why: FIREFOX_SAME_SITE_PREFLIGHT,
                    }]
                },
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "Max-Age 0: every PUT is preflighted",
            policy: Policy {
                max_age: Some(0),
                ..BASE
            },
            request: Request { repeat: 2, ..PUT },
            expected: Expected {
                preflights: Some(2),
                inner_calls: Some(2),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "no Max-Age: Chrome caches the preflight for its 5 s default",
            policy: BASE,
            request: Request { repeat: 2, ..PUT },
            expected: Expected {
                preflights: Some(1),
                inner_calls: Some(2),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        // ---- the layer owns Access-Control-* headers ----------------------
        Scenario {
            desc: "application's own ACAO * is replaced on a credentialed response",
            policy: CREDENTIALED,
            request: Request {
                api: API_SAME_SITE,
                credentials: Credentials::Include,
                query: "acao=*",
                ..GET
            },
            expected: Expected {
                body_has: &["cookie=sid=s3cret"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "application's own ACAO * is stripped for a refused origin",
            policy: BASE,
            request: Request {
                page: PAGE_LOCALHOST,
                query: "acao=*",
                ..GET
            },
            expected: Expected {
                inner_calls: Some(1),
                ..Expected::blocked(NO_ACAO)
            },
            tower_http_note: "tower-http adds nothing for a refused origin but leaves the \
                application's own Access-Control-Allow-Origin: * in place, so any site reads the \
                response. tower-cors owns the Access-Control-* headers and strips them.",
        },
        Scenario {
            desc: "application repeating the allowed origin does not duplicate ACAO",
            policy: BASE,
            request: Request {
                query: "acao=http://127.0.0.1:{page}",
                ..GET
            },
            expected: Expected::readable(200),
            tower_http_note: "",
        },
        // ---- HTTP cache (Fetch #cors-protocol-and-http-caches) ------------
        Scenario {
            desc: "cached response to a request without Origin is not reused for CORS (Vary: Origin)",
            policy: BASE,
            request: Request {
                query: "cache=60",
                prime_without_origin: true,
                ..GET
            },
            expected: Expected {
                inner_calls: Some(2),
                last_origin: Some(PAGE),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "public * policy: ACAO * on a response without Origin lets its cached copy serve CORS",
            policy: PUBLIC,
            request: Request {
                query: "cache=60",
                prime_without_origin: true,
                ..GET
            },
            expected: Expected {
                inner_calls: Some(1),
                engines: const {
                    &[EngineExpectation {
                        engine: Engine::WebKit,
                        expected: Expected {
                            inner_calls: Some(2),
                            ..Expected::readable(200)
                        },
                        why: "WebKit's cache does not serve a cors-mode fetch from the entry \
                            stored for the no-cors fetch (which carried no Origin): it asks the \
                            server again, and the fresh answer is readable. Chromium and Firefox \
                            reuse the cached `Access-Control-Allow-Origin: *` response.",
                    }]
                },
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        // ---- redirects (Fetch #http-redirect-fetch) ---------------------------
        Scenario {
            desc: "same-origin 302 on the API: both hops carry CORS headers, readable",
            policy: BASE,
            request: Request {
                redirect: Some(Redirect {
                    status: 302,
                    to: API,
                    path: "/data",
                }),
                ..GET
            },
            expected: Expected {
                redirected: Some(true),
                inner_calls: Some(2),
                last_origin: Some(PAGE),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "307 after a preflighted PUT keeps the method; the new URL is preflighted too",
            policy: BASE,
            request: Request {
                redirect: Some(Redirect {
                    status: 307,
                    to: API,
                    path: "/data",
                }),
                ..PUT
            },
            expected: Expected {
                redirected: Some(true),
                preflights: Some(2),
                body_has: &["method=PUT"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "redirect to another origin taints Origin to null, which is refused",
            policy: BASE,
            request: Request {
                redirect: Some(Redirect {
                    status: 302,
                    to: API_SAME_SITE,
                    path: "/data",
                }),
                ..GET
            },
            expected: Expected {
                inner_calls: Some(2),
                last_origin: Some("null"),
                ..Expected::blocked(NO_ACAO)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "redirect answered to a refused origin is blocked at the first hop",
            policy: BASE,
            request: Request {
                page: PAGE_LOCALHOST,
                redirect: Some(Redirect {
                    status: 302,
                    to: API,
                    path: "/data",
                }),
                ..GET
            },
            expected: Expected {
                inner_calls: Some(1),
                ..Expected::blocked(NO_ACAO)
            },
            tower_http_note: "",
        },
        // ---- the public * policy -------------------------------------------
        Scenario {
            desc: "public * policy: any origin reads a simple GET",
            policy: PUBLIC,
            request: Request {
                page: PAGE_LOCALHOST,
                ..GET
            },
            expected: Expected::readable(200),
            tower_http_note: "",
        },
        Scenario {
            desc: "public * policy: preflighted PUT with a custom header",
            policy: PUBLIC,
            request: Request {
                page: PAGE_APP,
                headers: &[("content-type", "application/json"), ("x-api-key", "k1")],
                ..PUT
            },
            expected: Expected {
                preflights: Some(1),
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        Scenario {
            desc: "public * policy: exposed header readable",
            policy: Policy {
                expose: &["x-request-id"],
                ..PUBLIC
            },
            request: Request {
                read: &["x-request-id", "x-secret"],
                ..GET
            },
            expected: Expected {
                headers: &[("x-request-id", Some("rid-42")), ("x-secret", None)],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
    ]);
    table
}

/// A safe regex with credentials: a subdomain page reads the
/// cookie-authenticated response; look-alike pages are refused.
#[cfg(feature = "regex")]
fn safe_regex_scenarios() -> Vec<Scenario> {
    let stranger = |desc: &'static str, page: &'static str| Scenario {
        desc,
        policy: SAFE_REGEX,
        request: Request {
            page,
            api: API_EXAMPLE,
            credentials: Credentials::Include,
            ..GET
        },
        expected: Expected {
            preflights: Some(0),
            inner_calls: Some(1),
            last_origin: Some(page),
            ..Expected::blocked(NO_ACAO)
        },
        tower_http_note: "",
    };
    vec![
        Scenario {
            desc: "safe regex over example.test, credentialed: a subdomain page reads the \
                cookie-authenticated response",
            policy: SAFE_REGEX,
            request: Request {
                page: PAGE_APP,
                api: API_EXAMPLE,
                credentials: Credentials::Include,
                ..GET
            },
            expected: Expected {
                body_has: &["origin=http://app.example.test:{page}", "cookie=sid=s3cret"],
                ..Expected::readable(200)
            },
            tower_http_note: "",
        },
        stranger(
            "safe regex over example.test, credentialed: evilexample.test is refused",
            PAGE_LOOKALIKE,
        ),
        stranger(
            "safe regex over example.test, credentialed: example.test.evil.test is refused",
            PAGE_SUFFIXED,
        ),
    ]
}

/// The phrase of Chrome's console message for each `corsError` code
/// (`services/network/public/cpp/cors/cors_error_status.cc` wording).
pub(crate) fn console_phrase(cors_error: &str) -> Option<&'static str> {
    Some(match cors_error {
        "MissingAllowOriginHeader" | "PreflightMissingAllowOriginHeader" => {
            "No 'Access-Control-Allow-Origin' header is present on the requested resource."
        }
        "WildcardOriginNotAllowed" | "PreflightWildcardOriginNotAllowed" => {
            "must not be the wildcard '*' when the request's credentials mode is 'include'"
        }
        "MultipleAllowOriginValues" | "PreflightMultipleAllowOriginValues" => {
            "header contains multiple values"
        }
        "InvalidAllowOriginValue" | "PreflightInvalidAllowOriginValue" => {
            "header contains the invalid value"
        }
        "AllowOriginMismatch" | "PreflightAllowOriginMismatch" => {
            "that is not equal to the supplied origin"
        }
        "InvalidAllowCredentials" | "PreflightInvalidAllowCredentials" => {
            "which must be 'true' when the request's credentials mode is 'include'"
        }
        "PreflightInvalidStatus" => "It does not have HTTP ok status.",
        "PreflightDisallowedRedirect" => "Redirect is not allowed for a preflight request.",
        "MethodDisallowedByPreflightResponse" => {
            "is not allowed by Access-Control-Allow-Methods in preflight response."
        }
        "HeaderDisallowedByPreflightResponse" => {
            "is not allowed by Access-Control-Allow-Headers in preflight response."
        }
        _ => return None,
    })
}

/// The reason Firefox gives (inside "(Reason: …)" of its "Cross-Origin
/// Request Blocked" console line, `dom/locales/…/security.properties`
/// wording) for a request Chrome reports with `cors_error`.
pub(crate) fn firefox_phrase(cors_error: &str) -> Option<&'static str> {
    Some(match cors_error {
        // Firefox checks the preflight's Allow-Origin before its status, so a
        // refused preflight (403, no CORS header) reads like a simple request's.
        "MissingAllowOriginHeader" | "PreflightMissingAllowOriginHeader" => {
            "CORS header ‘Access-Control-Allow-Origin’ missing"
        }
        "WildcardOriginNotAllowed" | "PreflightWildcardOriginNotAllowed" => {
            "Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’"
        }
        "InvalidAllowCredentials" | "PreflightInvalidAllowCredentials" => {
            "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’"
        }
        "MethodDisallowedByPreflightResponse" => {
            "Did not find method in CORS header ‘Access-Control-Allow-Methods’"
        }
        "HeaderDisallowedByPreflightResponse" => {
            "is not allowed according to header ‘Access-Control-Allow-Headers’"
        }
        _ => return None,
    })
}
