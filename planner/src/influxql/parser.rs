//! A recursive-descent parser of InfluxQL's `SELECT`; what the subset does not read is an
//! error naming it.

use super::QueryError;
use super::ast::{
    BinaryOp, Dimension, Expr, Fill, Measurement, MeasurementName, ReferenceKind, Select,
    SelectField,
};
use super::lexer::{Lexer, Token, TokenKind};

/// Parses `text`, which must be exactly one `SELECT` statement.
pub(crate) fn parse(text: &str) -> Result<Select, QueryError> {
    let mut parser = Parser::new(text)?;
    let select = parser.select()?;
    if parser.eat_symbol(";") && !matches!(parser.peek.kind, TokenKind::Eof) {
        let mut statements = 2;
        while parser.skip_statement()? {
            statements += 1;
        }
        return Err(QueryError::new(
            0,
            format!("query must be a single select statement, got {statements} statements"),
        ));
    }
    match &parser.peek.kind {
        TokenKind::Eof => Ok(select),
        _ => Err(parser.unexpected("end of the query")),
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peek: Token,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self, QueryError> {
        let mut lexer = Lexer::new(text);
        let peek = lexer.next().map_err(QueryError::from)?;
        Ok(Self { lexer, peek })
    }

    fn bump(&mut self) -> Result<Token, QueryError> {
        let next = self.lexer.next().map_err(QueryError::from)?;
        Ok(std::mem::replace(&mut self.peek, next))
    }

    /// Skips the rest of a statement after `;`; whether there was one.
    fn skip_statement(&mut self) -> Result<bool, QueryError> {
        loop {
            match &self.peek.kind {
                TokenKind::Eof => return Ok(false),
                TokenKind::Symbol(";") => {
                    self.bump()?;
                    return Ok(!matches!(self.peek.kind, TokenKind::Eof));
                }
                _ => {
                    self.bump()?;
                }
            }
        }
    }

    fn describe(kind: &TokenKind) -> String {
        match kind {
            TokenKind::Ident { name, .. } => format!("identifier {name:?}"),
            TokenKind::Keyword(k) => (*k).to_owned(),
            TokenKind::Integer(n) => n.to_string(),
            TokenKind::Number(n) => n.to_string(),
            TokenKind::Duration(_) => "a duration".to_owned(),
            TokenKind::String(s) => format!("'{s}'"),
            TokenKind::Symbol(s) => format!("{s:?}"),
            TokenKind::Eof => "the end of the query".to_owned(),
        }
    }

    fn unexpected(&self, expected: &str) -> QueryError {
        QueryError::new(
            self.peek.offset,
            format!(
                "found {}, expected {expected}",
                Self::describe(&self.peek.kind)
            ),
        )
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek.kind, TokenKind::Keyword(k) if k == keyword)
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if self.is_keyword(keyword) {
            // A keyword token is followed by a token the lexer could read.
            let _ = self.bump();
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), QueryError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(self.unexpected(keyword))
        }
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek.kind, TokenKind::Symbol(s) if s == symbol)
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        if self.is_symbol(symbol) {
            let _ = self.bump();
            true
        } else {
            false
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), QueryError> {
        if self.is_symbol(symbol) {
            self.bump()?;
            Ok(())
        } else {
            Err(self.unexpected(&format!("{symbol:?}")))
        }
    }

    fn ident(&mut self, what: &str) -> Result<String, QueryError> {
        match &self.peek.kind {
            TokenKind::Ident { name, .. } => {
                let name = name.clone();
                self.bump()?;
                Ok(name)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// Reads a regex where the current token is its opening `/`.
    fn regex(&mut self) -> Result<String, QueryError> {
        if !self.is_symbol("/") {
            return Err(self.unexpected("a regex"));
        }
        self.lexer.seek(self.peek.offset);
        let (pattern, offset) = self.lexer.regex().map_err(QueryError::from)?;
        regex::Regex::new(&pattern)
            .map_err(|e| QueryError::new(offset, format!("bad regex /{pattern}/: {e}")))?;
        self.peek = self.lexer.next().map_err(QueryError::from)?;
        Ok(pattern)
    }

    fn unsupported(&self, what: &str) -> QueryError {
        QueryError::new(
            self.peek.offset,
            format!("{what} is not supported by Condenser yet"),
        )
    }

    fn select(&mut self) -> Result<Select, QueryError> {
        if !self.is_keyword("SELECT") {
            return Err(match &self.peek.kind {
                TokenKind::Keyword(k) => QueryError::new(
                    self.peek.offset,
                    format!("query is not a select statement: it starts with {k}"),
                ),
                _ => self.unexpected("SELECT"),
            });
        }
        self.bump()?;
        let mut fields = vec![self.field()?];
        while self.eat_symbol(",") {
            fields.push(self.field()?);
        }
        if self.is_keyword("INTO") {
            return Err(self.unsupported("SELECT … INTO"));
        }
        self.expect_keyword("FROM")?;
        let mut sources = vec![self.source()?];
        while self.eat_symbol(",") {
            sources.push(self.source()?);
        }
        let condition = if self.eat_keyword("WHERE") {
            Some(self.expr(0)?)
        } else {
            None
        };
        let mut dimensions = Vec::new();
        if self.eat_keyword("GROUP") {
            self.expect_keyword("BY")?;
            dimensions.push(self.dimension()?);
            while self.eat_symbol(",") {
                dimensions.push(self.dimension()?);
            }
            if dimensions
                .iter()
                .filter(|d| matches!(d, Dimension::Time { .. }))
                .count()
                > 1
            {
                return Err(QueryError::new(
                    0,
                    "multiple time dimensions are not allowed".to_owned(),
                ));
            }
        }
        let fill = self.fill()?;
        for (keyword, what) in [
            ("ORDER", "ORDER BY"),
            ("LIMIT", "LIMIT"),
            ("OFFSET", "OFFSET"),
            ("SLIMIT", "SLIMIT"),
            ("SOFFSET", "SOFFSET"),
            ("TZ", "TZ()"),
        ] {
            if self.is_keyword(keyword) {
                return Err(self.unsupported(what));
            }
        }
        Ok(Select {
            fields,
            sources,
            condition,
            dimensions,
            fill,
        })
    }

    fn field(&mut self) -> Result<SelectField, QueryError> {
        let expr = self.expr(0)?;
        let alias = if self.eat_keyword("AS") {
            Some(self.ident("a name after AS")?)
        } else {
            None
        };
        Ok(SelectField { expr, alias })
    }

    fn source(&mut self) -> Result<Measurement, QueryError> {
        if self.is_symbol("(") {
            return Err(self.unsupported("a subquery"));
        }
        if self.is_symbol("/") {
            return Ok(Measurement {
                database: None,
                retention_policy: None,
                name: MeasurementName::Regex(self.regex()?),
            });
        }
        // Up to three parts: [db.[rp].]name, the last of which may be a regex.
        let mut parts: Vec<Option<String>> = vec![Some(self.ident("a measurement")?)];
        let mut regex = None;
        while parts.len() < 3 && self.eat_symbol(".") {
            if self.is_symbol(".") {
                parts.push(None);
                continue;
            }
            if self.is_symbol("/") {
                regex = Some(self.regex()?);
                break;
            }
            parts.push(Some(self.ident("a measurement")?));
        }
        let name = match regex {
            Some(pattern) => MeasurementName::Regex(pattern),
            None => MeasurementName::Name(
                parts
                    .pop()
                    .flatten()
                    .ok_or_else(|| self.unexpected("a measurement"))?,
            ),
        };
        let (database, retention_policy) = match parts.as_slice() {
            [] => (None, None),
            [rp] => (None, rp.clone()),
            [db, rp] => (db.clone(), rp.clone()),
            _ => return Err(self.unexpected("a measurement")),
        };
        Ok(Measurement {
            database,
            retention_policy,
            name,
        })
    }

    fn dimension(&mut self) -> Result<Dimension, QueryError> {
        if self.eat_symbol("*") {
            return Ok(Dimension::Star);
        }
        if self.is_symbol("/") {
            return Ok(Dimension::Regex(self.regex()?));
        }
        let offset = self.peek.offset;
        let name = self.ident("a tag, *, a regex or time(…)")?;
        if name.eq_ignore_ascii_case("time") && self.eat_symbol("(") {
            let interval = self.duration("time()'s interval")?;
            let offset_ns = if self.eat_symbol(",") {
                if self.is_symbol("-") {
                    self.bump()?;
                    -self.duration("time()'s offset")?
                } else if matches!(&self.peek.kind, TokenKind::Ident { name, .. } if name.eq_ignore_ascii_case("now"))
                {
                    return Err(self.unsupported("time(…, now())"));
                } else {
                    self.duration("time()'s offset")?
                }
            } else {
                0
            };
            self.expect_symbol(")")?;
            if interval <= 0 {
                return Err(QueryError::new(
                    offset,
                    "time dimension must have a positive interval".to_owned(),
                ));
            }
            return Ok(Dimension::Time {
                interval,
                offset: offset_ns,
            });
        }
        Ok(Dimension::Tag(name))
    }

    fn duration(&mut self, what: &str) -> Result<i64, QueryError> {
        match self.peek.kind {
            TokenKind::Duration(ns) => {
                self.bump()?;
                Ok(ns)
            }
            _ => Err(self.unexpected(&format!("a duration for {what}"))),
        }
    }

    fn fill(&mut self) -> Result<Fill, QueryError> {
        let is_fill = matches!(&self.peek.kind, TokenKind::Keyword("FILL"));
        if !is_fill {
            return Ok(Fill::Null);
        }
        self.bump()?;
        self.expect_symbol("(")?;
        let negative = self.eat_symbol("-");
        let sign = if negative { -1.0 } else { 1.0 };
        let fill = match &self.peek.kind {
            TokenKind::Ident {
                name,
                quoted: false,
            } if !negative => match name.to_ascii_lowercase().as_str() {
                "null" => Fill::Null,
                "none" => Fill::None,
                "previous" => Fill::Previous,
                "linear" => Fill::Linear,
                _ => return Err(self.unexpected("null, none, previous, linear or a number")),
            },
            TokenKind::Integer(n) => Fill::Number(sign * *n as f64),
            TokenKind::Number(n) => Fill::Number(sign * n),
            _ => return Err(self.unexpected("null, none, previous, linear or a number")),
        };
        self.bump()?;
        self.expect_symbol(")")?;
        Ok(fill)
    }

    /// An expression whose operators bind tighter than `min` (precedence climbing).
    fn expr(&mut self, min: u8) -> Result<Expr, QueryError> {
        let mut lhs = self.unary()?;
        loop {
            let Some(op) = self.binary_op() else {
                return Ok(lhs);
            };
            let precedence = op.precedence();
            if precedence <= min {
                return Ok(lhs);
            }
            self.bump()?;
            let rhs = if matches!(op, BinaryOp::RegexMatch | BinaryOp::RegexNotMatch) {
                Expr::Regex(self.regex()?)
            } else {
                self.expr(precedence)?
            };
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        Some(match &self.peek.kind {
            TokenKind::Keyword("AND") => BinaryOp::And,
            TokenKind::Keyword("OR") => BinaryOp::Or,
            TokenKind::Symbol(s) => match *s {
                "+" => BinaryOp::Add,
                "-" => BinaryOp::Sub,
                "*" => BinaryOp::Mul,
                "/" => BinaryOp::Div,
                "%" => BinaryOp::Mod,
                "&" => BinaryOp::BitAnd,
                "|" => BinaryOp::BitOr,
                "^" => BinaryOp::BitXor,
                "=" => BinaryOp::Eq,
                "!=" | "<>" => BinaryOp::NotEq,
                "<" => BinaryOp::Lt,
                "<=" => BinaryOp::LtEq,
                ">" => BinaryOp::Gt,
                ">=" => BinaryOp::GtEq,
                "=~" => BinaryOp::RegexMatch,
                "!~" => BinaryOp::RegexNotMatch,
                _ => return None,
            },
            _ => return None,
        })
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.is_symbol("-") {
            self.bump()?;
            return match self.peek.kind {
                TokenKind::Integer(n) => {
                    self.bump()?;
                    Ok(Expr::Integer(-n))
                }
                TokenKind::Number(n) => {
                    self.bump()?;
                    Ok(Expr::Number(-n))
                }
                TokenKind::Duration(n) => {
                    self.bump()?;
                    Ok(Expr::Duration(-n))
                }
                _ => {
                    let operand = self.unary()?;
                    Ok(Expr::Binary {
                        op: BinaryOp::Mul,
                        lhs: Box::new(Expr::Integer(-1)),
                        rhs: Box::new(operand),
                    })
                }
            };
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let token = self.peek.clone();
        match token.kind {
            TokenKind::Symbol("(") => {
                self.bump()?;
                if self.is_keyword("SELECT") {
                    return Err(self.unsupported("a subquery"));
                }
                let inner = self.expr(0)?;
                self.expect_symbol(")")?;
                Ok(inner)
            }
            TokenKind::Symbol("*") => {
                self.bump()?;
                Ok(Expr::Wildcard)
            }
            TokenKind::Symbol("/") => Ok(Expr::Regex(self.regex()?)),
            TokenKind::Integer(n) => {
                self.bump()?;
                Ok(Expr::Integer(n))
            }
            TokenKind::Number(n) => {
                self.bump()?;
                Ok(Expr::Number(n))
            }
            TokenKind::Duration(n) => {
                self.bump()?;
                Ok(Expr::Duration(n))
            }
            TokenKind::String(s) => {
                self.bump()?;
                Ok(Expr::String(s))
            }
            TokenKind::Keyword("TRUE") => {
                self.bump()?;
                Ok(Expr::Bool(true))
            }
            TokenKind::Keyword("FALSE") => {
                self.bump()?;
                Ok(Expr::Bool(false))
            }
            TokenKind::Ident { name, quoted } => {
                self.bump()?;
                if !quoted && self.is_symbol("(") {
                    self.bump()?;
                    let mut args = Vec::new();
                    if !self.is_symbol(")") {
                        args.push(self.expr(0)?);
                        while self.eat_symbol(",") {
                            args.push(self.expr(0)?);
                        }
                    }
                    self.expect_symbol(")")?;
                    let name = name.to_ascii_lowercase();
                    if name == "now" && args.is_empty() {
                        return Ok(Expr::Now);
                    }
                    return Ok(Expr::Call { name, args });
                }
                let kind = if self.eat_symbol("::") {
                    let cast = self.ident("tag, field, float, integer, string or boolean")?;
                    match cast.to_ascii_lowercase().as_str() {
                        "tag" => Some(ReferenceKind::Tag),
                        "field" | "float" | "integer" | "unsigned" | "string" | "boolean" => {
                            Some(ReferenceKind::Field)
                        }
                        other => {
                            return Err(QueryError::new(
                                token.offset,
                                format!("unknown type {other} after ::"),
                            ));
                        }
                    }
                } else {
                    None
                };
                Ok(Expr::Reference { name, kind })
            }
            _ => Err(self.unexpected("a field, a tag, a function or a value")),
        }
    }
}
