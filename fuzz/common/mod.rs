//! Shared by the fuzz targets: the fixtures, request driver and response invariants of
//! `tests/support/` (the same checks the property test applies).
#![allow(dead_code, unused_imports)]

#[path = "../../tests/support/fixtures.rs"]
pub mod fixtures;
#[path = "../../tests/support/harness.rs"]
pub mod harness;
#[path = "../../tests/support/invariants.rs"]
pub mod invariants;
#[path = "../../tests/support/reference.rs"]
pub mod reference;

pub use fixtures::*;
