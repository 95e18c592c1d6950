//! Point batches → line protocol: the inverse of [`parse`](super::parse), for recordings
//! and for writing to InfluxDB. Each row is one line at nanosecond precision; a null tag or
//! field is left out (a row without any field is left out whole, as line protocol needs
//! one); a float that was an integer (its `integers` companion says so) is written as one.

use std::fmt::Write as _;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type,
};
use condenser_model::schema::{ColumnRole, field_of_integers};

use super::escape::{Escapes, escape_into};

/// Appends the rows of `batch`, points of `measurement`, to `out` as line protocol (one
/// line per row, each ending in a newline, timestamps in nanoseconds).
pub fn write_lines(measurement: &str, batch: &RecordBatch, out: &mut String) {
    let schema = batch.schema();
    let mut time = None;
    let mut tags = Vec::new();
    let mut fields = Vec::new();
    for (index, field) in schema.fields().iter().enumerate() {
        match ColumnRole::of(field) {
            Some(ColumnRole::Time) => {
                time = Some(
                    batch
                        .column(index)
                        .as_primitive::<TimestampNanosecondType>(),
                )
            }
            Some(ColumnRole::Tag) => tags.push((field.name().as_str(), batch.column(index))),
            Some(ColumnRole::Field) => {
                let integers = schema.fields().iter().position(|f| {
                    ColumnRole::of(f) == Some(ColumnRole::Integers)
                        && field_of_integers(f.name()) == Some(field.name().as_str())
                });
                fields.push((
                    field.name().as_str(),
                    batch.column(index),
                    integers.map(|i| batch.column(i).as_boolean()),
                ));
            }
            Some(ColumnRole::Integers) | None => {}
        }
    }
    tags.sort_by_key(|(name, _)| *name);
    let mut prefix = String::new();
    for row in 0..batch.num_rows() {
        prefix.clear();
        escape_into(measurement, Escapes::Measurement, &mut prefix);
        for (name, column) in &tags {
            if let Some(value) = tag_value(column.as_ref(), row) {
                prefix.push(',');
                escape_into(name, Escapes::Key, &mut prefix);
                prefix.push('=');
                escape_into(&value, Escapes::Key, &mut prefix);
            }
        }
        let mut line = String::new();
        for (name, column, integers) in &fields {
            if column.is_null(row) {
                continue;
            }
            line.push(if line.is_empty() { ' ' } else { ',' });
            escape_into(name, Escapes::Key, &mut line);
            line.push('=');
            let was_integer = integers.is_some_and(|i| i.is_valid(row) && i.value(row));
            write_value(column.as_ref(), row, was_integer, &mut line);
        }
        if line.is_empty() {
            continue;
        }
        out.push_str(&prefix);
        out.push_str(&line);
        if let Some(time) = time {
            let _ = write!(out, " {}", time.value(row));
        }
        out.push('\n');
    }
}

fn tag_value(column: &dyn Array, row: usize) -> Option<String> {
    if column.is_null(row) {
        return None;
    }
    match column.data_type() {
        DataType::Dictionary(_, _) => {
            let dictionary = column.as_dictionary::<Int32Type>();
            let values = dictionary.values().as_string::<i32>();
            Some(
                values
                    .value(dictionary.keys().value(row) as usize)
                    .to_owned(),
            )
        }
        DataType::Utf8 => Some(column.as_string::<i32>().value(row).to_owned()),
        _ => None,
    }
}

fn write_value(column: &dyn Array, row: usize, was_integer: bool, out: &mut String) {
    match column.data_type() {
        DataType::Float64 => {
            let value = column.as_primitive::<Float64Type>().value(row);
            if was_integer {
                let _ = write!(out, "{}i", value as i64);
            } else {
                // Rust's shortest round-trip form, which InfluxDB's parser reads back.
                let _ = write!(out, "{value:?}");
            }
        }
        DataType::Int64 => {
            let _ = write!(out, "{}i", column.as_primitive::<Int64Type>().value(row));
        }
        DataType::UInt64 => {
            let _ = write!(out, "{}u", column.as_primitive::<UInt64Type>().value(row));
        }
        DataType::Boolean => out.push_str(if column.as_boolean().value(row) {
            "true"
        } else {
            "false"
        }),
        DataType::Utf8 => {
            out.push('"');
            escape_into(column.as_string::<i32>().value(row), Escapes::String, out);
            out.push('"');
        }
        _ => out.push_str("\"\""),
    }
}

#[cfg(test)]
mod tests {
    use condenser_model::Precision;

    use super::super::{ParseOptions, parse};
    use super::*;

    #[test]
    fn written_lines_parse_back_to_the_same_points() {
        let body = "we\\ ird\\,m,host=a\\ b,dc=x v=1.5,n=3i,u=7u,s=\"a \\\"q\\\" \\\\\",b=true 10\n\
                    we\\ ird\\,m,host=c v=1e-7,n=-4i,s=\"\",b=false 20\n";
        let parsed = parse(body.as_bytes(), ParseOptions::new(Precision::Nanosecond, 0)).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let table = &parsed.tables[0];
        let mut written = String::new();
        write_lines(&table.measurement, &table.batch, &mut written);
        assert_eq!(
            written,
            "we\\ ird\\,m,dc=x,host=a\\ b b=true,n=3i,s=\"a \\\"q\\\" \\\\\",u=7u,v=1.5 10\n\
             we\\ ird\\,m,host=c b=false,n=-4i,s=\"\",v=1e-7 20\n"
        );
        let again = parse(
            written.as_bytes(),
            ParseOptions::new(Precision::Nanosecond, 0),
        )
        .unwrap();
        assert_eq!(again.tables[0].batch, table.batch);
    }
}
