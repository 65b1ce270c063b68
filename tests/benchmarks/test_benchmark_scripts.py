"""Smoke tests of the benchmark scripts: each runs end to end at tiny size (`--quick`), so none can rot.

Nothing here is timed: the scripts' figures are not checked, only that they run against the real
`purser` command, answer every request and write their JSON and plots.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _module(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # the scripts import their shared `_harness` and `_load`
    return importlib.import_module(name)


def _run(script: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if k != "PURSER_DATABASE_URL"}
    env["COLUMNS"] = "120"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--json", str(out), *extra],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "| ---" in done.stdout  # the markdown table was printed
    assert "load average" in done.stdout
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["meta"]["command"].endswith(f"{script} --quick --json {out}" + "".join(f" {e}" for e in extra))
    assert data["meta"]["calibration_ms"] > 0 and data["meta"]["calibration_ms_end"] > 0  # the host's speed
    assert data["meta"]["calibration_during"]["samples"] >= 1  # and the probe's samples during the run
    return data


def test_web_turns_quick(tmp_path: Path) -> None:
    data = _run("web_turns.py", tmp_path, "--out", str(tmp_path))
    rows = data["rows"]
    assert [r["concurrency"] for r in rows] == [1, 2]
    for row in rows:
        assert row["turns"] > 0 and row["errors"] == 0, row["error_kinds"]
        assert row["server_cpu_s"] > 0 and row["server_cpu_ms_per_turn"] > 0
    assert (tmp_path / "web_turns.png").stat().st_size > 1000


def test_web_memory_quick(tmp_path: Path) -> None:
    data = _run("web_memory.py", tmp_path, "--out", str(tmp_path))
    assert data["summary"]["errors"] == 0 and data["summary"]["conversations"] == 20
    assert [s["conversations"] for s in data["samples"]] == [0, 10, 20]
    assert all(s["rss_kib"] > 10_000 for s in data["samples"])
    assert (tmp_path / "web_memory.png").stat().st_size > 1000


def test_cli_start_quick(tmp_path: Path) -> None:
    data = _run("cli_start.py", tmp_path)
    assert [r["command"] for r in data["rows"]] == ["python -c pass", "purser --help", "purser customer list"]
    assert all(r["cpu_ms"]["median"] > 0 for r in data["rows"])


def test_dunning_quick(tmp_path: Path) -> None:
    data = _run("dunning.py", tmp_path, "--out", str(tmp_path))
    summary = dict(data["summary"])
    assert summary["customers"] == 100 and summary["cases"] == 100
    assert sum(int(row[1]) for row in data["per_behaviour"]) == 100
    assert (tmp_path / "dunning.png").stat().st_size > 1000


@pytest.mark.postgres
def test_web_processes_quick(tmp_path: Path) -> None:
    data = _run("web_processes.py", tmp_path)
    assert [r["processes"] for r in data["rows"]] == [1, 2]
    for row in data["rows"]:
        assert row["turns"] > 0 and row["errors"] == 0, (row["processes"], row["turns"], row["error_kinds"])
    assert data["ratios"]["cpu_normalized_ratio"] > 0


def test_memory_slope_is_least_squares_after_warmup() -> None:
    memory = _module("web_memory")
    samples = [(0, 100), (500, 900), (1000, 1000), (1500, 1050), (2000, 1100)]
    assert memory.slope_kib_per_1000(samples, 1000) == pytest.approx(100.0)
    assert memory.slope_kib_per_1000(samples[:2], 1000) != memory.slope_kib_per_1000(samples[:2], 1000)  # NaN


def test_percentile_table_and_process_cpu() -> None:
    harness = _module("_harness")
    assert harness.percentile([5, 1, 3, 2, 4], 50) == 3
    assert harness.percentile(list(range(1, 101)), 99) == 99
    table = harness.markdown_table(["what", "ms"], [["turn", 4.25], ["lookup", 1234.0]])
    assert table.splitlines()[1] == "| --- | ---: |" and "| lookup | 1,234 |" in table
    assert harness.tree_cpu_seconds(os.getpid()) > 0
    assert os.getpid() in harness.process_tree(os.getpid())
    assert harness.rss_kib(os.getpid()) > 1000


def test_calibration_times_a_fixed_piece_of_work() -> None:
    speed = _module("_speed")
    first, second = speed.calibrate(tries=2), speed.calibrate(tries=2)
    assert 0 < first < 5_000 and 0 < second < 5_000  # CPU milliseconds, not seconds or nanoseconds


def test_the_speed_probe_samples_until_stopped_and_leaves_nothing_running() -> None:
    speed = _module("_speed")
    probe = speed.SpeedProbe(every=0.2).start()
    time.sleep(2.0)  # the subprocess starts, then times the work every 0.2 s
    process = probe._process
    during = probe.stop()
    assert during["samples"] >= 1 and 0 < during["min_ms"] <= during["median_ms"] <= during["max_ms"]
    assert process.poll() is not None and probe.stop() == {}  # stopped, and a second stop is empty
    assert speed.describe_probe(during).startswith("; during the run: median")
    assert speed.describe_probe({}) == ""
