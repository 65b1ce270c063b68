"""Streamed model requests: which models stream, and falling back when a stream breaks.

- `supports_streaming(model)`: whether a model (or every model of a fallback chain) implements
  streamed requests.
- `BufferedModel`: a configured model with `stream: false`; a streamed request is sent as an
  ordinary request and its response replayed as a completed stream.
- `StreamFallbackModel`: pydantic-ai's `FallbackModel` falls back when a stream fails to open or
  fails before its first event; after that a failure propagates. This subclass also falls back
  when the stream breaks mid-way (the server closes the connection, a read times out): the next
  models of the chain answer in a fresh stream and the response is theirs alone. The consumer
  sees the new stream's parts start again at index 0 (a `PartStartEvent` for an index it already
  saw replaces that part).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import ModelMessage, ModelResponse, ModelResponseStreamEvent
from pydantic_ai.models import CompletedStreamedResponse, Model, ModelRequestParameters, StreamedResponse
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RequestUsage

__all__ = ["BufferedModel", "StreamFallbackModel", "supports_streaming"]


def supports_streaming(model: Model) -> bool:
    """True when `model` implements streamed requests (for a chain: every model of it)."""
    if isinstance(model, FallbackModel):
        return all(supports_streaming(m) for m in model.models)
    if isinstance(model, BufferedModel):
        return True
    if isinstance(model, WrapperModel):
        return supports_streaming(model.wrapped)
    if isinstance(model, FunctionModel):  # implements request_stream, but only with a stream function
        return model.stream_function is not None
    return type(model).request_stream is not Model.request_stream


@asynccontextmanager
async def completed_stream(
    model: Model,
    messages: list[ModelMessage],
    model_settings: ModelSettings | None,
    model_request_parameters: ModelRequestParameters,
) -> AsyncGenerator[StreamedResponse]:
    """`model`'s whole (unstreamed) response to the request, delivered as a completed stream."""
    response = await model.request(messages, model_settings, model_request_parameters)
    _, params = model.prepare_request(model_settings, model_request_parameters)
    yield CompletedStreamedResponse(response, model_request_parameters=params, replay_events=True)


class BufferedModel(WrapperModel):
    """A model that never streams: a streamed request becomes one request, replayed as a stream."""

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        """Send the request unstreamed; yield its response as a completed stream."""
        async with completed_stream(self.wrapped, messages, model_settings, model_request_parameters) as stream:
            yield stream


class StreamFallbackModel(FallbackModel):
    """A `FallbackModel` whose streams also fall back when they break after their first event."""

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        """A relay over the chain's streams (opened lazily, as the consumer iterates)."""
        relay = _Relay(
            model_request_parameters=model_request_parameters,
            owner=self,
            messages=messages,
            model_settings=model_settings,
            run_context=run_context,
        )
        try:
            yield relay
        finally:
            await relay.aclose()

    def _open_from(
        self,
        start: int,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        params: ModelRequestParameters,
        run_context: RunContext[Any] | None,
    ) -> Any:
        """The stream of the chain from model `start` on (the plain fallback behaviour for that part)."""
        if start == 0:
            return super().request_stream(messages, model_settings, params, run_context)
        return FallbackModel(*self.models[start:]).request_stream(messages, model_settings, params, run_context)


@dataclass
class _Relay(StreamedResponse):
    """The events of one stream of the chain; when it breaks mid-way, those of the next models' stream."""

    owner: StreamFallbackModel = field(repr=False)
    messages: list[ModelMessage] = field(repr=False)
    model_settings: ModelSettings | None = field(repr=False)
    run_context: RunContext[Any] | None = field(repr=False)
    _inner: StreamedResponse | None = field(default=None, init=False, repr=False)
    _stack: AsyncExitStack | None = field(default=None, init=False, repr=False)
    breaks: int = field(default=0, init=False)
    """How many streams broke mid-way and were replaced by the next models'."""

    def __aiter__(self) -> AsyncIterator[ModelResponseStreamEvent]:
        """The inner streams' events, already complete (part ends, final-result events) as they emit them."""
        if self._event_iterator is None:
            self._event_iterator = self._relay()
        return self._event_iterator

    async def _relay(self) -> AsyncIterator[ModelResponseStreamEvent]:
        start = 0
        while True:
            self._stack = AsyncExitStack()
            opened = self.owner._open_from(
                start, self.messages, self.model_settings, self.model_request_parameters, self.run_context
            )
            inner: StreamedResponse = await self._stack.enter_async_context(opened)
            # FallbackModel records one failed attempt for every model it moved on from before this one.
            serving = start + len(inner.failed_attempts or [])
            self._inner = inner
            try:
                async for event in inner:
                    yield event
            except ModelAPIError:
                if inner.cancelled or serving + 1 >= len(self.owner.models):
                    raise
                start = serving + 1
                self.breaks += 1
                await self._close_inner()
                continue
            if not self._cancelled:
                self._finished = True
            return

    async def _close_inner(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    async def aclose(self) -> None:
        """Close the open inner stream (the consumer is done with the relay)."""
        iterator = self._event_iterator
        if iterator is not None and hasattr(iterator, "aclose"):
            await iterator.aclose()
        await self._close_inner()

    async def _get_event_iterator(self) -> AsyncIterator[ModelResponseStreamEvent]:  # pragma: no cover - unused
        async for event in self:
            yield event

    async def close_stream(self) -> None:
        """Cancel the inner stream."""
        if self._inner is not None:
            await self._inner.cancel()

    def get_stream_cancel_errors(self) -> tuple[type[BaseException], ...]:
        """The transport errors of the inner stream's cancellation, too."""
        errors = super().get_stream_cancel_errors()
        return errors if self._inner is None else (*errors, *self._inner.get_stream_cancel_errors())

    def get(self) -> ModelResponse:
        """The current inner stream's response (a broken stream's partial response is dropped)."""
        if self._inner is None:
            return ModelResponse(parts=[], model_name=self.model_name, state="incomplete")
        return self._inner.get()

    @property
    def usage(self) -> RequestUsage:
        """The current inner stream's usage."""
        return RequestUsage() if self._inner is None else self._inner.usage

    @property
    def model_name(self) -> str:
        """The model answering now."""
        return self._inner.model_name if self._inner is not None else self.owner.model_name

    @property
    def provider_name(self) -> str | None:
        """The provider answering now."""
        return None if self._inner is None else self._inner.provider_name

    @property
    def provider_url(self) -> str | None:
        """The endpoint answering now."""
        return None if self._inner is None else self._inner.provider_url

    @property
    def timestamp(self) -> datetime:
        """When the answering stream started."""
        return datetime.now(UTC) if self._inner is None else self._inner.timestamp
