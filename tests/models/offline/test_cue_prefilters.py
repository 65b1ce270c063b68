"""The cue patterns and the override's word tests, pre-checked by needles and run as ASCII twins, answer
exactly as the plain patterns do on every known message (raw and normalized) and on generated text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from purser.models.offline import cues, understand
from purser.models.offline.normalize import normalize
from purser.text import Prefilter

_FILTERS: list[Prefilter] = [
    *(v for m in (cues, understand) for v in vars(m).values() if isinstance(v, Prefilter)),
    *(p for _, p in cues.FALLBACKS),
]


def _same(fast: Prefilter, text: str) -> bool:
    plain = re.compile(fast.pattern, fast.flags)
    want, got = plain.search(text), fast.search(text)
    return (want and want.span()) == (got and got.span()) and plain.sub("", text) == fast.sub("", text)


def test_the_cues_are_wrapped() -> None:
    assert len(_FILTERS) > 40
    assert sum(1 for f in _FILTERS if f.needles) > 35  # most are pre-checked


def test_every_known_message_is_read_as_before(known_texts: list[str]) -> None:
    texts = known_texts
    assert len(texts) > 2000
    forms = [form for t in texts for form in (t, t.lower(), normalize(t))]
    differ = [(f.pattern[:40], form) for f in _FILTERS for form in forms if not _same(f, form)]
    assert differ == []


_PIECES = st.sampled_from(
    ["refund", "money back", "cancel", "pause", "not", "don't", "again", "card", "vat", "0%", "?", "trial",
     "ends", "seats", "keep", "after all", "é", "ſ", "K", "\u00a0", "\n", " ", ".", "i", "we", "how much",
     "owe", "charge", "new", "update", "fix it", "if", "fails", "next", "retry", "plan", "monthly", "yearly"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=16))
def test_generated_text_is_read_as_before(parts: list[str]) -> None:
    text = " ".join(parts)
    assert all(_same(f, text) for f in _FILTERS)
