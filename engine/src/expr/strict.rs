//! `AND` and `OR` as Kapacitor evaluates them, which DataFusion's three-valued logic cannot.
//!
//! Kapacitor evaluates the left side, and the right side only when the left does not decide
//! (`false AND …`, `true OR …` are decided). A side that fails (a field the point lacks)
//! fails the point, but only when it is evaluated: `"f" > 0 OR "g" > 0` holds for a point
//! with `f = 1` and no `g`, and fails for one with `f = -1` and no `g`. A stateful function
//! on the right (`count()`) sees only the points it is evaluated on. But Kapacitor types
//! both sides first, and a field or tag a side's type depends on (`"b"` in `TRUE OR "b"`,
//! `"s"` in `TRUE OR strContains("s", 'x')`) fails a point that lacks it either way.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::datatypes::{DataType, Schema};
use datafusion_common::Result;
use datafusion_expr::{ColumnarValue, Operator};
use datafusion_physical_expr::PhysicalExpr;

/// `left AND right` or `left OR right`, Kapacitor's way.
#[derive(Debug)]
pub(super) struct StrictLogic {
    op: Operator,
    left: Arc<dyn PhysicalExpr>,
    right: Arc<dyn PhysicalExpr>,
    /// The columns that must have a value for the sides to be typed.
    typed_by: Vec<Arc<dyn PhysicalExpr>>,
}

impl StrictLogic {
    /// `op` is `And` or `Or`; a row where a column of `typed_by` is null fails.
    pub(super) fn new(
        left: Arc<dyn PhysicalExpr>,
        op: Operator,
        right: Arc<dyn PhysicalExpr>,
        typed_by: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Self {
        Self {
            op,
            left,
            right,
            typed_by,
        }
    }
}

impl PartialEq for StrictLogic {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op
            && self.left.as_ref() == other.left.as_ref()
            && self.right.as_ref() == other.right.as_ref()
            && self.typed_by.len() == other.typed_by.len()
            && self
                .typed_by
                .iter()
                .zip(&other.typed_by)
                .all(|(a, b)| a.as_ref() == b.as_ref())
    }
}

impl Eq for StrictLogic {}

impl Hash for StrictLogic {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.left.hash(state);
        self.right.hash(state);
        for column in &self.typed_by {
            column.hash(state);
        }
    }
}

impl fmt::Display for StrictLogic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op, self.right)
    }
}

fn booleans(value: ColumnarValue, rows: usize) -> Result<BooleanArray> {
    let array: ArrayRef = value.into_array(rows)?;
    Ok(match array.data_type() {
        DataType::Boolean => array.as_boolean().clone(),
        _ => BooleanArray::new_null(rows),
    })
}

impl PhysicalExpr for StrictLogic {
    fn data_type(&self, _: &Schema) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn nullable(&self, _: &Schema) -> Result<bool> {
        Ok(true)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let rows = batch.num_rows();
        let mut typed = vec![true; rows];
        for column in &self.typed_by {
            let values = column.evaluate(batch)?.into_array(rows)?;
            for (row, typed) in typed.iter_mut().enumerate() {
                *typed &= values.is_valid(row);
            }
        }
        let left = booleans(self.left.evaluate(batch)?, rows)?;
        let left: BooleanArray = (0..rows)
            .map(|row| (typed[row] && left.is_valid(row)).then(|| left.value(row)))
            .collect();
        let deciding = self.op == Operator::Or;
        // The right side runs where the left side neither failed nor decided.
        let undecided: BooleanArray = (0..rows)
            .map(|row| Some(left.is_valid(row) && left.value(row) != deciding))
            .collect();
        let right = if undecided.true_count() == 0 {
            BooleanArray::new_null(rows)
        } else {
            booleans(self.right.evaluate_selection(batch, &undecided)?, rows)?
        };
        let result: BooleanArray = (0..rows)
            .map(|row| {
                if left.is_null(row) {
                    None
                } else if left.value(row) == deciding {
                    Some(deciding)
                } else {
                    right.is_valid(row).then(|| right.value(row))
                }
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(result)))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.left, &self.right]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let [left, right] = <[Arc<dyn PhysicalExpr>; 2]>::try_from(children).map_err(|_| {
            datafusion_common::DataFusionError::Internal("AND/OR take two children".into())
        })?;
        Ok(Arc::new(StrictLogic {
            op: self.op,
            left,
            right,
            typed_by: self.typed_by.clone(),
        }))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
