"""Cue patterns for the intent corrections in `understand._override`: phrases a bag-of-words
classifier cannot weigh — history told as a reason, statements of where the customer is, vetoes,
remedies, and questions that read the account. Each pattern's docstring gives its example."""

from __future__ import annotations

import re

from purser.models.offline.intents import Intent
from purser.text import Prefilter


def _cue(pattern: str, flags: int = 0) -> Prefilter:
    """A cue pattern that runs only on text holding one of its needles, as its ASCII twin on ASCII text
    (most messages): the same matches as `re.compile(pattern, flags)`, for less (see purser.text)."""
    return Prefilter(re.compile(pattern, flags))


NO_PAUSE = _cue(
    r"\b(?:no|not|do not want|without|skip|instead of)\b[^.]{0,25}\b(?:pause|pausing|offer|offers|discount)\b"
    r"|\bjust cancel\b|\bcancel anyway\b|\bcancel it anyway\b|\bno pause\b"
)
"""The customer turns the pause (or any retention offer) down: "no pause", "just cancel"."""

MONEY_BACK = _cue(
    r"\b(?:money|payment|charge|amount|dollars|euros|pounds|yen|it|that)\b.{0,12}\bback\b|\bgive back\b"
    r"|\b(?:send|pay|put|want|get|give)\b[^.?!]{0,12}\d[^.?!]{0,12}\bback\b"
    r"|\brefund\w*\b"
    r"|\b(?:get|have|want)\b[^.]{0,20}\b(?:january|february|march|april|may|june|july|august|september|october"
    r"|november|december|that month|the month|last month|this month|the fee|my fee)\b[^.]{0,12}\bback\b"
)
"""Money back in everyday words: "I want my money back", "send 20 back", "give back the fee"."""

FALLBACKS: tuple[tuple[Intent, Prefilter], ...] = (
    (Intent.CHANGE_PLAN, _cue(r"\b(?:pay|paying|billed|billing|switch|move|change|go)\b.{0,30}"
                               r"\b(?:yearly|annually|annual|monthly)\b")),
    (Intent.PAYMENT_METHOD, _cue(r"\bcard\b.{0,40}\b(?:expired|invalid|no longer valid|new|update|change|"
                                  r"replace|blocked|cancelled|canceled)\b|\b(?:new|update|change|replace)\b.{0,20}\bcard\b")),
    (Intent.CHARGE_QUESTION, _cue(r"\b(?:transaction|charge|payment|debit)\b.{0,40}\b(?:clarify|explain|"
                                   r"recogni[sz]e|understand|what|why)\b|\b(?:clarify|explain|what|why)\b.{0,40}"
                                   r"\b(?:transaction|charge|payment|debit)\b")),
)  # fmt: skip
"""Intent cues used only when the classifier is unsure or says small talk."""

HYPOTHETICAL = _cue(
    r"\b(?:hypothetically|theoretically|in theory|out of curiosity|just (?:a )?(?:question|curious|wondering)"
    r"|not asking for|not requesting|general question|suppose|supposing|what if|in case)\b"
    r"|\bif (?:i|we)\b[^.]{0,60}\b(?:can|could|would|will|do|does|is|am|are|should) (?:i|we|there|it|you)\b"
    r"|\b(?:would|will|do|does|could|can|should) (?:i|we) (?:still |ever |then )?(?:get|be|receive|lose|have to)\b"
    r"[^.]{0,50}\bif\b"
    r"|\bis there (?:a|any)\b[^.]{0,25}\b(?:fee|fees|penalty|penalties|cost|charge)\b"
    r"|\b(?:fee|fees|penalty|penalties)\b[^.]{0,15}\b(?:to|for|if|when)\b"
    r"|\b(?:can|could|do|would) (?:i|we|you)\b[^.]{0,40}\b(?:after|within) (?:\d+|a|one|two|three|four|six|a few)"
    r" (?:days?|weeks?|months?|years?)\b"
)
"""A policy question phrased as a hypothetical or a condition, not a request to act now."""

TRIAL_QUESTION = _cue(
    r"\b(?:when|what date|what day|how long|how many days|until when)\b[^.]{0,50}\b(?:trial|first (?:time|charge|"
    r"payment|invoice|bill)|(?:start|begin) (?:paying|being charged|being billed))\b"
    r"|\btrial\b[^.]{0,20}\b(?:end|ends|ending|over|expire|expires|finish|finishes|run out|left)\b"
)
"""A question about the free trial or the first charge, answered from the account."""

WHICH_CARD = _cue(
    r"\b(?:which|what) (?:card|payment method|credit card|debit card)\b[^.?!]{0,30}\b(?:charg\w*|bill\w*|us\w*|on file"
    r"|have|default|is it)\b|\b(?:which|what) (?:of my|one of my) cards\b"
)
"""A question about which card is on file (not a request to change it)."""

OWE_QUESTION = _cue(
    r"\b(?:how much|what)\b[^.?]{0,25}\b(?:owe|owing|outstanding|overdue|past due|due)\b"
    r"|\b(?:do|does) (?:i|we|my account|our account) (?:still )?owe\b|\b(?:outstanding|unpaid|open) balance\b"
    r"|\bwhy (?:do|does) (?:i|we|my account|our account) (?:have|show) (?:a|an) (?:balance|amount due)\b"
)
"""A question about what the customer owes (the past-due balance), answered from the account."""

KEEP_SEATS = _cue(
    r"\bkeep (?:the|our|my|all)? ?(?:seat count|seats|number of (?:seats|users|licen[cs]es)|users|licen[cs]es)\b"
    r"|\b(?:do not|don't|dont|no need to) (?:change|reduce|remove|drop|touch) (?:the |our |my |any )?"
    r"(?:seats?|seat count|users|licen[cs]es)\b"
)
"""The customer wants the seat count left as it is."""

SEAT_CHANGE_CUE = _cue(
    r"\b(?:add|adding|remove|removing|reduce|increase|decrease|drop|cut|bump|raise|lower|more|fewer|less|extra"
    r"|another|additional|set|change|make|need|want|switch|go (?:up|down)|only|down to|up to|to \d+"
    r"|\d+ (?:seats?|users?) (?:please|pls|instead|total|now))\b"
)
"""Words that ask for a different seat count (absent from "we paid for 5 seats this month")."""

PAST_CANCEL = _cue(
    r"\b(?:forgot|forget|forgotten|meant|thought (?:i|we) (?:had|did|would)|should have|had|have|already|tried)"
    r"(?: to)? (?:cancel\w*|cancel\w* (?:it|that|this|my \w+|our \w+|the \w+))\b"
)
"""A cancellation told as history ("I forgot to cancel", "thought I had cancelled"), not asked for now."""

DO_IT = _cue(
    r"\b(?:and|then|,) (?:just )?(?:do it|go ahead|proceed|make the (?:switch|change|move)|switch (?:me|us)|apply it)\b"
    r"|\b(?:do it|go ahead) (?:right away|now|straight away|too|as well)\b"
)
"""A price question that also asks to go ahead ("show me the cost and do it")."""

PAST_PAUSE = _cue(
    r"\b(?:forgot|forget|forgotten|meant|thought (?:i|we) (?:had|did|would)|should have|had|have|already|tried"
    r"|did not|didn't|never)(?: to)? (?:paus\w*)(?: (?:it|that|this|my \w+|our \w+|the \w+))?\b"
)
"""A pause told as history ("I completely forgot to pause it"), not asked for now."""

ON_PLAN = _cue(
    r"(?:hi|hello|hey|so|ok|okay)?[ ,]*(?:i am|we are|i'm|we're|im|currently|right now|at the moment|now)+"
    r"(?: currently| now)? on (?:the |a |our |my )?[\w -]{1,30}?(?: plan| tier| subscription| package)?"
)
"""A sentence that only says which plan the customer is on."""

REMEDY = _cue(
    r"\b(?:fix|sort|correct|resolve|reverse|undo|rectify|sort out|make (?:it|this|that) right|take care of)"
    r" (?:it|this|that|them|the (?:mistake|error|problem|issue))\b|\b(?:fix|sort) (?:this|that|it) (?:out|up)\b"
    r"|\b(?:want|need|get) (?:it|that|them|the money|my money) back\b|\bgive (?:it|that|them) back\b"
)
"""A complaint that asks for the mistake to be put right ("fix it", "sort this out", "I want it back")."""

UNDO_CANCEL = _cue(
    r"\b(?:undo|reverse|withdraw|revoke|retract|take back|scratch|cancel|stop|forget)\b(?: the| my| our| that)?"
    r" cancel(?:l?ation|l?ing|led|ed)?\b(?! (?:fee|policy|terms))"
    r"|\bun ?-? ?cancel\w*|\breinstate\b|\bdecided to stay\b|\bstay(?:ing)? after all\b|\bwe are staying\b"
    r"|\b(?:do not|don't|dont) let (?:it|my \w+|our \w+|the \w+) (?:lapse|expire|end|run out|be cancel\w*)\b"
    r"|\b(?:do not|don't|dont|no longer want to|not) (?:cancel|end)\b[^.]{0,30}\b(?:after all|anymore|any more)\b"
    r"|\bchanged? (?:my|our) minds?\b[^.]{0,80}\b(?:keep|stay|continue|staying|keeping)\b"
    r"|\b(?:keep|continue)\b[^.]{0,25}\b(?:subscription|plan|account|membership)\b[^.]{0,15}"
    r"\b(?:going|running|active|alive|on)\b"
    r"|\bstop (?:my|our|the) (?:subscription|plan|account) from (?:cancel\w*|ending)\b"
)
"""Withdrawing a cancellation scheduled for the period's end ("changed my mind, keep the plan going")."""

CARD_ASK = _cue(r"\b(?:new|update|change|replace|different|another|link|add)\b")
CARD_DONE = _cue(
    r"\b(?:done|already|just|have|i've|we've|finished)\b[^.]{0,30}\b(?:put|added|entered|updated|changed|replaced|"
    r"saved|in)\b|\b(?:put|added|entered|saved|updated) (?:in )?(?:the|a|my|our) (?:new |other )?card\b"
    r"|\bcard (?:is|was) (?:updated|changed|replaced|added)\b"
)
"""The card was already changed ("ok done, put the new card in"): a report, not a request for a link."""
RETRY_ASK = _cue(
    r"\b(?:retry|re-try|try (?:it |the \w+ |again|once more)|charge (?:it|me|the|my|again)|run (?:it|the)"
    r"|process (?:it|the)|pay (?:it|the|now|my)|attempt|re-?run|re-?charge|collect|take (?:it|the \w+|\S+) again)\b"
)
"""An explicit ask to take the payment again (not just the news that it failed)."""

ACTIONS: tuple[Intent, ...] = (
    Intent.REFUND,
    Intent.CANCEL,
    Intent.PAUSE,
    Intent.CHANGE_PLAN,
    Intent.CHANGE_SEATS,
    Intent.PREVIEW_CHANGE,
    Intent.RESUME,
)
"""The intents that ask for a change to the account (a hypothetical one is a question instead)."""

CHANGE_VERB = _cue(
    r"\b(?:get|want|switch|move|go|upgrade|downgrade|change|put|give|take|prefer|need|try|like)\b"
    r"|\b(?:drop|bump|step|knock|scale|trade|bring|shift)\w* (?:(?:us|me|it|the account|our plan|my plan) )?"
    r"(?:down|up|back)\b"
)
"""A verb of moving between plans; with a plan named it is a plan change ("drop us down to Starter")."""

CHARGE_AGAIN = _cue(
    r"^(?:(?:hi|hello|ok|okay|so)\b[ ,]*)?(?:please |pls |plz |kindly |can you |could you |you can )?(?:try to )?"
    r"(?:charge|bill|take|collect|run|process|debit)\b[^.?!]{0,40}\bagain\b"
)
"""An ask to take a payment again ("please charge the ¥3,300 again") — not a complaint about a charge."""

PAUSE_END = _cue(
    r"\b(?:start|begin|continue|resume|restart|bill|charge|go on|carry on)\w*\b[^.?!]{0,20}\b(?:again|automatic\w*"
    r"|by itself|on its own|alone|afterwards|after that|after|normally|normal|as usual|as before)\b|\bafter(?:wards)?\b"
    r"|\bthen\b[^.?!]{0,25}\b(?:continue|resume|restart|start|go on|carry on)\w*\b"
)
"""The end of a pause told with it ("... and then start again automatically")."""

NOT_CANCEL = _cue(
    r"\b(?:do not|don't|dont|not|never|no) (?:want|wish|plan|intend|mean|going|trying)? ?(?:to )?cancel\w*\b"
    r"|\bwithout cancel\w*\b|\bno(?:t)? (?:a )?cancel\w*\b"
)
"""Cancelling ruled out ("I do not want to cancel, I will use it again")."""

IF_IT_FAILS = _cue(
    r"\b(?:if|in case|should|suppose|supposing)\b[^.?!]{0,40}\b(?:fail\w*|declin\w*|bounc\w*|reject\w*"
    r"|does not go through|doesn't go through|do not go through)"
)
"""A payment failure told as a condition ("if my card fails at renewal, ..."): a question about the rules."""

WHEN_RETRY = _cue(
    r"\b(?:when|what day|which day|what date)\b[^.?!]{0,30}\b(?:try|retry|re-try|charge|attempt|take)\w*\b"
    r"[^.?!]{0,20}\b(?:again|next)\b|\bnext (?:retry|attempt|try)\b"
)
"""A question about the next automatic payment attempt (answered from the account, nothing is charged)."""

PAST_REFUND = _cue(
    r"\b(?:you|they|your team)\b(?: already| have| had| did)*\s+(?:gave|give|given|refunded|issued|sent|returned|did)\b"
    r"[^.?!]{0,30}\brefund\w*|\b(?:i|we)\b(?: already| have| had)*\s+(?:got|received|had)\b[^.?!]{0,15}\brefund\w*"
    r"|\b(?:i|we) already get\b[^.?!]{0,15}\brefund\w*"
    r"|\brefund\w* (?:was|were|has been|had been) (?:already )?(?:made|issued|given|processed|done)\b"
)
"""A refund told as history ("last month you already gave me one refund"), not asked for now."""

VAT_PAID_QUESTION = _cue(
    r"\b(?:how much|what)\b[^.?!]{0,30}\b(?:vat|tax|taxes)\b[^.?!]{0,30}\b(?:pay|paid|charged|on|was|were|included)\b"
    r"|\b(?:vat|tax) (?:rate|percentage|percent)\b|\bwhat (?:percent|percentage|rate)\b[^.?!]{0,20}\b(?:vat|tax)\b"
)
"""A question about the VAT paid or its rate ("how much VAT did I pay?"), answered from the invoices."""

VAT_ID_SHOWN_QUESTION = _cue(
    r"\b(?:do|does|will|would|are|is|can|could|did)\b[^.?!]{0,25}\b(?:invoices?|receipts?|bills?)\b[^.?!]{0,12}"
    r"\b(?:show|include|have|carry|display|mention|list|contain|print|state|say|bear)\w*\b[^.?!]{0,12}"
    r"\b(?:vat|tax|ust|mwst)[ -]?(?:id|number|no|registration)\b"
    r"|\b(?:is|are|will|does|do)\b[^.?!]{0,12}\b(?:vat|tax)[ -]?(?:id|number|no)\b[^.?!]{0,25}"
    r"\b(?:on|in|shown|printed|included|displayed|listed|visible|appear\w*)\b[^.?!]{0,20}"
    r"\b(?:invoices?|receipts?|bills?)\b"
)
"""Asking whether the invoices show the VAT id ("do my invoices show my VAT id?"): answered from the
account (it is on file as X / none on file), not taken as a request to change it."""

VAT_ZERO_QUESTION = _cue(
    # anchored at each line's start: the same lines match (every lookahead scans to the line's end), but
    # a search no longer re-runs the three lookaheads from every character of the message
    r"^(?=.*\b(?:vat|tax|btw|tva|iva|mwst|ust)\b)(?=.*(?:\b0 ?%|\bzero\b|\bno (?:vat|tax)\b|\bwithout (?:vat|tax)\b"
    r"|\b(?:not|n't|never) \w+ (?:any )?(?:vat|tax)\b"
    r"|\breverse\w*))(?=.*(?:\?|\b(?:why|is (?:that|this|it)|correct|right|mistake|error|wrong)\b))",
    re.MULTILINE,
)
"""A question about an invoice without VAT (answered with the reverse-charge rule)."""

CARD_HOW_TO = _cue(
    r"\bhow (?:do|can|should|would) (?:i|we) (?:put|add|update|change|enter|replace|give you|send you|set up)\b"
    r"[^.?!]{0,25}\b(?:card|one|payment method|payment details)\b"
)
"""Asking how to give a new card: the answer is the secure card-update link."""

PAUSE_ASK = _cue(
    r"\b(?:stop|hold|freeze|suspend|skip)\w*\b[^.?!]{0,25}\b(?:payments?|billing|charg\w*|subscription|plan|fees?)\b"
    r"[^.?!]{0,25}\b(?:for |during )?(?:\d+|one|two|three|a|a few|some) (?:months?|weeks?)\b"
)
"""Stopping payment for a stated number of months: a pause, not a cancellation."""

PAST_CHANGE = _cue(
    r"\b(?:forgot|forget|forgotten|meant|should have|never|did not|didn't|tried)(?: to)? "
    r"(?:downgrad|upgrad|switch|chang|mov)\w*(?: (?:it|that|this|my \w+|our \w+|the \w+|plans?|down|up))?\b"
)
"""A plan change told as history ("I forgot to downgrade"), not asked for now."""


__all__ = [
    "ACTIONS",
    "CARD_ASK",
    "CARD_DONE",
    "CARD_HOW_TO",
    "CHANGE_VERB",
    "CHARGE_AGAIN",
    "DO_IT",
    "FALLBACKS",
    "HYPOTHETICAL",
    "IF_IT_FAILS",
    "KEEP_SEATS",
    "MONEY_BACK",
    "NOT_CANCEL",
    "NO_PAUSE",
    "ON_PLAN",
    "OWE_QUESTION",
    "PAST_CANCEL",
    "PAST_CHANGE",
    "PAST_PAUSE",
    "PAST_REFUND",
    "PAUSE_ASK",
    "PAUSE_END",
    "REMEDY",
    "RETRY_ASK",
    "SEAT_CHANGE_CUE",
    "TRIAL_QUESTION",
    "UNDO_CANCEL",
    "VAT_ID_SHOWN_QUESTION",
    "VAT_ZERO_QUESTION",
    "WHEN_RETRY",
    "WHICH_CARD",
]
