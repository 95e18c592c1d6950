//! The functions a lambda expression may call, with their signatures, as Kapacitor's
//! `tick/stateful` package defines them.

use crate::value_type::ValueType;
use crate::value_type::ValueType as T;

/// One accepted combination of argument types and the type it returns.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSignature {
    /// The argument types, in order.
    pub args: &'static [ValueType],
    /// The type of the result.
    pub returns: ValueType,
}

/// A function callable inside a lambda.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// The name as written in a lambda (`sigma`, `strContains`).
    pub name: &'static str,
    /// Every accepted combination of argument types.
    pub signatures: &'static [FunctionSignature],
    /// Whether it keeps state from one point to the next (`sigma`, `count`, `spread`).
    pub stateful: bool,
}

/// Every built-in lambda function.
///
/// Order and content follow Kapacitor's `statelessFuncs` registration, then the
/// per-expression functions of `NewFunctions` (`sigma`, `count`, `spread`, `rand`).
/// Signatures are listed in the order the Go `init` functions insert them (Go map
/// iteration order, and so the order of Kapacitor's "available signatures", is random).
pub const FUNCTIONS: &[Function] = &[
    // Conversion functions.
    stateless("bool", BOOL),
    stateless("int", INT),
    stateless("float", FLOAT),
    stateless("string", STRING),
    stateless("duration", DURATION),
    // Math functions (`math1`/`math2` take floats only, no int promotion).
    stateless("abs", MATH1),
    stateless("acos", MATH1),
    stateless("acosh", MATH1),
    stateless("asin", MATH1),
    stateless("asinh", MATH1),
    stateless("atan", MATH1),
    stateless("atan2", MATH2),
    stateless("atanh", MATH1),
    stateless("cbrt", MATH1),
    stateless("ceil", MATH1),
    stateless("cos", MATH1),
    stateless("cosh", MATH1),
    stateless("erf", MATH1),
    stateless("erfc", MATH1),
    stateless("exp", MATH1),
    stateless("exp2", MATH1),
    stateless("expm1", MATH1),
    stateless("floor", MATH1),
    stateless("gamma", MATH1),
    stateless("hypot", MATH2),
    stateless("j0", MATH1),
    stateless("j1", MATH1),
    stateless("jn", MATH_INT_FLOAT),
    stateless("log", MATH1),
    stateless("log10", MATH1),
    stateless("log1p", MATH1),
    stateless("log2", MATH1),
    stateless("logb", MATH1),
    stateless("max", MATH2),
    stateless("min", MATH2),
    stateless("mod", MATH2),
    stateless("pow", MATH2),
    stateless("pow10", MATH_INT),
    stateless("sin", MATH1),
    stateless("sinh", MATH1),
    stateless("sqrt", MATH1),
    stateless("tan", MATH1),
    stateless("tanh", MATH1),
    stateless("trunc", MATH1),
    stateless("y0", MATH1),
    stateless("y1", MATH1),
    stateless("yn", MATH_INT_FLOAT),
    // String functions.
    stateless("strContains", STR2_BOOL),
    stateless("strContainsAny", STR2_BOOL),
    stateless("strCount", STR2_INT),
    stateless("strHasPrefix", STR2_BOOL),
    stateless("strHasSuffix", STR2_BOOL),
    stateless("strIndex", STR2_INT),
    stateless("strIndexAny", STR2_INT),
    stateless("strLastIndex", STR2_INT),
    stateless("strLastIndexAny", STR2_INT),
    stateless("strLength", STR_LENGTH),
    stateless("strReplace", STR_REPLACE),
    stateless("strSubstring", STR_SUBSTRING),
    stateless("strToLower", STR1_STR),
    stateless("strToUpper", STR1_STR),
    stateless("strTrim", STR2_STR),
    stateless("strTrimLeft", STR2_STR),
    stateless("strTrimPrefix", STR2_STR),
    stateless("strTrimRight", STR2_STR),
    stateless("strTrimSpace", STR1_STR),
    stateless("strTrimSuffix", STR2_STR),
    // Regex functions.
    stateless("regexReplace", REGEX_REPLACE),
    // Missing functions.
    stateless("isPresent", IS_PRESENT),
    // Time functions.
    stateless("unixNano", TIME_TO_INT),
    stateless("minute", TIME_TO_INT),
    stateless("hour", TIME_TO_INT),
    stateless("weekday", TIME_TO_INT),
    stateless("day", TIME_TO_INT),
    stateless("month", TIME_TO_INT),
    stateless("year", TIME_TO_INT),
    stateless("now", NOW),
    // Humanize functions.
    stateless("humanBytes", HUMAN_BYTES),
    // Conditionals.
    stateless("if", IF),
    // Stateful functions: a new instance for every expression.
    stateful("sigma", FLOAT_TO_FLOAT),
    stateful("count", COUNT),
    stateful("spread", FLOAT_TO_FLOAT),
    stateful("rand", RAND),
];

const fn sig(args: &'static [ValueType], returns: ValueType) -> FunctionSignature {
    FunctionSignature { args, returns }
}

const fn stateless(name: &'static str, signatures: &'static [FunctionSignature]) -> Function {
    Function {
        name,
        signatures,
        stateful: false,
    }
}

const fn stateful(name: &'static str, signatures: &'static [FunctionSignature]) -> Function {
    Function {
        name,
        signatures,
        stateful: true,
    }
}

/// `bool(x)`.
const BOOL: &[FunctionSignature] = &[
    sig(&[T::Bool], T::Bool),
    sig(&[T::String], T::Bool),
    sig(&[T::Int], T::Bool),
    sig(&[T::Float], T::Bool),
];

/// `int(x)`; Kapacitor's `Call` also converts a duration, but its signature does not list it.
const INT: &[FunctionSignature] = &[
    sig(&[T::Bool], T::Int),
    sig(&[T::String], T::Int),
    sig(&[T::Int], T::Int),
    sig(&[T::Float], T::Int),
];

/// `float(x)`.
const FLOAT: &[FunctionSignature] = &[
    sig(&[T::Bool], T::Float),
    sig(&[T::String], T::Float),
    sig(&[T::Int], T::Float),
    sig(&[T::Float], T::Float),
];

/// `string(x)`.
const STRING: &[FunctionSignature] = &[
    sig(&[T::Bool], T::String),
    sig(&[T::String], T::String),
    sig(&[T::Int], T::String),
    sig(&[T::Float], T::String),
    sig(&[T::Duration], T::String),
];

/// `duration(x)` / `duration(x, unit)`. The string form is `(string, duration)` exactly as
/// Kapacitor's signature map has it (its second slot is left over from the float entry),
/// so a one-argument `duration("5m")` fails Kapacitor's signature check.
const DURATION: &[FunctionSignature] = &[
    sig(&[T::Duration], T::Duration),
    sig(&[T::Int, T::Duration], T::Duration),
    sig(&[T::Float, T::Duration], T::Duration),
    sig(&[T::String, T::Duration], T::Duration),
];

/// One float in, float out (`math1`).
const MATH1: &[FunctionSignature] = &[sig(&[T::Float], T::Float)];

/// Two floats in, float out (`math2`).
const MATH2: &[FunctionSignature] = &[sig(&[T::Float, T::Float], T::Float)];

/// One int in, float out (`mathI`: `pow10`).
const MATH_INT: &[FunctionSignature] = &[sig(&[T::Int], T::Float)];

/// An int and a float in, float out (`mathIF`: `jn`, `yn`).
const MATH_INT_FLOAT: &[FunctionSignature] = &[sig(&[T::Int, T::Float], T::Float)];

/// Two strings in, bool out.
const STR2_BOOL: &[FunctionSignature] = &[sig(&[T::String, T::String], T::Bool)];

/// Two strings in, int out.
const STR2_INT: &[FunctionSignature] = &[sig(&[T::String, T::String], T::Int)];

/// Two strings in, string out.
const STR2_STR: &[FunctionSignature] = &[sig(&[T::String, T::String], T::String)];

/// One string in, string out.
const STR1_STR: &[FunctionSignature] = &[sig(&[T::String], T::String)];

/// `strLength(s)`.
const STR_LENGTH: &[FunctionSignature] = &[sig(&[T::String], T::Int)];

/// `strReplace(s, old, new, n)`.
const STR_REPLACE: &[FunctionSignature] =
    &[sig(&[T::String, T::String, T::String, T::Int], T::String)];

/// `strSubstring(s, start, stop)`.
const STR_SUBSTRING: &[FunctionSignature] = &[sig(&[T::String, T::Int, T::Int], T::String)];

/// `regexReplace(pattern, src, repl)`.
const REGEX_REPLACE: &[FunctionSignature] = &[sig(&[T::Regex, T::String, T::String], T::String)];

/// `isPresent(ref)`.
const IS_PRESENT: &[FunctionSignature] = &[
    sig(&[T::Missing], T::Bool),
    sig(&[T::Bool], T::Bool),
    sig(&[T::String], T::Bool),
    sig(&[T::Int], T::Bool),
    sig(&[T::Float], T::Bool),
];

/// The time functions: a time in, int out.
const TIME_TO_INT: &[FunctionSignature] = &[sig(&[T::Time], T::Int)];

/// `now()`.
const NOW: &[FunctionSignature] = &[sig(&[], T::Time)];

/// `humanBytes(x)`.
const HUMAN_BYTES: &[FunctionSignature] = &[sig(&[T::Float], T::String), sig(&[T::Int], T::String)];

/// `if(condition, then, else)`: both branches of one type, which is the result.
const IF: &[FunctionSignature] = &[
    sig(&[T::Bool, T::Float, T::Float], T::Float),
    sig(&[T::Bool, T::Int, T::Int], T::Int),
    sig(&[T::Bool, T::String, T::String], T::String),
    sig(&[T::Bool, T::Bool, T::Bool], T::Bool),
    sig(&[T::Bool, T::Regex, T::Regex], T::Regex),
    sig(&[T::Bool, T::Time, T::Time], T::Time),
    sig(&[T::Bool, T::Duration, T::Duration], T::Duration),
];

/// `sigma(x)` and `spread(x)`.
const FLOAT_TO_FLOAT: &[FunctionSignature] = &[sig(&[T::Float], T::Float)];

/// `count()`.
const COUNT: &[FunctionSignature] = &[sig(&[], T::Int)];

/// `rand()` / `rand(n)`.
const RAND: &[FunctionSignature] = &[sig(&[], T::Int), sig(&[T::Int], T::Int)];
