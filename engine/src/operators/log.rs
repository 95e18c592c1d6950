//! `log()`: writes every message to the log (as Kapacitor's JSON row, after `.prefix()`, at
//! `.level()`) and passes it on.

use std::fmt;

use condenser_planner::nodes::{LogLevel, LogSpec};
use serde_json::Value;

use super::http_out::{batch_row, point_row};
use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Data, Message};

/// Logs messages.
#[derive(Debug)]
pub struct LogOperator {
    spec: LogSpec,
}

impl LogOperator {
    /// A node with `spec`.
    pub fn new(spec: &LogSpec) -> Self {
        Self { spec: spec.clone() }
    }

    fn write(&self, row: &Value) {
        let (prefix, row) = (&self.spec.prefix, row.to_string());
        match self.spec.level {
            LogLevel::Debug => tracing::debug!(prefix, %row, "log node"),
            LogLevel::Info => tracing::info!(prefix, %row, "log node"),
            LogLevel::Warn => tracing::warn!(prefix, %row, "log node"),
            LogLevel::Error => tracing::error!(prefix, %row, "log node"),
        }
    }
}

impl fmt::Display for LogOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Log: {}", self.spec)
    }
}

impl Operator for LogOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match &data {
            Data::Points(points) => {
                for row in 0..points.data.num_rows() {
                    self.write(&point_row(points, row));
                }
            }
            Data::Batch(batch) => self.write(&batch_row(batch)),
            Data::Batches(batches) => {
                for index in 0..batches.spans.len() {
                    self.write(&batch_row(&batches.batch(index)?));
                }
            }
        }
        out.push(data.into());
        Ok(())
    }
}
