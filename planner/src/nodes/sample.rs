//! `sample(n)` / `sample(duration)`: one point in every `n`, or one per period of time.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, unsupported};
use crate::Diagnostic;
use crate::pipeline::Value;

/// How a `sample()` node chooses points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleRate {
    /// Every `n`th point of each group, starting with the first.
    Count(i64),
    /// The first point of each group in every period of this length.
    Duration(Duration),
}

/// The resolved properties of a `sample()` node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSpec {
    /// How points are chosen.
    pub rate: SampleRate,
}

impl SampleSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        // `.n()` and `.duration()` set what the chaining method's argument gave.
        let from_arg = match props.args().first().map(|a| &a.value) {
            Some(Value::Int(n)) => Some(SampleRate::Count(*n)),
            Some(Value::Duration(d)) => Some(SampleRate::Duration(Duration::from_nanos(*d))),
            _ => None,
        };
        let n = props.int("N").map(SampleRate::Count);
        let duration = props.duration("Duration").map(SampleRate::Duration);
        let rate = duration.or(n).or(from_arg).ok_or_else(|| {
            unsupported(
                props.span(),
                "sample() without a count or duration".to_owned(),
            )
        })?;
        Ok(SampleSpec { rate })
    }
}

impl fmt::Display for SampleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rate {
            SampleRate::Count(n) => Call::new(f, "sample", &[n]).end(),
            SampleRate::Duration(d) => Call::new(f, "sample", &[d]).end(),
        }
    }
}
