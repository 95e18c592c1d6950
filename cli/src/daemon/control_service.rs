//! The control plane's gRPC service (`condenser.v1.Control`) over [`Tasks`]: the same
//! implementation as Kapacitor's HTTP API, with Kapacitor's messages as status messages.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::tasks::{
    DbrpRecord, TaskChange, TaskError, TaskKind, TaskStatus, Tasks, TemplateChange,
};
use crate::control::proto;
use crate::control::proto::control_server::{Control, ControlServer};

/// The gRPC service, ready to be routed next to the HTTP APIs.
pub(crate) fn server(tasks: Arc<Tasks>) -> ControlServer<ControlService> {
    ControlServer::new(ControlService { tasks })
}

/// `condenser.v1.Control` over the daemon's tasks.
#[derive(Debug)]
pub(crate) struct ControlService {
    tasks: Arc<Tasks>,
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
}
