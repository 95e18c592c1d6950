//! The control plane's gRPC service (`condenser.v1.Control`) over [`Tasks`]: the same
//! implementation as Kapacitor's HTTP API, with Kapacitor's messages as status messages.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::Daemon;
use super::alerts::{Alerts, AlertsError, event_proto, handler_proto, handler_spec, parse_level};
use super::logs::LogStream;
use super::recordings::RecordingError;
use super::stats::ServerStats;
use super::tasks::{
    DbrpRecord, TaskChange, TaskError, TaskKind, TaskStatus, Tasks, TemplateChange,
};
use crate::control::proto;
use crate::control::proto::control_server::{Control, ControlServer};

/// The gRPC service over `daemon`, ready to be routed next to the HTTP APIs.
pub(crate) fn server(daemon: &Daemon) -> ControlServer<ControlService> {
    ControlServer::new(ControlService {
        tasks: Arc::clone(&daemon.tasks),
        alerts: Arc::clone(&daemon.alerts),
        stats: Arc::clone(&daemon.stats),
        logs: daemon.logs.clone(),
        daemon: daemon.clone(),
    })
}

/// `condenser.v1.Control` over the daemon's tasks, templates, topics and topic handlers,
/// its stats and its log lines.
#[derive(Debug)]
pub(crate) struct ControlService {
    tasks: Arc<Tasks>,
    alerts: Arc<Alerts>,
    stats: Arc<ServerStats>,
    logs: LogStream,
    daemon: Daemon,
}

/// The status of a refused alerts operation.
fn alerts_status(error: AlertsError) -> Status {
    let message = error.to_string();
    match error {
        AlertsError::NotFound(_) => Status::not_found(message),
        AlertsError::Invalid(_) => Status::invalid_argument(message),
        AlertsError::Store(_) => Status::internal(message),
    }
}

/// The status of a refused recording or replay operation.
fn recording_status(error: RecordingError) -> Status {
    let message = error.to_string();
    match error {
        RecordingError::NotFound(_) => Status::not_found(message),
        RecordingError::Invalid(_) => Status::invalid_argument(message),
        RecordingError::Io(_) => Status::internal(message),
    }
}

/// Runs `work` off the async runtime (a handler that stops delivers what it holds first).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AlertsError> + Send + 'static,
) -> Result<T, Status> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map_err(alerts_status)
}

/// The status of a refused task operation: who must act, in Kapacitor's words.
fn status(error: TaskError) -> Status {
    let message = error.to_string();
    match error {
        TaskError::NotFound(_) => Status::not_found(message),
        TaskError::Invalid(_) => Status::invalid_argument(message),
        TaskError::StartFailed(_) => Status::failed_precondition(message),
        TaskError::Store(_) => Status::internal(message),
        TaskError::Stopped => Status::unavailable(message),
    }
}

/// Vars given as Kapacitor's JSON text (none when empty).
fn vars(text: &str) -> Result<Option<serde_json::Value>, Status> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| Status::invalid_argument(format!("invalid vars JSON: {e}")))
}

/// A template or task id as given, or none when empty.
fn given(id: String) -> Option<String> {
    (!id.is_empty()).then_some(id)
}

fn dbrps(dbrps: Vec<proto::Dbrp>) -> Option<Vec<DbrpRecord>> {
    (!dbrps.is_empty()).then(|| {
        dbrps
            .into_iter()
            .map(|d| DbrpRecord { db: d.db, rp: d.rp })
            .collect()
    })
}

impl ControlService {
    async fn view(&self, id: &str) -> Result<Response<proto::Task>, Status> {
        let view = self.tasks.get(id).await.map_err(status)?;
        Ok(Response::new(view.to_proto()))
    }
}

#[tonic::async_trait]
impl Control for ControlService {
    async fn ping(
        &self,
        _request: Request<proto::PingRequest>,
    ) -> Result<Response<proto::PingResponse>, Status> {
        Ok(Response::new(proto::PingResponse {
            version: super::kapacitor_api::KAPACITOR_VERSION.to_owned(),
        }))
    }

    async fn create_task(
        &self,
        request: Request<proto::CreateTaskRequest>,
    ) -> Result<Response<proto::Task>, Status> {
        let request = request.into_inner();
        let change = TaskChange {
            status: TaskStatus::from_proto(request.status()),
            dbrps: dbrps(request.dbrps),
            script: Some(request.script),
            template_id: given(request.template_id),
            vars: vars(&request.vars_json)?,
        };
        let now = condenser_engine::clock::system_now();
        let record = self
            .tasks
            .create(&request.id, change, now)
            .await
            .map_err(status)?;
        self.view(&record.id).await
    }

    async fn update_task(
        &self,
        request: Request<proto::UpdateTaskRequest>,
    ) -> Result<Response<proto::Task>, Status> {
        let request = request.into_inner();
        let change = TaskChange {
            status: TaskStatus::from_proto(request.status()),
            dbrps: dbrps(request.dbrps),
            script: request.script,
            template_id: given(request.template_id),
            vars: vars(&request.vars_json)?,
        };
        let now = condenser_engine::clock::system_now();
        let record = self
            .tasks
            .update(&request.id, change, now)
            .await
            .map_err(status)?;
        self.view(&record.id).await
    }

    async fn get_task(
        &self,
        request: Request<proto::GetTaskRequest>,
    ) -> Result<Response<proto::Task>, Status> {
        self.view(&request.into_inner().id).await
    }

    async fn list_tasks(
        &self,
        request: Request<proto::ListTasksRequest>,
    ) -> Result<Response<proto::ListTasksResponse>, Status> {
        let request = request.into_inner();
        let views = self.tasks.list(&request.pattern).await.map_err(status)?;
        let limit = match request.limit {
            0 => usize::MAX,
            limit => limit as usize,
        };
        Ok(Response::new(proto::ListTasksResponse {
            tasks: views
                .iter()
                .skip(request.offset as usize)
                .take(limit)
                .map(|view| view.to_proto())
                .collect(),
        }))
    }

    async fn delete_task(
        &self,
        request: Request<proto::DeleteTaskRequest>,
    ) -> Result<Response<proto::DeleteTaskResponse>, Status> {
        self.tasks
            .delete(&request.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(proto::DeleteTaskResponse {}))
    }

    async fn create_template(
        &self,
        request: Request<proto::CreateTemplateRequest>,
    ) -> Result<Response<proto::Template>, Status> {
        let request = request.into_inner();
        let change = TemplateChange {
            kind: None,
            script: Some(request.script),
        };
        let now = condenser_engine::clock::system_now();
        let view = self
            .tasks
            .create_template(&request.id, change, now)
            .await
            .map_err(status)?;
        Ok(Response::new(view.to_proto()))
    }

    async fn update_template(
        &self,
        request: Request<proto::UpdateTemplateRequest>,
    ) -> Result<Response<proto::Template>, Status> {
        let request = request.into_inner();
        let change = TemplateChange {
            kind: TaskKind::from_proto(request.r#type()),
            script: request.script,
        };
        let now = condenser_engine::clock::system_now();
        let view = self
            .tasks
            .update_template(&request.id, change, now)
            .await
            .map_err(status)?;
        Ok(Response::new(view.to_proto()))
    }

    async fn get_template(
        &self,
        request: Request<proto::GetTemplateRequest>,
    ) -> Result<Response<proto::Template>, Status> {
        let view = self
            .tasks
            .get_template(&request.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(view.to_proto()))
    }

    async fn list_templates(
        &self,
        request: Request<proto::ListTemplatesRequest>,
    ) -> Result<Response<proto::ListTemplatesResponse>, Status> {
        let views = self
            .tasks
            .list_templates(&request.into_inner().pattern)
            .await;
        Ok(Response::new(proto::ListTemplatesResponse {
            templates: views.iter().map(|view| view.to_proto()).collect(),
        }))
    }

    async fn delete_template(
        &self,
        request: Request<proto::DeleteTemplateRequest>,
    ) -> Result<Response<proto::DeleteTemplateResponse>, Status> {
        self.tasks
            .delete_template(&request.into_inner().id)
            .await
            .map_err(status)?;
        Ok(Response::new(proto::DeleteTemplateResponse {}))
    }

    async fn list_topics(
        &self,
        request: Request<proto::ListTopicsRequest>,
    ) -> Result<Response<proto::ListTopicsResponse>, Status> {
        let request = request.into_inner();
        let min_level = parse_level(&request.min_level).map_err(alerts_status)?;
        Ok(Response::new(proto::ListTopicsResponse {
            topics: self
                .alerts
                .topics(&request.pattern, min_level)
                .iter()
                .map(|t| t.to_proto())
                .collect(),
        }))
    }

    async fn get_topic(
        &self,
        request: Request<proto::GetTopicRequest>,
    ) -> Result<Response<proto::Topic>, Status> {
        let request = request.into_inner();
        let min_level = parse_level(&request.min_level).map_err(alerts_status)?;
        let mut topic = self
            .alerts
            .topic(&request.id)
            .map_err(alerts_status)?
            .to_proto();
        topic.events = self
            .alerts
            .events(&request.id, min_level)
            .map_err(alerts_status)?
            .iter()
            .map(|(id, state)| event_proto(id, state))
            .collect();
        topic.handler_ids = self
            .alerts
            .topic_handlers(&request.id, "")
            .into_iter()
            .map(|spec| spec.id)
            .collect();
        Ok(Response::new(topic))
    }

    async fn delete_topic(
        &self,
        request: Request<proto::DeleteTopicRequest>,
    ) -> Result<Response<proto::DeleteTopicResponse>, Status> {
        self.alerts.delete_topic(&request.into_inner().id);
        Ok(Response::new(proto::DeleteTopicResponse {}))
    }

    async fn list_topic_handlers(
        &self,
        request: Request<proto::ListTopicHandlersRequest>,
    ) -> Result<Response<proto::ListTopicHandlersResponse>, Status> {
        let request = request.into_inner();
        Ok(Response::new(proto::ListTopicHandlersResponse {
            handlers: self
                .alerts
                .topic_handlers(&request.topic, &request.pattern)
                .iter()
                .map(handler_proto)
                .collect(),
        }))
    }

    async fn get_topic_handler(
        &self,
        request: Request<proto::GetTopicHandlerRequest>,
    ) -> Result<Response<proto::TopicHandler>, Status> {
        let request = request.into_inner();
        let spec = self
            .alerts
            .topic_handler(&request.topic, &request.id)
            .map_err(alerts_status)?;
        Ok(Response::new(handler_proto(&spec)))
    }

    async fn define_topic_handler(
        &self,
        request: Request<proto::TopicHandler>,
    ) -> Result<Response<proto::TopicHandler>, Status> {
        let alerts = Arc::clone(&self.alerts);
        let handler = request.into_inner();
        let spec = blocking(move || {
            let spec = handler_spec(handler)?;
            let exists = alerts.topic_handler(&spec.topic, &spec.id).is_ok();
            alerts.define_handler(spec, exists)
        })
        .await?;
        Ok(Response::new(handler_proto(&spec)))
    }

    async fn delete_topic_handler(
        &self,
        request: Request<proto::DeleteTopicHandlerRequest>,
    ) -> Result<Response<proto::DeleteTopicHandlerResponse>, Status> {
        let alerts = Arc::clone(&self.alerts);
        let request = request.into_inner();
        blocking(move || alerts.delete_handler(&request.topic, &request.id)).await?;
        Ok(Response::new(proto::DeleteTopicHandlerResponse {}))
    }

    async fn get_stats(
        &self,
        _request: Request<proto::GetStatsRequest>,
    ) -> Result<Response<proto::Stats>, Status> {
        Ok(Response::new(self.stats.stats().await))
    }

    async fn get_vars(
        &self,
        _request: Request<proto::GetVarsRequest>,
    ) -> Result<Response<proto::Vars>, Status> {
        Ok(Response::new(proto::Vars {
            json: self.stats.debug_vars().await,
        }))
    }

    type StreamLogsStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<proto::LogLine, Status>> + Send + 'static>,
    >;

    async fn stream_logs(
        &self,
        request: Request<proto::StreamLogsRequest>,
    ) -> Result<Response<Self::StreamLogsStream>, Status> {
        let pairs = request
            .into_inner()
            .filters
            .into_iter()
            .map(|f| (f.key, f.value))
            .collect();
        let filters = super::logs::filters(pairs).map_err(Status::invalid_argument)?;
        let lines = super::logs::lines(&self.logs, filters, |line| Ok(line.to_proto()));
        Ok(Response::new(Box::pin(lines)))
    }

    async fn backup(
        &self,
        _request: Request<proto::BackupRequest>,
    ) -> Result<Response<proto::BackupResponse>, Status> {
        let store = self.daemon.backup().await.map_err(Status::internal)?;
        Ok(Response::new(proto::BackupResponse { store }))
    }

    async fn record_stream(
        &self,
        request: Request<proto::RecordStreamRequest>,
    ) -> Result<Response<proto::Recording>, Status> {
        let request = request.into_inner();
        let record = self
            .daemon
            .recordings
            .record_stream(&request.id, &request.task, request.stop)
            .await
            .map_err(recording_status)?;
        Ok(Response::new(record.to_proto()))
    }

    async fn record_batch(
        &self,
        request: Request<proto::RecordBatchRequest>,
    ) -> Result<Response<proto::Recording>, Status> {
        let request = request.into_inner();
        let record = self
            .daemon
            .recordings
            .record_batch(&request.id, &request.task, request.start, request.stop)
            .await
            .map_err(recording_status)?;
        Ok(Response::new(record.to_proto()))
    }

    async fn record_query(
        &self,
        request: Request<proto::RecordQueryRequest>,
    ) -> Result<Response<proto::Recording>, Status> {
        let request = request.into_inner();
        let record = self
            .daemon
            .recordings
            .record_query(
                &request.id,
                &request.query,
                &request.r#type,
                &request.cluster,
            )
            .map_err(recording_status)?;
        Ok(Response::new(record.to_proto()))
    }

    async fn get_recording(
        &self,
        request: Request<proto::GetRecordingRequest>,
    ) -> Result<Response<proto::Recording>, Status> {
        let record = self
            .daemon
            .recordings
            .recording(&request.into_inner().id)
            .map_err(recording_status)?;
        Ok(Response::new(record.to_proto()))
    }

    async fn list_recordings(
        &self,
        request: Request<proto::ListRecordingsRequest>,
    ) -> Result<Response<proto::ListRecordingsResponse>, Status> {
        let recordings = self
            .daemon
            .recordings
            .recordings(&request.into_inner().pattern);
        Ok(Response::new(proto::ListRecordingsResponse {
            recordings: recordings.iter().map(|r| r.to_proto()).collect(),
        }))
    }

    async fn delete_recording(
        &self,
        request: Request<proto::DeleteRecordingRequest>,
    ) -> Result<Response<proto::DeleteRecordingResponse>, Status> {
        self.daemon
            .recordings
            .delete_recording(&request.into_inner().id)
            .map_err(recording_status)?;
        Ok(Response::new(proto::DeleteRecordingResponse {}))
    }

    async fn replay(
        &self,
        request: Request<proto::ReplayRequest>,
    ) -> Result<Response<proto::ReplayStatus>, Status> {
        let request = request.into_inner();
        let replay = self
            .daemon
            .recordings
            .replay(
                &request.id,
                &request.task,
                &request.recording,
                request.recording_time,
                request.real_clock,
            )
            .await
            .map_err(recording_status)?;
        Ok(Response::new(replay.to_proto()))
    }

    async fn get_replay(
        &self,
        request: Request<proto::GetReplayRequest>,
    ) -> Result<Response<proto::ReplayStatus>, Status> {
        let replay = self
            .daemon
            .recordings
            .replay_status(&request.into_inner().id)
            .map_err(recording_status)?;
        Ok(Response::new(replay.to_proto()))
    }

    async fn list_replays(
        &self,
        request: Request<proto::ListReplaysRequest>,
    ) -> Result<Response<proto::ListReplaysResponse>, Status> {
        let replays = self
            .daemon
            .recordings
            .replays(&request.into_inner().pattern);
        Ok(Response::new(proto::ListReplaysResponse {
            replays: replays.iter().map(|r| r.to_proto()).collect(),
        }))
    }

    async fn delete_replay(
        &self,
        request: Request<proto::DeleteReplayRequest>,
    ) -> Result<Response<proto::DeleteReplayResponse>, Status> {
        self.daemon
            .recordings
            .delete_replay(&request.into_inner().id)
            .map_err(recording_status)?;
        Ok(Response::new(proto::DeleteReplayResponse {}))
    }

    async fn list_service_tests(
        &self,
        request: Request<proto::ListServiceTestsRequest>,
    ) -> Result<Response<proto::ListServiceTestsResponse>, Status> {
        let pattern = request.into_inner().pattern;
        Ok(Response::new(proto::ListServiceTestsResponse {
            services: super::service_tests(&pattern)
                .into_iter()
                .map(|(name, options)| proto::ServiceTest {
                    name: name.to_owned(),
                    options_json: options.to_string(),
                })
                .collect(),
        }))
    }

    async fn test_service(
        &self,
        request: Request<proto::TestServiceRequest>,
    ) -> Result<Response<proto::TestServiceResponse>, Status> {
        let request = request.into_inner();
        let options = match request.options_json.trim() {
            "" | "null" => serde_json::Map::new(),
            text => serde_json::from_str(text)
                .map_err(|e| Status::invalid_argument(format!("failed to decode JSON body:{e}")))?,
        };
        let tested = self.daemon.test_service(&request.name, options).await;
        Ok(Response::new(proto::TestServiceResponse {
            success: tested.is_ok(),
            message: tested.err().unwrap_or_default(),
        }))
    }
}
