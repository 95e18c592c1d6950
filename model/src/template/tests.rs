//! Templates render as Go's `text/template` renders them (expectations from Go 1.22), and
//! details as Go's `html/template` escapes them (expectations from Kapacitor's own output:
//! the points below are the ones it rendered them from).

use super::*;

fn alert_data() -> Value {
    Value::structure([
        ("ID", Value::Str("cpu:host=serverA".into())),
        ("Name", Value::Str("cpu".into())),
        ("TaskName", Value::Str("task".into())),
        ("Level", Value::Str("CRITICAL".into())),
        (
            "Tags",
            Value::strings([
                ("host".into(), "serverA".into()),
                ("dc".into(), "east".into()),
            ]),
        ),
        (
            "Fields",
            Value::interfaces([
                ("value".into(), Value::Float(97.5)),
                ("count".into(), Value::Int(10)),
                ("big".into(), Value::Float(1234567.0)),
            ]),
        ),
        ("Time", Value::Time(31_536_010_500_000_000)),
        ("Duration", Value::Duration(90_500_000_000)),
    ])
}

fn render(text: &str) -> String {
    Template::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .render(&alert_data())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn fields_index_and_trimming() {
    assert_eq!(
        render(
            "http://x/{{ .Name }}/?host={{ index .Tags \"host\"}}&cpu={{ index .Tags \"cpu\" }}"
        ),
        "http://x/cpu/?host=serverA&cpu="
    );
    assert_eq!(render("a  {{- .Name -}}  b"), "acpub");
    assert_eq!(
        render("{{ .Tags.host }} {{ .Tags.missing }}"),
        "serverA <no value>"
    );
    assert_eq!(render("{{/* a comment */}}x"), "x");
}

#[test]
fn values_print_as_go_prints_them() {
    assert_eq!(
        render("{{ .Fields.value }} {{ .Fields.count }} {{ .Fields.big }}"),
        "97.5 10 1.234567e+06"
    );
    assert_eq!(render("{{ .Time }}"), "1971-01-01 00:00:10.5 +0000 UTC");
    assert_eq!(render("{{ .Duration }}"), "1m30.5s");
    assert_eq!(render("{{ .Tags }}"), "map[dc:east host:serverA]");
    assert_eq!(go_duration(1_500_000), "1.5ms");
    assert_eq!(go_duration(-3_600_000_000_000), "-1h0m0s");
    assert_eq!(go_float(1e21, 'g', None), "1e+21");
    assert_eq!(go_float(0.0001, 'g', None), "0.0001");
    assert_eq!(go_float(0.00001, 'g', None), "1e-05");
}

#[test]
fn control_structures_and_variables() {
    assert_eq!(
        render(
            "{{ if eq .Level \"OK\" }}fine{{ else if eq .Level \"CRITICAL\" }}bad{{ else }}meh{{ end }}"
        ),
        "bad"
    );
    assert_eq!(
        render("{{ range $k, $v := .Tags }}{{ $k }}={{ $v }};{{ end }}"),
        "dc=east;host=serverA;"
    );
    assert_eq!(
        render("{{ range .Tags }}[{{ . }}]{{ end }}"),
        "[east][serverA]"
    );
    assert_eq!(render("{{ with .Tags.host }}{{ . }}{{ end }}"), "serverA");
    assert_eq!(
        render("{{ $x := .Name }}{{ $x }}-{{ $.Level }}"),
        "cpu-CRITICAL"
    );
    assert_eq!(
        render("{{ if and .Name (not .Tags.missing) }}y{{ end }}"),
        "y"
    );
    assert_eq!(render("{{ or .Tags.missing \"default\" }}"), "default");
    assert_eq!(render("{{ len .Tags }} {{ len .Name }}"), "2 3");
}

#[test]
fn printf_and_pipelines() {
    assert_eq!(render("{{ printf \"%.2f\" .Fields.value }}"), "97.50");
    assert_eq!(render("{{ .Fields.value | printf \"%6.1f|\" }}"), "  97.5|");
    assert_eq!(render("{{ printf \"%d%%\" .Fields.count }}"), "10%");
    assert_eq!(
        render("{{ printf \"%s is %v\" .Name .Fields.value }}"),
        "cpu is 97.5"
    );
    assert_eq!(render("{{ printf \"%d\" .Name }}"), "%!d(string=cpu)");
    assert_eq!(render("{{ printf \"%s %s\" .Name }}"), "cpu %!s(MISSING)");
    assert_eq!(render("{{ printf \"%05d\" -42 }}"), "-0042");
    assert_eq!(render("{{ print .Fields.count .Fields.count }}"), "10 10");
    assert_eq!(render("{{ print .Name .Name }}"), "cpucpu");
    assert_eq!(
        render("{{ gt .Fields.value 90.0 }} {{ lt .Fields.count 3 }}"),
        "true false"
    );
}

#[test]
fn html_templates_escape_what_actions_print() {
    let template =
        Template::parse_escaped("<b>{{ .Name }}</b> {{ \"a<b & 'c'\" }}", Escape::Html).unwrap();
    assert_eq!(
        template.render(&alert_data()).unwrap(),
        "<b>cpu</b> a&lt;b &amp; &#39;c&#39;"
    );
}

#[test]
fn errors_say_what_went_wrong() {
    let error = |text: &str| match Template::parse(text) {
        Err(e) => e,
        Ok(t) => t.render(&alert_data()).unwrap_err(),
    };
    assert!(error("{{ .Nope }}").contains("can't evaluate field Nope"));
    assert!(error("{{ if .Name }}x").contains("without {{end}}"));
    assert!(error("{{ frob .Name }}").contains("function \"frob\" not defined"));
    assert!(error("{{ eq .Fields.count 1.0 }}").contains("incompatible types"));
    assert!(error("{{ .Name").contains("unclosed action"));
    assert!(error("{{ template \"x\" }}").contains("not supported"));
}

#[test]
fn json_writes_values_as_go_encoding_json_does() {
    assert_eq!(
        render("{{ jsonCompact .Tags }}"),
        r#"{"dc":"east","host":"serverA"}"#
    );
    assert_eq!(
        render("{{ jsonCompact .Time }} {{ jsonCompact .Duration }} {{ json .Fields }}"),
        "\"1971-01-01T00:00:10.5Z\" 90500000000 {\"big\":1234567,\"count\":10,\"value\":97.5}\n"
    );
    let data = Value::structure([
        ("Name", Value::Str("a<b".into())),
        ("Small", Value::Float(1e-7)),
    ]);
    let template = Template::parse("{{ json . }}").unwrap();
    assert_eq!(
        template.render(&data).unwrap(),
        "{\"Name\":\"a\\u003cb\",\"Small\":1e-7}\n"
    );
    // As alert details: html/template escapes the JSON, `+` too.
    let details = Template::parse_escaped("{{ json . }}", super::Escape::Html).unwrap();
    let data = Value::structure([("Name", Value::Str("a+b".into()))]);
    assert_eq!(
        details.render(&data).unwrap(),
        "{&#34;Name&#34;:&#34;a&#43;b&#34;}\n"
    );
}

#[test]
fn a_failed_execution_keeps_what_it_wrote_before_the_error() {
    let template = Template::parse(
        "{{ .Name }}/{{ range $k, $v := .Tags }}{{ $k }} {{ end }}{{ .Nope }} after",
    )
    .unwrap();
    assert_eq!(template.render_partial(&alert_data()), "cpu/dc host ");
    assert!(template.render(&alert_data()).is_err());
    assert_eq!(
        Template::parse("{{ .Name }}")
            .unwrap()
            .render_partial(&alert_data()),
        "cpu"
    );
}

#[test]
fn times_format_by_gos_reference_layout_and_methods_are_called() {
    // 2024-03-09T14:05:07.120Z, a Saturday.
    let t = 1_709_993_107_120_000_000;
    assert_eq!(
        go_format_time(t, "2006-01-02 15:04:05 MST"),
        "2024-03-09 14:05:07 UTC"
    );
    assert_eq!(
        go_format_time(t, "Mon Jan _2 3:04PM .000 .999 Z07:00 -0700 002"),
        "Sat Mar  9 2:05PM .120 .12 Z +0000 069"
    );
    assert_eq!(go_format_time(t, "January 2, 06 pm"), "March 9, 24 pm");
    let data = Value::structure([
        ("Time", Value::Time(t)),
        ("Duration", Value::Duration(90_000_000_000)),
    ]);
    let render = |text: &str| Template::parse(text).unwrap().render(&data).unwrap();
    assert_eq!(
        render(
            "{{ .Time.Unix }} {{ .Time.Weekday }} {{ .Time.Format \"15:04\" }} {{ .Time.YearDay }}"
        ),
        "1709993107 Saturday 14:05 69"
    );
    assert_eq!(
        render("{{ .Duration.Seconds }} {{ .Duration.Minutes }} {{ .Duration.String }}"),
        "90 1.5 1m30s"
    );
    assert_eq!(
        Template::parse("{{ .Time.Format }}")
            .unwrap()
            .render(&data)
            .unwrap_err(),
        "wrong number of args for Format: want 1 got 0"
    );
}

/// Kapacitor's template data of a CRITICAL alert at 1971-01-01T00:00:00Z, its first event.
fn kapacitor_data(tags: &[(&str, &str)], fields: Vec<(&str, Value)>) -> Value {
    Value::structure([
        ("Level", Value::Str("CRITICAL".into())),
        (
            "Tags",
            Value::strings(tags.iter().map(|(k, v)| ((*k).into(), (*v).into()))),
        ),
        (
            "Fields",
            Value::interfaces(fields.into_iter().map(|(k, v)| (k.to_owned(), v))),
        ),
        ("Time", Value::Time(31_536_000_000_000_000)),
        ("Duration", Value::Duration(0)),
    ])
}

/// `cpu,host=web-1,role=a&b,sp=x\ y usage=95,count=3i,ok=true,neg=-2.5,name="<x> & \"y\"
/// it's +1",url="javascript:alert(1)",url2="http://e.com/p q?a=1&b=<2>#f",u="é/ü?&=#",
/// empty="",css="red",css2="expression(x)",css3="10px solid #f00"`.
fn point_of_every_kind() -> Value {
    let text = |s: &str| Value::Str(s.into());
    kapacitor_data(
        &[("host", "web-1"), ("role", "a&b"), ("sp", "x y")],
        vec![
            ("usage", Value::Float(95.0)),
            ("count", Value::Int(3)),
            ("ok", Value::Bool(true)),
            ("neg", Value::Float(-2.5)),
            ("name", text("<x> & \"y\" it's +1")),
            ("url", text("javascript:alert(1)")),
            ("url2", text("http://e.com/p q?a=1&b=<2>#f")),
            ("u", text("é/ü?&=#")),
            ("empty", text("")),
            ("css", text("red")),
            ("css2", text("expression(x)")),
            ("css3", text("10px solid #f00")),
        ],
    )
}

/// `cpu,host=web-1 usage=95,name="a b\"c<d",u="/x y?z",ls="p\u2028q"`.
fn point_with_a_quote_and_a_line_separator() -> Value {
    kapacitor_data(
        &[("host", "web-1")],
        vec![
            ("usage", Value::Float(95.0)),
            ("name", Value::Str("a b\"c<d".into())),
            ("u", Value::Str("/x y?z".into())),
            ("ls", Value::Str("p\u{2028}q".into())),
        ],
    )
}

/// `cpu,host=web-1 usage=95,name="a"`.
fn plain_point() -> Value {
    kapacitor_data(
        &[("host", "web-1")],
        vec![
            ("usage", Value::Float(95.0)),
            ("name", Value::Str("a".into())),
        ],
    )
}

/// `text` as alert details (an `html/template`) rendered from `data`.
fn html(text: &str, data: &Value) -> String {
    Template::parse_escaped(text, Escape::Html)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .render(data)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn script_bodies_take_javascript_values_and_strings() {
    assert_eq!(
        html(
            r#"<script>var a = {{ index .Fields "usage" }}; var b = {{ index .Fields "count" }}; var c = {{ index .Fields "ok" }}; var d = {{ index .Fields "neg" }}; var e = {{ index .Fields "nope" }}; var f = {{ .Tags }}; var g = {{ .Fields }}; var h = {{ .Time }}; var i = {{ .Duration }}; var j = {{ .Level }};</script>"#,
            &point_of_every_kind()
        ),
        r#"<script>var a =  95 ; var b =  3 ; var c =  true ; var d =  -2.5 ; var e =  null ; var f = {"host":"web-1","role":"a\u0026b","sp":"x y"}; var g = {"count":3,"css":"red","css2":"expression(x)","css3":"10px solid #f00","empty":"","name":"\u003cx\u003e \u0026 \"y\" it's +1","neg":-2.5,"ok":true,"u":"é/ü?\u0026=#","url":"javascript:alert(1)","url2":"http://e.com/p q?a=1\u0026b=\u003c2\u003e#f","usage":95}; var h = "1971-01-01T00:00:00Z"; var i = "0s"; var j = "CRITICAL";</script>"#
    );
    assert_eq!(
        html(
            r#"<script>var s = '{{ index .Fields "name" }}'; var t = `{{ index .Fields "name" }}`; var r = /{{ index .Fields "name" }}/; var q = /{{ index .Fields "empty" }}/;</script>"#,
            &point_of_every_kind()
        ),
        r#"<script>var s = '\u003cx\u003e \u0026 \u0022y\u0022 it\u0027s \u002b1'; var t = `\u003cx\u003e \u0026 \u0022y\u0022 it\u0027s \u002b1`; var r = /\u003cx\u003e \u0026 \u0022y\u0022 it\u0027s \u002b1/; var q = /(?:)/;</script>"#
    );
    assert_eq!(
        html(
            r#"<script>// c {{ .Level }}
var x = 1; /* {{ .Level }} */ var y = 2;</script><style>/* {{ .Level }} */ p {}</style>"#,
            &point_of_every_kind()
        ),
        r#"<script>
var x = 1;    var y = 2;</script><style>   p {}</style>"#
    );
    assert_eq!(
        html(
            r#"<script>var x = "<script>{{ .Level }}";</script>"#,
            &point_of_every_kind()
        ),
        r#"<script>var x = "\x3Cscript>CRITICAL";</script>"#
    );
    assert_eq!(
        html(
            r#"<SCRIPT>var a = {{ .Level }};</SCRIPT><script type="text/template">{{ index .Fields "name" }}</script><script type="text/javascript">var b = {{ .Level }};</script>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<SCRIPT>var a = "CRITICAL";</SCRIPT><script type="text/template">a b&#34;c&lt;d</script><script type="text/javascript">var b = "CRITICAL";</script>"#
    );
    assert_eq!(
        html(
            r#"<script>var t = `a ${ {{ index .Fields "name" }} } b ${ "{{ .Level }}" } {{ .Level }}`; var x = a / {{ .Level }}; var y = {{ .Level }} / 2;</script>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<script>var t = `a ${ "a b\"c\u003cd" } b ${ "CRITICAL" } CRITICAL`; var x = a / "CRITICAL"; var y = "CRITICAL" / 2;</script>"#
    );
    assert_eq!(
        html(
            r#"<script>var s = "{{ index .Fields "ls" }}"; var v = {{ index .Fields "ls" }};</script>{{ index .Fields "ls" }}"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        "<script>var s = \"p\\u2028q\"; var v = \"p\\u2028q\";</script>p\u{2028}q"
    );
    assert_eq!(
        html(
            r#"<script>var o = { a: {{ .Level }} }; if (x) { y = '{{ .Level }}' }</script>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<script>var o = { a: "CRITICAL" }; if (x) { y = 'CRITICAL' }</script>"#
    );
    assert_eq!(
        html(
            r#"<a title="{{ .Fields.nope }}">{{ .Fields.nope }}</a><a title={{ .Fields.nope }}>x</a><a href="{{ .Fields.nope }}">x</a><script>var x = {{ .Fields.nope }}; var y = "{{ .Fields.nope }}";</script>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a title=""></a><a title=ZgotmplZ>x</a><a href="">x</a><script>var x =  null ; var y = "";</script>"#
    );
    assert_eq!(
        html(
            r#"<script>var x = a /{{ .Level }}/;</script>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<script>var x = a /"CRITICAL"/;</script>"#
    );
}

#[test]
fn urls_are_filtered_and_percent_encoded() {
    assert_eq!(
        html(
            r#"<a href="{{ index .Fields "url2" }}">x</a><a href="/p/{{ index .Fields "u" }}?q={{ index .Fields "u" }}&n={{ index .Fields "name" }}#{{ index .Fields "u" }}">y</a>"#,
            &point_of_every_kind()
        ),
        r#"<a href="http://e.com/p%20q?a=1&amp;b=%3c2%3e#f">x</a><a href="/p/%c3%a9/%c3%bc?&amp;=#?q=%c3%a9%2f%c3%bc%3f%26%3d%23&n=%3cx%3e%20%26%20%22y%22%20it%27s%20%2b1#%c3%a9%2f%c3%bc%3f%26%3d%23">y</a>"#
    );
    assert_eq!(
        html(
            r#"<a href={{ index .Fields "url2" }}>x</a><a title={{ index .Fields "name" }}>y</a><a title={{ index .Fields "empty" }}>z</a><a title='{{ index .Fields "name" }}'>w</a>"#,
            &point_of_every_kind()
        ),
        r#"<a href=http://e.com/p%20q?a&#61;1&amp;b&#61;%3c2%3e#f>x</a><a title=&lt;x&gt;&#32;&amp;&#32;&#34;y&#34;&#32;it&#39;s&#32;&#43;1>y</a><a title=ZgotmplZ>z</a><a title='&lt;x&gt; &amp; &#34;y&#34; it&#39;s &#43;1'>w</a>"#
    );
    assert_eq!(
        html(
            r#"<img src="{{ index .Fields "url" }}"><img src="mailto:{{ index .Fields "url" }}"><form action="{{ index .Fields "url" }}"></form><a data-url="{{ index .Fields "url" }}"></a><a xmlns:foo="{{ index .Fields "url" }}"></a><a myuri="{{ index .Fields "url" }}"></a><a data-title="{{ index .Fields "url" }}"></a>"#,
            &point_of_every_kind()
        ),
        r##"<img src="#ZgotmplZ"><img src="mailto:javascript:alert%281%29"><form action="#ZgotmplZ"></form><a data-url="#ZgotmplZ"></a><a xmlns:foo="#ZgotmplZ"></a><a myuri="#ZgotmplZ"></a><a data-title="javascript:alert(1)"></a>"##
    );
    assert_eq!(
        html(
            r#"<meta http-equiv="refresh" content="5; url={{ index .Fields "url2" }}"><img srcset="{{ index .Fields "url2" }} 2x, {{ index .Fields "url" }}">"#,
            &point_of_every_kind()
        ),
        r##"<meta http-equiv="refresh" content="5; url=http://e.com/p q?a=1&amp;b=&lt;2&gt;#f"><img srcset="#ZgotmplZ 2x, #ZgotmplZ">"##
    );
    assert_eq!(
        html(
            r#"<a href="{{ index .Fields "u" }}">{{ index .Fields "u" }}</a><a href="http://x/{{ index .Fields "u" }}">b</a><a href="x:{{ index .Fields "u" }}">c</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a href="/x%20y?z">/x y?z</a><a href="http://x//x%20y?z">b</a><a href="x:/x%20y?z">c</a>"#
    );
    assert_eq!(
        html(
            r#"<!DOCTYPE html><p>{{ .Level }}</p><br/><img src=x />"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<!DOCTYPE html><p>CRITICAL</p><br/><img src=x />"#
    );
    assert_eq!(
        html(
            r##"<a href="{{ .Level }}{{ .Level }}">1</a><a href="?{{ .Level }}">2</a><a href="#{{ .Level }}">3</a><a href=" {{ .Level }}">4</a>"##,
            &point_with_a_quote_and_a_line_separator()
        ),
        r##"<a href="CRITICALCRITICAL">1</a><a href="?CRITICAL">2</a><a href="#CRITICAL">3</a><a href=" CRITICAL">4</a>"##
    );
}

#[test]
fn css_values_are_filtered_and_css_strings_escaped() {
    assert_eq!(
        html(
            r#"<p style="color: {{ index .Fields "css" }}; border: {{ index .Fields "css3" }}; x: {{ index .Fields "css2" }}; y: {{ index .Fields "name" }}; z: {{ index .Fields "usage" }}">s</p><style>p { color: {{ index .Fields "css" }}; font-family: "{{ index .Fields "name" }}"; background: url({{ index .Fields "url2" }}) }</style>"#,
            &point_of_every_kind()
        ),
        r#"<p style="color: red; border: 10px solid #f00; x: ZgotmplZ; y: ZgotmplZ; z: 95">s</p><style>p { color: red; font-family: "\3cx\3e  \26  \22y\22  it\27s \2b 1"; background: url(http://e.com/p%20q?a=1&b=%3c2%3e#f) }</style>"#
    );
    assert_eq!(
        html(
            r#"<a href={{ index .Fields "u" }}>1</a><a href={{ .Level }}{{ index .Fields "u" }}>2</a><a style="{{ .Level }}">3</a><a style='color:{{ index .Fields "name" }}'>4</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a href=/x%20y?z>1</a><a href=CRITICAL/x%20y?z>2</a><a style="CRITICAL">3</a><a style='color:ZgotmplZ'>4</a>"#
    );
    assert_eq!(
        html(
            r#"<p style="background: url('{{ index .Fields "u" }}'); content: '{{ index .Fields "name" }}'; x: url({{ index .Fields "name" }})">1</p>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<p style="background: url('/x%20y?z'); content: 'a b\22 c\3c d'; x: url(a%20b%22c%3cd)">1</p>"#
    );
}

#[test]
fn html_text_and_rcdata_escape_values_and_stray_brackets() {
    assert_eq!(
        html(
            r#"<title>{{ index .Fields "name" }}</title><textarea>{{ index .Fields "name" }}</textarea>"#,
            &point_of_every_kind()
        ),
        r#"<title>&lt;x&gt; &amp; &#34;y&#34; it&#39;s &#43;1</title><textarea>&lt;x&gt; &amp; &#34;y&#34; it&#39;s &#43;1</textarea>"#
    );
    assert_eq!(
        html(
            r#"a < b {{ .Level }} <!-- c {{ .Level }} --> d <b>e</b> 1<2"#,
            &point_of_every_kind()
        ),
        r#"a &lt; b CRITICAL  d <b>e</b> 1&lt;2"#
    );
    assert_eq!(
        html(
            r#"{{ .Time }} {{ .Duration }} {{ .Tags }} {{ .Fields }}"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        "1971-01-01 00:00:00 &#43;0000 UTC 0s map[host:web-1] map[ls:p\u{2028}q name:a b&#34;c&lt;d u:/x y?z usage:95]"
    );
    assert_eq!(
        html(
            r#"<textarea>{{ .Level }}</textarea><title>a<b>{{ .Level }}</b></title><p>after</p>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<textarea>CRITICAL</textarea><title>a&lt;b>CRITICAL&lt;/b></title><p>after</p>"#
    );
}

#[test]
fn event_handler_attributes_hold_javascript() {
    assert_eq!(
        html(
            r#"<p onclick="f({{ index .Fields "name" }}, {{ index .Fields "usage" }}, '{{ index .Fields "name" }}')">x</p><p onmouseover='g({{ .Tags }})'>y</p>"#,
            &point_of_every_kind()
        ),
        r#"<p onclick="f(&#34;\u003cx\u003e \u0026 \&#34;y\&#34; it&#39;s &#43;1&#34;,  95 , '\u003cx\u003e \u0026 \u0022y\u0022 it\u0027s \u002b1')">x</p><p onmouseover='g({&#34;host&#34;:&#34;web-1&#34;,&#34;role&#34;:&#34;a\u0026b&#34;,&#34;sp&#34;:&#34;x y&#34;})'>y</p>"#
    );
    assert_eq!(
        html(
            r#"<a onclick="f(&quot;{{ index .Fields "name" }}&quot;)">1</a><a href="&#63;{{ index .Fields "u" }}">2</a><a href="/p&amp;{{ index .Fields "u" }}">3</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a onclick="f(&quot;a b\u0022c\u003cd&quot;)">1</a><a href="&#63;%2fx%20y%3fz">2</a><a href="/p&amp;/x%20y?z">3</a>"#
    );
    assert_eq!(
        html(
            r#"<a title=x{{ index .Fields "name" }}y>1</a><a href=/x?q{{ index .Fields "name" }}>2</a><input value="{{ index .Fields "name" }}" checked><a onclick={{ index .Fields "name" }}>3</a><a style={{ index .Fields "usage" }}>4</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a title=xa&#32;b&#34;c&lt;dy>1</a><a href=/x?qa%20b%22c%3cd>2</a><input value="a b&#34;c&lt;d" checked><a onclick=&#34;a&#32;b\&#34;c\u003cd&#34;>3</a><a style=95>4</a>"#
    );
}

#[test]
fn branches_and_declarations_keep_their_context() {
    assert_eq!(
        html(
            r#"<p class="{{ if eq .Level "CRITICAL" }}crit{{ else }}ok{{ end }}">{{ range $k, $v := .Tags }}<i title="{{ $k }}">{{ $v }}</i>{{ end }}</p>"#,
            &point_of_every_kind()
        ),
        r#"<p class="crit"><i title="host">web-1</i><i title="role">a&amp;b</i><i title="sp">x y</i></p>"#
    );
    assert_eq!(
        html(
            r#"<p title="{{ .Level }}" {{ if true }}class="a"{{ end }}>x</p><p {{ if .Level }}title="{{ .Level }}"{{ else }}class="b"{{ end }}>y</p>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<p title="CRITICAL" class="a">x</p><p title="CRITICAL">y</p>"#
    );
    assert_eq!(
        html(
            r#"<a href="/x?{{ if .Level }}a={{ .Level }}{{ end }}">x</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a href="/x?a=CRITICAL">x</a>"#
    );
    assert_eq!(
        html(
            r#"{{ $x := .Level }}{{ $x }}<a title="{{ $x }}">{{ with .Tags }}{{ .host }}{{ end }}</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"CRITICAL<a title="CRITICAL">web-1</a>"#
    );
    assert_eq!(
        html(
            r#"<p>{{ if .Level }}<b>{{ end }}x</p>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<p><b>x</p>"#
    );
    assert_eq!(
        html(
            r#"<p {{ if .Level }}title="x"{{ end }}>x</p>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<p title="x">x</p>"#
    );
    assert_eq!(
        html(
            r#"<p title={{ if .Level }}{{ .Level }}{{ end }}>x</p>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<p title=CRITICAL>x</p>"#
    );
    assert_eq!(
        html(
            r#"<script>var x = 1{{ if .Level }}+1{{ end }}/2;</script>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<script>var x = 1+1/2;</script>"#
    );
    assert_eq!(
        html(
            r#"<a href="/x{{ if .Level }}?a=1{{ end }}">x</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a href="/x?a=1">x</a>"#
    );
}

#[test]
fn builtin_escapers_merge_with_the_contextual_ones() {
    assert_eq!(
        html(
            r#"<a {{ .Level }}>x</a><a title="{{ .Level | html }}">y</a><a href="/?q={{ .Level | urlquery }}">z</a><b>{{ index .Fields "name" | html }}</b><b>{{ index .Fields "name" | urlquery }}</b>"#,
            &point_of_every_kind()
        ),
        r#"<a critical>x</a><a title="CRITICAL">y</a><a href="/?q=CRITICAL">z</a><b>&lt;x&gt; &amp; &#34;y&#34; it&#39;s +1</b><b>%3Cx%3E&#43;%26&#43;%22y%22&#43;it%27s&#43;%2B1</b>"#
    );
    assert_eq!(
        html(
            r#"<a href="{{ index .Fields "u" | html }}">1</a><a href="{{ html "<a" "b" }}">2</a><p>{{ html "<a" 1 2 }}</p><p>{{ urlquery "a b" "c" }}</p><p>{{ js "a'b" }}</p><script>var x = {{ js "a'b" }}; var y = '{{ js "a'b" }}';</script>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a href="/x%20y?z">1</a><a href="%3cab">2</a><p>&lt;a1 2</p><p>a&#43;bc</p><p>a\&#39;b</p><script>var x = "a\\'b"; var y = 'a\\\u0027b';</script>"#
    );
    assert_eq!(
        html(
            r#"{{ print .Fields.nope }}|{{ print (index .Fields "nope") }}|{{ printf "%v" .Fields.nope }}|{{ .Fields.nope | print }}|{{ println .Fields.nope }}|{{ .Tags.nope }}|{{ index .Tags "nope" }}|{{ print .Tags.nope }}|{{ html .Tags.nope }}|{{ .Tags.nope | html }}"#,
            &plain_point()
        ),
        r#"&lt;nil&gt;|&lt;nil&gt;|&lt;nil&gt;|&lt;nil&gt;|&lt;nil&gt;
|||&lt;nil&gt;|&lt;nil&gt;|&lt;no value&gt;"#
    );
    assert_eq!(
        html(
            r#"{{ html "a+<" }} {{ "a+<" | html }}"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"a+&lt; a+&lt;"#
    );
    assert_eq!(
        html(
            r#"{{ index .Fields "nope" }}|{{ .Fields.nope }}|{{ html (index .Fields "nope") }}|{{ .Fields.nope | html }}"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"||&lt;nil&gt;|&lt;no value&gt;"#
    );
}

#[test]
fn attribute_values_and_names_are_escaped_by_their_quoting() {
    assert_eq!(
        html(
            r#"<div data-x="{{ index .Fields "name" }}" aria-label="{{ index .Fields "name" }}" id={{ .Level }} onload="{{ .Level }}">z</div>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<div data-x="a b&#34;c&lt;d" aria-label="a b&#34;c&lt;d" id=CRITICAL onload="&#34;CRITICAL&#34;">z</div>"#
    );
    assert_eq!(
        html(
            r#"<a {{ .Level }}="v">x</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a critical="v">x</a>"#
    );
    assert_eq!(
        html(
            r#"<a title="x" {{ .Level }}>x</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a title="x" critical>x</a>"#
    );
    assert_eq!(
        html(
            r#"<a ti{{ .Level }}tle="v">x</a>"#,
            &point_with_a_quote_and_a_line_separator()
        ),
        r#"<a ticriticaltle="v">x</a>"#
    );
}

#[test]
fn templates_html_template_cannot_escape_fail_with_gos_error() {
    // Kapacitor's messages, less the template's name (`html/template:details:…`).
    let refusal = |text: &str| match Template::parse_escaped(text, Escape::Html) {
        Ok(template) => template.render(&plain_point()).unwrap_err(),
        Err(error) => panic!("{text}: {error}"),
    };
    assert_eq!(
        refusal(r#"<a href="{{ if .Level }}/a?b{{ else }}/c{{ end }}{{ .Level }}">x</a>"#),
        r#"html/template:1:52: {{.Level}} appears in an ambiguous context within a URL"#
    );
    assert_eq!(
        refusal(r#"{{ if .Level }}<a href="{{ end }}x"#),
        r#"html/template:1:6: {{if}} branches end in different contexts: {stateURL delimDoubleQuote urlPartNone jsCtxRegexp [] attrURL elementNone <nil>}, {stateText delimNone urlPartNone jsCtxRegexp [] attrNone elementNone <nil>}"#
    );
    assert_eq!(
        refusal(r#"<a title=x"y>x</a>{{ .Level }}"#),
        r#"html/template: "\"" in unquoted attr: "x\"y""#
    );
    assert_eq!(
        refusal(r#"<a "b>{{ .Level }}"#),
        r#"html/template: "\"" in attribute name: " \"b>""#
    );
    assert_eq!(
        refusal(r#"<script>{{ if .Level }}var x = 1{{ else }}var x = {{ end }}/ 2</script>"#),
        r#"html/template: '/' could start a division or regexp: "/ 2""#
    );
    assert_eq!(
        refusal(r#"<a title="{{ .Level | html | printf "%s" }}">x</a>"#),
        r#"html/template:1:13: predefined escaper "html" disallowed in template"#
    );
    assert_eq!(
        refusal(r#"<a title={{ .Level | html }}>x</a>"#),
        r#"html/template:1:12: predefined escaper "html" disallowed in template"#
    );
    assert_eq!(
        refusal(r#"<script>var s = "a\{{ .Level }}";</script>"#),
        r#"html/template: unfinished escape sequence in JS string: "a\\""#
    );
    assert_eq!(
        refusal(r#"<a href="{{ .Level }}"#),
        r#"html/template: ends in a non-text context: {stateURL delimDoubleQuote urlPartNone jsCtxRegexp [] attrURL elementNone <nil>}"#
    );
    assert_eq!(
        refusal(r#"<script>var x = {{ .Level }}"#),
        r#"html/template: ends in a non-text context: {stateJS delimNone urlPartNone jsCtxDivOp [] attrNone elementScript <nil>}"#
    );
    assert_eq!(
        refusal(r#"<p title='{{ .Level }}"#),
        r#"html/template: ends in a non-text context: {stateAttr delimSingleQuote urlPartNone jsCtxRegexp [] attrNone elementNone <nil>}"#
    );
    assert_eq!(
        refusal(r#"<!-- {{ .Level }}"#),
        r#"html/template: ends in a non-text context: {stateHTMLCmt delimNone urlPartNone jsCtxRegexp [] attrNone elementNone <nil>}"#
    );
    assert_eq!(
        refusal(r#"<a title={{ .Level }}"#),
        r#"html/template: ends in a non-text context: {stateAttr delimSpaceOrTagEnd urlPartNone jsCtxRegexp [] attrNone elementNone <nil>}"#
    );
    assert_eq!(
        refusal(r#"<script>var r = /[{{ .Level }}]/;</script>"#),
        r#"html/template: unfinished JS regexp charset: "[""#
    );
    assert_eq!(
        refusal(r#"<a href="/x{{ if .Level }}?a=1{{ end }}{{ .Level }}">x</a>"#),
        r#"html/template:1:42: {{.Level}} appears in an ambiguous context within a URL"#
    );
    assert_eq!(
        refusal(
            r#"<p>
  <a href="{{ if .Level }}?{{ end }}{{ .Level }}">x</a>"#
        ),
        r#"html/template:2:39: {{.Level}} appears in an ambiguous context within a URL"#
    );
    assert_eq!(
        refusal(
            r#"<p>
{{ range .Tags }}
<a title='{{ . }}{{ end }}"#
        ),
        r#"html/template:2:9: on range loop re-entry: {{range}} branches end in different contexts: {stateAttr delimSingleQuote urlPartNone jsCtxRegexp [] attrNone elementNone <nil>}, {stateAttrName delimNone urlPartNone jsCtxRegexp [] attrNone elementNone <nil>}"#
    );
    assert_eq!(
        refusal(
            "<a href=\"/p?{{ if eq .Level \"OK\" }}\"{{ else }}\"{{ end }}'\u{2028}obj = {a: `>[<textarea>"
        ),
        r#"html/template: "'" in attribute name: "'\u2028obj = {a: `>[<textarea>""#
    );
}

#[test]
fn a_template_that_cannot_be_escaped_writes_nothing() {
    let template =
        Template::parse_escaped("<b>{{ .Level }}</b><a href=\"{{ .Level }}", Escape::Html)
            .expect("parses: escaping fails only when it runs");
    assert_eq!(template.render_partial(&plain_point()), "");
    // As text/template, the same text renders.
    assert_eq!(
        Template::parse("<a href=\"{{ .Level }}")
            .unwrap()
            .render(&plain_point())
            .unwrap(),
        "<a href=\"CRITICAL"
    );
}

#[test]
fn print_writes_a_nil_as_go_sprint_does() {
    // Kapacitor: `{{ print .Fields.nope }}` gives `<nil>`, a missing entry printed on its
    // own `<no value>`.
    let render = |text: &str| {
        Template::parse(text)
            .unwrap()
            .render(&plain_point())
            .unwrap()
    };
    assert_eq!(
        render("{{ print .Fields.nope }}|{{ .Fields.nope }}"),
        "<nil>|<no value>"
    );
    assert_eq!(render("{{ println .Fields.nope 1 }}"), "<nil> 1\n");
    assert_eq!(render("{{ .Fields.nope | html }}"), "&lt;no value&gt;");
}
