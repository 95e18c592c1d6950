//! Runs a template's tree on its data, as Go's `text/template` executes it.

use std::borrow::Cow;

use super::Value;
use super::format::{print_value, sprint, sprintf, verb_v};
use super::parse::{Node, Operand, Pipeline};

/// The functions a template may call: Go's builtins.
pub(super) const FUNCTIONS: &[&str] = &[
    "and",
    "or",
    "not",
    "len",
    "index",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "html",
    "js",
    "urlquery",
    "json",
    "jsonCompact",
];

/// The text `nodes` render from `data` as `.` and `$`; an error comes with the text written
/// before it. (An `html/template`'s escaping is already in its pipelines.)
///
/// Values are borrowed from `data` as far as a pipeline goes; only what a function or a
/// method makes is new, so an action costs what it prints, not a copy of the data.
pub(super) fn render(nodes: &[Node], data: &Value) -> Result<String, (String, String)> {
    let mut state = State {
        root: data,
        vars: Vec::new(),
        out: String::new(),
    };
    match state.walk(nodes, data) {
        Ok(()) => Ok(state.out),
        Err(error) => Err((error, state.out)),
    }
}

/// Go's nil, for a missing map entry met in the middle of a chain.
static NIL: Value = Value::Nil;

struct State<'d> {
    /// The data, `$` unless a template declares its own.
    root: &'d Value,
    vars: Vec<(String, Value)>,
    out: String,
}

impl<'d> State<'d> {
    fn walk<'v>(&mut self, nodes: &[Node], dot: &'v Value) -> Result<(), String>
    where
        'd: 'v,
    {
        for node in nodes {
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Action(pipeline) => {
                    let value = self.pipeline(pipeline, dot)?;
                    if pipeline.vars.is_empty() {
                        match value.as_ref() {
                            Value::Str(text) => self.out.push_str(text),
                            other => self.out.push_str(&print_value(other)),
                        }
                    }
                }
                Node::If(pipeline, body, otherwise) => {
                    let mark = self.vars.len();
                    let value = self.pipeline(pipeline, dot)?;
                    if truth(&value) {
                        self.walk(body, dot)?;
                    } else {
                        self.walk(otherwise, dot)?;
                    }
                    self.vars.truncate(mark);
                }
                Node::With(pipeline, body, otherwise) => {
                    let mark = self.vars.len();
                    let value = self.pipeline(pipeline, dot)?;
                    if truth(&value) {
                        self.walk(body, &value)?;
                    } else {
                        self.walk(otherwise, dot)?;
                    }
                    self.vars.truncate(mark);
                }
                Node::Range(pipeline, body, otherwise) => {
                    let mark = self.vars.len();
                    let unnamed = Pipeline {
                        vars: Vec::new(),
                        ..pipeline.clone()
                    };
                    let value = self.pipeline(&unnamed, dot)?;
                    let items: Vec<(Value, Value)> = match value.as_ref() {
                        Value::List(items) => items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                            .collect(),
                        Value::Map(map) => map
                            .entries
                            .iter()
                            .map(|(k, v)| (Value::Str(k.clone()), v.clone()))
                            .collect(),
                        Value::Int(n) => (0..*n).map(|i| (Value::Int(i), Value::Int(i))).collect(),
                        Value::Nil => Vec::new(),
                        other => {
                            return Err(format!("range can't iterate over {}", print_value(other)));
                        }
                    };
                    if items.is_empty() {
                        self.walk(otherwise, dot)?;
                    }
                    for (key, item) in items {
                        let inner = self.vars.len();
                        match pipeline.vars.as_slice() {
                            [element] => self.vars.push((element.clone(), item.clone())),
                            [index, element] => {
                                self.vars.push((index.clone(), key));
                                self.vars.push((element.clone(), item.clone()));
                            }
                            _ => {}
                        }
                        self.walk(body, &item)?;
                        self.vars.truncate(inner);
                    }
                    self.vars.truncate(mark);
                }
            }
        }
        Ok(())
    }

    fn pipeline<'v>(
        &mut self,
        pipeline: &Pipeline,
        dot: &'v Value,
    ) -> Result<Cow<'v, Value>, String>
    where
        'd: 'v,
    {
        let mut value: Option<Cow<'v, Value>> = None;
        for command in &pipeline.commands {
            value = Some(self.command(command, dot, value)?);
        }
        let value = value.unwrap_or(Cow::Borrowed(&NIL));
        for name in &pipeline.vars {
            let slot = self.vars.iter_mut().rev().find(|(n, _)| n == name);
            match slot {
                Some(slot) if pipeline.assign => slot.1 = value.clone().into_owned(),
                // `$` is the data until a template assigns it.
                None if pipeline.assign && name != "$" => {
                    return Err(format!("undefined variable: {name}"));
                }
                _ => self.vars.push((name.clone(), value.clone().into_owned())),
            }
        }
        Ok(value)
    }

    fn command<'v>(
        &mut self,
        command: &[Operand],
        dot: &'v Value,
        piped: Option<Cow<'v, Value>>,
    ) -> Result<Cow<'v, Value>, String>
    where
        'd: 'v,
    {
        if let Operand::Escaper(escaper) = &command[0] {
            let args = self.arguments(&command[1..], dot, piped)?;
            let args: Vec<&Value> = args.iter().map(Cow::as_ref).collect();
            return Ok(Cow::Owned(escaper.apply(&args)));
        }
        let Operand::Function(name) = &command[0] else {
            if (command.len() > 1 || piped.is_some())
                && let Some((receiver, method)) = self.method_receiver(&command[0], dot)?
            {
                let args = self.arguments(&command[1..], dot, piped)?;
                let args: Vec<&Value> = args.iter().map(Cow::as_ref).collect();
                return call_method(&receiver, method, &args).map(Cow::Owned);
            }
            if command.len() > 1 || piped.is_some() {
                return Err(format!(
                    "can't give argument to non-function {}",
                    describe(&command[0])
                ));
            }
            return self.operand(&command[0], dot);
        };
        // `and` and `or` evaluate their arguments only as far as they must.
        if name == "and" || name == "or" {
            if command.len() == 1 && piped.is_none() {
                return Err(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                ));
            }
            let mut last = Cow::Borrowed(&NIL);
            for operand in &command[1..] {
                last = self.operand(operand, dot)?;
                if truth(&last) != (name == "and") {
                    return Ok(last);
                }
            }
            return Ok(piped.unwrap_or(last));
        }
        let args = self.arguments(&command[1..], dot, piped)?;
        let args: Vec<&Value> = args.iter().map(Cow::as_ref).collect();
        call(name, &args).map(Cow::Owned)
    }

    /// A command's arguments: its operands, then what was piped into it.
    fn arguments<'v>(
        &mut self,
        operands: &[Operand],
        dot: &'v Value,
        piped: Option<Cow<'v, Value>>,
    ) -> Result<Vec<Cow<'v, Value>>, String>
    where
        'd: 'v,
    {
        let mut args = Vec::with_capacity(operands.len() + 1);
        for operand in operands {
            args.push(self.operand(operand, dot)?);
        }
        args.extend(piped);
        Ok(args)
    }

    /// The value of variable `name`.
    fn variable(&self, name: &str) -> Result<&Value, String> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, value)) => Ok(value),
            None if name == "$" => Ok(self.root),
            None => Err(format!("undefined variable: {name}")),
        }
    }

    /// For `.Time.Format "…"`: the value a chain ends on before its last name, when that
    /// name is a method of it (Go calls methods with the command's arguments).
    fn method_receiver<'o>(
        &mut self,
        operand: &'o Operand,
        dot: &Value,
    ) -> Result<Option<(Value, &'o str)>, String> {
        let (Operand::Field(names) | Operand::Variable(_, names) | Operand::Group(_, names)) =
            operand
        else {
            return Ok(None);
        };
        let Some((method, path)) = names.split_last() else {
            return Ok(None);
        };
        let receiver = match operand {
            Operand::Variable(name, _) => {
                Cow::Owned(fields(self.variable(name)?, path)?.into_owned())
            }
            Operand::Group(pipeline, _) => {
                let value = self.pipeline(pipeline, dot)?;
                Cow::Owned(fields(&value, path)?.into_owned())
            }
            _ => fields(dot, path)?,
        };
        Ok(is_method(&receiver, method).then(|| (receiver.into_owned(), method.as_str())))
    }

    fn operand<'v>(&mut self, operand: &Operand, dot: &'v Value) -> Result<Cow<'v, Value>, String>
    where
        'd: 'v,
    {
        match operand {
            Operand::Field(names) => fields(dot, names),
            Operand::Variable(name, names) => match self.vars.iter().rev().find(|(n, _)| n == name)
            {
                Some((_, value)) => Ok(Cow::Owned(fields(value, names)?.into_owned())),
                None if name == "$" => fields(self.root, names),
                None => Err(format!("undefined variable: {name}")),
            },
            Operand::Function(name) => call(name, &[]).map(Cow::Owned),
            Operand::Str(s) => Ok(Cow::Owned(Value::Str(s.clone()))),
            Operand::Int(v) => Ok(Cow::Owned(Value::Int(*v))),
            Operand::Float(v) => Ok(Cow::Owned(Value::Float(*v))),
            Operand::Bool(v) => Ok(Cow::Owned(Value::Bool(*v))),
            Operand::Nil => Err("nil is not a command".to_owned()),
            Operand::Escaper(escaper) => Ok(Cow::Owned(escaper.apply(&[]))),
            Operand::Group(pipeline, names) => {
                let value = self.pipeline(pipeline, dot)?;
                Ok(Cow::Owned(fields(&value, names)?.into_owned()))
            }
        }
    }
}

/// How Go's errors name an operand.
fn describe(operand: &Operand) -> String {
    match operand {
        Operand::Field(names) => format!(".{}", names.join(".")),
        Operand::Variable(name, _) => name.clone(),
        Operand::Str(s) => format!("{s:?}"),
        Operand::Int(v) => v.to_string(),
        Operand::Float(v) => v.to_string(),
        Operand::Bool(v) => v.to_string(),
        Operand::Nil => "nil".to_owned(),
        Operand::Function(name) => name.clone(),
        Operand::Group(..) => "(pipeline)".to_owned(),
        Operand::Escaper(escaper) => escaper.name().to_owned(),
    }
}

/// `value.A.B…`: struct fields (one the struct lacks is an error) and map entries (a missing
/// one is Go's invalid value, which prints as `<no value>`), borrowed from `value` unless a
/// method on the way makes a new one.
fn fields<'v>(value: &'v Value, names: &[String]) -> Result<Cow<'v, Value>, String> {
    let mut value = value;
    for (i, name) in names.iter().enumerate() {
        value = match value {
            Value::Struct(fields) => fields
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, v)| v)
                .ok_or_else(|| format!("can't evaluate field {name}"))?,
            Value::Map(map) => map.entries.get(name).unwrap_or(&NIL),
            Value::Nil => return Err(format!("nil pointer evaluating .{name}")),
            receiver if is_method(receiver, name) => {
                let made = call_method(receiver, name, &[])?;
                return Ok(Cow::Owned(fields(&made, &names[i + 1..])?.into_owned()));
            }
            other => {
                return Err(format!(
                    "can't evaluate field {name} in type {}",
                    type_name(other)
                ));
            }
        };
    }
    Ok(Cow::Borrowed(value))
}

/// The methods of `time.Time` and `time.Duration` that templates call.
const TIME_METHODS: [&str; 17] = [
    "Unix",
    "UnixNano",
    "UnixMilli",
    "UnixMicro",
    "Format",
    "String",
    "Year",
    "Month",
    "Day",
    "Hour",
    "Minute",
    "Second",
    "Nanosecond",
    "Weekday",
    "YearDay",
    "IsZero",
    "UTC",
];
const DURATION_METHODS: [&str; 8] = [
    "Hours",
    "Minutes",
    "Seconds",
    "Milliseconds",
    "Microseconds",
    "Nanoseconds",
    "String",
    "Abs",
];

/// Whether `name` is a method of `receiver`'s Go type.
fn is_method(receiver: &Value, name: &str) -> bool {
    match receiver {
        Value::Time(_) => TIME_METHODS.contains(&name),
        Value::Duration(_) => DURATION_METHODS.contains(&name),
        _ => false,
    }
}

/// Calls method `name` of `receiver` with `args`, as Go's templates do.
fn call_method(receiver: &Value, name: &str, args: &[&Value]) -> Result<Value, String> {
    let want = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            ))
        }
    };
    match receiver {
        Value::Time(t) => {
            let t = *t;
            if name == "Format" {
                want(1)?;
                let Value::Str(layout) = &args[0] else {
                    return Err(format!(
                        "wrong type for value; expected string; got {}",
                        type_name(args[0])
                    ));
                };
                return Ok(Value::Str(super::format::go_format_time(t, layout)));
            }
            want(0)?;
            let c = super::format::civil(t);
            Ok(match name {
                "Unix" => Value::Int(t.div_euclid(1_000_000_000)),
                "UnixNano" => Value::Int(t),
                "UnixMilli" => Value::Int(t.div_euclid(1_000_000)),
                "UnixMicro" => Value::Int(t.div_euclid(1_000)),
                "String" => Value::Str(super::format::go_time(t)),
                "Year" => Value::Int(c.year),
                "Month" => Value::Str(super::format::MONTHS[(c.month as usize + 11) % 12].into()),
                "Day" => Value::Int(i64::from(c.day)),
                "Hour" => Value::Int(c.hour),
                "Minute" => Value::Int(c.minute),
                "Second" => Value::Int(c.second),
                "Nanosecond" => Value::Int(c.nanosecond),
                "Weekday" => Value::Str(super::format::WEEKDAYS[c.weekday].into()),
                "YearDay" => Value::Int(c.year_day),
                // Go's zero time is year 1, which a time since 1677 never is.
                "IsZero" => Value::Bool(false),
                _ => Value::Time(t),
            })
        }
        Value::Duration(d) => {
            want(0)?;
            let d = *d;
            Ok(match name {
                "Hours" => Value::Float(d as f64 / 3.6e12),
                "Minutes" => Value::Float(d as f64 / 6e10),
                "Seconds" => Value::Float(d as f64 / 1e9),
                "Milliseconds" => Value::Int(d / 1_000_000),
                "Microseconds" => Value::Int(d / 1_000),
                "Nanoseconds" => Value::Int(d),
                "String" => Value::Str(super::format::go_duration(d)),
                _ => Value::Duration(d.saturating_abs()),
            })
        }
        other => Err(format!(
            "can't evaluate field {name} in type {}",
            type_name(other)
        )),
    }
}

/// Go's type name of a value, for errors.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int64",
        Value::Float(_) => "float64",
        Value::Str(_) => "string",
        Value::Time(_) => "time.Time",
        Value::Duration(_) => "time.Duration",
        Value::Struct(_) => "struct",
        Value::Map(map) if matches!(*map.zero, Value::Str(_)) => "map[string]string",
        Value::Map(_) => "map[string]interface {}",
        Value::List(_) => "[]interface {}",
    }
}

/// Go's `truth`: false, zero numbers, empty strings, maps and lists, and nil are false.
fn truth(value: &Value) -> bool {
    match value {
        Value::Nil => false,
        Value::Bool(b) => *b,
        Value::Int(v) | Value::Duration(v) => *v != 0,
        Value::Float(v) => *v != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Map(map) => !map.entries.is_empty(),
        Value::List(items) => !items.is_empty(),
        Value::Time(_) | Value::Struct(_) => true,
    }
}

fn call(name: &str, args: &[&Value]) -> Result<Value, String> {
    let want = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            ))
        }
    };
    match name {
        "not" => {
            want(1)?;
            Ok(Value::Bool(!truth(args[0])))
        }
        "len" => {
            want(1)?;
            Ok(Value::Int(match &args[0] {
                Value::Str(s) => s.len(),
                Value::Map(map) => map.entries.len(),
                Value::List(items) => items.len(),
                other => return Err(format!("len of type {}", type_name(other))),
            } as i64))
        }
        "index" => {
            let Some((item, keys)) = args.split_first() else {
                return Err("wrong number of args for index: want at least 1 got 0".to_owned());
            };
            let mut item: &Value = item;
            for key in keys {
                item = match (item, key) {
                    (Value::Map(map), Value::Str(k)) => map.entries.get(k).unwrap_or(&map.zero),
                    (Value::List(items), Value::Int(i)) => items
                        .get(usize::try_from(*i).map_err(|_| format!("index out of range: {i}"))?)
                        .ok_or_else(|| format!("index out of range: {i}"))?,
                    (Value::Nil, _) => return Err("index of untyped nil".to_owned()),
                    (other, key) => {
                        return Err(format!(
                            "can't index item of type {} with {}",
                            type_name(other),
                            type_name(key)
                        ));
                    }
                };
            }
            Ok(item.clone())
        }
        // Go's fmt.Sprint and fmt.Sprintln (a nil is `<nil>`).
        "print" => Ok(Value::Str(sprint(args))),
        "println" => {
            let parts: Vec<String> = args.iter().map(|arg| verb_v(arg)).collect();
            Ok(Value::Str(parts.join(" ") + "\n"))
        }
        "printf" => {
            let Some((Value::Str(format), rest)) = args.split_first() else {
                return Err("printf needs a format string".to_owned());
            };
            Ok(Value::Str(sprintf(format, rest)))
        }
        "html" => Ok(Value::Str(html_escape(&escaped_args(args)))),
        // Kapacitor's own functions of alert details: json.Encoder's output (with its
        // newline), and the same compacted.
        "json" => {
            want(1)?;
            Ok(Value::Str(super::format::go_json(args[0]) + "\n"))
        }
        "jsonCompact" => {
            want(1)?;
            Ok(Value::Str(super::format::go_json(args[0])))
        }
        "js" => Ok(Value::Str(js_escape(&escaped_args(args)))),
        "urlquery" => Ok(Value::Str(query_escape(&escaped_args(args)))),
        "eq" | "ne" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".to_owned());
            }
            let mut equal = false;
            for other in &args[1..] {
                if compare(args[0], other, true)? == std::cmp::Ordering::Equal {
                    equal = true;
                    break;
                }
            }
            Ok(Value::Bool(if name == "eq" { equal } else { !equal }))
        }
        "lt" | "le" | "gt" | "ge" => {
            want(2)?;
            let order = compare(args[0], args[1], false)?;
            use std::cmp::Ordering::{Equal, Greater, Less};
            Ok(Value::Bool(match name {
                "lt" => order == Less,
                "le" => order != Greater,
                "gt" => order == Greater,
                _ => order == Equal || order == Greater,
            }))
        }
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// The text `html`, `js` and `urlquery` escape: `text/template`'s `evalArgs`, which is
/// `fmt.Sprint` of the arguments but for a nil, which it prints as `<no value>`.
fn escaped_args(args: &[&Value]) -> String {
    if let [Value::Str(s)] = args {
        return s.clone();
    }
    let no_value = Value::Str("<no value>".to_owned());
    let args: Vec<&Value> = args
        .iter()
        .map(|&arg| {
            if matches!(arg, Value::Nil) {
                &no_value
            } else {
                arg
            }
        })
        .collect();
    sprint(&args)
}

/// Go's comparison of basic kinds: integers with integers, floats with floats, strings with
/// strings, booleans only for equality; anything else is an error.
fn compare(a: &Value, b: &Value, equality: bool) -> Result<std::cmp::Ordering, String> {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Int(x), Value::Int(y)) | (Value::Duration(x), Value::Duration(y)) => Ok(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y).unwrap_or(Ordering::Less)),
        (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) if equality => Ok(if x == y {
            Ordering::Equal
        } else {
            Ordering::Less
        }),
        (Value::Bool(_), Value::Bool(_)) => Err("invalid type for comparison".to_owned()),
        (x, y) if std::mem::discriminant(x) == std::mem::discriminant(y) => {
            if equality {
                Ok(if x == y {
                    Ordering::Equal
                } else {
                    Ordering::Less
                })
            } else {
                Err("invalid type for comparison".to_owned())
            }
        }
        (Value::Nil, _) | (_, Value::Nil) => Err("invalid type for comparison".to_owned()),
        _ => Err("incompatible types for comparison".to_owned()),
    }
}

/// Go's `HTMLEscapeString` (the `html` function): `&`, `'`, `<`, `>`, `"` escaped, NUL as
/// U+FFFD.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'&' => "&amp;",
            b'\'' => "&#39;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&#34;",
            b'\0' => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(escape);
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out
}

/// Go's `JSEscapeString`.
fn js_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
