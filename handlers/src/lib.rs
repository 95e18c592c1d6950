//! Alert handlers.
//!
//! In: [`TopicEvent`](condenser_model::alert::TopicEvent)s from the engine's alert nodes,
//! over a bounded crossbeam channel ([`HandlerService::sender`]), and the handler specs
//! each topic's subscribers were defined with ([`HandlerService::register`]). Out:
//! deliveries, in order per handler, each on a worker thread of its own: `.log()` lines,
//! `.post()` requests, `.tcp()` writes, `.exec()` runs, mail, Slack, Telegram and
//! PagerDuty messages, retried with backoff when the failure is one that may pass
//! ([`RetryPolicy`]).
//!
//! - [`service`]: the dispatcher thread (fan-out to a topic's subscribers; the engine has
//!   collected each event into its topic, [`condenser_model::topic`]) and the workers;
//!   counters per handler (sent, failed, retried, queued, dropped). A slow or dead endpoint
//!   holds up its own worker only; a full queue is counted, never a silent drop.
//! - [`outbox`]: where events wait until delivered (redb), so a restart loses none.
//! - [`config`]: the services' sections of kapacitor.conf (`[smtp]`, `[[slack]]`, …).
//! - One file per handler kind ([`log`], [`post`], [`tcp`], [`exec`], [`email`], [`slack`],
//!   [`telegram`], [`pagerduty2`]): each builds from its
//!   [`HandlerSpec`](condenser_model::handler::HandlerSpec) and its service's section, and
//!   delivers one event at a time ([`Handler`]) in Kapacitor's wire format.

pub mod config;
pub mod delivery;
pub mod email;
pub mod event_data;
pub mod exec;
mod http;
pub mod log;
pub mod outbox;
pub mod pagerduty2;
pub mod post;
pub mod service;
pub mod slack;
pub mod tcp;
pub mod telegram;

use condenser_model::handler::HandlerSpec;

pub use config::{ConfigError, ServicesConfig};
pub use delivery::{Failure, Handler, RetryPolicy};
pub use outbox::{Outbox, OutboxError};
pub use service::{HandlerCounters, HandlerService, ServiceConfig};

/// A handler that cannot be built from its spec.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the {kind} handler: {message}")]
pub struct BuildError {
    /// The handler kind (`post`).
    pub kind: &'static str,
    /// What went wrong.
    pub message: String,
}

/// Builds the handler `spec` describes, sending through the services `services` configures.
pub fn build(
    spec: &HandlerSpec,
    services: &ServicesConfig,
) -> Result<Box<dyn Handler>, BuildError> {
    let error = |message: String| BuildError {
        kind: spec.kind(),
        message,
    };
    Ok(match spec {
        HandlerSpec::Log(spec) => Box::new(log::LogHandler::new(spec)),
        HandlerSpec::Post(spec) => Box::new(post::PostHandler::new(spec).map_err(error)?),
        HandlerSpec::Tcp(spec) => Box::new(tcp::TcpHandler::new(spec)),
        HandlerSpec::Exec(spec) => Box::new(exec::ExecHandler::new(spec).map_err(error)?),
        HandlerSpec::Email(spec) => {
            Box::new(email::EmailHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Slack(spec) => {
            Box::new(slack::SlackHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Telegram(spec) => {
            Box::new(telegram::TelegramHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::PagerDuty2(spec) => {
            Box::new(pagerduty2::PagerDuty2Handler::new(spec, services).map_err(error)?)
        }
    })
}
