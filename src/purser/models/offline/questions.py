"""Dialogue acts: is a clause a question to answer or a request to act on?

The intent classifier sees a clause's topic (refund, card, pause, upgrade), not its act, so
"how long does a refund take?" looks like "refund my last charge". This module decides the
act from the clause's form and re-routes questions before any flow starts:

- **information questions** (question words about process, time, limits and reasons — "how
  long", "how many times", "what happens", "why", "what is the longest"; yes/no questions about
  the company's practice — "do you keep my card", "would I get a warning", "is that correct";
  a past action that has not arrived yet — "you refunded me but it's not on my card") become
  `policy_question`, answered from the knowledge base;
- **price questions** become a read: the price of a named plan (`price_question`, answered from
  the plan catalogue of the account) or the cost of a concrete change (`preview_change`); never a
  write;
- **explicit "only asking" markers** anywhere in the message ("not doing it yet", "only asking",
  "don't change anything") turn every write of the message into one of the above.

Requests phrased politely as questions stay requests: "can you refund the March charge?",
"could you cancel my plan?", "can I get a refund for the October payment?" — a modal addressed
to the assistant (or "can I get/have ...") with an action verb is a request. When in doubt the
clause keeps its intent; the handlers never write without the customer's confirmation anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from purser.text import ascii_twin

if TYPE_CHECKING:
    from purser.models.offline.understand import Request

__all__ = [
    "PRICE_QUESTION",
    "WHEN_CHARGED",
    "answer_only",
    "info_only",
    "is_info_question",
    "is_polite_request",
    "merge_conditions",
    "reroute",
]

PRICE_QUESTION = "price_question"
"""The intent of a question about a plan's price, answered from the plan catalogue (no tool call)."""

WRITES: frozenset[str] = frozenset(
    {"refund", "send_invoice", "update_billing", "change_plan", "change_seats", "retry_payment",
     "payment_method", "pause", "resume", "cancel"}
)  # fmt: skip
_SMALL_TALK = frozenset({"greeting", "thanks", "affirm", "deny", "unknown"})

_ACTION_VERB = (
    r"(?:refund|reimburse|cancel|pause|freeze|resume|unpause|reactivate|send|resend|re-send|email|mail|forward"
    r"|update|change|switch|move|upgrade|downgrade|add|remove|retry|try|charge|bump|put|give|reverse|process"
    r"|issue|stop|apply|fix|correct|reduce|increase|drop|sort out|look into|void|credit|terminate|close"
    r"|delete|activate|restart|renew)"
)

_POLITE_REQUEST = re.compile(
    # a modal addressed to the assistant with an action verb: "could you cancel my plan?"
    rf"\b(?:can|could|would) you (?:please |kindly |just |maybe |possibly )?(?:{_ACTION_VERB}|do (?:it|that|this)"
    r"|get (?:me|us|it|that|this))\b"
    # the customer asks to receive or to do: "can I get a refund for ...", "could we pause ..."
    rf"|\b(?:can|could|may|might) (?:i|we) (?:please |just |maybe )?(?:get|have|receive|request|ask for"
    rf"|{_ACTION_VERB})\b"
    r"|\bwould (?:i|we) be able to\b"
    rf"|\bis it possible (?:for you )?to {_ACTION_VERB}\b[^?]{{0,40}}\b(?:my|the|this|that|our|it|me|us)\b"
    rf"|(?<!do )(?<!would )(?<!will )\b(?:i|we) (?:would like|would love|want|need|wish)(?: you)?(?: to)? "
    rf"(?:{_ACTION_VERB}|get|have)\b"
    r"|(?<!do )(?<!would )(?<!will )\b(?:i|we) (?:would like|would love|want|need) (?:a|an|my|our|the)"
    r" (?:refund|cancellation|pause|copy|receipt|invoice|new|link|money)\b"
    rf"|^(?:(?:ok|okay|so|then|hi|hello|hey|also|and),? )?(?:please |pls |kindly |just )?{_ACTION_VERB}\b"
)
"""A request, however politely phrased as a question."""

_ANY_TIME = re.compile(r"\b(?:any ?time|at any time|whenever (?:i|we) (?:want|like)|ever)\b")

_INFO_HEAD = re.compile(
    r"\bhow (?:long|soon|quickly|fast|often|much notice|much warning|much time|far in advance"
    r"|many (?:times|days|weeks|months|business days|working days|retries|attempts|refunds))\b"
    r"|\bhow long (?:until|till|before)\b|\buntil when\b|\bby when\b"
    r"|\bwhat (?:happens|would happen|will happen|should happen|do you do|does it do)\b"
    r"|\bwhat (?:is|are|is the|are the) (?:longest|shortest|maximum|minimum|max|min|most|limit|limits|deadline"
    r"|policy|rules?|process|notice|notice period|timeline|time ?frame)\b"
    r"|\bwhy\b"
    r"|^(?:so |and |ok )?(?:you|you guys|you folks|purser) (?:\w+ ){0,2}?(?:store|keep|save|hold|retain|log"
    r"|record)\b"
    r"|\bor (?:do |will |would |should )?(?:i|we) (?:lose|keep|still have|get|have to|need to)\b"
    r"|\b(?:now|right away|immediately|straight away) or (?:at )?(?:the )?(?:end|next|later|renewal)\b"
    r"|\bis (?:the|my|our) (?:vat|tax)\b"
    r"|\bwhen (?:do|does|will|would|is|are) (?:(?:a|an|the|my|our) )?(?:downgrade|upgrade|change|switch"
    r"|cancellation|pause|plan change|new plan|price change|new price)s? (?:\w+ )?(?:start|happen|apply|take effect"
    r"|kick in|begin|end)\b"
    r"|\bwhen (?:will|would|should|does|do|is|are) (?:i|we|it|that|this|the money|my money|refunds?|a refund"
    r"|the refund|my refund|the change|a downgrade|an upgrade|the downgrade|the upgrade)\b[^?]{0,40}"
    r"\b(?:arrive|arrives|show|shows|appear|see|back|land|reach|come|clear|take effect|takes effect|kick in"
    r"|apply|applies|start|starts|happen|switch|go through)\b"
    # yes/no questions about the company's practice: "do you keep my card number?"
    r"|\b(?:do|does) (?:you|you guys|you folks|purser|your (?:system|company|team|app|site|servers?)|they)"
    r" (?:\w+ ){0,2}?(?:store|keep|save|hold|retain|see|log|record|have access|retry|try|attempt|re-?attempt"
    r"|notify|warn|tell|inform|let (?:me|us) know|give (?:any )?(?:notice|warning)|send (?:a |any )?"
    r"(?:notice|reminder|warning|email)|prorate|refund partial|refund unused)\b"
    r"|\bwill (?:you|they|it|the system) (?:\w+ ){0,2}?(?:retry|try (?:again|it again|to charge)"
    r"|charge (?:it|me|my card|the card) again|attempt|warn|notify|tell|inform|let (?:me|us) know"
    r"|keep|store|save)\b"
    r"|\b(?:do|will|would|does) (?:i|we) (?:still |then |also )?(?:lose|keep|get any|receive any|(?:be|get) (?:warned"
    r"|notified|told|informed|locked|cut off|suspended|an email|a heads up|any notice)|have access|still have"
    r"|need to|have to)\b"
    # passive questions about what happens to data or the account: "are my card details saved?"
    r"|\b(?:is|are|will|would) (?:my|our|the) (?:full )?(?:card|credit card|payment|card details|card number"
    r"|card data|payment details|data|account|access|subscription|service)s?(?: \w+)?"
    r" (?:(?:be|get) )?(?:stored|saved|kept|held|retained|logged|visible|encrypted|safe|secure|suspended|blocked"
    r"|locked|cut off|closed|deleted|lost)\b"
    # a question under a condition: "will my account be suspended if my payment fails?"
    r"|^(?:will|would|does|do|is|are) (?:\w+ ){1,10}?(?:if|once|in case) (?:i|we|my|our|the|a|it|you)\b"
    r"|\b(?:do|will|would) (?:i|we) (?:still |then |also )?get (?:any |some |my |the |a )?(?:money|refund|credit"
    r"|warning|notice|heads up|email|reminder)\b[^?]{0,40}\b(?:if|when|before|after|for the rest|back)\b"
    r"|\bis (?:that|this|it|there) (?:\w+ )?(?:correct|right|normal|true|legal|standard|expected|usual|ok|okay"
    r"|allowed|a limit|any limit|a maximum|a max|a notice|any notice|any warning|a grace)\b"
    r"|\b(?:does|will|would) (?:it|that|this|the (?:change|switch|plan|pause|cancellation|new plan|price)"
    r"|an? (?:downgrade|upgrade|pause|cancellation|plan change)) (?:\w+ ){0,2}?(?:switch|happen|apply|take effect"
    r"|start"
    r"|kick in|change|end|stop|go up|increase)\b"
)
"""A question asking for information about how billing works, not for an action."""

_RULE_HEAD = re.compile(
    r"\bwhat (?:is|are|is the|are the) (?:longest|shortest|maximum|minimum|max|min|most|limit|limits|deadline"
    r"|policy|rules?|notice|notice period)\b|\bhow (?:often|many times|much notice|far in advance)\b"
    r"|\bis there (?:a|any) (?:limit|maximum|max|minimum|notice|grace)\b|\bwhat (?:happens|would happen)\b"
    r"|\b(?:is|are) (?:my|our|the) (?:full )?(?:card|credit card|card details|card number|card data|payment details)"
    r"(?: \w+)? (?:stored|saved|kept|held|retained|logged|visible|encrypted)\b"
)
"""Questions about the rules that the classifier may take for a question about the account."""

_POLICY_TOPIC = re.compile(
    r"\b(?:refund\w*|money|card\w*|payment\w*|charg\w*|invoice\w*|vat|tax\w*|price\w*|pricing|cost\w*|plan\w*"
    r"|subscription\w*|pause\w*|paus\w*|hold|cancel\w*|trial\w*|seats?|billing|bill\w*|renew\w*|data|access"
    r"|upgrad\w*|downgrad\w*|retr\w*|receipt\w*|fees?|notice|warning|account)\b"
)
"""Words that make a bare question a billing-policy question (rather than small talk)."""

_WAITING = re.compile(
    r"\b(?:not (?:yet |even )?(?:on|in|back|showing|there|arrived|received|visible|seen|come|reached)"
    r"|(?:have|has|did) not (?:yet )?(?:arrived|received|seen|got|gotten|come|shown|appeared|landed|reached)"
    r"|\b(?:have|has|did) not (?:\w+ ){0,4}?(?:yet|so far)\b"
    r"|still (?:waiting|not|no|nothing|pending|missing)|where is (?:it|my|the)|(?:nothing|no money) (?:yet|so far))"
)
_PAST_ACTION = re.compile(
    r"\b(?:you|you guys|support|your team|someone|they|your colleague) (?:already |just |have |had )?"
    r"(?:refunded|cancell?ed|paused|processed|issued|sent|credited|reversed|approved)\b"
    r"|\b(?:refund|money|credit) (?:was|has been|got|had been) (?:issued|processed|sent|made|approved|done|given)\b"
    r"|\bi (?:got|received|was given|have got|was promised|was told i would get) (?:a|the|my) refund\b"
    r"|\b(?:i|we) (?:was|were|have been|had been|got) (?:already )?refunded\b"
)
"""The company already did it ("you refunded me two days ago"): with a waiting cue, a timing question."""

_INFO_ONLY = re.compile(
    r"\bnot (?:doing|going to do|changing|deciding|committing to|switching|upgrading|downgrading|cancell?ing"
    r"|pausing|ready to (?:do|switch|change|decide|commit|upgrade|downgrade|cancel))(?: (?:it|that|this|anything"
    r"|anything|the change))?(?: (?:yet|just yet|right now|today))\b"
    r"|\b(?:only|just) (?:asking|checking|curious|wondering|want(?:ing)? to know|need(?:ing)? to know"
    r"|want(?:ing)? (?:the|a) (?:number|price|figure|quote|info|information|answer))\b"
    r"|\bonly want(?:ing)? (?:the|a) (?:number|price|figure|quote|info|information|answer)\b"
    r"|\basking for now\b|\bfor information only\b|\bjust for (?:information|info|reference)\b"
    r"|\b(?:do not|please do not|no need to) (?:change|do|touch|process|make|action|apply) (?:anything|any changes"
    r"|it (?:yet|now)|nothing)\b(?! else)"
    r"|\bnot asking (?:you )?(?:to (?:do|change|make|process)|for (?:anything|a change|a refund|action))\b"
    r"|\bno action (?:needed|required|please)\b|\bnot (?:a request|requesting anything)\b"
    r"|\b(?:nothing|no changes?) (?:to do|to change|needed) (?:yet|for now|right now)\b"
    r"|\bhypothetical(?:ly)?\b[^.?!]{0,80}\bnot (?:now|yet|today)\b|\bnot (?:now|yet)\b[^.?!]{0,10}\bjust planning\b"
    r"|\bjust (?:planning|budgeting|thinking ahead)\b"
)
"""The customer says outright that nothing should be done: every write of the message is a question."""

_BARE_CONDITION = re.compile(
    r"^(?:and |but |so |also )?(?:if|in case|suppose|supposing|assuming|whenever|say) [^,;:?]*$"
)
"""A conditional clause standing alone ("if my card payment fails some month"): never a request."""

_PRICE_CUE = re.compile(
    r"\b(?:price|prices|priced|pricing|cost|costs|costing|how much|rate|rates|set (?:me|us) back)\b"
    r"|\bwhat (?:do|does|would|will|did) (?:\w+ ){0,4}?(?:pay|cost|charge)\b"
)
_CHANGE_CUE = re.compile(
    r"\b(?:upgrad\w*|downgrad\w*|switch\w*|mov(?:e|ed|ing)|go(?:ing)? (?:to|from|up|down|over)|went to"
    r"|chang\w* (?:to|over|plan|my)|add\w*|remov\w*|prorat\w*|difference|more|extra|cheaper|save|saving"
    r"|today|right now|now|instead|if (?:i|we)|would (?:i|we|it) (?:pay|be|cost)|to go|to get|bump\w*)\b"
)
_CATALOGUE = re.compile(r"(?<!\bmy )(?<!\bour )(?<!\bcurrent )(?<!\bthis )\b(?:plans?|tiers?|packages?)\b")
_SEATS = re.compile(r"\b\d+\s+(?:more |extra |additional |new )?(?:seats?|users?|licen[cs]es?|members?)\b")


_READS = frozenset({"policy_question", "account_question", "charge_question", "preview_change", PRICE_QUESTION})
_ASKS = re.compile(
    r"\?|\b(?:if (?:i|we)|would (?:i|we|you|it|that)|could (?:i|we|you)|can (?:i|we|you)|will (?:i|we|you|it)"
    r"|do (?:you|i|we)|does (?:it|that|this)|is (?:it|there|that)|are (?:you|there)|what|how|when|why)\b"
)
"""A question somewhere in the message."""


def info_only(normalized: str) -> bool:
    """The message says outright that nothing should be done yet ("only asking", "not doing it yet")."""
    return bool(_INFO_ONLY.search(normalized))


def is_polite_request(normalized: str) -> bool:
    """A request however it is phrased: "could you cancel my plan?", "can I get a refund for X?"."""
    if _ANY_TIME.search(normalized):
        return False  # "can I cancel at any time?": a question about the rules
    return bool(_POLITE_REQUEST.search(normalized))


_INFO_HEAD_ASCII = ascii_twin(_INFO_HEAD)


def is_info_question(normalized: str) -> bool:
    """An information question about billing practice (see the module docstring), not a request."""
    if (_INFO_HEAD_ASCII if normalized.isascii() else _INFO_HEAD).search(normalized):
        return True
    return bool(_PAST_ACTION.search(normalized) and _WAITING.search(normalized))


def price_kind(normalized: str, plan_names: Sequence[str]) -> str | None:
    """ "catalogue" for a plan's price ("what does Pro cost?"), "change" for the cost of a change
    ("what would upgrading to Business cost me?"), None when the clause asks for no price."""
    if not _PRICE_CUE.search(normalized):
        return None
    named = any(n and re.search(r"\b" + re.escape(n) + r"\b", normalized) for n in plan_names)
    if _SEATS.search(normalized) or (re.search(r"\b(?:upgrad|downgrad)\w*", normalized) and named):
        return "change"
    if not named and re.search(r"\b(?:annual|annually|yearly|monthly)\b", normalized):
        return "change"  # "what does it cost to go annual?": the current plan in another interval
    if _CHANGE_CUE.search(normalized):
        return "change" if named else None
    # "how much is the Pro plan?", "what do your plans cost?" (not "my plan": that is the account)
    return "catalogue" if named or _CATALOGUE.search(normalized) else None


def reroute(intent: str, confidence: float, normalized: str, plan_names: Sequence[str]) -> tuple[str, float]:
    """The clause's intent once its dialogue act is known (the classifier's when nothing applies)."""
    if _PREAMBLE.match(normalized) and intent not in _SMALL_TALK:
        return "unknown", 0.0  # "out of curiosity," alone: a marker for the question next to it
    price = price_kind(normalized, plan_names)
    if price == "catalogue" and intent in (*WRITES, *_SMALL_TALK, "preview_change", "policy_question",
                                           "account_question"):  # fmt: skip
        return PRICE_QUESTION, max(confidence, 0.8)
    if price == "change" and intent in ("policy_question", *_SMALL_TALK):
        return "preview_change", max(confidence, 0.8)  # "just curious what Business would cost me": a read
    if price == "change" and intent == "preview_change":
        return intent, confidence
    if intent in WRITES and _BARE_CONDITION.match(normalized) and not is_info_question(normalized):
        return "unknown", 0.0  # "if my payment fails some month": a condition, the question follows it
    if intent == "preview_change" and _PRICE_CUE.search(normalized):
        return intent, confidence  # a price asked for is a quote (a read), whatever else the words say
    movable = (
        intent in WRITES
        or intent == "preview_change"
        or (intent in _SMALL_TALK and bool(_POLICY_TOPIC.search(normalized)))
        or (intent == "account_question" and bool(_RULE_HEAD.search(normalized)))
    )
    if movable and is_info_question(normalized) and not is_polite_request(normalized):
        return "policy_question", max(confidence, 0.75)
    if (
        intent == "charge_question"
        and re.search(r"\b(?:vat|tax)\b", normalized)
        and re.search(r"\b(?:why|0 %|0%|zero|no vat|without|reverse|correct|right)\b", normalized)
    ):
        return "policy_question", max(confidence, 0.75)  # a tax rate is policy, not a charge on the account
    return intent, confidence


_PREAMBLE = re.compile(
    r"^(?:(?:hi|hello|hey|so|ok|okay)\b[ ,]*)?(?:just |only |a |one )?(?:quick |general |small )?"
    r"(?:out of curiosity|question|asking|curious|wondering|hypothetically(?: speaking)?|in theory|for now"
    r"|checking|for (?:information|info))[ ,.:!]*$"
)
_CONDITION_HEAD = re.compile(
    r"^(?:and |but |so |also )?(?:if|in case|suppose|supposing|assuming|whenever|once|say"
    r"|(?:when|after|before) (?:i|we|you|my|our|the|a))\b"
)
_QUESTION_START = re.compile(r"^(?:what|when|how|why|which|will|would|do|does|did|is|are|can|could|should|shall)\b")


def merge_conditions(clauses: list[tuple[str, str, float, str]]) -> list[tuple[str, str, float, str]]:
    """A clause that is only a condition ("if my payment fails", "when I switch to a cheaper plan"),
    or a past action the question after it is about ("I was refunded on the 3rd, when will it
    show?"), joins the clause after it; when that is a question (not a request), the whole is a
    policy question. Clauses are (text, intent, confidence,
    normalized), as `understand` builds them."""
    out: list[tuple[str, str, float, str]] = []
    index = 0
    while index < len(clauses):
        text, intent, conf, norm = clauses[index]
        context = (_CONDITION_HEAD.match(norm) and not re.search(r"[,;:?]", norm)) or (
            _PAST_ACTION.search(norm) and index + 1 < len(clauses) and is_info_question(clauses[index + 1][3])
        )
        if index + 1 < len(clauses) and context and not is_polite_request(norm):
            text2, intent2, conf2, norm2 = clauses[index + 1]
            merged = norm + " , " + norm2
            asked = _QUESTION_START.match(norm2) or is_info_question(norm2)
            if asked and not is_polite_request(norm2) and intent2 in (*WRITES, *_SMALL_TALK, "account_question",
                                                                      "charge_question"):  # fmt: skip
                intent2, conf2 = "policy_question", max(conf2, 0.75)
            out.append((text + ", " + text2, intent2, conf2, merged))
            index += 2
            continue
        out.append((text, intent, conf, norm))
        index += 1
    return out


def answer_only(requests: list[Request], normalized_message: str, plan_names: Sequence[str]) -> list[Request]:
    """With an explicit "only asking" marker, no write survives: price questions become reads,
    everything else one knowledge question (consecutive questions merged)."""
    from purser.models.offline.understand import Request

    if not requests or not info_only(normalized_message):
        return requests
    if all(r.intent not in WRITES and r.intent not in _READS for r in requests) and _ASKS.search(normalized_message):
        # "if I asked for a refund of May, would I get it? just asking, don't do anything": the marker read
        # as a "no"; the question is the rule
        whole = " . ".join(r.normalized for r in requests)
        return [Request("policy_question", " ".join(r.text for r in requests), whole, 0.8)]
    out: list[Request] = []
    for req in requests:
        intent = req.intent
        if intent in WRITES:
            price = price_kind(req.normalized, plan_names)
            intent = {"change": "preview_change", "catalogue": PRICE_QUESTION}.get(price or "", "policy_question")
        if out and intent == "policy_question" and out[-1].intent == intent:
            prev = out[-1]
            out[-1] = Request(intent, prev.text + ". " + req.text, prev.normalized + " . " + req.normalized,
                              prev.confidence)  # fmt: skip
        else:
            out.append(Request(intent, req.text, req.normalized, req.confidence))
    return out


WHEN_CHARGED = re.compile(
    r"\bwhen (?:do|will|would|does|am|are|is) (?:i|we|you|my card|our card|it)(?: \w+)?"
    r" (?:get |be )?(?:charged?|billed|bill|pay|paying|debited|take (?:the )?(?:money|payment))\b"
)
"""A question of when the next (or first) charge is: the account says, not the policy."""
