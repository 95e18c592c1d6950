//! `log()`: writes every message to the log (as Kapacitor's JSON row, after `.prefix()`, at
//! `.level()`: DEBUG, INFO, WARN or ERROR; default INFO) and passes it on.

use serde_json::Value;

use super::Operator;
use super::http_out::{batch_row, point_row};
use crate::message::Message;

/// The level a `log()` node writes at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// DEBUG.
    Debug,
    /// INFO (the default).
    Info,
    /// WARN.
    Warn,
    /// ERROR.
    Error,
}

impl LogLevel {
    /// The level named `name` (any case), as `.level()` takes it.
    pub fn parse(name: &str) -> Option<LogLevel> {
        Some(match name.to_ascii_uppercase().as_str() {
            "DEBUG" => LogLevel::Debug,
            "INFO" => LogLevel::Info,
            "WARN" => LogLevel::Warn,
            "ERROR" => LogLevel::Error,
            _ => return None,
        })
    }
}

/// Logs messages.
#[derive(Debug)]
pub struct LogOperator {
    level: LogLevel,
    prefix: String,
}

impl LogOperator {
    /// A node logging at `level` with `prefix`.
    pub fn new(level: LogLevel, prefix: String) -> Self {
        Self { level, prefix }
    }

    fn write(&self, row: &Value) {
        let (prefix, row) = (&self.prefix, row.to_string());
        match self.level {
            LogLevel::Debug => tracing::debug!(prefix, %row, "log node"),
            LogLevel::Info => tracing::info!(prefix, %row, "log node"),
            LogLevel::Warn => tracing::warn!(prefix, %row, "log node"),
            LogLevel::Error => tracing::error!(prefix, %row, "log node"),
        }
    }
}

impl Operator for LogOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match &message {
            Message::Points(points) => {
                for row in 0..points.data.num_rows() {
                    self.write(&point_row(points, row));
                }
            }
            Message::Batch(batch) => self.write(&batch_row(batch)),
            Message::Batches(batches) => {
                for index in 0..batches.spans.len() {
                    self.write(&batch_row(&batches.batch(index)));
                }
            }
            Message::Barrier(_) | Message::DeleteGroup(_) => {}
        }
        out.push(message);
    }
}
