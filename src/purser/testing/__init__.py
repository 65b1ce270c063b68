"""Fakes that ship with Purser, for tests of Purser and of code built on it.

Like pydantic-ai's `TestModel`, these are real components, not mocks:

- `purser.testing.llm_server`: a scripted LLM HTTP server on 127.0.0.1 that speaks the OpenAI
  Chat Completions, Anthropic Messages and Gemini generateContent wire formats (streamed too),
  so the real provider clients run against it unchanged.
- `purser.testing.memory`: in-memory implementations of the repository ports of `purser.ports`.

Nothing here is imported by `import purser`; import the module you need.
"""

from __future__ import annotations

__all__: list[str] = []
