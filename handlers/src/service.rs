//! The handler service: one dispatcher thread takes the engine's events (which the alert
//! nodes collected into their topics, [`TopicStates`]) and hands each to every handler
//! subscribed to its topic; each handler delivers on a worker thread of its own, from a bounded queue, in
//! order, retrying as the [`RetryPolicy`] says. A handler whose queue is full loses the
//! event for that handler: it is counted (`dropped`) and logged, and no other handler waits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use condenser_model::alert::TopicEvent;
use condenser_model::handler::HandlerSpec;
use condenser_model::topic::TopicStates;
use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::{BuildError, RetryPolicy};

/// How the service is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceConfig {
    /// How many events may wait between the engine and the dispatcher.
    pub queue: usize,
    /// How many events may wait for each handler (Kapacitor's is 5000).
    pub handler_queue: usize,
    /// How failed deliveries are tried again.
    pub retry: RetryPolicy,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            queue: 10_000,
            handler_queue: 5_000,
            retry: RetryPolicy::default(),
        }
    }
}

/// What one handler did, counted since it started.
#[derive(Debug, Default)]
pub struct HandlerCounters {
    /// Events delivered.
    pub sent: AtomicU64,
    /// Events given up on.
    pub failed: AtomicU64,
    /// Retries made.
    pub retried: AtomicU64,
    /// Events its full queue refused.
    pub dropped: AtomicU64,
}

/// One subscribed handler: its queue, its counters and its worker.
struct Subscriber {
    /// `<topic>/<kind><index>`.
    name: String,
    queue: Sender<TopicEvent>,
    counters: Arc<HandlerCounters>,
    worker: Option<JoinHandle<()>>,
}

type Registry = Arc<RwLock<BTreeMap<String, Vec<Subscriber>>>>;

/// The running handler service.
pub struct HandlerService {
    sender: Option<Sender<TopicEvent>>,
    dispatcher: Option<JoinHandle<()>>,
    registry: Registry,
    topics: TopicStates,
    config: ServiceConfig,
}

impl std::fmt::Debug for HandlerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerService")
            .field("config", &self.config)
            .finish()
    }
}

impl HandlerService {
    /// Starts the dispatcher, for an engine whose alert nodes collect into `topics`.
    pub fn start(config: ServiceConfig, topics: TopicStates) -> Self {
        let (sender, receiver) = crossbeam_channel::bounded(config.queue.max(1));
        let registry: Registry = Arc::default();
        let dispatcher = {
            let registry = Arc::clone(&registry);
            std::thread::Builder::new()
                .name("alert-dispatcher".into())
                .spawn(move || dispatch(&receiver, &registry))
                .ok()
        };
        Self {
            sender: Some(sender),
            dispatcher,
            registry,
            topics,
            config,
        }
    }

    /// The sending end for the engine's alert sink.
    pub fn sender(&self) -> Sender<TopicEvent> {
        match &self.sender {
            Some(sender) => sender.clone(),
            // Closed: a channel nobody reads.
            None => crossbeam_channel::bounded(0).0,
        }
    }

    /// Subscribes handlers built from `specs` to `topic`, each with a worker of its own.
    /// Nothing is subscribed if one cannot be built.
    pub fn register(&self, topic: &str, specs: &[HandlerSpec]) -> Result<(), BuildError> {
        let handlers = specs
            .iter()
            .map(crate::build)
            .collect::<Result<Vec<_>, _>>()?;
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let subscribers = registry.entry(topic.to_owned()).or_default();
        for (spec, mut handler) in specs.iter().zip(handlers) {
            let name = format!("{topic}/{}{}", spec.kind(), subscribers.len());
            let (queue, events) =
                crossbeam_channel::bounded::<TopicEvent>(self.config.handler_queue.max(1));
            let counters = Arc::new(HandlerCounters::default());
            let (worker_counters, policy, worker_name) =
                (Arc::clone(&counters), self.config.retry, name.clone());
            let worker = std::thread::Builder::new()
                .name(format!("alert-{}", spec.kind()))
                .spawn(move || {
                    for published in events {
                        let (retries, result) =
                            policy.deliver(handler.as_mut(), &published.event, std::thread::sleep);
                        worker_counters
                            .retried
                            .fetch_add(u64::from(retries), Ordering::Relaxed);
                        match result {
                            Ok(()) => worker_counters.sent.fetch_add(1, Ordering::Relaxed),
                            Err(failure) => {
                                tracing::error!(
                                    handler = worker_name,
                                    id = published.event.id,
                                    %failure,
                                    "alert not delivered"
                                );
                                worker_counters.failed.fetch_add(1, Ordering::Relaxed)
                            }
                        };
                    }
                })
                .ok();
            subscribers.push(Subscriber {
                name,
                queue,
                counters,
                worker,
            });
        }
        Ok(())
    }

    /// Unsubscribes every handler of `topic` (after they deliver what they hold) and
    /// forgets the topic's events.
    pub fn deregister(&self, topic: &str) {
        let removed = self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(topic);
        for subscriber in removed.into_iter().flatten() {
            join(subscriber);
        }
        self.topics.lock().remove(topic);
    }

    /// Each handler's name (`<topic>/<kind><index>`), its counters, and how many events
    /// wait in its queue.
    pub fn counters(&self) -> Vec<(String, Arc<HandlerCounters>, usize)> {
        self.registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .flatten()
            .map(|s| (s.name.clone(), Arc::clone(&s.counters), s.queue.len()))
            .collect()
    }

    /// The level of topic `name` and how many events it collected.
    pub fn topic_level(&self, name: &str) -> Option<(condenser_model::Level, u64)> {
        self.topics
            .lock()
            .topic(name)
            .map(|t| (t.level(), t.collected()))
    }

    /// Stops taking events, and returns when every handler has delivered (or given up on)
    /// what it was given. The engine must have dropped its senders first.
    pub fn close(mut self) {
        self.sender = None;
        if let Some(dispatcher) = self.dispatcher.take() {
            let _ = dispatcher.join();
        }
        let registry = std::mem::take(
            &mut *self
                .registry
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for subscriber in registry.into_values().flatten() {
            join(subscriber);
        }
    }
}

/// Closes a subscriber's queue and waits for its worker to finish it.
fn join(subscriber: Subscriber) {
    let Subscriber { queue, worker, .. } = subscriber;
    drop(queue);
    if let Some(worker) = worker {
        let _ = worker.join();
    }
}

/// The dispatcher's loop: until every sender is gone.
fn dispatch(receiver: &Receiver<TopicEvent>, registry: &Registry) {
    for published in receiver {
        let registry = registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for subscriber in registry.get(&published.topic).into_iter().flatten() {
            match subscriber.queue.try_send(published.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    subscriber.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(
                        handler = subscriber.name,
                        id = published.event.id,
                        "failed to deliver event to handler: its queue is full"
                    );
                }
            }
        }
    }
}
