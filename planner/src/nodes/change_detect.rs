//! `changeDetect(fields…)`: a point goes on only when one of the fields changed.

use std::fmt;

use super::{Call, Properties, Quoted};

/// The resolved properties of a `changeDetect()` node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeDetectSpec {
    /// The fields watched for changes (`.fields([…])` sets them again).
    pub fields: Vec<String>,
}

impl ChangeDetectSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Self {
        let fields = props
            .strings("Fields")
            .unwrap_or_else(|| super::strings_of(props.args()));
        ChangeDetectSpec { fields }
    }
}

impl fmt::Display for ChangeDetectSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted: Vec<Quoted<'_>> = self.fields.iter().map(|s| Quoted(s)).collect();
        let args: Vec<&dyn fmt::Display> = quoted.iter().map(|q| q as &dyn fmt::Display).collect();
        Call::new(f, "changeDetect", &args).end()
    }
}
