//! `stateDuration(lambda)`: for how long (in `.unit()`s) the lambda has been true for a
//! group's points, added as a float field; -1 when it is false. The state is tracked as
//! `stateCount()` tracks it.

use std::fmt;

use condenser_planner::nodes::StateDurationSpec;

use super::state_count::{StateMeasure, StateTracker};
use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Data, Group, Message};

/// Measures the time a state lasts.
#[derive(Debug)]
pub struct StateDurationOperator {
    spec: StateDurationSpec,
    tracker: StateTracker,
}

impl StateDurationOperator {
    /// A `stateDuration()` node with `spec`.
    pub fn new(spec: &StateDurationSpec) -> Self {
        Self {
            tracker: StateTracker::new(
                &spec.predicate,
                &spec.as_name,
                StateMeasure::Duration(spec.unit.nanos()),
            ),
            spec: spec.clone(),
        }
    }
}

impl fmt::Display for StateDurationOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateDuration: {}", self.spec)
    }
}

impl Operator for StateDurationOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        self.tracker.process(data, ctx, out)
    }

    fn forget_group(&mut self, group: &Group) {
        self.tracker.forget_group(group);
    }

    fn cardinality(&self) -> usize {
        self.tracker.cardinality()
    }
}
