"""The offline model's intents are one enum: the corpus covers each, the classifier answers with members."""

from __future__ import annotations

from purser.models.offline.classifier import INTENTS, get_classifier, load_corpus
from purser.models.offline.cues import ACTIONS, FALLBACKS
from purser.models.offline.intents import Intent
from purser.models.offline.normalize import normalize


def test_the_corpus_covers_exactly_the_enum() -> None:
    assert set(load_corpus()) == {i.value for i in Intent}
    assert tuple(i.value for i in Intent) == INTENTS


def test_the_classifier_answers_with_members() -> None:
    prediction = get_classifier().predict(normalize("I want my money back for the double charge"))
    assert isinstance(prediction.intent, Intent)
    assert prediction.intent is Intent.REFUND and prediction.intent == "refund"
    assert all(isinstance(intent, Intent) for intent, _ in prediction.ranking)


def test_cues_name_members() -> None:
    assert all(isinstance(intent, Intent) for intent, _ in FALLBACKS)
    assert all(isinstance(intent, Intent) for intent in ACTIONS)
