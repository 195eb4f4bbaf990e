"""The scripted conversations of bench/conversation_scripts, played on the indexed demo agency.

Goals from the conversation-quality issue: no global violation on any reply, profile fields at
least 95 % right, and the scripts that guard a rule (the lead's own numbers, hard filters,
owners and clients routed, hot signals handed off, after-hours promises) all pass.
"""

from __future__ import annotations

import pytest

from bench.conversation_scripts.player import Played, play
from bench.conversation_scripts.scripts import SCRIPTS
from tests.pipeline.harness import Stack

# Each guards one rule; they must pass, not just count towards an average.
MUST_PASS = (
    "ITBI do imóvel, não do exemplo",
    "parcela de 400 mil com 80 mil de FGTS",
    "pet e IPTU de um anúncio",
    "inquilina com cachorro",
    "aluguel com condomínio incluso",
    "proprietário que quer vender",
    "inquilino com vazamento",
    "crédito aprovado, quer fechar",
    "pede a corretora pelo nome",
    "visita num sábado à noite",
    "pergunta que os documentos não respondem",
    "mais opções",
    "pede para parar",
    "pede para ligar depois do expediente",
    "quanto consigo financiar com minha renda",
    "duas perguntas numa mensagem",
    "abreviações",
    "proposta numa sexta à noite",
    "investidor de studio",
    "três imóveis não são três vagas",
    "inquilino quer sair antes",
    "inquilina pergunta da multa",
    "pergunta sem resposta no sábado à noite",
)


@pytest.mark.timeout(1800)
async def test_scripted_conversations_meet_the_goals(demo: Stack) -> None:
    played: list[Played] = []
    for number, script in enumerate(SCRIPTS):
        played.append(
            await play(
                demo.container.sessions,
                demo.container.pipeline,
                tenant_id=demo.tenant_id,
                script=script,
                phone=f"+55119660{number:05d}",
            )
        )
    assert len(SCRIPTS) >= 40
    violations = [f"{p.script.name}: {v}" for p in played for v in p.violations]
    assert not violations, "\n".join(violations)
    right = sum(p.fields_right for p in played)
    checked = sum(p.fields_checked for p in played)
    assert right / checked >= 0.95, [f for p in played for f in p.failures if "profile" in f]
    failed = {
        p.script.name: p.failures for p in played if p.script.name in MUST_PASS and p.failures
    }
    assert not failed, "\n\n".join(p.transcript() for p in played if p.script.name in failed)
