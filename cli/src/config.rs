//! The daemon's configuration: defaults, then a TOML file, then `CONDENSER_*` variables,
//! then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use condenser_handlers::ServicesConfig;
use condenser_handlers::config::{
    AlertaConfig, BigPandaConfig, DiscordConfigs, OpsGenie2Config, PagerDuty2Config,
    PushoverConfig, SensuConfig, ServiceNowConfig, SlackConfigs, SmtpConfig, TeamsConfig,
    TelegramConfig, VictorOpsConfig, ZenossConfig,
};
use condenser_ingest::udp::UdpConfig;
use serde::{Deserialize, Serialize};

/// Everything `condenser serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    /// Where Condenser keeps its state (tasks, templates, alert state, the handler outbox).
    pub(crate) data_dir: PathBuf,
    /// The one listener: HTTP API (write, ping, metrics, httpOut) and gRPC.
    pub(crate) bind: SocketAddr,
    /// The HTTP write API.
    pub(crate) http: HttpConfig,
    /// UDP listeners, one per database (`[[udp]]` tables).
    pub(crate) udp: Vec<UdpConfig>,
    /// `[smtp]`: the email handler's server.
    pub(crate) smtp: SmtpConfig,
    /// `[[slack]]`: the Slack handler's workspaces.
    pub(crate) slack: SlackConfigs,
    /// `[telegram]`: the Telegram handler's bot.
    pub(crate) telegram: TelegramConfig,
    /// `[pagerduty2]`: the PagerDuty handler's Events API.
    pub(crate) pagerduty2: PagerDuty2Config,
    /// `[opsgenie2]`: the OpsGenie handler's Alert API.
    pub(crate) opsgenie2: OpsGenie2Config,
    /// `[victorops]`: the VictorOps handler's REST endpoint.
    pub(crate) victorops: VictorOpsConfig,
    /// `[teams]`: the Microsoft Teams handler's channel.
    pub(crate) teams: TeamsConfig,
    /// `[[discord]]`: the Discord handler's webhooks.
    pub(crate) discord: DiscordConfigs,
    /// `[alerta]`: the Alerta handler's server.
    pub(crate) alerta: AlertaConfig,
    /// `[pushover]`: the Pushover handler's application.
    pub(crate) pushover: PushoverConfig,
    /// `[sensu]`: the Sensu handler's client socket.
    pub(crate) sensu: SensuConfig,
    /// `[servicenow]`: the ServiceNow handler's events API.
    pub(crate) servicenow: ServiceNowConfig,
    /// `[bigpanda]`: the BigPanda handler's alerts API.
    pub(crate) bigpanda: BigPandaConfig,
    /// `[zenoss]`: the Zenoss handler's event router.
    pub(crate) zenoss: ZenossConfig,
    /// `[deadman]`: the id and message of every `deadman()`, and a global deadman.
    pub(crate) deadman: DeadmanSection,
    /// `[auth]`: the credentials every request must carry (none: no authentication).
    pub(crate) auth: AuthSection,
    /// `[engine]`: how tasks keep their groups.
    pub(crate) engine: EngineSection,
    /// `[[influxdb]]`: InfluxDB servers batch queries and influxDBOut go to, and that send
    /// their writes to Condenser through subscriptions.
    pub(crate) influxdb: Vec<crate::influxdb::InfluxDbConfig>,
}

/// The `[engine]` table (Condenser's own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct EngineSection {
    /// Forget a task's group that saw no data for this long (wall clock), so that memory
    /// follows the live groups (kapacitor#1157); `0s` keeps every group, as Kapacitor does.
    pub(crate) group_expiry: String,
    /// How long the embedded store keeps what is written, for batch tasks' queries (by the
    /// points' time against the wall clock).
    pub(crate) store_retention: String,
    /// The most memory the embedded store takes, in bytes; past it the oldest writes go.
    pub(crate) store_max_bytes: u64,
    /// Keep the embedded store on disk too (Parquet files under `<data_dir>/store`), so a
    /// restart keeps what is within the retention.
    pub(crate) store_persist: bool,
}

impl Default for EngineSection {
    fn default() -> Self {
        Self {
            group_expiry: "0s".into(),
            store_retention: "1h".into(),
            store_max_bytes: 1 << 30,
            store_persist: false,
        }
    }
}

impl EngineSection {
    /// The group expiry; `None` when off.
    pub(crate) fn group_expiry(&self) -> anyhow::Result<Option<Duration>> {
        let expiry = parse_duration(&self.group_expiry)
            .with_context(|| format!("engine.group_expiry {:?}", self.group_expiry))?;
        Ok((!expiry.is_zero()).then_some(expiry))
    }

    /// What the embedded store keeps, and where on disk (under `data_dir`) when it is
    /// kept there.
    pub(crate) fn store(
        &self,
        data_dir: &Path,
    ) -> anyhow::Result<condenser_engine::store::StoreConfig> {
        let retention = parse_duration(&self.store_retention)
            .with_context(|| format!("engine.store_retention {:?}", self.store_retention))?;
        Ok(condenser_engine::store::StoreConfig {
            retention,
            max_bytes: self.store_max_bytes,
            dir: self.store_persist.then(|| data_dir.join("store")),
        })
    }
}

/// The `[auth]` table: a shared token (`Authorization: Bearer …` or `Token …`), or a user
/// and password (basic auth, or InfluxDB's `u` and `p` query parameters), or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct AuthSection {
    /// The shared token.
    pub(crate) token: String,
    /// The user of basic auth.
    pub(crate) username: String,
    /// The password of basic auth.
    pub(crate) password: String,
}

impl AuthSection {
    /// Whether requests must authenticate.
    pub(crate) fn enabled(&self) -> bool {
        !self.token.is_empty() || !self.username.is_empty()
    }

    /// The section with its secrets masked, for `condenser config`.
    pub(crate) fn masked(&self) -> Self {
        let mask = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                "********".to_owned()
            }
        };
        Self {
            token: mask(&self.token),
            username: self.username.clone(),
            password: mask(&self.password),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./condenser-data"),
            bind: SocketAddr::from(([127, 0, 0, 1], 9092)),
            http: HttpConfig::default(),
            udp: Vec::new(),
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
            deadman: DeadmanSection::default(),
            auth: AuthSection::default(),
            engine: EngineSection::default(),
            influxdb: Vec::new(),
        }
    }
}

/// The `[http]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct HttpConfig {
    /// Largest write body accepted, in bytes after gzip decoding; larger ones get 413.
    pub(crate) max_body_bytes: usize,
    /// How long a write may wait for the engine before it is refused with 503 (`5s`, `500ms`).
    pub(crate) write_timeout: String,
    /// Writes (requests or datagrams) each task's input queue holds before writers wait.
    pub(crate) write_queue: usize,
    /// The retention policy of writes that name none.
    pub(crate) default_retention_policy: String,
    /// Serve HTTPS (and gRPC over TLS) with the certificate and key below, as
    /// kapacitor.conf's `https-enabled`.
    #[serde(rename = "https-enabled")]
    pub(crate) https_enabled: bool,
    /// The PEM file of the certificate chain.
    #[serde(rename = "https-certificate")]
    pub(crate) https_certificate: PathBuf,
    /// The PEM file of the private key (the certificate's file when empty, as Kapacitor).
    #[serde(rename = "https-private-key")]
    pub(crate) https_private_key: PathBuf,
}

/// The `[deadman]` table, as kapacitor.conf's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct DeadmanSection {
    /// The interval of the global deadman (`10s`).
    pub(crate) interval: String,
    /// The threshold of the global deadman, in points per interval.
    pub(crate) threshold: f64,
    /// The id of every deadman's alert; `NODE_NAME` is the watched node.
    pub(crate) id: String,
    /// The message of every deadman's alert; `INTERVAL` is the interval.
    pub(crate) message: String,
    /// Whether every task gets a deadman on its source node.
    pub(crate) global: bool,
}

impl Default for DeadmanSection {
    fn default() -> Self {
        let kapacitor = condenser_planner::DeadmanConfig::default();
        Self {
            interval: "10s".into(),
            threshold: kapacitor.threshold,
            id: kapacitor.id,
            message: kapacitor.message,
            global: kapacitor.global,
        }
    }
}

impl DeadmanSection {
    /// The section as the planner takes it.
    pub(crate) fn planner(&self) -> anyhow::Result<condenser_planner::DeadmanConfig> {
        let interval = condenser_model::Duration::parse_go(self.interval.trim())
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("deadman.interval {:?}", self.interval))?;
        if self.global && !interval.is_positive() {
            anyhow::bail!("deadman.interval must be positive");
        }
        Ok(condenser_planner::DeadmanConfig {
            interval: interval.nanos(),
            threshold: self.threshold,
            id: self.id.clone(),
            message: self.message.clone(),
            global: self.global,
        })
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 25_000_000,
            write_timeout: "5s".into(),
            write_queue: 256,
            default_retention_policy: "autogen".into(),
            https_enabled: false,
            https_certificate: PathBuf::new(),
            https_private_key: PathBuf::new(),
        }
    }
}

impl HttpConfig {
    /// The write timeout as a duration.
    pub(crate) fn write_timeout(&self) -> anyhow::Result<Duration> {
        parse_duration(&self.write_timeout)
            .with_context(|| format!("http.write_timeout {:?}", self.write_timeout))
    }
}

/// A duration such as `5s`, `500ms`, `1m30s`, `2h` (Go's, units ns, us, µs, ms, s, m, h);
/// not negative.
pub(crate) fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    condenser_model::Duration::parse_go(text.trim())
        .map_err(anyhow::Error::msg)?
        .to_std()
        .context("a duration may not be negative")
}

/// The sections of kapacitor.conf Condenser has no counterpart for.
const KAPACITOR_ONLY_SECTIONS: [&str; 35] = [
    "auth-kapacitor",
    "azure",
    "collectd",
    "config-override",
    "consul",
    "dns",
    "ec2",
    "file-discovery",
    "fluxtask",
    "gce",
    "hipchat",
    "httppost",
    "kafka",
    "kubernetes",
    "load",
    "logging",
    "marathon",
    "mqtt",
    "nerve",
    "opentsdb",
    "opsgenie",
    "pagerduty",
    "replay",
    "reporting",
    "scraper",
    "serverset",
    "snmptrap",
    "static-discovery",
    "stats",
    "storage",
    "swarm",
    "talk",
    "task",
    "triton",
    "udf",
];

/// The top-level keys of kapacitor.conf Condenser has no counterpart for.
const KAPACITOR_ONLY_KEYS: [&str; 3] = [
    "hostname",
    "skip-config-overrides",
    "default-retention-policy",
];

/// The keys of kapacitor.conf's `[http]` Condenser has no counterpart for (its own
/// `[http]` keys, and the top-level `bind`, are Condenser's).
const KAPACITOR_ONLY_HTTP_KEYS: [&str; 10] = [
    "bind-address",
    "auth-enabled",
    "log-enabled",
    "write-tracing",
    "pprof-enabled",
    "shared-secret",
    "realm",
    "max-body-size",
    "max-concurrent-write-limit",
    "max-enqueued-write-limit",
];

/// The sections Kapacitor's config API shows, each with its redacted options (shown as
/// whether they are set) and the option that names its elements (empty: one element).
const API_SECTIONS: [(&str, &[&str], &str); 14] = [
    ("alerta", &["token"], ""),
    ("bigpanda", &["token"], ""),
    ("discord", &["url"], "workspace"),
    ("opsgenie2", &["api-key"], ""),
    ("pagerduty2", &["routing-key"], ""),
    ("pushover", &["token", "user-key"], ""),
    ("sensu", &[], ""),
    ("servicenow", &["password"], ""),
    ("slack", &["url", "token"], "workspace"),
    ("smtp", &["password"], ""),
    ("teams", &["channel-url"], ""),
    ("telegram", &["token"], ""),
    ("victorops", &["api-key"], ""),
    ("zenoss", &["password"], ""),
];

/// One element of a section of the config API: its id (empty for a section of one), its
/// options (redacted ones as whether they are set), and the names of the redacted ones.
pub(crate) type ApiElement = (
    String,
    serde_json::Map<String, serde_json::Value>,
    Vec<&'static str>,
);

impl Config {
    /// The sections Kapacitor's config API shows, by name, with their elements.
    pub(crate) fn api_sections(&self) -> Vec<(&'static str, Vec<ApiElement>)> {
        let whole = serde_json::to_value(self).unwrap_or_default();
        API_SECTIONS
            .iter()
            .map(|&(name, redacted, element_key)| {
                let values = match whole.get(name) {
                    Some(serde_json::Value::Array(items)) => items.clone(),
                    Some(value) => vec![value.clone()],
                    None => Vec::new(),
                };
                let elements = values
                    .into_iter()
                    .filter_map(|value| match value {
                        serde_json::Value::Object(mut options) => {
                            let mut hidden = Vec::new();
                            for &key in redacted {
                                if let Some(value) = options.get_mut(key) {
                                    let set = value.as_str().is_some_and(|v| !v.is_empty());
                                    *value = serde_json::Value::Bool(set);
                                    hidden.push(key);
                                }
                            }
                            let id = options
                                .get(element_key)
                                .and_then(serde_json::Value::as_str)
                                .unwrap_or_default()
                                .to_owned();
                            Some((id, options, hidden))
                        }
                        _ => None,
                    })
                    .collect();
                (name, elements)
            })
            .collect()
    }
}

/// Removes from a configuration file's `table` the settings of kapacitor.conf that
/// Condenser does not have (so that a user's kapacitor.conf carries over), naming each; a
/// key neither has stays, for the strict reading to refuse by name.
fn drop_kapacitor_only(table: &mut toml::Table) -> Vec<String> {
    let mut dropped = Vec::new();
    for section in KAPACITOR_ONLY_SECTIONS {
        if table.remove(section).is_some() {
            dropped.push(format!("[{section}]"));
        }
    }
    for key in KAPACITOR_ONLY_KEYS {
        if table.remove(key).is_some() {
            dropped.push(key.to_owned());
        }
    }
    if let Some(toml::Value::Table(http)) = table.get_mut("http") {
        for key in KAPACITOR_ONLY_HTTP_KEYS {
            if http.remove(key).is_some() {
                dropped.push(format!("http.{key}"));
            }
        }
    }
    dropped
}

impl Config {
    /// The defaults, overridden by `file` when given, then by `CONDENSER_*` variables. A
    /// setting of kapacitor.conf Condenser does not have is a warning naming it; any other
    /// unknown key is an error naming it.
    pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("reading the configuration file {}", path.display())
                })?;
                let mut table: toml::Table = toml::from_str(&text)
                    .with_context(|| format!("in the configuration file {}", path.display()))?;
                for key in drop_kapacitor_only(&mut table) {
                    tracing::warn!(
                        file = %path.display(),
                        "{key} is a setting of Kapacitor that Condenser does not have; it is ignored"
                    );
                }
                Config::deserialize(table)
                    .with_context(|| format!("in the configuration file {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.http.write_timeout()?;
        config.engine.group_expiry()?;
        config.engine.store(&config.data_dir)?;
        for influxdb in &config.influxdb {
            influxdb.validate()?;
        }
        config.deadman.planner()?;
        config.services().validate()?;
        Ok(config)
    }

    /// The handlers' services, as the `[smtp]`, `[[slack]]`, `[telegram]`, `[pagerduty2]`,
    /// `[opsgenie2]`, `[victorops]`, `[teams]`, `[[discord]]`, `[alerta]`, `[pushover]`,
    /// `[sensu]`, `[servicenow]`, `[bigpanda]` and `[zenoss]` sections configure them.
    pub(crate) fn services(&self) -> ServicesConfig {
        ServicesConfig {
            smtp: self.smtp.clone(),
            slack: self.slack.clone(),
            telegram: self.telegram.clone(),
            pagerduty2: self.pagerduty2.clone(),
            opsgenie2: self.opsgenie2.clone(),
            victorops: self.victorops.clone(),
            teams: self.teams.clone(),
            discord: self.discord.clone(),
            alerta: self.alerta.clone(),
            pushover: self.pushover.clone(),
            sensu: self.sensu.clone(),
            servicenow: self.servicenow.clone(),
            bigpanda: self.bigpanda.clone(),
            zenoss: self.zenoss.clone(),
            api_url: format!("http://{}/kapacitor/v1", self.bind),
        }
    }

    /// Applies the `CONDENSER_*` variables that `var` knows.
    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(dir) = var("CONDENSER_DATA_DIR") {
            self.data_dir = dir.into();
        }
        if let Some(bind) = var("CONDENSER_BIND") {
            self.bind = bind
                .parse()
                .with_context(|| format!("CONDENSER_BIND={bind:?}"))?;
        }
        if let Some(max) = var("CONDENSER_HTTP_MAX_BODY_BYTES") {
            self.http.max_body_bytes = max
                .parse()
                .with_context(|| format!("CONDENSER_HTTP_MAX_BODY_BYTES={max:?}"))?;
        }
        if let Some(timeout) = var("CONDENSER_HTTP_WRITE_TIMEOUT") {
            self.http.write_timeout = timeout;
        }
        if let Some(queue) = var("CONDENSER_HTTP_WRITE_QUEUE") {
            self.http.write_queue = queue
                .parse()
                .with_context(|| format!("CONDENSER_HTTP_WRITE_QUEUE={queue:?}"))?;
        }
        if let Some(expiry) = var("CONDENSER_ENGINE_GROUP_EXPIRY") {
            self.engine.group_expiry = expiry;
        }
        if let Some(retention) = var("CONDENSER_ENGINE_STORE_RETENTION") {
            self.engine.store_retention = retention;
        }
        if let Some(persist) = var("CONDENSER_ENGINE_STORE_PERSIST") {
            self.engine.store_persist = persist
                .parse()
                .with_context(|| format!("CONDENSER_ENGINE_STORE_PERSIST={persist:?}"))?;
        }
        if let Some(bytes) = var("CONDENSER_ENGINE_STORE_MAX_BYTES") {
            self.engine.store_max_bytes = bytes
                .parse()
                .with_context(|| format!("CONDENSER_ENGINE_STORE_MAX_BYTES={bytes:?}"))?;
        }
        if let Some(token) = var("CONDENSER_AUTH_TOKEN") {
            self.auth.token = token;
        }
        if let Some(rp) = var("CONDENSER_HTTP_DEFAULT_RETENTION_POLICY") {
            self.http.default_retention_policy = rp;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_go_style() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let mut config: Config = toml::from_str(
            "bind = \"127.0.0.1:9999\"\n[http]\nmax_body_bytes = 10\n[[udp]]\nbind = \"127.0.0.1:8089\"\ndatabase = \"telegraf\"\n",
        )
        .unwrap();
        assert_eq!(config.bind.port(), 9999);
        assert_eq!(config.http.max_body_bytes, 10);
        assert_eq!(config.http.write_timeout, "5s");
        assert_eq!(config.udp[0].database, "telegraf");
        config
            .apply_env(|name| (name == "CONDENSER_BIND").then(|| "127.0.0.1:1234".to_owned()))
            .unwrap();
        assert_eq!(config.bind.port(), 1234);
    }

    #[test]
    fn kapacitor_s_settings_condenser_lacks_are_dropped_by_name() {
        let mut table: toml::Table = toml::from_str(
            "hostname = \"k\"\ndata_dir = \"/d\"\n[http]\nbind-address = \":9092\"\n\
             write_timeout = \"1s\"\n[logging]\nlevel = \"INFO\"\n[[influxdb]]\nname = \"x\"\n\
             [smtp]\nenabled = true\n",
        )
        .unwrap();
        let dropped = drop_kapacitor_only(&mut table);
        assert_eq!(dropped, ["[logging]", "hostname", "http.bind-address"]);
        let config = Config::deserialize(table).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/d"));
        // kapacitor.conf's [[influxdb]] is Condenser's too.
        assert_eq!(config.influxdb[0].name, "x");
        assert_eq!(config.influxdb[0].urls, ["http://localhost:8086"]);
        assert_eq!(config.http.write_timeout, "1s");
        // What neither has is still refused by name.
        let mut table: toml::Table = toml::from_str("[http]\nnosuch = 1\n").unwrap();
        assert!(drop_kapacitor_only(&mut table).is_empty());
        let error = Config::deserialize(table).unwrap_err().to_string();
        assert!(error.contains("nosuch"), "{error}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = toml::from_str::<Config>("[http]\nmax_body = 1\n").unwrap_err();
        assert!(err.to_string().contains("max_body"), "{err}");
    }

    #[test]
    fn the_printed_configuration_reads_back_the_same() {
        let config = Config::default();
        let text = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<Config>(&text).unwrap(), config);
    }
}
