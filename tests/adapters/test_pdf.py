"""PDFs are read off the event loop, in a bounded pool of child processes with a time budget."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from tests.services.test_knowledge import minimal_pdf
from vellarys.adapters.pdf import TOO_SLOW, UNREADABLE, PdfReader
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.errors import BadRequest


def heavy_pdf(operators: int = 800_000) -> bytes:
    """A few KB of PDF whose one page holds ``operators`` text-showing operators: pypdf needs
    minutes for it (the 19 KB file that once blocked the event loop for 25 s)."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 720 Td " + b"(a) Tj " * operators + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


async def until_reading(reader: PdfReader) -> None:
    for _ in range(6000):
        if reader.running:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the PDF never started to be read")


async def test_a_normal_pdf_is_read_in_a_child_process() -> None:
    reader = PdfReader(workers=1, timeout_seconds=60)
    text = await reader.text(minimal_pdf(["Regulamento do condomínio.", "A piscina abre às 8h."]))
    assert "A piscina abre às 8h." in text
    assert reader.running == 0


async def test_a_broken_pdf_is_a_clear_400() -> None:
    with pytest.raises(BadRequest, match=UNREADABLE):
        await PdfReader(timeout_seconds=60).text(b"%PDF-1.4 nothing else")


async def test_a_pdf_past_its_time_budget_is_refused_with_a_clear_message() -> None:
    reader = PdfReader(workers=1, timeout_seconds=2)
    with pytest.raises(BadRequest) as refused:
        await reader.text(heavy_pdf())
    assert refused.value.message == TOO_SLOW
    assert reader.running == 0


async def test_health_answers_while_a_hostile_pdf_is_being_read(
    database_url: str, tmp_path: Path
) -> None:
    container = build(make_settings(database_url, tmp_path, pdf_timeout_seconds=5))
    app = create_app(container)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            reading = asyncio.create_task(container.pdf.text(heavy_pdf()))
            await until_reading(container.pdf)
            health = await client.get("/health")
            # Answered while the PDF is still being read: the event loop was never blocked.
            assert health.status_code == 200
            assert container.pdf.running == 1 and not reading.done()
            with pytest.raises(BadRequest, match="demorou demais"):
                await reading
    finally:
        await container.aclose()


async def test_the_pool_reads_at_most_its_number_of_files_at_once() -> None:
    reader = PdfReader(workers=1, timeout_seconds=2)
    tasks = [asyncio.create_task(reader.text(heavy_pdf())) for _ in range(3)]
    await until_reading(reader)
    assert reader.running == 1
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, BadRequest) for r in results)
