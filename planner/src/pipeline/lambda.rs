//! Static checks of lambda expressions.
//!
//! Kapacitor does not type-check lambdas when a task is defined: an unknown function or a
//! type error fails on every point instead. Condenser accepts such scripts too, and warns
//! where it can tell for sure: it infers the type of every sub-expression whose type does
//! not depend on the data (literals, the functions' signatures, the operator rules) and
//! reports calls and operators that no point can make valid.

use crate::catalog::FUNCTIONS;
use crate::diagnostic::Diagnostic;
use crate::tick::ast::{Expr, ExprKind, Number};
use crate::tick::token::Operator;
use crate::value_type::ValueType;

use super::eval::closest;

/// Warnings about `body`, the expression of a lambda.
pub(super) fn check(body: &Expr) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    infer(body, &mut warnings);
    warnings
}

/// The type the result of an operator has for operands of known types, by Kapacitor's
/// rules; `None` when no point can make the combination valid.
pub(crate) fn binary_type(op: Operator, left: ValueType, right: ValueType) -> Option<ValueType> {
    use Operator::*;
    use ValueType as T;
    let comparison = matches!(
        op,
        Equal | NotEqual | Less | Greater | LessEqual | GreaterEqual
    );
    Some(match (left, right) {
        (T::Bool, T::Bool) if matches!(op, And | Or | Equal | NotEqual) => T::Bool,
        (T::Int | T::Float, T::Int | T::Float) if comparison => T::Bool,
        (T::String, T::String) | (T::Duration, T::Duration) if comparison => T::Bool,
        (T::String, T::String) if op == Plus => T::String,
        (T::String, T::Regex) if matches!(op, RegexEqual | RegexNotEqual) => T::Bool,
        (T::Int, T::Int) if matches!(op, Plus | Minus | Mult | Div | Mod) => T::Int,
        (T::Float, T::Float) if matches!(op, Plus | Minus | Mult | Div) => T::Float,
        (T::Duration, T::Duration) if matches!(op, Plus | Minus) => T::Duration,
        (T::Duration, T::Duration) if op == Div => T::Int,
        (T::Duration, T::Int | T::Float) if matches!(op, Mult | Div) => T::Duration,
        (T::Int | T::Float, T::Duration) if op == Mult => T::Duration,
        _ => return None,
    })
}

/// The type of `expr` when it does not depend on the data.
fn infer(expr: &Expr, warnings: &mut Vec<Diagnostic>) -> Option<ValueType> {
    match &expr.kind {
        ExprKind::Number(Number::Int { .. }) => Some(ValueType::Int),
        ExprKind::Number(Number::Float(_)) => Some(ValueType::Float),
        ExprKind::Duration { .. } => Some(ValueType::Duration),
        ExprKind::String { .. } => Some(ValueType::String),
        ExprKind::Bool(_) => Some(ValueType::Bool),
        ExprKind::Regex { .. } => Some(ValueType::Regex),
        ExprKind::Reference(name) if name == "time" => Some(ValueType::Time),
        ExprKind::Unary { op, operand } => {
            let operand_type = infer(operand, warnings)?;
            let ok = match op {
                Operator::Not => operand_type == ValueType::Bool,
                _ => matches!(
                    operand_type,
                    ValueType::Int | ValueType::Float | ValueType::Duration
                ),
            };
            if !ok {
                warnings.push(Diagnostic::warning(
                    expr.span,
                    format!("'{op}' cannot apply to a value of type {operand_type}: the expression fails on every point"),
                ));
                return None;
            }
            Some(operand_type)
        }
        ExprKind::Binary {
            op, left, right, ..
        } => {
            let left_type = infer(left, warnings);
            let right_type = infer(right, warnings);
            match (left_type, right_type) {
                (Some(l), Some(r)) => {
                    let result = binary_type(*op, l, r);
                    if result.is_none() {
                        warnings.push(Diagnostic::warning(
                            expr.span,
                            format!(
                                "mismatched types: {l} {op} {r} is not defined, so the \
                                 expression fails on every point (convert with bool(), int(), \
                                 float(), string() or duration())"
                            ),
                        ));
                    }
                    result
                }
                _ => (op.is_comparison() || op.is_logical()).then_some(ValueType::Bool),
            }
        }
        ExprKind::Call { name, args, .. } => {
            let arg_types: Vec<Option<ValueType>> =
                args.iter().map(|a| infer(a, warnings)).collect();
            let Some(function) = FUNCTIONS.iter().find(|f| f.name == name.name) else {
                let mut message = format!(
                    "unknown function {:?} in a lambda: Kapacitor accepts the script, but the \
                     expression fails on every point",
                    name.name
                );
                if let Some(close) = closest(&name.name, FUNCTIONS.iter().map(|f| f.name)) {
                    message.push_str(&format!("; did you mean {close:?}?"));
                }
                warnings.push(Diagnostic::warning(name.span, message));
                return None;
            };
            let fits = |args: &[ValueType]| {
                args.len() == arg_types.len()
                    && args.iter().zip(&arg_types).all(|(want, got)| {
                        got.is_none_or(|g| g == *want || *want == ValueType::Missing)
                    })
            };
            let matching: Vec<_> = function
                .signatures
                .iter()
                .filter(|s| fits(s.args))
                .collect();
            if matching.is_empty() {
                let signatures: Vec<String> = function
                    .signatures
                    .iter()
                    .map(|s| {
                        let args: Vec<&str> = s.args.iter().map(|a| a.as_str()).collect();
                        format!("({})", args.join(", "))
                    })
                    .collect();
                let given: Vec<String> = arg_types
                    .iter()
                    .map(|t| t.map_or("?".to_owned(), |t| t.to_string()))
                    .collect();
                warnings.push(Diagnostic::warning(
                    name.span,
                    format!(
                        "{}() cannot take ({}): its signatures are {}, so the expression fails \
                         on every point",
                        name.name,
                        given.join(", "),
                        signatures.join(", ")
                    ),
                ));
                return None;
            }
            let first = matching[0].returns;
            matching.iter().all(|s| s.returns == first).then_some(first)
        }
        _ => None,
    }
}
