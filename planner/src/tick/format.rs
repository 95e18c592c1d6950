//! The formatter: a [`Program`] back to canonical TICKscript, laid out as Kapacitor's own
//! formatter lays it out.
//!
//! Statements are separated by a blank line; each `|node()` goes on its own line, indented
//! one step under the start of the chain, and each `.property()` one step further. An
//! argument list or a binary expression written over several lines stays over several lines.
//! One step is four spaces, Kapacitor's `indentStep`. Comments are kept where they were.

use std::fmt::Write;

use super::ast::{
    CallKind, Comment, CommentLine, Expr, ExprKind, Ident, Number, Program, Statement,
};

/// One level of indentation.
const STEP: &str = "    ";

/// Prints `program` as canonical TICKscript.
pub fn format(program: &Program) -> String {
    let mut out = String::new();
    for (i, statement) in program.statements.iter().enumerate() {
        if i != 0 {
            out.push('\n');
        }
        format_statement(&mut out, statement);
        out.push('\n');
    }
    out
}

/// Prints one expression (a lambda's body, an argument) as TICKscript on one line.
pub fn format_expression(expr: &Expr) -> String {
    let mut out = String::new();
    format_expr(&mut out, expr, "", false);
    out.lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join(" ")
}

fn format_statement(out: &mut String, statement: &Statement) {
    match statement {
        Statement::Var {
            name,
            value,
            comment,
            ..
        } => {
            if let Some(comment) = comment {
                format_comment(out, comment, "", true);
            }
            out.push_str("var ");
            format_ident(out, name, "", false);
            out.push_str(" = ");
            format_expr(out, value, "", false);
        }
        Statement::TypeDecl {
            name,
            type_name,
            comment,
            ..
        } => {
            if let Some(comment) = comment {
                format_comment(out, comment, "", true);
            }
            out.push_str("var ");
            format_ident(out, name, "", false);
            out.push(' ');
            format_ident(out, type_name, "", false);
        }
        Statement::Dbrp {
            db, rp, comment, ..
        } => {
            if let Some(comment) = comment {
                format_comment(out, comment, "", true);
            }
            let _ = write!(out, "dbrp \"{db}\".\"{rp}\"");
        }
        Statement::Expr(expr) => format_expr(out, expr, "", true),
        Statement::Comment(comment) => format_comment(out, comment, "", true),
    }
}

fn format_comment(out: &mut String, comment: &Comment, indent: &str, on_new_line: bool) {
    if !on_new_line {
        out.push('\n');
    }
    for line in &comment.lines {
        match line {
            CommentLine::Blank => out.push('\n'),
            CommentLine::Text(text) => {
                out.push_str(indent);
                out.push_str("//");
                if !text.is_empty() {
                    out.push(' ');
                    out.push_str(text);
                }
                out.push('\n');
            }
        }
    }
}

/// Writes the comment (if any) and the indentation that come before a node.
fn lead(out: &mut String, comment: Option<&Comment>, indent: &str, mut on_new_line: bool) {
    if let Some(comment) = comment {
        format_comment(out, comment, indent, on_new_line);
        on_new_line = true;
    }
    if on_new_line {
        out.push_str(indent);
    }
}

fn format_ident(out: &mut String, ident: &Ident, indent: &str, on_new_line: bool) {
    lead(out, ident.comment.as_ref(), indent, on_new_line);
    out.push_str(&ident.name);
}

fn format_expr(out: &mut String, expr: &Expr, indent: &str, on_new_line: bool) {
    if let ExprKind::Chain { left, right } = &expr.kind {
        format_expr(out, left, indent, on_new_line);
        out.push('\n');
        let (operator, extra) = match &right.kind {
            ExprKind::Call { kind, .. } => (kind.operator(), *kind == CallKind::Property),
            _ => (".", true),
        };
        let mut indent = format!("{indent}{STEP}");
        if extra {
            indent.push_str(STEP);
        }
        if let Some(comment) = &expr.comment {
            format_comment(out, comment, &indent, true);
        }
        out.push_str(&indent);
        out.push_str(operator);
        format_expr(out, right, &indent, false);
        return;
    }
    lead(out, expr.comment.as_ref(), indent, on_new_line);
    match &expr.kind {
        ExprKind::Number(Number::Int { value, octal }) => {
            if *octal {
                let _ = write!(out, "0{value:o}");
            } else {
                let _ = write!(out, "{value}");
            }
        }
        ExprKind::Number(Number::Float(value)) => {
            let text = value.to_string();
            out.push_str(&text);
            if !text.contains('.') {
                out.push_str(".0");
            }
        }
        ExprKind::Duration { literal, .. } => out.push_str(literal),
        ExprKind::Bool(value) => out.push_str(if *value { "TRUE" } else { "FALSE" }),
        ExprKind::String { value, triple } => {
            if *triple {
                let _ = write!(out, "'''{value}'''");
            } else {
                out.push('\'');
                push_escaped(out, value, '\'');
                out.push('\'');
            }
        }
        ExprKind::Regex { literal, .. } => {
            let _ = write!(out, "/{literal}/");
        }
        ExprKind::Star => out.push('*'),
        ExprKind::Reference(name) => {
            out.push('"');
            push_escaped(out, name, '"');
            out.push('"');
        }
        ExprKind::Ident(name) => out.push_str(name),
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i != 0 {
                    out.push_str(", ");
                }
                format_expr(out, item, indent, on_new_line);
            }
            out.push(']');
        }
        ExprKind::Lambda(body) => {
            out.push_str("lambda: ");
            format_expr(out, body, indent, false);
        }
        ExprKind::Unary { op, operand } => {
            out.push_str(op.as_str());
            format_expr(out, operand, indent, false);
        }
        ExprKind::Binary {
            op,
            left,
            right,
            parens,
            multi_line,
        } => {
            let mut indent = indent.to_owned();
            if *parens {
                out.push('(');
                indent.push_str(STEP);
            }
            format_expr(out, left, &indent, false);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(if multi_line.0 { '\n' } else { ' ' });
            format_expr(out, right, &indent, multi_line.0);
            if *parens {
                out.push(')');
            }
        }
        ExprKind::Call {
            name,
            args,
            multi_line,
            ..
        } => {
            out.push_str(&name.name);
            out.push('(');
            let arg_indent = format!("{indent}{STEP}");
            for (i, arg) in args.iter().enumerate() {
                if i != 0 {
                    out.push(',');
                    if !multi_line.0 {
                        out.push(' ');
                    }
                }
                if multi_line.0 {
                    out.push('\n');
                }
                format_expr(out, arg, &arg_indent, multi_line.0);
            }
            if multi_line.0 && !args.is_empty() {
                out.push('\n');
                out.push_str(indent);
            }
            out.push(')');
        }
        ExprKind::Chain { .. } => unreachable!("chains are formatted above"),
    }
}

/// Writes `text`, putting a backslash before each `quote`.
fn push_escaped(out: &mut String, text: &str, quote: char) {
    for c in text.chars() {
        if c == quote {
            out.push('\\');
        }
        out.push(c);
    }
}
