//! The wall clock as the running task sees it.
//!
//! A few nodes act on real time, not on the data's time, as Kapacitor's do: `barrier`'s
//! idle timers and periods, and `stats`' interval. The task sets the wall-clock time of the
//! call it is making ([`crate::Task::write_at`], [`crate::Task::tick`]) and operators read
//! it with [`now`], so one write sees one time and tests can drive the clock.

use std::cell::Cell;

thread_local! {
    /// The time of the task call running on this thread, nanoseconds since the epoch.
    static NOW: Cell<Option<i64>> = const { Cell::new(None) };
}

/// The wall-clock time now: the system's, in nanoseconds since the Unix epoch.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The wall-clock time of the task call now running (the system's outside of one).
pub fn now() -> i64 {
    NOW.with(|n| n.get()).unwrap_or_else(system_now)
}

/// Runs `f` with the wall clock reading `now`.
pub(crate) fn at<R>(now: i64, f: impl FnOnce() -> R) -> R {
    let previous = NOW.with(|n| n.replace(Some(now)));
    let result = f();
    NOW.with(|n| n.set(previous));
    result
}
