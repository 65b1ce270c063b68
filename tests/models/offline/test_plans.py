"""Plan names are ordinary words: they count as a plan only in plan context, for any catalogue.

The rule is checked over several invented catalogues, unit-level (`plan_mentions`) and end to
end (a message that uses a plan's name as a common word never leads to a `change_plan`).
"""

from __future__ import annotations

from typing import Any

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.normalize import normalize
from purser.models.offline.plans import mark_plan_mentions, match_plan, plan_mentions

CATALOGUES: dict[str, list[str]] = {
    "office": ["Basic", "Pro", "Business", "Team"],
    "garden": ["Seedling", "Growth", "Harvest", "Crew"],
    "retail": ["Starter", "Plus", "Premium", "Store"],
    "studio": ["Solo", "Studio", "Agency", "Network"],
}

IN_CONTEXT = [
    "please upgrade us to {N}",
    "could you move our account over to the {N} plan?",
    "{N}",
    "the {N} one, please",
    "I'd like {N} instead",
    "switch me to {N} yearly",
    "what does {N} cost per month?",
    "is it cheaper than {N}?",
    "we want to stay on {N}",
    "go with {N} then",
    "downgrade to {n} pls",
]
NOT_IN_CONTEXT = [
    "we're a small {n} and money is tight this quarter, can we pause?",
    "the whole {n} left for a competitor last spring, refund the last charge",
    "our {n} is closing down at the end of the year",
    "I need to speak with your {n} about an invoice",
    "send the receipt to the {n} please",
    "thanks {n}!",
    "my {n} colleagues need access, add two seats",
    "we're getting back to {n} as usual, please resume the subscription",
]


def _catalogue(names: list[str]) -> list[dict[str, Any]]:
    return [
        {"id": f"{n.lower()}-monthly", "name": n, "amount": f"{10 * (i + 1)}.00", "currency": "usd",
         "interval": "month", "per_seat": False}
        for i, n in enumerate(names)
    ] + [{"id": f"{names[1].lower()}-yearly", "name": names[1], "amount": "200.00", "currency": "usd",
          "interval": "year", "per_seat": False}]  # fmt: skip


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
@pytest.mark.parametrize("template", IN_CONTEXT)
def test_a_name_in_plan_context_is_a_mention(catalogue: str, template: str) -> None:
    names = CATALOGUES[catalogue]
    for name in names:
        text = normalize(template.format(N=name, n=name.lower()))
        assert [m[2] for m in plan_mentions(text, names)] == [name.lower()], text


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
@pytest.mark.parametrize("template", NOT_IN_CONTEXT)
def test_a_name_used_as_a_common_word_is_no_mention(catalogue: str, template: str) -> None:
    names = CATALOGUES[catalogue]
    for name in names:
        text = normalize(template.format(N=name, n=name.lower()))
        assert plan_mentions(text, names) == [], text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from basic to team", ["basic", "team"]),
        ("between pro and business, which is better?", ["business", "pro"]),
        ("pro or business plan", ["business", "pro"]),
        ("upgrade to bussiness", ["business"]),  # a typo of a long name still counts
        ("the annual term ends in march", []),  # "term" is not a typo of "team"
        ("we pay on a monthly basis", []),  # nor "basis" of "basic"
    ],
)
def test_pairs_typos_and_near_words(text: str, expected: list[str]) -> None:
    names = CATALOGUES["office"]
    assert sorted(m[2] for m in plan_mentions(text, names)) == expected


def test_only_mentions_become_placeholders_for_the_classifier() -> None:
    names = ["business", "team"]
    assert mark_plan_mentions("our business grew , upgrade us to business", names) == (
        "our business grew , upgrade us to planname"
    )


def test_multi_word_names_and_plan_ids() -> None:
    plans = _catalogue(["Team Plus", "Solo", "Agency"])
    assert match_plan("we would like team plus from next month", plans)[0]["id"] == "team plus-monthly"
    assert match_plan("please use solo-yearly", plans)[0]["id"] == "solo-yearly"
    assert match_plan("our team plays solo most of the time", plans) == []


def _chat(names: list[str]) -> Chat:
    data = account()
    data["plans"] = _catalogue(names)
    data["subscription"]["plan"] = data["plans"][1]
    return Chat(Backend(account_data=data))


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
def test_common_word_use_never_proposes_a_plan_change(catalogue: str) -> None:
    names = CATALOGUES[catalogue]
    for name in (names[0], names[2], names[3]):
        for message in (
            f"We run a seasonal {name.lower()}, so please pause the subscription for two months.",
            f"Our whole {name.lower()} switched to another product in the summer, please refund the November charge.",
        ):
            chat = _chat(names)
            chat.say(message)
            assert all(action != "change_plan" for action, _ in chat.backend.writes()), message


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
def test_plan_context_proposes_that_plan(catalogue: str) -> None:
    names = CATALOGUES[catalogue]
    target = names[2]
    for message in (f"Please switch us to {target}.", f"I want the {target.lower()} plan from today"):
        chat = _chat(names)
        chat.say(message)
        assert chat.backend.writes() == [("change_plan", {"plan": f"{target.lower()}-monthly"})], message
