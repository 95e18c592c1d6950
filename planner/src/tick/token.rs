//! The tokens of TICKscript.

use std::fmt;

use super::Span;
use super::ast::Comment;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The end of the script.
    Eof,
    /// `var`.
    Var,
    /// `dbrp`.
    Dbrp,
    /// `=` (assignment).
    Assign,
    /// `.` (property).
    Dot,
    /// `|` (chain a node).
    Pipe,
    /// `@` (user-defined function).
    At,
    /// A name: `stream`, `window`, `x`.
    Ident,
    /// A double-quoted reference to a field or tag.
    Reference,
    /// `lambda:`.
    Lambda,
    /// An integer or float literal.
    Number,
    /// A single- or triple-quoted string.
    String,
    /// A duration literal such as `10s`.
    Duration,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `,`.
    Comma,
    /// `!`.
    Not,
    /// `TRUE`.
    True,
    /// `FALSE`.
    False,
    /// A regex literal `/…/`.
    Regex,
    /// `*` where a value is expected.
    Star,
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// `*` between two values.
    Mult,
    /// `/` between two values.
    Div,
    /// `%`.
    Mod,
    /// `AND`.
    And,
    /// `OR`.
    Or,
    /// `==`.
    Equal,
    /// `!=`.
    NotEqual,
    /// `<`.
    Less,
    /// `>`.
    Greater,
    /// `<=`.
    LessEqual,
    /// `>=`.
    GreaterEqual,
    /// `=~`.
    RegexEqual,
    /// `!~`.
    RegexNotEqual,
}

impl TokenKind {
    /// How the token reads in a message ("identifier", `")"`).
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::Eof => "end of script",
            TokenKind::Var => "'var'",
            TokenKind::Dbrp => "'dbrp'",
            TokenKind::Assign => "'='",
            TokenKind::Dot => "'.'",
            TokenKind::Pipe => "'|'",
            TokenKind::At => "'@'",
            TokenKind::Ident => "identifier",
            TokenKind::Reference => "double-quoted reference",
            TokenKind::Lambda => "'lambda:'",
            TokenKind::Number => "number",
            TokenKind::String => "string",
            TokenKind::Duration => "duration",
            TokenKind::LParen => "'('",
            TokenKind::RParen => "')'",
            TokenKind::LBracket => "'['",
            TokenKind::RBracket => "']'",
            TokenKind::Comma => "','",
            TokenKind::Regex => "regex",
            TokenKind::Star => "'*'",
            TokenKind::True => "TRUE",
            TokenKind::False => "FALSE",
            other => match other.operator() {
                Some(op) => op.quoted(),
                None => "token",
            },
        }
    }

    /// The operator this token is, if it is one.
    pub fn operator(self) -> Option<Operator> {
        Some(match self {
            TokenKind::Not => Operator::Not,
            TokenKind::Plus => Operator::Plus,
            TokenKind::Minus => Operator::Minus,
            TokenKind::Mult => Operator::Mult,
            TokenKind::Div => Operator::Div,
            TokenKind::Mod => Operator::Mod,
            TokenKind::And => Operator::And,
            TokenKind::Or => Operator::Or,
            TokenKind::Equal => Operator::Equal,
            TokenKind::NotEqual => Operator::NotEqual,
            TokenKind::Less => Operator::Less,
            TokenKind::Greater => Operator::Greater,
            TokenKind::LessEqual => Operator::LessEqual,
            TokenKind::GreaterEqual => Operator::GreaterEqual,
            TokenKind::RegexEqual => Operator::RegexEqual,
            TokenKind::RegexNotEqual => Operator::RegexNotEqual,
            _ => return None,
        })
    }
}

/// An operator of a lambda expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `!` (unary).
    Not,
    /// `+`.
    Plus,
    /// `-` (binary or unary).
    Minus,
    /// `*`.
    Mult,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `AND`.
    And,
    /// `OR`.
    Or,
    /// `==`.
    Equal,
    /// `!=`.
    NotEqual,
    /// `<`.
    Less,
    /// `>`.
    Greater,
    /// `<=`.
    LessEqual,
    /// `>=`.
    GreaterEqual,
    /// `=~`.
    RegexEqual,
    /// `!~`.
    RegexNotEqual,
}

impl Operator {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Not => "!",
            Operator::Plus => "+",
            Operator::Minus => "-",
            Operator::Mult => "*",
            Operator::Div => "/",
            Operator::Mod => "%",
            Operator::And => "AND",
            Operator::Or => "OR",
            Operator::Equal => "==",
            Operator::NotEqual => "!=",
            Operator::Less => "<",
            Operator::Greater => ">",
            Operator::LessEqual => "<=",
            Operator::GreaterEqual => ">=",
            Operator::RegexEqual => "=~",
            Operator::RegexNotEqual => "!~",
        }
    }

    fn quoted(self) -> &'static str {
        match self {
            Operator::Not => "'!'",
            Operator::Plus => "'+'",
            Operator::Minus => "'-'",
            Operator::Mult => "'*'",
            Operator::Div => "'/'",
            Operator::Mod => "'%'",
            Operator::And => "AND",
            Operator::Or => "OR",
            Operator::Equal => "'=='",
            Operator::NotEqual => "'!='",
            Operator::Less => "'<'",
            Operator::Greater => "'>'",
            Operator::LessEqual => "'<='",
            Operator::GreaterEqual => "'>='",
            Operator::RegexEqual => "'=~'",
            Operator::RegexNotEqual => "'!~'",
        }
    }

    /// Whether it compares its operands (`==`, `!=`, `<`, `>`, `<=`, `>=`, `=~`, `!~`).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Operator::Equal
                | Operator::NotEqual
                | Operator::Less
                | Operator::Greater
                | Operator::LessEqual
                | Operator::GreaterEqual
                | Operator::RegexEqual
                | Operator::RegexNotEqual
        )
    }

    /// Whether it is `AND` or `OR`.
    pub fn is_logical(self) -> bool {
        matches!(self, Operator::And | Operator::Or)
    }

    /// Binding strength between two operands, Kapacitor's: OR 0, AND 1, `== != =~ !~` 2,
    /// `< <= > >=` 3, `+ -` 4, `* / %` 5. `None` for the unary `!`.
    pub fn precedence(self) -> Option<u8> {
        Some(match self {
            Operator::Or => 0,
            Operator::And => 1,
            Operator::Equal
            | Operator::NotEqual
            | Operator::RegexEqual
            | Operator::RegexNotEqual => 2,
            Operator::Less | Operator::Greater | Operator::LessEqual | Operator::GreaterEqual => 3,
            Operator::Plus | Operator::Minus => 4,
            Operator::Mult | Operator::Div | Operator::Mod => 5,
            Operator::Not => return None,
        })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One token: its kind, where it is, its text, and the comment lines just before it.
#[derive(Debug, Clone)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
    /// The comment written just before it, which the node it starts carries.
    pub comment: Option<Comment>,
}
