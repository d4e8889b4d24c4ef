//! The `Access-Control-Request-Headers` parser: arbitrary bytes, split on `\n` into header
//! lines, in a preflight from an allowed origin. The decision must equal a reference built
//! from the `#` list rule and the 4096-byte cap, and every response invariant must hold
//! (`tests/it/support/fixtures.rs`, `check_request_headers`).
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::check_request_headers(data));
