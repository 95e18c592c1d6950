//! Comparisons of floats as Go makes them (IEEE 754), which Arrow's kernels do not: Arrow
//! orders floats totally (`-0 < +0`, `NaN` equal to itself and above every number), Go's
//! `==` holds for `-0` and `+0` and every comparison with `NaN` is false but `!=`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::datatypes::{DataType, Float64Type, Schema};
use datafusion_common::{DataFusionError, Result, ScalarValue};
use datafusion_expr::{ColumnarValue, Operator};
use datafusion_physical_expr::PhysicalExpr;

/// `left op right` of two floats, `op` a comparison.
#[derive(Debug)]
pub(super) struct FloatComparison {
    op: Operator,
    left: Arc<dyn PhysicalExpr>,
    right: Arc<dyn PhysicalExpr>,
}

impl FloatComparison {
    /// `op` is one of `=`, `!=`, `<`, `<=`, `>`, `>=`.
    pub(super) fn new(
        left: Arc<dyn PhysicalExpr>,
        op: Operator,
        right: Arc<dyn PhysicalExpr>,
    ) -> Self {
        Self { op, left, right }
    }

    fn compare(&self) -> fn(f64, f64) -> bool {
        match self.op {
            Operator::Eq => |a, b| a == b,
            Operator::NotEq => |a, b| a != b,
            Operator::Lt => |a, b| a < b,
            Operator::LtEq => |a, b| a <= b,
            Operator::Gt => |a, b| a > b,
            _ => |a, b| a >= b,
        }
    }
}

impl PartialEq for FloatComparison {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op
            && self.left.as_ref() == other.left.as_ref()
            && self.right.as_ref() == other.right.as_ref()
    }
}

impl Eq for FloatComparison {}

impl Hash for FloatComparison {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.left.hash(state);
        self.right.hash(state);
    }
}

impl fmt::Display for FloatComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op, self.right)
    }
}

/// A side of a comparison: a column of floats, or one float (or null) for every row.
enum Side {
    Array(ArrayRef),
    Scalar(Option<f64>),
}

fn side(value: ColumnarValue) -> Result<Side> {
    Ok(match value {
        ColumnarValue::Array(array) if array.data_type() == &DataType::Float64 => {
            Side::Array(array)
        }
        ColumnarValue::Scalar(ScalarValue::Float64(v)) => Side::Scalar(v),
        other => {
            return Err(DataFusionError::Internal(format!(
                "a float comparison got {}",
                other.data_type()
            )));
        }
    })
}

impl PhysicalExpr for FloatComparison {
    fn data_type(&self, _: &Schema) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn nullable(&self, _: &Schema) -> Result<bool> {
        Ok(true)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let rows = batch.num_rows();
        let compare = self.compare();
        let (left, right) = (
            side(self.left.evaluate(batch)?)?,
            side(self.right.evaluate(batch)?)?,
        );
        let result = match (left, right) {
            (Side::Scalar(None), _) | (_, Side::Scalar(None)) => BooleanArray::new_null(rows),
            (Side::Scalar(Some(a)), Side::Scalar(Some(b))) => {
                BooleanArray::from(vec![compare(a, b); rows])
            }
            (Side::Array(a), Side::Scalar(Some(b))) => {
                let a = a.as_primitive::<Float64Type>();
                let values = a.values();
                BooleanArray::new(
                    BooleanBuffer::collect_bool(rows, |i| compare(values[i], b)),
                    a.nulls().cloned(),
                )
            }
            (Side::Scalar(Some(a)), Side::Array(b)) => {
                let b = b.as_primitive::<Float64Type>();
                let values = b.values();
                BooleanArray::new(
                    BooleanBuffer::collect_bool(rows, |i| compare(a, values[i])),
                    b.nulls().cloned(),
                )
            }
            (Side::Array(a), Side::Array(b)) => {
                let (a, b) = (
                    a.as_primitive::<Float64Type>(),
                    b.as_primitive::<Float64Type>(),
                );
                let (x, y) = (a.values(), b.values());
                BooleanArray::new(
                    BooleanBuffer::collect_bool(rows, |i| compare(x[i], y[i])),
                    NullBuffer::union(a.nulls(), b.nulls()),
                )
            }
        };
        Ok(ColumnarValue::Array(Arc::new(result)))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.left, &self.right]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let [left, right] = <[Arc<dyn PhysicalExpr>; 2]>::try_from(children)
            .map_err(|_| DataFusionError::Internal("a comparison takes two children".into()))?;
        Ok(Arc::new(FloatComparison::new(left, self.op, right)))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
