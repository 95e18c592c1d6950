//! `.sensu()`: each event written to a Sensu client's socket as Kapacitor's
//! `services/sensu` writes it: one JSON line of a check result named by the alert's id,
//! with the rendered source, the message as the output, the level as the status (0 for OK
//! and INFO, 1, 2), the Sensu handlers and the script's metadata; the client must answer
//! `ok` and close.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::SensuHandlerSpec;
use condenser_model::template::Template;

use crate::config::{SensuConfig, ServicesConfig};
use crate::{Failure, Handler};

/// How long connecting, writing and reading the answer may each take. Kapacitor waits
/// forever; a bound keeps a silent client from holding the worker for good.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Writes events to Sensu.
#[derive(Debug)]
pub struct SensuHandler {
    section: SensuConfig,
    source: Template,
    handlers: Vec<String>,
    metadata: BTreeMap<String, serde_json::Value>,
}

impl SensuHandler {
    /// A handler for `spec` with the `[sensu]` section of `services`; an error when the
    /// source is not a template.
    pub fn new(spec: &SensuHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let metadata = spec
            .metadata
            .iter()
            .map(|(key, value)| {
                let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
                (key.clone(), value)
            })
            .collect();
        Ok(Self {
            section: services.sensu.clone(),
            source: Template::parse(&spec.source)
                .map_err(|e| format!("invalid source template: {e}"))?,
            handlers: spec.handlers.clone(),
            metadata,
        })
    }

    /// The result as Kapacitor writes it: a map, so its keys are sorted, the metadata among
    /// them (never replacing the standard keys).
    fn result(&self, name: &str, source: &str, published: &TopicEvent) -> String {
        let status = match published.event.level {
            Level::Ok | Level::Info => 0,
            Level::Warning => 1,
            Level::Critical => 2,
        };
        let handlers = match self.handlers.as_slice() {
            [] => self.section.handlers.clone().map(serde_json::Value::from),
            own => Some(serde_json::Value::from(own.to_vec())),
        };
        let source = match source {
            "" => self.section.source.as_str(),
            source => source,
        };
        let mut result = BTreeMap::from([
            ("handlers", handlers.unwrap_or(serde_json::Value::Null)),
            ("name", name.into()),
            ("output", published.event.message.as_str().into()),
            ("source", source.into()),
            ("status", status.into()),
        ]);
        for (key, value) in &self.metadata {
            result.entry(key).or_insert_with(|| value.clone());
        }
        let mut line = condenser_model::go_json::to_string(&result);
        line.push('\n');
        line
    }
}

/// Whether `name` is one Sensu takes: `^[\w\.-]+$`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Writes `line` to `addr` and reads the answer until the client closes.
fn exchange(addr: &str, line: &str) -> Result<String, Failure> {
    // Go's `net.ResolveTCPAddr` refuses an address without a port in its own words.
    let has_port = match addr.rsplit_once(':') {
        Some((host, _)) => !host.contains(':') || host.starts_with('['),
        None => false,
    };
    if !has_port {
        return Err(Failure::permanent(format!(
            "address {addr}: missing port in address"
        )));
    }
    let io = |e: std::io::Error| Failure::transient(format!("sensu {addr}: {e}"));
    let target = addr
        .to_socket_addrs()
        .map_err(io)?
        .next()
        .ok_or_else(|| Failure::transient(format!("sensu {addr}: no address")))?;
    let mut stream = TcpStream::connect_timeout(&target, TIMEOUT).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.write_all(line.as_bytes()).map_err(io)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(io)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

impl Handler for SensuHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let source = self
            .source
            .render(&crate::event_data::template_data(published))
            .map_err(|e| {
                Failure::permanent(format!("failed to evaluate Sensu source template: {e}"))
            })?;
        // Kapacitor checks the name first, even with the service off; its default id
        // (`{{ .Name }}:{{ .Group }}`) never passes.
        let name = &published.event.id;
        if !valid_name(name) {
            return Err(Failure::permanent(format!(
                "invalid name {name:?} for sensu alert. Must match ^[\\w\\.-]+$"
            )));
        }
        if !self.section.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let answer = exchange(&self.section.addr, &self.result(name, &source, published))?;
        if answer != "ok" {
            return Err(Failure::permanent(format!("sensu socket error: {answer}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_word_characters_dots_and_dashes() {
        assert!(valid_name("kapacitor.cpu.serverA-1_x"));
        assert!(!valid_name("cpu:nil"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
    }
}
