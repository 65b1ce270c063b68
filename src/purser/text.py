"""Cheaper scans for regular expressions over customer text, with exactly the matches of the original.

Two helpers shared by every layer that reads customer words (the offline model, the escalation policy),
so neither imports the other for them:

- `ascii_twin(pattern)`: most messages are plain ASCII. On ASCII text a pattern compiled with `re.ASCII`
  finds exactly the matches of its Unicode original, without the Unicode database lookups that every
  `\\b`, `\\w`, `\\s` and `\\d` otherwise costs. A caller picks the twin when `text.isascii()` (a cheap
  test) and the original otherwise, so text in other scripts ("キャンセルcancel") is read as before.
- `required_needles(pattern)`: plain strings of which every text `pattern` matches in contains at least
  one (mostly inside the match). When none of them is in a text (a C substring scan), the pattern cannot
  match it and need not run; `Prefilter` puts the two together.

The needles come from the standard library's own parse of the pattern (`re._parser`, the parser
`re.compile` itself uses), read through `_parse` only. A Python whose parser no longer looks as expected
gives no needles (every pattern then simply runs); tests/test_text.py fails loudly when that happens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["Prefilter", "ascii_twin", "estimate_tokens", "required_needles"]


def ascii_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` with ASCII-only classes and word boundaries: the same matches on ASCII text."""
    return re.compile(pattern.pattern, (pattern.flags & ~re.UNICODE) | re.ASCII)


def _parse(pattern: str, flags: int) -> tuple[list[tuple[Any, Any]], int, dict[str, Any]] | None:
    """The top-level items of the stdlib's parse of `pattern`, its global flags and the opcodes used, or
    None when the private parser is not there in the shape this module reads (see the module docstring)."""
    parser = getattr(re, "_parser", None)
    constants = getattr(re, "_constants", None)
    if parser is None or constants is None:
        return None
    names = ("LITERAL", "AT", "ASSERT", "ASSERT_NOT", "SUBPATTERN", "BRANCH", "MAX_REPEAT", "MIN_REPEAT")
    ops = {name: getattr(constants, name, None) for name in names}
    if any(op is None for op in ops.values()):
        return None
    try:
        parsed = parser.parse(pattern, flags)
        return list(parsed.data), int(parsed.state.flags), ops
    except (AttributeError, TypeError):  # a changed parser: no needles, never a wrong one
        return None


def required_needles(pattern: str | re.Pattern[str]) -> frozenset[str]:
    """Strings of which every text `pattern` matches in contains at least one; empty when there are none
    to give.

    Read from the structure of the pattern: a run of literal characters (zero-width items such as `\\b`
    or a lookaround inside a run leave its neighbours adjacent in the text) is always in a match, and what
    a positive lookahead or lookbehind requires is in the text around it; a group
    passes on what its contents require; an alternation requires one of what its branches require (only
    when every branch requires something); a repeat at least once requires what its body requires. Of the
    items in a sequence the most selective set is kept (the longest shortest needle, then the fewest).
    A case-insensitive pattern gives none: its literals do not match the text byte for byte.
    """
    text, flags = (pattern.pattern, pattern.flags) if isinstance(pattern, re.Pattern) else (pattern, 0)
    if not isinstance(text, str):
        return frozenset()
    parsed = _parse(text, flags)
    if parsed is None:
        return frozenset()
    items, global_flags, ops = parsed
    if global_flags & re.IGNORECASE:
        return frozenset()
    return _minimal(_sequence(items, ops))


def _sequence(items: Iterable[tuple[Any, Any]], ops: dict[str, Any]) -> frozenset[str]:
    """The most selective needle set of a sequence of parsed items (empty: nothing is required)."""
    best: frozenset[str] = frozenset()
    run = ""
    for op, arg in items:
        if op is ops["LITERAL"]:
            run += chr(arg)
            best = _better(best, frozenset({run}))
            continue
        if op is ops["ASSERT"]:
            # zero-width, so the run goes on; what a lookaround requires is in the text (if not the match)
            best = _better(best, _sequence(arg[1].data, ops))
            continue
        if op in (ops["AT"], ops["ASSERT_NOT"]):
            continue  # zero-width: the run goes on
        run = ""
        best = _better(best, _item(op, arg, ops))
    return best


def _item(op: Any, arg: Any, ops: dict[str, Any]) -> frozenset[str]:
    """The needle set one non-literal item requires (empty: none)."""
    if op is ops["SUBPATTERN"]:
        _group, add_flags, del_flags, body = arg
        if (add_flags & re.IGNORECASE) and not (del_flags & re.IGNORECASE):
            return frozenset()
        return _sequence(body.data, ops)
    if op is ops["BRANCH"]:
        _, branches = arg
        union: set[str] = set()
        for branch in branches:
            needles = _sequence(branch.data, ops)
            if not needles:
                return frozenset()  # a branch that requires nothing: the alternation requires nothing
            union |= needles
        return frozenset(union)
    if op in (ops["MAX_REPEAT"], ops["MIN_REPEAT"]):
        low, _high, body = arg
        return _sequence(body.data, ops) if low >= 1 else frozenset()
    return frozenset()


def _better(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    """The more selective of two needle sets: any non-empty one over none, then the longer shortest needle
    (a one-letter needle is in almost every text), then fewer needles."""
    if not a or not b:
        return a or b
    rank_a, rank_b = (-min(map(len, a)), len(a)), (-min(map(len, b)), len(b))
    return b if rank_b < rank_a else a


def _minimal(needles: frozenset[str]) -> frozenset[str]:
    """`needles` without those that contain another one (a text holding the longer holds the shorter)."""
    return frozenset(n for n in needles if not any(m != n and m in n for m in needles))


class Prefilter:
    """A pattern run only on text that can match it: its ASCII twin on ASCII text, the original otherwise,
    and neither when the text holds none of the pattern's required needles.

    `search`, `match`, `fullmatch` and `sub` give exactly what the pattern's own methods give. Needles of
    one or two letters are in almost every text: a pattern with such a needle always runs.
    """

    __slots__ = ("_needles", "ascii", "needles", "original")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        """Wrap `pattern` (compiled without `re.ASCII`: its twin is made here)."""
        self.original = pattern
        self.ascii = ascii_twin(pattern)
        self.needles = required_needles(pattern)
        """Every text the pattern matches in contains one of these (empty: none known)."""
        worth = self.needles and min(map(len, self.needles)) >= 3
        self._needles = tuple(sorted(self.needles)) if worth else ()

    @property
    def pattern(self) -> str:
        """The pattern's source, as `re.Pattern.pattern`."""
        return self.original.pattern

    @property
    def flags(self) -> int:
        """The pattern's flags, as `re.Pattern.flags`."""
        return self.original.flags

    def possible(self, text: str) -> bool:
        """Whether `text` contains one of the needles (always true without needles)."""
        return not self._needles or any(n in text for n in self._needles)

    def _pick(self, text: str) -> re.Pattern[str]:
        return self.ascii if text.isascii() else self.original

    def search(self, text: str) -> re.Match[str] | None:
        """`pattern.search(text)`."""
        return self._pick(text).search(text) if self.possible(text) else None

    def match(self, text: str) -> re.Match[str] | None:
        """`pattern.match(text)`."""
        return self._pick(text).match(text) if self.possible(text) else None

    def fullmatch(self, text: str) -> re.Match[str] | None:
        """`pattern.fullmatch(text)`."""
        return self._pick(text).fullmatch(text) if self.possible(text) else None

    def sub(self, repl: str, text: str) -> str:
        """`pattern.sub(repl, text)`."""
        return self._pick(text).sub(repl, text) if self.possible(text) else text


def estimate_tokens(text: str) -> int:
    """A cheap, model-independent token estimate: about four characters per token (rounded up); the
    context budget and the knowledge base's "fits whole in the prompt" test use the same one."""
    return (len(text) + 3) // 4
