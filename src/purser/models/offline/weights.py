"""The intent classifier's trained weights: what `training` writes and `classifier` reads.

The classifier ships trained (`intent_weights.npz`, next to `corpus.yaml`): a process that needs it
loads vocabularies, idf weights and the linear SVM's coefficients from one NumPy archive (no pickle)
instead of importing scikit-learn and SciPy's optimizers and training at start. That is ~0.7 s of CPU
and ~80 MiB of resident memory less in every process that runs the offline model (the server, each
`purser eval` worker).

The archive records the SHA-256 of the `corpus.yaml` it was trained on; `load_weights` refuses an
archive that does not match the shipped corpus, naming the command that retrains it, so an edited
corpus can never run with stale weights. (The tests also check that the generalized training texts
and a fresh training reproduce the archive exactly: `tests/models/offline/test_weights.py`.)

Layout of the archive (every array plain, `allow_pickle=False`):
- `meta`: one JSON string: `classes`, `featurizers` (analyzer and n-gram range of each),
  `corpus_sha256`, `texts_sha256`, `trainer`;
- `terms_<i>` / `idf_<i>`: featurizer i's vocabulary (column order) and idf weights;
- `coef_t`: the coefficients, features x classes (featurizers' columns one after another);
- `intercept`: one per class.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["WEIGHTS_FILE", "FeaturizerWeights", "IntentWeights", "StaleWeights", "corpus_sha256", "load_weights"]

WEIGHTS_FILE = "intent_weights.npz"
RETRAIN_COMMAND = "make classifier"
"""What rebuilds the archive (`python -m purser.models.offline.training`, scikit-learn from the dev extras)."""

Floats = npt.NDArray[np.float64]


class StaleWeights(RuntimeError):
    """The shipped weights were trained on another corpus (or the archive is missing or malformed)."""


@dataclass(frozen=True, eq=False)
class FeaturizerWeights:
    """One fitted TF-IDF vectorizer: sublinear tf, idf, L2 norm; `analyzer` "word" or "char_wb"."""

    analyzer: str
    ngram_range: tuple[int, int]
    terms: tuple[str, ...]
    """The vocabulary, in column order."""
    idf: Floats


@dataclass(frozen=True, eq=False)
class IntentWeights:
    """Everything the classifier scores with; `coef_t` is features x classes."""

    classes: tuple[str, ...]
    featurizers: tuple[FeaturizerWeights, ...]
    coef_t: Floats
    intercept: Floats
    corpus_sha256: str
    texts_sha256: str
    trainer: str

    def __post_init__(self) -> None:
        features = sum(len(f.terms) for f in self.featurizers)
        if self.coef_t.shape != (features, len(self.classes)) or self.intercept.shape != (len(self.classes),):
            raise StaleWeights(
                f"intent weights: coefficients {self.coef_t.shape} and intercept {self.intercept.shape} do not "
                f"fit {features} features and {len(self.classes)} classes"
            )
        for f in self.featurizers:
            if f.idf.shape != (len(f.terms),):
                raise StaleWeights(f"intent weights: {f.analyzer} idf has {f.idf.shape}, not {len(f.terms)} terms")

    def save(self, path: Path) -> None:
        """Write the archive to `path` (compressed members: the file ships in the package)."""
        meta = {
            "classes": list(self.classes),
            "featurizers": [{"analyzer": f.analyzer, "ngram_range": list(f.ngram_range)} for f in self.featurizers],
            "corpus_sha256": self.corpus_sha256,
            "texts_sha256": self.texts_sha256,
            "trainer": self.trainer,
        }
        arrays: dict[str, Any] = {"meta": np.array(json.dumps(meta, sort_keys=True))}
        for i, f in enumerate(self.featurizers):
            arrays[f"terms_{i}"] = np.array(f.terms, dtype=str)
            arrays[f"idf_{i}"] = f.idf
        arrays["coef_t"] = self.coef_t
        arrays["intercept"] = self.intercept
        with path.open("wb") as out:
            np.savez_compressed(out, **arrays)


def corpus_sha256(raw: bytes | None = None) -> str:
    """SHA-256 of the shipped `corpus.yaml` (or of `raw`)."""
    if raw is None:
        raw = resources.files("purser.models.offline").joinpath("corpus.yaml").read_bytes()
    return hashlib.sha256(raw).hexdigest()


def load_weights(path: Path | None = None, *, expected_corpus: str | None = None) -> IntentWeights:
    """The shipped archive (or `path`), checked against the shipped corpus (or `expected_corpus`).

    Raises `StaleWeights` naming the file and the retraining command when the archive is missing,
    malformed, or trained on another corpus."""
    source: Any = path if path is not None else resources.files("purser.models.offline").joinpath(WEIGHTS_FILE)
    try:
        with source.open("rb") as raw, np.load(raw, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            featurizers = tuple(
                FeaturizerWeights(
                    analyzer=str(spec["analyzer"]),
                    ngram_range=(int(spec["ngram_range"][0]), int(spec["ngram_range"][1])),
                    terms=tuple(archive[f"terms_{i}"].tolist()),
                    idf=np.ascontiguousarray(archive[f"idf_{i}"], dtype=np.float64),
                )
                for i, spec in enumerate(meta["featurizers"])
            )
            weights = IntentWeights(
                classes=tuple(str(c) for c in meta["classes"]),
                featurizers=featurizers,
                coef_t=np.ascontiguousarray(archive["coef_t"], dtype=np.float64),
                intercept=np.ascontiguousarray(archive["intercept"], dtype=np.float64),
                corpus_sha256=str(meta["corpus_sha256"]),
                texts_sha256=str(meta["texts_sha256"]),
                trainer=str(meta["trainer"]),
            )
    except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise StaleWeights(f"{WEIGHTS_FILE} cannot be read ({exc}); rebuild it with `{RETRAIN_COMMAND}`") from None
    wanted = expected_corpus if expected_corpus is not None else corpus_sha256()
    if weights.corpus_sha256 != wanted:
        raise StaleWeights(
            f"{WEIGHTS_FILE} was trained on another corpus.yaml (sha256 {weights.corpus_sha256[:12]}…, the shipped "
            f"one is {wanted[:12]}…); retrain it with `{RETRAIN_COMMAND}`"
        )
    return weights
