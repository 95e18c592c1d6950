//! The services the handlers send through, configured as in kapacitor.conf, section and key
//! names alike: `[smtp]`, `[[slack]]` (or one `[slack]`), `[telegram]`, `[pagerduty2]`,
//! `[opsgenie2]`, `[victorops]`, `[teams]`, `[[discord]]` (or one `[discord]`), `[alerta]`,
//! `[pushover]`, `[sensu]`, `[servicenow]`, `[bigpanda]`, `[zenoss]`.
//! Every key has Kapacitor's default, every URL can point elsewhere (a proxy, a test's
//! receiver), and a key Condenser does not know is an error naming it.

use serde::{Deserialize, Serialize};

use condenser_model::Duration;
use condenser_model::handler::{
    BigPandaHandlerSpec, DiscordHandlerSpec, EmailHandlerSpec, GlobalHandlers, HandlerSpec,
    OpsGenie2HandlerSpec, PagerDuty2HandlerSpec, ServiceNowHandlerSpec, SlackHandlerSpec,
    TeamsHandlerSpec, TelegramHandlerSpec, VictorOpsHandlerSpec, ZenossHandlerSpec,
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
    /// `[opsgenie2]`: OpsGenie's Alert API v2.
    pub opsgenie2: OpsGenie2Config,
    /// `[victorops]`: VictorOps' REST endpoint.
    pub victorops: VictorOpsConfig,
    /// `[teams]`: a Microsoft Teams channel's webhook.
    pub teams: TeamsConfig,
    /// `[[discord]]`: one or more Discord webhooks.
    pub discord: DiscordConfigs,
    /// `[alerta]`: an Alerta server.
    pub alerta: AlertaConfig,
    /// `[pushover]`: Pushover's messages API.
    pub pushover: PushoverConfig,
    /// `[sensu]`: a Sensu client's socket.
    pub sensu: SensuConfig,
    /// `[servicenow]`: ServiceNow's event management API.
    pub servicenow: ServiceNowConfig,
    /// `[bigpanda]`: BigPanda's alerts API.
    pub bigpanda: BigPandaConfig,
    /// `[zenoss]`: Zenoss' JSON-RPC event router.
    pub zenoss: ZenossConfig,
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
            opsgenie2: OpsGenie2Config::default(),
            victorops: VictorOpsConfig::default(),
            teams: TeamsConfig::default(),
            discord: DiscordConfigs::kapacitor_default(),
            alerta: AlertaConfig::default(),
            pushover: PushoverConfig::default(),
            sensu: SensuConfig::default(),
            servicenow: ServiceNowConfig::default(),
            bigpanda: BigPandaConfig::default(),
            zenoss: ZenossConfig::default(),
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

    /// Checks the sections as Kapacitor does when it starts, in its order; an error is
    /// prefixed with its section as Kapacitor prints it (`[[discord]]`'s are not).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let checks: [(&str, Result<(), String>); 14] = [
            ("alerta", self.alerta.validate()),
            ("bigpanda", self.bigpanda.validate()),
            ("", self.discord.validate()),
            ("opsgenie2", self.opsgenie2.validate()),
            ("pagerduty2", self.pagerduty2.validate()),
            ("pushover", self.pushover.validate()),
            ("smtp", self.smtp.validate()),
            ("sensu", self.sensu.validate()),
            ("servicenow", self.servicenow.validate()),
            ("slack", self.slack.validate()),
            ("teams", self.teams.validate()),
            ("telegram", self.telegram.validate()),
            ("victorops", self.victorops.validate()),
            ("zenoss", self.zenoss.validate()),
        ];
        for (section, check) in checks {
            if let Err(message) = check {
                return Err(ConfigError(match section {
                    "" => message,
                    section => format!("{section}: {message}"),
                }));
            }
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
        if self.opsgenie2.global {
            globals
                .handlers
                .push(HandlerSpec::OpsGenie2(OpsGenie2HandlerSpec::default()));
        }
        if self.victorops.global {
            globals
                .handlers
                .push(HandlerSpec::VictorOps(VictorOpsHandlerSpec::default()));
        }
        if self.teams.global {
            globals
                .handlers
                .push(HandlerSpec::Teams(TeamsHandlerSpec::default()));
            globals.state_changes_only |= self.teams.state_changes_only;
        }
        if self.discord.default_workspace().is_some_and(|d| d.global) {
            globals
                .handlers
                .push(HandlerSpec::Discord(DiscordHandlerSpec::default()));
            // Kapacitor's Discord service answers "state changes only?" with `global`, so
            // a global Discord makes every alert node send state changes only.
            globals.state_changes_only = true;
        }
        if self.servicenow.global {
            globals
                .handlers
                .push(HandlerSpec::ServiceNow(ServiceNowHandlerSpec::default()));
            globals.state_changes_only |= self.servicenow.state_changes_only;
        }
        if self.bigpanda.global {
            globals
                .handlers
                .push(HandlerSpec::BigPanda(BigPandaHandlerSpec::default()));
            globals.state_changes_only |= self.bigpanda.state_changes_only;
        }
        if self.zenoss.global {
            globals
                .handlers
                .push(HandlerSpec::Zenoss(ZenossHandlerSpec::default()));
            globals.state_changes_only |= self.zenoss.state_changes_only;
        }
        globals
    }
}

/// Whether `url` is one reqwest can send to.
fn check_url(url: &str) -> Result<(), String> {
    check_url_as(url, "url")
}

/// Whether `url` is one reqwest can send to; an error calls it `word` (Kapacitor writes
/// `url` in some sections, `URL` in others).
fn check_url_as(url: &str, word: &str) -> Result<(), String> {
    reqwest::Url::parse(url)
        .map(|_| ())
        .map_err(|e| format!("invalid {word} {url:?}: {e}"))
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

/// A section written as one table (`[slack]`) or as many (`[[slack]]`), each table's own
/// errors kept (an untagged enum would hide them).
fn one_or_many<'de, D, T>(deserializer: D, expecting: &'static str) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct OneOrMany<T>(&'static str, std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for OneOrMany<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                .map(|one| vec![one])
        }
    }
    deserializer.deserialize_any(OneOrMany(expecting, std::marker::PhantomData))
}

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
        let mut configs: Vec<SlackConfig> =
            one_or_many(deserializer, "a [slack] table or [[slack]] tables")?;
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

/// `[opsgenie2]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct OpsGenie2Config {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The API key, sent as `Authorization: GenieKey <key>`.
    pub api_key: String,
    /// The teams of a `.opsGenie2()` that names none.
    pub teams: Vec<String>,
    /// The users of a `.opsGenie2()` that names none.
    pub recipients: Vec<String>,
    /// The alerts endpoint (default `https://api.opsgenie.com/v2/alerts`).
    pub url: String,
    /// What a recovery does (`notes`, the default, or `close`) when the script says neither;
    /// Kapacitor's key `recovery_action`.
    #[serde(rename = "recovery_action")]
    pub recovery_action: String,
    /// Whether every alert node sends here, without `.opsGenie2()`.
    pub global: bool,
    /// Whether the event's details (rather than its data as JSON) are the alert's
    /// description.
    pub details: bool,
}

impl Default for OpsGenie2Config {
    fn default() -> Self {
        Self {
            enabled: false,
            api_key: String::new(),
            teams: Vec::new(),
            recipients: Vec::new(),
            url: "https://api.opsgenie.com/v2/alerts".to_owned(),
            recovery_action: "notes".to_owned(),
            global: false,
            details: false,
        }
    }
}

impl OpsGenie2Config {
    fn validate(&self) -> Result<(), String> {
        if self.url.is_empty() {
            return Err("url cannot be empty".to_owned());
        }
        if self.recovery_action.is_empty() {
            return Err("recovery_action cannot be empty".to_owned());
        }
        check_url_as(&self.url, "URL")?;
        if self.enabled && self.api_key.is_empty() {
            return Err("api-key cannot be empty".to_owned());
        }
        Ok(())
    }
}

/// `[victorops]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct VictorOpsConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The API key, a segment of the URL.
    pub api_key: String,
    /// The routing key of a `.victorOps()` that names none, the URL's last segment.
    pub routing_key: String,
    /// The REST endpoint the keys follow (default
    /// `https://alert.victorops.com/integrations/generic/20131114/alert`).
    pub url: String,
    /// Whether every alert node sends here, without `.victorOps()`.
    pub global: bool,
    /// Whether the event's data is sent as a JSON object (rather than as JSON text).
    pub json_data: bool,
}

impl Default for VictorOpsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            api_key: String::new(),
            routing_key: String::new(),
            url: "https://alert.victorops.com/integrations/generic/20131114/alert".to_owned(),
            global: false,
            json_data: false,
        }
    }
}

impl VictorOpsConfig {
    fn validate(&self) -> Result<(), String> {
        if self.url.is_empty() {
            return Err("url cannot be empty".to_owned());
        }
        check_url_as(&self.url, "URL")
    }
}

/// `[teams]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TeamsConfig {
    /// Whether alerts are posted.
    pub enabled: bool,
    /// The channel's incoming webhook of a `.teams()` that names none.
    pub channel_url: String,
    /// Whether every alert node posts here, without `.teams()`.
    pub global: bool,
    /// With `global`: whether every alert node sends state changes only.
    pub state_changes_only: bool,
}

impl TeamsConfig {
    fn validate(&self) -> Result<(), String> {
        if self.enabled && self.channel_url.is_empty() {
            return Err("must specify Teams channel webhook URL".to_owned());
        }
        if !self.channel_url.is_empty() {
            check_url(&self.channel_url)?;
        }
        Ok(())
    }
}

/// `[[discord]]`: the webhooks (workspaces); one table (`[discord]`) is one workspace.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct DiscordConfigs(pub Vec<DiscordConfig>);

impl DiscordConfigs {
    /// Kapacitor's default when no `[[discord]]` is configured: one default workspace,
    /// disabled.
    pub fn kapacitor_default() -> Self {
        DiscordConfigs(vec![DiscordConfig {
            default: true,
            ..DiscordConfig::default()
        }])
    }

    /// The workspace `.workspace(id)` names (empty: the default one), or why there is none.
    pub fn workspace(&self, id: &str) -> Result<&DiscordConfig, String> {
        if self.0.is_empty() {
            return Err("no discord configuration found".to_owned());
        }
        let found = match id {
            "" => self.default_workspace(),
            id => self.0.iter().rfind(|c| c.workspace == id),
        };
        found.ok_or_else(|| "workspace id not found".to_owned())
    }

    /// The default workspace: the only one, or the last marked `default` (Kapacitor's).
    fn default_workspace(&self) -> Option<&DiscordConfig> {
        match self.0.as_slice() {
            [only] => Some(only),
            all => all.iter().rfind(|c| c.default),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let mut has_default = self.0.len() == 1;
        for config in &self.0 {
            if config.enabled && config.url.is_empty() {
                return Err("Must specify the Discord channel webhook URL".to_owned());
            }
            if !config.url.is_empty() {
                check_url(&config.url)?;
            }
            if !config.avatar_url.is_empty() {
                check_url(&config.avatar_url)?;
            }
            if self.0.len() > 1 && config.workspace.is_empty() {
                return Err("id must not be empty".to_owned());
            }
            has_default |= config.default;
            // Kapacitor checks `default` as written, so a lone workspace that is global
            // must say `default = true` too.
            if config.global && !config.default {
                return Err("only the default config may be assigned as global".to_owned());
            }
            if config.state_changes_only && (!config.default || !config.global) {
                return Err(
                    "stateChangesOnly may only be assigned when the config is both default and global"
                        .to_owned(),
                );
            }
            if !config.embed_title.is_empty() {
                return Err(format!(
                    "embed-title {:?} of [[discord]] is never sent (Kapacitor reads it and does not use it): give the title with .discord().embedTitle()",
                    config.embed_title
                ));
            }
        }
        if !self.0.is_empty() && !has_default {
            return Err("at least one Discord config must be set as default".to_owned());
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for DiscordConfigs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Each table starts from an empty workspace, not the default one (Kapacitor's
        // listmap), so a lone table is `default = false` unless it says otherwise.
        one_or_many(deserializer, "a [discord] table or [[discord]] tables").map(DiscordConfigs)
    }
}

/// One `[[discord]]` workspace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct DiscordConfig {
    /// Whether alerts are posted to this workspace.
    pub enabled: bool,
    /// Whether it is the workspace of a `.discord()` that names none.
    pub default: bool,
    /// Its id, for `.workspace(id)`.
    pub workspace: String,
    /// The webhook messages are posted to.
    pub url: String,
    /// Whether each embed carries the event's time.
    pub timestamp: bool,
    /// The name messages are posted under when the script gives none.
    pub username: String,
    /// The avatar shown with them when the script gives none.
    pub avatar_url: String,
    /// Kapacitor reads this key and never sends it; Condenser refuses a non-empty one
    /// rather than ignore it (the title comes from `.embedTitle()`).
    pub embed_title: String,
    /// Whether every alert node posts here, without `.discord()` (the default workspace
    /// only). As in Kapacitor, it also makes every alert node send state changes only.
    pub global: bool,
    /// Allowed only with `default` and `global`; Kapacitor checks it and then goes by
    /// `global` alone, as Condenser does.
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

/// `[alerta]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertaConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The API's base; `/alert` follows it.
    pub url: String,
    /// Whether the server's certificate goes unchecked.
    pub insecure_skip_verify: bool,
    /// The token of a `.alerta()` that gives none.
    pub token: String,
    /// The scheme of the `Authorization` header (empty: `Bearer`; older Alertas want
    /// `Key`).
    pub token_prefix: String,
    /// The environment of a `.alerta()` whose environment renders empty.
    pub environment: String,
    /// The origin of a `.alerta()` that gives none.
    pub origin: String,
    /// Kapacitor reads this key and never uses it (alerts time out after `.timeout()`,
    /// default 24h); Condenser refuses a non-zero one rather than ignore it.
    #[serde(deserialize_with = "go_duration", serialize_with = "duration_text")]
    pub timeout: Duration,
}

impl AlertaConfig {
    fn validate(&self) -> Result<(), String> {
        if self.enabled && self.url.is_empty() {
            return Err("must specify url".to_owned());
        }
        if !self.url.is_empty() {
            check_url(&self.url)?;
        }
        if !self.timeout.is_zero() {
            return Err(format!(
                "timeout {} is never used (Kapacitor reads it and does not use it): give the alert's timeout with .alerta().timeout()",
                self.timeout
            ));
        }
        Ok(())
    }
}

/// `[pushover]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PushoverConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The application's API token.
    pub token: String,
    /// The user (or group) key of a `.pushover()` that gives none.
    pub user_key: String,
    /// The messages endpoint (default `https://api.pushover.net/1/messages.json`).
    pub url: String,
}

impl Default for PushoverConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            token: String::new(),
            user_key: String::new(),
            url: "https://api.pushover.net/1/messages.json".to_owned(),
        }
    }
}

impl PushoverConfig {
    fn validate(&self) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        if self.token.is_empty() {
            return Err("must specify token".to_owned());
        }
        if self.user_key.is_empty() {
            return Err("must specify user key".to_owned());
        }
        if self.url.is_empty() {
            return Err("must specify url".to_owned());
        }
        check_url_as(&self.url, "URL")
    }
}

/// `[sensu]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SensuConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The client's socket, `host:port`, resolved for each alert.
    pub addr: String,
    /// The source of a `.sensu()` whose source renders empty (default `Kapacitor`).
    pub source: String,
    /// The Sensu handlers of a `.sensu()` that names none; when the key is absent, `null`
    /// is sent.
    pub handlers: Option<Vec<String>>,
}

impl Default for SensuConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            addr: String::new(),
            source: "Kapacitor".to_owned(),
            handlers: None,
        }
    }
}

impl SensuConfig {
    fn validate(&self) -> Result<(), String> {
        if self.enabled && self.addr.is_empty() {
            return Err("must specify client address".to_owned());
        }
        Ok(())
    }
}

/// `[servicenow]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceNowConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The events API of a `.serviceNow()` that names none (default
    /// `https://instance.service-now.com/api/global/em/jsonv2`).
    pub url: String,
    /// The source of a `.serviceNow()` that gives none (default empty, sent as `""`).
    pub source: String,
    /// The user of HTTP basic authentication; none unless both it and `password` are set.
    pub username: String,
    /// Its password.
    pub password: String,
    /// Whether every alert node sends here, without `.serviceNow()`.
    pub global: bool,
    /// With `global`: whether every alert node sends state changes only.
    pub state_changes_only: bool,
}

impl Default for ServiceNowConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: "https://instance.service-now.com/api/global/em/jsonv2".to_owned(),
            source: String::new(),
            username: String::new(),
            password: String::new(),
            global: false,
            state_changes_only: false,
        }
    }
}

impl ServiceNowConfig {
    fn validate(&self) -> Result<(), String> {
        if self.enabled && self.url.is_empty() {
            return Err("must specify events URL".to_owned());
        }
        if !self.url.is_empty() {
            check_url(&self.url)?;
        }
        Ok(())
    }
}

/// `[bigpanda]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct BigPandaConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// Whether every alert node sends here, without `.bigPanda()`.
    pub global: bool,
    /// The app key of a `.bigPanda()` that gives none.
    pub app_key: String,
    /// The token, sent as `Authorization: Bearer <token>`.
    pub token: String,
    /// With `global`: whether every alert node sends state changes only.
    pub state_changes_only: bool,
    /// Whether the server's certificate goes unchecked.
    pub insecure_skip_verify: bool,
    /// The alerts API of a `.bigPanda()` that names none (default
    /// `https://api.bigpanda.io/data/v2/alerts`).
    pub url: String,
    /// Whether the event's tags and fields are sent as attributes: each is when this text
    /// contains `tags` or `fields`, in any case (default `tags,fields`).
    pub auto_attributes: String,
}

impl Default for BigPandaConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            global: false,
            app_key: String::new(),
            token: String::new(),
            state_changes_only: false,
            insecure_skip_verify: false,
            url: "https://api.bigpanda.io/data/v2/alerts".to_owned(),
            auto_attributes: "tags,fields".to_owned(),
        }
    }
}

impl BigPandaConfig {
    fn validate(&self) -> Result<(), String> {
        if self.enabled && self.url.is_empty() {
            return Err("must specify the BigPanda webhook URL".to_owned());
        }
        if self.enabled && self.app_key.is_empty() {
            return Err("must specify BigPanda app-key".to_owned());
        }
        if !self.url.is_empty() {
            check_url(&self.url)?;
        }
        if self.enabled && self.token.is_empty() {
            return Err("must specify BigPanda token".to_owned());
        }
        Ok(())
    }
}

/// `[zenoss]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ZenossConfig {
    /// Whether alerts are sent.
    pub enabled: bool,
    /// The event router events are posted to (default
    /// `https://tenant.zenoss.io:8080/zport/dmd/evconsole_router`).
    pub url: String,
    /// The user of HTTP basic authentication; none unless both it and `password` are set.
    pub username: String,
    /// Its password.
    pub password: String,
    /// The router of a `.zenoss()` that names none (default `EventsRouter`).
    pub action: String,
    /// Its method (default `add_event`).
    pub method: String,
    /// The request's type (default `rpc`).
    #[serde(rename = "type")]
    pub type_: String,
    /// The request's transaction id (default 1).
    pub tid: i64,
    /// The collector of a `.zenoss()` whose collector renders empty (default `Kapacitor`).
    pub collector: String,
    /// The severity each level is sent as.
    pub severity_map: ZenossSeverityMap,
    /// Whether every alert node sends here, without `.zenoss()`.
    pub global: bool,
    /// With `global`: whether every alert node sends state changes only.
    pub state_changes_only: bool,
}

impl Default for ZenossConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: "https://tenant.zenoss.io:8080/zport/dmd/evconsole_router".to_owned(),
            username: String::new(),
            password: String::new(),
            action: "EventsRouter".to_owned(),
            method: "add_event".to_owned(),
            type_: "rpc".to_owned(),
            tid: 1,
            collector: "Kapacitor".to_owned(),
            severity_map: ZenossSeverityMap::default(),
            global: false,
            state_changes_only: false,
        }
    }
}

impl ZenossConfig {
    fn validate(&self) -> Result<(), String> {
        if self.enabled && self.url.is_empty() {
            return Err("must specify events URL".to_owned());
        }
        // Kapacitor checks the URL even when the service is off, and an empty one fails.
        if self.url.is_empty() {
            return Err("invalid url \"\": parse \"\": empty url".to_owned());
        }
        check_url(&self.url)
    }
}

/// `severity-map` of `[zenoss]`: each level's severity, a string or a number (Zenoss takes
/// `Clear`, `Info`, … or 0 to 5). A key left out keeps its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZenossSeverityMap {
    /// OK's (default `Clear`).
    #[serde(rename = "OK")]
    pub ok: ZenossSeverity,
    /// INFO's (default `Info`).
    #[serde(rename = "Info")]
    pub info: ZenossSeverity,
    /// WARNING's (default `Warning`).
    #[serde(rename = "Warning")]
    pub warning: ZenossSeverity,
    /// CRITICAL's (default `Critical`).
    #[serde(rename = "Critical")]
    pub critical: ZenossSeverity,
}

impl Default for ZenossSeverityMap {
    fn default() -> Self {
        let text = |s: &str| ZenossSeverity::Text(s.to_owned());
        Self {
            ok: text("Clear"),
            info: text("Info"),
            warning: text("Warning"),
            critical: text("Critical"),
        }
    }
}

impl ZenossSeverityMap {
    /// The severity of `level`.
    pub fn of(&self, level: condenser_model::Level) -> &ZenossSeverity {
        match level {
            condenser_model::Level::Ok => &self.ok,
            condenser_model::Level::Info => &self.info,
            condenser_model::Level::Warning => &self.warning,
            condenser_model::Level::Critical => &self.critical,
        }
    }
}

/// A Zenoss severity as kapacitor.conf writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ZenossSeverity {
    /// A name (`Critical`).
    Text(String),
    /// An integer (`5`).
    Int(i64),
    /// A float.
    Float(f64),
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

    #[test]
    fn the_services_sections_take_kapacitors_keys_and_defaults() {
        let config = ServicesConfig::from_toml(
            r#"
[opsgenie2]
enabled = true
api-key = "k"
recovery_action = "close"
global = true

[victorops]
enabled = true
api-key = "v"
json-data = true

[teams]
channel-url = "https://outlook.office.com/webhook/x"
global = true
state-changes-only = true

[discord]
url = "https://discord.com/api/webhooks/1/x"
timestamp = true

[alerta]
url = "https://alerta.example.com/api"
token-prefix = "Key"

[pushover]
enabled = true
token = "t"
user-key = "u"

[sensu]
addr = "sensu-client:3030"
handlers = []

[servicenow]
global = true

[bigpanda]
auto-attributes = "tags"

[zenoss]
type = "rpc2"
tid = 3
severity-map = { OK = 0, Critical = 5 }
"#,
        )
        .unwrap();
        assert_eq!(config.opsgenie2.url, "https://api.opsgenie.com/v2/alerts");
        assert_eq!(config.opsgenie2.recovery_action, "close");
        assert!(config.victorops.json_data);
        assert_eq!(
            config.victorops.url,
            "https://alert.victorops.com/integrations/generic/20131114/alert"
        );
        // A lone [discord] is the default workspace, though not marked so.
        let discord = config.discord.workspace("").unwrap();
        assert!(discord.timestamp && !discord.default);
        assert_eq!(config.alerta.token_prefix, "Key");
        assert_eq!(
            config.pushover.url,
            "https://api.pushover.net/1/messages.json"
        );
        assert_eq!(config.sensu.source, "Kapacitor");
        assert_eq!(config.sensu.handlers, Some(Vec::new()));
        assert_eq!(ServicesConfig::default().sensu.handlers, None);
        assert_eq!(config.servicenow.source, "");
        assert_eq!(
            config.bigpanda.url,
            "https://api.bigpanda.io/data/v2/alerts"
        );
        assert_eq!(config.zenoss.type_, "rpc2");
        assert_eq!(config.zenoss.tid, 3);
        assert_eq!(config.zenoss.action, "EventsRouter");
        // A severity left out keeps its default.
        let severities = &config.zenoss.severity_map;
        assert_eq!(
            (&severities.ok, &severities.info, &severities.critical),
            (
                &ZenossSeverity::Int(0),
                &ZenossSeverity::Text("Info".into()),
                &ZenossSeverity::Int(5)
            )
        );
        let globals = config.globals();
        let kinds: Vec<&str> = globals.handlers.iter().map(HandlerSpec::kind).collect();
        assert_eq!(kinds, ["opsgenie2", "teams", "servicenow"]);
        assert!(
            globals.state_changes_only,
            "teams is global and state-changes-only"
        );

        // A global Discord makes every alert node send state changes only (Kapacitor's).
        let discord = ServicesConfig::from_toml("[discord]\ndefault = true\nglobal = true\n")
            .unwrap()
            .globals();
        assert_eq!(discord.handlers[0].kind(), "discord");
        assert!(discord.state_changes_only);
        let victorops = ServicesConfig::from_toml("[victorops]\nglobal = true\n")
            .unwrap()
            .globals();
        assert!(!victorops.state_changes_only);
        let defaults = ServicesConfig::default();
        assert_eq!(defaults.discord.workspace("").unwrap().url, "");
        defaults.validate().unwrap();
    }

    #[test]
    fn bad_services_sections_are_refused_with_kapacitors_messages() {
        let refused = |text: &str| ServicesConfig::from_toml(text).unwrap_err().to_string();
        for (text, message) in [
            (
                "[opsgenie2]\nenabled = true\n",
                "opsgenie2: api-key cannot be empty",
            ),
            (
                "[opsgenie2]\nurl = \"\"\n",
                "opsgenie2: url cannot be empty",
            ),
            (
                "[opsgenie2]\nrecovery_action = \"\"\n",
                "opsgenie2: recovery_action cannot be empty",
            ),
            (
                "[victorops]\nurl = \"\"\n",
                "victorops: url cannot be empty",
            ),
            (
                "[teams]\nenabled = true\n",
                "teams: must specify Teams channel webhook URL",
            ),
            (
                "[discord]\nenabled = true\n",
                "Must specify the Discord channel webhook URL",
            ),
            (
                "[discord]\nglobal = true\n",
                "only the default config may be assigned as global",
            ),
            (
                "[[discord]]\nworkspace = \"a\"\n[[discord]]\n",
                "id must not be empty",
            ),
            (
                "[[discord]]\nworkspace = \"a\"\n[[discord]]\nworkspace = \"b\"\n",
                "at least one Discord config must be set as default",
            ),
            (
                "[discord]\ndefault = true\nstate-changes-only = true\n",
                "stateChangesOnly may only be assigned when the config is both default and global",
            ),
            ("[alerta]\nenabled = true\n", "alerta: must specify url"),
            (
                "[pushover]\nenabled = true\n",
                "pushover: must specify token",
            ),
            (
                "[pushover]\nenabled = true\ntoken = \"t\"\n",
                "pushover: must specify user key",
            ),
            (
                "[sensu]\nenabled = true\n",
                "sensu: must specify client address",
            ),
            (
                "[servicenow]\nenabled = true\nurl = \"\"\n",
                "servicenow: must specify events URL",
            ),
            (
                "[bigpanda]\nenabled = true\n",
                "bigpanda: must specify BigPanda app-key",
            ),
            (
                "[bigpanda]\nenabled = true\napp-key = \"a\"\n",
                "bigpanda: must specify BigPanda token",
            ),
            (
                "[zenoss]\nenabled = true\nurl = \"\"\n",
                "zenoss: must specify events URL",
            ),
            (
                "[zenoss]\nurl = \"\"\n",
                "zenoss: invalid url \"\": parse \"\": empty url",
            ),
        ] {
            assert_eq!(refused(text), message, "{text}");
        }
        assert!(refused("[opsgenie2]\nurl = \"x\"\n").starts_with("opsgenie2: invalid URL \"x\""));
        assert!(refused("[teams]\nchannel-url = \"x\"\n").starts_with("teams: invalid url \"x\""));
        // Keys Kapacitor reads and never uses are refused rather than ignored.
        assert!(
            refused("[alerta]\ntimeout = \"1m\"\n").starts_with("alerta: timeout 1m is never used")
        );
        assert!(
            refused("[discord]\nembed-title = \"t\"\n")
                .starts_with("embed-title \"t\" of [[discord]] is never sent")
        );
        assert!(refused("[zenoss]\nseverity-map = { Ok = 0 }\n").contains("unknown field `Ok`"));
        assert!(refused("[bigpanda]\nappkey = \"a\"\n").contains("unknown field `appkey`"));
    }
}
