//! The `Origin` parser and matcher: arbitrary bytes as the `Origin` of an actual request and
//! of a preflight, against fixed policies. The decision must equal a reference matcher
//! written from the origin serialization rules, and every response invariant must hold
//! (`tests/it/support/fixtures.rs`, `check_origin`).
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::check_origin(data));
