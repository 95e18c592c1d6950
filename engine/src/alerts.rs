//! What a task's alert nodes share with the world outside the task: where their events go
//! ([`AlertSink`], a bounded crossbeam channel to the handlers), who the server is
//! ([`ServerInfo`], for templates' `.ServerInfo`), the topics they collect their events
//! into ([`TopicStates`]) and the inhibitors every alert node of the engine sees
//! ([`Inhibitors`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use condenser_model::alert::TopicEvent;
use condenser_model::topic::TopicStates;
use crossbeam_channel::{Sender, TrySendError};

/// Where alert nodes send events, to the handlers. A sink that does not wait counts the
/// events a full channel refuses (and the task goes on); one that waits (a replay) loses
/// none. Without a channel, events are counted as undelivered.
#[derive(Debug, Clone, Default)]
pub struct AlertSink {
    sender: Option<Sender<TopicEvent>>,
    wait: bool,
    counters: Arc<SinkCounters>,
}

/// What an [`AlertSink`] did with the events it was given.
#[derive(Debug, Default)]
struct SinkCounters {
    sent: AtomicU64,
    dropped: AtomicU64,
}

/// Why an event did not reach the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// The channel was full (the handlers are behind).
    Full,
    /// No handlers listen (none were set up, or they stopped).
    NoHandlers,
}

impl std::fmt::Display for Undelivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Undelivered::Full => "the handlers' queue is full",
            Undelivered::NoHandlers => "no handlers run",
        })
    }
}

impl AlertSink {
    /// A sink that never waits: an event the full channel refuses is counted as dropped.
    pub fn new(sender: Sender<TopicEvent>) -> Self {
        Self {
            sender: Some(sender),
            wait: false,
            counters: Arc::default(),
        }
    }

    /// A sink that waits while the channel is full (a replay, which must lose nothing).
    pub fn waiting(sender: Sender<TopicEvent>) -> Self {
        Self {
            wait: true,
            ..Self::new(sender)
        }
    }

    /// Sends `event` on; why not, if it could not be.
    pub fn send(&self, event: TopicEvent) -> Result<(), Undelivered> {
        let result = match &self.sender {
            None => Err(Undelivered::NoHandlers),
            Some(sender) if self.wait => sender.send(event).map_err(|_| Undelivered::NoHandlers),
            Some(sender) => sender.try_send(event).map_err(|e| match e {
                TrySendError::Full(_) => Undelivered::Full,
                TrySendError::Disconnected(_) => Undelivered::NoHandlers,
            }),
        };
        let counter = match result {
            Ok(()) => &self.counters.sent,
            Err(_) => &self.counters.dropped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    /// How many events went to the handlers.
    pub fn sent(&self) -> u64 {
        self.counters.sent.load(Ordering::Relaxed)
    }

    /// How many events could not be sent.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }
}

/// Who the server is, as alert templates see it (`.ServerInfo.Hostname`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// The host name the server goes by.
    pub hostname: String,
    /// The cluster's id.
    pub cluster_id: String,
    /// The server's id.
    pub server_id: String,
}

impl Default for ServerInfo {
    fn default() -> Self {
        Self {
            hostname: "localhost".to_owned(),
            cluster_id: String::new(),
            server_id: String::new(),
        }
    }
}

/// The inhibitors of every alert node of an engine: while an `.inhibit(category, tags…)`
/// node's group is not OK, events of `category` whose tags hold the group's values of
/// `tags` are not sent (Kapacitor's alert service keeps them across tasks too).
#[derive(Debug, Clone, Default)]
pub struct Inhibitors {
    entries: Arc<Mutex<InhibitorTable>>,
}

#[derive(Debug, Default)]
struct InhibitorTable {
    next: u64,
    by_id: std::collections::BTreeMap<u64, Inhibitor>,
}

#[derive(Debug)]
struct Inhibitor {
    category: String,
    tags: Vec<(String, String)>,
    active: bool,
}

impl Inhibitors {
    /// Adds an inactive inhibitor of `category` for `tags` (a group's values); its id.
    pub fn add(&self, category: &str, tags: Vec<(String, String)>) -> u64 {
        let mut table = self.lock();
        let id = table.next;
        table.next += 1;
        table.by_id.insert(
            id,
            Inhibitor {
                category: category.to_owned(),
                tags,
                active: false,
            },
        );
        id
    }

    /// Sets whether inhibitor `id` is active.
    pub fn set(&self, id: u64, active: bool) {
        if let Some(inhibitor) = self.lock().by_id.get_mut(&id) {
            inhibitor.active = active;
        }
    }

    /// Whether an event of `category` with `tags` is inhibited: an active inhibitor of the
    /// category whose every tag has its value among `tags` (an absent tag is empty).
    pub fn inhibits(&self, category: &str, tags: &[(String, String)]) -> bool {
        self.lock().by_id.values().any(|inhibitor| {
            inhibitor.active
                && inhibitor.category == category
                && inhibitor.tags.iter().all(|(k, v)| {
                    let value = tags
                        .iter()
                        .find(|(tk, _)| tk == k)
                        .map(|(_, tv)| tv.as_str());
                    value.unwrap_or_default() == v
                })
        })
    }

    /// Removes the inhibitors `ids` (their node stopped).
    pub fn remove(&self, ids: impl IntoIterator<Item = u64>) {
        let mut table = self.lock();
        for id in ids {
            table.by_id.remove(&id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InhibitorTable> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What the alert nodes of an engine's tasks share.
#[derive(Debug, Clone, Default)]
pub struct AlertContext {
    /// Where events go.
    pub sink: AlertSink,
    /// Who the server is.
    pub server: ServerInfo,
    /// The topics: the last event of each alert id in each.
    pub topics: TopicStates,
    /// The inhibitors.
    pub inhibitors: Inhibitors,
    /// The handlers of services configured `global`, added to every alert node.
    pub globals: condenser_model::handler::GlobalHandlers,
    /// The task master the tasks run in, the first part of their alert nodes' own topics
    /// (`None`: Kapacitor's `main`; a replay runs in its own).
    pub task_master: Option<String>,
}

impl AlertContext {
    /// The name of the task master the tasks run in.
    pub fn task_master(&self) -> &str {
        self.task_master.as_deref().unwrap_or("main")
    }
}
