"""Slot grammars, one import point: amounts, dates, seats, months, plans, references, yes/no.

The grammars live by concern in `numbers` (number words, amounts), `dates` (days, months,
pause lengths), `seats` (seat counts), `plans` (plan mentions in plan context) and
`references` (several invoices or charges in one request); `billing` and `address` read
billing details. Every parser is a pure function of the text (normalized by `normalize`,
except where the docstring says the raw text is needed for identifiers) and, for dates, of
`now`: the processor's clock from the `lookup_account` result, never the machine's. Nothing
here decides what to do; `dialogue` does.
"""

from __future__ import annotations

import re
from typing import Literal

from purser.models.offline.dates import DateSpan, parse_dates, parse_months, parse_months_until
from purser.models.offline.numbers import AmountSlot, numbers_from_words, parse_amounts
from purser.models.offline.plans import match_plan, mentions_plan, parse_interval, plan_base
from purser.models.offline.seats import SeatSlot, parse_seats, seat_target

__all__ = [
    "AmountSlot",
    "DateSpan",
    "SeatSlot",
    "match_plan",
    "mentions_plan",
    "numbers_from_words",
    "parse_amounts",
    "parse_dates",
    "parse_interval",
    "parse_months",
    "parse_months_until",
    "parse_seats",
    "plan_base",
    "seat_target",
    "yes_no",
]

_YES = re.compile(
    r"^(?:yes|yeah|yep|yah|ya|sure|okay|alright|all right|of course|definitely|absolutely|please do|"
    r"do it|go ahead|go for it|sounds good|that works|correct|right|confirm|confirmed|fine|perfect|great|"
    r"yes please|please|i agree|agreed|lets do it|let us do it|that would be great|ja|si|oui)\b"
)
_NO = re.compile(
    r"^(?:no|nope|nah|not really|no thanks|no thank you|do not|dont|never mind|nevermind|cancel that|"
    r"i do not want|not now|not interested|negative|i would rather not|rather not|nein|non|not at the moment|"
    r"not for now|not today|not yet|maybe later|later maybe|perhaps later|i will pass|i will skip|i pass|no need|"
    r"(?:thanks|thank you),? but no|(?:thanks|thank you),? but not now|i am good thanks|i am fine thanks)\b"
)


def yes_no(text: str) -> Literal["yes", "no"] | None:
    """ "yes"/"no" when the normalized text starts with an acceptance or a refusal."""
    t = text.strip(" .,!")
    if _NO.match(t):
        return "no"
    if _YES.match(t):
        return "yes"
    return None
