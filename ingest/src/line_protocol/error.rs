//! Why a line of a write body was rejected, worded as InfluxDB words it where it can.

use std::fmt;

use condenser_model::FieldType;

/// The reason one line of line protocol was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineErrorKind {
    /// The line starts with a comma: there is no measurement name.
    #[error("missing measurement")]
    MissingMeasurement,
    /// The key section is not followed by a field set.
    #[error("missing fields")]
    MissingFields,
    /// A tag has an empty key (`cpu,=a v=1`, `cpu, v=1`).
    #[error("missing tag key")]
    MissingTagKey,
    /// A tag has no `=` or an empty value (`cpu,host v=1`, `cpu,host= v=1`).
    #[error("missing tag value")]
    MissingTagValue,
    /// A tag value holds an unescaped `=`.
    #[error("invalid tag format")]
    InvalidTagFormat,
    /// The same tag key appears twice in one line.
    #[error("duplicate tags")]
    DuplicateTags,
    /// A field has an empty key (`cpu =1`).
    #[error("missing field key")]
    MissingFieldKey,
    /// A field has no value (`cpu v=`, `cpu v`).
    #[error("missing field value")]
    MissingFieldValue,
    /// A field set that is not `key=value` pairs separated by commas (`cpu v=1,w`,
    /// `cpu v="a"b`).
    #[error("invalid field format")]
    InvalidFieldFormat,
    /// A string field value without its closing quote.
    #[error("unbalanced quotes")]
    UnbalancedQuotes,
    /// A malformed number (`1.2.3`, `1x`, `-`, `1.5i`, `-1u`).
    #[error("invalid number")]
    InvalidNumber,
    /// A float of valid shape that does not fit 64 bits (`1e400`) or has no exponent (`1e`).
    #[error("invalid float")]
    InvalidFloat,
    /// An integer (`…i`) or unsigned (`…u`) value out of its 64-bit range.
    #[error("unable to parse {kind} {digits}: value out of range")]
    IntegerOutOfRange {
        /// `integer` or `unsigned`.
        kind: FieldType,
        /// The digits as written (without the `i` or `u`).
        digits: String,
    },
    /// A value that is no number or string and not one of the boolean spellings t, T, true,
    /// True, TRUE, f, F, false, False, FALSE (`abc`, `+1`).
    #[error("invalid boolean")]
    InvalidBoolean,
    /// The timestamp is not an integer.
    #[error("bad timestamp")]
    BadTimestamp,
    /// The timestamp, in nanoseconds, does not fit InfluxDB's time range.
    #[error("time outside range -9223372036854775806 - 9223372036854775806")]
    TimeOutsideRange,
    /// A field named `time`.
    #[error(
        "invalid field name: input field \"{key}\" on measurement \"{measurement}\" is invalid"
    )]
    InvalidFieldName {
        /// The measurement.
        measurement: String,
        /// The field key.
        key: String,
    },
    /// A tag named `time`.
    #[error("invalid tag key: input tag \"{key}\" on measurement \"{measurement}\" is invalid")]
    InvalidTagKey {
        /// The measurement.
        measurement: String,
        /// The tag key.
        key: String,
    },
    /// A field whose type differs from the type the same field had on an earlier line of the
    /// same body and measurement.
    #[error(
        "field type conflict: input field \"{key}\" on measurement \"{measurement}\" is type \
         {given}, already exists as type {existing}"
    )]
    FieldTypeConflict {
        /// The measurement.
        measurement: String,
        /// The field key.
        key: String,
        /// The type this line gives the field.
        given: FieldType,
        /// The type the field already has.
        existing: FieldType,
    },
    /// A key used both as a tag and as a field of one measurement.
    #[error("key \"{key}\" is used both as a tag and as a field")]
    TagFieldKeyClash {
        /// The key.
        key: String,
    },
    /// The line is not valid UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// The body's strings of one column exceed Arrow's 2 GiB limit for a string column.
    #[error("too much text in one column of one body (limit 2 GiB)")]
    TooMuchText,
}

/// A rejected line: where it is, what it says, and why it was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The 1-based line number within the body.
    pub line_number: usize,
    /// The line's text (invalid UTF-8 replaced, shortened past [`LineError::MAX_ECHO`] bytes).
    pub line: String,
    /// Why it was rejected.
    pub kind: LineErrorKind,
}

impl LineError {
    /// How many bytes of a bad line its error repeats.
    pub const MAX_ECHO: usize = 256;

    pub(crate) fn new(line_number: usize, line: &[u8], kind: LineErrorKind) -> Self {
        let shortened = line.len() > Self::MAX_ECHO;
        let mut line =
            String::from_utf8_lossy(&line[..line.len().min(Self::MAX_ECHO)]).into_owned();
        if shortened {
            line.push('…');
        }
        Self {
            line_number,
            line,
            kind,
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unable to parse '{}': {} (line {})",
            self.line, self.kind, self.line_number
        )
    }
}

impl std::error::Error for LineError {}
