"""Intent classifier: TF-IDF word and character n-grams + a linear classifier.

Trained on the shipped `corpus.yaml` — about a thousand utterances over two dozen intents, written to
cover formal, informal, non-native and misspelled English — and shipped trained: `intent_weights.npz`
beside the corpus holds the vocabularies, idf weights and the linear SVM's coefficients (`weights`
reads it; `training` writes it, with scikit-learn from the dev extras, and `make classifier` runs it).
Character n-grams give typo tolerance beyond what `normalize` repairs; word n-grams carry the
phrase-level cues ("money back", "talk to"). A softmax over the SVM's margins gives the confidence
used for thresholds. Nothing is downloaded and no process trains: the archive loads in milliseconds.

Before featurization, text is normalized and generalized: months become
`monthname`, amounts `amountvalue`, numbers `num`, plan names `planname`,
charge ids / invoice numbers / emails placeholders, so "refund the March
charge" is as close to "refund the August charge" as it should be.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml

from purser.models.offline.address import load_country_names
from purser.models.offline.intents import INTENTS, Intent
from purser.models.offline.numbers import numbers_from_words
from purser.models.offline.plans import mark_plan_mentions
from purser.models.offline.weights import FeaturizerWeights, IntentWeights, load_weights
from purser.text import ascii_twin

__all__ = ["INTENTS", "Intent", "IntentClassifier", "Prediction", "generalize", "get_classifier", "load_corpus"]


DEFAULT_PLAN_NAMES: tuple[str, ...] = ("basic", "pro", "business", "team", "enterprise", "premium", "starter")
_MONTH_WORDS = (
    r"january|february|march|april|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)


def generalize(normalized: str, plan_names: tuple[str, ...] = DEFAULT_PLAN_NAMES) -> str:
    """Replace the open-class values of normalized text by placeholders for the classifier."""
    text = numbers_from_words(_drop_other_scripts(normalized))
    ascii_only = text.isascii()  # ASCII text is scanned with the patterns' ASCII twins (see purser.text)
    digits = (_DIGIT_ASCII if ascii_only else _DIGIT).search(text) is not None  # placeholders add no digit
    for needs, pattern, placeholder in _ASCII_PLACEHOLDERS if ascii_only else _PLACEHOLDERS:
        if digits if needs == "digit" else needs in text:
            text = pattern.sub(placeholder, text)
    # a plan name counts only in plan context: "upgrade to Business" yes, "our seasonal business" no
    text = mark_plan_mentions(text, plan_names)
    return " ".join(text.split())


_DIGIT = re.compile(r"\d")
_PLACEHOLDERS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (needs, re.compile(pattern), placeholder)
    for needs, pattern, placeholder in (
        ("@", r"\S+@\S+", " emailaddr "),
        ("_", r"\b(?:ch|in|pi|py)_[a-z0-9_]+", " objectid "),
        ("digit", r"\b[a-z]{2,}-\d+\b", " invoicenumber "),
        ("digit", r"\b[a-z]{2}\d{8,12}\b", " vatnumber "),
        (
            "digit",
            r"[$€£¥]\s?\d[\d.,]*|\d[\d.,]*\s?(?:dollars|euros|pounds|yen|cents|usd|eur|gbp|jpy)\b"
            r"|\b(?:usd|eur|gbp|jpy)\s?\d[\d.,]*",
            " amountvalue ",
        ),
        ("", r"\b(?:" + _MONTH_WORDS + r")\b", " monthname "),
        ("digit", r"\b\d+(?:st|nd|rd|th)\b", " ordinalday "),
        ("digit", r"\b\d[\d.,]*\b", " num "),
    )
)
"""Open-class values and their placeholders, replaced in this order; each pattern is tried only when the
text has what it needs (an "@", an "_", a digit)."""
_ASCII_PLACEHOLDERS = tuple((needs, ascii_twin(pattern), placeholder) for needs, pattern, placeholder in _PLACEHOLDERS)
_DIGIT_ASCII = ascii_twin(_DIGIT)


def _drop_other_scripts(text: str) -> str:
    """Words of non-Latin scripts, with the numbers and signs around them, dropped when the text also has
    Latin words: "10 月 5 日 の ¥ 9,800 の 領 収 書 ( receipt for ... )" is classified on its English gloss."""
    if text.isascii() or len(re.findall(r"[a-z]{2,}", text)) < 2:
        return text
    words = "".join(
        " " + ch if i and ch.isalpha() and text[i - 1].isalpha() and _foreign(ch) != _foreign(text[i - 1]) else ch
        for i, ch in enumerate(text)
    ).split()  # "standardプラン" -> "standard プラン"
    kinds = [_script(w) for w in words]
    drop = [k == "foreign" for k in kinds]
    for order in (range(len(words)), range(len(words) - 1, -1, -1)):
        previous = False
        for i in order:
            if kinds[i] == "neutral" and previous:
                drop[i] = True
            previous = drop[i]
    return " ".join(w for w, d in zip(words, drop, strict=True) if not d)


def _script(word: str) -> str:
    """ "foreign" (a letter of another script), "latin" (Latin letters) or "neutral" (digits, signs)."""
    letters = [ch for ch in word if ch.isalpha()]
    if any(_foreign(ch) for ch in letters):
        return "foreign"
    if letters or word in ("(", ")"):
        return "latin"
    return "neutral"


def _foreign(ch: str) -> bool:
    """A letter of a script other than Latin."""
    return ch.isalpha() and not ch.isascii() and not unicodedata.name(ch, "").startswith("LATIN")


def load_corpus(raw: bytes | None = None) -> dict[str, list[str]]:
    """The shipped training corpus (or `raw` YAML): intent -> utterances. Raises ValueError naming a bad intent."""
    if raw is None:
        raw = resources.files("purser.models.offline").joinpath("corpus.yaml").read_bytes()
    parsed: Any = yaml.safe_load(raw.decode("utf-8"))
    if not isinstance(parsed, dict):
        raise ValueError("corpus.yaml must map intent names to lists of utterances")
    corpus: dict[str, list[str]] = {}
    for intent, items in parsed.items():
        if intent not in INTENTS:
            raise ValueError(f"corpus.yaml: unknown intent {intent!r}; expected one of {', '.join(INTENTS)}")
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"corpus.yaml: intent {intent!r} must be a list of strings")
        corpus[str(intent)] = [str(i) for i in items]
    return corpus


@dataclass(frozen=True, slots=True)
class Prediction:
    """The classifier's answer for one text."""

    intent: Intent
    confidence: float
    ranking: tuple[tuple[Intent, float], ...]
    """All intents with their probabilities, best first."""


class IntentClassifier:
    """TF-IDF + linear-SVM scoring over normalized, generalized text, from trained `IntentWeights`."""

    def __init__(self, weights: IntentWeights) -> None:
        self.weights = weights
        self._classes: list[Intent] = [Intent(c) for c in weights.classes]
        # Scoring is sklearn's transform and decision function rewritten for one text (no input checks,
        # no sparse matrices: sklearn's own path cost ~3 ms of fixed overhead per text), with the same
        # arithmetic (tests check the margins against a freshly trained pipeline's).
        self._features: list[_Featurizer] = []
        offset = 0
        for featurizer in weights.featurizers:
            self._features.append(_Featurizer(featurizer, offset))
            offset += len(featurizer.terms)
        self._coef_t = weights.coef_t
        self._intercept = weights.intercept
        self._memo: dict[tuple[str, tuple[str, ...]], Prediction] = {}

    def predict(self, normalized: str, plan_names: tuple[str, ...] = DEFAULT_PLAN_NAMES) -> Prediction:
        """Classify already-normalized text (see `normalize`); repeated texts are answered from a memo."""
        key = (normalized, tuple(plan_names))
        known = self._memo.get(key)
        if known is not None:
            return known
        prediction = self._predict(normalized, plan_names)
        if len(self._memo) > 4096:  # bounded: a long-lived server sees unbounded distinct texts
            self._memo.clear()
        self._memo[key] = prediction
        return prediction

    def _predict(self, normalized: str, plan_names: tuple[str, ...]) -> Prediction:
        scores = self.margins(generalize(normalized, plan_names) or "empty")
        # Softmax over the SVM margins: a calibrated-enough confidence for thresholds.
        top = max(scores)
        exps = [math.exp(_TEMPERATURE * (v - top)) for v in scores]
        total = sum(exps)
        ranking = tuple(sorted(((c, e / total) for c, e in zip(self._classes, exps, strict=True)),
                               key=lambda item: -item[1]))  # fmt: skip
        return Prediction(ranking[0][0], ranking[0][1], ranking)

    def margins(self, generalized: str) -> list[float]:
        """The SVM's margin per class (in `classes` order) for already generalized text."""
        cols: list[int] = []
        weights: list[float] = []
        for featurizer in self._features:
            featurizer.add(generalized, cols, weights)
        if not cols:
            return [float(v) for v in self._intercept]
        margins = np.asarray(weights) @ self._coef_t[cols] + self._intercept
        return [float(v) for v in margins]

    @property
    def classes(self) -> tuple[Intent, ...]:
        """The intents, in the order of the margins."""
        return tuple(self._classes)


class _Featurizer:
    """One fitted TF-IDF vectorizer applied to one text: sublinear term frequency times idf, L2-normalized.

    The analysis is sklearn's ("word": `\\b\\w\\w+\\b` tokens and their n-grams; "char_wb": the character
    n-grams of each space-padded word), rewritten to produce only the vocabulary's columns: a word's
    character n-grams are looked up once and remembered, since the same words come back in every message.
    """

    def __init__(self, weights: FeaturizerWeights, offset: int) -> None:
        if weights.analyzer not in ("word", "char_wb"):
            raise ValueError(f"intent weights: unknown analyzer {weights.analyzer!r} (word or char_wb)")
        self._chars = weights.analyzer == "char_wb"
        self._min_n, self._max_n = weights.ngram_range
        self._vocabulary: dict[str, int] = {term: col for col, term in enumerate(weights.terms)}
        self._idf = weights.idf
        self._offset = offset
        self._word_columns: dict[str, list[int]] = {}

    def columns(self, text: str) -> list[int]:
        """The vocabulary columns of `text`'s terms, one per occurrence (sklearn's analysis, in-vocabulary)."""
        text = text.lower()
        if self._chars:
            columns: list[int] = []
            known = self._word_columns
            for word in text.split():
                found = known.get(word)
                if found is None:
                    found = self._char_columns(word)
                    if len(known) > 16384:  # bounded: customers write words without end
                        known.clear()
                    known[word] = found
                columns += found
            return columns
        vocabulary = self._vocabulary
        tokens = (_TOKEN_ASCII if text.isascii() else _TOKEN_RE).findall(text)
        terms = tokens if self._min_n == 1 else []
        for n in range(max(self._min_n, 2), min(self._max_n, len(tokens)) + 1):
            terms = terms + [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return [vocabulary[term] for term in terms if term in vocabulary]

    def _char_columns(self, word: str) -> list[int]:
        """The columns of one word's character n-grams, padded with a space each side (sklearn's char_wb)."""
        vocabulary = self._vocabulary
        padded = " " + word + " "
        size = len(padded)
        grams: list[str] = []
        for n in range(self._min_n, self._max_n + 1):
            if size <= n:  # a short word counts once, whole, and no longer n-grams follow
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(size - n + 1)]
        return [vocabulary[gram] for gram in grams if gram in vocabulary]

    def add(self, text: str, cols: list[int], weights: list[float]) -> None:
        """Append this vectorizer's non-zero features of `text` (global column, weight) to `cols`/`weights`."""
        counts = Counter(self.columns(text))
        if not counts:
            return
        local = sorted(counts)  # sklearn sorts a row's indices; the same order keeps the same sums
        values = (np.log(np.asarray([counts[c] for c in local], dtype=np.float64)) + 1.0) * self._idf[local]
        norm = math.sqrt(float(np.dot(values, values)))
        if norm > 0.0:
            values = values / norm
        offset = self._offset
        cols += [c + offset for c in local]
        weights += values.tolist()


TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
"""sklearn's default word tokens (two or more word characters)."""
_TOKEN_ASCII = re.compile(TOKEN_PATTERN.removeprefix("(?u)"), re.ASCII)
_TEMPERATURE = 4.0
_LOCK = threading.Lock()
_CACHE: list[IntentClassifier] = []


def get_classifier() -> IntentClassifier:
    """The process-wide classifier, loaded from the shipped weights on first use (raises
    `weights.StaleWeights` when they do not match the shipped corpus).

    The country table the address parser reads (0.4-0.8 s to build from babel's territory names) is
    built here too: the first use of the model is the runtime's warm-up, not the first customer who
    writes an address."""
    if _CACHE:
        return _CACHE[0]
    with _LOCK:
        if not _CACHE:
            load_country_names()
            _CACHE.append(IntentClassifier(load_weights()))
    return _CACHE[0]
