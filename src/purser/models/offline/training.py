"""Training the intent classifier (development time; scikit-learn comes with the `dev` extras).

    make classifier                                   # after editing corpus.yaml or the generalizer
    python -m purser.models.offline.training          # the same
    python -m purser.models.offline.training --check  # exit 1 when the shipped weights are stale

The pipeline: TF-IDF over word 1-2-grams and `char_wb` 2-5-grams (sublinear tf, L2 norm) of the
normalized, generalized utterances, and a linear SVM (`LinearSVC(C=1.0)`, chosen over logistic
regression because it trains ten times faster at the same accuracy). The dual coordinate descent
shuffles with a fixed seed, so the same corpus always gives the same weights, and the archive in the
package can be checked against a fresh training (the tests do).

Nothing here runs in a deployed process: `classifier` scores with the archive this writes
(`weights.IntentWeights`) and never imports scikit-learn.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from purser.models.offline.classifier import TOKEN_PATTERN, generalize, load_corpus
from purser.models.offline.normalize import normalize
from purser.models.offline.weights import WEIGHTS_FILE, FeaturizerWeights, IntentWeights, corpus_sha256

__all__ = ["fit_pipeline", "main", "texts_sha256", "train", "training_texts", "weights_of"]

_SEED = 0


def training_texts(corpus: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """The generalized utterances and their intents, in corpus order."""
    texts: list[str] = []
    labels: list[str] = []
    for intent, utterances in corpus.items():
        for utterance in utterances:
            texts.append(generalize(normalize(utterance)))
            labels.append(intent)
    return texts, labels


def texts_sha256(texts: list[str], labels: list[str]) -> str:
    """SHA-256 of what the classifier is trained on: changes when the corpus or the generalizer does."""
    return hashlib.sha256(
        "\n".join(f"{label}\t{text}" for label, text in zip(labels, texts, strict=True)).encode()
    ).hexdigest()


def fit_pipeline(texts: list[str], labels: list[str]) -> Any:
    """The fitted scikit-learn pipeline (features, then the SVM)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
        ]
    )
    pipeline = Pipeline([("features", features), ("clf", LinearSVC(C=1.0, random_state=_SEED))])
    pipeline.fit(texts, labels)
    return pipeline


def weights_of(pipeline: Any, *, corpus: str, texts: str) -> IntentWeights:
    """The fitted pipeline as the archive's weights (checks the vectorizers are what `classifier` rewrites)."""
    import sklearn

    featurizers = []
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        _check_supported(vectorizer)
        vocabulary: dict[str, int] = {str(term): int(col) for term, col in vectorizer.vocabulary_.items()}
        terms = [""] * len(vocabulary)
        for term, col in vocabulary.items():
            terms[col] = term
        featurizers.append(
            FeaturizerWeights(
                analyzer=str(vectorizer.analyzer),
                ngram_range=(int(vectorizer.ngram_range[0]), int(vectorizer.ngram_range[1])),
                terms=tuple(terms),
                idf=np.asarray(vectorizer.idf_, dtype=np.float64),
            )
        )
    clf = pipeline.named_steps["clf"]
    return IntentWeights(
        classes=tuple(str(c) for c in pipeline.classes_),
        featurizers=tuple(featurizers),
        coef_t=np.ascontiguousarray(clf.coef_.T, dtype=np.float64),
        intercept=np.asarray(clf.intercept_, dtype=np.float64),
        corpus_sha256=corpus,
        texts_sha256=texts,
        trainer=f"scikit-learn {sklearn.__version__}: TF-IDF words 1-2 + char_wb 2-5, "
        f"LinearSVC(C=1.0, random_state={_SEED})",
    )


def train(corpus_raw: bytes | None = None) -> tuple[IntentWeights, Any]:
    """Train on the shipped corpus (or `corpus_raw`, YAML): the weights and the fitted pipeline."""
    raw = (
        corpus_raw
        if corpus_raw is not None
        else resources.files("purser.models.offline").joinpath("corpus.yaml").read_bytes()
    )
    texts, labels = training_texts(load_corpus(raw))
    pipeline = fit_pipeline(texts, labels)
    return weights_of(pipeline, corpus=corpus_sha256(raw), texts=texts_sha256(texts, labels)), pipeline


def _check_supported(vectorizer: Any) -> None:
    # The hand-rolled scoring in `classifier` covers exactly this configuration.
    if not (vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2" and not vectorizer.binary):
        raise ValueError("the hand-rolled featurizer covers sublinear, idf-weighted, l2-normalized TF-IDF only")
    if vectorizer.analyzer not in ("word", "char_wb") or vectorizer.stop_words is not None:
        raise ValueError("the hand-rolled featurizer covers word and char_wb analyzers without stop words")
    if not vectorizer.lowercase or vectorizer.strip_accents is not None or vectorizer.preprocessor is not None:
        raise ValueError("the hand-rolled featurizer covers lowercased text without accent stripping")
    if vectorizer.analyzer == "word" and (
        vectorizer.tokenizer is not None or vectorizer.token_pattern != TOKEN_PATTERN
    ):
        raise ValueError("the hand-rolled featurizer covers the default word tokens only")


def _shipped_path() -> Path:
    return Path(str(resources.files("purser.models.offline").joinpath(WEIGHTS_FILE)))


def main(argv: list[str] | None = None) -> int:
    """Retrain and write the archive next to `corpus.yaml` (`--check`: compare instead of writing)."""
    parser = argparse.ArgumentParser(
        prog="python -m purser.models.offline.training", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the shipped weights differ from a fresh training"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help=f"where to write (default: the package's {WEIGHTS_FILE})"
    )
    args = parser.parse_args(argv)
    weights, _ = train()
    out = args.out or _shipped_path()
    if args.check:
        from purser.models.offline.weights import StaleWeights, load_weights

        try:
            shipped = load_weights(out)
        except StaleWeights as exc:
            print(exc, file=sys.stderr)
            return 1
        same = shipped.texts_sha256 == weights.texts_sha256 and all(
            np.array_equal(a, b) for a, b in [(shipped.coef_t, weights.coef_t), (shipped.intercept, weights.intercept)]
        )
        print(f"{out.name}: {'up to date' if same else 'STALE: retrain with `make classifier`'}")
        return 0 if same else 1
    weights.save(out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes): {len(weights.classes)} intents, "
          f"{weights.coef_t.shape[0]:,} features; {weights.trainer}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
