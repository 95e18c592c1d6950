//! `window()`: collects the points of each group into batches by time, emitting a window
//! when a point of the group arrives at or past the window's end (data time, not the wall
//! clock), exactly as Kapacitor's window node does point by point.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow::array::RecordBatch;

use super::{Operator, concat_points};
use crate::go_time::truncate;
use crate::message::{Barrier, Batch, Batches, Group, GroupTable, Message, Span, times};

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

impl WindowSpec {
    /// When a window whose first point is at `t` emits first.
    fn first_emit(&self, t: i64) -> i64 {
        let WindowSpec {
            period,
            every,
            align,
            fill_period,
            period_count,
            every_count,
        } = *self;
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
}

/// One buffered point: its time and its row in a batch that came in.
#[derive(Debug, Clone)]
struct Buffered {
    t: i64,
    chunk: Arc<RecordBatch>,
    row: u32,
}

/// One group's window.
#[derive(Debug)]
struct GroupWindow {
    name: Arc<str>,
    /// The time (or, counting, the point count) at which the window emits next.
    next_emit: i64,
    /// Points seen (counting windows).
    count: i64,
    /// The buffered points, in arrival order.
    buffer: VecDeque<Buffered>,
}

/// A window to emit: its group's window, its time and its points.
struct Emission {
    window: usize,
    tmax: i64,
    points: Vec<Buffered>,
}

/// Windows by time (or by count).
///
/// A batch of points is handled in one pass over its times: each point goes to its group's
/// buffer (a reference to the incoming batch, not a copy), and the points where a window
/// closes are noted. The windows closed by one batch are then gathered from the buffered
/// batches with one `interleave` and handed out as slices of it, in the order they closed.
#[derive(Debug)]
pub struct WindowOperator {
    spec: WindowSpec,
    windows: GroupTable<GroupWindow>,
}

impl WindowOperator {
    /// A window with `spec`.
    pub fn new(spec: WindowSpec) -> Self {
        Self {
            spec,
            windows: GroupTable::default(),
        }
    }

    /// The window of `group`, created (its first point at `t`) if new.
    fn window_of(&mut self, name: &Arc<str>, group: &Arc<Group>, t: i64) -> usize {
        let spec = self.spec;
        self.windows.index_or_insert_with(group, || GroupWindow {
            name: Arc::clone(name),
            next_emit: spec.first_emit(t),
            count: 0,
            buffer: VecDeque::new(),
        })
    }

    /// Takes one point into window `index`, noting an emission if it closes the window.
    fn point(&mut self, index: usize, point: Buffered, emissions: &mut Vec<Emission>) {
        let spec = self.spec;
        let window = self.windows.get_mut(index);
        let t = point.t;
        if spec.period_count > 0 {
            window.buffer.push_back(point);
            if window.buffer.len() as i64 > spec.period_count {
                window.buffer.pop_front();
            }
            window.count += 1;
            if window.count == window.next_emit {
                window.next_emit += spec.every_count;
                emissions.push(window.emission(index, t));
            }
        } else if spec.every == 0 {
            // A window (oldest, t] per point: the point is in the window it closes.
            window.buffer.push_back(point);
            window.reach(spec, index, t, emissions);
        } else {
            // Windows [oldest, next emit): the point that closes one is not in it.
            window.reach(spec, index, t, emissions);
            window.buffer.push_back(point);
        }
    }

    /// Kapacitor's barrier: the group's window closes as a point at the barrier's time would
    /// close it, and the barrier goes no further. A window counting points ignores it.
    fn barrier(&mut self, barrier: &Barrier, emissions: &mut Vec<Emission>) {
        let spec = self.spec;
        if spec.period_count > 0 {
            return;
        }
        let index = self.window_of(&barrier.name, &barrier.group, barrier.time);
        self.windows
            .get_mut(index)
            .reach(spec, index, barrier.time, emissions);
    }

    /// The batches of `emissions`, in order: runs of windows of one measurement that have
    /// points go out together as [`Batches`] over the gathered points; an empty window, or
    /// windows whose points differ in schema, go out alone.
    fn emit(&self, emissions: Vec<Emission>, out: &mut Vec<Message>) {
        let gathered = gather(&emissions);
        let mut run: Option<Batches> = None;
        let mut offset = 0;
        for emission in emissions {
            let (group, window) = self.windows.entry(emission.window);
            let rows = emission.points.len();
            let span = Span {
                group: Arc::clone(group),
                tmax: emission.tmax,
                rows: offset..offset + rows,
            };
            offset += rows;
            match (&gathered, &mut run) {
                (Some(_), Some(batches)) if rows > 0 && batches.name == window.name => {
                    batches.spans.push(span);
                    continue;
                }
                _ => {}
            }
            out.extend(run.take().map(own_rows));
            let data = match &gathered {
                Some(all) if rows > 0 => {
                    run = Some(Batches {
                        name: Arc::clone(&window.name),
                        data: all.clone(),
                        spans: vec![span],
                    });
                    continue;
                }
                _ if rows == 0 => {
                    RecordBatch::new_empty(Arc::new(arrow::datatypes::Schema::new(vec![
                        condenser_model::schema::time_field(),
                    ])))
                }
                _ => {
                    let slices: Vec<RecordBatch> = emission
                        .points
                        .iter()
                        .map(|p| p.chunk.slice(p.row as usize, 1))
                        .collect();
                    concat_points(&slices)
                }
            };
            out.push(Message::Batch(Batch {
                name: Arc::clone(&window.name),
                group: Arc::clone(group),
                tmax: emission.tmax,
                data,
            }));
        }
        out.extend(run.take().map(own_rows));
    }
}

/// `batches` over the gathered points of several runs, cut down to its own rows.
fn own_rows(mut batches: Batches) -> Message {
    let start = batches.spans.first().map_or(0, |s| s.rows.start);
    let end = batches.spans.last().map_or(0, |s| s.rows.end);
    if start > 0 || end < batches.data.num_rows() {
        batches.data = batches.data.slice(start, end - start);
        for span in &mut batches.spans {
            span.rows = span.rows.start - start..span.rows.end - start;
        }
    }
    Message::Batches(batches)
}

/// The points of all `emissions` in one batch, when their batches share a schema.
fn gather(emissions: &[Emission]) -> Option<RecordBatch> {
    let mut chunks: Vec<&RecordBatch> = Vec::new();
    let mut chunk_of: HashMap<usize, usize> = HashMap::new();
    let mut indices = Vec::new();
    for point in emissions.iter().flat_map(|e| &e.points) {
        let address = Arc::as_ptr(&point.chunk) as usize;
        let chunk = *chunk_of.entry(address).or_insert_with(|| {
            chunks.push(&point.chunk);
            chunks.len() - 1
        });
        indices.push((chunk, point.row as usize));
    }
    let first = chunks.first()?;
    if chunks.iter().any(|c| c.schema() != first.schema()) {
        return None;
    }
    arrow::compute::interleave_record_batch(&chunks, &indices).ok()
}

impl GroupWindow {
    /// Data (a point or a barrier) has reached time `t`: if the window is due, it drops the
    /// points older than the period and is emitted (window `index`), and the next emission
    /// time moves on.
    fn reach(&mut self, spec: WindowSpec, index: usize, t: i64, emissions: &mut Vec<Emission>) {
        if t < self.next_emit {
            return;
        }
        if spec.every == 0 {
            let oldest = t - spec.period;
            self.buffer.retain(|p| p.t > oldest);
            emissions.push(self.emission(index, t));
            self.next_emit = t;
        } else {
            let oldest = self.next_emit - spec.period;
            self.buffer.retain(|p| p.t >= oldest);
            emissions.push(self.emission(index, self.next_emit));
            self.next_emit = t + spec.every;
            if spec.align {
                self.next_emit = truncate(self.next_emit, spec.every);
            }
        }
    }

    fn emission(&self, window: usize, tmax: i64) -> Emission {
        Emission {
            window,
            tmax,
            points: self.buffer.iter().cloned().collect(),
        }
    }
}

impl Operator for WindowOperator {
    fn cardinality(&self) -> usize {
        self.windows.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        let points = match message {
            Message::Points(points) => points,
            Message::Barrier(barrier) => {
                let mut emissions = Vec::new();
                self.barrier(&barrier, &mut emissions);
                self.emit(emissions, out);
                return;
            }
            Message::DeleteGroup(group) => {
                self.windows.remove(&group.id);
                out.push(Message::DeleteGroup(group));
                return;
            }
            // A window after a batch edge is refused when the task is built.
            Message::Batch(_) | Message::Batches(_) => return,
        };
        let chunk = Arc::new(points.data);
        let mut emissions = Vec::new();
        let mut previous: Option<(&Arc<Group>, usize)> = None;
        for (row, (&t, group)) in times(&chunk).iter().zip(&points.groups).enumerate() {
            let window = match previous {
                Some((last, window)) if Arc::ptr_eq(last, group) => window,
                _ => self.window_of(&points.name, group, t),
            };
            previous = Some((group, window));
            let point = Buffered {
                t,
                chunk: Arc::clone(&chunk),
                row: row as u32,
            };
            self.point(window, point, &mut emissions);
        }
        self.emit(emissions, out);
    }
}
