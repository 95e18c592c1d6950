//! The parser: tokens to a [`Program`], following the grammar of Kapacitor's `tick` package.
//!
//! Statements are `var` declarations (with a value, or with a type for a template),
//! `dbrp "db"."rp"` and expressions. An expression that starts with a name followed by `|`,
//! `.` or `@` is a chain; inside arguments and lambdas, expressions follow Kapacitor's
//! operator precedence (see [`Operator::precedence`]).

use super::ast::{CallKind, Comment, Expr, ExprKind, Ident, MultiLine, Number, Program, Statement};
use super::lexer::lex;
use super::token::{Operator, Token, TokenKind};
use super::{Span, parse_duration};
use crate::diagnostic::Diagnostic;

/// Parses a whole script.
pub fn parse(source: &str) -> Result<Program, Diagnostic> {
    let lexed = lex(source);
    let mut tokens = lexed.tokens;
    if lexed.error.is_some() {
        let end = source.len();
        tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
            comment: None,
        });
    }
    let mut parser = Parser {
        source,
        tokens,
        pos: 0,
        lex_error: lexed.error,
    };
    parser.program()
}

/// Parses a lambda's body on its own, to the end of `source` (a topic handler's `match`
/// expression: `level() == CRITICAL AND "host" == 'a'`).
pub fn parse_expression(source: &str) -> Result<Expr, Diagnostic> {
    let lexed = lex(source);
    if let Some(error) = lexed.error {
        return Err(error);
    }
    let mut parser = Parser {
        source,
        tokens: lexed.tokens,
        pos: 0,
        lex_error: None,
    };
    let expression = parser.primary_expr()?;
    parser.expect(TokenKind::Eof, "the end of the expression")?;
    Ok(expression)
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// Where lexing stopped: reported when the parser reaches that point.
    lex_error: Option<Diagnostic>,
}

type Parsed<T> = Result<T, Diagnostic>;

/// What a value may start with, for messages.
const VALUE: &str = "a value (number, string, duration, regex, reference, name, TRUE, FALSE, \
                     '(', '-' or '!')";

impl Parser<'_> {
    fn kind_at(&self, offset: usize) -> TokenKind {
        self.tokens
            .get(self.pos + offset)
            .map_or(TokenKind::Eof, |t| t.kind)
    }

    fn peek(&self) -> TokenKind {
        self.kind_at(0)
    }

    /// Takes the next token, with the comment written before it.
    fn next(&mut self) -> (Span, Option<Comment>) {
        let index = self.pos.min(self.tokens.len() - 1);
        self.pos += 1;
        let token = &mut self.tokens[index];
        (token.span, token.comment.take())
    }

    fn text(&self, span: Span) -> &str {
        &self.source[span.start..span.end]
    }

    fn expect(&mut self, kind: TokenKind, expected: &str) -> Parsed<(Span, Option<Comment>)> {
        if self.peek() == kind {
            Ok(self.next())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// The error for the next token, which is not what the grammar allows here.
    fn unexpected(&self, expected: &str) -> Diagnostic {
        // Lexing stopped here: its reason is the better message.
        if self.pos + 1 >= self.tokens.len()
            && let Some(error) = &self.lex_error
        {
            return error.clone();
        }
        let token = &self.tokens[self.pos.min(self.tokens.len() - 1)];
        // `10x`, `1.5h`, `10sec`: a number or duration run into a name.
        if let Some(previous) = self.pos.checked_sub(1).map(|i| &self.tokens[i])
            && matches!(previous.kind, TokenKind::Number | TokenKind::Duration)
            && token.kind == TokenKind::Ident
            && previous.span.end == token.span.start
        {
            let span = previous.span.to(token.span);
            return Diagnostic::error(
                span,
                format!(
                    "invalid duration {}: write a whole number and one unit (u, µ, ms, s, m, \
                     h, d or w), such as 10s or 1500ms",
                    self.text(span)
                ),
            );
        }
        let found = match token.kind {
            TokenKind::Ident => format!("identifier {:?}", self.text(token.span)),
            kind => kind.describe().to_owned(),
        };
        let mut message = format!("unexpected {found}; expected {expected}");
        // A string that ran over a line end most likely lost its closing quote.
        let runaway = self
            .pos
            .checked_sub(1)
            .map(|i| &self.tokens[i])
            .filter(|t| t.kind == TokenKind::String && !self.text(t.span).starts_with("'''"))
            .filter(|t| self.text(t.span).contains('\n'))
            .map(|t| t.span);
        let hint = match (token.kind, self.text(token.span)) {
            (TokenKind::Assign, _) => Some("compare with '==', not '='"),
            (TokenKind::Ident, "and" | "And") => Some("write the operator as AND"),
            (TokenKind::Ident, "or" | "Or") => Some("write the operator as OR"),
            (TokenKind::Ident, "true" | "false" | "True" | "False") => {
                Some("booleans are written TRUE and FALSE")
            }
            _ => None,
        };
        if let Some(hint) = hint {
            message.push_str(" (");
            message.push_str(hint);
            message.push(')');
        }
        let error = Diagnostic::error(token.span, message);
        match runaway {
            Some(string) => error.with_note(
                string,
                "this string runs over the end of its line: is its closing quote missing?",
            ),
            None => error,
        }
    }

    /// Adds to a missing-closer error a note at the opener, when the error surfaced on a
    /// later line than the opener (the likely cause is then far from where it shows).
    fn unclosed(&self, error: Diagnostic, open: Span, opener: &str) -> Diagnostic {
        if self.has_newline(open.start, error.span.start) {
            error.with_note(open, format!("this '{opener}' is never closed"))
        } else {
            error
        }
    }

    fn has_newline(&self, start: usize, end: usize) -> bool {
        start < end && self.source[start..end].contains('\n')
    }

    fn program(&mut self) -> Parsed<Program> {
        let mut statements = Vec::new();
        loop {
            if self.peek() == TokenKind::Eof {
                if self.lex_error.is_some() {
                    return Err(self.unexpected("end of script"));
                }
                let (_, comment) = self.next();
                if let Some(comment) = comment {
                    statements.push(Statement::Comment(comment));
                }
                return Ok(Program { statements });
            }
            statements.push(self.statement()?);
        }
    }

    fn statement(&mut self) -> Parsed<Statement> {
        match self.peek() {
            TokenKind::Var => self.declaration(),
            TokenKind::Dbrp => self.dbrp(),
            _ => Ok(Statement::Expr(self.expression()?)),
        }
    }

    fn dbrp(&mut self) -> Parsed<Statement> {
        let (start, comment) = self.next();
        let db = self.reference()?;
        self.expect(TokenKind::Dot, "'.' between database and retention policy")?;
        let rp = self.reference()?;
        let span = start.to(rp.span);
        let (ExprKind::Reference(db), ExprKind::Reference(rp)) = (db.kind, rp.kind) else {
            unreachable!("reference() returns references");
        };
        Ok(Statement::Dbrp {
            db,
            rp,
            comment,
            span,
        })
    }

    fn declaration(&mut self) -> Parsed<Statement> {
        let (start, comment) = self.next();
        let name = self.identifier()?;
        if self.peek() == TokenKind::Assign {
            self.next();
            let value = self.expression()?;
            Ok(Statement::Var {
                span: start.to(value.span),
                name,
                value,
                comment,
            })
        } else {
            if self.peek() != TokenKind::Ident {
                return Err(self.unexpected(
                    "'=' and a value, or a type (int, float, bool, string, regex, duration, \
                     lambda, list, star) for a template variable",
                ));
            }
            let type_name = self.identifier()?;
            Ok(Statement::TypeDecl {
                span: start.to(type_name.span),
                name,
                type_name,
                comment,
            })
        }
    }

    fn expression(&mut self) -> Parsed<Expr> {
        match self.peek() {
            TokenKind::Ident => match self.kind_at(1) {
                TokenKind::LParen => {
                    let term = self.function(CallKind::Global)?;
                    match self.peek() {
                        TokenKind::Dot
                        | TokenKind::Pipe
                        | TokenKind::At
                        | TokenKind::Var
                        | TokenKind::Ident => self.chain(term),
                        _ => self.precedence(term, 0),
                    }
                }
                TokenKind::Dot
                | TokenKind::At
                | TokenKind::Pipe
                | TokenKind::Var
                | TokenKind::Ident => {
                    let term = self.identifier_expr()?;
                    self.chain(term)
                }
                _ => self.primary_expr(),
            },
            TokenKind::Lambda => self.lambda(),
            TokenKind::LBracket => self.list(),
            _ => self.primary_expr(),
        }
    }

    fn chain(&mut self, mut left: Expr) -> Parsed<Expr> {
        loop {
            let kind = match self.peek() {
                TokenKind::Dot => CallKind::Property,
                TokenKind::Pipe => CallKind::Chain,
                TokenKind::At => CallKind::Dynamic,
                _ => return Ok(left),
            };
            let (_, comment) = self.next();
            let right = if kind == CallKind::Chain || self.kind_at(1) == TokenKind::LParen {
                self.function(kind)?
            } else {
                self.identifier_expr()?
            };
            left = Expr {
                span: left.span.to(right.span),
                kind: ExprKind::Chain {
                    left: Box::new(left),
                    right: Box::new(right),
                },
                comment,
            };
        }
    }

    fn identifier(&mut self) -> Parsed<Ident> {
        let (span, comment) = self.expect(TokenKind::Ident, "a name")?;
        Ok(Ident {
            name: self.text(span).to_owned(),
            span,
            comment,
        })
    }

    fn identifier_expr(&mut self) -> Parsed<Expr> {
        let ident = self.identifier()?;
        Ok(Expr {
            kind: ExprKind::Ident(ident.name),
            span: ident.span,
            comment: ident.comment,
        })
    }

    /// `name(args…)`; inside a lambda the arguments are lambda expressions.
    fn call(&mut self, kind: CallKind, in_lambda: bool) -> Parsed<Expr> {
        let what = if kind == CallKind::Chain {
            "a node name after '|'"
        } else {
            "a name"
        };
        let (name_span, comment) = self.expect(TokenKind::Ident, what)?;
        let (open, _) = self.expect(TokenKind::LParen, "'(' after the name")?;
        let mut args = Vec::new();
        while self.peek() != TokenKind::RParen {
            args.push(if in_lambda {
                let operand = self.primary()?;
                self.precedence(operand, 0)?
            } else {
                self.expression()?
            });
            if self.peek() != TokenKind::Comma {
                break;
            }
            self.next();
        }
        let close = match self.expect(TokenKind::RParen, "')' or ',' after an argument") {
            Ok((close, _)) => close,
            Err(error) => return Err(self.unclosed(error, open, "(")),
        };
        let multi_line = args
            .last()
            .is_some_and(|last| self.has_newline(name_span.start, last.span.start));
        Ok(Expr {
            kind: ExprKind::Call {
                kind,
                name: Ident {
                    name: self.text(name_span).to_owned(),
                    span: name_span,
                    comment: None,
                },
                args,
                multi_line: MultiLine(multi_line),
            },
            span: name_span.to(close),
            comment,
        })
    }

    fn function(&mut self, kind: CallKind) -> Parsed<Expr> {
        self.call(kind, false)
    }

    fn list(&mut self) -> Parsed<Expr> {
        let (open, comment) = self.next();
        let mut items = Vec::new();
        while self.peek() != TokenKind::RBracket {
            items.push(match self.peek() {
                TokenKind::Ident => self.identifier_expr()?,
                TokenKind::String | TokenKind::Star => self.primary()?,
                _ => return Err(self.unexpected("a list item: a name, a string or '*'")),
            });
            if self.peek() != TokenKind::Comma {
                break;
            }
            self.next();
        }
        let (close, _) = self
            .expect(TokenKind::RBracket, "']' or ',' after a list item")
            .map_err(|e| self.unclosed(e, open, "["))?;
        Ok(Expr {
            kind: ExprKind::List(items),
            span: open.to(close),
            comment,
        })
    }

    fn lambda(&mut self) -> Parsed<Expr> {
        let (start, comment) = self.next();
        let body = self.primary_expr()?;
        Ok(Expr {
            span: start.to(body.span),
            kind: ExprKind::Lambda(Box::new(body)),
            comment,
        })
    }

    fn primary_expr(&mut self) -> Parsed<Expr> {
        let operand = self.primary()?;
        self.precedence(operand, 0)
    }

    /// Operator-precedence parsing; operators of equal precedence associate to the left.
    fn precedence(&mut self, mut left: Expr, min: u8) -> Parsed<Expr> {
        while let Some(op) = self.binary_operator().filter(|op| op.1 >= min) {
            let (op, op_precedence) = op;
            let (_, comment) = self.next();
            let mut right = self.primary()?;
            while let Some((_, next)) = self.binary_operator().filter(|op| op.1 > op_precedence) {
                right = self.precedence(right, next)?;
            }
            let multi_line = self.has_newline(left.span.start, right.span.start);
            left = Expr {
                span: left.span.to(right.span),
                kind: ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                    parens: false,
                    multi_line: MultiLine(multi_line),
                },
                comment,
            };
        }
        Ok(left)
    }

    fn binary_operator(&self) -> Option<(Operator, u8)> {
        let op = self.peek().operator()?;
        Some((op, op.precedence()?))
    }

    fn primary(&mut self) -> Parsed<Expr> {
        match self.peek() {
            TokenKind::LParen => {
                let (open, comment) = self.next();
                let mut inner = self.primary_expr()?;
                if let ExprKind::Binary { parens, .. } = &mut inner.kind {
                    *parens = true;
                }
                inner.comment = comment;
                let (close, _) = self
                    .expect(TokenKind::RParen, "')' or an operator")
                    .map_err(|e| self.unclosed(e, open, "("))?;
                inner.span = open.to(close);
                Ok(inner)
            }
            TokenKind::Number => {
                let (span, comment) = self.next();
                let number = parse_number(self.text(span))
                    .ok_or_else(|| Diagnostic::error(span, self.invalid_number(span)))?;
                Ok(leaf(ExprKind::Number(number), span, comment))
            }
            TokenKind::Duration => {
                let (span, comment) = self.next();
                let literal = self.text(span).to_owned();
                let nanos = parse_duration(&literal).ok_or_else(|| {
                    Diagnostic::error(span, format!("duration {literal} is out of range"))
                })?;
                Ok(leaf(ExprKind::Duration { literal, nanos }, span, comment))
            }
            TokenKind::String => {
                let (span, comment) = self.next();
                let text = self.text(span);
                let kind = if text.len() >= 6 && text.starts_with("'''") {
                    ExprKind::String {
                        value: text[3..text.len() - 3].to_owned(),
                        triple: true,
                    }
                } else {
                    ExprKind::String {
                        value: unescape(&text[1..text.len() - 1], '\''),
                        triple: false,
                    }
                };
                Ok(leaf(kind, span, comment))
            }
            TokenKind::True | TokenKind::False => {
                let (span, comment) = self.next();
                let value = self.text(span) == "TRUE";
                Ok(leaf(ExprKind::Bool(value), span, comment))
            }
            TokenKind::Regex => {
                let (span, comment) = self.next();
                let text = self.text(span);
                let literal = text[1..text.len() - 1].to_owned();
                let pattern = unescape(&literal, '/');
                if let Err(error) = regex::Regex::new(&pattern) {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "invalid regex /{literal}/: {}",
                            first_line(&error.to_string()).trim_start_matches("error: ")
                        ),
                    ));
                }
                Ok(leaf(ExprKind::Regex { literal, pattern }, span, comment))
            }
            TokenKind::Star => {
                let (span, comment) = self.next();
                Ok(leaf(ExprKind::Star, span, comment))
            }
            TokenKind::Reference => self.reference(),
            TokenKind::Ident if self.kind_at(1) == TokenKind::LParen => {
                self.call(CallKind::Global, true)
            }
            TokenKind::Ident => self.identifier_expr(),
            TokenKind::Minus | TokenKind::Not => {
                let (start, comment) = self.next();
                let op = if self.text(start) == "-" {
                    Operator::Minus
                } else {
                    Operator::Not
                };
                let operand = self.primary()?;
                Ok(Expr {
                    span: start.to(operand.span),
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    comment,
                })
            }
            _ => Err(self.unexpected(VALUE)),
        }
    }

    fn reference(&mut self) -> Parsed<Expr> {
        let (span, comment) = self.expect(TokenKind::Reference, "a double-quoted name")?;
        let text = self.text(span);
        let name = unescape(&text[1..text.len() - 1], '"');
        Ok(leaf(ExprKind::Reference(name), span, comment))
    }

    fn invalid_number(&self, span: Span) -> String {
        let text = self.text(span);
        if text.len() > 1 && text.starts_with('0') && !text.contains('.') {
            format!(
                "invalid number {text}: a leading zero makes an octal number, whose digits are 0 to 7"
            )
        } else {
            format!("invalid number {text}: out of range for a 64-bit integer")
        }
    }
}

fn leaf(kind: ExprKind, span: Span, comment: Option<Comment>) -> Expr {
    Expr {
        kind,
        span,
        comment,
    }
}

fn first_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text).trim()
}

/// Reads `\q` as `q` for the one quote character `q`; every other backslash stays.
pub(crate) fn unescape(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&quote) {
            out.push(quote);
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a number literal as Kapacitor does: with a `.` a float, with a leading zero octal.
fn parse_number(text: &str) -> Option<Number> {
    if text.contains('.') {
        return text.parse().ok().map(Number::Float);
    }
    let octal = text.len() > 1 && text.starts_with('0');
    let value = i64::from_str_radix(text, if octal { 8 } else { 10 }).ok()?;
    Some(Number::Int { value, octal })
}
