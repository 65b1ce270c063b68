"""Normalization: unicode, case, contractions, informal spellings, typo repair."""

from __future__ import annotations

import pytest

from purser.models.offline.normalize import correct_word, normalize, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I\u2019d like a REFUND", "i would like a refund"),
        ("pls refund me", "please refund me"),
        ("u charged me 2x", "you charged me twice"),
        ("i dont wanna pay", "i do not want to pay"),
        ("can't", "can not"),
        ("gimme my money", "give me my money"),
        ("thx", "thanks"),
        ("pleaseeee", "please"),
        ("the 1st of november", "the 1st of november"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [
        ("refnd", "refund"),
        ("invoce", "invoice"),
        ("novmber", "november"),
        ("feburary", "february"),
        ("subscrption", "subscription"),
        ("cancelation", "cancellation"),
        ("recipt", "receipt"),
        ("bussiness", "business"),
        ("upgarde", "upgrade"),
    ],
)
def test_typos_are_repaired(typo: str, fixed: str) -> None:
    assert correct_word(typo) == fixed


@pytest.mark.parametrize("word", ["count", "cost", "the", "seat", "hello", "xyz", "dog", "pro"])
def test_known_and_short_words_are_kept(word: str) -> None:
    assert correct_word(word) == word


def test_amounts_and_punctuation_survive() -> None:
    assert normalize("Refund €15,50, please!") == "refund € 15,50 , please !"
    assert tokens("refund € 15,50 , please") == ["refund", "15,50", "please"]


def test_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="expects a str"):
        normalize(42)  # type: ignore[arg-type]
