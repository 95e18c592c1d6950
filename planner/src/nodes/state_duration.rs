//! `stateDuration(lambda)`: for how long the lambda has held for a group's points.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Lambda, Properties, Quoted};
use crate::Diagnostic;

/// The resolved properties of a `stateDuration()` node.
#[derive(Debug, Clone, PartialEq)]
pub struct StateDurationSpec {
    /// The state's condition (`.lambda()` sets it again).
    pub predicate: Lambda,
    /// `.as()`: the output field (default `state_duration`).
    pub as_name: String,
    /// `.unit()`: the duration is counted in these (default one second).
    pub unit: Duration,
}

impl StateDurationSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let predicate = match props.lambda("Lambda")? {
            Some(lambda) => lambda,
            None => super::lambda_of(&props.args()[0])?,
        };
        Ok(StateDurationSpec {
            predicate,
            as_name: props
                .string("As")
                .unwrap_or_else(|| "state_duration".to_owned()),
            unit: props
                .duration("Unit")
                .filter(|u| !u.is_zero())
                .unwrap_or(Duration::SECOND),
        })
    }
}

impl fmt::Display for StateDurationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "stateDuration", &[&self.predicate])
            .prop("as", &[&Quoted(&self.as_name)])
            .prop("unit", &[&self.unit])
            .end()
    }
}
