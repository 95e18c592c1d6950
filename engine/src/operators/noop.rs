//! `log()` and `noOp`: pass every message on unchanged.

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
