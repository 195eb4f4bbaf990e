"""Every webhook parser, fed arbitrary and mutated payloads, either reads a batch whose
messages keep the model's promises or refuses the body with ``BadRequest`` (a 400). Nothing
else escapes: no KeyError, TypeError, ValueError or OverflowError from a lead's provider."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vellarys.adapters.whatsapp import evolution, meta_cloud, zapi
from vellarys.adapters.whatsapp.payload import load
from vellarys.adapters.whatsapp.simulator import SimulatorProvider
from vellarys.domain.message import WebhookBatch
from vellarys.errors import BadRequest

PAYLOADS = Path(__file__).parent.parent / "payloads"

PARSERS: dict[str, Callable[[bytes], WebhookBatch]] = {
    "meta": meta_cloud.parse_webhook,
    "zapi": zapi.parse_webhook,
    "evolution": evolution.parse_webhook,
    "simulator": SimulatorProvider(identity="fuzz").parse_webhook,
}


def _recorded(provider: str) -> list[Any]:
    return [
        json.loads(path.read_text())
        for path in sorted((PAYLOADS / provider).glob("*.json"))
        if not path.name.startswith("malformed_")
    ]


RECORDED = {provider: _recorded(provider) for provider in PARSERS}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e400",
            "text",
            "5541999998888",
            "5541999998888@s.whatsapp.net",
            "@g.us",
            "9" * 40,
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _replaced(node: Any, path: tuple[Any, ...], value: Any, *, delete: bool) -> Any:
    if not path:
        return value
    copy: Any = dict(node) if isinstance(node, dict) else list(node)
    head, rest = path[0], path[1:]
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replaced(node[head], rest, value, delete=delete)
    return copy


@st.composite
def mutated(draw: st.DrawFn, provider: str) -> bytes:
    """A recorded payload of ``provider`` with a few nodes replaced by, or missing, anything."""
    payload = draw(st.sampled_from(RECORDED[provider]))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(payload)))
        delete = bool(path) and draw(st.booleans())
        payload = _replaced(payload, path, draw(json_values), delete=delete)
    return json.dumps(payload).encode()


def _check(provider: str, body: bytes) -> None:
    try:
        batch = PARSERS[provider](body)
    except BadRequest as exc:
        assert exc.status_code == 400 and exc.message
        return
    assert isinstance(batch, WebhookBatch)
    for message in batch.messages:
        assert message.phone.startswith("+") and message.phone[1:].isdigit(), message.phone
        assert 9 <= len(message.phone) <= 16
        assert isinstance(message.text, str) and isinstance(message.external_id, str)
        assert message.external_id
        assert message.timestamp.tzinfo is not None
    for status in batch.statuses:
        assert status.external_id and status.timestamp.tzinfo is not None
    for rejected in batch.rejected:
        assert rejected.reason


PROVIDERS = st.sampled_from(sorted(PARSERS))


@given(provider=PROVIDERS, body=st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(provider: str, body: bytes) -> None:
    _check(provider, body)


@given(provider=PROVIDERS, payload=json_values)
def test_any_json_is_read_or_refused(provider: str, payload: Any) -> None:
    _check(provider, json.dumps(payload).encode())


@given(data=st.data(), provider=PROVIDERS)
def test_mutated_recorded_payloads_are_read_or_refused(data: st.DataObject, provider: str) -> None:
    _check(provider, data.draw(mutated(provider)))


@given(depth=st.integers(min_value=1, max_value=5000), provider=PROVIDERS)
def test_deep_nesting_is_refused_not_crashed(depth: int, provider: str) -> None:
    _check(provider, ("[" * depth + "]" * depth).encode())
    _check(provider, ('{"a":' * depth + "1" + "}" * depth).encode())


@given(body=st.binary(max_size=200))
def test_payload_loader_only_refuses_with_bad_request(body: bytes) -> None:
    with contextlib.suppress(BadRequest):
        load(body, "fuzz")
