//! `union(nodes…)`: the messages of all its parents, in time order, renamed with
//! `.rename()` when given.
//!
//! As Kapacitor's union does, each parent's messages wait in a queue until every parent has
//! given one; then everything at or before the lowest of the parents' latest times goes on,
//! parent by parent. Kapacitor numbers the parents given as arguments first and the node the
//! union is chained on last; equal times go out in that order. At the end of the input the
//! queues are drained; a delete of a group goes on at once.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use condenser_planner::nodes::UnionSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Barrier, Batch, Data, Group, Message, Points};
use crate::points::times;

/// Merges parents.
#[derive(Debug)]
pub struct UnionOperator {
    spec: UnionSpec,
    rename: Option<Arc<str>>,
    /// Each parent's waiting messages with their times, in Kapacitor's order of parents.
    sources: Vec<VecDeque<(i64, Message)>>,
    /// Each parent's latest time seen.
    low_marks: Vec<Option<i64>>,
}

impl UnionOperator {
    /// A node with `spec` over `parents` parents.
    pub fn new(spec: &UnionSpec, parents: usize) -> Self {
        Self {
            rename: spec
                .rename
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(Arc::from),
            spec: spec.clone(),
            sources: vec![VecDeque::new(); parents.max(1)],
            low_marks: vec![None; parents.max(1)],
        }
    }

    /// Kapacitor's index of parent `input` (ours: the chained node first, then the
    /// arguments; Kapacitor's: the arguments, then the chained node).
    fn source(&self, input: usize) -> usize {
        let count = self.sources.len();
        if input == 0 {
            count - 1
        } else {
            (input - 1).min(count - 1)
        }
    }

    /// The group of a message renamed: a group by measurement becomes the group of the new
    /// name (Kapacitor recomputes the group from the renamed point).
    fn regroup(&self, group: &Arc<Group>) -> Arc<Group> {
        match (&self.rename, &group.name) {
            (Some(name), Some(_)) => {
                Arc::new(Group::new(group.tags.clone(), Some(name.to_string())))
            }
            _ => Arc::clone(group),
        }
    }

    fn enqueue(&mut self, input: usize, data: Data) -> Result<()> {
        let source = self.source(input);
        let name = self.rename.clone();
        match data {
            Data::Points(points) => {
                let point_times = times(&points.data)?.to_vec();
                for (row, t) in point_times.into_iter().enumerate() {
                    let message = Message::Points(Points {
                        name: name.clone().unwrap_or_else(|| Arc::clone(&points.name)),
                        data: points.data.slice(row, 1),
                        groups: vec![self.regroup(&points.groups[row])].into(),
                    });
                    self.sources[source].push_back((t, message));
                }
            }
            Data::Batch(batch) => self.enqueue_batch(source, batch),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.enqueue_batch(source, batch);
                }
            }
        }
        Ok(())
    }

    fn enqueue_batch(&mut self, source: usize, batch: Batch) {
        let batch = Batch {
            name: self.rename.clone().unwrap_or(batch.name),
            group: self.regroup(&batch.group),
            ..batch
        };
        self.sources[source].push_back((batch.tmax, Message::Batch(batch)));
    }

    /// Emits every waiting message at or before the parents' low mark, parent by parent,
    /// until nothing more can go; `drain` emits everything.
    fn emit_ready(&mut self, drain: bool, out: &mut Vec<Message>) {
        loop {
            let mut mark: Option<i64> = None;
            let mut valid = 0;
            for (queue, low_mark) in self.sources.iter().zip(&mut self.low_marks) {
                if let Some(&(t, _)) = queue.front() {
                    if mark.is_none_or(|m| t < m) {
                        mark = Some(t);
                    }
                    *low_mark = Some(t);
                }
                if let Some(source_mark) = *low_mark {
                    valid += 1;
                    if !drain && mark.is_none_or(|m| source_mark < m) {
                        mark = Some(source_mark);
                    }
                }
            }
            // Nothing goes before every parent has given something, unless draining.
            if !drain && valid != self.sources.len() {
                return;
            }
            let Some(mark) = mark else { return };
            let mut emitted = false;
            for queue in &mut self.sources {
                while let Some((_, message)) = queue.pop_front_if(|(t, _)| *t <= mark) {
                    out.push(message);
                    emitted = true;
                }
            }
            if !emitted {
                return;
            }
        }
    }
}

impl fmt::Display for UnionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Union: {}", self.spec)
    }
}

impl Operator for UnionOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        self.enqueue(input, data)?;
        self.emit_ready(false, out);
        Ok(())
    }

    fn barrier(
        &mut self,
        input: usize,
        barrier: Barrier,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let source = self.source(input);
        self.sources[source].push_back((barrier.time, Message::Barrier(barrier)));
        self.emit_ready(false, out);
        Ok(())
    }

    fn finish(&mut self, _ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        self.emit_ready(true, out);
        Ok(())
    }
}
