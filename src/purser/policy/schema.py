"""The policy (purser.yaml, key `policy`): DESIGN §6, with its defaults.

Every key may be overridden per deployment and per scenario with `Policy.merged(overrides)`.
An invalid policy raises `PolicyError` naming the key.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from purser.errors import PurserError
from purser.money import InvalidAmount, Money, normalize_currency
from purser.policy.escalation import ESCALATION_TRIGGERS as _TRIGGERS
from purser.policy.fx import cap_in

ACTION_NAMES: tuple[str, ...] = (
    "lookup_account",
    "send_invoice",
    "update_billing_details",
    "refund",
    "preview_change",
    "change_plan",
    "change_seats",
    "retry_payment",
    "payment_method_link",
    "pause",
    "resume",
    "cancel",
)
"""Every action the policy can switch on or off (handoff is always available)."""

Trigger = Literal["dispute", "fraud", "legal_threat", "human_request", "abuse", "repeated_failure"]
"""A reason that hands a conversation to a human: `EscalationReason`'s triggers spelled for validation
(a test keeps the two equal)."""

ESCALATION_TRIGGERS: tuple[Trigger, ...] = tuple(cast(Trigger, reason.value) for reason in _TRIGGERS)
"""Reasons a conversation is handed to a human (`purser.policy.escalation.EscalationReason`), as strings."""


class PolicyError(PurserError, ValueError):
    """An invalid policy; the message names the offending key."""

    code = "invalid_policy"
    status = 422


def _on_off(value: Any) -> bool:
    # YAML 1.1 reads bare on/off as booleans already; accept the strings too.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"on", "off", "true", "false", "yes", "no"}:
        return value.strip().lower() in {"on", "true", "yes"}
    raise ValueError(f"expected on or off, got {value!r}")


OnOff = Annotated[bool, BeforeValidator(_on_off)]


def _switch(value: Any) -> bool | str:
    # An action is on, off, or `shadow`: the agent quotes it as usual, but a person approves every run.
    if isinstance(value, str) and value.strip().lower() == "shadow":
        return "shadow"
    return _on_off(value)


Switch = Annotated[bool | Literal["shadow"], BeforeValidator(_switch)]
"""on | off | shadow."""


def _decimal_string(value: Any) -> str:
    if isinstance(value, bool | float):
        raise ValueError(f"expected a decimal string such as '500.00', got {value!r}")
    text = str(value).strip()
    # Validate the shape with a currency that has the most decimals we accept.
    try:
        Money.parse(text, "kwd")
    except InvalidAmount as exc:
        raise ValueError(str(exc)) from exc
    if text.startswith("-"):
        raise ValueError(f"expected a non-negative amount, got {value!r}")
    return text


DecimalString = Annotated[str, BeforeValidator(_decimal_string)]

MAX_AMOUNT_MINOR = 10**15
"""The largest policy amount, in minor units of the policy currency (caps beyond it are typos)."""


def _whole_number(value: Any) -> int:
    # Strict: YAML `true` or `30.5` is not a count. A string of digits is accepted (environment variables).
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"expected a whole number such as 30, got {value!r}")


def _flag(value: Any) -> bool:
    # Strict: a YAML boolean (true/false); the strings "true"/"false" only as environment variables carry them.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ValueError(f"expected true or false, got {value!r}")


Count = Annotated[int, BeforeValidator(_whole_number)]
"""A whole number: never a boolean or a float."""

Flag = Annotated[bool, BeforeValidator(_flag)]
"""true or false: never "yes", 1 or a quoted word."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionSwitches(_Strict):
    """Which actions the agent may take: on, off, or `shadow` (quoted as usual; a person approves each run)."""

    lookup_account: Switch = True
    send_invoice: Switch = True
    update_billing_details: Switch = True
    refund: Switch = True
    preview_change: Switch = True
    change_plan: Switch = True
    change_seats: Switch = True
    retry_payment: Switch = True
    payment_method_link: Switch = True
    pause: Switch = True
    resume: Switch = True
    cancel: Switch = True

    def enabled(self, action: str) -> bool:
        """True when `action` is switched on or in shadow (unknown actions are off)."""
        if action not in ACTION_NAMES:
            return action == "handoff"
        return getattr(self, action, False) is not False

    def shadowed(self, action: str) -> bool:
        """True when `action` runs in shadow mode (every run needs a person's approval)."""
        return action in ACTION_NAMES and getattr(self, action, False) == "shadow"


class RefundPolicy(_Strict):
    """The refund envelope."""

    window_days: Count = Field(30, ge=0, le=3650, description="Only charges at most this many days old.")
    max_amount: Literal["one_cycle"] | DecimalString = Field(
        "one_cycle", description="Per refund: one_cycle (price x quantity of one interval) or an amount."
    )
    per_customer_days: Count = Field(90, ge=0, le=3650, description="Look-back for the per-customer count.")
    per_customer_count: Count = Field(1, ge=0, le=1000, description="Refunds per customer in the look-back.")
    daily_budget: DecimalString = Field("500.00", description="All agent refunds in one UTC day.")
    duplicates_exempt: Flag = Field(True, description="Exact duplicates may be refunded outside the count.")
    disputed: Literal["escalate", "refuse"] = Field("escalate", description="Never refund a disputed charge.")
    over_limit: Literal["approval", "refuse"] = Field("approval", description="Outside the envelope.")

    @field_validator("max_amount", mode="before")
    @classmethod
    def _max_amount(cls, value: Any) -> Any:
        if value == "one_cycle":
            return value
        return _decimal_string(value)

    def max_amount_money(self, currency: str, policy_currency: str = "usd") -> Money | None:
        """The fixed per-refund cap (stated in `policy_currency`) in `currency`, or None for one_cycle."""
        if self.max_amount == "one_cycle":
            return None
        return cap_in(Money.parse(self.max_amount, policy_currency), currency)

    def daily_budget_money(self, currency: str, policy_currency: str = "usd") -> Money:
        """The daily budget (stated in `policy_currency`) in `currency`, rounded down."""
        return cap_in(Money.parse(self.daily_budget, policy_currency), currency)


class PlanPolicy(_Strict):
    """Plan and seat changes."""

    upgrade: Literal["now_prorated", "period_end"] = "now_prorated"
    downgrade: Literal["now_prorated", "period_end"] = "period_end"
    max_seat_change: Count = Field(50, ge=0, le=100000)


class CancellationPolicy(_Strict):
    """Cancellation and pause."""

    save_offer: Literal["pause", "none"] = "pause"
    pause_max_months: Count = Field(3, ge=0, le=24)
    effective: Literal["period_end", "now"] = "period_end"


def _clock_time(value: Any) -> str:
    text = str(value).strip() if isinstance(value, str) else ""
    hours, _, minutes = text.partition(":")
    digits = len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
    if digits and int(hours) < 24 and int(minutes) < 60:
        return text
    raise ValueError(f"expected a time of day as HH:MM (24-hour clock) such as '21:00', got {value!r}")


ClockTime = Annotated[str, BeforeValidator(_clock_time)]


class DunningStep(_Strict):
    """One step of the dunning cadence: `day` days after the first failed payment."""

    day: Count = Field(ge=0, le=365, description="Days after the first failure (processor clock).")
    retry: Flag = Field(False, description="Retry the invoice on the card on file (by decline reason).")
    notify: Flag = Field(False, description="Reach out with the payment-method link.")


class QuietHours(_Strict):
    """No outreach between `start` and `end` in the customer's local time (wraps midnight when start > end)."""

    start: ClockTime = Field("21:00", description="HH:MM, 24-hour clock.")
    end: ClockTime = Field("08:00", description="HH:MM, 24-hour clock.")


def _default_dunning_steps() -> tuple[DunningStep, ...]:
    return (
        DunningStep(day=0, notify=True),
        DunningStep(day=3, retry=True, notify=True),
        DunningStep(day=7, retry=True, notify=True),
        DunningStep(day=14, retry=True),
    )


class DunningPolicy(_Strict):
    """Failed-payment recovery (DESIGN §10): the cadence, how a case ends and when to stay quiet."""

    enabled: OnOff = True
    steps: tuple[DunningStep, ...] = Field(default_factory=_default_dunning_steps)
    final: Literal["handoff", "cancel", "uncollectible"] = "handoff"
    channel: Literal["preferred", "email"] = "preferred"
    quiet_hours: QuietHours | None = Field(default_factory=QuietHours)

    @field_validator("steps")
    @classmethod
    def _steps(cls, steps: tuple[DunningStep, ...]) -> tuple[DunningStep, ...]:
        if not steps:
            raise ValueError("at least one step is needed, e.g. [{day: 0, notify: true}]")
        for before, after in itertools.pairwise(steps):
            if after.day <= before.day:
                raise ValueError(f"step days must increase: day {after.day} follows day {before.day}")
        for step in steps:
            if not (step.retry or step.notify):
                raise ValueError(f"the step on day {step.day} does nothing: set retry or notify")
        return steps


class ApprovalsPolicy(_Strict):
    """Who must approve (DESIGN §11): above `two_person_above` (policy currency), two different approvers."""

    two_person_above: DecimalString | None = Field(
        None, description="Approvals moving more than this need two different approvers; unset: one is enough."
    )


class EscalationPolicy(_Strict):
    """Which triggers hand a conversation to a human."""

    triggers: tuple[Trigger, ...] = ESCALATION_TRIGGERS


class Policy(_Strict):
    """The whole policy in force."""

    actions: ActionSwitches = Field(default_factory=ActionSwitches)
    refunds: RefundPolicy = Field(default_factory=RefundPolicy)
    plans: PlanPolicy = Field(default_factory=PlanPolicy)
    cancellation: CancellationPolicy = Field(default_factory=CancellationPolicy)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    dunning: DunningPolicy = Field(default_factory=DunningPolicy)
    approvals: ApprovalsPolicy = Field(default_factory=ApprovalsPolicy)
    currency: str = "usd"
    mode: Literal["live", "shadow"] = Field(
        "live", description="shadow: every write is quoted as usual but becomes an approval request (rollout)."
    )

    def shadowed(self, action: str) -> bool:
        """True when a confirmed `action` goes to a person instead of running (`mode: shadow` or per action)."""
        return self.mode == "shadow" or self.actions.shadowed(action)

    @model_validator(mode="after")
    def _amounts_in_currency(self) -> Policy:
        # Amounts are in the policy currency: no more decimals than it has (50.001 USD would make every
        # refund fail later), and within range.
        amounts = {
            "refunds.max_amount": None if self.refunds.max_amount == "one_cycle" else self.refunds.max_amount,
            "refunds.daily_budget": self.refunds.daily_budget,
            "approvals.two_person_above": self.approvals.two_person_above,
        }
        for key, text in amounts.items():
            if text is None:
                continue
            try:
                money = Money.parse(text, self.currency)
            except InvalidAmount as exc:
                raise ValueError(f"{key}: {exc}") from None
            if money.minor > MAX_AMOUNT_MINOR:
                most = Money(MAX_AMOUNT_MINOR, self.currency).amount_str()
                raise ValueError(f"{key}: {text!r} is too large (at most {most} {self.currency.upper()})")
        return self

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        try:
            return normalize_currency(str(value))
        except InvalidAmount as exc:
            raise ValueError(str(exc)) from exc

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None, *, source: str = "policy") -> Policy:
        """Validate a mapping; raise `PolicyError` naming each bad key (e.g. `policy.refunds.window_days`).

        None (a YAML `policy:` with nothing after it) is refused: omit the key to get the defaults."""
        if data is None:
            raise PolicyError(f"{source}: expected a mapping of policy keys, got null (omit the key for the defaults)")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise PolicyError(_describe(exc, source)) from None

    def merged(self, overrides: dict[str, Any] | None, *, source: str = "policy") -> Policy:
        """A copy with `overrides` deep-merged onto this policy."""
        if not overrides:
            return self
        base = self.model_dump(mode="python")
        return Policy.from_mapping(_deep_merge(base, overrides, source), source=source)


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any], path: str) -> dict[str, Any]:
    if not isinstance(overrides, dict):
        raise PolicyError(f"{path}: expected a mapping, got {type(overrides).__name__}")
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value, f"{path}.{key}")
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError, source: str) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        key, sep, rest = msg.partition(": ")
        if not loc and sep and key.replace("_", "").replace(".", "").isalpha():
            loc, msg = key, rest  # a whole-policy check names its key first ("refunds.max_amount: ...")
        parts.append(f"{source}.{loc}: {msg}" if loc else f"{source}: {msg}")
    return "; ".join(parts)


DEFAULT_POLICY = Policy()
"""The defaults of DESIGN §6."""


__all__ = [
    "ACTION_NAMES",
    "DEFAULT_POLICY",
    "ESCALATION_TRIGGERS",
    "MAX_AMOUNT_MINOR",
    "ActionSwitches",
    "ApprovalsPolicy",
    "CancellationPolicy",
    "Count",
    "DecimalString",
    "DunningPolicy",
    "DunningStep",
    "EscalationPolicy",
    "Flag",
    "OnOff",
    "PlanPolicy",
    "Policy",
    "PolicyError",
    "QuietHours",
    "RefundPolicy",
    "Trigger",
]
