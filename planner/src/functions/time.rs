//! The time functions: `minute()`, `hour()`, `weekday()`, `day()`, `month()`, `year()` and
//! `unixNano()` of a time, and `now()`.

use std::sync::Arc;

use arrow::array::{ArrayRef, TimestampNanosecondArray};
use arrow::compute::cast;
use arrow::compute::kernels::temporal::{DatePart, date_part};
use arrow::datatypes::{DataType, TimeUnit};

/// `Some(result)` when `name` is a time function: the result, or `None` when its argument
/// is not a time.
pub(super) fn call(name: &str, args: &[ArrayRef], rows: usize) -> Option<Option<ArrayRef>> {
    let part = match name {
        "minute" => DatePart::Minute,
        "hour" => DatePart::Hour,
        "day" => DatePart::Day,
        "weekday" => DatePart::DayOfWeekSunday0,
        "month" => DatePart::Month,
        "year" => DatePart::Year,
        "unixNano" => {
            return Some(match args {
                [t] if is_time(t) => cast(t, &DataType::Int64).ok(),
                _ => None,
            });
        }
        // The wall clock, as Kapacitor reads it (not the replay clock).
        "now" => {
            return Some(args.is_empty().then(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
                Arc::new(TimestampNanosecondArray::from(vec![now; rows]).with_timezone("UTC"))
                    as ArrayRef
            }));
        }
        _ => return None,
    };
    Some(match args {
        [t] if is_time(t) => (|| {
            // Times are read in UTC (Kapacitor reads them in the server's zone; run it with
            // TZ=UTC to compare).
            let utc = cast(t, &DataType::Timestamp(TimeUnit::Nanosecond, None)).ok()?;
            cast(&date_part(&utc, part).ok()?, &DataType::Int64).ok()
        })(),
        _ => None,
    })
}

fn is_time(array: &ArrayRef) -> bool {
    matches!(array.data_type(), DataType::Timestamp(_, _))
}
