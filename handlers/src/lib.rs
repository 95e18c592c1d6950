//! Alert handlers.
//!
//! In: alert events from the engine, over bounded crossbeam channels. Out: deliveries to
//! SMTP, Slack, Telegram, PagerDuty and the other services Kapacitor speaks to, each retried
//! from a durable outbox. Handlers are built from validated configs when a task is defined.
//!
//! This crate is filled in with alerts; until then it exposes nothing.
