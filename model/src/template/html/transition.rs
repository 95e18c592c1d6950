//! How the literal text of a template moves a [`Context`], and what `html/template` makes
//! of that text: a `<` that opens no tag becomes `&lt;` in HTML text, comments are dropped
//! (a JavaScript or CSS block comment leaves a space), and `<script` inside a script's
//! string becomes `\x3Cscript`.
//!
//! The reading is html/template's, which goes only as far as escaping needs: tags and
//! attributes, the bodies of `<script>`, `<style>`, `<textarea>` and `<title>`, JavaScript
//! strings, regexps, template literals and comments, CSS strings, `url(…)` and comments.

use super::context::{Attr, Context, Delim, Element, JsCtx, State, UrlPart};
use super::escapers::{AttrContent, attr_content, is_css_name_char};

/// `text` read from `start`: the context after it, and its new text when html/template
/// rewrites it.
pub(super) fn escape_text(start: Context, text: &str) -> (Context, Option<String>) {
    let s = text.as_bytes();
    let mut ctx = start;
    let mut out: Vec<u8> = Vec::new();
    // How much of `s` is accounted for in `out`.
    let mut written = 0;
    let mut i = 0;
    while i < s.len() {
        let (next, read) = advance(&ctx, &s[i..]);
        let end = i + read;
        if matches!(ctx.state, State::Text | State::Rcdata) {
            // Up to the `<` of the tag or comment that ends the run, a `<` is text.
            let mut last = end;
            if next.state != ctx.state
                && let Some(lt) = s[i..end].iter().rposition(|&b| b == b'<')
            {
                last = i + lt;
            }
            for j in i..last {
                if s[j] == b'<' && !starts_with_ignore_case(&s[j..], b"<!DOCTYPE") {
                    out.extend_from_slice(&s[written..j]);
                    out.extend_from_slice(b"&lt;");
                    written = j + 1;
                }
            }
        } else if ctx.state.is_comment() && ctx.delim == Delim::None {
            // A block comment still separates tokens; a line comment keeps its newline.
            match ctx.state {
                State::JsBlockCmt => {
                    let inside = String::from_utf8_lossy(&s[written..end]);
                    let breaks = inside.contains(['\n', '\r', '\u{2028}', '\u{2029}']);
                    out.push(if breaks { b'\n' } else { b' ' });
                }
                State::CssBlockCmt => out.push(b' '),
                _ => {}
            }
            written = end;
        }
        if next.state != ctx.state && next.state.is_comment() && next.delim == Delim::None {
            // Keep what precedes the comment's opener.
            let opener = match next.state {
                State::HtmlComment | State::JsHtmlOpenCmt => 4,
                State::JsHtmlCloseCmt => 3,
                _ => 2,
            };
            let cut = end.saturating_sub(opener).max(written);
            out.extend_from_slice(&s[written..cut]);
            written = end;
        }
        if ctx.state.is_script_literal() && find_special_script_tag(&s[i..end], 0).is_some() {
            out.extend_from_slice(&s[written.min(i)..i]);
            push_escaped_script_tags(&s[i..end], &mut out);
            written = end;
        }
        if read == 0 && next.state == ctx.state {
            // Every reading consumes text or changes the state; guard against a loop.
            break;
        }
        ctx = next;
        i = end;
    }
    if written == 0 || ctx.state == State::Error {
        return (ctx, None);
    }
    if !ctx.state.is_comment() || ctx.delim != Delim::None {
        out.extend_from_slice(&s[written..]);
    }
    (ctx, Some(String::from_utf8_lossy(&out).into_owned()))
}

/// Reads the start of `s` in `ctx`: the context after it and how many bytes it took (none
/// when an element's end tag starts `s`, which returns to HTML text).
fn advance(ctx: &Context, s: &[u8]) -> (Context, usize) {
    if ctx.delim == Delim::None {
        return match special_end(ctx, s) {
            Some(0) => (Context::default(), 0),
            Some(end) => by_state(ctx, &s[..end]),
            None => by_state(ctx, s),
        };
    }
    // In an attribute value: up to its end, read decoded, the value's own language.
    let end = s
        .iter()
        .position(|b| ctx.delim.ends().contains(b))
        .unwrap_or(s.len());
    if ctx.delim == Delim::SpaceOrTagEnd
        && let Some(bad) = s[..end].iter().position(|b| b"\"'<=`".contains(b))
    {
        // Browsers disagree on where such a value ends.
        return (
            Context::error(
                format!(
                    "{} in unquoted attr: {}",
                    go_quote_bytes(&s[bad..bad + 1], None),
                    go_quote_bytes(&s[..end], None)
                ),
                None,
            ),
            s.len(),
        );
    }
    if end == s.len() {
        let decoded = unescape_html(s);
        let mut rest = decoded.as_slice();
        let mut ctx = ctx.clone();
        while !rest.is_empty() {
            let (next, read) = by_state(&ctx, rest);
            if read == 0 && next.state == ctx.state {
                break;
            }
            ctx = next;
            rest = &rest[read..];
        }
        return (ctx, s.len());
    }
    let mut element = ctx.element;
    if ctx.state == State::Attr
        && ctx.element == Element::Script
        && ctx.attr == Attr::ScriptType
        && !is_js_type(&String::from_utf8_lossy(&s[..end]))
    {
        // `<script type="text/template">`: its body is not JavaScript.
        element = Element::None;
    }
    let after = if ctx.delim == Delim::SpaceOrTagEnd {
        end
    } else {
        end + 1
    };
    (
        Context {
            state: State::Tag,
            element,
            ..Context::default()
        },
        after,
    )
}

/// Where the end tag of the special element `ctx` is in starts in `s`, if it does there
/// (not inside a script's literal or comment, where it is escaped instead).
fn special_end(ctx: &Context, s: &[u8]) -> Option<usize> {
    if ctx.element == Element::None
        || (ctx.element == Element::Script
            && (ctx.state.is_script_literal() || ctx.state.is_comment()))
    {
        return None;
    }
    let name = ctx.element.end_tag();
    let mut from = 0;
    while let Some(at) = find(s, from, b"</") {
        let after = &s[at + 2..];
        if after.len() > name.len()
            && after[..name.len()].eq_ignore_ascii_case(name)
            && b"> \t\n\x0c/".contains(&after[name.len()])
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// Reads the start of `s` by the rules of `ctx`'s state.
fn by_state(ctx: &Context, s: &[u8]) -> (Context, usize) {
    match ctx.state {
        State::Text => in_text(ctx, s),
        State::Tag => in_tag(ctx, s),
        State::AttrName => in_attr_name(ctx, s),
        State::AfterName => after_name(ctx, s),
        State::BeforeValue => before_value(ctx, s),
        State::HtmlComment => match find(s, 0, b"-->") {
            Some(at) => (Context::default(), at + 3),
            None => (ctx.clone(), s.len()),
        },
        State::Rcdata => match special_end(ctx, s) {
            Some(at) => (Context::default(), at),
            None => (ctx.clone(), s.len()),
        },
        State::Url | State::Srcset => (in_url(ctx.clone(), s), s.len()),
        State::MetaContent => in_meta_content(ctx, s),
        State::MetaContentUrl => match s.iter().position(|&b| b == b';') {
            Some(at) => (
                Context {
                    state: State::MetaContent,
                    ..ctx.clone()
                },
                at + 1,
            ),
            None => (ctx.clone(), s.len()),
        },
        State::Js => in_js(ctx, s),
        State::JsDqStr | State::JsSqStr | State::JsRegexp => in_js_delimited(ctx, s),
        State::JsTmplLit => in_js_template(ctx, s),
        State::JsBlockCmt | State::CssBlockCmt => match find(s, 0, b"*/") {
            Some(at) => {
                let state = if ctx.state == State::JsBlockCmt {
                    State::Js
                } else {
                    State::Css
                };
                (
                    Context {
                        state,
                        ..ctx.clone()
                    },
                    at + 2,
                )
            }
            None => (ctx.clone(), s.len()),
        },
        State::JsLineCmt | State::JsHtmlOpenCmt | State::JsHtmlCloseCmt | State::CssLineCmt => {
            in_line_comment(ctx, s)
        }
        State::Css => in_css(ctx, s),
        State::CssDqStr | State::CssSqStr | State::CssDqUrl | State::CssSqUrl | State::CssUrl => {
            in_css_string(ctx, s)
        }
        State::Attr | State::Error => (ctx.clone(), s.len()),
    }
}

/// HTML text: up to a tag (its name read) or a comment's opener.
fn in_text(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let mut from = 0;
    loop {
        let Some(lt) = s[from..].iter().position(|&b| b == b'<').map(|p| p + from) else {
            return (ctx.clone(), s.len());
        };
        if lt + 1 == s.len() {
            return (ctx.clone(), s.len());
        }
        if s[lt..].starts_with(b"<!--") {
            return (Context::of(State::HtmlComment), lt + 4);
        }
        let mut name = lt + 1;
        let closing = s[name] == b'/';
        if closing {
            if name + 1 == s.len() {
                return (ctx.clone(), s.len());
            }
            name += 1;
        }
        let (end, element) = tag_name(s, name);
        if end != name {
            let element = if closing { Element::None } else { element };
            return (
                Context {
                    state: State::Tag,
                    element,
                    ..Context::default()
                },
                end,
            );
        }
        from = name;
    }
}

/// The end of the tag name at `start` (`start` itself when there is none: a name starts
/// with a letter and may hold `-` and `:` between letters or digits) and its element.
fn tag_name(s: &[u8], start: usize) -> (usize, Element) {
    if start == s.len() || !s[start].is_ascii_alphabetic() {
        return (start, Element::None);
    }
    let mut end = start + 1;
    while end < s.len() {
        let b = s[end];
        if b.is_ascii_alphanumeric() {
            end += 1;
        } else if (b == b':' || b == b'-')
            && end + 1 < s.len()
            && s[end + 1].is_ascii_alphanumeric()
        {
            end += 2;
        } else {
            break;
        }
    }
    (end, Element::named(&s[start..end]))
}

/// In a tag: the tag's end, or the name of an attribute (which says what its value holds).
fn in_tag(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let i = skip_space(s, 0);
    if i == s.len() {
        return (ctx.clone(), s.len());
    }
    if s[i] == b'>' {
        // `<meta>` has no end tag: its "body" is HTML text.
        let ctx = match ctx.element {
            Element::Meta => Context::default(),
            element => Context {
                state: element.body_state(),
                element,
                ..Context::default()
            },
        };
        return (ctx, i + 1);
    }
    let end = match attr_name_end(s, i) {
        Ok(end) => end,
        Err(error) => return (error, s.len()),
    };
    if end == i {
        return (
            Context::error(
                format!(
                    "expected space, attr name, or end of tag, but got {}",
                    go_quote_bytes(&s[i..], None)
                ),
                None,
            ),
            s.len(),
        );
    }
    let name = String::from_utf8_lossy(&s[i..end]).to_ascii_lowercase();
    let attr = match (ctx.element, name.as_str()) {
        (Element::Script, "type") => Attr::ScriptType,
        (Element::Meta, "content") => Attr::MetaContent,
        _ => match attr_content(&name) {
            AttrContent::Url => Attr::Url,
            AttrContent::Css => Attr::Style,
            AttrContent::Js => Attr::Script,
            AttrContent::Srcset => Attr::Srcset,
            _ => Attr::None,
        },
    };
    let state = if end == s.len() {
        State::AttrName
    } else {
        State::AfterName
    };
    (
        Context {
            state,
            element: ctx.element,
            attr,
            ..Context::default()
        },
        end,
    )
}

/// Where the attribute name at `start` ends; an error for a quote or `<` in it.
fn attr_name_end(s: &[u8], start: usize) -> Result<usize, Context> {
    for (j, &b) in s.iter().enumerate().skip(start) {
        match b {
            b' ' | b'\t' | b'\n' | b'\x0c' | b'\r' | b'=' | b'>' => return Ok(j),
            b'\'' | b'"' | b'<' => {
                return Err(Context::error(
                    format!(
                        "{} in attribute name: {}",
                        go_quote_bytes(&s[j..j + 1], None),
                        go_quote_bytes(s, Some(32))
                    ),
                    None,
                ));
            }
            _ => {}
        }
    }
    Ok(s.len())
}

/// In an attribute's name: up to its end.
fn in_attr_name(ctx: &Context, s: &[u8]) -> (Context, usize) {
    match attr_name_end(s, 0) {
        Err(error) => (error, s.len()),
        Ok(end) if end == s.len() => (ctx.clone(), end),
        Ok(end) => (
            Context {
                state: State::AfterName,
                ..ctx.clone()
            },
            end,
        ),
    }
}

/// After a name: `=` (then the value), or anything else (a valueless attribute).
fn after_name(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let i = skip_space(s, 0);
    if i == s.len() {
        return (ctx.clone(), s.len());
    }
    let (state, read) = if s[i] == b'=' {
        (State::BeforeValue, i + 1)
    } else {
        (State::Tag, i)
    };
    (
        Context {
            state,
            ..ctx.clone()
        },
        read,
    )
}

/// After `=`: the value's opening quote, if any, and the state its content is in.
fn before_value(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let i = skip_space(s, 0);
    if i == s.len() {
        return (ctx.clone(), s.len());
    }
    let (delim, read) = match s[i] {
        b'\'' => (Delim::SingleQuote, i + 1),
        b'"' => (Delim::DoubleQuote, i + 1),
        _ => (Delim::SpaceOrTagEnd, i),
    };
    (
        Context {
            state: ctx.attr.value_state(),
            delim,
            ..ctx.clone()
        },
        read,
    )
}

/// In a URL: past a `?` or `#` is the query; any other content, the path.
fn in_url(mut ctx: Context, s: &[u8]) -> Context {
    if s.iter().any(|b| matches!(b, b'#' | b'?')) {
        ctx.url_part = UrlPart::QueryOrFrag;
    } else if skip_space(s, 0) != s.len() && ctx.url_part == UrlPart::None {
        ctx.url_part = UrlPart::PreQuery;
    }
    ctx
}

/// In a `<meta>`'s `content`: up to a `url=`.
fn in_meta_content(ctx: &Context, s: &[u8]) -> (Context, usize) {
    for i in 0..s.len() {
        if i + 3 < s.len() && s[i..i + 3].eq_ignore_ascii_case(b"url") {
            let j = skip_space(s, i + 3);
            if j < s.len() && s[j] == b'=' {
                let ctx = Context {
                    state: State::MetaContentUrl,
                    ..ctx.clone()
                };
                return (ctx, j + 1);
            }
        }
    }
    (ctx.clone(), s.len())
}

/// JavaScript: up to the start of a string, regexp, template literal or comment, keeping
/// track of what a `/` would be and of the braces of a template literal's `${…}`.
fn in_js(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let mut ctx = ctx.clone();
    let Some(mut i) = s.iter().position(|b| b"\"`'/{}<-#".contains(b)) else {
        ctx.js_ctx = next_js_ctx(s, ctx.js_ctx);
        return (ctx, s.len());
    };
    ctx.js_ctx = next_js_ctx(&s[..i], ctx.js_ctx);
    match s[i] {
        b'"' => (ctx.state, ctx.js_ctx) = (State::JsDqStr, JsCtx::Regexp),
        b'\'' => (ctx.state, ctx.js_ctx) = (State::JsSqStr, JsCtx::Regexp),
        b'`' => (ctx.state, ctx.js_ctx) = (State::JsTmplLit, JsCtx::Regexp),
        b'/' => match (s.get(i + 1), ctx.js_ctx) {
            (Some(b'/'), _) => {
                ctx.state = State::JsLineCmt;
                i += 1;
            }
            (Some(b'*'), _) => {
                ctx.state = State::JsBlockCmt;
                i += 1;
            }
            (_, JsCtx::Regexp) => ctx.state = State::JsRegexp,
            (_, JsCtx::DivOp) => ctx.js_ctx = JsCtx::Regexp,
            (_, JsCtx::Unknown) => {
                return (
                    Context::error(
                        format!(
                            "'/' could start a division or regexp: {}",
                            go_quote_bytes(&s[i..], Some(32))
                        ),
                        None,
                    ),
                    s.len(),
                );
            }
        },
        // HTML-like comments, which JavaScript reads as line comments.
        b'<' => {
            if s[i..].starts_with(b"<!--") {
                ctx.state = State::JsHtmlOpenCmt;
                i += 3;
            }
        }
        b'-' => {
            if s[i..].starts_with(b"-->") {
                ctx.state = State::JsHtmlCloseCmt;
                i += 2;
            }
        }
        b'#' => {
            if s.get(i + 1) == Some(&b'!') {
                // A hashbang line.
                ctx.state = State::JsLineCmt;
                i += 1;
            } else {
                // A private name (`#x`), which a division follows.
                while i + 1 < s.len() && is_js_ident_part(s[i + 1]) {
                    i += 1;
                }
                ctx.js_ctx = JsCtx::DivOp;
            }
        }
        b'{' => {
            if let Some(depth) = ctx.js_brace_depth.last_mut() {
                *depth += 1;
            }
            ctx.js_ctx = JsCtx::Regexp;
        }
        _ => {
            // `}`: closes a brace, or the `${…}` of a template literal.
            match ctx.js_brace_depth.last_mut() {
                Some(depth) if *depth > 0 => {
                    *depth -= 1;
                    ctx.js_ctx = JsCtx::Regexp;
                }
                Some(_) => {
                    ctx.js_brace_depth.pop();
                    ctx.state = State::JsTmplLit;
                }
                None => ctx.js_ctx = JsCtx::Regexp,
            }
        }
    }
    (ctx, i + 1)
}

/// In a JavaScript template literal: up to its end or a `${`.
fn in_js_template(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' => {
                i += 1;
                if i == s.len() {
                    return (unfinished_js_escape(s), s.len());
                }
            }
            b'$' if s.get(i + 1) == Some(&b'{') => {
                let mut ctx = ctx.clone();
                ctx.js_brace_depth.push(0);
                (ctx.state, ctx.js_ctx) = (State::Js, JsCtx::Regexp);
                return (ctx, i + 2);
            }
            b'`' => {
                let ctx = Context {
                    state: State::Js,
                    ..ctx.clone()
                };
                return (ctx, i + 1);
            }
            _ => {}
        }
        i += 1;
    }
    (ctx.clone(), s.len())
}

/// The error of a template whose text ends a JavaScript string with a lone `\`.
fn unfinished_js_escape(s: &[u8]) -> Context {
    Context::error(
        format!(
            "unfinished escape sequence in JS string: {}",
            go_quote_bytes(s, None)
        ),
        None,
    )
}

/// In a JavaScript string or regexp: up to its closing delimiter (not one escaped, nor,
/// in a regexp, one inside a `[…]` set).
fn in_js_delimited(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let specials: &[u8] = match ctx.state {
        State::JsSqStr => b"\\'",
        State::JsRegexp => b"\\/[]",
        _ => b"\\\"",
    };
    let mut in_set = false;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if !specials.contains(&b) {
            i += 1;
            continue;
        }
        match b {
            b'\\' => {
                i += 1;
                if i == s.len() {
                    return (unfinished_js_escape(s), s.len());
                }
            }
            b'[' => in_set = true,
            b']' => in_set = false,
            b'/' if i > 0
                && i + 7 <= s.len()
                && s[i - 1..i + 7].eq_ignore_ascii_case(b"</script") =>
            {
                // Escaped as `\x3C/script` later, this `/` does not end the regexp.
                i += 1;
            }
            _ if !in_set => {
                let ctx = Context {
                    state: State::Js,
                    js_ctx: JsCtx::DivOp,
                    ..ctx.clone()
                };
                return (ctx, i + 1);
            }
            _ => {}
        }
        i += 1;
    }
    if in_set {
        return (
            Context::error(
                format!("unfinished JS regexp charset: {}", go_quote_bytes(s, None)),
                None,
            ),
            s.len(),
        );
    }
    (ctx.clone(), s.len())
}

/// In a line comment: up to the line's end, which is not part of it.
fn in_line_comment(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let (end, state) = if ctx.state == State::CssLineCmt {
        (s.iter().position(|b| b"\n\x0c\r".contains(b)), State::Css)
    } else {
        // JavaScript's line ends: LF, CR, U+2028 and U+2029.
        let end = (0..s.len()).find(|&i| {
            matches!(s[i], b'\n' | b'\r')
                || (s[i..].starts_with(b"\xe2\x80") && matches!(s.get(i + 2), Some(0xa8 | 0xa9)))
        });
        (end, State::Js)
    };
    match end {
        Some(at) => (
            Context {
                state,
                ..ctx.clone()
            },
            at,
        ),
        None => (ctx.clone(), s.len()),
    }
}

/// CSS: up to a string, a `url(`, or a comment.
fn in_css(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let with = |state| Context {
        state,
        ..ctx.clone()
    };
    for i in 0..s.len() {
        match s[i] {
            b'(' => {
                let before = trim_end(&s[..i], b"\t\n\x0c\r ");
                if ends_with_css_keyword(before, b"url") {
                    let j = skip_bytes(s, i + 1, b"\t\n\x0c\r ");
                    return match s.get(j) {
                        Some(b'"') => (with(State::CssDqUrl), j + 1),
                        Some(b'\'') => (with(State::CssSqUrl), j + 1),
                        _ => (with(State::CssUrl), j),
                    };
                }
            }
            b'/' => match s.get(i + 1) {
                Some(b'/') => return (with(State::CssLineCmt), i + 2),
                Some(b'*') => return (with(State::CssBlockCmt), i + 2),
                _ => {}
            },
            b'"' => return (with(State::CssDqStr), i + 1),
            b'\'' => return (with(State::CssSqStr), i + 1),
            _ => {}
        }
    }
    (ctx.clone(), s.len())
}

/// In a CSS string or `url(…)`: up to its end, reading the text (its escapes decoded) as
/// a URL, as html/template treats every CSS string.
fn in_css_string(ctx: &Context, s: &[u8]) -> (Context, usize) {
    let ends: &[u8] = match ctx.state {
        State::CssDqStr | State::CssDqUrl => b"\\\"",
        State::CssSqStr | State::CssSqUrl => b"\\'",
        _ => b"\\\t\n\x0c\r )",
    };
    let mut ctx = ctx.clone();
    let mut from = 0;
    loop {
        let Some(i) = s[from..]
            .iter()
            .position(|b| ends.contains(b))
            .map(|p| p + from)
        else {
            return (in_url(ctx, &decode_css(&s[from..])), s.len());
        };
        if s[i] != b'\\' {
            ctx.state = State::Css;
            return (ctx, i + 1);
        }
        if i + 1 == s.len() {
            return (
                Context::error(
                    format!(
                        "unfinished escape sequence in CSS string: {}",
                        go_quote_bytes(s, None)
                    ),
                    None,
                ),
                s.len(),
            );
        }
        ctx = in_url(ctx, &decode_css(&s[..i + 2]));
        from = i + 2;
    }
}

/// What a `/` after the JavaScript tokens `s` would be, `preceding` when `s` is only white
/// space: a regexp after punctuators and keywords that end no expression, else a division.
fn next_js_ctx(s: &[u8], preceding: JsCtx) -> JsCtx {
    let s = trim_js_space(s);
    let Some(&last) = s.last() else {
        return preceding;
    };
    let n = s.len();
    match last {
        b'+' | b'-' => {
            // `++` and `--` end an expression; a lone `+` or `-` does not.
            let run = s.iter().rev().take_while(|&&b| b == last).count();
            if run % 2 == 1 {
                JsCtx::Regexp
            } else {
                JsCtx::DivOp
            }
        }
        b'.' => {
            if n > 1 && s[n - 2].is_ascii_digit() {
                JsCtx::DivOp
            } else {
                JsCtx::Regexp
            }
        }
        b',' | b'<' | b'>' | b'=' | b'*' | b'%' | b'&' | b'|' | b'^' | b'?' | b'!' | b'~'
        | b'(' | b'[' | b':' | b';' | b'{' | b'}' => JsCtx::Regexp,
        _ => {
            let start = n - s.iter().rev().take_while(|&&b| is_js_ident_part(b)).count();
            let word = &s[start..];
            let property = trim_js_space(&s[..start]).ends_with(b".");
            if REGEXP_PRECEDERS.contains(&word) && !property {
                JsCtx::Regexp
            } else {
                JsCtx::DivOp
            }
        }
    }
}

/// The JavaScript keywords after which a `/` starts a regexp.
const REGEXP_PRECEDERS: [&[u8]; 15] = [
    b"break",
    b"case",
    b"continue",
    b"delete",
    b"do",
    b"else",
    b"finally",
    b"in",
    b"instanceof",
    b"return",
    b"throw",
    b"try",
    b"typeof",
    b"void",
    b"yield",
];

/// `s` without the JavaScript white space (`\s` of a regexp) it ends with.
fn trim_js_space(s: &[u8]) -> &[u8] {
    const SPACE: &str = "\x0c\n\r\t\x0b \u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\
        \u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\
        \u{3000}\u{feff}";
    let mut end = s.len();
    loop {
        let Some(c) = last_char(&s[..end]) else {
            return &s[..end];
        };
        if !SPACE.contains(c) {
            return &s[..end];
        }
        end -= c.len_utf8();
    }
}

/// The character `s` ends with, when it ends with a whole one.
fn last_char(s: &[u8]) -> Option<char> {
    let from = s.len().saturating_sub(4);
    (from..s.len())
        .find_map(|i| std::str::from_utf8(&s[i..]).ok())
        .and_then(|tail| tail.chars().last())
}

/// A byte that may be part of a JavaScript identifier or number (as far as ASCII goes).
fn is_js_ident_part(b: u8) -> bool {
    b == b'$' || b == b'_' || b.is_ascii_alphanumeric()
}

/// Whether `b` ends with the CSS keyword `keyword` (any case), not as the end of a longer
/// name.
fn ends_with_css_keyword(b: &[u8], keyword: &[u8]) -> bool {
    let Some(start) = b.len().checked_sub(keyword.len()) else {
        return false;
    };
    // A byte that ends no whole character reads as U+FFFD, a name character.
    if start > 0 && is_css_name_char(last_char(&b[..start]).unwrap_or('\u{FFFD}')) {
        return false;
    }
    b[start..].eq_ignore_ascii_case(keyword)
}

/// `s` with CSS escapes decoded: `\` and up to six hex digits (and one white space after
/// them) is that code point, `\` and any other character is the character.
pub(super) fn decode_css(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        if i + 1 == s.len() {
            break;
        }
        let hex = s[i + 1..]
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if hex > 0 {
            let mut digits = &s[i + 1..i + 1 + hex];
            let mut code = u32::from_str_radix(&String::from_utf8_lossy(digits), 16).unwrap_or(0);
            if code > 0x10FFFF {
                // Too big for a code point: the last digit is a character of its own.
                digits = &digits[..digits.len() - 1];
                code >>= 4;
            }
            let c = char::from_u32(code).unwrap_or('\u{FFFD}');
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            i += 1 + digits.len();
            match s.get(i) {
                Some(b'\t' | b'\n' | b'\x0c' | b' ') => i += 1,
                Some(b'\r') => i += if s.get(i + 1) == Some(&b'\n') { 2 } else { 1 },
                _ => {}
            }
        } else {
            let len = utf8_len(s[i + 1]).min(s.len() - i - 1);
            out.extend_from_slice(&s[i + 1..i + 1 + len]);
            i += 1 + len;
        }
    }
    out
}

/// How many bytes the UTF-8 sequence led by `b` takes (1 for a byte that leads none).
fn utf8_len(b: u8) -> usize {
    match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Whether a `<script type>` names JavaScript (or JSON): its MIME type without
/// parameters, any case.
fn is_js_type(mime: &str) -> bool {
    let mime = mime.split(';').next().unwrap_or_default();
    let mime = mime.to_ascii_lowercase();
    matches!(
        mime.trim(),
        "" | "application/ecmascript"
            | "application/javascript"
            | "application/json"
            | "application/ld+json"
            | "application/x-ecmascript"
            | "application/x-javascript"
            | "module"
            | "text/ecmascript"
            | "text/javascript"
            | "text/javascript1.0"
            | "text/javascript1.1"
            | "text/javascript1.2"
            | "text/javascript1.3"
            | "text/javascript1.4"
            | "text/javascript1.5"
            | "text/jscript"
            | "text/livescript"
            | "text/x-ecmascript"
            | "text/x-javascript"
    )
}

/// Where `<script`, `</script` or `<!--` (any case) first occurs in `s` from `from`, and
/// how long it is.
fn find_special_script_tag(s: &[u8], from: usize) -> Option<(usize, usize)> {
    (from..s.len()).find_map(|i| {
        let rest = &s[i..];
        [&b"<script"[..], b"</script", b"<!--"]
            .into_iter()
            .find(|tag| starts_with_ignore_case(rest, tag))
            .map(|tag| (i, tag.len()))
    })
}

/// Appends `s` with the `<` of each `<script`, `</script` and `<!--` written `\x3C`.
fn push_escaped_script_tags(s: &[u8], out: &mut Vec<u8>) {
    let mut written = 0;
    while let Some((at, len)) = find_special_script_tag(s, written) {
        out.extend_from_slice(&s[written..at]);
        out.extend_from_slice(b"\\x3C");
        out.extend_from_slice(&s[at + 1..at + len]);
        written = at + len;
    }
    out.extend_from_slice(&s[written..]);
}

/// `s` with its HTML character references decoded, as an attribute's value is read: numeric
/// ones, and the named ones that stand for ASCII characters or a no-break space (what the
/// reading of JavaScript, CSS and URLs can tell apart); other names stay as written.
fn unescape_html(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'&' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let (decoded, read) = character_reference(&s[i..]);
        match decoded {
            Some(c) => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            None => out.extend_from_slice(&s[i..i + read]),
        }
        i += read;
    }
    out
}

/// The character the reference at the start of `s` (which starts with `&`) stands for,
/// and how many bytes it takes (without a character: how many to keep as they are).
fn character_reference(s: &[u8]) -> (Option<char>, usize) {
    if s.len() <= 1 {
        return (None, 1);
    }
    if s[1] == b'#' {
        if s.len() <= 3 {
            return (None, 1);
        }
        let mut i = 2;
        let hex = matches!(s[i], b'x' | b'X');
        if hex {
            i += 1;
        }
        // Go's rune arithmetic: it wraps, and what it wraps to is replaced below.
        let mut code: i32 = 0;
        while i < s.len() {
            let b = s[i];
            i += 1;
            let digit = match b {
                b'0'..=b'9' => Some(i32::from(b - b'0')),
                b'a'..=b'f' if hex => Some(i32::from(b - b'a') + 10),
                b'A'..=b'F' if hex => Some(i32::from(b - b'A') + 10),
                _ => None,
            };
            match digit {
                Some(d) => code = code.wrapping_mul(if hex { 16 } else { 10 }).wrapping_add(d),
                None => {
                    if b != b';' {
                        i -= 1;
                    }
                    break;
                }
            }
        }
        if i <= 3 {
            return (None, 1);
        }
        let c = match code {
            0x80..=0x9F => WINDOWS_1252[(code - 0x80) as usize],
            _ => u32::try_from(code)
                .ok()
                .filter(|&c| c != 0)
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}'),
        };
        return (Some(c), i);
    }
    let mut i = 1;
    while i < s.len() {
        let b = s[i];
        i += 1;
        if b.is_ascii_alphanumeric() {
            continue;
        }
        if b != b';' {
            i -= 1;
        }
        break;
    }
    let name = &s[1..i];
    if name.is_empty() {
        return (None, i);
    }
    if let Some(c) = named_reference(name) {
        return (Some(c), i);
    }
    // A legacy name may stand without its `;`, followed by more letters.
    for len in (2..name.len().min(LONGEST_WITHOUT_SEMICOLON + 1)).rev() {
        if let Some(c) = named_reference(&name[..len]) {
            return (Some(c), len + 1);
        }
    }
    (None, i)
}

/// The longest name of a reference that may stand without its `;`.
const LONGEST_WITHOUT_SEMICOLON: usize = 6;

/// The character of a named reference (with its `;`, or a legacy one without it), among
/// those of ASCII characters and the no-break space.
fn named_reference(name: &[u8]) -> Option<char> {
    NAMED_REFERENCES
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|&(_, c)| c)
}

/// HTML's named character references of ASCII characters and of U+00A0.
const NAMED_REFERENCES: [(&str, char); 56] = [
    ("Tab;", '\t'),
    ("NewLine;", '\n'),
    ("excl;", '!'),
    ("QUOT;", '"'),
    ("quot;", '"'),
    ("QUOT", '"'),
    ("quot", '"'),
    ("num;", '#'),
    ("dollar;", '$'),
    ("percnt;", '%'),
    ("AMP;", '&'),
    ("amp;", '&'),
    ("AMP", '&'),
    ("amp", '&'),
    ("apos;", '\''),
    ("lpar;", '('),
    ("rpar;", ')'),
    ("ast;", '*'),
    ("midast;", '*'),
    ("plus;", '+'),
    ("comma;", ','),
    ("period;", '.'),
    ("sol;", '/'),
    ("colon;", ':'),
    ("semi;", ';'),
    ("LT;", '<'),
    ("lt;", '<'),
    ("LT", '<'),
    ("lt", '<'),
    ("equals;", '='),
    ("GT;", '>'),
    ("gt;", '>'),
    ("GT", '>'),
    ("gt", '>'),
    ("quest;", '?'),
    ("commat;", '@'),
    ("lbrack;", '['),
    ("lsqb;", '['),
    ("bsol;", '\\'),
    ("rbrack;", ']'),
    ("rsqb;", ']'),
    ("Hat;", '^'),
    ("UnderBar;", '_'),
    ("lowbar;", '_'),
    ("DiacriticalGrave;", '`'),
    ("grave;", '`'),
    ("lbrace;", '{'),
    ("lcub;", '{'),
    ("VerticalLine;", '|'),
    ("verbar;", '|'),
    ("vert;", '|'),
    ("rbrace;", '}'),
    ("rcub;", '}'),
    ("NonBreakingSpace;", '\u{a0}'),
    ("nbsp;", '\u{a0}'),
    ("nbsp", '\u{a0}'),
];

/// What HTML reads the references `&#128;`…`&#159;` as: Windows-1252's characters.
const WINDOWS_1252: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The first index of `needle` in `s` at or after `from`.
fn find(s: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Whether `s` starts with `prefix`, ignoring ASCII case.
fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The index of the first byte from `from` that is not HTML white space.
fn skip_space(s: &[u8], from: usize) -> usize {
    skip_bytes(s, from, b" \t\n\x0c\r")
}

/// The index of the first byte from `from` that is not one of `set`.
fn skip_bytes(s: &[u8], from: usize, set: &[u8]) -> usize {
    s.iter()
        .skip(from)
        .position(|b| !set.contains(b))
        .map_or(s.len().max(from), |p| p + from)
}

/// `s` without the bytes of `set` it ends with.
fn trim_end<'s>(s: &'s [u8], set: &[u8]) -> &'s [u8] {
    let end = s.len() - s.iter().rev().take_while(|b| set.contains(b)).count();
    &s[..end]
}

/// Go's `%q` of bytes (`%.Nq` with `limit`: of their first N characters), for errors.
fn go_quote_bytes(s: &[u8], limit: Option<usize>) -> String {
    let text = String::from_utf8_lossy(s);
    let text: String = match limit {
        Some(n) => text.chars().take(n).collect(),
        None => text.into_owned(),
    };
    crate::template::format::go_quote(&text)
}
