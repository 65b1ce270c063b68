"""`purser chat` on the offline model resolves every action of DESIGN §5 (issue 4's "Done when").

The demo world is seeded into a SQLite file with `purser sandbox seed`; each conversation runs
through the terminal mode (typed messages, y/N confirmation prompts answered "y") in the real
CLI, runtime, gateway and sandbox, and the sandbox's state is read back afterwards.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import chat, state

from purser.domain import SubscriptionStatus


def test_reads_invoices_billing_details_and_refunds(demo_config: Path) -> None:
    out = chat(
        demo_config,
        "cus_ana",
        "what plan am I on and when is my next bill?",
        "could you email me the october invoice",
        "y",
        "from now on send invoices to books@ana-studio.example",
        "y",
        "you charged me twice in november, refund the extra one",
        "y",
    )
    assert "Pro" in out
    snap = state(demo_config, "cus_ana")
    assert any(e.invoice_id == "in_ana_10" for e in snap.emails)
    assert snap.customer.email == "books@ana-studio.example"
    assert [r.charge_id for r in snap.refunds] == ["ch_ana_11b"]


def test_previews_then_changes_plan_and_seats(demo_config: Path) -> None:
    out = chat(demo_config, "cus_ana", "just asking, what would the Business plan cost me if I switched today?")
    assert "$" in out and state(demo_config, "cus_ana").plan.id == "pro-monthly"
    chat(demo_config, "cus_ana", "ok upgrade me to Business now", "y")
    assert state(demo_config, "cus_ana").plan.id == "business-monthly"
    chat(demo_config, "cus_north", "we hired two people, please add 2 seats", "y")
    assert state(demo_config, "cus_north").subscription.quantity == 10


def test_retries_a_failed_payment_and_sends_a_card_link(demo_config: Path) -> None:
    chat(demo_config, "cus_ben", "send me a link to put in a new card", "y")
    assert any(e.kind == "payment_link" for e in state(demo_config, "cus_ben").emails)
    out = chat(demo_config, "cus_ben", "please try my payment again", "y")
    assert "BEN-0003" in out or "50.00" in out


def test_pauses_resumes_and_cancels_after_the_save_offer(demo_config: Path) -> None:
    chat(demo_config, "cus_acme", "pause our subscription for 2 months please", "y")
    assert state(demo_config, "cus_acme").subscription.resumes_at is not None
    chat(demo_config, "cus_cleo", "we're back, resume my subscription", "y")
    assert state(demo_config, "cus_cleo").subscription.status is SubscriptionStatus.ACTIVE
    chat(demo_config, "cus_dana", "cancel my subscription", "no thanks, just cancel it", "y")
    assert state(demo_config, "cus_dana").subscription.cancel_at_period_end


def test_hands_off_to_a_human(demo_config: Path) -> None:
    out = chat(demo_config, "cus_dana", "I want to talk to a real person about my bill")
    assert "teammate" in out.lower()
