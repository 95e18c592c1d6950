//! `stats(interval)`: every interval of the wall clock, one point per group that the node
//! it was called on has emitted, with the count as the integer field `emitted` (one point
//! with 0 before any). With `.align()` it emits on multiples of the interval, with rounded
//! times. It takes none of its parent's data.

use std::fmt;
use std::sync::Arc;

use arrow::array::Int64Array;
use condenser_model::FieldType;
use condenser_model::schema::field_field;
use condenser_planner::nodes::StatsSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Data, Group, Message, Points};
use crate::points::{batch_of, time_and_group_tags};
use crate::statistics::EmittedByGroup;

/// Reports a node's emitted counts on the wall clock.
#[derive(Debug)]
pub struct StatsOperator {
    spec: StatsSpec,
    /// What the watched node emitted, by group.
    emitted: EmittedByGroup,
    /// When it emits next (wall clock); set by the first tick.
    due: Option<i64>,
}

impl StatsOperator {
    /// A node with `spec` reporting the counts of `emitted`.
    pub fn new(spec: &StatsSpec, emitted: EmittedByGroup) -> Self {
        Self {
            spec: *spec,
            emitted,
            due: None,
        }
    }
}

impl fmt::Display for StatsOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stats: {}", self.spec)
    }
}

impl Operator for StatsOperator {
    /// The watched node's data is not this node's input.
    fn process(
        &mut self,
        _input: usize,
        _data: Data,
        _ctx: &mut Context<'_>,
        _out: &mut Vec<Message>,
    ) -> Result<()> {
        Ok(())
    }

    /// Signals of the watched node do not pass through either.
    fn barrier(
        &mut self,
        _input: usize,
        _barrier: crate::message::Barrier,
        _ctx: &mut Context<'_>,
        _out: &mut Vec<Message>,
    ) -> Result<()> {
        Ok(())
    }

    fn delete_group(
        &mut self,
        _input: usize,
        _group: Arc<Group>,
        _ctx: &mut Context<'_>,
        _out: &mut Vec<Message>,
    ) -> Result<()> {
        Ok(())
    }

    fn ticks(&self) -> bool {
        true
    }

    fn ends_with_input(&self) -> bool {
        false
    }

    fn tick(&mut self, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let now = ctx.now();
        let interval = self.spec.interval.nanos();
        let due = *self.due.get_or_insert_with(|| {
            // The first tick starts the schedule.
            let start = if self.spec.align {
                crate::go_time::truncate(now, interval)
            } else {
                now
            };
            start + interval
        });
        if now < due {
            return Ok(());
        }
        let mut next = due + interval;
        if next <= now {
            next = now + interval;
        }
        self.due = Some(next);
        let time = if self.spec.align {
            crate::go_time::round(now, interval)
        } else {
            now
        };
        let counts: Vec<(Arc<Group>, u64)> = {
            let by_group = self
                .emitted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if by_group.is_empty() {
                vec![(Group::none(), 0)]
            } else {
                by_group.iter().map(|(g, n)| (Arc::clone(g), *n)).collect()
            }
        };
        for (group, emitted) in counts {
            let (mut fields, mut columns) = time_and_group_tags(vec![time], &group)?;
            fields.push(field_field("emitted", FieldType::Integer));
            columns.push(Arc::new(Int64Array::from(vec![
                i64::try_from(emitted).unwrap_or(i64::MAX),
            ])));
            out.push(Message::Points(Points {
                name: "stats".into(),
                data: batch_of(fields, columns)?,
                groups: vec![group].into(),
            }));
        }
        Ok(())
    }
}
