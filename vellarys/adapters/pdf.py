"""Text out of uploaded PDF files (pypdf, pure Python), read in separate processes.

pypdf is CPU-bound and a small hostile file can keep it busy for minutes (19 KB with 800k text
operators once blocked the API's event loop for 25 s). So each file is read by a child
process (``python -m vellarys.adapters.pdf``), at most ``workers`` at once per process, killed
when it passes its time budget, with CPU and memory capped by the kernel as a second wall.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys

from vellarys.errors import BadRequest

# pypdf logs a warning for every small defect of real-world files; they are not our errors.
logging.getLogger("pypdf").setLevel(logging.ERROR)

UNREADABLE = "O PDF não pôde ser lido"
TOO_SLOW = "O PDF demorou demais para ser lido (é muito complexo); envie uma versão mais simples"
TOO_BIG = "O PDF é grande demais para ser lido"
DEFAULT_TIMEOUT_SECONDS = 20.0
MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 2_000_000
_MEMORY_BYTES = 1024 * 1024 * 1024
_EXIT_UNREADABLE = 3


class PdfReader:
    """Reads PDFs off the event loop in a bounded pool of child processes."""

    def __init__(
        self, *, workers: int = 2, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.workers = workers
        self.timeout_seconds = timeout_seconds
        self.running = 0  # files being read right now, for tests and metrics
        self._slots: asyncio.Semaphore | None = None

    async def text(self, data: bytes) -> str:
        """The text of every page, pages separated by a blank line; ``BadRequest`` when the
        file is no PDF, is unreadable, too big, or takes longer than the time budget."""
        if not data.lstrip()[:5].startswith(b"%PDF"):
            raise BadRequest(UNREADABLE)
        if len(data) > MAX_PDF_BYTES:
            raise BadRequest(TOO_BIG)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            self.running += 1
            try:
                return await self._read(data)
            finally:
                self.running -= 1

    async def _read(self, data: bytes) -> str:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "vellarys.adapters.pdf",
            str(int(self.timeout_seconds) + 1),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(child.communicate(data), self.timeout_seconds)
        except TimeoutError:
            raise BadRequest(TOO_SLOW) from None
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
        if child.returncode != 0:
            raise BadRequest(UNREADABLE)
        return out.decode("utf-8", errors="replace")


def extract(data: bytes) -> str:
    """Read the PDF in this process (the child's work)."""
    from pypdf import PdfReader as Reader

    reader = Reader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")
    pages: list[str] = []
    size = 0
    for page in reader.pages:
        text = (page.extract_text() or "").strip()
        if text:
            pages.append(text)
            size += len(text)
        if size > MAX_TEXT_CHARS:
            break
    return "\n\n".join(pages)[:MAX_TEXT_CHARS]


def _limit_resources(cpu_seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_BYTES, _MEMORY_BYTES))


def main() -> None:
    _limit_resources(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
    data = sys.stdin.buffer.read()
    try:
        text = extract(data)
    except Exception:  # noqa: BLE001 - pypdf raises many exception types on malformed files
        sys.exit(_EXIT_UNREADABLE)
    sys.stdout.buffer.write(text.encode("utf-8", errors="replace"))


if __name__ == "__main__":
    main()
