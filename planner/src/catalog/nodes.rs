//! The pipeline nodes of Kapacitor's `pipeline` package (all but the alert node and its
//! handlers): their properties and chaining methods, as Kapacitor's reflection
//! (`tick/eval.go`: `getProperties`, `getChainMethods`) finds them.
//!
//! Properties of a node are its exported settable fields without a `tick:"…"` tag (named as
//! the field) and, for each field tagged `tick:"Name"`, the property method `Name`. Every
//! node embeds Kapacitor's `node` type, whose field `QuietFlag` is tagged `tick:"Quiet"`,
//! so every node has the property `Quiet` (listed first, where the embedded type sits).

use super::{ChainMethod, Edge, EdgeRule, Object, ObjectKind, Param as P, Property};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const PARENT: EdgeRule = EdgeRule::Parent;
const STREAM: EdgeRule = EdgeRule::Stream;
const BATCH: EdgeRule = EdgeRule::Batch;
const NO_EDGE: EdgeRule = EdgeRule::NoEdge;

/// A property (field or property method) with fixed parameters only.
const fn prop(name: &'static str, params: &'static [P]) -> Property {
    Property {
        name,
        params,
        variadic: None,
        returns: None,
    }
}

/// A property method with trailing variadic parameters.
const fn prop_var(name: &'static str, params: &'static [P], variadic: P) -> Property {
    Property {
        name,
        params,
        variadic: Some(variadic),
        returns: None,
    }
}

/// A chaining method with fixed parameters only, accepted after any edge.
const fn chain(
    name: &'static str,
    params: &'static [P],
    node: &'static str,
    wants: EdgeRule,
    provides: EdgeRule,
) -> ChainMethod {
    ChainMethod {
        name,
        params,
        variadic: None,
        node,
        wants,
        provides,
        requires: None,
    }
}

/// A chaining method with trailing variadic parameters, accepted after any edge.
const fn chain_var(
    name: &'static str,
    params: &'static [P],
    variadic: P,
    node: &'static str,
    wants: EdgeRule,
    provides: EdgeRule,
) -> ChainMethod {
    ChainMethod {
        name,
        params,
        variadic: Some(variadic),
        node,
        wants,
        provides,
        requires: None,
    }
}

/// The same chaining method, refused unless the parent provides `edge` (Kapacitor panics).
const fn requiring(method: ChainMethod, edge: Edge) -> ChainMethod {
    ChainMethod {
        requires: Some(edge),
        ..method
    }
}

/// An InfluxQL function (`pipeline/influxql.go`): creates an `InfluxQLNode` that wants the
/// parent's edge and provides `provides`.
const fn iql(name: &'static str, params: &'static [P], provides: EdgeRule) -> ChainMethod {
    chain(name, params, "InfluxQLNode", PARENT, provides)
}

/// An InfluxQL function with trailing variadic parameters.
const fn iql_var(
    name: &'static str,
    params: &'static [P],
    variadic: P,
    provides: EdgeRule,
) -> ChainMethod {
    chain_var(name, params, variadic, "InfluxQLNode", PARENT, provides)
}

/// A catalog object for a node type.
const fn node(
    go_type: &'static str,
    kind: ObjectKind,
    properties: &'static [Property],
    chain_methods: &'static [ChainMethod],
) -> Object {
    Object {
        go_type,
        kind,
        properties,
        chain_methods,
        embeds: None,
    }
}

const CHAIN: ObjectKind = ObjectKind::ChainNode;
const NODE: ObjectKind = ObjectKind::Node;

/// `node.QuietFlag` (`tick:"Quiet"`): every node has `.quiet()`.
const QUIET: Property = prop("Quiet", &[]);

// ---------------------------------------------------------------------------------------
// Chaining methods of `node` and `chainnode`
// ---------------------------------------------------------------------------------------

/// Chaining methods of Kapacitor's `node` type, which every node embeds.
#[rustfmt::skip]
pub(super) const NODE_METHODS: &[ChainMethod] = &[
    // A new pipeline source (not a child of the node); adds a NoOpNode child wanting the
    // node's provided edge when the node has no children yet.
    chain("Stats", &[P::Duration], "StatsNode", STREAM, STREAM),
    // stats(interval).align() |derivative('emitted').nonNegative() |alert(): returns that
    // AlertNode, which wants and provides a stream whatever the node's edge.
    chain_var("Deadman", &[P::Float, P::Duration], P::Lambda, "AlertNode", STREAM, STREAM),
];

/// Chaining methods of Kapacitor's `chainnode` type (`pipeline/node.go`), then the InfluxQL
/// functions (`pipeline/influxql.go`), which are also methods of `chainnode`.
#[rustfmt::skip]
pub(super) const CHAIN_METHODS: &[ChainMethod] = &[
    chain("Where", &[P::Lambda], "WhereNode", PARENT, PARENT),
    chain("HttpOut", &[P::String], "HTTPOutNode", PARENT, PARENT),
    chain_var("HttpPost", &[], P::String, "HTTPPostNode", PARENT, PARENT),
    chain("InfluxDBOut", &[], "InfluxDBOutNode", PARENT, NO_EDGE),
    chain("KapacitorLoopback", &[], "KapacitorLoopbackNode", PARENT, NO_EDGE),
    chain("Alert", &[], "AlertNode", PARENT, PARENT),
    // The given nodes become further parents of the new node.
    chain_var("Union", &[], P::Node, "UnionNode", PARENT, PARENT),
    // The node itself is the first parent, then the given nodes.
    chain_var("Join", &[], P::Node, "JoinNode", PARENT, PARENT),
    chain_var("Combine", &[], P::Lambda, "CombineNode", PARENT, STREAM),
    chain("Flatten", &[], "FlattenNode", PARENT, PARENT),
    chain_var("Eval", &[], P::Lambda, "EvalNode", PARENT, PARENT),
    chain_var("GroupBy", &[], P::Any, "GroupByNode", PARENT, PARENT),
    // panic("cannot Window batch edge") unless the parent provides a stream.
    requiring(chain("Window", &[], "WindowNode", STREAM, BATCH), Edge::Stream),
    chain("Barrier", &[], "BarrierNode", PARENT, PARENT),
    // panic("must pass int64 or duration to new sample node") for any other argument.
    chain("Sample", &[P::Any], "SampleNode", PARENT, PARENT),
    chain("Derivative", &[P::String], "DerivativeNode", PARENT, PARENT),
    chain_var("ChangeDetect", &[], P::String, "ChangeDetectNode", PARENT, PARENT),
    chain("Shift", &[P::Duration], "ShiftNode", PARENT, PARENT),
    chain("Log", &[], "LogNode", PARENT, PARENT),
    chain("Default", &[], "DefaultNode", PARENT, PARENT),
    chain("Delete", &[], "DeleteNode", PARENT, PARENT),
    chain("K8sAutoscale", &[], "K8sAutoscaleNode", PARENT, STREAM),
    chain("SwarmAutoscale", &[], "SwarmAutoscaleNode", PARENT, STREAM),
    chain("Ec2Autoscale", &[], "Ec2AutoscaleNode", PARENT, STREAM),
    chain("StateDuration", &[P::Lambda], "StateDurationNode", PARENT, PARENT),
    chain("StateCount", &[P::Lambda], "StateCountNode", PARENT, PARENT),
    chain("Sideload", &[], "SideloadNode", PARENT, PARENT),
    // panic("cannot Trickle stream edge") unless the parent provides a batch.
    requiring(chain("Trickle", &[], "TrickleNode", BATCH, STREAM), Edge::Batch),
    // InfluxQL aggregations: a stream.
    iql("Count", &[P::String], STREAM),
    // Distinct gives a batch.
    iql("Distinct", &[P::String], BATCH),
    iql("Mean", &[P::String], STREAM),
    iql("Median", &[P::String], STREAM),
    iql("Mode", &[P::String], STREAM),
    iql("Spread", &[P::String], STREAM),
    iql("Sum", &[P::String], STREAM),
    // InfluxQL selectors: a stream, except top and bottom: a batch.
    iql("First", &[P::String], STREAM),
    iql("Last", &[P::String], STREAM),
    iql("Min", &[P::String], STREAM),
    iql("Max", &[P::String], STREAM),
    iql("Percentile", &[P::String, P::Float], STREAM),
    iql_var("Top", &[P::Int, P::String], P::String, BATCH),
    iql_var("Bottom", &[P::Int, P::String], P::String, BATCH),
    // InfluxQL transformations: stddev a stream, holtWinters a batch, the others the
    // parent's edge.
    iql("Stddev", &[P::String], STREAM),
    iql("Elapsed", &[P::String, P::Duration], PARENT),
    iql("Difference", &[P::String], PARENT),
    iql("MovingAverage", &[P::String, P::Int], PARENT),
    iql("HoltWinters", &[P::String, P::Int, P::Int, P::Duration], BATCH),
    iql("HoltWintersWithFit", &[P::String, P::Int, P::Int, P::Duration], BATCH),
    iql("CumulativeSum", &[P::String], PARENT),
];

// ---------------------------------------------------------------------------------------
// Properties and own chaining methods of each node
// ---------------------------------------------------------------------------------------

// stream
const STREAM_PROPS: &[Property] = &[QUIET];
const STREAM_CHAIN: &[ChainMethod] = &[chain("From", &[], "FromNode", STREAM, STREAM)];

// |from()
const FROM_PROPS: &[Property] = &[
    QUIET,
    prop("Where", &[P::Lambda]),
    prop_var("GroupBy", &[], P::Any),
    prop("GroupByMeasurement", &[]),
    prop("Database", &[P::String]),
    prop("RetentionPolicy", &[P::String]),
    prop("Measurement", &[P::String]),
    prop("Truncate", &[P::Duration]),
    prop("Round", &[P::Duration]),
];
// FromNode.From; `|where` and `|groupBy` stay the chainnode ones (FromNode.ChainMethods).
const FROM_CHAIN: &[ChainMethod] = &[chain("From", &[], "FromNode", STREAM, STREAM)];

// batch
const BATCH_PROPS: &[Property] = &[QUIET];
const BATCH_CHAIN: &[ChainMethod] = &[
    chain("Query", &[P::String], "QueryNode", BATCH, BATCH),
    chain("QueryFlux", &[P::String], "QueryFluxNode", BATCH, BATCH),
];

// |query()
const QUERY_PROPS: &[Property] = &[
    QUIET,
    prop("QueryStr", &[P::String]),
    prop("Period", &[P::Duration]),
    prop("Every", &[P::Duration]),
    prop("Align", &[]),
    prop("Cron", &[P::String]),
    prop("Offset", &[P::Duration]),
    prop("AlignGroup", &[]),
    prop_var("GroupBy", &[], P::Any),
    prop("GroupByMeasurement", &[]),
    prop("Fill", &[P::Any]),
    prop("Cluster", &[P::String]),
];

// |queryFlux()
const QUERY_FLUX_PROPS: &[Property] = &[
    QUIET,
    prop("QueryStr", &[P::String]),
    prop("Period", &[P::Duration]),
    prop("Every", &[P::Duration]),
    prop("Align", &[]),
    prop("Cron", &[P::String]),
    prop("Offset", &[P::Duration]),
    prop("Cluster", &[P::String]),
    prop("Org", &[P::String]),
    prop("OrgID", &[P::String]),
];

// |window()
const WINDOW_PROPS: &[Property] = &[
    QUIET,
    prop("Period", &[P::Duration]),
    prop("Every", &[P::Duration]),
    prop("Align", &[]),
    prop("FillPeriod", &[]),
    prop("PeriodCount", &[P::Int]),
    prop("EveryCount", &[P::Int]),
];

// |groupBy()
const GROUP_BY_PROPS: &[Property] = &[
    QUIET,
    prop("Dimensions", &[P::List]), // Go: []interface{}
    prop_var("Exclude", &[], P::String),
    prop("ByMeasurement", &[]),
];

// |where()
const WHERE_PROPS: &[Property] = &[QUIET, prop("Lambda", &[P::Lambda])];

// |eval()
const EVAL_PROPS: &[Property] = &[
    QUIET,
    prop_var("As", &[], P::String),
    prop_var("Tags", &[], P::String),
    prop("Lambdas", &[P::List]), // Go: []*ast.LambdaNode
    prop_var("Keep", &[], P::String),
    prop("KeepList", &[P::List]), // Go: []string
];

// |httpOut()
const HTTP_OUT_PROPS: &[Property] = &[QUIET, prop("Endpoint", &[P::String])];

// |httpPost()
const HTTP_POST_PROPS: &[Property] = &[
    QUIET,
    prop("Endpoint", &[P::String]),
    prop("Header", &[P::String, P::String]),
    prop("CodeField", &[P::String]),
    prop("CaptureResponse", &[]),
    prop("URLs", &[P::List]), // Go: []string
    prop("Timeout", &[P::Duration]),
];

// |influxDBOut()
const INFLUXDB_OUT_PROPS: &[Property] = &[
    QUIET,
    prop("Cluster", &[P::String]),
    prop("Database", &[P::String]),
    prop("RetentionPolicy", &[P::String]),
    prop("Measurement", &[P::String]),
    prop("WriteConsistency", &[P::String]),
    prop("Precision", &[P::String]),
    prop("Buffer", &[P::Int]),
    prop("FlushInterval", &[P::Duration]),
    prop("Tag", &[P::String, P::String]),
    prop("Create", &[]),
];

// |kapacitorLoopback()
const KAPACITOR_LOOPBACK_PROPS: &[Property] = &[
    QUIET,
    prop("Database", &[P::String]),
    prop("RetentionPolicy", &[P::String]),
    prop("Measurement", &[P::String]),
    prop("Tag", &[P::String, P::String]),
];

// |join()
const JOIN_PROPS: &[Property] = &[
    QUIET,
    prop_var("As", &[], P::String),
    prop_var("On", &[], P::String),
    prop("Delimiter", &[P::String]),
    prop("DeleteAll", &[P::Bool]),
    prop("StreamName", &[P::String]),
    prop("Tolerance", &[P::Duration]),
    prop("Fill", &[P::Any]),
];

// |union()
const UNION_PROPS: &[Property] = &[QUIET, prop("Rename", &[P::String])];

// |combine()
const COMBINE_PROPS: &[Property] = &[
    QUIET,
    prop("Lambdas", &[P::List]), // Go: []*ast.LambdaNode
    prop_var("As", &[], P::String),
    prop("Delimiter", &[P::String]),
    prop("Tolerance", &[P::Duration]),
    prop("Max", &[P::Int]),
];

// |flatten()
const FLATTEN_PROPS: &[Property] = &[
    QUIET,
    prop_var("On", &[], P::String),
    prop("Delimiter", &[P::String]),
    prop("Tolerance", &[P::Duration]),
    prop_var("DropOriginalFieldName", &[], P::Bool),
];

// |shift()
const SHIFT_PROPS: &[Property] = &[QUIET, prop("Shift", &[P::Duration])];

// |sample()
const SAMPLE_PROPS: &[Property] = &[
    QUIET,
    prop("N", &[P::Int]),
    prop("Duration", &[P::Duration]),
];

// |derivative()
const DERIVATIVE_PROPS: &[Property] = &[
    QUIET,
    prop("Field", &[P::String]),
    prop("As", &[P::String]),
    prop("Unit", &[P::Duration]),
    prop("NonNegative", &[]),
];

// |changeDetect()
const CHANGE_DETECT_PROPS: &[Property] = &[
    QUIET,
    prop("Fields", &[P::List]), // Go: []string
];

// |stateDuration()
const STATE_DURATION_PROPS: &[Property] = &[
    QUIET,
    prop("Lambda", &[P::Lambda]),
    prop("As", &[P::String]),
    prop("Unit", &[P::Duration]),
];

// |stateCount()
const STATE_COUNT_PROPS: &[Property] = &[
    QUIET,
    prop("Lambda", &[P::Lambda]),
    prop("As", &[P::String]),
];

// |default()
const DEFAULT_PROPS: &[Property] = &[
    QUIET,
    prop("Field", &[P::String, P::Any]),
    prop("Tag", &[P::String, P::String]),
];

// |delete()
const DELETE_PROPS: &[Property] = &[
    QUIET,
    prop("Field", &[P::String]),
    prop("Tag", &[P::String]),
];

// |barrier() (`|delete()` stays the chainnode one: BarrierNode.ChainMethods)
const BARRIER_PROPS: &[Property] = &[
    QUIET,
    prop("Idle", &[P::Duration]),
    prop("Period", &[P::Duration]),
    prop("Delete", &[P::Bool]),
];

// |log()
const LOG_PROPS: &[Property] = &[
    QUIET,
    prop("Level", &[P::String]),
    prop("Prefix", &[P::String]),
];

// noop (added by |stats() under a node without children; no script method creates it)
const NOOP_PROPS: &[Property] = &[QUIET];

// |stats()
const STATS_PROPS: &[Property] = &[
    QUIET,
    prop("SourceNode", &[P::Node]),
    prop("Interval", &[P::Duration]),
    prop("Align", &[]),
];

// |sideload()
const SIDELOAD_PROPS: &[Property] = &[
    QUIET,
    prop("Source", &[P::String]),
    prop_var("Order", &[], P::String),
    prop("Field", &[P::String, P::Any]),
    prop("Tag", &[P::String, P::String]),
];

// |trickle()
const TRICKLE_PROPS: &[Property] = &[QUIET];

// |count(), |mean(), |top(), … (every InfluxQL function)
const INFLUXQL_PROPS: &[Property] = &[
    QUIET,
    prop("Method", &[P::String]),
    prop("Field", &[P::String]),
    prop("As", &[P::String]),
    prop("ReduceCreater", &[P::Any]), // Go: pipeline.ReduceCreater (struct); no script value fits
    prop("UsePointTimes", &[]),
    prop("Reducer", &[P::Node]),
    prop("Args", &[P::List]), // Go: []interface{}
];

// |k8sAutoscale()
const K8S_AUTOSCALE_PROPS: &[Property] = &[
    QUIET,
    prop("Cluster", &[P::String]),
    prop("Namespace", &[P::String]),
    prop("Kind", &[P::String]),
    prop("ResourceName", &[P::String]),
    prop("ResourceNameTag", &[P::String]),
    prop("CurrentField", &[P::String]),
    prop("Max", &[P::Int]),
    prop("Min", &[P::Int]),
    prop("Replicas", &[P::Lambda]),
    prop("IncreaseCooldown", &[P::Duration]),
    prop("DecreaseCooldown", &[P::Duration]),
    prop("NamespaceTag", &[P::String]),
    prop("KindTag", &[P::String]),
    prop("ResourceTag", &[P::String]),
];

// |swarmAutoscale()
const SWARM_AUTOSCALE_PROPS: &[Property] = &[
    QUIET,
    prop("Cluster", &[P::String]),
    prop("ServiceName", &[P::String]),
    prop("ServiceNameTag", &[P::String]),
    prop("OutputServiceNameTag", &[P::String]),
    prop("CurrentField", &[P::String]),
    prop("Max", &[P::Int]),
    prop("Min", &[P::Int]),
    prop("Replicas", &[P::Lambda]),
    prop("IncreaseCooldown", &[P::Duration]),
    prop("DecreaseCooldown", &[P::Duration]),
];

// |ec2Autoscale()
const EC2_AUTOSCALE_PROPS: &[Property] = &[
    QUIET,
    prop("Cluster", &[P::String]),
    prop("GroupName", &[P::String]),
    prop("GroupNameTag", &[P::String]),
    prop("OutputGroupNameTag", &[P::String]),
    prop("CurrentField", &[P::String]),
    prop("Max", &[P::Int]),
    prop("Min", &[P::Int]),
    prop("Replicas", &[P::Lambda]),
    prop("IncreaseCooldown", &[P::Duration]),
    prop("DecreaseCooldown", &[P::Duration]),
];

// @name() (a UDF; its options from the UDF's info response come on top of these)
const UDF_PROPS: &[Property] = &[
    QUIET,
    prop("UDFName", &[P::String]),
    prop("Options", &[P::List]), // Go: []*agent.Option
];

// ---------------------------------------------------------------------------------------
// The objects
// ---------------------------------------------------------------------------------------

/// Every pipeline node type but the alert node: its kind, properties and own chaining
/// methods.
pub(super) const OBJECTS: &[Object] = &[
    // stream
    node("StreamNode", NODE, STREAM_PROPS, STREAM_CHAIN),
    // |from()
    node("FromNode", CHAIN, FROM_PROPS, FROM_CHAIN),
    // batch
    node("BatchNode", NODE, BATCH_PROPS, BATCH_CHAIN),
    // |query()
    node("QueryNode", CHAIN, QUERY_PROPS, &[]),
    // |queryFlux()
    node("QueryFluxNode", CHAIN, QUERY_FLUX_PROPS, &[]),
    // |window()
    node("WindowNode", CHAIN, WINDOW_PROPS, &[]),
    // |groupBy()
    node("GroupByNode", CHAIN, GROUP_BY_PROPS, &[]),
    // |where()
    node("WhereNode", CHAIN, WHERE_PROPS, &[]),
    // |eval()
    node("EvalNode", CHAIN, EVAL_PROPS, &[]),
    // |httpOut()
    node("HTTPOutNode", CHAIN, HTTP_OUT_PROPS, &[]),
    // |httpPost()
    node("HTTPPostNode", CHAIN, HTTP_POST_PROPS, &[]),
    // |influxDBOut()
    node("InfluxDBOutNode", NODE, INFLUXDB_OUT_PROPS, &[]),
    // |kapacitorLoopback()
    node("KapacitorLoopbackNode", NODE, KAPACITOR_LOOPBACK_PROPS, &[]),
    // |join()
    node("JoinNode", CHAIN, JOIN_PROPS, &[]),
    // |union()
    node("UnionNode", CHAIN, UNION_PROPS, &[]),
    // |combine()
    node("CombineNode", CHAIN, COMBINE_PROPS, &[]),
    // |flatten()
    node("FlattenNode", CHAIN, FLATTEN_PROPS, &[]),
    // |shift()
    node("ShiftNode", CHAIN, SHIFT_PROPS, &[]),
    // |sample()
    node("SampleNode", CHAIN, SAMPLE_PROPS, &[]),
    // |derivative()
    node("DerivativeNode", CHAIN, DERIVATIVE_PROPS, &[]),
    // |changeDetect()
    node("ChangeDetectNode", CHAIN, CHANGE_DETECT_PROPS, &[]),
    // |stateDuration()
    node("StateDurationNode", CHAIN, STATE_DURATION_PROPS, &[]),
    // |stateCount()
    node("StateCountNode", CHAIN, STATE_COUNT_PROPS, &[]),
    // |default()
    node("DefaultNode", CHAIN, DEFAULT_PROPS, &[]),
    // |delete()
    node("DeleteNode", CHAIN, DELETE_PROPS, &[]),
    // |barrier()
    node("BarrierNode", CHAIN, BARRIER_PROPS, &[]),
    // |log()
    node("LogNode", CHAIN, LOG_PROPS, &[]),
    // noop
    node("NoOpNode", CHAIN, NOOP_PROPS, &[]),
    // |stats()
    node("StatsNode", CHAIN, STATS_PROPS, &[]),
    // |sideload()
    node("SideloadNode", CHAIN, SIDELOAD_PROPS, &[]),
    // |trickle()
    node("TrickleNode", CHAIN, TRICKLE_PROPS, &[]),
    // |count(), |mean(), … (InfluxQL functions)
    node("InfluxQLNode", CHAIN, INFLUXQL_PROPS, &[]),
    // |k8sAutoscale()
    node("K8sAutoscaleNode", CHAIN, K8S_AUTOSCALE_PROPS, &[]),
    // |swarmAutoscale()
    node("SwarmAutoscaleNode", CHAIN, SWARM_AUTOSCALE_PROPS, &[]),
    // |ec2Autoscale()
    node("Ec2AutoscaleNode", CHAIN, EC2_AUTOSCALE_PROPS, &[]),
    // @name() (UDF)
    node("UDFNode", CHAIN, UDF_PROPS, &[]),
];
