"""Which files are kept, and what text read from them points at."""

from __future__ import annotations

import pytest

from vellarys.domain.media import (
    MediaRefused,
    catalog_hint,
    check_media,
    content_type_for,
    needs_fetch,
    transcription_prompt,
    understood_line,
)


def test_a_file_over_the_cap_or_of_another_kinds_type_is_refused() -> None:
    check_media("audio", content_type="audio/ogg", size=10, max_bytes=100)
    check_media("document", content_type="application/pdf", size=10, max_bytes=100)
    with pytest.raises(MediaRefused, match="at most 100"):
        check_media("audio", content_type="audio/ogg", size=101, max_bytes=100)
    with pytest.raises(MediaRefused, match="text/html"):
        check_media("image", content_type="text/html", size=10, max_bytes=100)
    with pytest.raises(MediaRefused, match="empty"):
        check_media("image", content_type="image/png", size=0, max_bytes=100)


def test_an_untyped_download_takes_the_type_the_webhook_declared() -> None:
    assert content_type_for("audio", "application/octet-stream", "audio/ogg; codecs=opus") == (
        "audio/ogg"
    )
    assert content_type_for("audio", "text/html; charset=utf-8", "audio/ogg") == "text/html"


def test_only_files_with_a_source_are_fetched() -> None:
    assert needs_fetch("audio", {"media_id": "1"})
    assert needs_fetch("image", {"upload": True})
    assert not needs_fetch("audio", {})
    assert not needs_fetch("sticker", {"media_id": "1"})


def test_a_listing_code_a_portal_url_and_a_price_are_found_in_ocr_text() -> None:
    text = "Cdigo do anncio: ap1102\nwww.zapimoveis.com.br/imovel/123\nR$4.800/mes"
    hint = catalog_hint(text, ["AP110", "AP1102", "CA2001"])
    assert hint.code == "AP1102"
    assert hint.url == "www.zapimoveis.com.br/imovel/123"
    assert hint.price == "R$4.800"
    assert catalog_hint("AP11020", ["AP1102"]).code is None


def test_the_speech_prompt_names_the_agencys_places_and_codes() -> None:
    prompt = transcription_prompt(["Pinheiros", "Moema"], ["AP1102"])
    assert "Pinheiros, Moema" in prompt and "AP1102" in prompt


def test_the_understood_line_echoes_a_long_note_cut_at_a_word() -> None:
    assert understood_line("dois quartos  em Pinheiros") == "Entendi: _dois quartos em Pinheiros_"
    long = understood_line("palavra " * 60)
    assert long.endswith("…_") and len(long) < 180
