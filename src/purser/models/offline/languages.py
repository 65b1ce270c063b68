"""Customers writing German, French, Spanish or Portuguese: phrases read as the English the rules know.

`PHRASES` is a table per language of the phrases of the common requests (cancel, refund, invoice,
pause, resume, plan change, card, address) and the verbs around them ("je souhaite", "ich möchte",
"quiero", "gostaria de"), each mapped to the English words the classifier and the cues read. It runs
on text already lowercased and stripped of accents, before the word-level typo correction, so
"résilier mon abonnement" is read as "cancel my subscription" and not corrected into English
nonsense. `language_of` names the language a message is written in (the most phrases and marker
words found), so replies can be given in it. Every row's example is a test
(tests/models/offline/test_languages.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from purser.text import ascii_twin

__all__ = ["LANGUAGES", "PHRASES", "REPLIES", "Phrase", "fold", "in_language", "language_of", "read_as_english"]

LANGUAGES = ("de", "fr", "es", "pt")


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase of one language, the English it is read as, and a message that contains it."""

    language: str
    pattern: re.Pattern[str]
    english: str
    example: str


def _p(language: str, pattern: str, english: str, example: str) -> Phrase:
    return Phrase(language, re.compile(rf"\b(?:{pattern})\b"), english, example)


PHRASES: tuple[Phrase, ...] = (
    # -- French
    _p("fr", r"resilier|resiliez|resiliation|mettre fin a", "cancel", "je souhaite résilier mon abonnement"),
    _p("fr", r"je (?:souhaite|voudrais|veux|voudrai)", "i want to", "je voudrais un remboursement"),
    _p("fr", r"a la fin du mois|a la fin de la periode", "at the end of the period", "à la fin du mois"),
    _p("fr", r"rembourse[rz]?(?: moi)?|me rembourser", "refund", "pouvez-vous me rembourser ?"),
    _p("fr", r"mettre en pause|suspendre", "pause", "je veux mettre en pause mon abonnement"),
    _p("fr", r"reprendre|reactiver", "resume", "je veux réactiver mon abonnement"),
    _p("fr", r"renvoyer|me renvoyer|envoyez moi", "send me", "pouvez-vous me renvoyer ma facture ?"),
    _p("fr", r"ma derniere facture|la derniere facture", "my last invoice", "envoyez-moi ma dernière facture"),
    _p("fr", r"adresse de facturation", "billing address", "nouvelle adresse de facturation"),
    _p("fr", r"combien (?:est ce que )?je dois", "how much do i owe", "combien je dois ?"),
    _p("fr", r"s'?\s?il vous plait|s'?\s?il te plait", "please", "aidez-moi s'il vous plaît"),
    _p("fr", r"quand meme|malgre tout", "anyway", "résiliez quand même"),
    _p("fr", r"non,? merci", "no thanks", "non merci"),
    _p("fr", r"passer (?:du|de) (?:plan|forfait|l offre)|changer (?:du|de) (?:plan|forfait)", "switch from the plan",
       "je veux passer du plan Basic au Pro"),
    _p("fr", r"au (?:plan|forfait)|a l offre", "to the plan", "passer au forfait Pro"),
    _p("fr", r"combien (?:nous |me )?reste[\s-]*(?:t[\s-]*)?(?:il )?a payer|combien (?:devons nous|nous devons)",
       "how much do i owe", "combien nous reste-t-il à payer ?"),
    _p("fr", r"(?:est ce que )?vous (?:conservez|gardez|stockez|enregistrez)|(?:conservez|gardez|stockez) vous",
       "do you store", "est-ce que vous conservez ma carte ?"),
    _p("fr", r"(?:mon |le )?numero de (?:ma )?carte(?: bancaire| de credit)?", "my card number",
       "mon numéro de carte bancaire"),
    _p("fr", r"mettre a jour|modifier", "update", "pouvez-vous mettre à jour mon adresse ?"),
    _p("fr", r"(?:l'?\s?|mon |notre )adresse", "the address", "pouvez-vous changer l'adresse ?"),
    # -- German
    _p("de", r"kundigen|kundigung|beenden", "cancel", "ich möchte mein Abo kündigen"),
    _p("de", r"ich (?:mochte|will|wurde gerne|hatte gerne)", "i want to", "ich möchte eine Rückerstattung"),
    _p("de", r"abo|abonnement", "subscription", "mein Abo"),
    _p("de", r"zum ende des (?:monats|zeitraums)|zum monatsende", "at the end of the period", "zum Monatsende"),
    _p("de", r"zuruckerstatten|erstatten sie|geld zuruck", "refund", "bitte Geld zurück"),
    _p("de", r"pausieren", "pause", "kann ich mein Abo pausieren?"),
    _p("de", r"fortsetzen|reaktivieren", "resume", "bitte das Abo fortsetzen"),
    _p("de", r"(?:noch ?mal|erneut) (?:senden|schicken)|zusenden|(?:schicken|senden) sie mir", "send me",
       "Rechnung erneut senden"),
    _p("de", r"letzte rechnung", "last invoice", "meine letzte Rechnung"),
    _p("de", r"rechnungsadresse", "billing address", "neue Rechnungsadresse"),
    _p("de", r"wie ?viel schulde ich", "how much do i owe", "wieviel schulde ich?"),
    _p("de", r"bitte", "please", "bitte"),
    _p("de", r"trotzdem", "anyway", "bitte trotzdem kündigen"),
    _p("de", r"nein,? danke", "no thanks", "nein danke"),
    _p("de", r"(?:wechseln|umsteigen|upgraden|downgraden) (?:vom|von)", "switch from",
       "wir möchten wechseln vom Basic- auf den Pro-Plan"),
    _p("de", r"wie ?viel (?:mussen|muss) (?:wir|ich) (?:noch )?(?:be)?zahlen|wie ?viel schulden wir",
       "how much do i owe", "wie viel müssen wir noch zahlen?"),
    _p("de", r"(?:speichern|behalten|hinterlegen) sie", "do you store", "speichern Sie meine Karte?"),
    _p("de", r"(?:meine )?(?:kartennummer|kreditkartennummer|kartendaten)", "my card number",
       "speichern Sie meine Kartennummer?"),
    _p("de", r"aktualisieren|andern", "update", "bitte die Adresse aktualisieren"),
    _p("de", r"(?:die |unsere |meine )?(?:adresse|anschrift)", "the address", "bitte die Anschrift ändern"),
    _p("de", r"auf den|auf das", "to the", "vom Basic auf den Pro-Plan"),
    _p("de", r"warum (?:steht|ist)", "why is", "warum ist das Konto gesperrt?"),
    _p("de", r"(?:auf )?uberfallig", "past due", "das Konto ist überfällig"),
    _p("de", r"(?:unser|unsere|unseren) konto|das konto|mein konto", "our account", "unser Konto"),
    # -- Spanish
    _p("es", r"dar(?:me)? de baja|darme de baja|cancelar mi suscripcion", "cancel my subscription",
       "quiero darme de baja"),
    _p("es", r"quiero|quisiera|me gustaria", "i want to", "quiero un reembolso"),
    _p("es", r"al final del (?:mes|periodo)", "at the end of the period", "al final del mes"),
    _p("es", r"reenviar|reenvien|envienme|mandenme", "send me", "¿me pueden reenviar la factura?"),
    _p("es", r"mi ultima factura|la ultima factura", "my last invoice", "mi última factura"),
    _p("es", r"direccion de facturacion", "billing address", "nueva dirección de facturación"),
    _p("es", r"cuanto debo", "how much do i owe", "¿cuánto debo?"),
    _p("es", r"reanudar|reactivar", "resume", "quiero reactivar mi suscripción"),
    _p("es", r"de todos modos|igualmente|aun asi", "anyway", "cancélela de todos modos"),
    _p("es", r"no,? gracias", "no thanks", "no, gracias"),
    _p("es", r"(?:pasar(?:me)?|cambiar(?:me)?|mudar(?:me)?) (?:del|de) plan", "switch from the plan",
       "quiero pasar del plan Basic al Pro"),
    _p("es", r"al plan", "to the plan", "cambiar al plan Pro"),
    _p("es", r"al(?= \w+ ?(?:[.?!,;]|$))", "to the plan", "del plan Basic al Pro."),
    _p("es", r"cuanto me (?:cobrarian|cobraran|cobran)", "how much would you charge me", "¿cuánto me cobrarían?"),
    _p("es", r"cuanto (?:nos |me )?(?:queda por pagar|debemos|tenemos que pagar|tengo que pagar)",
       "how much do i owe", "¿cuánto nos queda por pagar?"),
    _p("es", r"(?:ustedes )?(?:guardan|almacenan|conservan)", "do you store", "¿guardan mi tarjeta?"),
    _p("es", r"(?:mi |el )?numero de (?:mi )?tarjeta(?: de credito)?", "my card number",
       "¿guardan el número de mi tarjeta?"),
    _p("es", r"actualizar|actualicen", "update", "¿pueden actualizar mi dirección?"),
    _p("es", r"(?:la |mi |nuestra )?direccion", "the address", "¿pueden cambiar la dirección?"),
    # -- Portuguese
    _p("pt", r"gostaria de|eu quero|quero", "i want to", "gostaria de cancelar"),
    _p("pt", r"cancelar (?:a )?minha assinatura", "cancel my subscription", "quero cancelar minha assinatura"),
    _p("pt", r"no final do (?:mes|periodo)", "at the end of the period", "no final do mês"),
    _p("pt", r"reenviar|me enviar|mandar de novo", "send me", "podem reenviar a fatura?"),
    _p("pt", r"minha ultima fatura|a ultima fatura", "my last invoice", "minha última fatura"),
    _p("pt", r"endereco de cobranca|endereco de faturamento", "billing address", "novo endereço de cobrança"),
    _p("pt", r"quanto (?:eu )?devo", "how much do i owe", "quanto eu devo?"),
    _p("pt", r"retomar|reativar", "resume", "quero reativar a assinatura"),
    _p("pt", r"mesmo assim", "anyway", "cancele mesmo assim"),
    _p("pt", r"nao,? obrigad[oa]", "no thanks", "não, obrigado"),
    _p("pt", r"(?:mudar|passar|trocar) (?:do|de) plano", "switch from the plan",
       "quero mudar do plano Basic para o Pro"),
    _p("pt", r"para o plano|para o", "to the plan", "passar para o plano Pro"),
    _p("pt", r"quanto (?:ainda )?(?:devemos|temos (?:de|que) pagar|falta pagar)", "how much do i owe",
       "quanto ainda temos de pagar?"),
    _p("pt", r"(?:voces )?(?:guardam|armazenam|conservam)", "do you store", "vocês guardam o meu cartão?"),
    _p("pt", r"(?:o |meu |o meu )?numero do (?:meu )?cartao(?: de credito)?", "my card number",
       "guardam o número do cartão?"),
    _p("pt", r"morada de faturacao|morada de cobranca|morada", "billing address", "a nova morada de faturação"),
    _p("pt", r"atualizar|atualizem|actualizar", "update", "podem atualizar a morada?"),
    _p("pt", r"(?:o |meu |nosso )?endereco", "the address", "podem mudar o endereço?"),
)  # fmt: skip
"""The phrases of each language, in the order they are read (longer phrases before their parts)."""

_MARKERS: dict[str, re.Pattern[str]] = {
    "fr": re.compile(r"\b(?:je|mon|ma|mes|vous|votre|est|avec|pour|merci|bonjour|abonnement|facture)\b"),
    "de": re.compile(r"\b(?:ich|mein|meine|meinen|sie|ihr|und|bitte|danke|hallo|rechnung|nicht)\b"),
    "es": re.compile(r"\b(?:mi|mis|quiero|por favor|gracias|hola|cuenta|factura|suscripcion|usted|ustedes)\b"),
    "pt": re.compile(r"\b(?:meu|minha|voce|voces|obrigad[oa]|ola|fatura|assinatura|nao|gostaria)\b"),
}
"""Words that show which language a message is written in (counted with the phrases)."""


def fold(text: str) -> str:
    """Lowercase, Latin accents dropped, apostrophes as spaces: the form `language_of` reads."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("'", " ").replace("’", " "))
    if decomposed.isascii():  # nothing to drop
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern ("a|b(?:c|d)" -> ["a", "b(?:c|d)"])."""
    parts: list[str] = []
    current: list[str] = []
    depth, in_class, escaped = 0, False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _any_phrase(language: str) -> re.Pattern[str]:
    # `\b(?:a|b)\b|\b(?:c)\b` scanned as `\b(?:a\b|b\b|c\b)`: the same matches in the same order, but the
    # word boundary is tested once per position and each alternative starts with a letter the engine can
    # reject without entering it
    alternatives = [
        branch + r"\b"
        for phrase in PHRASES
        if phrase.language == language
        for branch in _alternatives(phrase.pattern.pattern.removeprefix(r"\b(?:").removesuffix(r")\b"))
    ]
    return re.compile(r"\b(?:" + "|".join(alternatives) + ")")


_ANY_PHRASE: dict[str, re.Pattern[str]] = {lang: _any_phrase(lang) for lang in LANGUAGES}
"""Every phrase of one language in one pattern (one scan per language, not one per phrase)."""
_ENGLISH = re.compile(r"\b(?:i|my|the|please|you|is|to|and|want|can)\b")


@lru_cache(maxsize=1024)
def language_of(folded: str) -> str:
    """The language of a message (lowercased, accents stripped): "de", "fr", "es", "pt" or "en".

    Memoized (a pure function of the text): a turn reads its message's language several times."""
    # ASCII text (most messages) is scanned with the patterns' ASCII twins (see purser.text)
    markers, phrases, english = _ASCII_SCANS if folded.isascii() else _SCANS
    scores = {lang: len(rx.findall(folded)) + 2 * len(phrases[lang].findall(folded)) for lang, rx in markers.items()}
    best = max(LANGUAGES, key=lambda lang: scores[lang])
    return best if scores[best] >= 2 and scores[best] > len(english.findall(folded)) else "en"


_Scans = tuple[dict[str, re.Pattern[str]], dict[str, re.Pattern[str]], re.Pattern[str]]
_SCANS: _Scans = (_MARKERS, _ANY_PHRASE, _ENGLISH)
_ASCII_SCANS: _Scans = (
    {lang: ascii_twin(rx) for lang, rx in _MARKERS.items()},
    {lang: ascii_twin(rx) for lang, rx in _ANY_PHRASE.items()},
    ascii_twin(_ENGLISH),
)


def read_as_english(folded: str) -> str:
    """`folded` with the phrases of the language it is written in replaced by their English."""
    language = language_of(folded)
    if language == "en":
        return folded
    for phrase in PHRASES:
        if phrase.language == language:
            folded = phrase.pattern.sub(phrase.english, folded)
    return folded


REPLIES: dict[str, dict[str, str]] = {
    "Please confirm with the button below if you'd like me to go ahead.": {
        "de": "Bitte bestätigen Sie mit der Schaltfläche unten, wenn ich fortfahren soll.",
        "fr": "Merci de confirmer avec le bouton ci-dessous si vous souhaitez que je continue.",
        "es": "Confirme con el botón de abajo si quiere que continúe.",
        "pt": "Confirme no botão abaixo se quiser que eu continue.",
    },
    "Okay, I haven't made that change.": {
        "de": "In Ordnung, ich habe nichts geändert.",
        "fr": "D'accord, je n'ai rien modifié.",
        "es": "De acuerdo, no he hecho ese cambio.",
        "pt": "Certo, não fiz essa alteração.",
    },
    "You're welcome! Is there anything else I can help you with?": {
        "de": "Gern geschehen! Kann ich sonst noch helfen?",
        "fr": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        "es": "¡De nada! ¿Puedo ayudarle con algo más?",
        "pt": "De nada! Posso ajudar com mais alguma coisa?",
    },
    "Would you like to pause instead, or cancel anyway?": {
        "de": "Möchten Sie lieber pausieren oder trotzdem kündigen?",
        "fr": "Préférez-vous mettre en pause, ou résilier quand même ?",
        "es": "¿Prefiere pausar, o cancelar de todos modos?",
        "pt": "Prefere pausar, ou cancelar mesmo assim?",
    },
    "To fix it, I can send you a secure link to update your card — just say “send me the link”.": {
        "de": "Ich kann Ihnen einen sicheren Link schicken, um die Karte zu aktualisieren — schreiben Sie einfach "
        "„Link senden“.",
        "fr": "Je peux vous envoyer un lien sécurisé pour mettre à jour votre carte — dites simplement "
        "« envoyez-moi le lien ».",
        "es": "Puedo enviarle un enlace seguro para actualizar su tarjeta; solo diga «envíeme el enlace».",
        "pt": "Posso enviar um link seguro para atualizar o cartão — é só dizer «envie o link».",
    },
}
"""The offline model's own sentences in each language (the gateway's summaries are English)."""


def in_language(text: str, language: str) -> str:
    """`text` with each of the model's own sentences (`REPLIES`) in `language`; other sentences unchanged."""
    if language not in LANGUAGES:
        return text
    out = text
    for english, translated in REPLIES.items():
        if english in out and language in translated:
            out = out.replace(english, translated[language])
    return out
