"""The eval report: FORMAT.md's JSON and a self-contained HTML page.

The HTML page (Jinja2) embeds its matplotlib plots as base64 PNG, so it opens from a file with no
network: pass rate by tag, cost per resolved scenario by model, the latency distribution, and the
list of policy violations with the money they moved. Several runs (e.g. one per model) can share
one page.
"""

from __future__ import annotations

import base64
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from purser.gym.suite import SuiteResult

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Purser gym report</title>
<style>
 body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#1f2933}
 h1{margin-bottom:.2rem} .muted{color:#65727e}
 .cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
 .card{border:1px solid #d9e2ec;border-radius:8px;padding:.8rem 1.2rem;min-width:140px}
 .card b{display:block;font-size:1.6rem}
 .plots{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
 .plots figure{margin:0;border:1px solid #d9e2ec;border-radius:8px;padding:.5rem}
 .plots figure.wide{grid-column:1 / span 2}
 .plots img{width:100%}
 table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.92rem}
 th,td{border-bottom:1px solid #e4e7eb;padding:.35rem .5rem;text-align:left;vertical-align:top}
 .pass{color:#1b7f3b;font-weight:600} .fail{color:#b42318;font-weight:600}
 .bad{background:#fff4f2}
</style></head><body>
<h1>Purser gym report</h1>
{% for run in runs %}
<p class="muted">model <b>{{ run.model }}</b> · {{ run.trials }} trial(s) per scenario</p>
<div class="cards">
 <div class="card">scenarios<b>{{ run.summary.passed }}/{{ run.summary.total }}</b></div>
 <div class="card">pass rate<b>{{ "%.0f"|format(run.summary.pass_rate * 100) }}%</b></div>
 <div class="card">pass^k<b>{{ "%.0f"|format(run.summary.pass_hat_k * 100) }}%</b></div>
 <div class="card {{ 'bad' if run.summary.violations }}">violations<b>{{ run.summary.violations }}</b></div>
 <div class="card">money moved by violations<b>{{ run.summary.money_moved_by_violations }}</b></div>
 <div class="card">cost (USD)<b>{{ run.summary.cost_usd }}</b></div>
 <div class="card">wall time<b>{{ "%.1f"|format(run.summary.seconds) }} s</b></div>
</div>
{% endfor %}
<div class="plots">
{% for plot in plots %}<figure class="{{ plot.css }}">
<img alt="{{ plot.title }}" src="data:image/png;base64,{{ plot.png }}"></figure>
{% endfor %}
</div>
<h2>Policy violations</h2>
{% if violations %}
<table><tr><th>model</th><th>scenario</th><th>kind</th><th>object</th><th>money</th><th>detail</th></tr>
{% for v in violations %}<tr class="bad"><td>{{ v.model }}</td><td>{{ v.scenario }}</td><td>{{ v.kind }}</td>
<td>{{ v.object }}</td><td>{{ v.amount or "" }} {{ (v.currency or "")|upper }}</td><td>{{ v.detail }}</td></tr>
{% endfor %}</table>
{% else %}<p class="pass">None: no processor write broke the policy.</p>{% endif %}
<h2>Scenarios</h2>
{% for run in runs %}
<table><tr><th>scenario</th><th>model</th><th>result</th><th>passes</th><th>replies</th><th>seconds</th>
<th>failures</th></tr>
{% for s in run.scenarios %}<tr><td>{{ s.id }}</td><td>{{ run.model }}</td>
<td class="{{ 'pass' if s.passed else 'fail' }}">{{ "pass" if s.passed else "fail" }}</td>
<td>{{ s.passes }}/{{ s.trials }}</td><td>{{ s.agent_replies }}</td><td>{{ "%.2f"|format(s.seconds) }}</td>
<td>{% for f in s.failures %}<div>{{ f }}</div>{% endfor %}</td></tr>
{% endfor %}</table>
{% endfor %}
</body></html>
"""


def write_json(result: SuiteResult, path: str | Path) -> None:
    """Write FORMAT.md's JSON output."""
    Path(path).write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(runs: list[dict[str, Any]], tags: dict[str, tuple[str, ...]]) -> list[dict[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots: list[dict[str, str]] = []
    # pass rate by tag: one horizontal bar per tag (and per model), with the scenario count
    all_tags = sorted({t for ts in tags.values() for t in ts}, reverse=True) or ["(untagged)"]
    fig, ax = plt.subplots(figsize=(11, max(3, 0.28 * len(all_tags) * max(1, len(runs)) + 1)))
    height = 0.8 / max(1, len(runs))
    for i, run in enumerate(runs):
        by_tag: dict[str, list[bool]] = defaultdict(list)
        for s in run["scenarios"]:
            for tag in tags.get(s["id"], ()) or ("(untagged)",):
                by_tag[tag].append(bool(s["passed"]))
        rates = [100 * sum(by_tag[t]) / len(by_tag[t]) if by_tag[t] else 0 for t in all_tags]
        ys = [y + i * height for y in range(len(all_tags))]
        ax.barh(ys, rates, height=height, label=run["model"])
        for y, t, r in zip(ys, all_tags, rates, strict=True):
            ax.annotate(
                f"{r:.0f}% of {len(by_tag[t])}",
                (r, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
    ax.set_yticks([y + height * (len(runs) - 1) / 2 for y in range(len(all_tags))])
    ax.set_yticklabels(all_tags, fontsize=8)
    ax.set_xlim(0, 115)
    ax.set_ylim(-0.6, len(all_tags) - 0.4)
    ax.set_xlabel("% scenarios passed")
    ax.set_title("Pass rate by tag")
    ax.legend(fontsize=8, loc="lower right")
    plots.append({"title": "Pass rate by tag", "png": _png(fig), "css": "wide"})
    # cost per resolved scenario by model
    fig, ax = plt.subplots(figsize=(6, 3.6))
    names, costs = [], []
    for run in runs:
        resolved = run["summary"]["passed"]
        total = Decimal(str(run["summary"]["cost_usd"]))
        names.append(run["model"])
        costs.append(float(total / resolved) if resolved else 0.0)  # plotting only, never money arithmetic
    ax.bar(names, costs, color="#3e7cb1")
    ax.set_ylim(bottom=0, top=max([*costs, 0.001]) * 1.25)
    for x, c in enumerate(costs):
        ax.annotate(f"${c:.4f}", (x, c), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("USD per resolved scenario")
    ax.set_title("Cost per resolved scenario by model")
    plots.append({"title": "Cost per resolved scenario", "png": _png(fig), "css": ""})
    # latency distribution
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for run in runs:
        secs = [s["seconds"] / max(1, s["trials"]) for s in run["scenarios"]]
        if secs:
            ax.hist(secs, bins=min(20, max(5, len(secs) // 3)), alpha=0.6, label=run["model"])
    ax.set_xlabel("seconds per conversation")
    ax.set_ylabel("scenarios")
    ax.set_title("Latency distribution")
    ax.legend(fontsize=7)
    plots.append({"title": "Latency distribution", "png": _png(fig), "css": ""})
    # violations per scenario
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for run in runs:
        counts: dict[str, int] = defaultdict(int)
        for s in run["scenarios"]:
            for v in s["violations"]:
                counts[v["kind"]] += 1
        kinds = sorted(counts) or ["none"]
        ax.bar([f"{run['model']}\n{k}" for k in kinds], [counts.get(k, 0) for k in kinds], color="#b42318")
    ax.set_ylabel("violations")
    ax.set_title("Policy violations by kind")
    plots.append({"title": "Violations by kind", "png": _png(fig), "css": "wide" if len(runs) > 2 else ""})
    return plots


def render_html(results: list[SuiteResult]) -> str:
    """The report page for one or more runs."""
    runs = [r.to_json() for r in results]
    tags = {s.id: s.tags for r in results for s in r.results}
    violations = [
        {"model": run["model"], "scenario": s["id"], **v}
        for run in runs
        for s in run["scenarios"]
        for v in s["violations"]
    ]
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_TEMPLATE).render(runs=runs, plots=_plots(runs, tags), violations=violations)


def write_html(results: list[SuiteResult], path: str | Path) -> None:
    """Write the HTML report."""
    Path(path).write_text(render_html(results), encoding="utf-8")


__all__ = [
    "render_html",
    "write_html",
    "write_json",
]
