//! Alert handlers.
//!
//! In: [`TopicEvent`](condenser_model::alert::TopicEvent)s from the engine's alert nodes,
//! over a bounded crossbeam channel ([`HandlerService::sender`]), and the handler specs
//! each topic's subscribers were defined with ([`HandlerService::register`]). Out:
//! deliveries, in order per handler, each on a worker thread of its own: `.log()` lines,
//! `.post()` requests, `.tcp()` writes, `.exec()` runs, mail, Slack, Telegram, PagerDuty,
//! OpsGenie, VictorOps, Teams, Discord, Alerta, Pushover, Sensu, ServiceNow, BigPanda and
//! Zenoss messages, retried with backoff when the failure is one that may pass
//! ([`RetryPolicy`]).
//!
//! - [`service`]: the dispatcher thread (fan-out to a topic's subscribers; the engine has
//!   collected each event into its topic, [`condenser_model::topic`]) and the workers;
//!   counters per handler (sent, failed, retried, queued, dropped). A slow or dead endpoint
//!   holds up its own worker only; a full queue is counted, never a silent drop.
//! - [`outbox`]: where events wait until delivered (redb), so a restart loses none.
//! - [`topic_handler`]: topic handlers as Kapacitor's YAML/JSON defines them (kind, options,
//!   `match`), with the `aggregate` and `publish` kinds.
//! - [`config`]: the services' sections of kapacitor.conf (`[smtp]`, `[[slack]]`, …).
//! - One file per handler kind ([`log`], [`post`], [`tcp`], [`exec`], [`email`], [`slack`],
//!   [`telegram`], [`pagerduty2`], [`opsgenie2`], [`victorops`], [`teams`], [`discord`],
//!   [`alerta`], [`pushover`], [`sensu`], [`servicenow`], [`bigpanda`], [`zenoss`]): each
//!   builds from its [`HandlerSpec`](condenser_model::handler::HandlerSpec) and its
//!   service's section, and delivers one event at a time ([`Handler`]) in Kapacitor's wire
//!   format.

pub mod alerta;
pub mod bigpanda;
pub mod config;
pub mod delivery;
pub mod discord;
pub mod email;
pub mod event_data;
pub mod exec;
mod http;
pub mod log;
pub mod opsgenie2;
pub mod outbox;
pub mod pagerduty2;
pub mod post;
pub mod pushover;
pub mod sensu;
pub mod service;
pub mod service_test;
pub mod servicenow;
pub mod slack;
pub mod tcp;
pub mod teams;
pub mod telegram;
pub mod topic_handler;
pub mod victorops;
pub mod zenoss;

use condenser_model::handler::HandlerSpec;

pub use config::{ConfigError, ServicesConfig};
pub use delivery::{Failure, Handler, RetryPolicy};
pub use outbox::{Outbox, OutboxError};
pub use service::{CountersHandle, HandlerCounters, HandlerService, ServiceConfig};
pub use topic_handler::TopicHandlerSpec;

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
        HandlerSpec::OpsGenie2(spec) => {
            Box::new(opsgenie2::OpsGenie2Handler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::VictorOps(spec) => {
            Box::new(victorops::VictorOpsHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Teams(spec) => {
            Box::new(teams::TeamsHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Discord(spec) => {
            Box::new(discord::DiscordHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Alerta(spec) => {
            Box::new(alerta::AlertaHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Pushover(spec) => {
            Box::new(pushover::PushoverHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Sensu(spec) => {
            Box::new(sensu::SensuHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::ServiceNow(spec) => {
            Box::new(servicenow::ServiceNowHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::BigPanda(spec) => {
            Box::new(bigpanda::BigPandaHandler::new(spec, services).map_err(error)?)
        }
        HandlerSpec::Zenoss(spec) => {
            Box::new(zenoss::ZenossHandler::new(spec, services).map_err(error)?)
        }
    })
}
