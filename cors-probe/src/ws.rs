//! WebSocket handshakes.

use crate::{Probe, Report, Wire};

pub(crate) async fn run(_probe: &Probe, _wire: &Wire, _report: &mut Report) {}
