"""The phrase table of de/fr/es/pt: every row's example is read as its English; languages are told apart."""

from __future__ import annotations

import pytest

from purser.models.offline.intents import Intent
from purser.models.offline.languages import (
    LANGUAGES,
    PHRASES,
    REPLIES,
    Phrase,
    fold,
    in_language,
    language_of,
    read_as_english,
)
from purser.models.offline.normalize import normalize
from purser.models.offline.understand import understand


def _folded(text: str) -> str:
    return normalize(text)  # lowercase, accents stripped, then the phrase table


@pytest.mark.parametrize("phrase", PHRASES, ids=[f"{p.language}:{p.example}" for p in PHRASES])
def test_each_phrase_example_is_read_as_its_english(phrase: Phrase) -> None:
    # the example alone may be too short to name its language: it is read as part of a sentence in it
    sentence = {
        "fr": "bonjour, {} merci",
        "de": "hallo, {} danke",
        "es": "hola, {} gracias",
        "pt": "olá, {} obrigado",
    }[phrase.language].format(phrase.example)
    assert phrase.english in _folded(sentence), (sentence, _folded(sentence))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bonjour, je voudrais résilier mon abonnement, merci.", "fr"),
        ("Hallo, bitte senden Sie mir meine letzte Rechnung.", "de"),
        ("Hola, quiero darme de baja al final del mes.", "es"),
        ("Olá, quanto eu devo agora?", "pt"),
        ("Please refund my last charge, I was billed twice", "en"),
        ("mi VAT number is DE136695976", "en"),
    ],
)
def test_the_language_of_a_message(text: str, language: str) -> None:
    assert language_of(fold(text)) == language


def test_english_is_left_as_it_is() -> None:
    assert read_as_english("please cancel my plan at the end of the month") == (
        "please cancel my plan at the end of the month"
    )


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Bonjour, je souhaite résilier mon abonnement à la fin du mois, merci.", Intent.CANCEL),
        ("Hallo, ich möchte mein Abo kündigen.", Intent.CANCEL),
        ("Hola, quiero darme de baja.", Intent.CANCEL),
        ("Olá, gostaria de cancelar minha assinatura.", Intent.CANCEL),
        ("how much do I owe now?", Intent.ACCOUNT_QUESTION),
        ("Olá, quanto eu devo agora?", Intent.ACCOUNT_QUESTION),
    ],
)
def test_common_requests_in_each_language_are_understood(text: str, intent: Intent) -> None:
    assert understand(text)[0].intent == intent


@pytest.mark.parametrize("english", list(REPLIES))
def test_each_reply_sentence_has_every_language(english: str) -> None:
    assert set(REPLIES[english]) == set(LANGUAGES)
    for language in LANGUAGES:
        assert in_language(f"Intro. {english}", language) == f"Intro. {REPLIES[english][language]}"
    assert in_language(english, "en") == english


def test_the_factored_phrase_scan_counts_what_the_phrases_count() -> None:
    # each language's phrases are scanned as one factored pattern; it must find exactly what the phrases'
    # own patterns, joined as they are, find
    import re

    from purser.models.offline.classifier import load_corpus
    from purser.models.offline.languages import _ANY_PHRASE, LANGUAGES, PHRASES, fold

    texts = [fold(p.example) for p in PHRASES] + [fold(u) for items in load_corpus().values() for u in items[:15]]
    texts += [fold(" ".join(p.example for p in PHRASES[i : i + 4])) for i in range(0, len(PHRASES), 4)]
    for lang in LANGUAGES:
        joined = re.compile("|".join(p.pattern.pattern for p in PHRASES if p.language == lang))
        for text in texts:
            assert _ANY_PHRASE[lang].findall(text) == joined.findall(text), (lang, text)
