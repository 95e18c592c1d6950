//! `httpOut(name)`: keeps each group's latest data, served as JSON under the task.

use std::fmt;

use super::{Call, Properties, Quoted, string_of};
use crate::Diagnostic;

/// The resolved properties of an `httpOut()` node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpOutSpec {
    /// The name it is served under (`.endpoint()` sets it again).
    pub name: String,
}

impl HttpOutSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let name = props
            .string("Endpoint")
            .or_else(|| props.args().first().and_then(string_of).map(str::to_owned))
            .unwrap_or_default();
        Ok(HttpOutSpec { name })
    }
}

impl fmt::Display for HttpOutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "httpOut", &[&Quoted(&self.name)]).end()
    }
}
