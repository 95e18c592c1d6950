//! Alert handlers as a task configures them: what an alert node's `.log()`, `.post()`,
//! `.tcp()`, `.exec()`, `.email()`, `.slack()`, `.telegram()`, `.pagerDuty2()`,
//! `.opsGenie2()`, `.victorOps()`, `.teams()`, `.discord()`, `.alerta()`, `.pushover()`,
//! `.sensu()`, `.serviceNow()`, `.bigPanda()` and `.zenoss()` say, resolved and checked when
//! the task is defined, then carried by the plan to the handlers that run them. Serialized as a topic handler spec writes a handler: its `kind` and its
//! `options`, under the option names Kapacitor's topic handlers take (`icon-emoji`,
//! `to-field`, `prog` and `args`, durations in nanoseconds), an unknown option an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Duration;

/// One handler of an alert node, with the options the script gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "options", rename_all = "camelCase")]
pub enum HandlerSpec {
    /// `.log(path)`: each event as a JSON line appended to a file.
    Log(LogHandlerSpec),
    /// `.post(url)`: each event's JSON POSTed to a URL.
    Post(PostHandlerSpec),
    /// `.tcp(address)`: each event's JSON written to a TCP connection.
    Tcp(TcpHandlerSpec),
    /// `.exec(program, args…)`: a program run for each event, the JSON on its stdin.
    Exec(ExecHandlerSpec),
    /// `.email(to…)`: each event mailed over SMTP (Kapacitor's kind `smtp`).
    #[serde(rename = "smtp")]
    Email(EmailHandlerSpec),
    /// `.slack()`: each event's message posted to a Slack webhook.
    Slack(SlackHandlerSpec),
    /// `.telegram()`: each event's message sent by a Telegram bot.
    Telegram(TelegramHandlerSpec),
    /// `.pagerDuty2()`: each event triggers (or, at OK, resolves) a PagerDuty incident.
    #[serde(rename = "pagerduty2")]
    PagerDuty2(PagerDuty2HandlerSpec),
    /// `.opsGenie2()`: each event creates (or, at OK, closes or annotates) an OpsGenie alert.
    #[serde(rename = "opsgenie2")]
    OpsGenie2(OpsGenie2HandlerSpec),
    /// `.victorOps()`: each event sent to VictorOps' REST endpoint (OK as a recovery).
    #[serde(rename = "victorops")]
    VictorOps(VictorOpsHandlerSpec),
    /// `.teams()`: each event's message posted as a card to a Microsoft Teams webhook.
    Teams(TeamsHandlerSpec),
    /// `.discord()`: each event's message posted as an embed to a Discord webhook.
    Discord(DiscordHandlerSpec),
    /// `.alerta()`: each event sent to Alerta as an alert of its severity.
    Alerta(AlertaHandlerSpec),
    /// `.pushover()`: each event's message sent as a Pushover notification.
    Pushover(PushoverHandlerSpec),
    /// `.sensu()`: each event written to a Sensu client's socket as a check result.
    Sensu(SensuHandlerSpec),
    /// `.serviceNow()`: each event sent to ServiceNow's event management API.
    #[serde(rename = "servicenow")]
    ServiceNow(ServiceNowHandlerSpec),
    /// `.bigPanda()`: each event sent to BigPanda's alerts API.
    #[serde(rename = "bigpanda")]
    BigPanda(BigPandaHandlerSpec),
    /// `.zenoss()`: each event sent to Zenoss' JSON-RPC event router.
    Zenoss(ZenossHandlerSpec),
}

impl HandlerSpec {
    /// Kapacitor's name of the handler kind (`log`, `post`, `tcp`, `exec`, `smtp`, …), as
    /// topic handler specs write it.
    pub fn kind(&self) -> &'static str {
        match self {
            HandlerSpec::Log(_) => "log",
            HandlerSpec::Post(_) => "post",
            HandlerSpec::Tcp(_) => "tcp",
            HandlerSpec::Exec(_) => "exec",
            HandlerSpec::Email(_) => "smtp",
            HandlerSpec::Slack(_) => "slack",
            HandlerSpec::Telegram(_) => "telegram",
            HandlerSpec::PagerDuty2(_) => "pagerduty2",
            HandlerSpec::OpsGenie2(_) => "opsgenie2",
            HandlerSpec::VictorOps(_) => "victorops",
            HandlerSpec::Teams(_) => "teams",
            HandlerSpec::Discord(_) => "discord",
            HandlerSpec::Alerta(_) => "alerta",
            HandlerSpec::Pushover(_) => "pushover",
            HandlerSpec::Sensu(_) => "sensu",
            HandlerSpec::ServiceNow(_) => "servicenow",
            HandlerSpec::BigPanda(_) => "bigpanda",
            HandlerSpec::Zenoss(_) => "zenoss",
        }
    }
}

/// The handlers of services configured `global`: each joins every alert node that has no
/// handler of its kind, and a global service's `state-changes-only` makes every alert node
/// send state changes only, as Kapacitor's do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GlobalHandlers {
    /// One handler a global service, with the options of its section.
    pub handlers: Vec<HandlerSpec>,
    /// Whether every alert node sends state changes only.
    pub state_changes_only: bool,
}

impl GlobalHandlers {
    /// Adds to `handlers` each global handler whose kind is not among them.
    pub fn add_to(&self, handlers: &mut Vec<HandlerSpec>) {
        for global in &self.handlers {
            if !handlers.iter().any(|h| h.kind() == global.kind()) {
                handlers.push(global.clone());
            }
        }
    }
}

/// `.log(path).mode(m)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct LogHandlerSpec {
    /// The file, an absolute path; opened to append for each event.
    pub path: String,
    /// The permission bits of the file when it is created (default `0600`).
    pub mode: u32,
}

impl Default for LogHandlerSpec {
    fn default() -> Self {
        Self {
            path: String::new(),
            mode: 0o600,
        }
    }
}

/// `.post(url)` with `.header(k, v)`, `.captureResponse()` and `.timeout(d)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct PostHandlerSpec {
    /// The URL, a Go template over the event (`{{ .ID }}`).
    pub url: String,
    /// Headers set on each request, in order (a later key replaces an earlier one); an
    /// object of names and values in a topic handler spec.
    #[serde(with = "header_map")]
    pub headers: Vec<(String, String)>,
    /// Whether the body of a failed response is logged.
    pub capture_response: bool,
    /// How long one request may take; zero for the handler's default.
    pub timeout: Duration,
}

/// `.tcp(address)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct TcpHandlerSpec {
    /// `host:port` to connect to for each event.
    pub address: String,
}

/// `.exec(program, args…)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "ExecOptions", into = "ExecOptions")]
pub struct ExecHandlerSpec {
    /// The program, then its arguments.
    pub command: Vec<String>,
}

/// An exec handler's options as a topic handler spec writes them: `prog` and `args`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ExecOptions {
    prog: String,
    args: Vec<String>,
}

impl From<ExecOptions> for ExecHandlerSpec {
    fn from(options: ExecOptions) -> Self {
        let mut command = vec![options.prog];
        command.extend(options.args);
        Self { command }
    }
}

impl From<ExecHandlerSpec> for ExecOptions {
    fn from(spec: ExecHandlerSpec) -> Self {
        let mut parts = spec.command.into_iter();
        Self {
            prog: parts.next().unwrap_or_default(),
            args: parts.collect(),
        }
    }
}

/// Headers as an object of names and values.
mod header_map {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        headers: &[(String, String)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(headers.iter().map(|(k, v)| (k, v)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        Ok(
            std::collections::BTreeMap::<String, String>::deserialize(deserializer)?
                .into_iter()
                .collect(),
        )
    }
}

/// `.email(to…)` with `.to(…)` and `.toTemplates(…)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct EmailHandlerSpec {
    /// The recipients; when none (and no template gives one), the `[smtp]` section's.
    pub to: Vec<String>,
    /// Go templates over the event's data, each rendering one more recipient (an empty
    /// rendering adds none); Kapacitor's option `to-field`.
    #[serde(rename = "to-field")]
    pub to_templates: Vec<String>,
}

/// `.slack()` with `.workspace()`, `.channel()`, `.username()` and `.iconEmoji()`; an empty
/// option takes the `[[slack]]` workspace's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct SlackHandlerSpec {
    /// Which `[[slack]]` workspace; empty for the default one.
    pub workspace: String,
    /// The channel (`#alerts`, `@user`).
    pub channel: String,
    /// The name the message is posted under.
    pub username: String,
    /// The emoji shown as its icon (`:chart_with_upwards_trend:`).
    pub icon_emoji: String,
}

/// `.telegram()` with `.chatId()`, `.parseMode()`, `.disableWebPagePreview()` and
/// `.disableNotification()`; an empty option takes the `[telegram]` section's, and a flag
/// set in either is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct TelegramHandlerSpec {
    /// The chat the bot writes to.
    pub chat_id: String,
    /// `Markdown` or `HTML`, or empty for plain text.
    pub parse_mode: String,
    /// Whether links in the message get no preview.
    pub disable_web_page_preview: bool,
    /// Whether the message arrives silently.
    pub disable_notification: bool,
}

/// `.pagerDuty2()` with `.routingKey()` (or `.serviceKey()`) and `.link(href, text)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct PagerDuty2HandlerSpec {
    /// The Events API v2 integration key; empty for the `[pagerduty2]` section's.
    pub routing_key: String,
    /// Links sent with each event.
    pub links: Vec<PagerDutyLink>,
}

/// A link of a PagerDuty event: both Go templates over the event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyLink {
    /// The URL.
    pub href: String,
    /// Its text; empty for the URL itself.
    pub text: String,
}

/// `.opsGenie2()` with `.teams(…)`, `.recipients(…)` and `.recoveryAction()`; an empty
/// option takes the `[opsgenie2]` section's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct OpsGenie2HandlerSpec {
    /// The teams the alert goes to (responders of type `team`); Kapacitor's option
    /// `teams-list`.
    #[serde(rename = "teams-list")]
    pub teams: Vec<String>,
    /// The users it goes to (responders of type `user`); Kapacitor's option
    /// `recipients-list`.
    #[serde(rename = "recipients-list")]
    pub recipients: Vec<String>,
    /// What a recovery does to the alert: `close` it, or add `notes`; another value takes
    /// the section's. Kapacitor's option `recovery_action`.
    #[serde(rename = "recovery_action")]
    pub recovery_action: String,
}

/// `.victorOps()` with `.routingKey()`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct VictorOpsHandlerSpec {
    /// The routing key, the last segment of the URL; empty for the `[victorops]` section's.
    pub routing_key: String,
}

/// `.teams()` with `.channelURL()`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct TeamsHandlerSpec {
    /// The channel's incoming webhook; empty for the `[teams]` section's.
    pub channel_url: String,
}

/// `.discord()` with `.workspace()`, `.username()`, `.avatarURL()` and `.embedTitle()`; an
/// empty option takes the `[[discord]]` workspace's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct DiscordHandlerSpec {
    /// Which `[[discord]]` workspace; empty for the default one.
    pub workspace: String,
    /// The name the message is posted under.
    pub username: String,
    /// The URL of the avatar shown with it.
    pub avatar_url: String,
    /// The embed's title, a Go template over the event.
    pub embed_title: String,
}

/// A value a script gives an option that takes any literal (`.attribute(key, value)`,
/// `.metadata(key, value)`): written in options as the JSON value it is, a duration as
/// its nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A string; handlers render it as a Go template where Kapacitor does.
    String(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A duration.
    Duration(Duration),
}

impl Serialize for OptionValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OptionValue::String(v) => serializer.serialize_str(v),
            OptionValue::Int(v) => serializer.serialize_i64(*v),
            OptionValue::Float(v) => serializer.serialize_f64(*v),
            OptionValue::Bool(v) => serializer.serialize_bool(*v),
            OptionValue::Duration(v) => serializer.serialize_i64(v.nanos()),
        }
    }
}

impl<'de> Deserialize<'de> for OptionValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// The JSON values an option takes, tried in this order.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Literal {
            Bool(bool),
            Int(i64),
            Float(f64),
            String(String),
        }
        Ok(match Literal::deserialize(deserializer)? {
            Literal::Bool(v) => OptionValue::Bool(v),
            Literal::Int(v) => OptionValue::Int(v),
            Literal::Float(v) => OptionValue::Float(v),
            Literal::String(v) => OptionValue::String(v),
        })
    }
}

/// Kapacitor's `.alerta().resource()` when none is given.
pub const DEFAULT_ALERTA_RESOURCE: &str = "{{ .Name }}";
/// Kapacitor's `.alerta().event()` when none is given.
pub const DEFAULT_ALERTA_EVENT: &str = "{{ .ID }}";
/// Kapacitor's `.alerta().group()` when none is given.
pub const DEFAULT_ALERTA_GROUP: &str = "{{ .Group }}";

/// `.alerta()` with `.token()`, `.resource()`, `.event()`, `.environment()`, `.group()`,
/// `.value()`, `.origin()`, `.services(…)`, `.correlated(…)`, `.attribute(k, v)` and
/// `.timeout()`. The templates are Go templates over the event; the event's sees only its
/// `ID`, `Name`, `TaskName`, `Group` and `Tags`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AlertaHandlerSpec {
    /// The token; empty for the `[alerta]` section's.
    pub token: String,
    /// The scheme of the `Authorization` header; empty for the section's (or `Bearer`).
    /// Only a topic handler sets it: TICKscript has no such property.
    pub token_prefix: String,
    /// The resource, a template (default `{{ .Name }}`).
    pub resource: String,
    /// The event, a template (default `{{ .ID }}`).
    pub event: String,
    /// The environment, a template; empty (or rendered empty) for the section's.
    pub environment: String,
    /// The group, a template (default `{{ .Group }}`).
    pub group: String,
    /// The value, a template.
    pub value: String,
    /// The origin (not a template); empty for the section's.
    pub origin: String,
    /// The affected services, each a template; none for the measurement alone.
    pub service: Vec<String>,
    /// The correlated events, each a template; none for the measurement alone.
    pub correlate: Vec<String>,
    /// Attributes sent with the alert; a string is a template.
    pub attributes: BTreeMap<String, OptionValue>,
    /// How long Alerta keeps the alert open (default 24h; zero takes the default), sent in
    /// whole seconds.
    pub timeout: Duration,
}

impl Default for AlertaHandlerSpec {
    fn default() -> Self {
        Self {
            token: String::new(),
            token_prefix: String::new(),
            resource: DEFAULT_ALERTA_RESOURCE.to_owned(),
            event: DEFAULT_ALERTA_EVENT.to_owned(),
            environment: String::new(),
            group: DEFAULT_ALERTA_GROUP.to_owned(),
            value: String::new(),
            origin: String::new(),
            service: Vec::new(),
            correlate: Vec::new(),
            attributes: BTreeMap::new(),
            timeout: Duration::from_nanos(24 * 3600 * Duration::SECOND.nanos()),
        }
    }
}

/// `.pushover()` with `.userKey()`, `.device()`, `.title()`, `.URL()`, `.URLTitle()` and
/// `.sound()`; none is a template.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct PushoverHandlerSpec {
    /// The devices to notify, separated by commas; empty for all the user's.
    pub device: String,
    /// The notification's title; empty for the application's name.
    pub title: String,
    /// A supplementary URL shown with it (not Pushover's API URL).
    pub url: String,
    /// The title of that URL.
    pub url_title: String,
    /// The sound it makes.
    pub sound: String,
    /// The user or group key; empty for the `[pushover]` section's.
    pub user_key: String,
}

/// `.sensu()` with `.source()`, `.handlers(…)` and `.metadata(k, v)`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct SensuHandlerSpec {
    /// The check's source (the client it appears under), a Go template over the event;
    /// empty (or rendered empty) for the `[sensu]` section's.
    pub source: String,
    /// The Sensu handlers of the result; none for the section's.
    pub handlers: Vec<String>,
    /// More keys of the result (never replacing `name`, `source`, `output`, `status`,
    /// `handlers`).
    pub metadata: BTreeMap<String, OptionValue>,
}

/// `.serviceNow()` with `.URL()`, `.source()`, `.node()`, `.type()`, `.resource()`,
/// `.metricName()`, `.messageKey()` and `.additionalInfo(k, v)`. The templates see the
/// event's `ID`, `Name`, `TaskName`, `Fields` and `Tags`. Kapacitor's `username` and
/// `password` options are not taken: Kapacitor never uses them (the `[servicenow]`
/// section's credentials are sent).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServiceNowHandlerSpec {
    /// The events API URL; empty for the `[servicenow]` section's.
    pub url: String,
    /// The event's source (not a template); empty for the section's.
    pub source: String,
    /// The node, a template.
    pub node: String,
    /// The metric type, a template.
    #[serde(rename = "type")]
    pub type_: String,
    /// The resource of the node, a template.
    pub resource: String,
    /// The metric's name, a template. Kapacitor matches this option's name ignoring case.
    #[serde(rename = "metricName", alias = "metricname", alias = "MetricName")]
    pub metric_name: String,
    /// The key relating events, a template; rendered empty, the alert's id. Kapacitor
    /// matches this option's name ignoring case.
    #[serde(rename = "messageKey", alias = "messagekey", alias = "MessageKey")]
    pub message_key: String,
    /// More information, sent as a JSON object of strings; a string is a template.
    #[serde(rename = "additional_info")]
    pub additional_info: BTreeMap<String, OptionValue>,
}

/// `.bigPanda()` with `.appKey()`, `.host()`, `.primaryProperty()`,
/// `.secondaryProperty()` and `.attribute(k, v)`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct BigPandaHandlerSpec {
    /// The integration's app key; empty for the `[bigpanda]` section's.
    pub app_key: String,
    /// The alerts API URL; empty for the section's. Only a topic handler sets it.
    pub url: String,
    /// The object that caused the alert, a Go template over the event; always sent.
    pub host: String,
    /// Which attribute BigPanda's primary property is.
    pub primary_property: String,
    /// Which attribute its secondary property is.
    pub secondary_property: String,
    /// More attributes; a string is a template, anything else sent as its JSON text.
    pub attributes: BTreeMap<String, OptionValue>,
}

/// `.zenoss()` with `.action()`, `.method()`, `.type()`, `.tid()`, `.summary()`,
/// `.device()`, `.component()`, `.eventClassKey()`, `.eventClass()`, `.collector()`,
/// `.message()` and `.customField(k, v)`. The templates see the event's `Name`, `TaskName`,
/// `ID`, `Message`, `Details`, `Time`, `Duration`, `Level`, `Recoverable` and `Tags`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ZenossHandlerSpec {
    /// The JSON-RPC router; empty for the `[zenoss]` section's.
    pub action: String,
    /// The router's method; empty for the section's.
    pub method: String,
    /// The request's type; empty for the section's.
    #[serde(rename = "type")]
    pub type_: String,
    /// The request's transaction id; zero for the section's.
    #[serde(alias = "TID")]
    pub tid: i64,
    /// The event's summary, a template; rendered empty, the alert's message.
    pub summary: String,
    /// The device, a template.
    pub device: String,
    /// The component, a template.
    pub component: String,
    /// The event class key, a template. Kapacitor matches this option's name ignoring
    /// case (and refuses `evclasskey`).
    #[serde(
        rename = "eventClassKey",
        alias = "eventclasskey",
        alias = "EventClassKey"
    )]
    pub event_class_key: String,
    /// The event class, a template (Kapacitor: any case of `eventClass`).
    #[serde(rename = "eventClass", alias = "eventclass", alias = "EventClass")]
    pub event_class: String,
    /// The collector, a template; rendered empty, the section's.
    pub collector: String,
    /// The event's message, a template (not the alert's `.message()`).
    pub message: String,
    /// More keys of the event, replacing standard ones of the same name; a string is a
    /// template, and one that renders to a JSON object or array is sent as that JSON.
    #[serde(rename = "customField")]
    pub custom_fields: BTreeMap<String, OptionValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_as_kind_and_options_under_kapacitors_names() {
        let spec = HandlerSpec::Log(LogHandlerSpec {
            path: "/tmp/alerts.log".into(),
            mode: 0o644,
        });
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"log","options":{"path":"/tmp/alerts.log","mode":420}}"#
        );
        assert_eq!(serde_json::from_str::<HandlerSpec>(&json).unwrap(), spec);
        let refused = serde_json::from_str::<HandlerSpec>(
            r#"{"kind":"log","options":{"path":"/x","mode":1,"y":2}}"#,
        )
        .unwrap_err();
        assert!(
            refused.to_string().contains("unknown field `y`"),
            "{refused}"
        );

        for (json, spec) in [
            (
                r#"{"kind":"exec","options":{"prog":"/bin/notify","args":["-u","ops"]}}"#,
                HandlerSpec::Exec(ExecHandlerSpec {
                    command: vec!["/bin/notify".into(), "-u".into(), "ops".into()],
                }),
            ),
            (
                r#"{"kind":"post","options":{"url":"http://x/","headers":{"A":"1"},"capture-response":true,"timeout":1000000000}}"#,
                HandlerSpec::Post(PostHandlerSpec {
                    url: "http://x/".into(),
                    headers: vec![("A".into(), "1".into())],
                    capture_response: true,
                    timeout: Duration::SECOND,
                }),
            ),
            (
                r#"{"kind":"smtp","options":{"to":["a@b"],"to-field":["{{ .ID }}"]}}"#,
                HandlerSpec::Email(EmailHandlerSpec {
                    to: vec!["a@b".into()],
                    to_templates: vec!["{{ .ID }}".into()],
                }),
            ),
            (
                r##"{"kind":"slack","options":{"workspace":"","channel":"#a","username":"","icon-emoji":":x:"}}"##,
                HandlerSpec::Slack(SlackHandlerSpec {
                    channel: "#a".into(),
                    icon_emoji: ":x:".into(),
                    ..SlackHandlerSpec::default()
                }),
            ),
        ] {
            assert_eq!(serde_json::to_string(&spec).unwrap(), json);
            assert_eq!(serde_json::from_str::<HandlerSpec>(json).unwrap(), spec);
        }
        // Options left out take their defaults.
        assert_eq!(
            serde_json::from_str::<HandlerSpec>(r#"{"kind":"telegram","options":{"chat-id":"1"}}"#)
                .unwrap(),
            HandlerSpec::Telegram(TelegramHandlerSpec {
                chat_id: "1".into(),
                ..TelegramHandlerSpec::default()
            })
        );
    }

    #[test]
    fn the_services_kinds_take_kapacitors_option_names() {
        for (json, spec) in [
            (
                r#"{"kind":"opsgenie2","options":{"teams-list":["ops"],"recipients-list":["bob"],"recovery_action":"close"}}"#,
                HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec {
                    teams: vec!["ops".into()],
                    recipients: vec!["bob".into()],
                    recovery_action: "close".into(),
                }),
            ),
            (
                r#"{"kind":"victorops","options":{"routing-key":"team_rocket"}}"#,
                HandlerSpec::VictorOps(VictorOpsHandlerSpec {
                    routing_key: "team_rocket".into(),
                }),
            ),
            (
                r#"{"kind":"teams","options":{"channel-url":"https://outlook.office.com/webhook/x"}}"#,
                HandlerSpec::Teams(TeamsHandlerSpec {
                    channel_url: "https://outlook.office.com/webhook/x".into(),
                }),
            ),
            (
                r#"{"kind":"discord","options":{"workspace":"w","username":"","avatar-url":"https://a/b.png","embed-title":"{{ .ID }}"}}"#,
                HandlerSpec::Discord(DiscordHandlerSpec {
                    workspace: "w".into(),
                    avatar_url: "https://a/b.png".into(),
                    embed_title: "{{ .ID }}".into(),
                    ..DiscordHandlerSpec::default()
                }),
            ),
            (
                r#"{"kind":"pushover","options":{"device":"","title":"t","url":"","url-title":"u","sound":"","user-key":"k"}}"#,
                HandlerSpec::Pushover(PushoverHandlerSpec {
                    title: "t".into(),
                    url_title: "u".into(),
                    user_key: "k".into(),
                    ..PushoverHandlerSpec::default()
                }),
            ),
            (
                r#"{"kind":"sensu","options":{"source":"","handlers":["h"],"metadata":{"a":"x","b":5,"c":0.5,"d":true}}}"#,
                HandlerSpec::Sensu(SensuHandlerSpec {
                    source: String::new(),
                    handlers: vec!["h".into()],
                    metadata: [
                        ("a".to_owned(), OptionValue::String("x".into())),
                        ("b".to_owned(), OptionValue::Int(5)),
                        ("c".to_owned(), OptionValue::Float(0.5)),
                        ("d".to_owned(), OptionValue::Bool(true)),
                    ]
                    .into(),
                }),
            ),
            (
                r#"{"kind":"servicenow","options":{"url":"","source":"","node":"n","type":"CPU","resource":"","metricName":"m","messageKey":"","additional_info":{}}}"#,
                HandlerSpec::ServiceNow(ServiceNowHandlerSpec {
                    node: "n".into(),
                    type_: "CPU".into(),
                    metric_name: "m".into(),
                    ..ServiceNowHandlerSpec::default()
                }),
            ),
            (
                r#"{"kind":"bigpanda","options":{"app-key":"a","url":"","host":"{{ .Name }}","primary-property":"","secondary-property":"","attributes":{}}}"#,
                HandlerSpec::BigPanda(BigPandaHandlerSpec {
                    app_key: "a".into(),
                    host: "{{ .Name }}".into(),
                    ..BigPandaHandlerSpec::default()
                }),
            ),
            (
                r#"{"kind":"zenoss","options":{"action":"","method":"","type":"","tid":2,"summary":"","device":"","component":"","eventClassKey":"k","eventClass":"","collector":"","message":"","customField":{"n":1}}}"#,
                HandlerSpec::Zenoss(ZenossHandlerSpec {
                    tid: 2,
                    event_class_key: "k".into(),
                    custom_fields: [("n".to_owned(), OptionValue::Int(1))].into(),
                    ..ZenossHandlerSpec::default()
                }),
            ),
        ] {
            assert_eq!(
                serde_json::to_string(&spec).unwrap(),
                json,
                "{}",
                spec.kind()
            );
            assert_eq!(serde_json::from_str::<HandlerSpec>(json).unwrap(), spec);
            assert!(json.contains(&format!("\"kind\":\"{}\"", spec.kind())));
        }
        // Alerta's defaults are Kapacitor's; a duration option is in nanoseconds.
        let alerta: HandlerSpec =
            serde_json::from_str(r#"{"kind":"alerta","options":{"token":"t"}}"#).unwrap();
        let HandlerSpec::Alerta(alerta) = alerta else {
            panic!("{alerta:?}")
        };
        assert_eq!(
            (
                alerta.resource.as_str(),
                alerta.event.as_str(),
                alerta.group.as_str()
            ),
            ("{{ .Name }}", "{{ .ID }}", "{{ .Group }}")
        );
        assert_eq!(alerta.timeout.nanos(), 86_400_000_000_000);
        // Kapacitor's untagged options match any case; the names it refuses are refused.
        let zenoss = r#"{"kind":"zenoss","options":{"TID":3,"eventclass":"/App"}}"#;
        let HandlerSpec::Zenoss(zenoss) = serde_json::from_str(zenoss).unwrap() else {
            panic!("not zenoss")
        };
        assert_eq!((zenoss.tid, zenoss.event_class.as_str()), (3, "/App"));
        for refused in [
            r#"{"kind":"zenoss","options":{"evclass":"/App"}}"#,
            r#"{"kind":"servicenow","options":{"metric_name":"m"}}"#,
            r#"{"kind":"servicenow","options":{"username":"u"}}"#,
        ] {
            let error = serde_json::from_str::<HandlerSpec>(refused).unwrap_err();
            assert!(error.to_string().contains("unknown field"), "{error}");
        }
        let duration = OptionValue::Duration(Duration::SECOND);
        assert_eq!(serde_json::to_string(&duration).unwrap(), "1000000000");
    }
}
