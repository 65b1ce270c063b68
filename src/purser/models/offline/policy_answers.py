"""Answers to questions: billing policy from the knowledge base, plan prices from the catalogue.

Policy questions ("how long does a refund take?", "do you keep my card number?") are answered
from `search_knowledge` in two steps:

1. **Query**: the question without its preamble, led by the canonical words of the topic and
   facet it asks about ("refund" + "how long" -> "refund money arrives business days"), so BM25
   finds the section that states the fact even when the customer's words differ from the
   document's. The topic is read from the whole message ("you refunded me, it's not on my card.
   how long does it take?") since a short question often names it only in a pronoun.
2. **Answer**: a sentence-level pick over every passage returned (not only the top one), scored
   by word overlap with the question and the topic words, plus a bonus when the sentence has the
   *shape of the fact asked for*: a duration for "how long", a limit for "the longest", a count
   or schedule for "how many times", "notice" for a warning, a negation for "do you store".
   With no facet recognised, the knowledge module's extractive answer is used as before.

Price questions about a named plan are answered from the plans of the `lookup_account` result;
no tool is called and nothing can be written.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from purser.models.offline.account import fmt_date, fmt_money
from purser.models.offline.dialogue import Call, NeedCall, Open, Turn
from purser.models.offline.handlers import Job, _account, _say
from purser.models.offline.replies import knowledge_answer, knowledge_query
from purser.models.offline.slots import match_plan, parse_interval, plan_base
from purser.text import ascii_twin

__all__ = ["h_policy", "h_price", "policy_answer", "policy_query"]

_TOPICS: tuple[tuple[re.Pattern[str], re.Pattern[str] | None, str], ...] = (
    # "how many days after a payment can I still ask": the refund window, not how long a refund takes
    (re.compile(r"\brefund\w*|\bmoney back\b|\breimburs\w*"),
     re.compile(r"\b(?:days?|weeks?|months?) (?:after|since|from|of)\b|\bafter (?:a |the )?(?:payment|charge)\b"
                r"|\bstill (?:ask|get|request|claim|be able)\b|\bwindow\b|\bdeadline\b|\btoo late\b|\bhow old\b"
                r"|\bhow long (?:do i have|after|since)\b|\btime limit\b"),
     "refund window within days of the charge"),
    # "do I get money back for the rest of the month" after a change: the change's timing answers it
    (re.compile(r"\bmoney back\b|\brefund\w*|\bcredit\w*|\breimburs\w*"),
     re.compile(r"\brest of (?:the|this|my|our) (?:month|period|year|cycle|term)\b"
                r"|\bunused (?:part|time|days|portion)\b"
                r"|\b(?:go|going|move|moving|switch\w*) (?:from \w+ )?(?:down|to a cheaper|to a lower|to a smaller)\b"
                r"|\bfrom \w+ to \w+\b"),
     "downgrading end of the current billing period refund credit"),
    (re.compile(r"\brefund\w*|\bmoney\b|\breimburs\w*|\bcredit(?:ed)?\b"),
     re.compile(r"\bhow (?:long|soon|quickly|many (?:business |working )?days)\b|\bwhen (?:will|would|does|do|is)\b"
                r"|\barriv\w*|\bnot (?:yet |even )?(?:on|in|back|showing|there)\b|\bstill (?:waiting|not|nothing)\b"
                r"|\bshow(?:s|ing)? up\b|\bappear\w*|\bstatement\b|\btakes? (?:so )?long\b|\bdoes it take\b"
                r"|\b(?:on|in|to|reached) my (?:card|account|bank)\b|\b(?:have|has|did) not (?:\w+ ){0,4}?yet\b"
                r"|\bwhen will it\b"),
     "refund when the money arrives business days card bank"),
    (re.compile(r"\bpaus\w*|\bhold\b|\bfreez\w*"),
     re.compile(r"\bhow long\b|\blongest\b|\bmaximum\b|\bmax\b|\blimit\w*|\bhow many months\b|\bup to\b|\bat most\b"
                r"|\bmost\b"),
     "how long a pause can last pause up to months"),
    (re.compile(r"\b(?:payment|charge|card|renewal)s?\b[^.?]{0,40}\b(?:fail\w*|declin\w*|bounc\w*|reject\w*"
                r"|did not go through|does not go through|not go through)|\bfail\w* (?:payment|charge)"),
     None, "failed payment retry schedule retries access"),
    (re.compile(r"\bpric\w*|\bcost\w*|\bpricing\b|\bmore expensive\b"),
     re.compile(r"\brais\w*|\bincreas\w*|\bgo(?:es|ing)? up\b|\bhike\w*|\bchang\w*|\bwarn\w*|\bnotice\b"
                r"|\badvance\b|\bheads up\b|\bcosts more\b|\bmore expensive\b"),
     "price change notice days"),
    (re.compile(r"\bcard\w*|\bcredit card\b|\bpayment details\b"),
     re.compile(r"\bstor\w*|\bkeep\w*|\bsav(?:e|ed|ing)\b|\bhold\w*|\bretain\w*|\bservers?\b|\bleak\w*|\bsecur\w*"
                r"|\bsafe\w*|\bsee\b|\baccess to\b|\bfull (?:card )?number\b"),
     "do you store my card number secure page"),
    (re.compile(r"\bvat\b|\btax\w*"),
     re.compile(r"\b0 ?%|\b0\b|\bzero\b|\bno vat\b|\bwithout\b|\breverse\w*|\bwhy\b|\bnot charg\w*|\bmissing\b"
                r"|\bexempt\w*|\bcorrect\b|\bmistake\b|\bwrong\b|\berror\b|\bnot (?:show|include|have|see)\w*\b"
                r"|\bany vat\b"),
     "reverse charge VAT businesses VAT id invoiced without VAT"),
    (re.compile(r"\bdowngrad\w*|\bgo(?:ing)? down\b|\bmov\w* down\b|\bcheaper plan\b|\blower plan\b|\bsmaller plan\b"),
     None, "downgrading end of the current billing period refund credit"),
    (re.compile(r"\bupgrad\w*|\bgo(?:ing)? up to\b|\bhigher plan\b|\bbigger plan\b"),
     re.compile(r"\bwhen\b|\bimmediately\b|\beffect\b|\bprorat\w*|\bcharged\b|\bright away\b|\bkick in\b"),
     "upgrading take effect immediately prorated difference"),
    (re.compile(r"\bcancel\w*"),
     re.compile(r"\bwhen\b|\bimmediately\b|\baccess\b|\beffect\b|\bdata\b|\bkeep\b|\bend\w*\b|\bright away\b"),
     "cancelling end of the current billing period access"),
    (re.compile(r"\brefund\w*"),
     re.compile(r"\bhow (?:many|often)\b|\blimit\w*\b|\bper (?:year|quarter|month)\b|\banother\b|\bsecond\b"),
     "how often you can get a refund one refund per period"),
)  # fmt: skip
"""(topic, facet or None for any, canonical query words). The first match leads the query."""

_FACETS: tuple[tuple[re.Pattern[str], re.Pattern[str], float], ...] = (
    # a duration: "how long", "when will it arrive", "not on my card yet"
    (re.compile(r"\bhow (?:long|soon|quickly|fast)\b(?! (?:do (?:i|we) have|after|since))"
                r"|\bhow many (?:business |working )?days\b(?! (?:do (?:i|we) have|after|since|can (?:i|we)|left))"
                r"|\bwhen will\b"
                r"|\barriv\w*|\bstill (?:waiting|not|nothing)\b|\btakes? (?:so )?long\b|\bdoes it take\b"
                r"|\b(?:on|in|to|reached) my (?:card|account|bank)\b"),
     re.compile(r"\b\d+ (?:to \d+ )?(?:business |working )?(?:days?|weeks?|hours?)\b"), 2.0),
    # a window: "after two months", "within a week", "too late"
    (re.compile(r"\bafter (?:\d+|a|one|two|three|four|six|a few|several) (?:days?|weeks?|months?)\b|\bwithin\b"
                r"|\btoo late\b|\bhow old\b|\bdeadline\b|\bwindow\b|\btime limit\b"
                r"|\bhow (?:many days|long) (?:do (?:i|we) have|after|since|can (?:i|we))\b|\bdays (?:after|since)\b"
                r"|\bstill (?:ask|get|request|claim)\b"),
     re.compile(r"\bwithin \d+ days\b|\bolder than \d+\b|\b\d+ days of\b"), 2.5),
    # a limit: "the longest", "the maximum"
    (re.compile(r"\blongest\b|\bmaximum\b|\bmax\b|\bat most\b|\bup to\b|\blimit\w*|\bhow many months\b"
                r"|\bhow long can\b|\bmost\b"),
     re.compile(r"\bup to \d+|\bat most\b|\bmaximum\b|\b\d+ months?\b"), 2.0),
    # a schedule or count: "do you try again", "how many times"
    (re.compile(r"\bhow (?:many times|often)\b|\btry (?:it )?again\b|\bretr\w*|\bagain\b|\battempt\w*"),
     re.compile(r"\b\d+ times\b|\b\d+, \d+,? and \d+\b|\bevery \d+ (?:days?|hours?)\b"), 2.0),
    # access while it happens: "do I lose access"
    (re.compile(r"\baccess\b|\blose\b|\blocked\b|\bcut off\b|\bsuspend\w*"),
     re.compile(r"\baccess\b"), 1.5),
    # advance notice
    (re.compile(r"\bwarn\w*|\bnotice\b|\badvance\b|\bheads up\b|\bnotif\w*|\btell (?:me|us) before\b"
                r"|\blet (?:me|us) know\b"),
     re.compile(r"\bnotice\b"), 2.0),
    # storage of card data: the answer is a negation or where it is kept
    (re.compile(r"\bstor\w*|\bkeep\b|\bsav(?:e|ed|ing)\b|\bhold\b|\bretain\w*|\bservers?\b|\bleak\w*|\bsecur\w*|\bsafe\b"),
     re.compile(r"^no\b|\bnever\b|\bnot (?:stored|kept|seen)\b|\bsecure page\b"), 2.0),
    # a tax rate of zero
    (re.compile(r"\b0 ?%|\b(?:vat|tax) (?:is )?0\b|\bzero\b|\bno vat\b|\bwithout vat\b|\breverse\w*|\bexempt\w*"
                r"|\bnot (?:show|include|have|see)\w* any (?:vat|tax)\b|\bany vat\b"),
     re.compile(r"\breverse.charge\b|\bwithout vat\b"), 2.0),
    # when a change applies
    (re.compile(r"\bimmediately\b|\bright away\b|\bwhen (?:does|do|will|would)\b|\bswitch\w*|\btake effect\b"
                r"|\bkick in\b|\bstart\w*\b|\bapply\b"),
     re.compile(r"\btakes? effect\b|\bimmediately\b|\bat the end of\b|\bstarts? when\b"), 1.5),
    # money back for the rest of a period
    (re.compile(r"\bmoney back\b|\brefund\w*|\bcredit\b|\brest of the\b|\breimburs\w*"),
     re.compile(r"\brefund\w*|\bcredit\b"), 0.75),
)  # fmt: skip
"""(what the question asks, the shape of a sentence that answers it, how much that shape counts)."""

_YES_NO = re.compile(r"^(?:yes|no|not really|never)[.!]?$", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the i we you it is are do does did to of for on in at my our your me us and or if be been this that "
    "what when how why will would can could should there any about with from just only as by so".split()
)


@lru_cache(maxsize=4096)
def _terms(text: str) -> frozenset[str]:
    # bounded memo: the knowledge base's sentences and headings come back in answer after answer
    return frozenset(w[:6] for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1)


_TOPICS_ASCII = tuple(
    (ascii_twin(topic), ascii_twin(facet) if facet is not None else None, words) for topic, facet, words in _TOPICS
)


def _topic_words(message: str) -> str:
    norm = message.lower()
    found: list[str] = []
    for topic, facet, words in _TOPICS_ASCII if norm.isascii() else _TOPICS:  # see purser.text
        if topic.search(norm) and (facet is None or facet.search(norm)) and words not in found:
            found.append(words)
    return " ".join(found[:2])


def policy_query(question: str, normalized: str, message: str) -> str:
    """The `search_knowledge` query: the canonical words of the question's topic, then the question."""
    base = knowledge_query(question, normalized)
    lead = _topic_words(normalized) or _topic_words(message)
    return f"{lead} {base}".strip()[:480] if lead else base


def _facets(question: str) -> list[tuple[re.Pattern[str], float]]:
    norm = question.lower()
    return [(shape, weight) for asked, shape, weight in _FACETS if asked.search(norm)]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1024)
def _sentences(text: str) -> tuple[str, ...]:
    # bounded memo: a passage of the knowledge base is split the same way every time it is found
    parts = _SENTENCE_END.split(_SPACES.sub(" ", text).strip())
    return tuple(p.lstrip("- ").strip() for p in parts if p.strip(" -"))


def policy_answer(question: str, message: str, result: dict[str, Any]) -> str:
    """The sentences of the passages that state the fact the question asks for (see the module docstring)."""
    passages = [p for p in (result.get("passages") or []) if isinstance(p, dict)]
    facets = _facets(question + " " + message)
    if not passages or not facets:
        return knowledge_answer(question, result)
    wanted = _terms(question + " " + _topic_words(question.lower() + " " + message.lower()))
    scored: list[tuple[float, int, int, str]] = []
    split = [_sentences(str(p.get("text", ""))) for p in passages[:3]]
    for rank, passage in enumerate(passages[:3]):
        heading = _terms(str(passage.get("heading", "")))
        for index, sentence in enumerate(split[rank]):
            terms = _terms(sentence) | heading
            overlap = len(terms & wanted) / (1.0 + 0.5 * rank)
            weights = sorted((w for shape, w in facets if shape.search(sentence.lower())), reverse=True)
            bonus = weights[0] + 0.5 * (len(weights) - 1) if weights else 0.0
            scored.append((overlap + bonus, rank, index, sentence))
    if not scored:
        return knowledge_answer(question, result)
    ranked = sorted(scored, key=lambda s: (-s[0], s[1], s[2]))
    best = ranked[0]
    chosen = [best]
    for facet, _ in facets:  # one sentence for each further fact asked for ("try again?" and "lose access?")
        if len(chosen) >= 2:
            break
        if any(facet.search(s[3].lower()) for s in chosen):
            continue
        more = next((s for s in ranked if facet.search(s[3].lower()) and s[0] >= best[0] * 0.5), None)
        if more is not None and more not in chosen:
            chosen.append(more)
    chosen.sort(key=lambda s: (s[1], s[2]))
    texts = [s[3] for s in chosen]
    first = chosen[0]
    section = split[first[1]]
    if first[2] > 0 and _YES_NO.match(section[first[2] - 1]):
        texts.insert(0, section[first[2] - 1])  # the passage's own "No." before its explanation
    elif first[2] > 0 and len(section) <= 4 and section[0] not in texts:
        texts.insert(0, section[0])  # a short section's lead states the rule the detail depends on
    return " ".join(texts)


_ASKS_DATE = re.compile(
    r"\b(?:what|which) (?:date|day)\b|\buntil when\b|\bhow long\b[^.?!]{0,30}\b(?:access|keep|use)\b"
    r"|\buntil what\b|\bwhen (?:would|will|does|do) (?:it|my|the|i)\b[^.?!]{0,30}\b(?:end|stop|lose|expire)\w*"
)
_CANCEL_OR_DOWNGRADE = re.compile(r"\bcancel\w*|\bdowngrad\w*|\bend my\b|\bstop (?:my|the) (?:plan|subscription)\b")


def _for_this_account(turn: Turn, job: Job) -> str:
    """The date a "what date would it end?" question is really about, read from the account."""
    acct = turn.account
    sub = (acct.subscription if acct else None) or {}
    question = job.normalized + " " + turn.message.lower()
    if not sub.get("current_period_end") or not _ASKS_DATE.search(question):
        return ""
    if not _CANCEL_OR_DOWNGRADE.search(question):
        return ""
    return f"For your account, the current period ends on {fmt_date(sub['current_period_end'])}."


def h_policy(turn: Turn, job: Job) -> None:
    """Answer a policy question from `search_knowledge` (search first, then answer from its result)."""
    rec = turn.claim("search_knowledge")
    if rec:
        turn.cursor = max(turn.cursor, rec.index)
        answer = policy_answer(job.text, turn.message, rec.result or {})
        turn.report(rec.index, (answer + " " + _for_this_account(turn, job)).strip())
        return
    if "search_knowledge" not in turn.tools:
        _say(turn, "I don't have our policy documents at hand here. A teammate can answer that — just ask for a human.")
        return
    raise NeedCall(Call("search_knowledge", {"query": policy_query(job.text, job.normalized, turn.message)}))


def _per(plan: dict[str, Any]) -> str:
    interval = {"month": "month", "year": "year"}.get(str(plan.get("interval")), str(plan.get("interval")))
    return f"per seat per {interval}" if plan.get("per_seat") else f"per {interval}"


def h_price(turn: Turn, job: Job) -> None:
    """The price of the plans the question names, from the plan catalogue (no tool call)."""
    acct = _account(turn)
    norm = job.normalized
    found = match_plan(norm, acct.plans)
    named = {plan_base(p) for p in found}  # named in the words, never the current one
    interval = parse_interval(norm)
    if len(named) >= 2:  # "Business per month? and the yearly Pro?": each name with its own interval
        plans = [p for i, p in enumerate(found) if p not in found[:i]]
        plans.sort(key=lambda p: norm.find(plan_base(p).lower()) % (len(norm) + 1))
    else:
        plans = [p for p in acct.plans if plan_base(p) in named and (interval is None or p.get("interval") == interval)]
    if not plans:
        listing = "\n".join(f"- {acct.plan_label(p)}" for p in acct.plans)
        _say(turn, f"Here are our plans:\n{listing}" if listing else "I can't see a price list for your account.")
        return
    current = (acct.plan or {}).get("id")
    lines = []
    for plan in plans:
        price = fmt_money(plan.get("amount"), plan.get("currency") or acct.currency)
        mine = " — that's the plan you're on" if plan.get("id") == current else ""
        lines.append(f"{plan.get('name')} costs {price} {_per(plan)}{mine}.")
    more = ""
    if current not in {p.get("id") for p in plans}:
        more = " Ask me for a quote to see what switching would cost you today; nothing changes without your consent."
    _say(turn, " ".join(lines) + more)
    options = [str(p.get("id")) for p in plans if p.get("id") != current]
    if options and turn.soft_open is None:
        turn.soft_open = Open("offer_change", "", {"options": options})  # "the yearly one then" picks one
