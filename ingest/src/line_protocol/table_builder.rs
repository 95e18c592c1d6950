//! [`TableBuilder`]: the Arrow columns of one measurement, appended to while a body is scanned.
//!
//! Values go straight into Arrow-shaped buffers (values, offsets, validity bits). A column
//! that a line does not mention is padded with nulls lazily, when it is next written or when
//! the table is finished. A line is written value by value as it is scanned; if it turns out
//! to be bad, [`TableBuilder::rollback`] cuts every column back to the last good row, so a bad
//! line leaves no trace (not even a column only it had).

use std::hash::BuildHasher;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, BooleanBufferBuilder, DictionaryArray, Float64Array, Int32Array,
    Int64Array, StringArray, TimestampNanosecondArray, UInt64Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{Int32Type, Schema};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use condenser_model::schema::{self, FieldType};
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use super::error::LineErrorKind;

/// Validity bits that stay unallocated until the first null.
#[derive(Debug, Default)]
struct Validity {
    bits: Option<BooleanBufferBuilder>,
    len: usize,
}

impl Validity {
    fn push(&mut self, valid: bool) {
        match (&mut self.bits, valid) {
            (Some(bits), _) => bits.append(valid),
            (None, true) => {}
            (None, false) => {
                let mut bits = BooleanBufferBuilder::new((self.len + 1).max(64));
                bits.append_n(self.len, true);
                bits.append(false);
                self.bits = Some(bits);
            }
        }
        self.len += 1;
    }

    fn truncate(&mut self, len: usize) {
        if let Some(bits) = &mut self.bits {
            bits.truncate(len);
        }
        self.len = self.len.min(len);
    }

    fn finish(self) -> Option<NullBuffer> {
        self.bits.map(|mut bits| NullBuffer::new(bits.finish()))
    }
}

/// Appends string bytes to an offsets + data pair, failing past Arrow's 2 GiB `Utf8` limit.
fn push_bytes(
    offsets: &mut Vec<i32>,
    data: &mut Vec<u8>,
    value: &[u8],
) -> Result<(), LineErrorKind> {
    data.extend_from_slice(value);
    match i32::try_from(data.len()) {
        Ok(end) => {
            offsets.push(end);
            Ok(())
        }
        Err(_) => {
            data.truncate(data.len() - value.len());
            Err(LineErrorKind::TooMuchText)
        }
    }
}

fn string_array(
    offsets: Vec<i32>,
    data: Vec<u8>,
    nulls: Option<NullBuffer>,
) -> Result<StringArray, ArrowError> {
    StringArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        data.into(),
        nulls,
    )
}

/// A tag column: per-row keys into a dictionary of distinct values.
#[derive(Debug)]
struct TagColumn {
    key: Box<str>,
    keys: Vec<i32>,
    validity: Validity,
    value_offsets: Vec<i32>,
    value_data: Vec<u8>,
    lookup: HashTable<i32>,
    /// The dictionary index of the last value written: consecutive lines often repeat it.
    last: Option<i32>,
}

impl TagColumn {
    fn new(key: Box<str>) -> Self {
        Self {
            key,
            keys: Vec::new(),
            validity: Validity::default(),
            value_offsets: vec![0],
            value_data: Vec::new(),
            lookup: HashTable::new(),
            last: None,
        }
    }

    fn value(&self, index: i32) -> &[u8] {
        let index = index as usize;
        &self.value_data[self.value_offsets[index] as usize..self.value_offsets[index + 1] as usize]
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn pad_to(&mut self, row: usize) {
        while self.keys.len() < row {
            self.keys.push(0);
            self.validity.push(false);
        }
    }

    fn dictionary_index(
        &mut self,
        value: &[u8],
        hasher: &DefaultHashBuilder,
    ) -> Result<i32, LineErrorKind> {
        if let Some(last) = self.last
            && self.value(last) == value
        {
            return Ok(last);
        }
        let hash = hasher.hash_one(value);
        let found = self.lookup.find(hash, |&index| {
            let index = index as usize;
            &self.value_data
                [self.value_offsets[index] as usize..self.value_offsets[index + 1] as usize]
                == value
        });
        let index = match found {
            Some(&index) => index,
            None => {
                let index = i32::try_from(self.value_offsets.len() - 1)
                    .map_err(|_| LineErrorKind::TooMuchText)?;
                push_bytes(&mut self.value_offsets, &mut self.value_data, value)?;
                let (offsets, data) = (&self.value_offsets, &self.value_data);
                self.lookup.insert_unique(hash, index, |&i| {
                    let i = i as usize;
                    hasher.hash_one(&data[offsets[i] as usize..offsets[i + 1] as usize])
                });
                index
            }
        };
        self.last = Some(index);
        Ok(index)
    }

    fn truncate(&mut self, len: usize) {
        self.keys.truncate(len);
        self.validity.truncate(len);
    }

    fn finish(mut self, rows: usize) -> Result<ArrayRef, ArrowError> {
        self.pad_to(rows);
        let values = string_array(self.value_offsets, self.value_data, None)?;
        let keys = Int32Array::new(ScalarBuffer::from(self.keys), self.validity.finish());
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            keys,
            Arc::new(values),
        )?))
    }
}

/// The values of a field column, typed by the first line that set the field.
#[derive(Debug)]
enum FieldValues {
    Float(Vec<f64>),
    Integer(Vec<i64>),
    Unsigned(Vec<u64>),
    String { offsets: Vec<i32>, data: Vec<u8> },
    Boolean(BooleanBufferBuilder),
}

/// One field value of a line, borrowed from the body (strings already unescaped).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FieldValue<'a> {
    /// A float.
    Float(f64),
    /// A signed integer.
    Integer(i64),
    /// An unsigned integer.
    Unsigned(u64),
    /// A string's bytes (valid UTF-8).
    String(&'a [u8]),
    /// A boolean.
    Boolean(bool),
}

impl FieldValue<'_> {
    /// The type of this value.
    pub(crate) fn field_type(&self) -> FieldType {
        match self {
            FieldValue::Float(_) => FieldType::Float,
            FieldValue::Integer(_) => FieldType::Integer,
            FieldValue::Unsigned(_) => FieldType::Unsigned,
            FieldValue::String(_) => FieldType::String,
            FieldValue::Boolean(_) => FieldType::Boolean,
        }
    }
}

/// A field column.
#[derive(Debug)]
struct FieldColumn {
    key: Box<str>,
    values: FieldValues,
    validity: Validity,
}

impl FieldColumn {
    fn new(key: Box<str>, field_type: FieldType) -> Self {
        let values = match field_type {
            FieldType::Float => FieldValues::Float(Vec::new()),
            FieldType::Integer => FieldValues::Integer(Vec::new()),
            FieldType::Unsigned => FieldValues::Unsigned(Vec::new()),
            FieldType::String => FieldValues::String {
                offsets: vec![0],
                data: Vec::new(),
            },
            FieldType::Boolean => FieldValues::Boolean(BooleanBufferBuilder::new(64)),
        };
        Self {
            key,
            values,
            validity: Validity::default(),
        }
    }

    fn field_type(&self) -> FieldType {
        match self.values {
            FieldValues::Float(_) => FieldType::Float,
            FieldValues::Integer(_) => FieldType::Integer,
            FieldValues::Unsigned(_) => FieldType::Unsigned,
            FieldValues::String { .. } => FieldType::String,
            FieldValues::Boolean(_) => FieldType::Boolean,
        }
    }

    fn len(&self) -> usize {
        self.validity.len
    }

    fn push_null(&mut self) {
        match &mut self.values {
            FieldValues::Float(v) => v.push(0.0),
            FieldValues::Integer(v) => v.push(0),
            FieldValues::Unsigned(v) => v.push(0),
            FieldValues::String { offsets, .. } => offsets.push(*offsets.last().unwrap_or(&0)),
            FieldValues::Boolean(v) => v.append(false),
        }
        self.validity.push(false);
    }

    fn pad_to(&mut self, row: usize) {
        while self.len() < row {
            self.push_null();
        }
    }

    /// Appends `value`, whose type the caller has checked against the column's.
    fn push(&mut self, value: FieldValue<'_>) -> Result<(), LineErrorKind> {
        match (&mut self.values, value) {
            (FieldValues::Float(v), FieldValue::Float(x)) => v.push(x),
            (FieldValues::Integer(v), FieldValue::Integer(x)) => v.push(x),
            (FieldValues::Unsigned(v), FieldValue::Unsigned(x)) => v.push(x),
            (FieldValues::String { offsets, data }, FieldValue::String(x)) => {
                push_bytes(offsets, data, x)?
            }
            (FieldValues::Boolean(v), FieldValue::Boolean(x)) => v.append(x),
            _ => unreachable!("field type checked before push"),
        }
        self.validity.push(true);
        Ok(())
    }

    fn truncate(&mut self, len: usize) {
        if self.len() <= len {
            return;
        }
        match &mut self.values {
            FieldValues::Float(v) => v.truncate(len),
            FieldValues::Integer(v) => v.truncate(len),
            FieldValues::Unsigned(v) => v.truncate(len),
            FieldValues::String { offsets, data } => {
                offsets.truncate(len + 1);
                data.truncate(*offsets.last().unwrap_or(&0) as usize);
            }
            FieldValues::Boolean(v) => v.truncate(len),
        }
        self.validity.truncate(len);
    }

    fn finish(mut self, rows: usize) -> Result<ArrayRef, ArrowError> {
        self.pad_to(rows);
        let nulls = self.validity.finish();
        Ok(match self.values {
            FieldValues::Float(v) => Arc::new(Float64Array::new(ScalarBuffer::from(v), nulls)),
            FieldValues::Integer(v) => Arc::new(Int64Array::new(ScalarBuffer::from(v), nulls)),
            FieldValues::Unsigned(v) => Arc::new(UInt64Array::new(ScalarBuffer::from(v), nulls)),
            FieldValues::String { offsets, data } => Arc::new(string_array(offsets, data, nulls)?),
            FieldValues::Boolean(mut v) => Arc::new(BooleanArray::new(v.finish(), nulls)),
        })
    }
}

/// Column positions by key, with a guess per position in the line: lines of one measurement
/// usually list their keys in the same order, so the guess saves most hash lookups.
#[derive(Debug, Default)]
struct ColumnIndex {
    by_key: HashMap<Box<[u8]>, usize>,
    hints: Vec<usize>,
}

impl ColumnIndex {
    /// The column of `key`, the line's `position`-th key; `key_of` gives a column's key.
    fn find<'k>(
        &mut self,
        position: usize,
        key: &[u8],
        key_of: impl Fn(usize) -> Option<&'k [u8]>,
    ) -> Option<usize> {
        if let Some(&hint) = self.hints.get(position)
            && key_of(hint) == Some(key)
        {
            return Some(hint);
        }
        let column = *self.by_key.get(key)?;
        self.remember(position, column);
        Some(column)
    }

    fn contains(&self, key: &[u8]) -> bool {
        self.by_key.contains_key(key)
    }

    fn insert(&mut self, position: usize, key: &[u8], column: usize) {
        self.by_key.insert(key.into(), column);
        self.remember(position, column);
    }

    fn remove(&mut self, key: &[u8]) {
        self.by_key.remove(key);
    }

    fn remember(&mut self, position: usize, column: usize) {
        if position < self.hints.len() {
            self.hints[position] = column;
        } else {
            self.hints.resize(position, column);
            self.hints.push(column);
        }
    }
}

/// The name of a new column `key`, unless the key is `time` (the error `reserved` gives),
/// is already a column of the other role (`other`), or is not UTF-8.
fn new_column_name<'k>(
    key: &'k [u8],
    other: &ColumnIndex,
    reserved: impl FnOnce() -> LineErrorKind,
) -> Result<&'k str, LineErrorKind> {
    if key == schema::TIME_COLUMN.as_bytes() {
        return Err(reserved());
    }
    if other.contains(key) {
        return Err(LineErrorKind::TagFieldKeyClash {
            key: String::from_utf8_lossy(key).into_owned(),
        });
    }
    std::str::from_utf8(key).map_err(|_| LineErrorKind::InvalidUtf8)
}

/// The Arrow columns of one measurement.
#[derive(Debug)]
pub(crate) struct TableBuilder {
    measurement: Box<str>,
    rows: usize,
    time: Vec<i64>,
    tags: Vec<TagColumn>,
    tag_index: ColumnIndex,
    fields: Vec<FieldColumn>,
    field_index: ColumnIndex,
    /// Column counts when the current line began, to drop columns only a bad line created.
    tags_at_line_start: usize,
    fields_at_line_start: usize,
}

impl TableBuilder {
    /// An empty table for `measurement`.
    pub(crate) fn new(measurement: Box<str>) -> Self {
        Self {
            measurement,
            rows: 0,
            time: Vec::new(),
            tags: Vec::new(),
            tag_index: ColumnIndex::default(),
            fields: Vec::new(),
            field_index: ColumnIndex::default(),
            tags_at_line_start: 0,
            fields_at_line_start: 0,
        }
    }

    /// The measurement's name.
    pub(crate) fn measurement(&self) -> &str {
        &self.measurement
    }

    /// The number of complete rows.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Marks the start of a line.
    pub(crate) fn begin_line(&mut self) {
        self.tags_at_line_start = self.tags.len();
        self.fields_at_line_start = self.fields.len();
    }

    /// Sets tag `key` (the line's `position`-th tag) to `value` for the current line.
    pub(crate) fn push_tag(
        &mut self,
        position: usize,
        key: &[u8],
        value: &[u8],
        hasher: &DefaultHashBuilder,
    ) -> Result<(), LineErrorKind> {
        let tags = &self.tags;
        let column = match self
            .tag_index
            .find(position, key, |i| tags.get(i).map(|c| c.key.as_bytes()))
        {
            Some(column) => column,
            None => {
                let name =
                    new_column_name(key, &self.field_index, || LineErrorKind::InvalidTagKey {
                        measurement: self.measurement.to_string(),
                        key: schema::TIME_COLUMN.to_owned(),
                    })?;
                self.tags.push(TagColumn::new(name.into()));
                self.tag_index.insert(position, key, self.tags.len() - 1);
                self.tags.len() - 1
            }
        };
        let rows = self.rows;
        let tag = &mut self.tags[column];
        if tag.len() > rows {
            return Err(LineErrorKind::DuplicateTags);
        }
        tag.pad_to(rows);
        let index = tag.dictionary_index(value, hasher)?;
        tag.keys.push(index);
        tag.validity.push(true);
        Ok(())
    }

    /// Sets field `key` (the line's `position`-th field) to `value` for the current line; a
    /// later value for the same key in the same line replaces the earlier one.
    pub(crate) fn push_field(
        &mut self,
        position: usize,
        key: &[u8],
        value: FieldValue<'_>,
    ) -> Result<(), LineErrorKind> {
        let fields = &self.fields;
        let column = match self
            .field_index
            .find(position, key, |i| fields.get(i).map(|c| c.key.as_bytes()))
        {
            Some(column) => column,
            None => {
                let name =
                    new_column_name(key, &self.tag_index, || LineErrorKind::InvalidFieldName {
                        measurement: self.measurement.to_string(),
                        key: schema::TIME_COLUMN.to_owned(),
                    })?;
                self.fields
                    .push(FieldColumn::new(name.into(), value.field_type()));
                self.field_index
                    .insert(position, key, self.fields.len() - 1);
                self.fields.len() - 1
            }
        };
        let rows = self.rows;
        let field = &mut self.fields[column];
        let existing = field.field_type();
        if existing != value.field_type() {
            return Err(LineErrorKind::FieldTypeConflict {
                measurement: self.measurement.to_string(),
                key: field.key.to_string(),
                given: value.field_type(),
                existing,
            });
        }
        field.truncate(rows);
        field.pad_to(rows);
        field.push(value)
    }

    /// Completes the current line with its timestamp (nanoseconds).
    pub(crate) fn commit(&mut self, time: i64) {
        self.time.push(time);
        self.rows += 1;
    }

    /// Forgets everything the current line wrote, including columns only it created.
    pub(crate) fn rollback(&mut self) {
        let rows = self.rows;
        for tag in self.tags.drain(self.tags_at_line_start..) {
            self.tag_index.remove(tag.key.as_bytes());
        }
        for field in self.fields.drain(self.fields_at_line_start..) {
            self.field_index.remove(field.key.as_bytes());
        }
        self.tags.iter_mut().for_each(|tag| tag.truncate(rows));
        self.fields
            .iter_mut()
            .for_each(|field| field.truncate(rows));
    }

    /// The table as a record batch following [`condenser_model::schema`]: `time`, then tags
    /// sorted by key, then fields sorted by key.
    pub(crate) fn finish(mut self) -> Result<RecordBatch, ArrowError> {
        let rows = self.rows;
        self.tags.sort_by(|a, b| a.key.cmp(&b.key));
        self.fields.sort_by(|a, b| a.key.cmp(&b.key));
        let mut schema_fields = Vec::with_capacity(1 + self.tags.len() + self.fields.len());
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema_fields.capacity());
        schema_fields.push(schema::time_field());
        columns.push(Arc::new(
            TimestampNanosecondArray::new(ScalarBuffer::from(self.time), None)
                .with_timezone(schema::TIME_ZONE),
        ));
        for tag in self.tags {
            schema_fields.push(schema::tag_field(&tag.key));
            columns.push(tag.finish(rows)?);
        }
        for field in self.fields {
            schema_fields.push(schema::field_field(&field.key, field.field_type()));
            columns.push(field.finish(rows)?);
        }
        RecordBatch::try_new(Arc::new(Schema::new(schema_fields)), columns)
    }
}
