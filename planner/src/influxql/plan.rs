//! A batch query lowered to a DataFusion logical plan, the contract the engine runs: per
//! `FROM` source a `TableScan` of a [`StoreTable`] (a measurement, or the measurements a regex
//! names, of a database and retention policy), under it the query's `WHERE` (less its time
//! bounds) as a DataFusion `Filter`, over them the [`InfluxQlSelect`] extension node with
//! what InfluxQL computes: the selected fields or functions, the group-by dimensions, the
//! fill, the time bounds.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, SchemaRef};
use datafusion_common::{DFSchema, DFSchemaRef, TableReference};
use datafusion_expr::logical_plan::{Extension, LogicalPlan, LogicalPlanBuilder};
use datafusion_expr::{Expr, TableSource, UserDefinedLogicalNodeCore};

use super::ast::{Fill, MeasurementName, SelectField};
use super::{Query, QueryError, TimeBound};
use crate::nodes::QueryDimension;

/// The retention policy of a source that names none.
pub const DEFAULT_RETENTION_POLICY: &str = "autogen";

/// A table of the embedded store (or of an InfluxDB): one measurement, or those a regex
/// matches, of a database and retention policy. Its columns are `time` and every column
/// the query reads, typed when points arrive (`Null` here, as a task's source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreTable {
    /// The database (empty when the query names none).
    pub database: String,
    /// The retention policy.
    pub retention_policy: String,
    /// The measurement or the pattern.
    pub measurement: MeasurementName,
    schema: SchemaRef,
}

impl TableSource for StoreTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

/// What InfluxQL computes over its sources' filtered points.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluxQlSelect {
    /// The selected fields, expressions or functions, with their names.
    pub fields: Vec<SelectField>,
    /// The group-by dimensions (the node's `.groupBy()`, which replaces the query's).
    pub dimensions: Vec<QueryDimension>,
    /// What empty time buckets hold.
    pub fill: Fill,
    /// Buckets aligned on each run's start (`.alignGroup()`).
    pub align_group: bool,
    /// The bounds the query's own `WHERE` sets on time.
    pub time_bounds: Vec<TimeBound>,
    /// One plan per source: its scan, under its filter.
    pub inputs: Vec<LogicalPlan>,
    schema: DFSchemaRef,
}

impl Eq for InfluxQlSelect {}

impl Hash for InfluxQlSelect {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inputs.hash(state);
        self.fields.len().hash(state);
    }
}

impl PartialOrd for InfluxQlSelect {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.inputs.len().partial_cmp(&other.inputs.len())
    }
}

impl UserDefinedLogicalNodeCore for InfluxQlSelect {
    fn name(&self) -> &str {
        "InfluxQL"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.inputs.iter().collect()
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    /// `InfluxQL: mean(value) AS m GROUP BY time(10s), 'host' fill(none)`.
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InfluxQL: ")?;
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", field.expr)?;
            if let Some(alias) = &field.alias {
                write!(f, " AS {}", super::ast::quote_ident(alias))?;
            }
        }
        if !self.dimensions.is_empty() {
            f.write_str(" GROUP BY ")?;
            for (i, dimension) in self.dimensions.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{dimension}")?;
            }
        }
        match self.fill {
            Fill::Null => Ok(()),
            fill => write!(f, " {fill}"),
        }
    }

    fn with_exprs_and_inputs(
        &self,
        _exprs: Vec<Expr>,
        inputs: Vec<LogicalPlan>,
    ) -> datafusion_common::Result<Self> {
        Ok(Self {
            inputs,
            ..self.clone()
        })
    }
}

/// The plan of `query`, grouped by `dimensions` and filled as `fill` says.
pub fn lower(
    query: &Query,
    dimensions: &[QueryDimension],
    fill: Fill,
    align_group: bool,
) -> Result<LogicalPlan, QueryError> {
    let plan_error = |e: datafusion_common::DataFusionError| {
        QueryError::new(0, format!("the query cannot be planned: {e}"))
    };
    let mut columns: Vec<String> = Vec::new();
    if let Some(condition) = &query.condition {
        crate::plan::expr::referenced_columns(&condition.expr, &mut columns);
    }
    let schema = crate::plan::source_schema(&columns);
    let mut inputs = Vec::new();
    for source in &query.select.sources {
        let table = StoreTable {
            database: source.database.clone().unwrap_or_default(),
            retention_policy: source
                .retention_policy
                .clone()
                .unwrap_or_else(|| DEFAULT_RETENTION_POLICY.to_owned()),
            measurement: source.name.clone(),
            schema: Arc::clone(&schema),
        };
        let name = match &source.name {
            MeasurementName::Name(name) => name.clone(),
            MeasurementName::Regex(pattern) => format!("/{pattern}/"),
        };
        let reference =
            TableReference::full(table.database.clone(), table.retention_policy.clone(), name);
        let mut builder =
            LogicalPlanBuilder::scan(reference, Arc::new(table), None).map_err(plan_error)?;
        if let Some(condition) = &query.condition {
            builder = builder.filter(condition.expr.clone()).map_err(plan_error)?;
        }
        inputs.push(builder.build().map_err(plan_error)?);
    }
    let mut outputs = vec![Field::new(
        "time",
        condenser_model::schema::time_data_type(),
        false,
    )];
    for field in &query.select.fields {
        let name = field
            .alias
            .clone()
            .unwrap_or_else(|| field.expr.to_string());
        if !outputs.iter().any(|f| *f.name() == name) {
            outputs.push(Field::new(name, DataType::Null, true));
        }
    }
    let schema = DFSchema::from_unqualified_fields(Fields::from(outputs), Default::default())
        .map_err(plan_error)?;
    Ok(LogicalPlan::Extension(Extension {
        node: Arc::new(InfluxQlSelect {
            fields: query.select.fields.clone(),
            dimensions: dimensions.to_vec(),
            fill,
            align_group,
            time_bounds: query.time_bounds.clone(),
            inputs,
            schema: Arc::new(schema),
        }),
    }))
}

/// The select node of a query's plan.
pub fn select_of(plan: &LogicalPlan) -> Option<&InfluxQlSelect> {
    match plan {
        LogicalPlan::Extension(extension) => extension.node.as_any().downcast_ref(),
        _ => None,
    }
}

/// The table and filter of one input of a select: its scan's store table and its `WHERE`.
pub fn source_of(input: &LogicalPlan) -> Option<(&StoreTable, Option<&Expr>)> {
    match input {
        LogicalPlan::Filter(filter) => {
            source_of(&filter.input).map(|(table, _)| (table, Some(&filter.predicate)))
        }
        LogicalPlan::TableScan(scan) => {
            let source: &dyn std::any::Any = scan.source.as_ref();
            source.downcast_ref::<StoreTable>().map(|t| (t, None))
        }
        _ => None,
    }
}
