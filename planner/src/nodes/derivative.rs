//! `derivative(field)`: the rate of change of a field between consecutive points.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, Quoted, string_of};
use crate::Diagnostic;

/// The resolved properties of a `derivative()` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivativeSpec {
    /// The field it reads (`.field()` sets it again).
    pub field: String,
    /// `.as()`: the output field (default: the field's name).
    pub as_name: String,
    /// `.unit()`: the time the rate is per (default one second).
    pub unit: Duration,
    /// `.nonNegative()`: negative rates are dropped.
    pub non_negative: bool,
}

impl DerivativeSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let field = props
            .string("Field")
            .or_else(|| props.args().first().and_then(string_of).map(str::to_owned))
            .unwrap_or_default();
        Ok(DerivativeSpec {
            as_name: props.string("As").unwrap_or_else(|| field.clone()),
            unit: props
                .duration("Unit")
                .filter(|u| !u.is_zero())
                .unwrap_or(Duration::SECOND),
            non_negative: props.flag("NonNegative"),
            field,
        })
    }
}

impl fmt::Display for DerivativeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let as_name = Quoted(&self.as_name);
        Call::new(f, "derivative", &[&Quoted(&self.field)])
            .opt(
                "as",
                (self.as_name != self.field).then_some(&as_name as &dyn fmt::Display),
            )
            .duration(
                "unit",
                if self.unit == Duration::SECOND {
                    Duration::ZERO
                } else {
                    self.unit
                },
            )
            .flag("nonNegative", self.non_negative)
            .end()
    }
}
