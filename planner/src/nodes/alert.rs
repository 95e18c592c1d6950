//! `alert()`: the level of each point (or batch) from `.info()`, `.warn()` and `.crit()`
//! and their resets, the events that level makes (`.id()`, `.message()`, `.details()` as
//! Go templates), when they are sent (`.stateChangesOnly()`, `.noRecoveries()`,
//! `.flapping()`), what they add to the data going on (`.levelTag()`, `.idField()`, …),
//! and the handlers they go to (`.log()`, `.post()`, `.email()`, `.slack()`,
//! `.opsGenie2()`, `.alerta()`, `.zenoss()`, …), each checked here, when the task is
//! defined: a handler's templates parse, and a property Kapacitor accepts but never uses
//! is refused by name.

use std::collections::BTreeMap;
use std::fmt;

use condenser_model::Duration;
use condenser_model::handler::{
    AlertaHandlerSpec, BigPandaHandlerSpec, DiscordHandlerSpec, EmailHandlerSpec, ExecHandlerSpec,
    HandlerSpec, LogHandlerSpec, OpsGenie2HandlerSpec, OptionValue, PagerDuty2HandlerSpec,
    PagerDutyLink, PostHandlerSpec, PushoverHandlerSpec, SensuHandlerSpec, ServiceNowHandlerSpec,
    SlackHandlerSpec, TcpHandlerSpec, TeamsHandlerSpec, TelegramHandlerSpec, VictorOpsHandlerSpec,
    ZenossHandlerSpec,
};

use super::{Call, Lambda, Properties, Quoted, string_of, strings_of, unsupported};
use crate::Diagnostic;
use crate::pipeline::{Node, Value};
use crate::template::{Escape, Template};

/// Kapacitor's default `.id()`.
pub const DEFAULT_ID: &str = "{{ .Name }}:{{ .Group }}";
/// Kapacitor's default `.message()`.
pub const DEFAULT_MESSAGE: &str = "{{ .ID }} is {{ .Level }}";
/// Kapacitor's default `.details()`.
pub const DEFAULT_DETAILS: &str = "{{ json . }}";
/// Kapacitor's default `.history()`.
const DEFAULT_HISTORY: i64 = 21;
/// The permission bits of a `.log()` file Kapacitor creates when no `.mode()` is given.
const DEFAULT_LOG_MODE: u32 = 0o600;

/// The resolved properties of an `alert()` node.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSpec {
    /// `.id()`: the alert's id, a text template over the point (`{{ .Name }}:{{ .Group }}`).
    pub id: Template,
    /// `.message()`: a text template over the event (`{{ .ID }} is {{ .Level }}`).
    pub message: Template,
    /// `.details()`: an HTML template over the event (`{{ json . }}`).
    pub details: Template,
    /// `.info()`, `.warn()`, `.crit()`: the condition of each level above OK, lowest first.
    pub levels: [Option<Lambda>; 3],
    /// `.infoReset()`, `.warnReset()`, `.critReset()`: what must hold to leave a level.
    pub resets: [Option<Lambda>; 3],
    /// `.stateChangesOnly()`: an event only when the level changes.
    pub state_changes_only: bool,
    /// `.stateChangesOnly(d)`: …or when the level has not been sent for `d`.
    pub state_changes_only_duration: Duration,
    /// `.noRecoveries()`: no event for the return to OK.
    pub no_recoveries: bool,
    /// `.flapping(low, high)`: no events while the level changes more often than `high`,
    /// until it changes less often than `low` (fractions of the history).
    pub flapping: Option<(f64, f64)>,
    /// `.history()`: how many levels the flapping measure looks back (at least 2).
    pub history: usize,
    /// `.all()`: a batch takes the lowest level of its points, not the highest.
    pub all: bool,
    /// `.levelTag()`: a tag of the level added to the data going on.
    pub level_tag: Option<String>,
    /// `.levelField()`: a field of the level.
    pub level_field: Option<String>,
    /// `.messageField()`: a field of the message.
    pub message_field: Option<String>,
    /// `.durationField()`: a field of the alert's duration (integer nanoseconds).
    pub duration_field: Option<String>,
    /// `.idTag()`: a tag of the id.
    pub id_tag: Option<String>,
    /// `.idField()`: a field of the id.
    pub id_field: Option<String>,
    /// `.category()`: what `.inhibit()`s of other alerts match.
    pub category: String,
    /// `.inhibit(category, tags…)`: while this alert's group is not OK, events of `category`
    /// with the same values of `tags` are not sent.
    pub inhibits: Vec<Inhibit>,
    /// `.topic()`: a topic the events are also published to.
    pub topic: Option<String>,
    /// The handlers, in script order.
    pub handlers: Vec<HandlerSpec>,
}

/// One `.inhibit()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inhibit {
    /// The category it inhibits.
    pub category: String,
    /// The tags whose values must be this group's.
    pub tags: Vec<String>,
}

impl AlertSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let template = |props: &mut Properties<'_>, name: &str, default: &str, escape| {
            let span = props.last(name).map_or(props.span(), |s| s.span);
            let text = props.string(name).unwrap_or_else(|| default.to_owned());
            Template::parse_escaped(&text, escape)
                .map_err(|e| Diagnostic::error(span, format!("invalid .{}(): {e}", lower(name))))
        };
        let id = template(props, "Id", DEFAULT_ID, Escape::Text)?;
        let message = template(props, "Message", DEFAULT_MESSAGE, Escape::Text)?;
        let details = template(props, "Details", DEFAULT_DETAILS, Escape::Html)?;
        let levels = [
            props.lambda("Info")?,
            props.lambda("Warn")?,
            props.lambda("Crit")?,
        ];
        let resets = [
            props.lambda("InfoReset")?,
            props.lambda("WarnReset")?,
            props.lambda("CritReset")?,
        ];
        let state_changes = props.last("StateChangesOnly");
        let mut state_changes_only_duration = state_changes
            .and_then(|s| s.args.first())
            .and_then(super::duration_of)
            .unwrap_or_default();
        if let Some(d) = props.duration("StateChangesOnlyDuration") {
            state_changes_only_duration = d;
        }
        let flapping = match props.last("Flapping") {
            Some(setting) => {
                let numbers: Vec<f64> = setting.args.iter().filter_map(number).collect();
                let mut low = numbers.first().copied().unwrap_or_default();
                let mut high = numbers.get(1).copied().unwrap_or_default();
                if let Some(v) = props.last("FlapLow").and_then(|s| s.args.first()) {
                    low = number(v).unwrap_or(low);
                }
                if let Some(v) = props.last("FlapHigh").and_then(|s| s.args.first()) {
                    high = number(v).unwrap_or(high);
                }
                if low > 1.0 || high > 1.0 {
                    return Err(Diagnostic::error(
                        setting.span,
                        "alert flap thresholds are percentages and should be between 0 and 1",
                    ));
                }
                Some((low, high))
            }
            None => {
                // Without .flapping() the thresholds are read but mean nothing, as in
                // Kapacitor.
                props.last("FlapLow");
                props.last("FlapHigh");
                None
            }
        };
        let history = props.int("History").unwrap_or(DEFAULT_HISTORY).max(2) as usize;
        let inhibits = props
            .all("Inhibit")
            .into_iter()
            .map(|s| {
                let mut values = strings_of(&s.args).into_iter();
                Inhibit {
                    category: values.next().unwrap_or_default(),
                    tags: values.collect(),
                }
            })
            .collect();
        let node = props.node();
        Ok(AlertSpec {
            id,
            message,
            details,
            levels,
            resets,
            state_changes_only: state_changes.is_some(),
            state_changes_only_duration,
            no_recoveries: props.flag("NoRecoveries"),
            flapping,
            history,
            all: props.flag("All"),
            level_tag: props.string("LevelTag"),
            level_field: props.string("LevelField"),
            message_field: props.string("MessageField"),
            duration_field: props.string("DurationField"),
            id_tag: props.string("IdTag"),
            id_field: props.string("IdField"),
            category: props.string("Category").unwrap_or_default(),
            inhibits,
            topic: props.string("Topic").filter(|t| !t.is_empty()),
            handlers: handlers(node)?,
        })
    }

    /// The lambdas: the levels', then the resets', each where set.
    pub fn lambdas(&self) -> impl Iterator<Item = &Lambda> {
        self.levels.iter().chain(&self.resets).flatten()
    }

    /// The lambdas, to change, in the order of [`AlertSpec::lambdas`].
    pub fn lambdas_mut(&mut self) -> impl Iterator<Item = &mut Lambda> {
        self.levels.iter_mut().chain(&mut self.resets).flatten()
    }
}

/// `lambda: …`'s number as a float (an integer too).
fn number(arg: &crate::pipeline::Arg) -> Option<f64> {
    match arg.value {
        Value::Float(v) => Some(v),
        Value::Int(v) => Some(v as f64),
        _ => None,
    }
}

/// A Go property name as a script writes it (`Id` → `id`).
fn lower(name: &str) -> String {
    crate::catalog::script_name(name).to_owned()
}

/// The handlers of `node`, each resolved and checked; a handler Condenser does not run is
/// an error naming it.
fn handlers(node: &Node) -> Result<Vec<HandlerSpec>, Diagnostic> {
    let mut specs = Vec::new();
    for handler in &node.handlers {
        let mut props = Properties::of_handler(node, handler);
        let first_string =
            |props: &Properties<'_>| props.args().first().and_then(string_of).map(str::to_owned);
        let spec = match handler.property {
            "Log" => {
                let path = props
                    .string("FilePath")
                    .or_else(|| first_string(&props))
                    .unwrap_or_default();
                if !path.starts_with('/') {
                    return Err(Diagnostic::error(
                        handler.span,
                        format!("log path must be absolute: {path} is not absolute"),
                    ));
                }
                let mode = match props.int("Mode") {
                    Some(0) | None => DEFAULT_LOG_MODE,
                    Some(mode) => u32::try_from(mode).unwrap_or(0),
                };
                if mode & 0o200 == 0 {
                    return Err(Diagnostic::error(
                        handler.span,
                        format!(
                            "invalid file mode {}, must be user writable",
                            file_mode(mode)
                        ),
                    ));
                }
                HandlerSpec::Log(LogHandlerSpec { path, mode })
            }
            "Post" => {
                if let Some(setting) = props.last("Endpoint") {
                    return Err(unsupported(
                        setting.span,
                        ".endpoint() of .post() (configured [[httppost]] endpoints)".to_owned(),
                    ));
                }
                let url = props
                    .string("URL")
                    .or_else(|| first_string(&props))
                    .unwrap_or_default();
                if url.is_empty() {
                    return Err(Diagnostic::error(
                        handler.span,
                        "Either URL or endpoint must be non-empty",
                    ));
                }
                Template::parse(&url).map_err(|e| {
                    Diagnostic::error(handler.span, format!("invalid .post() URL: {e}"))
                })?;
                let mut headers: Vec<(String, String)> = Vec::new();
                for setting in props.all("Header") {
                    if let [key, value] = setting.args.as_slice() {
                        super::default::upsert(
                            &mut headers,
                            string_of(key).unwrap_or_default().to_owned(),
                            string_of(value).unwrap_or_default().to_owned(),
                        );
                    }
                }
                // Kapacitor reads .skipSSLVerification() of an alert's .post() and does not
                // use it; Condenser refuses it rather than ignore it.
                HandlerSpec::Post(PostHandlerSpec {
                    url,
                    headers,
                    capture_response: props.flag("CaptureResponse"),
                    timeout: props.duration("Timeout").unwrap_or_default(),
                })
            }
            "Tcp" => HandlerSpec::Tcp(TcpHandlerSpec {
                address: props
                    .string("Address")
                    .or_else(|| first_string(&props))
                    .unwrap_or_default(),
            }),
            "Exec" => {
                let command = match props.last("Command") {
                    Some(setting) => strings_of(&setting.args),
                    None => strings_of(props.args()),
                };
                HandlerSpec::Exec(ExecHandlerSpec { command })
            }
            "Email" => {
                let mut to = strings_of(props.args());
                to.extend(props.appended_strings("To"));
                let to_templates = props.appended_strings("ToTemplates");
                for template in &to_templates {
                    parse_template(handler.span, ".toTemplates()", template)?;
                }
                HandlerSpec::Email(EmailHandlerSpec { to, to_templates })
            }
            "Slack" => HandlerSpec::Slack(SlackHandlerSpec {
                workspace: props.string("Workspace").unwrap_or_default(),
                channel: props.string("Channel").unwrap_or_default(),
                username: props.string("Username").unwrap_or_default(),
                icon_emoji: props.string("IconEmoji").unwrap_or_default(),
            }),
            "Telegram" => {
                let parse_mode = props.string("ParseMode").unwrap_or_default();
                if !parse_mode.is_empty()
                    && !["markdown", "html"].contains(&parse_mode.to_lowercase().as_str())
                {
                    return Err(Diagnostic::error(
                        handler.span,
                        format!(
                            "parseMode {parse_mode} is not valid, please use 'Markdown' or 'HTML'"
                        ),
                    ));
                }
                HandlerSpec::Telegram(TelegramHandlerSpec {
                    chat_id: props.string("ChatId").unwrap_or_default(),
                    parse_mode,
                    disable_web_page_preview: props.flag("DisableWebPagePreview"),
                    disable_notification: props.flag("DisableNotification"),
                })
            }
            "PagerDuty2" => {
                // `.serviceKey()` is the old name of `.routingKey()`: the later one wins.
                let mut keys = props.all("RoutingKey");
                keys.extend(props.all("ServiceKey"));
                let routing_key = keys
                    .into_iter()
                    .max_by_key(|s| s.span.start)
                    .and_then(|s| s.args.first())
                    .and_then(string_of)
                    .unwrap_or_default()
                    .to_owned();
                let mut links = Vec::new();
                for setting in props.all("Link") {
                    let mut args = setting.args.iter().filter_map(string_of);
                    let link = PagerDutyLink {
                        href: args.next().unwrap_or_default().to_owned(),
                        text: args.next().unwrap_or_default().to_owned(),
                    };
                    parse_template(setting.span, ".link()", &link.href)?;
                    parse_template(setting.span, ".link()", &link.text)?;
                    links.push(link);
                }
                HandlerSpec::PagerDuty2(PagerDuty2HandlerSpec { routing_key, links })
            }
            "OpsGenie2" => {
                // Kapacitor accepts `.details()` after `.opsGenie2()` and never passes it to
                // the handler; Condenser refuses it rather than ignore it.
                ignored_by_kapacitor(
                    &mut props,
                    &["Details"],
                    ".opsGenie2()",
                    "`details = true` in [opsgenie2] sends the event's details",
                )?;
                HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec {
                    teams: props.strings("Teams").unwrap_or_default(),
                    recipients: props.strings("Recipients").unwrap_or_default(),
                    recovery_action: props.string("RecoveryAction").unwrap_or_default(),
                })
            }
            "VictorOps" => HandlerSpec::VictorOps(VictorOpsHandlerSpec {
                routing_key: props.string("RoutingKey").unwrap_or_default(),
            }),
            "Teams" => HandlerSpec::Teams(TeamsHandlerSpec {
                channel_url: props.string("ChannelURL").unwrap_or_default(),
            }),
            "Discord" => HandlerSpec::Discord(DiscordHandlerSpec {
                workspace: props.string("Workspace").unwrap_or_default(),
                username: props.string("Username").unwrap_or_default(),
                avatar_url: props.string("AvatarURL").unwrap_or_default(),
                embed_title: template_property(&mut props, "EmbedTitle")?,
            }),
            "Alerta" => {
                // Kapacitor starts from its defaults and replaces each one the script gives
                // a value that is not empty (or zero).
                let mut alerta = AlertaHandlerSpec::default();
                let replace = |value: String, default: &mut String| {
                    if !value.is_empty() {
                        *default = value;
                    }
                };
                replace(props.string("Token").unwrap_or_default(), &mut alerta.token);
                replace(
                    template_property(&mut props, "Resource")?,
                    &mut alerta.resource,
                );
                replace(template_property(&mut props, "Event")?, &mut alerta.event);
                replace(
                    template_property(&mut props, "Environment")?,
                    &mut alerta.environment,
                );
                replace(template_property(&mut props, "Group")?, &mut alerta.group);
                replace(template_property(&mut props, "Value")?, &mut alerta.value);
                replace(
                    props.string("Origin").unwrap_or_default(),
                    &mut alerta.origin,
                );
                alerta.service = template_list(&mut props, "Services")?;
                alerta.correlate = template_list(&mut props, "Correlated")?;
                alerta.attributes = option_map(&mut props, "Attribute", true)?;
                if let Some(timeout) = props.duration("Timeout").filter(|d| !d.is_zero()) {
                    alerta.timeout = timeout;
                }
                HandlerSpec::Alerta(alerta)
            }
            "Pushover" => HandlerSpec::Pushover(PushoverHandlerSpec {
                device: props.string("Device").unwrap_or_default(),
                title: props.string("Title").unwrap_or_default(),
                url: props.string("URL").unwrap_or_default(),
                url_title: props.string("URLTitle").unwrap_or_default(),
                sound: props.string("Sound").unwrap_or_default(),
                user_key: props.string("UserKey").unwrap_or_default(),
            }),
            "Sensu" => HandlerSpec::Sensu(SensuHandlerSpec {
                source: template_property(&mut props, "Source")?,
                handlers: props.strings("Handlers").unwrap_or_default(),
                // Kapacitor sends metadata as given: its strings are not templates.
                metadata: option_map(&mut props, "Metadata", false)?,
            }),
            "ServiceNow" => {
                // Kapacitor accepts `.username()` and `.password()` here and never passes
                // them to the handler (the [servicenow] section's credentials are sent);
                // Condenser refuses them rather than ignore them.
                ignored_by_kapacitor(
                    &mut props,
                    &["Username", "Password"],
                    ".serviceNow()",
                    "the [servicenow] section's username and password are sent",
                )?;
                HandlerSpec::ServiceNow(ServiceNowHandlerSpec {
                    url: props.string("URL").unwrap_or_default(),
                    source: props.string("Source").unwrap_or_default(),
                    node: template_property(&mut props, "Node")?,
                    type_: template_property(&mut props, "Type")?,
                    resource: template_property(&mut props, "Resource")?,
                    metric_name: template_property(&mut props, "MetricName")?,
                    message_key: template_property(&mut props, "MessageKey")?,
                    additional_info: option_map(&mut props, "AdditionalInfo", true)?,
                })
            }
            "BigPanda" => HandlerSpec::BigPanda(BigPandaHandlerSpec {
                app_key: props.string("AppKey").unwrap_or_default(),
                url: String::new(),
                host: template_property(&mut props, "Host")?,
                primary_property: props.string("PrimaryProperty").unwrap_or_default(),
                secondary_property: props.string("SecondaryProperty").unwrap_or_default(),
                attributes: option_map(&mut props, "Attribute", true)?,
            }),
            "Zenoss" => {
                // Kapacitor accepts `.URL()`, `.username()` and `.password()` here and
                // never passes them to the handler (the [zenoss] section's URL and
                // credentials are used); Condenser refuses them rather than ignore them.
                ignored_by_kapacitor(
                    &mut props,
                    &["URL", "Username", "Password"],
                    ".zenoss()",
                    "the [zenoss] section's url, username and password are used",
                )?;
                // Kapacitor's `.zenoss()` starts with a summary of `{{ .Message }}`; an
                // empty one renders to the message as well, so it is left empty.
                HandlerSpec::Zenoss(ZenossHandlerSpec {
                    action: props.string("Action").unwrap_or_default(),
                    method: props.string("Method").unwrap_or_default(),
                    type_: props.string("Type").unwrap_or_default(),
                    tid: props.int("Tid").unwrap_or_default(),
                    summary: template_property(&mut props, "Summary")?,
                    device: template_property(&mut props, "Device")?,
                    component: template_property(&mut props, "Component")?,
                    event_class_key: template_property(&mut props, "EventClassKey")?,
                    event_class: template_property(&mut props, "EventClass")?,
                    collector: template_property(&mut props, "Collector")?,
                    message: template_property(&mut props, "Message")?,
                    custom_fields: option_map(&mut props, "CustomField", true)?,
                })
            }
            _ => {
                return Err(unsupported(
                    handler.span,
                    format!("the .{}() alert handler", lower(handler.property)),
                ));
            }
        };
        props.finish()?;
        specs.push(spec);
    }
    Ok(specs)
}

/// Refuses the first of `names` the script sets on `handler`: properties Kapacitor accepts
/// and never uses (`why` says what it does instead).
fn ignored_by_kapacitor(
    props: &mut Properties<'_>,
    names: &[&str],
    handler: &str,
    why: &str,
) -> Result<(), Diagnostic> {
    let mut set: Vec<_> = names.iter().filter_map(|name| props.last(name)).collect();
    set.sort_by_key(|setting| setting.span.start);
    match set.first() {
        Some(setting) => Err(unsupported(
            setting.span,
            format!(
                ".{}() of {handler} (which Kapacitor accepts and never uses: {why})",
                lower(setting.name)
            ),
        )),
        None => Ok(()),
    }
}

/// The string of the handler property `name` (empty when unset), checked to be a Go
/// template where it is set.
fn template_property(props: &mut Properties<'_>, name: &str) -> Result<String, Diagnostic> {
    let Some(setting) = props.last(name) else {
        return Ok(String::new());
    };
    let text = setting
        .args
        .first()
        .and_then(string_of)
        .unwrap_or_default()
        .to_owned();
    parse_template(setting.span, &format!(".{}()", lower(name)), &text)?;
    Ok(text)
}

/// Checks that `text`, given to `property` at `span`, is a Go template.
fn parse_template(span: crate::tick::Span, property: &str, text: &str) -> Result<(), Diagnostic> {
    Template::parse(text)
        .map(|_| ())
        .map_err(|e| Diagnostic::error(span, format!("invalid template in {property}: {e}")))
}

/// The strings of the last setting of the handler property `name` (a list that replaces
/// the one before it), each checked to be a Go template.
fn template_list(props: &mut Properties<'_>, name: &str) -> Result<Vec<String>, Diagnostic> {
    let Some(setting) = props.last(name) else {
        return Ok(Vec::new());
    };
    let texts = strings_of(&setting.args);
    for text in &texts {
        parse_template(setting.span, &format!(".{}()", lower(name)), text)?;
    }
    Ok(texts)
}

/// The keys and values of every setting of the handler property `name` (`.attribute(k, v)`),
/// a later value of a key replacing an earlier one; with `templates`, a string value is
/// checked to be a Go template.
fn option_map(
    props: &mut Properties<'_>,
    name: &str,
    templates: bool,
) -> Result<BTreeMap<String, OptionValue>, Diagnostic> {
    let mut options = BTreeMap::new();
    for setting in props.all(name) {
        let [key, value] = setting.args.as_slice() else {
            continue;
        };
        let value = match &value.value {
            Value::String(text) => {
                if templates {
                    parse_template(setting.span, &format!(".{}()", lower(name)), text)?;
                }
                OptionValue::String(text.clone())
            }
            Value::Int(v) => OptionValue::Int(*v),
            Value::Float(v) => OptionValue::Float(*v),
            Value::Bool(v) => OptionValue::Bool(*v),
            Value::Duration(v) => OptionValue::Duration(Duration::from_nanos(*v)),
            other => {
                return Err(Diagnostic::error(
                    value.span,
                    format!(
                        ".{}() takes a string, a number, a boolean or a duration, not {}",
                        lower(name),
                        other.describe()
                    ),
                ));
            }
        };
        options.insert(string_of(key).unwrap_or_default().to_owned(), value);
    }
    Ok(options)
}

/// How a handler's options are written back as TICKscript.
trait HandlerOptions: Sized {
    /// `.name('text')` unless `text` is empty (an option left unset).
    fn text(self, name: &str, text: &str) -> Self;
    /// `.name('key', value)` for each option, in key order.
    fn options(self, name: &str, options: &BTreeMap<String, OptionValue>) -> Self;
}

impl HandlerOptions for Call<'_, '_> {
    fn text(self, name: &str, text: &str) -> Self {
        if text.is_empty() {
            self
        } else {
            self.prop(name, &[&Quoted(text)])
        }
    }

    fn options(mut self, name: &str, options: &BTreeMap<String, OptionValue>) -> Self {
        for (key, value) in options {
            self = self.prop(name, &[&Quoted(key), &Literal(value)]);
        }
        self
    }
}

/// An option's value as a TICKscript literal.
struct Literal<'a>(&'a OptionValue);

impl fmt::Display for Literal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            OptionValue::String(v) => Quoted(v).fmt(f),
            OptionValue::Int(v) => write!(f, "{v}"),
            OptionValue::Float(v) => write!(f, "{v:?}"),
            OptionValue::Bool(v) => f.write_str(if *v { "TRUE" } else { "FALSE" }),
            OptionValue::Duration(v) => v.fmt(f),
        }
    }
}

/// A file mode as Go's `os.FileMode` prints it (`-rw-------`).
fn file_mode(mode: u32) -> String {
    let mut text = String::from("-");
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        text.push(if mode & (1 << (8 - i)) != 0 { c } else { '-' });
    }
    text
}

impl fmt::Display for AlertSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut call = Call::new(f, "alert", &[])
            .prop("id", &[&Quoted(self.id.source())])
            .prop("message", &[&Quoted(self.message.source())])
            .prop("details", &[&Quoted(self.details.source())]);
        for (name, lambda) in ["info", "warn", "crit"].iter().zip(&self.levels) {
            call = call.opt(name, lambda.as_ref().map(|l| l as &dyn fmt::Display));
        }
        for (name, lambda) in ["infoReset", "warnReset", "critReset"]
            .iter()
            .zip(&self.resets)
        {
            call = call.opt(name, lambda.as_ref().map(|l| l as &dyn fmt::Display));
        }
        if self.state_changes_only {
            call = match self.state_changes_only_duration.is_zero() {
                true => call.prop("stateChangesOnly", &[]),
                false => call.prop("stateChangesOnly", &[&self.state_changes_only_duration]),
            };
        }
        if let Some((low, high)) = self.flapping {
            call = call
                .prop("flapping", &[&low, &high])
                .prop("history", &[&self.history]);
        }
        call = call
            .flag("noRecoveries", self.no_recoveries)
            .flag("all", self.all);
        for (name, value) in [
            ("levelTag", &self.level_tag),
            ("levelField", &self.level_field),
            ("messageField", &self.message_field),
            ("durationField", &self.duration_field),
            ("idTag", &self.id_tag),
            ("idField", &self.id_field),
            ("topic", &self.topic),
        ] {
            if let Some(value) = value {
                call = call.prop(name, &[&Quoted(value)]);
            }
        }
        if !self.category.is_empty() {
            call = call.prop("category", &[&Quoted(&self.category)]);
        }
        for inhibit in &self.inhibits {
            let mut values = vec![inhibit.category.clone()];
            values.extend(inhibit.tags.iter().cloned());
            call = call.strings("inhibit", &values);
        }
        for handler in &self.handlers {
            call = match handler {
                HandlerSpec::Log(log) => call
                    .prop("log", &[&Quoted(&log.path)])
                    .prop("mode", &[&format_args!("0{:o}", log.mode)]),
                HandlerSpec::Post(post) => call.prop("post", &[&Quoted(&post.url)]),
                HandlerSpec::Tcp(tcp) => call.prop("tcp", &[&Quoted(&tcp.address)]),
                HandlerSpec::Exec(exec) => call.strings("exec", &exec.command),
                HandlerSpec::Email(email) => call
                    .strings("email", &email.to)
                    .strings("toTemplates", &email.to_templates),
                HandlerSpec::Slack(slack) => call
                    .prop("slack", &[])
                    .prop("workspace", &[&Quoted(&slack.workspace)])
                    .prop("channel", &[&Quoted(&slack.channel)])
                    .prop("username", &[&Quoted(&slack.username)])
                    .prop("iconEmoji", &[&Quoted(&slack.icon_emoji)]),
                HandlerSpec::Telegram(telegram) => call
                    .prop("telegram", &[])
                    .prop("chatId", &[&Quoted(&telegram.chat_id)])
                    .prop("parseMode", &[&Quoted(&telegram.parse_mode)])
                    .flag("disableWebPagePreview", telegram.disable_web_page_preview)
                    .flag("disableNotification", telegram.disable_notification),
                HandlerSpec::PagerDuty2(pagerduty) => {
                    let mut call = call
                        .prop("pagerDuty2", &[])
                        .prop("routingKey", &[&Quoted(&pagerduty.routing_key)]);
                    for link in &pagerduty.links {
                        call = call.prop("link", &[&Quoted(&link.href), &Quoted(&link.text)]);
                    }
                    call
                }
                HandlerSpec::OpsGenie2(opsgenie) => call
                    .prop("opsGenie2", &[])
                    .strings("teams", &opsgenie.teams)
                    .strings("recipients", &opsgenie.recipients)
                    .text("recoveryAction", &opsgenie.recovery_action),
                HandlerSpec::VictorOps(victorops) => call
                    .prop("victorOps", &[])
                    .text("routingKey", &victorops.routing_key),
                HandlerSpec::Teams(teams) => call
                    .prop("teams", &[])
                    .text("channelURL", &teams.channel_url),
                HandlerSpec::Discord(discord) => call
                    .prop("discord", &[])
                    .text("workspace", &discord.workspace)
                    .text("username", &discord.username)
                    .text("avatarURL", &discord.avatar_url)
                    .text("embedTitle", &discord.embed_title),
                HandlerSpec::Alerta(alerta) => call
                    .prop("alerta", &[])
                    .text("token", &alerta.token)
                    .text("resource", &alerta.resource)
                    .text("event", &alerta.event)
                    .text("environment", &alerta.environment)
                    .text("group", &alerta.group)
                    .text("value", &alerta.value)
                    .text("origin", &alerta.origin)
                    .strings("services", &alerta.service)
                    .strings("correlated", &alerta.correlate)
                    .options("attribute", &alerta.attributes)
                    .duration("timeout", alerta.timeout),
                HandlerSpec::Pushover(pushover) => call
                    .prop("pushover", &[])
                    .text("userKey", &pushover.user_key)
                    .text("device", &pushover.device)
                    .text("title", &pushover.title)
                    .text("uRL", &pushover.url)
                    .text("uRLTitle", &pushover.url_title)
                    .text("sound", &pushover.sound),
                HandlerSpec::Sensu(sensu) => call
                    .prop("sensu", &[])
                    .text("source", &sensu.source)
                    .strings("handlers", &sensu.handlers)
                    .options("metadata", &sensu.metadata),
                HandlerSpec::ServiceNow(servicenow) => call
                    .prop("serviceNow", &[])
                    .text("uRL", &servicenow.url)
                    .text("source", &servicenow.source)
                    .text("node", &servicenow.node)
                    .text("type", &servicenow.type_)
                    .text("resource", &servicenow.resource)
                    .text("metricName", &servicenow.metric_name)
                    .text("messageKey", &servicenow.message_key)
                    .options("additionalInfo", &servicenow.additional_info),
                HandlerSpec::BigPanda(bigpanda) => call
                    .prop("bigPanda", &[])
                    .text("appKey", &bigpanda.app_key)
                    .text("host", &bigpanda.host)
                    .text("primaryProperty", &bigpanda.primary_property)
                    .text("secondaryProperty", &bigpanda.secondary_property)
                    .options("attribute", &bigpanda.attributes),
                HandlerSpec::Zenoss(zenoss) => {
                    let call = call
                        .prop("zenoss", &[])
                        .text("action", &zenoss.action)
                        .text("method", &zenoss.method)
                        .text("type", &zenoss.type_);
                    let call = match zenoss.tid {
                        0 => call,
                        tid => call.prop("tid", &[&tid]),
                    };
                    call.text("summary", &zenoss.summary)
                        .text("device", &zenoss.device)
                        .text("component", &zenoss.component)
                        .text("eventClassKey", &zenoss.event_class_key)
                        .text("eventClass", &zenoss.event_class)
                        .text("collector", &zenoss.collector)
                        .text("message", &zenoss.message)
                        .options("customField", &zenoss.custom_fields)
                }
            };
        }
        call.end()
    }
}
