//! Lambdas run as DataFusion physical expressions made from the plan's expressions.
//!
//! A [`Lambda`] holds a lambda's DataFusion `Expr` (over Kapacitor's functions as the
//! planner's scalar UDFs) and, for each schema of points it meets, that expression compiled
//! into an `Arc<dyn PhysicalExpr>` ([`compile`]): columns by index, literals, DataFusion's
//! `BinaryExpr`, `NotExpr`, `NegativeExpr`, `CastExpr`, and `ScalarFunctionExpr`s calling
//! the very UDFs of the plan. Points of one measurement share a schema, so an expression is
//! compiled once and then evaluated per batch.
//!
//! Kapacitor's type rules are applied when the expression is compiled for a schema, where
//! every column's type is known: integers and floats mix only in comparisons (a cast is
//! inserted there), strings concatenate with `+`, `=~` takes a string and a regex, and a
//! combination Kapacitor refuses, or a field the points lack, becomes a null that fails every
//! row, as Kapacitor fails each such point. DataFusion's own coercions never run.
//!
//! Two rules DataFusion cannot express, kept as the smallest pieces of our own:
//! - `AND` and `OR` evaluate their right side only where the left does not decide, and
//!   fail a point where an evaluated side fails on it ([`strict`]); DataFusion's are SQL's
//!   three-valued logic, where `true AND NULL` is `NULL` but `NULL OR true` is `true`.
//! - Floats compare as Go compares them, IEEE 754's way ([`ieee`]); Arrow's kernels order
//!   them totally (`-0 < +0`, `NaN == NaN`).
//! - `count()`, `sigma()`, `spread()` and `rand()` keep state per group and per call
//!   ([`stateful`]): each call of a lambda gets a UDF instance with state of its own, which
//!   reads each row's group from a column the operator appends.

mod compile;
mod ieee;
mod stateful;
mod strict;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, DictionaryArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt32Type};
use condenser_planner::nodes;
use datafusion_physical_expr::PhysicalExpr;

use crate::error::{Error, Result};
use crate::message::{FastMap, Group};
pub use stateful::LambdaState;

/// The column a stateful lambda reads each row's group id from: the operator appends it.
const GROUP_COLUMN: &str = "\u{0}condenser.group";

/// A lambda, ready to evaluate on batches of points.
#[derive(Debug)]
pub struct Lambda {
    lambda: nodes::Lambda,
    /// The state of its stateful calls, one per call in the expression's order.
    state: LambdaState,
    /// The expression compiled for each schema met, most recent first.
    compiled: Vec<(SchemaRef, Arc<dyn PhysicalExpr>)>,
}

impl std::fmt::Display for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lambda: {}", self.lambda.text)
    }
}

/// How many schemas a lambda keeps its compiled expression for.
const COMPILED_SCHEMAS: usize = 8;

impl Lambda {
    /// A lambda of the plan.
    pub fn new(lambda: &nodes::Lambda) -> Lambda {
        Lambda {
            state: LambdaState::for_expr(&lambda.expr),
            lambda: lambda.clone(),
            compiled: Vec::new(),
        }
    }

    /// The lambda as TICKscript.
    pub fn text(&self) -> &str {
        &self.lambda.text
    }

    /// Whether it calls a stateful function (`count()`, `sigma()`, …), which needs each
    /// row's group.
    pub fn is_stateful(&self) -> bool {
        !self.state.is_empty()
    }

    /// Evaluates the lambda on every row of `data`: null where it fails. `groups` gives each
    /// row's group, asked for only when the lambda is stateful.
    pub fn evaluate<'g>(
        &mut self,
        data: &RecordBatch,
        groups: impl FnOnce() -> Vec<&'g Arc<Group>>,
    ) -> Result<ArrayRef> {
        let input = if self.is_stateful() {
            with_group_column(data, &groups())?
        } else {
            data.clone()
        };
        let expr = self.compiled_for(&data.schema(), &input.schema())?;
        let rows = input.num_rows();
        match expr.evaluate(&input) {
            Ok(value) => Ok(value.into_array(rows)?),
            // A failure of the whole batch (an integer divided by zero) fails every row.
            Err(error) => match Error::from(error) {
                Error::Data(_) => Ok(arrow::array::new_null_array(&DataType::Null, rows)),
                error => Err(error),
            },
        }
    }

    /// Evaluates the lambda on the rows of `data` where `rows` is true only (a stateful
    /// function sees only those points); null on the others.
    pub fn evaluate_rows(
        &mut self,
        data: &RecordBatch,
        groups: &[&Arc<Group>],
        rows: &BooleanArray,
    ) -> Result<ArrayRef> {
        if rows.true_count() == rows.len() {
            return self.evaluate(data, || groups.to_vec());
        }
        let kept = arrow::compute::filter_record_batch(data, rows)?;
        let kept_groups: Vec<&Arc<Group>> = groups
            .iter()
            .zip(rows.iter())
            .filter(|(_, keep)| keep == &Some(true))
            .map(|(g, _)| *g)
            .collect();
        let result = self.evaluate(&kept, || kept_groups)?;
        let mut next = 0u32;
        let indices: arrow::array::UInt32Array = rows
            .iter()
            .map(|keep| {
                (keep == Some(true)).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Ok(arrow::compute::take(&result, &indices, None)?)
    }

    /// Evaluates the lambda as a predicate: true where it holds; false where it does not or
    /// fails. Also returns how many rows it failed on.
    pub fn mask<'g>(
        &mut self,
        data: &RecordBatch,
        groups: impl FnOnce() -> Vec<&'g Arc<Group>>,
    ) -> Result<(BooleanArray, usize)> {
        let result = self.evaluate(data, groups)?;
        Ok(predicate_mask(&result))
    }

    /// Forgets the state of group `id` (a deleted group).
    pub fn forget_group(&mut self, id: &str) {
        self.state.forget(id);
    }

    /// How many groups its stateful calls keep state for.
    pub fn cardinality(&self) -> usize {
        self.state.cardinality()
    }

    fn compiled_for(
        &mut self,
        schema: &SchemaRef,
        input: &SchemaRef,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let found = self
            .compiled
            .iter()
            .position(|(s, _)| Arc::ptr_eq(s, schema) || s.fields() == schema.fields());
        if let Some(index) = found {
            if index > 0 {
                let entry = self.compiled.remove(index);
                self.compiled.insert(0, entry);
            }
            return Ok(Arc::clone(&self.compiled[0].1));
        }
        let expr = compile::compile(&self.lambda.expr, input, &self.state)?;
        self.compiled
            .insert(0, (Arc::clone(schema), Arc::clone(&expr)));
        self.compiled.truncate(COMPILED_SCHEMAS);
        Ok(expr)
    }
}

/// `data` with the group id of each row as a last column (a dictionary of the ids).
fn with_group_column(data: &RecordBatch, groups: &[&Arc<Group>]) -> Result<RecordBatch> {
    let mut ids: Vec<&str> = Vec::new();
    let mut index_of: FastMap<*const Group, u32> = FastMap::default();
    let keys: Vec<u32> = groups
        .iter()
        .map(|group| {
            *index_of.entry(Arc::as_ptr(group)).or_insert_with(|| {
                ids.push(&group.id);
                (ids.len() - 1) as u32
            })
        })
        .collect();
    let column =
        DictionaryArray::<UInt32Type>::try_new(keys.into(), Arc::new(StringArray::from(ids)))?;
    let schema = data.schema();
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    fields.push(Arc::new(Field::new(
        GROUP_COLUMN,
        column.data_type().clone(),
        false,
    )));
    let mut columns = data.columns().to_vec();
    columns.push(Arc::new(column));
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Whether each row of a predicate's result is true (null, an error, and false drop it), and
/// how many rows failed.
pub fn predicate_mask(result: &ArrayRef) -> (BooleanArray, usize) {
    match result.data_type() {
        DataType::Boolean => {
            let values = arrow::array::AsArray::as_boolean(result);
            let failed = values.null_count();
            let mask = if failed == 0 {
                values.clone()
            } else {
                arrow::compute::prep_null_mask_filter(values)
            };
            (mask, failed)
        }
        // Not a boolean (or failed everywhere): every row fails.
        _ => (BooleanArray::from(vec![false; result.len()]), result.len()),
    }
}
