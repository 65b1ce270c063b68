"""Streaming a turn's model requests to live listeners.

When someone listens for the conversation's transient events (the widget's SSE stream) and the
turn's model can stream, every model request of the turn is streamed (pydantic-ai's
`ModelRequestNode.stream`) and the text it grows is published as `MessageDelta`s. Nothing else
changes: tool calls still run through the gateway in the next node, the safety checks run before
each request as before, usage and cost come from the streamed responses, and the turn's returned
and persisted events are exactly those of an unstreamed turn (the deltas are neither).

A stream that breaks mid-way falls back inside the model chain (`models.streaming`); when no model
is left the run fails like an unstreamed one, and `without_interrupted` drops the partial response
the broken stream left in the history (it may hold a tool call that never got its result).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)

from purser.agent.events import MessageDelta
from purser.models.streaming import supports_streaming

if TYPE_CHECKING:
    from pydantic_ai import ModelRequestNode
    from pydantic_ai.models import Model
    from pydantic_ai.run import AgentRun

    from purser.agent.live import LiveEvent, LiveHub

__all__ = ["DeltaRelay", "without_interrupted"]


class DeltaRelay:
    """Streams the model requests of one turn and publishes their text as `MessageDelta`s."""

    def __init__(self, publish: Callable[[list[LiveEvent]], None]) -> None:
        self._publish = publish
        self._grown = False  # text was published since the last reset
        self.deltas = 0

    @classmethod
    def for_turn(cls, hub: LiveHub, conversation_id: str, model: Model) -> DeltaRelay | None:
        """A relay when someone listens for the conversation's deltas and `model` can stream; else None."""
        if not hub.listening(conversation_id) or not supports_streaming(model):
            return None
        return cls(lambda events: hub.publish(conversation_id, events, transient=True))

    async def stream(self, node: ModelRequestNode[Any, Any], run: AgentRun[Any, Any]) -> None:
        """Send `node`'s model request as a stream, publishing text as it grows.

        The run's next step (`async for node in run`) then continues with the streamed response.
        """
        texts: dict[int, str] = {}
        async with node.stream(run.ctx) as events:
            async for event in events:
                self._relay(event, texts)

    async def replay(self, response: ModelResponse) -> None:
        """Publish a whole response as a completed stream would deliver it (the offline loop's path)."""
        from pydantic_ai.models import CompletedStreamedResponse, ModelRequestParameters

        texts: dict[int, str] = {}
        stream = CompletedStreamedResponse(
            response, model_request_parameters=ModelRequestParameters(), replay_events=True
        )
        async for event in stream:
            self._relay(event, texts)

    def _relay(self, event: Any, texts: dict[int, str]) -> None:
        if isinstance(event, PartStartEvent):
            reset = event.index in texts or (not texts and self._grown)
            if reset:
                texts.clear()  # a fallback model's stream replaces the broken one's parts
            content = event.part.content if isinstance(event.part, TextPart) else None
            if content is not None:
                texts[event.index] = content
            if content or reset:
                self._send(content or "", reset=reset)
        elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
            texts[event.index] = texts.get(event.index, "") + event.delta.content_delta
            if event.delta.content_delta:
                self._send(event.delta.content_delta, reset=False)

    def _send(self, text: str, *, reset: bool) -> None:
        self._grown = bool(text) or (self._grown and not reset)
        self.deltas += 1
        self._publish([MessageDelta(text=text, reset=reset)])


def without_interrupted(messages: list[ModelMessage]) -> list[ModelMessage]:
    """`messages` without the partial responses of streams that broke off."""
    return [m for m in messages if not (isinstance(m, ModelResponse) and m.state == "interrupted")]
