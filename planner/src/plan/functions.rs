//! Kapacitor's lambda functions as DataFusion scalar UDFs.
//!
//! Each function of the [catalog](crate::catalog::functions) becomes one [`ScalarUDF`]
//! whose return type follows the catalog's signatures and whose implementation works on
//! whole Arrow arrays. A row the function fails on (a wrong type, a bad conversion) is
//! null: Kapacitor's error for that point. The stateful functions (`count()`, `sigma()`,
//! `spread()`) keep state per group, which a scalar function cannot: the engine evaluates
//! them itself, and calling their UDF directly is an error.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray,
    TimestampNanosecondArray, new_null_array,
};
use arrow::compute::kernels::cmp;
use arrow::compute::kernels::temporal::{DatePart, date_part};
use arrow::compute::{cast, is_not_null};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
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

/// Whether `name` is a function that keeps state per group (`count`, `sigma`, `spread`):
/// the engine evaluates these, not their UDF.
pub fn is_stateful(name: &str) -> bool {
    catalog_entry(name).is_some_and(|f| f.stateful)
}

/// Whether Condenser can evaluate the function `name` (stateful ones through the engine).
pub fn is_implemented(name: &str) -> bool {
    matches!(name, "count" | "sigma" | "spread")
        || (!is_stateful(name) && float_function(name).is_some())
        || matches!(
            name,
            "bool"
                | "int"
                | "float"
                | "string"
                | "isPresent"
                | "now"
                | "unixNano"
                | "minute"
                | "hour"
                | "weekday"
                | "day"
                | "month"
                | "year"
                | "pow10"
                | "if"
                | "regexReplace"
                | "strContains"
                | "strContainsAny"
                | "strCount"
                | "strHasPrefix"
                | "strHasSuffix"
                | "strIndex"
                | "strIndexAny"
                | "strLastIndex"
                | "strLastIndexAny"
                | "strLength"
                | "strReplace"
                | "strSubstring"
                | "strToLower"
                | "strToUpper"
                | "strTrim"
                | "strTrimLeft"
                | "strTrimPrefix"
                | "strTrimRight"
                | "strTrimSpace"
                | "strTrimSuffix"
        )
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
    /// the type is left open (`Null`).
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let function = catalog_entry(self.function).expect("created from the catalog");
        let mut results = function.signatures.iter().filter(|s| {
            s.args.len() == arg_types.len()
                && s.args
                    .iter()
                    .zip(arg_types)
                    .all(|(want, have)| match value_type(have) {
                        None => true,
                        Some(have) => {
                            have == *want
                                || (*want == ValueType::Regex && have == ValueType::String)
                        }
                    })
        });
        let first = results.next().ok_or_else(|| {
            DataFusionError::Plan(format!(
                "no signature of {}() takes ({})",
                self.function,
                arg_types
                    .iter()
                    .map(|t| value_type(t).map_or("any", ValueType::as_str))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        Ok(if results.all(|s| s.returns == first.returns) {
            data_type(first.returns)
        } else {
            DataType::Null
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if is_stateful(self.function) {
            return Err(DataFusionError::Execution(format!(
                "{}() keeps state per group: the engine evaluates it",
                self.function
            )));
        }
        Ok(ColumnarValue::Array(invoke(self.function, &arrays, rows)))
    }
}

/// Calls the stateless function `name` on whole columns; null where it fails (every row
/// when the function or its argument types are not supported).
pub fn invoke(name: &str, args: &[ArrayRef], rows: usize) -> ArrayRef {
    call(name, args, rows).unwrap_or_else(|| new_null_array(&DataType::Null, rows))
}

/// The one-float functions Rust's `f64` provides with Go's `math` semantics.
fn float_function(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "acos" => f64::acos,
        "acosh" => f64::acosh,
        "asin" => f64::asin,
        "asinh" => f64::asinh,
        "atan" => f64::atan,
        "atanh" => f64::atanh,
        "cbrt" => f64::cbrt,
        "ceil" => f64::ceil,
        "cos" => f64::cos,
        "cosh" => f64::cosh,
        "exp" => f64::exp,
        "exp2" => f64::exp2,
        "expm1" => f64::exp_m1,
        "floor" => f64::floor,
        "log" => f64::ln,
        "log10" => f64::log10,
        "log1p" => f64::ln_1p,
        "log2" => f64::log2,
        "logb" => |x: f64| {
            if x == 0.0 {
                f64::NEG_INFINITY
            } else if x.is_infinite() {
                f64::INFINITY
            } else if x.is_nan() {
                x
            } else {
                x.abs().log2().floor()
            }
        },
        "sin" => f64::sin,
        "sinh" => f64::sinh,
        "sqrt" => f64::sqrt,
        "tan" => f64::tan,
        "tanh" => f64::tanh,
        "trunc" => f64::trunc,
        _ => return None,
    })
}

/// The two-float functions, with Go's `math` semantics (NaN wins in `max`/`min`).
fn float2_function(name: &str) -> Option<fn(f64, f64) -> f64> {
    Some(match name {
        "atan2" => f64::atan2,
        "hypot" => f64::hypot,
        "pow" => f64::powf,
        "mod" => |a, b| a % b,
        "max" => |a: f64, b: f64| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.max(b)
            }
        },
        "min" => |a: f64, b: f64| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.min(b)
            }
        },
        _ => return None,
    })
}

fn strings(array: &ArrayRef) -> Option<&arrow::array::StringArray> {
    (array.data_type() == &DataType::Utf8).then(|| array.as_string::<i32>())
}

fn ints(array: &ArrayRef) -> Option<&Int64Array> {
    (array.data_type() == &DataType::Int64).then(|| array.as_primitive::<Int64Type>())
}

/// Applies `f` row by row to string columns; null where any argument is null.
fn map_strings<T>(
    args: &[&arrow::array::StringArray],
    rows: usize,
    mut f: impl FnMut(&[&str]) -> Option<T>,
) -> Vec<Option<T>> {
    (0..rows)
        .map(|row| {
            if args.iter().any(|a| a.is_null(row)) {
                return None;
            }
            let values: Vec<&str> = args.iter().map(|a| a.value(row)).collect();
            f(&values)
        })
        .collect()
}

/// Go's `strings.Index` family: a byte offset or -1.
fn byte_index(found: Option<usize>) -> Option<i64> {
    Some(found.map_or(-1, |i| i as i64))
}

fn call(name: &str, args: &[ArrayRef], rows: usize) -> Option<ArrayRef> {
    let one = || match args {
        [arg] => Some(arg),
        _ => None,
    };
    if let Some(f) = float_function(name) {
        let arg = one()?;
        return (arg.data_type() == &DataType::Float64)
            .then(|| Arc::new(arg.as_primitive::<Float64Type>().unary::<_, Float64Type>(f)) as _);
    }
    if let Some(f) = float2_function(name) {
        let [a, b] = args else { return None };
        if a.data_type() != &DataType::Float64 || b.data_type() != &DataType::Float64 {
            return None;
        }
        let result: Float64Array = arrow::compute::binary(
            a.as_primitive::<Float64Type>(),
            b.as_primitive::<Float64Type>(),
            f,
        )
        .ok()?;
        return Some(Arc::new(result));
    }
    Some(match name {
        "isPresent" => Arc::new(is_not_null(one()?).ok()?),
        // The wall clock, as Kapacitor reads it (not the replay clock).
        "now" if args.is_empty() => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64);
            Arc::new(TimestampNanosecondArray::from(vec![now; rows]).with_timezone("UTC"))
        }
        "string" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Utf8 => Arc::clone(arg),
                // Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest exact digits.
                DataType::Float64 => Arc::new(
                    arg.as_primitive::<Float64Type>()
                        .iter()
                        .map(|v| v.map(|v| v.to_string()))
                        .collect::<StringArray>(),
                ),
                DataType::Int64 | DataType::Boolean => cast(arg, &DataType::Utf8).ok()?,
                _ => return None,
            }
        }
        "int" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Int64 => Arc::clone(arg),
                DataType::Float64 => Arc::new(
                    arg.as_primitive::<Float64Type>()
                        .unary::<_, Int64Type>(|v| v as i64),
                ),
                DataType::Boolean | DataType::Utf8 => cast(arg, &DataType::Int64).ok()?,
                _ => return None,
            }
        }
        "float" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Float64 => Arc::clone(arg),
                DataType::Int64 | DataType::Boolean | DataType::Utf8 => {
                    cast(arg, &DataType::Float64).ok()?
                }
                _ => return None,
            }
        }
        "bool" => {
            let arg = one()?;
            match arg.data_type() {
                DataType::Boolean => Arc::clone(arg),
                DataType::Int64 | DataType::Float64 => {
                    let zero = cast(&Int64Array::from(vec![0]), arg.data_type()).ok()?;
                    Arc::new(cmp::neq(arg, &arrow::array::Scalar::new(zero)).ok()?)
                }
                // Go's strconv.ParseBool.
                DataType::Utf8 => Arc::new(
                    arg.as_string::<i32>()
                        .iter()
                        .map(|v| match v? {
                            "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
                            "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
                            _ => None,
                        })
                        .collect::<BooleanArray>(),
                ),
                _ => return None,
            }
        }
        "pow10" => Arc::new(
            ints(one()?)?
                .iter()
                .map(|v| v.map(|n| 10f64.powi(n.clamp(-400, 400) as i32)))
                .collect::<Float64Array>(),
        ),
        "minute" | "hour" | "day" | "weekday" | "month" | "year" => {
            let arg = one()?;
            if !matches!(arg.data_type(), DataType::Timestamp(_, _)) {
                return None;
            }
            let part = match name {
                "minute" => DatePart::Minute,
                "hour" => DatePart::Hour,
                "day" => DatePart::Day,
                "weekday" => DatePart::DayOfWeekSunday0,
                "month" => DatePart::Month,
                _ => DatePart::Year,
            };
            // Times are read in UTC (Kapacitor reads them in the server's zone; run it
            // with TZ=UTC to compare).
            let utc = cast(arg, &DataType::Timestamp(TimeUnit::Nanosecond, None)).ok()?;
            cast(&date_part(&utc, part).ok()?, &DataType::Int64).ok()?
        }
        "unixNano" => {
            let arg = one()?;
            if !matches!(arg.data_type(), DataType::Timestamp(_, _)) {
                return None;
            }
            cast(arg, &DataType::Int64).ok()?
        }
        "if" => {
            let [condition, then, otherwise] = args else {
                return None;
            };
            if condition.data_type() != &DataType::Boolean
                || then.data_type() != otherwise.data_type()
            {
                return None;
            }
            // A null condition (an error) fails the row.
            let chosen =
                arrow::compute::kernels::zip::zip(condition.as_boolean(), then, otherwise).ok()?;
            arrow::compute::nullif(&chosen, &arrow::compute::is_null(condition).ok()?).ok()?
        }
        "regexReplace" => {
            let [pattern, source, replacement] = args else {
                return None;
            };
            let (pattern, source, replacement) =
                (strings(pattern)?, strings(source)?, strings(replacement)?);
            let mut compiled: Option<(String, regex::Regex)> = None;
            Arc::new(StringArray::from(map_strings(
                &[pattern, source, replacement],
                rows,
                |v| {
                    if compiled.as_ref().is_none_or(|(p, _)| p != v[0]) {
                        compiled = Some((v[0].to_owned(), regex::Regex::new(v[0]).ok()?));
                    }
                    let (_, re) = compiled.as_ref()?;
                    Some(re.replace_all(v[1], v[2]).into_owned())
                },
            )))
        }
        "strLength" => Arc::new(Int64Array::from(map_strings(
            &[strings(one()?)?],
            rows,
            |v| Some(v[0].len() as i64),
        ))),
        "strToLower" | "strToUpper" | "strTrimSpace" => {
            let f: fn(&str) -> String = match name {
                "strToLower" => str::to_lowercase,
                "strToUpper" => str::to_uppercase,
                _ => |s| s.trim().to_owned(),
            };
            Arc::new(StringArray::from(map_strings(
                &[strings(one()?)?],
                rows,
                |v| Some(f(v[0])),
            )))
        }
        "strContains" | "strContainsAny" | "strHasPrefix" | "strHasSuffix" => {
            let [a, b] = args else { return None };
            let f: fn(&str, &str) -> bool = match name {
                "strContains" => |a, b| a.contains(b),
                "strContainsAny" => |a, b| a.contains(|c| b.contains(c)),
                "strHasPrefix" => |a, b| a.starts_with(b),
                _ => |a, b| a.ends_with(b),
            };
            Arc::new(BooleanArray::from(map_strings(
                &[strings(a)?, strings(b)?],
                rows,
                |v| Some(f(v[0], v[1])),
            )))
        }
        "strCount" | "strIndex" | "strIndexAny" | "strLastIndex" | "strLastIndexAny" => {
            let [a, b] = args else { return None };
            let f: fn(&str, &str) -> Option<i64> = match name {
                // Go's strings.Count: non-overlapping; an empty needle counts runes + 1.
                "strCount" => |a, b| {
                    Some(if b.is_empty() {
                        a.chars().count() as i64 + 1
                    } else {
                        a.matches(b).count() as i64
                    })
                },
                "strIndex" => |a, b| byte_index(a.find(b)),
                "strIndexAny" => |a, b| byte_index(a.find(|c| b.contains(c))),
                "strLastIndex" => |a, b| byte_index(a.rfind(b)),
                _ => |a, b| byte_index(a.rfind(|c| b.contains(c))),
            };
            Arc::new(Int64Array::from(map_strings(
                &[strings(a)?, strings(b)?],
                rows,
                |v| f(v[0], v[1]),
            )))
        }
        "strTrim" | "strTrimLeft" | "strTrimRight" | "strTrimPrefix" | "strTrimSuffix" => {
            let [a, b] = args else { return None };
            let f: fn(&str, &str) -> String = match name {
                "strTrim" => |a, b| a.trim_matches(|c| b.contains(c)).to_owned(),
                "strTrimLeft" => |a, b| a.trim_start_matches(|c| b.contains(c)).to_owned(),
                "strTrimRight" => |a, b| a.trim_end_matches(|c| b.contains(c)).to_owned(),
                "strTrimPrefix" => |a, b| a.strip_prefix(b).unwrap_or(a).to_owned(),
                _ => |a, b| a.strip_suffix(b).unwrap_or(a).to_owned(),
            };
            Arc::new(StringArray::from(map_strings(
                &[strings(a)?, strings(b)?],
                rows,
                |v| Some(f(v[0], v[1])),
            )))
        }
        "strReplace" => {
            let [s, old, new, n] = args else { return None };
            let n = ints(n)?;
            let (s, old, new) = (strings(s)?, strings(old)?, strings(new)?);
            Arc::new(
                (0..rows)
                    .map(|row| {
                        if s.is_null(row) || old.is_null(row) || new.is_null(row) || n.is_null(row)
                        {
                            return None;
                        }
                        let (s, old, new, n) =
                            (s.value(row), old.value(row), new.value(row), n.value(row));
                        // Go's strings.Replace: n < 0 replaces every match.
                        Some(if n < 0 {
                            s.replace(old, new)
                        } else {
                            s.replacen(old, new, n as usize)
                        })
                    })
                    .collect::<StringArray>(),
            )
        }
        "strSubstring" => {
            let [s, start, stop] = args else { return None };
            let (s, start, stop) = (strings(s)?, ints(start)?, ints(stop)?);
            Arc::new(
                (0..rows)
                    .map(|row| {
                        if s.is_null(row) || start.is_null(row) || stop.is_null(row) {
                            return None;
                        }
                        let (s, start, stop) = (s.value(row), start.value(row), stop.value(row));
                        // Kapacitor slices bytes, and fails on a stop index at or past the end.
                        let (start, stop) =
                            (usize::try_from(start).ok()?, usize::try_from(stop).ok()?);
                        (start <= stop && stop < s.len())
                            .then(|| s.get(start..stop).map(str::to_owned))?
                    })
                    .collect::<StringArray>(),
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(values: &[f64]) -> ArrayRef {
        Arc::new(Float64Array::from(values.to_vec()))
    }

    #[test]
    fn return_types_follow_the_catalog_signatures() {
        let sqrt = KapacitorFunction::udf("sqrt").expect("sqrt is a lambda function");
        assert_eq!(
            sqrt.return_type(&[DataType::Float64]).ok(),
            Some(DataType::Float64)
        );
        // Kapacitor's math functions take floats only: an int is no signature.
        assert!(sqrt.return_type(&[DataType::Int64]).is_err());
        // A column typed only at run time matches, and the result is still known.
        assert_eq!(
            sqrt.return_type(&[DataType::Null]).ok(),
            Some(DataType::Float64)
        );
        let int = KapacitorFunction::udf("int").expect("int is a lambda function");
        assert_eq!(
            int.return_type(&[DataType::Null]).ok(),
            Some(DataType::Int64)
        );
        assert!(KapacitorFunction::udf("nosuch").is_none());
    }

    #[test]
    fn rows_that_fail_are_null() {
        let out = invoke(
            "int",
            &[Arc::new(StringArray::from(vec!["12", "x"])) as ArrayRef],
            2,
        );
        let out = out.as_primitive::<Int64Type>();
        assert_eq!((out.value(0), out.is_null(1)), (12, true));
        // A type the function does not take fails every row.
        assert_eq!(
            invoke("sqrt", &[Arc::new(Int64Array::from(vec![4]))], 1).logical_null_count(),
            1
        );
    }

    #[test]
    fn go_semantics_of_math_and_strings() {
        let max = invoke("max", &[floats(&[1.0, f64::NAN]), floats(&[2.0, 1.0])], 2);
        let max = max.as_primitive::<Float64Type>();
        assert_eq!(max.value(0), 2.0);
        assert!(
            max.value(1).is_nan(),
            "Go's math.Max returns NaN when either is NaN"
        );
        let s: ArrayRef = Arc::new(StringArray::from(vec!["cheese"]));
        let e: ArrayRef = Arc::new(StringArray::from(vec!["e"]));
        let count = invoke("strCount", &[Arc::clone(&s), Arc::clone(&e)], 1);
        assert_eq!(count.as_primitive::<Int64Type>().value(0), 3);
        let last = invoke("strLastIndex", &[s, e], 1);
        assert_eq!(last.as_primitive::<Int64Type>().value(0), 5);
    }

    #[test]
    fn if_chooses_per_row_and_fails_on_a_failed_condition() {
        let condition: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
        let out = invoke(
            "if",
            &[
                condition,
                floats(&[1.0, 1.0, 1.0]),
                floats(&[2.0, 2.0, 2.0]),
            ],
            3,
        );
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(
            (out.value(0), out.value(1), out.is_null(2)),
            (1.0, 2.0, true)
        );
    }
}
