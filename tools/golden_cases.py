#!/usr/bin/env python3
"""Maintain the engine's golden cases under `tests/cases/<node>/<case>/`.

Each case folder holds `case.tick` (the TICKscript, whose result is `httpOut('out')`), its
recordings, `case.json` (`{"duration": "70s", "source": "hand-written" | "differential seed S
case N", "what": "..."}`, and `"kind": "batch"` for a batch case) and `expected.json`: the
httpOut JSON that real Kapacitor's replay (`kreplay`) gave for them, pretty-printed with
sorted keys. A stream case (no "kind", or "kind": "stream") has one stream recording,
`data.srpl`; a batch case has one batch recording a query, `data.0.brpl`, `data.1.brpl`, …
(see shared/conformance/FORMAT.md: `data.i.brpl` feeds the i-th query in Kapacitor's pipeline
walk order, the reverse of the declaration order for sibling queries), replayed with
`--type batch --data data.0.brpl --data data.1.brpl …`. A case whose script logs alerts (`.log('ALERTS_LOG')`: the
replay runs it with a fresh absolute path in place of ALERTS_LOG) also holds
`expected_alerts.jsonl`, the events Kapacitor's `.log()` handler wrote, one JSON line each,
with the random ServerInfo ids as UUID. `tests/e2e/cases.rs` runs every case through
`condenser test` and compares its output (and alert log) with these files; this tool writes
them (never edit them by hand) and triages differences.

usage:
    tools/golden_cases.py refresh KREPLAY [--only NODE[/CASE]] [--runs N] [--differences]
        Replay every case (or those selected) with Kapacitor, TZ=UTC, and write its
        expected.json (left untouched when only the order of its series changed: that
        follows Go's map order). A case whose replay fails (nonzero exit, no JSON, an "error"
        key) or, with --runs N > 1, whose output varies between runs keeps its old file;
        the exit status is 1 when any case failed.

    tools/golden_cases.py add NODE NAME --from DIR [--what TEXT] [--source TEXT | --seed S]
                          [--kreplay KREPLAY] [--force] [--differences]
        Copy a case kept by `tools/replay_differential.py --keep` (DIR holds case.tick,
        duration, kapacitor.json, kapacitor-alerts.log and its recordings: data.srpl, or for
        a batch run, `--kind batch`, data.0.brpl, data.1.brpl, …) into tests/cases/NODE/NAME/.
        A DIR with data.0.brpl (and no data.srpl) is a batch case; its recordings are copied
        as they are named, and case.json says "kind": "batch". expected.json is
        DIR/kapacitor.json re-serialised (and expected_alerts.jsonl its alert log), or a
        fresh replay with --kreplay. The source is "differential seed S case N" (N is DIR's
        name when it is a number, as --keep names them; "differential --kind batch seed …" for a
        batch case) unless --source gives it; --what defaults to the first line of
        DIR/verdict.

    tools/golden_cases.py check CONDENSER [--only NODE[/CASE]] [--verbose] [--differences]
        Run `condenser test` on every case as the e2e test does and list the cases whose
        output differs from expected.json (exit 1 if any), with their first difference.

--differences works on tests/differences/ (the golden cases Condenser does not pass yet, same
layout, not run by the e2e test) instead of tests/cases/: `add --differences` files a
difference found by the differential test, `check --differences` shows which pass by now.

KREPLAY is built by shared/kapacitor-oracle/build.sh; CONDENSER is a `condenser` binary.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
CASES_DIR = TESTS_DIR / "cases"  # tests/differences/ with --differences
HTTP_OUT = "out"  # the httpOut node every case's result is read from
RUN_TIMEOUT = 60  # seconds one replay may take
REL_TOL = 1e-9  # relative tolerance for numbers, as in tests/e2e/cases.rs
ALERTS_LOG = "ALERTS_LOG"  # the placeholder of a case's .log() path
EXPECTED_ALERTS = "expected_alerts.jsonl"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ------------------------------------------------------------------------------------ cases

def find_cases(only: str | None = None) -> list[Path]:
    """Every case folder (one holding a case.tick), sorted; `only` is NODE or NODE/CASE."""
    found = sorted(tick.parent for tick in CASES_DIR.rglob("case.tick"))
    if only:
        wanted = only.strip("/")
        found = [case for case in found
                 if (name := case_name(case)) == wanted or name.startswith(wanted + "/")]
    return found


def case_name(case: Path) -> str:
    return case.relative_to(CASES_DIR).as_posix()


def duration_of(case: Path) -> str:
    return json.loads((case / "case.json").read_text())["duration"]


def kind_of(case: Path) -> str:
    """"stream" or "batch": a case's case.json "kind" (stream when it has none)."""
    meta = case / "case.json"
    if meta.is_file():
        return json.loads(meta.read_text()).get("kind", "stream")
    return "batch" if is_batch_dir(case) else "stream"


def is_batch_dir(folder: Path) -> bool:
    """Whether a folder's recordings are batch ones (data.0.brpl, …) and not data.srpl."""
    return (folder / "data.0.brpl").is_file() and not (folder / "data.srpl").is_file()


def recordings(folder: Path, kind: str) -> list[Path]:
    """A folder's recordings in replay order: data.srpl, or data.0.brpl, data.1.brpl, …"""
    if kind != "batch":
        return [folder / "data.srpl"]
    found = []
    while (folder / f"data.{len(found)}.brpl").is_file():
        found.append(folder / f"data.{len(found)}.brpl")
    return found


def serialise(value: object) -> str:
    """The form every JSON file of a case is written in."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------- running

class Outcome:
    """What one replay of a case gave: its httpOut result and the alert events it logged
    (None when the case logs none), or the reason it failed."""

    def __init__(self, result: dict | None, alerts: list | None, error: str = "") -> None:
        self.result, self.alerts, self.error = result, alerts, error


def replay(command: list[str], case: Path, duration: str, kind: str | None = None) -> Outcome:
    """Run a replay (`kreplay` or `condenser test`) on a case (or a kept folder): a stream
    replay of data.srpl, or a batch replay of data.0.brpl, data.1.brpl, …"""
    script = (case / "case.tick").read_text()
    kind = kind or kind_of(case)
    data = recordings(case, kind)
    if not data:
        return Outcome(None, None, f"{case} has no data.0.brpl")
    with tempfile.TemporaryDirectory(prefix="golden-") as scratch:
        log = Path(scratch) / "alerts.log"
        tick = Path(scratch) / "case.tick"
        tick.write_text(script.replace(ALERTS_LOG, str(log)))
        args = [str(tick)]
        for recording in data:
            args += ["--data", str(recording)]
        args += ["--type", kind, "--duration", duration, "--http-out", HTTP_OUT]
        try:
            proc = subprocess.run(command + args, capture_output=True, text=True,
                                  env=dict(os.environ, TZ="UTC"), timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return Outcome(None, None, f"timed out after {RUN_TIMEOUT}s")
        alerts = None
        if ALERTS_LOG in script:
            alerts = alert_lines(log.read_text() if log.exists() else "")
    if proc.returncode != 0:
        return Outcome(None, None, f"exit {proc.returncode}: "
                                   f"{first_line(proc.stderr or proc.stdout)}")
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        return Outcome(None, None, f"output is not JSON ({err})")
    if not isinstance(result, dict):
        return Outcome(None, None, "output is not a JSON object")
    if "error" in result:
        return Outcome(None, None, f"httpOut error: {result['error']}")
    return Outcome(result, alerts)


def alert_lines(text: str) -> list:
    """The events of an alert log, parsed, with the random ServerInfo ids as UUID."""
    return [json.loads(UUID.sub("UUID", line)) for line in text.splitlines() if line.strip()]


def write_alerts(case: Path, alerts: list | None) -> None:
    """Write a case's expected_alerts.jsonl (one compact JSON line an event)."""
    if alerts is not None:
        (case / EXPECTED_ALERTS).write_text(
            "".join(json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n"
                    for event in alerts))


def expected_alerts(case: Path) -> list | None:
    path = case / EXPECTED_ALERTS
    return alert_lines(path.read_text()) if path.is_file() else None


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower() or "panic" in line.lower():
            return clip(line)
    return clip(lines[0]) if lines else "(no message)"


def clip(value: object, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit - 3] + "..."


# -------------------------------------------------------------------------------- comparing

def same(a: object, b: object) -> bool:
    """Equal as tests/e2e/cases.rs judges: numbers within a relative 1e-9, objects by key."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def series_key(row: dict) -> tuple[str, str]:
    return (json.dumps(row.get("name")), json.dumps(row.get("tags"), sort_keys=True))


def as_floats(value: object) -> object:
    """A JSON value with every number a float (Go writes the float 5.0 as `5`)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [as_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: as_floats(v) for k, v in value.items()}
    return value


def series(result: dict) -> list[dict]:
    """The series of a result in a fixed order; `null` and `[]` are both no series. Series
    of one name and tags (on a batch edge, an empty batch's next to a full one's) are
    ordered by their contents."""
    return sorted(result.get("series") or [],
                  key=lambda s: (series_key(s), json.dumps(as_floats(s), sort_keys=True)))


def difference(expected: dict, got: dict) -> str:
    """'' when the results agree, else a line saying where they first differ."""
    want, have = series(expected), series(got)
    if same(want, have):
        return ""
    if [series_key(s) for s in want] != [series_key(s) for s in have]:
        def names(rows: list[dict]) -> str:
            return "; ".join(f"{s.get('name')} {clip(s.get('tags') or {}, 80)}"
                             for s in rows) or "none"
        return f"series: kapacitor [{names(want)}], condenser [{names(have)}]"
    for k, c in zip(want, have):
        if same(k, c):
            continue
        label = f"{k.get('name')} {clip(k.get('tags') or {}, 80)}"
        if not same(k.get("columns"), c.get("columns")):
            return f"{label}: columns kapacitor {k.get('columns')}, condenser {c.get('columns')}"
        kv, cv = k.get("values") or [], c.get("values") or []
        for i, (kr, cr) in enumerate(zip(kv, cv)):
            if not same(kr, cr):
                return f"{label}: row {i}: kapacitor {clip(kr, 160)}, condenser {clip(cr, 160)}"
        if len(kv) != len(cv):
            return f"{label}: kapacitor {len(kv)} rows, condenser {len(cv)}"
        return f"{label}: kapacitor {clip(k, 200)}, condenser {clip(c, 200)}"
    return "results differ"


def alerts_difference(expected: list | None, got: list | None) -> str:
    """'' when two alert logs agree, else a line saying where they first differ."""
    if same(expected, got):
        return ""
    if expected is None or got is None:
        return f"alert log: kapacitor {expected is not None}, condenser {got is not None}"
    for i, (k, c) in enumerate(zip(expected, got)):
        if not same(k, c):
            return f"alert event {i}: kapacitor {clip(k, 300)}, condenser {clip(c, 300)}"
    return f"alert log: kapacitor {len(expected)} events, condenser {len(got)}"


# --------------------------------------------------------------------------------- commands

def refresh(kreplay: str, only: str | None, runs: int) -> int:
    cases = find_cases(only)
    if not cases:
        print(f"no case matches {only!r}", file=sys.stderr)
        return 1
    failed = []
    for case in cases:
        outputs, error = [], ""
        for _ in range(runs):
            outcome = replay([kreplay], case, duration_of(case))
            error = outcome.error
            if outcome.result is None:
                break
            outputs.append(outcome)
        varies = [difference(outputs[0].result, other.result)
                  or alerts_difference(outputs[0].alerts, other.alerts)
                  for other in outputs[1:]]
        if not error and any(varies):
            error = "Kapacitor's output varies between runs: " + next(v for v in varies if v)
        if error:
            failed.append(case_name(case))
            print(f"FAIL {case_name(case)}: {error} (expected.json left as it was)")
            continue
        target = case / "expected.json"
        if (target.exists() and not difference(json.loads(target.read_text()), outputs[0].result)
                and not alerts_difference(expected_alerts(case), outputs[0].alerts)):
            # Unchanged up to series order (Go map order): keep the files as they are.
            print(f"same  {case_name(case)}")
            continue
        target.write_text(serialise(outputs[0].result))
        write_alerts(case, outputs[0].alerts)
        print(f"wrote {case_name(case)}")
    print(f"{len(cases) - len(failed)} of {len(cases)} cases refreshed")
    return 1 if failed else 0


def add(node: str, name: str, source_dir: Path, what: str | None, source: str | None,
        seed: int | None, kreplay: str | None, force: bool) -> int:
    kind = "batch" if is_batch_dir(source_dir) else "stream"
    for needed in ("case.tick", "duration") + (("data.srpl",) if kind == "stream" else ()):
        if not (source_dir / needed).is_file():
            print(f"{source_dir} has no {needed}", file=sys.stderr)
            return 1
    data = recordings(source_dir, kind)
    if source is None:
        if seed is None or not source_dir.name.isdigit():
            print("give --source TEXT, or --seed S with a DIR named by its case number",
                  file=sys.stderr)
            return 1
        flag = "--kind batch " if kind == "batch" else ""
        source = f"differential {flag}seed {seed} case {int(source_dir.name)}"
    target = CASES_DIR / node / name
    if target.exists() and not force:
        print(f"{target} exists (use --force to replace it)", file=sys.stderr)
        return 1
    duration = (source_dir / "duration").read_text().strip()
    if kreplay:
        outcome = replay([kreplay], source_dir, duration, kind)
        expected, alerts, error = outcome.result, outcome.alerts, outcome.error
    else:
        expected, error = kept_result(source_dir / "kapacitor.json")
        alerts = None
        if ALERTS_LOG in (source_dir / "case.tick").read_text():
            log = source_dir / "kapacitor-alerts.log"
            alerts = alert_lines(log.read_text() if log.is_file() else "")
    if expected is None:
        print(f"not added: {error}", file=sys.stderr)
        return 1
    if what is None:
        verdict = source_dir / "verdict"
        what = verdict.read_text().splitlines()[0] if verdict.is_file() else ""
    if target.exists():
        for old in list(target.glob("data.srpl")) + list(target.glob("data.*.brpl")):
            old.unlink()  # --force: the new case's recordings only
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source_dir / "case.tick", target / "case.tick")
    for recording in data:
        shutil.copyfile(recording, target / recording.name)
    meta = {"duration": duration, "source": source, "what": what}
    if kind == "batch":
        meta["kind"] = "batch"
    (target / "case.json").write_text(serialise(meta))
    (target / "expected.json").write_text(serialise(expected))
    write_alerts(target, alerts)
    print(f"added {case_name(target)}")
    if not what:
        print("warning: case.json has an empty \"what\" (no --what, no verdict)",
              file=sys.stderr)
    return 0


def kept_result(path: Path) -> tuple[dict | None, str]:
    """The httpOut result replay_differential.py kept for Kapacitor, or None and why not."""
    if not path.is_file():
        return None, f"{path} is missing"
    try:
        result = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        return None, f"{path} is not JSON ({err})"
    if not isinstance(result, dict):
        return None, f"{path} is not a JSON object"
    if "error" in result:
        return None, f"{path} holds an error: {result['error']}"
    return result, ""


def check(condenser: str, only: str | None, verbose: bool) -> int:
    cases = find_cases(only)
    differ = []
    for case in cases:
        expected = json.loads((case / "expected.json").read_text())
        outcome = replay([condenser, "test"], case, duration_of(case))
        got = outcome.result
        reason = (f"condenser failed: {outcome.error}" if got is None
                  else difference(expected, got)
                  or alerts_difference(expected_alerts(case), outcome.alerts))
        if reason:
            differ.append(case_name(case))
            print(f"DIFF {case_name(case)}: {reason}")
            if verbose:
                print(f"    kapacitor {clip(expected, 2000)}")
                print(f"    condenser {clip(got, 2000) if got is not None else '-'}")
    print(f"{len(cases) - len(differ)} of {len(cases)} cases agree")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("refresh", help="write expected.json from Kapacitor's replay")
    p.add_argument("kreplay")
    p.add_argument("--only", metavar="NODE[/CASE]")
    p.add_argument("--runs", type=int, default=1,
                   help="replay each case N times and refuse an output that varies")

    p = commands.add_parser("add", help="add a case kept by replay_differential.py --keep")
    p.add_argument("node")
    p.add_argument("name")
    p.add_argument("--from", dest="source_dir", type=Path, required=True, metavar="DIR")
    p.add_argument("--what", help="one line: what the case checks")
    p.add_argument("--source", help='where the case came from (default: "differential seed '
                                    'S case N")')
    p.add_argument("--seed", type=int, help="the replay_differential.py seed of the case")
    p.add_argument("--kreplay", help="replay the case now instead of using kapacitor.json")
    p.add_argument("--force", action="store_true", help="replace an existing case")

    p = commands.add_parser("check", help="list the cases on which condenser differs")
    p.add_argument("condenser")
    p.add_argument("--only", metavar="NODE[/CASE]")
    p.add_argument("--verbose", action="store_true", help="print both outputs")

    for p in commands.choices.values():
        p.add_argument("--differences", action="store_true",
                       help="work on tests/differences/ instead of tests/cases/")

    args = parser.parse_args()
    if args.differences:
        global CASES_DIR
        CASES_DIR = TESTS_DIR / "differences"
    if args.command == "refresh":
        return refresh(args.kreplay, args.only, max(1, args.runs))
    if args.command == "add":
        return add(args.node, args.name, args.source_dir, args.what, args.source, args.seed,
                   args.kreplay, args.force)
    return check(args.condenser, args.only, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
