"""Customer-turn latency on the offline model, and the wall time of `purser eval` (issue 4).

    .venv/bin/python benchmarks/turn_latency.py              # examples + public suite, in-process and purser eval
    .venv/bin/python benchmarks/turn_latency.py --no-eval --repeat 3
    .venv/bin/python benchmarks/turn_latency.py --profile prof.out --no-eval   # cProfile of the in-process runs
    .venv/bin/python benchmarks/turn_latency.py --conversation-turns 200        # long conversations only
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=turns.cg \
        .venv/bin/python benchmarks/turn_latency.py --no-eval --callgrind --limit 10 tests/gym/scenarios
    callgrind_annotate turns.cg | grep TOTALS                                     # instructions in the turns

In-process: every scenario of the shared gym examples and of the public suite runs once (after the
gym's own warm-up) in this process, sequentially, through `purser.gym.runner.run_scenario`, with
`Runtime.handle` and `Runtime.decide_approval` wrapped to time each customer turn: wall time
(`time.perf_counter`) and CPU time of the whole process (`time.process_time`, which includes the
runtime's event-loop thread). Prints median/p90/p99 per turn, apart for a conversation's first turn
(cold: a fresh world, nothing of the conversation cached) and the later ones (answers to
confirmations, follow-ups, approvals), and per scenario (one trial, world building, judging and
violation checks included).

Then `purser eval PATH --json FILE` runs as a subprocess for each path (its own process pool):
its `summary.seconds`, the subprocess's wall time and the CPU time of it and its workers.

`--conversation-turns N`: N customer turns in each of a few long conversations on one loaded world
(read-only questions and quotes, each a lookup then a reply), timed per turn with the CPU time of the
whole process; the first and the last tenth of the turns are reported apart, so a per-turn cost that
grows with the length of the history shows.

The machine is shared: the date, the command and the load average are printed with the figures, and
CPU time is the figure that depends least on the neighbours. On a loaded machine it still grows (caches
shared with the neighbours): `--callgrind`, under callgrind started with `--instr-atstart=no`, counts
instructions inside the timed turns only (instrumentation switched on and off around each with
`callgrind_control`, after one untimed pass over the same scenarios), a figure that does not depend on
the load at all; divide the program total by the turns printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT.parent / "shared" / "gym" / "examples"
SUITE = ROOT / "tests" / "gym" / "scenarios"


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def line(name: str, wall: list[float], cpu: list[float]) -> str:
    """One row: count, median/p90/p99 wall and CPU in milliseconds."""
    ms = [w * 1000 for w in wall]
    cms = [c * 1000 for c in cpu]
    return (
        f"{name:<26} n={len(ms):<4} wall ms  median {statistics.median(ms):7.1f}  p90 {pct(ms, 90):7.1f}  "
        f"p99 {pct(ms, 99):7.1f} | cpu ms  median {statistics.median(cms):7.1f}  p90 {pct(cms, 90):7.1f}  "
        f"p99 {pct(cms, 99):7.1f}"
    )


def cpu_line(name: str, cpu: list[float]) -> str:
    """One row of CPU time only: count, median/p90/p99 in milliseconds."""
    cms = [c * 1000 for c in cpu]
    return (
        f"{name:<26} n={len(cms):<5} cpu ms  median {statistics.median(cms):7.2f}  p90 {pct(cms, 90):7.2f}  "
        f"p99 {pct(cms, 99):7.2f}"
    )


def callgrind(switch: str) -> None:
    """Switch callgrind's instrumentation of this process on or off (it runs under callgrind)."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True, stdout=subprocess.DEVNULL)


class TurnTimer:
    """Wraps `Runtime.handle` / `decide_approval` to record (wall, cpu) per call, and which calls were
    a conversation's first turn (a cold conversation: nothing of it cached in the process yet)."""

    def __init__(self, *, instructions: bool = False) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.first: list[bool] = []
        self.passes: list[int] = []
        self.current_pass = 1
        """The pass over the scenarios a call belongs to (1: its messages are new to the process; later
        passes repeat the same texts, which the offline model's bounded per-text memos may remember)."""
        self._seen: set[str] = set()
        self.instructions = instructions
        """Switch callgrind's instrumentation on for the duration of each turn."""

    def install(self) -> None:
        """Patch the runtime's sync entry points."""
        from purser.agent.runtime import Runtime

        for name in ("handle", "decide_approval"):
            original = getattr(Runtime, name)
            setattr(Runtime, name, self._wrap(original))

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            key = str(args[1]) if fn.__name__ == "handle" and len(args) > 1 else None
            if self.instructions:
                callgrind("on")
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                if self.instructions:
                    callgrind("off")
                self.cpu.append(time.process_time() - c0)
                self.wall.append(time.perf_counter() - w0)
                self.first.append(key is not None and key not in self._seen)
                self.passes.append(self.current_pass)
                if key is not None:
                    self._seen.add(key)

        return timed


def in_process(
    paths: list[Path], repeat: int, profile: str | None, *, instructions: bool = False, limit: int = 0
) -> None:
    """Run every scenario of `paths` sequentially in this process and print turn/scenario figures
    (`limit`: only the first so many scenarios of each path; `instructions`: see `--callgrind`)."""
    from purser.gym.loader import load_paths
    from purser.gym.runner import RunOptions, run_scenario
    from purser.gym.suite import warm_up
    from purser.heap import settle

    options = RunOptions(model="offline")
    t0, c0 = time.perf_counter(), time.process_time()
    warm_up(options)
    settle()  # what `purser serve` and `purser eval`'s workers do after their warm-up
    print(
        f"warm-up (imports, knowledge base, first exchange): wall {time.perf_counter() - t0:.2f} s, "
        f"cpu {time.process_time() - c0:.2f} s"
    )
    if instructions:  # one untimed pass: statement caches, classifier, lazy imports
        for path in paths:
            for sc in load_paths([path])[: limit or None]:
                run_scenario(sc, options)
    timer = TurnTimer(instructions=instructions)
    timer.install()
    profilers = start_profiling() if profile else None
    profiler = profilers[0] if profilers else None
    for path in paths:
        scenarios = load_paths([path])[: limit or None]
        sc_wall: list[float] = []
        sc_cpu: list[float] = []
        turns_before = len(timer.wall)
        failed: list[str] = []
        t_all = time.perf_counter()
        for n in range(repeat):
            timer.current_pass = n + 1
            for sc in scenarios:
                w0, c0 = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                result = run_scenario(sc, options)
                if profiler:
                    profiler.disable()
                sc_cpu.append(time.process_time() - c0)
                sc_wall.append(time.perf_counter() - w0)
                if not result.passed or result.violations:
                    failed.append(sc.id)
        total = time.perf_counter() - t_all
        label = path.name
        print(
            f"\n{label}: {len(scenarios)} scenarios x {repeat}, sequential wall {total:.2f} s"
            f"{'' if not failed else f', NOT PASSED: {sorted(set(failed))}'}"
        )
        print(line("  per customer turn", timer.wall[turns_before:], timer.cpu[turns_before:]))
        turns = range(turns_before, len(timer.wall))
        for label, first in (("  first of a conversation", True), ("  later turns", False)):
            picked = [i for i in turns if timer.first[i] is first]
            if picked:
                print(line(label, [timer.wall[i] for i in picked], [timer.cpu[i] for i in picked]))
        if repeat > 1:
            for label, later in (("  pass 1 (messages new)", False), ("  passes 2+ (seen before)", True)):
                picked = [i for i in turns if (timer.passes[i] > 1) is later]
                print(line(label, [timer.wall[i] for i in picked], [timer.cpu[i] for i in picked]))
        print(line("  per scenario (trial)", sc_wall, sc_cpu))
    if profilers and profile:
        dump_profile(profilers, profile)


def start_profiling() -> tuple[Any, Any]:
    """(profiler for this thread, not yet enabled; profiler enabled on the runtime's event-loop thread)."""
    import cProfile

    from purser.agent.live import loop_runner

    # The runtime's turns run on its own event-loop thread, which a profiler enabled here
    # would not see: a second profiler is enabled on that thread and merged at the end.
    loop_profiler = cProfile.Profile()
    loop_runner().loop.call_soon_threadsafe(loop_profiler.enable)
    return cProfile.Profile(), loop_profiler


def dump_profile(profilers: tuple[Any, Any], path: str) -> None:
    """Stop the event-loop thread's profiler and write both profiles, merged, to `path`."""
    import pstats

    from purser.agent.live import loop_runner

    profiler, loop_profiler = profilers
    loop_runner().loop.call_soon_threadsafe(loop_profiler.disable)
    time.sleep(0.1)
    stats = pstats.Stats(profiler)
    stats.add(loop_profiler)
    stats.dump_stats(path)
    print(f"\nprofile written to {path}")


CONVERSATION_TEXTS = (
    "When is my next invoice and how much will it be?",
    "What plan am I on?",
    "How much would it cost to upgrade to Business?",
    "What card do you have on file?",
)
"""Questions that read the account and quote, never write: a conversation can go on for ever."""


def long_conversations(scenario_file: Path, turns: int, conversations: int, profile: str | None = None) -> None:
    """`turns` customer turns in each of `conversations` conversations on one world; per-turn CPU
    (with `profile`, a cProfile of the measured turns is written there)."""
    from purser.agent.events import CustomerMessage
    from purser.app import build_for_world
    from purser.gym.loader import load_paths

    sc = load_paths([scenario_file])[0]
    container = build_for_world(sc.world, sc.now)
    runtime = container.runtime
    warm = runtime.start(sc.customer, sc.channel)
    for text in CONVERSATION_TEXTS:  # imports, classifier, statement caches
        runtime.handle(warm, CustomerMessage(text=text))
    cpu: list[list[float]] = []
    profilers = start_profiling() if profile else None
    if profilers:
        profilers[0].enable()
    for _ in range(conversations):
        cid = runtime.start(sc.customer, sc.channel)
        times: list[float] = []
        for i in range(turns):
            event = CustomerMessage(text=CONVERSATION_TEXTS[i % len(CONVERSATION_TEXTS)])
            c0 = time.process_time()
            runtime.handle(cid, event)
            times.append(time.process_time() - c0)
        cpu.append(times)
    if profilers and profile:
        profilers[0].disable()
        dump_profile(profilers, profile)
    tenth = max(1, turns // 10)
    every = [t for times in cpu for t in times]
    first = [t for times in cpu for t in times[:tenth]]
    last = [t for times in cpu for t in times[-tenth:]]
    print(f"\nlong conversations on {scenario_file.name}: {conversations} x {turns} customer turns")
    print(cpu_line("  every turn", every))
    print(cpu_line("  first tenth", first))
    print(cpu_line("  last tenth", last))
    container.close()


def via_eval(paths: list[Path]) -> None:
    """`purser eval PATH --json FILE` as a subprocess: summary seconds, wall and CPU (with workers)."""
    exe = str(ROOT / ".venv" / "bin" / "purser")
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "r.json"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            w0 = time.perf_counter()
            proc = subprocess.run(
                [exe, "eval", str(path), "--model", "offline", "--json", str(out)],
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - w0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if proc.returncode != 0 or not out.exists():
                print(f"purser eval {path}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
                continue
            data = json.loads(out.read_text())
            s = data["summary"]
            secs = [sc["seconds"] for sc in data["scenarios"]]
            print(
                f"purser eval {path.name}: {s['passed']}/{s['total']} passed, {s['violations']} violations; "
                f"summary.seconds {s['seconds']:.2f}; process wall {wall:.2f} s, cpu (all processes) {cpu:.2f} s; "
                f"per-scenario seconds median {statistics.median(secs):.3f} p90 {pct(secs, 90):.3f}"
            )


def main() -> None:
    """Parse arguments, print the machine line, run the measurements."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, default=[EXAMPLES, SUITE])
    ap.add_argument("--repeat", type=int, default=1, help="in-process passes over each path")
    ap.add_argument("--no-eval", action="store_true", help="skip the `purser eval` subprocess runs")
    ap.add_argument("--no-inprocess", action="store_true", help="only the `purser eval` subprocess runs")
    ap.add_argument("--profile", help="write a cProfile of the in-process (or long-conversation) runs here")
    ap.add_argument(
        "--callgrind",
        action="store_true",
        help="under callgrind (--instr-atstart=no): instrument only the timed turns",
    )
    ap.add_argument("--limit", type=int, default=0, metavar="N", help="only the first N scenarios of each path")
    ap.add_argument(
        "--conversation-turns",
        type=int,
        default=0,
        metavar="N",
        help="only: N turns in each of a few long conversations",
    )
    ap.add_argument(
        "--conversations", type=int, default=3, help="how many long conversations (with --conversation-turns)"
    )
    ap.add_argument(
        "--scenario", type=Path, default=SUITE / "attack-amount-inflation.yaml", help="world of the long conversations"
    )
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; command: {' '.join(sys.argv)}")
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    _print_host_speed(args.callgrind, "")
    from _speed import SpeedProbe, describe_probe

    probe = SpeedProbe().start() if not args.callgrind else None
    if args.conversation_turns > 0:
        long_conversations(args.scenario, args.conversation_turns, max(1, args.conversations), args.profile)
    else:
        if not args.no_inprocess:
            in_process(args.paths, max(1, args.repeat), args.profile, instructions=args.callgrind, limit=args.limit)
        if not args.no_eval:
            print()
            via_eval(args.paths)
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    _print_host_speed(args.callgrind, " at the end")
    if probe is not None:
        during = describe_probe(probe.stop()).removeprefix("; ")
        print(f"host {during or 'during the run: no samples'}")
    sys.stdout.flush()


def _print_host_speed(under_callgrind: bool, when: str) -> None:
    """The host's speed now (`_speed.calibrate`), beside the load average; not under callgrind."""
    if not under_callgrind:
        from _speed import CALIBRATION_NOTE, calibrate

        print(f"host{when}: calibration {calibrate():.1f} ms CPU ({CALIBRATION_NOTE})")


if __name__ == "__main__":
    main()
