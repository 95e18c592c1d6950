//! `stateCount(lambda)`: how many consecutive points of a group the lambda held for.

use std::fmt;

use super::{Call, Lambda, Properties, Quoted};
use crate::Diagnostic;

/// The resolved properties of a `stateCount()` node.
#[derive(Debug, Clone, PartialEq)]
pub struct StateCountSpec {
    /// The state's condition (`.lambda()` sets it again).
    pub predicate: Lambda,
    /// `.as()`: the output field (default `state_count`).
    pub as_name: String,
}

impl StateCountSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let predicate = match props.lambda("Lambda")? {
            Some(lambda) => lambda,
            None => super::lambda_of(&props.args()[0])?,
        };
        Ok(StateCountSpec {
            predicate,
            as_name: props
                .string("As")
                .unwrap_or_else(|| "state_count".to_owned()),
        })
    }
}

impl fmt::Display for StateCountSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "stateCount", &[&self.predicate])
            .prop("as", &[&Quoted(&self.as_name)])
            .end()
    }
}
