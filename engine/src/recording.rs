//! Kapacitor's batch recordings (`.brpl`): the batches a query gave, one JSON object each,
//! read back into [`Batch`]es as a batch replay hands them to a task's query node.
//!
//! An object is `{"name", "tags", "byname", "tmax", "points": [{"time", "fields", "tags"}]}`;
//! the objects follow one another separated by whitespace. As Kapacitor reads them: every
//! number is a float field, a `null` field is a field without a value, a point without tags
//! has the batch's, the batch's group is its tags (and its name with `byname`), a batch
//! without points is no batch, and a batch's time is its `tmax` unless that is before its
//! last point's.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, StringBuilder, StringDictionaryBuilder,
};
use arrow::datatypes::{Field, Int32Type};
use condenser_model::FieldType;
use condenser_model::schema::{field_field, present_null_field, tag_field};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::message::{Batch, Group};
use crate::points::{batch_of, time_column};

/// One point of a batch as Kapacitor holds it: its time, tags and fields (JSON values).
#[derive(Debug, Clone, Default)]
pub(crate) struct BatchPoint {
    /// Nanoseconds since the epoch.
    pub(crate) time: i64,
    /// Its tags.
    pub(crate) tags: BTreeMap<String, String>,
    /// Its fields: numbers (floats), strings, booleans; a null is a field without a value.
    pub(crate) fields: BTreeMap<String, Value>,
}

/// Reads the batches of a recording. With `first_at`, every time is shifted so that the
/// first point of the first batch is at `first_at` (Kapacitor's test recordings replay from
/// 1971-01-01T00:00:00Z); a recorded `tmax` is kept as it is.
pub fn read_batch_recording(text: &str, first_at: Option<i64>) -> Result<Vec<Batch>> {
    let mut batches = Vec::new();
    let mut shift: Option<i64> = None;
    for (index, object) in serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .enumerate()
    {
        let object = object.map_err(|e| bad(index, &e.to_string()))?;
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let tags = string_map(object.get("tags")).map_err(|e| bad(index, &e))?;
        let by_name = object
            .get("byname")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let tmax = match object.get("tmax").and_then(Value::as_str) {
            Some(text) => Some(
                condenser_model::time::parse_rfc3339(text)
                    .ok_or_else(|| bad(index, &format!("tmax {text:?} is not an RFC 3339 time")))?,
            ),
            None => None,
        };
        let mut points = Vec::new();
        for point in object
            .get("points")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let time = point
                .get("time")
                .and_then(Value::as_str)
                .and_then(condenser_model::time::parse_rfc3339)
                .ok_or_else(|| bad(index, "a point without an RFC 3339 time"))?;
            let own = string_map(point.get("tags")).map_err(|e| bad(index, &e))?;
            let fields = match point.get("fields") {
                Some(Value::Object(fields)) => {
                    fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                }
                None | Some(Value::Null) => BTreeMap::new(),
                Some(_) => return Err(bad(index, "a point's fields are not an object")),
            };
            points.push(BatchPoint {
                time,
                tags: if own.is_empty() { tags.clone() } else { own },
                fields,
            });
        }
        let Some(last) = points.last().map(|p| p.time) else {
            continue;
        };
        let shift = *shift.get_or_insert_with(|| first_at.map_or(0, |at| at - points[0].time));
        for point in &mut points {
            point.time += shift;
        }
        let last = last + shift;
        let group = Group::new(tags.into_iter().collect(), by_name.then(|| name.to_owned()));
        batches.push(Batch {
            name: Arc::from(name),
            group: Arc::new(group),
            tmax: tmax.filter(|t| *t >= last).unwrap_or(last),
            data: record_batch(&points).map_err(|e| bad(index, &e.to_string()))?,
        });
    }
    Ok(batches)
}

/// Appends `batch` to `out` as one object of a batch recording (and a newline): what
/// [`read_batch_recording`] reads back.
pub fn write_batch_recording(batch: &Batch, out: &mut String) {
    use condenser_model::schema::ColumnRole;
    let data = &batch.data;
    let schema = data.schema();
    let times = crate::points::times(data).unwrap_or(&[]);
    let points: Vec<Value> = times
        .iter()
        .enumerate()
        .map(|(row, time)| {
            let mut fields = serde_json::Map::new();
            let mut tags = serde_json::Map::new();
            for (i, field) in schema.fields().iter().enumerate() {
                let value = crate::operators::http_out::json_value(data.column(i), row);
                match crate::message::role(&schema, i) {
                    ColumnRole::Field if !value.is_null() => {
                        fields.insert(field.name().clone(), value);
                    }
                    ColumnRole::Tag if !value.is_null() => {
                        tags.insert(field.name().clone(), value);
                    }
                    _ => {}
                }
            }
            serde_json::json!({
                "fields": fields,
                "tags": tags,
                "time": condenser_model::time::rfc3339_nano(*time),
            })
        })
        .collect();
    let tags: serde_json::Map<String, Value> = batch
        .group
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let object = serde_json::json!({
        "name": batch.name.as_ref(),
        "tags": tags,
        "byname": batch.group.name.is_some(),
        "tmax": condenser_model::time::rfc3339_nano(batch.tmax),
        "points": points,
    });
    out.push_str(&object.to_string());
    out.push('\n');
}

fn bad(index: usize, what: &str) -> Error {
    Error::Data(format!("batch {} of the recording: {what}", index + 1))
}

/// A JSON object of strings (absent or null: empty).
fn string_map(value: Option<&Value>) -> std::result::Result<BTreeMap<String, String>, String> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(format!("tag {k:?} is not a string: {other}")),
            })
            .collect(),
        Some(other) => Err(format!("tags are not an object: {other}")),
    }
}

/// The points as one record batch: `time`, a column per tag, a column per field.
pub(crate) fn record_batch(points: &[BatchPoint]) -> Result<arrow::array::RecordBatch> {
    let (_, times) = time_column(points.iter().map(|p| p.time).collect());
    // Marked as time: the points may be written (influxDBOut), which checks the schema.
    let mut fields: Vec<Field> = vec![condenser_model::schema::time_field()];
    let mut columns: Vec<ArrayRef> = vec![times];
    let tag_keys: std::collections::BTreeSet<&String> =
        points.iter().flat_map(|p| p.tags.keys()).collect();
    for key in tag_keys {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for point in points {
            builder.append_option(point.tags.get(key));
        }
        fields.push(tag_field(key));
        columns.push(Arc::new(builder.finish()));
    }
    let field_keys: std::collections::BTreeSet<&String> =
        points.iter().flat_map(|p| p.fields.keys()).collect();
    for key in field_keys {
        let values: Vec<Option<&Value>> = points.iter().map(|p| p.fields.get(key)).collect();
        let field_type = match values.iter().flatten().find(|v| !v.is_null()) {
            Some(Value::String(_)) => FieldType::String,
            Some(Value::Bool(_)) => FieldType::Boolean,
            Some(Value::Number(_)) | None => FieldType::Float,
            Some(other) => {
                return Err(Error::Data(format!(
                    "field {key:?} holds {other}, not a number, string or boolean"
                )));
            }
        };
        let mismatch = || Error::Data(format!("field {key:?} holds values of several types"));
        let column: ArrayRef = match field_type {
            FieldType::String => {
                let mut builder = StringBuilder::new();
                for value in &values {
                    match value {
                        Some(Value::String(s)) => builder.append_value(s),
                        None | Some(Value::Null) => builder.append_null(),
                        Some(_) => return Err(mismatch()),
                    }
                }
                Arc::new(builder.finish())
            }
            FieldType::Boolean => {
                let mut builder = BooleanBuilder::new();
                for value in &values {
                    match value {
                        Some(Value::Bool(b)) => builder.append_value(*b),
                        None | Some(Value::Null) => builder.append_null(),
                        Some(_) => return Err(mismatch()),
                    }
                }
                Arc::new(builder.finish())
            }
            _ => {
                let mut builder = Float64Builder::new();
                for value in &values {
                    match value {
                        Some(Value::Number(n)) => builder.append_option(n.as_f64()),
                        None | Some(Value::Null) => builder.append_null(),
                        Some(_) => return Err(mismatch()),
                    }
                }
                Arc::new(builder.finish())
            }
        };
        // A field every point has, some with null, is there without a value.
        let present =
            values.iter().all(Option::is_some) && values.iter().flatten().any(|v| v.is_null());
        fields.push(if present {
            present_null_field(key, field_type)
        } else {
            field_field(key, field_type)
        });
        columns.push(column);
    }
    batch_of(fields, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_read_as_kapacitor_replays_them() {
        let text = r#"{"name":"cpu","tags":{"cpu":"cpu0"},"points":[
              {"fields":{"mean":90},"time":"2015-10-30T17:14:12Z"},
              {"fields":{"mean":91.5},"time":"2015-10-30T17:14:14Z"}]}
            {"name":"cpu","points":[]}
            {"name":"cpu","byname":true,"tmax":"1970-01-01T00:00:01Z","points":[
              {"fields":{"v":"x"},"tags":{"host":"a"},"time":"2015-10-30T17:14:16Z"}]}"#;
        let batches = read_batch_recording(text, Some(0)).unwrap();
        assert_eq!(batches.len(), 2);
        let first = &batches[0];
        assert_eq!(first.group.id, "cpu=cpu0");
        assert_eq!(first.tmax, 2_000_000_000);
        assert_eq!(first.data.num_rows(), 2);
        assert_eq!(
            crate::points::times(&first.data).unwrap(),
            &[0, 2_000_000_000]
        );
        let second = &batches[1];
        assert_eq!(second.group.id, "cpu");
        // A recorded tmax before the last point gives way to it.
        assert_eq!(second.tmax, 4_000_000_000);
        assert!(second.data.column_by_name("host").is_some());
        // One after it stays, unshifted.
        let later = r#"{"name":"cpu","tmax":"2015-10-30T00:00:10Z","points":[
              {"fields":{"v":1},"time":"2015-10-30T17:14:16Z"}]}"#;
        let batch = &read_batch_recording(later, Some(0)).unwrap()[0];
        assert_eq!(batch.tmax, 1_446_163_210_000_000_000);
    }

    #[test]
    fn written_batches_read_back_the_same() {
        let text = r#"{"name":"cpu","tags":{"host":"a"},"byname":true,"points":[
              {"fields":{"v":1.5,"s":"x"},"tags":{"host":"a","dc":"e"},"time":"1971-01-01T00:00:01Z"}]}"#;
        let batches = read_batch_recording(text, None).unwrap();
        let mut written = String::new();
        write_batch_recording(&batches[0], &mut written);
        let again = read_batch_recording(&written, None).unwrap();
        assert_eq!(again[0].group, batches[0].group);
        assert_eq!(again[0].tmax, batches[0].tmax);
        assert_eq!(again[0].data, batches[0].data);
    }

    #[test]
    fn a_bad_recording_is_an_error_naming_the_batch() {
        let error =
            read_batch_recording(r#"{"name":"cpu","points":[{"fields":{}}]}"#, None).unwrap_err();
        assert!(error.to_string().contains("batch 1"), "{error}");
    }
}
