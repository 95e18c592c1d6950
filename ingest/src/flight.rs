//! Arrow Flight ingest: [`FlightIngest`], a Flight service whose `DoPut` takes record
//! batches into the same write path as `/write`. The descriptor's path names where they go:
//! `[database, retention policy, measurement]` (the retention policy may be empty: the
//! default one).
//!
//! A batch follows the model's schema conventions, or plain Arrow: a `time` column
//! (a timestamp of any unit, or int64 nanoseconds), tags as dictionary-encoded strings (or
//! any column marked `condenser.role = tag`), and fields: float64, int64, uint64, utf8 or
//! boolean. A column of another type is refused, naming it, and nothing of that put is
//! kept. Each put is one write: handed over whole, or refused (`UNAVAILABLE` when a task is
//! behind) so that the client may send it again.

use std::pin::Pin;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Schema};
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use condenser_model::WriteBatch;
use condenser_model::schema::{self, ColumnRole, FieldType};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::write::{WriteRefused, Writer};

/// A stream of a Flight call's answers.
type Answers<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The Flight service: `DoPut` into `writer`; the rest are not offered.
#[derive(Debug, Clone)]
pub struct FlightIngest {
    writer: Writer,
    default_retention_policy: Arc<str>,
}

impl FlightIngest {
    /// A service writing through `writer`, to `default_retention_policy` when a descriptor
    /// names none.
    pub fn new(writer: Writer, default_retention_policy: Arc<str>) -> Self {
        Self {
            writer,
            default_retention_policy,
        }
    }

    /// The service, ready to be routed.
    pub fn server(self) -> FlightServiceServer<Self> {
        FlightServiceServer::new(self)
    }
}

/// A database, retention policy and measurement.
type Destination = (Arc<str>, Arc<str>, Arc<str>);

/// Where a put goes: the descriptor's path.
fn target(descriptor: &FlightDescriptor, default_rp: &str) -> Result<Destination, Status> {
    match descriptor.path.as_slice() {
        [db, rp, measurement] if !db.is_empty() && !measurement.is_empty() => Ok((
            db.as_str().into(),
            if rp.is_empty() {
                default_rp.into()
            } else {
                rp.as_str().into()
            },
            measurement.as_str().into(),
        )),
        _ => Err(Status::invalid_argument(format!(
            "the descriptor's path must be [database, retention policy, measurement], got {:?}",
            descriptor.path
        ))),
    }
}

/// `batch` under the model's schema conventions: `time` first as nanoseconds in UTC, tags
/// dictionary-encoded, fields typed; a column that is none of them is an error naming it.
pub fn to_conventions(batch: &RecordBatch) -> Result<RecordBatch, String> {
    let schema = batch.schema();
    let time_index = schema
        .index_of(schema::TIME_COLUMN)
        .map_err(|_| "the batch has no `time` column".to_owned())?;
    let cast_to = |index: usize, to: &DataType| -> Result<ArrayRef, String> {
        cast(batch.column(index), to).map_err(|e| {
            format!(
                "column {:?} cannot be {to}: {e}",
                schema.field(index).name()
            )
        })
    };
    let time: ArrayRef = match schema.field(time_index).data_type() {
        DataType::Timestamp(_, _) | DataType::Int64 => {
            // To nanoseconds without a zone (a cast to a named zone needs a time zone
            // database), then marked UTC: the instants are the same.
            let nanos = cast_to(
                time_index,
                &DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, None),
            )?;
            let nanos = nanos
                .as_any()
                .downcast_ref::<arrow::array::TimestampNanosecondArray>()
                .ok_or_else(|| "the time column did not cast to nanoseconds".to_owned())?
                .clone()
                .with_timezone(schema::TIME_ZONE);
            Arc::new(nanos)
        }
        other => {
            return Err(format!(
                "column \"time\" is {other}: it must be a timestamp or int64 nanoseconds"
            ));
        }
    };
    let mut fields = vec![schema::time_field()];
    let mut columns = vec![time];
    for (index, field) in schema.fields().iter().enumerate() {
        if index == time_index {
            continue;
        }
        let marked_tag = ColumnRole::of(field) == Some(ColumnRole::Tag);
        let (out_field, column) = match field.data_type() {
            DataType::Dictionary(_, value) if **value == DataType::Utf8 => (
                schema::tag_field(field.name()),
                cast_to(index, &schema::tag_data_type())?,
            ),
            DataType::Utf8 if marked_tag => (
                schema::tag_field(field.name()),
                cast_to(index, &schema::tag_data_type())?,
            ),
            data_type => match FieldType::from_data_type(data_type) {
                Some(field_type) => (
                    schema::field_field(field.name(), field_type),
                    Arc::clone(batch.column(index)),
                ),
                None => {
                    return Err(format!(
                        "column {:?} is {data_type}: a tag is a dictionary of strings, a field \
                         float64, int64, uint64, utf8 or boolean",
                        field.name()
                    ));
                }
            },
        };
        fields.push(out_field);
        columns.push(column);
    }
    let schema = Arc::new(Schema::new(fields));
    RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())
}

fn not_offered<T>() -> Result<T, Status> {
    Err(Status::unimplemented(
        "Condenser's Flight service takes writes only (DoPut)",
    ))
}

#[tonic::async_trait]
impl FlightService for FlightIngest {
    type HandshakeStream = Answers<HandshakeResponse>;
    type ListFlightsStream = Answers<FlightInfo>;
    type DoGetStream = Answers<FlightData>;
    type DoPutStream = Answers<PutResult>;
    type DoExchangeStream = Answers<FlightData>;
    type DoActionStream = Answers<arrow_flight::Result>;
    type ListActionsStream = Answers<ActionType>;

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        let stream = request
            .into_inner()
            .map(|data| data.map_err(FlightError::from));
        let mut decoder = FlightDataDecoder::new(stream);
        let mut destination = None;
        let mut batches = Vec::new();
        while let Some(decoded) = decoder.next().await {
            let decoded = decoded.map_err(|e| Status::invalid_argument(e.to_string()))?;
            if destination.is_none()
                && let Some(descriptor) = &decoded.inner.flight_descriptor
            {
                destination = Some(target(descriptor, &self.default_retention_policy)?);
            }
            if let DecodedPayload::RecordBatch(batch) = decoded.payload {
                let (db, rp, measurement) = destination.clone().ok_or_else(|| {
                    Status::invalid_argument("the first message must carry the flight descriptor")
                })?;
                let batch = to_conventions(&batch).map_err(Status::invalid_argument)?;
                let batch = WriteBatch::try_new(db, rp, measurement, batch)
                    .map_err(|e| Status::invalid_argument(e.to_string()))?;
                batches.push(batch);
            }
        }
        let db = destination.map(|(db, _, _)| db).unwrap_or_default();
        let points =
            self.writer
                .write_batches(&db, batches)
                .await
                .map_err(|refused| match refused {
                    WriteRefused::Busy { .. } | WriteRefused::Closed => {
                        Status::unavailable(refused.to_string())
                    }
                    WriteRefused::Internal(error) => Status::internal(error.to_string()),
                })?;
        let answer = PutResult {
            app_metadata: format!("{{\"points\":{points}}}").into(),
        };
        Ok(Response::new(Box::pin(tokio_stream::once(Ok(answer)))))
    }

    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        not_offered()
    }

    async fn list_flights(
        &self,
        _request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        not_offered()
    }

    async fn get_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        not_offered()
    }

    async fn poll_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        not_offered()
    }

    async fn get_schema(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        not_offered()
    }

    async fn do_get(
        &self,
        _request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        not_offered()
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        not_offered()
    }

    async fn do_action(
        &self,
        _request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        not_offered()
    }

    async fn list_actions(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        not_offered()
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, Int64Array, StringArray, TimestampMillisecondArray};
    use arrow::datatypes::{Field, TimeUnit};

    use super::*;

    #[test]
    fn plain_arrow_batches_take_the_model_s_conventions_or_name_the_bad_column() {
        let plain = Schema::new(vec![
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Millisecond, None),
                false,
            ),
            Field::new(
                "host",
                DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
                true,
            ),
            Field::new("value", DataType::Float64, true),
            Field::new("n", DataType::Int64, true),
            Field::new("note", DataType::Utf8, true),
        ]);
        let host: arrow::array::DictionaryArray<arrow::datatypes::Int8Type> =
            vec!["a", "b"].into_iter().collect();
        let batch = RecordBatch::try_new(
            Arc::new(plain),
            vec![
                Arc::new(TimestampMillisecondArray::from(vec![1, 2])),
                Arc::new(host),
                Arc::new(Float64Array::from(vec![1.5, 2.5])),
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec!["x", "y"])),
            ],
        )
        .unwrap();
        let converted = to_conventions(&batch).unwrap();
        let write = WriteBatch::try_new("db".into(), "rp".into(), "cpu".into(), converted).unwrap();
        let times = write
            .batch
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::TimestampNanosecondArray>()
            .unwrap();
        assert_eq!(times.value(1), 2_000_000);

        let bad = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("time", DataType::Int64, false),
                Field::new("blob", DataType::Binary, true),
            ])),
            vec![
                Arc::new(Int64Array::from(vec![1])),
                Arc::new(arrow::array::BinaryArray::from(vec![b"x".as_ref()])),
            ],
        )
        .unwrap();
        let error = to_conventions(&bad).unwrap_err();
        assert!(error.starts_with("column \"blob\" is Binary"), "{error}");
    }
}
