//! Lambda expressions evaluated on whole record batches with Arrow kernels.
//!
//! The planner lowers a lambda to a DataFusion expression; [`Lambda::compile`] turns that
//! once into a tree ready to run (regexes compiled, functions resolved to the
//! implementations of their scalar UDFs). It is evaluated once per batch: each reference is
//! a column, each literal a constant column, each operator one kernel call. DataFusion's own
//! physical expressions coerce types as SQL does; Kapacitor's rules differ, so they are
//! applied here: integers and floats mix only in comparisons, strings concatenate with `+`, `=~` matches a string
//! against a regex, `AND`/`OR` want booleans. A row where the expression fails (a missing
//! field, mismatched types) is null in the result: Kapacitor's error for that point.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, new_null_array,
};
use arrow::compute::cast;
use arrow::compute::kernels::{boolean, cmp, numeric};
use arrow::datatypes::{DataType, TimeUnit};
use condenser_planner::Diagnostic;
use condenser_planner::plan::functions;
use datafusion_common::ScalarValue;
use datafusion_expr::{BinaryExpr, Expr, Operator};

/// The state of the stateful lambda functions (`count()`, `sigma()`, `spread()`) of one
/// node: kept per call site and per group, as Kapacitor keeps one expression per group.
#[derive(Debug, Default)]
pub struct LambdaState {
    /// Per (call site, group): points seen, running mean, sum of squared deviations, min
    /// and max.
    running: HashMap<(usize, String), Running>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Running {
    n: i64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

/// What stateful functions need: the group of each row and the node's state.
#[derive(Debug)]
pub struct Stateful<'a> {
    /// The group id of each row.
    pub groups: Vec<String>,
    /// The node's state.
    pub state: &'a mut LambdaState,
}

impl LambdaState {
    /// Forgets the state of group `id` (a deleted group).
    pub fn forget(&mut self, id: &str) {
        self.running.retain(|(_, group), _| group != id);
    }
}

/// A lambda compiled once from its lowered DataFusion expression: columns are looked up by
/// name, literals are ready, regexes compiled, functions resolved.
#[derive(Debug, Clone)]
pub struct Lambda {
    root: Node,
    stateful: bool,
}

#[derive(Debug, Clone)]
enum Node {
    Column(String),
    Literal(ScalarValue),
    Not(Box<Node>),
    Negative(Box<Node>),
    Binary(Operator, Box<Node>, Box<Node>),
    /// `value =~ /regex/` (or `!~` when `negated`).
    Regex {
        value: Box<Node>,
        regex: regex::Regex,
        negated: bool,
    },
    /// A stateless function: the implementation of its scalar UDF.
    Call(String, Vec<Node>),
    /// A stateful function (`count`, `sigma`, `spread`); `site` tells its calls apart.
    Stateful {
        name: String,
        site: usize,
        args: Vec<Node>,
    },
}

impl Lambda {
    /// Compiles a lowered lambda (see [`condenser_planner::plan::lower_lambda`]).
    pub fn compile(expr: &Expr) -> Result<Lambda, String> {
        let mut sites = 0;
        let root = compile(expr, &mut sites)?;
        Ok(Lambda {
            root,
            stateful: sites > 0,
        })
    }

    /// Whether it calls a stateful function (`count()`, `sigma()`, `spread()`), which needs
    /// each row's group.
    pub fn is_stateful(&self) -> bool {
        self.stateful
    }

    /// Lowers and compiles a lambda of a script.
    pub fn from_script(expr: &condenser_planner::tick::ast::Expr) -> Result<Lambda, Diagnostic> {
        let lowered = condenser_planner::plan::lower_lambda(expr)?;
        Lambda::compile(&lowered).map_err(|e| Diagnostic::error(expr.span, e))
    }

    /// Evaluates the lambda on every row of `batch`; null where it fails. Stateful
    /// functions fail.
    pub fn evaluate(&self, batch: &RecordBatch) -> ArrayRef {
        evaluate_node(&self.root, batch, &mut None)
    }

    /// Evaluates the lambda on every row of `batch`, with the state stateful functions keep.
    pub fn evaluate_in(&self, batch: &RecordBatch, ctx: &mut Option<Stateful<'_>>) -> ArrayRef {
        evaluate_node(&self.root, batch, ctx)
    }

    /// `self AND other`.
    pub fn and(self, other: Lambda) -> Lambda {
        Lambda {
            root: Node::Binary(Operator::And, Box::new(self.root), Box::new(other.root)),
            stateful: self.stateful || other.stateful,
        }
    }
}

fn compile(expr: &Expr, sites: &mut usize) -> Result<Node, String> {
    Ok(match expr {
        Expr::Column(column) => Node::Column(column.name.clone()),
        Expr::Literal(value, _) => Node::Literal(value.clone()),
        Expr::Not(operand) => Node::Not(Box::new(compile(operand, sites)?)),
        Expr::Negative(operand) => Node::Negative(Box::new(compile(operand, sites)?)),
        Expr::Alias(alias) => compile(&alias.expr, sites)?,
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match (op, right.as_ref()) {
            (
                Operator::RegexMatch | Operator::RegexNotMatch,
                Expr::Literal(ScalarValue::Utf8(Some(pattern)), _),
            ) => Node::Regex {
                value: Box::new(compile(left, sites)?),
                regex: regex::Regex::new(pattern).map_err(|e| e.to_string())?,
                negated: *op == Operator::RegexNotMatch,
            },
            _ => Node::Binary(
                *op,
                Box::new(compile(left, sites)?),
                Box::new(compile(right, sites)?),
            ),
        },
        Expr::ScalarFunction(call) => {
            let name = call.name().to_owned();
            let args = call
                .args
                .iter()
                .map(|a| compile(a, sites))
                .collect::<Result<_, _>>()?;
            if functions::is_stateful(&name) {
                *sites += 1;
                Node::Stateful {
                    name,
                    site: *sites,
                    args,
                }
            } else {
                Node::Call(name, args)
            }
        }
        other => return Err(format!("a lambda cannot hold {other}")),
    })
}

fn evaluate_node(node: &Node, batch: &RecordBatch, ctx: &mut Option<Stateful<'_>>) -> ArrayRef {
    let rows = batch.num_rows();
    let failed = || new_null_array(&DataType::Null, rows);
    match node {
        Node::Literal(value) => value.to_array_of_size(rows).unwrap_or_else(|_| failed()),
        Node::Column(name) => reference(batch, name),
        Node::Not(operand) => {
            let value = evaluate_node(operand, batch, ctx);
            match value.data_type() {
                DataType::Boolean => {
                    Arc::new(boolean::not(value.as_boolean()).expect("not of a boolean array"))
                }
                _ => failed(),
            }
        }
        Node::Negative(operand) => {
            let value = evaluate_node(operand, batch, ctx);
            match value.data_type() {
                DataType::Int64 | DataType::Float64 | DataType::Duration(_) => {
                    numeric::neg_wrapping(&value).unwrap_or_else(|_| failed())
                }
                _ => failed(),
            }
        }
        Node::Regex {
            value,
            regex,
            negated,
        } => {
            let value = evaluate_node(value, batch, ctx);
            if value.data_type() != &DataType::Utf8 {
                return failed();
            }
            Arc::new(
                value
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.map(|v| regex.is_match(v) != *negated))
                    .collect::<BooleanArray>(),
            )
        }
        Node::Binary(op, left, right) => {
            let (l, r) = (
                evaluate_node(left, batch, ctx),
                evaluate_node(right, batch, ctx),
            );
            binary(*op, &l, &r).unwrap_or_else(failed)
        }
        Node::Call(name, args) => {
            let args: Vec<ArrayRef> = args.iter().map(|a| evaluate_node(a, batch, ctx)).collect();
            functions::invoke(name, &args, rows)
        }
        Node::Stateful { name, site, args } => {
            let args: Vec<ArrayRef> = args.iter().map(|a| evaluate_node(a, batch, ctx)).collect();
            stateful(name, *site, &args, rows, ctx)
        }
    }
}

/// The stateful functions, row by row in order: `count()` counts the group's points,
/// `spread(x)` is the running max − min, `sigma(x)` how many standard deviations `x` lies
/// from the running mean (0 until two values are seen). `None` for other functions.
fn stateful(
    name: &str,
    site: usize,
    args: &[ArrayRef],
    rows: usize,
    ctx: &mut Option<Stateful<'_>>,
) -> ArrayRef {
    let failed = || new_null_array(&DataType::Null, rows);
    let Some(ctx) = ctx else {
        return failed();
    };
    if name == "count" {
        if !args.is_empty() {
            return failed();
        }
        let counts: Int64Array = (0..rows)
            .map(|row| {
                let running = ctx
                    .state
                    .running
                    .entry((site, ctx.groups[row].clone()))
                    .or_default();
                running.n += 1;
                Some(running.n)
            })
            .collect();
        return Arc::new(counts);
    }
    let [arg] = args else {
        return failed();
    };
    if arg.data_type() != &DataType::Float64 || !matches!(name, "sigma" | "spread") {
        return failed();
    }
    let values = arg.as_primitive::<arrow::datatypes::Float64Type>();
    let out: Float64Array = (0..rows)
        .map(|row| {
            if values.is_null(row) {
                return None;
            }
            let x = values.value(row);
            let r = ctx
                .state
                .running
                .entry((site, ctx.groups[row].clone()))
                .or_default();
            if r.n == 0 {
                r.min = x;
                r.max = x;
            }
            r.n += 1;
            r.min = r.min.min(x);
            r.max = r.max.max(x);
            let delta = x - r.mean;
            r.mean += delta / r.n as f64;
            r.m2 += delta * (x - r.mean);
            Some(if name == "spread" {
                r.max - r.min
            } else if r.n < 2 || r.m2 == 0.0 {
                0.0
            } else {
                (x - r.mean).abs() / (r.m2 / (r.n - 1) as f64).sqrt()
            })
        })
        .collect();
    Arc::new(out)
}

/// The column a reference names: a field, a tag (as strings) or `time`; all null when the
/// batch has no such column.
fn reference(batch: &RecordBatch, name: &str) -> ArrayRef {
    match batch.column_by_name(name) {
        Some(column) => match column.data_type() {
            DataType::Dictionary(_, _) => {
                cast(column, &DataType::Utf8).expect("tags cast to strings")
            }
            _ => Arc::clone(column),
        },
        None => new_null_array(&DataType::Null, batch.num_rows()),
    }
}

fn binary(op: Operator, l: &ArrayRef, r: &ArrayRef) -> Option<ArrayRef> {
    use DataType::*;
    use Operator::*;
    let comparison = matches!(op, Eq | NotEq | Lt | Gt | LtEq | GtEq);
    let (lt, rt) = (l.data_type().clone(), r.data_type().clone());
    if comparison {
        let (l, r) = match (&lt, &rt) {
            (Int64, Float64) => (cast(l, &Float64).ok()?, Arc::clone(r)),
            (Float64, Int64) => (Arc::clone(l), cast(r, &Float64).ok()?),
            (a, b)
                if a == b
                    && matches!(
                        a,
                        Int64 | Float64 | Utf8 | Duration(_) | Boolean | Timestamp(_, _)
                    ) =>
            {
                (Arc::clone(l), Arc::clone(r))
            }
            _ => return None,
        };
        if lt == Boolean && !matches!(op, Eq | NotEq) {
            return None;
        }
        let result = match op {
            Eq => cmp::eq(&l, &r),
            NotEq => cmp::neq(&l, &r),
            Lt => cmp::lt(&l, &r),
            Gt => cmp::gt(&l, &r),
            LtEq => cmp::lt_eq(&l, &r),
            _ => cmp::gt_eq(&l, &r),
        };
        return result.ok().map(|a| Arc::new(a) as ArrayRef);
    }
    let result = match (op, &lt, &rt) {
        (And, Boolean, Boolean) => {
            boolean::and(l.as_boolean(), r.as_boolean()).map(|a| Arc::new(a) as ArrayRef)
        }
        (Or, Boolean, Boolean) => {
            boolean::or(l.as_boolean(), r.as_boolean()).map(|a| Arc::new(a) as ArrayRef)
        }
        (Plus | StringConcat, Utf8, Utf8) => {
            arrow::compute::kernels::concat_elements::concat_elements_utf8(
                l.as_string::<i32>(),
                r.as_string::<i32>(),
            )
            .map(|a| Arc::new(a) as ArrayRef)
        }
        (Plus | Minus | Multiply | Divide | Modulo, Int64, Int64) => match op {
            Plus => numeric::add_wrapping(l, r),
            Minus => numeric::sub_wrapping(l, r),
            Multiply => numeric::mul_wrapping(l, r),
            Divide => numeric::div(l, r),
            _ => numeric::rem(l, r),
        },
        (Plus | Minus | Multiply | Divide, Float64, Float64) => match op {
            Plus => numeric::add(l, r),
            Minus => numeric::sub(l, r),
            Multiply => numeric::mul(l, r),
            _ => numeric::div(l, r),
        },
        (Plus | Minus, Duration(TimeUnit::Nanosecond), Duration(TimeUnit::Nanosecond)) => {
            if op == Plus {
                numeric::add_wrapping(l, r)
            } else {
                numeric::sub_wrapping(l, r)
            }
        }
        _ => return None,
    };
    result.ok()
}

/// Whether each row of a predicate's result is true; null (an error) and false drop it.
/// Unless `quiet`, the points the predicate failed on are logged, as Kapacitor logs them.
pub fn predicate_mask(result: &ArrayRef, node: &str, quiet: bool) -> BooleanArray {
    log_failures(result.logical_null_count(), node, quiet);
    is_true(result)
}

/// Counts that an expression failed on `failed` points of `node` in its errors, and logs
/// it (unless `quiet`).
pub fn log_failures(failed: usize, node: &str, quiet: bool) {
    crate::statistics::record_errors(failed as u64);
    if failed > 0 && !quiet {
        tracing::error!(
            node,
            failed,
            "expression failed on points (missing field or mismatched types); they were dropped"
        );
    }
}

/// Whether each row of a predicate's result is true; null (an error) and false drop it.
pub fn is_true(result: &ArrayRef) -> BooleanArray {
    match result.data_type() {
        DataType::Boolean => result
            .as_boolean()
            .iter()
            .map(|v| Some(v == Some(true)))
            .collect(),
        _ => BooleanArray::from(vec![false; result.len()]),
    }
}
