"""The shared regex helpers: ASCII twins and required needles find exactly what the original patterns find."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purser import text
from purser.text import Prefilter, ascii_twin, required_needles


@pytest.mark.parametrize(
    ("pattern", "needles"),
    [
        (r"\bchargebacks?\b", {"chargeback"}),
        (r"(?<!\bthe )\bcharge backs?\b(?! (?:the|my)\b)", {"charge back"}),
        (r"\bsu(e|ing)\b", {"su"}),
        (r"\b(my|the) (bank|card issuer)\b", {"bank", "card issuer"}),
        (r"\bf+u+c+k+\w*", {"f"}),
        (r"\bmeine?n? bank\b", {" bank"}),
        (r"\b(?:a|bc)\b", {"a", "bc"}),
        (r"\bjust cancel\b|\bno pause\b|\bcancel anyway\b", {"just cancel", "no pause", "cancel anyway"}),
        (r"\brefund\w*|\bmoney\b.{0,9}\bback\b|\bgive back\b", {"refund", "money", "give back"}),
        (r"\brefund|\w+", set()),  # a branch that requires nothing
        (r"(?:ab)?c", {"c"}),
        (r"(?:ab){0,2}", set()),
        (r"(?i)refund", set()),
        (r"(?i:refund) back", {" back"}),
        (r"[ab]x", {"x"}),
        (r"^(?=.*\bvat\b)(?=.*\?)", {"vat"}),  # a lookahead's needles are in the text
        (r"(?<=refund )\d+", {"refund "}),
        (r"(?<!refund )\d+", set()),
    ],
)
def test_required_needles(pattern: str, needles: set[str]) -> None:
    # a failure here on a new Python means its private parser changed shape: see purser.text
    assert required_needles(pattern) == needles


def test_a_case_insensitive_pattern_has_no_needles() -> None:
    assert required_needles(re.compile("refund", re.IGNORECASE)) == frozenset()


def test_the_stdlib_parser_is_read() -> None:
    # fails loudly (rather than every pattern silently running) when Python's parser changes shape
    assert text._parse(r"a\bb", 0) is not None
    assert required_needles(r"\bhello world\b") == {"hello world"}


_ALPHABET = st.sampled_from(["a", "b", "c", " ", "ab", "é", "\u00a0", "ſ", "K", "1", "\n", "."])
_PATTERNS = [
    r"\bab\b",
    r"\b(?:a|bc)\b",
    r"a+b+",
    r"\w+ b",
    r"(?<!\ba )b\b",
    r"\bc\b|\bab\b",
    r"\s+a",
    r"a.{0,3}\bc",
    r"(?:ab|b c)\w*",
    r"\d a",
    r"\bk\b",
    r"^(?=.*\bab\b)(?=.*c)",
    r"(?<=a )b",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=14), st.sampled_from(_PATTERNS))
def test_prefilter_finds_what_the_pattern_finds(parts: list[str], pattern: str) -> None:
    sample = "".join(parts)
    compiled = re.compile(pattern)
    fast = Prefilter(compiled)
    for method in ("search", "match", "fullmatch"):
        want = getattr(compiled, method)(sample)
        got = getattr(fast, method)(sample)
        assert (want and want.span()) == (got and got.span())
    assert fast.sub("_", sample) == compiled.sub("_", sample)
    needles = required_needles(compiled)
    if needles and compiled.search(sample):
        assert any(n in sample for n in needles)


def test_ascii_twin_reads_ascii_as_the_original() -> None:
    pattern = re.compile(r"\b\w+\b \d\s")
    twin = ascii_twin(pattern)
    assert twin.flags & re.ASCII
    assert twin.findall("ab 1 cd 2\t") == pattern.findall("ab 1 cd 2\t")
    assert twin.search("é") is None and pattern.search("é 1 ") is not None  # ASCII text only


@given(st.text(max_size=200))
def test_estimate_tokens_is_a_quarter_of_the_characters_rounded_up(value: str) -> None:
    from purser.agent.context import estimate_tokens as context_tokens
    from purser.knowledge.text import estimate_tokens as knowledge_tokens

    expected = -(-len(value) // 4)
    assert text.estimate_tokens(value) == expected
    assert context_tokens is knowledge_tokens is text.estimate_tokens  # one estimate for both budgets
