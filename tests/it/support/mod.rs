//! Shared by the test modules (and, through `#[path]`, by `tests/allocations/` and the fuzz
//! targets): fixtures, a request driver, response invariants and a reference parser.

pub(crate) mod fixtures;
#[allow(dead_code, unreachable_pub)]
pub(crate) mod grpc;
pub(crate) mod harness;
pub(crate) mod invariants;
pub(crate) mod reference;
