"""OpenAICompatibleChat against FakeOpenAI, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.openai import Answer, FakeOpenAI
from vellarys.adapters.llm import openai_compatible
from vellarys.adapters.llm.openai_compatible import OpenAICompatibleChat
from vellarys.domain.llm import ChatModel, ChatResult, ToolCall
from vellarys.domain.prompt import TOOLS
from vellarys.errors import LLMError

MESSAGES = [
    {"role": "system", "content": "Você é a Bia."},
    {"role": "user", "content": "Oi, procuro apê no Batel até 700 mil"},
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test") as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def chat(fake: FakeOpenAI, http: httpx.AsyncClient, **options: Any) -> OpenAICompatibleChat:
    settings: dict[str, Any] = {
        "base_url": fake.base_url + "/",
        "api_key": "sk-test",
        "model": "gpt-4o-mini",
        "http": http,
        "retry_delay_seconds": 0.01,
    }
    settings.update(options)
    return OpenAICompatibleChat(**settings)


async def test_text_answer(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([FakeOpenAI.text("Oi! Sou a Bia 😊")])
    model: ChatModel = chat(fake, http)
    result = await model.complete(MESSAGES)
    assert result == ChatResult(
        content="Oi! Sou a Bia 😊",
        tool_calls=(),
        prompt_tokens=100,
        completion_tokens=20,
        model="gpt-4o-mini",
    )
    (body,) = fake.requests
    assert fake.calls[0].path == "/v1/chat/completions"
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == MESSAGES
    assert body["temperature"] == 0.3
    assert body["max_tokens"] == 800
    assert "tools" not in body and "tool_choice" not in body


async def test_default_answer_when_script_is_empty(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    result = await chat(fake, http).complete(MESSAGES)
    assert result.content == "Olá! Como posso ajudar?"


async def test_tool_calls_are_parsed_and_tools_sent(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    fake.script(
        [
            FakeOpenAI.tool_calls(
                ("search_properties", {"city": "Curitiba", "budget_max": 700000}),
                ("update_lead_profile", {"neighborhoods": ["Batel"]}),
            )
        ]
    )
    result = await chat(fake, http).complete(MESSAGES, tools=TOOLS)
    assert result.content is None
    assert result.tool_calls == (
        ToolCall("call_1", "search_properties", {"city": "Curitiba", "budget_max": 700000}),
        ToolCall("call_2", "update_lead_profile", {"neighborhoods": ["Batel"]}),
    )
    body = fake.requests[0]
    assert body["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in body["tools"]] == [t["function"]["name"] for t in TOOLS]


async def test_bare_function_schemas_are_wrapped(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    schema = {"name": "ping", "parameters": {"type": "object", "properties": {}}}
    await chat(fake, http).complete(MESSAGES, tools=[schema])
    assert fake.requests[0]["tools"] == [{"type": "function", "function": schema}]


async def test_tool_results_go_back_with_their_ids(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    fake.script([FakeOpenAI.tool_call("lookup_property", {"code": "AP1234"})])
    model = chat(fake, http)
    first = await model.complete(MESSAGES, tools=TOOLS)
    (call,) = first.tool_calls
    follow_up: list[dict[str, Any]] = [
        *MESSAGES,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": '{"code": "AP1234"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": '{"code": "AP1234"}'},
    ]
    await model.complete(follow_up, tools=TOOLS)
    assert fake.requests[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": '{"code": "AP1234"}',
    }


async def test_empty_arguments_are_an_empty_dict(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([FakeOpenAI.tool_call("hand_off", "")])
    result = await chat(fake, http).complete(MESSAGES, tools=TOOLS)
    assert result.tool_calls[0].arguments == {}


@pytest.mark.parametrize("arguments", ['{"city": "Curitiba"', "[1, 2]", "null"])
async def test_invalid_tool_arguments(
    fake: FakeOpenAI, http: httpx.AsyncClient, arguments: str
) -> None:
    fake.script([FakeOpenAI.tool_call("search_properties", arguments)])
    with pytest.raises(LLMError, match="invalid tool arguments"):
        await chat(fake, http).complete(MESSAGES, tools=TOOLS)


async def test_429_then_success(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([429, FakeOpenAI.text("Tudo certo!")])
    result = await chat(fake, http, max_retries=1).complete(MESSAGES)
    assert result.content == "Tudo certo!"
    assert len(fake.requests) == 2


async def test_retry_after_is_honoured(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([FakeOpenAI.error(429, retry_after=0.3), FakeOpenAI.text("ok")])
    started = time.monotonic()
    await chat(fake, http, retry_delay_seconds=0).complete(MESSAGES)
    assert time.monotonic() - started >= 0.3


async def test_retry_after_is_capped(
    fake: FakeOpenAI, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert openai_compatible.MAX_RETRY_AFTER_SECONDS == 2.0
    monkeypatch.setattr(openai_compatible, "MAX_RETRY_AFTER_SECONDS", 0.1)
    fake.script([FakeOpenAI.error(503, retry_after=60), FakeOpenAI.text("ok")])
    started = time.monotonic()
    assert (await chat(fake, http).complete(MESSAGES)).content == "ok"
    assert time.monotonic() - started < 1


async def test_500_twice_is_a_retryable_error(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([500, 500, FakeOpenAI.text("tarde demais")])
    with pytest.raises(LLMError) as caught:
        await chat(fake, http, max_retries=1).complete(MESSAGES)
    assert caught.value.retryable
    assert "500" in caught.value.message
    assert len(fake.requests) == 2


async def test_no_retries(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([503])
    with pytest.raises(LLMError):
        await chat(fake, http, max_retries=0).complete(MESSAGES)
    assert len(fake.requests) == 1


async def test_timeout_is_a_retryable_error(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([FakeOpenAI.delay(5, then=FakeOpenAI.text("tarde"))])
    started = time.monotonic()
    with pytest.raises(LLMError, match="timed out") as caught:
        await chat(fake, http, timeout_seconds=0.2).complete(MESSAGES)
    assert caught.value.retryable
    assert time.monotonic() - started < 2
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_unreachable_is_a_retryable_error(http: httpx.AsyncClient) -> None:
    with FakeOpenAI() as gone:
        url = gone.base_url
    model = OpenAICompatibleChat(base_url=url, api_key=None, model="m", http=http)
    with pytest.raises(LLMError, match="unreachable") as caught:
        await model.complete(MESSAGES)
    assert caught.value.retryable
    assert url not in caught.value.message


async def test_garbage_is_an_invalid_response(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    fake.script([FakeOpenAI.garbage()])
    with pytest.raises(LLMError, match="invalid response"):
        await chat(fake, http).complete(MESSAGES)


@pytest.mark.parametrize("body", [{"id": "x"}, {"choices": []}, {"choices": [{"index": 0}]}, []])
async def test_json_without_choices_is_an_invalid_response(
    fake: FakeOpenAI, http: httpx.AsyncClient, body: Any
) -> None:
    fake.script([Answer(body=body)])
    with pytest.raises(LLMError, match="invalid response"):
        await chat(fake, http).complete(MESSAGES)


async def test_other_4xx_is_final_with_the_provider_message(
    fake: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    fake.script([FakeOpenAI.error(400, "This model's maximum context length is 128000 tokens.")])
    with pytest.raises(LLMError, match="maximum context length") as caught:
        await chat(fake, http).complete(MESSAGES)
    assert not caught.value.retryable
    assert caught.value.status_code == 502
    assert len(fake.requests) == 1


async def test_bearer_authorization(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    await chat(fake, http).complete(MESSAGES)
    assert fake.calls[0].headers["authorization"] == "Bearer sk-test"
    assert "api-key" not in fake.calls[0].headers


async def test_wrong_key_is_final(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    with pytest.raises(LLMError, match="Incorrect API key") as caught:
        await chat(fake, http, api_key="sk-wrong").complete(MESSAGES)
    assert not caught.value.retryable


async def test_no_key_sends_no_authorization(http: httpx.AsyncClient) -> None:
    with FakeOpenAI() as local:  # Ollama, llama.cpp
        model = OpenAICompatibleChat(base_url=local.url, api_key=None, model="llama3", http=http)
        result = await model.complete(MESSAGES)
        assert local.calls[0].path == "/chat/completions"
        assert "authorization" not in local.calls[0].headers
    assert result.model == "llama3"


async def test_azure_api_key_header_and_query(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    base = fake.url + "/openai/deployments/gpt-4o?api-version=2024-06-01"
    model = chat(fake, http, base_url=base, api_key_header="api-key")
    await model.complete(MESSAGES)
    call = fake.calls[0]
    assert call.path == "/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01"
    assert call.headers["api-key"] == "sk-test"
    assert "authorization" not in call.headers


async def test_temperature_can_be_left_out(fake: FakeOpenAI, http: httpx.AsyncClient) -> None:
    await chat(fake, http, temperature=None).complete(MESSAGES)
    assert "temperature" not in fake.requests[0]


def test_stop_leaves_no_thread_or_port() -> None:
    import socket
    import threading

    before = threading.active_count()
    fake = FakeOpenAI()
    port = int(fake.url.rsplit(":", 1)[1])
    fake.stop()
    fake.stop()
    assert threading.active_count() == before
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # free again
