//! Topic handlers through the service: a match expression chooses the events a handler
//! sees, `publish` passes them to other topics, `aggregate` makes one event of an
//! interval's; each delivered to a loopback receiver.

mod support;

use std::time::Duration;

use condenser_handlers::{
    HandlerService, Outbox, RetryPolicy, ServiceConfig, ServicesConfig, TopicHandlerSpec,
};
use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::topic::TopicStates;
use support::{HttpReceiver, event};

fn service(topics: &TopicStates) -> HandlerService {
    HandlerService::start(
        ServiceConfig {
            retry: RetryPolicy {
                retries: 1,
                initial: Duration::from_millis(10),
                max: Duration::from_millis(10),
            },
            ..ServiceConfig::default()
        },
        ServicesConfig::default(),
        topics.clone(),
        Outbox::in_memory().expect("an outbox"),
    )
}

fn spec(yaml: &str) -> TopicHandlerSpec {
    TopicHandlerSpec::from_yaml(yaml).expect("a spec")
}

/// Publishes an event of `id` at `level` to `topic`, collected into it first as an alert
/// node collects it.
fn publish(service: &HandlerService, topics: &TopicStates, topic: &str, id: &str, level: Level) {
    let mut published: TopicEvent = event(id, level);
    published.topic = topic.into();
    topics.lock().collect(&mut published);
    service.sender().send(published).expect("sent");
}

#[test]
fn a_match_expression_chooses_the_events_a_handler_sees() {
    let receiver = HttpReceiver::start();
    let topics = TopicStates::default();
    let service = service(&topics);
    service
        .register_topic_handler(&spec(&format!(
            "topic: cpu\nid: crit-changes\nkind: post\nmatch: level() == CRITICAL AND changed()\noptions:\n  url: http://{}/alert\n",
            receiver.address
        )))
        .expect("registered");
    for level in [
        Level::Warning,
        Level::Critical,
        Level::Critical,
        Level::Ok,
        Level::Critical,
    ] {
        publish(&service, &topics, "cpu", "cpu:nil", level);
    }
    // Only the two changes to CRITICAL.
    for previous in ["WARNING", "OK"] {
        let body = receiver.next().json();
        assert_eq!(
            (body["level"].as_str(), body["previousLevel"].as_str()),
            (Some("CRITICAL"), Some(previous))
        );
    }
    assert!(receiver.quiet_for(Duration::from_millis(300)));
    let duplicate = service
        .register_topic_handler(&spec(
            "topic: cpu\nid: crit-changes\nkind: log\noptions:\n  path: /tmp/x.log\n",
        ))
        .unwrap_err();
    assert_eq!(
        duplicate,
        "cannot register handler, handler with ID \"crit-changes\" already exists"
    );
    assert!(service.deregister_topic_handler("cpu", "crit-changes"));
    assert!(!service.deregister_topic_handler("cpu", "crit-changes"));
    service.close();
}

#[test]
fn publish_passes_events_to_other_topics_whose_handlers_see_them() {
    let receiver = HttpReceiver::start();
    let topics = TopicStates::default();
    let service = service(&topics);
    service
        .register_topic_handler(&spec(
            "topic: cpu\nid: fanout\nkind: publish\noptions:\n  topics: [ops]\n",
        ))
        .expect("registered");
    service
        .register_topic_handler(&spec(&format!(
            "topic: ops\nid: page\nkind: post\noptions:\n  url: http://{}/ops\n",
            receiver.address
        )))
        .expect("registered");
    publish(&service, &topics, "cpu", "cpu:nil", Level::Critical);
    let request = receiver.next();
    assert_eq!(request.path, "/ops");
    assert_eq!(request.json()["id"], "cpu:nil");
    // Collected into the other topic too.
    assert_eq!(
        service.topic_level("ops"),
        Some((Level::Critical, 1)),
        "the ops topic"
    );
    service.close();
}

#[test]
fn aggregate_publishes_one_event_per_interval_of_what_it_gathered() {
    let receiver = HttpReceiver::start();
    let topics = TopicStates::default();
    let service = service(&topics);
    service
        .register_topic_handler(&spec(
            "topic: cpu\nid: digest\nkind: aggregate\noptions:\n  id: cpu-digest\n  interval: 300000000\n  topic: digest\n",
        ))
        .expect("registered");
    service
        .register_topic_handler(&spec(&format!(
            "topic: digest\nid: mail\nkind: post\noptions:\n  url: http://{}/digest\n",
            receiver.address
        )))
        .expect("registered");
    publish(&service, &topics, "cpu", "cpu:a", Level::Warning);
    publish(&service, &topics, "cpu", "cpu:b", Level::Critical);
    publish(&service, &topics, "cpu", "cpu:c", Level::Info);
    let body = receiver.next().json();
    assert_eq!(body["id"], "cpu-digest");
    assert_eq!(body["message"], "Received 3 events in the last 300ms.");
    assert_eq!(body["level"], "CRITICAL");
    assert_eq!(
        body["details"],
        "cpu:a is WARNING\ncpu:b is CRITICAL\ncpu:c is INFO"
    );
    assert_eq!(body["recoverable"], false);
    // An interval with nothing gathered publishes nothing.
    assert!(receiver.quiet_for(Duration::from_millis(700)));
    service.close();
}
