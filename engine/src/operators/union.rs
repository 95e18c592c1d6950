//! `union(nodes…)`: passes on the messages of all its parents in arrival order, renamed
//! with `.rename()` when given.

use std::fmt;
use std::sync::Arc;

use condenser_planner::nodes::UnionSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Batches, Data, Message, Points};

/// Merges parents.
#[derive(Debug)]
pub struct UnionOperator {
    spec: UnionSpec,
    rename: Option<Arc<str>>,
}

impl UnionOperator {
    /// A node with `spec`.
    pub fn new(spec: &UnionSpec) -> Self {
        Self {
            rename: spec
                .rename
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(Arc::from),
            spec: spec.clone(),
        }
    }
}

impl fmt::Display for UnionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Union: {}", self.spec)
    }
}

impl Operator for UnionOperator {
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
        let Some(name) = &self.rename else {
            out.push(data.into());
            return Ok(());
        };
        let name = Arc::clone(name);
        out.push(match data {
            Data::Points(points) => Message::Points(Points { name, ..points }),
            Data::Batch(batch) => Message::Batch(Batch { name, ..batch }),
            Data::Batches(batches) => Message::Batches(Batches { name, ..batches }),
        });
        Ok(())
    }
}
