//! `window()`: batches of each group's points by time or by count.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties};
use crate::Diagnostic;

/// The resolved properties of a `window()` node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowSpec {
    /// `.period()`: how much time a window spans.
    pub period: Duration,
    /// `.every()`: how often a window is emitted (zero: at every point).
    pub every: Duration,
    /// `.align()`: windows start and end on multiples of `every`.
    pub align: bool,
    /// `.fillPeriod()`: the first window waits until a whole period has passed.
    pub fill_period: bool,
    /// `.periodCount()`: a window of this many points instead of a time period (0: by time).
    pub period_count: i64,
    /// `.everyCount()`: emit every this many points.
    pub every_count: i64,
}

impl WindowSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let spec = WindowSpec {
            period: props.duration("Period").unwrap_or_default(),
            every: props.duration("Every").unwrap_or_default(),
            align: props.flag("Align"),
            fill_period: props.flag("FillPeriod"),
            period_count: props.int("PeriodCount").unwrap_or_default(),
            every_count: props.int("EveryCount").unwrap_or_default(),
        };
        if spec.period.is_zero() && spec.period_count == 0 {
            return Err(Diagnostic::error(
                props.span(),
                "window node must have either a non zero period or non zero period count",
            ));
        }
        Ok(spec)
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |n: &i64| (*n != 0).then_some(*n);
        let (period_count, every_count) = (count(&self.period_count), count(&self.every_count));
        Call::new(f, "window", &[])
            .duration("period", self.period)
            .duration("every", self.every)
            .flag("align", self.align)
            .flag("fillPeriod", self.fill_period)
            .opt(
                "periodCount",
                period_count.as_ref().map(|n| n as &dyn fmt::Display),
            )
            .opt(
                "everyCount",
                every_count.as_ref().map(|n| n as &dyn fmt::Display),
            )
            .end()
    }
}
