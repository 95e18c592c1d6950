//! `eval(lambdas…).as(names…)`: computes new fields (or tags) from each point.
//!
//! Each expression sees the fields and tags of the point and the results of the expressions
//! before it. The output keeps only the computed fields, unless `.keep()` keeps all fields
//! or `.keep(names…)` names the ones to keep. A point on which an expression fails is
//! dropped, as Kapacitor drops it.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::{DataType, Field, Schema};
use condenser_model::FieldType;
use condenser_model::schema::{
    ColumnRole, ROLE_KEY, TIME_COLUMN, field_field, tag_data_type, tag_field,
};

use super::{Operator, keep_groups};
use crate::lambda::{Lambda, LambdaState, Stateful};
use crate::message::{Batch, Message, Points, role};

/// The resolved properties of an `eval()` node.
#[derive(Debug, Clone, Default)]
pub struct EvalSpec {
    /// The expressions, in order.
    pub expressions: Vec<Lambda>,
    /// `.as()`: the name of each result.
    pub names: Vec<String>,
    /// `.tags()`: results that become tags.
    pub tags: Vec<String>,
    /// `.keep()`: `Some(empty)` keeps every field, `Some(names)` those named.
    pub keep: Option<Vec<String>>,
    /// `.quiet()`: do not log the points an expression fails on.
    pub quiet: bool,
}

/// Evaluates the expressions of an `eval()` node.
#[derive(Debug)]
pub struct EvalOperator {
    spec: EvalSpec,
    state: LambdaState,
}

impl EvalOperator {
    /// An `eval()` node with `spec`.
    pub fn new(spec: EvalSpec) -> Self {
        Self {
            spec,
            state: LambdaState::default(),
        }
    }

    /// The evaluated points of `data`, without the rows where an expression failed, and
    /// which rows those are (false).
    fn apply(
        &mut self,
        data: &RecordBatch,
        groups: impl FnOnce() -> Vec<String>,
    ) -> (RecordBatch, Vec<bool>) {
        let stateful = self.spec.expressions.iter().any(Lambda::is_stateful);
        let mut ctx = stateful.then(|| Stateful {
            groups: groups(),
            state: &mut self.state,
        });
        let mut working = data.clone();
        let mut ok = vec![true; data.num_rows()];
        let mut results: Vec<(String, ArrayRef)> = Vec::new();
        for (expr, name) in self.spec.expressions.iter().zip(&self.spec.names) {
            let result = expr.evaluate_in(&working, &mut ctx);
            // A failed expression is null (a `Null`-typed column when it failed everywhere).
            let nulls = result.logical_nulls();
            for (row, flag) in ok.iter_mut().enumerate() {
                *flag &= nulls.as_ref().is_none_or(|n| n.is_valid(row));
            }
            working = with_column(&working, name, Arc::clone(&result));
            results.push((name.clone(), result));
        }
        let schema = data.schema();
        // `.keep(names…)` fails on a point where a name is neither a result nor a field of it
        // (Kapacitor: "cannot keep field …, field does not exist").
        if let Some(names) = &self.spec.keep {
            for name in names.iter().filter(|n| !self.spec.names.contains(n)) {
                let field = schema
                    .index_of(name)
                    .ok()
                    .filter(|&i| role(&schema, i) == ColumnRole::Field)
                    .map(|i| data.column(i));
                for (row, flag) in ok.iter_mut().enumerate() {
                    *flag &= field.is_some_and(|c| c.is_valid(row));
                }
            }
        }
        let mut fields: Vec<Field> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            let keep = match role(&schema, i) {
                ColumnRole::Time | ColumnRole::Tag => !self.spec.tags.contains(field.name()),
                ColumnRole::Field => match &self.spec.keep {
                    Some(names) if names.is_empty() => !self.spec.names.contains(field.name()),
                    Some(names) => {
                        names.contains(field.name()) && !self.spec.names.contains(field.name())
                    }
                    None => false,
                },
            };
            if keep {
                fields.push(field.as_ref().clone());
                columns.push(Arc::clone(data.column(i)));
            }
        }
        for (name, result) in results {
            let is_tag = self.spec.tags.contains(&name);
            // Kapacitor's rules: without .keep() the results that are not tags; with .keep()
            // every result too (a tag result stays a field as well); with .keep(names…)
            // the named ones.
            let as_field = match &self.spec.keep {
                None => !is_tag,
                Some(names) if names.is_empty() => true,
                Some(names) => names.contains(&name),
            };
            if is_tag {
                match cast(&result, &tag_data_type()) {
                    Ok(tag) if result.data_type() == &DataType::Utf8 => {
                        fields.push(tag_field(&name));
                        columns.push(tag);
                    }
                    _ => ok.iter_mut().for_each(|f| *f = false),
                }
            }
            if as_field && let Some(field_type) = FieldType::from_data_type(result.data_type()) {
                fields.push(field_field(&name, field_type));
                columns.push(result);
            }
        }
        crate::lambda::log_failures(ok.iter().filter(|k| !**k).count(), "eval", self.spec.quiet);
        let out =
            RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("eval output");
        let out = filter_record_batch(&out, &BooleanArray::from(ok.clone()))
            .expect("mask of the batch's length");
        (out, ok)
    }
}

/// `batch` with column `name` set to `values` (replaced if present), as a field.
fn with_column(batch: &RecordBatch, name: &str, values: ArrayRef) -> RecordBatch {
    let schema = batch.schema();
    let mut fields: Vec<Field> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        if field.name() != name || field.name() == TIME_COLUMN {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(batch.column(i)));
        }
    }
    let field = Field::new(name, values.data_type().clone(), true);
    let mut metadata = std::collections::HashMap::new();
    metadata.insert(ROLE_KEY.to_owned(), ColumnRole::Field.as_str().to_owned());
    fields.push(field.with_metadata(metadata));
    columns.push(values);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("columns of one length")
}

impl Operator for EvalOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match message {
            Message::Points(points) => {
                let ids = || points.groups.iter().map(|g| g.id.clone()).collect();
                let (data, kept) = self.apply(&points.data, ids);
                if data.num_rows() == 0 {
                    return;
                }
                let groups = keep_groups(&points.groups, &kept);
                out.push(Message::Points(Points {
                    data,
                    groups,
                    ..points
                }));
            }
            Message::Batches(batches) => self.process_each(batches, out),
            Message::Batch(batch) => {
                let ids = || vec![batch.group.id.clone(); batch.data.num_rows()];
                let (data, _) = self.apply(&batch.data, ids);
                out.push(Message::Batch(Batch { data, ..batch }));
            }
            Message::DeleteGroup(group) => {
                self.state.forget(&group.id);
                out.push(Message::DeleteGroup(group));
            }
            signal @ Message::Barrier(_) => out.push(signal),
        }
    }
}
