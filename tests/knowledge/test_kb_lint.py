"""The policy lint: seeded contradictions of every kind are caught; the sample KB passes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from purser.knowledge import (
    DUNNING_RETRY_DAYS,
    SAMPLE_DIR,
    KnowledgeBase,
    kb_contradictions_block_writes,
    lint,
    sample_knowledge_base,
)
from purser.policy.schema import DEFAULT_POLICY, Policy

FRONT = "---\nupdated: 2026-11-01\n---\n\n"


def _kb(tmp_path: Path, body: str, name: str = "doc.md") -> KnowledgeBase:
    path = tmp_path / name
    path.write_text(FRONT + "# Doc\n\n## Section\n\n" + body + "\n", encoding="utf-8")
    return KnowledgeBase.from_paths([path])


def test_dunning_schedule_constant_matches_the_sandbox() -> None:
    from purser.processors.sandbox.invoices import DEFAULT_DUNNING_DAYS

    assert DUNNING_RETRY_DAYS == (3, 5, 7) == DEFAULT_DUNNING_DAYS


def test_sample_kb_agrees_with_the_default_policy() -> None:
    findings = lint(DEFAULT_POLICY, sample_knowledge_base(), max_age_days=365, today=dt.date(2026, 11, 26))
    assert findings == []
    assert not kb_contradictions_block_writes(findings)


# (statement, finding kind, policy key named)
CONTRADICTIONS: list[tuple[str, str, str]] = [
    ("Refunds are available for up to sixty days after purchase.", "refund_window", "policy.refunds.window_days"),
    ("We offer a 14-day money-back guarantee.", "refund_window", "policy.refunds.window_days"),
    ("You can ask to be reimbursed within two months of a charge.", "refund_window", "policy.refunds.window_days"),
    ("Charges older than 45 days cannot be refunded.", "refund_window", "policy.refunds.window_days"),
    ("Refunds are capped at $100.", "refund_max", "policy.refunds.max_amount"),
    ("We can refund up to two months of fees at once.", "refund_max", "policy.refunds.max_amount"),
    ("Each customer may receive two refunds per 90 days.", "refund_count", "policy.refunds.per_customer_count"),
    ("You can get a refund once a year.", "refund_lookback", "policy.refunds.per_customer_days"),
    ("We give one refund in any 30-day period.", "refund_lookback", "policy.refunds.per_customer_days"),
    ("You can pause your subscription for up to six months.", "pause_max", "policy.cancellation.pause_max_months"),
    ("A pause may last at most 30 days.", "pause_max", "policy.cancellation.pause_max_months"),
    ("Downgrades take effect immediately and are prorated.", "downgrade", "policy.plans.downgrade"),
    ("If you move to a cheaper plan, the change applies right away.", "downgrade", "policy.plans.downgrade"),
    ("Upgrades only start at the end of your billing period.", "upgrade", "policy.plans.upgrade"),
    ("When you cancel, your access ends immediately.", "cancellation", "policy.cancellation.effective"),
    ("Cancellations are effective right away.", "cancellation", "policy.cancellation.effective"),
    ("We retry a failed payment four times before giving up.", "dunning_count", "DUNNING_RETRY_DAYS"),
    ("Failed card payments are retried on days 1, 2 and 4.", "dunning_days", "DUNNING_RETRY_DAYS"),
    ("We will try charging your card again over the next 14 days.", "dunning_span", "DUNNING_RETRY_DAYS"),
    ("A failed invoice payment is retried every day.", "dunning_every", "DUNNING_RETRY_DAYS"),
    ("Our assistant can add or remove up to 100 seats at a time.", "max_seat_change", "policy.plans.max_seat_change"),
]


@pytest.mark.parametrize(("statement", "kind", "key"), CONTRADICTIONS)
def test_seeded_contradiction_is_found(tmp_path: Path, statement: str, kind: str, key: str) -> None:
    findings = lint(DEFAULT_POLICY, _kb(tmp_path, statement))
    kinds = {f.kind for f in findings}
    assert kind in kinds, (statement, findings)
    finding = next(f for f in findings if f.kind == kind)
    assert finding.severity == "contradiction"
    assert "doc.md §1" in finding.message and key in finding.message
    assert finding.sentence == statement
    assert kb_contradictions_block_writes(findings)


AGREEMENTS = [
    "Refunds are possible within thirty days of the charge.",
    "You can get your money back up to 30 days after being charged.",
    "We refund at most one billing cycle.",
    "There is a limit of one refund per customer every 90 days.",
    "Most refunds appear on your statement within 5 to 10 business days.",
    "We give 30 days' notice before a price change.",
    "Pausing is possible for a maximum of three months.",
    "Downgrades do not take effect immediately; they apply at the end of the billing period.",
    "Upgrades apply right away, whereas downgrades wait for the next renewal.",
    "Cancellation takes effect when the current billing period ends.",
    "Until the end of the period you can undo a cancellation.",
    "Payments that fail are retried three times, on days 3, 5 and 7.",
    "Once your card is updated we retry the payment straight away.",
    "Seat changes of more than 50 seats at a time go to our sales team.",
]


@pytest.mark.parametrize("statement", AGREEMENTS)
def test_statements_that_agree_are_not_findings(tmp_path: Path, statement: str) -> None:
    assert lint(DEFAULT_POLICY, _kb(tmp_path, statement)) == []


def test_non_default_policy_is_checked_against_its_own_values(tmp_path: Path) -> None:
    policy = Policy.from_mapping(
        {
            "refunds": {"window_days": 60, "max_amount": "100.00", "per_customer_count": 2},
            "plans": {"downgrade": "now_prorated"},
            "cancellation": {"effective": "now", "pause_max_months": 6},
        }
    )
    body = (
        "Refunds are available within 60 days. Refunds are capped at $100. "
        "Each customer may receive two refunds per 90 days. Downgrades take effect immediately. "
        "When you cancel, your access ends immediately. You can pause for up to six months."
    )
    assert lint(policy, _kb(tmp_path, body)) == []
    findings = lint(DEFAULT_POLICY, _kb(tmp_path, body))
    assert {f.kind for f in findings} >= {"refund_window", "refund_max", "refund_count", "downgrade", "cancellation"}


def test_amounts_compare_in_the_policy_currency(tmp_path: Path) -> None:
    policy = Policy.from_mapping({"currency": "eur", "refunds": {"max_amount": "50.00", "daily_budget": "300"}})
    assert lint(policy, _kb(tmp_path, "Refunds are capped at €50. We refund up to 300 euros per day.")) == []
    (finding,) = lint(policy, _kb(tmp_path, "Refunds are capped at $50."))
    assert finding.message == 'doc.md §1 "Section" says $50; policy.refunds.max_amount is 50.00 eur'
    (finding,) = lint(policy, _kb(tmp_path, "Refunds are capped at 75 EUR."))
    assert finding.kind == "refund_max"


def test_sample_copy_with_a_60_day_window_fails_naming_both_places(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(SAMPLE_DIR, copy)
    refunds = copy / "refunds.md"
    refunds.write_text(refunds.read_text(encoding="utf-8").replace("within 30 days", "within 60 days"), "utf-8")
    findings = lint(DEFAULT_POLICY, KnowledgeBase.from_paths([copy]))
    assert len(findings) == 1
    (finding,) = findings
    assert finding.message == ('refunds.md §1 "Refund window" says 60 days; policy.refunds.window_days is 30')
    assert finding.document == "refunds.md" and finding.policy_value == "30"
    assert kb_contradictions_block_writes(findings)


def test_stale_documents_are_warnings_that_do_not_block(tmp_path: Path) -> None:
    old = tmp_path / "old.md"
    old.write_text("---\nupdated: 2024-01-15\n---\n\n# Old\n\n## Notes\n\nNothing here.\n", encoding="utf-8")
    undated = tmp_path / "undated.txt"
    undated.write_text("Notes\n\nNothing about policy here.\n", encoding="utf-8")
    stamp = dt.datetime(2023, 1, 1, tzinfo=dt.UTC).timestamp()
    os.utime(undated, (stamp, stamp))
    fresh = tmp_path / "fresh.md"
    fresh.write_text(FRONT + "# Fresh\n\nText.\n", encoding="utf-8")
    kb = KnowledgeBase.from_paths([tmp_path])
    findings = lint(DEFAULT_POLICY, kb, max_age_days=365, today=dt.date(2026, 11, 26))
    assert [(f.document, f.severity) for f in findings] == [("old.md", "warning"), ("undated.txt", "warning")]
    assert "updated 2024-01-15" in findings[0].message and "kb_max_age_days is 365" in findings[0].message
    assert "file date 2023-01-01" in findings[1].message
    assert not kb_contradictions_block_writes(findings)
    assert lint(DEFAULT_POLICY, kb) == []  # no age check unless asked


def test_headings_are_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "h.md"
    path.write_text("# Refunds\n\n## Our 60-day refund window\n\nAsk us any time.\n", encoding="utf-8")
    (finding,) = lint(DEFAULT_POLICY, KnowledgeBase.from_paths([path]))
    assert finding.message == 'h.md §1 "Our 60-day refund window" says 60 days; policy.refunds.window_days is 30'


def test_finding_to_dict_has_the_message(tmp_path: Path) -> None:
    (finding,) = lint(DEFAULT_POLICY, _kb(tmp_path, "Refunds are available within 45 days."))
    data = finding.to_dict()
    assert data["message"] == finding.message
    assert data["policy_key"] == "policy.refunds.window_days" and data["stated"] == "45 days"
