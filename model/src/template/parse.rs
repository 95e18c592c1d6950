//! The template's text to its tree: text, actions and their pipelines, `if`, `range` and
//! `with` with their `else` branches, as Go's `text/template/parse` reads them.

use std::fmt;

use super::html::Escaper;

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    /// Literal text.
    Text(String),
    /// `{{ pipeline }}`: prints the pipeline's value (nothing for a declaration).
    Action(Pipeline),
    /// `{{ if p }}…{{ else }}…{{ end }}` (`else if` nests an `If` in the else branch).
    If(Pipeline, Vec<Node>, Vec<Node>),
    /// `{{ range p }}…{{ else }}…{{ end }}`.
    Range(Pipeline, Vec<Node>, Vec<Node>),
    /// `{{ with p }}…{{ else }}…{{ end }}`.
    With(Pipeline, Vec<Node>, Vec<Node>),
}

/// `$x := cmd | cmd …`: commands whose results feed the next as its last argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pipeline {
    /// The variables it declares (`:=`) or assigns (`=`): one, or two in a `range`.
    pub vars: Vec<String>,
    /// `=` rather than `:=`.
    pub assign: bool,
    /// The commands.
    pub commands: Vec<Vec<Operand>>,
    /// The byte offset of its first token in the template's text (a parenthesized
    /// pipeline's is its action's), where Go's escaping errors point.
    pub pos: usize,
}

/// An argument of a command (or the command itself, when first).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    /// `.A.B` (`.` itself with no names).
    Field(Vec<String>),
    /// `$x.A.B` (`$` is the template's data).
    Variable(String, Vec<String>),
    /// A function's name.
    Function(String),
    /// `"text"` or `` `text` ``.
    Str(String),
    /// An integer constant (or a character constant).
    Int(i64),
    /// A floating-point constant.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// `(pipeline).A.B`.
    Group(Box<Pipeline>, Vec<String>),
    /// A function `html/template` adds to an action's pipeline to escape its output (never
    /// parsed from the text).
    Escaper(Escaper),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(Vec<String>),
    Variable(String, Vec<String>),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    LeftParen,
    RightParen,
    Fields(Vec<String>),
    Pipe,
    Declare,
    Assign,
    Comma,
}

/// Parses a template's text.
pub(super) fn parse(text: &str) -> Result<Vec<Node>, String> {
    let pieces = split(text)?;
    let mut parser = Parser {
        pieces,
        next: 0,
        text,
    };
    let (nodes, end) = parser.list()?;
    match end {
        None => Ok(nodes),
        Some(word) => Err(format!("unexpected {{{{{word}}}}} in template {text:?}")),
    }
}

/// A piece of the text: literal text or an action's tokens, each with its byte offset in
/// the text.
enum Piece {
    Text(String),
    Action(Vec<Token>, Vec<usize>),
}

/// Splits the text at its actions (trimming the white space `{{-` and `-}}` ask to trim) and
/// lexes each action.
fn split(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut trim_next = false;
    while let Some(start) = rest.find("{{") {
        let mut literal = &rest[..start];
        if trim_next {
            literal = literal.trim_start();
        }
        let mut action = &rest[start + 2..];
        if let Some(after) = action.strip_prefix('-')
            && after.starts_with([' ', '\t', '\n', '\r'])
        {
            literal = literal.trim_end();
            action = after;
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal.to_owned()));
        }
        let (tokens, length, trim) = lex(action, text)?;
        trim_next = trim;
        if let Some((tokens, offsets)) = tokens {
            pieces.push(Piece::Action(tokens, offsets));
        }
        rest = &action[length..];
    }
    let literal = if trim_next { rest.trim_start() } else { rest };
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal.to_owned()));
    }
    Ok(pieces)
}

/// One action's tokens and the byte offset of each in the template's text.
type Lexed = (Vec<Token>, Vec<usize>);

/// Lexes one action from just after its `{{` (a suffix of `text`): its tokens (none for a
/// comment), how many bytes it took up to and with its `}}`, and whether it ends with ` -}}`.
fn lex(action: &str, text: &str) -> Result<(Option<Lexed>, usize, bool), String> {
    let unclosed = || format!("unclosed action in template {text:?}");
    let trimmed = action.trim_start();
    if let Some(comment) = trimmed.strip_prefix("/*") {
        let end = comment.find("*/").ok_or_else(unclosed)?;
        let after = &comment[end + 2..];
        let (close, trim) = if let Some(a) = after.trim_start().strip_prefix("-}}") {
            (a, true)
        } else if let Some(a) = after.strip_prefix("}}") {
            (a, false)
        } else {
            return Err(format!("comment ends before closing delimiter in {text:?}"));
        };
        return Ok((None, action.len() - close.len(), trim));
    }
    let bytes = action.as_bytes();
    let base = text.len() - action.len();
    let mut tokens = Vec::new();
    let mut offsets = Vec::new();
    let mut i = 0;
    // Where the tokens of the last round started: each round lexes one (or, for `).A`,
    // two) at `i`.
    let mut start = 0;
    loop {
        offsets.resize(tokens.len(), base + start);
        start = i;
        let c = *bytes.get(i).ok_or_else(unclosed)?;
        let rest = &action[i..];
        if rest.starts_with("}}") {
            return Ok((Some((tokens, offsets)), i + 2, false));
        }
        if c.is_ascii_whitespace() {
            let after = rest.trim_start();
            if after.starts_with("-}}") {
                return Ok((
                    Some((tokens, offsets)),
                    action.len() - after.len() + 3,
                    true,
                ));
            }
            i += rest.len() - after.len();
            continue;
        }
        let word_end = |from: usize| {
            rest[from..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(rest.len(), |n| n + from)
        };
        // Field names after `.`: `.A.B`.
        let fields = |mut at: usize| -> (Vec<String>, usize) {
            let mut names = Vec::new();
            while rest[at..].starts_with('.') {
                let end = word_end(at + 1);
                if end == at + 1 {
                    break;
                }
                names.push(rest[at + 1..end].to_owned());
                at = end;
            }
            (names, at)
        };
        match c {
            b'.' if !rest[1..].starts_with(|c: char| c.is_ascii_digit()) => {
                let (names, end) = fields(0);
                tokens.push(Token::Field(names));
                i += end.max(1);
            }
            b'$' => {
                let end = word_end(1);
                let (names, after) = fields(end);
                tokens.push(Token::Variable(rest[..end].to_owned(), names));
                i += after;
            }
            b'(' => {
                tokens.push(Token::LeftParen);
                i += 1;
            }
            b')' => {
                let (names, after) = fields(1);
                tokens.push(Token::RightParen);
                if !names.is_empty() {
                    tokens.push(Token::Fields(names));
                }
                i += after;
            }
            b'|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            b',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            b':' if rest.starts_with(":=") => {
                tokens.push(Token::Declare);
                i += 2;
            }
            b'=' => {
                tokens.push(Token::Assign);
                i += 1;
            }
            b'"' => {
                let (value, length) = quoted(rest)
                    .ok_or_else(|| format!("unterminated quoted string in template {text:?}"))?;
                tokens.push(Token::Str(value));
                i += length;
            }
            b'`' => {
                let end = rest[1..]
                    .find('`')
                    .ok_or_else(|| format!("unterminated raw string in template {text:?}"))?;
                tokens.push(Token::Str(rest[1..end + 1].to_owned()));
                i += end + 2;
            }
            b'\'' => {
                let mut chars = rest[1..].chars();
                let (value, length) = match (chars.next(), chars.next(), chars.next()) {
                    (Some('\\'), Some(e), Some('\'')) => (escaped(e), 2 + e.len_utf8()),
                    (Some(ch), Some('\''), _) => (Some(ch), ch.len_utf8()),
                    _ => (None, 0),
                };
                let value = value
                    .ok_or_else(|| format!("malformed character constant in template {text:?}"))?;
                tokens.push(Token::Int(value as i64));
                i += length + 2;
            }
            b'-' | b'+' | b'0'..=b'9' | b'.' => {
                let bytes = rest.as_bytes();
                let mut end = 1;
                while end < bytes.len() {
                    let b = bytes[end];
                    let exponent_sign = matches!(b, b'+' | b'-')
                        && matches!(bytes[end - 1], b'e' | b'E')
                        && !rest.starts_with("0x");
                    if !(b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exponent_sign) {
                        break;
                    }
                    end += 1;
                }
                let word = &rest[..end];
                tokens.push(
                    number(word).ok_or_else(|| {
                        format!("bad number syntax {word:?} in template {text:?}")
                    })?,
                );
                i += end;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let end = word_end(0);
                tokens.push(Token::Ident(rest[..end].to_owned()));
                i += end;
            }
            _ => {
                let ch = rest.chars().next().unwrap_or_default();
                return Err(format!(
                    "unexpected {ch:?} in an action of template {text:?}"
                ));
            }
        }
    }
}

/// The character an escape `\e` stands for.
fn escaped(e: char) -> Option<char> {
    Some(match e {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '\\' => '\\',
        '"' => '"',
        '\'' => '\'',
        '0' => '\0',
        _ => return None,
    })
}

/// A Go quoted string at the start of `text`: its value and its length with the quotes.
fn quoted(text: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, i + 1)),
            '\\' => value.push(escaped(chars.next()?.1)?),
            '\n' => return None,
            c => value.push(c),
        }
    }
    None
}

/// A Go number constant: decimal, hex (`0x`), octal (`0o`, `0`), binary (`0b`) integers,
/// with `_` separators, or a float.
fn number(word: &str) -> Option<Token> {
    let clean = word.replace('_', "");
    let (sign, digits) = match clean.strip_prefix('-') {
        Some(d) => (-1, d),
        None => (1, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = digits.to_ascii_lowercase();
    let radix = |prefix: &str, radix: u32| {
        lower
            .strip_prefix(prefix)
            .and_then(|d| i64::from_str_radix(d, radix).ok())
    };
    let integer = radix("0x", 16)
        .or_else(|| radix("0o", 8))
        .or_else(|| radix("0b", 2))
        .or_else(|| {
            if lower.len() > 1
                && lower.starts_with('0')
                && lower.bytes().all(|b| b.is_ascii_digit())
            {
                i64::from_str_radix(&lower[1..], 8).ok()
            } else {
                lower.parse::<i64>().ok()
            }
        });
    if let Some(value) = integer {
        return Some(Token::Int(sign * value));
    }
    let value: f64 = lower.parse().ok().filter(|_| {
        lower
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
    })?;
    Some(Token::Float(sign as f64 * value))
}

struct Parser<'t> {
    pieces: Vec<Piece>,
    next: usize,
    text: &'t str,
}

impl Parser<'_> {
    /// Nodes up to the end of the text or to an `{{end}}` or `{{else…}}`, which it returns
    /// (`else` with the tokens after it).
    fn list(&mut self) -> Result<(Vec<Node>, Option<String>), String> {
        let mut nodes = Vec::new();
        while self.next < self.pieces.len() {
            let i = self.next;
            self.next += 1;
            let (tokens, offsets) = match &self.pieces[i] {
                Piece::Text(text) => {
                    nodes.push(Node::Text(text.clone()));
                    continue;
                }
                Piece::Action(tokens, offsets) => (tokens.clone(), offsets.clone()),
            };
            // A control word's pipeline starts at the token after the word.
            let after_word = offsets
                .get(1)
                .or(offsets.first())
                .copied()
                .unwrap_or_default();
            match tokens.first() {
                Some(Token::Ident(word)) if word == "end" => {
                    self.expect_empty(&tokens[1..], "end")?;
                    return Ok((nodes, Some("end".to_owned())));
                }
                Some(Token::Ident(word)) if word == "else" => {
                    // `else if …` continues in the else branch: hand its tokens back.
                    if tokens.len() > 1 {
                        self.next -= 1;
                        self.pieces[i] = Piece::Action(tokens[1..].to_vec(), offsets[1..].to_vec());
                        return Ok((nodes, Some("else if".to_owned())));
                    }
                    return Ok((nodes, Some("else".to_owned())));
                }
                Some(Token::Ident(word)) if matches!(word.as_str(), "if" | "range" | "with") => {
                    let word = word.clone();
                    let pipeline = self.pipeline(&tokens[1..], word == "range", after_word)?;
                    let (body, otherwise) = self.branches(&word)?;
                    nodes.push(match word.as_str() {
                        "if" => Node::If(pipeline, body, otherwise),
                        "range" => Node::Range(pipeline, body, otherwise),
                        _ => Node::With(pipeline, body, otherwise),
                    });
                }
                Some(Token::Ident(word))
                    if matches!(
                        word.as_str(),
                        "define" | "template" | "block" | "break" | "continue"
                    ) =>
                {
                    return Err(format!(
                        "{{{{{word}}}}} is not supported in template {:?}",
                        self.text
                    ));
                }
                None => return Err(format!("missing value for command in {:?}", self.text)),
                _ => {
                    let pos = offsets.first().copied().unwrap_or_default();
                    nodes.push(Node::Action(self.pipeline(&tokens, false, pos)?));
                }
            }
        }
        Ok((nodes, None))
    }

    /// The body of an `if`/`range`/`with` and its else branch, through its `{{end}}`.
    fn branches(&mut self, word: &str) -> Result<(Vec<Node>, Vec<Node>), String> {
        let (body, end) = self.list()?;
        let otherwise = match end.as_deref() {
            Some("end") => Vec::new(),
            Some("else") => match self.list()? {
                (otherwise, Some(end)) if end == "end" => otherwise,
                _ => return Err(format!("expected {{{{end}}}} in {:?}", self.text)),
            },
            Some("else if") => {
                // The else branch is an `if` of its own, ending at the same `{{end}}`.
                let i = self.next;
                self.next += 1;
                let Piece::Action(tokens, offsets) = &self.pieces[i] else {
                    return Err(format!("expected an if after else in {:?}", self.text));
                };
                let tokens = tokens.clone();
                let pos = offsets
                    .get(1)
                    .or(offsets.first())
                    .copied()
                    .unwrap_or_default();
                match tokens.first() {
                    Some(Token::Ident(w)) if w == "if" || w == word => {}
                    _ => return Err(format!("expected if after else in {:?}", self.text)),
                }
                let nested = tokens[0].clone();
                let pipeline = self.pipeline(&tokens[1..], false, pos)?;
                let (body, otherwise) = self.branches(word)?;
                vec![match nested {
                    Token::Ident(w) if w == "with" => Node::With(pipeline, body, otherwise),
                    _ => Node::If(pipeline, body, otherwise),
                }]
            }
            _ => {
                return Err(format!(
                    "unexpected EOF: {{{{{word}}}}} without {{{{end}}}} in {:?}",
                    self.text
                ));
            }
        };
        Ok((body, otherwise))
    }

    fn expect_empty(&self, tokens: &[Token], word: &str) -> Result<(), String> {
        if tokens.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "unexpected {:?} in {word} in {:?}",
                tokens[0], self.text
            ))
        }
    }

    /// A pipeline with its declaration, if any (`range` may declare two variables), whose
    /// first token is at byte `pos` of the text.
    fn pipeline(&self, tokens: &[Token], range: bool, pos: usize) -> Result<Pipeline, String> {
        let mut vars = Vec::new();
        let mut assign = false;
        let mut rest = tokens;
        // `$x :=`, `$x =`, or in a range `$i, $e :=`.
        let declared = match rest {
            [Token::Variable(v, f), Token::Declare | Token::Assign, ..] if f.is_empty() => {
                vars.push(v.clone());
                Some(2)
            }
            [
                Token::Variable(a, fa),
                Token::Comma,
                Token::Variable(b, fb),
                Token::Declare | Token::Assign,
                ..,
            ] if range && fa.is_empty() && fb.is_empty() => {
                vars.push(a.clone());
                vars.push(b.clone());
                Some(4)
            }
            _ => None,
        };
        if let Some(n) = declared {
            assign = rest[n - 1] == Token::Assign;
            rest = &rest[n..];
        }
        let mut commands = Vec::new();
        let mut command = Vec::new();
        let mut i = 0;
        while i < rest.len() {
            let (operand, used) = self.operand(&rest[i..], pos)?;
            match operand {
                None => {
                    // A pipe.
                    if command.is_empty() {
                        return Err(format!("missing command before | in {:?}", self.text));
                    }
                    commands.push(std::mem::take(&mut command));
                }
                Some(operand) => command.push(operand),
            }
            i += used;
        }
        if command.is_empty() {
            return Err(format!("missing value for command in {:?}", self.text));
        }
        commands.push(command);
        Ok(Pipeline {
            vars,
            assign,
            commands,
            pos,
        })
    }

    /// The operand at the start of `tokens` and how many tokens it took (`None`: a pipe),
    /// in a pipeline at `pos`.
    fn operand(&self, tokens: &[Token], pos: usize) -> Result<(Option<Operand>, usize), String> {
        let operand = match &tokens[0] {
            Token::Pipe => return Ok((None, 1)),
            Token::Field(names) => Operand::Field(names.clone()),
            Token::Variable(name, names) => Operand::Variable(name.clone(), names.clone()),
            Token::Str(s) => Operand::Str(s.clone()),
            Token::Int(v) => Operand::Int(*v),
            Token::Float(v) => Operand::Float(*v),
            Token::Ident(word) => match word.as_str() {
                "true" => Operand::Bool(true),
                "false" => Operand::Bool(false),
                "nil" => Operand::Nil,
                name if exec_functions().contains(&name) => Operand::Function(name.to_owned()),
                name => {
                    return Err(format!(
                        "function {name:?} not defined in template {:?}",
                        self.text
                    ));
                }
            },
            Token::LeftParen => {
                let mut depth = 0;
                let mut end = None;
                for (i, token) in tokens.iter().enumerate() {
                    match token {
                        Token::LeftParen => depth += 1,
                        Token::RightParen => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(i);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end =
                    end.ok_or_else(|| format!("unclosed left paren in template {:?}", self.text))?;
                let inner = self.pipeline(&tokens[1..end], false, pos)?;
                return Ok(match tokens.get(end + 1) {
                    Some(Token::Fields(names)) => (
                        Some(Operand::Group(Box::new(inner), names.clone())),
                        end + 2,
                    ),
                    _ => (Some(Operand::Group(Box::new(inner), Vec::new())), end + 1),
                });
            }
            other => {
                return Err(format!(
                    "unexpected {other:?} in an action of template {:?}",
                    self.text
                ));
            }
        };
        Ok((Some(operand), 1))
    }
}

/// The functions a template may call.
fn exec_functions() -> &'static [&'static str] {
    super::exec::FUNCTIONS
}

/// As Go's `parse` prints a pipeline (`$x := .A.B | printf "%d"`), for errors.
impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.vars.is_empty() {
            let op = if self.assign { "=" } else { ":=" };
            write!(f, "{} {op} ", self.vars.join(", "))?;
        }
        for (i, command) in self.commands.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            for (j, operand) in command.iter().enumerate() {
                if j > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{operand}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = |f: &mut fmt::Formatter<'_>, names: &[String]| {
            names.iter().try_for_each(|name| write!(f, ".{name}"))
        };
        match self {
            Operand::Field(names) if names.is_empty() => f.write_str("."),
            Operand::Field(names) => path(f, names),
            Operand::Variable(name, names) => {
                f.write_str(name)?;
                path(f, names)
            }
            Operand::Function(name) => f.write_str(name),
            Operand::Str(s) => write!(f, "{s:?}"),
            Operand::Int(v) => write!(f, "{v}"),
            Operand::Float(v) => write!(f, "{v}"),
            Operand::Bool(v) => write!(f, "{v}"),
            Operand::Nil => f.write_str("nil"),
            Operand::Group(pipeline, names) => {
                write!(f, "({pipeline})")?;
                path(f, names)
            }
            Operand::Escaper(escaper) => f.write_str(escaper.name()),
        }
    }
}
