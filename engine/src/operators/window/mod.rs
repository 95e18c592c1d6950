//! `window()`: collects the points of each group into batches by time, emitting a window
//! when a point of the group arrives at or past the window's end (data time, not the wall
//! clock), exactly as Kapacitor's window node does point by point.

mod ring;

use std::collections::VecDeque;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::RecordBatch;
use condenser_planner::nodes::WindowSpec;

use super::{Context, Operator};
use crate::error::{Error, Result};
use crate::go_time::truncate;
use crate::message::{
    Barrier, Batch, Batches, Data, FastMap, Gathered, Group, GroupTable, Message, Span,
};
use crate::points::{concat_points, times};
use ring::Ring;

/// A window's properties in nanoseconds and points.
#[derive(Debug, Clone, Copy)]
struct Shape {
    period: i64,
    every: i64,
    align: bool,
    fill_period: bool,
    period_count: i64,
    every_count: i64,
}

impl Shape {
    fn of(spec: &WindowSpec) -> Shape {
        Shape {
            period: spec.period.nanos(),
            every: spec.every.nanos(),
            align: spec.align,
            fill_period: spec.fill_period,
            period_count: spec.period_count,
            every_count: spec.every_count,
        }
    }

    /// When a window whose first point is at `t` emits first.
    fn first_emit(&self, t: i64) -> i64 {
        let Shape {
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
    buffer: Buffer,
}

/// A window's points: Kapacitor's ring for a window by time, the last points for one by
/// count.
#[derive(Debug)]
enum Buffer {
    Time(Ring<Buffered>),
    Count(VecDeque<Buffered>),
}

/// The windows one message closes, in order: each its group's window, its time and its
/// points, as references (chunk, row) into the batches the points came in.
#[derive(Default)]
struct Emissions {
    chunks: Vec<Arc<RecordBatch>>,
    /// The index in `chunks` of each chunk, by address.
    chunk_of: FastMap<usize, usize>,
    rows: Vec<(usize, usize)>,
    windows: Vec<(usize, i64, Range<usize>)>,
}

impl Emissions {
    /// Window `window` closes at `tmax` with `points`.
    fn push<'a>(&mut self, window: usize, tmax: i64, points: impl Iterator<Item = &'a Buffered>) {
        let start = self.rows.len();
        let mut last: Option<(usize, usize)> = None;
        for point in points {
            let address = Arc::as_ptr(&point.chunk) as usize;
            let chunk = match last {
                Some((a, chunk)) if a == address => chunk,
                _ => *self.chunk_of.entry(address).or_insert_with(|| {
                    self.chunks.push(Arc::clone(&point.chunk));
                    self.chunks.len() - 1
                }),
            };
            last = Some((address, chunk));
            self.rows.push((chunk, point.row as usize));
        }
        self.windows.push((window, tmax, start..self.rows.len()));
    }
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
    shape: Shape,
    windows: GroupTable<GroupWindow>,
}

impl WindowOperator {
    /// A window with `spec`.
    pub fn new(spec: &WindowSpec) -> Self {
        Self {
            spec: *spec,
            shape: Shape::of(spec),
            windows: GroupTable::default(),
        }
    }

    fn window_mut(&mut self, index: usize) -> Result<&mut GroupWindow> {
        self.windows
            .get_mut(index)
            .ok_or_else(|| Error::internal("a window index the table did not give"))
    }

    /// The window of `group`, created (its first point at `t`) if new.
    fn window_of(&mut self, name: &Arc<str>, group: &Arc<Group>, t: i64) -> usize {
        let spec = self.shape;
        self.windows.index_or_insert_with(group, || GroupWindow {
            name: Arc::clone(name),
            next_emit: spec.first_emit(t),
            count: 0,
            buffer: if spec.period_count > 0 {
                Buffer::Count(VecDeque::new())
            } else {
                Buffer::Time(Ring::default())
            },
        })
    }

    /// Takes one point into window `index`, noting an emission if it closes the window.
    fn point(&mut self, index: usize, point: Buffered, emissions: &mut Emissions) -> Result<()> {
        let spec = self.shape;
        let window = self.window_mut(index)?;
        let t = point.t;
        match &mut window.buffer {
            Buffer::Count(buffer) => {
                buffer.push_back(point);
                if buffer.len() as i64 > spec.period_count {
                    buffer.pop_front();
                }
                window.count += 1;
                if window.count == window.next_emit {
                    window.next_emit += spec.every_count;
                    emissions.push(index, t, buffer.iter());
                }
            }
            // A window (oldest, t] per point: the point is in the window it closes.
            Buffer::Time(ring) if spec.every == 0 => {
                ring.insert(point);
                window.reach(spec, index, t, emissions);
            }
            // Windows [oldest, next emit): the point that closes one is not in it.
            Buffer::Time(_) => {
                window.reach(spec, index, t, emissions);
                if let Buffer::Time(ring) = &mut window.buffer {
                    ring.insert(point);
                }
            }
        }
        Ok(())
    }

    /// Kapacitor's barrier: the group's window closes as a point at the barrier's time would
    /// close it, and the barrier goes no further. A window counting points ignores it.
    fn close_at_barrier(&mut self, barrier: &Barrier, emissions: &mut Emissions) -> Result<()> {
        let spec = self.shape;
        if spec.period_count > 0 {
            return Ok(());
        }
        let index = self.window_of(&barrier.name, &barrier.group, barrier.time);
        self.window_mut(index)?
            .reach(spec, index, barrier.time, emissions);
        Ok(())
    }

    /// The batches of `emissions`, in order. Consecutive windows whose points share a
    /// schema go out together as [`Batches`] over their gathered points; an empty window, or
    /// one whose points differ in schema, goes out alone.
    fn emit(&self, emissions: Emissions, out: &mut Vec<Message>) -> Result<()> {
        let Emissions {
            chunks,
            rows,
            windows,
            ..
        } = emissions;
        // Chunks of one schema form a class; a point is its class's chunk `local`.
        let mut classes: Vec<Vec<RecordBatch>> = Vec::new();
        let mut class_of = Vec::with_capacity(chunks.len());
        let mut local = Vec::with_capacity(chunks.len());
        for chunk in &chunks {
            let class = match classes.iter().position(|c| c[0].schema() == chunk.schema()) {
                Some(class) => class,
                None => {
                    classes.push(Vec::new());
                    classes.len() - 1
                }
            };
            class_of.push(class);
            local.push(classes[class].len());
            classes[class].push(chunk.as_ref().clone());
        }
        // The windows going out together: their class, measurement, spans and points.
        type Run = (usize, Arc<str>, Vec<Span>, Vec<(usize, usize)>);
        let mut run: Option<Run> = None;
        let flush = |run: &mut Option<Run>, out: &mut Vec<Message>| {
            if let Some((class, name, spans, points)) = run.take() {
                out.push(Message::Batches(Batches {
                    name,
                    points: Arc::new(Gathered::new(classes[class].clone(), points)),
                    spans,
                }));
            }
        };
        for (index, tmax, range) in windows {
            let (group, window) = self
                .windows
                .entry(index)
                .ok_or_else(|| Error::internal("a window index the table did not give"))?;
            let points = &rows[range];
            let class = points.first().map(|(chunk, _)| class_of[*chunk]);
            let uniform = points
                .iter()
                .all(|(chunk, _)| Some(class_of[*chunk]) == class);
            match (&mut run, class) {
                (Some((c, name, _, _)), Some(class))
                    if uniform && *c == class && *name == window.name => {}
                _ => flush(&mut run, out),
            }
            if let (Some(class), true) = (class, uniform) {
                let (_, _, spans, gathered) = run.get_or_insert_with(|| {
                    (class, Arc::clone(&window.name), Vec::new(), Vec::new())
                });
                let start = gathered.len();
                gathered.extend(points.iter().map(|(chunk, row)| (local[*chunk], *row)));
                spans.push(Span {
                    group: Arc::clone(group),
                    tmax,
                    rows: start..gathered.len(),
                });
                continue;
            }
            let data = if points.is_empty() {
                RecordBatch::new_empty(Arc::new(arrow::datatypes::Schema::new(vec![
                    condenser_model::schema::time_field(),
                ])))
            } else {
                let slices: Vec<RecordBatch> = points
                    .iter()
                    .map(|(chunk, row)| chunks[*chunk].slice(*row, 1))
                    .collect();
                concat_points(&slices)?
            };
            out.push(Message::Batch(Batch {
                name: Arc::clone(&window.name),
                group: Arc::clone(group),
                tmax,
                data,
            }));
        }
        flush(&mut run, out);
        Ok(())
    }
}

impl GroupWindow {
    /// Data (a point or a barrier) has reached time `t`: if the window is due, it drops the
    /// points older than the period and is emitted (window `index`), and the next emission
    /// time moves on.
    fn reach(&mut self, spec: Shape, index: usize, t: i64, emissions: &mut Emissions) {
        let Buffer::Time(ring) = &mut self.buffer else {
            return;
        };
        if t < self.next_emit {
            return;
        }
        // Points leave from the front while they are older than the window, as Kapacitor's
        // ring buffer purges: a late point behind a newer one stays.
        if spec.every == 0 {
            let oldest = t - spec.period;
            ring.purge(|p| p.t > oldest);
            emissions.push(index, t, ring.iter());
            self.next_emit = t;
        } else {
            let oldest = self.next_emit - spec.period;
            ring.purge(|p| p.t >= oldest);
            emissions.push(index, self.next_emit, ring.iter());
            self.next_emit = t + spec.every;
            if spec.align {
                self.next_emit = truncate(self.next_emit, spec.every);
            }
        }
    }
}

impl fmt::Display for WindowOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Window: {}", self.spec)
    }
}

impl Operator for WindowOperator {
    fn cardinality(&self) -> usize {
        self.windows.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        // A window takes a stream (a window after a batch edge is refused at definition).
        let Data::Points(points) = data else {
            return Err(Error::internal("a window was given batches"));
        };
        let chunk = Arc::new(points.data);
        let mut emissions = Emissions::default();
        let mut previous: Option<(&Arc<Group>, usize)> = None;
        let point_times = times(&chunk)?;
        for (row, (&t, group)) in point_times.iter().zip(points.groups.iter()).enumerate() {
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
            self.point(window, point, &mut emissions)?;
        }
        self.emit(emissions, out)
    }

    /// A barrier closes the group's window at its time; it goes no further.
    fn barrier(
        &mut self,
        _input: usize,
        barrier: Barrier,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let mut emissions = Emissions::default();
        self.close_at_barrier(&barrier, &mut emissions)?;
        self.emit(emissions, out)
    }

    fn forget_group(&mut self, group: &Group) {
        self.windows.remove(&group.id);
    }
}
