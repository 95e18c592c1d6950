//! The handler service: one dispatcher thread takes the engine's events (which the alert
//! nodes collected into their topics, [`TopicStates`]) and stores each in the [`Outbox`]
//! once for every handler subscribed to its topic; each handler delivers what waits for it
//! on a worker thread of its own, in order, retrying as the [`RetryPolicy`] says, and
//! forgets an event only once it is delivered (or failed for good). A handler with
//! `handler_queue` events waiting is given no more: the event is counted for it
//! (`dropped`) and logged, and no other handler waits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use condenser_model::alert::TopicEvent;
use condenser_model::handler::HandlerSpec;
use condenser_model::topic::TopicStates;
use crossbeam_channel::{Receiver, Sender};

use crate::outbox::Outbox;
use crate::{BuildError, Failure, Handler, RetryPolicy, ServicesConfig};

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
    /// Events waiting in the outbox for it.
    pub queued: AtomicU64,
    /// Events its full queue refused.
    pub dropped: AtomicU64,
}

/// One subscribed handler: its name in the outbox, the channel that wakes its worker
/// (closed to stop it), its counters and its worker.
struct Subscriber {
    /// `<topic>/<kind><index>`.
    name: String,
    wake: Sender<()>,
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
    outbox: Arc<Outbox>,
    config: ServiceConfig,
    services: ServicesConfig,
}

impl std::fmt::Debug for HandlerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerService")
            .field("config", &self.config)
            .field("outbox", &self.outbox)
            .finish()
    }
}

impl HandlerService {
    /// Starts the dispatcher, for an engine whose alert nodes collect into `topics`, with
    /// the events waiting in `outbox` until delivered through the services `services`
    /// configures.
    pub fn start(
        config: ServiceConfig,
        services: ServicesConfig,
        topics: TopicStates,
        outbox: Outbox,
    ) -> Self {
        let (sender, receiver) = crossbeam_channel::bounded(config.queue.max(1));
        let registry: Registry = Arc::default();
        let outbox = Arc::new(outbox);
        let dispatcher = {
            let (registry, outbox) = (Arc::clone(&registry), Arc::clone(&outbox));
            let limit = config.handler_queue.max(1) as u64;
            std::thread::Builder::new()
                .name("alert-dispatcher".into())
                .spawn(move || dispatch(&receiver, &registry, &outbox, limit))
                .ok()
        };
        Self {
            sender: Some(sender),
            dispatcher,
            registry,
            topics,
            outbox,
            config,
            services,
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

    /// Subscribes handlers built from `specs` to `topic`, each with a worker of its own,
    /// which starts with the events the outbox holds for it (from before a restart).
    /// Nothing is subscribed if one cannot be built.
    pub fn register(&self, topic: &str, specs: &[HandlerSpec]) -> Result<(), BuildError> {
        let handlers = specs
            .iter()
            .map(|spec| crate::build(spec, &self.services))
            .collect::<Result<Vec<_>, _>>()?;
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let subscribers = registry.entry(topic.to_owned()).or_default();
        for (spec, handler) in specs.iter().zip(handlers) {
            let name = format!("{topic}/{}{}", spec.kind(), subscribers.len());
            let counters = Arc::new(HandlerCounters::default());
            let waiting = self.outbox.pending(&name).unwrap_or_else(|error| {
                tracing::error!(handler = name, %error, "cannot read the outbox");
                0
            });
            counters.queued.store(waiting, Ordering::Relaxed);
            let (wake, woken) = crossbeam_channel::bounded::<()>(1);
            let worker = Worker {
                name: name.clone(),
                handler,
                outbox: Arc::clone(&self.outbox),
                woken,
                policy: self.config.retry,
                counters: Arc::clone(&counters),
            };
            let worker = std::thread::Builder::new()
                .name(format!("alert-{}", spec.kind()))
                .spawn(move || worker.run())
                .ok();
            subscribers.push(Subscriber {
                name,
                wake,
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

    /// Each handler's name (`<topic>/<kind><index>`) and its counters.
    pub fn counters(&self) -> Vec<(String, Arc<HandlerCounters>)> {
        self.registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .flatten()
            .map(|s| (s.name.clone(), Arc::clone(&s.counters)))
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

/// Stops a subscriber's worker (closing the channel that wakes it) and waits for it to
/// finish what the outbox holds for it.
fn join(subscriber: Subscriber) {
    let Subscriber { wake, worker, .. } = subscriber;
    drop(wake);
    if let Some(worker) = worker {
        let _ = worker.join();
    }
}

/// How many events the dispatcher writes to the outbox in one transaction at most.
const APPEND_BATCH: usize = 1024;

/// The dispatcher's loop, until every sender is gone: takes what events are ready, stores
/// each once per subscriber of its topic in the outbox (one transaction), then wakes the
/// subscribers. A subscriber with `limit` events waiting is given no more: the event is
/// counted as dropped for it, and logged.
fn dispatch(receiver: &Receiver<TopicEvent>, registry: &Registry, outbox: &Outbox, limit: u64) {
    while let Ok(first) = receiver.recv() {
        let mut ready = vec![first];
        while ready.len() < APPEND_BATCH {
            match receiver.try_recv() {
                Ok(next) => ready.push(next),
                Err(_) => break,
            }
        }
        let registry = registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut entries: Vec<(&str, &TopicEvent)> = Vec::new();
        let mut given: Vec<&Subscriber> = Vec::new();
        for published in &ready {
            for subscriber in registry.get(&published.topic).into_iter().flatten() {
                let counters = &subscriber.counters;
                if counters.queued.load(Ordering::Relaxed) >= limit {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(
                        handler = subscriber.name,
                        id = published.event.id,
                        "failed to deliver event to handler: its queue is full"
                    );
                    continue;
                }
                counters.queued.fetch_add(1, Ordering::Relaxed);
                entries.push((&subscriber.name, published));
                given.push(subscriber);
            }
        }
        if let Err(error) = outbox.append(&entries) {
            for subscriber in &given {
                subscriber.counters.queued.fetch_sub(1, Ordering::Relaxed);
                subscriber.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            tracing::error!(%error, events = entries.len(), "alert events not stored: dropped");
            continue;
        }
        for subscriber in given {
            // A full wake channel already holds a wake-up.
            let _ = subscriber.wake.try_send(());
        }
    }
}

/// A handler's worker: delivers what the outbox holds for it, oldest first, one at a time.
struct Worker {
    name: String,
    handler: Box<dyn Handler>,
    outbox: Arc<Outbox>,
    /// Woken when events arrive; closed when the worker is to stop.
    woken: Receiver<()>,
    policy: RetryPolicy,
    counters: Arc<HandlerCounters>,
}

/// What became of one event.
enum Outcome {
    /// Delivered.
    Sent,
    /// Failed for good (a permanent failure, or retries spent where nothing outlives the
    /// process): forgotten.
    Failed(Failure),
    /// Still failing as the worker stops: kept in a durable outbox for the next start.
    Kept(Failure),
}

impl Worker {
    /// Delivers until stopped, then delivers what is left (each event tried as the retry
    /// policy says) and returns.
    fn run(mut self) {
        let mut stopping = false;
        // Events below this sequence number were kept for the next start.
        let mut from = 0;
        loop {
            let entry = match self.outbox.first(&self.name, from) {
                Ok(entry) => entry,
                Err(error) => {
                    tracing::error!(handler = self.name, %error, "cannot read the outbox");
                    if stopping {
                        return;
                    }
                    self.pause(self.policy.max, &mut stopping);
                    continue;
                }
            };
            let Some((seq, published)) = entry else {
                if stopping {
                    return;
                }
                stopping = self.woken.recv().is_err();
                continue;
            };
            let outcome = self.deliver(&published, &mut stopping);
            let id = &published.event.id;
            let forget = match &outcome {
                Outcome::Sent => {
                    self.counters.sent.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Outcome::Failed(failure) => {
                    tracing::error!(handler = self.name, id, %failure, "alert not delivered");
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Outcome::Kept(failure) => {
                    tracing::error!(
                        handler = self.name,
                        id,
                        %failure,
                        "alert not delivered yet: it waits in the outbox for the next start"
                    );
                    from = seq + 1;
                    false
                }
            };
            if forget {
                self.counters.queued.fetch_sub(1, Ordering::Relaxed);
                if let Err(error) = self.outbox.remove(&self.name, seq) {
                    tracing::error!(handler = self.name, id, %error, "cannot update the outbox");
                    from = seq + 1;
                }
            }
        }
    }

    /// Tries `published` until it is delivered or fails for good. A transient failure is
    /// tried again after the policy's delays; once its retries are spent, a durable outbox
    /// keeps trying at the longest delay for as long as the worker runs.
    fn deliver(&mut self, published: &TopicEvent, stopping: &mut bool) -> Outcome {
        let mut attempt: u32 = 0;
        loop {
            match self.handler.handle(published) {
                Ok(()) => return Outcome::Sent,
                Err(failure) if !failure.retry => return Outcome::Failed(failure),
                Err(failure) => {
                    if attempt >= self.policy.retries {
                        if !self.outbox.is_durable() {
                            return Outcome::Failed(failure);
                        }
                        if *stopping {
                            return Outcome::Kept(failure);
                        }
                        if attempt == self.policy.retries {
                            tracing::warn!(
                                handler = self.name,
                                id = published.event.id,
                                %failure,
                                "alert still not delivered: trying on"
                            );
                        }
                    }
                    let delay = self.policy.delay(attempt, crate::delivery::jitter());
                    if *stopping {
                        std::thread::sleep(delay);
                    } else {
                        self.pause(delay, stopping);
                    }
                    attempt = attempt.saturating_add(1);
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Waits `delay`, or until told to stop (then `stopping` is set).
    fn pause(&self, delay: std::time::Duration, stopping: &mut bool) {
        let deadline = std::time::Instant::now() + delay;
        loop {
            match self.woken.recv_deadline(deadline) {
                Ok(()) => {}
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => return,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    *stopping = true;
                    return;
                }
            }
        }
    }
}
