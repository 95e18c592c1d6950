//! `flatten()`: a group's points of one time become one point, their fields prefixed by
//! their tag values.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, Quoted};

/// The resolved properties of a `flatten()` node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlattenSpec {
    /// `.on()`: the tags whose values prefix the fields, in order.
    pub on: Vec<String>,
    /// `.delimiter()`: between the parts of a name (default `.`).
    pub delimiter: String,
    /// `.tolerance()`: points this close in time are of one time.
    pub tolerance: Duration,
    /// `.dropOriginalFieldName()`: a field is named by the tag values alone.
    pub drop_original_field_name: bool,
    /// Whether the parent gives batches rather than points.
    pub wants_batches: bool,
}

impl FlattenSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Self {
        FlattenSpec {
            on: props.strings("On").unwrap_or_default(),
            delimiter: props.string("Delimiter").unwrap_or_else(|| ".".to_owned()),
            tolerance: props.duration("Tolerance").unwrap_or_default(),
            drop_original_field_name: props.flag("DropOriginalFieldName"),
            wants_batches: props.wants_batches(),
        }
    }
}

impl fmt::Display for FlattenSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let delimiter = Quoted(&self.delimiter);
        Call::new(f, "flatten", &[])
            .strings("on", &self.on)
            .opt(
                "delimiter",
                (self.delimiter != ".").then_some(&delimiter as &dyn fmt::Display),
            )
            .duration("tolerance", self.tolerance)
            .flag("dropOriginalFieldName", self.drop_original_field_name)
            .end()
    }
}
