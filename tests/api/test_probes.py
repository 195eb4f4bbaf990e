"""The attacker's and the unlucky operator's probes of issue 9, each a test that fails if the
defect comes back: poison webhooks, unbounded bodies, deep JSON."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack, count, meta_status, meta_text
from vellarys.db.models import Lead, Message, RejectedInbound
from vellarys.db.queue import HANDLE_INBOUND
from vellarys.db.uow import unit_of_work

UPLOAD_LIMIT = 64 * 1024


@pytest.fixture
async def probe_stack(fresh_database: Callable[[], str], tmp_path: Path) -> AsyncIterator[Stack]:
    with FakeGraphAPI(access_token="test-token") as graph:
        built = await build_stack(fresh_database(), tmp_path, graph, upload_max_bytes=UPLOAD_LIMIT)
        yield built
        await built.client.aclose()
        await built.container.aclose()


def with_second_message(payload: dict[str, Any], text: str, wamid: str) -> dict[str, Any]:
    """``payload`` carrying one more, valid, message from another lead in the same batch."""
    batch = copy.deepcopy(payload)
    value = batch["entry"][0]["changes"][0]["value"]
    good = meta_text(text, wamid=wamid, phone="5511977776666")
    good_value = good["entry"][0]["changes"][0]["value"]
    value["messages"].extend(good_value["messages"])
    value["contacts"].extend(good_value["contacts"])
    return batch


async def rejected(stack: Stack) -> list[RejectedInbound]:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.execute(
            select(RejectedInbound).where(RejectedInbound.tenant_id == stack.tenant_id)
        )
        return list(found.scalars())


async def inbound_texts(stack: Stack) -> dict[str, str]:
    return {m.external_id or "": m.content for m in await stack.messages(direction="inbound")}


# Poison messages ---------------------------------------------------------------------


async def test_a_nul_character_is_removed_and_the_message_and_its_batch_are_stored(
    probe_stack: Stack,
) -> None:
    poison = meta_text("Oi\x00, quero\ud800 alugar", wamid="wamid.NUL")
    response = await probe_stack.post(with_second_message(poison, "Olá", "wamid.OK1"))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 2
    texts = await inbound_texts(probe_stack)
    assert texts == {"wamid.NUL": "Oi, quero alugar", "wamid.OK1": "Olá"}
    (message,) = await probe_stack.messages(external_id="wamid.NUL")
    assert "\\u0000" not in json.dumps(message.raw_payload)


async def test_a_300_character_profile_name_is_cut_and_the_message_stored(
    probe_stack: Stack,
) -> None:
    response = await probe_stack.post(meta_text("Oi", wamid="wamid.NAME", name="Ana " * 75))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    lead = await probe_stack.lead("+5511988887777")
    assert lead is not None and lead.name is not None
    assert 0 < len(lead.name) <= 200 and lead.name.startswith("Ana Ana")


async def test_a_306_character_message_id_is_rejected_with_its_payload_and_the_batch_stored(
    probe_stack: Stack,
) -> None:
    poison = meta_text("Oi", wamid="wamid." + "X" * 300)
    payload = with_second_message(poison, "Quero comprar", "wamid.OK2")
    first = await probe_stack.post(payload)
    again = await probe_stack.post(payload)  # the provider's retry changes nothing
    assert [first.status_code, again.status_code] == [200, 200]
    assert first.json()["rejected"] == 1 and first.json()["stored"] == 1
    assert await inbound_texts(probe_stack) == {"wamid.OK2": "Quero comprar"}
    records = await rejected(probe_stack)
    assert records and "306" in records[0].reason
    assert records[0].raw_payload is not None
    assert "X" * 300 in json.dumps(records[0].raw_payload)
    assert await probe_stack.count_jobs(HANDLE_INBOUND) == 1


async def test_a_message_missing_a_field_is_rejected_and_the_rest_of_the_batch_stored(
    probe_stack: Stack,
) -> None:
    poison = meta_text("Oi", wamid="wamid.NOFROM")
    del poison["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    response = await probe_stack.post(with_second_message(poison, "Oi de novo", "wamid.OK3"))
    assert response.status_code == 200, response.text
    assert await inbound_texts(probe_stack) == {"wamid.OK3": "Oi de novo"}
    (record,) = await rejected(probe_stack)
    assert record.external_id == "wamid.NOFROM" and "from is missing" in record.reason


async def test_a_long_text_is_cut_at_the_cap_marked_truncated_and_kept_whole_in_the_raw_payload(
    probe_stack: Stack,
) -> None:
    text = "quero um apê em Pinheiros " * 1000  # 26,000 characters
    response = await probe_stack.post(meta_text(text, wamid="wamid.LONG"))
    assert response.status_code == 200
    (message,) = await probe_stack.messages(external_id="wamid.LONG")
    assert message.content == text[:4096]
    assert message.media["truncated"] is True and message.media["text_length"] == len(text)
    assert text in json.dumps(message.raw_payload, ensure_ascii=False)


async def test_a_5_mb_text_message_is_refused_whole_with_413_and_nothing_is_stored(
    probe_stack: Stack,
) -> None:
    response = await probe_stack.post(meta_text("a" * (5 * 1024 * 1024)))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PayloadTooLarge"
    assert await count(probe_stack, Message) == 0
    assert await count(probe_stack, Lead) == 0


# Body limits before any work -----------------------------------------------------------


class Body:
    """A request body streamed in 64 KB chunks, counting how many the server pulled."""

    def __init__(self, total: int, *, head: bytes = b"") -> None:
        self.total, self.head, self.pulled = total, head, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.head:
            yield self.head
        sent = len(self.head)
        while sent < self.total:
            self.pulled += 1
            sent += 65536
            yield b"a" * 65536


async def test_200_mb_to_an_unknown_webhook_key_is_cut_off_at_the_webhook_limit(
    probe_stack: Stack,
) -> None:
    body = Body(200 * 1024 * 1024)
    response = await probe_stack.client.post("/webhooks/meta/not-a-key", content=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PayloadTooLarge"
    assert body.pulled <= 1024 * 1024 // 65536 + 1  # stopped reading at 1 MB


async def test_a_declared_oversized_webhook_is_refused_before_reading_it(
    probe_stack: Stack,
) -> None:
    body = Body(2 * 1024 * 1024)
    headers = {"content-length": str(2 * 1024 * 1024)}
    response = await probe_stack.client.post(probe_stack.webhook, content=body, headers=headers)
    assert response.status_code == 413
    assert body.pulled == 0


async def test_an_anonymous_upload_is_cut_off_at_the_upload_limit_before_any_login_check(
    probe_stack: Stack,
) -> None:
    head = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
    )
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}
    # The dashboard refuses a form with no session before reading it; the API reads up to
    # the limit (its key is checked after the body) and no further.
    for path, status in (("/knowledge", 403), ("/api/v1/knowledge/upload", 413)):
        body = Body(600 * 1024 * 1024, head=head)
        response = await probe_stack.client.post(path, content=body, headers=headers)
        assert response.status_code == status, (path, response.text)
        assert body.pulled <= UPLOAD_LIMIT // 65536 + 1
    assert response.json()["error"]["code"] == "PayloadTooLarge"


@pytest.mark.parametrize("path", ["/api/v1/leads", "/webhooks/meta/not-a-key", "/login"])
async def test_a_100k_deep_json_body_is_a_400_with_the_error_shape(
    probe_stack: Stack, path: str
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    headers = {"content-type": "application/json"}
    response = await probe_stack.client.post(path, content=deep, headers=headers)
    assert response.status_code == 400
    assert "nested" in response.json()["error"]["message"]


async def test_a_deep_json_webhook_signed_correctly_is_still_a_400_not_a_500(
    probe_stack: Stack,
) -> None:
    payload = meta_text("Oi")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["context"] = "DEEP"
    deep = b'{"a":' * 2000 + b"1" + b"}" * 2000
    response = await probe_stack.post(json.dumps(payload).encode().replace(b'"DEEP"', deep))
    assert response.status_code == 400
    assert await count(probe_stack, Message) == 0


async def test_json_strings_full_of_brackets_are_not_mistaken_for_nesting(
    probe_stack: Stack,
) -> None:
    response = await probe_stack.post(meta_text("[[[[{{{{ " * 100 + '\\" ]]]'))
    assert response.status_code == 200
    assert response.json()["stored"] == 1


async def test_a_nul_in_a_json_body_or_a_query_string_is_a_400_before_any_work(
    probe_stack: Stack,
) -> None:
    body = json.dumps({"title": "Doc\u0000", "content": "texto"}).encode()
    posted = await probe_stack.client.post(
        "/api/v1/knowledge", content=body, headers={"content-type": "application/json"}
    )
    queried = await probe_stack.client.get("/api/v1/leads", params={"text": "a\x00b"})
    assert [posted.status_code, queried.status_code] == [400, 400]
    assert "NUL" in posted.json()["error"]["message"]


async def test_a_status_with_a_nul_or_an_overlong_id_is_acknowledged_not_a_503(
    probe_stack: Stack,
) -> None:
    for wamid in ("wamid.\x00x", "wamid." + "Y" * 400):
        status = meta_status(wamid, "failed")
        status["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = [
            {"code": 131026, "title": "Falhou\x00"}
        ]
        response = await probe_stack.post(status)
        assert response.status_code == 200, response.text
        assert response.json()["statuses"] == 0


async def test_an_unreadable_status_is_skipped_and_the_message_beside_it_stored(
    probe_stack: Stack,
) -> None:
    payload = meta_text("Oi", wamid="wamid.WITHSTATUS")
    payload["entry"][0]["changes"][0]["value"]["statuses"] = [{"status": "read"}]  # no id
    response = await probe_stack.post(payload)
    assert response.status_code == 200, response.text
    assert await inbound_texts(probe_stack) == {"wamid.WITHSTATUS": "Oi"}
