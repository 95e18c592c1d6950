//! What each node of a running task has done, as Kapacitor's `show` reports it: points in
//! and out (per group too, for the `stats` node), errors, average execution time and working
//! cardinality, and the task as a DOT graph with those numbers.

use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::message::{GroupTable, Message};

/// What a node emitted, by group: kept for a node that a `stats()` node watches, and shared
/// with that node.
pub type EmittedByGroup = Arc<Mutex<GroupTable<u64>>>;

/// The statistics of one node.
#[derive(Debug, Clone, Default)]
pub struct NodeStatistics {
    /// Kapacitor's name of the node: its kind and index (`window2`).
    pub name: String,
    /// Points (or batches, on a batch edge) the node took in.
    pub collected: u64,
    /// Points (or batches) the node emitted; each child edge processed as many.
    pub emitted: u64,
    /// Points the node failed on.
    pub errors: u64,
    /// Time spent in the node, over all its calls.
    pub exec_time: Duration,
    /// How many times it was called.
    pub calls: u64,
    /// Groups the node keeps state for right now.
    pub working_cardinality: usize,
    /// The node's own counters, by Kapacitor's names (an alert node's `alerts_triggered`).
    pub counters: Vec<(&'static str, u64)>,
    /// Emitted points (or batches) by group, in the order the groups were first emitted;
    /// counted only for a node that a `stats` node watches (`None` otherwise).
    pub emitted_by_group: Option<EmittedByGroup>,
}

impl NodeStatistics {
    /// The mean time of one call (zero before the first).
    pub fn average_exec_time(&self) -> Duration {
        match self.calls {
            0 => Duration::ZERO,
            calls => self.exec_time / u32::try_from(calls).unwrap_or(u32::MAX),
        }
    }

    /// Counts what a call took in and emitted, and the errors it reported.
    pub(crate) fn record(
        &mut self,
        collected: u64,
        output: &[Message],
        took: Duration,
        errors: u64,
    ) {
        self.collected += collected;
        self.calls += 1;
        self.exec_time += took;
        self.errors += errors;
        self.record_emitted(output);
    }

    /// Counts emitted messages, in total and by group.
    pub(crate) fn record_emitted(&mut self, output: &[Message]) {
        for message in output {
            self.emitted += message.count();
        }
        if let Some(by_group) = &self.emitted_by_group {
            let mut by_group = by_group.lock().unwrap_or_else(PoisonError::into_inner);
            for message in output {
                message.for_each_group(|group, count| {
                    let index = by_group.index_or_insert_with(group, || 0);
                    if let Some(emitted) = by_group.get_mut(index) {
                        *emitted += count;
                    }
                });
            }
        }
    }
}

/// Go's `time.Duration` string, as Kapacitor prints `avg_exec_time_ns` (`0s`, `1.5µs`,
/// `2.25ms`).
pub fn go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    let (value, unit) = match nanos {
        0 => return "0s".to_owned(),
        n if n < 1_000 => return format!("{n}ns"),
        n if n < 1_000_000 => (n as f64 / 1e3, "µs"),
        n if n < 1_000_000_000 => (n as f64 / 1e6, "ms"),
        n => (n as f64 / 1e9, "s"),
    };
    let mut text = format!("{value:.9}");
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    format!("{text}{unit}")
}

/// The order Kapacitor walks a task's nodes in (its DOT graphs list them so): depth first
/// from each source (the last source first), children in the order they were made, each
/// node after its children; then reversed, so a node comes before its children and, among
/// siblings, the later made one first.
pub fn walk_order(children: &[Vec<usize>], sources: &[usize]) -> Vec<usize> {
    fn visit(node: usize, children: &[Vec<usize>], seen: &mut [bool], order: &mut Vec<usize>) {
        if std::mem::replace(&mut seen[node], true) {
            return;
        }
        for &child in &children[node] {
            visit(child, children, seen, order);
        }
        order.push(node);
    }
    let mut seen = vec![false; children.len()];
    let mut order = Vec::with_capacity(children.len());
    for &source in sources.iter().rev() {
        visit(source, children, &mut seen, &mut order);
    }
    order.reverse();
    order
}

/// A node as a DOT graph shows it: its statistics and its children.
#[derive(Debug, Clone)]
pub struct DotNode {
    /// The node's statistics (its name among them).
    pub stats: NodeStatistics,
    /// Its children, in the order they were made.
    pub children: Vec<usize>,
    /// Whether it is a batch task's source, which Kapacitor's graphs leave out.
    pub hidden: bool,
}

/// A task that does not run as Kapacitor's `show` prints its graph: the edges only, in
/// walk order, no trailing newline.
pub fn static_dot(task_name: &str, nodes: &[DotNode], order: &[usize]) -> String {
    let mut out = format!("digraph {task_name} {{\n");
    for &index in order {
        let node = &nodes[index];
        if node.hidden {
            continue;
        }
        for &child in &node.children {
            let _ = writeln!(out, "{} -> {};", node.stats.name, nodes[child].stats.name);
        }
    }
    out.push('}');
    out
}

/// A running task as Kapacitor's `show` prints its graph: its throughput (`points` or
/// `batches` a second), each node with its statistics in name order, each edge with what it
/// processed; nodes and edges in walk order, no trailing newline.
pub fn dot(
    task_name: &str,
    nodes: &[DotNode],
    order: &[usize],
    throughput: f64,
    unit: &str,
) -> String {
    let mut out =
        format!("digraph {task_name} {{\ngraph [throughput=\"{throughput:.2} {unit}/s\"];\n");
    let position: Vec<usize> = {
        let mut position = vec![0; nodes.len()];
        for (at, &index) in order.iter().enumerate() {
            position[index] = at;
        }
        position
    };
    for &index in order {
        let node = &nodes[index];
        if node.hidden {
            continue;
        }
        let stats = &node.stats;
        let mut values: Vec<(&str, String)> = vec![
            ("avg_exec_time_ns", go_duration(stats.average_exec_time())),
            ("errors", stats.errors.to_string()),
            ("working_cardinality", stats.working_cardinality.to_string()),
        ];
        values.extend(stats.counters.iter().map(|(k, v)| (*k, v.to_string())));
        values.sort_by(|a, b| a.0.cmp(b.0));
        let _ = write!(out, "\n{} [", stats.name);
        for (key, value) in values {
            let _ = write!(out, "{key}=\"{value}\" ");
        }
        out.push_str("];\n");
        // A running node's children are listed in the order the walk made them.
        let mut children = node.children.clone();
        children.sort_by_key(|&child| position[child]);
        for child in children {
            let _ = writeln!(
                out,
                "{} -> {} [processed=\"{}\"];",
                stats.name, nodes[child].stats.name, stats.emitted
            );
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_nanos(750)), "750ns");
        assert_eq!(go_duration(Duration::from_nanos(1_500)), "1.5µs");
        assert_eq!(go_duration(Duration::from_micros(2_250)), "2.25ms");
        assert_eq!(go_duration(Duration::from_secs(3)), "3s");
    }
}
