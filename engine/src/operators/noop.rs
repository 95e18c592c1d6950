//! The `noop` node Kapacitor links under a node that `stats()` or `deadman()` watches when
//! it has no other children: it passes on what it is given (to no one).

use std::fmt;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Data, Message};

/// Passes its input on unchanged.
#[derive(Debug)]
pub struct NoOpOperator;

impl fmt::Display for NoOpOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NoOp")
    }
}

impl Operator for NoOpOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        out.push(data.into());
        Ok(())
    }
}
