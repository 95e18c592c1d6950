//! Kapacitor's alert topics: each keeps the last event of every alert id published to it,
//! so that an event learns the level before it (`previousLevel`), a new alert group resumes
//! the level its id had, and the topic's level is the highest of its events'. The alert
//! nodes collect into the [`TopicStates`] as they publish; the handlers read them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::Level;
use crate::alert::TopicEvent;

/// The last event of one alert id in a topic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventState {
    /// Its level.
    pub level: Level,
    /// Its message.
    pub message: String,
    /// Its details.
    #[serde(default)]
    pub details: String,
    /// Its time, nanoseconds since the epoch.
    pub time: i64,
    /// Its duration, in nanoseconds.
    pub duration: i64,
}

impl EventState {
    /// The state `event` leaves in its topic.
    pub fn of(event: &crate::AlertEvent) -> Self {
        Self {
            level: event.level,
            message: event.message.clone(),
            details: event.details.clone(),
            time: event.time,
            duration: event.duration,
        }
    }
}

/// One topic.
#[derive(Debug, Default, Clone)]
pub struct Topic {
    events: HashMap<String, EventState>,
    collected: u64,
}

impl Topic {
    /// The highest level among its events' (OK when it has none).
    pub fn level(&self) -> Level {
        self.events
            .values()
            .map(|e| e.level)
            .max()
            .unwrap_or_default()
    }

    /// How many events it collected.
    pub fn collected(&self) -> u64 {
        self.collected
    }

    /// The last event of alert `id`.
    pub fn event(&self, id: &str) -> Option<&EventState> {
        self.events.get(id)
    }

    /// The last event of every alert id, in no order.
    pub fn events(&self) -> impl Iterator<Item = (&str, &EventState)> {
        self.events.iter().map(|(id, state)| (id.as_str(), state))
    }
}

/// Every topic, by name.
#[derive(Debug, Default)]
pub struct Topics {
    topics: HashMap<String, Topic>,
}

impl Topics {
    /// Collects `published` into its topic (made when new): its previous level becomes that
    /// of the topic's last event of the same id (OK when there was none).
    pub fn collect(&mut self, published: &mut TopicEvent) {
        let topic = self.topics.entry(published.topic.clone()).or_default();
        let event = &mut published.event;
        let state = EventState::of(event);
        event.previous_level = topic
            .events
            .insert(event.id.clone(), state)
            .map_or(Level::Ok, |previous| previous.level);
        topic.collected += 1;
    }

    /// Topic `name`.
    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.get(name)
    }

    /// Every topic, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Topic)> {
        self.topics
            .iter()
            .map(|(name, topic)| (name.as_str(), topic))
    }

    /// Sets the last event of alert `id` in topic `name` (made when new) to `state`.
    pub fn update(&mut self, name: &str, id: &str, state: EventState) {
        let topic = self.topics.entry(name.to_owned()).or_default();
        topic.events.insert(id.to_owned(), state);
    }

    /// Forgets topic `name` (its task was deleted).
    pub fn remove(&mut self, name: &str) {
        self.topics.remove(name);
    }

    /// The state of the last event of alert `id` in topic `name`.
    pub fn state(&self, name: &str, id: &str) -> Option<&EventState> {
        self.topics.get(name)?.events.get(id)
    }
}

/// The topics of an engine, shared by its alert nodes (which collect into them) and the
/// handler service (which reports them).
#[derive(Debug, Clone, Default)]
pub struct TopicStates {
    topics: Arc<Mutex<Topics>>,
}

impl TopicStates {
    /// The topics, locked.
    pub fn lock(&self) -> MutexGuard<'_, Topics> {
        self.topics.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AlertEvent;

    fn published(id: &str, level: Level) -> TopicEvent {
        TopicEvent {
            topic: "t".into(),
            task: "task".into(),
            name: "cpu".into(),
            group: String::new(),
            category: String::new(),
            tags: Vec::new(),
            event: AlertEvent {
                id: id.into(),
                message: String::new(),
                details: String::new(),
                time: 0,
                duration: 0,
                level,
                data: Default::default(),
                previous_level: Level::Ok,
                recoverable: true,
            },
        }
    }

    #[test]
    fn an_event_learns_the_level_of_the_last_one_of_its_id() {
        let mut topics = Topics::default();
        let mut levels = Vec::new();
        for (id, level) in [
            ("a", Level::Warning),
            ("b", Level::Critical),
            ("a", Level::Info),
            ("a", Level::Ok),
        ] {
            let mut event = published(id, level);
            topics.collect(&mut event);
            levels.push(event.event.previous_level);
        }
        assert_eq!(levels, [Level::Ok, Level::Ok, Level::Warning, Level::Info]);
        let topic = topics.topic("t").unwrap();
        assert_eq!((topic.level(), topic.collected()), (Level::Critical, 4));
    }
}
