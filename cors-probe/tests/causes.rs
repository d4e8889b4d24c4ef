//! Every common cause of a CORS failure, reproduced by a deliberately broken server on loopback,
//! plus tower-cors and tower-http configured correctly: the probe's verdict, exit status,
//! Chrome's error and the fix.

mod support;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use support::{probe_json, serve, ORIGIN};

type Lines = &'static [(&'static str, &'static str)];

fn response(status: u16, lines: &[(&str, &str)]) -> Response {
    let mut response = (StatusCode::from_u16(status).expect("status"), "body").into_response();
    for (name, value) in lines {
        response.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    response
}

/// Answers preflights (`OPTIONS`) with `preflight` and everything else with `actual`.
fn by_method(preflight: (u16, Lines), actual: (u16, Lines)) -> Router {
    Router::new().fallback(move |method: Method| async move {
        let (status, lines) = if method == Method::OPTIONS {
            preflight
        } else {
            actual
        };
        response(status, lines)
    })
}

/// Reflects whatever `Origin` arrives, without `Vary`.
fn reflecting() -> Router {
    Router::new().fallback(|request: Request| async move {
        let origin = request
            .headers()
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        response(200, &[("access-control-allow-origin", &origin)])
    })
}

/// An authentication check outside the CORS layer: no `Authorization`, 401.
async fn require_auth(request: Request, next: Next) -> Response {
    if request.headers().contains_key("authorization") {
        next.run(request).await
    } else {
        response(401, &[("www-authenticate", "Bearer")])
    }
}

fn tower_http(methods: &[Method], headers: &[&str]) -> tower_http::cors::CorsLayer {
    tower_http::cors::CorsLayer::new()
        .allow_origin(HeaderValue::from_static(ORIGIN))
        .allow_methods(methods.to_vec())
        .allow_headers(
            headers
                .iter()
                .map(|h| HeaderName::from_bytes(h.as_bytes()).expect("name"))
                .collect::<Vec<_>>(),
        )
}

fn tower_cors(credentials: bool) -> tower_cors::CorsLayer {
    let policy = tower_cors::CorsPolicy::builder()
        .allow_origin(ORIGIN)
        .allow_methods(["PUT"])
        .allow_headers(["content-type", "x-api-key"])
        .allow_credentials(credentials)
        .build()
        .expect("policy");
    tower_cors::CorsLayer::new(policy)
}

async fn ok() -> &'static str {
    "ok"
}

struct Case {
    desc: &'static str,
    app: Router,
    method: &'static str,
    headers: &'static [&'static str],
    credentials: bool,
    origin: &'static str,
    /// `None`: allowed; `Some(code)`: blocked with Chrome's `corsError` `code`.
    blocked: Option<&'static str>,
    /// Substring of Chrome's console sentence.
    console: &'static str,
    /// Substring of the hints.
    hint: &'static str,
    /// Substrings the hints must not contain.
    not_hint: &'static [&'static str],
    /// Exactly this many hints (`None`: any number).
    hint_count: Option<usize>,
    /// Substring of the warnings ("" for none expected; "-" for "no warning at all").
    warning: &'static str,
}

fn base() -> Case {
    Case {
        desc: "",
        app: Router::new(),
        method: "GET",
        headers: &[],
        credentials: false,
        origin: ORIGIN,
        blocked: None,
        console: "",
        hint: "",
        not_hint: &[],
        hint_count: None,
        warning: "",
    }
}

/// What no hint may say about a CORS layer's deliberate refusal.
const NOT_FOR_A_REFUSAL: &[&str] = &[
    "exempt OPTIONS",
    "sits behind",
    "add `always`",
    "add_header",
];

/// A tower-cors layer allowing `ORIGIN`, PUT, `content-type`; strict (refusing actual requests
/// from other origins with 403) or not.
fn tower_cors_strict() -> tower_cors::CorsLayer {
    let policy = tower_cors::CorsPolicy::builder()
        .allow_origin(ORIGIN)
        .allow_methods(["PUT"])
        .allow_headers(["content-type"])
        .strict(true)
        .build()
        .expect("policy");
    tower_cors::CorsLayer::new(policy)
}

const JSON: &[&str] = &["Content-Type: application/json"];
const ACAO: (&str, &str) = ("access-control-allow-origin", ORIGIN);

fn cases() -> Vec<Case> {
    vec![
        Case {
            desc: "preflight answered 401 by an auth layer in front of CORS",
            app: Router::new()
                .route("/api", put(ok))
                .layer(tower_http(&[Method::PUT], &["content-type"]))
                .layer(middleware::from_fn(require_auth)),
            method: "PUT",
            headers: JSON,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            console: "Response to preflight request doesn't pass access control check: No \
                      'Access-Control-Allow-Origin' header is present on the requested resource.",
            hint: "CORS sits behind authentication",
            ..base()
        },
        Case {
            desc: "preflight answered 403 with CORS headers",
            app: by_method((403, &[ACAO]), (200, &[ACAO])),
            method: "DELETE",
            blocked: Some("PreflightInvalidStatus"),
            console: "Response to preflight request doesn't pass access control check: It does \
                      not have HTTP ok status.",
            hint: "answered 403, and the answer does not say who refused",
            ..base()
        },
        Case {
            desc: "no OPTIONS handling: axum answers 405",
            app: Router::new().route("/api", put(|| async { response(200, &[ACAO]) })),
            method: "PUT",
            headers: JSON,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "answered 405: the server does not handle OPTIONS",
            ..base()
        },
        Case {
            desc: "no OPTIONS handling: 404 that carries CORS headers",
            app: by_method((404, &[ACAO]), (200, &[ACAO])),
            method: "PUT",
            blocked: Some("PreflightInvalidStatus"),
            hint: "answered 404: the server does not handle OPTIONS",
            ..base()
        },
        Case {
            desc: "CORS headers on 2xx only: the 500 has none",
            app: Router::new().route("/api", get(|| async { response(500, &[]) })),
            blocked: Some("MissingAllowOriginHeader"),
            console: "has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header",
            hint: "add `always` to each CORS `add_header` line",
            ..base()
        },
        Case {
            desc: "CORS headers on the preflight and on 2xx only: the actual 500 has none",
            app: by_method(
                (
                    204,
                    &[
                        ACAO,
                        ("access-control-allow-methods", "PUT"),
                        ("access-control-allow-headers", "content-type"),
                    ],
                ),
                (500, &[]),
            ),
            method: "PUT",
            headers: JSON,
            blocked: Some("MissingAllowOriginHeader"),
            hint: "the preflight carried the CORS headers, but this 500 answer has none",
            ..base()
        },
        Case {
            desc: "* with credentials",
            app: by_method((204, &[]), (200, &[("access-control-allow-origin", "*")])),
            credentials: true,
            blocked: Some("WildcardOriginNotAllowed"),
            console: "must not be the wildcard '*' when the request's credentials mode is \
                      'include'",
            hint: "`*` never allows a credentialed request",
            ..base()
        },
        Case {
            desc: "* with credentials on the preflight",
            app: by_method(
                (
                    204,
                    &[
                        ("access-control-allow-origin", "*"),
                        ("access-control-allow-credentials", "true"),
                        ("access-control-allow-methods", "PUT"),
                    ],
                ),
                (200, &[]),
            ),
            method: "PUT",
            credentials: true,
            blocked: Some("PreflightWildcardOriginNotAllowed"),
            hint: "`*` never allows a credentialed request",
            ..base()
        },
        Case {
            desc: "header not listed (tower-http allows content-type only)",
            app: Router::new()
                .route("/api", get(ok))
                .layer(tower_http(&[Method::GET], &["content-type"])),
            headers: &["X-Api-Key: k"],
            blocked: Some("HeaderDisallowedByPreflightResponse"),
            console: "Request header field x-api-key is not allowed by \
                      Access-Control-Allow-Headers in preflight response.",
            hint: "add `x-api-key` to `Access-Control-Allow-Headers`",
            ..base()
        },
        Case {
            desc: "method not listed (tower-http allows GET and POST)",
            app: Router::new()
                .route("/api", get(ok))
                .layer(tower_http(&[Method::GET, Method::POST], &[])),
            method: "DELETE",
            blocked: Some("MethodDisallowedByPreflightResponse"),
            console: "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight \
                      response.",
            hint: "add `DELETE` to `Access-Control-Allow-Methods`",
            ..base()
        },
        Case {
            desc: "case-only method mismatch: the page sends patch, the server lists PATCH",
            app: by_method(
                (204, &[ACAO, ("access-control-allow-methods", "GET, PATCH")]),
                (200, &[ACAO]),
            ),
            method: "patch",
            blocked: Some("MethodDisallowedByPreflightResponse"),
            console: "Method patch is not allowed",
            hint: "methods are compared byte for byte",
            ..base()
        },
        Case {
            desc: "two Access-Control-Allow-Origin lines (application and proxy)",
            app: by_method((204, &[]), (200, &[ACAO, ACAO])),
            blocked: Some("MultipleAllowOriginValues"),
            console: "contains multiple values 'https://app.example.com, https://app.example.com'",
            hint: "proxy_hide_header Access-Control-Allow-Origin",
            ..base()
        },
        Case {
            desc: "a trailing slash in the allowed origin",
            app: by_method(
                (204, &[]),
                (
                    200,
                    &[("access-control-allow-origin", "https://app.example.com/")],
                ),
            ),
            blocked: Some("AllowOriginMismatch"),
            console: "has a value 'https://app.example.com/' that is not equal to the supplied \
                      origin",
            hint: "ends with a slash",
            ..base()
        },
        Case {
            desc: "Access-Control-Allow-Credentials: True (not lowercase)",
            app: by_method(
                (204, &[]),
                (200, &[ACAO, ("access-control-allow-credentials", "True")]),
            ),
            credentials: true,
            blocked: Some("InvalidAllowCredentials"),
            console: "is 'True' which must be 'true'",
            hint: "`Access-Control-Allow-Credentials: true`",
            ..base()
        },
        Case {
            desc: "redirected preflight",
            app: by_method((308, &[ACAO, ("location", "/api/")]), (200, &[ACAO])),
            method: "PUT",
            blocked: Some("PreflightDisallowedRedirect"),
            console: "Redirect is not allowed for a preflight request.",
            hint: "browsers do not follow redirects for preflights",
            ..base()
        },
        Case {
            desc: "origin reflected without Vary: Origin (allowed, warned)",
            app: reflecting(),
            warning: "missing `Vary: Origin`",
            ..base()
        },
        Case {
            desc: "one static origin without Vary needs no warning",
            app: by_method((204, &[]), (200, &[ACAO])),
            warning: "-",
            ..base()
        },
        Case {
            desc: "* covers Authorization in browsers (allowed, warned)",
            app: by_method(
                (
                    204,
                    &[
                        ("access-control-allow-origin", "*"),
                        ("access-control-allow-headers", "*"),
                        ("access-control-allow-methods", "*"),
                    ],
                ),
                (200, &[("access-control-allow-origin", "*")]),
            ),
            method: "PUT",
            headers: &["Authorization: Bearer t"],
            warning: "list `authorization` explicitly",
            ..base()
        },
        Case {
            desc: "tower-cors: simple GET",
            app: Router::new()
                .route("/api", get(ok))
                .layer(tower_cors(false)),
            warning: "-",
            ..base()
        },
        Case {
            desc: "tower-cors: credentialed PUT with JSON and a custom header",
            app: Router::new().route("/api", put(ok)).layer(tower_cors(true)),
            method: "put",
            headers: &["Content-Type: application/json", "X-Api-Key: k"],
            credentials: true,
            warning: "-",
            ..base()
        },
        Case {
            desc: "tower-cors: a refused origin's preflight is a bare 403",
            app: Router::new()
                .route("/api", put(ok))
                .layer(tower_cors(false)),
            method: "PUT",
            headers: JSON,
            origin: "https://evil.example",
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "tower-cors refused this request on purpose (its answer says \"CORS preflight \
                   refused: origin not allowed\"): the origin https://evil.example is not in the \
                   server's CORS allow-list. Whether this origin may use the API is the decision \
                   of whoever owns the server's CORS policy",
            not_hint: NOT_FOR_A_REFUSAL,
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "tower-cors: a refused header's preflight is a bare 403",
            app: Router::new()
                .route("/api", put(ok))
                .layer(tower_cors(false)),
            method: "PUT",
            headers: &["Content-Type: application/json", "X-Debug: 1"],
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "a request header the page sends is not among the server's allowed headers (the \
                   preflight asks for: content-type, x-debug)",
            not_hint: NOT_FOR_A_REFUSAL,
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "tower-cors: a refused method's preflight is a bare 403",
            app: Router::new()
                .route("/api", put(ok))
                .layer(tower_cors(false)),
            method: "DELETE",
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "the method DELETE is not among the server's allowed methods",
            not_hint: NOT_FOR_A_REFUSAL,
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "tower-cors strict: a refused origin's simple GET is a bare 403",
            app: Router::new()
                .route("/api", get(ok))
                .layer(tower_cors_strict()),
            origin: "https://evil.example",
            blocked: Some("MissingAllowOriginHeader"),
            console: "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
            hint: "tower-cors refused this request on purpose (its answer says \"CORS request \
                   refused: origin not allowed\")",
            not_hint: NOT_FOR_A_REFUSAL,
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "Starlette's CORSMiddleware refuses the origin with 400",
            app: Router::new().fallback(|method: Method| async move {
                if method == Method::OPTIONS {
                    (StatusCode::BAD_REQUEST, "Disallowed CORS origin").into_response()
                } else {
                    response(200, &[])
                }
            }),
            method: "PUT",
            headers: JSON,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "Starlette's CORSMiddleware (FastAPI) refused this request on purpose",
            not_hint: NOT_FOR_A_REFUSAL,
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "Spring's CORS processor refuses with 403 Invalid CORS request",
            app: Router::new().fallback(|method: Method| async move {
                if method == Method::OPTIONS {
                    (StatusCode::FORBIDDEN, "Invalid CORS request").into_response()
                } else {
                    response(200, &[])
                }
            }),
            method: "PUT",
            headers: JSON,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "Spring's CORS processor refused this request on purpose (its answer says \
                   \"Invalid CORS request\"): the origin https://app.example.com, the method PUT \
                   or a request header is not in the server's CORS policy",
            not_hint: NOT_FOR_A_REFUSAL,
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "a bare 403 preflight: authentication or a CORS refusal, the answer does not say",
            app: by_method((403, &[]), (200, &[ACAO])),
            method: "PUT",
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "answered 403, and the answer does not say who refused",
            ..base()
        },
        Case {
            desc: "no CORS headers at all: CORS off, or an empty or unset allow-list",
            app: by_method((204, &[]), (200, &[])),
            blocked: Some("MissingAllowOriginHeader"),
            console: "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
            hint: "an allow-list that is empty or unset",
            not_hint: &["add `always`"],
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "a CORS layer answers the preflight without the origin (the cors npm package's refusal)",
            app: by_method(
                (
                    204,
                    &[
                        ("access-control-allow-methods", "GET,POST,PUT"),
                        ("access-control-allow-headers", "Content-Type"),
                    ],
                ),
                (200, &[]),
            ),
            method: "PUT",
            headers: JSON,
            blocked: Some("PreflightMissingAllowOriginHeader"),
            hint: "a CORS layer answered the preflight (it sent access-control-allow-methods, \
                   access-control-allow-headers) but left out `Access-Control-Allow-Origin`",
            ..base()
        },
        Case {
            desc: "a proxy and the application both add Allow-Origin and Allow-Credentials",
            app: by_method(
                (204, &[]),
                (
                    200,
                    &[
                        ACAO,
                        ("access-control-allow-credentials", "true"),
                        ACAO,
                        ("access-control-allow-credentials", "true"),
                    ],
                ),
            ),
            credentials: true,
            blocked: Some("MultipleAllowOriginValues"),
            console: "The 'Access-Control-Allow-Origin' header contains multiple values \
                      'https://app.example.com, https://app.example.com', but only one is \
                      allowed. Have the server send the header with a valid value.",
            hint: "proxy_hide_header Access-Control-Allow-Origin; proxy_hide_header \
                   Access-Control-Allow-Credentials;",
            hint_count: Some(1),
            ..base()
        },
        Case {
            desc: "tower-http: PUT with JSON",
            app: Router::new()
                .route("/api", put(ok))
                .layer(tower_http(&[Method::PUT], &["content-type"])),
            method: "PUT",
            headers: JSON,
            ..base()
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cause_gets_the_browser_verdict_the_exit_status_and_the_fix() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in cases {
        let desc = case.desc;
        let base = serve(case.app).await;
        let url = format!("{base}/api");
        let mut args = vec![
            url.as_str(),
            "--origin",
            case.origin,
            "--method",
            case.method,
        ];
        for h in case.headers {
            args.push("--header");
            args.push(h);
        }
        if case.credentials {
            args.push("--credentials");
        }
        // Every server here is the test's own: sending any method is harmless.
        args.push("--send");
        let run = probe_json(&args).await;
        let mut fail = |m: String| failures.push(format!("{desc}: {m}\n    {}", run.json));
        match case.blocked {
            None => {
                if run.verdict() != "allowed" || run.code != 0 {
                    fail(format!(
                        "expected allowed/0, got {}/{}",
                        run.verdict(),
                        run.code
                    ));
                }
            }
            Some(code) => {
                if run.verdict() != "blocked" || run.code != 1 {
                    fail(format!(
                        "expected blocked/1, got {}/{}",
                        run.verdict(),
                        run.code
                    ));
                }
                if run.cors_error() != code {
                    fail(format!("expected {code}, got {}", run.cors_error()));
                }
                let console = run.console();
                let prefix = format!(
                    "Access to fetch at '{url}' from origin '{}' has been blocked by CORS policy: ",
                    case.origin
                );
                if !console.starts_with(&prefix) || !console.contains(case.console) {
                    fail(format!(
                        "console sentence {console:?} lacks {:?}",
                        case.console
                    ));
                }
            }
        }
        if !run.hints().contains(case.hint) {
            fail(format!("hints lack {:?}: {:?}", case.hint, run.hints()));
        }
        for bad in case.not_hint {
            if run.hints().contains(bad) {
                fail(format!("hints say {bad:?}: {:?}", run.hints()));
            }
        }
        let count = run.json["hints"].as_array().map_or(0, Vec::len);
        if case.hint_count.is_some_and(|n| n != count) {
            fail(format!(
                "expected {:?} hint(s), got {count}",
                case.hint_count
            ));
        }
        match case.warning {
            "-" if !run.warnings().is_empty() => {
                fail(format!("expected no warning, got {:?}", run.warnings()))
            }
            "-" | "" => {}
            w if !run.warnings().contains(w) => {
                fail(format!("warnings lack {w:?}: {:?}", run.warnings()))
            }
            _ => {}
        }
        let preflight = run.json["preflight"].as_bool();
        let steps = run.json["steps"].as_array().map_or(0, Vec::len);
        if preflight.is_none()
            || steps == 0
            || run.json["error"].is_null() != case.blocked.is_none()
        {
            fail("the JSON lacks preflight/steps/error".to_owned());
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
