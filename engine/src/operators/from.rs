//! `from()`: selects the points of a stream task by database, retention policy and
//! measurement, filters them with `.where()`, truncates or rounds their times and groups
//! them with `.groupBy()`.

use std::sync::Arc;

use condenser_model::WriteBatch;

use super::group_by::{Dimensions, Grouper};
use super::map_times;
use super::where_::filter_points;
use crate::go_time;
use crate::lambda::Lambda;
use crate::message::{Group, Message, Points};

/// The resolved properties of a `from()` node.
#[derive(Debug, Clone, Default)]
pub struct FromSpec {
    /// `.database()`.
    pub database: Option<String>,
    /// `.retentionPolicy()`.
    pub retention_policy: Option<String>,
    /// `.measurement()`.
    pub measurement: Option<String>,
    /// `.where()`.
    pub predicate: Option<Lambda>,
    /// `.groupBy()` / `.groupByMeasurement()`.
    pub dimensions: Dimensions,
    /// `.quiet()`: do not log the points `.where()` fails on.
    pub quiet: bool,
    /// `.truncate()`: times are rounded down to a multiple of this (nanoseconds; 0: not).
    pub truncate: i64,
    /// `.round()`: times are rounded to the nearest multiple of this (0: not).
    pub round: i64,
}

/// Selects, filters and groups incoming writes.
#[derive(Debug)]
pub struct FromOperator {
    spec: FromSpec,
    state: crate::lambda::LambdaState,
    grouper: Grouper,
}

impl FromOperator {
    /// A `from()` node with `spec`.
    pub fn new(spec: FromSpec) -> Self {
        Self {
            state: crate::lambda::LambdaState::default(),
            grouper: Grouper::new(spec.dimensions.clone()),
            spec,
        }
    }

    /// Takes one write from the task's source.
    pub fn ingest(&mut self, write: &WriteBatch, out: &mut Vec<Message>) {
        let matches =
            |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
        if !matches(&self.spec.database, &write.db)
            || !matches(&self.spec.retention_policy, &write.rp)
            || !matches(&self.spec.measurement, &write.measurement)
        {
            return;
        }
        // The predicate sees the points before they are grouped.
        let mut data = match &self.spec.predicate {
            Some(predicate) => {
                let points = Points {
                    name: Arc::clone(&write.measurement),
                    data: write.batch.clone(),
                    groups: vec![Group::none(); write.batch.num_rows()].into(),
                };
                match filter_points(predicate, points, Some(&mut self.state), self.spec.quiet) {
                    Some(points) => points.data,
                    None => return,
                }
            }
            None => write.batch.clone(),
        };
        // As Go's Time.Truncate and Time.Round: multiples counted from Go's zero time, and
        // a half rounds up.
        let (truncate, round) = (self.spec.truncate, self.spec.round);
        if truncate > 0 {
            data = map_times(&data, |t| go_time::truncate(t, truncate));
        }
        if round > 0 {
            data = map_times(&data, |t| go_time::round(t, round));
        }
        let groups = self.grouper.assign(&write.measurement, &data);
        out.push(Message::Points(Points {
            groups: groups.into(),
            data,
            name: Arc::clone(&write.measurement),
        }));
    }
}
