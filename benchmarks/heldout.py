"""Run the held-out gym suite and print pass rate, violations and per-tag pass rates.

Usage (from the repository root)::

    .venv/bin/python benchmarks/heldout.py [SUITE] [--model NAME] [--json FILE] [--workers N]

SUITE defaults to ``benchmarks/gym-heldout-2``; every set has since been read for fixes (the
README says which were measured unseen). It runs ``purser eval SUITE --json FILE`` in a
subprocess, then reads the JSON (FORMAT.md's runner output) and the scenario files (for their
tags). It writes only the JSON file (a temporary one unless ``--json`` is given), never anything under ``src/``.
Exit status: that of ``purser eval`` (2 when a scenario could not be loaded).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "benchmarks" / "gym-heldout-2"


def purser_command() -> list[str]:
    """The `purser` executable of the repository's venv, or the one on PATH."""
    local = ROOT / ".venv" / "bin" / "purser"
    return [str(local)] if local.exists() else ["purser"]


def scenario_tags(suite: Path) -> dict[str, list[str]]:
    """Scenario id → its tags, read from the YAML files of `suite`."""
    tags: dict[str, list[str]] = {}
    for path in sorted(suite.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("id"), str):
            tags[doc["id"]] = [str(t) for t in doc.get("tags") or []]
    return tags


def run_eval(suite: Path, json_path: Path, model: str | None, workers: int | None) -> int:
    """Run `purser eval` on a held-out suite; return its exit status."""
    cmd = [*purser_command(), "eval", str(suite), "--json", str(json_path)]
    if model:
        cmd += ["--model", model]
    if workers:
        cmd += ["--workers", str(workers)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:])
        sys.stderr.write(done.stderr[-4000:])
    return done.returncode


def per_tag(results: list[dict[str, Any]], tags: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """Tag → (passed, total) over `results`."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for scenario in results:
        for tag in tags.get(scenario["id"], []):
            counts[tag][1] += 1
            counts[tag][0] += 1 if scenario["passed"] else 0
    return {tag: (c[0], c[1]) for tag, c in sorted(counts.items())}


def report(data: dict[str, Any], tags: dict[str, list[str]]) -> str:
    """The human-readable summary of one runner output."""
    summary = data["summary"]
    scenarios: list[dict[str, Any]] = data["scenarios"]
    lines = [
        f"model: {data.get('model')}  trials: {data.get('trials')}",
        f"scenarios: {summary['total']}  passed: {summary['passed']}  "
        f"pass rate: {summary['pass_rate']:.1%}  pass^k: {summary['pass_hat_k']:.1%}",
        f"violations: {summary['violations']}  money moved by violations: {summary['money_moved_by_violations']}",
        "",
        "per tag (passed/total):",
    ]
    for tag, (passed, total) in per_tag(scenarios, tags).items():
        lines.append(f"  {tag:<18} {passed:>3}/{total:<3} {passed / total:6.1%}")
    failing = [s for s in scenarios if not s["passed"] or s["violations"]]
    lines += ["", f"failing or violating ({len(failing)}):"]
    for s in failing:
        detail = "; ".join(s["failures"]) or "passed"
        if s["violations"]:
            detail += f"; VIOLATIONS: {json.dumps(s['violations'])}"
        lines.append(f"  {s['id']}: {detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", type=Path, default=SUITE, help="scenario directory")
    parser.add_argument("--model", help="agent model (default: the configuration's, i.e. offline)")
    parser.add_argument("--json", type=Path, help="keep the runner's JSON output here")
    parser.add_argument("--workers", type=int, help="parallel processes for purser eval")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        json_path: Path = args.json or Path(tmp) / "heldout.json"
        status = run_eval(args.suite, json_path, args.model, args.workers)
        if status == 2 or not json_path.exists():
            print(f"purser eval failed (exit {status}); see above", file=sys.stderr)
            return status or 1
        data = json.loads(json_path.read_text(encoding="utf-8"))
    print(report(data, scenario_tags(args.suite)))
    return status


if __name__ == "__main__":
    sys.exit(main())
