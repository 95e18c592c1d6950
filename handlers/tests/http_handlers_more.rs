//! OpsGenie v2, VictorOps, Teams, Discord, Alerta, Pushover, ServiceNow, BigPanda and Zenoss
//! against a loopback receiver, and Sensu against a loopback socket: the method, path,
//! headers and exact body of each request in Kapacitor's format, how each level maps, what
//! a refusal says, and which refusals are retried.

mod support;

use condenser_handlers::ServicesConfig;
use condenser_handlers::config::{
    AlertaConfig, BigPandaConfig, DiscordConfig, DiscordConfigs, OpsGenie2Config, PushoverConfig,
    SensuConfig, ServiceNowConfig, TeamsConfig, VictorOpsConfig, ZenossConfig, ZenossSeverity,
};
use condenser_model::Level;
use condenser_model::alert::{AlertData, Series};
use condenser_model::handler::{
    AlertaHandlerSpec, BigPandaHandlerSpec, DiscordHandlerSpec, HandlerSpec, OpsGenie2HandlerSpec,
    OptionValue, PushoverHandlerSpec, SensuHandlerSpec, ServiceNowHandlerSpec, TeamsHandlerSpec,
    VictorOpsHandlerSpec, ZenossHandlerSpec,
};
use support::{HttpReceiver, event};

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

/// Has `receiver` answer the next `count` requests with `status` and no body.
fn accept(receiver: &HttpReceiver, status: u16, count: usize) {
    for _ in 0..count {
        receiver.answer(status, "");
    }
}

/// The body of `request` as text.
fn body(request: support::Request) -> String {
    String::from_utf8(request.body).expect("a UTF-8 body")
}

/// One point of `cpu` on serverA: `value=97.5`.
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

/// A CRITICAL event of `cpu` on serverA, with its data.
fn cpu_event(id: &str, level: Level) -> condenser_model::alert::TopicEvent {
    let mut published = event(id, level);
    published.tags = vec![("host".into(), "serverA".into())];
    published.event.data = cpu_data();
    published
}

fn opsgenie_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        opsgenie2: OpsGenie2Config {
            enabled: true,
            api_key: "genie-key".into(),
            teams: vec!["section team".into()],
            recipients: vec!["section-user".into()],
            url: format!("http://{}/v2/alerts", receiver.address),
            ..OpsGenie2Config::default()
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn opsgenie_creates_an_alert_aliased_by_the_id_with_its_data_and_responders() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec {
        teams: vec!["A team".into(), "B team".into()],
        recipients: vec!["test_recipient1".into()],
        recovery_action: String::new(),
    });
    let mut handler = build(&spec, &opsgenie_services(&receiver));
    accept(&receiver, 202, 4);
    handler
        .handle(&cpu_event("id", Level::Critical))
        .expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/alerts");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), Some("GenieKey genie-key"));
    assert_eq!(
        body(request),
        concat!(
            r#"{"alias":"aWQ=","description":"{\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":\"serverA\"},"#,
            r#"\"columns\":[\"time\",\"value\"],\"values\":[[\"2020-09-13T12:26:40Z\",97.5]]}]}","#,
            r#""details":{"Kapacitor Task Name":"cpu","Level":"CRITICAL","Monitoring Tool":"Kapacitor","host":"serverA"},"#,
            r#""entity":"id","message":"id is CRITICAL","note":"","priority":"P1","#,
            r#""responders":[{"name":"A team","type":"team"},{"name":"B team","type":"team"},"#,
            r#"{"type":"user","username":"test_recipient1"}]}"#,
            "\n"
        )
    );

    // The section's teams and users stand in; its `details` sends the event's details.
    let mut services = opsgenie_services(&receiver);
    services.opsgenie2.details = true;
    let mut handler = build(
        &HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec::default()),
        &services,
    );
    for (level, priority) in [(Level::Info, "P5"), (Level::Warning, "P3")] {
        handler.handle(&cpu_event("id", level)).expect("sent");
        let body = receiver.next().json();
        assert_eq!(body["priority"], priority);
        assert_eq!(body["description"], "details of id");
        assert_eq!(
            body["responders"],
            serde_json::json!([{"name":"section team","type":"team"},{"type":"user","username":"section-user"}])
        );
    }

    // No responders at all: the key is left out.
    let mut services = opsgenie_services(&receiver);
    services.opsgenie2.teams.clear();
    services.opsgenie2.recipients.clear();
    build(
        &HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec::default()),
        &services,
    )
    .handle(&event("id", Level::Critical))
    .expect("sent");
    let body = receiver.next().json();
    assert!(body.get("responders").is_none(), "{body}");
    assert_eq!(
        body["details"],
        serde_json::json!({"Level":"CRITICAL","Monitoring Tool":"Kapacitor"})
    );
}

#[test]
fn opsgenie_recoveries_add_a_note_or_close_the_alert_of_the_alias() {
    let receiver = HttpReceiver::start();
    let recover = |action: &str, section: &str| {
        accept(&receiver, 202, 1);
        let mut services = opsgenie_services(&receiver);
        services.opsgenie2.recovery_action = section.into();
        services.opsgenie2.url = format!("http://{}/v2/alerts/?ignored=1", receiver.address);
        let spec = HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec {
            recovery_action: action.into(),
            ..OpsGenie2HandlerSpec::default()
        });
        build(&spec, &services)
            .handle(&event("cpu:nil", Level::Ok))
            .expect("sent");
        receiver.next()
    };
    let request = recover("close", "notes");
    assert_eq!(
        request.path,
        "/v2/alerts/Y3B1Om5pbA==/close?identifierType=alias"
    );
    assert_eq!(request.header("authorization"), Some("GenieKey genie-key"));
    assert_eq!(body(request), "{\"note\":\"cpu:nil is OK\"}\n");
    // An action that is neither falls back to the section's, then to notes.
    assert_eq!(
        recover("delete", "close").path,
        "/v2/alerts/Y3B1Om5pbA==/close?identifierType=alias"
    );
    assert_eq!(
        recover("", "archive").path,
        "/v2/alerts/Y3B1Om5pbA==/notes?identifierType=alias"
    );
}

#[test]
fn opsgenie_succeeds_on_202_only_and_says_opsgenies_message() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec::default()),
        &opsgenie_services(&receiver),
    );
    receiver.answer(202, r#"{"result":"Request will be processed"}"#);
    handler.handle(&event("a", Level::Critical)).expect("202");
    receiver.answer(200, "{}");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "opsgenie error: failed to understand OpsGenie response. code: 200 content: {}",
            false
        )
    );
    receiver.answer(
        422,
        r#"{"message":"Request body is not processable","took":0.001}"#,
    );
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("opsgenie error: Request body is not processable", false)
    );
    receiver.answer(503, "busy");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        "opsgenie error: failed to understand OpsGenie response. code: 503 content: busy"
    );
    assert!(failure.retry);

    let mut services = opsgenie_services(&receiver);
    services.opsgenie2.enabled = false;
    let failure = build(
        &HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec::default()),
        &services,
    )
    .handle(&event("a", Level::Critical))
    .unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "failed to prepare API request: service is not enabled",
            false
        )
    );
    services.opsgenie2.url = "not a url".into();
    assert!(
        refusal(
            &HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec::default()),
            &services
        )
        .starts_with("cannot build the opsgenie2 handler: invalid URL \"not a url\"")
    );
}

fn victorops_services(receiver: &HttpReceiver, json_data: bool) -> ServicesConfig {
    ServicesConfig {
        victorops: VictorOpsConfig {
            enabled: true,
            api_key: "api key".into(),
            routing_key: "section-route".into(),
            url: format!(
                "http://{}/integrations/generic/20131114/alert/?src=k",
                receiver.address
            ),
            global: false,
            json_data,
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn victorops_gets_the_level_the_id_and_the_data_as_text_under_its_keys_path() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::VictorOps(VictorOpsHandlerSpec {
        routing_key: "team_rocket".into(),
    });
    let mut handler = build(&spec, &victorops_services(&receiver, false));
    handler
        .handle(&cpu_event("cpu:serverA", Level::Critical))
        .expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        "/integrations/generic/20131114/alert/api%20key/team_rocket?src=k"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        body(request),
        concat!(
            r#"{"data":"{\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":\"serverA\"},"#,
            r#"\"columns\":[\"time\",\"value\"],\"values\":[[\"2020-09-13T12:26:40Z\",97.5]]}]}","#,
            r#""entity_id":"cpu:serverA","message_type":"CRITICAL","monitoring_tool":"kapacitor","#,
            r#""state_message":"cpu:serverA is CRITICAL","timestamp":1600000000}"#,
            "\n"
        )
    );

    // OK is a recovery; `json-data` sends the data as JSON; the section's routing key.
    let mut handler = build(
        &HandlerSpec::VictorOps(VictorOpsHandlerSpec::default()),
        &victorops_services(&receiver, true),
    );
    for (level, message_type) in [
        (Level::Ok, "RECOVERY"),
        (Level::Info, "INFO"),
        (Level::Warning, "WARNING"),
    ] {
        handler.handle(&cpu_event("a", level)).expect("sent");
        let request = receiver.next();
        assert_eq!(
            request.path,
            "/integrations/generic/20131114/alert/api%20key/section-route?src=k"
        );
        let body = request.json();
        assert_eq!(body["message_type"], message_type);
        assert_eq!(body["data"]["series"][0]["values"][0][1], 97.5);
    }
}

#[test]
fn victorops_refusals_say_victorops_message_and_a_404_names_the_key() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::VictorOps(VictorOpsHandlerSpec::default()),
        &victorops_services(&receiver, false),
    );
    receiver.answer(404, r#"{"message":"nope"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("URL or API key not found: 404", false)
    );
    receiver.answer(400, r#"{"result":"failure","message":"Missing fields"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("Missing fields", false)
    );
    receiver.answer(502, "bad gateway");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "failed to understand VictorOps response. code: 502 content: bad gateway",
            true
        )
    );
    // Only 200 is a success.
    receiver.answer(201, "");
    assert!(handler.handle(&event("a", Level::Critical)).is_err());
    let mut services = victorops_services(&receiver, false);
    services.victorops.enabled = false;
    let failure = build(
        &HandlerSpec::VictorOps(VictorOpsHandlerSpec::default()),
        &services,
    )
    .handle(&event("a", Level::Critical))
    .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
}

fn teams_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        teams: TeamsConfig {
            enabled: true,
            channel_url: format!("http://{}/webhook/section", receiver.address),
            ..TeamsConfig::default()
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn teams_gets_a_message_card_whose_summary_is_cut_at_70_bytes_and_always_ends_in_dots() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::Teams(TeamsHandlerSpec {
        channel_url: format!("http://{}/webhook/script", receiver.address),
    });
    let mut handler = build(&spec, &teams_services(&receiver));
    handler
        .handle(&event("id", Level::Critical))
        .expect("posted");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/webhook/script");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        body(request),
        concat!(
            r#"{"@type":"MessageCard","@context":"http://schema.org/extensions","#,
            r#""title":"CRITICAL: [id]","text":"id is CRITICAL","#,
            r#""summary":"CRITICAL: [id] - id is CRITICAL...","themeColor":"CC4A31"}"#
        )
    );

    // The section's channel; OK and INFO are green, WARNING orange; a long summary is cut
    // at 70 bytes, through a character if need be (Go then writes \ufffd per stray byte).
    let mut handler = build(
        &HandlerSpec::Teams(TeamsHandlerSpec::default()),
        &teams_services(&receiver),
    );
    for (level, color) in [
        (Level::Ok, "34CC25"),
        (Level::Info, "34CC25"),
        (Level::Warning, "FFA533"),
    ] {
        handler.handle(&event("id", level)).expect("posted");
        let request = receiver.next();
        assert_eq!(request.path, "/webhook/section");
        assert_eq!(request.json()["themeColor"], color);
        assert_eq!(request.json()["title"], format!("{}: [id]", level.as_str()));
    }
    let mut published = event("id", Level::Critical);
    // "CRITICAL: [id] - " is 17 bytes: 51 more ASCII bytes, then 2 of a 3-byte character.
    published.event.message = format!("{}€ tail", "m".repeat(51));
    handler.handle(&published).expect("posted");
    let text = body(receiver.next());
    assert!(
        text.contains(&format!(
            r#""summary":"CRITICAL: [id] - {}\ufffd\ufffd...""#,
            "m".repeat(51)
        )),
        "{text}"
    );
    // Without an id the topic is the title.
    handler.handle(&event("", Level::Warning)).expect("posted");
    let card = receiver.next().json();
    assert_eq!(card["title"], "WARNING: [task:alert2]");
    assert_eq!(card["summary"], "WARNING: [task:alert2] -  is WARNING...");
}

#[test]
fn teams_succeeds_on_200_or_204_and_says_teams_error() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Teams(TeamsHandlerSpec::default()),
        &teams_services(&receiver),
    );
    receiver.answer(204, "");
    handler.handle(&event("a", Level::Critical)).expect("204");
    receiver.answer(400, r#"{"error":"Summary or Text is required."}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("Summary or Text is required.", false)
    );
    receiver.answer(500, "Webhook message delivery failed");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "failed to understand Teams response. code: 500 content: Webhook message delivery failed",
            true
        )
    );
    let mut services = teams_services(&receiver);
    services.teams.enabled = false;
    services.teams.channel_url.clear();
    let failure = build(&HandlerSpec::Teams(TeamsHandlerSpec::default()), &services)
        .handle(&event("a", Level::Critical))
        .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
    let services = teams_services(&receiver);
    let spec = HandlerSpec::Teams(TeamsHandlerSpec {
        channel_url: "no-scheme".into(),
    });
    assert!(
        refusal(&spec, &services)
            .starts_with("cannot build the teams handler: invalid url \"no-scheme\"")
    );
}

fn discord_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        discord: DiscordConfigs(vec![
            DiscordConfig {
                enabled: true,
                default: true,
                workspace: "ops".into(),
                url: format!("http://{}/api/webhooks/1/ops", receiver.address),
                username: "Kapacitor".into(),
                avatar_url: "https://example.com/logo.png".into(),
                ..DiscordConfig::default()
            },
            DiscordConfig {
                enabled: true,
                workspace: "dev".into(),
                url: format!("http://{}/api/webhooks/2/dev", receiver.address),
                timestamp: true,
                ..DiscordConfig::default()
            },
        ]),
        ..ServicesConfig::default()
    }
}

#[test]
fn discord_gets_one_embed_coloured_by_level_titled_by_the_rendered_template() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::Discord(DiscordHandlerSpec {
        embed_title: "{{ .Name }} <{{ .Level }}>".into(),
        ..DiscordHandlerSpec::default()
    });
    let mut handler = build(&spec, &discord_services(&receiver));
    accept(&receiver, 204, 4);
    handler
        .handle(&event("id", Level::Critical))
        .expect("posted");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/api/webhooks/1/ops");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        body(request),
        concat!(
            r#"{"avatar_url":"https://example.com/logo.png","embeds":[{"color":16342867,"#,
            r#""title":"cpu \u003cCRITICAL\u003e","description":"id is CRITICAL","timestamp":""}],"#,
            r#""username":"Kapacitor"}"#,
            "\n"
        )
    );
    for (level, color) in [
        (Level::Warning, 16026936),
        (Level::Info, 8021490),
        (Level::Ok, 8021490),
    ] {
        handler.handle(&event("id", level)).expect("posted");
        assert_eq!(receiver.next().json()["embeds"][0]["color"], color);
    }

    // Another workspace by id, its timestamp on, the script's username over its empty one.
    let spec = HandlerSpec::Discord(DiscordHandlerSpec {
        workspace: "dev".into(),
        username: "dev-bot".into(),
        ..DiscordHandlerSpec::default()
    });
    accept(&receiver, 204, 1);
    let mut published = event("id", Level::Critical);
    published.event.time = 1_704_164_645_123_000_000;
    build(&spec, &discord_services(&receiver))
        .handle(&published)
        .expect("posted");
    let request = receiver.next();
    assert_eq!(request.path, "/api/webhooks/2/dev");
    assert_eq!(
        body(request),
        concat!(
            r#"{"avatar_url":"","embeds":[{"color":16342867,"title":"","description":"id is CRITICAL","#,
            r#""timestamp":"2024-01-02T03:04:05Z"}],"username":"dev-bot"}"#,
            "\n"
        )
    );
    let spec = HandlerSpec::Discord(DiscordHandlerSpec {
        workspace: "qa".into(),
        ..DiscordHandlerSpec::default()
    });
    assert_eq!(
        refusal(&spec, &discord_services(&receiver)),
        "cannot build the discord handler: workspace id not found"
    );
}

#[test]
fn discord_succeeds_on_204_only_and_a_title_that_does_not_render_drops_the_event() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Discord(DiscordHandlerSpec::default()),
        &discord_services(&receiver),
    );
    receiver.answer(200, "");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "failed to understand Discord response. code: 200 content: ",
            false
        )
    );
    receiver.answer(
        400,
        r#"{"message": "Cannot send an empty message", "code": 50006}"#,
    );
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        r#"failed to understand Discord response. code: 400 content: {"message": "Cannot send an empty message", "code": 50006}"#
    );
    receiver.answer(429, r#"{"error":"rate limited"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("rate limited", true)
    );

    for _ in 0..3 {
        receiver.next();
    }
    let spec = HandlerSpec::Discord(DiscordHandlerSpec {
        embed_title: "{{ .Nope }}".into(),
        ..DiscordHandlerSpec::default()
    });
    let failure = build(&spec, &discord_services(&receiver))
        .handle(&event("a", Level::Critical))
        .unwrap_err();
    assert!(
        failure.message.contains("can't evaluate field Nope"),
        "{failure}"
    );
    assert!(receiver.quiet_for(std::time::Duration::from_millis(100)));
}

fn alerta_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        alerta: AlertaConfig {
            enabled: true,
            url: format!("http://{}/api/", receiver.address),
            token: "section-token".into(),
            environment: "Production".into(),
            origin: "kapacitor".into(),
            ..AlertaConfig::default()
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn alerta_gets_the_rendered_alert_under_api_alert_with_its_severity_and_raw_data() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::Alerta(AlertaHandlerSpec {
        token: "script-token".into(),
        resource: "{{ index .Tags \"host\" }}".into(),
        event: "{{ .ID }}-{{ .TaskName }}".into(),
        environment: "{{ if eq .Level \"OK\" }}{{ end }}".into(),
        value: "{{ index .Fields \"value\" }}".into(),
        service: vec!["{{ .Name }}".into(), "web".into()],
        attributes: [
            ("count".to_owned(), OptionValue::Int(3)),
            (
                "link".to_owned(),
                OptionValue::String("http://x/?id={{ .ID }}&a=1".into()),
            ),
            ("ratio".to_owned(), OptionValue::Float(0.5)),
            ("up".to_owned(), OptionValue::Bool(true)),
            (
                "wait".to_owned(),
                OptionValue::Duration(condenser_model::Duration::SECOND),
            ),
        ]
        .into(),
        timeout: condenser_model::Duration::from_nanos(90_500_000_000),
        ..AlertaHandlerSpec::default()
    });
    let mut handler = build(&spec, &alerta_services(&receiver));
    accept(&receiver, 201, 4);
    handler
        .handle(&cpu_event("cpu:serverA", Level::Critical))
        .expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/api/alert");
    assert_eq!(request.header("authorization"), Some("Bearer script-token"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        body(request),
        concat!(
            r#"{"attributes":{"count":3,"link":"http://x/?id=cpu:serverA\u0026a=1","ratio":0.5,"up":true,"wait":1000000000},"#,
            r#""correlate":["cpu"],"environment":"Production","event":"cpu:serverA-task","group":"","#,
            r#""origin":"kapacitor","rawData":{"series":[{"name":"cpu","tags":{"host":"serverA"},"#,
            r#""columns":["time","value"],"values":[["2020-09-13T12:26:40Z",97.5]]}]},"#,
            r#""resource":"serverA","service":["cpu","web"],"severity":"critical","tags":["host=serverA"],"#,
            r#""text":"cpu:serverA is CRITICAL","timeout":90,"value":"97.5"}"#,
            "\n"
        )
    );

    // Kapacitor's defaults: resource the measurement, event the id, group the group,
    // services and correlated events the measurement, 24h; the section's token, origin and
    // a token prefix of its own.
    let mut services = alerta_services(&receiver);
    services.alerta.token_prefix = "Key".into();
    let mut handler = build(
        &HandlerSpec::Alerta(AlertaHandlerSpec::default()),
        &services,
    );
    for (level, severity) in [
        (Level::Ok, "ok"),
        (Level::Info, "informational"),
        (Level::Warning, "warning"),
    ] {
        let mut published = event("cpu:nil", level);
        published.group = "nil".into();
        handler.handle(&published).expect("sent");
        let request = receiver.next();
        assert_eq!(request.header("authorization"), Some("Key section-token"));
        let body = request.json();
        assert_eq!(body["severity"], severity);
        assert_eq!(
            (
                &body["resource"],
                &body["event"],
                &body["group"],
                &body["service"],
                &body["correlate"],
                &body["timeout"],
                &body["tags"]
            ),
            (
                &serde_json::json!("cpu"),
                &serde_json::json!("cpu:nil"),
                &serde_json::json!("nil"),
                &serde_json::json!(["cpu"]),
                &serde_json::json!(["cpu"]),
                &serde_json::json!(86400),
                &serde_json::json!([])
            )
        );
        assert!(body.get("attributes").is_none());
    }
}

#[test]
fn alerta_refuses_events_without_resource_or_event_and_succeeds_on_201_only() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Alerta(AlertaHandlerSpec::default()),
        &alerta_services(&receiver),
    );
    receiver.answer(200, "{}");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        "failed to understand Alerta response. code: 200 content: {}"
    );
    receiver.answer(
        401,
        r#"{"status":"error","message":"Missing authorization API Key or Bearer Token"}"#,
    );
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("Missing authorization API Key or Bearer Token", false)
    );
    receiver.answer(500, r#"{"status":"error","message":"db down"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!((failure.message.as_str(), failure.retry), ("db down", true));
    for _ in 0..3 {
        receiver.next();
    }

    // An event that renders empty is refused before anything is sent, before even the
    // service being off; a template that fails drops the event.
    let mut services = alerta_services(&receiver);
    services.alerta.enabled = false;
    let spec = HandlerSpec::Alerta(AlertaHandlerSpec {
        event: "{{ index .Tags \"missing\" }}".into(),
        ..AlertaHandlerSpec::default()
    });
    let failure = build(&spec, &services)
        .handle(&event("a", Level::Critical))
        .unwrap_err();
    assert_eq!(
        failure.message,
        "Resource and Event are required to send an alert"
    );
    let failure = build(
        &HandlerSpec::Alerta(AlertaHandlerSpec::default()),
        &services,
    )
    .handle(&event("a", Level::Critical))
    .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
    let spec = HandlerSpec::Alerta(AlertaHandlerSpec {
        event: "{{ .Level }}".into(),
        ..AlertaHandlerSpec::default()
    });
    let failure = build(&spec, &alerta_services(&receiver))
        .handle(&event("a", Level::Critical))
        .unwrap_err();
    assert!(
        failure.message.contains("can't evaluate field Level"),
        "{failure}"
    );
    let spec = HandlerSpec::Alerta(AlertaHandlerSpec {
        resource: "{{ .Name".into(),
        ..AlertaHandlerSpec::default()
    });
    assert!(
        refusal(&spec, &alerta_services(&receiver))
            .starts_with("cannot build the alerta handler: invalid resource template")
    );
    assert!(receiver.quiet_for(std::time::Duration::from_millis(100)));
}

fn pushover_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        pushover: PushoverConfig {
            enabled: true,
            token: "app token".into(),
            user_key: "section-user".into(),
            url: format!("http://{}/1/messages.json", receiver.address),
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn pushover_gets_a_form_with_the_message_and_the_level_as_priority() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::Pushover(PushoverHandlerSpec {
        device: "phone,tablet".into(),
        title: "CPU & load".into(),
        url: "https://example.com/a?b=c~d".into(),
        url_title: "the dash*".into(),
        sound: "siren".into(),
        user_key: "script-user".into(),
    });
    let mut handler = build(&spec, &pushover_services(&receiver));
    let mut published = event("kapacitor/cpu/serverA", Level::Critical);
    published.event.message = "kapacitor/cpu/serverA is CRITICAL: 97% é".into();
    handler.handle(&published).expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/1/messages.json");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        body(request),
        concat!(
            "device=phone%2Ctablet&message=kapacitor%2Fcpu%2FserverA+is+CRITICAL%3A+97%25+%C3%A9",
            "&priority=1&sound=siren&title=CPU+%26+load&token=app+token",
            "&url=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc~d&url_title=the+dash%2A&user=script-user"
        )
    );

    // Only the four that are always sent; the section's user key; each level's priority.
    let mut handler = build(
        &HandlerSpec::Pushover(PushoverHandlerSpec::default()),
        &pushover_services(&receiver),
    );
    for (level, priority) in [
        (Level::Ok, "-2"),
        (Level::Info, "-1"),
        (Level::Warning, "0"),
    ] {
        handler.handle(&event("a", level)).expect("sent");
        assert_eq!(
            body(receiver.next()),
            format!(
                "message=a+is+{}&priority={priority}&token=app+token&user=section-user",
                level.as_str()
            )
        );
    }
}

#[test]
fn pushover_refusals_join_pushovers_errors_or_say_why_the_body_is_not_json() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Pushover(PushoverHandlerSpec::default()),
        &pushover_services(&receiver),
    );
    receiver.answer(
        400,
        r#"{"token":"invalid","errors":["application token is invalid"],"status":0,"request":"5042853c"}"#,
    );
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "failed to understand Pushover response. code: 400 content: application token is invalid",
            false
        )
    );
    receiver.answer(503, "<html>busy</html>");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("invalid character '<' looking for beginning of value", true)
    );
    let mut services = pushover_services(&receiver);
    services.pushover.enabled = false;
    let failure = build(
        &HandlerSpec::Pushover(PushoverHandlerSpec::default()),
        &services,
    )
    .handle(&event("a", Level::Critical))
    .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
}

/// A Sensu client on loopback: it reads one JSON line per connection, answers `reply` and
/// closes; the lines it read come out of the receiver.
fn sensu_client(reply: &'static str) -> (String, crossbeam_channel::Receiver<String>) {
    use std::io::{BufRead, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let address = listener.local_addr().expect("an address").to_string();
    let (sender, lines) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let _ = sender.send(line);
            let mut stream = stream;
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (address, lines)
}

fn sensu_services(addr: &str) -> ServicesConfig {
    ServicesConfig {
        sensu: SensuConfig {
            enabled: true,
            addr: addr.into(),
            ..SensuConfig::default()
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn sensu_gets_one_json_line_of_a_check_result_and_must_answer_ok() {
    let (address, lines) = sensu_client("ok");
    let spec = HandlerSpec::Sensu(SensuHandlerSpec {
        source: "{{ index .Tags \"host\" }}".into(),
        handlers: vec!["pagerduty".into()],
        metadata: [
            ("k1".to_owned(), OptionValue::String("v1 {{ .ID }}".into())),
            ("k2".to_owned(), OptionValue::Int(5)),
            ("output".to_owned(), OptionValue::String("never".into())),
        ]
        .into(),
    });
    let mut handler = build(&spec, &sensu_services(&address));
    handler
        .handle(&cpu_event("kapacitor.cpu.serverA", Level::Critical))
        .expect("written");
    let wait = std::time::Duration::from_secs(10);
    assert_eq!(
        lines.recv_timeout(wait).unwrap(),
        concat!(
            r#"{"handlers":["pagerduty"],"k1":"v1 {{ .ID }}","k2":5,"name":"kapacitor.cpu.serverA","#,
            r#""output":"kapacitor.cpu.serverA is CRITICAL","source":"serverA","status":2}"#,
            "\n"
        )
    );

    // The section's source and (absent) handlers: `null`; each level's status.
    let mut handler = build(
        &HandlerSpec::Sensu(SensuHandlerSpec::default()),
        &sensu_services(&address),
    );
    for (level, status) in [(Level::Ok, 0), (Level::Info, 0), (Level::Warning, 1)] {
        handler.handle(&event("a.b", level)).expect("written");
        let line: serde_json::Value =
            serde_json::from_str(&lines.recv_timeout(wait).unwrap()).unwrap();
        assert_eq!(line["status"], status);
        assert_eq!(line["source"], "Kapacitor");
        assert_eq!(line["handlers"], serde_json::Value::Null);
    }
}

#[test]
fn sensu_refuses_kapacitors_default_ids_and_an_answer_that_is_not_ok() {
    let (address, lines) = sensu_client("invalid");
    let mut handler = build(
        &HandlerSpec::Sensu(SensuHandlerSpec::default()),
        &sensu_services(&address),
    );
    let failure = handler
        .handle(&event("cpu:nil", Level::Critical))
        .unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            r#"invalid name "cpu:nil" for sensu alert. Must match ^[\w\.-]+$"#,
            false
        )
    );
    let failure = handler.handle(&event("cpu", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("sensu socket error: invalid", false)
    );
    assert!(
        lines
            .recv_timeout(std::time::Duration::from_secs(10))
            .is_ok()
    );

    let failure = build(
        &HandlerSpec::Sensu(SensuHandlerSpec::default()),
        &sensu_services("localhost"),
    )
    .handle(&event("cpu", Level::Critical))
    .unwrap_err();
    assert_eq!(
        failure.message,
        "address localhost: missing port in address"
    );
    // A closed port may come back: tried again.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_address = closed.local_addr().unwrap().to_string();
    drop(closed);
    let failure = build(
        &HandlerSpec::Sensu(SensuHandlerSpec::default()),
        &sensu_services(&closed_address),
    )
    .handle(&event("cpu", Level::Critical))
    .unwrap_err();
    assert!(failure.retry, "{failure}");
    let mut services = sensu_services(&address);
    services.sensu.enabled = false;
    let failure = build(&HandlerSpec::Sensu(SensuHandlerSpec::default()), &services)
        .handle(&event("cpu", Level::Critical))
        .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
}

fn servicenow_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        servicenow: ServiceNowConfig {
            enabled: true,
            url: format!("http://{}/api/global/em/jsonv2", receiver.address),
            source: "Kapacitor".into(),
            username: "admin".into(),
            password: "secret".into(),
            ..ServiceNowConfig::default()
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn servicenow_gets_one_record_with_the_rendered_fields_and_additional_info_as_text() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::ServiceNow(ServiceNowHandlerSpec {
        node: "{{ index .Tags \"host\" }}".into(),
        type_: "CPU".into(),
        resource: "CPU-Total".into(),
        metric_name: "{{ index .Tags \"type\" }}idle".into(),
        message_key: "Alert: {{ .ID }}".into(),
        additional_info: [
            (
                "link".to_owned(),
                OptionValue::String("http://push/alert?id={{ .ID }}&v={{ .Fields.value }}".into()),
            ),
            ("ticks".to_owned(), OptionValue::Int(666)),
            ("big".to_owned(), OptionValue::Float(1e6)),
            (
                "wait".to_owned(),
                OptionValue::Duration(condenser_model::Duration::from_nanos(60_000_000_000)),
            ),
        ]
        .into(),
        ..ServiceNowHandlerSpec::default()
    });
    let mut handler = build(&spec, &servicenow_services(&receiver));
    handler
        .handle(&cpu_event("kapacitor/cpu/serverA", Level::Critical))
        .expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/api/global/em/jsonv2");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some("Basic YWRtaW46c2VjcmV0")
    );
    assert_eq!(
        body(request),
        concat!(
            r#"{"records":[{"source":"Kapacitor","node":"serverA","type":"CPU","resource":"CPU-Total","#,
            r#""metric_name":"idle","message_key":"Alert: kapacitor/cpu/serverA","severity":"1","#,
            r#""description":"kapacitor/cpu/serverA is CRITICAL","#,
            r#""additional_info":"{\"big\":\"1e+06\",\"link\":\"http://push/alert?id=kapacitor/cpu/serverA\\u0026v=97.5\","#,
            r#"\"ticks\":\"666\",\"wait\":\"1m0s\"}"}]}"#
        )
    );

    // A plain handler: the id is the message key, empty fields are left out; no
    // credentials, no Authorization; a template that fails keeps what it wrote; the
    // levels' severities; the description cut at 4000 bytes.
    let mut services = servicenow_services(&receiver);
    services.servicenow.password.clear();
    services.servicenow.source.clear();
    let spec = HandlerSpec::ServiceNow(ServiceNowHandlerSpec {
        node: "n-{{ .Level }}".into(),
        ..ServiceNowHandlerSpec::default()
    });
    let mut handler = build(&spec, &services);
    for (level, severity) in [(Level::Ok, "5"), (Level::Info, "5"), (Level::Warning, "4")] {
        handler.handle(&event("id", level)).expect("sent");
        let request = receiver.next();
        assert_eq!(request.header("authorization"), None);
        assert_eq!(
            body(request),
            format!(
                r#"{{"records":[{{"source":"","node":"n-","message_key":"id","severity":"{severity}","description":"id is {}"}}]}}"#,
                level.as_str()
            )
        );
    }
    let mut published = event("id", Level::Critical);
    published.event.message = format!("{}é", "d".repeat(3999));
    handler.handle(&published).expect("sent");
    let text = body(receiver.next());
    assert!(
        text.ends_with(&format!(
            r#""description":"{}\ufffd"}}]}}"#,
            "d".repeat(3999)
        )),
        "{}",
        &text[text.len() - 40..]
    );
}

#[test]
fn servicenow_succeeds_on_200_only_and_says_servicenows_error() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::ServiceNow(ServiceNowHandlerSpec::default()),
        &servicenow_services(&receiver),
    );
    receiver.answer(201, "");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        "failed to understand ServiceNow response. code: 201 content: "
    );
    receiver.answer(401, r#"{"error":{"message":"User Not Authenticated"}}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            r#"failed to understand ServiceNow response. code: 401 content: {"error":{"message":"User Not Authenticated"}}"#,
            false
        )
    );
    receiver.answer(503, r#"{"error":"maintenance"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("maintenance", true)
    );
    let mut services = servicenow_services(&receiver);
    services.servicenow.enabled = false;
    let failure = build(
        &HandlerSpec::ServiceNow(ServiceNowHandlerSpec::default()),
        &services,
    )
    .handle(&event("a", Level::Critical))
    .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
}

fn bigpanda_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        bigpanda: BigPandaConfig {
            enabled: true,
            app_key: "section-app".into(),
            token: "panda-token".into(),
            url: format!("http://{}/data/v2/alerts", receiver.address),
            ..BigPandaConfig::default()
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn bigpanda_gets_one_flat_object_of_the_event_its_tags_fields_and_attributes() {
    let receiver = HttpReceiver::start();
    let spec = HandlerSpec::BigPanda(BigPandaHandlerSpec {
        app_key: "script-app".into(),
        host: "{{ index .Tags \"host\" }}".into(),
        primary_property: "host".into(),
        attributes: [
            (
                "x_duration".to_owned(),
                OptionValue::String("{{ .Duration }}".into()),
            ),
            ("x_count".to_owned(), OptionValue::Int(5)),
            ("x_up".to_owned(), OptionValue::Bool(true)),
            (
                "x_level".to_owned(),
                OptionValue::String("{{ .Level }}{{ .Nope }}".into()),
            ),
        ]
        .into(),
        ..BigPandaHandlerSpec::default()
    });
    let mut handler = build(&spec, &bigpanda_services(&receiver));
    accept(&receiver, 201, 4);
    let mut published = cpu_event("cpu:serverA", Level::Critical);
    published.event.details = "https://example.org/link?a=1&amp;b=&lt;2&gt;".into();
    handler.handle(&published).expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/data/v2/alerts");
    assert_eq!(request.header("authorization"), Some("Bearer panda-token"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        body(request),
        concat!(
            r#"{"app_key":"script-app","check":"cpu:serverA","description":"cpu:serverA is CRITICAL","#,
            r#""details":"https://example.org/link?a=1\u0026b=\u003c2\u003e","host":"serverA","#,
            r#""primary_property":"host","status":"critical","task":"task:cpu","timestamp":1600000000,"#,
            r#""value":"97.5","x_count":"5","x_duration":"0s","x_level":"CRITICAL","x_up":"true"}"#
        )
    );

    // No `.host()`: "" replaces the host tag; JSON details are not sent; the section's app
    // key; the levels' statuses; no auto-attributes, no tags and fields.
    let mut handler = build(
        &HandlerSpec::BigPanda(BigPandaHandlerSpec::default()),
        &bigpanda_services(&receiver),
    );
    for (level, status) in [
        (Level::Ok, "ok"),
        (Level::Info, "ok"),
        (Level::Warning, "warning"),
    ] {
        let mut published = cpu_event("a", level);
        published.event.details = "{&#34;json&#34;:1}".into();
        handler.handle(&published).expect("sent");
        let body = receiver.next().json();
        assert_eq!(body["status"], status);
        assert_eq!(body["host"], "");
        assert_eq!(body["app_key"], "section-app");
        assert_eq!(body["value"], "97.5");
        assert!(body.get("details").is_none(), "{body}");
    }
    let mut services = bigpanda_services(&receiver);
    services.bigpanda.auto_attributes = String::new();
    accept(&receiver, 201, 1);
    build(
        &HandlerSpec::BigPanda(BigPandaHandlerSpec::default()),
        &services,
    )
    .handle(&cpu_event("a", Level::Critical))
    .expect("sent");
    let body = receiver.next().json();
    assert!(body.get("value").is_none(), "{body}");
    assert_eq!(body["host"], "");
}

#[test]
fn bigpanda_succeeds_on_201_only_and_says_bigpandas_error() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::BigPanda(BigPandaHandlerSpec::default()),
        &bigpanda_services(&receiver),
    );
    receiver.answer(200, "");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        failure.message,
        "failed to understand BigPanda response. code: 200 content: "
    );
    receiver.answer(400, r#"{"status":"failure","error":"app_key is invalid"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("app_key is invalid", false)
    );
    receiver.answer(500, "oops");
    assert!(
        handler
            .handle(&event("a", Level::Critical))
            .unwrap_err()
            .retry
    );
    let mut services = bigpanda_services(&receiver);
    services.bigpanda.enabled = false;
    let failure = build(
        &HandlerSpec::BigPanda(BigPandaHandlerSpec::default()),
        &services,
    )
    .handle(&event("a", Level::Critical))
    .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
}

fn zenoss_services(receiver: &HttpReceiver) -> ServicesConfig {
    ServicesConfig {
        zenoss: ZenossConfig {
            enabled: true,
            url: format!("http://{}/zport/dmd/evconsole_router", receiver.address),
            ..ZenossConfig::default()
        },
        ..ServicesConfig::default()
    }
}

#[test]
fn zenoss_gets_one_add_event_call_with_kapacitors_defaults() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Zenoss(ZenossHandlerSpec::default()),
        &zenoss_services(&receiver),
    );
    handler.handle(&event("id", Level::Critical)).expect("sent");
    let request = receiver.next();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/zport/dmd/evconsole_router");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        body(request),
        concat!(
            r#"{"action":"EventsRouter","method":"add_event","data":[{"collector":"Kapacitor","component":"","#,
            r#""device":"","evclass":"","evclasskey":"","severity":"Critical","summary":"id is CRITICAL"}],"#,
            r#""type":"rpc","tid":1}"#
        )
    );
    for (level, severity) in [
        (Level::Ok, "Clear"),
        (Level::Info, "Info"),
        (Level::Warning, "Warning"),
    ] {
        handler.handle(&event("id", level)).expect("sent");
        assert_eq!(receiver.next().json()["data"][0]["severity"], severity);
    }
}

#[test]
fn zenoss_custom_fields_replace_standard_ones_and_json_ones_are_sent_as_json() {
    let receiver = HttpReceiver::start();
    let mut services = zenoss_services(&receiver);
    services.zenoss.username = "zen".into();
    services.zenoss.password = "pw".into();
    services.zenoss.severity_map.critical = ZenossSeverity::Int(5);
    let spec = HandlerSpec::Zenoss(ZenossHandlerSpec {
        action: "ScriptsRouter".into(),
        method: "kapa_handler".into(),
        tid: 7,
        event_class: "/App".into(),
        message: "This is message for alert {{ .ID }}".into(),
        collector: "{{ index .Tags \"host\" }}".into(),
        custom_fields: [
            (
                "data".to_owned(),
                OptionValue::String(
                    r#"{"id":"{{.ID}}","level":"{{.Level}}","recoverable":{{.Recoverable}},"n":1.0,"time":"{{.Time}}"}"#
                        .into(),
                ),
            ),
            ("ticks".to_owned(), OptionValue::Int(33)),
            ("device".to_owned(), OptionValue::String("[not json".into())),
        ]
        .into(),
        ..ZenossHandlerSpec::default()
    });
    build(&spec, &services)
        .handle(&cpu_event("kapacitor/cpu/serverA", Level::Critical))
        .expect("sent");
    let request = receiver.next();
    assert_eq!(request.header("authorization"), Some("Basic emVuOnB3"));
    assert_eq!(
        body(request),
        concat!(
            r#"{"action":"ScriptsRouter","method":"kapa_handler","data":[{"collector":"serverA","component":"","#,
            r#""data":{"id":"kapacitor/cpu/serverA","level":"CRITICAL","n":1,"recoverable":true,"#,
            r#""time":"2020-09-13 12:26:40 +0000 UTC"},"device":"[not json","evclass":"/App","evclasskey":"","#,
            r#""message":"This is message for alert kapacitor/cpu/serverA","severity":5,"#,
            r#""summary":"kapacitor/cpu/serverA is CRITICAL","ticks":33}],"type":"rpc","tid":7}"#
        )
    );
    // The summary is cut at 256 bytes; a split character's bytes are each U+FFFD.
    let mut published = event("id", Level::Critical);
    published.event.message = format!("{}é", "s".repeat(255));
    build(
        &HandlerSpec::Zenoss(ZenossHandlerSpec::default()),
        &zenoss_services(&receiver),
    )
    .handle(&published)
    .expect("sent");
    assert_eq!(
        receiver.next().json()["data"][0]["summary"],
        format!("{}\u{FFFD}", "s".repeat(255))
    );
}

#[test]
fn zenoss_succeeds_on_200_only_and_says_zenoss_error() {
    let receiver = HttpReceiver::start();
    let mut handler = build(
        &HandlerSpec::Zenoss(ZenossHandlerSpec::default()),
        &zenoss_services(&receiver),
    );
    receiver.answer(401, "Unauthorized");
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        (
            "failed to understand Zenoss response. code: 401 content: Unauthorized",
            false
        )
    );
    receiver.answer(502, r#"{"error":"router down"}"#);
    let failure = handler.handle(&event("a", Level::Critical)).unwrap_err();
    assert_eq!(
        (failure.message.as_str(), failure.retry),
        ("router down", true)
    );
    let mut services = zenoss_services(&receiver);
    services.zenoss.enabled = false;
    let failure = build(
        &HandlerSpec::Zenoss(ZenossHandlerSpec::default()),
        &services,
    )
    .handle(&event("a", Level::Critical))
    .unwrap_err();
    assert_eq!(failure.message, "service is not enabled");
}
