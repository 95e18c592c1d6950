//! The wall clock as the engine reads it.
//!
//! A few nodes act on real time, not on the data's time, as Kapacitor's do: `barrier`'s
//! idle timers and periods, and `stats`' interval. Whoever runs a task says what time each
//! call is made at ([`crate::Task::write_at`], [`crate::Task::tick`]), and operators read it
//! from their [`Context`](crate::operators::Context), so one write sees one time and tests
//! drive the clock.

/// The wall-clock time now: the system's, in nanoseconds since the Unix epoch.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
