"""The offline model: Purser's embedded, deterministic default (`PURSER_MODEL=offline`).

`OfflineModel` is a pydantic-ai `Model`. It reads customers' billing requests and
drives the same tools, through the same gateway, as any LLM — there is no
special path: every write it proposes is policy-checked, quoted, confirmed by
the customer and audited by code it cannot bypass.

Design
------

Stateless. Each `request(messages, ...)` rebuilds everything from the message
history (`history.parse_history`): the customer's messages, its own tool calls
and their JSON results, its own texts, and the runtime's `[confirmation] {...}`
and `[approval] {...}` messages. Any process can resume any conversation.

Pipeline for a customer message:

- `normalize`: unicode, case, contractions, informal spellings, typo repair
  against a domain vocabulary (rapidfuzz, Levenshtein distance by length).
- `understand`: sentence and clause splitting, intent classification
  (`classifier`: TF-IDF word + char n-grams and a linear SVM, trained in a
  fraction of a second on the shipped `corpus.yaml` the first time it is
  needed, then cached for the process), escalation triggers
  (`purser.policy.escalation.detect_triggers` when available).
- `slots`: amounts per currency, absolute and relative dates against the
  processor's clock (`now` of `lookup_account`), seat counts (absolute and
  relative), months, intervals, fuzzy plan names, yes/no; `billing` finds
  emails, VAT ids, company names and addresses; `account` resolves charges
  and invoices (ids, numbers, dates, amounts, "the last one", duplicates).
- `dialogue.decide`: looks the account up when there is no lookup result
  since the last executed write, recovers what the previous reply left open
  (an offer to refund a duplicate, the cancellation save offer, a clarifying
  question), then runs the handlers (`handlers`, `flows`) request by request.
  One write awaits confirmation at a time; after the `[confirmation]` message
  it reports the outcome and continues with the rest of the same message.
- `outcomes`, `replies`: the customer-facing text — the gateway's `summary`,
  amounts with the currency's symbol and decimals (`Money.format`), "please
  confirm", "a teammate is reviewing this", knowledge answers.

It never guesses a write: when the words leave several candidates (or none)
it lists them and asks; prompt injection cannot make it propose more than the
words of a legitimate request support, and the gateway enforces the policy
regardless.
"""

from purser.models.offline.model import OfflineModel

__all__ = ["OfflineModel"]
