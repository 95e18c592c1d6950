//! `noOp` (and a node the engine could not build, while the task is being refused): passes
//! every message on unchanged.

use super::Operator;
use crate::message::Message;

/// Passes messages through.
#[derive(Debug, Default)]
pub struct NoOpOperator;

impl Operator for NoOpOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        out.push(message);
    }
}
