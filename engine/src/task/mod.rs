//! A running task: the operators of a plan, wired as its graph, and the runtime that moves
//! messages along its edges.
//!
//! [`Task::try_new`] builds the operators from the task's [`LogicalPlan`] alone
//! ([`build`]). [`Task::write_at`] takes writes in order and pushes what each operator emits
//! to its children, depth first, so every edge sees its messages in order; barriers and
//! delete-group messages go to the operators' signal methods. [`Task::tick`] lets the nodes
//! that act on the wall clock emit, [`Task::finish`] ends the input. Each call's wall-clock
//! time, and the errors an operator reports, travel in an explicit
//! [`Context`](crate::operators::Context); each node's statistics are kept here.

mod build;

use std::sync::Arc;
use std::time::Instant;

use condenser_model::WriteBatch;
use datafusion_expr::LogicalPlan;

use crate::alerts::AlertContext;
use crate::error::Result;
use crate::message::{Batch, Data, Group, Message};
use crate::operators::Context;
use crate::operators::from::FromSelection;
use crate::operators::http_out::HttpOutResult;
use crate::operators::influxdb_out::WriteBack;
use crate::statistics::NodeStatistics;
use build::Runner;

/// One node of a running task.
struct TaskNode {
    runner: Runner,
    parents: Vec<usize>,
    children: Vec<usize>,
    quiet: bool,
    stats: NodeStatistics,
    /// Whether it gives the points it emits their groups (`from()`, `groupBy()`).
    assigns_groups: bool,
}

/// The groups the grouping nodes emitted and when, to forget those idle for too long.
#[derive(Debug)]
struct GroupExpiry {
    /// How long a group may be idle, in nanoseconds.
    after: i64,
    /// By grouping node: each group it emitted, and when (wall clock) it last did.
    seen: std::collections::HashMap<usize, crate::message::FastMap<String, (Arc<Group>, i64)>>,
    /// When the groups are next looked over.
    next_sweep: i64,
    /// Groups forgotten so far.
    expired: u64,
}

impl GroupExpiry {
    /// Notes the groups of `message`, emitted by node `from` at `now`.
    fn saw(&mut self, from: usize, message: &Message, now: i64) {
        let seen = self.seen.entry(from).or_default();
        let mut note = |group: &Arc<Group>| match seen.get_mut(&group.id) {
            Some(entry) => entry.1 = now,
            None => {
                seen.insert(group.id.clone(), (Arc::clone(group), now));
            }
        };
        match message {
            Message::Points(points) => {
                let mut last: Option<&Arc<Group>> = None;
                for group in points.groups.iter() {
                    if last.is_none_or(|l| !Arc::ptr_eq(l, group)) {
                        note(group);
                        last = Some(group);
                    }
                }
            }
            Message::Batch(batch) => note(&batch.group),
            Message::Batches(batches) => batches.spans.iter().for_each(|s| note(&s.group)),
            Message::Barrier(_) => {}
            Message::DeleteGroup(group) => {
                seen.remove(&group.id);
            }
        }
    }

    /// The groups idle since before `now` less the expiry, by the node that emitted them;
    /// `None` when it is not yet time to look.
    fn due(&mut self, now: i64) -> Vec<(usize, Arc<Group>)> {
        if now < self.next_sweep {
            return Vec::new();
        }
        // Looking over every group costs; a tenth of the expiry (at most a second) apart
        // is soon enough.
        self.next_sweep = now + (self.after / 10).clamp(1, 1_000_000_000);
        let cutoff = now - self.after;
        let mut due = Vec::new();
        for (&node, seen) in &mut self.seen {
            seen.retain(|_, (group, last)| {
                let idle = *last < cutoff;
                if idle {
                    due.push((node, Arc::clone(group)));
                }
                !idle
            });
        }
        due.sort_by_key(|(node, _)| *node);
        self.expired += due.len() as u64;
        due
    }
}

/// The writes a task takes: those some `from()` of it selects, or every one when a node is
/// chained on the stream itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Whether the task takes every write.
    pub every: bool,
    /// What each `from()` selects.
    pub froms: Vec<FromSelection>,
}

impl Selection {
    /// Whether points written to `db`, `rp` and `measurement` are taken.
    pub fn selects(&self, db: &str, rp: &str, measurement: &str) -> bool {
        self.every || self.froms.iter().any(|f| f.selects(db, rp, measurement))
    }
}

/// Who a task is and what its alert nodes share with the engine: given when it is built.
#[derive(Debug, Clone)]
pub struct TaskEnv {
    /// The task's id (`.TaskName` in alert templates, the prefix of its alert topics).
    pub name: String,
    /// Where its alert events go, who the server is, and the engine's inhibitors.
    pub alerts: AlertContext,
    /// Forget a group that no `from()` or `groupBy()` emitted for this long (wall clock):
    /// every node below forgets its state, so a task's memory follows its live groups
    /// (kapacitor#1157). `None`: groups are kept, as in Kapacitor.
    pub group_expiry: Option<std::time::Duration>,
}

impl Default for TaskEnv {
    fn default() -> Self {
        Self {
            name: "task".to_owned(),
            alerts: AlertContext::default(),
            group_expiry: None,
        }
    }
}

/// A task, ready to take writes.
pub struct Task {
    nodes: Vec<TaskNode>,
    http_outs: Vec<(String, HttpOutResult)>,
    write_back: WriteBack,
    /// The measurement of each `from()` node (`None` for every measurement).
    from_measurements: Vec<Option<String>>,
    /// The handlers of each alert node's own topic.
    alert_handlers: Vec<(String, Vec<condenser_model::handler::HandlerSpec>)>,
    /// The expiry of idle groups, when the task has one.
    expiry: Option<GroupExpiry>,
    /// A batch task's query nodes, in the order Kapacitor hands them their batches.
    queries: Vec<(usize, condenser_planner::nodes::QuerySpec)>,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Task {
    /// Builds the operators of `plan`, a task's plan from
    /// [`condenser_planner::plan::lower`], as task `task` whose alerts go nowhere.
    pub fn try_new(plan: &LogicalPlan) -> Result<Task> {
        Self::build(plan, &TaskEnv::default())
    }

    /// Builds the operators of `plan` as the task `env` names, its alerts going where
    /// `env` says.
    pub fn build(plan: &LogicalPlan, env: &TaskEnv) -> Result<Task> {
        let built = build::build(plan, env)?;
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); built.nodes.len()];
        for (id, node) in built.nodes.iter().enumerate() {
            for &parent in &node.parents {
                if let Some(list) = children.get_mut(parent)
                    && !list.contains(&id)
                {
                    list.push(id);
                }
            }
        }
        let nodes: Vec<TaskNode> = built
            .nodes
            .into_iter()
            .zip(children)
            .map(|(node, children)| TaskNode {
                assigns_groups: match &node.runner {
                    Runner::From(_) => true,
                    Runner::Operator(operator) => operator.assigns_groups(),
                    Runner::Source => false,
                },
                runner: node.runner,
                parents: node.parents,
                children,
                quiet: node.quiet,
                stats: NodeStatistics {
                    name: node.name,
                    emitted_by_group: node.emitted_by_group,
                    ..NodeStatistics::default()
                },
            })
            .collect();
        // Kapacitor hands a batch task's queries their batches in its walk order.
        let walk = {
            let children: Vec<Vec<usize>> = nodes.iter().map(|n| n.children.clone()).collect();
            crate::statistics::walk_order(&children, &[0])
        };
        let mut queries = built.queries;
        queries.sort_by_key(|(id, _)| walk.iter().position(|w| w == id));
        Ok(Task {
            nodes,
            http_outs: built.http_outs,
            write_back: built.write_back,
            from_measurements: built.from_measurements,
            alert_handlers: built.alert_handlers,
            queries,
            expiry: env.group_expiry.map(|after| GroupExpiry {
                after: i64::try_from(after.as_nanos()).unwrap_or(i64::MAX).max(1),
                seen: std::collections::HashMap::new(),
                next_sweep: 0,
                expired: 0,
            }),
        })
    }

    /// A batch task's query nodes and their specs, in the order Kapacitor hands them their
    /// batches (its pipeline walk order): the i-th recording of a batch replay feeds the
    /// i-th, and a scheduler runs each one's query for it.
    pub fn queries(&self) -> &[(usize, condenser_planner::nodes::QuerySpec)] {
        &self.queries
    }

    /// Hands `batch`, a result of the query node `query` (an index of [`Task::queries`]),
    /// to that node, with the wall clock reading `now`.
    /// Whether the task has that query.
    pub fn take_batch(&mut self, query: usize, batch: Batch, now: i64) -> bool {
        let Some(&(node, _)) = self.queries.get(query) else {
            return false;
        };
        let source = &mut self.nodes[0].stats;
        source.collected += 1;
        source.emitted += 1;
        self.deliver_to(0, node, Message::Batch(batch), now);
        true
    }

    /// The handlers of each of the task's alert nodes, by the node's own topic
    /// (`<task>:<node>`), for the handler service to subscribe to that topic.
    pub fn alert_handlers(&self) -> &[(String, Vec<condenser_model::handler::HandlerSpec>)] {
        &self.alert_handlers
    }

    /// Whether some `from()` of the task takes points written to `db`, `rp` and
    /// `measurement`.
    pub fn selects(&self, db: &str, rp: &str, measurement: &str) -> bool {
        self.selection().selects(db, rp, measurement)
    }

    /// The writes the task takes, apart from the task: for a router that must decide
    /// without it.
    pub fn selection(&self) -> Selection {
        let mut selection = Selection::default();
        for &child in &self.nodes[0].children {
            match &self.nodes[child].runner {
                Runner::From(from) => selection.froms.push(from.selection()),
                // A batch task's queries take no writes.
                Runner::Operator(_) if self.queries.iter().any(|(q, _)| *q == child) => {}
                // A node chained on the stream itself takes everything.
                Runner::Operator(_) => selection.every = true,
                Runner::Source => {}
            }
        }
        selection
    }

    /// Processes one write, in order after the previous ones, at the system's wall-clock
    /// time.
    pub fn write(&mut self, write: &WriteBatch) {
        self.write_at(write, crate::clock::system_now());
    }

    /// Processes one write with the wall clock reading `now` (nanoseconds since the epoch).
    ///
    /// As in Kapacitor, a task with a `from()` of the write's measurement and a `from()` of
    /// every measurement takes each point twice: Kapacitor's task master hands a point to a
    /// task once for its measurement and once more for "every measurement", and each copy
    /// reaches every `from()` of the task.
    pub fn write_at(&mut self, write: &WriteBatch, now: i64) {
        let copies = self.copies(&write.measurement);
        if (self.nodes[0].children.len() > 1 || copies > 1) && write.batch.num_rows() > 1 {
            // Several from() branches may meet again (union, join): hand each point to
            // every branch before the next point, so that they see the data's order.
            for row in 0..write.batch.num_rows() {
                let point = WriteBatch {
                    batch: write.batch.slice(row, 1),
                    ..write.clone()
                };
                self.write_at(&point, now);
            }
            return;
        }
        for _ in 0..copies {
            self.take(write, now);
        }
    }

    /// How many times the task takes a point of `measurement`: once for a `from()` of that
    /// measurement, once more for a `from()` of every measurement.
    fn copies(&self, measurement: &str) -> usize {
        let named = self
            .from_measurements
            .iter()
            .any(|m| m.as_deref() == Some(measurement));
        let every = self.from_measurements.iter().any(Option::is_none);
        (usize::from(named) + usize::from(every)).max(1)
    }

    /// Hands one write to the source's children.
    fn take(&mut self, write: &WriteBatch, now: i64) {
        let children = self.nodes[0].children.clone();
        let points = write.num_points() as u64;
        let source = &mut self.nodes[0].stats;
        source.collected += points;
        source.emitted += points;
        for child in children {
            let mut out = Vec::new();
            let started = Instant::now();
            let node = &mut self.nodes[child];
            let mut ctx = Context::new(now, &node.stats.name, node.quiet);
            let result = match &mut node.runner {
                Runner::From(from) => from.ingest(write, &mut ctx, &mut out),
                // A node chained on the stream itself takes every point, ungrouped.
                Runner::Operator(operator) => operator.process(
                    0,
                    Data::Points(crate::message::Points {
                        name: Arc::clone(&write.measurement),
                        data: write.batch.clone(),
                        groups: vec![crate::message::Group::none(); write.batch.num_rows()].into(),
                    }),
                    &mut ctx,
                    &mut out,
                ),
                Runner::Source => Ok(()),
            };
            report(result, &mut ctx);
            let errors = ctx.errors();
            node.stats.record(points, &out, started.elapsed(), errors);
            for message in out {
                self.deliver(child, message, now);
            }
        }
    }

    /// Lets the nodes that act on the wall clock (barrier, stats) emit what is due at `now`
    /// (nanoseconds since the epoch); whoever runs the task calls it as time goes by.
    pub fn tick(&mut self, now: i64) {
        self.expire(now);
        for id in 0..self.nodes.len() {
            let node = &mut self.nodes[id];
            let Runner::Operator(operator) = &mut node.runner else {
                continue;
            };
            if !operator.ticks() {
                continue;
            }
            let mut out = Vec::new();
            let started = Instant::now();
            let mut ctx = Context::new(now, &node.stats.name, node.quiet);
            report(operator.tick(&mut ctx, &mut out), &mut ctx);
            let errors = ctx.errors();
            node.stats.exec_time += started.elapsed();
            node.stats.errors += errors;
            node.stats.record_emitted(&out);
            for message in out {
                self.deliver(id, message, now);
            }
        }
    }

    /// Forgets the groups idle past the task's expiry: the node that emitted each forgets
    /// it, and its delete goes down to every node below.
    fn expire(&mut self, now: i64) {
        let Some(expiry) = &mut self.expiry else {
            return;
        };
        for (node, group) in expiry.due(now) {
            let operator: &mut dyn crate::operators::Operator = match &mut self.nodes[node].runner {
                Runner::Operator(operator) => operator.as_mut(),
                Runner::From(from) => from.as_mut(),
                Runner::Source => continue,
            };
            operator.forget_group(&group);
            self.deliver(node, Message::DeleteGroup(group), now);
        }
    }

    /// Groups the task forgot because they were idle past its expiry.
    pub fn expired_groups(&self) -> u64 {
        self.expiry.as_ref().map_or(0, |e| e.expired)
    }

    /// Tells every node whose parents' output ended that its input has ended, parents
    /// before children, delivering what each still emits.
    pub fn finish(&mut self) {
        let now = crate::clock::system_now();
        let batch = self.is_batch();
        let mut ended = vec![false; self.nodes.len()];
        for id in 0..self.nodes.len() {
            let node = &mut self.nodes[id];
            let input_ended = node.parents.iter().all(|&p| ended[p]);
            let Runner::Operator(operator) = &mut node.runner else {
                ended[id] = input_ended;
                continue;
            };
            if !input_ended {
                continue;
            }
            // A batch task's replay stops every node at its end (a stream task's leaves a
            // wall-clock node such as stats() running, so nodes after it never see an end),
            // as Kapacitor's replays do.
            ended[id] = operator.ends_with_input() || batch;
            let mut out = Vec::new();
            let mut ctx = Context::new(now, &node.stats.name, node.quiet);
            report(operator.finish(&mut ctx, &mut out), &mut ctx);
            node.stats.errors += ctx.errors();
            node.stats.record_emitted(&out);
            for message in out {
                self.deliver(id, message, now);
            }
        }
    }

    /// Hands `message`, emitted by node `from`, to each of its children.
    fn deliver(&mut self, from: usize, message: Message, now: i64) {
        if self.nodes[from].assigns_groups
            && let Some(expiry) = &mut self.expiry
        {
            expiry.saw(from, &message, now);
        }
        let children = self.nodes[from].children.clone();
        let mut message = Some(message);
        for (i, &child) in children.iter().enumerate() {
            // The last child takes the message itself; the others a copy.
            let input = if i + 1 == children.len() {
                message.take()
            } else {
                message.clone()
            };
            let Some(input) = input else { break };
            self.deliver_to(from, child, input, now);
        }
    }

    /// Hands `input`, emitted by node `from`, to its child `child`, and what that emits on.
    fn deliver_to(&mut self, from: usize, child: usize, input: Message, now: i64) {
        let count = input.count();
        let node = &mut self.nodes[child];
        let parent = node.parents.iter().position(|p| *p == from).unwrap_or(0);
        let operator: &mut dyn crate::operators::Operator = match &mut node.runner {
            Runner::Operator(operator) => operator.as_mut(),
            Runner::From(from) => from.as_mut(),
            Runner::Source => return,
        };
        let mut out = Vec::new();
        let started = Instant::now();
        let mut ctx = Context::new(now, &node.stats.name, node.quiet);
        let result = match input {
            Message::Points(points) => {
                operator.process(parent, Data::Points(points), &mut ctx, &mut out)
            }
            Message::Batch(batch) => {
                operator.process(parent, Data::Batch(batch), &mut ctx, &mut out)
            }
            Message::Batches(batches) if operator.takes_batches() => {
                operator.process(parent, Data::Batches(batches), &mut ctx, &mut out)
            }
            Message::Batches(batches) => batches.split().and_then(|split| {
                split.into_iter().try_for_each(|batch| {
                    operator.process(parent, Data::Batch(batch), &mut ctx, &mut out)
                })
            }),
            Message::Barrier(barrier) => operator.barrier(parent, barrier, &mut ctx, &mut out),
            Message::DeleteGroup(group) => operator.delete_group(parent, group, &mut ctx, &mut out),
        };
        report(result, &mut ctx);
        let errors = ctx.errors();
        node.stats.record(count, &out, started.elapsed(), errors);
        for emitted in out {
            self.deliver(child, emitted, now);
        }
    }

    /// The statistics of every node, in pipeline order.
    pub fn statistics(&self) -> Vec<NodeStatistics> {
        self.nodes
            .iter()
            .map(|node| {
                let (working_cardinality, counters) = match &node.runner {
                    Runner::Operator(operator) => (operator.cardinality(), operator.counters()),
                    Runner::Source | Runner::From(_) => (0, Vec::new()),
                };
                NodeStatistics {
                    working_cardinality,
                    counters,
                    ..node.stats.clone()
                }
            })
            .collect()
    }

    /// Whether the task is a batch task (its source is `batch`).
    pub fn is_batch(&self) -> bool {
        self.nodes
            .first()
            .is_some_and(|node| node.stats.name.starts_with("batch"))
    }

    /// The nodes as DOT graphs show them, and the order Kapacitor walks them in.
    fn dot_nodes(&self) -> (Vec<crate::statistics::DotNode>, Vec<usize>) {
        let batch = self.is_batch();
        let nodes: Vec<crate::statistics::DotNode> = self
            .statistics()
            .into_iter()
            .zip(&self.nodes)
            .enumerate()
            .map(|(index, (stats, node))| crate::statistics::DotNode {
                stats,
                children: node.children.clone(),
                hidden: batch && index == 0,
            })
            .collect();
        let children: Vec<Vec<usize>> = self.nodes.iter().map(|n| n.children.clone()).collect();
        let sources: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].parents.is_empty())
            .collect();
        let order = crate::statistics::walk_order(&children, &sources);
        (nodes, order)
    }

    /// The task as Kapacitor's `show` prints a running task: a DOT graph of its nodes with
    /// their statistics and its edges with what they processed, under its `throughput`
    /// (points, or batches, a second).
    pub fn dot(&self, task_name: &str, throughput: f64) -> String {
        let (nodes, order) = self.dot_nodes();
        let unit = if self.is_batch() { "batches" } else { "points" };
        crate::statistics::dot(task_name, &nodes, &order, throughput, unit)
    }

    /// The task as Kapacitor's `show` prints one that does not run: its edges only.
    pub fn static_dot(&self, task_name: &str) -> String {
        let (nodes, order) = self.dot_nodes();
        crate::statistics::static_dot(task_name, &nodes, &order)
    }

    /// What the task's source took in so far (its throughput is measured on it).
    pub fn source_collected(&self) -> u64 {
        self.nodes.first().map_or(0, |node| node.stats.emitted)
    }

    /// One line per node: its name and its operator (`window2: Window: window()…`).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let operator = match &node.runner {
                Runner::Source => "source".to_owned(),
                Runner::From(from) => from.to_string(),
                Runner::Operator(operator) => operator.to_string(),
            };
            out.push_str(&format!("{}: {operator}\n", node.stats.name));
        }
        out
    }

    /// Takes the writes the task's influxDBOut nodes made since the last call, for the
    /// local ingest path.
    pub fn take_writes(&self) -> Vec<crate::operators::influxdb_out::Written> {
        self.write_back.take()
    }

    /// Whether the task acts on the wall clock, so that whoever runs it must tick it.
    pub fn ticks(&self) -> bool {
        self.expiry.is_some()
            || self.nodes.iter().any(|node| match &node.runner {
                Runner::Operator(operator) => operator.ticks(),
                _ => false,
            })
    }

    /// The result of the httpOut node named `name`.
    pub fn http_out(&self, name: &str) -> Option<&HttpOutResult> {
        self.http_outs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
    }

    /// The names of the task's httpOut nodes, in script order.
    pub fn http_out_names(&self) -> Vec<&str> {
        self.http_outs.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// An operator's error: counted among the node's errors and logged; the task goes on.
fn report(result: Result<()>, ctx: &mut Context<'_>) {
    if let Err(error) = result {
        ctx.fail(&error);
    }
}

#[cfg(test)]
mod tests;
