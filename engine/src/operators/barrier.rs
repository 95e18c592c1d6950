//! `barrier()`: tells the nodes below that a group's data has reached a time, when the
//! group has been idle for `.idle()` of wall-clock time (the barrier's time is then the last
//! point's time plus the idle duration) or every `.period()` of wall-clock time (the
//! barrier's time is then the wall-clock time). Points older than the last barrier are
//! dropped. With `.delete(TRUE)` each barrier is followed by a delete-group message: the
//! nodes below forget the group.

use std::fmt;
use std::sync::Arc;

use condenser_planner::nodes::BarrierSpec;

use super::{Context, Operator};
use crate::error::{Error, Result};
use crate::message::{Barrier, Data, Group, GroupTable, Message};
use crate::points::{filter_data, times};

/// One group's timer.
#[derive(Debug)]
struct GroupTimer {
    name: Arc<str>,
    /// The data time the next idle barrier counts from.
    last_point: i64,
    /// The time of the last barrier; older data is dropped.
    last_barrier: Option<i64>,
    /// When (wall clock) the timer fires next.
    due: i64,
}

/// Emits barriers by group.
#[derive(Debug)]
pub struct BarrierOperator {
    spec: BarrierSpec,
    timers: GroupTable<GroupTimer>,
}

impl BarrierOperator {
    /// A barrier with `spec` (its idle or its period is positive).
    pub fn new(spec: &BarrierSpec) -> Self {
        Self {
            spec: *spec,
            timers: GroupTable::default(),
        }
    }

    fn interval(&self) -> i64 {
        if self.spec.idle.is_positive() {
            self.spec.idle.nanos()
        } else {
            self.spec.period.nanos()
        }
    }

    /// The timer of `group`, started at `now` (wall clock) if new.
    fn timer(&mut self, name: &Arc<str>, group: &Arc<Group>, now: i64) -> Result<&mut GroupTimer> {
        let interval = self.interval();
        self.timers.get_or_insert_with(group, || GroupTimer {
            name: Arc::clone(name),
            // Kapacitor starts an idle timer's count from the wall-clock time.
            last_point: now,
            last_barrier: None,
            due: now + interval,
        })
    }

    /// Whether data of `group` at `t`, arriving at `now` (wall clock), passes: it is not
    /// older than the last barrier. Passing data restarts the idle timer.
    fn pass(&mut self, name: &Arc<str>, group: &Arc<Group>, t: i64, now: i64) -> Result<bool> {
        let idle = self.spec.idle.is_positive();
        let due = now + self.spec.idle.nanos();
        let timer = self.timer(name, group, now)?;
        if timer.last_barrier.is_some_and(|b| t < b) {
            return Ok(false);
        }
        if idle {
            timer.due = due;
            timer.last_point = t;
        }
        Ok(true)
    }
}

impl fmt::Display for BarrierOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Barrier: {}", self.spec)
    }
}

impl Operator for BarrierOperator {
    fn cardinality(&self) -> usize {
        self.timers.len()
    }

    fn ticks(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let now = ctx.now();
        let kept = match data {
            Data::Points(points) => {
                let name = Arc::clone(&points.name);
                let times = times(&points.data)?.to_vec();
                filter_data(Data::Points(points), |group, _, row| {
                    self.pass(&name, group, times[row], now)
                })?
            }
            data => {
                let mut kept = Vec::new();
                let batches = match data {
                    Data::Batch(batch) => vec![batch],
                    Data::Batches(batches) => batches.split()?,
                    Data::Points(_) => Vec::new(),
                };
                for batch in batches {
                    let (name, group) = (Arc::clone(&batch.name), Arc::clone(&batch.group));
                    let times = times(&batch.data)?.to_vec();
                    kept.extend(filter_data(Data::Batch(batch), |_, _, row| {
                        self.pass(&name, &group, times[row], now)
                    })?);
                }
                out.extend(kept.into_iter().map(Message::from));
                return Ok(());
            }
        };
        out.extend(kept.map(Message::from));
        Ok(())
    }

    /// A barrier from above passes when it is not older than the group's last one, and
    /// becomes the group's last barrier.
    fn barrier(
        &mut self,
        _input: usize,
        barrier: Barrier,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let now = ctx.now();
        if self.pass(&barrier.name, &barrier.group, barrier.time, now)? {
            self.timer(&barrier.name, &barrier.group, now)?.last_barrier = Some(barrier.time);
            out.push(Message::Barrier(barrier));
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.timers.remove(&group.id);
    }

    fn tick(&mut self, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let now = ctx.now();
        let interval = self.interval();
        let idle = self.spec.idle.is_positive();
        let mut deleted = Vec::new();
        for index in self.timers.indices() {
            let missing = || Error::internal("a barrier timer vanished");
            let (group, timer) = self.timers.entry(index).ok_or_else(missing)?;
            if timer.due > now {
                continue;
            }
            let group = Arc::clone(group);
            let timer = self.timers.get_mut(index).ok_or_else(missing)?;
            let time = if idle {
                timer.last_point + interval
            } else {
                now
            };
            timer.last_point = time;
            timer.last_barrier = Some(time);
            timer.due = now + interval;
            out.push(Message::Barrier(Barrier {
                name: Arc::clone(&timer.name),
                group: Arc::clone(&group),
                time,
            }));
            if self.spec.delete {
                out.push(Message::DeleteGroup(Arc::clone(&group)));
                deleted.push(group);
            }
        }
        for group in deleted {
            self.timers.remove(&group.id);
        }
        Ok(())
    }
}
