"""Text normalization for the offline model.

Customers write "pls refund me the dbl charge from novmber, i dont wanna pay 2x".
Before anything is classified or parsed the text goes through:

1. Unicode NFKC, typographic quotes and dashes to ASCII, lowercase.
2. Contractions expanded ("don't" -> "do not", "i'd" -> "i would"), including the
   apostrophe-less forms people type on phones ("dont", "cant", "im").
3. Informal spellings mapped to standard words ("pls" -> "please", "u" -> "you",
   "wanna" -> "want to", "2x" -> "twice").
4. Typo tolerance: a word that is neither in the domain vocabulary nor in the
   common-word list is replaced by the closest vocabulary word when the
   Levenshtein distance is small for its length (rapidfuzz), so "refnd",
   "invoce", "novmber", "subscrption" become "refund", "invoice", "november",
   "subscription".

Identifiers (charge ids, invoice numbers, emails, VAT ids) are parsed from the
original text by `slots`, never from the normalized one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne

from purser.models.offline.languages import read_as_english
from purser.text import ascii_twin

__all__ = ["DOMAIN_VOCABULARY", "correct_word", "normalize", "tokens"]

_PUNCT_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)

_CONTRACTIONS: tuple[tuple[str, str], ...] = (
    (r"\bcan'?t\b", "can not"),
    (r"\bwon'?t\b", "will not"),
    (r"\bshan'?t\b", "shall not"),
    (r"\bain'?t\b", "am not"),
    (r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need)n'?t\b", r"\1 not"),
    (r"\bi'?m\b", "i am"),
    (r"\bi'd\b", "i would"),
    (r"\b(you|we|they|he|she|it)'d\b", r"\1 would"),
    (r"\b(i|you|we|they)'ve\b", r"\1 have"),
    (r"\bive\b", "i have"),
    (r"\b(i|you|we|they|he|she|it)'ll\b", r"\1 will"),
    (r"\b(you|we|they)'re\b", r"\1 are"),
    (r"\b(it|that|what|there|here|where|who|how|he|she)'s\b", r"\1 is"),
    (r"\blet's\b", "let us"),
    (r"\bthats\b", "that is"),
    (r"\bwhats\b", "what is"),
)

_INFORMAL: dict[str, str] = {
    "pls": "please",
    "plz": "please",
    "pleas": "please",
    "plss": "please",
    "u": "you",
    "ya": "you",
    "ur": "your",
    "youre": "you are",
    "r": "are",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "gimme": "give me",
    "lemme": "let me",
    "dunno": "do not know",
    "thx": "thanks",
    "thanx": "thanks",
    "tnx": "thanks",
    "ty": "thanks",
    "tysm": "thanks",
    "thks": "thanks",
    "acct": "account",
    "acc": "account",
    "accnt": "account",
    "sub": "subscription",
    "subs": "subscription",
    "subscr": "subscription",
    "2x": "twice",
    "x2": "twice",
    "dbl": "double",
    "b4": "before",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "abt": "about",
    "msg": "message",
    "yr": "year",
    "yrly": "yearly",
    "mo": "month",
    "mos": "months",
    "mth": "month",
    "mths": "months",
    "mnth": "month",
    "mnths": "months",
    "wk": "week",
    "invc": "invoice",
    "inv": "invoice",
    "recpt": "receipt",
    "rcpt": "receipt",
    "cc": "card",
    "pmt": "payment",
    "pymt": "payment",
    "ppl": "people",
    "hv": "have",
    "bcoz": "because",
    "dont": "do not",
    "cant": "can not",
    "wont": "will not",
    "didnt": "did not",
    "doesnt": "does not",
    "isnt": "is not",
    "wasnt": "was not",
    "im": "i am",
    "ok": "okay",
    "k": "okay",
    "kk": "okay",
    "yea": "yeah",
    "yup": "yep",
    "nah": "no",
    "nope": "no",
    "hiya": "hi",
    "hii": "hi",
    "helo": "hello",
    "hallo": "hello",
    "asap": "as soon as possible",
    "info": "information",
    "biz": "business",
    "annualy": "annually",
    "dollar": "dollars",
    "bucks": "dollars",
    "buck": "dollars",
    "quid": "pounds",
    "euro": "euros",
}

# A small lexicon for customers who write (partly) in Spanish, Portuguese, French, German or Italian:
# the words that carry billing intents and dates, mapped to English after accents are stripped.
_FOREIGN: dict[str, str] = {
    # refund / charge / twice
    "devolver": "refund", "devolverme": "refund me", "devuelvan": "refund", "devolucion": "refund",
    "devolucao": "refund", "reembolso": "refund", "reembolsar": "refund", "reembolsem": "refund",
    "reembolsen": "refund", "remboursement": "refund", "rembourser": "refund", "remboursez": "refund",
    "ruckerstattung": "refund", "erstatten": "refund", "rimborso": "refund", "rimborsare": "refund",
    "cobrado": "charged", "cobraron": "charged", "cobrou": "charged", "cobraram": "charged",
    "cobro": "charge", "cobranca": "charge", "cargo": "charge", "debite": "charged", "preleve": "charged",
    "abgebucht": "charged", "addebitato": "charged", "duplicado": "duplicate", "duplicada": "duplicate",
    "doble": "double", "dobro": "double", "veces": "times", "vezes": "times", "fois": "times",
    # documents and account
    "factura": "invoice", "fatura": "invoice", "facture": "invoice", "rechnung": "invoice",
    "fattura": "invoice", "recibo": "receipt", "quittung": "receipt", "ricevuta": "receipt",
    "suscripcion": "subscription", "assinatura": "subscription", "abonnement": "subscription",
    "abbonamento": "subscription", "cuenta": "account", "conta": "account", "compte": "account",
    "tarjeta": "card", "cartao": "card", "carte": "card", "karte": "card", "plano": "plan",
    # actions
    "cancelar": "cancel", "annuler": "cancel", "kundigen": "cancel", "cancellare": "cancel",
    "pausar": "pause", "mettre": "put", "enviar": "send", "envoyer": "send", "senden": "send",
    "mandar": "send", "cambiar": "change", "mudar": "change", "changer": "change",
    # courtesy and yes/no
    "hola": "hello", "ola": "hello", "bonjour": "hello", "salut": "hello", "ciao": "hello",
    "gracias": "thanks", "obrigado": "thanks", "obrigada": "thanks", "merci": "thanks", "danke": "thanks",
    "grazie": "thanks", "dos": "two", "duas": "two", "deux": "two", "zwei": "two",
    "por": "for", "favor": "please", "sim": "yes", "oui": "yes",
    # months
    "enero": "january", "janeiro": "january", "janvier": "january", "januar": "january", "gennaio": "january",
    "febrero": "february", "fevereiro": "february", "fevrier": "february", "februar": "february",
    "febbraio": "february", "marzo": "march", "marco": "march", "mars": "march", "marz": "march",
    "abril": "april", "avril": "april", "aprile": "april", "mayo": "may", "maio": "may", "mai": "may",
    "maggio": "may", "junio": "june", "junho": "june", "juin": "june", "juni": "june", "giugno": "june",
    "julio": "july", "julho": "july", "juillet": "july", "juli": "july", "luglio": "july",
    "agosto": "august", "aout": "august", "septiembre": "september", "setembro": "september",
    "septembre": "september", "settembre": "september", "octubre": "october", "outubro": "october",
    "octobre": "october", "oktober": "october", "ottobre": "october", "noviembre": "november",
    "novembro": "november", "novembre": "november", "diciembre": "december", "dezembro": "december",
    "decembre": "december", "dezember": "december", "dicembre": "december",
}  # fmt: skip

DOMAIN_VOCABULARY: frozenset[str] = frozenset(
    """
    refund refunds refunded refunding reimburse reimbursement money back charge charges charged
    charging twice double duplicate duplicated extra again billed bill bills billing invoice invoices
    receipt receipts statement copy resend send email emailed mail subscription subscriptions
    account plan plans upgrade upgrading upgraded downgrade downgrading downgraded switch change
    changing move monthly yearly annual annually month months year years week weeks day days
    seat seats user users license licenses licence licences member members people add remove
    reduce increase decrease cancel cancelling canceling cancellation cancelled canceled
    terminate close pause paused pausing suspend freeze hold resume unpause reactivate restart
    continue payment payments pay paid card cards credit debit expired expire expiry update
    details address vat tax company name business basic pro team enterprise premium starter
    retry failed decline declined declining try again overdue outstanding balance due past
    preview cost costs price prices pricing prorated proration quote estimate much
    human person agent manager supervisor someone representative real speak talk
    dispute chargeback fraud fraudulent stolen unauthorized unauthorised recognize recognise
    lawyer attorney sue lawsuit legal court complaint report
    january february march april may june july august september october november december
    yesterday today tomorrow last previous next recent latest first second third
    policy policies allowed allow guarantee trial terms
    hello hi hey thanks thank please yes yeah yep sure okay no
    status active renew renewal renews date when why what which how
    number postal code city country street line
    """.split()
)

_COMMON_WORDS: frozenset[str] = frozenset(
    """
    a about above after afternoon ago all almost already also am an and any anything anyway are
    around as ask asked at away back bad be because been before being below best better between
    big both but buy by call came can cannot come could currently did do does doing done down
    each else end enough even ever every everything for from full get gets getting give given go
    going good got great had half happen happened has have having he her here him his hope i if
    in instead into is it its just keep kind know let like little look looks lot made make many
    me mean mine more morning most my need needed needs never new nice night not nothing now of
    off on once one only or other our out over own part per pick put quite rather really right
    said same saw say see seems seen she should show since so some something soon still stop
    such take tell than that the their them then there these they thing things think this those
    though through time to too two under until up us use used using very want wanted wants was
    way we well were what whatever where whether while who whole will wish with without work
    would wrong you your yours also across again against agree another anymore anyone apply
    around ask available between both bought cheaper choose correct company customer customers
    dear different does easy either error exactly fee fees fine free happy help hi immediately
    include included issue just kindly later least less mistake mistakes noticed ones open option
    options order please possible problem problems question questions reason regards sent service
    services set sorry start started sure thanks three four five six seven eight nine ten eleven
    twelve twenty thirty forty fifty hundred thousand upon wait wrote yet zero okay fine really
    hmm oh yes guys folks team support cheers best wrong understand explain explained why
    count amount total times spot card cart court sure store score more most move mode word world
    week weak check cheque chat bot robot machine phone mobile app website site page login log
    hold told sold cold bold fold gold mail mails nail fail fails failed file files fill tell
    sent rent cent cents spend spent lend weird strange odd seen been mean means less left
    pay paying payed plus minus each both bill till will still well fell feel fill full
    travel holiday holidays summer winter spring autumn fall office home house road street
    yes yep nope sorry hello please thanks thank bye goodbye welcome
    jan feb mar apr jun jul aug sep sept oct nov dec st nd rd th
    bank banks blocked block unblocked called calling promised promise outage credit vendor tools tool
    product program service software used using stopped forgot meant renewal moved moving left
    department onboarding colleagues colleague employees employee hired people person company
    mistake mistakes charged billed twice sorry english spanish french german cutting lol
    instead though although since already still until again once twice half whole
    actually actual usually usual finally basically probably definitely honestly literally recently
    hypothetically theoretically curious wondering wonder suppose assume imagine earlier ended ending ends
    fix fixed fixing sorted friend brother sister wife husband partner boss anybody somebody authorize
    authorized authorise authorised recognized recognised
    """.split()
)

_VOCAB_LIST: tuple[str, ...] = tuple(sorted(DOMAIN_VOCABULARY))
_KNOWN: frozenset[str] = DOMAIN_VOCABULARY | _COMMON_WORDS | frozenset(_INFORMAL) | frozenset(_FOREIGN)
_WORD_RE = re.compile(r"\d{4}-\d{2}-\d{2}|[a-z]+|\d+(?:[.,]\d+)*|[^\sa-z\d]")


def _max_distance(word: str) -> int:
    if len(word) <= 4:
        return 0
    if len(word) <= 6:
        return 1
    return 2


@lru_cache(maxsize=8192)  # bounded: customers write words without end
def correct_word(word: str) -> str:
    """Return the vocabulary word closest to `word` if it is a likely typo, else `word`.

    Known words (domain and common English) are never changed; a word of three letters or fewer
    is never corrected; the allowed edit distance grows with the word's length.
    """
    if word in _KNOWN or not word.isalpha():
        return word
    limit = _max_distance(word)
    if limit == 0:
        return word
    match = extractOne(word, _VOCAB_LIST, scorer=Levenshtein.distance, score_cutoff=limit)
    if match is None:
        return word
    candidate = str(match[0])
    # A correction must keep the first letter or the length close: avoids "cost" -> "post".
    if candidate[0] != word[0] and Levenshtein.distance(word, candidate) > 1:
        return word
    return candidate


_CONTRACTION_HINTS: tuple[tuple[str, ...], ...] = (
    ("can",), ("won",), ("shan",), ("ain",), ("n't", "nt"), ("i'm", "im"), ("'",), ("'",), ("'",), ("ive",),
    ("'",), ("'",), ("'",), ("'",), ("thats",), ("whats",),
)  # fmt: skip
"""For each contraction, in order: one or two substrings of which every match has one."""
_COMPILED_CONTRACTIONS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = tuple(
    (hints, re.compile(pattern), repl) for hints, (pattern, repl) in zip(_CONTRACTION_HINTS, _CONTRACTIONS, strict=True)
)


def _expand(text: str) -> str:
    for hints, pattern, repl in _COMPILED_CONTRACTIONS:
        if hints[0] in text or hints[-1] in text:  # a substring test is far cheaper than a failed scan
            text = pattern.sub(repl, text)
    return text


def _strip_latin_accents(text: str) -> str:
    """Accents dropped from Latin letters only ("é" -> "e"); kana keep their marks and Hangul its syllables."""
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        if ch.isascii() or not unicodedata.name(ch, "").startswith("LATIN"):
            out.append(ch)
        else:
            out.extend(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return "".join(out)


def normalize(text: str) -> str:
    """Normalize a customer message: unicode, case, contractions, informal spellings, typos.

    Punctuation that separates clauses (. , ; ? !) is kept, surrounded by spaces; currency
    symbols and digits are kept as they are.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects a str, got {type(text).__name__}")
    return _normalize(str(text))


@lru_cache(maxsize=4096)
def _normalize(text: str) -> str:
    # bounded memo: a turn normalizes the same message and its clauses several times (a str is immutable)
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).lower()
    # strip accents from Latin letters (é -> e), keeping currency signs and other symbols
    text = _strip_latin_accents(text).replace("¿", " ").replace("¡", " ")
    text = read_as_english(text)  # "résilier mon abonnement": the phrases of de/fr/es/pt (languages.PHRASES)
    # the patterns below are tried only when the text has what they need (they never add a digit)
    ascii_only = text.isascii()  # ASCII text is scanned with the patterns' ASCII twins (see purser.text)
    digits = (_DIGIT_ASCII if ascii_only else _DIGIT).search(text) is not None
    if digits and " de " in text:
        text = _DE_MONTH.sub(r"\1 of ", text)  # "1 de noviembre"
    text = _expand(text)
    if digits or "times" in text:
        text = _TWICE.sub("twice", text)
    if "w/" in text:
        text = _WITH.sub("with ", text)
    if digits:
        text = _ORDINAL.sub(r"\1 \2", text)
    words = (_WORD_ASCII if ascii_only else _WORD_RE).findall(text)
    joined = " ".join([_token(tok) for tok in words if tok != "'"])
    if digits:
        joined = _ORDINAL_JOIN.sub(r"\1\2", joined)
    return " ".join(joined.split())


_DIGIT = re.compile(r"\d")
_DIGIT_ASCII = ascii_twin(_DIGIT)
_WORD_ASCII = ascii_twin(_WORD_RE)
_DE_MONTH = re.compile(r"\b(\d{1,2}) de (?=[a-z])")
_TWICE = re.compile(r"\b(2x|x2|2 times|two times)\b")
_WITH = re.compile(r"\bw/")
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b")
_ORDINAL_JOIN = re.compile(r"(\d) (st|nd|rd|th)\b")
_ELONGATED = re.compile(r"([a-z])\1{2,}")


@lru_cache(maxsize=8192)  # bounded: customers write words without end
def _token(tok: str) -> str:
    """One token's standard form: informal and foreign words mapped, elongations squeezed, typos corrected."""
    if tok in _INFORMAL:
        return _INFORMAL[tok]
    if tok in _FOREIGN:
        return _FOREIGN[tok]
    squeezed = _ELONGATED.sub(r"\1", tok)  # elongations: "pleaseeee", "sooo"
    if squeezed in _INFORMAL:
        return _INFORMAL[squeezed]
    return correct_word(squeezed)


def tokens(text: str) -> list[str]:
    """Word tokens of already-normalized text (letters and numbers only)."""
    return re.findall(r"[a-z]+|\d+(?:[.,]\d+)*", text)
