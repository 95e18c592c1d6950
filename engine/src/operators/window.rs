//! `window()`: collects the points of each group into batches by time, emitting a window
//! when a point of the group arrives at or past the window's end (data time, not the wall
//! clock), exactly as Kapacitor's window node does point by point.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow::array::RecordBatch;

use super::{Operator, concat_points};
use crate::message::{Batch, Group, Message, times};

/// The resolved properties of a time-based `window()` node.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowSpec {
    /// `.period()`, nanoseconds.
    pub period: i64,
    /// `.every()`, nanoseconds.
    pub every: i64,
    /// `.align()`.
    pub align: bool,
    /// `.fillPeriod()`.
    pub fill_period: bool,
    /// `.periodCount()`: a window of this many points instead of a time period.
    pub period_count: i64,
    /// `.everyCount()`: emit every this many points.
    pub every_count: i64,
}

/// Nanoseconds from Go's zero time (0001-01-01) to the Unix epoch: Kapacitor aligns
/// windows with Go's `Time.Truncate`, which counts from the zero time.
const ZERO_TIME_TO_EPOCH: i128 = 62_135_596_800 * 1_000_000_000;

/// `t` rounded down to a multiple of `every` since Go's zero time.
pub fn truncate(t: i64, every: i64) -> i64 {
    if every <= 0 {
        return t;
    }
    let since_zero = t as i128 + ZERO_TIME_TO_EPOCH;
    (since_zero - since_zero.rem_euclid(every as i128) - ZERO_TIME_TO_EPOCH) as i64
}

/// One group's window.
#[derive(Debug)]
struct GroupWindow {
    name: Arc<str>,
    group: Arc<Group>,
    /// The time (or, counting, the point count) at which the window emits next.
    next_emit: i64,
    /// Points seen (counting windows).
    count: i64,
    /// The buffered points, one row each, with their times.
    buffer: VecDeque<(i64, RecordBatch)>,
}

/// Windows by time.
#[derive(Debug)]
pub struct WindowOperator {
    spec: WindowSpec,
    groups: HashMap<String, GroupWindow>,
}

impl WindowOperator {
    /// A window with `spec`.
    pub fn new(spec: WindowSpec) -> Self {
        Self {
            spec,
            groups: HashMap::new(),
        }
    }

    fn first_emit(&self, t: i64) -> i64 {
        let WindowSpec {
            period,
            every,
            align,
            fill_period,
            period_count,
            every_count,
        } = self.spec;
        if period_count > 0 {
            return if fill_period {
                period_count
            } else {
                every_count
            };
        }
        if fill_period {
            let first_period = t + period;
            if align {
                let next = truncate(first_period, every);
                if next > first_period {
                    next
                } else {
                    next + every
                }
            } else {
                first_period
            }
        } else if align {
            truncate(t + every, every)
        } else {
            t + every
        }
    }

    fn point(
        &mut self,
        name: &Arc<str>,
        group: &Arc<Group>,
        t: i64,
        row: RecordBatch,
        out: &mut Vec<Message>,
    ) {
        let first_emit = self.first_emit(t);
        let spec = self.spec;
        let window = self
            .groups
            .entry(group.id.clone())
            .or_insert_with(|| GroupWindow {
                name: Arc::clone(name),
                group: Arc::clone(group),
                next_emit: first_emit,
                count: 0,
                buffer: VecDeque::new(),
            });
        if spec.period_count > 0 {
            window.buffer.push_back((t, row));
            if window.buffer.len() as i64 > spec.period_count {
                window.buffer.pop_front();
            }
            window.count += 1;
            if window.count == window.next_emit {
                window.next_emit += spec.every_count;
                out.push(window.emit(t));
            }
        } else if spec.every == 0 {
            window.buffer.push_back((t, row));
            if t >= window.next_emit {
                let oldest = t - spec.period;
                window.buffer.retain(|(pt, _)| *pt > oldest);
                out.push(window.emit(t));
                window.next_emit = t;
            }
        } else {
            if t >= window.next_emit {
                let oldest = window.next_emit - spec.period;
                window.buffer.retain(|(pt, _)| *pt >= oldest);
                out.push(window.emit(window.next_emit));
                window.next_emit = t + spec.every;
                if spec.align {
                    window.next_emit = truncate(window.next_emit, spec.every);
                }
            }
            window.buffer.push_back((t, row));
        }
    }
}

impl GroupWindow {
    fn emit(&self, tmax: i64) -> Message {
        let rows: Vec<RecordBatch> = self.buffer.iter().map(|(_, r)| r.clone()).collect();
        let data = if rows.is_empty() {
            RecordBatch::new_empty(Arc::new(arrow::datatypes::Schema::new(vec![
                condenser_model::schema::time_field(),
            ])))
        } else {
            concat_points(&rows)
        };
        Message::Batch(Batch {
            name: Arc::clone(&self.name),
            group: Arc::clone(&self.group),
            tmax,
            data,
        })
    }
}

impl Operator for WindowOperator {
    fn cardinality(&self) -> usize {
        self.groups.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        // A window after a batch edge is refused when the task is built.
        let Message::Points(points) = message else {
            return;
        };
        let times = times(&points.data).to_vec();
        for (row, t) in times.into_iter().enumerate() {
            let group = Arc::clone(&points.groups[row]);
            self.point(&points.name, &group, t, points.data.slice(row, 1), out);
        }
    }
}
