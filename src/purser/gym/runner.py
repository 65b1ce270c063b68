"""The gym runner: a fresh sandbox world per scenario and trial, a simulated customer and approver.

One trial: `purser.app.build_for_world` wires an in-memory SQLite sandbox holding the scenario's
world at its `now`, with the default policy merged with the scenario's. The customer sends the
scripted turns (or an LLM plays them from `goal`), answering each `confirmation_request` with a
confirm event as `confirm` says (not a turn); each `approval_pending` is decided as `approver`
says. The conversation ends after the last turn once nothing is pending, or after 20 agent
replies. The judge then compares the final state with `expect`, and the violation check
re-examines every processor write against the policy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from purser.gym.drivers import ConversationDriver, RuntimeDriver
from purser.gym.judge import Conversation, RaisedApproval, judge
from purser.gym.scenario import Scenario
from purser.gym.state import read_events, read_state
from purser.gym.violations import Violation, check_violations
from purser.money import InvalidAmount, Money

Seconds = float
"""Wall-clock durations (timings, never money)."""

MAX_AGENT_REPLIES = 20
"""A conversation ends after this many agent replies (FORMAT.md)."""


class Customer(Protocol):
    """Writes the customer's next message, or None when the customer is done."""

    def next_message(self, conv: Conversation) -> str | None:
        """The next message given the conversation so far."""
        ...


class ScriptedCustomer:
    """Sends the scenario's `turns` in order."""

    def __init__(self, turns: tuple[str, ...]) -> None:
        self._turns = list(turns)

    def next_message(self, conv: Conversation) -> str | None:
        """The next scripted turn."""
        return self._turns.pop(0) if self._turns else None


@dataclass
class RunOptions:
    """How a suite is run (picklable: sent to worker processes)."""

    model: str | None = None
    """Agent model name (a `models[].name` or `offline`); None: the configuration's."""
    user_model: str | None = None
    """Model that plays the customer from `goal`; None: the scripted turns."""
    trials: int = 1
    config: str | None = None
    """purser.yaml to read models from."""
    use_knowledge: bool = True
    channel: str | None = None
    """Run through this channel's adapter (`purser.testing.channels`): slack, whatsapp, discord, email."""
    shadow: bool = False
    """Run with `policy.mode: shadow`: every write becomes an approval, accepted as proposed."""


@dataclass
class TrialResult:
    """One conversation and its verdict."""

    passed: bool
    failures: list[str]
    violations: list[Violation]
    agent_replies: int
    tokens: int
    cost_usd: Decimal
    seconds: Seconds
    events: list[dict[str, Any]] = field(default_factory=list)
    """The whole exchange: customer events (`from: customer`) and agent events, in order."""
    approval_reasons: list[str] = field(default_factory=list)
    """Why each approval request of the trial was raised (`shadow`: only because of shadow mode)."""


@dataclass
class ScenarioResult:
    """All trials of one scenario."""

    id: str
    title: str
    tags: tuple[str, ...]
    path: str
    model: str
    trials: list[TrialResult]

    @property
    def passes(self) -> int:
        """Trials that passed."""
        return sum(1 for t in self.trials if t.passed)

    @property
    def passed(self) -> bool:
        """Every trial passed (pass^k for this scenario)."""
        return bool(self.trials) and self.passes == len(self.trials)

    @property
    def violations(self) -> list[Violation]:
        """Violations of every trial."""
        return [v for t in self.trials for v in t.violations]

    def to_json(self) -> dict[str, Any]:
        """The scenario entry of FORMAT.md's runner output (sums over trials)."""
        many = len(self.trials) > 1
        failures = [(f"trial {i + 1}: {f}" if many else f) for i, t in enumerate(self.trials) for f in t.failures]
        return {
            "id": self.id,
            "passed": self.passed,
            "passes": self.passes,
            "trials": len(self.trials),
            "failures": failures,
            "violations": [v.to_json() for v in self.violations],
            "agent_replies": sum(t.agent_replies for t in self.trials),
            "tokens": sum(t.tokens for t in self.trials),
            "cost_usd": _dec(sum((t.cost_usd for t in self.trials), Decimal(0))),
            "seconds": round(sum(t.seconds for t in self.trials), 3),
        }


def _dec(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text


def run_scenario(scenario: Scenario, options: RunOptions) -> ScenarioResult:
    """Run `options.trials` fresh trials of `scenario`."""
    from purser.gym.wiring import agent_settings

    settings = agent_settings(options)
    trials = [run_trial(scenario, options) for _ in range(max(1, options.trials))]
    return ScenarioResult(scenario.id, scenario.title, scenario.tags, str(scenario.path), settings.model, trials)


def run_trial(scenario: Scenario, options: RunOptions) -> TrialResult:
    """One fresh world, one conversation, one verdict. Errors of the agent fail the trial, not the run."""
    from purser.gym.wiring import build_trial, make_customer

    started = time.perf_counter()
    driver: ConversationDriver
    if options.channel:
        from purser.gym.wiring import agent_settings
        from purser.testing.channels import channel_harness

        harness = channel_harness(options.channel)
        container = build_trial(scenario, options, settings=harness.settings(agent_settings(options)))
        driver = harness.driver(container)
    else:
        container = build_trial(scenario, options)
        driver = RuntimeDriver(container)
    conv = Conversation()
    try:
        before = read_state(container.db)
        error: str | None = None
        window: list[Any] = []  # a dunning scenario's conversation: its before and after states
        dunning_failures: list[str] = []
        try:
            if scenario.dunning is None:
                _converse(container, driver, scenario, make_customer(scenario, options), conv)
            else:
                dunning_failures = _dunning_days(
                    container, driver, scenario, make_customer(scenario, options), conv, window
                )
        except Exception as exc:  # the agent's failure is a failed trial, reported with its cause
            error = f"error: the conversation stopped: {type(exc).__name__}: {exc}"
        after = read_state(container.db)
        if scenario.dunning is not None:
            # The chat is judged on its own window; the days around it on `dunning.expect`.
            before, after = window if len(window) == 2 else (after, after)
        events = [e for e in read_events(container.db, before.last_event_seq) if e.seq <= after.last_event_seq]
        requests = _requests(container, conv.conversation_id)  # read once: judged and reported
        conv.approvals = _raised(requests)
        failures = judge(scenario, before, after, conv) + dunning_failures
        if error:
            failures.insert(0, error)
        violations = check_violations(scenario.policy, scenario.customer, before, after, events, conv)
        tokens, cost = _usage(container, conv.conversation_id)
        reasons = [str(req.reason) for req in requests]
    finally:
        container.close()
    return TrialResult(
        passed=not failures,
        failures=failures,
        violations=violations,
        agent_replies=conv.agent_replies,
        tokens=tokens,
        cost_usd=cost,
        seconds=time.perf_counter() - started,
        events=list(conv.log),
        approval_reasons=reasons,
    )


def _converse(
    container: Any, driver: ConversationDriver, scenario: Scenario, customer: Customer, conv: Conversation
) -> None:
    conv.conversation_id = driver.start(scenario.customer, scenario.channel)
    while conv.agent_replies < MAX_AGENT_REPLIES:
        text = customer.next_message(conv)
        if text is None:
            break
        conv.record_customer({"type": "message", "text": text})
        work = [driver.message(conv.conversation_id, text)]
        while work and conv.agent_replies < MAX_AGENT_REPLIES:
            events = [_as_dict(ev) for ev in work.pop(0)]
            conv.agent_replies += 1
            conv.record_agent(events)
            for ev in events:
                if conv.agent_replies + len(work) >= MAX_AGENT_REPLIES:
                    break
                if ev.get("type") == "confirmation_request":
                    decision = scenario.confirm.decide(str(ev.get("action")))
                    conv.confirmations.append(
                        {
                            "action_id": ev.get("action_id"),
                            "action": ev.get("action"),
                            "decision": decision,
                            "quote": ev.get("quote"),
                        }
                    )
                    confirm = {"type": "confirm", "action_id": str(ev.get("action_id")), "decision": decision}
                    conv.record_customer(confirm)
                    work.append(driver.confirm(conv.conversation_id, str(ev.get("action_id")), decision))
                elif ev.get("type") == "approval_pending":
                    request = _pending_request(container, conv.conversation_id, str(ev.get("action_id")))
                    if request is None:
                        continue
                    shadow = request.reason == "shadow"
                    if not shadow and scenario.approver == "none":
                        continue
                    # A shadow proposal is accepted as the agent made it (the rollout's "accepted unchanged").
                    approve = shadow or scenario.approver == "approve"
                    approval_id = str(request.id)
                    action = next(
                        (c["action"] for c in conv.confirmations if c["action_id"] == ev.get("action_id")), None
                    )
                    conv.approvals_decided.append(
                        {
                            "approval_id": approval_id,
                            "action_id": ev.get("action_id"),
                            "action": action,
                            "approve": approve,
                        }
                    )
                    work.append(driver.decide_approval(conv.conversation_id, approval_id, approve=approve))


def _dunning_days(
    container: Any,
    driver: ConversationDriver,
    scenario: Scenario,
    customer: Customer,
    conv: Conversation,
    window: list[Any],
) -> list[str]:
    """Run a dunning scenario's days (`purser.gym.dunning`); the conversation, if any, on its day."""
    from purser.gym.dunning import judge_dunning, run_timeline

    plan = scenario.dunning
    assert plan is not None

    def converse() -> None:
        window.append(read_state(container.db))
        _converse(container, driver, scenario, customer, conv)
        window.append(read_state(container.db))

    problems = run_timeline(container, plan, scenario.customer, scenario.now, converse)
    return problems + judge_dunning(container, plan, scenario.customer)


def _as_dict(event: Any) -> dict[str, Any]:
    if isinstance(event, dict):
        return event
    dump = getattr(event, "model_dump", None)
    if callable(dump):
        data = dump(mode="json")
        assert isinstance(data, dict)
        return data
    return dict(vars(event))


def _pending_request(container: Any, conversation_id: str, action_id: str) -> Any:
    for req in container.gateway.approvals(conversation_id=conversation_id):
        if req.action_id == action_id and req.status == "pending":
            return req
    return None


def _requests(container: Any, conversation_id: str) -> list[Any]:
    """The conversation's approval requests, oldest first (none before it started)."""
    return container.gateway.approvals(conversation_id=conversation_id) if conversation_id else []


def _raised(requests: list[Any]) -> list[RaisedApproval]:
    out: list[RaisedApproval] = []
    for req in requests:
        if req.reason == "shadow":
            continue  # raised by the rollout mode, not by the policy the scenario judges
        amount = None
        if req.amount is not None and req.currency:
            try:
                amount = Money.parse(req.amount, req.currency)
            except InvalidAmount:
                amount = None
        out.append(RaisedApproval(action=req.action, amount=amount, status=req.status))
    return out


def _usage(container: Any, conversation_id: str) -> tuple[int, Decimal]:
    if not conversation_id:
        return 0, Decimal(0)
    try:
        usage = container.runtime.usage(conversation_id)
    except Exception:
        return 0, Decimal(0)
    tokens = getattr(usage, "tokens", None)
    if tokens is None:
        tokens = int(getattr(usage, "input_tokens", 0) or 0) + int(getattr(usage, "output_tokens", 0) or 0)
    cost = getattr(usage, "cost_usd", "0") or "0"
    return int(tokens), Decimal(str(cost))


__all__ = [
    "MAX_AGENT_REPLIES",
    "Customer",
    "RunOptions",
    "ScenarioResult",
    "ScriptedCustomer",
    "Seconds",
    "TrialResult",
    "run_scenario",
    "run_trial",
]
