//! `stats(interval)`: every interval of the wall clock, how many points (or batches) the
//! node it was called on has emitted, per group.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, duration_of};
use crate::Diagnostic;

/// The resolved properties of a `stats()` node. The node it reports on is its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsSpec {
    /// How often it emits (`.interval()` sets it again).
    pub interval: Duration,
    /// `.align()`: emits on multiples of the interval, with rounded times.
    pub align: bool,
}

impl StatsSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let interval = props
            .duration("Interval")
            .or_else(|| props.args().first().and_then(duration_of))
            .unwrap_or_default();
        if !interval.is_positive() {
            return Err(Diagnostic::error(
                props.span(),
                "stats node must have positive interval",
            ));
        }
        Ok(StatsSpec {
            interval,
            align: props.flag("Align"),
        })
    }
}

impl fmt::Display for StatsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "stats", &[&self.interval])
            .flag("align", self.align)
            .end()
    }
}
