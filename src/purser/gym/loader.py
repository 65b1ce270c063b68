"""Strict loading of gym scenarios (../shared/gym/FORMAT.md).

Every key is checked; an unknown key or a malformed value is reported as
``FILE: key.path: expected ..., got ...`` and the file is not run. The `world` and `now`
keys are validated by `purser.worlds` (the one schema of a world); everything else here.
`load_paths` loads a whole suite and raises `ScenarioError` with every problem of every file,
so that a run either has all its scenarios or runs none.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from purser.errors import PurserError
from purser.gym._validate import Checker, short
from purser.gym.dunning import parse_dunning
from purser.gym.expectations import parse_expect
from purser.gym.scenario import CHANNELS, WRITE_ACTIONS, ApproverRule, ConfirmRule, Decision, Scenario
from purser.policy.schema import DEFAULT_POLICY, Policy, PolicyError
from purser.worlds import World, WorldError, load_scenario_world

__all__ = ["ScenarioError", "find_scenario_files", "load_file", "load_paths"]

TOP_KEYS: dict[str, bool] = {  # key -> required
    "id": True,
    "title": False,
    "tags": False,
    "now": True,
    "policy": False,
    "world": True,
    "customer": True,
    "channel": False,
    "turns": False,  # required unless `dunning` is given (a customer who never writes)
    "goal": False,
    "confirm": False,
    "approver": False,
    "expect": True,
    "dunning": False,
}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MAX_TURN = 4000


class ScenarioError(PurserError, ValueError):
    """Scenarios that cannot be loaded; `problems` holds one "file: key: expectation" line each."""

    code = "invalid_scenario"
    status = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key written twice in one mapping (YAML would keep the last)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=deep))


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def find_scenario_files(paths: list[str | Path]) -> list[Path]:
    """Expand directories into their *.yaml files (recursively, sorted); files stay as given."""
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.yaml") if p.is_file())
            if not found:
                missing.append(f"{path}: no *.yaml scenario files in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            missing.append(f"{path}: no such file or directory")
    if missing:
        raise ScenarioError(missing)
    return files


def load_paths(paths: list[str | Path]) -> list[Scenario]:
    """Load every scenario under `paths`; raise `ScenarioError` with all problems (nothing partial)."""
    files = find_scenario_files(paths)
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for file in files:
        try:
            scenarios.append(load_file(file))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    first: dict[str, Path] = {}
    for sc in scenarios:
        if sc.id in first:
            problems.append(f"{sc.path}: id: expected an id unique across the suite, {sc.id!r} is also {first[sc.id]}")
        else:
            first[sc.id] = sc.path
    if problems:
        raise ScenarioError(problems)
    return scenarios


def load_file(path: str | Path) -> Scenario:
    """Load and validate one scenario file; raise `ScenarioError` naming file, key and expectation."""
    file = Path(path)
    source = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{source}: cannot read the file: {exc}"]) from None
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{source}: not valid YAML: {' '.join(str(exc).split())}"]) from None
    if not isinstance(doc, dict):
        raise ScenarioError([f"{source}: expected a mapping at the top level (a scenario), got {short(doc)}"])
    return _build(file, doc)


def _build(file: Path, doc: dict[str, Any]) -> Scenario:
    check = Checker(str(file))
    for key in doc:
        if key not in TOP_KEYS:
            check.unknown(str(key), list(TOP_KEYS))
    for key, required in TOP_KEYS.items():
        if required and key not in doc and key not in ("world", "now"):
            check.problems.append(f"{check.source}: {key}: missing required key")

    world: World | None = None
    now: datetime | None = None
    if "world" in doc and "now" in doc:
        try:
            world, now = load_scenario_world(file)
        except WorldError as exc:
            check.problems.extend(exc.problems)
    else:
        check.problems.extend(f"{check.source}: {k}: missing required key" for k in ("world", "now") if k not in doc)

    sid = doc.get("id")
    if "id" in doc and (not isinstance(sid, str) or not _ID_RE.match(sid)):
        check.bad("id", "an identifier of letters, digits, '.', '_' or '-' such as 'duplicate-charge-refund'", sid)
        sid = None
    title = check.text("title", doc["title"]) if "title" in doc else sid
    tags: list[str] = []
    if "tags" in doc:
        raw_tags = check.items("tags", doc["tags"], "of tag strings")
        for i, tag in enumerate(raw_tags or []):
            t = check.text(f"tags[{i}]", tag)
            if t is not None:
                tags.append(t)

    policy = _policy(check, doc.get("policy"))
    channel = check.choice("channel", doc["channel"], CHANNELS) if "channel" in doc else "web"
    turns = _turns(check, doc.get("turns")) if "turns" in doc else []
    if "turns" not in doc and "dunning" not in doc:
        check.problems.append(f"{check.source}: turns: missing required key")
    dunning = parse_dunning(check, doc["dunning"], has_turns="turns" in doc) if "dunning" in doc else None
    goal = None
    if doc.get("goal") is not None:
        goal = check.text("goal", doc["goal"])
    confirm = _confirm(check, doc["confirm"]) if "confirm" in doc else ConfirmRule()
    approver = check.choice("approver", doc["approver"], ("approve", "deny", "none")) if "approver" in doc else "none"

    customer_id: str | None = None
    currency = world.currency if world is not None else "usd"
    if "customer" in doc:
        customer_id = check.text("customer", doc["customer"])
        if customer_id is not None and world is not None:
            ids = [c.id for c in world.customers]
            if customer_id not in ids:
                check.bad("customer", f"one of the world's customers ({', '.join(ids) or 'none defined'})", customer_id)
                customer_id = None
            else:
                sub = world.customer(customer_id).subscription
                if sub is not None:
                    currency = world.plan(sub.plan).amount.currency

    expect = parse_expect(check, doc["expect"], world, currency) if "expect" in doc else None

    if check.problems:
        raise ScenarioError(check.problems)
    assert world is not None and now is not None and policy is not None and expect is not None
    assert sid is not None and customer_id is not None and title is not None and channel is not None
    assert confirm is not None and approver is not None
    overrides = doc.get("policy") or {}
    return Scenario(
        path=file,
        id=sid,
        title=title,
        tags=tuple(tags),
        now=now,
        policy_overrides=overrides,
        policy=policy,
        world=world,
        customer=customer_id,
        channel=channel,
        turns=tuple(turns),
        goal=goal,
        confirm=confirm,
        approver=_approver(approver),
        expect=expect,
        currency=currency,
        raw=doc,
        dunning=dunning,
    )


def _approver(value: str) -> ApproverRule:
    if value == "approve":
        return "approve"
    if value == "deny":
        return "deny"
    return "none"


def _decision(flag: bool) -> Decision:
    return "yes" if flag else "no"


def _policy(check: Checker, value: Any) -> Policy | None:
    if value is None:
        return DEFAULT_POLICY
    if not isinstance(value, dict):
        check.bad("policy", "a mapping of overrides onto the default policy (or {})", value)
        return None
    try:
        return DEFAULT_POLICY.merged(value, source="policy")
    except PolicyError as exc:
        check.problems.extend(f"{check.source}: {part}" for part in str(exc).split("; "))
        return None


def _turns(check: Checker, value: Any) -> list[str]:
    items = check.items("turns", value, "of the customer's messages, in order")
    if items is None:
        return []
    if not items:
        check.bad("turns", "at least one message", value)
    out: list[str] = []
    for i, item in enumerate(items):
        t = check.text(f"turns[{i}]", item, max_len=_MAX_TURN)
        if t is not None:
            out.append(t)
    return out


def _confirm(check: Checker, value: Any) -> ConfirmRule | None:
    if isinstance(value, dict):
        if not value:
            check.bad("confirm", "yes, no or a non-empty map of action: yes|no", value)
            return None
        per: dict[str, Decision] = {}
        for action, answer in value.items():
            if action not in WRITE_ACTIONS:
                check.bad(
                    f"confirm.{action}", "an action that asks for confirmation: " + ", ".join(WRITE_ACTIONS), action
                )
                continue
            flag = check.yes_no(f"confirm.{action}", answer)
            if flag is not None:
                per[action] = _decision(flag)
        return ConfirmRule(per_action=per)
    flag = check.yes_no("confirm", value) if not isinstance(value, list) else None
    if isinstance(value, list):
        check.bad("confirm", "yes, no or a map of action: yes|no", value)
    return None if flag is None else ConfirmRule(default=_decision(flag))
