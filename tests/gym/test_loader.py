"""The scenario loader: every example loads; each kind of malformed file is refused naming file and key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from purser.gym import ScenarioError, load_file, load_paths
from purser.money import Money

EXAMPLES = Path(os.environ["PURSER_SHARED"]) / "gym" / "examples"
BASE = EXAMPLES / "duplicate-charge-refund.yaml"


def _doc() -> dict[str, Any]:
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, doc: dict[str, Any] | str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_file(path)
    text = str(info.value)
    for line in info.value.problems:
        assert line.startswith(f"{path}: "), line
    return text


def test_every_example_loads() -> None:
    scenarios = load_paths([EXAMPLES])
    assert len(scenarios) == 6
    dup = next(s for s in scenarios if s.id == "duplicate-charge-refund")
    assert dup.confirm.decide("refund") == "yes"
    assert dup.expect.refunds is not None
    assert dup.expect.refunds[0].amount == Money(2000, "usd")
    assert dup.expect.says == (("20.00",),)
    assert dup.expect.no_other_writes is True


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"colour": "red"}, "colour", "unknown key"),
        ({"approver": "maybe"}, "approver", "approve, deny, none"),
        ({"approver": None}, "approver", "approve, deny, none"),
        ({"confirm": "perhaps"}, "confirm", "yes or no"),
        ({"confirm": {"refund": "sure"}}, "confirm.refund", "yes or no"),
        ({"confirm": {"explode": True}}, "confirm.explode", "an action that asks for confirmation"),
        ({"confirm": {}}, "confirm", "non-empty map"),
        ({"turns": "hello"}, "turns", "a list"),
        ({"turns": []}, "turns", "at least one message"),
        ({"turns": ["hi", True]}, "turns[1]", "quote it"),
        ({"channel": "fax"}, "channel", "one of web"),
        ({"customer": "cus_nobody"}, "customer", "one of the world's customers"),
        ({"id": "has space"}, "id", "an identifier"),
        ({"tags": "refund"}, "tags", "a list"),
        ({"now": "yesterday"}, "now", "ISO 8601"),
        ({"policy": {"refunds": {"window_days": -3}}}, "policy.refunds.window_days", "greater than or equal"),
        ({"policy": {"refundz": {}}}, "policy.refundz", "unknown key"),
        ({"policy": [1]}, "policy", "a mapping"),
        ({"expect": {"refundz": []}}, "expect.refundz", "unknown key"),
        ({"expect": {"refunds": [{"charge": "ch_nope", "amount": "1.00"}]}}, "expect.refunds[0].charge", "charge"),
        ({"expect": {"refunds": [{"charge": "ch_ana_11b", "amount": "1.001"}]}}, "expect.refunds[0].amount", "USD"),
        ({"expect": {"refunds": [{"charge": "ch_ana_11b", "amount": 20.0}]}}, "expect.refunds[0].amount", "quoted"),
        ({"expect": {"refunds": [{"charge": "ch_ana_11b"}]}}, "expect.refunds[0].amount", "missing"),
        ({"expect": {"charges": [{"amount": "5", "when": "now"}]}}, "expect.charges[0].when", "unknown key"),
        ({"expect": {"invoices_paid": ["in_zzz"]}}, "expect.invoices_paid[0]", "invoice"),
        ({"expect": {"subscription": {"plan": "gold"}}}, "expect.subscription.plan", "world's plans"),
        ({"expect": {"subscription": {"quantity": 0}}}, "expect.subscription.quantity", "at least 1"),
        ({"expect": {"subscription": {"status": "frozen"}}}, "expect.subscription.status", "trialing"),
        ({"expect": {"subscription": {"resumes_at": "soon"}}}, "expect.subscription.resumes_at", "a date"),
        ({"expect": {"subscription": {"colour": 1}}}, "expect.subscription.colour", "unknown key"),
        ({"expect": {"billing": {"vat": "x"}}}, "expect.billing.vat", "unknown key"),
        ({"expect": {"billing": {"address": {"planet": "Mars"}}}}, "expect.billing.address.planet", "unknown key"),
        ({"expect": {"emails": [{}]}}, "expect.emails[0]", "at least one of kind and invoice"),
        ({"expect": {"emails": [{"invoice": "in_zzz"}]}}, "expect.emails[0].invoice", "invoice"),
        ({"expect": {"approvals": [{"action": "launch"}]}}, "expect.approvals[0].action", "refund"),
        ({"expect": {"handoff": "bored"}}, "expect.handoff", "human_request"),
        ({"expect": {"no_other_writes": "perhaps"}}, "expect.no_other_writes", "yes or no"),
        ({"expect": {"says": "20.00"}}, "expect.says", "a list"),
        ({"expect": {"says": [[]]}}, "expect.says[0]", "non-empty list"),
        ({"expect": {"never_says": [3]}}, "expect.never_says[0]", "non-empty string"),
        ({"expect": "all good"}, "expect", "a mapping"),
    ],
)
def test_malformed_values_name_file_key_and_expectation(
    tmp_path: Path, change: dict[str, Any], key: str, expected: str
) -> None:
    doc = _doc()
    doc.update(change)
    text = _problems(_write(tmp_path, doc))
    assert f": {key}: " in text
    assert expected in text


@pytest.mark.parametrize("key", ["id", "now", "world", "customer", "turns", "expect"])
def test_missing_required_key(tmp_path: Path, key: str) -> None:
    doc = _doc()
    del doc[key]
    assert f": {key}: missing required key" in _problems(_write(tmp_path, doc))


def test_world_errors_come_from_the_world_schema(tmp_path: Path) -> None:
    doc = _doc()
    doc["world"]["customers"][0]["charges"][0]["amount"] = "twenty"
    doc["world"]["planets"] = []
    text = _problems(_write(tmp_path, doc))
    assert "world.customers[0].charges[0].amount" in text
    assert "world.planets: unknown key" in text


def test_yes_no_bare_or_quoted_and_per_action_confirm(tmp_path: Path) -> None:
    text = BASE.read_text(encoding="utf-8").replace("confirm: 'yes'", "confirm: {refund: yes, cancel: 'no'}")
    sc = load_file(_write(tmp_path, text, "ok.yaml"))
    assert sc.confirm.decide("refund") == "yes"
    assert sc.confirm.decide("cancel") == "no"
    assert sc.confirm.decide("pause") == "no"  # unlisted actions are declined
    text = BASE.read_text(encoding="utf-8").replace("confirm: 'yes'", "confirm: no")
    assert load_file(_write(tmp_path, text, "ok2.yaml")).confirm.decide("refund") == "no"


def test_duplicate_yaml_keys_and_bad_yaml(tmp_path: Path) -> None:
    text = BASE.read_text(encoding="utf-8") + "approver: approve\n"
    assert "written twice" in _problems(_write(tmp_path, text))
    assert "not valid YAML" in _problems(_write(tmp_path, "id: [unclosed\n"))
    assert "top level" in _problems(_write(tmp_path, "- just\n- a list\n"))


def test_a_suite_with_one_bad_file_loads_nothing(tmp_path: Path) -> None:
    good = _write(tmp_path, _doc(), "good.yaml")
    doc = _doc()
    doc["id"] = "other"
    doc["approver"] = "sometimes"
    bad = _write(tmp_path, doc, "bad.yaml")
    with pytest.raises(ScenarioError) as info:
        load_paths([tmp_path])
    assert str(bad) in str(info.value)
    assert str(good) not in str(info.value)


def test_duplicate_ids_and_missing_paths(tmp_path: Path) -> None:
    _write(tmp_path, _doc(), "a.yaml")
    _write(tmp_path, _doc(), "b.yaml")
    with pytest.raises(ScenarioError, match="unique across the suite"):
        load_paths([tmp_path])
    with pytest.raises(ScenarioError, match="no such file"):
        load_paths([tmp_path / "nope"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScenarioError, match=r"no \*\.yaml"):
        load_paths([empty])


def test_expectation_values_are_read_exactly(tmp_path: Path) -> None:
    doc = _doc()
    doc["expect"] = {
        "subscription": {"resumes_at": "2027-03-01", "scheduled_plan": None, "cancel_at_period_end": "yes"},
        "billing": {"vat_id": "DE136695976", "address": {"country": "DE"}},
        "handoff": "legal_threat",
        "says": ["a", ["b", "c"]],
        "emails": [{"invoice": "ANA-0006", "kind": "invoice"}],
        "approvals": [{"action": "refund"}],
        "no_other_writes": False,
    }
    sc = load_file(_write(tmp_path, doc, "ok.yaml"))
    e = sc.expect
    assert e.subscription is not None and str(e.subscription["resumes_at"]) == "2027-03-01"
    assert e.subscription["scheduled_plan"] is None and e.subscription["cancel_at_period_end"] is True
    assert e.billing == {"vat_id": "DE136695976", "address.country": "DE"}
    assert e.handoff == "legal_threat"
    assert e.says == (("a",), ("b", "c"))
    assert e.emails is not None and e.emails[0].invoice == "in_ana_11"
    assert e.approvals is not None and e.approvals[0].amount is None
    assert e.no_other_writes is False
