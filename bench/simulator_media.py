"""The issue's "done means": a voice note and a portal screenshot uploaded in the dashboard
simulator of the demo agency, understood and answered offline (local Whisper base, RapidOCR).

    .venv/bin/python -m bench.simulator_media

A fresh data folder (embedded PostgreSQL, the Whisper model rebuilt from its packages), the
demo agency seeded, the dashboard driven over HTTP in this process and the worker run here.
Prints both conversations with the transcription / OCR time of each message (measured by the
worker, stored as ``media.read_seconds``) and the time from upload to the reply.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import text

from bench.media import screenshot
from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build, resolve_database_url
from vellarys.config import Settings
from vellarys.db.migrate import upgrade
from vellarys.db.uow import unit_of_work
from vellarys.services.demo import DEMO_LOGIN, seed_demo
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue

SAID = "Oi. Quero alugar um apartamento de dois quartos em Pinheiros."
QUEUES = ["pipeline", "outbound"]


def voice_note(folder: Path) -> bytes:
    """Slow, clear synthetic Brazilian Portuguese (espeak-ng's pt-br voice)."""
    out = folder / "nota.wav"
    espeak = shutil.which("espeak-ng") or "espeak-ng"
    command = [espeak, "-v", "pt-br", "-s", "120", "-g", "4", "-w", str(out), SAID]
    subprocess.run(command, check=True)
    return out.read_bytes()


async def _csrf(http: httpx.AsyncClient, page: str) -> str:
    field = BeautifulSoup((await http.get(page)).text, "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert field is not None
    return str(field["value"])


async def _drain(container: Container) -> None:
    runtime.install(container)
    queue = make_queue(container.database_url)
    async with queue.open_async():
        while True:
            await queue.run_worker_async(
                wait=False, install_signal_handlers=False, concurrency=1, queues=QUEUES
            )
            async with unit_of_work(container.sessions) as session:
                due = await session.scalar(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = ANY(:q)"
                        " AND status IN ('todo', 'doing')"
                    ),
                    {"q": QUEUES},
                )
            if not due:
                return
            await asyncio.sleep(0.05)


async def _upload(
    container: Container, http: httpx.AsyncClient, name: str, data: bytes, kind: str
) -> dict[str, Any]:
    started = time.perf_counter()
    token = await _csrf(http, "/simulator")
    files = {"file": (name, data, kind)}
    response = await http.post("/simulator/upload", data={"csrf_token": token}, files=files)
    assert response.status_code in (200, 303), response.text
    await _drain(container)
    async with unit_of_work(container.sessions) as session:
        row = (
            await session.execute(
                text(
                    "SELECT id, media, created_at, lead_id FROM messages WHERE direction ="
                    " 'inbound' ORDER BY created_at DESC LIMIT 1"
                )
            )
        ).one()
        replies = (
            await session.execute(
                text(
                    "SELECT content, created_at FROM messages WHERE lead_id = :lead AND"
                    " direction = 'outbound' AND created_at > :at ORDER BY created_at"
                ),
                {"lead": row.lead_id, "at": row.created_at},
            )
        ).all()
    return {
        "media": row.media,
        "replies": [r.content for r in replies],
        "reply_seconds": (replies[0].created_at - row.created_at).total_seconds()
        if replies
        else None,
        "wall_seconds": time.perf_counter() - started,
    }


def _show(title: str, result: dict[str, Any]) -> None:
    media = result["media"]
    print(f"\n=== {title} ===  (load average {os.getloadavg()[0]:.1f})")
    said = media.get("transcript") or media.get("ocr_text") or ""
    print(f"read: {said!r}")
    print(f"read_seconds: {media.get('read_seconds')}  listing_code: {media.get('listing_code')}")
    print(f"upload -> first reply stored: {result['reply_seconds']:.2f} s")
    print(f"upload -> worker drained (wall): {result['wall_seconds']:.2f} s")
    for reply in result["replies"]:
        print(f"  assistant: {reply}")


async def simulate(settings: Settings, url: str, *, runs: int = 2) -> None:
    """Seed the demo agency on ``url`` (migrated), sign in to its dashboard and upload a voice
    note and a portal screenshot ``runs`` times each, printing both conversations."""
    container = build(settings, database_url=url)
    try:
        async with unit_of_work(container.sessions) as session:
            await seed_demo(session)
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            token = await _csrf(http, "/login")
            email, password = DEMO_LOGIN
            login = {"email": email, "password": password, "csrf_token": token}
            assert (await http.post("/login", data=login)).status_code == 303
            # Twice each by default: the first run loads the model, the second is steady state.
            for run in range(1, runs + 1):
                note = voice_note(settings.data_dir)
                voice = await _upload(container, http, "nota.wav", note, "audio/wav")
                _show(f"voice note {run} (spoken: {SAID})", voice)
                picture = await _upload(container, http, "anuncio.png", screenshot(), "image/png")
                _show(f"portal screenshot {run} (AP1102)", picture)
    finally:
        await container.aclose()


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="vellarys-sim-media-"))
    settings = Settings(
        data_dir=folder, secret_key="bench", debounce_seconds=0, send_pace_seconds=0
    )
    try:
        url = resolve_database_url(settings)
        upgrade(url, secret_key="bench")
        await simulate(settings, url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
