//! `barrier()`: tells the nodes below that a group's data has reached a time, on the wall
//! clock: after a group was idle, or every period.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties};
use crate::Diagnostic;

/// The resolved properties of a `barrier()` node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BarrierSpec {
    /// `.idle()`: a group's barrier comes after this long without its data (zero: never).
    pub idle: Duration,
    /// `.period()`: every group's barrier comes every this long (zero: never).
    pub period: Duration,
    /// `.delete()`: each barrier is followed by a delete of the group.
    pub delete: bool,
}

impl BarrierSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        Ok(BarrierSpec {
            idle: props.duration("Idle").unwrap_or_default(),
            period: props.duration("Period").unwrap_or_default(),
            delete: props.flag("Delete"),
        })
    }
}

impl fmt::Display for BarrierSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "barrier", &[])
            .duration("idle", self.idle)
            .duration("period", self.period)
            .opt(
                "delete",
                self.delete.then_some(&"TRUE" as &dyn fmt::Display),
            )
            .end()
    }
}
