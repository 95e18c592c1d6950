//! [`Alerts`]: the daemon's alert topics (the last event of each alert id, as the alert
//! nodes collect them) and its topic handlers (`define-topic-handler`), the one
//! implementation behind the control plane and Kapacitor's `/alerts/topics` API. Topic
//! handlers are stored before they are answered and subscribe again at boot.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use condenser_handlers::{HandlerService, TopicHandlerSpec};
use condenser_model::Level;
use condenser_model::topic::EventState;

use super::store::{Collection, Store, StoreError};
use super::tasks::glob_match;
use crate::control::proto;

/// A topic as `list topics` sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TopicView {
    /// Its id.
    pub(crate) id: String,
    /// The highest level of its events' (OK when it has none).
    pub(crate) level: Level,
    /// How many events it collected.
    pub(crate) collected: u64,
}

/// Why an alerts operation was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AlertsError {
    /// No topic, event or handler of that id.
    #[error("{0}")]
    NotFound(String),
    /// What was asked for is not valid.
    #[error("{0}")]
    Invalid(String),
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A level as Kapacitor's `min-level` takes it (any case; empty for OK).
pub(crate) fn parse_level(text: &str) -> Result<Level, AlertsError> {
    if text.is_empty() {
        return Ok(Level::Ok);
    }
    Level::ALL
        .into_iter()
        .find(|l| l.as_str().eq_ignore_ascii_case(text))
        .ok_or_else(|| AlertsError::Invalid(format!("unknown alert level '{text}'")))
}

/// The store key of topic handler `id` of `topic`.
fn key(topic: &str, id: &str) -> String {
    format!("{topic}/{id}")
}

/// The daemon's topics and topic handlers.
pub(crate) struct Alerts {
    store: Arc<Store>,
    handlers: Arc<HandlerService>,
    /// The topic handlers by topic and id; held across a change.
    specs: Mutex<BTreeMap<(String, String), TopicHandlerSpec>>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts")
            .field("store", &self.store)
            .finish()
    }
}

impl Alerts {
    /// The topic handlers of `store`, each subscribed in `handlers`; one that no longer
    /// subscribes (its service is no longer configured, say) is kept and logged.
    pub(crate) fn load(
        store: Arc<Store>,
        handlers: Arc<HandlerService>,
    ) -> Result<Self, StoreError> {
        let stored: Vec<(String, TopicHandlerSpec)> = store.all(Collection::TOPIC_HANDLERS)?;
        let mut specs = BTreeMap::new();
        for (_, spec) in stored {
            if let Err(error) = handlers.register_topic_handler(&spec) {
                tracing::error!(topic = %spec.topic, handler = %spec.id, %error,
                    "a stored topic handler cannot subscribe; it is kept");
            }
            specs.insert((spec.topic.clone(), spec.id.clone()), spec);
        }
        Ok(Self {
            store,
            handlers,
            specs: Mutex::new(specs),
        })
    }

    fn specs(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), TopicHandlerSpec>> {
        self.specs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every topic whose id matches `pattern` (every one when empty) and whose level is at
    /// least `min_level`, by id: those with events, and those handlers subscribe to.
    pub(crate) fn topics(&self, pattern: &str, min_level: Level) -> Vec<TopicView> {
        let mut topics: BTreeMap<String, TopicView> = BTreeMap::new();
        for id in self.handlers.subscribed_topics() {
            topics.insert(
                id.clone(),
                TopicView {
                    id,
                    level: Level::Ok,
                    collected: 0,
                },
            );
        }
        for ((topic, _), _) in self.specs().iter() {
            topics.entry(topic.clone()).or_insert_with(|| TopicView {
                id: topic.clone(),
                level: Level::Ok,
                collected: 0,
            });
        }
        for (id, topic) in self.handlers.topics().lock().iter() {
            topics.insert(
                id.to_owned(),
                TopicView {
                    id: id.to_owned(),
                    level: topic.level(),
                    collected: topic.collected(),
                },
            );
        }
        topics
            .into_values()
            .filter(|t| t.level >= min_level && (pattern.is_empty() || glob_match(pattern, &t.id)))
            .collect()
    }

    /// Topic `id`.
    pub(crate) fn topic(&self, id: &str) -> Result<TopicView, AlertsError> {
        self.topics("", Level::Ok)
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AlertsError::NotFound(format!("unknown topic: {id:?}")))
    }

    /// The last event of each alert id of `topic` whose level is at least `min_level`, by
    /// time.
    pub(crate) fn events(
        &self,
        topic: &str,
        min_level: Level,
    ) -> Result<Vec<(String, EventState)>, AlertsError> {
        self.topic(topic)?;
        let topics = self.handlers.topics().lock();
        let mut events: Vec<(String, EventState)> = topics
            .topic(topic)
            .into_iter()
            .flat_map(|t| t.events())
            .filter(|(_, state)| state.level >= min_level)
            .map(|(id, state)| (id.to_owned(), state.clone()))
            .collect();
        events.sort_by(|a, b| (a.1.time, &a.0).cmp(&(b.1.time, &b.0)));
        Ok(events)
    }

    /// The last event of alert `id` in `topic`.
    pub(crate) fn event(&self, topic: &str, id: &str) -> Result<EventState, AlertsError> {
        self.handlers
            .topics()
            .lock()
            .state(topic, id)
            .cloned()
            .ok_or_else(|| {
                AlertsError::NotFound(format!("unknown event {id:?} in topic {topic:?}"))
            })
    }

    /// Forgets the events of `topic` (its handlers stay).
    pub(crate) fn delete_topic(&self, topic: &str) {
        self.handlers.forget_topic(topic);
    }

    /// The handlers of `topic` whose ids match `pattern` (every one when empty), by id.
    pub(crate) fn topic_handlers(&self, topic: &str, pattern: &str) -> Vec<TopicHandlerSpec> {
        self.specs()
            .iter()
            .filter(|((t, id), _)| t == topic && (pattern.is_empty() || glob_match(pattern, id)))
            .map(|(_, spec)| spec.clone())
            .collect()
    }

    /// Handler `id` of `topic`.
    pub(crate) fn topic_handler(
        &self,
        topic: &str,
        id: &str,
    ) -> Result<TopicHandlerSpec, AlertsError> {
        self.specs()
            .get(&(topic.to_owned(), id.to_owned()))
            .cloned()
            .ok_or_else(|| AlertsError::NotFound(format!("unknown handler: {id:?}")))
    }

    /// Defines `spec` (its topic and id say which), replacing the handler of its id if
    /// `replace` and refusing to otherwise; stored, then subscribed.
    pub(crate) fn define_handler(
        &self,
        spec: TopicHandlerSpec,
        replace: bool,
    ) -> Result<TopicHandlerSpec, AlertsError> {
        spec.resolve().map_err(AlertsError::Invalid)?;
        let mut specs = self.specs();
        let place = (spec.topic.clone(), spec.id.clone());
        let existing = specs.get(&place).cloned();
        match (&existing, replace) {
            (Some(_), false) => {
                return Err(AlertsError::Invalid(format!(
                    "cannot register handler, handler with ID {:?} already exists",
                    spec.id
                )));
            }
            (None, true) => {
                return Err(AlertsError::NotFound(format!(
                    "unknown handler: {:?}",
                    spec.id
                )));
            }
            _ => {}
        }
        if existing.is_some() {
            self.handlers
                .deregister_topic_handler(&spec.topic, &spec.id);
        }
        if let Err(error) = self.handlers.register_topic_handler(&spec) {
            // The handler it replaces subscribes again, unchanged.
            if let Some(existing) = &existing
                && let Err(again) = self.handlers.register_topic_handler(existing)
            {
                tracing::error!(handler = %existing.id, error = %again,
                    "a replaced topic handler cannot subscribe again");
            }
            return Err(AlertsError::Invalid(error));
        }
        self.store.put(
            Collection::TOPIC_HANDLERS,
            &key(&spec.topic, &spec.id),
            &spec,
        )?;
        specs.insert(place, spec.clone());
        Ok(spec)
    }

    /// Deletes handler `id` of `topic`, once it delivered what it holds.
    pub(crate) fn delete_handler(&self, topic: &str, id: &str) -> Result<(), AlertsError> {
        let mut specs = self.specs();
        if specs.remove(&(topic.to_owned(), id.to_owned())).is_none() {
            return Err(AlertsError::NotFound(format!("unknown handler: {id:?}")));
        }
        self.store
            .delete(Collection::TOPIC_HANDLERS, &key(topic, id))?;
        drop(specs);
        self.handlers.deregister_topic_handler(topic, id);
        Ok(())
    }
}

impl TopicView {
    /// The topic as the control plane's message (without its events and handlers).
    pub(crate) fn to_proto(&self) -> proto::Topic {
        proto::Topic {
            id: self.id.clone(),
            level: self.level.as_str().to_owned(),
            collected: self.collected,
            events: Vec::new(),
            handler_ids: Vec::new(),
        }
    }
}

/// The last event of alert `id` as the control plane's message.
pub(crate) fn event_proto(id: &str, state: &EventState) -> proto::Event {
    proto::Event {
        id: id.to_owned(),
        level: state.level.as_str().to_owned(),
        message: state.message.clone(),
        details: state.details.clone(),
        time: state.time,
        duration: state.duration,
    }
}

/// A topic handler as the control plane's message.
pub(crate) fn handler_proto(spec: &TopicHandlerSpec) -> proto::TopicHandler {
    proto::TopicHandler {
        topic: spec.topic.clone(),
        id: spec.id.clone(),
        kind: spec.kind.clone(),
        options_json: serde_json::Value::Object(spec.options.clone()).to_string(),
        r#match: spec.match_expression.clone(),
    }
}

/// A topic handler from the control plane's message (or Kapacitor's JSON); bad options
/// JSON is refused.
pub(crate) fn handler_spec(handler: proto::TopicHandler) -> Result<TopicHandlerSpec, AlertsError> {
    let options = match handler.options_json.trim() {
        "" | "null" => serde_json::Map::new(),
        text => serde_json::from_str(text)
            .map_err(|e| AlertsError::Invalid(format!("invalid handler options: {e}")))?,
    };
    Ok(TopicHandlerSpec {
        id: handler.id,
        topic: handler.topic,
        kind: handler.kind,
        options,
        match_expression: handler.r#match,
    })
}
