#!/usr/bin/env python3
"""Random differential test of `condenser test` against Kapacitor's own replay (`kreplay`).

For every case it generates, from one seed, a random stream recording and a random stream
TICKscript (no `alert()`), replays the script on the recording with both engines and compares
what the script's `httpOut('out')` serves.

Recordings (`.srpl`, see shared/conformance/FORMAT.md) hold 1 to 60 seconds of points of
several measurements (cpu, mem, disk) whose points differ in fields: float, integer, string
and boolean fields, fields missing from some points, an integer field that is a float in
another measurement, tags missing from some points (grouping by them gives the empty value),
duplicate timestamps, a few out-of-order points and sometimes a few points minutes later.

Scripts start with `stream|from()` (random measurement, where, groupBy, groupByMeasurement,
truncate, round) and chain one to four random stages drawn from every stream node kind
Kapacitor has (where, eval, groupBy, window, all InfluxQL functions, derivative, default,
delete, shift, sample, changeDetect, stateCount, stateDuration, join, union, combine,
flatten, log, barrier, trickle, stats) on stream and on batch edges, with random properties.
Their lambdas call every lambda function Kapacitor has, with every operator, on fields of
every type, on tags and on missing fields.

The replay duration is the recording's length plus 10 s, so that Kapacitor's replay never
waits for a point. Both outputs are compared as httpOut JSON: series matched by (name, tags)
regardless of order, values in order, numbers as numbers with a relative tolerance of 1e-9
(Go prints the float 5.0 as `5`, Condenser as `5.0`). A script both engines refuse agrees;
a script only one of them refuses is a disagreement. When the outputs differ Kapacitor is run
again: if its own output changes (goroutine scheduling of joins and unions), the script agrees
when Condenser's output equals any of Kapacitor's.

With `--kind batch` the cases are batch tasks instead (FORMAT.md §4): a random batch
recording (`.brpl`) for each query of the script, of 1 to 12 batches each, as successive runs of a query every 10 s
(one batch a group and run, mostly later than the ones before; sometimes one earlier), of
cpu/mem/disk batches grouped by none, host, host+dc, dc or host+rack (sometimes batches of
one file grouped otherwise, sometimes "byname"), of 0 to 8 points in time order (equal times
too) whose fields are JSON numbers (floats, `5` as well as `5.0`), strings, booleans and
now and then nulls, fields missing from some points, points with tags of their own (a
superset of the batch's), a `tmax` sometimes (the run's end or start, the last point's time,
a date in 2015), times in 1971 or in 2015/2020 (shifted by the replay), with fractional
seconds at times. The script starts with `batch|query('SELECT mean("value") FROM …')
.period(10s).every(10s)` and random groupBy, groupByMeasurement, align, offset and fill
(none has an effect in a replay) and chains the same random stages as stream scripts, those
Kapacitor allows on the edge at hand (no window() on a batch edge; no alert()); a join or
union branch is a further query, of its own recording, with the grouping of the other side
(a groupBy() when needed, and trickle() or last() when the other side is a stream edge).
Kapacitor feeds sibling queries in reverse declaration order, so the recording of the query
declared last is data.0.brpl. The replay duration is 2m, past every point of the
recordings. Generator rules that look past Kapacitor's own failures: combine() on a batch
edge only straight after its query (after where(), eval() … Kapacitor's combine panics on a
batch), flatten().dropOriginalFieldName() only on one field (several give Go map order).

A development tool, not part of CI: turn what it finds into golden cases (`--keep`).

usage:
    tools/replay_differential.py KREPLAY CONDENSER [--kind stream|batch] [--seed S]
                                 [--count N] [--first I] [--jobs J] [--keep DIR]
                                 [--only-failures] [--skip NAMES]

KREPLAY is built by shared/kapacitor-oracle/build.sh, CONDENSER is the `condenser` binary.
`--first 42 --count 1` regenerates case 42 of a seed alone. With `--keep DIR` every case is
written to DIR/NNNN/ (case.tick, data.srpl or data.0.brpl, data.1.brpl, …, duration, kind,
kapacitor.json, condenser.json, kapacitor.err, condenser.err); `--only-failures` keeps only
the cases that disagree. `--skip max,flatten` redraws every script that would use one of the
named node kinds or lambda functions, to look past refusals already known; with `--kind
batch`, `null` and `mixed` in NAMES leave null field values and recordings of several
measurements out of the batch recordings (Kapacitor's InfluxQL nodes panic on a null field;
see tests/differences/ for what mixed measurements show). The last line printed is
`AGREE/TOTAL scripts agree (seed S)` (`(seed S, --kind batch)` for batch scripts);
the exit status is 1 when some script disagrees. Run it with TZ unset or UTC either way: both
engines are started with TZ=UTC (Kapacitor hands `time` to lambdas in local time).
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import dataclasses
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HTTP_OUT = "out"
START = 31536000  # 1971-01-01T00:00:00Z in seconds: the replay clock's origin
RUN_TIMEOUT = 60  # seconds a single replay may take before it counts as hung
KAPACITOR_RETRIES = 5  # extra Kapacitor runs when the outputs differ (nondeterminism check)

# ---------------------------------------------------------------------------------- recordings

# Field name -> line-protocol type, per measurement. `i` is an integer in cpu and disk but a
# float in mem; every measurement lacks some fields of the others.
SCHEMAS = {
    "cpu": {"f": "float", "i": "int", "s": "string", "b": "bool", "g": "float"},
    "mem": {"f": "float", "i": "float", "u": "int", "s": "string"},
    "disk": {"i": "int", "g": "float", "b": "bool", "u": "int", "p": "string"},
}
MEASUREMENT_WEIGHTS = {"cpu": 5, "mem": 3, "disk": 2}
# Tag name -> (values, probability that a point carries the tag).
TAGS = {
    "host": (["h0", "h1", "h2", "h3"], 0.95),
    "dc": (["east", "west"], 0.8),
    "rack": (["r1", "r2"], 0.3),
}
STRING_VALUES = ["abc", "a b c", "xyz", "ABC", "", "h0", "foo.bar", "aaa", " pad ", "x,y",
                 "12", "3.5", "true", "5s", "abcabc", "Zebra"]


def field_value(rng: random.Random, kind: str) -> str:
    """A line-protocol field value of the given type; small ranges so that ties happen."""
    if kind == "int":
        if rng.random() < 0.1:
            return f"{rng.choice([0, 1023, 1500000, -7, 4096])}i"
        return f"{rng.randint(-10, 20)}i"
    if kind == "float":
        shape = rng.random()
        if shape < 0.3:
            return str(rng.randint(-10, 30))  # an integral float, written without a point
        if shape < 0.6:
            return f"{rng.randint(-100, 300) / 10:.1f}"
        if shape < 0.65:
            return "0"
        return f"{rng.uniform(-50, 50):.6f}"
    if kind == "string":
        text = rng.choice(STRING_VALUES)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return rng.choice(["true", "false"] * 4 + ["t", "F", "True", "FALSE"])


def point_line(rng: random.Random, seconds: int) -> str:
    measurement = rng.choices(list(MEASUREMENT_WEIGHTS), list(MEASUREMENT_WEIGHTS.values()))[0]
    tags = "".join(
        f",{name}={rng.choice(values)}"
        for name, (values, presence) in TAGS.items()
        if rng.random() < presence
    )
    schema = SCHEMAS[measurement]
    fields = [f"{name}={field_value(rng, kind)}"
              for name, kind in schema.items() if rng.random() < 0.8]
    if not fields:
        name = rng.choice(list(schema))
        fields = [f"{name}={field_value(rng, schema[name])}"]
    return f"{measurement}{tags} {','.join(fields)} {seconds}"


def recording(rng: random.Random) -> tuple[str, int]:
    """A random `.srpl` recording and the offset in seconds of its last point."""
    length = rng.randint(1, 60)
    count = rng.randint(5, min(300, 10 + length * rng.randint(1, 8)))
    offsets = sorted(rng.randint(0, length) for _ in range(count))
    offsets[0] = 0  # the first record defines the replay's time shift
    lines = [point_line(rng, START + offset) for offset in offsets]
    for _ in range(rng.randint(0, 3)):  # a few exact duplicates (same series, same time)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    if rng.random() < 0.15:  # a few points out of order
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(1, len(lines))
            j = rng.randrange(1, len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    last = length
    if rng.random() < 0.2:  # a few points far apart
        for _ in range(rng.randint(1, 3)):
            last += rng.randint(30, 600)
            lines.append(point_line(rng, START + last))
    return "".join(f"dbname\nrpname\n{line}\n" for line in lines), last


# Batch recordings (`.brpl`): the fields of SCHEMAS, every number a float (a JSON number).
BATCH_LETTERS = {"float": "F", "int": "F", "string": "S", "bool": "B"}
# Where a file's times start: the replay's origin (so that a recorded `tmax`, never shifted,
# compares with the shifted points), or a date long after it, as real recordings are.
BATCH_BASES = [START, START, START, 1446225250, 1577836800]  # 2015-10-30T17:14:10Z, 2020
BATCH_DIMS = [[], ["host"], ["host", "dc"], ["dc"], ["host", "rack"]]
FAR_TMAX = "2015-10-30T00:00:10Z"


@dataclasses.dataclass
class BatchRecording:
    """A random `.brpl` recording and what a script reading it knows of its data."""

    text: str
    fields: dict[str, str]  # field name -> lambda type letter (F, S, B)
    tags: list[str]  # every tag a point carries
    dims: list[str]  # the group tags of (most of) its batches


def rfc3339(seconds: float) -> str:
    whole = math.floor(seconds)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    if seconds != whole:
        text += f"{seconds - whole:.6f}".rstrip("0")[1:]
    return text + "Z"


def batch_field_value(rng: random.Random, kind: str):
    """A JSON field value of a lambda type: numbers written as integers or with a point."""
    if kind == "F":
        shape = rng.random()
        if shape < 0.3:
            return rng.randint(-10, 30)  # JSON `5`: still a float field
        if shape < 0.4:
            return float(rng.randint(-5, 20))  # JSON `5.0`
        if shape < 0.7:
            return rng.randint(-100, 300) / 10
        if shape < 0.74:
            return 0
        return round(rng.uniform(-50, 50), 6)
    if kind == "S":
        return rng.choice(STRING_VALUES)
    return rng.choice([True, False])


def batch_recording(rng: random.Random, dims: list[str] | None = None,
                    allow_nulls: bool = True, allow_mixed: bool = True) -> BatchRecording:
    """1 to 12 batches, as successive runs of a query every 10 s (one batch per group and
    run), mostly later than the ones before, of points in time order (sometimes equal
    times); `dims` (say, those of a join's other branch) are the group tags of the batches."""
    base = rng.choice(BATCH_BASES)
    names = list(MEASUREMENT_WEIGHTS)
    measurements = [rng.choices(names, list(MEASUREMENT_WEIGHTS.values()))[0]]
    if rng.random() < 0.15 and allow_mixed:
        measurements.append(rng.choice([n for n in names if n != measurements[0]]))
    if dims is None:
        dims = rng.choices(BATCH_DIMS, [3, 5, 3, 1, 1])[0]
    dims = [d for d in dims if d in TAGS]
    mixed_dims = rng.random() < 0.1  # some batches grouped otherwise
    byname = rng.random() < 0.2
    point_tags = rng.random() < 0.25  # points with their own tags (a superset of the batch's)
    sparse = rng.random() < 0.4  # fields missing from some points
    nulls = rng.random() < 0.2 and allow_nulls  # null field values
    step = 0.25 if rng.random() < 0.2 else 1.0
    field_sets = {}
    for name in measurements:
        schema = list(SCHEMAS[name])
        kept = [f for f in schema if rng.random() < 0.7] or [rng.choice(schema)]
        field_sets[name] = kept
    fields: dict[str, str] = {}
    tags = set()
    batches = []
    for run in range(rng.randint(1, 6)):
        start = 10 * run
        groups = 1 if not dims else rng.randint(1, 3)
        for _ in range(groups):
            if len(batches) >= 12:
                break
            name = rng.choice(measurements)
            group_dims = rng.choice(BATCH_DIMS) if mixed_dims and rng.random() < 0.4 else dims
            group = {d: rng.choice(TAGS[d][0]) for d in group_dims}
            tags.update(group)
            count = 0 if rng.random() < 0.08 else rng.randint(1, 8)
            offsets = sorted(rng.randrange(int(10 / step)) * step for _ in range(count))
            points = []
            for offset in offsets:
                values = {}
                for field in field_sets[name]:
                    if sparse and rng.random() < 0.15:
                        continue
                    kind = BATCH_LETTERS[SCHEMAS[name][field]]
                    fields.setdefault(field, kind)
                    values[field] = (None if nulls and rng.random() < 0.12
                                     else batch_field_value(rng, kind))
                if not values:
                    field = field_sets[name][0]
                    kind = BATCH_LETTERS[SCHEMAS[name][field]]
                    fields.setdefault(field, kind)
                    values[field] = batch_field_value(rng, kind)
                point = {"fields": values}
                if point_tags and rng.random() < 0.7:
                    own = dict(group)
                    for tag, (choices, presence) in TAGS.items():
                        if tag not in own and rng.random() < presence * 0.6:
                            own[tag] = rng.choice(choices)
                    tags.update(own)
                    point["tags"] = own
                elif rng.random() < 0.04:
                    point["tags"] = {}
                point["time"] = rfc3339(base + start + offset)
                points.append(point)
            batch: dict = {"name": name}
            if group or rng.random() < 0.1:
                batch["tags"] = group
            if byname or rng.random() < 0.03:
                batch["byname"] = byname
            if rng.random() < 0.03:
                batch["group"] = "ignored"
            if rng.random() < 0.25:
                batch["tmax"] = rng.choice([
                    rfc3339(base + start + 10), rfc3339(base + start),
                    points[-1]["time"] if points else rfc3339(base + start + 10), FAR_TMAX])
            batch["points"] = points
            batches.append(batch)
    if len(batches) > 1 and rng.random() < 0.1:  # a batch earlier than the one before
        i = rng.randrange(1, len(batches))
        batches[i - 1], batches[i] = batches[i], batches[i - 1]
    parts = [json.dumps(b, indent=2 if rng.random() < 0.15 else None) for b in batches]
    text = "".join(p + rng.choice(["\n", "\n", "\n\n"]) for p in parts)
    return BatchRecording(text, fields, sorted(tags), list(dims))


# ------------------------------------------------------------------------------------ lambdas

# Lambda value types: F float, I int, S string, B bool, D duration, R regex. Times appear
# only as `"time"`, the argument of the time functions.
MATH_ANY = ["abs", "atan", "cbrt", "ceil", "cos", "erf", "erfc", "floor", "sin", "tan", "tanh",
            "trunc", "asinh", "j0", "j1"]
MATH_SMALL = ["exp", "exp2", "expm1", "cosh", "sinh"]  # overflow on large arguments
MATH_UNIT = ["acos", "asin", "atanh"]  # domain (-1, 1)
MATH_POSITIVE = ["log", "log10", "log2", "log1p", "logb", "sqrt", "y0", "y1", "acosh", "gamma"]
MATH1 = MATH_ANY + MATH_SMALL + MATH_UNIT + MATH_POSITIVE
MATH2 = ["atan2", "hypot", "max", "min", "mod", "pow"]
STR2_BOOL = ["strContains", "strContainsAny", "strHasPrefix", "strHasSuffix"]
STR2_INT = ["strCount", "strIndex", "strIndexAny", "strLastIndex", "strLastIndexAny"]
STR2_STR = ["strTrim", "strTrimLeft", "strTrimPrefix", "strTrimRight", "strTrimSuffix"]
STR1_STR = ["strToLower", "strToUpper", "strTrimSpace"]
TIME_FUNCS = ["unixNano", "minute", "hour", "weekday", "day", "month", "year"]

# Every lambda function of Kapacitor (tick/stateful/functions.go) -> the type it returns
# (`if` returns the type of its branches; `now` is only called in a comparison that is
# always true, `unixNano(now()) > unixNano("time")`, so that results do not depend on it).
FUNCTION_RESULTS = {
    "bool": "B", "int": "I", "float": "F", "string": "S", "duration": "D",
    **{name: "F" for name in MATH1 + MATH2 + ["pow10", "jn", "yn", "sigma", "spread"]},
    **{name: "B" for name in STR2_BOOL + ["isPresent"]},
    **{name: "I" for name in STR2_INT + TIME_FUNCS + ["strLength", "count", "rand"]},
    "now": "B",
    **{name: "S" for name in STR2_STR + STR1_STR + ["strReplace", "strSubstring",
                                                    "regexReplace", "humanBytes"]},
    "if": None,
}
ALL_FUNCTIONS = sorted(FUNCTION_RESULTS)

LITERALS = {
    "F": ["1.5", "-2.0", "0.0", "10.0", "0.25", "100.0", "3.0", "7.5"],
    "I": ["0", "1", "2", "3", "-4", "10", "1024", "7"],
    "S": ["'abc'", "'a'", "'h0'", "''", "'b c'", "'ABC'", "'5'", "'2.5'", "'true'", "'10s'",
          "'x'", "'east'"],
    "D": ["1s", "5s", "1m", "500ms", "2h", "1d", "10u", "1w"],
    "R": ["/^h[0-2]$/", "/a/", "/b.c/", "/^$/", "/(a)(b)/", "/\\d/", "/^e/", "/z$/", "/.*/"],
}
JOIN_FILLS = ["0.0", "0", "'null'", "-1.5"]
SUBSTRINGS = ["'a'", "'b'", "'bc'", "' '", "'.'", "'h'", "''", "'A'", "'abc'", "'st'"]


@dataclasses.dataclass
class Flow:
    """What the generator knows of the data on an edge of the pipeline it is building."""

    batch: bool
    fields: dict[str, str]  # field name -> lambda type letter (F, I, S, B)
    tags: list[str]
    dims: list[str]  # the group-by dimensions
    window: list[str] | None = None  # the last window() node, to mirror in a join branch

    def copy(self) -> Flow:
        return dataclasses.replace(self, fields=dict(self.fields), tags=list(self.tags),
                                   dims=list(self.dims))


def initial_fields(measurement: str | None) -> dict[str, str]:
    letters = {"float": "F", "int": "I", "string": "S", "bool": "B"}
    schemas = [SCHEMAS[measurement]] if measurement in SCHEMAS else list(SCHEMAS.values())
    fields: dict[str, str] = {}
    for schema in schemas:
        for name, kind in schema.items():
            fields.setdefault(name, letters[kind])
    return fields


def quote_field(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


class LambdaGen:
    """Random lambda expressions of a requested type over the fields and tags of a Flow.

    Every lambda is built around one "focus" function drawn uniformly from all of
    Kapacitor's lambda functions, so that each is exercised about equally often; the
    arguments and the surrounding expression are random trees of operators, literals,
    field and tag references and further calls.
    """

    MAX_DEPTH = 3

    def __init__(self, rng: random.Random, flow: Flow):
        self.rng = rng
        self.flow = flow

    def lambda_(self, kind: str) -> str:
        """`lambda: …` of type `kind` (bool for where-like nodes)."""
        return self.typed_lambda(kind)[0]

    def typed_lambda(self, kind: str | None) -> tuple[str, str]:
        """`lambda: …` and its type: of type `kind`, or of any type when `kind` is None."""
        rng = self.rng
        if rng.random() < 0.2:
            result = kind or rng.choice("FISB")
            return "lambda: " + self.expr(result), result
        name = rng.choice(ALL_FUNCTIONS)
        result = FUNCTION_RESULTS[name] or kind or rng.choice("FISB")
        text = self.call(name, result, 1)
        if kind == "B" and result != "B":
            op = rng.choice(["==", "!=", "<", ">="])
            text, result = f"{text} {op} {self.expr(result, 2)}", "B"
        return "lambda: " + text, result

    def expr(self, kind: str, depth: int = 0) -> str:
        if depth >= self.MAX_DEPTH or self.rng.random() < 0.2 + 0.2 * depth:
            return self.atom(kind)
        return getattr(self, "compound_" + kind)(depth + 1)

    # --- atoms

    def atom(self, kind: str) -> str:
        rng = self.rng
        if kind in ("D", "R"):
            return rng.choice(LITERALS[kind])
        if kind == "B":
            if rng.random() < 0.4:
                return self.compare(self.MAX_DEPTH)
            return rng.choice(["TRUE", "FALSE"]) if rng.random() < 0.3 else self.reference("B")
        if rng.random() < 0.35:
            return rng.choice(LITERALS[kind])
        return self.reference(kind)

    def reference(self, kind: str) -> str:
        """A field (or, for strings, a tag) of the type, now and then of another type or absent."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return quote_field(rng.choice(["nope", "rack", "missing"]))
        if roll < 0.12 and self.flow.fields:
            return quote_field(rng.choice(list(self.flow.fields)))
        names = [n for n, t in self.flow.fields.items() if t == kind]
        if kind == "S" and (not names or rng.random() < 0.5):
            names = names + self.flow.tags
        if kind == "F" and not names:
            names = [n for n, t in self.flow.fields.items() if t == "I"]
        if not names:
            return rng.choice(LITERALS.get(kind, ["TRUE"]))
        return quote_field(rng.choice(names))

    # --- function calls

    def call(self, name: str, kind: str, depth: int) -> str:
        """A call of lambda function `name` returning `kind`, with random arguments."""
        rng = self.rng
        if name in MATH1:
            return self.math1(name, depth)
        if name in MATH2:
            first, second = self.expr("F", depth), self.expr("F", depth)
            if name == "pow":
                first = f"abs({self.atom('F')})"
                second = rng.choice(["2.0", "3.0", "0.5", second])
            elif name == "mod" and rng.random() < 0.8:
                second = rng.choice(["3.0", "7.5", "2.0"])
            return f"{name}({first}, {second})"
        if name == "pow10":
            return f"pow10({rng.choice(['2', '-1', '0', '3'])})"
        if name in ("jn", "yn"):
            arg = self.atom("F") if name == "jn" else f"(abs({self.atom('F')}) + 1.0)"
            return f"{name}({rng.choice(['0', '1', '2'])}, {arg})"
        if name in ("sigma", "spread"):
            return f"{name}({self.expr('F', depth)})"
        if name in ("bool", "int", "float", "string"):
            kinds = "BSIF" + ("D" if name in ("int", "string") else "")
            return f"{name}({self.expr(rng.choice(kinds), depth)})"
        if name == "duration":
            return self.duration_call(depth)
        if name in STR2_BOOL + STR2_INT + STR2_STR:
            return f"{name}({self.expr('S', depth)}, {rng.choice(SUBSTRINGS)})"
        if name in STR1_STR or name == "strLength":
            return f"{name}({self.expr('S', depth)})"
        if name == "strReplace":
            n = rng.choice(["-1", "1", "0", "2"])
            return f"strReplace({self.expr('S', depth)}, {rng.choice(SUBSTRINGS)}, 'Q', {n})"
        if name == "strSubstring":
            start, stop = sorted(rng.sample(range(0, 5), 2))
            if rng.random() < 0.15:
                start, stop = stop, start + 20  # out of range: an error on every point
            return f"strSubstring({self.expr('S', depth)}, {start}, {stop})"
        if name == "regexReplace":
            replacement = rng.choice(["'-'", "'$1'", "'<$0>'", "''", "'${1}x'"])
            pattern = rng.choice(LITERALS["R"])
            return f"regexReplace({pattern}, {self.expr('S', depth)}, {replacement})"
        if name == "humanBytes":
            return f"humanBytes({self.expr(rng.choice('FI'), depth)})"
        if name == "isPresent":
            names = list(self.flow.fields) + self.flow.tags + ["nope"]
            return f"isPresent({quote_field(rng.choice(names))})"
        if name in TIME_FUNCS:
            return f'{name}("time")'
        if name == "now":
            return 'unixNano(now()) > unixNano("time")'
        if name == "count":
            return "count()"
        if name == "rand":
            return rng.choice(["rand(1)", "rand() * 0", "rand(1) + rand(1)"])
        assert name == "if", name
        return f"if({self.expr('B', depth)}, {self.expr(kind, depth)}, {self.expr(kind, depth)})"

    def math1(self, name: str, depth: int) -> str:
        rng = self.rng
        if rng.random() < 0.1:  # any argument: NaN, infinities and ints (an error) happen
            return f"{name}({self.expr(rng.choice('FFI'), depth)})"
        atom = self.atom("F")
        if name in MATH_UNIT:
            return f"{name}({atom} / 100.0)"
        if name in MATH_POSITIVE:
            return f"{name}(abs({atom}) + 1.0)"
        if name in MATH_SMALL:
            return f"{name}({atom} / 10.0)"
        return f"{name}({self.expr('F', depth)})"

    def duration_call(self, depth: int) -> str:
        rng = self.rng
        unit = rng.choice(["1s", "1ms", "1m", "1u"])
        shape = rng.choice(["int", "float", "string", "identity"])
        if shape == "int":
            return f"duration({self.expr('I', depth)}, {unit})"
        if shape == "float":
            return f"duration({self.expr('F', depth)}, {unit})"
        if shape == "string":
            text = rng.choice(["'5s'", "'1m30s'", "'abc'", "'10'", '"s"'])
            return f"duration({text}, {unit})" if rng.random() < 0.7 else f"duration({text})"
        return f"duration({rng.choice(LITERALS['D'])})"

    def random_call(self, kind: str, depth: int) -> str:
        names = [n for n, k in FUNCTION_RESULTS.items() if k == kind]
        return self.call(self.rng.choice(names), kind, depth)

    # --- compound expressions, one method per result type

    def compound_F(self, depth: int) -> str:
        rng = self.rng
        choice = rng.choices(["arith", "neg", "call", "if", "mixed"], [4, 1, 8, 1, 1])[0]
        if choice == "arith":
            op = rng.choice(["+", "-", "*", "/"])
            if op == "/":
                right = rng.choice(["2.0", "4.0", "0.5", "-3.0"])
            else:
                right = self.expr("F", depth)
            return f"({self.expr('F', depth)} {op} {right})"
        if choice == "neg":
            return f"-{self.atom('F')}"
        if choice == "call":
            return self.random_call("F", depth)
        if choice == "if":
            return self.call("if", "F", depth)
        # Int and float mixed in one operation: an error Kapacitor reports per point.
        return f"({self.expr('F', depth)} {rng.choice('+-*/')} {self.expr('I', depth)})"

    def compound_I(self, depth: int) -> str:
        rng = self.rng
        choice = rng.choices(["arith", "call", "if", "neg"], [5, 6, 1, 1])[0]
        if choice == "arith":
            op = rng.choice(["+", "-", "*", "/", "%"])
            right = self.expr("I", depth)
            if op in "/%" and rng.random() < 0.8:
                right = rng.choice(["2", "3", "7"])
            return f"({self.expr('I', depth)} {op} {right})"
        if choice == "call":
            return self.random_call("I", depth)
        if choice == "if":
            return self.call("if", "I", depth)
        return f"-{self.atom('I')}"

    def compound_S(self, depth: int) -> str:
        rng = self.rng
        choice = rng.choices(["concat", "call", "if"], [2, 8, 1])[0]
        if choice == "concat":
            return f"({self.expr('S', depth)} + {self.expr('S', depth)})"
        if choice == "call":
            return self.random_call("S", depth)
        return self.call("if", "S", depth)

    def compound_B(self, depth: int) -> str:
        rng = self.rng
        choice = rng.choices(["compare", "logic", "not", "regex", "call", "if"],
                             [6, 4, 1, 2, 3, 1])[0]
        if choice == "compare":
            return self.compare(depth)
        if choice == "logic":
            op = rng.choice(["AND", "OR"])
            return f"({self.expr('B', depth)} {op} {self.expr('B', depth)})"
        if choice == "not":
            return f"!{self.atom('B')}"
        if choice == "regex":
            op = rng.choice(["=~", "!~"])
            return f"{self.expr('S', depth)} {op} {rng.choice(LITERALS['R'])}"
        if choice == "call":
            return self.random_call("B", depth)
        return self.call("if", "B", depth)

    def compare(self, depth: int) -> str:
        rng = self.rng
        op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        kind = rng.choices(["F", "I", "S", "B", "D", "mixed"], [5, 4, 3, 1, 1, 1])[0]
        if kind == "B":
            op = rng.choice(["==", "!="])
        if kind == "mixed":  # int against float
            return f"{self.expr('I', depth)} {op} {self.expr('F', depth)}"
        return f"{self.expr(kind, depth)} {op} {self.expr(kind, depth)}"

    def compound_D(self, depth: int) -> str:
        rng = self.rng
        choice = rng.choice(["call", "call", "add", "scale"])
        if choice == "call":
            return self.duration_call(depth)
        if choice == "add":
            return f"({self.atom('D')} + {self.atom('D')})"
        return f"({self.atom('D')} * {self.atom('I')})"


# ------------------------------------------------------------------------------------ scripts

INFLUXQL = ["count", "distinct", "mean", "median", "mode", "spread", "sum", "first", "last",
            "min", "max", "percentile", "top", "bottom", "stddev", "elapsed", "difference",
            "movingAverage", "cumulativeSum", "holtWinters", "holtWintersWithFit"]
INFLUXQL_BATCH_OUT = {"distinct", "top", "bottom", "holtWinters", "holtWintersWithFit"}
INFLUXQL_SAME_EDGE = {"elapsed", "difference", "movingAverage", "cumulativeSum"}
INFLUXQL_RESULT = {"count": "I", "mean": "F", "median": "F", "stddev": "F", "elapsed": "I",
                   "movingAverage": "F", "holtWinters": "F", "holtWintersWithFit": "F"}

# Node kind -> (weight, allowed on a stream edge, allowed on a batch edge).
STAGES = {
    "where": (10, True, True),
    "eval": (16, True, True),
    "groupBy": (4, True, True),
    "window": (10, True, False),
    "influxql": (22, True, True),
    "derivative": (3, True, True),
    "default": (2, True, True),
    "delete": (2, True, True),
    "shift": (2, True, True),
    "sample": (2, True, True),
    "changeDetect": (2, True, True),
    "stateCount": (2, True, True),
    "stateDuration": (2, True, True),
    "join": (3, True, True),
    "union": (2, True, True),
    "combine": (2, True, True),
    "flatten": (2, True, True),
    "log": (1, True, True),
    "barrier": (1, True, True),
    "trickle": (5, False, True),
    "stats": (0.5, True, True),
    "alert": (6, True, True),
}
# Stream node kinds not generated: deadman (out of scope), sideload (kreplay sets up
# no sideload service, so Kapacitor's newSideloadNode panics), noOp (not a chain method of
# any node), influxDBOut, kapacitorLoopback and httpPost (sinks with no httpOut result),
# UDFs and the autoscale nodes (external services).


class Pipeline:
    """The text of a TICKscript under construction: var statements and the current chain."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.chain: list[str] = []
        self.branches = 0

    def node(self, call: str, *properties: str) -> None:
        self.chain.append(f"    |{call}")
        self.chain.extend(f"        {p}" for p in properties)

    def start(self, head: str) -> None:
        self.chain = [head]

    def to_var(self) -> str:
        """Turn the current chain into a `var`; returns its name."""
        self.branches += 1
        name = f"b{self.branches}"
        self.statements.append(f"var {name} = " + "\n".join(self.chain))
        self.chain = []
        return name

    def text(self) -> str:
        return "\n\n".join(self.statements + ["\n".join(self.chain)]) + "\n"


class ScriptGen:
    """A random TICKscript ending in `httpOut('out')`: a stream script, or with
    kind="batch" a batch script whose queries read the recordings generated with it
    (`recordings`, in declaration order: Kapacitor feeds them in the reverse order)."""

    def __init__(self, rng: random.Random, kind: str = "stream", nulls: bool = True,
                 mixed: bool = True):
        self.rng = rng
        self.kind = kind
        self.nulls = nulls  # whether batch recordings may hold null field values
        self.mixed = mixed  # whether they may hold batches of several measurements
        self.pipeline = Pipeline()
        self.names = iter(f"v{i}" for i in range(1000))
        self.recordings: list[BatchRecording] = []

    def script(self) -> str:
        if self.kind == "batch":
            flow = self.query_source(self.pipeline)
        else:
            flow = self.source(self.pipeline, primary=True)
        for _ in range(self.rng.choices([1, 2, 3, 4], [2, 4, 4, 3])[0]):
            flow = self.stage(flow)
        self.pipeline.node(f"httpOut('{HTTP_OUT}')")
        return self.pipeline.text()

    def lambdas(self, flow: Flow) -> LambdaGen:
        return LambdaGen(self.rng, flow)

    def pick(self, options: list, weights: list | None = None):
        return self.rng.choices(options, weights)[0]

    @staticmethod
    def tag_names(flow: Flow) -> list[str]:
        """The tags known on the edge, or the recording's tags when none is known."""
        return flow.tags or list(TAGS)

    # --- the source

    def source(self, pipeline: Pipeline, primary: bool, like: Flow | None = None) -> Flow:
        """`stream|from()` with random properties; a join/union branch copies `like`'s grouping."""
        rng = self.rng
        pipeline.start("stream")
        props = []
        measurement = None
        if rng.random() < (0.6 if primary else 0.8):
            measurement = self.pick(["cpu", "mem", "disk", "net"], [5, 3, 2, 0.2])
            props.append(f".measurement('{measurement}')")
        if rng.random() < 0.05:
            props.append(".database('dbname')")
        if rng.random() < 0.05:
            props.append(".retentionPolicy('rpname')")
        flow = Flow(batch=False, fields=initial_fields(measurement), tags=list(TAGS), dims=[])
        if rng.random() < 0.35:
            props.append(f".where({self.lambdas(flow).lambda_('B')})")
        if like is not None:
            flow.dims = list(like.dims)
            if like.dims == list(TAGS):
                props.append(".groupBy(*)")
            elif like.dims:
                props.append(".groupBy(" + ", ".join(f"'{d}'" for d in like.dims) + ")")
        elif rng.random() < 0.65:
            dims = self.pick([["host"], ["dc"], ["host", "dc"], ["rack"], ["*"], ["dc", "rack"]],
                             [5, 2, 3, 2, 2, 1])
            props.append(".groupBy(" + ", ".join("*" if d == "*" else f"'{d}'" for d in dims) + ")")
            flow.dims = list(TAGS) if dims == ["*"] else dims
        if rng.random() < 0.12:
            props.append(".groupByMeasurement()")
        if rng.random() < 0.08:
            props.append(f".truncate({rng.choice(['1s', '2s', '5s', '10s'])})")
        if rng.random() < 0.08:
            props.append(f".round({rng.choice(['1s', '2s', '5s', '10s'])})")
        pipeline.node("from()", *props)
        return flow

    def query_source(self, pipeline: Pipeline, like: Flow | None = None) -> Flow:
        """`batch|query(…)` with random properties (none has an effect in a replay) and a
        fresh recording for it; a join/union branch's recording is grouped as `like`."""
        rng = self.rng
        data = batch_recording(rng, like.dims if like is not None else None, self.nulls,
                               self.mixed)
        self.recordings.append(data)
        measurement = self.pick(["cpu", "mem", "disk"], [5, 3, 2])
        query = f'SELECT mean("value") FROM "telegraf"."default".{measurement}'
        if rng.random() < 0.2:
            query = "'''\n        " + query + " WHERE \"host\" = 'h1'\n'''"
        else:
            query = f"'{query}'"
        props = [".period(10s)", ".every(10s)"]
        if rng.random() < 0.5:
            dims = self.pick([["time(2s)"], ["'host'"], ["time(10s)", "'host'", "'dc'"],
                              ["*"], ["'dc'"]], [2, 3, 2, 1, 1])
            props.append(".groupBy(" + ", ".join(dims) + ")")
        if rng.random() < 0.15:
            props.append(".groupByMeasurement()")
        if rng.random() < 0.2:
            props.append(".align()")
        if rng.random() < 0.15:
            props.append(f".offset({rng.choice(['1s', '5s', '1m'])})")
        if rng.random() < 0.15:
            fill = rng.choice(["0", "'null'", "'none'", "'previous'", "-1.5"])
            props.append(f".fill({fill})")
        pipeline.start("batch")
        pipeline.node(f"query({query})", *props)
        return Flow(batch=True, fields=dict(data.fields), tags=list(data.tags),
                    dims=list(data.dims))

    # --- stages

    def stage(self, flow: Flow) -> Flow:
        kinds = [k for k, (_, on_stream, on_batch) in STAGES.items()
                 if (on_batch if flow.batch else on_stream)
                 and not (self.kind == "batch" and k == "alert")]
        if self.kind == "batch" and flow.batch and not self.after_query():
            # Kapacitor's combine panics on a batch that does not come straight from a query
            # (combineBuffer.addPoint: the batch's size hint is 0 after where, eval, …).
            kinds.remove("combine")
        kind = self.pick(kinds, [STAGES[k][0] for k in kinds])
        # Aggregations, combine and flatten mostly run on windows, as in real scripts.
        if (not flow.batch and kind in ("influxql", "combine", "flatten")
                and self.rng.random() < 0.6):
            flow = self.stage_window(flow)
        return getattr(self, "stage_" + kind)(flow)

    def after_query(self) -> bool:
        """Whether the chain under construction ends with its `query()` node."""
        calls = [line for line in self.pipeline.chain if line.startswith("    |")]
        return bool(calls) and calls[-1].startswith("    |query(")

    def stage_where(self, flow: Flow) -> Flow:
        self.pipeline.node(f"where({self.lambdas(flow).lambda_('B')})")
        return flow

    def stage_eval(self, flow: Flow) -> Flow:
        rng = self.rng
        typed = [self.lambdas(flow).typed_lambda(None) for _ in range(rng.randint(1, 3))]
        kinds = [kind for _, kind in typed]
        names = [next(self.names) for _ in typed]
        lambdas = ", ".join(text for text, _ in typed)
        props = [".as(" + ", ".join(f"'{n}'" for n in names) + ")"]
        out = flow.copy()
        tag_names = [n for n, k in zip(names, kinds) if k == "S" and rng.random() < 0.3]
        if tag_names:
            props.append(".tags(" + ", ".join(f"'{n}'" for n in tag_names) + ")")
        keep = rng.random()
        if keep < 0.25:
            props.append(".keep()")
        elif keep < 0.4 and flow.fields:
            kept = rng.sample(list(flow.fields), min(len(flow.fields), rng.randint(1, 2)))
            kept += [n for n in names if rng.random() < 0.7]
            props.append(".keep(" + ", ".join(f"'{n}'" for n in kept) + ")")
            out.fields = {n: flow.fields[n] for n in kept if n in flow.fields}
        else:
            out.fields = {}
        if rng.random() < 0.1:
            props.append(".quiet()")
        for name, kind in zip(names, kinds):
            if name in tag_names:
                out.tags.append(name)
            else:
                out.fields[name] = "I" if kind == "D" else kind
        self.pipeline.node(f"eval({lambdas})", *props)
        return out

    def stage_groupBy(self, flow: Flow) -> Flow:
        rng = self.rng
        out = flow.copy()
        props = []
        shape = rng.random()
        if shape < 0.2:
            tags = self.tag_names(flow)
            call, out.dims = "groupBy(*)", list(tags)
            if rng.random() < 0.5:
                excluded = rng.choice(tags)
                props.append(f".exclude('{excluded}')")
                out.dims = [t for t in tags if t != excluded]
        elif shape < 0.3:
            call, out.dims = "groupBy()", []
        else:
            tags = self.tag_names(flow)
            out.dims = rng.sample(tags, rng.randint(1, min(2, len(tags))))
            call = "groupBy(" + ", ".join(f"'{d}'" for d in out.dims) + ")"
        if rng.random() < 0.2:
            props.append(".byMeasurement()")
        self.pipeline.node(call, *props)
        return out

    def window_node(self) -> list[str]:
        rng = self.rng
        if rng.random() < 0.15:
            period = rng.randint(1, 10)
            return ["window()", f".periodCount({period})",
                    f".everyCount({rng.randint(1, period)})"]
        period = rng.choice([1, 2, 3, 5, 10, 10, 20])
        every = self.pick([period, max(1, period // 2), rng.randint(1, 10)], [5, 3, 2])
        props = [f".period({period}s)", f".every({every}s)"]
        if rng.random() < 0.5:
            props.append(".align()")
        if rng.random() < 0.2:
            props.append(".fillPeriod()")
        return ["window()"] + props

    def stage_window(self, flow: Flow) -> Flow:
        node = self.window_node()
        self.pipeline.node(*node)
        out = flow.copy()
        out.batch, out.window = True, node
        return out

    def numeric_field(self, flow: Flow) -> str:
        rng = self.rng
        numeric = [n for n, k in flow.fields.items() if k in "FI"]
        if numeric and rng.random() < 0.85:
            return rng.choice(numeric)
        return rng.choice(list(flow.fields) + ["nope"]) if flow.fields else "f"

    def stage_influxql(self, flow: Flow) -> Flow:
        rng = self.rng
        name = rng.choice(INFLUXQL)
        field = self.numeric_field(flow)
        args = [f"'{field}'"]
        extra_fields: list[str] = []
        if name == "percentile":
            args.append(rng.choice(["0.0", "25.0", "50.0", "90.0", "99.9", "100.0"]))
        elif name in ("top", "bottom"):
            args.insert(0, str(rng.randint(1, 4)))
            candidates = self.tag_names(flow) + list(flow.fields)
            extra = rng.sample(candidates, min(len(candidates), rng.randint(0, 2)))
            args += [f"'{e}'" for e in extra if e != field]
            extra_fields = [e for e in extra if e != field]
        elif name == "elapsed":
            args.append(rng.choice(["1s", "1ms", "2s"]))
        elif name == "movingAverage":
            args.append(str(rng.randint(1, 4)))
        elif name in ("holtWinters", "holtWintersWithFit"):
            args += [str(rng.randint(1, 5)), str(rng.randint(0, 3)),
                     rng.choice(["1s", "2s", "5s"])]
        props = []
        result = name
        if rng.random() < 0.5:
            result = next(self.names)
            props.append(f".as('{result}')")
        if rng.random() < 0.25:
            props.append(".usePointTimes()")
        self.pipeline.node(f"{name}({', '.join(args)})", *props)
        out = flow.copy()
        out.fields = {result: INFLUXQL_RESULT.get(name, flow.fields.get(field, "F"))}
        for e in extra_fields:
            if e in flow.fields:
                out.fields[e] = flow.fields[e]
        if name in INFLUXQL_BATCH_OUT:
            out.batch = True
        elif name not in INFLUXQL_SAME_EDGE:
            out.batch = False
        return out

    def stage_derivative(self, flow: Flow) -> Flow:
        rng = self.rng
        props = []
        if rng.random() < 0.5:
            props.append(f".unit({rng.choice(['1s', '2s', '1m', '100ms'])})")
        if rng.random() < 0.4:
            props.append(".nonNegative()")
        result = "derivative"
        if rng.random() < 0.5:
            result = next(self.names)
            props.append(f".as('{result}')")
        self.pipeline.node(f"derivative('{self.numeric_field(flow)}')", *props)
        out = flow.copy()
        out.fields[result] = "F"
        return out

    def stage_default(self, flow: Flow) -> Flow:
        rng = self.rng
        out = flow.copy()
        props = []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.65:
                name = rng.choice(list(flow.fields) + ["f", "x"])
                value, kind = rng.choice([("0.0", "F"), ("-1.5", "F"), ("7", "I"),
                                          ("'none'", "S"), ("TRUE", "B")])
                props.append(f".field('{name}', {value})")
                out.fields.setdefault(name, kind)
            else:
                name = rng.choice(self.tag_names(flow) + ["zone"])
                props.append(f".tag('{name}', '{rng.choice(['none', 'h0', 'east'])}')")
                if name not in out.tags:
                    out.tags.append(name)
        self.pipeline.node("default()", *props)
        return out

    def stage_delete(self, flow: Flow) -> Flow:
        rng = self.rng
        out = flow.copy()
        props = []
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.6 and flow.fields:
                name = rng.choice(list(flow.fields))
                props.append(f".field('{name}')")
                out.fields.pop(name, None)
            else:
                name = rng.choice(self.tag_names(flow))
                props.append(f".tag('{name}')")
                if name in out.tags:
                    out.tags.remove(name)
        self.pipeline.node("delete()", *props)
        return out

    def stage_shift(self, flow: Flow) -> Flow:
        shift = self.rng.choice(["5s", "-2s", "1m", "1s", "10s", "-1s", "0s"])
        self.pipeline.node(f"shift({shift})")
        return flow

    def stage_sample(self, flow: Flow) -> Flow:
        if self.rng.random() < 0.5:
            arg = str(self.rng.randint(1, 4))  # every n-th point (of each batch)
        else:
            arg = self.rng.choice(["2s", "5s", "10s"])
        self.pipeline.node(f"sample({arg})")
        return flow

    def stage_changeDetect(self, flow: Flow) -> Flow:
        names = list(flow.fields) or ["f"]
        chosen = self.rng.sample(names, min(len(names), self.rng.randint(1, 2)))
        self.pipeline.node("changeDetect(" + ", ".join(f"'{n}'" for n in chosen) + ")")
        return flow

    def stage_stateCount(self, flow: Flow) -> Flow:
        return self.state_node(flow, "stateCount", "state_count", "I")

    def stage_stateDuration(self, flow: Flow) -> Flow:
        return self.state_node(flow, "stateDuration", "state_duration", "F")

    def state_node(self, flow: Flow, node: str, default_name: str, kind: str) -> Flow:
        rng = self.rng
        props = []
        if node == "stateDuration" and rng.random() < 0.5:
            props.append(f".unit({rng.choice(['1s', '1ms', '1m'])})")
        result = default_name
        if rng.random() < 0.5:
            result = next(self.names)
            props.append(f".as('{result}')")
        self.pipeline.node(f"{node}({self.lambdas(flow).lambda_('B')})", *props)
        out = flow.copy()
        out.fields[result] = kind
        return out

    def branch(self, like: Flow) -> tuple[str, Flow]:
        """A second `stream|from()` branch (in a batch script, `batch|query()`) with the same
        grouping and edge type as `like`."""
        other = Pipeline()
        other.branches = self.pipeline.branches
        if self.kind == "batch":
            flow = self.query_source(other, like=like)
            if self.rng.random() < 0.3:
                flow = self.with_pipeline(other, self.stage_eval, flow)
            if flow.dims != like.dims and like.dims and self.rng.random() < 0.5:
                other.node("groupBy(" + ", ".join(f"'{d}'" for d in like.dims) + ")")
                flow.dims = list(like.dims)
            if not like.batch:
                # A stream edge: the batches a point at a time, or an aggregate of each.
                if self.rng.random() < 0.7:
                    other.node("trickle()")
                else:
                    other.node(f"last('{self.numeric_field(flow)}')")
                    flow.fields = {"last": "F"}
                flow.batch = False
        else:
            flow = self.source(other, primary=False, like=like)
            if self.rng.random() < 0.3:
                flow = self.with_pipeline(other, self.stage_eval, flow)
            if like.batch:
                window = (like.window if like.window and self.rng.random() < 0.7
                          else self.window_node())
                other.node(*window)
                flow.batch, flow.window = True, window
        name = other.to_var()
        self.pipeline.statements.extend(other.statements)
        self.pipeline.branches = other.branches
        return name, flow

    def with_pipeline(self, pipeline: Pipeline, stage, flow: Flow) -> Flow:
        saved, self.pipeline = self.pipeline, pipeline
        try:
            return stage(flow)
        finally:
            self.pipeline = saved

    def stage_join(self, flow: Flow) -> Flow:
        rng = self.rng
        left = self.pipeline.to_var()
        right, right_flow = self.branch(flow)
        self.pipeline.start(left)
        names = rng.choice([("a", "b"), ("cpu", "mem"), ("x", "y")])
        props = [f".as('{names[0]}', '{names[1]}')"]
        delimiter = "."
        out = flow.copy()
        if rng.random() < 0.3 and flow.dims:
            on = rng.sample(flow.dims, rng.randint(1, len(flow.dims)))
            props.append(".on(" + ", ".join(f"'{d}'" for d in on) + ")")
            out.dims = on
        if rng.random() < 0.4:
            props.append(f".tolerance({rng.choice(['1s', '2s', '5s', '500ms'])})")
        if rng.random() < 0.35:
            props.append(f".fill({rng.choice(JOIN_FILLS)})")
        if rng.random() < 0.25:
            delimiter = rng.choice(["_", "-", "::"])
            props.append(f".delimiter('{delimiter}')")
        if rng.random() < 0.2:
            props.append(f".streamName('{rng.choice(['joined', 'cpu'])}')")
        self.pipeline.node(f"join({right})", *props)
        out.fields = {f"{names[0]}{delimiter}{n}": k for n, k in flow.fields.items()}
        out.fields.update({f"{names[1]}{delimiter}{n}": k for n, k in right_flow.fields.items()})
        out.tags = list(out.dims)
        return out

    def stage_union(self, flow: Flow) -> Flow:
        left = self.pipeline.to_var()
        right, right_flow = self.branch(flow)
        self.pipeline.start(left)
        props = [f".rename('{self.rng.choice(['u', 'cpu'])}')"] if self.rng.random() < 0.5 else []
        self.pipeline.node(f"union({right})", *props)
        out = flow.copy()
        out.fields.update(right_flow.fields)
        return out

    def stage_combine(self, flow: Flow) -> Flow:
        rng = self.rng
        count = rng.choice([2, 2, 3])
        names = rng.sample(["x", "y", "z", "w"], count)
        lambdas = ", ".join(self.lambdas(flow).lambda_("B") for _ in names)
        props = [".as(" + ", ".join(f"'{n}'" for n in names) + ")"]
        delimiter = "."
        if rng.random() < 0.3:
            delimiter = rng.choice(["_", "-"])
            props.append(f".delimiter('{delimiter}')")
        if rng.random() < 0.4:
            props.append(f".tolerance({rng.choice(['1s', '2s', '5s'])})")
        if rng.random() < 0.3:
            props.append(f".max({rng.randint(1, 10)})")
        self.pipeline.node(f"combine({lambdas})", *props)
        out = flow.copy()
        out.batch = False
        out.fields = {f"{n}{delimiter}{f}": k for n in names for f, k in flow.fields.items()}
        out.tags = [f"{n}{delimiter}{t}" for n in names for t in flow.tags] + flow.dims
        return out

    def stage_flatten(self, flow: Flow) -> Flow:
        rng = self.rng
        props = []
        on = []
        if rng.random() < 0.85:
            tags = self.tag_names(flow)
            on = rng.sample(tags, rng.randint(1, min(2, len(tags))))
            props.append(".on(" + ", ".join(f"'{t}'" for t in on) + ")")
        delimiter = "."
        if rng.random() < 0.3:
            delimiter = rng.choice(["_", "-"])
            props.append(f".delimiter('{delimiter}')")
        if rng.random() < 0.4:
            props.append(f".tolerance({rng.choice(['1s', '2s', '5s'])})")
        drop = rng.random() < 0.25
        if drop and self.kind == "batch" and len(flow.fields) > 1:
            # Several fields flattened to one name: Kapacitor keeps one in Go map order.
            drop = False
        if drop:
            props.append(".dropOriginalFieldName()")
        self.pipeline.node("flatten()", *props)
        out = flow.copy()
        values = [v for t in on[:1] for v in TAGS.get(t, ([], 0))[0]]
        if values:
            out.fields = {(v if drop else f"{v}{delimiter}{f}"): k
                          for v in values for f, k in flow.fields.items()}
        out.tags = [t for t in flow.dims]
        return out

    def stage_log(self, flow: Flow) -> Flow:
        props = []
        if self.rng.random() < 0.5:
            props.append(f".level('{self.rng.choice(['DEBUG', 'INFO', 'WARN', 'ERROR'])}')")
        if self.rng.random() < 0.3:
            props.append(".prefix('P')")
        self.pipeline.node("log()", *props)
        return flow

    def stage_barrier(self, flow: Flow) -> Flow:
        # Barrier timers run on the wall clock in Kapacitor: an hour never fires in a replay.
        props = [self.rng.choice([".idle(1h)", ".period(1h)"])]
        if self.rng.random() < 0.4:
            props.append(f".delete({self.rng.choice(['TRUE', 'FALSE'])})")
        self.pipeline.node("barrier()", *props)
        return flow

    def stage_trickle(self, flow: Flow) -> Flow:
        self.pipeline.node("trickle()")
        out = flow.copy()
        out.batch = False
        return out

    def stage_alert(self, flow: Flow) -> Flow:
        """`alert()` with random levels, resets, templates and options, logging its events to
        ALERTS_LOG (which the judge replaces with a file of each engine's)."""
        rng = self.rng
        props = []
        numeric = [n for n, k in flow.fields.items() if k in "FI"] or ["f"]
        thresholds = ["0.0", "2.0", "5.0", "7.5", "10.0", "15.0", "20.0", "-3.0", "5", "12"]
        lows = sorted(rng.sample(thresholds[:7], 3), key=float)
        for name, low in zip(["info", "warn", "crit"], lows):
            if rng.random() < 0.65:
                if rng.random() < 0.8:
                    field = rng.choice(numeric)
                    op = rng.choice([">", ">", ">=", "<"])
                    props.append(f".{name}(lambda: {quote_field(field)} {op} {low})")
                else:
                    props.append(f".{name}({self.lambdas(flow).lambda_('B')})")
                if rng.random() < 0.3:
                    field = rng.choice(numeric)
                    props.append(f".{name}Reset(lambda: {quote_field(field)} < "
                                 f"{rng.choice(thresholds)})")
        ids = ["", "", "'{{ .Name }}:{{ .Group }}'", "'a/{{ index .Tags \"host\" }}'",
               "'{{ .TaskName }}-{{ .Group }}'", "'fixed'", "'{{ .Name }}'"]
        alert_id = rng.choice(ids)
        if alert_id:
            props.append(f".id({alert_id})")
        field = rng.choice(numeric)
        messages = ["", "'{{ .ID }} {{ .Level }} {{ index .Fields \"%s\" }}'" % field,
                    "'{{ if eq .Level \"OK\" }}ok{{ else }}bad {{ .Duration }}{{ end }}'",
                    "'{{ .Time }} <{{ .Name }}> & {{ .Group }}'",
                    "'{{ range $k, $v := .Tags }}{{ $k }}={{ $v }},{{ end }}'",
                    "'{{ printf \"%%v|%%s\" .Level .TaskName }} {{ len .Fields }}'"]
        message = rng.choice(messages)
        if message:
            props.append(f".message({message})")
        details = rng.choice(["", "", "'{{ .Message }}'", "'<b>{{ .ID }}</b> & {{ .Name }}'",
                              "''", "'{{ jsonCompact .Tags }} {{ .Level }}'"])
        if details:
            props.append(f".details({details})")
        roll = rng.random()
        if roll < 0.25:
            props.append(".stateChangesOnly()")
        elif roll < 0.35:
            props.append(f".stateChangesOnly({rng.choice(['1s', '2s', '5s', '30s'])})")
        if rng.random() < 0.15:
            props.append(".noRecoveries()")
        if rng.random() < 0.15:
            low = rng.choice(["0.1", "0.2", "0.25", "0.3"])
            high = rng.choice(["0.4", "0.5", "0.6", "0.7"])
            props.append(f".flapping({low}, {high})")
            if rng.random() < 0.7:
                props.append(f".history({rng.choice([2, 3, 5, 10, 21, 30])})")
        if flow.batch and rng.random() < 0.3:
            props.append(".all()")
        out = flow.copy()
        for prop, names, kind in [("levelTag", ["level", "lvl"], "tag"),
                                  ("idTag", ["id", "alertID"], "tag"),
                                  ("levelField", ["level", "lvl", "f"], "S"),
                                  ("messageField", ["msg", "message"], "S"),
                                  ("idField", ["id", "alertID"], "S"),
                                  ("durationField", ["duration", "dur"], "I")]:
            if rng.random() < 0.2:
                name = rng.choice(names)
                props.append(f".{prop}('{name}')")
                if kind == "tag":
                    if name not in out.tags:
                        out.tags = out.tags + [name]
                    if out.batch and name not in out.dims:
                        out.dims = out.dims + [name]
                else:
                    out.fields = dict(out.fields, **{name: kind})
        if rng.random() < 0.9:
            props.append(".log('ALERTS_LOG')")
        if rng.random() < 0.05:
            props.append(".topic('t')")
        self.pipeline.node("alert()", *props)
        return out

    def stage_stats(self, flow: Flow) -> Flow:
        # Stats emit on the wall clock: an hour never elapses in a replay, so nothing arrives.
        self.pipeline.node("stats(1h)")
        out = flow.copy()
        out.batch = False
        return out


# -------------------------------------------------------------------------------- comparison

def same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def series_key(s: dict) -> tuple:
    return (s.get("name", ""), json.dumps(s.get("tags"), sort_keys=True))


def as_floats(value):
    """A JSON value with every number a float, to order series the same in both outputs."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [as_floats(v) for v in value]
    return {k: as_floats(v) for k, v in value.items()}


def series(result: dict) -> list:
    """The series of a result by name and tags; series of one name and tags (a batch
    edge's empty batch next to a full one) in the order of their contents."""
    return sorted(result.get("series") or [],
                  key=lambda s: (series_key(s), json.dumps(as_floats(s), sort_keys=True)))


def outputs_agree(kapacitor: dict, condenser: dict) -> bool:
    if "error" in kapacitor or "error" in condenser:
        return ("error" in kapacitor) == ("error" in condenser)
    return same(series(kapacitor), series(condenser))


def clip(value, limit: int = 240) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "…"


def describe_difference(kapacitor: dict, condenser: dict) -> list[str]:
    """A few lines saying where two httpOut results first differ."""
    if "error" in kapacitor or "error" in condenser:
        return [f"kapacitor {clip(kapacitor)}", f"condenser {clip(condenser)}"]
    ks = {series_key(s): s for s in series(kapacitor)}
    cs = {series_key(s): s for s in series(condenser)}
    lines = []
    if ks.keys() != cs.keys():
        only_k = [f"{n} {t}" for n, t in ks.keys() - cs.keys()]
        only_c = [f"{n} {t}" for n, t in cs.keys() - ks.keys()]
        lines.append(f"{len(ks)} series vs {len(cs)}")
        if only_k:
            lines.append(f"only kapacitor: {clip('; '.join(sorted(only_k)))}")
        if only_c:
            lines.append(f"only condenser: {clip('; '.join(sorted(only_c)))}")
    for key in sorted(ks.keys() & cs.keys()):
        k, c = ks[key], cs[key]
        if same(k, c):
            continue
        where = f"{key[0]} {key[1]}"
        if not same(k.get("columns"), c.get("columns")):
            lines.append(f"{where}: columns {k.get('columns')} vs {c.get('columns')}")
        kv, cv = k.get("values") or [], c.get("values") or []
        if len(kv) != len(cv):
            lines.append(f"{where}: {len(kv)} rows vs {len(cv)}")
        for i, (kr, cr) in enumerate(zip(kv, cv)):
            if not same(kr, cr):
                lines.append(f"{where}: row {i}: kapacitor {clip(kr, 160)} "
                             f"condenser {clip(cr, 160)}")
                break
        if len(lines) >= 6:
            break
    return lines[:6]


# ----------------------------------------------------------------------------------- running

@dataclasses.dataclass
class Run:
    """The outcome of one replay."""

    status: str  # "ok" | "refused" | "timeout" | "crash"
    output: dict | None
    stdout: str
    stderr: str


def run_replay(command: list[str], engine: str) -> Run:
    env = dict(os.environ, TZ="UTC")
    try:
        proc = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as err:
        return Run("timeout", None, "", str(err))
    output = None
    try:
        output = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        pass
    if engine == "kapacitor":
        # kreplay: 0 ok; 1 define/start error; 3 output printed but an error occurred; 4 timeout.
        if proc.returncode in (0, 3) and isinstance(output, dict):
            return Run("ok", output, proc.stdout, proc.stderr)
        status = {1: "refused", 4: "timeout"}.get(proc.returncode, "crash")
        return Run(status, None, proc.stdout, proc.stderr)
    if proc.returncode == 0 and isinstance(output, dict):
        return Run("ok", output, proc.stdout, proc.stderr)
    return Run("refused" if proc.returncode > 0 else "crash", None, proc.stdout, proc.stderr)


@dataclasses.dataclass
class Case:
    index: int
    script: str
    data: list[str]  # the recordings: data.srpl, or data.0.brpl, data.1.brpl, …
    duration: str
    kind: str = "stream"
    verdict: str = ""  # "" when both agree, else the kind of disagreement
    details: list[str] = dataclasses.field(default_factory=list)
    nondeterministic: bool = False
    kapacitor: Run | None = None
    condenser: Run | None = None
    alert_logs: dict = dataclasses.field(default_factory=dict)  # engine -> its ALERTS_LOG text


def used_names(script: str) -> tuple[collections.Counter, collections.Counter]:
    """How often the script chains each node kind and calls each lambda function."""
    nodes = collections.Counter(re.findall(r"\|(\w+)\(", script))
    functions = collections.Counter()
    for lam in re.findall(r"lambda: [^\n]*", script):
        functions.update(re.findall(r"\b(\w+)\(", re.sub(r"'[^']*'|\"[^\"]*\"", "", lam)))
    return nodes, functions


BATCH_DURATION = "2m"  # longer than any batch recording (its points span at most 60 s)


def generate(seed: int, index: int, skip: frozenset = frozenset(),
             kind: str = "stream") -> Case:
    """Case `index` of `seed`; scripts using a node kind or function in `skip` are redrawn."""
    if kind == "batch":
        rng = random.Random(f"batch:{seed}:{index}")
        for _ in range(100):
            gen = ScriptGen(rng, "batch", nulls="null" not in skip, mixed="mixed" not in skip)
            script = gen.script()
            nodes, functions = used_names(script)
            if skip.isdisjoint(nodes) and skip.isdisjoint(functions):
                break
        # Kapacitor's pipeline walk meets sibling queries in reverse declaration order.
        data = [r.text for r in reversed(gen.recordings)]
        return Case(index, script, data, BATCH_DURATION, kind="batch")
    rng = random.Random(f"{seed}:{index}")
    data, last = recording(rng)
    for _ in range(100):
        script = ScriptGen(rng).script()
        nodes, functions = used_names(script)
        if skip.isdisjoint(nodes) and skip.isdisjoint(functions):
            break
    return Case(index, script, [data], f"{last + 10}s")


def data_names(case: Case) -> list[str]:
    """The file names of a case's recordings, in the order the replays take them."""
    if case.kind == "batch":
        return [f"data.{i}.brpl" for i in range(len(case.data))]
    return ["data.srpl"]


def first_error_line(text: str) -> str:
    for line in text.splitlines():
        if "error" in line.lower() or "panic" in line.lower():
            return clip(line.strip(), 200)
    return clip(text.strip().splitlines()[0] if text.strip() else "(no message)", 200)


def alert_lines(path: Path) -> list:
    """The events of an alert log, each parsed, with the random ServerInfo ids as UUID."""
    if not path.exists():
        return []
    return [json.loads(UUID.sub("UUID", line)) for line in path.read_text().splitlines()
            if line.strip()]


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def judge(case: Case, kreplay: str, condenser: str, directory: Path) -> Case:
    data_args = []
    for name, text in zip(data_names(case), case.data):
        (directory / name).write_text(text)
        data_args += ["--data", str(directory / name)]
    logs = {engine: directory / f"{engine}-alerts.log" for engine in ("kapacitor", "condenser")}
    scripts = {}
    for engine, log in logs.items():
        log.unlink(missing_ok=True)
        scripts[engine] = directory / f"{engine}.tick"
        scripts[engine].write_text(case.script.replace("ALERTS_LOG", str(log.resolve())))
    (directory / "case.tick").write_text(case.script)
    args = data_args + ["--type", case.kind, "--duration", case.duration,
                        "--http-out", HTTP_OUT]
    kapacitor_command = [kreplay, str(scripts["kapacitor"])] + args + [
        "--timeout", f"{RUN_TIMEOUT - 5}s"]
    k = run_replay(kapacitor_command, "kapacitor")
    c = run_replay([condenser, "test", str(scripts["condenser"])] + args, "condenser")
    case.kapacitor, case.condenser = k, c
    k_alerts, c_alerts = alert_lines(logs["kapacitor"]), alert_lines(logs["condenser"])
    case.alert_logs = {engine: log.read_text() for engine, log in logs.items() if log.exists()}
    if k.status in ("timeout", "crash"):
        case.verdict = f"kapacitor {k.status}"
        case.details = [first_error_line(k.stderr)]
    elif c.status in ("timeout", "crash"):
        case.verdict = f"condenser {c.status}"
        case.details = [first_error_line(c.stderr)]
    elif k.status == "refused" and c.status == "refused":
        pass
    elif k.status == "refused":
        case.verdict = "condenser runs a script Kapacitor refuses"
        case.details = [f"kapacitor: {first_error_line(k.stderr)}"]
    elif c.status == "refused":
        case.verdict = "condenser refuses a script Kapacitor runs"
        case.details = [f"condenser: {first_error_line(c.stderr)}"]
    elif not outputs_agree(k.output, c.output):
        outputs = [k.output]
        for _ in range(KAPACITOR_RETRIES):
            again = run_replay(kapacitor_command, "kapacitor")
            if again.output is not None:
                outputs.append(again.output)
        case.nondeterministic = any(not outputs_agree(outputs[0], o) for o in outputs[1:])
        if not any(outputs_agree(o, c.output) for o in outputs):
            # Kapacitor giving other outputs run after run has no answer to agree with.
            case.verdict = "kapacitor varies" if case.nondeterministic else "outputs differ"
            case.details = describe_difference(k.output, c.output)
    if not case.verdict and k.status == "ok" and c.status == "ok" and not same(k_alerts, c_alerts):
        case.verdict = "alert logs differ"
        case.details = [f"kapacitor wrote {len(k_alerts)} events, condenser {len(c_alerts)}"]
        for i, (a, b) in enumerate(zip(k_alerts, c_alerts)):
            if not same(a, b):
                case.details.append(f"event {i}: kapacitor {clip(json.dumps(a))}")
                case.details.append(f"event {i}: condenser {clip(json.dumps(b))}")
                break
    return case


def keep(case: Case, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "case.tick").write_text(case.script)
    for name, text in zip(data_names(case), case.data):
        (directory / name).write_text(text)
    (directory / "duration").write_text(case.duration + "\n")
    (directory / "kind").write_text(case.kind + "\n")
    for name, run in (("kapacitor", case.kapacitor), ("condenser", case.condenser)):
        (directory / f"{name}.json").write_text(run.stdout if run else "")
        if case.alert_logs.get(name):
            (directory / f"{name}-alerts.log").write_text(case.alert_logs[name])
        (directory / f"{name}.err").write_text(run.stderr if run else "")
    if case.verdict:
        (directory / "verdict").write_text("\n".join([case.verdict] + case.details) + "\n")


def coverage(cases: list[Case], kind: str = "stream") -> list[str]:
    """Lines naming the node kinds and lambda functions used least (or never)."""
    nodes = collections.Counter()
    functions = collections.Counter()
    for case in cases:
        case_nodes, case_functions = used_names(case.script)
        nodes.update(case_nodes)
        functions.update(case_functions)
    wanted_nodes = [k for k in STAGES if k != "influxql"
                    and not (kind == "batch" and k == "alert")] + INFLUXQL
    lines = []
    missing_nodes = [n for n in wanted_nodes if not nodes[n]]
    missing_functions = [f for f in ALL_FUNCTIONS if not functions[f]]
    if missing_nodes:
        lines.append("node kinds never generated: " + ", ".join(missing_nodes))
    if missing_functions:
        lines.append("lambda functions never generated: " + ", ".join(missing_functions))
    rare = sorted((nodes[n], n) for n in wanted_nodes if nodes[n])[:6]
    lines.append("rarest node kinds: " + ", ".join(f"{n} ({c})" for c, n in rare))
    rare = sorted((functions[f], f) for f in ALL_FUNCTIONS if functions[f])[:6]
    lines.append("rarest lambda functions: " + ", ".join(f"{f} ({n})" for n, f in rare))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kreplay", help="Kapacitor's replay (built by kapacitor-oracle/build.sh)")
    parser.add_argument("condenser", help="the condenser binary")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=100, help="number of scripts")
    parser.add_argument("--first", type=int, default=0, help="index of the first script")
    parser.add_argument("--jobs", type=int, default=2, help="scripts run in parallel")
    parser.add_argument("--keep", type=Path, help="write every case to DIR/NNNN/")
    parser.add_argument("--only-failures", action="store_true",
                        help="with --keep, write only the cases that disagree")
    parser.add_argument("--kind", choices=["stream", "batch"], default="stream",
                        help="stream scripts on .srpl recordings (the default) or batch "
                             "scripts on .brpl recordings")
    parser.add_argument("--skip", default="",
                        help="comma-separated node kinds and lambda functions not to generate "
                             "(to look past known refusals), e.g. rand,duration,flatten")
    args = parser.parse_args()

    skip = frozenset(name for name in args.skip.split(",") if name)
    work = Path(tempfile.mkdtemp(prefix="replay-differential-"))

    def one(index: int) -> Case:
        directory = work / f"{index:04d}"
        directory.mkdir()
        try:
            case = generate(args.seed, index, skip, args.kind)
            return judge(case, args.kreplay, args.condenser, directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    cases: list[Case] = []
    indices = range(args.first, args.first + args.count)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for case in pool.map(one, indices):
                cases.append(case)
                if case.verdict:
                    print(f"{case.index:04d}: {case.verdict}")
                    for line in case.details:
                        print(f"    {line}")
                    sys.stdout.flush()
                if args.keep and (case.verdict or not args.only_failures):
                    keep(case, args.keep / f"{case.index:04d}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    verdicts = collections.Counter(c.verdict for c in cases if c.verdict)
    refused = sum(1 for c in cases if c.kapacitor and c.kapacitor.status == "refused")
    print()
    for verdict, n in verdicts.most_common():
        print(f"{n:5d}  {verdict}")
    print(f"Kapacitor refused {refused} of {len(cases)} scripts; "
          f"{sum(c.nondeterministic for c in cases)} gave varying Kapacitor outputs")
    for line in coverage(cases, args.kind):
        print(line)
    agree = sum(1 for c in cases if not c.verdict)
    answered = sum(1 for c in cases
                   if c.verdict not in ("kapacitor crash", "kapacitor timeout", "kapacitor varies"))
    kind = "" if args.kind == "stream" else ", --kind batch"
    print(f"{agree}/{len(cases)} scripts agree (seed {args.seed}{kind}); "
          f"{agree}/{answered} of those Kapacitor answers (no crash, timeout or varying output)")
    return 0 if agree == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
