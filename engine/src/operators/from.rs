//! `from()`: takes the writes of the stream that its database, retention policy and
//! measurement select, filters them with `.where()`, truncates or rounds their times and
//! groups them with `.groupBy()`.

use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use condenser_model::WriteBatch;
use condenser_planner::nodes::{FromSpec, Lambda as PlanLambda};

use super::group_by::Grouper;
use super::{Context, Operator};
use crate::error::Result;
use crate::expr::Lambda;
use crate::go_time;
use crate::message::{Data, Group, Message, Points};
use crate::points::{keep_rows, map_times};

/// The writes a `from()` node takes: of its database, retention policy and measurement,
/// each when it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromSelection {
    /// The database, or every one.
    pub database: Option<String>,
    /// The retention policy, or every one.
    pub retention_policy: Option<String>,
    /// The measurement, or every one.
    pub measurement: Option<String>,
}

impl FromSelection {
    /// Whether points written to `db`, `rp` and `measurement` are selected.
    pub fn selects(&self, db: &str, rp: &str, measurement: &str) -> bool {
        let matches =
            |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
        matches(&self.database, db)
            && matches(&self.retention_policy, rp)
            && matches(&self.measurement, measurement)
    }
}

/// Selects, filters and groups incoming writes; the entry of a task's branch.
#[derive(Debug)]
pub struct FromOperator {
    spec: FromSpec,
    predicate: Option<Lambda>,
    grouper: Grouper,
}

impl FromOperator {
    /// A `from()` node with `spec` and its `.where()` predicate (the plan's Filter).
    pub fn new(spec: &FromSpec, predicate: Option<&PlanLambda>) -> Self {
        Self {
            predicate: predicate.map(Lambda::new),
            grouper: Grouper::new(spec.dimensions.clone()),
            spec: spec.clone(),
        }
    }

    /// Whether the node takes points written to `db`, `rp` and `measurement`.
    pub fn selects(&self, db: &str, rp: &str, measurement: &str) -> bool {
        self.selection().selects(db, rp, measurement)
    }

    /// What the node selects, apart from the node.
    pub fn selection(&self) -> FromSelection {
        FromSelection {
            database: self.spec.database.clone(),
            retention_policy: self.spec.retention_policy.clone(),
            measurement: self.spec.measurement.clone(),
        }
    }

    /// Takes one write from the task's source.
    pub fn ingest(
        &mut self,
        write: &WriteBatch,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        if !self.selects(&write.db, &write.rp, &write.measurement) {
            return Ok(());
        }
        self.select(
            Arc::clone(&write.measurement),
            write.batch.clone(),
            None,
            ctx,
            out,
        )
    }

    /// Filters, cuts the times of and groups points it selected: `data`, points of
    /// measurement `name`, in `groups` (none: ungrouped, as a write's points are).
    fn select(
        &mut self,
        name: Arc<str>,
        mut data: RecordBatch,
        groups: Option<Arc<[Arc<Group>]>>,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        // The predicate sees the points before they are grouped.
        if let Some(predicate) = &mut self.predicate {
            let rows = data.num_rows();
            let ungrouped = Group::none();
            let (mask, failed) = predicate.mask(&data, || match &groups {
                Some(groups) => groups.iter().collect(),
                None => vec![&ungrouped; rows],
            })?;
            ctx.fail_points(
                failed,
                &format_args!("{predicate} failed (a missing field or mismatched types)"),
            );
            if mask.true_count() == 0 {
                return Ok(());
            }
            if mask.true_count() < rows {
                data = keep_rows(&data, &mask)?;
            }
        }
        // As Go's Time.Truncate and Time.Round: multiples counted from Go's zero time, and
        // a half rounds up.
        let (truncate, round) = (self.spec.truncate.nanos(), self.spec.round.nanos());
        if truncate > 0 {
            data = map_times(&data, |t| go_time::truncate(t, truncate))?;
        }
        if round > 0 {
            data = map_times(&data, |t| go_time::round(t, round))?;
        }
        let groups = self.grouper.assign(&name, &data)?;
        out.push(Message::Points(Points { groups, data, name }));
        Ok(())
    }
}

/// A `from()` chained on another `from()` takes its parent's points: it selects them by
/// measurement (a database and retention policy are the write's, which the points no longer
/// carry, so they select nothing here).
impl Operator for FromOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                if self
                    .spec
                    .measurement
                    .as_deref()
                    .is_none_or(|m| m == &*points.name)
                {
                    self.select(points.name, points.data, Some(points.groups), ctx, out)?;
                }
            }
            other => out.push(other.into()),
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        if let Some(predicate) = &mut self.predicate {
            predicate.forget_group(&group.id);
        }
        self.grouper.forget(&group.id);
    }

    fn assigns_groups(&self) -> bool {
        true
    }
}

impl fmt::Display for FromOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "From: {}", self.spec)
    }
}
