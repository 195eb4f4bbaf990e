"""Files in the dashboard: a voice note uploaded in the simulator is transcribed and answered,
and the lead page plays it with its transcript underneath.

The dashboard flow transcribes through the OpenAI-compatible path, against a fake endpoint that
answers a fixed transcript: what is under test here is the upload, the job, the prompt, the
reply and the player. Local Whisper on a real spoken note is tested at the service level
(tests/pipeline/test_media.py)."""

from __future__ import annotations

import io
import uuid
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import create_database, drop_database, make_settings
from tests.fakes.transcription import FakeTranscription
from tests.web.conftest import FAST, SEEDED_TEMPLATE, Dashboard, soup
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.db.queries.tenant import by_slug
from vellarys.db.uow import unit_of_work
from vellarys.services.demo import DEMO_SLUG

SAID = "Quero alugar um apartamento de dois quartos em Pinheiros."


def _voice_note() -> bytes:
    """Half a second of a 16 kHz mono WAV (the fake endpoint does not listen to it)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as note:
        note.setnchannels(1)
        note.setsampwidth(2)
        note.setframerate(16_000)
        note.writeframes(b"\x00\x01" * 8_000)
    return out.getvalue()


@pytest.fixture
def transcription() -> Iterator[FakeTranscription]:
    with FakeTranscription(text=SAID, api_key="stt-key") as fake:
        yield fake


@pytest.fixture
async def voice_dashboard(
    pg_server: str, seeded_template: str, tmp_path: Path, transcription: FakeTranscription
) -> AsyncIterator[Dashboard]:
    """The demo agency, transcribing through the fake OpenAI-compatible endpoint."""
    name = f"vellarys_w_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server, name, template=SEEDED_TEMPLATE)
    settings = make_settings(
        url,
        tmp_path,
        **FAST,
        transcription_base_url=transcription.base_url,
        transcription_api_key="stt-key",
    )
    container = build(settings)
    try:
        async with unit_of_work(container.sessions) as session:
            tenant = await by_slug(session, DEMO_SLUG)
            assert tenant is not None
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Dashboard(container, tenant.id, http)
    finally:
        await container.aclose()
        drop_database(pg_server, name)


async def test_a_voice_note_uploaded_in_the_simulator_is_understood_and_played_back(
    voice_dashboard: Dashboard, transcription: FakeTranscription
) -> None:
    dashboard = voice_dashboard
    await dashboard.login()
    note = _voice_note()
    files = {"file": ("nota.wav", note, "audio/wav")}
    response = await dashboard.post("/simulator/upload", {}, page="/simulator", files=files)
    assert response.status_code in (200, 303)
    await dashboard.drain(queues=("pipeline", "outbound"))  # the listings' indexing can wait

    # The endpoint heard the uploaded bytes, with the agency's neighbourhoods in the prompt.
    (call,) = transcription.calls
    assert call.file == note and call.headers["authorization"] == "Bearer stt-key"
    assert "Pinheiros" in call.fields["prompt"]
    chat = soup(await dashboard.http.get("/simulator"))
    transcript = chat.select_one("#sim-messages .transcript")
    assert transcript is not None and "Pinheiros" in transcript.text
    replies = [m.text for m in chat.select("#sim-messages .msg.assistant")]
    assert any("Entendi:" in r and "Pinheiros" in r for r in replies), replies
    lead_page = soup(await dashboard.http.get(chat.select_one("#sim-lead-link")["href"]))
    player = lead_page.select_one("#conversation audio.voice-note")
    assert player is not None
    assert "Pinheiros" in lead_page.select_one("#conversation .transcript").text
    played = await dashboard.http.get(player["src"])
    assert played.status_code == 200 and played.content == note
    assert played.headers["content-type"] == "audio/wav"
    # What the lead said counts: the profile has the neighbourhood and the bedrooms.
    profile = await dashboard.scalar(
        "SELECT custom_data FROM leads WHERE tenant_id = :t AND phone LIKE '+55%'",
        t=dashboard.tenant_id,
    )
    assert profile["neighborhoods"] == ["Pinheiros"] and profile["bedrooms"] == 2


async def test_a_file_of_a_type_no_lead_sends_is_refused_by_the_simulator(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    files = {"file": ("page.html", b"<html></html>", "text/html")}
    response = await dashboard.post("/simulator/upload", {}, page="/simulator", files=files)
    assert response.status_code == 400
    assert await dashboard.scalar("SELECT count(*) FROM messages") == 0
