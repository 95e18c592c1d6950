//! The handler service: one dispatcher thread takes the engine's events (which the alert
//! nodes collected into their topics, [`TopicStates`]) and stores each in the [`Outbox`]
//! once for every handler subscribed to its topic; each handler delivers what waits for it
//! on a worker thread of its own, in order, retrying as the [`RetryPolicy`] says, and
//! forgets an event only once it is delivered (or failed for good). A handler with
//! `handler_queue` events waiting is given no more: the event is counted for it
//! (`dropped`) and logged, and no other handler waits.
//!
//! Topic handlers ([`TopicHandlerSpec`]) subscribe the same way, each seeing the events its
//! `match` expression accepts; an `aggregate` one gathers them on a thread of its own and
//! publishes one event per interval, a `publish` one publishes each to other topics (each
//! collected into that topic first, so `changed()` there is that topic's).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use condenser_model::alert::TopicEvent;
use condenser_model::handler::HandlerSpec;
use condenser_model::topic::{EventState, TopicStates};
use crossbeam_channel::{Receiver, Sender};

use crate::outbox::Outbox;
use crate::topic_handler::{AggregateSpec, Match, TopicAction, TopicHandlerSpec};
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

/// Reads one of a handler's counters.
type Reading = fn(&HandlerCounters) -> &AtomicU64;

/// The handlers' counters, listed as they are subscribed and unsubscribed.
#[derive(Clone)]
pub struct CountersHandle(Registry);

impl std::fmt::Debug for CountersHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountersHandle").finish_non_exhaustive()
    }
}

impl CountersHandle {
    /// Each handler's name (`<topic>/<kind><index>`) and its counters.
    pub fn list(&self) -> Vec<(String, Arc<HandlerCounters>)> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .flatten()
            .map(|s| (s.name.clone(), Arc::clone(&s.counters)))
            .collect()
    }

    /// The counters in Prometheus' text format, one series per handler each.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let handlers = self.list();
        let series: [(&str, &str, Reading, &str); 5] = [
            (
                "sent",
                "Alert events a handler delivered.",
                |c| &c.sent,
                "counter",
            ),
            (
                "failed",
                "Alert events a handler gave up on.",
                |c| &c.failed,
                "counter",
            ),
            (
                "retried",
                "Deliveries a handler tried again.",
                |c| &c.retried,
                "counter",
            ),
            (
                "queued",
                "Alert events waiting in the outbox for a handler.",
                |c| &c.queued,
                "gauge",
            ),
            (
                "dropped",
                "Alert events a handler's full queue refused.",
                |c| &c.dropped,
                "counter",
            ),
        ];
        for (what, help, counter, kind) in series {
            let name = match kind {
                "gauge" => format!("condenser_handler_{what}"),
                _ => format!("condenser_handler_{what}_total"),
            };
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (handler, counters) in &handlers {
                let escaped = handler.replace('\\', "\\\\").replace('"', "\\\"");
                let value = counter(counters).load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}{{handler=\"{escaped}\"}} {value}");
            }
        }
    }
}

/// One subscribed handler: its name in the outbox, the events it sees, where they go,
/// and its counters.
struct Subscriber {
    /// `<topic>/<kind><index>` for an alert node's handlers, `<topic>/<id>` for a topic
    /// handler.
    name: String,
    /// Its match expression; `None` sees every event.
    filter: Option<Match>,
    route: Route,
    counters: Arc<HandlerCounters>,
}

/// Where a subscriber's events go.
enum Route {
    /// To a handler's worker, through the outbox; `wake` wakes it (closed to stop it).
    Worker {
        wake: Sender<()>,
        worker: Option<JoinHandle<()>>,
        /// Set when it is to stop at its first failure, leaving the rest in the outbox.
        at_once: Arc<std::sync::atomic::AtomicBool>,
    },
    /// Published to these topics too.
    Publish(Vec<String>),
    /// Gathered by an aggregator thread (closing `input` stops it).
    Aggregate {
        input: Sender<TopicEvent>,
        thread: Option<JoinHandle<()>>,
    },
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
        // The topics resume the alert state stored before a restart.
        match outbox.alert_states() {
            Ok(states) => {
                let mut topics = topics.lock();
                for (topic, id, state) in states {
                    topics.update(&topic, &id, state);
                }
            }
            Err(error) => tracing::error!(%error, "the stored alert state cannot be read"),
        }
        let outbox = Arc::new(outbox);
        let dispatcher = {
            let (registry, outbox) = (Arc::clone(&registry), Arc::clone(&outbox));
            let topics = topics.clone();
            let limit = config.handler_queue.max(1) as u64;
            std::thread::Builder::new()
                .name("alert-dispatcher".into())
                .spawn(move || dispatch(&receiver, &registry, &outbox, &topics, limit))
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
            subscribers.push(self.worker(name, spec.kind(), handler, None));
        }
        Ok(())
    }

    /// Subscribes the topic handler `spec` defines to its topic; an error says why it cannot
    /// be (a bad spec, options or match expression, a handler that cannot be built, an id
    /// its topic already has).
    pub fn register_topic_handler(&self, spec: &TopicHandlerSpec) -> Result<(), String> {
        let resolved = spec.resolve()?;
        let name = format!("{}/{}", spec.topic, spec.id);
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let subscribers = registry.entry(spec.topic.clone()).or_default();
        if subscribers.iter().any(|s| s.name == name) {
            return Err(format!(
                "cannot register handler, handler with ID {:?} already exists",
                spec.id
            ));
        }
        let subscriber = match resolved.action {
            TopicAction::Deliver(handler_spec) => {
                let handler = crate::build(&handler_spec, &self.services)
                    .map_err(|e| format!("failed to create handler: {e}"))?;
                self.worker(name, handler_spec.kind(), handler, resolved.filter)
            }
            TopicAction::Publish(topics) => Subscriber {
                name,
                filter: resolved.filter,
                route: Route::Publish(topics),
                counters: Arc::default(),
            },
            TopicAction::Aggregate(aggregate) => {
                let (input, gathered) = crossbeam_channel::unbounded();
                let counters: Arc<HandlerCounters> = Arc::default();
                let output = self.sender();
                let (topics, sent) = (self.topics.clone(), Arc::clone(&counters));
                let thread = std::thread::Builder::new()
                    .name("alert-aggregate".into())
                    .spawn(move || aggregate_events(&aggregate, &gathered, &output, &topics, &sent))
                    .ok();
                Subscriber {
                    name,
                    filter: resolved.filter,
                    route: Route::Aggregate { input, thread },
                    counters,
                }
            }
        };
        subscribers.push(subscriber);
        Ok(())
    }

    /// Unsubscribes topic handler `id` of `topic` (after it delivers what it holds);
    /// whether there was one.
    pub fn deregister_topic_handler(&self, topic: &str, id: &str) -> bool {
        let name = format!("{topic}/{id}");
        let removed = {
            let mut registry = self
                .registry
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(subscribers) = registry.get_mut(topic) else {
                return false;
            };
            let Some(index) = subscribers.iter().position(|s| s.name == name) else {
                return false;
            };
            subscribers.remove(index)
        };
        stop_at_once(removed);
        true
    }

    /// A subscriber whose worker delivers with `handler`, starting with what the outbox
    /// holds for `name` (from before a restart).
    fn worker(
        &self,
        name: String,
        kind: &str,
        handler: Box<dyn Handler>,
        filter: Option<Match>,
    ) -> Subscriber {
        let counters = Arc::new(HandlerCounters::default());
        let waiting = self.outbox.pending(&name).unwrap_or_else(|error| {
            tracing::error!(handler = name, %error, "cannot read the outbox");
            0
        });
        counters.queued.store(waiting, Ordering::Relaxed);
        let (wake, woken) = crossbeam_channel::bounded::<()>(1);
        let at_once = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker = Worker {
            name: name.clone(),
            handler,
            outbox: Arc::clone(&self.outbox),
            woken,
            policy: self.config.retry,
            counters: Arc::clone(&counters),
            at_once: Arc::clone(&at_once),
        };
        let worker = std::thread::Builder::new()
            .name(format!("alert-{kind}"))
            .spawn(move || worker.run())
            .ok();
        Subscriber {
            name,
            filter,
            route: Route::Worker {
                wake,
                worker,
                at_once,
            },
            counters,
        }
    }

    /// Unsubscribes every handler of `topic` (after they deliver what they hold); the
    /// topic keeps its alert state, which its task resumes from when it starts again.
    pub fn deregister(&self, topic: &str) {
        let removed = self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(topic);
        for subscriber in removed.into_iter().flatten() {
            stop_at_once(subscriber);
        }
    }

    /// Forgets `topic`'s alert state, in memory and in the outbox (its task was deleted).
    pub fn forget_topic(&self, topic: &str) {
        self.topics.lock().remove(topic);
        if let Err(error) = self.outbox.forget_alert_states(topic) {
            tracing::error!(topic, %error, "the alert state of a deleted topic is kept");
        }
    }

    /// Each handler's name (`<topic>/<kind><index>`) and its counters.
    pub fn counters(&self) -> Vec<(String, Arc<HandlerCounters>)> {
        self.counters_handle().list()
    }

    /// A handle that lists the counters for as long as it is kept (for `/metrics`).
    pub fn counters_handle(&self) -> CountersHandle {
        CountersHandle(Arc::clone(&self.registry))
    }

    /// The topics' alert states, as the alert nodes collect them.
    pub fn topics(&self) -> &TopicStates {
        &self.topics
    }

    /// The topics some handler subscribes to (a task's alert node's own, or a topic
    /// handler's), in no order.
    pub fn subscribed_topics(&self) -> Vec<String> {
        self.registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|(_, subscribers)| !subscribers.is_empty())
            .map(|(topic, _)| topic.clone())
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
        // Aggregators send to the dispatcher: they stop first (what they gathered is lost,
        // as in Kapacitor).
        let aggregators: Vec<Subscriber> = {
            let mut registry = self
                .registry
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            registry
                .values_mut()
                .flat_map(|subscribers| {
                    let (aggregators, others) = std::mem::take(subscribers)
                        .into_iter()
                        .partition(|s| matches!(s.route, Route::Aggregate { .. }));
                    *subscribers = others;
                    aggregators
                })
                .collect()
        };
        aggregators.into_iter().for_each(join);
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

/// Stops `subscriber` without waiting on a handler that is down: its worker finishes what
/// it is sending and, at its first failure, stops, what it did not deliver kept in a durable
/// outbox for its next start (a task enabled again, a topic handler defined again).
fn stop_at_once(subscriber: Subscriber) {
    if let Route::Worker { at_once, .. } = &subscriber.route {
        at_once.store(true, Ordering::Relaxed);
    }
    join(subscriber);
}

/// Stops a subscriber's thread (closing the channel that wakes it or feeds it) and waits
/// for it: a worker finishes what the outbox holds for it first.
fn join(subscriber: Subscriber) {
    let thread = match subscriber.route {
        Route::Worker { wake, worker, .. } => {
            drop(wake);
            worker
        }
        Route::Aggregate { input, thread } => {
            drop(input);
            thread
        }
        Route::Publish(_) => None,
    };
    if let Some(thread) = thread {
        let _ = thread.join();
    }
}

/// How many events the dispatcher writes to the outbox in one transaction at most.
const APPEND_BATCH: usize = 1024;

/// How many times an event may be published on by `publish` handlers (a loop of them
/// would go on for ever).
const PUBLISH_HOPS: u8 = 16;

/// The dispatcher's loop, until every sender is gone: takes what events are ready, stores
/// each once per subscriber of its topic whose match accepts it in the outbox (one
/// transaction), then wakes the subscribers; events `publish` handlers pass on are
/// collected into their topics and dispatched in the same round. A subscriber with `limit`
/// events waiting is given no more: the event is counted as dropped for it, and logged.
fn dispatch(
    receiver: &Receiver<TopicEvent>,
    registry: &Registry,
    outbox: &Outbox,
    topics: &TopicStates,
    limit: u64,
) {
    while let Ok(first) = receiver.recv() {
        let mut ready = std::collections::VecDeque::from([(first, 0u8)]);
        while ready.len() < APPEND_BATCH {
            match receiver.try_recv() {
                Ok(next) => ready.push_back((next, 0)),
                Err(_) => break,
            }
        }
        let registry = registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut entries: Vec<(&str, TopicEvent)> = Vec::new();
        let mut given: Vec<&Subscriber> = Vec::new();
        // The state each event leaves in its topic, stored with the events.
        let mut states: Vec<(String, String, EventState)> = Vec::new();
        while let Some((published, hops)) = ready.pop_front() {
            let event = &published.event;
            states.push((
                published.topic.clone(),
                event.id.clone(),
                EventState::of(event),
            ));
            for subscriber in registry.get(&published.topic).into_iter().flatten() {
                if let Some(filter) = &subscriber.filter {
                    match filter.matches(&published) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(error) => {
                            tracing::error!(handler = subscriber.name, %error, "failed to evaluate match expression");
                            continue;
                        }
                    }
                }
                let counters = &subscriber.counters;
                match &subscriber.route {
                    Route::Publish(targets) if hops >= PUBLISH_HOPS => {
                        tracing::error!(handler = subscriber.name, targets = ?targets, id = published.event.id, "event published on too many times: a loop of publish handlers");
                        counters.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Route::Publish(targets) => {
                        for target in targets {
                            let mut copy = published.clone();
                            copy.topic.clone_from(target);
                            topics.lock().collect(&mut copy);
                            ready.push_back((copy, hops + 1));
                        }
                        counters.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    Route::Aggregate { input, .. } => {
                        if input.send(published.clone()).is_err() {
                            counters.dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Route::Worker { .. } if counters.queued.load(Ordering::Relaxed) >= limit => {
                        counters.dropped.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(
                            handler = subscriber.name,
                            id = published.event.id,
                            "failed to deliver event to handler: its queue is full"
                        );
                    }
                    Route::Worker { .. } => {
                        counters.queued.fetch_add(1, Ordering::Relaxed);
                        entries.push((&subscriber.name, published.clone()));
                        given.push(subscriber);
                    }
                }
            }
        }
        let stored: Vec<(&str, &TopicEvent)> = entries.iter().map(|(n, e)| (*n, e)).collect();
        let stored_states: Vec<(&str, &str, &EventState)> = states
            .iter()
            .map(|(topic, id, state)| (topic.as_str(), id.as_str(), state))
            .collect();
        if let Err(error) = outbox.append_with_states(&stored, &stored_states) {
            for subscriber in &given {
                subscriber.counters.queued.fetch_sub(1, Ordering::Relaxed);
                subscriber.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            tracing::error!(%error, events = entries.len(), "alert events not stored: dropped");
            continue;
        }
        for subscriber in given {
            if let Route::Worker { wake, .. } = &subscriber.route {
                // A full wake channel already holds a wake-up.
                let _ = wake.try_send(());
            }
        }
    }
}

/// An `aggregate` handler's thread: gathers what `gathered` brings, and every interval of
/// the wall clock (when it gathered any) publishes them to its topic as one event: the
/// highest level, the latest time, the longest duration, the messages as details, every
/// series as data, its message rendered over `.Count` and `.Interval`.
fn aggregate_events(
    spec: &AggregateSpec,
    gathered: &Receiver<TopicEvent>,
    output: &Sender<TopicEvent>,
    topics: &TopicStates,
    counters: &HandlerCounters,
) {
    use condenser_model::template::{Template, Value};
    let Some(interval) = spec.interval.to_std() else {
        return;
    };
    let template = match Template::parse(&spec.message) {
        Ok(template) => template,
        Err(error) => {
            tracing::error!(%error, "invalid aggregate message template");
            return;
        }
    };
    let mut due = std::time::Instant::now() + interval;
    let mut events: Vec<TopicEvent> = Vec::new();
    loop {
        match gathered.recv_deadline(due) {
            Ok(published) => events.push(published),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                due += interval;
                if events.is_empty() {
                    continue;
                }
                let data = Value::structure([
                    ("Count", Value::Int(events.len() as i64)),
                    ("Interval", Value::Duration(spec.interval.nanos())),
                ]);
                let message = template.render(&data).unwrap_or_else(|error| {
                    tracing::error!(%error, "failed to render the aggregate message");
                    String::new()
                });
                let mut event = condenser_model::AlertEvent {
                    id: spec.id.clone(),
                    message,
                    details: String::new(),
                    time: 0,
                    duration: 0,
                    level: condenser_model::Level::Ok,
                    data: Default::default(),
                    previous_level: condenser_model::Level::Ok,
                    recoverable: false,
                };
                let mut details = Vec::with_capacity(events.len());
                for member in events.drain(..) {
                    let member = member.event;
                    event.level = event.level.max(member.level);
                    event.time = event.time.max(member.time);
                    event.duration = event.duration.max(member.duration);
                    details.push(member.message);
                    event.data.series.extend(member.data.series);
                }
                event.details = details.join("\n");
                let mut aggregated = TopicEvent {
                    topic: spec.topic.clone(),
                    task: String::new(),
                    name: String::new(),
                    group: String::new(),
                    category: String::new(),
                    tags: Vec::new(),
                    event,
                };
                topics.lock().collect(&mut aggregated);
                if output.send(aggregated).is_err() {
                    return;
                }
                counters.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
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
    /// Once stopping, whether to stop at the first failure rather than retry.
    at_once: Arc<std::sync::atomic::AtomicBool>,
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
                    if self.at_once.load(Ordering::Relaxed) {
                        // The rest wait too, untried.
                        return;
                    }
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
                    if *stopping && self.at_once.load(Ordering::Relaxed) && self.outbox.is_durable()
                    {
                        return Outcome::Kept(failure);
                    }
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
                    // Counted as it is scheduled, so a wait for it is visible.
                    attempt = attempt.saturating_add(1);
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                    if *stopping {
                        std::thread::sleep(delay);
                    } else {
                        self.pause(delay, stopping);
                    }
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
