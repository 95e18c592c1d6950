//! `eval(lambdas…).as(names…)`: computes new fields (or tags) from each point.

use std::fmt;

use super::{Call, NodeSpec, Properties, Relational, Resolved};
use crate::Diagnostic;

/// Which fields of the incoming point an `eval()` keeps beside its results.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Keep {
    /// Without `.keep()`: only the results.
    #[default]
    Results,
    /// `.keep()`: every field, and the results.
    All,
    /// `.keep(names…)`: only the fields and results named.
    Only(Vec<String>),
}

/// The resolved properties of an `eval()` node; its named expressions are its
/// [`Relational::Projection`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalSpec {
    /// `.tags()`: results that become tags.
    pub tags: Vec<String>,
    /// `.keep()`.
    pub keep: Keep,
}

pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Resolved, Diagnostic> {
    let lambdas = match props.last("Lambdas") {
        Some(setting) => super::lambdas_of(&setting.args)?,
        None => super::lambdas_of(props.args())?,
    };
    let names = props.strings("As").unwrap_or_default();
    // `.keep(names…)` sets Kapacitor's KeepFlag and KeepList; `.keepList()` sets the list
    // alone, which counts only once the flag is set.
    let keep_list = props.strings("KeepList");
    let keep = match props.strings("Keep") {
        None => Keep::Results,
        Some(names) => match keep_list.unwrap_or(names) {
            names if names.is_empty() => Keep::All,
            names => Keep::Only(names),
        },
    };
    let spec = EvalSpec {
        tags: props.strings("Tags").unwrap_or_default(),
        keep,
    };
    Ok(Resolved {
        relational: Some(Relational::Projection(
            names.into_iter().zip(lambdas).collect(),
        )),
        ..NodeSpec::Eval(spec).into()
    })
}

impl fmt::Display for EvalSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let call = Call::new(f, "eval", &[]).strings("tags", &self.tags);
        let call = match &self.keep {
            Keep::Results => call,
            Keep::All => call.prop("keep", &[]),
            Keep::Only(names) => call.strings("keep", names),
        };
        call.end()
    }
}
