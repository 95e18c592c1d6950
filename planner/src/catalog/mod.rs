//! The node catalog: every object a TICKscript can chain to, with its properties and the
//! chaining methods that create new nodes, as Kapacitor's `pipeline` package defines them.
//!
//! Kapacitor finds properties and chaining methods by reflection on its Go structs. The
//! catalog writes the same facts down as data: for each object (a node such as `WindowNode`,
//! or an alert handler such as `EmailHandler`), the properties set with `.name(…)`, the
//! chaining methods called with `|name(…)`, and the Go parameter types that decide which
//! arguments Kapacitor accepts. Names are kept in Go spelling (`Period`, `IdField`); a script
//! may write the first letter in either case, as in Kapacitor.

mod alert;
mod functions;
mod nodes;

pub use functions::{FUNCTIONS, Function, FunctionSignature};

/// The kind of edge between two nodes: what a node wants from its parent or gives to its
/// children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edge {
    /// Points, one at a time.
    Stream,
    /// Batches of points that share a group and a time.
    Batch,
    /// No data flows (sinks that give nothing, or sources that want nothing).
    NoEdge,
}

impl Edge {
    /// The lower-case word Kapacitor prints for the edge.
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Stream => "stream",
            Edge::Batch => "batch",
            Edge::NoEdge => "noedge",
        }
    }
}

/// Which edge a node created by a chaining method wants or provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeRule {
    /// Always a stream edge.
    Stream,
    /// Always a batch edge.
    Batch,
    /// The edge the parent provides.
    Parent,
    /// No edge.
    NoEdge,
}

impl EdgeRule {
    /// The edge this rule gives for a parent that provides `parent`.
    pub fn resolve(self, parent: Edge) -> Edge {
        match self {
            EdgeRule::Stream => Edge::Stream,
            EdgeRule::Batch => Edge::Batch,
            EdgeRule::Parent => parent,
            EdgeRule::NoEdge => Edge::NoEdge,
        }
    }
}

/// The Go type of one parameter of a property or chaining method. Kapacitor calls the Go
/// method by reflection, so a value is accepted only when it has exactly this type (an
/// integer literal is not a float, a double-quoted reference is not a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `string`: a single- or triple-quoted string literal.
    String,
    /// `int64`: an integer literal.
    Int,
    /// `float64`: a float literal.
    Float,
    /// `bool`: `TRUE` or `FALSE`.
    Bool,
    /// `time.Duration`: a duration literal such as `10s`.
    Duration,
    /// `*ast.LambdaNode`: a `lambda:` expression.
    Lambda,
    /// `*regexp.Regexp`: a regex literal.
    Regex,
    /// `pipeline.Node`: another node of the pipeline (join, union).
    Node,
    /// `interface{}`: any value at all.
    Any,
    /// A Go slice field set directly (`[]string` and the like); a list value.
    List,
}

impl Param {
    /// The Go type name, as Kapacitor's reflection errors print it.
    pub fn go_type(self) -> &'static str {
        match self {
            Param::String => "string",
            Param::Int => "int64",
            Param::Float => "float64",
            Param::Bool => "bool",
            Param::Duration => "time.Duration",
            Param::Lambda => "*ast.LambdaNode",
            Param::Regex => "*regexp.Regexp",
            Param::Node => "pipeline.Node",
            Param::Any => "interface {}",
            Param::List => "[]interface {}",
        }
    }
}

/// A property: `.name(args…)` on an object.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    /// The Go name (`Period`); a script writes `period` or `Period`.
    pub name: &'static str,
    /// The fixed parameters, in order.
    pub params: &'static [Param],
    /// The type of trailing variadic parameters (`...string`), if any.
    pub variadic: Option<Param>,
    /// The Go type of the object the property returns when that is not the object itself
    /// (alert handlers: `.email()` returns an `EmailHandler`).
    pub returns: Option<&'static str>,
}

/// A chaining method: `|name(args…)` creates a new node whose parent is the object.
#[derive(Debug, Clone, Copy)]
pub struct ChainMethod {
    /// The Go name (`Window`); a script writes `window` or `Window`.
    pub name: &'static str,
    /// The fixed parameters, in order.
    pub params: &'static [Param],
    /// The type of trailing variadic parameters, if any.
    pub variadic: Option<Param>,
    /// The Go type of the node it creates (`WindowNode`, `InfluxQLNode`).
    pub node: &'static str,
    /// The edge the new node wants.
    pub wants: EdgeRule,
    /// The edge the new node provides.
    pub provides: EdgeRule,
    /// The edge the parent must provide, when Kapacitor refuses any other (`window` only
    /// after a stream edge: "cannot Window batch edge").
    pub requires: Option<Edge>,
}

/// What sort of object a catalog entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A pipeline node that has the shared chaining methods (`|window()`, `|mean()`, …).
    ChainNode,
    /// A pipeline node without them (sinks such as `httpPost`'s siblings that end a chain,
    /// sources such as `stats`): only `|stats()`, `|deadman()` and its own methods.
    Node,
    /// An alert handler object returned by a property of the alert node; properties it does
    /// not have are looked up on the object it embeds.
    Handler,
}

/// One object type: a node or an alert handler.
#[derive(Debug, Clone, Copy)]
pub struct Object {
    /// The Go type name without package (`WindowNode`, `EmailHandler`).
    pub go_type: &'static str,
    /// Node or handler.
    pub kind: ObjectKind,
    /// The properties it has itself.
    pub properties: &'static [Property],
    /// Chaining methods it has beyond the shared ones (`StreamNode.From`).
    pub chain_methods: &'static [ChainMethod],
    /// The object whose properties and chaining methods it also answers to (handlers embed
    /// `AlertNodeData`), looked up after its own.
    pub embeds: Option<&'static str>,
}

/// Chaining methods every node has (Kapacitor's `node` type): `stats` and `deadman`.
pub const NODE_METHODS: &[ChainMethod] = nodes::NODE_METHODS;

/// Chaining methods every chain node has (Kapacitor's `chainnode` type, including the
/// InfluxQL functions).
pub const CHAIN_METHODS: &[ChainMethod] = nodes::CHAIN_METHODS;

/// Every object of the catalog: the nodes, the alert node and its handlers.
pub fn objects() -> impl Iterator<Item = &'static Object> {
    nodes::OBJECTS.iter().chain(alert::OBJECTS.iter())
}

/// The object with Go type `go_type`.
pub fn object(go_type: &str) -> Option<&'static Object> {
    objects().find(|o| o.go_type == go_type)
}

/// The catalog name of something written in a script: Kapacitor matches `period` and
/// `Period` alike by upper-casing the first letter.
pub fn go_name(script_name: &str) -> String {
    let mut chars = script_name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How a script writes a catalog name: `Period` → `period`, `HttpOut` → `httpOut`.
pub fn script_name(go_name: &str) -> String {
    let mut chars = go_name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Two catalog entries are the same object when they name the same Go type.
impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.go_type == other.go_type
    }
}

impl Object {
    /// The object whose properties this one also answers to.
    pub fn embedded(&self) -> Option<&'static Object> {
        self.embeds.and_then(object)
    }

    /// The property written `name` (either case of first letter), with the object that owns
    /// it: this one, or the one it embeds.
    pub fn property(&'static self, name: &str) -> Option<(&'static Object, &'static Property)> {
        let go = go_name(name);
        if let Some(p) = self.properties.iter().find(|p| p.name == go) {
            return Some((self, p));
        }
        self.embedded().and_then(|e| e.property(name))
    }

    /// The chaining method written `name` (either case of first letter).
    pub fn chain_method(&self, name: &str) -> Option<&'static ChainMethod> {
        let go = go_name(name);
        self.chain_methods_all().find(|m| m.name == go)
    }

    /// Every chaining method it has: its own, then the shared ones its kind has.
    pub fn chain_methods_all(&self) -> Box<dyn Iterator<Item = &'static ChainMethod>> {
        match self.kind {
            ObjectKind::ChainNode => Box::new(
                self.chain_methods
                    .iter()
                    .chain(CHAIN_METHODS)
                    .chain(NODE_METHODS),
            ),
            ObjectKind::Node => Box::new(self.chain_methods.iter().chain(NODE_METHODS)),
            ObjectKind::Handler => match self.embedded() {
                Some(embedded) => embedded.chain_methods_all(),
                None => Box::new(self.chain_methods.iter()),
            },
        }
    }

    /// Every property it answers to, its own first.
    pub fn properties_all(&'static self) -> Vec<&'static Property> {
        let mut all: Vec<&'static Property> = self.properties.iter().collect();
        if let Some(embedded) = self.embedded() {
            all.extend(embedded.properties_all());
        }
        all
    }
}
