"""The shipped intent weights: trained on the shipped corpus, reproducible, and refused when stale."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from purser.models.offline.classifier import IntentClassifier, get_classifier, load_corpus
from purser.models.offline.training import main as training_main
from purser.models.offline.training import texts_sha256, train, training_texts
from purser.models.offline.weights import StaleWeights, corpus_sha256, load_weights


@pytest.fixture(scope="module")
def fresh() -> object:
    weights, _ = train()
    return weights


def test_the_shipped_weights_are_what_a_fresh_training_gives(fresh: object) -> None:
    # Same corpus, same generalized texts, same coefficients to the bit: `make classifier` was run.
    shipped = load_weights()
    texts, labels = training_texts(load_corpus())
    assert shipped.corpus_sha256 == corpus_sha256()
    assert shipped.texts_sha256 == texts_sha256(texts, labels), "the generalizer changed: run `make classifier`"
    assert shipped.classes == fresh.classes  # type: ignore[attr-defined]
    for mine, theirs in zip(shipped.featurizers, fresh.featurizers, strict=True):  # type: ignore[attr-defined]
        assert mine.terms == theirs.terms and mine.ngram_range == theirs.ngram_range
        assert np.array_equal(mine.idf, theirs.idf)
    assert np.array_equal(shipped.coef_t, fresh.coef_t)  # type: ignore[attr-defined]
    assert np.array_equal(shipped.intercept, fresh.intercept)  # type: ignore[attr-defined]


def test_training_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    assert training_main(["--out", str(first)]) == 0
    assert training_main(["--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert training_main(["--check", "--out", str(first)]) == 0


def test_check_fails_on_weights_that_differ(tmp_path: Path, fresh: object) -> None:
    path = tmp_path / "w.npz"
    coef = fresh.coef_t.copy()  # type: ignore[attr-defined]
    coef[0, 0] += 1e-9
    from dataclasses import replace

    replace(fresh, coef_t=coef).save(path)  # type: ignore[type-var]
    assert training_main(["--check", "--out", str(path)]) == 1


def test_weights_of_another_corpus_are_refused_with_the_command_that_fixes_them(tmp_path: Path, fresh: object) -> None:
    from dataclasses import replace

    path = tmp_path / "w.npz"
    replace(fresh, corpus_sha256="0" * 64).save(path)  # type: ignore[type-var]
    with pytest.raises(StaleWeights, match=r"another corpus\.yaml .*make classifier"):
        load_weights(path)
    assert load_weights(path, expected_corpus="0" * 64).corpus_sha256 == "0" * 64


@pytest.mark.parametrize("damage", ["missing", "not a zip", "no meta", "wrong shape"])
def test_a_damaged_archive_is_a_clear_error(tmp_path: Path, fresh: object, damage: str) -> None:
    path = tmp_path / "w.npz"
    if damage == "not a zip":
        path.write_bytes(b"hello")
    elif damage == "no meta":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("coef_t.npy", b"")
    elif damage == "wrong shape":
        fresh.save(path)  # type: ignore[attr-defined]
        with np.load(path, allow_pickle=False) as archive:
            arrays = dict(archive)
        arrays["intercept"] = arrays["intercept"][:-1]
        np.savez_compressed(path, **arrays)
    with pytest.raises(StaleWeights, match=r"intent_weights\.npz cannot be read|do not fit"):
        load_weights(path, expected_corpus=fresh.corpus_sha256)  # type: ignore[attr-defined]


def test_the_classifier_from_the_archive_predicts_as_the_freshly_trained_one(fresh: object) -> None:
    from purser.models.offline.normalize import normalize

    mine, theirs = get_classifier(), IntentClassifier(fresh)  # type: ignore[arg-type]
    for items in load_corpus().values():
        for utterance in items[:5]:
            assert mine.predict(normalize(utterance)) == theirs.predict(normalize(utterance))


def test_a_process_that_classifies_never_imports_scikit_learn() -> None:
    script = (
        "import sys\n"
        "from purser.models.offline.classifier import get_classifier\n"
        "from purser.models.offline.normalize import normalize\n"
        "assert get_classifier().predict(normalize('refund my double charge')).intent == 'refund'\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'sklearn'], 'sklearn imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_warming_the_model_loads_the_classifier_before_any_customer(monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.models.offline import OfflineModel, classifier

    monkeypatch.setattr(classifier, "_CACHE", [])
    OfflineModel().warm()
    assert len(classifier._CACHE) == 1 and get_classifier() is classifier._CACHE[0]
