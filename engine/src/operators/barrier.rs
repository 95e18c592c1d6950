//! `barrier()`: tells the nodes below that a group's data has reached a time, when the
//! group has been idle for `.idle()` of wall-clock time (the barrier's time is then the last
//! point's time plus the idle duration) or every `.period()` of wall-clock time (the
//! barrier's time is then the wall-clock time). Points older than the last barrier are
//! dropped. With `.delete(TRUE)` each barrier is followed by a delete-group message: the
//! nodes below forget the group.

use std::sync::Arc;

use super::{Operator, filter_rows};
use crate::clock;
use crate::message::{Barrier, Group, GroupTable, Message, times};

/// The resolved properties of a `barrier()` node.
#[derive(Debug, Clone, Copy, Default)]
pub struct BarrierSpec {
    /// `.idle()`, nanoseconds (0: not idle-driven).
    pub idle: i64,
    /// `.period()`, nanoseconds (0: not periodic).
    pub period: i64,
    /// `.delete()`.
    pub delete: bool,
}

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
    pub fn new(spec: BarrierSpec) -> Self {
        Self {
            spec,
            timers: GroupTable::default(),
        }
    }

    /// The timer of `group`, started at `now` (wall clock) if new.
    fn timer(&mut self, name: &Arc<str>, group: &Arc<Group>, now: i64) -> usize {
        let interval = self.interval();
        self.timers.index_or_insert_with(group, || GroupTimer {
            name: Arc::clone(name),
            // Kapacitor starts an idle timer's count from the wall-clock time.
            last_point: now,
            last_barrier: None,
            due: now + interval,
        })
    }

    fn interval(&self) -> i64 {
        if self.spec.idle > 0 {
            self.spec.idle
        } else {
            self.spec.period
        }
    }

    /// Whether data of `group` at `t`, arriving at `now` (wall clock), passes: it is not
    /// older than the last barrier. Passing data restarts the idle timer.
    fn pass(&mut self, name: &Arc<str>, group: &Arc<Group>, t: i64, now: i64) -> bool {
        let index = self.timer(name, group, now);
        let idle = self.spec.idle > 0;
        let due = now + self.spec.idle;
        let timer = self.timers.get_mut(index);
        if timer.last_barrier.is_some_and(|b| t < b) {
            return false;
        }
        if idle {
            timer.due = due;
            timer.last_point = t;
        }
        true
    }
}

impl Operator for BarrierOperator {
    fn cardinality(&self) -> usize {
        self.timers.len()
    }

    fn ticks(&self) -> bool {
        true
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        let now = clock::now();
        match message {
            Message::Barrier(barrier) => {
                if self.pass(&barrier.name, &barrier.group, barrier.time, now) {
                    let index = self.timer(&barrier.name, &barrier.group, now);
                    self.timers.get_mut(index).last_barrier = Some(barrier.time);
                    out.push(Message::Barrier(barrier));
                }
            }
            Message::DeleteGroup(group) => {
                self.timers.remove(&group.id);
                out.push(Message::DeleteGroup(group));
            }
            Message::Batches(batches) => self.process_each(batches, out),
            Message::Batch(batch) => {
                let (name, group) = (Arc::clone(&batch.name), Arc::clone(&batch.group));
                let times = times(&batch.data).to_vec();
                out.extend(filter_rows(Message::Batch(batch), |_, _, row| {
                    self.pass(&name, &group, times[row], now)
                }));
            }
            Message::Points(points) => {
                let name = Arc::clone(&points.name);
                let times = times(&points.data).to_vec();
                out.extend(filter_rows(Message::Points(points), |group, _, row| {
                    self.pass(&name, group, times[row], now)
                }));
            }
        }
    }

    fn tick(&mut self, now: i64, out: &mut Vec<Message>) {
        let interval = self.interval();
        let mut deleted = Vec::new();
        for index in 0..self.timers.len() {
            let idle = self.spec.idle > 0;
            let (group, timer) = self.timers.entry(index);
            if timer.due > now {
                continue;
            }
            let group = Arc::clone(group);
            let timer = self.timers.get_mut(index);
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
    }
}
