//! TICKscript syntax: the lexer, the parser, the syntax tree and the formatter.
//!
//! [`parse`] turns script text into a [`Program`] whose nodes keep their [`Span`]s and the
//! comments written before them; [`format()`] prints a program back as canonical TICKscript.
//! For every script `s`, `parse(format(parse(s)))` equals `parse(s)`.

pub mod ast;
mod format;
mod lexer;
mod parser;
mod span;
pub mod token;

#[cfg(test)]
mod tests;

pub use ast::Program;
pub use format::{format, format_expression};
pub use parser::{parse, parse_expression};
pub use span::{Position, Span};

/// Whether `c` is white space to TICKscript (Unicode white space, as Go's `unicode.IsSpace`,
/// so a no-break space separates tokens too).
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Whether `c` is a decimal digit.
pub(crate) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// Whether `c` may continue a name: a letter, a digit or `_`.
pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The length in nanoseconds of a duration literal (`10s`, `1ms`, `2w`); `None` when it
/// does not fit in 64 bits or is not a duration.
pub fn parse_duration(literal: &str) -> Option<i64> {
    let digits = literal.find(|c: char| !c.is_ascii_digit())?;
    let (count, unit) = literal.split_at(digits);
    let count: i64 = count.parse().ok()?;
    let unit: i64 = match unit {
        "u" | "µ" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        "d" => 86_400 * 1_000_000_000,
        "w" => 7 * 86_400 * 1_000_000_000,
        _ => return None,
    };
    count.checked_mul(unit)
}
