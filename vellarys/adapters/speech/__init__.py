"""Speech to text: a local Whisper model, or an OpenAI-compatible endpoint."""
