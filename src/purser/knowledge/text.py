"""Text helpers for the knowledge base: tokenizing for BM25, a light stemmer, token estimates.

No model and no download: retrieval is lexical (bm25s). The tokenizer lowercases, maps a few
billing phrases customers use onto the words policy documents use ("money back" -> refund,
"put on hold" -> pause), drops stop words and strips common English suffixes so that
"cancelled", "cancellation" and "cancel" meet.
"""

from __future__ import annotations

import re

from purser.text import estimate_tokens

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again all also am an and any are as at be been before being below between
    both but by can could did do does doing done down during each either else ever few for from
    further get gets getting got had has have having he her here hers him his how i if in into is it
    its itself just let me mine more most much my myself nor of off on once only or other ought our
    ours out over own please same she should so some such than that the their theirs them then there
    these they this those through to too under until up us very want was we were what when where
    which while who whom why will with would you your yours yourself hi hello thanks thank ok okay
    still really anything something someone thing things way know tell like need
    last ago today yesterday recently currently policy policies rule rules terms many
    """.split()
)
"""Words that carry no retrieval signal in support questions."""

# Phrases customers write, mapped onto the vocabulary of billing documents (applied to
# documents and queries alike, so the mapping is symmetric).
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bmoney[- ]back\b", "refund"),
        (r"\breimburs\w*", "refund"),
        (r"\b(?:give|pay|send|get)\s+(?:me\s+|us\s+)?(?:my\s+|the\s+|our\s+)?(?:money\s+)?back\b", "refund"),
        (r"\b(?:too late|deadline|time limit|cut-?off)\b", "window"),
        (r"\b(?:cheaper|lower|smaller|less expensive) (?:plan|tier)\b", "downgrade plan"),
        (r"\b(?:bigger|higher|larger|more expensive|premium) (?:plan|tier)\b", "upgrade plan"),
        (r"\bkicks? in\b", "takes effect"),
        (r"\bwork(?:ed|s)? out\b", "calculate"),
        (r"\bbill(?:ed)? (?:me|us|you|my card)\b", "charge"),
        (r"\btax(?:es)?\b", "tax vat"),
        (r"\bcharged (?:me )?twice\b", "duplicate charge"),
        (r"\bdouble[- ]charged?\b", "duplicate charge"),
        (r"\bcharged two times\b", "duplicate charge"),
        (r"\b(?:twice|two times|2 times)\b", "twice duplicate"),
        (r"\bput (?:\w+ )?on hold\b", "pause"),
        (r"\bon hold\b", "pause"),
        (r"\bfreez\w*", "pause"),
        (r"\bunsubscrib\w*", "cancel"),
        (r"\b(?:escalat\w*|real person|live agent|human agent|representative|operator)\b", "person human"),
        (r"\b(?:stop|stopped) paying\b", "unpaid"),
        (r"\bchargebacks?\b", "dispute"),
        (r"\bvalue[- ]added tax\b", "vat"),
        (r"\bcredit card\b", "card"),
        (r"\bdebit card\b", "card"),
        (r"\bbank card\b", "card"),
        (r"\bpayment method\b", "card"),
        (r"\bdeclined\b", "failed"),
        (r"\bbounced\b", "failed"),
        (r"\blicen[cs]es?\b", "seats"),
        (r"\bteammates?\b", "seats"),
        (r"\busers\b", "seats"),
    )
)

_SUFFIXES: tuple[str, ...] = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ingly",
    "ings",
    "ing",
    "edly",
    "ness",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "s",
)
_VOWELS = frozenset("aeiouy")


# Billing intervals ("monthly") are not durations ("a month"); "annual" is "yearly".
_IRREGULAR = {
    "cancellation": "cancel",
    "cancellations": "cancel",
    "monthly": "monthly",
    "yearly": "yearly",
    "annual": "yearly",
    "annually": "yearly",
}


def stem(word: str) -> str:
    """A light, deterministic English stemmer (consistent rather than linguistically exact)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    else:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                if suffix == "s" and word.endswith(("ss", "us", "is")):
                    break
                word = word[: -len(suffix)] + ("at" if suffix.startswith("ation") else "")
                break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    return word


def normalize_phrases(text: str) -> str:
    """Lowercase `text` and rewrite customer phrases onto document vocabulary."""
    lowered = text.lower().replace("\u2019", "'")
    for pattern, replacement in _PHRASES:
        lowered = pattern.sub(replacement, lowered)
    return lowered


_UNITS = re.compile(r"\b(?:weeks?|fortnights?)\b")


def tokenize(text: str) -> list[str]:
    """Tokens for BM25: normalized phrases, no stop words, stemmed."""
    words = _WORD.findall(_UNITS.sub("days", normalize_phrases(text)))
    # Bare numbers are noise for retrieval ("after 3 weeks" vs "within 30 days", "§4.6").
    return [stem(word) for word in words if word not in STOPWORDS and not word.isdigit()]


def content_terms(text: str) -> set[str]:
    """The set of stemmed content words of `text` (for overlap scoring)."""
    return set(tokenize(text))


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9§•*-])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "approx.", "incl.", "no.", "vs.", "mr.", "ms.", "dr.")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; list items and lines that end without a stop are sentences too."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)", text):
        block = " ".join(block.split())
        if not block:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(block):
            candidate = block[start : match.start()].strip()
            if candidate.rsplit(None, 1)[-1].lower().lstrip("(") in _ABBREVIATIONS:
                continue
            if candidate:
                sentences.append(candidate)
            start = match.end()
        tail = block[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


__all__ = [
    "STOPWORDS",
    "content_terms",
    "estimate_tokens",
    "normalize_phrases",
    "split_sentences",
    "stem",
    "tokenize",
]
