//! The InfluxQL subset batch `query()` nodes run: one `SELECT` of fields, expressions over
//! them, or aggregates and selectors (`mean`, `sum`, `count`, `min`, `max`, `first`, `last`,
//! `median`, `percentile`, `spread`, `stddev`, `distinct`, `mode`, `top`, `bottom`), from
//! fully qualified or bare measurements (or a regex of them), `WHERE` on tags, fields and
//! time (regexes included), `GROUP BY` `time(…)`, tags, regexes and `*`, and `fill()`.
//!
//! [`parse`] reads and checks a query at definition: what the subset does not run is an
//! error naming it, with the place in the query.

pub mod ast;
mod lexer;
mod lower;
mod parser;
pub mod plan;

use std::fmt;

pub use ast::{
    BinaryOp, Dimension, Expr, Fill, Measurement, MeasurementName, ReferenceKind, Select,
    SelectField,
};
pub use lower::{TimeBound, TimeValue};

/// What is wrong with a query, and where (a byte offset into it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// Where in the query.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl QueryError {
    fn new(offset: usize, message: String) -> Self {
        Self { offset, message }
    }
}

impl From<(usize, String)> for QueryError {
    fn from((offset, message): (usize, String)) -> Self {
        Self { offset, message }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at char {}", self.message, self.offset + 1)
    }
}

/// The aggregates: one value per group and time bucket, at the bucket's time.
pub const AGGREGATES: &[&str] = &[
    "count", "distinct", "mean", "median", "mode", "spread", "stddev", "sum",
];

/// The selectors: points picked from each group and bucket, at their own time when the
/// query is not grouped by time.
pub const SELECTORS: &[&str] = &["bottom", "first", "last", "max", "min", "percentile", "top"];

/// A checked query, its `WHERE` lowered.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Its syntax tree.
    pub select: Select,
    /// The time bounds its `WHERE` sets (ANDed with the range each run queries).
    pub time_bounds: Vec<TimeBound>,
    /// The rest of its `WHERE`, as a lambda over the points' fields and tags.
    pub condition: Option<crate::nodes::Lambda>,
}

impl Query {
    /// Whether it aggregates (or selects) rather than reading raw points.
    pub fn aggregates(&self) -> bool {
        self.select
            .fields
            .iter()
            .any(|f| !f.expr.calls().is_empty())
    }

    /// Its `time(…)` dimension: interval and offset, in nanoseconds.
    pub fn time_dimension(&self) -> Option<(i64, i64)> {
        self.select.dimensions.iter().find_map(|d| match d {
            Dimension::Time { interval, offset } => Some((*interval, *offset)),
            _ => None,
        })
    }
}

/// Parses and checks `text`: one `SELECT` of the subset.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let select = parser::parse(text)?;
    check(&select)?;
    let (time_bounds, condition) = match &select.condition {
        Some(condition) => lower::split(condition)?,
        None => (Vec::new(), None),
    };
    Ok(Query {
        select,
        time_bounds,
        condition,
    })
}

/// The subset's rules, InfluxDB's where it has one.
fn check(select: &Select) -> Result<(), QueryError> {
    let error = |message: String| QueryError::new(0, message);
    let mut aggregated = 0;
    let mut raw = 0;
    for field in &select.fields {
        let calls = field.expr.calls();
        if calls.is_empty() {
            raw += 1;
        } else {
            aggregated += 1;
        }
        let mut nested = false;
        field.expr.walk(&mut |e| {
            if let Expr::Call { args, .. } = e {
                nested |= args.iter().any(|a| !a.calls().is_empty());
            }
        });
        if nested {
            return Err(error(format!(
                "a function of a function ({}) is not supported by Condenser yet",
                field.expr
            )));
        }
        for (name, args) in &calls {
            check_call(name, args)?;
        }
    }
    for field in &select.fields {
        if let Some((name, _)) = field.expr.calls().first()
            && matches!(*name, "top" | "bottom" | "distinct")
            && select.fields.len() > 1
        {
            return Err(error(format!(
                "{name}() cannot be combined with other functions or fields"
            )));
        }
        if !field.expr.calls().is_empty() && !matches!(field.expr, Expr::Call { .. }) {
            return Err(error(format!(
                "an expression over functions ({}) is not supported by Condenser yet",
                field.expr
            )));
        }
        let mut bad = None;
        field.expr.walk(&mut |e| match e {
            Expr::Reference { .. }
            | Expr::Wildcard
            | Expr::Call { .. }
            | Expr::Integer(_)
            | Expr::Number(_) => {}
            Expr::Binary {
                op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div,
                ..
            } => {}
            other => bad = bad.take().or(Some(other.to_string())),
        });
        if let Some(bad) = bad {
            return Err(error(format!(
                "{bad} in the selected fields is not supported by Condenser yet"
            )));
        }
    }
    if aggregated > 0 && raw > 0 {
        return Err(error(
            "mixing aggregate and non-aggregate queries is not supported".to_owned(),
        ));
    }
    let by_time = select
        .dimensions
        .iter()
        .any(|d| matches!(d, Dimension::Time { .. }));
    if by_time && aggregated == 0 {
        return Err(error(
            "GROUP BY requires at least one aggregate function".to_owned(),
        ));
    }
    if let Some(condition) = &select.condition {
        let mut calls = Vec::new();
        condition.walk(&mut |e| {
            if let Expr::Call { name, .. } = e {
                calls.push(name.clone());
            }
        });
        if let Some(name) = calls.first() {
            return Err(error(format!(
                "function {name}() in WHERE is not supported by Condenser yet"
            )));
        }
    }
    Ok(())
}

/// A call's function and arguments, as InfluxDB checks them.
fn check_call(name: &str, args: &[Expr]) -> Result<(), QueryError> {
    let error = |message: String| QueryError::new(0, message);
    if !AGGREGATES.contains(&name) && !SELECTORS.contains(&name) {
        return Err(error(format!(
            "function {name}() is not supported by Condenser yet"
        )));
    }
    let field_arg = |arg: Option<&Expr>| match arg {
        Some(Expr::Reference { .. }) => Ok(()),
        Some(Expr::Wildcard) if name == "count" => Ok(()),
        Some(other) => Err(error(format!(
            "expected field argument in {name}(), got {other}"
        ))),
        None => Err(error(format!(
            "invalid number of arguments for {name}, expected at least 1, got 0"
        ))),
    };
    match name {
        "percentile" => {
            if args.len() != 2 {
                return Err(error(format!(
                    "invalid number of arguments for percentile, expected 2, got {}",
                    args.len()
                )));
            }
            field_arg(args.first())?;
            if !matches!(args[1], Expr::Integer(_) | Expr::Number(_)) {
                return Err(error(format!(
                    "expected float argument in percentile(), got {}",
                    args[1]
                )));
            }
        }
        "top" | "bottom" => {
            if args.len() < 2 {
                return Err(error(format!(
                    "invalid number of arguments for {name}, expected at least 2, got {}",
                    args.len()
                )));
            }
            field_arg(args.first())?;
            let (limit, tags) = args[1..].split_last().unwrap_or((&args[1], &[]));
            match limit {
                Expr::Integer(n) if *n > 0 => {}
                Expr::Integer(n) => {
                    return Err(error(format!(
                        "limit ({n}) in {name} function must be at least 1"
                    )));
                }
                other => {
                    return Err(error(format!(
                        "expected integer as last argument in {name}(), found {other}"
                    )));
                }
            }
            if let Some(tag) = tags.iter().find(|t| !matches!(t, Expr::Reference { .. })) {
                return Err(error(format!(
                    "only fields or tags are allowed in {name}(), found {tag}"
                )));
            }
            if !tags.is_empty() {
                return Err(error(format!(
                    "{name}() with tags ({}) is not supported by Condenser yet",
                    tags.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        _ => {
            if args.len() != 1 {
                return Err(error(format!(
                    "invalid number of arguments for {name}, expected 1, got {}",
                    args.len()
                )));
            }
            field_arg(args.first())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
