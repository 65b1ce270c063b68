"""Dunning through a month: 1,000 customers whose December renewal fails, with a mix of behaviours.

    .venv/bin/python benchmarks/dunning.py                        # 1,000 customers, plot and JSON in results/
    .venv/bin/python benchmarks/dunning.py --quick                # 100 customers (smoke test)

The sandbox runs on a fresh SQLite file with the default `policy.dunning` (outreach on days 0, 3, 7;
retries on days 3, 7, 14 moved by decline reason; handoff after the last step). Every customer's card
fails at the renewal; what they do afterwards is the behaviour mix below (days counted from the
morning after their failure). A customer "updates the card" exactly as on the page: the `/pay` link of their latest
dunning email is submitted with a `test_card` behaviour (`PaymentUpdate.submit`, the POST's code path).
The month is run with `purser sandbox advance`'s loop (`purser.dunning.clock.advance`), one day at a
time: renewals, failures, events, and each due dunning action at its own instant.

Reported: the recovery rate, emails sent per recovered case, recovered revenue, outcomes per behaviour,
and the CPU time (`time.process_time`, this process; the machine is shared) of the advances: dunning
actions per CPU second. The date, command and load average are printed with the figures.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _harness import RESULTS, bench_parser, console, markdown_table, print_markdown, run_header, write_json
from sqlalchemy import func, select

from purser.app import build_dunning
from purser.config import Settings
from purser.domain import CustomerId, PaymentBehavior
from purser.dunning.cases import CaseStatus
from purser.dunning.clock import advance
from purser.dunning.payment import PaymentUpdate
from purser.dunning.stats import dunning_stats
from purser.errors import PurserError
from purser.processors.sandbox import SandboxProcessor
from purser.store import Database
from purser.store.dunning_tables import dn_steps
from purser.testing.dunning import PRO, START, add_failing_customer

PUBLIC_URL = "https://billing.example.test"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/pay/(\S+)")
NOW = datetime(2026, 11, 30, tzinfo=UTC)
DAYS = 31
COUNTRIES = ("US", "GB", "DE", "FR", "JP", "AU", "BR", "CA")


@dataclass(frozen=True)
class Behaviour:
    """A kind of customer: the card that fails, and what they do on which day (after `now`)."""

    name: str
    share: int
    """Percent of the customers."""
    card: PaymentBehavior
    expired: bool = False
    updates: tuple[tuple[int, str], ...] = ()
    """(day, test_card) submitted on the payment page, `day` days after the morning after the failure."""


MIX = (
    Behaviour("ignores", 30, PaymentBehavior.DECLINES),
    Behaviour("funds short, ignores", 10, PaymentBehavior.INSUFFICIENT_FUNDS),
    Behaviour("updates at once", 20, PaymentBehavior.DECLINES, updates=((2, "succeeds"),)),
    Behaviour(
        "expired, updates after a reminder", 15, PaymentBehavior.SUCCEEDS, expired=True, updates=((9, "succeeds"),)
    ),
    Behaviour("funds short, updates", 10, PaymentBehavior.INSUFFICIENT_FUNDS, updates=((5, "succeeds"),)),
    Behaviour("a bad card, then a good one", 10, PaymentBehavior.DECLINES, updates=((2, "declines"), (9, "succeeds"))),
    Behaviour("expired, tries an expired card", 5, PaymentBehavior.SUCCEEDS, expired=True, updates=((3, "expired"),)),
)


def seed(sandbox: SandboxProcessor, customers: int, rng: random.Random) -> dict[str, tuple[Behaviour, int]]:
    """Customers renewing on 1-5 December at 15:00, each with a behaviour drawn from MIX; returns each
    customer's behaviour and the day (after `now`) of the morning after their failure."""
    who: dict[str, tuple[Behaviour, int]] = {}
    weights = [b.share for b in MIX]
    with sandbox.bulk_import() as imp:
        imp.create_plan(PRO)
        for n in range(customers):
            behaviour = rng.choices(MIX, weights)[0]
            cid = f"cus_{n:05d}"
            start = START + timedelta(days=n % 5)
            who[cid] = (behaviour, start.day + 1)
            renewal = datetime(2026, 12, start.day, 15, tzinfo=UTC)
            exp = (2026, 10) if behaviour.expired else (2030, 4)
            country = COUNTRIES[n % len(COUNTRIES)]
            add_failing_customer(
                imp, cid, behavior=behaviour.card, country=country, start=start, renewal=renewal, exp=exp
            )
        imp.set_clock(NOW)
    return who


def latest_link(sandbox: SandboxProcessor, customer: str) -> str | None:
    """The `/pay` token of the customer's latest dunning email."""
    mails = [e for e in sandbox.emails(CustomerId(customer)) if e.kind == "dunning"]
    found = LINK.search(mails[-1].body) if mails else None
    return found.group(1) if found else None


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--out", metavar="DIR", help="where the plot goes (default benchmarks/results; --quick: a temp dir)"
    )
    args = parser.parse_args()
    customers = 100 if args.quick else args.customers
    meta = run_header(f"Dunning through a month, {customers} customers")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'dunning.db'}")
        db.create_all()
        sandbox = SandboxProcessor(db)
        who = seed(sandbox, customers, rng)
        settings = Settings(public_url=PUBLIC_URL, link_secret="benchmark-secret")
        dunning = build_dunning(settings, db, sandbox)
        pages = PaymentUpdate(dunning)
        plan = sorted((after + day, cid, card) for cid, (b, after) in who.items() for day, card in b.updates)
        cpu = 0.0
        daily: list[dict[str, object]] = []
        submitted = Counter[str]()
        for day in range(DAYS + 1):
            for _, cid, card in [p for p in plan if p[0] == day]:
                token = latest_link(sandbox, cid)
                if token is None:
                    submitted["no link yet"] += 1
                    continue
                try:
                    result = pages.submit(token, card)
                    submitted["paid" if result.paid else "declined"] += 1
                except PurserError as exc:
                    submitted[exc.code] += 1
            started = time.process_time()
            advance(sandbox, dunning, NOW + timedelta(days=day + 1))
            cpu += time.process_time() - started
            stats = dunning_stats(dunning.repo.cases())
            daily.append({"day": day + 1, "open": stats.open, "recovered": stats.recovered, "lost": stats.lost})
        with db.read() as conn:
            actions = int(conn.execute(select(func.count()).select_from(dn_steps)).scalar_one())
        cases = dunning.repo.cases()
        stats = dunning_stats(cases)
        emails = Counter(e.kind for e in sandbox.emails())
        outcome = {str(c.customer_id): c for c in cases}
        per_behaviour: list[list[object]] = []
        for b in MIX:
            mine = [outcome[c] for c, (x, _) in who.items() if x is b and c in outcome]
            rec = sum(1 for c in mine if c.status is CaseStatus.RECOVERED)
            per_behaviour.append(
                [
                    b.name,
                    len(mine),
                    rec,
                    sum(1 for c in mine if c.status is CaseStatus.LOST),
                    f"{rec * 100 // max(len(mine), 1)}%",
                ]
            )
        db.dispose()
    sent = emails["dunning"] + emails["dunning_recovered"]
    per_recovery = f"{sent / stats.recovered:.2f}" if stats.recovered else "—"
    revenue = ", ".join(str(m) for m in stats.recovered_revenue.values()) or "—"
    summary: list[list[object]] = [
        ["customers", customers],
        ["cases", len(cases)],
        ["recovered / lost / open", f"{stats.recovered} / {stats.lost} / {stats.open}"],
        ["recovery rate", f"{stats.recovery_rate_percent}%"],
        ["recovered revenue", revenue],
        ["emails (dunning + dunning_recovered)", f"{emails['dunning']} + {emails['dunning_recovered']}"],
        ["emails per recovery", per_recovery],
        ["dunning actions run", actions],
        ["CPU seconds, the month's advances", f"{cpu:.2f}"],
        ["dunning actions per CPU second", f"{actions / cpu:.0f}" if cpu else "—"],
        ["payment-page submissions", dict(submitted)],
    ]
    print_markdown(markdown_table(["figure", "value"], summary))
    print_markdown(markdown_table(["behaviour", "cases", "recovered", "lost", "rate"], per_behaviour))
    # A smoke run (--quick) leaves the published results alone.
    out = Path(args.out) if args.out else Path(tempfile.gettempdir()) if args.quick else RESULTS
    plot = out / "dunning.png"
    _plot(plot, daily, per_behaviour)
    console.print(f"plot: {plot}", highlight=False)
    write_json(
        args.json or str(out / "dunning.json"),
        {"meta": meta, "summary": summary, "per_behaviour": per_behaviour, "daily": daily},
    )
    return 0


def _plot(path: Path, daily: list[dict[str, object]], per_behaviour: list[list[object]]) -> None:
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    fig = Figure(figsize=(11, 4.2))
    left, right = fig.subplots(1, 2)
    days = [int(str(d["day"])) for d in daily]
    for key, color in (("open", "#4f46e5"), ("recovered", "#059669"), ("lost", "#dc2626")):
        left.plot(days, [int(str(d[key])) for d in daily], label=key, color=color)
    left.set_xlabel("days after 30 November")
    left.set_ylabel("cases")
    left.set_title("Cases through December")
    left.legend()
    names = [str(r[0]) for r in per_behaviour]
    recovered = [int(str(r[2])) for r in per_behaviour]
    lost = [int(str(r[3])) for r in per_behaviour]
    still_open = [int(str(r[1])) - a - b for r, a, b in zip(per_behaviour, recovered, lost, strict=True)]
    right.barh(names, recovered, color="#059669", label="recovered")
    right.barh(names, lost, left=recovered, color="#dc2626", label="lost")
    right.barh(
        names, still_open, left=[a + b for a, b in zip(recovered, lost, strict=True)], color="#9ca3af", label="open"
    )
    right.set_title("Outcome by behaviour")
    right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
