//! The evaluator: runs a program's statements against the catalog, building the pipeline.

use std::collections::{BTreeMap, HashMap};

use super::vars::Vars;
use super::{
    Arg, Handler, Node, NodeId, Pipeline, Setting, TaskType, TemplateVar, Value, constant,
    format_duration,
};
use crate::catalog::{self, ChainMethod, Object, Param, script_name};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::tick::ast::{CallKind, Expr, ExprKind, Ident, Number, Statement};
use crate::tick::{Span, parse};
use crate::value_type::ValueType;

/// The id of a deadman's alert (Kapacitor's default `[deadman] id`): `NODE_NAME` becomes
/// the watched node's name (`from1`).
pub const DEADMAN_ID: &str = "{{ .Group }}:NODE_NAME for task '{{ .TaskName }}'";

/// The message of a deadman's alert (Kapacitor's default `[deadman] message`): `INTERVAL`
/// becomes the interval as Go prints it (`1m0s`).
pub const DEADMAN_MESSAGE: &str = "{{ .ID }} is {{ if eq .Level \"OK\" }}alive{{ else }}dead{{ end }}: {{ index .Fields \"emitted\" | printf \"%0.3f\" }} points/INTERVAL.";

/// kapacitor.conf's `[deadman]`: the id and message of every `deadman()`, and a deadman
/// every task gets on its source node when `global`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadmanConfig {
    /// The interval of the global deadman (default 10 s).
    pub interval: i64,
    /// The threshold of the global deadman, in points per interval (default 0).
    pub threshold: f64,
    /// The alert id template; `NODE_NAME` becomes the watched node's name.
    pub id: String,
    /// The message template; `INTERVAL` becomes the interval.
    pub message: String,
    /// Whether every task gets a deadman on its source node.
    pub global: bool,
}

impl Default for DeadmanConfig {
    fn default() -> Self {
        Self {
            interval: 10_000_000_000,
            threshold: 0.0,
            id: DEADMAN_ID.to_owned(),
            message: DEADMAN_MESSAGE.to_owned(),
            global: false,
        }
    }
}

/// A script that passed every check, with the warnings it still deserves.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The validated pipeline.
    pub pipeline: Pipeline,
    /// Things Kapacitor accepts but that cannot work as written (unknown functions in
    /// lambdas, …).
    pub warnings: Vec<Diagnostic>,
}

/// Parses and validates `source` as a task of `task_type`, as Kapacitor does when a task is
/// defined.
///
/// With `vars`, template variables take their values from it and a missing one is an error.
/// Without, the script is checked as a template: declared variables get their type's zero
/// value.
pub fn check(
    source: &str,
    task_type: TaskType,
    vars: Option<&Vars>,
) -> Result<Checked, Diagnostics> {
    check_with(source, task_type, vars, &DeadmanConfig::default())
}

/// [`check`], with the deadman settings of kapacitor.conf's `[deadman]`.
pub fn check_with(
    source: &str,
    task_type: TaskType,
    vars: Option<&Vars>,
    deadman: &DeadmanConfig,
) -> Result<Checked, Diagnostics> {
    let program = parse(source).map_err(|d| Diagnostics(vec![d]))?;
    let source_name = task_type.as_str();
    let object = catalog::object(match task_type {
        TaskType::Stream => "StreamNode",
        TaskType::Batch => "BatchNode",
    })
    .ok_or_else(|| {
        Diagnostics(vec![Diagnostic::error(
            Span::default(),
            format!("internal error: the node catalog lacks the {source_name} node"),
        )])
    })?;
    let mut evaluator = Evaluator {
        scope: HashMap::new(),
        nodes: vec![Node {
            id: NodeId(0),
            name: source_name.to_owned(),
            object,
            parents: Vec::new(),
            wants: catalog::Edge::NoEdge,
            provides: match task_type {
                TaskType::Stream => catalog::Edge::Stream,
                TaskType::Batch => catalog::Edge::Batch,
            },
            args: Vec::new(),
            settings: Vec::new(),
            handlers: Vec::new(),
            span: Span::default(),
        }],
        warnings: Vec::new(),
        vars,
        template_vars: BTreeMap::new(),
        dbrps: Vec::new(),
        deadman,
    };
    let builtin = Binding {
        value: Val::Object(ObjRef {
            node: NodeId(0),
            handler: None,
        }),
        span: None,
    };
    evaluator.scope.insert(source_name.to_owned(), builtin);
    evaluator.scope.insert(
        "time".to_owned(),
        Binding {
            value: Val::TimeFunction,
            span: None,
        },
    );
    let mut first_span = None;
    for statement in &program.statements {
        if first_span.is_none() {
            first_span = statement_span(statement);
        }
        evaluator
            .statement(statement)
            .map_err(|d| Diagnostics(vec![d]))?;
    }
    if evaluator.nodes.len() <= 1 {
        let span = first_span.unwrap_or_default();
        return Err(Diagnostics(vec![Diagnostic::error(
            span,
            format!(
                "task does nothing: nothing is chained to {source_name} (add nodes with \
                 |, for example {source_name}|{}",
                match task_type {
                    TaskType::Stream => "from()",
                    TaskType::Batch => "query('SELECT …')",
                }
            ) + ")",
        )]));
    }
    if deadman.global {
        // Kapacitor adds it once the script is evaluated, on the source node.
        let generated = |value: Value| Arg {
            value,
            span: Span::default(),
            declared_at: None,
        };
        evaluator
            .deadman(
                NodeId(0),
                vec![
                    generated(Value::Float(deadman.threshold)),
                    generated(Value::Duration(deadman.interval)),
                ],
                Span::default(),
            )
            .map_err(|d| Diagnostics(vec![d]))?;
    }
    let pipeline = Pipeline {
        task_type,
        nodes: evaluator.nodes,
        dbrps: evaluator.dbrps,
        template_vars: evaluator.template_vars,
    };
    let errors = crate::nodes::rules::validate(&pipeline);
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(Checked {
        pipeline,
        warnings: evaluator.warnings,
    })
}

fn statement_span(statement: &Statement) -> Option<Span> {
    match statement {
        Statement::Var { span, .. } | Statement::TypeDecl { span, .. } => Some(*span),
        Statement::Dbrp { span, .. } => Some(*span),
        Statement::Expr(expr) => Some(expr.span),
        Statement::Comment(_) => None,
    }
}

/// What an object reference points at: a node, or one of its alert handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ObjRef {
    node: NodeId,
    handler: Option<usize>,
}

/// A value during evaluation.
#[derive(Debug, Clone)]
enum Val {
    Value(Value),
    /// A name not looked up yet: Kapacitor resolves names only where they are used, so a
    /// bare name as a statement is never an error.
    Ident(String, Span),
    Object(ObjRef),
    /// The built-in `time(…)` of `groupBy(time(1m))`.
    TimeFunction,
}

struct Binding {
    value: Val,
    /// Where it was declared; `None` for built-ins.
    span: Option<Span>,
}

struct Evaluator<'a> {
    scope: HashMap<String, Binding>,
    nodes: Vec<Node>,
    warnings: Vec<Diagnostic>,
    vars: Option<&'a Vars>,
    template_vars: BTreeMap<String, TemplateVar>,
    dbrps: Vec<(String, String)>,
    deadman: &'a DeadmanConfig,
}

type Evaluated<T> = Result<T, Diagnostic>;

impl Evaluator<'_> {
    fn statement(&mut self, statement: &Statement) -> Evaluated<()> {
        match statement {
            Statement::Var {
                name,
                value,
                comment,
                ..
            } => self.declaration(name, value, comment.as_ref()),
            Statement::TypeDecl {
                name,
                type_name,
                comment,
                ..
            } => self.type_declaration(name, type_name, comment.as_ref()),
            Statement::Dbrp { db, rp, .. } => {
                self.dbrps.push((db.clone(), rp.clone()));
                Ok(())
            }
            Statement::Expr(expr) => {
                // A bare name is never looked up, as in Kapacitor.
                self.eval(expr)?;
                Ok(())
            }
            Statement::Comment(_) => Ok(()),
        }
    }

    fn declaration(
        &mut self,
        name: &Ident,
        value: &Expr,
        comment: Option<&crate::tick::ast::Comment>,
    ) -> Evaluated<()> {
        if let Some(existing) = self.scope.get(&name.name) {
            let mut error = Diagnostic::error(
                name.span,
                format!(
                    "attempted to redefine {}: vars are immutable; give the new value another name",
                    name.name
                ),
            );
            if let Some(span) = existing.span {
                error = error.with_note(span, format!("{} is defined here", name.name));
            }
            return Err(error);
        }
        let evaluated = self.eval(value)?;
        let mut evaluated = self.resolve(evaluated)?;
        // A plain value is a var a template task may set; this is its default.
        if let Val::Value(current) = &evaluated
            && let Some(value_type) = current.value_type()
        {
            self.template_vars.insert(
                name.name.clone(),
                TemplateVar {
                    value_type,
                    description: comment.map(|c| c.text()).unwrap_or_default(),
                    value: Some(current.clone()),
                },
            );
        }
        if let (Some(vars), Val::Value(current)) = (self.vars, &evaluated)
            && let Some(given) = vars.get(&name.name)
        {
            let expected = current.value_type();
            if expected != Some(given.value_type()) {
                return Err(Diagnostic::error(
                    name.span,
                    format!(
                        "invalid type supplied for var {}: the vars give {}, the script's value is {}",
                        name.name,
                        given.value_type(),
                        expected.map_or("not a plain value".to_owned(), |t| t.to_string())
                    ),
                ));
            }
            evaluated = Val::Value(given.to_value(&name.name, name.span)?);
        }
        self.scope.insert(
            name.name.clone(),
            Binding {
                value: evaluated,
                span: Some(name.span),
            },
        );
        Ok(())
    }

    fn type_declaration(
        &mut self,
        name: &Ident,
        type_name: &Ident,
        comment: Option<&crate::tick::ast::Comment>,
    ) -> Evaluated<()> {
        let Some(value_type) = ValueType::from_declaration(&type_name.name) else {
            return Err(Diagnostic::error(
                type_name.span,
                format!(
                    "invalid var type {:?}: a template variable is int, float, bool, string, \
                     regex, duration, lambda, list or star",
                    type_name.name
                ),
            ));
        };
        let given = match self.vars.map(|vars| vars.get(&name.name)) {
            Some(Some(given)) => {
                if given.value_type() != value_type {
                    return Err(Diagnostic::error(
                        name.span,
                        format!(
                            "invalid type supplied for var {}: the vars give {}, the script declares {}",
                            name.name,
                            given.value_type(),
                            value_type.declaration_word()
                        ),
                    ));
                }
                Some(given.to_value(&name.name, name.span)?)
            }
            Some(None) => {
                return Err(Diagnostic::error(
                    name.span,
                    format!(
                        "missing value for var {:?}: the script declares `var {} {}` but the \
                         vars do not give it",
                        name.name,
                        name.name,
                        value_type.declaration_word()
                    ),
                ));
            }
            None => None,
        };
        let value = given.clone().unwrap_or_else(|| zero_value(value_type));
        self.template_vars.insert(
            name.name.clone(),
            TemplateVar {
                value_type,
                description: comment.map(|c| c.text()).unwrap_or_default(),
                value: given,
            },
        );
        self.scope.insert(
            name.name.clone(),
            Binding {
                value: Val::Value(value),
                span: Some(name.span),
            },
        );
        Ok(())
    }

    fn lookup(&self, name: &str, span: Span) -> Evaluated<Val> {
        if let Some(binding) = self.scope.get(name) {
            return Ok(binding.value.clone());
        }
        let mut names: Vec<&str> = self.scope.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut message = format!("name {name:?} is undefined");
        match closest(name, names.iter().copied()) {
            Some(close) => message.push_str(&format!("; did you mean {close:?}?")),
            None => message.push('.'),
        }
        message.push_str(&format!(" Names in scope: {}", names.join(", ")));
        Err(Diagnostic::error(span, message))
    }

    fn resolve(&self, value: Val) -> Evaluated<Val> {
        match value {
            Val::Ident(name, span) => self.lookup(&name, span),
            other => Ok(other),
        }
    }

    fn eval(&mut self, expr: &Expr) -> Evaluated<Val> {
        let span = expr.span;
        Ok(Val::Value(match &expr.kind {
            ExprKind::Number(Number::Int { value, .. }) => Value::Int(*value),
            ExprKind::Number(Number::Float(value)) => Value::Float(*value),
            ExprKind::Duration { nanos, .. } => Value::Duration(*nanos),
            ExprKind::Bool(value) => Value::Bool(*value),
            ExprKind::String { value, .. } => Value::String(value.clone()),
            ExprKind::Regex { pattern, .. } => Value::Regex(pattern.clone()),
            ExprKind::Star => Value::Star,
            ExprKind::Reference(name) => Value::Reference(name.clone()),
            ExprKind::Ident(name) => return Ok(Val::Ident(name.clone(), span)),
            ExprKind::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.argument(item)?.value);
                }
                Value::List(values)
            }
            ExprKind::Lambda(body) => {
                let body = self.resolve_lambda(body)?;
                self.warnings.extend(super::lambda::check(&body));
                Value::Lambda(Box::new(body))
            }
            ExprKind::Unary { op, operand } => {
                let operand_span = operand.span;
                let value = self.eval(operand)?;
                let value = self.plain(value, operand_span)?;
                constant::unary(*op, value, span)?
            }
            ExprKind::Binary { .. } => {
                let resolved = self.resolve_lambda(expr)?;
                constant::evaluate(&resolved)?
            }
            ExprKind::Call {
                kind: CallKind::Global,
                name,
                args,
                ..
            } => return self.global_call(name, args),
            ExprKind::Call { name, .. } => {
                return Err(Diagnostic::error(
                    name.span,
                    format!("{}() must follow a node", name.name),
                ));
            }
            ExprKind::Chain { left, right } => return self.chain(left, right),
        }))
    }

    /// A value that must be a plain value (not a node).
    fn plain(&self, value: Val, span: Span) -> Evaluated<Value> {
        match self.resolve(value)? {
            Val::Value(value) => Ok(value),
            Val::Object(_) => Err(Diagnostic::error(
                span,
                "a node cannot be used as a value here",
            )),
            Val::TimeFunction | Val::Ident(..) => Err(Diagnostic::error(
                span,
                "time is a function: write time(duration)",
            )),
        }
    }

    /// Evaluates one argument of a call or one list item: names are looked up, nested
    /// global calls are made.
    fn argument(&mut self, expr: &Expr) -> Evaluated<Arg> {
        let declared_at = match &expr.kind {
            ExprKind::Ident(name) => self.scope.get(name).and_then(|b| b.span),
            _ => None,
        };
        let value = self.eval(expr)?;
        let value = match self.resolve(value)? {
            Val::Value(value) => value,
            Val::Object(object) => Value::Node(object.node),
            Val::TimeFunction | Val::Ident(..) => {
                return Err(Diagnostic::error(
                    expr.span,
                    "time is a function: write time(duration)",
                ));
            }
        };
        Ok(Arg {
            value,
            span: expr.span,
            declared_at,
        })
    }

    /// Evaluates the arguments of a call; a list given as the only argument is spread.
    fn arguments(&mut self, args: &[Expr]) -> Evaluated<Vec<Arg>> {
        if let [only] = args
            && let ExprKind::List(items) = &only.kind
        {
            return items.iter().map(|item| self.argument(item)).collect();
        }
        let mut evaluated: Vec<Arg> = args
            .iter()
            .map(|arg| self.argument(arg))
            .collect::<Evaluated<_>>()?;
        // A list variable as the only argument is spread too.
        if let [
            Arg {
                value: Value::List(items),
                span,
                declared_at,
            },
        ] = evaluated.as_slice()
        {
            let (span, declared_at) = (*span, *declared_at);
            evaluated = items
                .iter()
                .map(|value| Arg {
                    value: value.clone(),
                    span,
                    declared_at,
                })
                .collect();
        }
        Ok(evaluated)
    }

    fn global_call(&mut self, name: &Ident, args: &[Expr]) -> Evaluated<Val> {
        let args = self.arguments(args)?;
        match self.scope.get(&name.name).map(|b| &b.value) {
            Some(Val::TimeFunction) => {
                let mut durations = Vec::new();
                for arg in &args {
                    match arg.value {
                        Value::Duration(d) => durations.push(d),
                        _ => {
                            return Err(Diagnostic::error(
                                arg.span,
                                format!("time() takes durations, got {}", arg.value.describe()),
                            ));
                        }
                    }
                }
                match durations.as_slice() {
                    [length] | [length, _] => Ok(Val::Value(Value::TimeDimension {
                        length: *length,
                        offset: durations.get(1).copied().unwrap_or(0),
                    })),
                    _ => Err(Diagnostic::error(
                        name.span,
                        format!(
                            "time() takes a length and an optional offset, got {} arguments",
                            args.len()
                        ),
                    )),
                }
            }
            Some(_) => Err(Diagnostic::error(
                name.span,
                format!(
                    "{0} is not a function: write {0} without parentheses",
                    name.name
                ),
            )),
            None => Err(Diagnostic::error(
                name.span,
                format!("no global function {:?} is defined", name.name),
            )),
        }
    }

    fn chain(&mut self, left: &Expr, right: &Expr) -> Evaluated<Val> {
        let target = self.eval(left)?;
        let target = match self.resolve(target)? {
            Val::Object(object) => object,
            other => {
                let what = match other {
                    Val::Value(value) => value.describe(),
                    _ => "the function time".to_owned(),
                };
                let at = match &right.kind {
                    ExprKind::Call { name, .. } => name.span,
                    _ => right.span,
                };
                return Err(Diagnostic::error(
                    at,
                    format!("cannot chain onto {what}: only nodes have nodes and properties"),
                ));
            }
        };
        match &right.kind {
            ExprKind::Call {
                kind, name, args, ..
            } => {
                let args = self.arguments(args)?;
                match kind {
                    CallKind::Chain => self.chain_node(target, name, args),
                    CallKind::Property => self.set_property(target, name, args),
                    CallKind::Dynamic => self.udf(target, name),
                    CallKind::Global => unreachable!("the parser puts only chained calls here"),
                }
            }
            _ => Err(Diagnostic::error(
                right.span,
                "reading a property is not supported: set it with .name(value)",
            )),
        }
    }

    fn object_of(&self, target: ObjRef) -> &'static Object {
        let node = &self.nodes[target.node.0];
        match target.handler {
            Some(index) => node.handlers[index].object,
            None => node.object,
        }
    }

    /// How messages name the object: `window()` or `.email()`.
    fn describe(&self, target: ObjRef) -> String {
        let node = &self.nodes[target.node.0];
        match target.handler {
            Some(index) => format!(".{}()", script_name(node.handlers[index].property)),
            None if target.node.0 == 0 => node.name.clone(),
            None => format!("{}()", node.name),
        }
    }

    fn chain_node(&mut self, target: ObjRef, name: &Ident, args: Vec<Arg>) -> Evaluated<Val> {
        let object = self.object_of(target);
        let Some(method) = object.chain_method(&name.name) else {
            return Err(self.unknown(target, name, CallKind::Chain));
        };
        check_args(
            &format!("{}()", name.name),
            method.params,
            method.variadic,
            &args,
            name.span,
        )?;
        let parent = &self.nodes[target.node.0];
        // Kapacitor's ShiftNode has a field `Shift` that hides the chaining method: calling
        // it fails in Kapacitor's reflection.
        if parent.object.go_type == "ShiftNode"
            && method.name == "Shift"
            && target.handler.is_none()
        {
            return Err(Diagnostic::error(
                name.span,
                "shift() cannot be chained on shift() (Kapacitor refuses it: error calling \
                 func \"shift\" on obj *pipeline.ShiftNode); shift once by the sum",
            ));
        }
        let parent_edge = parent.provides;
        if let Some(required) = method.requires
            && parent_edge != required
        {
            return Err(Diagnostic::error(
                name.span,
                format!(
                    "cannot {} {} edge: {}() needs a {} edge, and {} gives a {} edge",
                    method.name,
                    parent_edge.as_str(),
                    script_name(method.name),
                    required.as_str(),
                    self.describe(target),
                    parent_edge.as_str()
                ),
            ));
        }
        let id = match method.name {
            "Deadman" => return self.deadman(target.node, args, name.span),
            "Stats" => self.add_stats(method, target.node, args, name.span)?,
            _ => self.add_node(method, target.node, args, name.span)?,
        };
        Ok(Val::Object(ObjRef {
            node: id,
            handler: None,
        }))
    }

    /// `|deadman(threshold, interval, expr…)` as Kapacitor expands it:
    /// `|stats(interval).align() |derivative('emitted').unit(interval).nonNegative()
    /// |alert()`, critical while `"emitted" <= threshold` (and each `expr`), with the
    /// deadman id and message of `[deadman]` ([`DeadmanConfig`]). Returns the alert
    /// node, whose properties a script may go on to set.
    fn deadman(&mut self, watched: NodeId, args: Vec<Arg>, span: Span) -> Evaluated<Val> {
        let (threshold, interval) = match args.as_slice() {
            [threshold, interval, ..] => (threshold.clone(), interval.clone()),
            _ => {
                return Err(Diagnostic::error(
                    span,
                    "deadman() takes a threshold and an interval",
                ));
            }
        };
        let Value::Duration(nanos) = interval.value else {
            return Err(Diagnostic::error(
                interval.span,
                "deadman()'s interval must be a duration",
            ));
        };
        let generated = |value: Value| Arg {
            value,
            span,
            declared_at: None,
        };
        let setting = |name: &'static str, args: Vec<Arg>| Setting { name, args, span };
        let chain = |on: &str, name: &str| {
            catalog::object(on)
                .and_then(|object| object.chain_method(name))
                .ok_or_else(|| {
                    Diagnostic::error(
                        span,
                        format!("internal error: the catalog has no {on}.{name}"),
                    )
                })
        };
        let stats = self.add_stats(chain("StatsNode", "Stats")?, watched, vec![interval], span)?;
        self.nodes[stats.0]
            .settings
            .push(setting("Align", Vec::new()));
        let derivative = self.add_node(
            chain("StatsNode", "Derivative")?,
            stats,
            vec![generated(Value::String("emitted".to_owned()))],
            span,
        )?;
        self.nodes[derivative.0].settings.extend([
            setting("Unit", vec![generated(Value::Duration(nanos))]),
            setting("NonNegative", Vec::new()),
        ]);
        let alert = self.add_node(
            chain("DerivativeNode", "Alert")?,
            derivative,
            Vec::new(),
            span,
        )?;
        let expression = |kind: ExprKind| Expr {
            kind,
            span,
            comment: None,
        };
        let mut crit = expression(ExprKind::Binary {
            op: crate::tick::token::Operator::LessEqual,
            left: Box::new(expression(ExprKind::Reference("emitted".to_owned()))),
            right: Box::new(literal(threshold.value, threshold.span)?),
            parens: false,
            multi_line: crate::tick::ast::MultiLine(false),
        });
        for extra in &args[2..] {
            if let Value::Lambda(body) = &extra.value {
                crit = expression(ExprKind::Binary {
                    op: crate::tick::token::Operator::And,
                    left: Box::new(crit),
                    right: body.clone(),
                    parens: false,
                    multi_line: crate::tick::ast::MultiLine(false),
                });
            }
        }
        let name = self.nodes[watched.0].name.clone();
        let watched_name = format!("{name}{}", watched.0);
        self.nodes[alert.0].settings.extend([
            setting("Crit", vec![generated(Value::Lambda(Box::new(crit)))]),
            setting(
                "Id",
                vec![generated(Value::String(self.deadman.id.replacen(
                    "NODE_NAME",
                    &watched_name,
                    1,
                )))],
            ),
            setting(
                "Message",
                vec![generated(Value::String(self.deadman.message.replacen(
                    "INTERVAL",
                    &condenser_model::template::go_duration(nanos),
                    1,
                )))],
            ),
        ]);
        Ok(Val::Object(ObjRef {
            node: alert,
            handler: None,
        }))
    }

    /// Adds `stats()` on `watched`, then, as Kapacitor does, a `noop` child of `watched`
    /// when it has no children yet (so that it has somewhere to emit to).
    fn add_stats(
        &mut self,
        method: &'static ChainMethod,
        watched: NodeId,
        args: Vec<Arg>,
        span: Span,
    ) -> Evaluated<NodeId> {
        let childless = !self.nodes.iter().any(|n| n.parents.contains(&watched));
        let stats = self.add_node(method, watched, args, span)?;
        if childless {
            let object = catalog::object("NoOpNode").ok_or_else(|| {
                Diagnostic::error(span, "internal error: the catalog has no NoOpNode")
            })?;
            let provides = self.nodes[watched.0].provides;
            let id = NodeId(self.nodes.len());
            self.nodes.push(Node {
                id,
                name: "noop".to_owned(),
                object,
                parents: vec![watched],
                wants: provides,
                provides,
                args: Vec::new(),
                settings: Vec::new(),
                handlers: Vec::new(),
                span,
            });
        }
        Ok(stats)
    }

    fn add_node(
        &mut self,
        method: &'static ChainMethod,
        parent: NodeId,
        args: Vec<Arg>,
        span: Span,
    ) -> Evaluated<NodeId> {
        let object = catalog::object(method.node).ok_or_else(|| {
            Diagnostic::error(
                span,
                format!(
                    "internal error: the catalog has no node type {} for {}()",
                    method.node,
                    script_name(method.name)
                ),
            )
        })?;
        let parent_edge = self.nodes[parent.0].provides;
        let mut parents = vec![parent];
        for arg in &args {
            if let Value::Node(other) = arg.value
                && method.variadic == Some(Param::Node)
            {
                parents.push(other);
            }
        }
        let id = NodeId(self.nodes.len());
        self.nodes.push(Node {
            id,
            name: script_name(method.name),
            object,
            parents,
            wants: method.wants.resolve(parent_edge),
            provides: method.provides.resolve(parent_edge),
            args,
            settings: Vec::new(),
            handlers: Vec::new(),
            span,
        });
        Ok(id)
    }

    fn set_property(&mut self, target: ObjRef, name: &Ident, args: Vec<Arg>) -> Evaluated<Val> {
        let object = self.object_of(target);
        let Some((owner, property)) = object.property(&name.name) else {
            return Err(self.unknown(target, name, CallKind::Property));
        };
        check_args(
            &format!(".{}()", name.name),
            property.params,
            property.variadic,
            &args,
            name.span,
        )?;
        let node = &mut self.nodes[target.node.0];
        if let Some(returns) = property.returns {
            let handler_object = catalog::object(returns).ok_or_else(|| {
                Diagnostic::error(
                    name.span,
                    format!("internal error: the catalog has no handler type {returns}"),
                )
            })?;
            node.handlers.push(Handler {
                object: handler_object,
                property: property.name,
                args,
                settings: Vec::new(),
                span: name.span,
            });
            return Ok(Val::Object(ObjRef {
                node: target.node,
                handler: Some(node.handlers.len() - 1),
            }));
        }
        let setting = Setting {
            name: property.name,
            args,
            span: name.span,
        };
        match target.handler {
            Some(index) if std::ptr::eq(owner, object) => {
                node.handlers[index].settings.push(setting);
            }
            _ => node.settings.push(setting),
        }
        Ok(Val::Object(target))
    }

    fn udf(&self, target: ObjRef, name: &Ident) -> Evaluated<Val> {
        let object = self.object_of(target);
        let hint = if object.property(&name.name).is_some() {
            format!("; {0} is a property: write .{0}(…)", name.name)
        } else if object.chain_method(&name.name).is_some() {
            format!("; {0} is a node: write |{0}(…)", name.name)
        } else {
            String::new()
        };
        Err(Diagnostic::error(
            name.span,
            format!(
                "no user-defined function (UDF) named {:?} is configured{hint}",
                name.name
            ),
        ))
    }

    /// The error for a name that is not a node or property of the target.
    fn unknown(&self, target: ObjRef, name: &Ident, kind: CallKind) -> Diagnostic {
        let object = self.object_of(target);
        let on = self.describe(target);
        let n = &name.name;
        let message = match kind {
            CallKind::Chain if object.property(n).is_some() => {
                format!("{n} is a property of {on}, not a node: write .{n}(…) instead of |{n}(…)")
            }
            CallKind::Property if object.chain_method(n).is_some() => {
                format!("{n} is a node, not a property of {on}: write |{n}(…) instead of .{n}(…)")
            }
            CallKind::Chain => {
                let names = object.chain_methods_all().map(|m| script_name(m.name));
                let mut message = format!("{on} has no node {n:?} to chain with '|'");
                if let Some(close) = closest_owned(n, names) {
                    message.push_str(&format!("; did you mean {close:?}?"));
                } else if target.node.0 == 0 && target.handler.is_none() {
                    message.push_str(&format!(
                        "; a {} task starts with |{}",
                        self.nodes[0].name,
                        if self.nodes[0].name == "stream" {
                            "from()"
                        } else {
                            "query('…')"
                        }
                    ));
                }
                message
            }
            _ => {
                let names = object
                    .properties_all()
                    .into_iter()
                    .map(|p| script_name(p.name));
                let mut message = format!("{on} has no property {n:?}");
                if let Some(close) = closest_owned(n, names) {
                    message.push_str(&format!("; did you mean {close:?}?"));
                }
                message
            }
        };
        Diagnostic::error(name.span, message)
    }

    /// Replaces every name in a lambda (or constant expression) by its value.
    fn resolve_lambda(&self, expr: &Expr) -> Evaluated<Expr> {
        let kind = match &expr.kind {
            ExprKind::Ident(name) => {
                let value = match self.lookup(name, expr.span)? {
                    Val::Value(value) => value,
                    _ => {
                        return Err(Diagnostic::error(
                            expr.span,
                            format!(
                                "{name} is a node or function and cannot be used in an expression"
                            ),
                        ));
                    }
                };
                return literal(value, expr.span);
            }
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: Box::new(self.resolve_lambda(operand)?),
            },
            ExprKind::Binary {
                op,
                left,
                right,
                parens,
                multi_line,
            } => ExprKind::Binary {
                op: *op,
                left: Box::new(self.resolve_lambda(left)?),
                right: Box::new(self.resolve_lambda(right)?),
                parens: *parens,
                multi_line: *multi_line,
            },
            ExprKind::Call {
                kind,
                name,
                args,
                multi_line,
            } => ExprKind::Call {
                kind: *kind,
                name: name.clone(),
                args: args
                    .iter()
                    .map(|a| self.resolve_lambda(a))
                    .collect::<Evaluated<_>>()?,
                multi_line: *multi_line,
            },
            other => other.clone(),
        };
        Ok(Expr {
            kind,
            span: expr.span,
            comment: expr.comment.clone(),
        })
    }
}

/// The value a template variable has when a template is checked without vars.
fn zero_value(value_type: ValueType) -> Value {
    match value_type {
        ValueType::Float => Value::Float(0.0),
        ValueType::Int => Value::Int(0),
        ValueType::String => Value::String(String::new()),
        ValueType::Bool => Value::Bool(false),
        ValueType::Regex => Value::Regex(String::new()),
        ValueType::Duration => Value::Duration(0),
        ValueType::Lambda => Value::Lambda(Box::new(Expr {
            kind: ExprKind::Bool(false),
            span: Span::default(),
            comment: None,
        })),
        ValueType::List => Value::List(Vec::new()),
        ValueType::Star | ValueType::Time | ValueType::Missing => Value::Star,
    }
}

/// A value written back as the literal a lambda would hold.
fn literal(value: Value, span: Span) -> Evaluated<Expr> {
    let kind = match value {
        Value::Int(v) => ExprKind::Number(Number::Int {
            value: v,
            octal: false,
        }),
        Value::Float(v) => ExprKind::Number(Number::Float(v)),
        Value::Bool(v) => ExprKind::Bool(v),
        Value::String(v) => ExprKind::String {
            value: v,
            triple: false,
        },
        Value::Duration(nanos) => ExprKind::Duration {
            literal: format_duration(nanos),
            nanos,
        },
        Value::Regex(pattern) => ExprKind::Regex {
            literal: pattern.replace('/', "\\/"),
            pattern,
        },
        Value::Lambda(body) => {
            let mut body = *body;
            if let ExprKind::Binary { parens, .. } = &mut body.kind {
                *parens = true;
            }
            return Ok(body);
        }
        Value::Star => ExprKind::Star,
        Value::Reference(name) => ExprKind::Reference(name),
        other => {
            return Err(Diagnostic::error(
                span,
                format!("{} cannot be used inside an expression", other.describe()),
            ));
        }
    };
    Ok(Expr {
        kind,
        span,
        comment: None,
    })
}

/// What a parameter wants, for messages.
fn wants(param: Param) -> &'static str {
    match param {
        Param::String => "a string",
        Param::Int => "an integer",
        Param::Float => "a float",
        Param::Bool => "a bool (TRUE or FALSE)",
        Param::Duration => "a duration",
        Param::Lambda => "a lambda",
        Param::Regex => "a regex",
        Param::Node => "a node",
        Param::Any => "a value",
        Param::List => "a list",
    }
}

fn accepts(param: Param, value: &Value) -> bool {
    matches!(
        (param, value),
        (Param::Any, _)
            | (Param::String, Value::String(_))
            | (Param::Int, Value::Int(_))
            | (Param::Float, Value::Float(_))
            | (Param::Bool, Value::Bool(_))
            | (Param::Duration, Value::Duration(_))
            | (Param::Lambda, Value::Lambda(_))
            | (Param::Regex, Value::Regex(_))
            | (Param::Node, Value::Node(_))
            | (Param::List, Value::List(_))
    )
}

/// Checks arguments against Go parameter types as Kapacitor's reflection call does: the
/// count must match (at least the fixed ones with a variadic tail) and each value must
/// have exactly the parameter's type.
fn check_args(
    call: &str,
    params: &[Param],
    variadic: Option<Param>,
    args: &[Arg],
    span: Span,
) -> Evaluated<()> {
    let count_ok = match variadic {
        Some(_) => args.len() >= params.len(),
        None => args.len() == params.len(),
    };
    if !count_ok {
        let mut expected: Vec<String> = params.iter().map(|p| wants(*p).to_owned()).collect();
        if let Some(tail) = variadic {
            expected.push(format!("any number of {}", plural(tail)));
        }
        let takes = if expected.is_empty() {
            "takes no arguments".to_owned()
        } else {
            let n = params.len();
            let count = match variadic {
                Some(_) => format!("at least {n}"),
                None => n.to_string(),
            };
            format!(
                "takes {count} argument{} ({})",
                if n == 1 && variadic.is_none() {
                    ""
                } else {
                    "s"
                },
                expected.join(", ")
            )
        };
        return Err(Diagnostic::error(
            span,
            format!("{call} {takes}, got {}", args.len()),
        ));
    }
    for (i, arg) in args.iter().enumerate() {
        // The count is checked above: every argument has a parameter.
        let Some(param) = params.get(i).copied().or(variadic) else {
            break;
        };
        if accepts(param, &arg.value) {
            continue;
        }
        let hint = match (param, &arg.value) {
            (Param::String, Value::Reference(_)) => {
                " (did you use double quotes instead of single quotes? strings are 'single-quoted')"
            }
            (Param::Float, Value::Int(_)) => " (write a float with a decimal point, such as 10.0)",
            (Param::Duration, Value::Int(_) | Value::Float(_)) => {
                " (write a duration with its unit, such as 10s)"
            }
            (Param::Lambda, _) => " (write lambda: expression)",
            _ => "",
        };
        let mut error = Diagnostic::error(
            arg.span,
            format!(
                "argument {} of {call} must be {}, got {}{hint}",
                i + 1,
                wants(param),
                arg.value.describe()
            ),
        );
        if let Some(declared) = arg.declared_at {
            error = error.with_note(
                declared,
                format!("the variable gets {} here", arg.value.describe()),
            );
        }
        return Err(error);
    }
    Ok(())
}

fn plural(param: Param) -> &'static str {
    match param {
        Param::String => "strings",
        Param::Int => "integers",
        Param::Float => "floats",
        Param::Bool => "bools",
        Param::Duration => "durations",
        Param::Lambda => "lambdas",
        Param::Regex => "regexes",
        Param::Node => "nodes",
        Param::Any => "values",
        Param::List => "lists",
    }
}

/// The candidate closest to `name` when it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(name.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn closest_owned(name: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    let all: Vec<String> = candidates.collect();
    closest(name, all.iter().map(String::as_str)).map(str::to_owned)
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}
