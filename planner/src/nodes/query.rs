//! `batch|query('SELECT …')` and `batch|queryFlux('…')`: a batch task's sources, a query run
//! on a schedule (`.every()` or `.cron()`) over the last `.period()`, its result handed on
//! as one batch per group.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, Quoted};
use crate::Diagnostic;
use crate::pipeline::{Arg, Value};

/// The language of a batch query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    /// `query()`: InfluxQL.
    InfluxQl,
    /// `queryFlux()`: Flux.
    Flux,
}

/// One dimension a query's result is grouped by (`.groupBy(time(10s), 'host')`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryDimension {
    /// A tag.
    Tag(String),
    /// `*`: every tag.
    Star,
    /// `time(length, offset)`: time buckets.
    Time {
        /// The buckets' length.
        length: Duration,
        /// Their offset.
        offset: Duration,
    },
}

/// `.fill()`: what a time bucket without points holds.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryFill {
    /// `'null'`: a row of nulls.
    Null,
    /// `'none'`: no row.
    None,
    /// `'previous'`: the previous bucket's values.
    Previous,
    /// `'linear'`: values interpolated between the buckets around it.
    Linear,
    /// A number.
    Number(f64),
}

/// The resolved properties of a `query()` or `queryFlux()` node.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    /// InfluxQL or Flux.
    pub language: QueryLanguage,
    /// The query as the script gives it (`.queryStr()` replaces it).
    pub text: String,
    /// The InfluxQL query, parsed and checked (`None` for Flux, which Condenser does not
    /// read: a replay hands the node recorded results).
    pub influxql: Option<crate::influxql::Query>,
    /// The InfluxQL query lowered with the node's grouping and fill: the DataFusion plan the
    /// engine runs on the embedded store ([`crate::influxql::plan`]).
    pub plan: Option<datafusion_expr::LogicalPlan>,
    /// `.period()`: how far back each run queries.
    pub period: Duration,
    /// `.every()`: how often it runs (zero with `.cron()`).
    pub every: Duration,
    /// `.align()`: runs fall on multiples of `every`.
    pub align: bool,
    /// `.cron()`: when it runs, as a cron expression (empty with `.every()`).
    pub cron: String,
    /// `.offset()`: how far before each run's time its range ends.
    pub offset: Duration,
    /// `.alignGroup()`: time buckets are aligned on the query's range (InfluxQL only).
    pub align_group: bool,
    /// `.groupBy()`: the dimensions added to the query's `GROUP BY` (InfluxQL only).
    pub group_by: Vec<QueryDimension>,
    /// `.groupByMeasurement()`: batches are grouped by measurement too (InfluxQL only).
    pub group_by_measurement: bool,
    /// `.fill()`: what empty time buckets hold (InfluxQL only).
    pub fill: Option<QueryFill>,
    /// `.cluster()`: which configured InfluxDB to query (empty: the default).
    pub cluster: String,
    /// `.org()` / `.orgID()`: the organization of a Flux query.
    pub org: String,
    /// `.orgID()`.
    pub org_id: String,
}

impl QuerySpec {
    pub(super) fn resolve(
        props: &mut Properties<'_>,
        language: QueryLanguage,
    ) -> Result<Self, Diagnostic> {
        let span = props.span();
        let error = |message: String| Diagnostic::error(span, message);
        let text = match props.string("QueryStr") {
            Some(text) => text,
            None => props
                .args()
                .first()
                .and_then(super::string_of)
                .map(str::to_owned)
                .unwrap_or_default(),
        };
        let influxql = language == QueryLanguage::InfluxQl;
        let parsed = match language {
            QueryLanguage::InfluxQl => Some(crate::influxql::parse(&text).map_err(|e| {
                let span = props.args().first().map_or(span, |a| a.span);
                Diagnostic::error(span, format!("invalid query: {e}"))
            })?),
            QueryLanguage::Flux => None,
        };
        let mut spec = QuerySpec {
            language,
            text,
            influxql: parsed,
            plan: None,
            period: props.duration("Period").unwrap_or_default(),
            every: props.duration("Every").unwrap_or_default(),
            align: props.flag("Align"),
            cron: props.string("Cron").unwrap_or_default(),
            offset: props.duration("Offset").unwrap_or_default(),
            align_group: influxql && props.flag("AlignGroup"),
            group_by: Vec::new(),
            group_by_measurement: influxql && props.flag("GroupByMeasurement"),
            fill: None,
            cluster: props.string("Cluster").unwrap_or_default(),
            org: String::new(),
            org_id: String::new(),
        };
        if influxql {
            if let Some(setting) = props.last("GroupBy") {
                spec.group_by = dimensions(&setting.args)?;
            }
            if let Some(setting) = props.last("Fill") {
                spec.fill = Some(fill(&setting.args)?);
            }
        } else {
            spec.org = props.string("Org").unwrap_or_default();
            spec.org_id = props.string("OrgID").unwrap_or_default();
        }
        if let Some(query) = &spec.influxql {
            spec.plan = Some(
                spec.lower(query)
                    .map_err(|e| error(format!("invalid query: {e}")))?,
            );
        }
        // Kapacitor's checks as it starts the node.
        if !spec.every.is_zero() && !spec.cron.is_empty() {
            return Err(error(
                "must not set both 'every' and 'cron' properties".to_owned(),
            ));
        }
        if spec.every.nanos() < 0 {
            return Err(error("'every' duration must must non-negative".to_owned()));
        }
        if spec.every.is_zero() && spec.cron.is_empty() {
            return Err(error("must define one of 'every' or 'cron'".to_owned()));
        }
        if spec.text.trim().is_empty() {
            return Err(error(format!("{}() needs a query", spec.name())));
        }
        Ok(spec)
    }

    /// `query` lowered with the node's `.groupBy()` (which replaces the query's), `.fill()`
    /// (else the query's) and `.alignGroup()`.
    pub fn lower(
        &self,
        query: &crate::influxql::Query,
    ) -> Result<datafusion_expr::LogicalPlan, crate::influxql::QueryError> {
        use crate::influxql::Fill;
        let fill = match &self.fill {
            Some(QueryFill::Null) => Fill::Null,
            Some(QueryFill::None) => Fill::None,
            Some(QueryFill::Previous) => Fill::Previous,
            Some(QueryFill::Linear) => Fill::Linear,
            Some(QueryFill::Number(n)) => Fill::Number(*n),
            None => query.select.fill,
        };
        crate::influxql::plan::lower(query, &self.group_by, fill, self.align_group)
    }

    /// Kapacitor's name of the node kind.
    pub fn name(&self) -> &'static str {
        match self.language {
            QueryLanguage::InfluxQl => "query",
            QueryLanguage::Flux => "queryFlux",
        }
    }
}

/// The dimensions `.groupBy(…)` names: tags, `*`, at most one `time(…)`.
fn dimensions(args: &[Arg]) -> Result<Vec<QueryDimension>, Diagnostic> {
    let mut out = Vec::new();
    let mut push = |value: &Value, span| -> Result<(), Diagnostic> {
        match value {
            Value::String(tag) => out.push(QueryDimension::Tag(tag.clone())),
            Value::Star => out.push(QueryDimension::Star),
            Value::TimeDimension { length, offset } => {
                if out.iter().any(|d| matches!(d, QueryDimension::Time { .. })) {
                    return Err(Diagnostic::error(
                        span,
                        "groupBy cannot have more than one time dimension",
                    ));
                }
                out.push(QueryDimension::Time {
                    length: Duration::from_nanos(*length),
                    offset: Duration::from_nanos(*offset),
                });
            }
            other => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "invalid dimension type: {}, must be a string, * or time(…)",
                        other.describe()
                    ),
                ));
            }
        }
        Ok(())
    };
    for arg in args {
        match &arg.value {
            Value::List(items) => {
                for item in items {
                    push(item, arg.span)?;
                }
            }
            value => push(value, arg.span)?,
        }
    }
    Ok(out)
}

/// The fill `.fill(…)` names.
fn fill(args: &[Arg]) -> Result<QueryFill, Diagnostic> {
    let Some(arg) = args.first() else {
        return Ok(QueryFill::Null);
    };
    match &arg.value {
        Value::String(option) => match option.as_str() {
            "null" => Ok(QueryFill::Null),
            "none" => Ok(QueryFill::None),
            "previous" => Ok(QueryFill::Previous),
            "linear" => Ok(QueryFill::Linear),
            other => Err(Diagnostic::error(
                arg.span,
                format!("unexpected fill option {other}"),
            )),
        },
        Value::Int(n) => Ok(QueryFill::Number(*n as f64)),
        Value::Float(n) => Ok(QueryFill::Number(*n)),
        other => Err(Diagnostic::error(
            arg.span,
            format!(
                "unexpected fill option {}: 'null', 'none', 'previous', 'linear' or a number",
                other.describe()
            ),
        )),
    }
}

impl fmt::Display for QueryDimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryDimension::Tag(tag) => Quoted(tag).fmt(f),
            QueryDimension::Star => f.write_str("*"),
            QueryDimension::Time { length, offset } if offset.is_zero() => {
                write!(f, "time({length})")
            }
            QueryDimension::Time { length, offset } => write!(f, "time({length}, {offset})"),
        }
    }
}

impl fmt::Display for QueryFill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryFill::Null => f.write_str("'null'"),
            QueryFill::None => f.write_str("'none'"),
            QueryFill::Previous => f.write_str("'previous'"),
            QueryFill::Linear => f.write_str("'linear'"),
            QueryFill::Number(n) => write!(f, "{n}"),
        }
    }
}

impl fmt::Display for QuerySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dimensions: Vec<&dyn fmt::Display> = self
            .group_by
            .iter()
            .map(|d| d as &dyn fmt::Display)
            .collect();
        let text = Quoted(&self.text);
        let cron = (!self.cron.is_empty()).then(|| Quoted(&self.cron));
        let cluster = (!self.cluster.is_empty()).then(|| Quoted(&self.cluster));
        let org = (!self.org.is_empty()).then(|| Quoted(&self.org));
        let org_id = (!self.org_id.is_empty()).then(|| Quoted(&self.org_id));
        let mut call = Call::new(f, self.name(), &[&text])
            .duration("period", self.period)
            .duration("every", self.every)
            .flag("align", self.align)
            .opt("cron", cron.as_ref().map(|c| c as &dyn fmt::Display))
            .duration("offset", self.offset)
            .flag("alignGroup", self.align_group);
        if !dimensions.is_empty() {
            call = call.prop("groupBy", &dimensions);
        }
        call.flag("groupByMeasurement", self.group_by_measurement)
            .opt("fill", self.fill.as_ref().map(|x| x as &dyn fmt::Display))
            .opt("cluster", cluster.as_ref().map(|c| c as &dyn fmt::Display))
            .opt("org", org.as_ref().map(|c| c as &dyn fmt::Display))
            .opt("orgID", org_id.as_ref().map(|c| c as &dyn fmt::Display))
            .end()
    }
}
