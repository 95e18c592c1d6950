//! `.log(path)`: each event's JSON (as Kapacitor writes it) appended to a file as one line;
//! the file is opened for each event (so it may be rotated away) and created with the
//! handler's mode (default `0600`).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use condenser_model::alert::TopicEvent;
use condenser_model::handler::LogHandlerSpec;

use crate::{Failure, Handler};

/// Appends events to a file.
#[derive(Debug)]
pub struct LogHandler {
    spec: LogHandlerSpec,
}

impl LogHandler {
    /// A handler writing where `spec` says.
    pub fn new(spec: &LogHandlerSpec) -> Self {
        Self { spec: spec.clone() }
    }
}

impl Handler for LogHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let event = &published.event;
        let line = event.to_json_line();
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(self.spec.mode)
            .open(&self.spec.path)
            .and_then(|mut file| file.write_all(line.as_bytes()))
            .map_err(|e| Failure::transient(format!("writing {}: {e}", self.spec.path)))
    }
}
