//! `sample(n)` keeps every n-th point of each group (the first, then every n-th);
//! `sample(duration)` keeps the points whose time is a multiple of the duration.

use std::collections::HashMap;

use super::{Operator, filter_rows};
use crate::go_time::truncate;
use crate::message::{Message, times};

/// How a `sample()` node picks points.
#[derive(Debug, Clone, Copy)]
pub enum SampleRate {
    /// Every n-th point of a group.
    Count(i64),
    /// Points at multiples of this many nanoseconds.
    Duration(i64),
}

/// Samples points.
#[derive(Debug)]
pub struct SampleOperator {
    rate: SampleRate,
    counts: HashMap<String, i64>,
}

impl SampleOperator {
    /// A node sampling at `rate`.
    pub fn new(rate: SampleRate) -> Self {
        Self {
            rate,
            counts: HashMap::new(),
        }
    }
}

impl Operator for SampleOperator {
    fn cardinality(&self) -> usize {
        self.counts.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        if let Message::DeleteGroup(group) = &message {
            self.counts.remove(&group.id);
        }
        let rate = self.rate;
        let counts = &mut self.counts;
        out.extend(filter_rows(message, |group, data, row| {
            let count = counts.entry(group.id.clone()).or_insert(0);
            let keep = match rate {
                SampleRate::Count(n) => n > 0 && *count % n == 0,
                SampleRate::Duration(d) => {
                    let t = times(data)[row];
                    truncate(t, d) == t
                }
            };
            *count += 1;
            keep
        }));
    }
}
