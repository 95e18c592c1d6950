//! Kapacitor's lambda functions as DataFusion scalar UDFs, defined once: the planner's
//! lambdas call them ([`crate::plan::lower_lambda`]), their return types follow the
//! [catalog](crate::catalog::functions)'s signatures, and the engine runs the very same UDFs
//! in its physical expressions, on whole Arrow arrays.
//!
//! A row a function fails on (a wrong type, a bad conversion) is null: Kapacitor's error
//! for that point. The stateful functions (`count()`, `sigma()`, `spread()`, `rand()`) keep
//! state per group and per call, which a shared UDF cannot: their UDFs here give the
//! signature, and the engine evaluates each call with state of its own.
//!
//! - [`convert`]: `bool`, `int`, `float`, `string`, `duration`;
//! - [`math`]: Go's `math` package, `pow10`, `humanBytes`;
//! - [`strings`]: Go's `strings` package and `regexReplace`;
//! - [`time`]: `minute`, `hour`, …, `unixNano`, `now`;
//! - here: `isPresent` and `if`.

mod convert;
pub mod go_pow;
mod math;
mod strings;
mod time;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, new_null_array};
use arrow::datatypes::{DataType, TimeUnit};
use datafusion_common::{DataFusionError, Result};
use datafusion_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use crate::catalog::{FUNCTIONS, Function};
use crate::value_type::ValueType;

/// One of Kapacitor's lambda functions, callable in a DataFusion expression.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct KapacitorFunction {
    function: &'static str,
    signature: Signature,
}

impl KapacitorFunction {
    /// The UDF of the catalog function `name`, or `None` when lambdas have no such function.
    pub fn udf(name: &str) -> Option<ScalarUDF> {
        let function = catalog_entry(name)?;
        let volatility = if function.stateful || name == "now" {
            Volatility::Volatile
        } else {
            Volatility::Immutable
        };
        Some(ScalarUDF::new_from_impl(KapacitorFunction {
            function: function.name,
            // Any arguments, none included: the catalog's signatures decide in `return_type`.
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                volatility,
            ),
        }))
    }
}

fn catalog_entry(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Whether `name` is a function that keeps state per group and per call (`count`,
/// `sigma`, `spread`, `rand`): the engine evaluates these, not their UDF.
pub fn is_stateful(name: &str) -> bool {
    catalog_entry(name).is_some_and(|f| f.stateful)
}

/// The TICKscript type of an Arrow column, `None` for a column whose type is known only
/// when points arrive (`Null` in a plan's schema).
pub fn value_type(data_type: &DataType) -> Option<ValueType> {
    Some(match data_type {
        DataType::Float64 => ValueType::Float,
        DataType::Int64 => ValueType::Int,
        DataType::Utf8 | DataType::Dictionary(_, _) => ValueType::String,
        DataType::Boolean => ValueType::Bool,
        DataType::Timestamp(_, _) => ValueType::Time,
        DataType::Duration(_) => ValueType::Duration,
        _ => return None,
    })
}

/// The Arrow type of a TICKscript value type (a regex is its pattern, a string).
pub fn data_type(value_type: ValueType) -> DataType {
    match value_type {
        ValueType::Float => DataType::Float64,
        ValueType::Int => DataType::Int64,
        ValueType::String | ValueType::Regex => DataType::Utf8,
        ValueType::Bool => DataType::Boolean,
        ValueType::Time => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        ValueType::Duration => DataType::Duration(TimeUnit::Nanosecond),
        _ => DataType::Null,
    }
}

impl ScalarUDFImpl for KapacitorFunction {
    fn name(&self) -> &str {
        self.function
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The type the catalog's signatures give for these argument types. An argument whose
    /// type is known only at run time matches any type; when that leaves several results,
    /// the type is left open (`Null`). No signature matching is no error here: Kapacitor
    /// types a call when it evaluates it, and fails the point (`Null`: every point fails).
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let function = catalog_entry(self.function).ok_or_else(|| {
            DataFusionError::Internal(format!("{}() is not in the catalog", self.function))
        })?;
        // A string stands for a regex (a pattern) only where no signature takes a string.
        let matching = |regex_from_string: bool| {
            function.signatures.iter().filter(move |s| {
                s.args.len() == arg_types.len()
                    && s.args
                        .iter()
                        .zip(arg_types)
                        .all(|(want, have)| match value_type(have) {
                            None => true,
                            Some(have) => {
                                have == *want
                                    || *want == ValueType::Missing
                                    || (regex_from_string
                                        && *want == ValueType::Regex
                                        && have == ValueType::String)
                            }
                        })
            })
        };
        let mut results = matching(false).peekable();
        let mut results: Box<dyn Iterator<Item = _>> = if results.peek().is_some() {
            Box::new(results)
        } else {
            Box::new(matching(true))
        };
        let Some(first) = results.next() else {
            return Ok(DataType::Null);
        };
        Ok(if results.all(|s| s.returns == first.returns) {
            data_type(first.returns)
        } else {
            DataType::Null
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if is_stateful(self.function) {
            return Err(DataFusionError::Internal(format!(
                "{}() keeps state per group: the engine evaluates it with state of its own",
                self.function
            )));
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        // Literal arguments come as arrays of one row; a call without arguments has the
        // batch's rows.
        let rows = arrays.first().map_or(args.number_rows, |a| a.len());
        let result = invoke(self.function, &arrays, rows);
        // The engine declares the catalog's return type: a failure everywhere is a null
        // column of that type.
        let wanted = args.return_field.data_type();
        if result.data_type() != wanted && result.logical_null_count() == result.len() {
            return Ok(ColumnarValue::Array(new_null_array(wanted, rows)));
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// Calls the stateless function `name` on whole columns; null where it fails (a `Null`
/// column when the function or its argument types are not supported).
pub fn invoke(name: &str, args: &[ArrayRef], rows: usize) -> ArrayRef {
    call(name, args, rows).unwrap_or_else(|| new_null_array(&DataType::Null, rows))
}

fn call(name: &str, args: &[ArrayRef], rows: usize) -> Option<ArrayRef> {
    if let Some(result) = math::call(name, args, rows) {
        return result;
    }
    if let Some(result) = convert::call(name, args, rows) {
        return result;
    }
    if let Some(result) = strings::call(name, args, rows) {
        return result;
    }
    if let Some(result) = time::call(name, args, rows) {
        return result;
    }
    Some(match (name, args) {
        ("isPresent", [arg]) => Arc::new(arrow::compute::is_not_null(arg).ok()?),
        ("if", [condition, then, otherwise]) => {
            if condition.data_type() != &DataType::Boolean
                || then.data_type() != otherwise.data_type()
            {
                return None;
            }
            // Kapacitor evaluates every argument first: one that failed (a null, even in the
            // branch not taken) fails the row.
            let chosen =
                arrow::compute::kernels::zip::zip(condition.as_boolean(), then, otherwise).ok()?;
            let mut failed = arrow::compute::is_null(condition).ok()?;
            for branch in [then, otherwise] {
                let null = arrow::compute::is_null(branch).ok()?;
                failed = arrow::compute::kernels::boolean::or(&failed, &null).ok()?;
            }
            arrow::compute::nullif(&chosen, &failed).ok()?
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
