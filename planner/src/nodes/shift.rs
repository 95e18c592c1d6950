//! `shift(duration)`: moves every point's time.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, duration_of};
use crate::Diagnostic;

/// The resolved properties of a `shift()` node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShiftSpec {
    /// How far times move (negative: back).
    pub shift: Duration,
}

impl ShiftSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let shift = match props.duration("Shift") {
            Some(shift) => shift,
            None => props
                .args()
                .first()
                .and_then(duration_of)
                .unwrap_or_default(),
        };
        if shift.is_zero() {
            return Err(Diagnostic::error(
                props.span(),
                "invalid shift value: must be non zero duration",
            ));
        }
        Ok(ShiftSpec { shift })
    }
}

impl fmt::Display for ShiftSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "shift", &[&self.shift]).end()
    }
}
