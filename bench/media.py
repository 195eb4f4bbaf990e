"""Time per message of local transcription (Whisper base, CPU int8) and OCR (RapidOCR).

    .venv/bin/python -m bench.media
    .venv/bin/python -m bench.media --runs 1   # one clip and one picture (the smoke test's size)

Voice notes are synthesised with espeak-ng (Portuguese); the picture is a generated portal
screenshot. The first run of each includes loading the model; the rest are steady state.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from vellarys.adapters.speech.local_whisper import LocalWhisper
from vellarys.adapters.vision.rapid_ocr import RapidTextReader
from vellarys.domain.media import transcription_prompt

PHRASES = (
    "Oi, tudo bem? Eu procuro um apartamento de dois quartos em Pinheiros, até cinco mil.",
    "Boa tarde. Vi o anúncio AP1102 e queria saber se aceita pet e se o condomínio está"
    " incluso no valor. Posso visitar no sábado de manhã?",
)


def voice(text: str, folder: Path, name: str) -> tuple[bytes, float]:
    out = folder / f"{name}.wav"
    espeak = shutil.which("espeak-ng") or "espeak-ng"
    subprocess.run([espeak, "-v", "pt-br", "-s", "150", "-w", str(out), text], check=True)
    data = out.read_bytes()
    return data, (len(data) - 44) / (22050 * 2)  # espeak-ng: 22.05 kHz mono 16-bit


def screenshot() -> bytes:
    image = Image.new("RGB", (720, 420), "white")
    draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=34)
    for y, line in enumerate(("Apartamento 2 quartos", "Pinheiros, São Paulo", "R$ 4.800/mês",
                              "Código do anúncio: AP1102")):  # fmt: skip
        draw.text((20, 60 + 80 * y), line, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def measure(runs: int) -> None:
    """``runs`` voice notes, the phrases in turn; ``runs`` - 1 readings of the picture (1+)."""
    folder = Path(tempfile.mkdtemp(prefix="vellarys-bench-"))
    whisper = LocalWhisper(model_dir=folder / "whisper-base", timeout_seconds=600)
    prompt = transcription_prompt(["Pinheiros", "Moema"], ["AP1102"])
    for run in range(runs):
        text = PHRASES[run % len(PHRASES)]
        audio, seconds = voice(text, folder, f"v{run}")
        started = time.perf_counter()
        said = await whisper.transcribe(audio, content_type="audio/wav", prompt=prompt)
        took = time.perf_counter() - started
        print(f"transcription run {run}: clip {seconds:.1f} s -> {took:.2f} s  {said!r}")
    reader = RapidTextReader(timeout_seconds=600)
    picture = screenshot()
    for run in range(max(1, runs - 1)):
        started = time.perf_counter()
        text = await reader.read(picture)
        took = time.perf_counter() - started
        print(f"ocr run {run}: {took:.2f} s  {text.splitlines()!r}")
    whisper.close()
    reader.close()
    shutil.rmtree(folder)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=4, help="voice notes transcribed")
    asyncio.run(measure(parser.parse_args(argv).runs))


if __name__ == "__main__":
    main()
