//! `combine(lambdas…)`: every combination of a group's points of one time that the lambdas
//! match, as one point.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Lambda, Properties, Quoted};
use crate::Diagnostic;

/// The resolved properties of a `combine()` node.
#[derive(Debug, Clone, PartialEq)]
pub struct CombineSpec {
    /// One lambda per member of a combination (`.lambdas()` sets them again).
    pub expressions: Vec<Lambda>,
    /// `.as()`: each member's prefix for its fields.
    pub names: Vec<String>,
    /// `.delimiter()`: between a prefix and a field name (default `.`).
    pub delimiter: String,
    /// `.tolerance()`: points this close in time are of one time (times are rounded to it).
    pub tolerance: Duration,
    /// `.max()`: the most combinations emitted for one time (default 10,000).
    pub max: i64,
}

impl CombineSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let expressions = match props.last("Lambdas") {
            Some(setting) => super::lambdas_of(&setting.args)?,
            None => super::lambdas_of(props.args())?,
        };
        Ok(CombineSpec {
            expressions,
            names: props.strings("As").unwrap_or_default(),
            delimiter: props.string("Delimiter").unwrap_or_else(|| ".".to_owned()),
            tolerance: props.duration("Tolerance").unwrap_or_default(),
            max: props.int("Max").unwrap_or(10_000),
        })
    }
}

impl fmt::Display for CombineSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<&dyn fmt::Display> = self
            .expressions
            .iter()
            .map(|l| l as &dyn fmt::Display)
            .collect();
        let delimiter = Quoted(&self.delimiter);
        let max = (self.max != 10_000).then_some(self.max);
        Call::new(f, "combine", &args)
            .strings("as", &self.names)
            .opt(
                "delimiter",
                (self.delimiter != ".").then_some(&delimiter as &dyn fmt::Display),
            )
            .duration("tolerance", self.tolerance)
            .opt("max", max.as_ref().map(|m| m as &dyn fmt::Display))
            .end()
    }
}
