//! Messages about a script that a person can act on: what is wrong, where (line, column and
//! the source line with a caret), and what to do.

use std::fmt;

use crate::tick::{Position, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The script cannot be defined.
    Error,
    /// The script is accepted (Kapacitor accepts it too) but something in it cannot work as
    /// written, such as an unknown function inside a lambda.
    Warning,
}

/// A secondary location that explains a diagnostic ("the `(` opened here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What the location has to do with the diagnostic.
    pub message: String,
    /// Where it is.
    pub span: Span,
}

/// One message about a script, anchored at a span when it has a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in a sentence; may end with a suggestion.
    pub message: String,
    /// Where it is wrong.
    pub span: Span,
    /// Related places, such as the unclosed bracket that caused an error further down.
    pub notes: Vec<Note>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            notes: Vec::new(),
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    /// The same diagnostic with a note at `span`.
    pub fn with_note(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.notes.push(Note {
            message: message.into(),
            span,
        });
        self
    }

    /// The line and column where it is, in `source`.
    pub fn position(&self, source: &str) -> Position {
        Position::of(source, self.span.start)
    }

    /// The diagnostic as a person reads it: a headline with the place, the source line and a
    /// caret under the column, then the notes the same way.
    ///
    /// ```text
    /// error: cpu.tick:3:6: unknown property "peroid" on window; did you mean "period"?
    ///   3 |     .peroid(10s)
    ///     |      ^
    /// ```
    pub fn render(&self, source: &str, path: &str) -> String {
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!(
            "{word}: {path}:{}: {}\n",
            self.position(source),
            self.message
        );
        excerpt(&mut out, source, self.span);
        for note in &self.notes {
            let at = Position::of(source, note.span.start);
            out.push_str(&format!("note: {path}:{at}: {}\n", note.message));
            excerpt(&mut out, source, note.span);
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Appends the line that holds `span.start` and a caret under its column.
fn excerpt(out: &mut String, source: &str, span: Span) {
    let at = Position::of(source, span.start);
    let line = source.lines().nth(at.line - 1).unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let number = at.line.to_string();
    let gutter = " ".repeat(number.len());
    // Tabs stay tabs under the caret so that it lines up however the terminal shows them.
    let pad: String = line
        .chars()
        .take(at.column - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    out.push_str(&format!(" {number} | {line}\n {gutter} | {pad}^\n"));
}

/// Every diagnostic a check produced: the errors that stop a script and the warnings that
/// do not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// All of them rendered, one after another.
    pub fn render(&self, source: &str, path: &str) -> String {
        self.0.iter().map(|d| d.render(source, path)).collect()
    }
}
