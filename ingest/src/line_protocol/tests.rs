//! Tests of every syntax rule and every error of the line-protocol parser.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type, UInt64Type};
use condenser_model::FieldType;
use condenser_model::schema::{self, ColumnRole};

use super::*;

/// A received-at time for lines without a timestamp: 2020-01-01T00:00:00.123456789Z.
const NOW: i64 = 1_577_836_800_123_456_789;

fn parse_with(body: &str, precision: Precision) -> ParsedBody {
    parse(body.as_bytes(), ParseOptions::new(precision, NOW)).unwrap()
}

fn parse_ok(body: &str) -> ParsedBody {
    let parsed = parse_with(body, Precision::Nanosecond);
    assert!(
        parsed.errors.is_empty(),
        "unexpected errors: {:?}",
        parsed.errors
    );
    parsed
}

/// The only error of a one-line body.
fn error_of(body: &str) -> LineErrorKind {
    let parsed = parse_with(body, Precision::Nanosecond);
    assert_eq!(parsed.points, 0, "{body:?} was accepted");
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    parsed.errors[0].kind.clone()
}

fn table<'a>(parsed: &'a ParsedBody, measurement: &str) -> &'a RecordBatch {
    &parsed
        .tables
        .iter()
        .find(|t| t.measurement == measurement)
        .unwrap_or_else(|| panic!("no table {measurement:?} in {:?}", parsed.tables))
        .batch
}

/// A column's values rendered as strings (`null` for nulls, strings quoted).
fn column(batch: &RecordBatch, name: &str) -> Vec<String> {
    let array = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name:?} in {:?}", batch.schema()));
    (0..array.len())
        .map(|i| {
            if array.is_null(i) {
                return "null".to_owned();
            }
            match array.data_type() {
                DataType::Float64 => format!("{:?}", array.as_primitive::<Float64Type>().value(i)),
                DataType::Int64 => format!("{}i", array.as_primitive::<Int64Type>().value(i)),
                DataType::UInt64 => format!("{}u", array.as_primitive::<UInt64Type>().value(i)),
                DataType::Utf8 => format!("{:?}", array.as_string::<i32>().value(i)),
                DataType::Boolean => array.as_boolean().value(i).to_string(),
                DataType::Dictionary(..) => {
                    let dict = array.as_dictionary::<Int32Type>();
                    let values = dict.values().as_string::<i32>();
                    values.value(dict.keys().value(i) as usize).to_owned()
                }
                DataType::Timestamp(..) => array
                    .as_primitive::<arrow::datatypes::TimestampNanosecondType>()
                    .value(i)
                    .to_string(),
                other => panic!("unexpected type {other}"),
            }
        })
        .collect()
}

fn names(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

#[test]
fn telegraf_line_becomes_a_typed_arrow_row() {
    let parsed = parse_ok(
        "cpu,cpu=cpu0,host=a usage_idle=97.5,usage_user=1.25,n=3i,u=4u,s=\"ok\",b=true 1600000000000000000\n",
    );
    assert_eq!(parsed.points, 1);
    let cpu = table(&parsed, "cpu");
    assert_eq!(
        names(cpu),
        [
            "time",
            "cpu",
            "host",
            "b",
            "n",
            "s",
            "u",
            "usage_idle",
            "usage_user"
        ]
    );
    assert_eq!(column(cpu, "time"), ["1600000000000000000"]);
    assert_eq!(column(cpu, "cpu"), ["cpu0"]);
    assert_eq!(column(cpu, "usage_idle"), ["97.5"]);
    assert_eq!(column(cpu, "n"), ["3i"]);
    assert_eq!(column(cpu, "u"), ["4u"]);
    assert_eq!(column(cpu, "s"), ["\"ok\""]);
    assert_eq!(column(cpu, "b"), ["true"]);
    let schema = cpu.schema();
    assert_eq!(schema.field(0).data_type(), &schema::time_data_type());
    assert_eq!(ColumnRole::of(schema.field(1)), Some(ColumnRole::Tag));
    assert_eq!(schema.field(1).data_type(), &schema::tag_data_type());
    assert_eq!(ColumnRole::of(schema.field(3)), Some(ColumnRole::Field));
    condenser_model::WriteBatch::try_new("db".into(), "rp".into(), "cpu".into(), cpu.clone())
        .expect("follows the model's conventions");
}

#[test]
fn lines_with_different_field_sets_share_one_batch_with_nulls() {
    let parsed = parse_ok("m,t=a x=1 1\nm y=2i 2\nm,t=b,u=c x=3,y=4i 3\n");
    let m = table(&parsed, "m");
    assert_eq!(m.num_rows(), 3);
    assert_eq!(column(m, "x"), ["1.0", "null", "3.0"]);
    assert_eq!(column(m, "y"), ["null", "2i", "4i"]);
    assert_eq!(column(m, "t"), ["a", "null", "b"]);
    assert_eq!(column(m, "u"), ["null", "null", "c"]);
}

#[test]
fn measurements_get_a_table_each_in_order_of_appearance() {
    let parsed = parse_ok("b v=1 1\na v=2 2\nb v=3 3\n");
    let order: Vec<_> = parsed
        .tables
        .iter()
        .map(|t| t.measurement.as_str())
        .collect();
    assert_eq!(order, ["b", "a"]);
    assert_eq!(column(table(&parsed, "b"), "v"), ["1.0", "3.0"]);
}

#[test]
fn tag_values_are_dictionary_encoded() {
    let parsed = parse_ok("m,h=a v=1 1\nm,h=b v=1 2\nm,h=a v=1 3\nm,h=b v=1 4\n");
    let dict = table(&parsed, "m")
        .column(1)
        .as_dictionary::<Int32Type>()
        .clone();
    assert_eq!(dict.values().len(), 2);
    assert_eq!(dict.keys().values().to_vec(), [0, 1, 0, 1]);
}

#[test]
fn escapes_in_measurement_tags_and_field_keys() {
    let parsed = parse_ok(
        "we\\ at\\,her\\=x,ci\\ ty=S\\,ão\\ Paulo\\=1,k\\\\=v\\\\ f\\=ield\\ 1=1,other\\,f=2 1\n",
    );
    let batch = table(&parsed, "we at,her\\=x");
    assert_eq!(column(batch, "ci ty"), ["S,ão Paulo=1"]);
    assert_eq!(column(batch, "k\\"), ["v\\"]);
    assert_eq!(column(batch, "f=ield 1"), ["1.0"]);
    assert_eq!(column(batch, "other,f"), ["2.0"]);
}

#[test]
fn unknown_escapes_keep_their_backslash() {
    let parsed = parse_ok("m\\x,t=a\\b v=\"c\\d\" 1\n");
    assert_eq!(column(table(&parsed, "m\\x"), "t"), ["a\\b"]);
    assert_eq!(column(table(&parsed, "m\\x"), "v"), ["\"c\\\\d\""]);
}

#[test]
fn string_fields_unescape_quotes_and_backslashes_and_may_hold_anything() {
    let parsed = parse_ok(
        "m a=\"say \\\"hi\\\"\",b=\"back\\\\slash\",c=\"\",d=\"x, y=z \\\\\",e=\"two\nlines\" 1\nm a=\"next\" 2\n",
    );
    let m = table(&parsed, "m");
    assert_eq!(column(m, "a"), ["\"say \\\"hi\\\"\"", "\"next\""]);
    assert_eq!(column(m, "b"), ["\"back\\\\slash\"", "null"]);
    assert_eq!(column(m, "c"), ["\"\"", "null"]);
    assert_eq!(column(m, "d"), ["\"x, y=z \\\\\"", "null"]);
    assert_eq!(column(m, "e"), ["\"two\\nlines\"", "null"]);
}

#[test]
fn line_numbers_count_newlines_inside_strings() {
    let parsed = parse_with("m s=\"a\nb\" 1\nm v= 2\n", Precision::Nanosecond);
    assert_eq!(parsed.points, 1);
    assert_eq!(parsed.errors[0].line_number, 3);
}

#[test]
fn floats_in_every_spelling() {
    let parsed = parse_ok(
        "m v=1 1\nm v=-1.5 2\nm v=1e-05 3\nm v=1E+20 4\nm v=.5 5\nm v=0.0 6\nm v=-0 7\nm v=1.7976931348623157e308 8\n",
    );
    assert_eq!(
        column(table(&parsed, "m"), "v"),
        [
            "1.0",
            "-1.5",
            "1e-5",
            "1e20",
            "0.5",
            "0.0",
            "-0.0",
            "1.7976931348623157e308"
        ]
    );
}

#[test]
fn integers_and_unsigned_at_their_limits() {
    let parsed = parse_ok(
        "m i=9223372036854775807i,u=18446744073709551615u 1\nm i=-9223372036854775808i,u=0u 2\n",
    );
    let m = table(&parsed, "m");
    assert_eq!(
        column(m, "i"),
        ["9223372036854775807i", "-9223372036854775808i"]
    );
    assert_eq!(column(m, "u"), ["18446744073709551615u", "0u"]);
}

#[test]
fn every_boolean_spelling() {
    let body: String = [
        "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE",
    ]
    .iter()
    .enumerate()
    .map(|(i, b)| format!("m v={b} {i}\n"))
    .collect();
    let parsed = parse_ok(&body);
    assert_eq!(
        column(table(&parsed, "m"), "v"),
        [
            "true", "true", "true", "true", "true", "false", "false", "false", "false", "false"
        ]
    );
}

#[test]
fn every_precision_scales_timestamps() {
    for (precision, expected) in [
        (Precision::Nanosecond, 7i64),
        (Precision::Microsecond, 7_000),
        (Precision::Millisecond, 7_000_000),
        (Precision::Second, 7_000_000_000),
        (Precision::Minute, 420_000_000_000),
        (Precision::Hour, 25_200_000_000_000),
    ] {
        let parsed = parse_with("m v=1 7\nm v=1 -7\n", precision);
        assert!(parsed.errors.is_empty());
        assert_eq!(
            column(table(&parsed, "m"), "time"),
            [expected.to_string(), (-expected).to_string()],
            "{precision}"
        );
    }
}

#[test]
fn missing_timestamp_is_receive_time_truncated_to_the_precision() {
    let parsed = parse_with("m v=1\nm v=2 \n", Precision::Second);
    assert!(parsed.errors.is_empty());
    assert_eq!(
        column(table(&parsed, "m"), "time"),
        ["1577836800000000000", "1577836800000000000"]
    );
    let parsed = parse_ok("m v=1");
    assert_eq!(column(table(&parsed, "m"), "time"), [NOW.to_string()]);
}

#[test]
fn blank_lines_comments_leading_blanks_and_crlf() {
    let parsed = parse_ok(
        "\n# a comment\r\n   \n\t m v=1 1\r\nm v=2 2\r\n\r\n  # indented comment\nm v=3\r\n",
    );
    assert_eq!(parsed.points, 3);
    assert_eq!(column(table(&parsed, "m"), "v"), ["1.0", "2.0", "3.0"]);
    assert_eq!(column(table(&parsed, "m"), "time")[..2], ["1", "2"]);
}

#[test]
fn several_spaces_between_sections() {
    let parsed = parse_ok("m,t=a   v=39   0000000001\n");
    assert_eq!(column(table(&parsed, "m"), "time"), ["1"]);
}

#[test]
fn unicode_is_kept() {
    let parsed = parse_ok("wéather,city=São\\ Paulo temp=21,note=\"☀ ok\" 1\n");
    let batch = table(&parsed, "wéather");
    assert_eq!(column(batch, "city"), ["São Paulo"]);
    assert_eq!(column(batch, "note"), ["\"☀ ok\""]);
}

#[test]
fn a_later_duplicate_field_replaces_the_earlier_one() {
    let parsed = parse_ok("m v=1,v=2 1\nm v=3 2\n");
    assert_eq!(column(table(&parsed, "m"), "v"), ["2.0", "3.0"]);
}

#[test]
fn each_error_is_worded_as_influxdb_words_it() {
    use LineErrorKind::*;
    let cases: Vec<(&str, LineErrorKind)> = vec![
        (",t=a v=1", MissingMeasurement),
        (" ,t=a v=1", MissingMeasurement),
        ("cpu", MissingFields),
        ("cpu ", MissingFields),
        ("cpu,t=a", MissingFields),
        ("cpu,t=a ", MissingFields),
        ("cpu,=a v=1", MissingTagKey),
        ("cpu, v=1", MissingTagKey),
        ("cpu,t v=1", MissingTagValue),
        ("cpu,t= v=1", MissingTagValue),
        ("cpu,t=a=b v=1", InvalidTagFormat),
        ("cpu,t=a,t=b v=1", DuplicateTags),
        ("cpu =1", MissingFieldKey),
        ("cpu v=1,=2", MissingFieldKey),
        ("cpu v", MissingFieldValue),
        ("cpu v=", MissingFieldValue),
        ("cpu v=,w=1", MissingFieldValue),
        ("cpu v= 1", MissingFieldValue),
        ("cpu v=abc", InvalidBoolean),
        ("cpu v=1,w", MissingFieldValue),
        ("cpu v=1x", InvalidNumber),
        ("cpu v=\"a\"b", InvalidFieldFormat),
        ("cpu v=\"abc", UnbalancedQuotes),
        ("cpu v=1.2.3", InvalidNumber),
        ("cpu v=1e", InvalidFloat),
        ("cpu v=1e+", InvalidFloat),
        ("cpu v=1.5i", InvalidNumber),
        ("cpu v=-1u", InvalidNumber),
        ("cpu v=-i", InvalidNumber),
        ("cpu v=9i10", InvalidNumber),
        ("cpu v=-", InvalidNumber),
        ("cpu v=-inf", InvalidNumber),
        ("cpu v=1e999", InvalidFloat),
        ("cpu v=NaN", InvalidBoolean),
        ("cpu v=+1", InvalidBoolean),
        ("cpu v=tru", InvalidBoolean),
        ("cpu v=yes", InvalidBoolean),
        ("cpu v=1 12a", BadTimestamp),
        ("cpu v=1 1.5", BadTimestamp),
        ("cpu v=1 1 2", BadTimestamp),
        ("cpu v=1 -", BadTimestamp),
        ("cpu v=1 99999999999999999999", BadTimestamp),
        ("cpu v=1 9223372036854775807", TimeOutsideRange),
        (
            "cpu,time=a v=1",
            InvalidTagKey {
                measurement: "cpu".into(),
                key: "time".into(),
            },
        ),
        (
            "cpu time=1",
            InvalidFieldName {
                measurement: "cpu".into(),
                key: "time".into(),
            },
        ),
        ("cpu,v=a v=1", TagFieldKeyClash { key: "v".into() }),
    ];
    for (line, expected) in cases {
        assert_eq!(error_of(line), expected, "{line:?}");
    }
}

#[test]
fn integer_overflow_names_the_value() {
    for (line, kind, digits) in [
        (
            "m v=9223372036854775808i",
            FieldType::Integer,
            "9223372036854775808",
        ),
        (
            "m v=-9223372036854775809i",
            FieldType::Integer,
            "-9223372036854775809",
        ),
        (
            "m v=18446744073709551616u",
            FieldType::Unsigned,
            "18446744073709551616",
        ),
    ] {
        let err = error_of(line);
        assert_eq!(
            err,
            LineErrorKind::IntegerOutOfRange {
                kind,
                digits: digits.into()
            },
            "{line}"
        );
    }
    assert_eq!(
        error_of("m v=9223372036854775808i").to_string(),
        "unable to parse integer 9223372036854775808: value out of range"
    );
}

#[test]
fn time_outside_range_after_precision_scaling() {
    let parsed = parse_with("m v=1 9223372036854775\n", Precision::Second);
    assert_eq!(parsed.errors[0].kind, LineErrorKind::TimeOutsideRange);
    assert_eq!(
        parsed.errors[0].kind.to_string(),
        "time outside range -9223372036854775806 - 9223372036854775806"
    );
}

#[test]
fn bad_lines_are_reported_with_number_and_text_and_good_lines_are_kept() {
    let parsed = parse_with(
        "m v=1 1\nm v= 2\n# comment\nm v=3 3\nm,t v=4 4\nm v=5 5",
        Precision::Nanosecond,
    );
    assert_eq!(parsed.points, 3);
    assert_eq!(column(table(&parsed, "m"), "v"), ["1.0", "3.0", "5.0"]);
    let reported: Vec<_> = parsed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        reported,
        [
            "unable to parse 'm v= 2': missing field value (line 2)",
            "unable to parse 'm,t v=4 4': missing tag value (line 5)",
        ]
    );
}

#[test]
fn a_bad_line_leaves_no_trace_not_even_its_columns() {
    let parsed = parse_with(
        "m,a=1 x=1 1\nm,b=2 y=2,z=\"unterminated 2\nm,a=3 x=3 3\n",
        Precision::Nanosecond,
    );
    assert_eq!(parsed.errors.len(), 1);
    let m = table(&parsed, "m");
    assert_eq!(names(m), ["time", "a", "x"]);
    assert_eq!(column(m, "x"), ["1.0", "3.0"]);
    assert_eq!(column(m, "a"), ["1", "3"]);
}

#[test]
fn a_measurement_with_only_bad_lines_gives_no_table() {
    let parsed = parse_with("bad v= 1\ngood v=1 1\n", Precision::Nanosecond);
    assert_eq!(parsed.tables.len(), 1);
    assert_eq!(parsed.tables[0].measurement, "good");
}

#[test]
fn a_field_type_conflict_rejects_only_that_line() {
    let parsed = parse_with(
        "m v=1 1\nm v=2i 2\nm v=3 3\nn v=4i 4\n",
        Precision::Nanosecond,
    );
    assert_eq!(parsed.points, 3);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].line_number, 2);
    assert_eq!(
        parsed.errors[0].kind.to_string(),
        "field type conflict: input field \"v\" on measurement \"m\" is type integer, already exists as type float"
    );
    assert_eq!(column(table(&parsed, "m"), "v"), ["1.0", "3.0"]);
    assert_eq!(column(table(&parsed, "n"), "v"), ["4i"]);
}

#[test]
fn a_type_set_by_a_bad_line_does_not_stick() {
    let parsed = parse_with("m v=1i,w= 1\nm v=2 2\n", Precision::Nanosecond);
    assert_eq!(parsed.points, 1);
    assert_eq!(column(table(&parsed, "m"), "v"), ["2.0"]);
}

#[test]
fn an_unclosed_quote_loses_only_its_own_line() {
    let parsed = parse_with(
        "m v=\"open 1\nm v=\"closed\" 2\nm v=\"x\" 3\n",
        Precision::Nanosecond,
    );
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    assert_eq!(parsed.errors[0].line_number, 1);
    assert_eq!(column(table(&parsed, "m"), "v"), ["\"closed\"", "\"x\""]);
}

#[test]
fn invalid_utf8_rejects_only_its_line() {
    let mut body = b"m v=1 1\nm,t=\xff v=2 2\nm v=3 3\n".to_vec();
    let parsed = parse(&body, ParseOptions::new(Precision::Nanosecond, NOW)).unwrap();
    assert_eq!(parsed.points, 2);
    assert_eq!(parsed.errors[0].kind, LineErrorKind::InvalidUtf8);
    assert_eq!(parsed.errors[0].line_number, 2);
    body.truncate(0);
}

#[test]
fn long_bad_lines_are_shortened_in_errors() {
    let line = format!("m v={}", "x".repeat(1000));
    let parsed = parse_with(&line, Precision::Nanosecond);
    assert_eq!(
        parsed.errors[0].line.chars().count(),
        LineError::MAX_ECHO + 1
    );
    assert!(parsed.errors[0].line.ends_with('…'));
}

#[test]
fn empty_body_has_nothing() {
    let parsed = parse_ok("");
    assert_eq!(parsed.points, 0);
    assert!(parsed.tables.is_empty());
}

mod roundtrip;
