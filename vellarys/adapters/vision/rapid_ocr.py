"""Text in pictures read on this machine by RapidOCR (ONNX models inside the wheel), in one
worker thread with a time budget."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vellarys.errors import MediaReadError


class RapidTextReader:
    """A ``TextReader``; the engine loads on first use."""

    name = "rapidocr-onnxruntime"

    def __init__(self, *, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._engine: Any = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr")

    def _load(self) -> Any:
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR()
        return self._engine

    def _run(self, image: bytes) -> str:
        result, _elapsed = self._load()(image)
        return "\n".join(str(line[1]) for line in result or [])

    async def read(self, image: bytes) -> str:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool, self._load)  # once, outside the budget
            future = loop.run_in_executor(self._pool, self._run, image)
            return await asyncio.wait_for(future, self.timeout_seconds)
        except TimeoutError:
            raise MediaReadError(f"OCR took longer than {self.timeout_seconds:g} s") from None
        except Exception as exc:  # noqa: BLE001 - onnxruntime and OpenCV raise many own types
            raise MediaReadError(f"OCR failed ({type(exc).__name__}: {exc})") from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
