"""`OfflineModel`: the deterministic pydantic-ai `Model` behind `PURSER_MODEL=offline`."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, UserPromptPart
from pydantic_ai.models import Model, ModelRequestParameters, StreamedResponse
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RequestUsage

from purser.models.offline.dialogue import Call, Reply, decide
from purser.models.offline.history import parse_history
from purser.models.offline.languages import fold, in_language, language_of
from purser.models.streaming import completed_stream

__all__ = ["FALLBACK_TEXT", "OfflineModel"]

_log = logging.getLogger(__name__)

FALLBACK_TEXT = "Sorry, I couldn't work that out. Could you rephrase it, or ask for a human and a teammate will help?"


_WARM_MESSAGE = "Hi, why was I charged twice this month? Please refund the extra charge."
"""What `OfflineModel.warm` reads: a billing question that runs the normalizer, the classifier and the
amount and date readers."""


@dataclass(init=False)
class OfflineModel(Model):
    """A rule-and-classifier model that reads billing requests and drives Purser's tools.

    Deterministic and stateless: each `request` derives everything from the message history
    (see `purser.models.offline`), so any process can resume any conversation. It reports zero
    tokens and zero cost.
    """

    _model_name: str = field(default="offline", repr=False)
    _system: str = field(default="purser", repr=False)

    def __init__(self, *, model_name: str = "offline", settings: ModelSettings | None = None) -> None:
        """Create the model; the intent classifier is trained lazily on first use (once per process)."""
        self._model_name = model_name
        self._system = "purser"
        super().__init__(settings=settings)

    @property
    def model_name(self) -> str:
        """The model name ("offline")."""
        return self._model_name

    @property
    def system(self) -> str:
        """The provider name."""
        return self._system

    def warm(self) -> None:
        """Load the intent classifier and answer one throw-away message, so that the tables, weights
        and modules a first reply needs are in memory before any customer writes (stateless: nothing
        of it is kept but the process-wide memos)."""
        self.respond([ModelRequest(parts=[UserPromptPart(content=_WARM_MESSAGE)])], frozenset())

    def respond(self, messages: list[ModelMessage], tool_names: frozenset[str]) -> ModelResponse:
        """The next response for a message history, given the names of the callable tools."""
        events = parse_history(messages)
        try:
            decision: Call | Reply = decide(events, tool_names)
        except Exception:  # a bug here must not break the customer's conversation
            _log.exception("offline model failed to decide; answering with a safe fallback")
            decision = Reply(FALLBACK_TEXT)
        calls = sum(1 for e in events if e.kind == "tool") + 1
        if isinstance(decision, Call):
            part: TextPart | ToolCallPart = ToolCallPart(
                tool_name=decision.tool, args=dict(decision.args), tool_call_id=f"offline-{calls}"
            )
        else:
            part = TextPart(content=_in_customer_language(events, decision.text))
        return ModelResponse(parts=[part], model_name=self._model_name, usage=RequestUsage(), provider_name="purser")

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        """Decide the next step: one tool call, or the text of the reply."""
        _, params = self.prepare_request(model_settings, model_request_parameters)
        names = frozenset(tool.name for tool in params.function_tools)
        return self.respond(messages, names)

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        """The same response as `request`, delivered as a completed stream."""
        async with completed_stream(self, messages, model_settings, model_request_parameters) as stream:
            yield stream


def _in_customer_language(events: list[Any], text: str) -> str:
    """The reply in the language of the customer's last message (the model's own sentences; see languages)."""
    said = next((e.text for e in reversed(events) if e.kind == "customer" and e.text), "")
    if not said:
        return text
    return in_language(text, _language_of(said))


@lru_cache(maxsize=1024)
def _language_of(said: str) -> str:
    # bounded memo: every reply of a turn (and each turn's replays) reads the same customer message
    return language_of(fold(said))
