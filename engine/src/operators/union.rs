//! `union(nodes…)`: passes on the messages of all its parents in arrival order, renamed
//! with `.rename()` when given.

use std::sync::Arc;

use super::Operator;
use crate::message::{Batch, Message, Points};

/// Merges parents.
#[derive(Debug)]
pub struct UnionOperator {
    rename: Option<Arc<str>>,
}

impl UnionOperator {
    /// A union renaming its output to `rename`, if given.
    pub fn new(rename: Option<String>) -> Self {
        Self {
            rename: rename.filter(|r| !r.is_empty()).map(Arc::from),
        }
    }
}

impl Operator for UnionOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        let Some(name) = &self.rename else {
            out.push(message);
            return;
        };
        out.push(match message {
            Message::Points(points) => Message::Points(Points {
                name: Arc::clone(name),
                ..points
            }),
            Message::Batch(batch) => Message::Batch(Batch {
                name: Arc::clone(name),
                ..batch
            }),
            signal => signal,
        });
    }
}
