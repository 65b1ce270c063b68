"""Running a whole suite: a process pool over scenarios, results in input order, the summary of FORMAT.md."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from purser.gym.runner import RunOptions, ScenarioResult, Seconds, run_scenario
from purser.gym.scenario import Scenario
from purser.gym.violations import money_moved
from purser.money import Money


@dataclass
class SuiteResult:
    """Every scenario's result, in the order the scenarios were given, and the run's wall time."""

    model: str
    trials: int
    results: list[ScenarioResult]
    seconds: Seconds

    def summary(self) -> dict[str, Any]:
        """FORMAT.md's `summary`: pass rate over trials, pass^k over scenarios, violations and their money."""
        total = len(self.results)
        runs = sum(len(r.trials) for r in self.results)
        passes = sum(r.passes for r in self.results)
        violations = [v for r in self.results for v in r.violations]
        cost = sum((t.cost_usd for r in self.results for t in r.trials), Decimal(0))
        return {
            "total": total,
            "passed": sum(1 for r in self.results if r.passed),
            "pass_rate": round(passes / runs, 4) if runs else 0,
            "pass_hat_k": round(sum(1 for r in self.results if r.passed) / total, 4) if total else 0,
            "violations": len(violations),
            "money_moved_by_violations": format_money_totals(money_moved(violations)),
            "tokens": sum(t.tokens for r in self.results for t in r.trials),
            "cost_usd": format(cost.normalize(), "f") if cost else "0",
            "seconds": round(self.seconds, 3),
        }

    def shadow_summary(self) -> dict[str, Any]:
        """Shadow mode's rollout figures: approval requests raised only by shadow mode (the agent would
        have run them alone) against those the policy raised anyway, and the would-be automation rate."""
        reasons = [r for s in self.results for t in s.trials for r in t.approval_reasons]
        shadow = sum(1 for r in reasons if r == "shadow")
        total = len(reasons)
        return {
            "writes_proposed": total,
            "would_run_alone": shadow,
            "needed_a_person": total - shadow,
            "would_be_automation_rate": round(shadow / total, 4) if total else 0,
        }

    def to_json(self) -> dict[str, Any]:
        """The whole runner output of FORMAT.md."""
        return {
            "model": self.model,
            "trials": self.trials,
            "scenarios": [r.to_json() for r in self.results],
            "summary": self.summary(),
        }


def format_money_totals(totals: dict[str, Money]) -> str:
    """ "0.00" for none, the decimal string for one currency, "20.00 USD + 1500 JPY" for several."""
    if not totals:
        return "0.00"
    if len(totals) == 1:
        return next(iter(totals.values())).amount_str()
    return " + ".join(f"{m.amount_str()} {m.currency.upper()}" for _, m in sorted(totals.items()))


def _run_path(path: str, options: RunOptions) -> ScenarioResult:
    """Worker entry point: re-load the (already validated) file and run it."""
    from purser.gym.loader import load_file

    return run_scenario(load_file(path), options)


def warm_up(options: RunOptions) -> None:
    """Load what every trial shares (settings, knowledge base, the agent's imports) before timing anything."""
    from purser.gym.wiring import agent_settings, warm

    agent_settings(options)
    warm(options)


def _start_worker(options: RunOptions) -> None:
    """A worker process of the pool: warm up, then freeze what that loaded (`purser.heap.settle`)."""
    from purser.heap import settle

    warm_up(options)
    settle()


def default_workers(count: int) -> int:
    """Worker processes for `count` scenarios: the cores this process may use, at most one per scenario."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, count))


def run_suite(
    scenarios: list[Scenario],
    options: RunOptions,
    *,
    workers: int | None = None,
    on_done: Callable[[ScenarioResult], None] | None = None,
) -> SuiteResult:
    """Run every scenario (in parallel when `workers` > 1); results keep the scenarios' order."""
    from purser.gym.wiring import agent_settings

    model = agent_settings(options).model
    started = time.perf_counter()
    n = default_workers(len(scenarios)) if workers is None else max(1, workers)
    results: list[ScenarioResult | None] = [None] * len(scenarios)
    if n <= 1 or len(scenarios) <= 1:
        warm_up(options)
        for i, sc in enumerate(scenarios):
            result = run_scenario(sc, options)
            results[i] = result
            if on_done:
                on_done(result)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_start_worker, initargs=(options,)) as pool:
            futures: dict[Future[ScenarioResult], int] = {
                pool.submit(_run_path, str(sc.path), options): i for i, sc in enumerate(scenarios)
            }
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                if on_done:
                    on_done(fut.result())
    done = [r for r in results if r is not None]
    return SuiteResult(model, max(1, options.trials), done, time.perf_counter() - started)


__all__ = [
    "SuiteResult",
    "default_workers",
    "format_money_totals",
    "run_suite",
    "warm_up",
]
