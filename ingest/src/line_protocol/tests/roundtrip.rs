//! Property tests: random points written as line protocol parse back to the same values,
//! and agree with the `influxdb-line-protocol` crate (InfluxDB IOx's parser).

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type,
};
use proptest::prelude::*;

use super::super::escape::{Escapes, escape_into};
use super::super::*;
use super::NOW;

/// A field value with exact equality (floats by bits).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Float(u64),
    Integer(i64),
    Unsigned(u64),
    String(String),
    Boolean(bool),
}

#[derive(Debug, Clone)]
struct Point {
    measurement: String,
    tags: BTreeMap<String, String>,
    fields: BTreeMap<String, Value>,
    time: Option<i64>,
}

/// Text with every character that line protocol treats specially.
const SPECIAL_TEXT: &str = "[a-zé☃ ,=\"\\\\#\t0-9]{0,6}";
/// String field values: anything, newlines included.
const SPECIAL_STRING: &str = "[a-zé☃ ,=\"\\\\#\t\n0-9]{0,8}";
/// Text that the `influxdb-line-protocol` crate also reads (it rejects some backslashes and
/// tabs that InfluxDB takes).
const PLAIN_TEXT: &str = "[a-zé☃ ,=0-9]{0,6}";

/// The type of a field follows from its key, so one measurement never mixes types.
fn value_for(key: &str, seed: (f64, i64, u64, String, bool)) -> Value {
    match key.bytes().map(usize::from).sum::<usize>() % 5 {
        0 => Value::Float(seed.0.to_bits()),
        1 => Value::Integer(seed.1),
        2 => Value::Unsigned(seed.2),
        3 => Value::String(seed.3),
        _ => Value::Boolean(seed.4),
    }
}

fn point(text: &'static str, string_text: &'static str) -> impl Strategy<Value = Point> {
    let finite = prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO;
    let seed = (
        finite,
        any::<i64>(),
        any::<u64>(),
        string_text,
        any::<bool>(),
    );
    (
        prop::sample::select(vec!["m", "cpu", "we ird,m"]).prop_map(str::to_owned),
        prop::collection::btree_map(
            text.prop_map(|k| format!("t{k}")),
            text.prop_map(|v| format!("v{v}")),
            0..4,
        ),
        prop::collection::btree_map(text.prop_map(|k| format!("f{k}")), seed, 1..5),
        prop::option::of(-(1i64 << 62)..(1i64 << 62)),
    )
        .prop_map(|(measurement, tags, fields, time)| Point {
            measurement,
            tags,
            fields: fields
                .into_iter()
                .map(|(key, seed)| {
                    let value = value_for(&key, seed);
                    (key, value)
                })
                .collect(),
            time,
        })
}

fn write_line(point: &Point, out: &mut String) {
    escape_into(&point.measurement, Escapes::Measurement, out);
    for (key, value) in &point.tags {
        out.push(',');
        escape_into(key, Escapes::Key, out);
        out.push('=');
        escape_into(value, Escapes::Key, out);
    }
    for (i, (key, value)) in point.fields.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        escape_into(key, Escapes::Key, out);
        out.push('=');
        match value {
            Value::Float(bits) => out.push_str(&format!("{:?}", f64::from_bits(*bits))),
            Value::Integer(v) => out.push_str(&format!("{v}i")),
            Value::Unsigned(v) => out.push_str(&format!("{v}u")),
            Value::String(s) => {
                out.push('"');
                escape_into(s, Escapes::String, out);
                out.push('"');
            }
            Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
    if let Some(time) = point.time {
        out.push_str(&format!(" {time}"));
    }
    out.push('\n');
}

/// One point read back: tags, fields, time.
type Row = (BTreeMap<String, String>, BTreeMap<String, Value>, i64);

/// The points of a parsed body, measurement by measurement, in row order.
fn read_back(parsed: &ParsedBody) -> BTreeMap<String, Vec<Row>> {
    let mut out = BTreeMap::new();
    for table in &parsed.tables {
        let batch = &table.batch;
        let mut rows = vec![(BTreeMap::new(), BTreeMap::new(), 0); batch.num_rows()];
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            for (row, (tags, fields, time)) in rows.iter_mut().enumerate() {
                if array.is_null(row) {
                    continue;
                }
                let name = field.name().clone();
                match array.data_type() {
                    DataType::Timestamp(..) => {
                        *time = array.as_primitive::<TimestampNanosecondType>().value(row)
                    }
                    DataType::Dictionary(..) => {
                        let dict = array.as_dictionary::<Int32Type>();
                        let value = dict
                            .values()
                            .as_string::<i32>()
                            .value(dict.keys().value(row) as usize);
                        tags.insert(name, value.to_owned());
                    }
                    DataType::Float64 => {
                        fields.insert(
                            name,
                            Value::Float(array.as_primitive::<Float64Type>().value(row).to_bits()),
                        );
                    }
                    DataType::Int64 => {
                        fields.insert(
                            name,
                            Value::Integer(array.as_primitive::<Int64Type>().value(row)),
                        );
                    }
                    DataType::UInt64 => {
                        fields.insert(
                            name,
                            Value::Unsigned(array.as_primitive::<UInt64Type>().value(row)),
                        );
                    }
                    DataType::Utf8 => {
                        fields.insert(
                            name,
                            Value::String(array.as_string::<i32>().value(row).to_owned()),
                        );
                    }
                    DataType::Boolean => {
                        fields.insert(name, Value::Boolean(array.as_boolean().value(row)));
                    }
                    other => panic!("unexpected type {other}"),
                }
            }
        }
        out.insert(table.measurement.clone(), rows);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn points_written_as_line_protocol_parse_back_to_the_same_values(points in prop::collection::vec(point(SPECIAL_TEXT, SPECIAL_STRING), 1..20)) {
        let mut body = String::new();
        for point in &points {
            write_line(point, &mut body);
        }
        let parsed = parse(body.as_bytes(), ParseOptions::new(Precision::Nanosecond, NOW)).unwrap();
        prop_assert!(parsed.errors.is_empty(), "{:?}\n{body}", parsed.errors);
        let mut expected: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for point in &points {
            expected.entry(point.measurement.clone()).or_default().push((
                point.tags.clone(),
                point.fields.clone(),
                point.time.unwrap_or(NOW),
            ));
        }
        prop_assert_eq!(read_back(&parsed), expected, "{}", body);
    }

    #[test]
    fn agrees_with_the_influxdb_line_protocol_crate(points in prop::collection::vec(point(PLAIN_TEXT, PLAIN_TEXT), 1..10)) {
        let mut body = String::new();
        for point in &points {
            write_line(point, &mut body);
        }
        let ours = parse(body.as_bytes(), ParseOptions::new(Precision::Nanosecond, NOW)).unwrap();
        let theirs: Vec<_> = influxdb_line_protocol::parse_lines(&body).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(ours.points, theirs.len());
        let ours = read_back(&ours);
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for line in &theirs {
            let measurement = line.series.measurement.to_string();
            let row = seen.entry(measurement.clone()).or_default();
            let (tags, fields, time) = &ours[&measurement][*row];
            *row += 1;
            let their_tags: BTreeMap<String, String> = line
                .series
                .tag_set
                .iter()
                .flatten()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            prop_assert_eq!(tags, &their_tags);
            for (key, value) in &line.field_set {
                let value = match value {
                    influxdb_line_protocol::FieldValue::F64(v) => Value::Float(v.to_bits()),
                    influxdb_line_protocol::FieldValue::I64(v) => Value::Integer(*v),
                    influxdb_line_protocol::FieldValue::U64(v) => Value::Unsigned(*v),
                    influxdb_line_protocol::FieldValue::String(v) => Value::String(v.to_string()),
                    influxdb_line_protocol::FieldValue::Boolean(v) => Value::Boolean(*v),
                };
                prop_assert_eq!(fields.get(&key.to_string()), Some(&value), "{}", body);
            }
            prop_assert_eq!(Some(*time), line.timestamp.or(Some(NOW)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// What the fuzz target checks, on random bytes and on mangled valid bodies.
    #[test]
    fn arbitrary_bytes_keep_the_parsers_promises(body in prop::collection::vec(any::<u8>(), 0..400)) {
        check_promises(&body);
    }

    #[test]
    fn mangled_bodies_keep_the_parsers_promises(
        points in prop::collection::vec(point(SPECIAL_TEXT, SPECIAL_STRING), 1..8),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut body = String::new();
        for point in &points {
            write_line(point, &mut body);
        }
        let mut body = body.into_bytes();
        for (at, byte) in cuts {
            let at = at.index(body.len());
            let replacements = b"\\\", =\n\r#itfu.-e";
            body[at] = replacements[usize::from(byte) % replacements.len()];
        }
        check_promises(&body);
    }
}
