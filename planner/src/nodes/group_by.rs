//! `groupBy(tags…)` (and `from().groupBy()`): which tags (and whether the measurement) make
//! a point's group.

use std::fmt;

use super::{Call, Properties, Quoted};
use crate::Diagnostic;
use crate::pipeline::{Arg, Value};

/// What points are grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dimensions {
    /// The tag names (empty with `star`).
    pub tags: Vec<String>,
    /// `*`: every tag of the point.
    pub star: bool,
    /// `.exclude()`: tags left out of `*`.
    pub exclude: Vec<String>,
    /// `.byMeasurement()` / `.groupByMeasurement()`: the measurement is part of the group.
    pub by_measurement: bool,
}

impl Dimensions {
    /// The dimensions the arguments of `groupBy(…)` name.
    pub(super) fn of(args: &[Arg]) -> Dimensions {
        Dimensions {
            star: args.iter().any(|a| a.value == Value::Star),
            tags: super::strings_of(args),
            ..Dimensions::default()
        }
    }

    /// Writes `.name(tags…)` (or `*`) and `.exclude()` onto a call.
    pub(super) fn write<'f, 'a>(&self, call: Call<'f, 'a>, name: &str) -> Call<'f, 'a> {
        let quoted: Vec<Quoted<'_>> = self.tags.iter().map(|t| Quoted(t)).collect();
        let mut args: Vec<&dyn fmt::Display> =
            quoted.iter().map(|q| q as &dyn fmt::Display).collect();
        if self.star {
            args.insert(0, &"*");
        }
        let call = if args.is_empty() {
            call
        } else {
            call.prop(name, &args)
        };
        call.strings("exclude", &self.exclude)
    }
}

/// The resolved properties of a `groupBy()` node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupBySpec {
    /// The grouping.
    pub dimensions: Dimensions,
}

impl GroupBySpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        // `.dimensions([…])` sets the list the chaining method's arguments gave.
        let mut dimensions = match props.last("Dimensions") {
            Some(setting) => Dimensions::of(&setting.args),
            None => Dimensions::of(props.args()),
        };
        dimensions.exclude = props.appended_strings("Exclude");
        dimensions.by_measurement = props.flag("ByMeasurement");
        Ok(GroupBySpec { dimensions })
    }
}

impl fmt::Display for GroupBySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Dimensions { star, tags, .. } = &self.dimensions;
        let quoted: Vec<Quoted<'_>> = tags.iter().map(|t| Quoted(t)).collect();
        let mut args: Vec<&dyn fmt::Display> =
            quoted.iter().map(|q| q as &dyn fmt::Display).collect();
        if *star {
            args.insert(0, &"*");
        }
        Call::new(f, "groupBy", &args)
            .strings("exclude", &self.dimensions.exclude)
            .flag("byMeasurement", self.dimensions.by_measurement)
            .end()
    }
}
