//! CORS middleware for [`tower`](https://docs.rs/tower) services — axum,
//! hyper, tonic — that validates its policy at build time and answers every
//! request the way browsers expect.
//!
//! - [`PolicyBuilder`] checks the whole configuration in
//!   [`build`](PolicyBuilder::build) and reports **every** problem at once:
//!   origins not in the form browsers send, patterns over public suffixes,
//!   `*` with credentials, `null` with credentials, invalid tokens.
//! - [`CorsLayer`] answers preflights itself (so it works in front of
//!   authentication), decorates **every** response of an allowed origin
//!   (errors included), merges `Vary`, owns the `Access-Control-*` headers
//!   so they are never duplicated, and never gives a refused origin any of
//!   them.
//! - [`CorsPolicy::evaluate`] tells, without side effects, what will be
//!   answered to a request and why.
//! - A layer holds a path table; a single policy is a table with only a
//!   fallback, so everything that takes a policy takes either:
//!   [`CorsLayer::new`], `CorsLayer::reloadable` and `PolicyHandle::replace`
//!   (feature `reload`: the whole table swapped atomically, read without a
//!   lock) and [`CorsLayer::report_only`]. Origins can be decided in code
//!   ([`PolicyBuilder::allow_origin_fn`] over a parsed [`Origin`]) and
//!   WebSocket handshakes guarded ([`PolicyBuilder::guard_websockets`]).
//!
//! ```
//! use std::time::Duration;
//! use axum::{routing::post, Router};
//! use http::Method;
//! use tower_cors::{CorsLayer, CorsPolicy};
//!
//! let policy = CorsPolicy::builder()
//!     .allow_origin("https://app.example.com")
//!     .allow_origin_pattern("https://*.example.com")
//!     .allow_methods([Method::GET, Method::POST, Method::PUT])
//!     .allow_headers(["content-type", "authorization"])
//!     .allow_credentials(true)
//!     .max_age(Duration::from_secs(600))
//!     .build()?;
//!
//! let app: Router = Router::new()
//!     .route("/api/users", post(|| async { "created" }))
//!     // .route_layer(auth) — authentication goes inside CORS
//!     .layer(CorsLayer::new(policy));
//! # Ok::<(), tower_cors::PolicyError>(())
//! ```
//!
//! - [`CorsConfig`] is the uncompiled policy as plain data, read from
//!   environment variables ([`CorsConfig::from_env`]) or a configuration file
//!   (feature `serde`, with per-path tables compiled by
//!   [`CorsConfig::build_paths`]); [`PolicyBuilder::from`] adds code on top.
//!   One compiler checks every front end, and each [`Issue`] names its place
//!   in the front end's own terms.
//!
//! See [`docs::ordering`] for where the layer goes,
//! [`docs::production_checklist`] before going live, the `examples/`
//! directory of the repository for runnable servers (`axum_basic`,
//! `axum_with_auth`, `from_env`, `saas`, `tenant_origins`), the `demo`
//! workspace member for a page that runs the browser scenarios, and the
//! [Fetch standard](https://fetch.spec.whatwg.org/#http-cors-protocol) for
//! the protocol.
//!
//! # Features
//!
//! None is on by default; the default build depends only on `http`,
//! `http-body`, `bytes`, `tower-layer`, `tower-service` and
//! `pin-project-lite`, and compiles no procedural macro. The Public Suffix
//! List is embedded data the crate reads itself.
//!
//! - `reload`: `CorsLayer::reloadable` and `PolicyHandle`, a policy replaced
//!   while serving and read without a lock (the `arc-swap` crate, which
//!   brings the `rustversion` procedural macro).
//! - `regex`: `allow_origin_regex` on [`PolicyBuilder`], anchored regular
//!   expressions over the whole origin (the `regex-automata` and
//!   `regex-syntax` crates).
//! - `tracing`: a `debug` event (target `tower_cors`) for every refused
//!   request, with the request's values escaped (the `tracing` crate).
//! - `serde`: `Serialize` and `Deserialize` for [`CorsConfig`], unknown
//!   fields refused (the `serde` crate).
//! - `watch` (with `reload` and `serde`): `ConfigWatcher`, a policy that
//!   follows a configuration file (Kubernetes ConfigMap swaps included) on
//!   a std thread, keeping the last good policy when the file breaks; no
//!   further dependency. See [`docs::fleet`].
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod body;
mod error;
mod escape;
mod future;
mod headers;
mod layer;
mod list;
mod matcher;
mod origin;
mod policy;
mod psl;
mod punycode;
mod refusal;
mod service;
#[cfg(feature = "watch")]
mod watch;

pub use body::CorsBody;
pub use error::{Issue, IssueKind, PolicyError, Setting};
pub use future::ResponseFuture;
pub use layer::CorsLayer;
pub use origin::Origin;
#[cfg(feature = "reload")]
pub use policy::PolicyHandle;
pub use policy::{
    CorsConfig, CorsPolicy, Decision, PathPolicies, PathPoliciesBuilder, PolicyBuilder,
};
pub use refusal::{Refusal, RefusalReport, Refused, ReportOnly};
pub use service::CorsService;
#[cfg(feature = "watch")]
pub use watch::{ConfigEvent, ConfigFileError, ConfigWatcher, ConfigWatcherBuilder};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Long-form guides: the `docs/` directory of the repository. Their Rust
/// examples run as doc tests.
pub mod docs {
    #[doc = include_str!("../docs/policy-rules.md")]
    pub mod policy_rules {}

    #[doc = include_str!("../docs/dynamic-policies.md")]
    pub mod dynamic_policies {}

    #[doc = include_str!("../docs/ordering.md")]
    pub mod ordering {}

    #[doc = include_str!("../docs/credentials.md")]
    pub mod credentials {}

    #[doc = include_str!("../docs/migrating-from-tower-http.md")]
    pub mod migrating_from_tower_http {}

    #[doc = include_str!("../docs/production-checklist.md")]
    pub mod production_checklist {}

    #[doc = include_str!("../docs/fleet.md")]
    pub mod fleet {}

    #[doc = include_str!("../docs/scale.md")]
    pub mod scale {}

    #[doc = include_str!("../docs/private-network.md")]
    pub mod private_network {}

    #[doc = include_str!("../docs/performance.md")]
    pub mod performance {}

    #[doc = include_str!("../docs/testing.md")]
    pub mod testing {}

    #[doc = include_str!("../docs/comparison.md")]
    pub mod comparison {}
}
