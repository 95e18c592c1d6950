//! InfluxQL's tokens. Regexes are read only where the parser asks for one
//! ([`Lexer::regex`]): elsewhere `/` divides.

/// A token and where it starts (a byte offset into the query).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) offset: usize,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A bare or double-quoted identifier (`quoted` tells which).
    Ident {
        name: String,
        quoted: bool,
    },
    /// A keyword, upper case.
    Keyword(&'static str),
    Integer(i64),
    Number(f64),
    Duration(i64),
    String(String),
    /// An operator or punctuation: `+ - * / % & | ^ = != <> < <= > >= =~ !~ ( ) , . :: ;`.
    Symbol(&'static str),
    Eof,
}

/// The keywords of InfluxQL that this subset reads or refuses by name.
const KEYWORDS: &[&str] = &[
    "ALL", "ALTER", "AND", "AS", "ASC", "BY", "CREATE", "DELETE", "DESC", "DROP", "EXPLAIN",
    "FALSE", "FILL", "FROM", "GRANT", "GROUP", "INTO", "LIMIT", "OFFSET", "ON", "OR", "ORDER",
    "REVOKE", "SELECT", "SHOW", "SLIMIT", "SOFFSET", "TRUE", "TZ", "WHERE", "WITH",
];

/// Whether `word` is a keyword (case-insensitive).
pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// The symbols, longest first so that `<=` wins over `<`.
const SYMBOLS: &[&str] = &[
    "!=", "<>", "<=", ">=", "=~", "!~", "::", "+", "-", "*", "/", "%", "&", "|", "^", "=", "<",
    ">", "(", ")", ",", ".", ";",
];

/// Reads tokens from a query.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    /// Goes back to `offset` (to read a regex where a `/` was read).
    pub(crate) fn seek(&mut self, offset: usize) {
        self.pos = offset;
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) -> Result<(), (usize, String)> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("--") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if let Some(comment) = trimmed.strip_prefix("/*") {
                match comment.find("*/") {
                    Some(end) => self.pos += end + 4,
                    None => return Err((self.pos, "unterminated comment".to_owned())),
                }
            } else {
                return Ok(());
            }
        }
    }

    /// The next token.
    pub(crate) fn next(&mut self) -> Result<Token, (usize, String)> {
        self.skip_space()?;
        let offset = self.pos;
        let rest = self.rest();
        let token = |kind| Token { kind, offset };
        let Some(first) = rest.chars().next() else {
            return Ok(token(TokenKind::Eof));
        };
        if first.is_ascii_alphabetic() || first == '_' {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..len];
            self.pos += len;
            return Ok(token(
                match KEYWORDS.iter().find(|k| k.eq_ignore_ascii_case(word)) {
                    Some(keyword) => TokenKind::Keyword(keyword),
                    None => TokenKind::Ident {
                        name: word.to_owned(),
                        quoted: false,
                    },
                },
            ));
        }
        if first == '"' {
            let name = self.quoted('"')?;
            return Ok(token(TokenKind::Ident { name, quoted: true }));
        }
        if first == '\'' {
            let text = self.quoted('\'')?;
            return Ok(token(TokenKind::String(text)));
        }
        if first.is_ascii_digit()
            || (first == '.' && rest[1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            return self.number().map(token);
        }
        for symbol in SYMBOLS {
            if rest.starts_with(symbol) {
                self.pos += symbol.len();
                return Ok(token(TokenKind::Symbol(symbol)));
            }
        }
        Err((offset, format!("unexpected character {first:?}")))
    }

    /// A quoted string or identifier, its quotes and escapes removed.
    fn quoted(&mut self, quote: char) -> Result<String, (usize, String)> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, c)) if c == quote => out.push(c),
                    Some((_, c)) => {
                        out.push('\\');
                        out.push(c);
                    }
                    None => break,
                },
                '\n' => return Err((start, "newline in a quoted string".to_owned())),
                c if c == quote => {
                    self.pos = start + i + 1;
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err((start, "unterminated quoted string".to_owned()))
    }

    /// An integer, a number, or a duration (`10s`, `1.5h` is not one: durations are
    /// integers with a unit).
    fn number(&mut self) -> Result<TokenKind, (usize, String)> {
        let start = self.pos;
        let rest = self.rest();
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let mut len = digits;
        let fraction = rest[len..].starts_with('.')
            && rest[len + 1..].starts_with(|c: char| c.is_ascii_digit());
        if fraction {
            len += 1;
            len += rest[len..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - len);
        }
        let text = &rest[..len];
        if !fraction {
            // A unit right after the digits makes a duration.
            let after = &rest[len..];
            for (unit, nanos) in [
                ("ns", 1),
                ("us", 1_000),
                ("µs", 1_000),
                ("ms", 1_000_000),
                ("u", 1_000),
                ("µ", 1_000),
                ("s", 1_000_000_000),
                ("m", 60_000_000_000),
                ("h", 3_600_000_000_000),
                ("d", 86_400_000_000_000),
                ("w", 604_800_000_000_000),
            ] {
                if after.starts_with(unit)
                    && !after[unit.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                {
                    let value: i64 = text
                        .parse()
                        .map_err(|_| (start, format!("duration {text}{unit} is out of range")))?;
                    self.pos += len + unit.len();
                    return value
                        .checked_mul(nanos)
                        .map(TokenKind::Duration)
                        .ok_or_else(|| (start, format!("duration {text}{unit} is out of range")));
                }
            }
        }
        self.pos += len;
        if fraction {
            text.parse()
                .map(TokenKind::Number)
                .map_err(|_| (start, format!("bad number {text}")))
        } else {
            match text.parse() {
                Ok(n) => Ok(TokenKind::Integer(n)),
                // Too large for an integer: a number, as InfluxQL reads it.
                Err(_) => text
                    .parse()
                    .map(TokenKind::Number)
                    .map_err(|_| (start, format!("bad number {text}"))),
            }
        }
    }

    /// A regex `/…/` starting at the lexer's position (after spaces).
    pub(crate) fn regex(&mut self) -> Result<(String, usize), (usize, String)> {
        self.skip_space()?;
        let start = self.pos;
        if !self.rest().starts_with('/') {
            return Err((start, "expected a regex".to_owned()));
        }
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, '/')) => out.push('/'),
                    Some((_, c)) => {
                        out.push('\\');
                        out.push(c);
                    }
                    None => break,
                },
                '/' => {
                    self.pos = start + i + 1;
                    return Ok((out, start));
                }
                c => out.push(c),
            }
        }
        Err((start, "unterminated regex".to_owned()))
    }
}
