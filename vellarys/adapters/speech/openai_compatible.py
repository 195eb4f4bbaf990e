"""Speech to text by any OpenAI-compatible ``POST /audio/transcriptions`` endpoint."""

from __future__ import annotations

import httpx

from vellarys.errors import MediaReadError

_EXTENSIONS = {"audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/wav": "wav"}


class OpenAICompatibleTranscriber:
    """A ``Transcriber`` over HTTP (OpenAI, Groq, a local whisper server...)."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        http: httpx.AsyncClient,
        timeout_seconds: float,
    ) -> None:
        self.name = model
        self._url = f"{base_url.rstrip('/')}/audio/transcriptions"
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = http
        self._timeout = timeout_seconds

    async def transcribe(self, audio: bytes, *, content_type: str, prompt: str) -> str:
        base_type = content_type.split(";")[0].strip()
        filename = f"voice.{_EXTENSIONS.get(base_type, 'ogg')}"
        data = {"model": self._model, "language": "pt", "prompt": prompt}
        try:
            response = await self._http.post(
                self._url,
                headers=self._headers,
                data=data,
                files={"file": (filename, audio, base_type or "audio/ogg")},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise MediaReadError(
                f"the transcription endpoint failed ({type(exc).__name__})"
            ) from None
        if not response.is_success:
            raise MediaReadError(f"the transcription endpoint answered {response.status_code}")
        try:
            text = response.json().get("text")
        except (ValueError, AttributeError):
            text = None
        if not isinstance(text, str):
            raise MediaReadError("the transcription endpoint answered without text")
        return text.strip()
