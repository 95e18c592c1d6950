//! Operators: one per TICKscript node kind, in files named as the planner's nodes
//! (`window.rs` runs what `planner/src/nodes/window.rs` resolves). Each takes whole
//! messages of points or batches and appends what it emits.
//!
//! The [`Operator`] trait has one required method, [`Operator::process`], which takes the
//! data of one message with an explicit [`Context`] (the wall clock, the node's name, where
//! failed points are reported). Barriers and delete-group messages are routed by the task
//! runtime to [`Operator::barrier`] and [`Operator::delete_group`], whose defaults pass them
//! on (a delete after the node forgets the group's state, [`Operator::forget_group`]), so an
//! operator handles a signal only where it must.

pub mod alert;
pub mod barrier;
pub mod change_detect;
pub mod combine;
pub mod default;
pub mod delete;
pub mod derivative;
pub mod eval;
pub mod flatten;
pub mod from;
pub mod group_by;
pub mod http_out;
pub mod http_post;
pub mod influxdb_out;
pub mod influxql;
pub mod join;
pub mod log;
pub mod noop;
pub mod query;
pub mod sample;
pub mod shift;
pub mod state_count;
pub mod state_duration;
pub mod stats;
pub mod trickle;
pub mod union;
pub mod where_;
pub mod window;

use std::fmt;
use std::sync::Arc;

use crate::error::Result;
use crate::message::{Barrier, Data, Group, Message};

/// What a call of an operator is given besides its data: the wall clock, the node's name,
/// and where it reports the points it fails on.
#[derive(Debug)]
pub struct Context<'a> {
    now: i64,
    node: &'a str,
    quiet: bool,
    errors: u64,
}

impl<'a> Context<'a> {
    /// A call of node `node` at wall-clock time `now` (nanoseconds since the epoch); a
    /// `quiet` node does not log the points it fails on.
    pub fn new(now: i64, node: &'a str, quiet: bool) -> Self {
        Self {
            now,
            node,
            quiet,
            errors: 0,
        }
    }

    /// The wall-clock time of this call, nanoseconds since the epoch. Only the nodes that act
    /// on real time read it (barrier, stats); the others follow the data's time.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// The node's name (`where2`).
    pub fn node(&self) -> &str {
        self.node
    }

    /// The node failed on `points` points because of `reason`: they count among its errors
    /// and are logged, unless the node is quiet. Those points were dropped.
    pub fn fail_points(&mut self, points: usize, reason: &dyn fmt::Display) {
        if points == 0 {
            return;
        }
        self.errors += points as u64;
        if !self.quiet {
            tracing::error!(node = self.node, points, %reason, "points dropped");
        }
    }

    /// The node failed once (a request that could not be sent): counted and logged, unless
    /// the node is quiet; the data went on.
    pub fn fail(&mut self, reason: &dyn fmt::Display) {
        self.errors += 1;
        if !self.quiet {
            tracing::error!(node = self.node, %reason, "node error");
        }
    }

    /// The errors reported during this call.
    pub fn errors(&self) -> u64 {
        self.errors
    }
}

/// A running node of a task.
pub trait Operator: Send + fmt::Display {
    /// Processes the data of one message from the parent at position `input` among the
    /// node's parents (0 unless it has several: join, union), appending what the node emits
    /// to `out`.
    fn process(
        &mut self,
        input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()>;

    /// Whether the node takes [`Data::Batches`] whole; the task hands a node that does not
    /// one [`Data::Batch`] at a time.
    fn takes_batches(&self) -> bool {
        false
    }

    /// A barrier from parent `input`: no data of its group older than its time comes any
    /// more. By default it goes on.
    fn barrier(
        &mut self,
        input: usize,
        barrier: Barrier,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let _ = (input, ctx);
        out.push(Message::Barrier(barrier));
        Ok(())
    }

    /// A group was deleted upstream. By default the node forgets the group's state
    /// ([`Operator::forget_group`]) and the delete goes on.
    fn delete_group(
        &mut self,
        input: usize,
        group: Arc<Group>,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let _ = (input, ctx);
        self.forget_group(&group);
        out.push(Message::DeleteGroup(group));
        Ok(())
    }

    /// Whether the node gives the points it emits their groups (`from()`, `groupBy()`): the
    /// groups an expiry forgets are those such nodes emitted.
    fn assigns_groups(&self) -> bool {
        false
    }

    /// Forgets the state the node keeps for `group`. Most nodes keep none.
    fn forget_group(&mut self, group: &Group) {
        let _ = group;
    }

    /// Whether the node acts on the wall clock, so that the task ticks it.
    fn ticks(&self) -> bool {
        false
    }

    /// The wall clock moved on to `ctx.now()`: emits what is due by real time (a barrier's
    /// idle timer). Only nodes that [tick](Operator::ticks) are called.
    fn tick(&mut self, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let _ = (ctx, out);
        Ok(())
    }

    /// Whether the node's output ends when its input does. A node that emits on the wall
    /// clock alone (stats) goes on until its task stops, so the nodes after it never see
    /// the end of their input, as in Kapacitor.
    fn ends_with_input(&self) -> bool {
        true
    }

    /// The input has ended: emits what the node still holds (join's incomplete sets).
    fn finish(&mut self, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let _ = (ctx, out);
        Ok(())
    }

    /// How many groups the node keeps state for (Kapacitor's `working_cardinality`).
    fn cardinality(&self) -> usize {
        0
    }

    /// The counters of its own that the node shows beside the common ones, by Kapacitor's
    /// names (an alert node's `alerts_triggered`, `crits_triggered`, …).
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}
