//! The lexer: script text to tokens.
//!
//! Like Kapacitor's, it is modal. Right after a value (a name, a literal, a reference or a
//! closing parenthesis) it looks for a binary operator, so `-`, `*` and `/` there mean
//! subtraction, multiplication and division; anywhere else `-` and `!` are unary, `*` is the
//! star and `/` starts a regex. Comments are not tokens: each token carries the comment lines
//! written just before it.

use super::ast::Comment;
use super::token::{Token, TokenKind};
use super::{Span, is_digit, is_ident_char, is_space};
use crate::diagnostic::Diagnostic;

/// The tokens of a script, up to the end or up to the first character that cannot start a
/// token.
#[derive(Debug)]
pub(crate) struct Lexed {
    /// The tokens, ending with [`TokenKind::Eof`] when the whole script was read.
    pub(crate) tokens: Vec<Token>,
    /// Why lexing stopped early, reported where the parser reaches it.
    pub(crate) error: Option<Diagnostic>,
}

/// Splits `source` into tokens.
pub(crate) fn lex(source: &str) -> Lexed {
    let mut lexer = Lexer {
        source,
        pos: 0,
        tokens: Vec::new(),
        comments: Vec::new(),
    };
    let error = lexer.run().err();
    Lexed {
        tokens: lexer.tokens,
        error,
    }
}

struct Lexer<'a> {
    source: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    /// Comment blocks read since the last token, each as its raw text.
    comments: Vec<&'a str>,
}

/// Duration units, as the lexer accepts them after digits (`ms` is read as one unit).
const DURATION_UNITS: &str = "uµsmhdw";

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.source[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        let mut chars = self.source[self.pos..].chars();
        chars.next();
        chars.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.bump();
        }
    }

    fn emit(&mut self, kind: TokenKind, start: usize) {
        let comment = if self.comments.is_empty() {
            None
        } else {
            Some(Comment::from_blocks(&std::mem::take(&mut self.comments)))
        };
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
            comment,
        });
    }

    fn error(&self, start: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(Span::new(start, self.pos.max(start + 1)), message)
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        let mut after_value = false;
        loop {
            if after_value {
                after_value = false;
                self.skip_space();
                if self.binary_operator()? {
                    continue;
                }
            }
            let start = self.pos;
            let Some(c) = self.bump() else {
                self.emit(TokenKind::Eof, start);
                return Ok(());
            };
            match c {
                '-' => self.emit(TokenKind::Minus, start),
                '!' => self.emit(TokenKind::Not, start),
                c if is_digit(c) || c == '.' => {
                    after_value = self.number_duration_or_dot(start)?;
                }
                c if c.is_alphabetic() => {
                    self.ident_or_keyword(start);
                    after_value = true;
                }
                '"' => {
                    self.reference(start)?;
                    after_value = true;
                }
                '\'' => {
                    self.string(start)?;
                    after_value = true;
                }
                c if is_space(c) => {}
                '(' => self.emit(TokenKind::LParen, start),
                ')' => {
                    self.emit(TokenKind::RParen, start);
                    after_value = true;
                }
                '[' => self.emit(TokenKind::LBracket, start),
                ']' => self.emit(TokenKind::RBracket, start),
                '|' => self.emit(TokenKind::Pipe, start),
                '@' => self.emit(TokenKind::At, start),
                ',' => self.emit(TokenKind::Comma, start),
                '*' => self.emit(TokenKind::Star, start),
                '/' if self.peek() == Some('/') => self.comment(start),
                '/' => self.regex(start)?,
                other => {
                    let hint = match other {
                        '&' => " (write AND for a logical and)",
                        ';' => " (statements end at the line; there is no ';')",
                        '=' | '<' | '>' => " (an operator needs a value on its left)",
                        _ => "",
                    };
                    return Err(self.error(start, format!("unexpected character {other:?}{hint}")));
                }
            }
        }
    }

    /// After a value: reads a binary operator (or `=`) if one comes next.
    fn binary_operator(&mut self) -> Result<bool, Diagnostic> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(false);
        };
        let kind = match c {
            '+' => TokenKind::Plus,
            '-' => TokenKind::Minus,
            '*' => TokenKind::Mult,
            '%' => TokenKind::Mod,
            '/' if self.peek_second() == Some('/') => {
                self.pos += 1;
                self.comment(start);
                return Ok(true);
            }
            '/' => TokenKind::Div,
            '!' => match self.peek_second() {
                Some('=') => TokenKind::NotEqual,
                Some('~') => TokenKind::RegexNotEqual,
                _ => TokenKind::Not,
            },
            '>' | '<' => match (c, self.peek_second() == Some('=')) {
                ('>', true) => TokenKind::GreaterEqual,
                ('>', false) => TokenKind::Greater,
                ('<', true) => TokenKind::LessEqual,
                _ => TokenKind::Less,
            },
            '=' => match self.peek_second() {
                Some('~') => TokenKind::RegexEqual,
                Some('=') => TokenKind::Equal,
                _ => TokenKind::Assign,
            },
            _ => return Ok(false),
        };
        self.bump();
        if matches!(
            kind,
            TokenKind::NotEqual
                | TokenKind::RegexNotEqual
                | TokenKind::GreaterEqual
                | TokenKind::LessEqual
                | TokenKind::RegexEqual
                | TokenKind::Equal
        ) {
            self.bump();
        }
        self.emit(kind, start);
        // A regex may follow the operators that take one, and an assignment.
        if matches!(
            kind,
            TokenKind::RegexEqual | TokenKind::RegexNotEqual | TokenKind::Assign
        ) {
            self.skip_space();
            if self.peek() == Some('/') {
                let start = self.pos;
                self.bump();
                self.regex(start)?;
            }
        }
        Ok(true)
    }

    /// Reads a number, a duration, or a lone `.`; says whether a value was read.
    fn number_duration_or_dot(&mut self, start: usize) -> Result<bool, Diagnostic> {
        let mut decimal = false;
        let mut c = self.source[start..].chars().next();
        let mut first = true;
        loop {
            match c {
                Some('.') => {
                    if first && !self.peek().is_some_and(is_digit) {
                        self.emit(TokenKind::Dot, start);
                        return Ok(false);
                    }
                    if decimal {
                        return Err(self.error(start, "a number has more than one decimal point"));
                    }
                    decimal = true;
                }
                Some(d) if is_digit(d) => {}
                Some(u) if !decimal && DURATION_UNITS.contains(u) => {
                    if u == 'm' && self.peek() == Some('s') {
                        self.bump();
                    }
                    self.emit(TokenKind::Duration, start);
                    return Ok(true);
                }
                _ => {
                    if let Some(other) = c {
                        self.pos -= other.len_utf8();
                    }
                    self.emit(TokenKind::Number, start);
                    return Ok(true);
                }
            }
            first = false;
            c = self.bump();
        }
    }

    fn ident_or_keyword(&mut self, start: usize) {
        while self.peek().is_some_and(is_ident_char) {
            self.bump();
        }
        let kind = match &self.source[start..self.pos] {
            "AND" => TokenKind::And,
            "OR" => TokenKind::Or,
            "TRUE" => TokenKind::True,
            "FALSE" => TokenKind::False,
            "var" => TokenKind::Var,
            "dbrp" => TokenKind::Dbrp,
            // `lambda` is a name unless a colon follows at once.
            "lambda" if self.eat(':') => TokenKind::Lambda,
            _ => TokenKind::Ident,
        };
        self.emit(kind, start);
    }

    fn reference(&mut self, start: usize) -> Result<(), Diagnostic> {
        loop {
            match self.bump() {
                Some('\\') => {
                    self.eat('"');
                }
                Some('"') => {
                    self.emit(TokenKind::Reference, start);
                    return Ok(());
                }
                Some(_) => {}
                None => {
                    return Err(self.error(
                        start,
                        "unterminated double-quoted reference: the closing '\"' is missing",
                    ));
                }
            }
        }
    }

    /// Reads a string after its first quote: `'…'` with `\'` escapes, or `'''…'''`.
    fn string(&mut self, start: usize) -> Result<(), Diagnostic> {
        let unterminated = |lexer: &Self| {
            lexer.error(
                start,
                "unterminated string: the closing quote is missing (a string in triple \
                 quotes ends at the next ''')",
            )
        };
        if self.eat('\'') {
            if !self.eat('\'') {
                // The empty string ''.
                self.emit(TokenKind::String, start);
                return Ok(());
            }
            // '''…''': ends at the first three quotes in a row.
            let mut quotes = 0;
            loop {
                match self.bump() {
                    Some('\'') => {
                        quotes += 1;
                        if quotes == 3 {
                            self.emit(TokenKind::String, start);
                            return Ok(());
                        }
                    }
                    Some(_) => quotes = 0,
                    None => return Err(unterminated(self)),
                }
            }
        }
        loop {
            match self.bump() {
                Some('\\') => {
                    self.eat('\'');
                }
                Some('\'') => {
                    self.emit(TokenKind::String, start);
                    return Ok(());
                }
                Some(_) => {}
                None => return Err(unterminated(self)),
            }
        }
    }

    /// Reads a regex after its opening `/`.
    fn regex(&mut self, start: usize) -> Result<(), Diagnostic> {
        loop {
            match self.bump() {
                Some('\\') => {
                    self.eat('/');
                }
                Some('/') => {
                    self.emit(TokenKind::Regex, start);
                    return Ok(());
                }
                Some(_) => {}
                None => {
                    return Err(self.error(
                        start,
                        "unterminated regex: the closing '/' is missing (write a '/' inside \
                         a regex as '\\/')",
                    ));
                }
            }
        }
    }

    /// Reads a comment after its first `/`; lines that follow and start with `/` continue it.
    fn comment(&mut self, start: usize) {
        loop {
            match self.bump() {
                Some('\n') => {
                    let line_start = self.pos;
                    while self.peek().is_some_and(|c| c != '\n' && is_space(c)) {
                        self.bump();
                    }
                    if self.peek() == Some('/') {
                        continue;
                    }
                    self.pos = line_start;
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
        self.comments.push(&self.source[start..self.pos]);
    }
}
