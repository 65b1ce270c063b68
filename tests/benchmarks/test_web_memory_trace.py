"""`web_memory.py --trace-from`: the server traces its allocations on a signal and the report names
what grew between its snapshots (a tiny run; nothing here is timed or checked against a figure)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(tmp_path: Path, conversations: int, *flags: str) -> tuple[dict[str, Any], str]:
    """A tiny `web_memory.py` run with `flags`: its JSON summary and its printed report."""
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PURSER_DATABASE_URL", "BENCH_TRACE_DIR")}
    env["COLUMNS"] = "160"
    args = ["--conversations", str(conversations), "--every", "10", "--warmup", "10", "--customers", "4"]
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "web_memory.py"), *args, "--concurrency", "4", *flags,
         "--json", str(out), "--out", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    summary: dict[str, Any] = json.loads(out.read_text())["summary"]
    return summary, done.stdout


def test_a_traced_run_names_the_sites_that_grew(tmp_path: Path) -> None:
    summary, stdout = _run(tmp_path, 30, "--trace-from", "10")
    assert summary["errors"] == 0 and summary["conversations"] == 30
    traced = summary["traced"]
    assert traced["from"] == 10 and [n for n, _kib in traced["traced_kib"]] == [20, 30]
    assert all(kib > 0 for _n, kib in traced["traced_kib"])  # the server traced what it allocated
    assert traced["sites"] and all(" ← " in s["where"] or ":" in s["where"] for s in traced["sites"])
    assert "traced slope" in stdout


def test_a_census_run_reports_objects_caches_and_allocators(tmp_path: Path) -> None:
    summary, stdout = _run(tmp_path, 20, "--census")
    assert summary["errors"] == 0 and summary["conversations"] == 20
    assert summary["traced"] == {}  # a census only: no allocation snapshots
    census = summary["census"]
    assert (census["from"], census["to"]) == (10, 20)
    taken = census["censuses"]
    assert [c["conversations"] for c in taken] == [0, 10, 20]  # one before any conversation, one per sample
    first, last = taken[0], taken[-1]
    assert "error" not in last, last
    # The server warmed its model before it listened (the classifier was there at the first census),
    # and froze start-up's objects, which the census still counts.
    assert "purser.models.offline.classifier" in first["module_names"]
    assert first["gc_frozen_before"] > 100_000 and first["gc_objects"] > first["gc_frozen_before"]
    assert last["gc_objects"] > first["gc_objects"] > 0 and last["threads"] >= 1
    assert last["pymalloc"]["arenas"] > 0 and last["pymalloc"]["bytes_used"] > 0
    assert last["glibc"]["in_use_bytes"] > 0 and last["glibc"]["arenas"] >= 1
    assert last["rss_kib_by_mapping"]["files"] > 0 and last["rss_kib_by_mapping"]["malloc main heap"] > 0
    # The offline model's memo of normalized texts is found and its fill reported against its bound.
    assert last["caches"]["lru"]["purser.models.offline.normalize._normalize"][1] == 4096
    assert "pymalloc arenas" in stdout and "lru cache that filled or missed" in stdout
