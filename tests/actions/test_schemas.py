"""Every action's input schema is strict and valid for OpenAI strict mode and Anthropic tools."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from purser.actions.catalog import CATALOG
from purser.policy.schema import ACTION_NAMES

EXPECTED_ARGS = {
    "lookup_account": set(),
    "send_invoice": {"invoice", "kind"},
    "update_billing_details": {"name", "email", "vat_id", "address"},
    "refund": {"charge_id", "amount", "reason"},
    "preview_change": {"plan", "quantity"},
    "change_plan": {"plan"},
    "change_seats": {"quantity"},
    "retry_payment": {"invoice_id"},
    "payment_method_link": set(),
    "pause": {"months"},
    "resume": set(),
    "cancel": {"reason"},
    "handoff": {"reason", "summary"},
}


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_objects(item))
    return found


def test_catalog_is_complete() -> None:
    assert set(CATALOG) == {*ACTION_NAMES, "handoff"}
    assert {name: set(spec.json_schema()["properties"]) for name, spec in CATALOG.items()} == EXPECTED_ARGS


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_schema_is_strict(name: str) -> None:
    spec = CATALOG[name]
    schema = spec.json_schema()
    assert schema["type"] == "object"
    assert "$ref" not in str(schema) and "$defs" not in schema
    assert "default" not in str(schema.keys())
    for obj in _objects(schema):
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    for prop in schema["properties"].values():
        if "anyOf" in prop:
            assert {"type": "null"} in prop["anyOf"]
    assert not any("customer" in key for key in schema["properties"])
    assert spec.kind in ("read", "write", "money", "control")
    tool = spec.tool_definition()
    assert tool["name"] == name and tool["description"]


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_extra_fields_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        CATALOG[name].input_model.model_validate({"customer_id": "cus_other"})


def test_nullable_fields_may_be_omitted() -> None:
    args = CATALOG["refund"].input_model.model_validate({"charge_id": "ch_1"})
    assert args.model_dump() == {"charge_id": "ch_1", "amount": None, "reason": None}


def test_kinds() -> None:
    kinds = {name: spec.kind for name, spec in CATALOG.items()}
    assert kinds["lookup_account"] == kinds["preview_change"] == "read"
    assert kinds["refund"] == kinds["change_plan"] == kinds["change_seats"] == kinds["retry_payment"] == "money"
    assert kinds["handoff"] == "control"
    assert all(CATALOG[n].prepare and CATALOG[n].execute for n, k in kinds.items() if k in ("write", "money"))
