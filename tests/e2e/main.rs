//! End-to-end tests: the real `condenser` executable, driven over loopback by real clients.
//!
//! One test binary; each module covers one area, [`cases`] the engine's golden cases.
//! [`daemon::Daemon`] starts `condenser serve` on an ephemeral port with its own data
//! directory and stops it when dropped.

mod cases;
mod cli;
mod daemon;
mod influxdb;
#[path = "../../handlers/tests/support/mod.rs"]
mod receiver;
mod script;
mod tasks;
mod write;
