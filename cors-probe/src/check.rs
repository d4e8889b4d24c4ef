//! `cors-probe check FILE.toml`.

use std::ffi::OsString;
use std::path::PathBuf;

/// Runs `cors-probe check` with `args` (the program name first); returns the exit status.
pub fn main(_args: Vec<OsString>, _cacert: Vec<PathBuf>) -> i32 {
    2
}
