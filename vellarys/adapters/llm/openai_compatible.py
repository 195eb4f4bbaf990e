"""Any OpenAI-compatible chat-completions endpoint: OpenAI, Azure, Groq, OpenRouter, Ollama, vLLM.

Every failure leaves as an ``LLMError``; nothing from httpx gets past this module. 429 and 5xx
are retried here (a short wait, ``max_retries`` times); a timeout is not, since waiting twice
as long is worse than falling back to the offline brain.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from vellarys.domain.llm import ChatResult, ToolCall
from vellarys.errors import LLMError

MAX_RETRY_AFTER_SECONDS = 2.0  # a provider asking for longer is answered by the offline brain


class _Retry(Exception):
    """A failure worth one more attempt after ``delay`` seconds."""

    def __init__(self, error: LLMError, delay: float) -> None:
        super().__init__(error.message)
        self.error = error
        self.delay = delay


class OpenAICompatibleChat:
    """A ``ChatModel`` speaking ``POST {base_url}/chat/completions``.

    ``base_url`` is the API root ("https://api.openai.com/v1", "http://localhost:11434/v1"),
    or for Azure the deployment URL, query included ("https://x.openai.azure.com/openai/
    deployments/gpt-4o?api-version=2024-06-01") with ``api_key_header="api-key"``.
    ``temperature=None`` leaves it out, for models that refuse it.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        http: httpx.AsyncClient,
        timeout_seconds: float = 20.0,
        max_retries: int = 1,
        retry_delay_seconds: float = 0.5,
        api_key_header: str = "Authorization",
        temperature: float | None = 0.3,
        max_tokens: int | None = 800,
    ) -> None:
        self.model = model
        self._url = _completions_url(base_url)
        self._headers = _auth_headers(api_key, api_key_header)
        self._http = http
        self._timeout = timeout_seconds
        self._max_retries = max(0, max_retries)
        self._retry_delay = retry_delay_seconds
        self._temperature = temperature
        self._max_tokens = max_tokens

    async def complete(
        self, messages: Sequence[Mapping[str, Any]], *, tools: Sequence[Mapping[str, Any]] = ()
    ) -> ChatResult:
        """One chat completion; raise ``LLMError`` when it fails or makes no sense."""
        payload = self._payload(messages, tools)
        attempt = 0
        while True:
            try:
                return await self._attempt(payload)
            except _Retry as retry:
                if attempt >= self._max_retries:
                    raise retry.error from None
                attempt += 1
                await asyncio.sleep(retry.delay)

    def _payload(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in messages]}
        if tools:
            payload["tools"] = [_function_tool(t) for t in tools]
            payload["tool_choice"] = "auto"
        if self._temperature is not None:
            payload["temperature"] = self._temperature
        if self._max_tokens:
            payload["max_tokens"] = self._max_tokens  # a WhatsApp reply is short; cap the cost
        return payload

    async def _attempt(self, payload: Mapping[str, Any]) -> ChatResult:
        response = await self._post(payload)
        status = response.status_code
        if status == 429 or status == 408 or status >= 500:
            error = _error(f"the model answered {status}: {_provider_message(response)}")
            raise _Retry(error, self._delay(response))
        if not response.is_success:
            message = f"the model refused the request ({status}): {_provider_message(response)}"
            raise _error(message, retryable=False)
        try:
            body = response.json()
        except ValueError:
            raise _error("invalid response") from None
        return _parse(body, self.model)

    async def _post(self, payload: Mapping[str, Any]) -> httpx.Response:
        # The URL stays out of messages: some gateways carry secrets in it.
        try:
            async with asyncio.timeout(self._timeout):
                return await self._http.post(
                    self._url, json=payload, headers=self._headers, timeout=self._timeout
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise _error(f"the model timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _error(f"the model is unreachable ({type(exc).__name__}: {exc})") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _error(f"the model request failed ({type(exc).__name__})") from None

    def _delay(self, response: httpx.Response) -> float:
        try:
            asked = float(response.headers.get("retry-after", ""))
        except ValueError:
            return self._retry_delay  # absent, or an HTTP date
        return min(max(asked, 0.0), MAX_RETRY_AFTER_SECONDS)


def _parse(body: Any, default_model: str) -> ChatResult:
    try:
        message = body["choices"][0]["message"]
        if not isinstance(message, Mapping):
            raise TypeError("message")
    except (KeyError, IndexError, TypeError):
        raise _error("invalid response") from None
    usage = body.get("usage") if isinstance(body.get("usage"), Mapping) else {}
    return ChatResult(
        content=_content(message.get("content")),
        tool_calls=tuple(_tool_call(c, i) for i, c in enumerate(message.get("tool_calls") or ())),
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        model=str(body.get("model") or default_model),
    )


def _content(content: Any) -> str | None:
    if isinstance(content, list):  # some providers answer with content parts
        content = "".join(str(p.get("text") or "") for p in content if isinstance(p, Mapping))
    if not isinstance(content, str) or not content.strip():
        return None
    return content


def _tool_call(call: Any, index: int) -> ToolCall:
    try:
        function = call["function"]
        name = function["name"]
        raw = function.get("arguments")
    except (KeyError, TypeError, AttributeError):
        raise _error("invalid response") from None
    if not isinstance(name, str) or not name:
        raise _error("invalid response")
    call_id = call.get("id") or f"call_{index}"  # some local servers leave the id out
    return ToolCall(id=str(call_id), name=name, arguments=_arguments(raw))


def _arguments(raw: Any) -> dict[str, Any]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _error("invalid tool arguments") from None
    if not isinstance(raw, dict):
        raise _error("invalid tool arguments")
    return raw


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _provider_message(response: httpx.Response) -> str:
    """The provider's own error text: OpenAI's ``error.message``, Ollama's ``error``, or raw."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping) and error.get("message"):
        return str(error["message"])[:300]
    if isinstance(error, str) and error:
        return error[:300]
    if isinstance(body, Mapping) and body.get("message"):
        return str(body["message"])[:300]
    return json.dumps(body)[:200]


def _function_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """Tools go out in the OpenAI shape; a bare function schema gets wrapped."""
    if "type" in tool:
        return dict(tool)
    return {"type": "function", "function": dict(tool)}


def _completions_url(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    path = parts.path.rstrip("/") + "/chat/completions"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _auth_headers(api_key: str | None, header: str) -> dict[str, str]:
    if not api_key:
        return {}
    if header.lower() == "authorization":
        return {"Authorization": f"Bearer {api_key}"}
    return {header: api_key}


def _error(message: str, *, retryable: bool = True) -> LLMError:
    error = LLMError(message)
    error.retryable = retryable
    return error
