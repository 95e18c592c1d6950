//! Lambda expressions evaluated on whole record batches with Arrow kernels.
//!
//! A lambda is evaluated once per batch: each reference is a column, each literal a
//! constant column, each operator one kernel call. Kapacitor's type rules apply: integers
//! and floats mix only in comparisons, strings concatenate with `+`, `=~` matches a string
//! against a regex, `AND`/`OR` want booleans. A row where the expression fails (a missing
//! field, mismatched types) is null in the result: Kapacitor's error for that point.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DurationNanosecondArray, Float64Array, Int64Array,
    RecordBatch, StringArray, new_null_array,
};
use arrow::compute::kernels::{boolean, cmp, numeric};
use arrow::compute::{cast, regexp_is_match_scalar};
use arrow::datatypes::{DataType, TimeUnit};
use condenser_planner::tick::ast::{Expr, ExprKind, Number};
use condenser_planner::tick::token::Operator;

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

/// Evaluates `expr` on every row of `batch`; null where it fails. Stateful functions fail.
pub fn evaluate(expr: &Expr, batch: &RecordBatch) -> ArrayRef {
    evaluate_in(expr, batch, &mut None)
}

/// Evaluates `expr` on every row of `batch`, with the state stateful functions keep.
pub fn evaluate_in(expr: &Expr, batch: &RecordBatch, ctx: &mut Option<Stateful<'_>>) -> ArrayRef {
    let rows = batch.num_rows();
    match &expr.kind {
        ExprKind::Number(Number::Int { value, .. }) => {
            Arc::new(Int64Array::from(vec![*value; rows]))
        }
        ExprKind::Number(Number::Float(value)) => Arc::new(Float64Array::from(vec![*value; rows])),
        ExprKind::Bool(value) => Arc::new(BooleanArray::from(vec![*value; rows])),
        ExprKind::String { value, .. } => Arc::new(StringArray::from(vec![value.as_str(); rows])),
        ExprKind::Duration { nanos, .. } => {
            Arc::new(DurationNanosecondArray::from(vec![*nanos; rows]))
        }
        ExprKind::Reference(name) => reference(batch, name),
        ExprKind::Unary { op, operand } => {
            let value = evaluate_in(operand, batch, ctx);
            let result = match (op, value.data_type()) {
                (Operator::Not, DataType::Boolean) => {
                    boolean::not(value.as_boolean()).map(|a| Arc::new(a) as ArrayRef)
                }
                (Operator::Minus, DataType::Int64 | DataType::Float64 | DataType::Duration(_)) => {
                    numeric::neg_wrapping(&value)
                }
                _ => return new_null_array(&DataType::Null, rows),
            };
            result.unwrap_or_else(|_| new_null_array(&DataType::Null, rows))
        }
        ExprKind::Binary {
            op, left, right, ..
        } => {
            if let (
                Operator::RegexEqual | Operator::RegexNotEqual,
                ExprKind::Regex { pattern, .. },
            ) = (op, &right.kind)
            {
                let value = evaluate_in(left, batch, ctx);
                if value.data_type() != &DataType::Utf8 {
                    return new_null_array(&DataType::Null, rows);
                }
                return match regexp_is_match_scalar(value.as_string::<i32>(), pattern, None) {
                    Ok(matched) if *op == Operator::RegexEqual => Arc::new(matched),
                    Ok(matched) => {
                        Arc::new(boolean::not(&matched).expect("not of a boolean array"))
                    }
                    Err(_) => new_null_array(&DataType::Null, rows),
                };
            }
            let (l, r) = (
                evaluate_in(left, batch, ctx),
                evaluate_in(right, batch, ctx),
            );
            binary(*op, &l, &r).unwrap_or_else(|| new_null_array(&DataType::Null, rows))
        }
        ExprKind::Call { name, args, .. } => {
            let args: Vec<ArrayRef> = args.iter().map(|a| evaluate_in(a, batch, ctx)).collect();
            if let Some(result) = stateful(&name.name, name.span.start, &args, rows, ctx) {
                return result;
            }
            call(&name.name, &args, rows).unwrap_or_else(|| new_null_array(&DataType::Null, rows))
        }
        _ => new_null_array(&DataType::Null, rows),
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
) -> Option<ArrayRef> {
    if !matches!(name, "count" | "spread" | "sigma") {
        return None;
    }
    let Some(ctx) = ctx else {
        return Some(new_null_array(&DataType::Null, rows));
    };
    if name == "count" {
        if !args.is_empty() {
            return Some(new_null_array(&DataType::Null, rows));
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
        return Some(Arc::new(counts));
    }
    let [arg] = args else {
        return Some(new_null_array(&DataType::Null, rows));
    };
    if arg.data_type() != &DataType::Float64 {
        return Some(new_null_array(&DataType::Null, rows));
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
    Some(Arc::new(out))
}

/// Calls a lambda function on whole columns; `None` when the function or its argument
/// types are not supported (every row fails).
fn call(name: &str, args: &[ArrayRef], rows: usize) -> Option<ArrayRef> {
    use arrow::compute::kernels::temporal::{DatePart, date_part};
    let one = || match args {
        [arg] => Some(arg),
        _ => None,
    };
    let float_math = |f: fn(f64) -> f64| -> Option<ArrayRef> {
        let arg = one()?;
        (arg.data_type() == &DataType::Float64).then(|| {
            Arc::new(
                arg.as_primitive::<arrow::datatypes::Float64Type>()
                    .unary::<_, arrow::datatypes::Float64Type>(f),
            ) as ArrayRef
        })
    };
    Some(match name {
        "isPresent" => Arc::new(arrow::compute::is_not_null(one()?).ok()?),
        // The wall clock, as Kapacitor reads it (not the replay clock).
        "now" if args.is_empty() => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64);
            Arc::new(
                arrow::array::TimestampNanosecondArray::from(vec![now; rows]).with_timezone("UTC"),
            )
        }
        "string" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Utf8 => Arc::clone(arg),
                DataType::Float64 => Arc::new(
                    arg.as_primitive::<arrow::datatypes::Float64Type>()
                        .iter()
                        .map(|v| v.map(|v| v.to_string()))
                        .collect::<StringArray>(),
                ),
                DataType::Int64 | DataType::Boolean => cast(arg, &DataType::Utf8).ok()?,
                _ => return None,
            }
        }
        "int" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Int64 => Arc::clone(arg),
                DataType::Float64 => Arc::new(
                    arg.as_primitive::<arrow::datatypes::Float64Type>()
                        .unary::<_, arrow::datatypes::Int64Type>(|v| v as i64),
                ),
                DataType::Boolean => cast(arg, &DataType::Int64).ok()?,
                DataType::Utf8 => cast(arg, &DataType::Int64).ok()?,
                _ => return None,
            }
        }
        "float" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Float64 => Arc::clone(arg),
                DataType::Int64 | DataType::Boolean | DataType::Utf8 => {
                    cast(arg, &DataType::Float64).ok()?
                }
                _ => return None,
            }
        }
        "bool" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Boolean => Arc::clone(arg),
                DataType::Int64 | DataType::Float64 => {
                    let zero = cast(&Int64Array::from(vec![0]), arg.data_type()).ok()?;
                    Arc::new(cmp::neq(arg, &arrow::array::Scalar::new(zero)).ok()?)
                }
                _ => return None,
            }
        }
        "abs" => float_math(f64::abs)?,
        "floor" => float_math(f64::floor)?,
        "ceil" => float_math(f64::ceil)?,
        "sqrt" => float_math(f64::sqrt)?,
        "log" => float_math(f64::ln)?,
        "log10" => float_math(f64::log10)?,
        "exp" => float_math(f64::exp)?,
        "minute" | "hour" | "day" | "weekday" | "month" | "year" => {
            let arg = one()?;
            if !matches!(arg.data_type(), DataType::Timestamp(_, _)) {
                return None;
            }
            let part = match name {
                "minute" => DatePart::Minute,
                "hour" => DatePart::Hour,
                "day" => DatePart::Day,
                "weekday" => DatePart::DayOfWeekSunday0,
                "month" => DatePart::Month,
                _ => DatePart::Year,
            };
            // Times are read in UTC (Kapacitor reads them in the server's zone; run it
            // with TZ=UTC to compare).
            let utc = cast(arg, &DataType::Timestamp(TimeUnit::Nanosecond, None)).ok()?;
            cast(&date_part(&utc, part).ok()?, &DataType::Int64).ok()?
        }
        "unixNano" => {
            let arg = one()?;
            if !matches!(arg.data_type(), DataType::Timestamp(_, _)) {
                return None;
            }
            cast(arg, &DataType::Int64).ok()?
        }
        "strLength" => {
            let arg = one()?;
            (arg.data_type() == &DataType::Utf8).then(|| {
                Arc::new(
                    arg.as_string::<i32>()
                        .iter()
                        .map(|v| v.map(|v| v.len() as i64))
                        .collect::<Int64Array>(),
                ) as ArrayRef
            })?
        }
        "strToLower" | "strToUpper" | "strTrimSpace" => {
            let arg = one()?;
            let f: fn(&str) -> String = match name {
                "strToLower" => str::to_lowercase,
                "strToUpper" => str::to_uppercase,
                _ => |s| s.trim().to_owned(),
            };
            (arg.data_type() == &DataType::Utf8).then(|| {
                Arc::new(
                    arg.as_string::<i32>()
                        .iter()
                        .map(|v| v.map(f))
                        .collect::<StringArray>(),
                ) as ArrayRef
            })?
        }
        "strContains" | "strHasPrefix" | "strHasSuffix" => {
            let [a, b] = args else { return None };
            if a.data_type() != &DataType::Utf8 || b.data_type() != &DataType::Utf8 {
                return None;
            }
            let f: fn(&str, &str) -> bool = match name {
                "strContains" => |a, b| a.contains(b),
                "strHasPrefix" => |a, b| a.starts_with(b),
                _ => |a, b| a.ends_with(b),
            };
            let (a, b) = (a.as_string::<i32>(), b.as_string::<i32>());
            Arc::new(
                (0..rows)
                    .map(|i| (a.is_valid(i) && b.is_valid(i)).then(|| f(a.value(i), b.value(i))))
                    .collect::<BooleanArray>(),
            )
        }
        _ => return None,
    })
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
    let comparison = matches!(
        op,
        Equal | NotEqual | Less | Greater | LessEqual | GreaterEqual
    );
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
        if lt == Boolean && !matches!(op, Equal | NotEqual) {
            return None;
        }
        let result = match op {
            Equal => cmp::eq(&l, &r),
            NotEqual => cmp::neq(&l, &r),
            Less => cmp::lt(&l, &r),
            Greater => cmp::gt(&l, &r),
            LessEqual => cmp::lt_eq(&l, &r),
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
        (Plus, Utf8, Utf8) => arrow::compute::kernels::concat_elements::concat_elements_utf8(
            l.as_string::<i32>(),
            r.as_string::<i32>(),
        )
        .map(|a| Arc::new(a) as ArrayRef),
        (Plus | Minus | Mult | Div | Mod, Int64, Int64) => match op {
            Plus => numeric::add_wrapping(l, r),
            Minus => numeric::sub_wrapping(l, r),
            Mult => numeric::mul_wrapping(l, r),
            Div => numeric::div(l, r),
            _ => numeric::rem(l, r),
        },
        (Plus | Minus | Mult | Div, Float64, Float64) => match op {
            Plus => numeric::add(l, r),
            Minus => numeric::sub(l, r),
            Mult => numeric::mul(l, r),
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

/// Logs that an expression failed on `failed` points of `node` (unless `quiet`).
pub fn log_failures(failed: usize, node: &str, quiet: bool) {
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
