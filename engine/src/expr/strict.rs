//! `AND` and `OR` as Kapacitor evaluates them, which DataFusion's three-valued logic cannot.
//!
//! Kapacitor first finds the type of both sides, so a field or tag that a point lacks fails
//! the point wherever it appears (outside `isPresent()`), even where the left side alone
//! decides. Then it evaluates the left side and, only when that does not decide, the right
//! side: a stateful function on the right (`count()`) sees only those points.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::compute::kernels::boolean;
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
    /// The columns either side reads outside `isPresent()`: a point that lacks one fails.
    checked: Vec<Arc<dyn PhysicalExpr>>,
}

impl StrictLogic {
    /// `op` is `And` or `Or`.
    pub(super) fn new(
        left: Arc<dyn PhysicalExpr>,
        op: Operator,
        right: Arc<dyn PhysicalExpr>,
        checked: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Self {
        Self {
            op,
            left,
            right,
            checked,
        }
    }
}

impl PartialEq for StrictLogic {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op
            && self.left.as_ref() == other.left.as_ref()
            && self.right.as_ref() == other.right.as_ref()
    }
}

impl Eq for StrictLogic {}

impl Hash for StrictLogic {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.left.hash(state);
        self.right.hash(state);
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
        // Rows that lack a checked column fail.
        let mut lacking = BooleanArray::from(vec![false; rows]);
        for column in &self.checked {
            let values = column.evaluate(batch)?.into_array(rows)?;
            if let Some(nulls) = values.logical_nulls() {
                let missing = BooleanArray::new(!nulls.inner(), None);
                lacking = boolean::or(&lacking, &missing)?;
            }
        }
        let left = booleans(self.left.evaluate(batch)?, rows)?;
        let deciding = self.op == Operator::Or;
        // The right side runs where the left side did not decide and the row did not fail.
        let undecided: BooleanArray = (0..rows)
            .map(|row| {
                Some(!lacking.value(row) && left.is_valid(row) && left.value(row) != deciding)
            })
            .collect();
        let right = if undecided.true_count() == 0 {
            BooleanArray::new_null(rows)
        } else {
            booleans(self.right.evaluate_selection(batch, &undecided)?, rows)?
        };
        let result: BooleanArray = (0..rows)
            .map(|row| {
                if lacking.value(row) || left.is_null(row) {
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
            checked: self.checked.clone(),
        }))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
