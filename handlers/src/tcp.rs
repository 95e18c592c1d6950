//! `.tcp(address)`: each event's JSON written to a new connection, followed by one more
//! newline than the JSON line has (as Kapacitor writes it).

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use condenser_model::alert::TopicEvent;
use condenser_model::handler::TcpHandlerSpec;

use crate::{Failure, Handler};

/// How long connecting and writing may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Writes events to a TCP address.
#[derive(Debug)]
pub struct TcpHandler {
    spec: TcpHandlerSpec,
}

impl TcpHandler {
    /// A handler connecting where `spec` says.
    pub fn new(spec: &TcpHandlerSpec) -> Self {
        Self { spec: spec.clone() }
    }
}

impl Handler for TcpHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let event = &published.event;
        let mut payload = event.to_json_line();
        payload.push('\n');
        let failure =
            |e: std::io::Error| Failure::transient(format!("tcp {}: {e}", self.spec.address));
        let address = std::net::ToSocketAddrs::to_socket_addrs(&self.spec.address)
            .map_err(failure)?
            .next()
            .ok_or_else(|| {
                Failure::permanent(format!("tcp {}: no such address", self.spec.address))
            })?;
        let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(failure)?;
        stream.set_write_timeout(Some(TIMEOUT)).map_err(failure)?;
        stream.write_all(payload.as_bytes()).map_err(failure)
    }
}
