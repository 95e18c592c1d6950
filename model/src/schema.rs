//! The Arrow schema conventions for points (see the crate docs for the whole picture).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, TimeUnit};

/// Name of the timestamp column.
pub const TIME_COLUMN: &str = "time";

/// Arrow field-metadata key that marks a column's [`ColumnRole`].
pub const ROLE_KEY: &str = "condenser.role";

/// Arrow field-metadata key of a field column whose nulls are values: the field is present
/// in every point, null where it has no value (`join().fill('null')`). In other field
/// columns a null is a point that lacks the field.
pub const NULLS_KEY: &str = "condenser.nulls";

/// The time zone of the `time` column.
pub const TIME_ZONE: &str = "UTC";

/// What a column of a point batch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnRole {
    /// The point's timestamp.
    Time,
    /// A tag: part of the series key, always a string.
    Tag,
    /// A field: a typed value.
    Field,
    /// Which rows of a float field were integers: a field whose points have integers and
    /// floats becomes one float column with this boolean companion (see
    /// [`integers_field`]), so that what types each value the way Kapacitor does can.
    Integers,
}

impl ColumnRole {
    /// The metadata value that marks this role.
    pub const fn as_str(self) -> &'static str {
        match self {
            ColumnRole::Time => "time",
            ColumnRole::Tag => "tag",
            ColumnRole::Field => "field",
            ColumnRole::Integers => "integers",
        }
    }

    /// The role marked in an Arrow field's metadata, if any.
    pub fn of(field: &Field) -> Option<ColumnRole> {
        match field.metadata().get(ROLE_KEY).map(String::as_str) {
            Some("time") => Some(ColumnRole::Time),
            Some("tag") => Some(ColumnRole::Tag),
            Some("field") => Some(ColumnRole::Field),
            Some("integers") => Some(ColumnRole::Integers),
            _ => None,
        }
    }
}

/// The type of a field value, as InfluxDB names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// 64-bit float (`1.5`, `2`, `1e-5`).
    Float,
    /// Signed 64-bit integer (`5i`).
    Integer,
    /// Unsigned 64-bit integer (`5u`).
    Unsigned,
    /// UTF-8 string (`"text"`).
    String,
    /// Boolean (`t`, `false`, …).
    Boolean,
}

impl FieldType {
    /// The Arrow type that holds values of this type.
    pub const fn data_type(self) -> DataType {
        match self {
            FieldType::Float => DataType::Float64,
            FieldType::Integer => DataType::Int64,
            FieldType::Unsigned => DataType::UInt64,
            FieldType::String => DataType::Utf8,
            FieldType::Boolean => DataType::Boolean,
        }
    }

    /// The field type held by an Arrow type, if it is one of the five.
    pub fn from_data_type(data_type: &DataType) -> Option<FieldType> {
        match data_type {
            DataType::Float64 => Some(FieldType::Float),
            DataType::Int64 => Some(FieldType::Integer),
            DataType::UInt64 => Some(FieldType::Unsigned),
            DataType::Utf8 => Some(FieldType::String),
            DataType::Boolean => Some(FieldType::Boolean),
            _ => None,
        }
    }

    /// InfluxDB's word for this type, as used in its error messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::Unsigned => "unsigned",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Arrow type of tag columns: dictionary-encoded strings.
pub fn tag_data_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The Arrow type of the `time` column.
pub fn time_data_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some(Arc::from(TIME_ZONE)))
}

fn with_role(field: Field, role: ColumnRole) -> Field {
    field.with_metadata(HashMap::from([(
        ROLE_KEY.to_owned(),
        role.as_str().to_owned(),
    )]))
}

/// The `time` column's Arrow field.
pub fn time_field() -> Field {
    with_role(
        Field::new(TIME_COLUMN, time_data_type(), false),
        ColumnRole::Time,
    )
}

/// The Arrow field of the tag `key`.
pub fn tag_field(key: &str) -> Field {
    with_role(Field::new(key, tag_data_type(), true), ColumnRole::Tag)
}

/// The Arrow field of the field `key` holding values of `field_type`.
pub fn field_field(key: &str, field_type: FieldType) -> Field {
    with_role(
        Field::new(key, field_type.data_type(), true),
        ColumnRole::Field,
    )
}

/// The Arrow field of the field `key`, present in every point with null where it has no
/// value (see [`NULLS_KEY`]).
pub fn present_null_field(key: &str, field_type: FieldType) -> Field {
    let mut metadata =
        HashMap::from([(ROLE_KEY.to_owned(), ColumnRole::Field.as_str().to_owned())]);
    metadata.insert(NULLS_KEY.to_owned(), "present".to_owned());
    Field::new(key, field_type.data_type(), true).with_metadata(metadata)
}

/// The name of the [`ColumnRole::Integers`] companion of float field `field`.
pub fn integers_name(field: &str) -> String {
    format!("\u{0}integers:{field}")
}

/// The float field whose [`ColumnRole::Integers`] companion is named `companion`.
pub fn field_of_integers(companion: &str) -> Option<&str> {
    companion.strip_prefix("\u{0}integers:")
}

/// The [`ColumnRole::Integers`] companion of float field `field`: true in the rows whose
/// value was an integer.
pub fn integers_field(field: &str) -> Field {
    Field::new(integers_name(field), DataType::Boolean, true).with_metadata(HashMap::from([(
        ROLE_KEY.to_owned(),
        ColumnRole::Integers.as_str().to_owned(),
    )]))
}

/// Whether the nulls of `field` are values (the field is present in every point).
pub fn nulls_are_values(field: &Field) -> bool {
    field
        .metadata()
        .get(NULLS_KEY)
        .is_some_and(|v| v == "present")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_metadata() {
        assert_eq!(ColumnRole::of(&time_field()), Some(ColumnRole::Time));
        assert_eq!(ColumnRole::of(&tag_field("host")), Some(ColumnRole::Tag));
        let value = field_field("value", FieldType::Integer);
        assert_eq!(ColumnRole::of(&value), Some(ColumnRole::Field));
        assert_eq!(value.data_type(), &DataType::Int64);
        assert_eq!(ColumnRole::of(&Field::new("x", DataType::Utf8, true)), None);
    }

    #[test]
    fn field_types_map_to_arrow_and_back() {
        for field_type in [
            FieldType::Float,
            FieldType::Integer,
            FieldType::Unsigned,
            FieldType::String,
            FieldType::Boolean,
        ] {
            assert_eq!(
                FieldType::from_data_type(&field_type.data_type()),
                Some(field_type)
            );
        }
        assert_eq!(FieldType::from_data_type(&DataType::Int32), None);
    }
}
