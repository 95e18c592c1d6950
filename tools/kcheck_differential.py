#!/usr/bin/env python3
"""Differential test of `condenser check` against Kapacitor's own define-time checker.

Generates mutants of the corpus scripts (planner/tests/scripts/corpus), asks Kapacitor
(`kcheck`, built by ../shared/kapacitor-oracle/build.sh) and Condenser whether each is valid,
and prints every script on which they disagree. A development tool, not part of CI: the
project's own tests keep what it found as files under planner/tests/scripts/.

usage: tools/kcheck_differential.py KCHECK CONDENSER [--mutants-per-script N] [--seed S]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "planner/tests/scripts/corpus"
TOKENS = [")", "(", "|", ".", "=", "lambda:", "*", "[", "]", ",", "10x", "AND", "'a'",
          '"a"', "-", "!", "1.5", "10s", "TRUE", "x", "@f()", "|window()", ".period(10s)",
          "'''", "//", "==", "=~", "/a/", "var y = 1\n", "0", "08", ";", "&&", "\u00a0"]


def mutate(text: str, rng: random.Random, words: list) -> str:
    kind = rng.randrange(11)
    if kind == 0 and text:
        i = rng.randrange(len(text))
        return text[:i] + text[i + 1:]
    lines = text.split("\n")
    if kind == 1:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "\n".join(lines)
    if kind == 2:
        names = list(re.finditer(r"(?<=[.|])[A-Za-z]+", text))
        if names:
            m = rng.choice(names)
            return text[:m.start()] + rng.choice(words) + text[m.end():]
    if kind == 3:
        durs = list(re.finditer(r"\b\d+(ms|s|m|h|d|w|u)\b", text))
        if durs:
            m = rng.choice(durs)
            return text[:m.start()] + re.sub(r"[a-z]+$", "", m.group()) + text[m.end():]
    if kind == 4:
        quotes = [i for i, c in enumerate(text) if c == "'"]
        if quotes:
            i = rng.choice(quotes)
            return text[:i] + '"' + text[i + 1:]
    if kind == 5:
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice(TOKENS) + text[i:]
    if kind == 6 and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines)
    if kind == 7 and len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    if kind == 8:
        names = list(re.finditer(r"(?<=[.|])[a-z]", text))
        if names:
            m = rng.choice(names)
            return text[:m.start()] + m.group().upper() + text[m.end():]
    if kind == 9:
        return text.replace("stream", "batch") if "stream" in text else text.replace("batch", "stream")
    nums = list(re.finditer(r"\b\d+(\.\d+)?\b", text))
    if nums:
        m = rng.choice(nums)
        other = m.group().split(".")[0] if "." in m.group() else m.group() + ".0"
        return text[:m.start()] + other + text[m.end():]
    return text + "\n" + rng.choice(TOKENS)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kcheck")
    parser.add_argument("condenser")
    parser.add_argument("--mutants-per-script", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    scripts = sorted(CORPUS.glob("*.tick"))
    words = sorted({w for s in scripts for w in re.findall(r"(?<=[.|])[A-Za-z]+", s.read_text())})
    disagreements = 0
    total = 0
    accepted = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = {"stream": [], "batch": []}
        for script in scripts:
            kind = "batch" if script.name.endswith(".batch.tick") else "stream"
            text = script.read_text()
            for n in range(args.mutants_per_script):
                mutant = text
                for _ in range(rng.randrange(1, 3)):
                    mutant = mutate(mutant, rng, words)
                path = Path(tmp) / f"{script.stem}.m{n}.tick"
                path.write_text(mutant)
                files[kind].append(path)
        for kind, paths in files.items():
            if not paths:
                continue
            out = subprocess.run([args.kcheck, kind, *map(str, paths)], capture_output=True,
                                 text=True, env={**os.environ, "TZ": "UTC"}).stdout
            verdicts = {}
            for line in out.splitlines():
                v = json.loads(line)
                verdicts[v["file"]] = v.get("error")
            for path in paths:
                total += 1
                ours = subprocess.run([args.condenser, "check", "--type", kind, str(path)],
                                      capture_output=True, text=True)
                theirs = verdicts.get(str(path), "no verdict")
                accepted += theirs is None
                if (ours.returncode == 0) != (theirs is None):
                    disagreements += 1
                    print(f"=== {path.name} ({kind}): kapacitor "
                          f"{'accepts' if theirs is None else 'rejects: ' + theirs}; condenser "
                          f"{'accepts' if ours.returncode == 0 else 'rejects'}")
                    print(ours.stderr.strip())
                    print("--- script\n" + path.read_text())
    print(f"{disagreements} disagreements in {total} mutants ({accepted} valid for Kapacitor)")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
