//! The functions on whole columns: types from the catalog, failures as nulls, Go's results.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type};

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
    // Kapacitor's math functions take floats only: an int is no signature, so every point
    // fails (a null result).
    assert_eq!(
        sqrt.return_type(&[DataType::Int64]).ok(),
        Some(DataType::Null)
    );
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
    let pow = invoke("pow", &[floats(&[2.0]), floats(&[10.0])], 1);
    assert_eq!(pow.as_primitive::<Float64Type>().value(0), 1024.0);
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

#[test]
fn every_stateless_catalog_function_runs_on_a_type_it_takes() {
    use crate::catalog::FUNCTIONS;
    use crate::value_type::ValueType;
    let column = |t: ValueType| -> ArrayRef {
        match t {
            ValueType::Float => floats(&[2.0]),
            ValueType::Int => Arc::new(Int64Array::from(vec![2])),
            ValueType::String | ValueType::Regex => Arc::new(StringArray::from(vec!["a"])),
            ValueType::Bool => Arc::new(BooleanArray::from(vec![true])),
            ValueType::Time => {
                Arc::new(arrow::array::TimestampNanosecondArray::from(vec![0]).with_timezone("UTC"))
            }
            ValueType::Duration => Arc::new(arrow::array::DurationNanosecondArray::from(vec![
                1_000_000_000,
            ])),
            _ => Arc::new(Float64Array::from(vec![None::<f64>])),
        }
    };
    for function in FUNCTIONS.iter().filter(|f| !f.stateful) {
        for signature in function.signatures {
            let args: Vec<ArrayRef> = signature.args.iter().map(|t| column(*t)).collect();
            let out = invoke(function.name, &args, 1);
            assert_eq!(
                out.data_type(),
                &data_type(signature.returns),
                "{}{:?}",
                function.name,
                signature.args
            );
        }
    }
}
