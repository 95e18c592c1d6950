//! The syntax tree of an InfluxQL `SELECT` statement, as far as Condenser runs it.

use std::fmt;

/// A `SELECT` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// What it selects, in order.
    pub fields: Vec<SelectField>,
    /// `FROM`: the measurements it reads.
    pub sources: Vec<Measurement>,
    /// `WHERE`, if any.
    pub condition: Option<Expr>,
    /// `GROUP BY`: tags, `*`, regexes, at most one `time(…)`.
    pub dimensions: Vec<Dimension>,
    /// `fill(…)`: what empty time buckets hold.
    pub fill: Fill,
}

/// One selected expression and its name in the result.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectField {
    /// The expression.
    pub expr: Expr,
    /// `AS name`, if given.
    pub alias: Option<String>,
}

/// A measurement of `FROM`: `"db"."rp"."name"`, `db..name`, `name`, or a regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    /// The database, if named.
    pub database: Option<String>,
    /// The retention policy, if named.
    pub retention_policy: Option<String>,
    /// The measurement's name or pattern.
    pub name: MeasurementName,
}

/// A measurement's name, or a regex matching names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeasurementName {
    /// One measurement.
    Name(String),
    /// `/pattern/`.
    Regex(String),
}

/// A `GROUP BY` dimension.
#[derive(Debug, Clone, PartialEq)]
pub enum Dimension {
    /// A tag.
    Tag(String),
    /// `*`: every tag.
    Star,
    /// `/pattern/`: the tags matching it.
    Regex(String),
    /// `time(interval[, offset])`, in nanoseconds.
    Time {
        /// The buckets' length.
        interval: i64,
        /// Their offset.
        offset: i64,
    },
}

/// `fill(…)`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Fill {
    /// No `fill()`, or `fill(null)`: empty buckets hold nulls.
    #[default]
    Null,
    /// `fill(none)`: empty buckets are left out.
    None,
    /// `fill(previous)`.
    Previous,
    /// `fill(linear)`.
    Linear,
    /// `fill(number)`.
    Number(f64),
}

/// `fill(…)` as InfluxQL writes it.
impl fmt::Display for Fill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fill::Null => f.write_str("fill(null)"),
            Fill::None => f.write_str("fill(none)"),
            Fill::Previous => f.write_str("fill(previous)"),
            Fill::Linear => f.write_str("fill(linear)"),
            Fill::Number(n) => write!(f, "fill({n})"),
        }
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `&`.
    BitAnd,
    /// `|`.
    BitOr,
    /// `^`.
    BitXor,
    /// `AND`.
    And,
    /// `OR`.
    Or,
    /// `=`.
    Eq,
    /// `!=` or `<>`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
    /// `=~`.
    RegexMatch,
    /// `!~`.
    RegexNotMatch,
}

impl BinaryOp {
    /// How tightly it binds: higher binds tighter.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq
            | BinaryOp::RegexMatch
            | BinaryOp::RegexNotMatch => 3,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::BitOr | BinaryOp::BitXor => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::BitAnd => 5,
        }
    }

    /// Whether it compares (its result is a boolean).
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field or tag (`value`, `"value"`, `host::tag`, `value::field`).
    Reference {
        /// Its name.
        name: String,
        /// `::tag` or `::field`, if given.
        kind: Option<ReferenceKind>,
    },
    /// `*` (in `SELECT *` or `count(*)`).
    Wildcard,
    /// A function call.
    Call {
        /// The function, lower case.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// An integer.
    Integer(i64),
    /// A number with a fraction.
    Number(f64),
    /// A single-quoted string.
    String(String),
    /// `true` / `false`.
    Bool(bool),
    /// `/pattern/`.
    Regex(String),
    /// A duration, in nanoseconds (`10s`).
    Duration(i64),
    /// `now()`.
    Now,
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left.
        lhs: Box<Expr>,
        /// Right.
        rhs: Box<Expr>,
    },
}

/// What a `::` cast says a reference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    /// `::tag`.
    Tag,
    /// `::field`.
    Field,
}

impl Expr {
    /// The calls in the expression, outermost first.
    pub fn calls(&self) -> Vec<(&str, &[Expr])> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Call { name, args } = e {
                out.push((name.as_str(), args.as_slice()));
            }
        });
        out
    }

    /// Calls `f` on the expression and every expression in it, outermost first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            Expr::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            _ => {}
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Reference { name, kind } => {
                write!(f, "{}", quote_ident(name))?;
                match kind {
                    Some(ReferenceKind::Tag) => f.write_str("::tag"),
                    Some(ReferenceKind::Field) => f.write_str("::field"),
                    None => Ok(()),
                }
            }
            Expr::Wildcard => f.write_str("*"),
            Expr::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            Expr::Integer(n) => write!(f, "{n}"),
            Expr::Number(n) => write!(f, "{n:?}"),
            Expr::String(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Expr::Bool(b) => write!(f, "{b}"),
            Expr::Regex(r) => write!(f, "/{}/", r.replace('/', "\\/")),
            Expr::Duration(ns) => write!(f, "{}", condenser_model::Duration::from_nanos(*ns)),
            Expr::Now => f.write_str("now()"),
            Expr::Binary { op, lhs, rhs } => {
                // Parentheses where an operand binds looser than the operator.
                let side = |e: &Expr, right: bool| match e {
                    Expr::Binary { op: inner, .. }
                        if inner.precedence() < op.precedence()
                            || (right && inner.precedence() == op.precedence()) =>
                    {
                        format!("({e})")
                    }
                    _ => e.to_string(),
                };
                write!(
                    f,
                    "{} {} {}",
                    side(lhs, false),
                    op_text(*op),
                    side(rhs, true)
                )
            }
        }
    }
}

fn op_text(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::BitAnd => "&",
        BinaryOp::BitOr => "|",
        BinaryOp::BitXor => "^",
        BinaryOp::And => "AND",
        BinaryOp::Or => "OR",
        BinaryOp::Eq => "=",
        BinaryOp::NotEq => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::LtEq => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::GtEq => ">=",
        BinaryOp::RegexMatch => "=~",
        BinaryOp::RegexNotMatch => "!~",
    }
}

/// An identifier as InfluxQL writes it: bare when it can be, else double-quoted.
pub fn quote_ident(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !super::lexer::is_keyword(name);
    if bare {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
