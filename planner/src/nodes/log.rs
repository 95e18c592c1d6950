//! `log()`: writes every message that passes to the daemon's log.

use std::fmt;

use super::{Call, Properties, Quoted};
use crate::Diagnostic;

/// The level a `log()` node writes at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// `DEBUG`.
    Debug,
    /// `INFO` (the default).
    #[default]
    Info,
    /// `WARN`.
    Warn,
    /// `ERROR`.
    Error,
}

impl LogLevel {
    /// The level named `name` (any case), as Kapacitor's `log().level()` takes it.
    pub fn parse(name: &str) -> Option<LogLevel> {
        Some(match name.to_ascii_uppercase().as_str() {
            "DEBUG" => LogLevel::Debug,
            "INFO" => LogLevel::Info,
            "WARN" => LogLevel::Warn,
            "ERROR" => LogLevel::Error,
            _ => return None,
        })
    }

    /// The level's name in capitals.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }
}

/// The resolved properties of a `log()` node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogSpec {
    /// `.level()`.
    pub level: LogLevel,
    /// `.prefix()`: written before each message.
    pub prefix: String,
}

impl LogSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let span = props.last("Level").map_or(props.span(), |s| s.span);
        let level = match props.string("Level") {
            None => LogLevel::Info,
            Some(name) => LogLevel::parse(&name).ok_or_else(|| {
                Diagnostic::error(
                    span,
                    format!("invalid log level {name:?}: use DEBUG, INFO, WARN or ERROR"),
                )
            })?,
        };
        Ok(LogSpec {
            level,
            prefix: props.string("Prefix").unwrap_or_default(),
        })
    }
}

impl fmt::Display for LogSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = Quoted(self.level.as_str());
        let prefix = Quoted(&self.prefix);
        Call::new(f, "log", &[])
            .opt(
                "level",
                (self.level != LogLevel::Info).then_some(&level as &dyn fmt::Display),
            )
            .opt(
                "prefix",
                (!self.prefix.is_empty()).then_some(&prefix as &dyn fmt::Display),
            )
            .end()
    }
}
