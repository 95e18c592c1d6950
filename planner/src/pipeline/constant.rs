//! Constant expressions outside lambdas: `var x = 5 * 60`, `-10s`. Kapacitor evaluates
//! them once, when the script is defined, with the same operator rules as lambdas.

use super::Value;
use crate::diagnostic::Diagnostic;
use crate::tick::Span;
use crate::tick::ast::{Expr, ExprKind, Number};
use crate::tick::token::Operator;

/// Applies a unary operator to a value.
pub(super) fn unary(op: Operator, value: Value, span: Span) -> Result<Value, Diagnostic> {
    match (op, value) {
        (Operator::Minus, Value::Int(v)) => Ok(Value::Int(v.wrapping_neg())),
        (Operator::Minus, Value::Float(v)) => Ok(Value::Float(-v)),
        (Operator::Minus, Value::Duration(v)) => Ok(Value::Duration(v.wrapping_neg())),
        (Operator::Not, Value::Bool(v)) => Ok(Value::Bool(!v)),
        (op, value) => Err(Diagnostic::error(
            span,
            format!(
                "invalid argument to '{op}': {} ({} needs {})",
                value.describe(),
                op,
                if op == Operator::Not {
                    "a bool"
                } else {
                    "a number or a duration"
                }
            ),
        )),
    }
}

/// Evaluates an expression whose names are already replaced by their values.
pub(super) fn evaluate(expr: &Expr) -> Result<Value, Diagnostic> {
    evaluate_with(expr, &|_| None)
}

/// Evaluates an expression under the operator rules of lambdas, asking `names` first for
/// the value of each part (a reference, a name, a call): a topic handler's `match` gives
/// tags, `level()` and `CRITICAL` so. A part `names` leaves (`None`) is evaluated as a
/// constant.
pub fn evaluate_with(
    expr: &Expr,
    names: &dyn Fn(&Expr) -> Option<Result<Value, Diagnostic>>,
) -> Result<Value, Diagnostic> {
    if let Some(value) = names(expr) {
        return value;
    }
    let evaluate = |expr: &Expr| evaluate_with(expr, names);
    let span = expr.span;
    match &expr.kind {
        ExprKind::Number(Number::Int { value, .. }) => Ok(Value::Int(*value)),
        ExprKind::Number(Number::Float(value)) => Ok(Value::Float(*value)),
        ExprKind::Duration { nanos, .. } => Ok(Value::Duration(*nanos)),
        ExprKind::Bool(value) => Ok(Value::Bool(*value)),
        ExprKind::String { value, .. } => Ok(Value::String(value.clone())),
        ExprKind::Regex { pattern, .. } => Ok(Value::Regex(pattern.clone())),
        ExprKind::Unary { op, operand } => unary(*op, evaluate(operand)?, span),
        ExprKind::Binary {
            op, left, right, ..
        } => binary(*op, evaluate(left)?, evaluate(right)?, span),
        ExprKind::Reference(name) => Err(Diagnostic::error(
            span,
            format!(
                "the reference \"{name}\" names a field or tag, which only a lambda can read \
                 (write lambda: …)"
            ),
        )),
        _ => Err(Diagnostic::error(
            span,
            "this cannot be part of a constant expression outside a lambda",
        )),
    }
}

fn binary(op: Operator, left: Value, right: Value, span: Span) -> Result<Value, Diagnostic> {
    use Operator::*;
    let mismatch = |left: &Value, right: &Value| {
        Diagnostic::error(
            span,
            format!(
                "mismatched type to binary operator: got {} {op} {} (Kapacitor converts \
                 nothing here; see bool(), int(), float(), string(), duration())",
                left.describe(),
                right.describe()
            ),
        )
    };
    let compare = |ordering: Option<std::cmp::Ordering>| {
        Value::Bool(ordering.is_some_and(|o| match op {
            Equal => o.is_eq(),
            NotEqual => o.is_ne(),
            Less => o.is_lt(),
            Greater => o.is_gt(),
            LessEqual => o.is_le(),
            _ => o.is_ge(),
        }))
    };
    let comparison = matches!(
        op,
        Equal | NotEqual | Less | Greater | LessEqual | GreaterEqual
    );
    let value = match (&left, &right) {
        (Value::Bool(a), Value::Bool(b)) => match op {
            And => Value::Bool(*a && *b),
            Or => Value::Bool(*a || *b),
            Equal => Value::Bool(a == b),
            NotEqual => Value::Bool(a != b),
            _ => return Err(mismatch(&left, &right)),
        },
        (Value::Int(a), Value::Int(b)) if comparison => compare(a.partial_cmp(b)),
        (Value::Float(a), Value::Float(b)) if comparison => compare(a.partial_cmp(b)),
        (Value::Int(a), Value::Float(b)) if comparison => compare((*a as f64).partial_cmp(b)),
        (Value::Float(a), Value::Int(b)) if comparison => compare(a.partial_cmp(&(*b as f64))),
        (Value::String(a), Value::String(b)) if comparison => compare(a.partial_cmp(b)),
        (Value::Duration(a), Value::Duration(b)) if comparison => compare(a.partial_cmp(b)),
        (Value::String(a), Value::String(b)) if op == Plus => Value::String(format!("{a}{b}")),
        (Value::String(s), Value::Regex(r)) if matches!(op, RegexEqual | RegexNotEqual) => {
            let matched = regex::Regex::new(r).is_ok_and(|r| r.is_match(s));
            Value::Bool(matched == (op == RegexEqual))
        }
        (Value::Int(a), Value::Int(b)) if matches!(op, Plus | Minus | Mult | Div | Mod) => {
            let (a, b) = (*a, *b);
            let result = match op {
                Plus => a.checked_add(b),
                Minus => a.checked_sub(b),
                Mult => a.checked_mul(b),
                Div => a.checked_div(b),
                _ => a.checked_rem(b),
            };
            Value::Int(result.ok_or_else(|| {
                Diagnostic::error(span, format!("integer {op} overflows or divides by zero"))
            })?)
        }
        (Value::Float(a), Value::Float(b)) if matches!(op, Plus | Minus | Mult | Div) => {
            Value::Float(match op {
                Plus => a + b,
                Minus => a - b,
                Mult => a * b,
                _ => a / b,
            })
        }
        (Value::Duration(a), Value::Duration(b)) => match op {
            Plus => Value::Duration(a.wrapping_add(*b)),
            Minus => Value::Duration(a.wrapping_sub(*b)),
            Div if *b != 0 => Value::Int(a / b),
            _ => return Err(mismatch(&left, &right)),
        },
        (Value::Duration(d), Value::Int(n)) | (Value::Int(n), Value::Duration(d)) if op == Mult => {
            Value::Duration(d.wrapping_mul(*n))
        }
        (Value::Duration(d), Value::Float(f)) | (Value::Float(f), Value::Duration(d))
            if op == Mult =>
        {
            Value::Duration((*d as f64 * f) as i64)
        }
        (Value::Duration(d), Value::Int(n)) if op == Div && *n != 0 => Value::Duration(d / n),
        (Value::Duration(d), Value::Float(f)) if op == Div => {
            Value::Duration((*d as f64 / f) as i64)
        }
        _ => return Err(mismatch(&left, &right)),
    };
    Ok(value)
}
