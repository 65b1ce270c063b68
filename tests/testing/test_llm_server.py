"""`purser.testing.llm_server`: the real provider clients (through pydantic-ai, as Purser uses them)
run against the scripted server in each wire format, plain and streamed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic_ai import Agent

from purser.config import ModelEntry
from purser.models.providers import build_model
from purser.testing.llm_server import (
    Flavor,
    LLMServer,
    Reply,
    anthropic_text,
    anthropic_tool_use,
    gemini_function_call,
    gemini_function_responses,
    gemini_text,
    openai_error,
    openai_text,
    openai_tool_call,
    openai_tool_messages,
    shaped,
)

MODELS = {"openai": "gpt-test", "anthropic": "claude-test", "google": "gemini-2.0-flash"}


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[LLMServer]:
    with LLMServer(request.param) as llm:
        yield llm


def _agent(llm: LLMServer) -> Agent[None, str]:
    entry = ModelEntry(
        name="fake", provider=llm.flavor, model=MODELS[llm.flavor], base_url=llm.base_url, api_key_env="FAKE_KEY"
    )
    agent: Agent[None, str] = Agent(build_model(entry, env={"FAKE_KEY": "test-key"}))

    @agent.tool_plain
    def lookup_account() -> dict[str, str]:
        """The customer's account."""
        return {"plan": "pro"}

    return agent


TOOL_THEN_TEXT = {
    "openai": (openai_tool_call("lookup_account", {}), openai_text("You are on Pro.")),
    "anthropic": (anthropic_tool_use("lookup_account", {}), anthropic_text("You are on Pro.")),
    "google": (gemini_function_call("lookup_account", {}), gemini_text("You are on Pro.")),
}


@pytest.mark.parametrize("server", ["openai", "anthropic", "google"], indirect=True)
async def test_a_tool_loop_in_each_wire_format(server: LLMServer) -> None:
    server.push(*TOOL_THEN_TEXT[server.flavor])
    result = await _agent(server).run("which plan am I on?")
    assert result.output == "You are on Pro."
    assert len(server.requests) == 2 and not any(server.streamed)
    assert result.usage.input_tokens == 200
    if server.flavor == "openai":
        assert server.requests[0]["model"] == "gpt-test"
        assert "pro" in openai_tool_messages(server.requests[1])[0]
        assert server.headers[0]["authorization"] == "Bearer test-key"
    elif server.flavor == "google":
        (returned,) = gemini_function_responses(server.requests[1])
        assert returned["name"] == "lookup_account"
        assert server.paths[0].endswith(":generateContent")


@pytest.mark.parametrize("server", ["openai", "anthropic", "google"], indirect=True)
async def test_streamed_replies_arrive_in_pieces(server: LLMServer) -> None:
    server.push(*TOOL_THEN_TEXT[server.flavor])
    deltas: list[str] = []
    async with _agent(server).run_stream("which plan am I on?") as stream:
        async for delta in stream.stream_text(delta=True, debounce_by=None):
            deltas.append(delta)
    assert "".join(deltas) == "You are on Pro." and len(deltas) > 1
    assert server.streamed[-1]


def test_a_broken_stream_is_an_error_for_the_client() -> None:
    with LLMServer("openai") as llm:
        llm.push(shaped(openai_text("a long answer that never completes"), break_after=3))
        url = f"{llm.base_url}/chat/completions"
        with httpx.stream("POST", url, json={"stream": True}) as response, pytest.raises(httpx.HTTPError):
            response.read()


@pytest.mark.parametrize("flavor", ["openai", "anthropic", "google"])
def test_an_exhausted_script_answers_500_and_records_the_request(flavor: Flavor) -> None:
    with LLMServer(flavor) as llm:
        response = httpx.post(f"{llm.base_url}/anything", json={"model": "m"})
        assert response.status_code == 500 and "script exhausted" in response.text
        assert llm.requests == [{"model": "m"}]


def test_scripted_errors_texts_and_a_default_answer() -> None:
    with LLMServer("openai", [openai_error(429, "slow down")], when_exhausted=openai_text("###STOP###")) as llm:
        llm.push_texts("first")
        url = f"{llm.base_url}/chat/completions"
        assert httpx.post(url, json={}).status_code == 429
        assert httpx.post(url, json={}).json()["choices"][0]["message"]["content"] == "first"
        assert httpx.post(url, json={}).json()["choices"][0]["message"]["content"] == "###STOP###"
        llm.push(Reply(503, {"error": {"message": "down"}}), lambda body: Reply(200, {"echo": body}))
        assert httpx.post(url, json={}).status_code == 503
        assert httpx.post(url, json={"x": 1}).json() == {"echo": {"x": 1}}


def test_it_listens_on_loopback_only_and_rejects_unknown_flavors() -> None:
    llm = LLMServer("anthropic")
    try:
        assert llm.server.server_address[0] == "127.0.0.1" and llm.base_url.startswith("http://127.0.0.1:")
    finally:
        llm.stop()
    with pytest.raises(ValueError, match="unknown flavor"):
        LLMServer("cohere")  # type: ignore[arg-type]
