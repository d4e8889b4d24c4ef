//! Shared by the fuzz targets: the fixtures, request driver and response invariants of
//! `tests/it/support/` (the same checks the property test applies).
#![allow(dead_code, unused_imports)]

#[path = "../../tests/it/support/fixtures.rs"]
pub mod fixtures;
#[path = "../../tests/it/support/harness.rs"]
pub mod harness;
#[path = "../../tests/it/support/invariants.rs"]
pub mod invariants;
#[path = "../../tests/it/support/reference.rs"]
pub mod reference;

pub use fixtures::*;
