//! Go's `html/template`, which Kapacitor parses alert details with: each action's output is
//! escaped for where in the document it lands (its *context*).
//!
//! In: a parsed tree ([`escape`]). The text between actions is read as HTML (and the
//! JavaScript and CSS inside it) to know each action's context ([`context`],
//! [`transition`]); each action's pipeline then ends in the functions that make its output
//! safe there ([`escapers`]: HTML text or attribute, URL, JavaScript value or string, CSS),
//! and text is rewritten as html/template rewrites it (comments dropped, a stray `<` as
//! `&lt;`). `if`, `with` and `range` must leave the same context on every path. Out: the
//! tree, which [`super::exec`] then runs as any other, or Go's error when the template
//! cannot be escaped (it then never renders).

mod context;
mod escapers;
mod transition;

pub(super) use escapers::Escaper;

use super::parse::{Node, Operand, Pipeline};
use context::{Context, Delim, EscapeError, JsCtx, State, UrlPart};

/// Makes `nodes`, parsed from `source`, escape their actions' output as html/template does;
/// an error (Go's words, with the line and column of the action concerned) when it cannot.
pub(super) fn escape(nodes: &mut [Node], source: &str) -> Result<(), String> {
    let end = list(Context::default(), nodes);
    let error = match end.error {
        Some(error) => error,
        None if end.state == State::Text => return Ok(()),
        None => EscapeError {
            description: format!("ends in a non-text context: {end}"),
            pos: None,
        },
    };
    Err(message(&error, source))
}

/// Go's text of an escaping error: `html/template:LINE:COL: …` (the column counted in bytes
/// from 0, as Go counts it).
fn message(error: &EscapeError, source: &str) -> String {
    let Some(before) = error.pos.and_then(|pos| source.get(..pos)) else {
        return format!("html/template: {}", error.description);
    };
    let line = 1 + before.matches('\n').count();
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1);
    format!("html/template:{line}:{column}: {}", error.description)
}

/// Escapes `nodes` from `ctx`: the context after them.
fn list(mut ctx: Context, nodes: &mut [Node]) -> Context {
    for node in nodes {
        ctx = match node {
            Node::Text(text) => {
                let (after, rewritten) = transition::escape_text(ctx, text);
                if let Some(rewritten) = rewritten {
                    *text = rewritten;
                }
                after
            }
            Node::Action(pipeline) => action(ctx, pipeline),
            Node::If(pipeline, body, otherwise) => {
                branches(ctx, "if", pipeline.pos, body, otherwise)
            }
            Node::With(pipeline, body, otherwise) => {
                branches(ctx, "with", pipeline.pos, body, otherwise)
            }
            Node::Range(pipeline, body, otherwise) => range(ctx, pipeline.pos, body, otherwise),
        };
    }
    ctx
}

/// An `if` or `with` (the `word`, at `pos`): both branches from `ctx`, joined.
fn branches(
    ctx: Context,
    word: &str,
    pos: usize,
    body: &mut [Node],
    otherwise: &mut [Node],
) -> Context {
    let then = list(ctx.clone(), body);
    let other = list(ctx, otherwise);
    then.join(other, word, pos)
}

/// A `range` at `pos`: its body must end where it started again, since it may run any
/// number of times (checked on a copy, so the body is escaped once).
fn range(ctx: Context, pos: usize, body: &mut [Node], otherwise: &mut [Node]) -> Context {
    let mut again = body.to_vec();
    let once = list(ctx.clone(), body);
    if once.state == State::Error {
        return once;
    }
    let twice = list(once.clone(), &mut again);
    let mut joined = once.join(twice, "range", pos);
    if let Some(error) = &mut joined.error {
        error.description = format!("on range loop re-entry: {}", error.description);
        return joined;
    }
    let other = list(ctx, otherwise);
    joined.join(other, "range", pos)
}

/// An action in `ctx`: its pipeline gets the escapers of its context (none for a
/// declaration, which prints nothing); the context after it.
fn action(ctx: Context, pipeline: &mut Pipeline) -> Context {
    if !pipeline.vars.is_empty() {
        return ctx;
    }
    let mut ctx = ctx.nudged();
    let last = pipeline.commands.len().saturating_sub(1);
    for (i, command) in pipeline.commands.iter().enumerate() {
        if let Some(Operand::Function(name)) = command.first()
            && is_builtin_escaper(name)
            && (i < last
                || (ctx.state == State::Attr
                    && ctx.delim == Delim::SpaceOrTagEnd
                    && name == "html"))
        {
            return Context::error(
                format!("predefined escaper {name:?} disallowed in template"),
                Some(pipeline.pos),
            );
        }
    }
    let mut escapers = Vec::with_capacity(3);
    match ctx.state {
        State::Error => return ctx,
        State::Url
        | State::CssDqStr
        | State::CssSqStr
        | State::CssDqUrl
        | State::CssSqUrl
        | State::CssUrl => {
            let css_string = matches!(ctx.state, State::CssDqStr | State::CssSqStr);
            match ctx.url_part {
                UrlPart::None | UrlPart::PreQuery => {
                    if ctx.url_part == UrlPart::None {
                        escapers.push(Escaper::UrlFilter);
                    }
                    escapers.push(if css_string {
                        Escaper::Css
                    } else {
                        Escaper::UrlNormalizer
                    });
                }
                UrlPart::QueryOrFrag => escapers.push(Escaper::UrlQuery),
                UrlPart::Unknown => {
                    return Context::error(
                        format!("{{{{{pipeline}}}}} appears in an ambiguous context within a URL"),
                        Some(pipeline.pos),
                    );
                }
            }
        }
        State::MetaContent | State::Attr => {}
        State::MetaContentUrl => escapers.push(Escaper::UrlFilter),
        State::Js => {
            escapers.push(Escaper::JsVal);
            // A value was written: a `/` after it divides.
            ctx.js_ctx = JsCtx::DivOp;
        }
        State::JsDqStr | State::JsSqStr => escapers.push(Escaper::JsStr),
        State::JsTmplLit => escapers.push(Escaper::JsTmplLit),
        State::JsRegexp => escapers.push(Escaper::JsRegexp),
        State::Css => escapers.push(Escaper::CssValue),
        State::Text => escapers.push(Escaper::HtmlText),
        State::Rcdata => escapers.push(Escaper::Rcdata),
        State::Tag | State::AttrName | State::AfterName | State::BeforeValue => {
            // (A nudged context is never after a name or before a value.)
            ctx.state = State::AttrName;
            escapers.push(Escaper::HtmlName);
        }
        State::Srcset => escapers.push(Escaper::Srcset),
        State::HtmlComment
        | State::JsBlockCmt
        | State::JsLineCmt
        | State::JsHtmlOpenCmt
        | State::JsHtmlCloseCmt
        | State::CssBlockCmt
        | State::CssLineCmt => escapers.push(Escaper::Comment),
    }
    match ctx.delim {
        Delim::None => {}
        Delim::SpaceOrTagEnd => escapers.push(Escaper::NoSpace),
        Delim::DoubleQuote | Delim::SingleQuote => escapers.push(Escaper::Attr),
    }
    end_with(pipeline, escapers);
    ctx
}

/// The builtins `html` and `urlquery`, which an action may end with in place of the
/// escaper they match.
fn is_builtin_escaper(name: &str) -> bool {
    name == "html" || name == "urlquery"
}

/// Ends `pipeline` with `escapers`. A pipeline that ends in `html` or `urlquery` keeps it
/// where it stands for an escaper (`{{ html a b }}` becoming `{{ _eval_args_ a b | html
/// }}`); an escaper the pipeline already has, or one that would change nothing after the
/// last, is left out.
fn end_with(pipeline: &mut Pipeline, escapers: Vec<Escaper>) {
    if escapers.is_empty() {
        return;
    }
    let mut steps: Vec<Operand> = escapers.into_iter().map(Operand::Escaper).collect();
    let builtin = match pipeline.commands.last().and_then(|c| c.first()) {
        Some(Operand::Function(name)) if is_builtin_escaper(name) => Some(name.clone()),
        _ => None,
    };
    if let Some(name) = builtin {
        if pipeline.commands.len() == 1 && pipeline.commands[0].len() > 1 {
            pipeline.commands[0][0] = Operand::Escaper(Escaper::EvalArgs);
            pipeline
                .commands
                .push(vec![Operand::Function(name.clone())]);
        }
        let mut replaced = false;
        for step in &mut steps {
            if let Operand::Escaper(escaper) = step
                && escaper.builtin() == Some(name.as_str())
            {
                *step = Operand::Function(name.clone());
                replaced = true;
            }
        }
        if replaced {
            pipeline.commands.pop();
        }
    }
    let present: Vec<&str> = pipeline
        .commands
        .iter()
        .filter_map(|command| identity(command.first()?))
        .collect();
    let steps: Vec<Operand> = steps
        .into_iter()
        .filter(|step| identity(step).is_none_or(|id| !present.contains(&id)))
        .collect();
    for step in steps {
        let last = pipeline.commands.last().and_then(|c| c.first());
        if let (Some(Operand::Escaper(last)), Operand::Escaper(next)) = (last, &step)
            && next.redundant_after(*last)
        {
            continue;
        }
        pipeline.commands.push(vec![step]);
    }
}

/// What names a command's function, with an escaper and the builtin it matches as one.
fn identity(operand: &Operand) -> Option<&'static str> {
    match operand {
        Operand::Function(name) => super::exec::FUNCTIONS.iter().find(|f| *f == name).copied(),
        Operand::Escaper(escaper) => Some(escaper.builtin().unwrap_or(escaper.name())),
        _ => None,
    }
}
