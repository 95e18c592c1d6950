//! Templates render as Go's `text/template` renders them (expectations from Go 1.22).

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
