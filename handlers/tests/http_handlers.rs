//! Slack, Telegram and PagerDuty v2 against a loopback receiver: the method, path, headers
//! and exact body of each request in Kapacitor's format, what a refusal says, and which
//! refusals are retried.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use condenser_handlers::config::{PagerDuty2Config, SlackConfig, SlackConfigs, TelegramConfig};
use condenser_handlers::{HandlerService, Outbox, RetryPolicy, ServiceConfig, ServicesConfig};
use condenser_model::Level;
use condenser_model::alert::{AlertData, Series};
use condenser_model::handler::{
    HandlerSpec, PagerDuty2HandlerSpec, PagerDutyLink, SlackHandlerSpec, TelegramHandlerSpec,
};
use condenser_model::topic::TopicStates;
use support::{HttpReceiver, event};

fn slack_services(receiver: &HttpReceiver, token: &str) -> ServicesConfig {
    ServicesConfig {
        slack: SlackConfigs(vec![SlackConfig {
            enabled: true,
            default: true,
            url: format!("http://{}/services/T0/B0/X", receiver.address),
            token: token.into(),
            channel: "#alerts".into(),
            username: "kapacitor".into(),
            ..SlackConfig::default()
        }]),
        ..ServicesConfig::default()
    }
}

fn telegram_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        telegram: TelegramConfig {
            enabled: true,
            url: format!("http://{}/bot", receiver.address),
            token: "123:TOKEN".into(),
            chat_id: "-100".into(),
            ..TelegramConfig::default()
        },
        ..ServicesConfig::default()
    }
}

fn pagerduty_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        pagerduty2: PagerDuty2Config {
            enabled: true,
            url: format!("http://{}/v2/enqueue", receiver.address),
            routing_key: "section-key".into(),
            global: false,
        },
        api_url: "http://localhost:9092/kapacitor/v1".into(),
        ..ServicesConfig::default()
    }
}

fn build(spec: &HandlerSpec, services: &ServicesConfig) -> Box<dyn condenser_handlers::Handler> {
    condenser_handlers::build(spec, services).expect("built")
}

/// Why `spec` cannot be built.
fn refusal(spec: &HandlerSpec, services: &ServicesConfig) -> String {
    match condenser_handlers::build(spec, services) {
        Ok(_) => panic!("{spec:?} was built"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn slack_gets_one_attachment_coloured_by_level_with_the_scripts_channel() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::Slack(SlackHandlerSpec {
        channel: "#ops".into(),
        icon_emoji: ":fire:".into(),
        ..SlackHandlerSpec::default()
    });
    let mut handler = build(&spec, &slack_services(&receiver, "xoxb-1"));
    let mut published = event("cpu:nil", Level::Critical);
    published.event.message = "cpu <high> & rising".into();
    handler.handle(&published).expect("posted");

    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/services/T0/B0/X");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), Some("Bearer xoxb-1"));
    assert_eq!(
        String::from_utf8(request.body).unwrap(),
        concat!(
            r##"{"attachments":[{"fallback":"cpu \u003chigh\u003e \u0026 rising","color":"danger","##,
            r##""text":"cpu \u003chigh\u003e \u0026 rising","mrkdwn_in":["text"]}],"##,
            r##""channel":"#ops","icon_emoji":":fire:","text":"","username":"kapacitor"}"##,
            "\n"
        )
    );

    // The workspace's channel when the script names none, no token no Authorization, and
    // Slack's colours of the other levels.
    let mut handler = build(
        &HandlerSpec::Slack(SlackHandlerSpec::default()),
        &slack_services(&receiver, ""),
    );
    for (level, color) in [
        (Level::Warning, "warning"),
        (Level::Info, "good"),
        (Level::Ok, "good"),
    ] {
        handler.handle(&event("cpu:nil", level)).expect("posted");
        let request = receiver.next();
        assert_eq!(request.header("authorization"), None);
        let body = request.json();
        assert_eq!(body["channel"], "#alerts");
        assert_eq!(body["icon_emoji"], "");
        assert_eq!(body["attachments"][0]["color"], color);
    }
}

#[test]
fn slack_refusals_say_slacks_error_and_only_server_errors_are_retried() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Slack(SlackHandlerSpec::default()),
        &slack_services(&receiver, ""),
    );
    receiver.answer(404, r#"{"ok":false,"error":"channel_not_found"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("channel_not_found", false)
    );
    receiver.answer(503, "upstream down");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        "failed to understand Slack response. code: 503 content: upstream down"
    );
    assert!(failure.retry);
    receiver.answer(429, "");
    assert!(
        handler
            .handle(&event("a", Level::Critical))
            .unwrap_err()
            .retry
    );
}

#[test]
fn slack_workspaces_are_chosen_by_id_and_an_unknown_one_is_refused_when_built() {
    let receiver = HttpReceiver::start();
    let mut services = slack_services(&receiver, "");
    services.slack.0.push(SlackConfig {
        enabled: true,
        workspace: "dev".into(),
        url: format!("http://{}/dev", receiver.address),
        username: "dev-bot".into(),
        ..SlackConfig::default()
    });
    services.slack.0[0].workspace = "ops".into();
    let spec = |workspace: &str| {
        HandlerSpec::Slack(SlackHandlerSpec {
            workspace: workspace.into(),
            ..SlackHandlerSpec::default()
        })
    };
    build(&spec("dev"), &services)
        .handle(&event("a", Level::Warning))
        .expect("posted");
    let request = receiver.next();
    assert_eq!(request.path, "/dev");
    assert_eq!(request.json()["username"], "dev-bot");
    build(&spec(""), &services)
        .handle(&event("a", Level::Warning))
        .expect("posted");
    assert_eq!(receiver.next().path, "/services/T0/B0/X");
    assert_eq!(
        refusal(&spec("qa"), &services),
        "cannot build the slack handler: workspace id not found"
    );
}

#[test]
fn telegram_sends_the_message_to_the_bots_send_message() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::Telegram(TelegramHandlerSpec {
        chat_id: "42".into(),
        parse_mode: "Markdown".into(),
        disable_web_page_preview: true,
        disable_notification: false,
    });
    let mut handler = build(&spec, &telegram_services(&receiver));
    handler
        .handle(&event("cpu:nil", Level::Critical))
        .expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/bot123:TOKEN/sendMessage");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        String::from_utf8(request.body).unwrap(),
        "{\"chat_id\":\"42\",\"disable_web_page_preview\":true,\"parse_mode\":\"Markdown\",\"text\":\"cpu:nil is CRITICAL\"}\n"
    );

    // The section's chat and flags stand in; unset flags and parse mode are left out.
    let mut services = telegram_services(&receiver);
    services.telegram.disable_notification = true;
    let mut handler = build(
        &HandlerSpec::Telegram(TelegramHandlerSpec::default()),
        &services,
    );
    handler.handle(&event("cpu:nil", Level::Ok)).expect("sent");
    assert_eq!(
        String::from_utf8(receiver.next().body).unwrap(),
        "{\"chat_id\":\"-100\",\"disable_notification\":true,\"text\":\"cpu:nil is OK\"}\n"
    );
}

#[test]
fn telegram_refusals_carry_the_bots_error_and_a_bad_parse_mode_is_refused_when_built() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Telegram(TelegramHandlerSpec::default()),
        &telegram_services(&receiver),
    );
    receiver.answer(
        400,
        r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
    );
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "sendMessage error (400) description: Bad Request: chat not found",
            false
        )
    );
    let mut services = telegram_services(&receiver);
    services.telegram.parse_mode = "rtf".into();
    assert_eq!(
        refusal(
            &HandlerSpec::Telegram(TelegramHandlerSpec::default()),
            &services
        ),
        "cannot build the telegram handler: parseMode rtf is not valid, please use 'Markdown' or 'HTML'"
    );
}

fn cpu_data() -> AlertData {
    AlertData {
        series: vec![Series {
            name: "cpu".into(),
            tags: [("host".to_owned(), "serverA".to_owned())].into(),
            columns: vec!["time".into(), "value".into()],
            values: vec![vec!["2020-09-13T12:26:40Z".into(), 97.5.into()]],
        }],
    }
}

#[test]
fn pagerduty_triggers_and_resolves_deduplicated_by_the_alert_id() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::PagerDuty2(PagerDuty2HandlerSpec {
        routing_key: "script-key".into(),
        links: vec![
            PagerDutyLink {
                href: "https://dash.example.com/{{ index .Tags \"host\" }}".into(),
                text: "{{ .Name }} on {{ index .Tags \"host\" }}".into(),
            },
            PagerDutyLink {
                href: "https://runbook.example.com/{{ .ID }}".into(),
                text: String::new(),
            },
        ],
    });
    let mut handler = build(&spec, &pagerduty_services(&receiver));
    let mut published = event("cpu:serverA", Level::Critical);
    published.tags = vec![("host".into(), "serverA".into())];
    published.event.time = 1_600_000_000_123_000_000;
    published.event.data = cpu_data();
    handler.handle(&published).expect("sent");

    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/enqueue");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("accept"),
        Some("application/vnd.pagerduty+json;version=2")
    );
    assert_eq!(
        String::from_utf8(request.body).unwrap(),
        concat!(
            r#"{"routing_key":"script-key","event_action":"trigger","dedup_key":"cpu:serverA","#,
            r#""payload":{"summary":"cpu:serverA is CRITICAL","source":"serverA","severity":"critical","#,
            r#""timestamp":"2020-09-13T12:26:40.123000000Z","class":"task","component":"","group":"","#,
            r#""custom_details":{"result":{"series":[{"name":"cpu","tags":{"host":"serverA"},"#,
            r#""columns":["time","value"],"values":[["2020-09-13T12:26:40Z",97.5]]}]}}},"#,
            r#""images":null,"links":[{"href":"https://dash.example.com/serverA","text":"cpu on serverA"},"#,
            r#"{"href":"https://runbook.example.com/cpu:serverA","text":"https://runbook.example.com/cpu:serverA"}],"#,
            r#""client":"kapacitor","client_url":"http://localhost:9092/kapacitor/v1"}"#,
            "\n"
        )
    );

    // OK resolves, with severity info; no host tag is source "unknown"; no links is null;
    // the section's routing key stands in.
    let mut handler = build(
        &HandlerSpec::PagerDuty2(PagerDuty2HandlerSpec::default()),
        &pagerduty_services(&receiver),
    );
    handler
        .handle(&event("cpu:serverA", Level::Ok))
        .expect("sent");
    let body = receiver.next().json();
    assert_eq!(body["routing_key"], "section-key");
    assert_eq!(body["event_action"], "resolve");
    assert_eq!(body["payload"]["severity"], "info");
    assert_eq!(body["payload"]["source"], "unknown");
    assert_eq!(body["links"], serde_json::Value::Null);
    for (level, severity) in [(Level::Warning, "warning"), (Level::Info, "info")] {
        handler.handle(&event("a", level)).expect("sent");
        let body = receiver.next().json();
        assert_eq!(
            (
                body["event_action"].as_str(),
                body["payload"]["severity"].as_str()
            ),
            (Some("trigger"), Some(severity))
        );
    }
}

#[test]
fn pagerduty_refusals_say_status_message_and_errors() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::PagerDuty2(PagerDuty2HandlerSpec::default()),
        &pagerduty_services(&receiver),
    );
    receiver.answer(
        400,
        r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#,
    );
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        "Status: invalid event, Message: Event object is invalid Errors: [Length of 'routing_key' is incorrect (should be 32 characters)]"
    );
    assert!(!failure.retry);
    receiver.answer(500, "oops");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        "Status: , Message: failed to understand PagerDuty2 response. code: 500 content: oops Errors: []"
    );
    assert!(failure.retry);
    // 202 Accepted is PagerDuty's success.
    receiver.answer(202, r#"{"status":"success"}"#);
    handler
        .handle(&event("a", Level::Critical))
        .expect("accepted");
}

/// Through the service: a 503 is retried until it passes, a 400 is given up at once, and
/// the counters say so.
#[test]
fn the_service_retries_server_errors_and_gives_up_on_client_errors() {
    let receiver = HttpReceiver::start();
    let service = HandlerService::start(
        ServiceConfig {
            retry: RetryPolicy {
                retries: 5,
                initial: Duration::from_millis(10),
                max: Duration::from_millis(50),
            },
            ..ServiceConfig::default()
        },
        slack_services(&receiver, ""),
        TopicStates::default(),
        Outbox::in_memory().expect("an outbox"),
    );
    service
        .register(
            "task:alert2",
            &[HandlerSpec::Slack(SlackHandlerSpec::default())],
        )
        .expect("registered");
    receiver.answer(503, "");
    receiver.answer(503, "");
    service
        .sender()
        .send(event("a", Level::Critical))
        .expect("sent");
    for _ in 0..3 {
        assert_eq!(receiver.next().json()["attachments"][0]["color"], "danger");
    }
    receiver.answer(400, r#"{"error":"invalid_payload"}"#);
    service
        .sender()
        .send(event("a", Level::Warning))
        .expect("sent");
    assert_eq!(receiver.next().json()["attachments"][0]["color"], "warning");
    assert!(
        receiver.quiet_for(Duration::from_millis(300)),
        "a 400 is not retried"
    );
    let counters = service.counters();
    let (name, counters) = &counters[0];
    assert_eq!(name, "task:alert2/slack0");
    let count = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    assert_eq!(
        (
            count(&counters.sent),
            count(&counters.retried),
            count(&counters.failed)
        ),
        (1, 2, 1)
    );
    let mut metrics = String::new();
    service.counters_handle().render(&mut metrics);
    for line in [
        "# TYPE condenser_handler_sent_total counter",
        "condenser_handler_sent_total{handler=\"task:alert2/slack0\"} 1",
        "condenser_handler_retried_total{handler=\"task:alert2/slack0\"} 2",
        "condenser_handler_failed_total{handler=\"task:alert2/slack0\"} 1",
        "condenser_handler_queued{handler=\"task:alert2/slack0\"} 0",
        "condenser_handler_dropped_total{handler=\"task:alert2/slack0\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    service.close();
}
