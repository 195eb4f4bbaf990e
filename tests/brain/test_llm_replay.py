"""Replay: scripted conversations with recorded model outputs, through the real pipeline.

Each turn's recorded outputs are served by the fake OpenAI server; what the lead receives is
checked, and no correct answer may be refused (every reply comes from the LLM brain). Each
reply leaves one trace (outcome, rounds, tokens) and is counted in ``/metrics``; a hand-off
goes to the person its reason routes to, with the model's note.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from tests.brain.chat import Conversation
from tests.brain.test_llm_brain import _assistant_replies, _use_llm
from tests.fakes.openai import COMPLETION_TOKENS, PROMPT_TOKENS, Answer, FakeOpenAI
from tests.pipeline.harness import Stack, meta_text
from tests.pipeline.periodic import run_periodic
from tests.web.conftest import Dashboard, soup
from vellarys.db.models import LlmTrace, User, Visit
from vellarys.db.uow import unit_of_work
from vellarys.domain.intent import listing_codes
from vellarys.domain.llm import redact
from vellarys.services import lgpd
from vellarys.services.llm_brain import tokens_used_today
from vellarys.worker import runtime, tasks

call, text = FakeOpenAI.tool_call, FakeOpenAI.text


@dataclass(frozen=True)
class Step:
    lead: str
    model: list[Answer]
    expect: list[str]
    outcome: str = "answered"  # of the turn's trace


# One round a typical turn: the listing the lead names (or the one in focus), the facts asked
# and the calculation asked are prefetched; a hand-off or a profile correction comes with the
# reply's text. Booking a visit needs the tool's answer: two rounds.
SCRIPTS: dict[str, list[Step]] = {
    "renter-with-dog": [
        Step(
            "Oi! Tenho um cachorro. O AP1102 aceita pets?",
            [text("Sim! O *AP1102* aceita pets 🐶\n\nQuer saber o valor total por mês?")],
            ["AP1102", "aceita pets"],
        ),
        Step(
            "Quero, quanto fica com o condomínio?",
            [text("No *AP1102*: aluguel R$ 5.200 + condomínio R$ 980 por mês.")],
            ["R$ 5.200", "R$ 980"],
        ),
    ],
    "buyer-with-fgts": [
        Step(
            "Ganho 12 mil por mês e tenho 80 mil de FGTS. Até quanto consigo comprar?",
            [
                call(
                    "update_lead_profile",
                    {"intent": "buy"},
                    content="Com renda de R$ 12 mil, a primeira parcela (SAC) pode ir até "
                    "R$ 3.600 e o imóvel até R$ 393 mil.",
                ),
            ],
            ["R$ 3.600", "R$ 393 mil"],
        ),
        Step(
            "E o ITBI do AP1106?",
            [text("O ITBI do *AP1106* em São Paulo fica em cerca de R$ 20.700 (3%).")],
            ["R$ 20.700"],
        ),
    ],
    "owner-selling": [
        Step(
            "Boa tarde, quero vender meu apartamento em Pinheiros",
            [
                call(
                    "hand_off",
                    {"reason": "owner", "note": "Quer vender apto em Pinheiros"},
                    content="Que bom! Vou te passar para nossa equipe de captação avaliar "
                    "seu imóvel.",
                ),
            ],
            ["captação", "Renata"],
        ),
    ],
    "tenant-with-leak": [
        Step(
            "Sou inquilino de vocês e tem um vazamento no banheiro",
            [
                call(
                    "hand_off",
                    {"reason": "client", "note": "Inquilino: vazamento no banheiro"},
                    content="Sinto muito pelo vazamento! Já estou chamando a equipe responsável.",
                ),
            ],
            ["vazamento", "Renata"],
        ),
    ],
    # "R$ 12 mil" is a known amount (the income), but not the lead's FGTS: one repair round.
    "fgts-stated-as-income": [
        Step(
            "Tenho 80 mil de FGTS e ganho 12 mil por mês",
            [
                text("Ótimo! Com seu FGTS de R$ 12 mil dá para começar. Que bairro você prefere?"),
                text("Ótimo! Com seu FGTS de R$ 80 mil dá para começar. Que bairro você prefere?"),
            ],
            ["R$ 80 mil"],
            outcome="repaired",
        ),
    ],
    # The model offers the broker's free Saturday slots, then books the one the lead chose.
    # Its words quote the slots the tool returned (they depend on the day the test runs).
    "visit-saturday": [
        Step(
            "Tenho crédito aprovado e quero visitar o AP1106 no sábado",
            [  # AP1106 was looked up before the call
                call("visit", {"action": "offer", "code": "AP1106", "when": "sábado"}),
                FakeOpenAI.written(
                    lambda body: (
                        "Ótimo! Para o *AP1106* tenho estes horários:\n\n"
                        + "\n".join(f"• {n}) {label}" for n, label in _slots(body).items())
                        + "\n\nQual fica melhor?"
                    )
                ),
            ],
            ["AP1106", "2) "],
        ),
        Step(
            "Pode ser o segundo horário",
            [
                call("visit", {"action": "book", "slot": 2}),
                FakeOpenAI.written(lambda body: f"Combinado! {_booked(body)}"),
            ],
            ["Combinado!", "AP1106"],
        ),
    ],
}
# What the first request carries as tool results, beyond the codes the lead named.
PREFETCHED = {
    ("renter-with-dog", 1): ['"code": "AP1102"', "pets"],
    ("renter-with-dog", 2): ['"code": "AP1102"', '"monthly_total"'],
    ("buyer-with-fgts", 1): ['"max_instalment": 3600', '"max_price": 392707'],
    ("buyer-with-fgts", 2): ['"code": "AP1106"', '"itbi": 20700'],
}
# Who takes each conversation's hand-off: no one has the listings or clients duty in the demo,
# so owners and clients go to the admin; a hot lead in Pinheiros to the broker of Pinheiros.
HANDOFFS = {
    "owner-selling": ("owner", "admin@demo.local", "Quer vender apto em Pinheiros"),
    "tenant-with-leak": ("client", "admin@demo.local", "Inquilino: vazamento no banheiro"),
    "visit-saturday": ("hot", "marcos.toledo@demo.local", None),
}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test") as fake:
        yield fake


def _tool_results(body: Any) -> list[Any]:
    return [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]


def _slots(body: Any) -> dict[str, str]:
    """The slots of the last visit offer the model was sent."""
    return [r for r in _tool_results(body) if isinstance(r, dict) and "slots" in r][-1]["slots"]


def _booked(body: Any) -> str:
    return str(_tool_results(body)[-1]["result"])


@pytest.mark.parametrize("name", list(SCRIPTS))
async def test_replayed_conversation_reaches_the_lead(
    demo: Stack, llm: FakeOpenAI, name: str
) -> None:
    _use_llm(demo, llm)
    before = _llm_metrics((await demo.client.get("/metrics")).text)
    chat = Conversation(demo, "55119770009" + f"{list(SCRIPTS).index(name):02d}")
    table: list[dict[str, Any]] = []
    for n, step in enumerate(SCRIPTS[name], 1):
        sent = len(llm.requests)
        llm.script(step.model)
        replies = await chat.say(step.lead)
        received = "\n".join(replies)
        for wanted in step.expect:
            assert wanted in received, (name, n, replies)
        rounds = len(llm.requests) - sent
        # What a real provider would bill: about 4 characters a token for the JSON sent.
        sent_chars = sum(len(json.dumps(r, ensure_ascii=False)) for r in llm.requests[sent:])
        table.append(
            {
                "turn": n,
                "rounds": rounds,
                "tokens": rounds * (PROMPT_TOKENS + COMPLETION_TOKENS),
                "est_prompt_tokens": sent_chars // 4,
            }
        )
        first = llm.requests[sent]["messages"]
        assert first[1]["content"].startswith("Agora: ")
        # The listing in focus, the facts and the sums asked are looked up before the call.
        looked_up = "\n".join(m["content"] for m in first if m["role"] == "tool")
        for wanted in PREFETCHED.get(
            (name, n), [f'"code": "{c}"' for c in listing_codes(step.lead)]
        ):
            assert wanted in looked_up, (name, n, wanted)
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"llm"}
    traces = await _traces(demo, (await chat.lead()).id)
    assert [t.outcome for t in traces] == [s.outcome for s in SCRIPTS[name]]
    assert [t.rounds for t in traces] == [row["rounds"] for row in table]
    assert all(t.prompt_tokens == t.rounds * PROMPT_TOKENS for t in traces)
    after = _llm_metrics((await demo.client.get("/metrics")).text)
    assert after["tokens"] - before["tokens"] == sum(row["tokens"] for row in table)
    assert after["replies"] - before["replies"] == len(table)
    await _check_handoff(demo, chat, name)
    if name == "visit-saturday":
        await _check_visit(demo, chat, llm)
    for row, trace in zip(table, traces, strict=True):
        row["latency_ms"] = trace.latency_ms
    print(f"\nREPLAY {name}: {table}")


async def _check_handoff(demo: Stack, chat: Conversation, name: str) -> None:
    handoffs = await chat.handoffs()
    if name not in HANDOFFS:
        assert handoffs == []
        return
    reason, email, note = HANDOFFS[name]
    assert [h.reason for h in handoffs] == [reason]
    async with unit_of_work(demo.container.sessions) as session:
        user = (await session.execute(select(User).where(User.email == email))).scalar_one()
    assert handoffs[0].user_id == user.id
    if note:
        assert note in (handoffs[0].summary or "")


async def _check_visit(demo: Stack, chat: Conversation, llm: FakeOpenAI) -> None:
    """The offer came from the broker's calendar (Saturdays); the second slot is booked and
    the lead was told so; on the second turn the open offer was in the prompt already."""
    offer_turn = next(
        r
        for r in llm.requests
        if any('"slots"' in m["content"] for m in r["messages"] if m["role"] == "tool")
    )
    slots = _slots(offer_turn)
    async with unit_of_work(demo.container.sessions) as session:
        lead = await chat._lead(session)
        (visit,) = (await session.execute(select(Visit).where(Visit.lead_id == lead.id))).scalars()
    assert visit.status == "scheduled" and visit.property_code == "AP1106"
    assert visit.starts_at.astimezone(ZoneInfo("America/Sao_Paulo")).weekday() == 5
    assert visit.handoff_id is not None
    told = chat.text_since(0)
    assert slots["2"] in told and all(label in told for label in slots.values())
    said = {"role": "user", "content": "Pode ser o segundo horário"}
    second_turn = next(r for r in llm.requests if said in r["messages"])
    prefetched = [m["content"] for m in second_turn["messages"] if m["role"] == "tool"]
    assert any('"offered"' in c and slots["2"] in c for c in prefetched)


async def _traces(demo: Stack, lead_id: Any) -> list[LlmTrace]:
    async with unit_of_work(demo.container.sessions) as session:
        found = await session.execute(
            select(LlmTrace).where(LlmTrace.lead_id == lead_id).order_by(LlmTrace.created_at)
        )
        return list(found.scalars())


def _llm_metrics(page: str) -> dict[str, float]:
    totals = {"tokens": 0.0, "replies": 0.0}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == "vellarys_llm_tokens_total":
                totals["tokens"] += sample.value
            elif sample.name == "vellarys_llm_replies_total":
                totals["replies"] += sample.value
    return totals


async def test_admin_reads_the_traces_of_a_lead(demo: Stack, llm: FakeOpenAI) -> None:
    """The lead page links admins to the lead's traces: tools, refused drafts and why."""
    _use_llm(demo, llm)
    chat = Conversation(demo, "5511977000099")
    llm.script(SCRIPTS["fgts-stated-as-income"][0].model)
    await chat.say(SCRIPTS["fgts-stated-as-income"][0].lead)
    lead_id = (await chat.lead()).id
    board = Dashboard(demo.container, demo.tenant_id, demo.client)
    await board.login()
    lead_page = soup(await demo.client.get(f"/leads/{lead_id}"))
    assert lead_page.select_one("#ai-traces-link")["href"] == f"/leads/{lead_id}/ai"
    page = soup(await demo.client.get(f"/leads/{lead_id}/ai"))
    traces = page.select(".trace")
    assert [t["data-outcome"] for t in traces] == ["repaired"]
    refused = traces[0].select_one(".trace-refused").get_text()
    assert "FGTS" in refused and "R$ 12 mil" in refused
    assert traces[0].select_one(".trace-rounds").get_text() == "2"
    assert (await demo.client.get(f"/leads/{uuid.uuid4()}/ai")).status_code == 404

    # LGPD: the export carries the traces; erasing the lead deletes them.
    async with unit_of_work(demo.container.sessions) as session:
        exported = await lgpd.export_lead(session, tenant_id=demo.tenant_id, lead_id=lead_id)
        assert [t["outcome"] for t in exported["llm_traces"]] == ["repaired"]
        await lgpd.erase_lead(session, tenant_id=demo.tenant_id, lead_id=lead_id)
    assert await _traces(demo, lead_id) == []

    # Retention: a trace older than the setting is deleted by the periodic job, a new one stays.
    other = Conversation(demo, "5511977000098")
    await other.say("Oi")
    other_id = (await other.lead()).id
    assert await run_periodic(demo, "prune_llm_traces") == "succeeded"
    assert len(await _traces(demo, other_id)) == 1

    # The per-lead cap: past it (120 tokens spent, cap 100) that lead gets the offline brain.
    pipeline = demo.container.pipeline
    demo.container.pipeline = replace(
        pipeline, settings=replace(pipeline.settings, llm_lead_daily_tokens=100)
    )
    sent = len(llm.requests)
    await other.say("Quero alugar um apê em Pinheiros")
    replies = [
        r for r in llm.requests[sent:] if not r["messages"][0]["content"].startswith("Resuma")
    ]
    assert replies == [] and len(await _traces(demo, other_id)) == 1
    last = [m for m in await _assistant_replies(demo) if m.lead_id == other_id][-1]
    assert last.media["brain"] == "offline"
    days = demo.container.settings.llm_trace_retention_days
    await demo.scalar(
        "UPDATE llm_traces SET created_at = now() - make_interval(days => :d) RETURNING 1",
        d=days + 1,
    )
    runtime.install(demo.container)
    assert await tasks.prune_llm_traces(int(time.time())) == 1
    assert await _traces(demo, other_id) == []


async def test_the_summary_is_updated_from_the_previous_one_and_the_new_messages(
    demo: Stack, llm: FakeOpenAI
) -> None:
    """The summary's call is traced (names masked like the replies') and held to the
    per-lead cap."""
    _use_llm(demo, llm)
    pipeline = demo.container.pipeline
    demo.container.pipeline = replace(
        pipeline, settings=replace(pipeline.settings, summary_every=1)
    )
    chat = Conversation(demo, "5511977000097", name="Joana Prado")
    llm.script([text("Que bom! Qual bairro?"), text("Quer alugar em Pinheiros; tem um cachorro.")])
    await chat.say("Quero alugar um apê, tenho um cachorro. Meu nome é Beatriz")
    assert (await chat.lead()).summary == "Quer alugar em Pinheiros; tem um cachorro."
    llm.script([text("Anotado!"), text("Quer alugar em Pinheiros até R$ 5 mil; tem cachorro.")])
    sent = len(llm.requests)
    await chat.say("Meu limite é 5 mil")
    (summary_request,) = [
        r for r in llm.requests[sent:] if r["messages"][0]["content"].startswith("Resuma")
    ]
    data = summary_request["messages"][1]["content"]
    assert data.startswith("Resumo anterior:\nQuer alugar em Pinheiros; tem um cachorro.")
    assert "Meu limite é 5 mil" in data and "tenho um cachorro" not in data
    assert (await chat.lead()).summary == "Quer alugar em Pinheiros até R$ 5 mil; tem cachorro."

    lead_id = (await chat.lead()).id
    traces = await _traces(demo, lead_id)
    assert [t.outcome for t in traces] == ["answered", "summary", "answered", "summary"]
    assert all(t.prompt_tokens == PROMPT_TOKENS for t in traces)
    assert traces[1].prompt[0]["content"].startswith("Resuma")
    # Names are masked in every trace: the WhatsApp name and the one the lead gave.
    stored = json.dumps([t.prompt for t in traces], ensure_ascii=False)
    assert "[nome]" in stored
    assert not {"Joana", "Prado", "Beatriz"} & set(stored.replace('"', " ").split())
    assert "Beatriz" in json.dumps(llm.requests[0], ensure_ascii=False)  # the model saw it

    # Past the per-lead cap neither the reply nor the summary calls the model.
    demo.container.pipeline = replace(
        demo.container.pipeline,
        settings=replace(demo.container.pipeline.settings, llm_lead_daily_tokens=100),
    )
    sent = len(llm.requests)
    await chat.say("Tenho dois gatos também")
    assert llm.requests[sent:] == [] and len(await _traces(demo, lead_id)) == 4
    assert (await chat.lead()).summary != "Quer alugar em Pinheiros até R$ 5 mil; tem cachorro."


async def test_a_message_sent_while_the_model_thinks_is_answered_with_the_whole_burst(
    demo: Stack, llm: FakeOpenAI
) -> None:
    """On the real queue: the first job's model answer is held until a second message has
    arrived; that job then gives up without sending, and the second job answers both
    messages once. Nothing is answered twice or dropped, and the tokens of the reply never
    sent still count (its trace says superseded)."""
    _use_llm(demo, llm, llm_timeout_seconds=30)
    gate = threading.Event()
    llm.script(
        [
            FakeOpenAI.held(gate, text("Oi! Você quer comprar ou alugar?")),
            text("Anotado: alugar em Pinheiros. Quantos quartos?"),
        ]
    )
    chat = Conversation(demo, "5511977000096")
    await demo.post(meta_text("Oi", phone=chat.phone, name=chat.name))
    worker = asyncio.create_task(demo.drain())
    assert await asyncio.to_thread(llm.holding.wait, 120), "the first job never asked the model"
    await demo.post(meta_text("Quero alugar em Pinheiros", phone=chat.phone, name=chat.name))
    gate.set()
    await worker
    assert [m.content for m in await _assistant_replies(demo)] == [
        "Anotado: alugar em Pinheiros. Quantos quartos?"
    ]
    assert len(llm.requests) == 2
    assert llm.requests[1]["messages"][-1]["content"] == "Oi\nQuero alugar em Pinheiros"
    inbound = await demo.messages(direction="inbound")
    assert len(inbound) == 2 and all(m.processed_at is not None for m in inbound)
    traces = await _traces(demo, (await chat.lead()).id)
    assert [t.outcome for t in traces] == ["superseded", "answered"]
    assert [t.prompt_tokens for t in traces] == [PROMPT_TOKENS, PROMPT_TOKENS]
    async with unit_of_work(demo.container.sessions) as session:
        used = await tokens_used_today(session, demo.tenant_id, date.today())
    assert used == 2 * (PROMPT_TOKENS + COMPLETION_TOKENS)


def test_redaction_masks_the_lead_names_as_whole_words_in_any_case() -> None:
    text = "Oi, sou a BEATRIZ Prado, beatriz@x.com.br, 11 98888-7777; moro na Rua Pradopolis"
    masked = redact(text, ["Beatriz Prado", "Bia"])
    assert masked == "Oi, sou a [nome] [nome], [e-mail], [número]; moro na Rua Pradopolis"
    assert redact("Oi, Bia!", []) == "Oi, Bia!"
