//! `union(others…)`: the points of several parents, in arrival order.

use std::fmt;

use super::{Call, Properties, Quoted};

/// The resolved properties of a `union()` node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnionSpec {
    /// `.rename()`: the measurement of the points that come out.
    pub rename: Option<String>,
}

impl UnionSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Self {
        UnionSpec {
            rename: props.string("Rename"),
        }
    }
}

impl fmt::Display for UnionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rename = self.rename.as_deref().map(Quoted);
        Call::new(f, "union", &[])
            .opt("rename", rename.as_ref().map(|q| q as &dyn fmt::Display))
            .end()
    }
}
