//! Alert handlers as a task configures them: what an alert node's `.log()`, `.post()`,
//! `.tcp()`, `.exec()`, `.email()`, `.slack()`, `.telegram()` and `.pagerDuty2()` say,
//! resolved and checked when the task is defined, then carried by the plan to the handlers
//! that run them. Serialized (tagged by `kind`) for storage with
//! the task and in topic handler specs.

use serde::{Deserialize, Serialize};

use crate::Duration;

/// One handler of an alert node, with the options the script gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogHandlerSpec {
    /// The file, an absolute path; opened to append for each event.
    pub path: String,
    /// The permission bits of the file when it is created (default `0600`).
    pub mode: u32,
}

/// `.post(url)` with `.header(k, v)`, `.captureResponse()` and `.timeout(d)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostHandlerSpec {
    /// The URL, a Go template over the event (`{{ .ID }}`).
    pub url: String,
    /// Headers set on each request, in order (a later key replaces an earlier one).
    pub headers: Vec<(String, String)>,
    /// Whether the body of a failed response is logged.
    pub capture_response: bool,
    /// How long one request may take; zero for the handler's default.
    pub timeout: Duration,
}

/// `.tcp(address)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpHandlerSpec {
    /// `host:port` to connect to for each event.
    pub address: String,
}

/// `.exec(program, args…)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecHandlerSpec {
    /// The program, then its arguments.
    pub command: Vec<String>,
}

/// `.email(to…)` with `.to(…)` and `.toTemplates(…)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailHandlerSpec {
    /// The recipients; when none (and no template gives one), the `[smtp]` section's.
    pub to: Vec<String>,
    /// Go templates over the event's data, each rendering one more recipient (an empty
    /// rendering adds none).
    pub to_templates: Vec<String>,
}

/// `.slack()` with `.workspace()`, `.channel()`, `.username()` and `.iconEmoji()`; an empty
/// option takes the `[[slack]]` workspace's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_tagged_by_kind() {
        let spec = HandlerSpec::Log(LogHandlerSpec {
            path: "/tmp/alerts.log".into(),
            mode: 0o644,
        });
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"log","path":"/tmp/alerts.log","mode":420}"#
        );
        assert_eq!(serde_json::from_str::<HandlerSpec>(&json).unwrap(), spec);
        assert!(
            serde_json::from_str::<HandlerSpec>(r#"{"kind":"log","path":"/x","mode":1,"y":2}"#)
                .is_err()
        );
    }
}
