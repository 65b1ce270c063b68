"""The exception tree: every deliberate error is a PurserError with a stable code and an HTTP status."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import purser
from purser.errors import PurserError

# Modules that need an optional extra or a driver to import; their errors are covered where they load.
_SKIP = (".migrations", "__main__")


def _module_names() -> list[str]:
    # Walk the files, not pkgutil: some subpackages (web/) are namespace packages pkgutil skips.
    root = Path(purser.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        if not any(skip in name for skip in _SKIP):
            names.append(name)
    return names


def _error_classes() -> list[type[PurserError]]:
    found: dict[str, type[PurserError]] = {}
    for name in _module_names():
        module = importlib.import_module(name)
        for _name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, PurserError) and obj.__module__.startswith("purser"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return sorted(found.values(), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


ERRORS = _error_classes()


def test_the_tree_is_not_trivial() -> None:
    names = {cls.__name__ for cls in ERRORS}
    for expected in ("ProcessorError", "ConfigError", "PolicyError", "WorldError", "WebError", "InvalidAmount"):
        assert expected in names


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_error_has_a_stable_code_and_an_http_status(cls: type[PurserError]) -> None:
    assert isinstance(cls.code, str) and re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), cls.code
    assert isinstance(cls.status, int) and 400 <= cls.status <= 599, cls.status
    if cls is not PurserError:
        # A subclass names its own code or deliberately inherits its parent's; either way it is fixed
        # on the class, so clients can rely on it.
        assert "code" in vars(cls) or any("code" in vars(base) for base in cls.__mro__[1:] if base is not PurserError)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_error_is_in_the_drawn_tree(cls: type[PurserError]) -> None:
    import purser.errors

    assert purser.errors.__doc__ is not None
    assert re.search(rf"\b{cls.__name__}\b", purser.errors.__doc__), f"draw {cls.__name__} in purser.errors"


def test_message_and_code_override() -> None:
    exc = PurserError("went wrong", code="specific")
    assert str(exc) == exc.message == "went wrong"
    assert exc.code == "specific" and PurserError.code == "purser_error"


def test_old_builtin_bases_are_kept_for_callers() -> None:
    from purser.config import ConfigError
    from purser.money import InvalidAmount
    from purser.policy.schema import PolicyError

    for cls in (ConfigError, InvalidAmount, PolicyError):
        assert issubclass(cls, ValueError) and issubclass(cls, PurserError)
