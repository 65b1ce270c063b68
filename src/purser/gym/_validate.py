"""Small validators shared by the scenario loader: each records "file: key: expected ..., got ..."."""

from __future__ import annotations

from datetime import date
from typing import Any

from purser.money import InvalidAmount, Money


def short(value: Any) -> str:
    """`repr` of a value, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Checker:
    """Collects the problems of one file; each reader returns None after recording one."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def bad(self, key: str, expected: str, value: Any = ..., *, got: bool = True) -> None:
        suffix = f", got {short(value)}" if got and value is not ... else ""
        self.problems.append(f"{self.source}: {key}: expected {expected}{suffix}")

    def unknown(self, key: str, allowed: tuple[str, ...] | list[str]) -> None:
        self.problems.append(f"{self.source}: {key}: unknown key; expected one of: {', '.join(allowed)}")

    # -- scalar readers: return None after recording a problem ---------------------------------
    def text(self, key: str, value: Any, *, max_len: int | None = None) -> str | None:
        if not isinstance(value, str) or not value.strip():
            hint = " (quote it in YAML)" if isinstance(value, bool | int | float | date) else ""
            self.bad(key, f"a non-empty string{hint}", value)
            return None
        if max_len is not None and len(value) > max_len:
            self.bad(key, f"at most {max_len} characters", f"{len(value)} characters", got=True)
            return None
        return value.strip() if max_len is None else value

    def yes_no(self, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
            return value.strip().lower() == "yes"
        self.bad(key, "yes or no", value)
        return None

    def choice(self, key: str, value: Any, options: tuple[str, ...]) -> str | None:
        if isinstance(value, str) and value in options:
            return value
        self.bad(key, "one of " + ", ".join(options), value)
        return None

    def positive_int(self, key: str, value: Any) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.bad(key, "a whole number of at least 1", value)
            return None
        return value

    def amount(self, key: str, value: Any, currency: str) -> Money | None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.bad(key, f"a decimal string in {currency.upper()} such as '20.00' (quoted)", value)
            return None
        try:
            money = Money.parse(str(value), currency)
        except InvalidAmount as exc:
            self.bad(key, f"an amount in {currency.upper()} ({exc})", value)
            return None
        if money.is_negative:
            self.bad(key, "a non-negative amount", value)
            return None
        return money

    def mapping(self, key: str, value: Any, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.bad(key, f"a mapping ({what})", value)
            return None
        return value

    def items(self, key: str, value: Any, what: str) -> list[Any] | None:
        if not isinstance(value, list):
            self.bad(key, f"a list ({what})", value)
            return None
        return value


__all__ = [
    "Checker",
    "short",
]
