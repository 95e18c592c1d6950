//! A lambda's expression compiled into a DataFusion physical expression for one schema,
//! under Kapacitor's type rules.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use condenser_planner::ValueType;
use condenser_planner::functions::{is_stateful, value_type};
use datafusion_common::ScalarValue;
use datafusion_common::config::ConfigOptions;
use datafusion_expr::{BinaryExpr, Expr, Operator, ScalarUDF};
use datafusion_physical_expr::expressions::{
    BinaryExpr as PhysicalBinary, CaseExpr, CastExpr, Column, IsNullExpr, Literal, NegativeExpr,
    NotExpr,
};
use datafusion_physical_expr::{PhysicalExpr, ScalarFunctionExpr};

use super::GROUP_COLUMN;
use super::ieee::FloatComparison;
use super::stateful::LambdaState;
use super::strict::StrictLogic;
use crate::error::{Error, Result};

/// The configuration DataFusion's function calls carry; Kapacitor's functions read none.
static CONFIG: LazyLock<Arc<ConfigOptions>> = LazyLock::new(|| Arc::new(ConfigOptions::new()));

/// A compiled subexpression and its TICKscript type (`None`: it fails on every point).
struct Typed {
    expr: Arc<dyn PhysicalExpr>,
    kind: Option<ValueType>,
    /// A string that is dictionary-encoded (a tag).
    dictionary: bool,
    /// A literal (the pattern of `=~` must be one).
    literal: bool,
}

impl Typed {
    /// The expression that fails on every point: a null.
    fn fails() -> Typed {
        Typed {
            expr: Arc::new(Literal::new(ScalarValue::Null)),
            kind: None,
            dictionary: false,
            literal: false,
        }
    }

    fn of(expr: Arc<dyn PhysicalExpr>, kind: ValueType) -> Typed {
        Typed {
            expr,
            kind: Some(kind),
            dictionary: false,
            literal: false,
        }
    }

    /// The expression, a dictionary-encoded string decoded (functions and `+` take plain
    /// strings).
    fn plain(self) -> Arc<dyn PhysicalExpr> {
        if self.dictionary {
            cast(self.expr, DataType::Utf8)
        } else {
            self.expr
        }
    }
}

/// Compiles `expr` for batches of `schema`; stateful calls take their state from `state`,
/// in the order they appear.
pub(super) fn compile(
    expr: &Expr,
    schema: &Schema,
    state: &LambdaState,
) -> Result<Arc<dyn PhysicalExpr>> {
    let mut compiler = Compiler {
        schema,
        state,
        next_site: 0,
    };
    Ok(compiler.compile(expr)?.expr)
}

struct Compiler<'a> {
    schema: &'a Schema,
    state: &'a LambdaState,
    next_site: usize,
}

impl Compiler<'_> {
    fn compile(&mut self, expr: &Expr) -> Result<Typed> {
        Ok(match expr {
            Expr::Alias(alias) => self.compile(&alias.expr)?,
            Expr::Column(column) => self.column(&column.name),
            Expr::Literal(value, _) => literal(value),
            Expr::Not(operand) => {
                let operand = self.compile(operand)?;
                match operand.kind {
                    Some(ValueType::Bool) => {
                        Typed::of(Arc::new(NotExpr::new(operand.expr)), ValueType::Bool)
                    }
                    _ => Typed::fails(),
                }
            }
            Expr::Negative(operand) => {
                let operand = self.compile(operand)?;
                match operand.kind {
                    Some(kind @ (ValueType::Int | ValueType::Float | ValueType::Duration)) => {
                        Typed::of(Arc::new(NegativeExpr::new(operand.expr)), kind)
                    }
                    _ => Typed::fails(),
                }
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right })
                if matches!(op, Operator::And | Operator::Or) =>
            {
                // Kapacitor types both sides before it evaluates either: a side that is no
                // boolean fails the points, and so does a field or tag that its type
                // depends on and a point lacks, however the left side decides.
                let mut typed_by = Vec::new();
                type_references(left, &mut typed_by);
                type_references(right, &mut typed_by);
                let boolean_whatever = is_boolean_operator(right);
                let (left, right) = (self.compile(left)?, self.compile(right)?);
                let right = match right.kind {
                    Some(ValueType::Bool) => right.expr,
                    // A comparison that cannot hold here fails only where it is evaluated.
                    _ if boolean_whatever => Arc::new(Literal::new(ScalarValue::Boolean(None))),
                    _ => return Ok(Typed::fails()),
                };
                if left.kind != Some(ValueType::Bool) {
                    return Ok(Typed::fails());
                }
                let mut guards: Vec<Arc<dyn PhysicalExpr>> = Vec::new();
                for name in typed_by {
                    let Ok(index) = self.schema.index_of(&name) else {
                        return Ok(Typed::fails());
                    };
                    guards.push(Arc::new(Column::new(&name, index)));
                }
                Typed::of(
                    Arc::new(StrictLogic::new(left.expr, *op, right, guards)),
                    ValueType::Bool,
                )
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (left, right) = (self.compile(left)?, self.compile(right)?);
                binary(left, *op, right)
            }
            Expr::ScalarFunction(call) => {
                let args = call
                    .args
                    .iter()
                    .map(|a| self.compile(a))
                    .collect::<Result<Vec<_>>>()?;
                if is_stateful(call.name()) {
                    let site = self.next_site;
                    self.next_site += 1;
                    self.stateful(call.name(), site, args)?
                } else {
                    function(&call.func, args)?
                }
            }
            other => {
                return Err(Error::internal(format!(
                    "a lambda was lowered to an expression the engine does not compile: {other}"
                )));
            }
        })
    }

    /// A field, tag or `time`; a name the points lack fails them.
    fn column(&self, name: &str) -> Typed {
        let Ok(index) = self.schema.index_of(name) else {
            return Typed::fails();
        };
        // A name that is a tag and a field of a point fails it (Kapacitor: "cannot have
        // field and tags with same name"); where only the field has a value, the field.
        let roles: Vec<(usize, Option<condenser_model::ColumnRole>)> =
            (0..self.schema.fields().len())
                .filter(|&i| self.schema.field(i).name() == name)
                .map(|i| (i, condenser_model::ColumnRole::of(self.schema.field(i))))
                .collect();
        let field = roles
            .iter()
            .find(|(_, r)| *r == Some(condenser_model::ColumnRole::Field))
            .map(|(i, _)| *i);
        let tag = roles
            .iter()
            .find(|(_, r)| *r == Some(condenser_model::ColumnRole::Tag))
            .map(|(i, _)| *i);
        if let (Some(field), Some(tag)) = (field, tag) {
            let value: Arc<dyn PhysicalExpr> = Arc::new(Column::new(name, field));
            let without_tag: Arc<dyn PhysicalExpr> =
                Arc::new(IsNullExpr::new(Arc::new(Column::new(name, tag))));
            let data_type = self.schema.field(field).data_type();
            let Some(kind) = value_type(data_type) else {
                return Typed::fails();
            };
            return match CaseExpr::try_new(None, vec![(without_tag, value)], None) {
                Ok(case) => Typed::of(Arc::new(case), kind),
                Err(_) => Typed::fails(),
            };
        }
        let expr = Arc::new(Column::new(name, index));
        let data_type = self.schema.field(index).data_type();
        match value_type(data_type) {
            Some(kind) => Typed {
                dictionary: matches!(data_type, DataType::Dictionary(_, _)),
                ..Typed::of(expr, kind)
            },
            // A type lambdas do not have (an unsigned integer) fails every point.
            None => Typed::fails(),
        }
    }

    /// A call of a stateful function with its own state; the group column is its last
    /// argument.
    fn stateful(&mut self, name: &str, site: usize, args: Vec<Typed>) -> Result<Typed> {
        let kinds: Vec<Option<ValueType>> = args.iter().map(|a| a.kind).collect();
        let returns = match (name, kinds.as_slice()) {
            ("count", []) | ("rand", []) | ("rand", [Some(ValueType::Int)]) => ValueType::Int,
            ("sigma" | "spread", [Some(ValueType::Float)]) => ValueType::Float,
            _ => return Ok(Typed::fails()),
        };
        let group = self.schema.index_of(GROUP_COLUMN).map_err(|_| {
            Error::internal("a stateful lambda was evaluated without each row's group")
        })?;
        let udf = self.state.udf(site)?;
        let mut exprs: Vec<Arc<dyn PhysicalExpr>> = args.into_iter().map(|a| a.expr).collect();
        exprs.push(Arc::new(Column::new(GROUP_COLUMN, group)));
        Ok(call(udf, exprs, returns))
    }
}

/// The fields and tags Kapacitor reads to type `expr` before it evaluates it (a point that
/// lacks one fails): a reference, and what the operands of arithmetic, `-` and a function
/// call (but `isPresent()`, which takes a missing value) are typed by. A comparison, `AND`,
/// `OR` and `!` are booleans whatever their operands.
fn type_references(expr: &Expr, names: &mut Vec<String>) {
    match expr {
        Expr::Alias(alias) => type_references(&alias.expr, names),
        Expr::Column(column) if column.name != "time" && !names.contains(&column.name) => {
            names.push(column.name.clone());
        }
        Expr::Negative(operand) => type_references(operand, names),
        Expr::BinaryExpr(BinaryExpr { left, op, right })
            if op.is_numerical_operators() || *op == Operator::StringConcat =>
        {
            type_references(left, names);
            type_references(right, names);
        }
        Expr::ScalarFunction(call) if call.name() != "isPresent" => {
            for arg in &call.args {
                type_references(arg, names);
            }
        }
        _ => {}
    }
}

/// Whether Kapacitor types `expr` a boolean without looking at its operands: a comparison,
/// `AND`, `OR` or `!`.
fn is_boolean_operator(expr: &Expr) -> bool {
    match expr {
        Expr::Alias(alias) => is_boolean_operator(&alias.expr),
        Expr::Not(_) => true,
        Expr::BinaryExpr(BinaryExpr { op, .. }) => {
            !op.is_numerical_operators() && *op != Operator::StringConcat
        }
        _ => false,
    }
}

fn literal(value: &ScalarValue) -> Typed {
    let kind = match value {
        ScalarValue::Int64(Some(_)) => ValueType::Int,
        ScalarValue::Float64(Some(_)) => ValueType::Float,
        ScalarValue::Utf8(Some(_)) => ValueType::String,
        ScalarValue::Boolean(Some(_)) => ValueType::Bool,
        ScalarValue::DurationNanosecond(Some(_)) => ValueType::Duration,
        _ => return Typed::fails(),
    };
    Typed {
        literal: true,
        ..Typed::of(Arc::new(Literal::new(value.clone())), kind)
    }
}

fn cast(expr: Arc<dyn PhysicalExpr>, to: DataType) -> Arc<dyn PhysicalExpr> {
    Arc::new(CastExpr::new(expr, to, None))
}

fn binary(left: Typed, op: Operator, right: Typed) -> Typed {
    use Operator::*;
    use ValueType as T;
    let (Some(l), Some(r)) = (left.kind, right.kind) else {
        return Typed::fails();
    };
    let make = |left, op, right| -> Arc<dyn PhysicalExpr> {
        Arc::new(PhysicalBinary::new(left, op, right))
    };
    let as_float = |e: Arc<dyn PhysicalExpr>| cast(e, DataType::Float64);
    let as_int = |e: Arc<dyn PhysicalExpr>| cast(e, DataType::Int64);
    let as_duration = |e: Arc<dyn PhysicalExpr>| cast(e, DataType::Duration(TimeUnit::Nanosecond));
    let comparison = matches!(op, Eq | NotEq | Lt | Gt | LtEq | GtEq);
    match (l, op, r) {
        (T::Bool, Eq | NotEq, T::Bool) => Typed::of(make(left.expr, op, right.expr), T::Bool),
        // Floats compare as Go compares them (IEEE 754), not in Arrow's total order.
        (T::Float, _, T::Float) if comparison => Typed::of(
            Arc::new(FloatComparison::new(left.expr, op, right.expr)),
            T::Bool,
        ),
        (T::Int, _, T::Float) if comparison => Typed::of(
            Arc::new(FloatComparison::new(as_float(left.expr), op, right.expr)),
            T::Bool,
        ),
        (T::Float, _, T::Int) if comparison => Typed::of(
            Arc::new(FloatComparison::new(left.expr, op, as_float(right.expr))),
            T::Bool,
        ),
        (T::Int | T::String | T::Duration, _, _) if comparison && l == r => {
            Typed::of(make(left.expr, op, right.expr), T::Bool)
        }
        // A regex is a literal pattern; a string compared with `=~` is no regex.
        (T::String, RegexMatch | RegexNotMatch, T::String) if right.literal => {
            Typed::of(make(left.expr, op, right.expr), T::Bool)
        }
        (T::String, Plus | StringConcat, T::String) => {
            Typed::of(make(left.plain(), StringConcat, right.plain()), T::String)
        }
        (T::Int, Plus | Minus | Multiply | Divide | Modulo, T::Int)
        | (T::Float, Plus | Minus | Multiply | Divide, T::Float)
        | (T::Duration, Plus | Minus, T::Duration) => Typed::of(make(left.expr, op, right.expr), l),
        // Durations scale by numbers as Go's time.Duration does: d * n, d / n, n * d; a
        // float factor is applied to the nanoseconds and truncated.
        (T::Duration, Multiply | Divide, T::Int) => Typed::of(
            as_duration(make(as_int(left.expr), op, right.expr)),
            T::Duration,
        ),
        (T::Int, Multiply, T::Duration) => Typed::of(
            as_duration(make(left.expr, op, as_int(right.expr))),
            T::Duration,
        ),
        (T::Duration, Multiply | Divide, T::Float) => Typed::of(
            as_duration(as_int(make(as_float(as_int(left.expr)), op, right.expr))),
            T::Duration,
        ),
        (T::Float, Multiply, T::Duration) => Typed::of(
            as_duration(as_int(make(left.expr, op, as_float(as_int(right.expr))))),
            T::Duration,
        ),
        // A duration divided by a duration is how many times one fits in the other.
        (T::Duration, Divide, T::Duration) => {
            Typed::of(make(as_int(left.expr), Divide, as_int(right.expr)), T::Int)
        }
        _ => Typed::fails(),
    }
}

/// A call of a stateless function: the plan's own UDF, its return type from the catalog's
/// signatures for these argument types.
fn function(udf: &Arc<ScalarUDF>, args: Vec<Typed>) -> Result<Typed> {
    let mut types = Vec::with_capacity(args.len());
    let mut exprs = Vec::with_capacity(args.len());
    for arg in args {
        let (data_type, expr) = match arg.kind {
            // A failed argument reaches the function as a null: only isPresent() takes it.
            None => (DataType::Null, arg.expr),
            Some(kind) => (condenser_planner::functions::data_type(kind), arg.plain()),
        };
        types.push(data_type);
        exprs.push(expr);
    }
    let Ok(returns) = udf.return_type(&types) else {
        // No signature of the function takes these types: it fails on every point.
        return Ok(Typed::fails());
    };
    let Some(kind) = value_type(&returns) else {
        return Ok(Typed::fails());
    };
    Ok(call(Arc::clone(udf), exprs, kind))
}

fn call(udf: Arc<ScalarUDF>, args: Vec<Arc<dyn PhysicalExpr>>, returns: ValueType) -> Typed {
    let data_type = condenser_planner::functions::data_type(returns);
    let name = udf.name().to_owned();
    let field = Arc::new(Field::new(&name, data_type, true));
    Typed::of(
        Arc::new(ScalarFunctionExpr::new(
            &name,
            udf,
            args,
            field,
            Arc::clone(&CONFIG),
        )),
        returns,
    )
}
