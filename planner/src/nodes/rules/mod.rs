//! The rules Kapacitor checks on a finished pipeline (each node's `validate()`), in
//! Kapacitor's words, given a line and column here because Kapacitor gives none. They read
//! properties by name, as the node resolvers beside them do; `check` runs them, for every
//! node kind Kapacitor has (those Condenser does not run yet included).
//!
//! Properties that are set more than once count as Kapacitor counts them: most keep the
//! last value; `.endpoint()` of `httpPost` and `.exclude()` of `groupBy` add to a list.

use crate::diagnostic::Diagnostic;
use crate::pipeline::{Arg, Node, Pipeline, Value};
use crate::tick::Span;

/// Every rule the pipeline breaks, in node order.
pub(crate) fn validate(pipeline: &Pipeline) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for node in &pipeline.nodes {
        let mut rules = Rules {
            node,
            errors: &mut errors,
        };
        match node.object.go_type {
            "FromNode" => {
                if let Some(setting) = node.setting("GroupBy") {
                    rules.dimensions(&setting.args, setting.span, &[]);
                }
            }
            "GroupByNode" => {
                let excluded: Vec<&Arg> =
                    node.settings_of("Exclude").flat_map(|s| &s.args).collect();
                rules.dimensions(&node.args, node.span, &excluded);
            }
            "WindowNode" => rules.window(),
            "EvalNode" => rules.eval(),
            "HTTPPostNode" => rules.http_post(),
            "KapacitorLoopbackNode" => {
                for (property, what) in [
                    ("Database", "database"),
                    ("RetentionPolicy", "retention policy"),
                ] {
                    if rules.string(property).is_none_or(str::is_empty) {
                        rules.error(
                            node.span,
                            format!("must specify a {what}: add .{}('…')", script(property)),
                        );
                        break;
                    }
                }
            }
            "JoinNode" => rules.prefixes("join", node.parents.len(), "joined streams", true),
            "CombineNode" => {
                rules.prefixes("combine", node.args.len(), "combine expressions", false)
            }
            "DefaultNode" => rules.default(),
            "BarrierNode" => rules.barrier(),
            "SampleNode" => {
                if let Some(arg) = node.args.first()
                    && !matches!(arg.value, Value::Int(_) | Value::Duration(_))
                {
                    rules.error(
                        arg.span,
                        format!(
                            "sample() takes a count (an integer) or a duration, got {}",
                            arg.value.describe()
                        ),
                    );
                }
            }
            "K8sAutoscaleNode" => rules.autoscale("ResourceName", "ResourceNameTag", true),
            "SwarmAutoscaleNode" => rules.autoscale("ServiceName", "ServiceNameTag", false),
            "Ec2AutoscaleNode" => rules.autoscale("GroupName", "GroupNameTag", false),
            "AlertNode" => rules.alert(),
            _ => {}
        }
    }
    errors
}

/// How a script writes a property.
fn script(property: &str) -> String {
    crate::catalog::script_name(property)
}

struct Rules<'a> {
    node: &'a Node,
    errors: &'a mut Vec<Diagnostic>,
}

impl Rules<'_> {
    fn error(&mut self, span: Span, message: String) {
        self.errors.push(Diagnostic::error(span, message));
    }

    /// Where to point for a property: its last setting, or the node.
    fn span_of(&self, property: &str) -> Span {
        self.node
            .setting(property)
            .map_or(self.node.span, |s| s.span)
    }

    fn last_arg(&self, property: &str) -> Option<&Value> {
        self.node
            .setting(property)
            .and_then(|s| s.args.first())
            .map(|a| &a.value)
    }

    fn string(&self, property: &str) -> Option<&str> {
        match self.last_arg(property) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    fn duration(&self, property: &str) -> i64 {
        match self.last_arg(property) {
            Some(Value::Duration(d)) => *d,
            _ => 0,
        }
    }

    fn int(&self, property: &str) -> Option<i64> {
        match self.last_arg(property) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    fn flag(&self, property: &str) -> bool {
        self.node.setting(property).is_some()
    }

    /// The string arguments of the last setting of a list property (`.as('a', 'b')`).
    fn names(&self, property: &str) -> Vec<(&str, Span)> {
        self.node
            .setting(property)
            .map(|s| {
                s.args
                    .iter()
                    .filter_map(|a| match &a.value {
                        Value::String(v) => Some((v.as_str(), a.span)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn dimensions(&mut self, dimensions: &[Arg], span: Span, excluded: &[&Arg]) {
        let mut star = false;
        for arg in dimensions {
            match &arg.value {
                Value::String(s) if s.is_empty() => {
                    self.error(
                        arg.span,
                        "dimensions cannot not be the empty string".to_owned(),
                    );
                    return;
                }
                Value::String(_) => {}
                Value::Star => star = true,
                other => {
                    self.error(
                        arg.span,
                        format!(
                            "invalid dimension {}: group by tag names ('host') or by * (all tags)",
                            other.describe()
                        ),
                    );
                    return;
                }
            }
        }
        if star && dimensions.len() > 1 {
            self.error(
                span,
                "cannot group by both '*' and named dimensions.".to_owned(),
            );
        } else if !star && let Some(first) = excluded.first() {
            self.error(
                first.span,
                "exclude requires '*': write groupBy(*).exclude(…)".to_owned(),
            );
        }
    }

    fn window(&mut self) {
        let period_count = self.int("PeriodCount").unwrap_or(0);
        if period_count == 0 {
            return;
        }
        let at = self.span_of("PeriodCount");
        if self.duration("Period") != 0 {
            self.error(at, "cannot specify both period and periodCount".to_owned());
        } else if self.flag("Align") {
            self.error(
                self.span_of("Align"),
                "can only align windows based off time, not count".to_owned(),
            );
        } else if self.int("EveryCount").unwrap_or(0) <= 0 {
            self.error(
                self.span_of("EveryCount"),
                "everyCount must be greater than zero when periodCount is set".to_owned(),
            );
        }
    }

    fn eval(&mut self) {
        let names = self.names("As");
        let expressions = self.node.args.len();
        if names.len() != expressions {
            self.error(
                self.span_of("As"),
                format!(
                    "must specify same number of expressions and .as() names: got {} as names, \
                     and {expressions} expressions.",
                    names.len()
                ),
            );
            return;
        }
        for (tag, span) in self.names("Tags") {
            if !names.iter().any(|(name, _)| *name == tag) {
                self.error(
                    span,
                    format!("invalid tag name {tag:?}, name is not present in .as() names"),
                );
                return;
            }
        }
    }

    fn http_post(&mut self) {
        let urls = self.node.args.len();
        let endpoints: Vec<Span> = self.node.settings_of("Endpoint").map(|s| s.span).collect();
        if urls > 1 {
            self.error(
                self.node.span,
                format!("httpPost expects 0 or 1 arguments, got {urls}"),
            );
        } else if endpoints.len() > 1 {
            self.error(
                endpoints[1],
                format!("httpPost expects 0 or 1 endpoints, got {}", endpoints.len()),
            );
        } else if urls == 0 && endpoints.is_empty() {
            self.error(self.node.span, "must provide url or endpoint".to_owned());
        } else if urls == 1 && !endpoints.is_empty() {
            self.error(
                endpoints[0],
                "only one endpoint and url may be specified".to_owned(),
            );
        } else {
            let settings = self.node.settings.clone();
            self.no_authenticate_header(&settings);
        }
    }

    fn no_authenticate_header(&mut self, settings: &[super::Setting]) {
        for setting in settings.iter().filter(|s| s.name == "Header") {
            if let Some(Arg {
                value: Value::String(key),
                span,
                ..
            }) = setting.args.first()
                && key.eq_ignore_ascii_case("authenticate")
            {
                self.error(*span, "cannot set 'authenticate' header".to_owned());
                return;
            }
        }
    }

    /// The `.as()` prefixes of join and combine.
    fn prefixes(&mut self, node: &str, expected: usize, what: &str, skip_empty_delimiter: bool) {
        let names = self.names("As");
        if names.is_empty() {
            self.error(
                self.node.span,
                format!("a call to {node}.as() is required to specify the output stream prefixes."),
            );
            return;
        }
        if names.len() != expected {
            self.error(
                self.span_of("As"),
                format!(
                    "number of prefixes specified by {node}.as() must match the number of {what} \
                     (got {} names for {expected})",
                    names.len()
                ),
            );
            return;
        }
        let delimiter = self.string("Delimiter").unwrap_or(".").to_owned();
        for (i, (name, span)) in names.iter().enumerate() {
            if name.is_empty() {
                self.error(
                    *span,
                    format!(
                        "must provide a prefix name for the {node} node, see .as() property method"
                    ),
                );
                return;
            }
            if (!skip_empty_delimiter || !delimiter.is_empty()) && name.contains(delimiter.as_str())
            {
                self.error(
                    *span,
                    format!("cannot use name {name} as field prefix, it contains the delimiter {delimiter:?}"),
                );
                return;
            }
            if names[..i].iter().any(|(other, _)| other == name) {
                self.error(
                    *span,
                    "cannot use the same prefix name see .as() property method".to_owned(),
                );
                return;
            }
        }
    }

    fn default(&mut self) {
        for setting in self.node.settings_of("Field") {
            if let [
                Arg {
                    value: Value::String(field),
                    ..
                },
                value,
            ] = setting.args.as_slice()
                && !matches!(
                    value.value,
                    Value::Float(_) | Value::Int(_) | Value::Bool(_) | Value::String(_)
                )
            {
                self.errors.push(Diagnostic::error(
                    value.span,
                    format!(
                        "unsupported type {} for field {field:?}, field default values must be float,int,string or bool",
                        value.value.describe()
                    ),
                ));
                return;
            }
        }
    }

    fn barrier(&mut self) {
        let (idle, period) = (self.duration("Idle"), self.duration("Period"));
        if idle != 0 && period != 0 {
            self.error(
                self.span_of("Period"),
                "cannot specify both idle and period".to_owned(),
            );
        } else if period == 0 && idle <= 0 {
            self.error(
                self.span_of("Idle"),
                "idle must be greater than zero: set .idle(…) or .period(…)".to_owned(),
            );
        } else if period <= 0 && idle == 0 {
            self.error(
                self.span_of("Period"),
                "period must be greater than zero".to_owned(),
            );
        }
    }

    fn autoscale(&mut self, name: &str, name_tag: &str, kubernetes: bool) {
        let given = [name, name_tag]
            .iter()
            .filter(|p| self.string(p).is_some_and(|s| !s.is_empty()))
            .count();
        if given != 1 {
            self.error(
                self.node.span,
                format!("must specify exactly one of {name} or {name_tag}"),
            );
            return;
        }
        if kubernetes {
            let kind = self.string("Kind").unwrap_or("deployments");
            if !matches!(
                kind,
                "deployments" | "replicasets" | "replicationcontrollers"
            ) {
                self.error(
                    self.span_of("Kind"),
                    format!("invalid Kind, must be 'deployments', 'replicasets' or 'replicationcontrollers', got {kind}"),
                );
                return;
            }
        }
        let min = self.int("Min").unwrap_or(1);
        if min < 1 {
            self.error(self.span_of("Min"), format!("min must be >= 1, got {min}"));
        } else if self.node.setting("Replicas").is_none() {
            self.error(
                self.node.span,
                "must provide a replicas lambda expression: add .replicas(lambda: …)".to_owned(),
            );
        }
    }

    fn alert(&mut self) {
        for handler in &self.node.handlers {
            match handler.object.go_type {
                "SNMPTrapHandler" => {
                    let oid = handler
                        .settings
                        .iter()
                        .rev()
                        .find(|s| s.name == "TrapOid")
                        .and_then(|s| s.args.first())
                        .or(handler.args.first());
                    if matches!(oid, Some(Arg { value: Value::String(s), .. }) if s.is_empty()) {
                        self.errors.push(Diagnostic::error(
                            handler.span,
                            "invalid SNMP trap \"\": you must supply a trap Oid".to_owned(),
                        ));
                        return;
                    }
                    for data in handler.settings.iter().filter(|s| s.name == "Data") {
                        if let [
                            Arg {
                                value: Value::String(oid),
                                ..
                            },
                            Arg {
                                value: Value::String(kind),
                                span,
                                ..
                            },
                            ..,
                        ] = data.args.as_slice()
                            && !matches!(kind.as_str(), "c" | "i" | "n" | "s" | "t")
                        {
                            self.errors.push(Diagnostic::error(
                                *span,
                                format!("unsupported data type {kind:?} for data entry {oid:?} (use c, i, n, s or t)"),
                            ));
                            return;
                        }
                    }
                }
                "AlertHTTPPostHandler" => {
                    let settings = handler.settings.clone();
                    self.no_authenticate_header(&settings);
                }
                _ => {}
            }
        }
    }
}
