//! Lambdas lowered to DataFusion expressions.
//!
//! References become unqualified columns, literals DataFusion literals (a duration is a
//! nanosecond duration, a regex its pattern), operators DataFusion's binary operators
//! (`=~` is `RegexMatch`, `+` of a string literal is `StringConcat`) and calls Kapacitor's
//! [functions](crate::functions) as scalar UDFs. The expression keeps Kapacitor's meaning:
//! the engine evaluates it under Kapacitor's type rules, not DataFusion's coercions.

use std::sync::Arc;

use datafusion_common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion_common::{Column, ScalarValue};
use datafusion_expr::expr::ScalarFunction;
use datafusion_expr::{BinaryExpr, Expr, Operator, lit};

use crate::Diagnostic;
use crate::functions::KapacitorFunction;
use crate::pipeline::binary_type;
use crate::tick::ast::{self, ExprKind, Number};
use crate::tick::token::Operator as TickOperator;
use crate::value_type::ValueType;

/// Lowers a lambda's expression; an error names a function Condenser cannot evaluate, a
/// value that has no place in an expression, or an operator between constants that no point
/// can make valid (Kapacitor refuses those when the task starts).
pub fn lower_lambda(expr: &ast::Expr) -> Result<Expr, Diagnostic> {
    typed(expr)?;
    lower(expr)
}

/// What Kapacitor knows of an expression when it compiles a lambda, before any point.
#[derive(Debug, Clone, Copy)]
struct Typed {
    /// The type it has whatever the data: a literal's; `!` and the comparison and logical
    /// operators always give a boolean; `-` and arithmetic take their operands' types.
    known: Option<ValueType>,
    /// Whether its value depends on the data (a field, tag or function call, and what is
    /// built from one without a known type).
    dynamic: bool,
}

/// Types `expr` as Kapacitor does when it compiles a lambda, and refuses a binary operator
/// both of whose operands are not of the data but whose types it does not take (`100.0 / 3`,
/// `!"b" != 0.25`, `("a" > "b") == 1`), anywhere in the expression, function arguments
/// included.
fn typed(expr: &ast::Expr) -> Result<Typed, Diagnostic> {
    let constant = |known| Typed {
        known: Some(known),
        dynamic: false,
    };
    Ok(match &expr.kind {
        ExprKind::Lambda(inner) => typed(inner)?,
        ExprKind::Number(Number::Int { .. }) => constant(ValueType::Int),
        ExprKind::Number(Number::Float(_)) => constant(ValueType::Float),
        ExprKind::Bool(_) => constant(ValueType::Bool),
        ExprKind::String { .. } => constant(ValueType::String),
        ExprKind::Regex { .. } => constant(ValueType::Regex),
        ExprKind::Duration { .. } => constant(ValueType::Duration),
        ExprKind::Unary { op, operand } => {
            let operand = typed(operand)?;
            let known = match op {
                TickOperator::Not => Some(ValueType::Bool),
                _ => operand.known,
            };
            Typed {
                known,
                dynamic: known.is_none() && operand.dynamic,
            }
        }
        ExprKind::Binary {
            op, left, right, ..
        } => {
            let (left, right) = (typed(left)?, typed(right)?);
            let operands = left.known.zip(right.known);
            if !left.dynamic && !right.dynamic {
                let valid = operands.and_then(|(l, r)| binary_type(*op, l, r));
                if valid.is_none() {
                    let name = |t: Option<ValueType>| t.map_or("invalid".into(), |t| t.to_string());
                    return Err(Diagnostic::error(
                        expr.span,
                        format!(
                            "mismatched type to binary operator. got {} {op} {}. see bool(), \
                             int(), float(), string(), duration()",
                            name(left.known),
                            name(right.known)
                        ),
                    ));
                }
            }
            let known = if op.is_comparison() || op.is_logical() {
                Some(ValueType::Bool)
            } else {
                operands.and_then(|(l, r)| binary_type(*op, l, r))
            };
            Typed {
                known,
                dynamic: known.is_none() && (left.dynamic || right.dynamic),
            }
        }
        ExprKind::Call { args, .. } => {
            for arg in args {
                typed(arg)?;
            }
            Typed {
                known: None,
                dynamic: true,
            }
        }
        _ => Typed {
            known: None,
            dynamic: true,
        },
    })
}

fn lower(expr: &ast::Expr) -> Result<Expr, Diagnostic> {
    Ok(match &expr.kind {
        ExprKind::Lambda(inner) => lower(inner)?,
        ExprKind::Number(Number::Int { value, .. }) => lit(*value),
        ExprKind::Number(Number::Float(value)) => lit(*value),
        ExprKind::Bool(value) => lit(*value),
        ExprKind::String { value, .. } => lit(value.as_str()),
        ExprKind::Regex { pattern, .. } => lit(pattern.as_str()),
        ExprKind::Duration { nanos, .. } => lit(ScalarValue::DurationNanosecond(Some(*nanos))),
        ExprKind::Reference(name) => Expr::Column(Column::new_unqualified(name)),
        ExprKind::Unary { op, operand } => {
            let operand = lower(operand)?;
            match op {
                TickOperator::Not => Expr::Not(Box::new(operand)),
                _ => Expr::Negative(Box::new(operand)),
            }
        }
        ExprKind::Binary {
            op, left, right, ..
        } => {
            let string_literal = |e: &ast::Expr| matches!(e.kind, ExprKind::String { .. });
            let op = match op {
                TickOperator::Plus if string_literal(left) || string_literal(right) => {
                    Operator::StringConcat
                }
                TickOperator::Plus => Operator::Plus,
                TickOperator::Minus => Operator::Minus,
                TickOperator::Mult => Operator::Multiply,
                TickOperator::Div => Operator::Divide,
                TickOperator::Mod => Operator::Modulo,
                TickOperator::And => Operator::And,
                TickOperator::Or => Operator::Or,
                TickOperator::Equal => Operator::Eq,
                TickOperator::NotEqual => Operator::NotEq,
                TickOperator::Less => Operator::Lt,
                TickOperator::Greater => Operator::Gt,
                TickOperator::LessEqual => Operator::LtEq,
                TickOperator::GreaterEqual => Operator::GtEq,
                TickOperator::RegexEqual => Operator::RegexMatch,
                TickOperator::RegexNotEqual => Operator::RegexNotMatch,
                TickOperator::Not => {
                    return Err(Diagnostic::error(expr.span, "`!` is not a binary operator"));
                }
            };
            Expr::BinaryExpr(BinaryExpr::new(
                Box::new(lower(left)?),
                op,
                Box::new(lower(right)?),
            ))
        }
        ExprKind::Call { name, args, .. } => {
            let Some(udf) = KapacitorFunction::udf(&name.name) else {
                return Err(Diagnostic::error(
                    name.span,
                    format!("undefined function {}()", name.name),
                ));
            };
            let args = args.iter().map(lower).collect::<Result<_, _>>()?;
            Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(udf), args))
        }
        ExprKind::Star | ExprKind::Ident(_) | ExprKind::List(_) | ExprKind::Chain { .. } => {
            return Err(Diagnostic::error(
                expr.span,
                "this has no value inside a lambda expression",
            ));
        }
    })
}

/// Every column an expression reads, in order of first mention.
pub fn referenced_columns(expr: &Expr, names: &mut Vec<String>) {
    // A visit that never fails: the closure returns no error.
    let _ = expr.apply(|e| {
        if let Expr::Column(column) = e
            && !names.contains(&column.name)
        {
            names.push(column.name.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    });
}
