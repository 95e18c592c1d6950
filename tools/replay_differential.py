#!/usr/bin/env python3
"""Differential test of `condenser test` against Kapacitor's replay (`kreplay`).

Generates stream recordings (many series, one write closing many windows, fields missing
from some points, integers and floats, measurements whose points differ in schema) and
scripts (window shapes × InfluxQL functions × groupings), replays each with both, and prints
every script whose httpOut results differ. Numbers are compared as numbers (relative
tolerance 1e-9): Go writes the float 5.0 as `5`, Condenser as `5.0`. A development tool,
not part of CI.

usage: tools/replay_differential.py KREPLAY CONDENSER [--seed S] [--keep DIR]
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

WINDOWS = {
    "tumbling": "window().period(10s).every(10s).align()",
    "sliding": "window().period(10s).every(5s)",
    "hopping": "window().period(20s).every(3s).align()",
}
FUNCTIONS = ["sum", "count", "mean", "max", "min", "first", "last", "spread", "median"]
GROUPINGS = {
    "host": ".groupBy('host')",
    "star": ".groupBy(*)",
    "by_measurement": ".groupByMeasurement().groupBy('host')",
    "none": "",
}


def recording(rng: random.Random) -> str:
    """60 s of points of 30 hosts in two measurements with different fields."""
    records = []
    for second in range(60):
        for host in range(30):
            if rng.random() < 0.15:
                continue
            measurement = "cpu" if host % 4 else "mem"
            fields = []
            if rng.random() < 0.8:
                fields.append(f"f={rng.uniform(-50, 50):.6f}")
            if rng.random() < 0.8:
                fields.append(f"i={rng.randint(-1000, 1000)}i")
            if measurement == "mem" and rng.random() < 0.5:
                fields.append("x=1")
            if not fields:
                fields.append("g=1")
            line = f"{measurement},host=h{host:02d},dc=d{host % 3} {','.join(fields)} {31536000 + second}"
            records.append(f"dbname\nrpname\n{line}")
    return "\n".join(records) + "\n"


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


def series(result: dict) -> list:
    return sorted(
        result.get("series") or [],
        key=lambda s: (s.get("name", ""), json.dumps(s.get("tags"), sort_keys=True)),
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kreplay")
    parser.add_argument("condenser")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="write the recording and scripts here")
    args = parser.parse_args()
    directory = Path(args.keep or tempfile.mkdtemp(prefix="replay-differential-"))
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "data.srpl"
    data.write_text(recording(random.Random(args.seed)))
    env = dict(os.environ, TZ="UTC")
    differ = total = 0
    for window_name, window in WINDOWS.items():
        for function in FUNCTIONS:
            for field in ["f", "i"]:
                for grouping_name, grouping in GROUPINGS.items():
                    name = f"{window_name}_{function}_{field}_{grouping_name}"
                    script = directory / f"{name}.tick"
                    script.write_text(
                        f"stream\n\t|from(){grouping}\n\t|{window}\n\t|{function}('{field}')\n"
                        "\t|httpOut('out')\n"
                    )
                    common = [str(script), "--data", str(data), "--type", "stream",
                              "--duration", "70s", "--http-out", "out"]
                    results = []
                    for command in ([args.kreplay], [args.condenser, "test"]):
                        run = subprocess.run(command + common, capture_output=True, text=True,
                                             env=env)
                        try:
                            results.append(json.loads(run.stdout))
                        except json.JSONDecodeError:
                            results.append({"error": run.stderr.strip()[-300:]})
                    total += 1
                    kapacitor, condenser = results
                    if "error" in kapacitor or "error" in condenser:
                        if kapacitor != condenser:
                            differ += 1
                            print(f"{name}: kapacitor {kapacitor} condenser {condenser}")
                    elif not same(series(kapacitor), series(condenser)):
                        differ += 1
                        print(f"{name}:\n  kapacitor {json.dumps(series(kapacitor))[:400]}\n"
                              f"  condenser {json.dumps(series(condenser))[:400]}")
    print(f"{total - differ}/{total} scripts agree ({directory})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
