"""The LLM brain's tools: what each returns to the model, and the facts each vouches for.

Every code and amount a tool returns goes into ``ToolState``; the guardrail lets the reply
state those and nothing else. The calculators and listing facts are the offline brain's.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead
from vellarys.domain import costs, qualification
from vellarys.domain.cards import PropertyHit
from vellarys.domain.conversation import Turn
from vellarys.domain.guardrail import money_amounts
from vellarys.domain.knowledge_answer import answer_question
from vellarys.domain.listing_facts import answer_facts, asked_facts, monthly_cost
from vellarys.domain.llm import ToolCall
from vellarys.domain.ports import Embedder
from vellarys.domain.prompt import HANDOFF_REASONS, validate_profile_update
from vellarys.errors import LLMError
from vellarys.services import knowledge, llm_visits, property_search
from vellarys.services.deps import PipelineDeps
from vellarys.services.visits import VisitReply


class ToolTurn(Protocol):
    """What a tool needs of the turn."""

    @property
    def session(self) -> AsyncSession: ...
    @property
    def embedder(self) -> Embedder | None: ...
    @property
    def tenant_id(self) -> uuid.UUID: ...
    @property
    def text(self) -> str: ...
    @property
    def settings(self) -> Mapping[str, Any]: ...
    @property
    def lead(self) -> Lead | None: ...
    @property
    def deps(self) -> PipelineDeps | None: ...
    @property
    def history(self) -> Sequence[Turn]: ...


@dataclass
class ToolState:
    """What the tools returned during one reply: the only facts the answer may state."""

    profile: dict[str, Any]
    codes: set[str] = field(default_factory=set)
    amounts: set[float] = field(default_factory=set)
    shown: list[str] = field(default_factory=list)
    handoff_reason: str | None = None
    route: str | None = None
    handoff_note: str | None = None
    open_question: str | None = None
    iptu_period: str = "year"

    def allow_hit(self, hit: PropertyHit) -> dict[str, Any]:
        """The listing as a tool returns it, with the sums leads ask about: the monthly total
        of a rent (IPTU labelled with its period) and how far the price is above the budget."""
        self.codes.add(hit.code)
        if hit.code not in self.shown:
            self.shown.append(hit.code)
        derived = self._derived(hit)
        for value in (hit.price, hit.condo_fee, hit.iptu, *derived.values()):
            if isinstance(value, int) and value:
                self.amounts.add(float(value))
        return {
            "code": hit.code,
            "title": hit.title,
            "type": hit.property_type,
            "transaction": hit.transaction,
            "price": hit.price,
            "condo_fee": hit.condo_fee,
            "iptu": hit.iptu,
            "bedrooms": hit.bedrooms,
            "suites": hit.suites,
            "parking": hit.parking,
            "area_m2": hit.area_m2,
            "neighborhood": hit.neighborhood,
            "city": hit.city,
            "features": list(hit.features),
            "iptu_period": "por ano" if self.iptu_period == "year" else "por mês",
            **derived,
        }

    def _derived(self, hit: PropertyHit) -> dict[str, Any]:
        derived: dict[str, Any] = {}
        if hit.transaction == "rent":
            derived["monthly_total"] = monthly_cost(hit, iptu_period=self.iptu_period)
        budget = self.profile.get("budget_max")
        if isinstance(budget, int | float) and not isinstance(budget, bool) and budget > 0:
            derived["over_budget_by"] = max(0, hit.price - int(budget))
        return derived


async def run_tool(turn: ToolTurn, state: ToolState, call: ToolCall) -> Any:
    runner = _TOOLS.get(call.name)
    if runner is None:
        raise LLMError(f"the model called an unknown tool {call.name!r}")
    return await runner(turn, state, call.arguments)


async def _search_properties(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    if turn.embedder is None:
        return {"error": "property search is unavailable"}
    wanted = qualification.merge(state.profile, validate_profile_update(args))
    search = await property_search.search_properties(
        turn.session,
        turn.embedder,
        tenant_id=turn.tenant_id,
        profile=wanted,
        text=str(args.get("query") or turn.text),
        k=3,
    )
    return {
        "properties": [state.allow_hit(h) for h in search.hits],
        "relaxed_filters": list(search.widened),
    }


async def _lookup_property(
    turn: ToolTurn, state: ToolState, args: dict[str, Any]
) -> dict[str, Any]:
    hit = await property_search.lookup_code(
        turn.session, tenant_id=turn.tenant_id, code=str(args.get("code") or "")
    )
    if hit is None:
        state.codes.add(str(args.get("code") or ""))  # "Não encontrei o AP9999" is true
        return {"error": "no listing with that code"}
    return {"property": state.allow_hit(hit)}


async def _search_knowledge(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    if turn.embedder is None:
        return {"error": "knowledge search is unavailable"}
    hits = await knowledge.search_knowledge(
        turn.session,
        turn.embedder,
        tenant_id=turn.tenant_id,
        query=str(args.get("question") or turn.text),
        k=3,
    )
    found = answer_question(hits, str(args.get("question") or turn.text))
    if found is None:
        return {
            "answer": None,
            "note": "nothing in the documents answers this; say a broker "
            "will confirm and call record_open_question",
        }
    state.amounts |= {float(a) for a in money_amounts(found.text)}
    return {"answer": found.text, "documents": list(found.documents)}


async def _simulate(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    """The shared calculator: the FGTS counts as down payment (R$ 400k, R$ 80k FGTS: 320k)."""
    try:
        price = Decimal(str(args["price"]))
        down = args.get("down_payment")
        result = costs.loan(
            price,
            fgts=Decimal(str(args.get("fgts") or 0)),
            down_payment=Decimal(str(down)) if down is not None else None,
            years=int(args.get("years") or costs.YEARS),
            annual_rate=Decimal(str(args.get("annual_rate") or costs.ANNUAL_RATE)),
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        return {"error": f"invalid simulation: {exc}"}
    chosen = result.sac if args.get("system") == "sac" else result.price_table
    figures = {
        "price": price,
        "fgts": result.fgts,
        "down_payment": result.down_payment,
        "financed": chosen.financed,
        "first_installment": chosen.first_installment,
        "last_installment": chosen.last_installment,
        "total_paid": chosen.total_paid,
        "sac_first_installment": result.sac.first_installment,
        "price_installment": result.price_table.first_installment,
    }
    state.amounts |= {float(v) for v in figures.values() if v}
    return {k: float(v) for k, v in figures.items()} | {
        "months": chosen.months,
        "system": chosen.system,
        "below_min_down": result.below_min_down,
    }


async def _listing_facts(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    hit = await property_search.lookup_code(
        turn.session, tenant_id=turn.tenant_id, code=str(args.get("code") or "")
    )
    if hit is None:
        return {"error": "no listing with that code"}
    state.allow_hit(hit)
    facts = [str(f) for f in args.get("facts") or []] or asked_facts(turn.text)
    found = answer_facts(
        hit,
        facts,
        iptu_period=str(turn.settings.get("iptu_period") or "year"),
        question=turn.text,
    )
    for line in found.lines:
        state.amounts |= {float(a) for a in money_amounts(line)}
    return {"facts": list(found.lines), "not_in_listing": list(found.unknown)}


async def _purchase_costs(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    try:
        found = costs.purchase_costs(
            Decimal(str(args["price"])),
            city=str(args.get("city") or "") or None,
            financed=bool(args.get("financed")),
            rates=turn.settings.get("itbi_rates") or {},
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        return {"error": f"invalid price: {exc}"}
    figures: dict[str, Any] = {
        "itbi": found.itbi.amount,
        "itbi_rate": float(found.itbi.rate),
        "registry": list(found.registry),
        "certificates": list(found.certificates),
        "deed": list(found.deed) if found.deed else None,
        "bank_appraisal": list(found.appraisal) if found.appraisal else None,
        "total": list(found.total),
    }
    state.amounts |= {float(found.price), float(found.itbi.amount)}
    for pair in (found.registry, found.certificates, found.deed, found.appraisal, found.total):
        state.amounts |= {float(v) for v in pair or ()}
    return json.loads(json.dumps(figures, default=float))


async def _affordability(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    try:
        found = costs.affordability(
            Decimal(str(args["monthly_income"])), savings=Decimal(str(args.get("savings") or 0))
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        return {"error": f"invalid income: {exc}"}
    figures = {
        "monthly_income": found.income,
        "max_instalment": found.max_instalment,
        "max_loan": found.max_loan,
        "max_price": found.max_price,
    }
    state.amounts |= {float(v) for v in figures.values()}
    return {k: float(v) for k, v in figures.items()}


async def _record_open_question(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    question = str(args.get("question") or turn.text).strip()[:240]
    state.open_question = question or None
    return {"recorded": bool(question)}


async def _update_profile(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    update = validate_profile_update(args)
    state.profile = qualification.merge(state.profile, update)
    state.amounts |= {float(v) for k, v in update.items() if k.startswith("budget_") and v}
    return {"saved": sorted(update)}


_ROUTES = {"owner": "listings", "client": "support"}


async def _hand_off(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    """Owners go to whoever takes listings, clients to whoever serves them; the note goes
    with the handoff to the person who takes over."""
    reason = str(args.get("reason") or "")
    state.handoff_reason = reason if reason in HANDOFF_REASONS else "requested"
    state.route = _ROUTES.get(state.handoff_reason)
    note = " ".join(str(args.get("note") or "").split())[:300]
    state.handoff_note = note or None
    return {"ok": True, "note": "a person will take over after this reply"}


async def _visit(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    """Offer slots, book the chosen one (the lead is then handed over hot), cancel."""
    if turn.lead is None or turn.deps is None:
        return {"error": "visits are unavailable"}
    session, deps, lead, action = turn.session, turn.deps, turn.lead, args.get("action")
    if action == "offer":
        code = str(args.get("code") or "").strip().upper()
        when = str(args.get("when") or turn.text)
        offer = await llm_visits.offer_slots(
            session, deps, lead=lead, code=code, text=when, history=turn.history
        )
        if offer is None:
            return {"error": "no free slot or no such listing: say a broker will arrange it"}
        state.codes.add(offer.code)
        slots = dict(enumerate(offer.labels, 1))
        return {"code": offer.code, "broker": offer.broker, "slots": slots} | (
            {"not_available": offer.missed} if offer.missed else {}
        )
    if action == "book":
        booked = await llm_visits.book_offered(
            session, deps, lead=lead, choice=_whole(args.get("slot")), history=turn.history
        )
        return _visit_result(state, booked)
    if action == "cancel":
        cancelled = await llm_visits.cancel_open(session, deps, lead=lead)
        return _visit_result(state, cancelled)
    return await llm_visits.open_visit(session, deps, lead=lead) or {"visits": None}


def _visit_result(state: ToolState, done: VisitReply | None) -> dict[str, Any]:
    if done is None:
        return {"error": "no such slot or visit"}
    state.amounts |= {float(a) for a in money_amounts(done.messages[0])}
    return {"result": done.messages[0]}


def _whole(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


async def _listing(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    """The listing by code and, when the lead asked about some, those facts from its fields."""
    found = await _lookup_property(turn, state, args)
    if "property" in found and (args.get("facts") or asked_facts(turn.text)):
        found |= await _listing_facts(turn, state, args)
    return found


_CALCULATIONS = {
    "financing": _simulate,
    "purchase_costs": _purchase_costs,
    "affordability": _affordability,
}


async def _calculate(turn: ToolTurn, state: ToolState, args: dict[str, Any]) -> Any:
    runner = _CALCULATIONS.get(str(args.get("what") or ""))
    if runner is None:
        return {"error": "what must be one of " + ", ".join(_CALCULATIONS)}
    return await runner(turn, state, args)


_TOOLS = {
    "listing": _listing,
    "calculate": _calculate,
    "visit": _visit,
    "search_properties": _search_properties,
    "lookup_property": _lookup_property,
    "search_knowledge": _search_knowledge,
    "simulate_financing": _simulate,
    "listing_facts": _listing_facts,
    "purchase_costs": _purchase_costs,
    "affordability": _affordability,
    "record_open_question": _record_open_question,
    "update_lead_profile": _update_profile,
    "hand_off": _hand_off,
}
# Tools whose result the model does not need to write its answer: text that comes with
# them is the reply, with no further round.
FIRE_AND_FORGET = frozenset({"hand_off", "update_lead_profile", "record_open_question"})
