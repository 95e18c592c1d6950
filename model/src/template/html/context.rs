//! Where in an HTML document a piece of a template lands: `html/template`'s context, which
//! the text between actions moves ([`super::transition`]) and which decides how an action's
//! output is escaped.
//!
//! The names printed ([`fmt::Display`]) are Go's, since its errors print contexts.

use std::fmt;

/// The parser state: which construct of HTML, JavaScript or CSS the text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum State {
    /// HTML text, outside tags, comments and special elements.
    #[default]
    Text,
    /// In a tag, before an attribute or the tag's end.
    Tag,
    /// In an attribute's name.
    AttrName,
    /// After an attribute's name, before any `=`.
    AfterName,
    /// After an attribute's `=`, before its value.
    BeforeValue,
    /// In an `<!-- HTML comment -->`.
    HtmlComment,
    /// In the body of `<textarea>` or `<title>`.
    Rcdata,
    /// In an attribute value of plain text.
    Attr,
    /// In an attribute value that is a URL.
    Url,
    /// In a `srcset` attribute.
    Srcset,
    /// In JavaScript: a `<script>` body or an event handler attribute.
    Js,
    /// In a JavaScript `"string"`.
    JsDqStr,
    /// In a JavaScript `'string'`.
    JsSqStr,
    /// In a JavaScript `` `template literal` ``.
    JsTmplLit,
    /// In a JavaScript `/regexp/`.
    JsRegexp,
    /// In a JavaScript `/* comment */`.
    JsBlockCmt,
    /// In a JavaScript `// comment`.
    JsLineCmt,
    /// In a JavaScript line after `<!--`.
    JsHtmlOpenCmt,
    /// In a JavaScript line after `-->`.
    JsHtmlCloseCmt,
    /// In CSS: a `<style>` body or a `style` attribute.
    Css,
    /// In a CSS `"string"`.
    CssDqStr,
    /// In a CSS `'string'`.
    CssSqStr,
    /// In a CSS `url("…")`.
    CssDqUrl,
    /// In a CSS `url('…')`.
    CssSqUrl,
    /// In a CSS `url(…)` without quotes.
    CssUrl,
    /// In a CSS `/* comment */`.
    CssBlockCmt,
    /// In a CSS `// comment`.
    CssLineCmt,
    /// The template cannot be escaped; the context's error says why.
    Error,
    /// In a `<meta>` element's `content` attribute.
    MetaContent,
    /// In the `url=` part of a `<meta>` element's `content` attribute.
    MetaContentUrl,
}

impl State {
    /// Go's name of the state.
    fn name(self) -> &'static str {
        match self {
            State::Text => "stateText",
            State::Tag => "stateTag",
            State::AttrName => "stateAttrName",
            State::AfterName => "stateAfterName",
            State::BeforeValue => "stateBeforeValue",
            State::HtmlComment => "stateHTMLCmt",
            State::Rcdata => "stateRCDATA",
            State::Attr => "stateAttr",
            State::Url => "stateURL",
            State::Srcset => "stateSrcset",
            State::Js => "stateJS",
            State::JsDqStr => "stateJSDqStr",
            State::JsSqStr => "stateJSSqStr",
            State::JsTmplLit => "stateJSTmplLit",
            State::JsRegexp => "stateJSRegexp",
            State::JsBlockCmt => "stateJSBlockCmt",
            State::JsLineCmt => "stateJSLineCmt",
            State::JsHtmlOpenCmt => "stateJSHTMLOpenCmt",
            State::JsHtmlCloseCmt => "stateJSHTMLCloseCmt",
            State::Css => "stateCSS",
            State::CssDqStr => "stateCSSDqStr",
            State::CssSqStr => "stateCSSSqStr",
            State::CssDqUrl => "stateCSSDqURL",
            State::CssSqUrl => "stateCSSSqURL",
            State::CssUrl => "stateCSSURL",
            State::CssBlockCmt => "stateCSSBlockCmt",
            State::CssLineCmt => "stateCSSLineCmt",
            State::Error => "stateError",
            State::MetaContent => "stateMetaContent",
            State::MetaContentUrl => "stateMetaContentURL",
        }
    }

    /// A comment of HTML, JavaScript or CSS, whose content html/template drops.
    pub(super) fn is_comment(self) -> bool {
        matches!(
            self,
            State::HtmlComment
                | State::JsBlockCmt
                | State::JsLineCmt
                | State::JsHtmlOpenCmt
                | State::JsHtmlCloseCmt
                | State::CssBlockCmt
                | State::CssLineCmt
        )
    }

    /// A literal of a script (string, template literal, regexp), in which `<script`,
    /// `</script` and `<!--` are escaped rather than read as markup.
    pub(super) fn is_script_literal(self) -> bool {
        matches!(
            self,
            State::JsDqStr | State::JsSqStr | State::JsTmplLit | State::JsRegexp
        )
    }
}

/// What ends the attribute value the text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Delim {
    /// Not in an attribute value.
    #[default]
    None,
    /// `"`.
    DoubleQuote,
    /// `'`.
    SingleQuote,
    /// White space or `>` (an unquoted value).
    SpaceOrTagEnd,
}

impl Delim {
    /// Go's name of the delimiter.
    fn name(self) -> &'static str {
        match self {
            Delim::None => "delimNone",
            Delim::DoubleQuote => "delimDoubleQuote",
            Delim::SingleQuote => "delimSingleQuote",
            Delim::SpaceOrTagEnd => "delimSpaceOrTagEnd",
        }
    }

    /// The bytes that end a value so delimited.
    pub(super) fn ends(self) -> &'static [u8] {
        match self {
            Delim::None => b"",
            Delim::DoubleQuote => b"\"",
            Delim::SingleQuote => b"'",
            Delim::SpaceOrTagEnd => b" \t\n\x0c\r>",
        }
    }
}

/// Which part of a URL the text is in, which decides how much of a value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum UrlPart {
    /// Not in a URL, or at its very start (where the scheme is checked).
    #[default]
    None,
    /// In the scheme, authority or path.
    PreQuery,
    /// In the query or the fragment.
    QueryOrFrag,
    /// Branches ended on both sides of the `?`: no action may follow.
    Unknown,
}

impl UrlPart {
    /// Go's name of the URL part.
    fn name(self) -> &'static str {
        match self {
            UrlPart::None => "urlPartNone",
            UrlPart::PreQuery => "urlPartPreQuery",
            UrlPart::QueryOrFrag => "urlPartQueryOrFrag",
            UrlPart::Unknown => "urlPartUnknown",
        }
    }
}

/// In JavaScript, whether a `/` would start a regexp or divide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum JsCtx {
    /// A `/` starts a regexp.
    #[default]
    Regexp,
    /// A `/` divides.
    DivOp,
    /// Branches disagree: a `/` is an error.
    Unknown,
}

impl JsCtx {
    /// Go's name of the JavaScript context.
    fn name(self) -> &'static str {
        match self {
            JsCtx::Regexp => "jsCtxRegexp",
            JsCtx::DivOp => "jsCtxDivOp",
            JsCtx::Unknown => "jsCtxUnknown",
        }
    }
}

/// The attribute the text is in, by what its value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Attr {
    /// A plain attribute, or none.
    #[default]
    None,
    /// An event handler (`onclick`): JavaScript.
    Script,
    /// A `<script>`'s `type`, which says whether its body is JavaScript.
    ScriptType,
    /// `style`: CSS.
    Style,
    /// A URL (`href`, `src`, …).
    Url,
    /// `srcset`.
    Srcset,
    /// A `<meta>`'s `content`.
    MetaContent,
}

impl Attr {
    /// Go's name of the attribute kind.
    fn name(self) -> &'static str {
        match self {
            Attr::None => "attrNone",
            Attr::Script => "attrScript",
            Attr::ScriptType => "attrScriptType",
            Attr::Style => "attrStyle",
            Attr::Url => "attrURL",
            Attr::Srcset => "attrSrcset",
            Attr::MetaContent => "attrMetaContent",
        }
    }

    /// The state a value of this attribute starts in.
    pub(super) fn value_state(self) -> State {
        match self {
            Attr::None | Attr::ScriptType => State::Attr,
            Attr::Script => State::Js,
            Attr::Style => State::Css,
            Attr::Url => State::Url,
            Attr::Srcset => State::Srcset,
            Attr::MetaContent => State::MetaContent,
        }
    }
}

/// The element whose tag or special body the text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Element {
    /// An ordinary element, or none.
    #[default]
    None,
    /// `<script>` (of JavaScript).
    Script,
    /// `<style>`.
    Style,
    /// `<textarea>`.
    Textarea,
    /// `<title>`.
    Title,
    /// `<meta>`.
    Meta,
}

impl Element {
    /// Go's name of the element.
    fn name(self) -> &'static str {
        match self {
            Element::None => "elementNone",
            Element::Script => "elementScript",
            Element::Style => "elementStyle",
            Element::Textarea => "elementTextarea",
            Element::Title => "elementTitle",
            Element::Meta => "elementMeta",
        }
    }

    /// The element a tag name (lower case or not) opens, when it is a special one.
    pub(super) fn named(name: &[u8]) -> Element {
        match name.to_ascii_lowercase().as_slice() {
            b"script" => Element::Script,
            b"style" => Element::Style,
            b"textarea" => Element::Textarea,
            b"title" => Element::Title,
            b"meta" => Element::Meta,
            _ => Element::None,
        }
    }

    /// The name its end tag carries (empty for `<meta>`, which has none).
    pub(super) fn end_tag(self) -> &'static [u8] {
        match self {
            Element::None | Element::Meta => b"",
            Element::Script => b"script",
            Element::Style => b"style",
            Element::Textarea => b"textarea",
            Element::Title => b"title",
        }
    }

    /// The state its body is in.
    pub(super) fn body_state(self) -> State {
        match self {
            Element::None | Element::Meta => State::Text,
            Element::Script => State::Js,
            Element::Style => State::Css,
            Element::Textarea | Element::Title => State::Rcdata,
        }
    }
}

/// Why a template cannot be escaped, and the byte offset of the node it concerns (none
/// when the text itself is at fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EscapeError {
    /// What is wrong.
    pub(super) description: String,
    /// Where the action or control word is.
    pub(super) pos: Option<usize>,
}

/// Everything the escaper knows about where a point of the template lands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Context {
    /// The parser state.
    pub(super) state: State,
    /// What ends the attribute value it is in.
    pub(super) delim: Delim,
    /// The part of a URL it is in.
    pub(super) url_part: UrlPart,
    /// In JavaScript, what a `/` would be.
    pub(super) js_ctx: JsCtx,
    /// For each `${` of a template literal it is inside, how many braces are open in it.
    pub(super) js_brace_depth: Vec<i32>,
    /// The attribute it is in.
    pub(super) attr: Attr,
    /// The special element it is in.
    pub(super) element: Element,
    /// Set exactly when the state is [`State::Error`].
    pub(super) error: Option<EscapeError>,
}

impl Context {
    /// A context of `state` and nothing else.
    pub(super) fn of(state: State) -> Context {
        Context {
            state,
            ..Context::default()
        }
    }

    /// The error context of `description`, about the node at `pos` if any.
    pub(super) fn error(description: String, pos: Option<usize>) -> Context {
        Context {
            state: State::Error,
            error: Some(EscapeError { description, pos }),
            ..Context::default()
        }
    }

    /// The context an action meets when it stands where the text left off: right after an
    /// attribute's `=` it is the value; in a tag or after a name, it is an attribute name.
    pub(super) fn nudged(mut self) -> Context {
        match self.state {
            State::Tag => self.state = State::AttrName,
            State::BeforeValue => {
                self.state = self.attr.value_state();
                self.delim = Delim::SpaceOrTagEnd;
                self.attr = Attr::None;
            }
            State::AfterName => {
                self.state = State::AttrName;
                self.attr = Attr::None;
            }
            _ => {}
        }
        self
    }

    /// The context after a branching node whose branches end in `self` and `other`: the
    /// same context, or one that differs only in a URL part or a JavaScript `/` (then
    /// unknown), or what they agree on once nudged; else an error about the `word` node at
    /// `pos`.
    pub(super) fn join(self, other: Context, word: &str, pos: usize) -> Context {
        if self.state == State::Error {
            return self;
        }
        if other.state == State::Error || self == other {
            return other;
        }
        if (Context {
            url_part: other.url_part,
            ..self.clone()
        }) == other
        {
            return Context {
                url_part: UrlPart::Unknown,
                ..self
            };
        }
        if (Context {
            js_ctx: other.js_ctx,
            ..self.clone()
        }) == other
        {
            return Context {
                js_ctx: JsCtx::Unknown,
                ..self
            };
        }
        let (a, b) = (self.clone().nudged(), other.clone().nudged());
        if a != self || b != other {
            let joined = a.join(b, word, pos);
            if joined.state != State::Error {
                return joined;
            }
        }
        Context::error(
            format!("{{{{{word}}}}} branches end in different contexts: {self}, {other}"),
            Some(pos),
        )
    }
}

/// As Go prints a context: `{stateURL delimDoubleQuote urlPartNone jsCtxRegexp [] attrURL
/// elementNone <nil>}`.
impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let depths: Vec<String> = self.js_brace_depth.iter().map(i32::to_string).collect();
        let error = self
            .error
            .as_ref()
            .map_or("<nil>", |e| e.description.as_str());
        write!(
            f,
            "{{{} {} {} {} [{}] {} {} {error}}}",
            self.state.name(),
            self.delim.name(),
            self.url_part.name(),
            self.js_ctx.name(),
            depths.join(" "),
            self.attr.name(),
            self.element.name(),
        )
    }
}
