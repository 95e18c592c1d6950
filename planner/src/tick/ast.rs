//! The syntax tree of a TICKscript, with the span of every node and the comments written
//! before it, so that the formatter can print it back.

use super::Span;
use super::token::Operator;

/// A whole script: its statements in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The statements, in order.
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `var name = value`.
    Var {
        /// The variable.
        name: Ident,
        /// Its value.
        value: Expr,
        /// The comment before `var`.
        comment: Option<Comment>,
        /// From `var` to the end of the value.
        span: Span,
    },
    /// `var name type`: a template variable whose value comes with the task's vars.
    TypeDecl {
        /// The variable.
        name: Ident,
        /// The type word (`float`, `lambda`, `list`, …), checked when the script is checked.
        type_name: Ident,
        /// The comment before `var`, which is the variable's description.
        comment: Option<Comment>,
        /// From `var` to the type.
        span: Span,
    },
    /// `dbrp "db"."rp"`.
    Dbrp {
        /// The database.
        db: String,
        /// The retention policy.
        rp: String,
        /// The comment before `dbrp`.
        comment: Option<Comment>,
        /// From `dbrp` to the retention policy.
        span: Span,
    },
    /// An expression on its own, usually a pipeline: `stream|from()…`.
    Expr(Expr),
    /// Comments at the end of the script, after the last statement.
    Comment(Comment),
}

/// A name, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
    /// The comment before it.
    pub comment: Option<Comment>,
}

/// Comment lines, without their `//`. Separate comment blocks (with a blank line between
/// them) are kept apart by [`CommentLine::Blank`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The lines.
    pub lines: Vec<CommentLine>,
}

/// One line of a [`Comment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentLine {
    /// The text after `//` (and one space).
    Text(String),
    /// A blank line between two comment blocks.
    Blank,
}

impl Comment {
    /// Builds a comment from raw comment blocks (each one or more `//` lines).
    pub(crate) fn from_blocks(blocks: &[&str]) -> Comment {
        let mut lines = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 {
                lines.push(CommentLine::Blank);
            }
            for line in block.split('\n') {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let text = line.strip_prefix("//").unwrap_or(line);
                let text = text.strip_prefix(' ').unwrap_or(text);
                lines.push(CommentLine::Text(text.to_owned()));
            }
        }
        Comment { lines }
    }

    /// The comment's text lines joined by newlines (a template variable's description).
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self
            .lines
            .iter()
            .filter_map(|l| match l {
                CommentLine::Text(t) => Some(t.as_str()),
                CommentLine::Blank => None,
            })
            .collect();
        texts.join("\n")
    }
}

/// Whether a function or binary expression was written over several lines; the formatter
/// keeps it that way. Like a [`Span`], it never takes part in equality.
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct MultiLine(pub bool);

impl PartialEq for MultiLine {
    fn eq(&self, _: &MultiLine) -> bool {
        true
    }
}

/// An expression: a value, a lambda, a call or a chain of calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
    /// The comment written before it.
    pub comment: Option<Comment>,
}

/// An integer literal's value and the base it was written in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer; `octal` when written with a leading zero (`0644`), as in Kapacitor.
    Int {
        /// The value.
        value: i64,
        /// Written with a leading zero, read in base 8.
        octal: bool,
    },
    /// A float (`1.5`, `.5`, `5.`).
    Float(f64),
}

/// Which way a call is attached to what comes before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A call on its own: `stream`'s siblings such as `sigma("x")` in a lambda, or `time(1m)`.
    Global,
    /// `.name(…)`: sets a property.
    Property,
    /// `|name(…)`: creates a child node.
    Chain,
    /// `@name(…)`: a user-defined function (UDF) node.
    Dynamic,
}

impl CallKind {
    /// The operator written before the name (`.`, `|`, `@`), empty for a global call.
    pub fn operator(self) -> &'static str {
        match self {
            CallKind::Global => "",
            CallKind::Property => ".",
            CallKind::Chain => "|",
            CallKind::Dynamic => "@",
        }
    }
}

/// The forms an expression takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `10`, `0644`, `1.5`.
    Number(Number),
    /// `10s`, `1ms`, `2w`: the literal as written and its length.
    Duration {
        /// As written (`60s` stays `60s`).
        literal: String,
        /// Nanoseconds.
        nanos: i64,
    },
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// `'text'` or `'''text'''`.
    String {
        /// The text, with `\'` already read as `'` in single quotes.
        value: String,
        /// Written in triple quotes.
        triple: bool,
    },
    /// `/pattern/`.
    Regex {
        /// As written between the slashes (with `\/` kept).
        literal: String,
        /// The pattern itself (`\/` read as `/`).
        pattern: String,
    },
    /// `*`.
    Star,
    /// `"field"`: a field or tag inside a lambda, or the parts of `dbrp`.
    Reference(String),
    /// A name: a variable, `stream`, `batch`, or a property read (`.name` without parens).
    Ident(String),
    /// `[a, 'b', *]`.
    List(Vec<Expr>),
    /// `lambda: expression`.
    Lambda(Box<Expr>),
    /// `-x`, `!x`.
    Unary {
        /// `-` or `!`.
        op: Operator,
        /// What it applies to.
        operand: Box<Expr>,
    },
    /// `a + b`, `a AND b`, …
    Binary {
        /// The operator.
        op: Operator,
        /// The left operand.
        left: Box<Expr>,
        /// The right operand.
        right: Box<Expr>,
        /// Written in parentheses.
        parens: bool,
        /// Written over several lines.
        multi_line: MultiLine,
    },
    /// `name(args…)`, on its own or after `.`, `|` or `@`.
    Call {
        /// How it attaches.
        kind: CallKind,
        /// The name.
        name: Ident,
        /// The arguments.
        args: Vec<Expr>,
        /// Written over several lines.
        multi_line: MultiLine,
    },
    /// `left | call`, `left . call` (or `left . name`), `left @ call`.
    Chain {
        /// What the call applies to.
        left: Box<Expr>,
        /// The call ([`ExprKind::Call`]) or, after `.`, a bare name ([`ExprKind::Ident`]).
        right: Box<Expr>,
    },
}
