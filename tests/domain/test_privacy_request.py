"""LGPD request detection on a labelled set, and plan-limit levels."""

from __future__ import annotations

import pytest

from vellarys.domain import features, plan_limits
from vellarys.domain.intent import is_opt_out
from vellarys.domain.privacy_request import ACCESS, ERASE, privacy_request

LABELLED = [
    ("apaga meus dados", ERASE),
    ("Apaguem meus dados, por favor!", ERASE),
    ("quero que vocês excluam todos os meus dados", ERASE),
    ("delete minhas informações", ERASE),
    ("quero meus dados apagados", ERASE),
    ("exijo o direito ao esquecimento", ERASE),
    ("removam meu cadastro", ERASE),
    ("por favor apaguem tudo sobre mim", ERASE),
    ("Quero que meus dados sejam excluídos", ERASE),
    ("quero meus dados", ACCESS),
    ("quero saber que dados vocês têm de mim", ACCESS),
    ("Quais informações vocês têm sobre mim?", ACCESS),
    ("me mandem uma cópia dos meus dados", ACCESS),
    ("o que vocês sabem sobre mim?", ACCESS),
    ("gostaria de acessar meus dados pessoais", ACCESS),
    ("quais dados vocês guardam a meu respeito", ACCESS),
    # Not requests: a lead talking about their data, a listing, the conversation.
    ("meus dados pro financiamento: renda 10 mil", None),
    ("posso te passar meus dados depois?", None),
    ("apaga a mensagem anterior", None),
    ("quero um apartamento de 2 quartos", None),
    ("vocês têm dados do condomínio?", None),
    ("meu contato é 11 99999-0000", None),
    ("pode limpar a busca e começar de novo", None),
    ("quais documentos preciso?", None),
    ("não quero mais receber mensagens", None),  # opt-out, recognised by intent
]


@pytest.mark.parametrize(("text", "kind"), LABELLED)
def test_requests_are_recognised_and_ordinary_talk_is_not(text: str, kind: str | None) -> None:
    assert privacy_request(text) == kind


def test_opt_out_variants_stay_with_the_opt_out_matcher() -> None:
    for text in ("não quero mais receber mensagens", "parem de me mandar mensagem", "SAIR"):
        assert is_opt_out(text) and privacy_request(text) is None


def test_limit_levels_and_what_stops_the_llm() -> None:
    found = plan_limits.readings(
        {"messages": 79, "llm_tokens": 100, "leads": 5},
        {"messages": 100, "llm_tokens": 100, "leads": None},
    )
    assert [(r.kind, r.level) for r in found] == [("messages", None), ("llm_tokens", "over")]
    assert plan_limits.llm_stopped(found) == "llm_tokens"
    warn = plan_limits.Reading("messages", 80, 100)
    assert warn.level == "warn" and "80%" in plan_limits.notice(warn, "2026-11")
    leads = plan_limits.Reading("leads", 10, 10)
    assert plan_limits.llm_stopped([leads]) is None  # past the lead limit the LLM still answers
    assert "Nenhum lead deixa de ser atendido" in plan_limits.notice(leads, "2026-11")
    assert features.enabled({}, features.VOICE) and not features.enabled({"voice": False}, "voice")
