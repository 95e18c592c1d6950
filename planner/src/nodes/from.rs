//! `from()`: which points of the stream a branch takes, how their times are cut and how they
//! are grouped.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Dimensions, NodeSpec, Properties, Quoted, Relational, Resolved};
use crate::Diagnostic;

/// The resolved properties of a `from()` node. Its `.where()` lambdas, ANDed in order as
/// Kapacitor does, are its [`Relational::Filter`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FromSpec {
    /// `.database()`: only points written to this database.
    pub database: Option<String>,
    /// `.retentionPolicy()`: only points written to this retention policy.
    pub retention_policy: Option<String>,
    /// `.measurement()`: only points of this measurement.
    pub measurement: Option<String>,
    /// `.groupBy()` and `.groupByMeasurement()`.
    pub dimensions: Dimensions,
    /// `.truncate()`: times are cut down to a multiple of this (zero: not).
    pub truncate: Duration,
    /// `.round()`: times are rounded to the nearest multiple of this (zero: not).
    pub round: Duration,
}

pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Resolved, Diagnostic> {
    let mut dimensions = props
        .last("GroupBy")
        .map(|s| Dimensions::of(&s.args))
        .unwrap_or_default();
    dimensions.by_measurement = props.flag("GroupByMeasurement");
    let spec = FromSpec {
        database: props.string("Database"),
        retention_policy: props.string("RetentionPolicy"),
        measurement: props.string("Measurement"),
        dimensions,
        truncate: props.duration("Truncate").unwrap_or_default(),
        round: props.duration("Round").unwrap_or_default(),
    };
    // Each `.where()` is ANDed to the ones before.
    let mut filter: Option<super::Lambda> = None;
    for setting in props.all("Where") {
        let lambda = super::lambda_of(&setting.args[0])?;
        filter = Some(match filter {
            None => lambda,
            Some(before) => super::Lambda {
                expr: before.expr.and(lambda.expr),
                text: format!("({}) AND ({})", before.text, lambda.text),
            },
        });
    }
    Ok(Resolved {
        relational: filter.map(Relational::Filter),
        ..NodeSpec::From(spec).into()
    })
}

impl fmt::Display for FromSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (database, rp, measurement) = (
            self.database.as_deref().map(Quoted),
            self.retention_policy.as_deref().map(Quoted),
            self.measurement.as_deref().map(Quoted),
        );
        let call = Call::new(f, "from", &[])
            .opt(
                "database",
                database.as_ref().map(|q| q as &dyn fmt::Display),
            )
            .opt(
                "retentionPolicy",
                rp.as_ref().map(|q| q as &dyn fmt::Display),
            )
            .opt(
                "measurement",
                measurement.as_ref().map(|q| q as &dyn fmt::Display),
            );
        self.dimensions
            .write(call, "groupBy")
            .flag("groupByMeasurement", self.dimensions.by_measurement)
            .duration("truncate", self.truncate)
            .duration("round", self.round)
            .end()
    }
}
