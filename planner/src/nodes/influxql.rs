//! The InfluxQL functions (`count()`, `mean()`, `top()`, `difference()`, `holtWinters()`,
//! …): one node kind, Kapacitor's `InfluxQLNode`, told apart by its function.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, Quoted, string_of, strings_of, unsupported};
use crate::Diagnostic;
use crate::pipeline::Value;

/// `holtWinters(field, h, m, interval)` and `holtWintersWithFit(…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoltWintersSpec {
    /// How many values to forecast.
    pub h: i64,
    /// The seasonal pattern's length in points (0: no seasonality).
    pub m: i64,
    /// The spacing of the points the forecast assumes.
    pub interval: Duration,
    /// `holtWintersWithFit`: the fitted values of the input come first.
    pub with_fit: bool,
}

/// Which InfluxQL function a node applies, with the function's own arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum InfluxQlFunction {
    /// The number of points with the field.
    Count,
    /// Each distinct value once (a batch).
    Distinct,
    /// The arithmetic mean.
    Mean,
    /// The middle value.
    Median,
    /// The most frequent value.
    Mode,
    /// Largest minus smallest.
    Spread,
    /// The sum.
    Sum,
    /// The earliest point (a selector).
    First,
    /// The latest point (a selector).
    Last,
    /// The smallest value (a selector).
    Min,
    /// The largest value (a selector).
    Max,
    /// The point at a percentile of the values (a selector).
    Percentile(f64),
    /// The `n` largest values (a batch), with the named tags and fields of their points.
    Top {
        /// How many.
        n: i64,
        /// Tags and fields named after the field: Kapacitor reads them into auxiliary
        /// values of its reducer that no output shows, so they change no result (the chosen
        /// points keep all their tags either way).
        fields_and_tags: Vec<String>,
    },
    /// The `n` smallest values (a batch).
    Bottom {
        /// How many.
        n: i64,
        /// As for top: no result depends on them.
        fields_and_tags: Vec<String>,
    },
    /// The sample standard deviation.
    Stddev,
    /// The time between consecutive points, in units.
    Elapsed(Duration),
    /// The difference between consecutive values.
    Difference,
    /// The mean of the last `n` values.
    MovingAverage(i64),
    /// The running sum.
    CumulativeSum,
    /// A Holt-Winters forecast (a batch).
    HoltWinters(HoltWintersSpec),
}

impl InfluxQlFunction {
    /// The function's name as a script calls it.
    pub fn name(&self) -> &'static str {
        match self {
            InfluxQlFunction::Count => "count",
            InfluxQlFunction::Distinct => "distinct",
            InfluxQlFunction::Mean => "mean",
            InfluxQlFunction::Median => "median",
            InfluxQlFunction::Mode => "mode",
            InfluxQlFunction::Spread => "spread",
            InfluxQlFunction::Sum => "sum",
            InfluxQlFunction::First => "first",
            InfluxQlFunction::Last => "last",
            InfluxQlFunction::Min => "min",
            InfluxQlFunction::Max => "max",
            InfluxQlFunction::Percentile(_) => "percentile",
            InfluxQlFunction::Top { .. } => "top",
            InfluxQlFunction::Bottom { .. } => "bottom",
            InfluxQlFunction::Stddev => "stddev",
            InfluxQlFunction::Elapsed(_) => "elapsed",
            InfluxQlFunction::Difference => "difference",
            InfluxQlFunction::MovingAverage(_) => "movingAverage",
            InfluxQlFunction::CumulativeSum => "cumulativeSum",
            InfluxQlFunction::HoltWinters(hw) if hw.with_fit => "holtWintersWithFit",
            InfluxQlFunction::HoltWinters(_) => "holtWinters",
        }
    }
}

/// The resolved properties of an InfluxQL function node.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluxQlSpec {
    /// The function.
    pub function: InfluxQlFunction,
    /// The field it reads (`.field()` sets it again).
    pub field: String,
    /// `.as()`: the output field (default: the function's name; `holtWinters` for both
    /// Holt-Winters functions).
    pub as_name: String,
    /// `.usePointTimes()`: selectors keep their points' times.
    pub use_point_times: bool,
}

impl InfluxQlFunction {
    /// The function of `name` that takes a field alone (`mean`, `count`, `max`, `stddev`,
    /// …), as TICKscript and InfluxQL name them.
    pub fn of_field(name: &str) -> Option<InfluxQlFunction> {
        Some(match name {
            "count" => InfluxQlFunction::Count,
            "distinct" => InfluxQlFunction::Distinct,
            "mean" => InfluxQlFunction::Mean,
            "median" => InfluxQlFunction::Median,
            "mode" => InfluxQlFunction::Mode,
            "spread" => InfluxQlFunction::Spread,
            "stddev" => InfluxQlFunction::Stddev,
            "sum" => InfluxQlFunction::Sum,
            "first" => InfluxQlFunction::First,
            "last" => InfluxQlFunction::Last,
            "min" => InfluxQlFunction::Min,
            "max" => InfluxQlFunction::Max,
            _ => return None,
        })
    }
}

impl InfluxQlSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let node = props.node();
        let args = props.args();
        let int = |i: usize| match args.get(i).map(|a| &a.value) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        };
        // top(n, field, …) and bottom(n, field, …) name the field second.
        let field_arg = usize::from(matches!(node.name.as_str(), "top" | "bottom"));
        let field = args.get(field_arg).and_then(string_of).map(str::to_owned);
        let function = match node.name.as_str() {
            name if let Some(function) = InfluxQlFunction::of_field(name) => function,
            "percentile" => match args.get(1).map(|a| &a.value) {
                Some(Value::Float(p)) => InfluxQlFunction::Percentile(*p),
                _ => InfluxQlFunction::Percentile(0.0),
            },
            "top" | "bottom" => {
                let n = int(0);
                let fields_and_tags = strings_of(&args[2.min(args.len())..]);
                if node.name == "top" {
                    InfluxQlFunction::Top { n, fields_and_tags }
                } else {
                    InfluxQlFunction::Bottom { n, fields_and_tags }
                }
            }
            "elapsed" => InfluxQlFunction::Elapsed(
                args.get(1)
                    .and_then(super::duration_of)
                    .unwrap_or(Duration::SECOND),
            ),
            "difference" => InfluxQlFunction::Difference,
            "movingAverage" => InfluxQlFunction::MovingAverage(int(1)),
            "cumulativeSum" => InfluxQlFunction::CumulativeSum,
            "holtWinters" | "holtWintersWithFit" => {
                InfluxQlFunction::HoltWinters(HoltWintersSpec {
                    h: int(1),
                    m: int(2),
                    interval: args.get(3).and_then(super::duration_of).unwrap_or_default(),
                    with_fit: node.name == "holtWintersWithFit",
                })
            }
            other => {
                return Err(unsupported(
                    node.span,
                    format!("the InfluxQL function {other}()"),
                ));
            }
        };
        let default_as = match &function {
            InfluxQlFunction::HoltWinters(_) => "holtWinters",
            function => function.name(),
        };
        let Some(field) = props.string("Field").or(field) else {
            return Err(unsupported(
                node.span,
                format!("{}() without a field name", node.name),
            ));
        };
        Ok(InfluxQlSpec {
            as_name: props.string("As").unwrap_or_else(|| default_as.to_owned()),
            use_point_times: props.flag("UsePointTimes"),
            field,
            function,
        })
    }
}

impl fmt::Display for InfluxQlSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = Quoted(&self.field);
        let call = match &self.function {
            InfluxQlFunction::Percentile(p) => {
                Call::new(f, self.function.name(), &[&field, &format!("{p:?}")])
            }
            InfluxQlFunction::Top { n, fields_and_tags }
            | InfluxQlFunction::Bottom { n, fields_and_tags } => {
                let extra: Vec<Quoted<'_>> = fields_and_tags.iter().map(|s| Quoted(s)).collect();
                let mut args: Vec<&dyn fmt::Display> = vec![n, &field];
                args.extend(extra.iter().map(|q| q as &dyn fmt::Display));
                Call::new(f, self.function.name(), &args)
            }
            InfluxQlFunction::Elapsed(unit) => Call::new(f, "elapsed", &[&field, unit]),
            InfluxQlFunction::MovingAverage(n) => Call::new(f, "movingAverage", &[&field, n]),
            InfluxQlFunction::HoltWinters(hw) => Call::new(
                f,
                self.function.name(),
                &[&field, &hw.h, &hw.m, &hw.interval],
            ),
            function => Call::new(f, function.name(), &[&field]),
        };
        let default_as = match &self.function {
            InfluxQlFunction::HoltWinters(_) => "holtWinters",
            function => function.name(),
        };
        let as_name = Quoted(&self.as_name);
        call.opt(
            "as",
            (self.as_name != default_as).then_some(&as_name as &dyn fmt::Display),
        )
        .flag("usePointTimes", self.use_point_times)
        .end()
    }
}
