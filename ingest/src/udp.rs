//! UDP listeners: each datagram is one line-protocol body for the listener's database.
//!
//! As with InfluxDB's UDP service, there is nobody to answer: bad lines are counted in
//! `/metrics` and logged, good lines are kept, and a datagram that the engine cannot take
//! within the hand-off timeout is counted as refused and logged.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use condenser_model::Precision;
use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::write::{WriteTarget, Writer, now_nanos};
use crate::{Error, Result};

/// One UDP listener (`[[udp]]` in the configuration file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UdpConfig {
    /// The address to listen on, e.g. `127.0.0.1:8089`.
    pub bind: SocketAddr,
    /// The database every datagram is written to.
    pub database: String,
    /// The retention policy (default: the daemon's default retention policy).
    #[serde(default)]
    pub retention_policy: Option<String>,
    /// The timestamp precision of the datagrams (`n`, `u`, `ms`, `s`, `m`, `h`; default `n`).
    #[serde(default)]
    pub precision: Option<String>,
}

/// Binds `config.bind` and serves it until the returned task is aborted; also returns the
/// address actually bound (useful with port 0).
pub async fn spawn(
    config: &UdpConfig,
    default_retention_policy: &str,
    writer: Writer,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let listen_error = |source| Error::Listen {
        addr: config.bind.to_string(),
        source,
    };
    let precision: Precision = config.precision.as_deref().unwrap_or("n").parse().map_err(
        |err: condenser_model::Error| {
            listen_error(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                err.to_string(),
            ))
        },
    )?;
    let socket = UdpSocket::bind(config.bind).await.map_err(listen_error)?;
    let addr = socket.local_addr().map_err(listen_error)?;
    let target = WriteTarget {
        db: config.database.as_str().into(),
        rp: Arc::from(
            config
                .retention_policy
                .as_deref()
                .unwrap_or(default_retention_policy),
        ),
        precision,
    };
    tracing::info!(%addr, db = %target.db, "UDP listener started");
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        loop {
            let len = match socket.recv_from(&mut buf).await {
                Ok((len, _)) => len,
                Err(err) => {
                    tracing::warn!(%addr, error = %err, "UDP receive failed");
                    continue;
                }
            };
            let body = Bytes::copy_from_slice(&buf[..len]);
            let now = now_nanos();
            match writer.write(&target, body, now).await {
                Ok(report) => {
                    for error in report.rejected.iter().take(10) {
                        tracing::warn!(%addr, db = %target.db, %error, "UDP line rejected");
                    }
                }
                Err(err) => {
                    tracing::warn!(%addr, db = %target.db, error = %err, "UDP write refused")
                }
            }
        }
    });
    Ok((addr, task))
}
