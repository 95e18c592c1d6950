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
use crate::tick::ast::{self, ExprKind, Number};
use crate::tick::token::Operator as TickOperator;

/// Lowers a lambda's expression; an error names a function Condenser cannot evaluate or a
/// value that has no place in an expression.
pub fn lower_lambda(expr: &ast::Expr) -> Result<Expr, Diagnostic> {
    Ok(match &expr.kind {
        ExprKind::Lambda(inner) => lower_lambda(inner)?,
        ExprKind::Number(Number::Int { value, .. }) => lit(*value),
        ExprKind::Number(Number::Float(value)) => lit(*value),
        ExprKind::Bool(value) => lit(*value),
        ExprKind::String { value, .. } => lit(value.as_str()),
        ExprKind::Regex { pattern, .. } => lit(pattern.as_str()),
        ExprKind::Duration { nanos, .. } => lit(ScalarValue::DurationNanosecond(Some(*nanos))),
        ExprKind::Reference(name) => Expr::Column(Column::new_unqualified(name)),
        ExprKind::Unary { op, operand } => {
            let operand = lower_lambda(operand)?;
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
                Box::new(lower_lambda(left)?),
                op,
                Box::new(lower_lambda(right)?),
            ))
        }
        ExprKind::Call { name, args, .. } => {
            let Some(udf) = KapacitorFunction::udf(&name.name) else {
                return Err(Diagnostic::error(
                    name.span,
                    format!("undefined function {}()", name.name),
                ));
            };
            let args = args.iter().map(lower_lambda).collect::<Result<_, _>>()?;
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
