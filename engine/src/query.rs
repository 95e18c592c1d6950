//! Runs a batch task's `query()` on the embedded [`Store`], giving what Kapacitor's query
//! node gives from InfluxDB's answer: one batch per series.
//!
//! As Kapacitor runs a query: over `[start, stop)` (and the query's own time bounds), grouped
//! by the node's `.groupBy()` (which replaces the query's `GROUP BY`), filled as `.fill()`
//! says (else as the query's `fill()`). As InfluxDB answers one: a series per measurement
//! and values of the group-by tags (a point without a tag has it empty), its points in time
//! order; raw fields, or per time bucket (or over the whole range) each function's value
//! (InfluxQL's reducers, the engine's own), at the bucket's start, at the point's time for a
//! single selector over the whole range, at their points' for `top()` and `bottom()`; an
//! empty bucket filled. As Kapacitor reads the answer: every number a float, a null no
//! field, a row without a field no point, the batch's time its last point's when grouped by
//! time, else `stop`.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use condenser_model::schema::ColumnRole;
use condenser_planner::influxql::{
    BinaryOp, Expr, Fill, MeasurementName, Query, ReferenceKind, SelectField, TimeBound, plan,
};
use condenser_planner::nodes::{InfluxQlFunction, InfluxQlSpec, QueryDimension, QuerySpec};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::message::{Batch, Group, role, tag_value};
use crate::operators::http_out::json_value;
use crate::operators::influxql::reduce_rows;
use crate::peers::Peers;
use crate::points::{concat_points, times};
use crate::recording::{BatchPoint, record_batch};
use crate::store::Store;

pub use condenser_planner::influxql::plan::DEFAULT_RETENTION_POLICY;

/// Runs `spec`'s query on `store` over `[start, stop)`, the wall clock reading `now` (for
/// `now()` in its `WHERE`): a batch per series.
pub fn run(spec: &QuerySpec, store: &Store, start: i64, stop: i64, now: i64) -> Result<Vec<Batch>> {
    let (Some(query), Some(plan)) = (spec.influxql.as_ref(), spec.plan.as_ref()) else {
        return Err(Error::Data(
            "a Flux query cannot run in Condenser: only InfluxQL queries do".to_owned(),
        ));
    };
    // The plan is the contract: its select node and, per source, a scan under a filter.
    let select = plan::select_of(plan)
        .ok_or_else(|| Error::internal("a query's plan without its InfluxQL node"))?;
    let (lo, hi) = bounds(&select.time_bounds, start, stop, now);
    let dims = Dims::of(&select.dimensions, select.align_group, start);
    let fill = select.fill;
    let fields = &select.fields;
    let mut batches = Vec::new();
    if lo >= hi {
        return Ok(batches);
    }
    for input in &select.inputs {
        let (table, predicate) = plan::source_of(input)
            .ok_or_else(|| Error::internal("a query's source that is no store table"))?;
        let mut condition = predicate.map(|expr| {
            crate::expr::Lambda::new(&condenser_planner::nodes::Lambda {
                expr: expr.clone(),
                text: query
                    .condition
                    .as_ref()
                    .map_or_else(|| expr.to_string(), |c| c.text.clone()),
            })
        });
        if table.database.is_empty() {
            return Err(Error::Data(format!(
                "the query's measurement {:?} names no database: write \"db\".\"rp\".\"measurement\"",
                table.measurement
            )));
        }
        let matches: Box<dyn Fn(&str) -> bool> = match &table.measurement {
            MeasurementName::Name(name) => {
                let name = name.clone();
                Box::new(move |m| m == name)
            }
            MeasurementName::Regex(pattern) => {
                let regex = regex::Regex::new(pattern)
                    .map_err(|e| Error::Data(format!("bad regex /{pattern}/: {e}")))?;
                Box::new(move |m| regex.is_match(m))
            }
        };
        for scanned in store.scan(&table.database, &table.retention_policy, &*matches, lo, hi) {
            let data = sorted_by_time(&concat_points(&scanned.batches)?)?;
            let data = match &mut condition {
                Some(lambda) => {
                    let (keep, _) = lambda.mask(&data, Vec::new)?;
                    arrow::compute::filter_record_batch(&data, &keep)?
                }
                None => data,
            };
            for (tags, rows) in series(&data, &dims) {
                let series_data = take(&data, &rows)?;
                let points = if fields.iter().any(|f| !f.expr.calls().is_empty()) {
                    aggregate(fields, &series_data, &dims, fill, lo, hi)?
                } else {
                    raw(fields, &series_data, &dims)?
                };
                batches.push(series_batch(
                    spec,
                    &scanned.measurement,
                    tags,
                    points,
                    dims.time.is_some(),
                    stop,
                )?);
            }
        }
    }
    Ok(batches)
}

/// One series of an answer as the batch Kapacitor's query node makes of it: its points
/// with the series' tags, grouped by them (and by measurement with
/// `.groupByMeasurement()`), at its last point's time when grouped by time, else at `stop`.
fn series_batch(
    spec: &QuerySpec,
    name: &Arc<str>,
    tags: BTreeMap<String, String>,
    points: Vec<BatchPoint>,
    by_time: bool,
    stop: i64,
) -> Result<Batch> {
    let tmax = match points.iter().map(|p| p.time).max() {
        Some(last) if by_time => last,
        _ => stop,
    };
    let group = Group::new(
        tags.clone().into_iter().collect(),
        spec.group_by_measurement.then(|| name.to_string()),
    );
    let points: Vec<BatchPoint> = points
        .into_iter()
        .map(|p| BatchPoint {
            tags: tags.clone(),
            ..p
        })
        .collect();
    Ok(Batch {
        name: Arc::clone(name),
        group: Arc::new(group),
        tmax,
        data: record_batch(&points)?,
    })
}

/// Runs `spec`'s query on the InfluxDB `peers` has for it (the one `.cluster()` names, or
/// the default one where the query's database lives), else on `store`.
pub fn run_on(
    spec: &QuerySpec,
    peers: Option<&dyn Peers>,
    store: &Store,
    start: i64,
    stop: i64,
    now: i64,
) -> Result<Vec<Batch>> {
    let Some(query) = spec.influxql.as_ref() else {
        return run(spec, store, start, stop, now);
    };
    let db = query
        .select
        .sources
        .first()
        .and_then(|s| s.database.clone())
        .unwrap_or_default();
    let answer = match peers {
        Some(peers) => peers.query(&spec.cluster, &db, &influxql_text(spec, query, start, stop)),
        None => None,
    };
    match answer {
        Some(Ok(answer)) => batches_of_answer(spec, &answer, stop),
        Some(Err(error)) => Err(Error::External {
            service: "InfluxDB".into(),
            message: error,
        }),
        None if !spec.cluster.is_empty() => Err(Error::Data(format!(
            "no InfluxDB named {:?} is configured",
            spec.cluster
        ))),
        None => run(spec, store, start, stop, now),
    }
}

/// The query as Kapacitor sends it to InfluxDB for one run: its fields and sources, its
/// condition and the run's range, the node's `.groupBy()` and fill.
pub fn influxql_text(spec: &QuerySpec, query: &Query, start: i64, stop: i64) -> String {
    use condenser_planner::influxql::ast::quote_ident;
    let select = &query.select;
    let fields: Vec<String> = select
        .fields
        .iter()
        .map(|f| match &f.alias {
            Some(alias) => format!("{} AS {}", f.expr, quote_ident(alias)),
            None => f.expr.to_string(),
        })
        .collect();
    let sources: Vec<String> = select
        .sources
        .iter()
        .map(|m| {
            let name = match &m.name {
                MeasurementName::Name(name) => quote_ident(name),
                MeasurementName::Regex(pattern) => format!("/{}/", pattern.replace('/', "\\/")),
            };
            match (&m.database, &m.retention_policy) {
                (Some(db), Some(rp)) => format!("{}.{}.{name}", quote_ident(db), quote_ident(rp)),
                (Some(db), None) => format!("{}..{name}", quote_ident(db)),
                (None, Some(rp)) => format!("{}.{name}", quote_ident(rp)),
                (None, None) => name,
            }
        })
        .collect();
    let range = format!(
        "time >= '{}' AND time < '{}'",
        condenser_model::time::rfc3339_nano(start),
        condenser_model::time::rfc3339_nano(stop)
    );
    let condition = match &select.condition {
        Some(condition) => format!("({condition}) AND {range}"),
        None => range,
    };
    let mut text = format!(
        "SELECT {} FROM {} WHERE {condition}",
        fields.join(", "),
        sources.join(", ")
    );
    // The grouping and fill the plan resolved (the node's, else the query's).
    if let Some(plan) = spec.plan.as_ref().and_then(plan::select_of) {
        let dims: Vec<String> = plan
            .dimensions
            .iter()
            .map(|d| match d {
                QueryDimension::Tag(tag) => quote_ident(tag),
                QueryDimension::Star => "*".to_owned(),
                QueryDimension::Time { length, offset } => {
                    let offset = if plan.align_group {
                        start % length.nanos().max(1)
                    } else {
                        offset.nanos()
                    };
                    format!("time({}ns, {offset}ns)", length.nanos())
                }
            })
            .collect();
        if !dims.is_empty() {
            text.push_str(" GROUP BY ");
            text.push_str(&dims.join(", "));
        }
        if plan.fill != Fill::Null {
            text.push_str(&format!(" {}", plan.fill));
        }
    }
    text
}

/// InfluxDB's JSON answer (times in nanoseconds, `epoch=ns`) as Kapacitor's query node reads
/// it: a batch per series.
pub fn batches_of_answer(spec: &QuerySpec, answer: &Value, stop: i64) -> Result<Vec<Batch>> {
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        return Err(Error::External {
            service: "InfluxDB".into(),
            message: error.to_owned(),
        });
    }
    let by_time = spec
        .group_by
        .iter()
        .any(|d| matches!(d, QueryDimension::Time { .. }));
    let mut batches = Vec::new();
    for result in answer["results"].as_array().into_iter().flatten() {
        if let Some(error) = result.get("error").and_then(Value::as_str) {
            return Err(Error::External {
                service: "InfluxDB".into(),
                message: error.to_owned(),
            });
        }
        for series in result["series"].as_array().into_iter().flatten() {
            let name: Arc<str> = Arc::from(series["name"].as_str().unwrap_or_default());
            let tags: BTreeMap<String, String> = series["tags"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let columns: Vec<&str> = series["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c.as_str().unwrap_or_default())
                .collect();
            let mut points = Vec::new();
            for row in series["values"].as_array().into_iter().flatten() {
                let mut time = 0;
                let mut fields = BTreeMap::new();
                for (column, value) in columns.iter().zip(row.as_array().into_iter().flatten()) {
                    if *column == "time" {
                        time = match value {
                            Value::String(text) => condenser_model::time::parse_rfc3339(text)
                                .ok_or_else(|| {
                                    Error::Data(format!("unexpected time format: {text}"))
                                })?,
                            other => other.as_i64().ok_or_else(|| {
                                Error::Data(format!("unexpected time value: {other}"))
                            })?,
                        };
                    } else if !value.is_null() {
                        fields.insert((*column).to_owned(), number(value.clone()));
                    }
                }
                if !fields.is_empty() {
                    points.push(BatchPoint {
                        time,
                        tags: BTreeMap::new(),
                        fields,
                    });
                }
            }
            batches.push(series_batch(spec, &name, tags, points, by_time, stop)?);
        }
    }
    Ok(batches)
}

/// `[start, stop)` narrowed by the query's own time bounds.
fn bounds(time_bounds: &[TimeBound], start: i64, stop: i64, now: i64) -> (i64, i64) {
    let (mut lo, mut hi) = (start, stop);
    for bound in time_bounds {
        let t = bound.value.at(now);
        match bound.op {
            BinaryOp::Gt => lo = lo.max(t.saturating_add(1)),
            BinaryOp::GtEq => lo = lo.max(t),
            BinaryOp::Lt => hi = hi.min(t),
            BinaryOp::LtEq => hi = hi.min(t.saturating_add(1)),
            _ => {
                lo = lo.max(t);
                hi = hi.min(t.saturating_add(1));
            }
        }
    }
    (lo, hi)
}

/// What the result is grouped by.
struct Dims {
    tags: Vec<String>,
    star: bool,
    /// Time buckets: length and offset.
    time: Option<(i64, i64)>,
}

impl Dims {
    fn of(dimensions: &[QueryDimension], align_group: bool, start: i64) -> Dims {
        let mut dims = Dims {
            tags: Vec::new(),
            star: false,
            time: None,
        };
        for dimension in dimensions {
            match dimension {
                QueryDimension::Tag(tag) => dims.tags.push(tag.clone()),
                QueryDimension::Star => dims.star = true,
                QueryDimension::Time { length, offset } => {
                    let length = length.nanos().max(1);
                    // alignGroup: buckets start where the range does.
                    let offset = if align_group {
                        start % length
                    } else {
                        offset.nanos()
                    };
                    dims.time = Some((length, offset));
                }
            }
        }
        dims
    }

    /// The start of the bucket `t` falls in.
    fn bucket(&self, t: i64) -> i64 {
        match self.time {
            Some((length, offset)) => (t - offset).div_euclid(length) * length + offset,
            None => t,
        }
    }
}

/// `data`'s rows in time order (equal times keep their order).
fn sorted_by_time(data: &RecordBatch) -> Result<RecordBatch> {
    let point_times = times(data)?;
    if point_times.windows(2).all(|w| w[0] <= w[1]) {
        return Ok(data.clone());
    }
    let mut order: Vec<usize> = (0..data.num_rows()).collect();
    order.sort_by_key(|&row| point_times[row]);
    take(data, &order)
}

fn take(data: &RecordBatch, rows: &[usize]) -> Result<RecordBatch> {
    if rows.len() == data.num_rows() && rows.iter().enumerate().all(|(i, r)| i == *r) {
        return Ok(data.clone());
    }
    let indices: UInt32Array = rows.iter().map(|&r| r as u32).collect();
    Ok(arrow::compute::take_record_batch(data, &indices)?)
}

/// The rows of each series, by the values of the group-by tags, series in tag order.
fn series(data: &RecordBatch, dims: &Dims) -> Vec<(BTreeMap<String, String>, Vec<usize>)> {
    let schema = data.schema();
    let mut keys: Vec<String> = dims.tags.clone();
    if dims.star {
        for (i, field) in schema.fields().iter().enumerate() {
            if role(&schema, i) == ColumnRole::Tag && !keys.contains(field.name()) {
                keys.push(field.name().clone());
            }
        }
    }
    keys.sort();
    keys.dedup();
    let columns: Vec<Option<ArrayRef>> = keys
        .iter()
        .map(|k| {
            schema
                .index_of(k)
                .ok()
                .filter(|&i| role(&schema, i) == ColumnRole::Tag)
                .map(|i| Arc::clone(data.column(i)))
        })
        .collect();
    let mut by_tags: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for row in 0..data.num_rows() {
        let values: Vec<String> = columns
            .iter()
            .map(|c| {
                c.as_ref()
                    .and_then(|c| tag_value(c, row))
                    .unwrap_or_default()
            })
            .collect();
        by_tags.entry(values).or_default().push(row);
    }
    by_tags
        .into_iter()
        .map(|(values, rows)| (keys.iter().cloned().zip(values).collect(), rows))
        .collect()
}

/// The names of the selected columns, as InfluxDB names them: the alias, a function's
/// name, a field expression's first field; repeated names get `_1`, `_2`, ….
fn column_names(fields: &[SelectField]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for field in fields {
        let base = field.alias.clone().unwrap_or_else(|| match &field.expr {
            Expr::Call { name, .. } => name.clone(),
            expr => {
                let mut first = None;
                expr.walk(&mut |e| {
                    if let Expr::Reference { name, .. } = e {
                        first = first.take().or(Some(name.clone()));
                    }
                });
                first.unwrap_or_else(|| "value".to_owned())
            }
        });
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// A raw query's points: each row with a value of a selected column.
fn raw(selected: &[SelectField], data: &RecordBatch, dims: &Dims) -> Result<Vec<BatchPoint>> {
    let schema = data.schema();
    let point_times = times(data)?;
    let names = column_names(selected);
    let mut points = Vec::new();
    for (row, &time) in point_times.iter().enumerate() {
        let mut fields = BTreeMap::new();
        for (field, name) in selected.iter().zip(&names) {
            if field.expr == Expr::Wildcard {
                for (i, f) in schema.fields().iter().enumerate() {
                    let wanted = match role(&schema, i) {
                        ColumnRole::Field => true,
                        ColumnRole::Tag => !dims.tags.contains(f.name()) && !dims.star,
                        _ => false,
                    };
                    let value = json_value(data.column(i), row);
                    if wanted && !value.is_null() {
                        fields.insert(f.name().clone(), value);
                    }
                }
                continue;
            }
            let value = evaluate(&field.expr, data, row);
            if !value.is_null() {
                fields.insert(name.clone(), value);
            }
        }
        if !fields.is_empty() {
            points.push(BatchPoint {
                time,
                tags: BTreeMap::new(),
                fields,
            });
        }
    }
    Ok(points)
}

/// A selected field expression's value in `row`: a field or tag, or arithmetic over them
/// (numbers as floats, as Kapacitor reads them); null where a value is missing.
fn evaluate(expr: &Expr, data: &RecordBatch, row: usize) -> Value {
    match expr {
        Expr::Reference { name, kind } => {
            let schema = data.schema();
            let column = schema.fields().iter().enumerate().find(|(i, f)| {
                f.name() == name
                    && match (kind, role(&schema, *i)) {
                        (Some(ReferenceKind::Tag), r) => r == ColumnRole::Tag,
                        (Some(ReferenceKind::Field), r) => r == ColumnRole::Field,
                        (None, r) => matches!(r, ColumnRole::Field | ColumnRole::Tag),
                    }
            });
            column.map_or(Value::Null, |(i, _)| {
                number(json_value(data.column(i), row))
            })
        }
        Expr::Integer(n) => number(Value::from(*n)),
        Expr::Number(n) => number(Value::from(*n)),
        Expr::Binary { op, lhs, rhs } => {
            let (Some(a), Some(b)) = (
                evaluate(lhs, data, row).as_f64(),
                evaluate(rhs, data, row).as_f64(),
            ) else {
                return Value::Null;
            };
            let result = match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                BinaryOp::Div if b == 0.0 => 0.0,
                BinaryOp::Div => a / b,
                _ => return Value::Null,
            };
            number(Value::from(result))
        }
        _ => Value::Null,
    }
}

/// A number as a float, as Kapacitor reads InfluxDB's answers; other values as they are.
fn number(value: Value) -> Value {
    match value.as_f64() {
        Some(f) if value.is_number() => {
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        _ => value,
    }
}

/// One selected function: its reducer's spec.
fn function_spec(
    name: &str,
    args: &[Expr],
    column: &str,
    point_times: bool,
) -> Result<InfluxQlSpec> {
    let field = match args.first() {
        Some(Expr::Reference { name, .. }) => name.clone(),
        _ => {
            return Err(Error::Data(format!(
                "{name}() of something other than a field cannot run"
            )));
        }
    };
    let int = |i: usize| match args.get(i) {
        Some(Expr::Integer(n)) => *n,
        _ => 0,
    };
    let function = match name {
        name if let Some(function) = InfluxQlFunction::of_field(name) => function,
        "percentile" => InfluxQlFunction::Percentile(match args.get(1) {
            Some(Expr::Integer(n)) => *n as f64,
            Some(Expr::Number(n)) => *n,
            _ => 0.0,
        }),
        "top" => InfluxQlFunction::Top {
            n: int(args.len() - 1),
            fields_and_tags: Vec::new(),
        },
        "bottom" => InfluxQlFunction::Bottom {
            n: int(args.len() - 1),
            fields_and_tags: Vec::new(),
        },
        other => return Err(Error::Data(format!("function {other}() cannot run"))),
    };
    Ok(InfluxQlSpec {
        function,
        field,
        as_name: column.to_owned(),
        use_point_times: point_times,
    })
}

/// An aggregating query's points: per time bucket (or over the whole range), each
/// function's value, empty buckets filled.
fn aggregate(
    fields: &[SelectField],
    data: &RecordBatch,
    dims: &Dims,
    fill: Fill,
    lo: i64,
    hi: i64,
) -> Result<Vec<BatchPoint>> {
    let names = column_names(fields);
    let calls: Vec<(&str, &[Expr])> = fields
        .iter()
        .filter_map(|f| match &f.expr {
            Expr::Call { name, args } => Some((name.as_str(), args.as_slice())),
            _ => None,
        })
        .collect();
    // A lone selector over the whole range keeps its point's time; top() and bottom() keep
    // their points' always.
    let single = calls.len() == 1;
    let point_times = |name: &str| {
        matches!(name, "top" | "bottom")
            || (single
                && dims.time.is_none()
                && condenser_planner::influxql::SELECTORS.contains(&name))
    };
    let specs: Vec<InfluxQlSpec> = calls
        .iter()
        .zip(&names)
        .map(|((name, args), column)| function_spec(name, args, column, point_times(name)))
        .collect::<Result<_>>()?;
    let point_time = times(data)?;
    // The buckets and their rows (rows are in time order).
    let mut buckets: Vec<(i64, std::ops::Range<usize>)> = Vec::new();
    match dims.time {
        None => buckets.push((lo, 0..data.num_rows())),
        Some((length, _)) => {
            let mut row = 0;
            let mut bucket = dims.bucket(lo);
            while bucket < hi {
                let end_time = bucket.saturating_add(length);
                let first = row;
                while row < point_time.len() && point_time[row] < end_time {
                    row += 1;
                }
                buckets.push((bucket, first..row));
                bucket = end_time;
            }
        }
    }
    // Each column's values by bucket: the rows the function gave.
    let mut columns: Vec<Vec<Vec<(i64, Value)>>> = Vec::new();
    for spec in &specs {
        let mut by_bucket = Vec::with_capacity(buckets.len());
        for (time, rows) in &buckets {
            if rows.is_empty() {
                by_bucket.push(Vec::new());
                continue;
            }
            let slice = data.slice(rows.start, rows.len());
            by_bucket.push(
                reduce_rows(spec, &slice, *time)?
                    .into_iter()
                    .map(|(t, v)| (t, number(v)))
                    .collect(),
            );
        }
        columns.push(by_bucket);
    }
    fill_buckets(&mut columns, &specs, &buckets, fill);
    let mut points = Vec::new();
    if single {
        // InfluxDB gives each bucket's rows in time order (top() and bottom() pick by rank).
        for rows in &mut columns[0] {
            rows.sort_by_key(|(time, _)| *time);
        }
        for rows in &columns[0] {
            for (time, value) in rows {
                if !value.is_null() {
                    points.push(BatchPoint {
                        time: *time,
                        tags: BTreeMap::new(),
                        fields: BTreeMap::from([(specs[0].as_name.clone(), value.clone())]),
                    });
                }
            }
        }
        return Ok(points);
    }
    for (index, (time, _)) in buckets.iter().enumerate() {
        let mut fields = BTreeMap::new();
        for (spec, column) in specs.iter().zip(&columns) {
            if let Some((_, value)) = column[index].first()
                && !value.is_null()
            {
                fields.insert(spec.as_name.clone(), value.clone());
            }
        }
        if !fields.is_empty() {
            points.push(BatchPoint {
                time: *time,
                tags: BTreeMap::new(),
                fields,
            });
        }
    }
    Ok(points)
}

/// Fills each column's empty buckets as `fill` says (InfluxDB fills each function apart):
/// null (a count is 0), none, a number, the previous bucket's value, or a value on the line
/// between the buckets around.
fn fill_buckets(
    columns: &mut [Vec<Vec<(i64, Value)>>],
    specs: &[InfluxQlSpec],
    buckets: &[(i64, std::ops::Range<usize>)],
    fill: Fill,
) {
    for (column, spec) in columns.iter_mut().zip(specs) {
        let count = matches!(spec.function, InfluxQlFunction::Count);
        let filled: Vec<Option<Value>> = (0..column.len())
            .map(|i| {
                if !column[i].is_empty() {
                    return None;
                }
                match fill {
                    Fill::None => None,
                    Fill::Null if count => Some(Value::from(0.0)),
                    Fill::Null => Some(Value::Null),
                    Fill::Number(n) => Some(number(Value::from(n))),
                    Fill::Previous => Some(
                        column[..i]
                            .iter()
                            .rev()
                            .find_map(|rows| rows.last().map(|(_, v)| v.clone()))
                            .unwrap_or(Value::Null),
                    ),
                    Fill::Linear => {
                        let before = column[..i].iter().enumerate().rev().find_map(|(j, rows)| {
                            rows.last().and_then(|(_, v)| v.as_f64()).map(|v| (j, v))
                        });
                        let after = column[i + 1..].iter().enumerate().find_map(|(j, rows)| {
                            rows.first()
                                .and_then(|(_, v)| v.as_f64())
                                .map(|v| (i + 1 + j, v))
                        });
                        Some(match (before, after) {
                            (Some((j, a)), Some((k, b))) => {
                                let value = a + (b - a) * (i - j) as f64 / (k - j) as f64;
                                number(Value::from(value))
                            }
                            _ => Value::Null,
                        })
                    }
                }
            })
            .collect();
        for (i, value) in filled.into_iter().enumerate() {
            if let Some(value) = value {
                column[i] = vec![(buckets[i].0, value)];
            }
        }
    }
}
