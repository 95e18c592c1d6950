//! A query's `WHERE` lowered for the engine: its time terms as bounds, the rest as a lambda
//! (a DataFusion expression over Kapacitor's functions, as a TICKscript lambda lowers).

use super::QueryError;
use super::ast::{BinaryOp, Expr};
use crate::nodes::Lambda;
use crate::tick::Span;
use crate::tick::ast::{self as tick, ExprKind, MultiLine, Number};
use crate::tick::token::Operator;

/// A bound on the points' time the query's own `WHERE` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBound {
    /// `>`, `>=`, `<`, `<=` or `=` (time on the left).
    pub op: BinaryOp,
    /// The time it compares with.
    pub value: TimeValue,
}

/// A time in a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeValue {
    /// Nanoseconds since the epoch.
    Absolute(i64),
    /// `now()` plus this many nanoseconds (the time the query runs).
    Now(i64),
}

impl TimeValue {
    /// The time, the query running at `now`.
    pub fn at(self, now: i64) -> i64 {
        match self {
            TimeValue::Absolute(t) => t,
            TimeValue::Now(offset) => now.saturating_add(offset),
        }
    }
}

/// The condition split: time bounds (ANDed at the top) and the rest.
pub(super) fn split(condition: &Expr) -> Result<(Vec<TimeBound>, Option<Lambda>), QueryError> {
    let mut terms = Vec::new();
    and_terms(condition, &mut terms);
    let mut bounds = Vec::new();
    let mut rest: Option<Expr> = None;
    for term in terms {
        if let Some(bound) = time_bound(term)? {
            bounds.push(bound);
            continue;
        }
        if mentions_time(term) {
            return Err(QueryError::new(
                0,
                format!(
                    "a time condition other than time compared with a time ({term}) is not supported by Condenser yet"
                ),
            ));
        }
        rest = Some(match rest {
            None => term.clone(),
            Some(lhs) => Expr::Binary {
                op: BinaryOp::And,
                lhs: Box::new(lhs),
                rhs: Box::new(term.clone()),
            },
        });
    }
    let lambda = match rest {
        None => None,
        Some(expr) => {
            let tick = to_tick(&expr)?;
            let lowered = crate::plan::lower_lambda(&tick)
                .map_err(|d| QueryError::new(0, format!("{expr}: {}", d.message)))?;
            Some(Lambda {
                expr: lowered,
                text: crate::tick::format_expression(&tick),
            })
        }
    };
    Ok((bounds, lambda))
}

fn and_terms<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            and_terms(lhs, out);
            and_terms(rhs, out);
        }
        other => out.push(other),
    }
}

fn is_time(expr: &Expr) -> bool {
    matches!(expr, Expr::Reference { name, .. } if name.eq_ignore_ascii_case("time"))
}

fn mentions_time(expr: &Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| found |= is_time(e) || matches!(e, Expr::Now));
    found
}

/// `time OP value` (or `value OP time`) as a bound.
fn time_bound(term: &Expr) -> Result<Option<TimeBound>, QueryError> {
    let Expr::Binary { op, lhs, rhs } = term else {
        return Ok(None);
    };
    let (op, other) = if is_time(lhs) {
        (*op, rhs.as_ref())
    } else if is_time(rhs) {
        let flipped = match op {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            other => *other,
        };
        (flipped, lhs.as_ref())
    } else {
        return Ok(None);
    };
    if !matches!(
        op,
        BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq | BinaryOp::Eq
    ) {
        return Ok(None);
    }
    Ok(time_value(other).map(|value| TimeBound { op, value }))
}

/// A time: `now()`, `now() ± duration`, an RFC 3339 string, nanoseconds, a duration since
/// the epoch.
fn time_value(expr: &Expr) -> Option<TimeValue> {
    match expr {
        Expr::Now => Some(TimeValue::Now(0)),
        Expr::String(text) => {
            let text = if text.len() == 10 {
                format!("{text}T00:00:00Z")
            } else {
                text.clone()
            };
            condenser_model::time::parse_rfc3339(&text).map(TimeValue::Absolute)
        }
        Expr::Integer(n) => Some(TimeValue::Absolute(*n)),
        Expr::Duration(n) => Some(TimeValue::Absolute(*n)),
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
            let base = time_value(lhs)?;
            let Expr::Duration(d) = rhs.as_ref() else {
                return None;
            };
            let d = if *op == BinaryOp::Sub { -d } else { *d };
            Some(match base {
                TimeValue::Now(offset) => TimeValue::Now(offset + d),
                TimeValue::Absolute(t) => TimeValue::Absolute(t + d),
            })
        }
        _ => None,
    }
}

/// The InfluxQL expression as a TICKscript lambda's.
fn to_tick(expr: &Expr) -> Result<tick::Expr, QueryError> {
    let kind = match expr {
        Expr::Reference { name, .. } => ExprKind::Reference(name.clone()),
        Expr::Integer(n) => ExprKind::Number(Number::Int {
            value: *n,
            octal: false,
        }),
        Expr::Number(n) => ExprKind::Number(Number::Float(*n)),
        Expr::String(s) => ExprKind::String {
            value: s.clone(),
            triple: false,
        },
        Expr::Bool(b) => ExprKind::Bool(*b),
        Expr::Regex(pattern) => ExprKind::Regex {
            literal: pattern.replace('/', "\\/"),
            pattern: pattern.clone(),
        },
        Expr::Binary { op, lhs, rhs } => {
            let op = match op {
                BinaryOp::Add => Operator::Plus,
                BinaryOp::Sub => Operator::Minus,
                BinaryOp::Mul => Operator::Mult,
                BinaryOp::Div => Operator::Div,
                BinaryOp::Mod => Operator::Mod,
                BinaryOp::And => Operator::And,
                BinaryOp::Or => Operator::Or,
                BinaryOp::Eq => Operator::Equal,
                BinaryOp::NotEq => Operator::NotEqual,
                BinaryOp::Lt => Operator::Less,
                BinaryOp::LtEq => Operator::LessEqual,
                BinaryOp::Gt => Operator::Greater,
                BinaryOp::GtEq => Operator::GreaterEqual,
                BinaryOp::RegexMatch => Operator::RegexEqual,
                BinaryOp::RegexNotMatch => Operator::RegexNotEqual,
                BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => {
                    return Err(QueryError::new(
                        0,
                        format!(
                            "bitwise operators in WHERE ({expr}) are not supported by Condenser yet"
                        ),
                    ));
                }
            };
            ExprKind::Binary {
                op,
                left: Box::new(to_tick(lhs)?),
                right: Box::new(to_tick(rhs)?),
                parens: true,
                multi_line: MultiLine::default(),
            }
        }
        other => {
            return Err(QueryError::new(
                0,
                format!("{other} in WHERE is not supported by Condenser yet"),
            ));
        }
    };
    Ok(tick::Expr {
        kind,
        span: Span { start: 0, end: 0 },
        comment: None,
    })
}
