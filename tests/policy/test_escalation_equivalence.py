"""The fast escalation scan (ASCII twins, required-literal pre-checks, plain fold) finds exactly what the
straightforward scan finds: every Unicode pattern searched on text folded the original way."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from purser.policy import escalation
from purser.policy.escalation import ESCALATION_TRIGGERS, detect_triggers, fold
from purser.text import required_needles


def _reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = ascii_text.replace("’", "'").lower()
    return re.sub(r"\s+", " ", ascii_text).strip()


_REFERENCE = {trigger: tuple(re.compile(p) for p in patterns) for trigger, patterns in escalation._PATTERNS.items()}


def _reference_detect(text: str) -> list[str]:
    folded = _reference_fold(text)
    words = re.findall(r"[a-z']+", folded)
    found: list[str] = []
    for trigger in ESCALATION_TRIGGERS:
        if trigger not in _REFERENCE:
            continue
        targets = escalation._FUZZY_WORDS.get(trigger, ())
        fuzzy = any(len(w) >= 5 and fuzz.ratio(w, t) >= 85 for w in words for t in targets)
        if any(p.search(folded) for p in _REFERENCE[trigger]) or fuzzy:
            found.append(trigger.value)
    return found


def test_every_known_message_is_read_as_before(known_texts: list[str]) -> None:
    texts = known_texts
    assert len(texts) > 2000  # the sets are really there
    differ = [t for t in texts if detect_triggers(t) != _reference_detect(t)]
    assert differ == []
    assert any(detect_triggers(t) for t in texts)  # and the scan does find triggers in them


def test_fold_is_the_original_fold_on_known_messages(known_texts: list[str]) -> None:
    assert [fold(t) for t in known_texts] == [_reference_fold(t) for t in known_texts]


# Fragments that trigger (or nearly trigger) patterns, glued with ASCII and non-ASCII noise: separators the
# Unicode `\s` knows and ASCII does not, accents, curly quotes, other scripts, typos for the fuzzy words.
_PIECES = st.sampled_from(
    [
        "chargeback",
        "charge back",
        "the charge back",
        "charge back the",
        "my bank",
        "disputed",
        "did not authorize this charge",
        "fraud",
        "stolen card",
        "lawyer",
        "sue",
        "suing",
        "court",
        "talk to a human",
        "real person",
        "someone from sales",
        "who can I talk to",
        "fuck",
        "sh1t",
        "i'll kill you",
        "chargbak",
        "lawer",
        "unauthorised",
        "atorney",
        "ma banque",
        "contester",
        "Rückbuchung",
        "zurückbuchen",
        "à un humain",
        "cartão roubado",
        "someone used my card",
        "call my bank",
        "my card was stolen",
        "the bank reversed it",
        "talk to sales",
        "carte volée",
        "I’ll",
        "ſ",
        "K",
        "İ",
        "ı",
        "ß",
        "キャンセル",
        "\x1c",
        "\x1f",
        "\u00a0",
        "\u2028",
        "\t",
        "\n",
        " ",
        ".",
        "?",
        "'",
    ]
)
_NOISE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(" \x1c\x1d\x1e\x1f\t\n"),
    max_size=12,
)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(_PIECES, _NOISE, st.text(alphabet=st.characters(max_codepoint=127), max_size=12))))
def test_mixed_text_is_read_as_before(parts: list[str]) -> None:
    text = " ".join(parts) if len(parts) % 2 else "".join(parts)
    assert fold(text) == _reference_fold(text)
    assert detect_triggers(text) == _reference_detect(text)


def test_every_pattern_has_needles() -> None:
    # a pattern without needles would run on every message: each one here is cheap to rule out
    assert all(needles for scans in escalation._SCANS_ASCII.values() for needles, _ in scans)


def test_needles_are_in_every_match_on_known_messages(known_texts: list[str]) -> None:
    folded = [_reference_fold(t) for t in known_texts]
    for patterns in escalation._PATTERNS.values():
        for pattern in patterns:
            needles, compiled = required_needles(pattern), re.compile(pattern)
            assert all(any(n in m.group() for n in needles) for text in folded for m in compiled.finditer(text))
