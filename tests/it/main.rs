//! The integration tests, one module per concern, in one binary: the dependency tree is
//! linked once. Run one module with a filter, e.g. `cargo test --test it config_watch::`;
//! the browser suite is `cargo test --test it browser:: -- --include-ignored`.
//!
//! The exact allocation counts live apart, in `tests/allocations/`: their counting global
//! allocator would see every other test's allocations.

mod support;

mod axum_ordering;
mod browser;
mod claimable_origins;
mod config;
mod config_rules;
mod config_watch;
mod cors_properties;
mod doc_claims;
mod fuzz_regressions;
mod grpc_web;
mod hyper_server;
mod many_origins;
mod model_tables;
mod one_model;
mod origin_forms;
mod paths_as_served;
mod refusals;
mod regex_reach_properties;
mod report_only;
mod request_handling;
mod runtime_policies;
mod saas_example;
mod tenant_origins;
mod tenants_postgres;
mod tracing_events;
