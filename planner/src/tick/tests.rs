//! Tests of the lexer, parser and formatter.

use super::ast::{CallKind, ExprKind, Number, Statement};
use super::token::{Operator, TokenKind};
use super::{Position, format, parse, parse_duration};
use crate::tick::lexer::lex;

fn kinds(source: &str) -> Vec<TokenKind> {
    lex(source).tokens.iter().map(|t| t.kind).collect()
}

/// The expression of a script that is one `var x = …` statement.
fn value_of(source: &str) -> ExprKind {
    match &parse(source).unwrap().statements[0] {
        Statement::Var { value, .. } => value.kind.clone(),
        other => panic!("not a var: {other:?}"),
    }
}

#[test]
fn minus_star_and_slash_depend_on_what_came_before() {
    use TokenKind::*;
    assert_eq!(
        kinds("f(-1, *, /a\\/b/)"),
        [
            Ident, LParen, Minus, Number, Comma, Star, Comma, Regex, RParen, Eof
        ]
    );
    assert_eq!(
        kinds("a - 1 * b / c"),
        [Ident, Minus, Number, Mult, Ident, Div, Ident, Eof]
    );
    assert_eq!(kinds("x =~ /a/"), [Ident, RegexEqual, Regex, Eof]);
    assert_eq!(kinds("var x = /a/"), [Var, Ident, Assign, Regex, Eof]);
}

#[test]
fn durations_numbers_and_keywords() {
    use TokenKind::*;
    assert_eq!(
        kinds("10ms 5m 1µ 2w 1.5 .5"),
        [Duration, Duration, Duration, Duration, Number, Number, Eof]
    );
    assert_eq!(
        kinds("TRUE AND FALSE OR x"),
        [True, And, False, Or, Ident, Eof]
    );
    assert_eq!(kinds("lambda: lambda"), [Lambda, Ident, Eof]);
    assert_eq!(parse_duration("90s"), Some(90_000_000_000));
    assert_eq!(parse_duration("2w"), Some(14 * 86_400_000_000_000));
    assert_eq!(parse_duration("999999999999w"), None);
}

#[test]
fn precedence_is_kapacitors() {
    // AND binds tighter than OR; comparisons tighter than AND; * tighter than +.
    let ExprKind::Lambda(body) = value_of("var x = lambda: a OR b AND c > 1 + 2 * 3") else {
        panic!("not a lambda");
    };
    let ExprKind::Binary {
        op: Operator::Or,
        right,
        ..
    } = body.kind
    else {
        panic!("OR is not the root");
    };
    let ExprKind::Binary {
        op: Operator::And,
        right,
        ..
    } = right.kind
    else {
        panic!("AND is not under OR");
    };
    let ExprKind::Binary {
        op: Operator::Greater,
        right,
        ..
    } = right.kind
    else {
        panic!("> is not under AND");
    };
    let ExprKind::Binary {
        op: Operator::Plus,
        right,
        ..
    } = right.kind
    else {
        panic!("+ is not under >");
    };
    assert!(matches!(
        right.kind,
        ExprKind::Binary {
            op: Operator::Mult,
            ..
        }
    ));
    // Equal precedence associates to the left: (1 - 2) - 3.
    let ExprKind::Binary { left, .. } = value_of("var y = 1 - 2 - 3") else {
        panic!("not binary");
    };
    assert!(matches!(
        left.kind,
        ExprKind::Binary {
            op: Operator::Minus,
            ..
        }
    ));
}

#[test]
fn literals_read_as_kapacitor_reads_them() {
    assert_eq!(
        value_of("var x = 0644"),
        ExprKind::Number(Number::Int {
            value: 0o644,
            octal: true
        })
    );
    assert_eq!(
        value_of(r"var x = 'it\'s'"),
        ExprKind::String {
            value: "it's".into(),
            triple: false
        }
    );
    assert_eq!(
        value_of("var x = '''a 'b' c'''"),
        ExprKind::String {
            value: "a 'b' c".into(),
            triple: true
        }
    );
    assert_eq!(
        value_of(r"var x = /^\/root\//"),
        ExprKind::Regex {
            literal: r"^\/root\/".into(),
            pattern: "^/root/".into()
        }
    );
}

#[test]
fn chains_keep_the_call_kind_and_positions() {
    let source = "stream\n    |from()\n        .measurement('cpu')\n    @udf()\n";
    let program = parse(source).unwrap();
    let Statement::Expr(expr) = &program.statements[0] else {
        panic!("not an expression");
    };
    let ExprKind::Chain { left, right } = &expr.kind else {
        panic!("not a chain");
    };
    let ExprKind::Call { kind, name, .. } = &right.kind else {
        panic!("not a call");
    };
    assert_eq!((*kind, name.name.as_str()), (CallKind::Dynamic, "udf"));
    assert_eq!(
        Position::of(source, name.span.start),
        Position { line: 4, column: 6 }
    );
    let ExprKind::Chain { right, .. } = &left.kind else {
        panic!("not a chain");
    };
    let ExprKind::Call { kind, name, .. } = &right.kind else {
        panic!("not a call");
    };
    assert_eq!(
        (*kind, name.name.as_str()),
        (CallKind::Property, "measurement")
    );
    assert_eq!(
        Position::of(source, name.span.start),
        Position {
            line: 3,
            column: 10
        }
    );
}

#[test]
fn a_bare_value_after_a_var_is_its_own_statement() {
    // Kapacitor reads `var p = 10x` as `var p = 10` followed by the statement `x`.
    let program = parse("var p = 10x").unwrap();
    assert_eq!(program.statements.len(), 2);
    assert!(
        matches!(&program.statements[1], Statement::Expr(e) if e.kind == ExprKind::Ident("x".into()))
    );
}

#[test]
fn no_break_spaces_and_crlf_separate_tokens() {
    let program = parse("stream\r\n\u{a0}| window ()\r\n  . period(10s)\r\n").unwrap();
    assert_eq!(
        format(&program),
        "stream\n    |window()\n        .period(10s)\n"
    );
}

#[test]
fn kapacitor_format_cases() {
    // The layouts of Kapacitor's own formatter tests (tick/fmt_test.go).
    let cases = [
        ("var x=1", "var x = 1\n"),
        ("var x=1.0", "var x = 1.0\n"),
        ("var x=0600", "var x = 0600\n"),
        ("var x=60s", "var x = 60s\n"),
        ("var x= /^\\/root\\//", "var x = /^\\/root\\//\n"),
        (
            "var x=stream()|window().period(10s).every(10s)",
            "var x = stream()\n    |window()\n        .period(10s)\n        .every(10s)\n",
        ),
        (
            "var x = stream()\n//Window data  \n|window()\n// Period / Every 10s\n.period(10s).every(10s)",
            "var x = stream()\n    // Window data\n    |window()\n        // Period / Every 10s\n        .period(10s)\n        .every(10s)\n",
        ),
        (
            "var x = stream()\n@udf()\n    .option(\n        // Param 1\n        1,\n        // Param 2\n        2,\n                )\n",
            "var x = stream()\n    @udf()\n        .option(\n            // Param 1\n            1,\n            // Param 2\n            2\n        )\n",
        ),
        (
            "global(lambda: (\"a\" + (1)) / (( 4 +\"b\") * (\"c\")))",
            "global(lambda: (\"a\" + 1) / ((4 + \"b\") * \"c\"))\n",
        ),
        (
            "global(lambda: (1 + 2 - 3 * 4 / 5) < (sin(6)) AND (TRUE OR FALSE))",
            "global(lambda: (1 + 2 - 3 * 4 / 5) < sin(6) AND (TRUE OR FALSE))\n",
        ),
        (
            "global(lambda: \n(1 + 2 - 3 * 4 / 5) \n< \n(sin(6))\nAND \n(TRUE\nOR (FALSE \nAND TRUE)))",
            "global(lambda: (1 + 2 - 3 * 4 / 5) <\n    sin(6) AND\n    (TRUE OR\n        (FALSE AND\n            TRUE)))\n",
        ),
    ];
    for (source, expected) in cases {
        let formatted = format(&parse(source).unwrap());
        assert_eq!(formatted, expected, "formatting {source:?}");
        assert_eq!(
            format(&parse(&formatted).unwrap()),
            formatted,
            "idempotent: {source:?}"
        );
    }
}

#[test]
fn parse_errors_point_at_the_token() {
    let cases = [
        ("stream|from(\n", 2, 1, "unexpected end of script"),
        (
            "stream|from().where(lambda: \"a\" = 1)",
            1,
            33,
            "unexpected '='",
        ),
        ("var x = 'abc", 1, 9, "unterminated string"),
        ("stream|from().period(1.5h)", 1, 22, "invalid duration 1.5h"),
        ("var x = 089", 1, 9, "invalid number 089"),
        ("var x = /a(/", 1, 9, "invalid regex /a(/"),
        ("stream|5", 1, 8, "unexpected number; expected a node name"),
    ];
    for (source, line, column, message) in cases {
        let error = parse(source).unwrap_err();
        assert_eq!(
            error.position(source),
            Position { line, column },
            "position of {source:?}: {}",
            error.message
        );
        assert!(
            error.message.starts_with(message),
            "{source:?}: {}",
            error.message
        );
    }
}

#[test]
fn an_unclosed_parenthesis_names_where_it_was_opened() {
    let source = "stream\n    |from()\n        .measurement('cpu'\n    |window()\n";
    let error = parse(source).unwrap_err();
    assert_eq!(error.position(source), Position { line: 4, column: 5 });
    assert_eq!(error.notes.len(), 1);
    assert_eq!(
        Position::of(source, error.notes[0].span.start),
        Position {
            line: 3,
            column: 21
        }
    );
    let rendered = error.render(source, "cpu.tick");
    assert!(
        rendered.contains(" 4 |     |window()\n   |     ^\n"),
        "{rendered}"
    );
}
