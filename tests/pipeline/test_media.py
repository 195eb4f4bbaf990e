"""Files leads send: downloaded from the fake Graph API by a job, kept in PostgreSQL, read
(voice notes transcribed by the local Whisper model, pictures by local OCR) and answered."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import PHONE_NUMBER_ID, Stack, build_stack
from tests.pipeline.periodic import run_periodic
from vellarys.db.models import MediaFile, Message, Property
from vellarys.db.uow import unit_of_work
from vellarys.worker import runtime, tasks

LEAD = "5511977776666"


def meta_media(
    kind: str, media_id: str, *, mime: str, caption: str | None = None
) -> dict[str, Any]:
    """A Meta Cloud API webhook carrying one audio, image, video or document message."""
    body: dict[str, Any] = {"id": media_id, "mime_type": mime, "sha256": "x"}
    if kind == "audio":
        body["voice"] = True
    if caption:
        body["caption"] = caption
    message = {
        "from": LEAD,
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: body,
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130301000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Carla Dias"}, "wa_id": LEAD}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


@pytest.fixture
async def media_stack(
    fresh_database: Callable[[], str], tmp_path: Path, graph: FakeGraphAPI
) -> AsyncIterator[Stack]:
    built = await build_stack(fresh_database(), tmp_path, graph, media_max_bytes=2_000_000)
    async with unit_of_work(built.container.sessions) as session:
        session.add(Property(
            tenant_id=built.tenant_id, code="AP1102", title="Apartamento em Pinheiros",
            property_type="apartment", transaction="rent", price=4800, bedrooms=2, parking=1,
            neighborhood="Pinheiros", city="São Paulo", description="Perto do metrô.",
        ))  # fmt: skip
    yield built
    await built.client.aclose()
    await built.container.aclose()


async def _replies(stack: Stack) -> str:
    sent = await stack.messages(direction="outbound")
    return "\n".join(m.content for m in sent)


async def _inbound(stack: Stack) -> Message:
    (message,) = await stack.messages(direction="inbound")
    return message


async def _stored(stack: Stack) -> list[MediaFile]:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.execute(
            select(MediaFile).where(MediaFile.tenant_id == stack.tenant_id)
        )
        return list(found.scalars())


def _voice_note(text: str, tmp_path: Path) -> bytes:
    espeak = shutil.which("espeak-ng")
    assert espeak, "espeak-ng is needed (apt-get install -y espeak-ng; .ci/run installs it)"
    out = tmp_path / "voice.wav"
    subprocess.run([espeak, "-v", "pt-br", "-s", "140", "-w", str(out), text], check=True)
    return out.read_bytes()


async def test_voice_note_from_meta_is_downloaded_transcribed_and_qualifies_the_lead(
    media_stack: Stack, tmp_path: Path
) -> None:
    said = "Oi, eu procuro um apartamento de dois quartos em Pinheiros para alugar."
    media_stack.graph.add_media("9001", _voice_note(said, tmp_path), "audio/wav")
    response = await media_stack.post(meta_media("audio", "9001", mime="audio/ogg; codecs=opus"))
    assert response.status_code == 200
    await media_stack.drain(timeout=300)

    downloads = [r for r in media_stack.graph.requests if r.method == "GET"]
    assert len(downloads) == 2  # media id -> URL, then the bytes, both with the token
    assert all(r.headers["authorization"] == "Bearer test-token" for r in downloads)
    message = await _inbound(media_stack)
    transcript = message.media["transcript"].lower()
    assert "pinheiros" in transcript
    (stored,) = await _stored(media_stack)
    assert stored.content_type == "audio/wav" and stored.data and stored.text_kind == "transcript"
    lead = await media_stack.lead("+" + LEAD)
    assert lead is not None
    assert lead.custom_data["neighborhoods"] == ["Pinheiros"]
    assert lead.custom_data["bedrooms"] == 2
    replies = await _replies(media_stack)
    assert replies.startswith("Entendi: _")
    assert "não consegui ouvi" not in replies


def _screenshot() -> bytes:
    image = Image.new("RGB", (720, 420), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    draw.rectangle((0, 0, 720, 70), fill=(230, 80, 30))
    draw.text((20, 15), "PortalImoveis", fill="white", font=font)
    draw.text((20, 110), "Apartamento 2 quartos", fill="black", font=font)
    draw.text((20, 180), "Pinheiros, São Paulo", fill="black", font=font)
    draw.text((20, 250), "R$ 4.800/mês", fill="black", font=font)
    draw.text((20, 320), "Código do anúncio: AP1102", fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def test_portal_screenshot_is_read_and_answered_with_the_listing_card(
    media_stack: Stack,
) -> None:
    media_stack.graph.add_media("9002", _screenshot(), "image/png")
    await media_stack.post(meta_media("image", "9002", mime="image/png"))
    await media_stack.drain(timeout=300)

    message = await _inbound(media_stack)
    assert "AP1102" in message.media["ocr_text"]
    assert message.media["listing_code"] == "AP1102"
    replies = await _replies(media_stack)
    assert replies.startswith("Esse aqui é o *AP1102* ✔")
    assert "Código: AP1102" in replies  # the listing's card


@pytest.mark.parametrize(
    ("data", "content_type", "why"),
    [
        (b"x" * 2_100_000, "audio/ogg", "bytes"),
        (b"<html>login</html>", "text/html", "cannot be of type text/html"),
    ],
)
async def test_oversize_or_wrong_type_media_is_refused_and_the_lead_is_told(
    media_stack: Stack, data: bytes, content_type: str, why: str
) -> None:
    media_stack.graph.add_media("9003", data, content_type)
    await media_stack.post(meta_media("audio", "9003", mime="audio/ogg"))
    await media_stack.drain()

    message = await _inbound(media_stack)
    assert why in message.media["media_error"]
    assert await _stored(media_stack) == []
    assert "não consegui ouvi-lo" in await _replies(media_stack)


async def test_a_failed_download_is_retried_and_then_succeeds(media_stack: Stack) -> None:
    media_stack.graph.media_failures = 2
    media_stack.graph.add_media("9004", b"%PDF-1.4 brochure", "application/pdf")
    await media_stack.post(meta_media("document", "9004", mime="application/pdf"))
    await media_stack.drain()

    (stored,) = await _stored(media_stack)
    assert stored.data == b"%PDF-1.4 brochure" and stored.text is None  # not read to the AI
    assert "media_error" not in (await _inbound(media_stack)).media
    assert await media_stack.count_jobs("vellarys:fetch_media") == 1


async def test_a_download_that_keeps_failing_is_answered_honestly(media_stack: Stack) -> None:
    media_stack.graph.media_failures = 100
    await media_stack.post(meta_media("audio", "9005", mime="audio/ogg"))
    await media_stack.drain()

    assert "500" in (await _inbound(media_stack)).media["media_error"]
    assert await _stored(media_stack) == []
    assert "não consegui ouvi-lo" in await _replies(media_stack)


async def test_retention_job_deletes_expired_bytes_and_keeps_the_transcript(
    media_stack: Stack,
) -> None:
    media_stack.graph.add_media("9006", b"%PDF-1.4", "application/pdf")
    await media_stack.post(meta_media("document", "9006", mime="application/pdf"))
    await media_stack.drain()
    async with unit_of_work(media_stack.container.sessions) as session:
        (row,) = (await session.execute(select(MediaFile))).scalars()
        row.text, row.text_kind = "dois quartos em Pinheiros", "transcript"
        row.expires_at = media_stack.container.clock.now() - timedelta(minutes=1)

    assert await run_periodic(media_stack, "prune_media") == "succeeded"

    (row,) = await _stored(media_stack)
    assert row.data is None and row.pruned_at is not None
    assert row.text == "dois quartos em Pinheiros"
    runtime.install(media_stack.container)
    assert await tasks.prune_media(int(time.time())) == 0  # nothing left to prune


async def test_a_picture_that_is_not_one_is_refused_and_the_lead_is_told(
    media_stack: Stack,
) -> None:
    media_stack.graph.add_media("9007", b"MZ\x90\x00 not a picture", "application/x-msdownload")
    await media_stack.post(meta_media("image", "9007", mime="image/jpeg"))
    await media_stack.drain()

    assert "cannot be of type" in (await _inbound(media_stack)).media["media_error"]
    assert await _stored(media_stack) == []
    assert "Não consegui abrir o arquivo" in await _replies(media_stack)
