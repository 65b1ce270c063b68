"""The strict schema of a gym scenario's `world` (../shared/gym/FORMAT.md, "World").

`parse_world(data, source=...)` validates a mapping and returns a `World` whose amounts are `Money`
in the right currency; any problem raises `WorldError`, whose lines each name the file, the key
path (`world.customers[0].charges[1].amount`) and what was expected. `World` can also be embedded as
a field of a larger pydantic model (the gym's scenario); `describe_errors` formats its errors.

Currencies: `world.currency` (default usd) is the default of every plan, invoice and charge; a
`currency` key on any of them overrides it; a charge without one takes its invoice's, a refund takes
its charge's.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from purser.errors import PurserError
from purser.worlds._types import (
    Amount,
    CardExpiry,
    Country,
    Currency,
    EmailAddress,
    Last4,
    Text,
    UtcTime,
    VatId,
    YesNo,
    utc_time,
)

__all__ = [
    "World",
    "WorldAddress",
    "WorldCharge",
    "WorldCustomer",
    "WorldError",
    "WorldInvoice",
    "WorldPaymentMethod",
    "WorldPlan",
    "WorldRefund",
    "WorldSubscription",
    "describe_errors",
    "error_items",
    "load_scenario_world",
    "parse_world",
]

DEFAULT_CURRENCY = "usd"


Loc = tuple[str | int, ...]
"""A key path: ("world", "customers", 0, "charges", 1, "amount")."""


class WorldError(PurserError, ValueError):
    """A world that cannot be loaded; `problems` holds one "file: key.path: expectation" line each.

    `items` holds the same problems as (key path, expectation) pairs when they are known.
    """

    code = "invalid_world"
    status = 422

    def __init__(self, problems: list[str], items: list[tuple[Loc, str]] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.items = items or []


class CrossCheckError(PurserError, ValueError):
    """Several problems found by a cross-check, each at a key path relative to the validated object."""

    code = "invalid_world"
    status = 422

    def __init__(self, issues: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(f"{_path(loc)}: {msg}" if loc else msg for loc, msg in issues))
        self.issues = issues


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class WorldPlan(_Strict):
    """A price: `amount` per `interval`, per seat when `per_seat`."""

    id: Text
    name: Text
    currency: Currency | None = None
    amount: Amount
    interval: Literal["month", "year"]
    per_seat: YesNo = False


class WorldAddress(_Strict):
    """Billing address; `country` is ISO 3166-1 alpha-2."""

    line1: Text | None = None
    city: Text | None = None
    postal_code: Text | None = None
    country: Country


class WorldPaymentMethod(_Strict):
    """A card on file with a sandbox behaviour."""

    id: Text
    brand: Text
    last4: Last4
    exp: CardExpiry
    behavior: Literal["succeeds", "declines", "insufficient_funds", "expired"] = "succeeds"
    default: YesNo = False

    @property
    def exp_year(self) -> int:
        """Expiry year."""
        return int(self.exp[:4])

    @property
    def exp_month(self) -> int:
        """Expiry month (1-12)."""
        return int(self.exp[5:])


class WorldSubscription(_Strict):
    """The customer's subscription; the period end follows from the plan's interval."""

    id: Text
    plan: Text
    quantity: int = Field(1, ge=1)
    status: Literal["trialing", "active", "past_due", "unpaid", "paused", "canceled"]
    created: UtcTime
    current_period_start: UtcTime
    cancel_at_period_end: YesNo = False
    resumes_at: UtcTime | None = None

    @model_validator(mode="after")
    def _check(self) -> WorldSubscription:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if self.status == "paused" and self.resumes_at is None:
            issues.append((("resumes_at",), "required when status is paused (when billing resumes)"))
        if self.status != "paused" and self.resumes_at is not None:
            issues.append((("resumes_at",), f"only allowed when status is paused, not {self.status}"))
        if self.resumes_at is not None and self.resumes_at <= self.current_period_start:
            issues.append((("resumes_at",), "expected a time after current_period_start"))
        if self.current_period_start < self.created:
            issues.append((("current_period_start",), "expected a time at or after created"))
        if issues:
            raise CrossCheckError(issues)
        return self


class WorldInvoice(_Strict):
    """An invoice; `amount` is the total, `tax` the part of it that is tax."""

    id: Text
    number: Text
    created: UtcTime
    currency: Currency | None = None
    amount: Amount
    status: Literal["paid", "open", "void", "uncollectible"]
    attempts: int = Field(0, ge=0)
    tax: Amount | None = None

    @model_validator(mode="after")
    def _check(self) -> WorldInvoice:
        if self.tax is not None and self.tax > self.amount:
            raise CrossCheckError([(("tax",), "expected at most the invoice amount (tax is included in it)")])
        return self


class WorldCharge(_Strict):
    """A successful charge, optionally paying an invoice."""

    id: Text
    currency: Currency | None = None
    amount: Amount
    created: UtcTime
    invoice: Text | None = None
    disputed: YesNo = False
    payment_method: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> WorldCharge:
        if self.amount.is_zero:
            raise CrossCheckError([(("amount",), "expected a positive amount")])
        return self


class WorldRefund(_Strict):
    """A refund made before the conversation (counts towards the policy's limits)."""

    id: Text
    charge: Text
    currency: Currency | None = None
    amount: Amount
    created: UtcTime


class WorldCustomer(_Strict):
    """A customer with everything billed to them."""

    id: Text
    name: Text
    email: EmailAddress
    address: WorldAddress | None = None
    vat_id: VatId = None
    payment_methods: tuple[WorldPaymentMethod, ...] = ()
    subscription: WorldSubscription | None = None
    invoices: tuple[WorldInvoice, ...] = ()
    charges: tuple[WorldCharge, ...] = ()
    refunds: tuple[WorldRefund, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> WorldCustomer:
        from purser.worlds.checks import check_customer

        issues = check_customer(self)
        if issues:
            raise CrossCheckError(issues)
        return self


class World(_Strict):
    """A billing world: the plan catalogue and the customers."""

    currency: Currency = DEFAULT_CURRENCY
    plans: tuple[WorldPlan, ...] = ()
    customers: tuple[WorldCustomer, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _resolve_currencies(cls, data: Any) -> Any:
        from purser.worlds.checks import resolve_currencies

        return resolve_currencies(data)

    @model_validator(mode="after")
    def _check(self) -> World:
        from purser.worlds.checks import check_world

        issues = check_world(self)
        if issues:
            raise CrossCheckError(issues)
        return self

    def plan(self, plan_id: str) -> WorldPlan:
        """The plan with this id (the schema guarantees references exist)."""
        return next(p for p in self.plans if p.id == plan_id)

    def customer(self, customer_id: str) -> WorldCustomer:
        """The customer with this id; `KeyError` when there is none."""
        for customer in self.customers:
            if customer.id == customer_id:
                return customer
        raise KeyError(customer_id)


# -- errors ------------------------------------------------------------------------------------------


def _path(loc: tuple[str | int, ...] | list[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _allowed_keys(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str] | None:
    """The keys allowed where an unknown key was found (walks the models along `loc`)."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current is not None else None
        if field is None:
            return None
        current = _model_in(field.annotation)
        if current is None:
            return None
    return list(current.model_fields) if current is not None else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def describe_errors(exc: ValidationError, prefix: str = "world", model: type[BaseModel] = World) -> list[str]:
    """One "key.path: expectation" line per error of a `World` validation, paths starting at `prefix`."""
    return [f"{_path(loc)}: {msg}" if loc else msg for loc, msg in error_items(exc, prefix, model)]


def error_items(exc: ValidationError, prefix: str = "world", model: type[BaseModel] = World) -> list[tuple[Loc, str]]:
    """(key path, expectation) per error of a `World` validation, paths starting at `prefix`."""
    items: list[tuple[Loc, str]] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        base = (prefix, *loc) if prefix else loc
        error = (err.get("ctx") or {}).get("error")
        if isinstance(error, CrossCheckError):
            items.extend(((*base, *sub), msg) for sub, msg in error.issues)
            continue
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            msg = "unknown key" + (f"; expected one of: {', '.join(allowed)}" if allowed else "")
        elif err["type"] == "missing":
            msg = "missing required key"
        elif err["type"] in ("model_type", "model_attributes_type", "dict_type"):
            msg = f"expected a mapping, got {_short(err['input'])}"
        elif err["type"] in ("tuple_type", "list_type"):
            msg = f"expected a list, got {_short(err['input'])}"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ").replace("Input should be ", "expected ", 1)
            if err["type"] != "value_error" and not isinstance(err["input"], dict | list):
                msg = f"{msg}, got {_short(err['input'])}"
        items.append((base, msg))
    return items


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- entry points --------------------------------------------------------------------------------


def parse_world(data: Any, *, source: str) -> World:
    """Validate the `world` mapping of `source` (a file name); raise `WorldError` naming each problem."""
    if not isinstance(data, dict):
        raise WorldError([f"{source}: world: expected a mapping with currency, plans and customers"])
    try:
        return World.model_validate(data)
    except ValidationError as exc:
        items = error_items(exc)
        raise WorldError([f"{source}: {_path(loc)}: {msg}" for loc, msg in items], items) from None


def parse_now(value: Any, *, source: str) -> datetime:
    """Validate a scenario's `now` (an ISO 8601 UTC time)."""
    try:
        return utc_time(value)
    except ValueError as exc:
        raise WorldError([f"{source}: now: {exc}"]) from None


def load_scenario_world(path: str | Path) -> tuple[World, datetime]:
    """Read a whole scenario YAML file and validate only its `world` and `now`.

    Also checks that nothing in the world happens after `now`.
    """
    file = Path(path)
    source = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorldError([f"{source}: cannot read the file: {exc.strerror or exc}"]) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WorldError([f"{source}: not valid YAML: {exc}"]) from None
    if not isinstance(doc, dict):
        raise WorldError([f"{source}: expected a mapping at the top level (a scenario with world and now)"])
    problems: list[str] = []
    for key in ("world", "now"):
        if key not in doc:
            problems.append(f"{source}: {key}: missing required key")
    if problems:
        raise WorldError(problems)
    now = parse_now(doc["now"], source=source)
    try:
        world = parse_world(doc["world"], source=source)
    except WorldError as exc:
        if not exc.items:
            raise
        raise _with_lines(source, text, exc.items) from None
    from purser.worlds.checks import check_not_after

    late = check_not_after(world, now)
    if late:
        raise _with_lines(source, text, [(("world", *loc), msg) for loc, msg in late])
    return world, now


def _with_lines(source: str, text: str, items: list[tuple[Loc, str]]) -> WorldError:
    """A `WorldError` whose lines also give the line of the file where each key path is."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:  # pragma: no cover - the text was parsed already
        root = None
    problems = []
    for loc, msg in items:
        line = _line_of(root, loc)
        problems.append(f"{source}: {_path(loc)}: {msg}" + (f" (line {line})" if line else ""))
    return WorldError(problems, items)


def _line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the deepest node along `loc` (a missing key points at its parent)."""
    if node is None:
        return None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if child is not None and isinstance(child, yaml.ScalarNode):
                key = next(k for k, v in node.value if v is child)
                return int(key.start_mark.line) + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1
