//! `where(lambda)`: the points for which the lambda is true go on.

use std::fmt;

use super::{Call, NodeSpec, Properties, Relational, Resolved};
use crate::Diagnostic;

/// A `where()` node: it has no properties beyond its lambda, which is its
/// [`Relational::Filter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WhereSpec;

pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Resolved, Diagnostic> {
    // `.lambda()` sets the expression again (the property behind the chaining method's
    // argument).
    let predicate = match props.lambda("Lambda")? {
        Some(lambda) => lambda,
        None => super::lambda_of(&props.args()[0])?,
    };
    Ok(Resolved {
        relational: Some(Relational::Filter(predicate)),
        ..NodeSpec::Where(WhereSpec).into()
    })
}

impl fmt::Display for WhereSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Call::new(f, "where", &[]).end()
    }
}
