//! `trickle()`: each point of each batch goes on as a point of the stream.

use std::fmt;

use super::{Call, Properties};

/// A `trickle()` node: it has no properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrickleSpec;

impl TrickleSpec {
    pub(super) fn resolve(_props: &mut Properties<'_>) -> Self {
        TrickleSpec
    }
}

impl fmt::Display for TrickleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "trickle", &[]).end()
    }
}
