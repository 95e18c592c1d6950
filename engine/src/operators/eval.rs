//! `eval(lambdas…).as(names…)`: computes new fields (or tags) from each point.
//!
//! Each expression sees the fields and tags of the point and the results of the expressions
//! before it. The output keeps only the computed fields, unless `.keep()` keeps all fields
//! or `.keep(names…)` names the ones to keep. A point on which an expression fails is
//! dropped, as Kapacitor drops it.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use condenser_model::FieldType;
use condenser_model::schema::{
    ColumnRole, ROLE_KEY, TIME_COLUMN, field_field, tag_data_type, tag_field,
};

use condenser_planner::nodes::{EvalSpec, Keep, Lambda as PlanLambda};

use super::{Context, Operator};
use crate::error::Result;
use crate::expr::Lambda;
use crate::message::{Batch, Data, Group, Message, Points, role};
use crate::points::{keep_groups, keep_rows};

/// Evaluates the expressions of an `eval()` node (the plan's `Projection` beneath it).
#[derive(Debug)]
pub struct EvalOperator {
    spec: EvalSpec,
    /// Each result's name and its expression, in order.
    expressions: Vec<(String, Lambda)>,
    names: Vec<String>,
}

impl EvalOperator {
    /// An `eval()` node with `spec`, computing each named expression in order.
    pub fn new(spec: &EvalSpec, expressions: &[(String, PlanLambda)]) -> Self {
        Self {
            spec: spec.clone(),
            names: expressions.iter().map(|(n, _)| n.clone()).collect(),
            expressions: expressions
                .iter()
                .map(|(name, lambda)| (name.clone(), Lambda::new(lambda)))
                .collect(),
        }
    }

    /// The evaluated points of `data`, without the rows where an expression failed, and
    /// which rows those are (false).
    fn apply(
        &mut self,
        data: &RecordBatch,
        groups: &[&Arc<Group>],
        ctx: &mut Context<'_>,
    ) -> Result<(RecordBatch, BooleanArray)> {
        let mut working = data.clone();
        let mut ok = vec![true; data.num_rows()];
        let mut results: Vec<(String, ArrayRef)> = Vec::new();
        for (name, expr) in &mut self.expressions {
            // A point on which an expression failed is not evaluated further: a stateful
            // function (count()) does not see it.
            let result = if expr.is_stateful() && ok.contains(&false) {
                expr.evaluate_rows(&working, groups, &BooleanArray::from(ok.clone()))?
            } else {
                expr.evaluate(&working, || groups.to_vec())?
            };
            // A tag read as the result is a string value; a duration is its nanoseconds (as
            // Kapacitor writes one in a point's fields).
            let result = match result.data_type() {
                DataType::Dictionary(_, _) => cast(&result, &DataType::Utf8)?,
                DataType::Duration(_) => cast(&result, &DataType::Int64)?,
                _ => result,
            };
            // A failed expression is null (a `Null`-typed column when it failed everywhere).
            let nulls = result.logical_nulls();
            for (row, flag) in ok.iter_mut().enumerate() {
                *flag &= nulls.as_ref().is_none_or(|n| n.is_valid(row));
            }
            working = with_column(&working, name, Arc::clone(&result))?;
            results.push((name.clone(), result));
        }
        let schema = data.schema();
        // `.keep(names…)` fails on a point where a name is neither a result nor a field of it
        // (Kapacitor: "cannot keep field …, field does not exist").
        if let Keep::Only(names) = &self.spec.keep {
            for name in names.iter().filter(|n| !self.names.contains(n)) {
                let index = schema
                    .index_of(name)
                    .ok()
                    .filter(|&i| role(&schema, i) == ColumnRole::Field);
                // A field present without a value (a recorded null) is kept, null.
                let present = index
                    .is_some_and(|i| condenser_model::schema::nulls_are_values(schema.field(i)));
                let field = index.map(|i| data.column(i));
                for (row, flag) in ok.iter_mut().enumerate() {
                    *flag &= present || field.is_some_and(|c| c.is_valid(row));
                }
            }
        }
        let mut fields: Vec<Field> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            let keep_field = |name: &String| match &self.spec.keep {
                Keep::All => !self.names.contains(name),
                Keep::Only(names) => names.contains(name) && !self.names.contains(name),
                Keep::Results => false,
            };
            let keep = match role(&schema, i) {
                ColumnRole::Time | ColumnRole::Tag => !self.spec.tags.contains(field.name()),
                ColumnRole::Field => keep_field(field.name()),
                // Which values of a kept field were integers goes with it.
                ColumnRole::Integers => condenser_model::schema::field_of_integers(field.name())
                    .is_some_and(|f| keep_field(&f.to_owned())),
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
                Keep::Results => !is_tag,
                Keep::All => true,
                Keep::Only(names) => names.contains(&name),
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
        let failed = ok.iter().filter(|k| !**k).count();
        ctx.fail_points(
            failed,
            &"an expression failed (a missing field or mismatched types)",
        );
        let out = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
        let ok = BooleanArray::from(ok);
        Ok((keep_rows(&out, &ok)?, ok))
    }
}

/// `batch` with column `name` set to `values` (replaced if present), as a field.
fn with_column(batch: &RecordBatch, name: &str, values: ArrayRef) -> Result<RecordBatch> {
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
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

impl fmt::Display for EvalOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Eval: ")?;
        for (i, (name, lambda)) in self.expressions.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{lambda} AS {name}")?;
        }
        write!(f, " {}", self.spec)
    }
}

impl Operator for EvalOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                let groups: Vec<&Arc<Group>> = points.groups.iter().collect();
                let (data, kept) = self.apply(&points.data, &groups, ctx)?;
                if data.num_rows() == 0 {
                    return Ok(());
                }
                let groups = keep_groups(&points.groups, &kept);
                out.push(Message::Points(Points {
                    data,
                    groups,
                    ..points
                }));
            }
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, ctx, out)?;
                }
            }
            Data::Batch(batch) => self.batch(batch, ctx, out)?,
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        for (_, lambda) in &mut self.expressions {
            lambda.forget_group(&group.id);
        }
    }

    fn cardinality(&self) -> usize {
        self.expressions
            .iter()
            .map(|(_, l)| l.cardinality())
            .max()
            .unwrap_or(0)
    }
}

impl EvalOperator {
    fn batch(&mut self, batch: Batch, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let groups = vec![&batch.group; batch.data.num_rows()];
        let (data, _) = self.apply(&batch.data, &groups, ctx)?;
        out.push(Message::Batch(Batch { data, ..batch }));
        Ok(())
    }
}
