//! The stateful lambda functions: `count()`, `sigma(x)`, `spread(x)` and `rand([n])`.
//!
//! Kapacitor keeps one expression per group, and each call in it keeps its own state: the
//! points of the group it has seen. Here each call of a lambda is a [`StatefulCall`], a
//! scalar UDF instance with that state by group id, called with the row's group id as its
//! last argument (a column the operator appends). Rows are taken in order, as Kapacitor
//! takes points.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Float64Type, Int64Type, UInt32Type};
use condenser_planner::functions::is_stateful;
use datafusion_common::{DataFusionError, Result as DfResult};
use datafusion_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::error::{Error, Result};
use crate::message::FastMap;

/// What one call has seen of one group.
#[derive(Debug, Clone, Copy)]
struct Running {
    n: i64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Running {
    fn default() -> Self {
        Running {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

/// The state of one call, by group id.
#[derive(Debug, Default)]
struct CallState {
    groups: FastMap<String, Running>,
    /// xorshift64* state for `rand()`.
    random: u64,
}

/// The state of every stateful call of one lambda, in the order the calls appear (each
/// call's arguments before the call).
#[derive(Debug, Default)]
pub struct LambdaState {
    calls: Vec<Arc<ScalarUDF>>,
    states: Vec<Arc<Mutex<CallState>>>,
}

impl LambdaState {
    /// State for every stateful call in `expr`.
    pub(super) fn for_expr(expr: &Expr) -> LambdaState {
        let mut names = Vec::new();
        stateful_calls(expr, &mut names);
        let mut state = LambdaState::default();
        for name in names {
            let call_state = Arc::new(Mutex::new(CallState {
                random: seed(),
                ..CallState::default()
            }));
            state
                .calls
                .push(Arc::new(ScalarUDF::new_from_impl(StatefulCall {
                    name,
                    signature: Signature::variadic_any(Volatility::Volatile),
                    state: Arc::clone(&call_state),
                })));
            state.states.push(call_state);
        }
        state
    }

    /// Whether the lambda has no stateful call.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The UDF of call `site`.
    pub(super) fn udf(&self, site: usize) -> Result<Arc<ScalarUDF>> {
        self.calls
            .get(site)
            .cloned()
            .ok_or_else(|| Error::internal(format!("no stateful call {site} in the lambda")))
    }

    /// Forgets what every call has seen of group `id`.
    pub fn forget(&mut self, id: &str) {
        for state in &self.states {
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .groups
                .remove(id);
        }
    }

    /// How many groups the calls keep state for (the most of any call).
    pub fn cardinality(&self) -> usize {
        self.states
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .groups
                    .len()
            })
            .max()
            .unwrap_or(0)
    }
}

/// The names of the stateful calls of `expr`, in the order the compiler meets them.
fn stateful_calls(expr: &Expr, out: &mut Vec<&'static str>) {
    match expr {
        Expr::Alias(alias) => stateful_calls(&alias.expr, out),
        Expr::Not(e) | Expr::Negative(e) => stateful_calls(e, out),
        Expr::BinaryExpr(binary) => {
            stateful_calls(&binary.left, out);
            stateful_calls(&binary.right, out);
        }
        Expr::ScalarFunction(call) => {
            for arg in &call.args {
                stateful_calls(arg, out);
            }
            if is_stateful(call.name()) {
                out.push(match call.name() {
                    "count" => "count",
                    "sigma" => "sigma",
                    "spread" => "spread",
                    _ => "rand",
                });
            }
        }
        _ => {}
    }
}

fn seed() -> u64 {
    let nanos = crate::clock::system_now() as u64;
    (nanos ^ 0x9e37_79b9_7f4a_7c15).max(1)
}

/// One stateful call of a lambda, with its state.
#[derive(Debug)]
struct StatefulCall {
    name: &'static str,
    signature: Signature,
    state: Arc<Mutex<CallState>>,
}

impl PartialEq for StatefulCall {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }
}

impl Eq for StatefulCall {}

impl Hash for StatefulCall {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.state) as usize).hash(state);
    }
}

impl ScalarUDFImpl for StatefulCall {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(match self.name {
            "sigma" | "spread" => DataType::Float64,
            _ => DataType::Int64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some((groups, args)) = arrays.split_last() else {
            return Err(DataFusionError::Internal(format!(
                "{}() was called without the rows' groups",
                self.name
            )));
        };
        let groups = groups.as_dictionary::<UInt32Type>();
        let ids = groups.values().as_string::<i32>();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let CallState {
            groups: by_group,
            random,
        } = &mut *state;
        // Each distinct group of the batch is looked up once.
        let mut running: Vec<Running> = (0..ids.len())
            .map(|i| by_group.get(ids.value(i)).copied().unwrap_or_default())
            .collect();
        let keys = groups.keys();
        let group_of = |row: usize| keys.value(row) as usize;
        let out: ArrayRef = match (self.name, args) {
            ("count", []) => Arc::new(
                (0..rows)
                    .map(|row| {
                        let r = &mut running[group_of(row)];
                        r.n += 1;
                        Some(r.n)
                    })
                    .collect::<Int64Array>(),
            ),
            ("rand", []) | ("rand", [_]) => {
                let bound = args.first().map(|n| n.as_primitive::<Int64Type>());
                Arc::new(
                    (0..rows)
                        .map(|row| {
                            *random ^= *random >> 12;
                            *random ^= *random << 25;
                            *random ^= *random >> 27;
                            let value = random.wrapping_mul(0x2545_f491_4f6c_dd1d);
                            match bound {
                                Some(n) if n.is_null(row) => None,
                                Some(n) => {
                                    let n = n.value(row) as u64;
                                    Some(
                                        (value.checked_rem(n).unwrap_or(0) & (u64::MAX >> 1))
                                            as i64,
                                    )
                                }
                                None => Some((value & (u64::MAX >> 1)) as i64),
                            }
                        })
                        .collect::<Int64Array>(),
                )
            }
            (_, [x]) if x.data_type() == &DataType::Float64 => {
                let x = x.as_primitive::<Float64Type>();
                let sigma = self.name == "sigma";
                Arc::new(
                    (0..rows)
                        .map(|row| {
                            if x.is_null(row) {
                                return None;
                            }
                            let (v, r) = (x.value(row), &mut running[group_of(row)]);
                            if !sigma {
                                r.min = r.min.min(v);
                                r.max = r.max.max(v);
                                return Some(r.max - r.min);
                            }
                            // Kapacitor's running mean and sum of squared deviations.
                            r.n += 1;
                            let delta = v - r.mean;
                            r.mean += delta / r.n as f64;
                            r.m2 += delta * (v - r.mean);
                            let variance = r.m2 / (r.n - 1) as f64;
                            Some(if r.n < 2 || variance == 0.0 {
                                0.0
                            } else {
                                (v - r.mean).abs() / variance.sqrt()
                            })
                        })
                        .collect::<Float64Array>(),
                )
            }
            _ => arrow::array::new_null_array(&self.return_type(&[])?, rows),
        };
        for (i, r) in running.into_iter().enumerate() {
            let id = ids.value(i);
            match by_group.get_mut(id) {
                Some(entry) => *entry = r,
                None if r.n > 0 || r.min <= r.max => {
                    by_group.insert(id.to_owned(), r);
                }
                None => {}
            }
        }
        Ok(ColumnarValue::Array(out))
    }
}
