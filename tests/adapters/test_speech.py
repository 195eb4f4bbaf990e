"""Speech to text: the local model's checksum wall, and the OpenAI-compatible endpoint."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.fakes.transcription import FakeTranscription
from vellarys.adapters.speech.local_whisper import (
    MODEL_SHA256,
    LocalWhisper,
    ModelChecksumError,
    assemble_model,
    file_sha256,
    verified_model,
)
from vellarys.adapters.speech.openai_compatible import OpenAICompatibleTranscriber
from vellarys.errors import MediaReadError


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble_model(tmp_path_factory.mktemp("models") / "whisper-base")


def test_the_model_joined_from_the_two_packages_has_the_published_checksum(
    assembled: Path,
) -> None:
    assert file_sha256(assembled / "model.bin") == MODEL_SHA256
    assert verified_model(assembled) == assembled
    assert {p.name for p in assembled.iterdir()} >= {"config.json", "tokenizer.json"}


async def test_a_model_file_that_does_not_match_the_checksum_refuses_to_load(
    assembled: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "whisper-base"
    shutil.copytree(assembled, damaged)
    with (damaged / "model.bin").open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelChecksumError, match="sha256"):
        verified_model(damaged)
    whisper = LocalWhisper(model_dir=damaged, timeout_seconds=60)
    try:
        with pytest.raises(ModelChecksumError):
            await whisper.transcribe(b"RIFF", content_type="audio/wav", prompt="")
    finally:
        whisper.close()


async def test_openai_compatible_transcription_sends_the_file_and_the_agencys_words() -> None:
    with FakeTranscription(text=" dois quartos em Pinheiros ", api_key="sk-test") as fake:
        async with httpx.AsyncClient() as http:
            transcriber = OpenAICompatibleTranscriber(
                base_url=fake.base_url, model="whisper-1", api_key="sk-test", http=http,
                timeout_seconds=10,
            )  # fmt: skip
            text = await transcriber.transcribe(
                b"OggS-voice", content_type="audio/ogg; codecs=opus", prompt="Bairros: Pinheiros."
            )
    assert text == "dois quartos em Pinheiros"
    (call,) = fake.calls
    assert call.file == b"OggS-voice" and call.filename == "voice.ogg"
    assert call.fields == {"model": "whisper-1", "language": "pt", "prompt": "Bairros: Pinheiros."}


async def test_a_failing_transcription_endpoint_is_a_media_read_error() -> None:
    with FakeTranscription(text="", status=500) as fake:
        async with httpx.AsyncClient() as http:
            transcriber = OpenAICompatibleTranscriber(
                base_url=fake.base_url, model="whisper-1", api_key=None, http=http,
                timeout_seconds=10,
            )  # fmt: skip
            with pytest.raises(MediaReadError, match="500"):
                await transcriber.transcribe(b"x", content_type="audio/ogg", prompt="")
