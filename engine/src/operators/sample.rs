//! `sample(n)` keeps every n-th point of each group (the first, then every n-th);
//! `sample(duration)` keeps the points whose time is a multiple of the duration.

use std::collections::HashMap;
use std::fmt;

use condenser_planner::nodes::{SampleRate, SampleSpec};

use super::{Context, Operator};
use crate::error::Result;
use crate::go_time::truncate;
use crate::message::{Data, Group, Message};
use crate::points::{filter_with_state, times};

/// Samples points.
#[derive(Debug)]
pub struct SampleOperator {
    spec: SampleSpec,
    counts: HashMap<String, i64>,
}

impl SampleOperator {
    /// A node with `spec`.
    pub fn new(spec: &SampleSpec) -> Self {
        Self {
            spec: *spec,
            counts: HashMap::new(),
        }
    }
}

impl fmt::Display for SampleOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sample: {}", self.spec)
    }
}

impl Operator for SampleOperator {
    fn cardinality(&self) -> usize {
        self.counts.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let rate = self.spec.rate;
        let keep = |count: &mut i64, t: i64| {
            let keep = match rate {
                SampleRate::Count(n) => n > 0 && *count % n == 0,
                SampleRate::Duration(d) => truncate(t, d.nanos()) == t,
            };
            *count += 1;
            keep
        };
        // Points count per group; a batch is sampled from its first point.
        filter_with_state(
            data,
            &mut self.counts,
            |count, data, row| Ok(keep(count, times(data)?[row])),
            out,
        )
    }

    fn forget_group(&mut self, group: &Group) {
        self.counts.remove(&group.id);
    }
}
