//! The services the handlers send through, configured as in kapacitor.conf, section and key
//! names alike: `[smtp]`, `[[slack]]` (or one `[slack]`), `[telegram]`, `[pagerduty2]`.
//! Every key has Kapacitor's default, every URL can point elsewhere (a proxy, a test's
//! receiver), and a key Condenser does not know is an error naming it.

use serde::{Deserialize, Serialize};

use condenser_model::Duration;
use condenser_model::handler::{
    EmailHandlerSpec, GlobalHandlers, HandlerSpec, PagerDuty2HandlerSpec, SlackHandlerSpec,
    TelegramHandlerSpec,
};

/// The services' configuration, as kapacitor.conf's sections.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServicesConfig {
    /// `[smtp]`: email.
    pub smtp: SmtpConfig,
    /// `[[slack]]`: one or more Slack workspaces.
    pub slack: SlackConfigs,
    /// `[telegram]`: a Telegram bot.
    pub telegram: TelegramConfig,
    /// `[pagerduty2]`: PagerDuty's Events API v2.
    pub pagerduty2: PagerDuty2Config,
    /// Where Condenser's API answers (`http://host:port/kapacitor/v1`), sent to PagerDuty as
    /// the event's `client_url`; empty when nothing listens. Not a kapacitor.conf key.
    #[serde(skip)]
    pub api_url: String,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        Self {
            smtp: SmtpConfig::default(),
            slack: SlackConfigs::kapacitor_default(),
            telegram: TelegramConfig::default(),
            pagerduty2: PagerDuty2Config::default(),
            api_url: String::new(),
        }
    }
}

/// A configuration that is not valid.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl ServicesConfig {
    /// Reads kapacitor.conf's handler sections from TOML text, and checks them.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the sections as Kapacitor does when it starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let error =
            |section: &str, message: String| Err(ConfigError(format!("{section}: {message}")));
        if let Err(message) = self.smtp.validate() {
            return error("smtp", message);
        }
        if let Err(message) = self.slack.validate() {
            return error("slack", message);
        }
        if let Err(message) = self.telegram.validate() {
            return error("telegram", message);
        }
        if let Err(message) = self.pagerduty2.validate() {
            return error("pagerduty2", message);
        }
        Ok(())
    }

    /// The handlers of the services configured `global`, with their sections' options.
    pub fn globals(&self) -> GlobalHandlers {
        let mut globals = GlobalHandlers::default();
        if self.smtp.global {
            globals
                .handlers
                .push(HandlerSpec::Email(EmailHandlerSpec::default()));
            globals.state_changes_only |= self.smtp.state_changes_only;
        }
        if let Some(slack) = self.slack.default_workspace().filter(|s| s.global) {
            globals
                .handlers
                .push(HandlerSpec::Slack(SlackHandlerSpec::default()));
            globals.state_changes_only |= slack.state_changes_only;
        }
        if self.telegram.global {
            globals
                .handlers
                .push(HandlerSpec::Telegram(TelegramHandlerSpec::default()));
            globals.state_changes_only |= self.telegram.state_changes_only;
        }
        if self.pagerduty2.global {
            globals
                .handlers
                .push(HandlerSpec::PagerDuty2(PagerDuty2HandlerSpec::default()));
        }
        globals
    }
}

/// Whether `url` is one reqwest can send to.
fn check_url(url: &str) -> Result<(), String> {
    reqwest::Url::parse(url)
        .map(|_| ())
        .map_err(|e| format!("invalid url {url:?}: {e}"))
}

/// `[smtp]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SmtpConfig {
    /// Whether alerts are mailed.
    pub enabled: bool,
    /// The SMTP server (default `localhost`).
    pub host: String,
    /// Its port (default 25). STARTTLS is used when the server offers it.
    pub port: u16,
    /// The user to log in as; no login when empty.
    pub username: String,
    /// Its password.
    pub password: String,
    /// Whether the server's certificate goes unchecked.
    pub no_verify: bool,
    /// Whether every alert node mails, without `.email()`.
    pub global: bool,
    /// With `global`: whether every alert node sends state changes only.
    pub state_changes_only: bool,
    /// The sender's address.
    pub from: String,
    /// The recipients of an alert whose `.email()` names none.
    pub to: Vec<String>,
    /// How long an unused connection to the server stays open (default `30s`).
    #[serde(deserialize_with = "go_duration", serialize_with = "duration_text")]
    pub idle_timeout: Duration,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            host: "localhost".to_owned(),
            port: 25,
            username: String::new(),
            password: String::new(),
            no_verify: false,
            global: false,
            state_changes_only: false,
            from: String::new(),
            to: Vec::new(),
            idle_timeout: Duration::from_nanos(30 * Duration::SECOND.nanos()),
        }
    }
}

impl SmtpConfig {
    fn validate(&self) -> Result<(), String> {
        if self.host.is_empty() {
            return Err("host cannot be empty".to_owned());
        }
        if self.port == 0 {
            return Err(format!("invalid port {}", self.port));
        }
        if self.idle_timeout.nanos() < 0 {
            return Err("idle timeout must be positive".to_owned());
        }
        if self.enabled && self.from.is_empty() {
            return Err("must provide a 'from' address".to_owned());
        }
        if !self.from.is_empty() {
            self.from
                .parse::<lettre::message::Mailbox>()
                .map_err(|e| format!("invalid from email address: {:?}, {e}", self.from))?;
        }
        for to in &self.to {
            to.parse::<lettre::message::Mailbox>()
                .map_err(|e| format!("invalid to email address: {to:?}, {e}"))?;
        }
        Ok(())
    }
}

/// Kapacitor's name for alerts posted to Slack when the configuration names none.
const DEFAULT_SLACK_USERNAME: &str = "kapacitor";

/// `[[slack]]`: the workspaces; one table (`[slack]`) is one workspace.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct SlackConfigs(pub Vec<SlackConfig>);

impl SlackConfigs {
    /// Kapacitor's default when no `[[slack]]` is configured: one default workspace,
    /// disabled, posting as `kapacitor`.
    pub fn kapacitor_default() -> Self {
        SlackConfigs(vec![SlackConfig {
            default: true,
            username: DEFAULT_SLACK_USERNAME.to_owned(),
            ..SlackConfig::default()
        }])
    }
}

impl<'de> Deserialize<'de> for SlackConfigs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// `[[slack]]` (many tables) or `[slack]` (one), each table's own errors kept.
        struct OneOrMany;
        impl<'de> serde::de::Visitor<'de> for OneOrMany {
            type Value = Vec<SlackConfig>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a [slack] table or [[slack]] tables")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|one| vec![one])
            }
        }
        let mut configs = deserializer.deserialize_any(OneOrMany)?;
        // Kapacitor decodes a lone workspace over its default one, so it keeps the default
        // username; two or more start empty.
        if let [only] = configs.as_mut_slice()
            && only.username.is_empty()
        {
            DEFAULT_SLACK_USERNAME.clone_into(&mut only.username);
        }
        Ok(SlackConfigs(configs))
    }
}

impl SlackConfigs {
    /// The workspace `.workspace(id)` names (empty: the default one), or why there is none.
    pub fn workspace(&self, id: &str) -> Result<&SlackConfig, String> {
        if self.0.is_empty() {
            return Err("no slack configuration found".to_owned());
        }
        let found = match id {
            "" => self.default_workspace(),
            id => self.0.iter().find(|c| c.workspace == id),
        };
        found.ok_or_else(|| "workspace id not found".to_owned())
    }

    /// The default workspace: the only one, or the one marked `default`.
    fn default_workspace(&self) -> Option<&SlackConfig> {
        match self.0.as_slice() {
            [only] => Some(only),
            all => all.iter().find(|c| c.default),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let mut has_default = self.0.len() == 1;
        for config in &self.0 {
            if config.enabled && config.url.is_empty() {
                return Err("must specify url".to_owned());
            }
            if !config.url.is_empty() {
                check_url(&config.url)?;
            }
            if self.0.len() > 1 && config.workspace.is_empty() {
                return Err("id must not be empty".to_owned());
            }
            has_default |= config.default;
            if config.global && !config.default && self.0.len() > 1 {
                return Err("only the default config may be assigned as global".to_owned());
            }
            if config.state_changes_only && !config.global {
                return Err(
                    "stateChangesOnly may only be assigned when the config is both default and global"
                        .to_owned(),
                );
            }
        }
        if !self.0.is_empty() && !has_default {
            return Err("at least one Slack config must be set as default".to_owned());
        }
        Ok(())
    }
}

/// One `[[slack]]` workspace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SlackConfig {
    /// Whether alerts are posted to this workspace.
    pub enabled: bool,
    /// Whether it is the workspace of a `.slack()` that names none.
    pub default: bool,
    /// Its id, for `.workspace(id)`.
    pub workspace: String,
    /// Where messages are posted: an incoming webhook, or `chat.postMessage`.
    pub url: String,
    /// An OAuth token, sent as `Authorization: Bearer <token>` when set.
    pub token: String,
    /// The channel of a `.slack()` that names none.
    pub channel: String,
    /// The name messages are posted under.
    pub username: String,
    /// The emoji shown as their icon.
    pub icon_emoji: String,
    /// Whether every alert node posts here, without `.slack()`.
    pub global: bool,
    /// With `global`: whether every alert node sends state changes only.
    pub state_changes_only: bool,
    /// A PEM file of the certificate authorities to trust.
    pub ssl_ca: String,
    /// A PEM file of the client certificate.
    pub ssl_cert: String,
    /// A PEM file of the client certificate's key.
    pub ssl_key: String,
    /// Whether the server's certificate goes unchecked.
    pub insecure_skip_verify: bool,
}

/// `[telegram]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TelegramConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The bot API's base; the token and `/sendMessage` follow it (default
    /// `https://api.telegram.org/bot`).
    pub url: String,
    /// The bot's token.
    pub token: String,
    /// The chat of a `.telegram()` that names none.
    pub chat_id: String,
    /// `Markdown` or `HTML` for a `.telegram()` that sets none.
    pub parse_mode: String,
    /// Whether links in messages get no preview.
    pub disable_web_page_preview: bool,
    /// Whether messages arrive silently.
    pub disable_notification: bool,
    /// Whether every alert node sends here, without `.telegram()`.
    pub global: bool,
    /// With `global`: whether every alert node sends state changes only.
    pub state_changes_only: bool,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: "https://api.telegram.org/bot".to_owned(),
            token: String::new(),
            chat_id: String::new(),
            parse_mode: String::new(),
            disable_web_page_preview: false,
            disable_notification: false,
            global: false,
            state_changes_only: false,
        }
    }
}

impl TelegramConfig {
    fn validate(&self) -> Result<(), String> {
        if self.enabled && self.url.is_empty() {
            return Err("must specify url".to_owned());
        }
        if self.enabled && self.token.is_empty() {
            return Err("must specify token".to_owned());
        }
        if !self.url.is_empty() {
            check_url(&self.url)?;
        }
        Ok(())
    }
}

/// `[pagerduty2]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PagerDuty2Config {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The Events API v2 endpoint (default `https://events.pagerduty.com/v2/enqueue`).
    pub url: String,
    /// The integration key of a `.pagerDuty2()` that names none.
    pub routing_key: String,
    /// Whether every alert node sends here, without `.pagerDuty2()`.
    pub global: bool,
}

impl Default for PagerDuty2Config {
    fn default() -> Self {
        Self {
            enabled: false,
            url: "https://events.pagerduty.com/v2/enqueue".to_owned(),
            routing_key: String::new(),
            global: false,
        }
    }
}

impl PagerDuty2Config {
    fn validate(&self) -> Result<(), String> {
        if self.url.is_empty() {
            return Err("url cannot be empty".to_owned());
        }
        check_url(&self.url)
    }
}

/// A duration as kapacitor.conf writes it (`"30s"`).
fn duration_text<S: serde::Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&d.to_string())
}

/// A Go duration string (`"30s"`).
fn go_duration<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    Duration::parse_go(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_take_kapacitors_names_and_defaults() {
        let config = ServicesConfig::from_toml(
            r##"
[smtp]
enabled = true
host = "mail.example.com"
port = 587
from = "kapacitor@example.com"
to = ["oncall@example.com"]
idle-timeout = "1m"
global = true
state-changes-only = true

[[slack]]
enabled = true
default = true
workspace = "ops"
url = "https://hooks.slack.com/services/x"
channel = "#alerts"

[telegram]
enabled = true
token = "TOKEN"
chat-id = "123"

[pagerduty2]
enabled = true
routing-key = "rk"
"##,
        )
        .unwrap();
        assert_eq!(config.smtp.port, 587);
        assert_eq!(config.smtp.idle_timeout.nanos(), 60_000_000_000);
        assert_eq!(config.slack.workspace("").unwrap().workspace, "ops");
        assert_eq!(config.slack.workspace("ops").unwrap().username, "kapacitor");
        assert_eq!(
            config.slack.workspace("dev").unwrap_err(),
            "workspace id not found"
        );
        assert_eq!(config.telegram.url, "https://api.telegram.org/bot");
        assert_eq!(
            config.pagerduty2.url,
            "https://events.pagerduty.com/v2/enqueue"
        );
        let globals = config.globals();
        assert_eq!(globals.handlers.len(), 1);
        assert_eq!(globals.handlers[0].kind(), "smtp");
        assert!(globals.state_changes_only);

        let default = ServicesConfig::default();
        assert_eq!(default.slack.workspace("").unwrap().username, "kapacitor");
        assert!(default.globals().handlers.is_empty());
    }

    #[test]
    fn bad_sections_are_refused_naming_what_is_wrong() {
        let refused = |text: &str| ServicesConfig::from_toml(text).unwrap_err().to_string();
        assert!(refused("[smtp]\nhots = \"x\"\n").contains("unknown field `hots`"));
        assert!(refused("[slack]\nchanel = \"#a\"\n").contains("unknown field `chanel`"));
        assert!(refused("[[slack]]\nchanel = \"#a\"\n").contains("unknown field `chanel`"));
        assert_eq!(
            refused("[smtp]\nenabled = true\n"),
            "smtp: must provide a 'from' address"
        );
        assert!(refused("[smtp]\nidle-timeout = \"30\"\n").contains("missing unit"));
        assert_eq!(
            refused("[slack]\nenabled = true\n"),
            "slack: must specify url"
        );
        assert_eq!(
            refused("[[slack]]\nworkspace = \"a\"\n[[slack]]\nworkspace = \"b\"\n"),
            "slack: at least one Slack config must be set as default"
        );
        assert_eq!(
            refused("[telegram]\nenabled = true\n"),
            "telegram: must specify token"
        );
        assert_eq!(
            refused("[pagerduty2]\nurl = \"\"\n"),
            "pagerduty2: url cannot be empty"
        );
        assert!(refused("[influxdb]\nurls = []\n").contains("unknown field `influxdb`"));
    }
}
