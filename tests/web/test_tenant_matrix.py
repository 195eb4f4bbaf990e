"""The tenant wall as a matrix: every route x {anonymous, broker, manager, admin, another
agency's admin} x {own object, foreign object} -> the expected outcome. A foreign object is a 404, never a 403
that would confirm it exists. A new route fails `test_every_route_is_in_the_matrix` until it
is added here."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import text

from tests.web.conftest import PASSWORD, Dashboard, add_agency, add_lead, csrf_of
from vellarys.asgi import create_app
from vellarys.db.models import (
    BrokerBlock,
    Channel,
    KnowledgeDocument,
    LgpdRequest,
    MediaFile,
    Opportunity,
    Property,
    QuickReply,
    User,
    Visit,
    WebhookEndpoint,
)
from vellarys.db.uow import unit_of_work
from vellarys.domain.password import hash_password
from vellarys.services.api_keys import create_api_key
from vellarys.services.demo import DEMO_LOGIN, DEMO_SLUG
from vellarys.services.operators import create_operator

PERSONAS = ("anonymous", "broker", "manager", "admin", "other_admin", "operator")
OPERATOR = "operador@matriz.local"
OK, LOGIN, FORBIDDEN, MISSING = "ok", "login", "forbidden", "missing"
MANAGER = "gerente@matriz.local"


@dataclass(frozen=True)
class Rule:
    kind: str  # public | web | api | webhook | static
    obj: str | None = None  # lead | property | document | channel | user | opportunity
    admin_only: bool = False  # brokers are refused
    managers: bool = False  # ... but managers are let in (not channels, keys, users, settings)
    data: dict[str, Any] = field(default_factory=dict)


def M(kind: str, obj: str | None = None, **rest: Any) -> Rule:
    """A route for admins and managers only."""
    return Rule(kind, obj, admin_only=True, managers=True, **rest)


WEB, API = "web", "api"
R = Rule
MATRIX: dict[tuple[str, str], Rule] = {
    ("GET", "/openapi.json"): R("public"), ("GET", "/docs"): R("public"),
    ("GET", "/docs/oauth2-redirect"): R("public"), ("GET", "/redoc"): R("public"),
    # Operator-only routes answer these loopback clients; tests/api/test_operator_endpoints.py
    # covers remote clients and the token.
    ("GET", "/health"): R("public"), ("GET", "/health/pool"): R("public"),
    ("GET", "/health/detailed"): R("public"), ("GET", "/metrics"): R("public"),
    ("GET", "/static"): R("static"),
    ("GET", "/webhooks/{provider}/{key}"): R("webhook"),
    ("POST", "/webhooks/{provider}/{key}"): R("webhook"),
    ("POST", "/portal-leads/{key}"): R("webhook"),
    ("GET", "/login"): R("public"), ("POST", "/login"): R("login_form"),
    ("POST", "/logout"): R(WEB),
    ("GET", "/account/password"): R(WEB),
    ("GET", "/account"): R(WEB), ("POST", "/account/push"): R(WEB, data={"push_handoff": "on"}),
    # A form post is not a subscription: 400 for any signed-in user (test_push.py posts JSON).
    ("POST", "/account/push/subscribe"): R(WEB),
    # Only the user's own devices are removed (test_push.py); an unknown id changes nothing.
    ("POST", "/account/push/devices/{device_id}/forget"): R(WEB),
    ("GET", "/manifest.webmanifest"): R("public"), ("GET", "/sw.js"): R("public"),
    ("GET", "/offline"): R("public"),
    ("POST", "/account/password"): R(WEB, data={"current_password": "errada"}),
    ("GET", "/reset/{token}"): R("public"), ("POST", "/reset/{token}"): R("public"),
    ("GET", "/"): R(WEB),
    ("GET", "/leads"): R(WEB), ("GET", "/leads/export.csv"): R(WEB),
    ("POST", "/leads"): R(WEB, data={"phone": "+5511977776666", "name": "Lead à mão"}),
    ("POST", "/leads/import"): M(WEB),
    ("POST", "/leads/{lead_id}/edit"): R(WEB, "lead", data={"name": "Nome novo", "tags": "vip"}),
    ("POST", "/leads/{lead_id}/opportunities"): R(WEB, "lead", data={"code": "NAO-EXISTE"}),
    ("POST", "/opportunities/{opportunity_id}"): R(WEB, "opportunity", data={"stage": "proposal"}),
    ("GET", "/board"): R(WEB),
    ("POST", "/board/{lead_id}/stage"): R(WEB, "lead", data={"stage": "qualifying"}),
    ("GET", "/leads/{lead_id}"): R(WEB, "lead"),
    ("GET", "/leads/{lead_id}/messages"): R(WEB, "lead"),
    ("GET", "/leads/{lead_id}/ai"): R(WEB, "lead", admin_only=True),
    ("POST", "/leads/{lead_id}/take-over"): R(WEB, "lead"),
    ("POST", "/leads/{lead_id}/give-back"): R(WEB, "lead"),
    ("POST", "/leads/{lead_id}/reply"): R(WEB, "lead", data={"text": "Olá, aqui é o corretor."}),
    ("POST", "/leads/{lead_id}/assign"): R(WEB, "lead", data={"user_id": ""}),
    ("POST", "/leads/{lead_id}/notes"): R(WEB, "lead", data={"body": "Ligar amanhã."}),
    ("POST", "/leads/{lead_id}/stage"): R(WEB, "lead", data={"stage": "qualifying"}),
    ("GET", "/media/{message_id}"): R(WEB, "media"),
    ("GET", "/inbox"): R(WEB), ("GET", "/inbox/list"): R(WEB), ("GET", "/inbox/unread"): R(WEB),
    # A live stream never ends inside httpx's ASGI transport: signed-in access is tested over
    # real HTTP in tests/web/test_inbox.py; here only that it asks for a login.
    ("GET", "/inbox/events"): R("stream"),
    ("GET", "/inbox/{lead_id}"): R(WEB, "lead"),
    ("GET", "/inbox/{lead_id}/messages"): R(WEB, "lead"),
    ("POST", "/inbox/{lead_id}/reply"): R(WEB, "lead", data={"text": "Olá, aqui é o corretor."}),
    ("POST", "/inbox/{lead_id}/file"): R(WEB, "lead"),
    ("POST", "/inbox/{lead_id}/archive"): R(WEB, "lead"),
    ("POST", "/inbox/{lead_id}/unarchive"): R(WEB, "lead"),
    ("GET", "/inbox/quick-replies"): R(WEB),
    ("POST", "/inbox/quick-replies"): R(WEB, data={"shortcut": "mx", "body": "Oi {nome}"}),
    ("POST", "/inbox/quick-replies/{reply_id}"): R(WEB, "quick_reply",
                                                   data={"shortcut": "mx2", "body": "Oi"}),
    ("POST", "/inbox/quick-replies/{reply_id}/delete"): R(WEB, "quick_reply"),
    ("POST", "/simulator/upload"): R(WEB),
    ("GET", "/properties"): R(WEB),
    ("GET", "/properties/new"): M(WEB),
    ("POST", "/properties"): M(WEB),
    ("GET", "/properties/{prop_id}/edit"): M(WEB, "property"),
    ("POST", "/properties/{prop_id}/edit"): M(WEB, "property"),
    ("POST", "/properties/{prop_id}/deactivate"): M(WEB, "property"),
    ("POST", "/properties/{prop_id}/activate"): M(WEB, "property"),
    ("POST", "/properties/import"): M(WEB),
    ("POST", "/properties/feed"): M(WEB),
    ("POST", "/properties/{prop_id}/broker"): M(WEB, "property", data={"user_id": ""}),
    ("GET", "/knowledge"): R(WEB),
    ("POST", "/knowledge"): M(WEB),
    ("POST", "/knowledge/{document_id}/delete"): M(WEB, "document"),
    ("GET", "/settings"): R(WEB, admin_only=True), ("POST", "/settings"): R(WEB, admin_only=True),
    ("POST", "/settings/support"): R(WEB, admin_only=True, data={"hours": "24"}),
    ("POST", "/settings/support/revoke"): R(WEB, admin_only=True),
    ("POST", "/settings/loss-reasons"): R(WEB, admin_only=True, data={"reasons": "Preço\nOutro"}),
    ("GET", "/channels"): R(WEB, admin_only=True), ("POST", "/channels"): R(WEB, admin_only=True),
    ("POST", "/channels/{channel_id}/test"): R(WEB, "channel", admin_only=True,
                                               data={"phone": "+5511988887777"}),
    ("POST", "/channels/{channel_id}/templates"): R(WEB, "channel", admin_only=True, data={
        "template_name": "retomada", "template_purpose": "follow_up"}),
    ("POST", "/channels/{channel_id}/templates/remove"): R(WEB, "channel", admin_only=True,
                                                           data={"template_name": "nenhum"}),
    ("GET", "/integrations"): R(WEB, admin_only=True),
    ("POST", "/integrations/portal"): R(WEB, admin_only=True),
    ("POST", "/integrations/webhooks"): R(WEB, admin_only=True, data={
        "url": "https://crm.example/hook", "event:lead.created": "on"}),
    ("POST", "/integrations/webhooks/{endpoint_id}/test"): R(WEB, "webhook", admin_only=True),
    ("POST", "/integrations/webhooks/{endpoint_id}/delete"): R(WEB, "webhook", admin_only=True),
    ("GET", "/reengagement"): M(WEB),
    ("POST", "/reengagement/cancel"): M(WEB),
    ("POST", "/reengagement/send"): M(WEB),
    ("GET", "/reports"): M(WEB), ("GET", "/reports.csv"): M(WEB),
    ("GET", "/reports.xlsx"): M(WEB), ("GET", "/reports.pdf"): M(WEB),
    ("POST", "/reports/goals/{user_id}"): R(WEB, "user", admin_only=True,
                                            data={"month": "2026-12", "visits": "4", "won": "1"}),
    ("POST", "/reports/agency-goal"): R(WEB, admin_only=True, data={
        "month": "2026-12", "leads": "40", "visits": "10", "won": "3"}),
    ("GET", "/notifications"): R(WEB, admin_only=True),
    ("GET", "/outbox"): R(WEB, admin_only=True),
    ("GET", "/lgpd"): R(WEB, admin_only=True),
    ("GET", "/lgpd/{request_id}/export.json"): R(WEB, "lgpd", admin_only=True),
    ("POST", "/lgpd/{request_id}/done"): R(WEB, "lgpd", admin_only=True),
    ("POST", "/lgpd/{request_id}/erase"): R(WEB, "lgpd", admin_only=True),
    # The operator's console: operators only, every agency; a 404 for agency staff.
    ("GET", "/console"): R("console"), ("GET", "/console/audit"): R("console"),
    ("GET", "/console/logins"): R("console"),
    ("POST", "/console/plans"): R("console", data={"name": "Matriz", "max_brokers": "9"}),
    ("POST", "/console/agencies/{slug}/plan"): R("console", "agency", data={"plan_id": ""}),
    ("POST", "/console/agencies/{slug}/features"): R("console", "agency"),
    ("POST", "/console/agencies/{slug}/active"): R("console", "agency", data={"active": "1"}),
    # An incomplete form: 400 for the operator (test_console_agencies.py creates agencies).
    ("POST", "/console/agencies"): R("console", data={"name": "Matriz"}),
    # Support views: 404 for everyone signed in until an agency's admin grants access
    # (test_console_agencies.py covers the grant, the revocation and the expiry).
    ("GET", "/console/agencies/{slug}/leads"): R("support", "agency"),
    ("GET", "/console/support/leads/{lead_id}"): R("support", "lead"),
    ("GET", "/notifications/bell"): R(WEB, admin_only=True),
    ("POST", "/notifications/read"): R(WEB, admin_only=True),
    ("POST", "/notifications/preferences"): R(WEB, admin_only=True),
    ("GET", "/users"): R(WEB, admin_only=True), ("POST", "/users"): R(WEB, admin_only=True),
    ("POST", "/users/{user_id}/deactivate"): R(WEB, "user", admin_only=True),
    ("POST", "/users/{user_id}/activate"): R(WEB, "user", admin_only=True),
    ("POST", "/users/{user_id}/reset-link"): R(WEB, "user", admin_only=True),
    ("POST", "/users/{user_id}/sessions/revoke"): R(WEB, "user", admin_only=True),
    ("GET", "/visits"): R(WEB),
    ("GET", "/visits/{visit_id}.ics"): R(WEB, "visit"),
    ("POST", "/visits/{visit_id}/outcome"): R(WEB, "visit", data={"outcome": "done"}),
    ("POST", "/visits/{visit_id}/confirm"): R(WEB, "visit"),
    ("POST", "/visits/settings"): R(WEB, admin_only=True, data={
        "visit_minutes": "45", "visit_buffer_minutes": "15", "visit_notice_hours": "2"}),
    # A broker edits their own availability only: another user's is refused like admin pages.
    ("GET", "/visits/availability/{user_id}"): R(WEB, "user", admin_only=True),
    ("POST", "/visits/availability/{user_id}/week"): R(WEB, "user", admin_only=True,
                                                      data={"day_mon": "09:00-12:00"}),
    ("POST", "/visits/availability/{user_id}/blocks"): R(WEB, "user", admin_only=True, data={
        "kind": "vacation", "starts_at": "2030-01-02T00:00", "ends_at": "2030-01-10T00:00"}),
    ("POST", "/visits/availability/{user_id}/blocks/{block_id}/delete"): R(WEB, "block",
                                                                          admin_only=True),
    ("POST", "/users/{user_id}/profile"): R(WEB, "user", admin_only=True,
                                           data={"daily_lead_cap": "5", "available": "on"}),
    ("GET", "/simulator"): R(WEB), ("GET", "/simulator/chat"): R(WEB),
    ("POST", "/simulator/send"): R(WEB, data={"text": "Oi"}),
    ("POST", "/simulator/reset"): R(WEB),
    ("GET", "/api/v1/leads"): R(API), ("GET", "/api/v1/leads/{lead_id}"): R(API, "lead"),
    ("POST", "/api/v1/leads"): R(API, data={"phone": "+5511988880000"}),
    ("PATCH", "/api/v1/leads/{lead_id}"): R(API, "lead", data={"stage": "qualifying"}),
    ("GET", "/api/v1/leads/{lead_id}/messages"): R(API, "lead"),
    ("POST", "/api/v1/leads/{lead_id}/messages"): R(API, "lead", data={"text": "Olá!"}),
    ("GET", "/api/v1/leads/{lead_id}/export"): R(API, "lead"),
    ("POST", "/api/v1/leads/{lead_id}/take-over"): R(API, "lead"),
    ("POST", "/api/v1/leads/{lead_id}/give-back"): R(API, "lead"),
    ("POST", "/api/v1/leads/{lead_id}/erase"): R(API, "lead"),
    ("GET", "/api/v1/properties"): R(API),
    ("GET", "/api/v1/properties/{property_id}"): R(API, "property"),
    ("POST", "/api/v1/properties"): R(API),
    ("PATCH", "/api/v1/properties/{property_id}"): R(API, "property", data={"price": 500000}),
    ("DELETE", "/api/v1/properties/{property_id}"): R(API, "property"),
    ("POST", "/api/v1/properties/import"): R(API),
    ("POST", "/api/v1/knowledge"): R(API), ("POST", "/api/v1/knowledge/upload"): R(API),
    ("GET", "/api/v1/knowledge"): R(API),
    ("DELETE", "/api/v1/knowledge/{document_id}"): R(API, "document"),
    ("GET", "/api/v1/handoffs"): R(API), ("GET", "/api/v1/handoffs/{handoff_id}"): R(API, "handoff"),
}  # fmt: skip


def _routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        methods = context.methods or {"GET"}
        for method in methods - {"HEAD"}:
            found.add((method, str(context.path)))
    return found


def test_every_route_is_in_the_matrix(app_without_database: FastAPI) -> None:
    app = app_without_database
    assert _routes(app) - set(MATRIX) == set(), "add the new routes to MATRIX"
    assert set(MATRIX) - _routes(app) == set(), "remove routes that no longer exist"


@dataclass
class World:
    dashboard: Dashboard
    tenants: dict[str, uuid.UUID]
    clients: dict[str, httpx.AsyncClient]
    keys: dict[str, str]


async def _client(dashboard: Dashboard) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(dashboard.container))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _signed_in(dashboard: Dashboard, email: str, password: str) -> httpx.AsyncClient:
    http = await _client(dashboard)
    page = await http.get("/login")
    done = await http.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page)}
    )
    assert done.status_code in (302, 303), done.text[:300]
    return http


@pytest.fixture
async def world(dashboard: Dashboard) -> AsyncIterator[World]:
    other, other_email = await add_agency(dashboard.container, "outra-matriz")
    async with unit_of_work(dashboard.container.sessions) as session:
        broker = (await session.execute(text(
            "SELECT email FROM users WHERE tenant_id = :t AND role = 'broker' LIMIT 1"
        ), {"t": dashboard.tenant_id})).scalar_one()  # fmt: skip
        _, own_key = await create_api_key(session, tenant_id=dashboard.tenant_id, name="matriz")
        session.add(User(tenant_id=dashboard.tenant_id, email=MANAGER, name="Gerente Matriz",
                         role="manager", password_hash=hash_password(PASSWORD)))  # fmt: skip
        _, other_key = await create_api_key(session, tenant_id=other, name="matriz")
        await create_operator(session, email=OPERATOR, name="Operador", password=PASSWORD)
    clients = {
        "anonymous": await _client(dashboard),
        "broker": await _signed_in(dashboard, broker, DEMO_LOGIN[1]),
        "manager": await _signed_in(dashboard, MANAGER, PASSWORD),
        "admin": await _signed_in(dashboard, *DEMO_LOGIN),
        "other_admin": await _signed_in(dashboard, other_email, PASSWORD),
        "operator": await _signed_in(dashboard, OPERATOR, PASSWORD),
    }
    yield World(dashboard, {"demo": dashboard.tenant_id, "outra": other}, clients,
                {"own": own_key, "other": other_key})  # fmt: skip
    for http in clients.values():
        await http.aclose()


async def _make(world: World, kind: str, tenant_id: uuid.UUID) -> str:
    container, suffix = world.dashboard.container, uuid.uuid4().hex[:8]
    if kind == "lead":
        return str(await add_lead(container, tenant_id))
    if kind == "agency":
        return DEMO_SLUG if tenant_id == world.tenants["demo"] else "outra-matriz"
    if kind == "lgpd":
        lead_id = await add_lead(container, tenant_id)
        async with unit_of_work(container.sessions) as session:
            request = LgpdRequest(tenant_id=tenant_id, lead_id=lead_id, kind="access",
                                  created_at=datetime.now(UTC))  # fmt: skip
            session.add(request)
            await session.flush()
            return str(request.id)
    async with unit_of_work(container.sessions) as session:
        thing: Any
        if kind == "property":
            thing = Property(tenant_id=tenant_id, code=f"MX{suffix[:5]}", title="Apto matriz",
                             property_type="apartment", transaction="sale", price=500000,
                             neighborhood="Pinheiros", city="São Paulo")  # fmt: skip
        elif kind == "document":
            thing = KnowledgeDocument(tenant_id=tenant_id, title="Doc", source_type="text",
                                      content="Texto.", content_hash=suffix, status="ready")  # fmt: skip
        elif kind == "channel":
            thing = Channel(tenant_id=tenant_id, provider="simulator", name="Sim",
                            identity=f"sim-{suffix}", webhook_key=suffix)  # fmt: skip
        elif kind == "webhook":
            thing = WebhookEndpoint(tenant_id=tenant_id, url="https://crm.example/hook",
                                    events=["lead.created"], secret="sealed")  # fmt: skip
        elif kind == "quick_reply":
            thing = QuickReply(tenant_id=tenant_id, shortcut=f"mx{suffix}", body="Oi {nome}")
        elif kind == "user":
            thing = User(tenant_id=tenant_id, email=f"mx-{suffix}@x.local", name="Corretor",
                         role="broker", password_hash=hash_password(PASSWORD))  # fmt: skip
        elif kind == "media":
            message_id = uuid.uuid4()
            await session.execute(text(
                "INSERT INTO messages (id, tenant_id, lead_id, role, direction, type, status) "
                "VALUES (:m, :t, :l, 'user', 'inbound', 'audio', 'received')"
            ), {"m": message_id, "t": tenant_id, "l": await add_lead(container, tenant_id)})  # fmt: skip
            thing = MediaFile(tenant_id=tenant_id, message_id=message_id, kind="audio",
                              content_type="audio/ogg", size=4, sha256="0" * 64, data=b"OggS",
                              expires_at=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
            session.add(thing)
            await session.flush()
            return str(message_id)
        elif kind == "visit":
            lead_id = await add_lead(container, tenant_id)
            starts = datetime.now(UTC) + timedelta(days=2)
            thing = Visit(tenant_id=tenant_id, lead_id=lead_id, property_code="MX1",
                          starts_at=starts, ends_at=starts + timedelta(minutes=45))  # fmt: skip
        elif kind == "block":
            user = User(tenant_id=tenant_id, email=f"mb-{suffix}@x.local", name="Corretor",
                        role="broker", password_hash=hash_password(PASSWORD))  # fmt: skip
            session.add(user)
            await session.flush()
            block = BrokerBlock(tenant_id=tenant_id, user_id=user.id, kind="appointment",
                                starts_at=datetime.now(UTC), ends_at=datetime.now(UTC) + timedelta(hours=1))  # fmt: skip
            session.add(block)
            await session.flush()
            return f"{user.id}/blocks/{block.id}"
        elif kind == "opportunity":
            lead_id = await add_lead(container, tenant_id)
            listing = Property(tenant_id=tenant_id, code=f"OP{suffix[:5]}", title="Apto",
                               property_type="apartment", transaction="sale", price=500000,
                               neighborhood="Pinheiros", city="São Paulo")  # fmt: skip
            session.add(listing)
            await session.flush()
            thing = Opportunity(tenant_id=tenant_id, lead_id=lead_id, property_id=listing.id)
        elif kind == "handoff":
            lead_id = await add_lead(container, tenant_id)
            await session.execute(text(
                "INSERT INTO handoffs (id, tenant_id, lead_id, reason) VALUES (:i, :t, :l, 'manual')"
            ), {"i": (hid := uuid.uuid4()), "t": tenant_id, "l": lead_id})  # fmt: skip
            return str(hid)
        else:
            raise AssertionError(kind)
        session.add(thing)
        await session.flush()
        return str(thing.id)


def _expected(rule: Rule, persona: str, whose: str) -> str:
    if rule.kind == "console":
        return {"operator": OK, "anonymous": LOGIN}.get(persona, MISSING)
    if rule.kind == "support":
        return LOGIN if persona == "anonymous" else MISSING
    if persona == "operator":
        persona = "anonymous"  # outside every agency: no agency page, lead or API key
    if rule.kind in ("public", "static"):
        return OK
    if rule.kind == "webhook":
        return MISSING
    if rule.kind == "login_form":
        return LOGIN  # no credentials posted: 401 for everyone
    if rule.kind == "stream":
        return LOGIN if persona == "anonymous" else OK
    if persona == "anonymous":
        return LOGIN
    if rule.kind == WEB and rule.admin_only and persona == "broker":
        return FORBIDDEN
    if rule.kind == WEB and rule.admin_only and not rule.managers and persona == "manager":
        return FORBIDDEN
    if rule.obj is not None and whose == "foreign":
        return MISSING
    return OK


def _outcome(response: httpx.Response) -> str:
    status = response.status_code
    location = response.headers.get("location", "")
    if status in (401,) or (status in (302, 303, 307) and "/login" in location):
        return LOGIN
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return MISSING
    return OK if status < 500 else f"error {status}"


async def _call(world: World, method: str, path: str, rule: Rule, persona: str,
                whose: str) -> httpx.Response:  # fmt: skip
    home = "outra" if persona == "other_admin" else "demo"
    owner = home if whose == "own" else ("demo" if home == "outra" else "outra")
    url = path
    if rule.obj is not None:
        object_id = await _make(world, rule.obj, world.tenants[owner])
        url = path.split("{")[0] + object_id + path.rsplit("}", 1)[1]
    if rule.kind == "webhook":
        url = path.replace("{provider}", "meta").replace("{key}", "no-such-key")
    if rule.kind == "static":
        url = "/static/vendor/htmx.min.js"
    http = world.clients[persona]
    if rule.kind == API:
        key = {"anonymous": None, "operator": None, "other_admin": world.keys["other"]}.get(
            persona, world.keys["own"]
        )
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        body = _api_body(path, rule)
        return await http.request(method, url, headers=headers, **body)
    if method == "GET":
        return await http.get(url)
    data = dict(rule.data)
    # Everyone posts a valid CSRF token, so what is tested is who may act, not the token.
    page = {"anonymous": "/login", "operator": "/console"}.get(persona, "/leads")
    data["csrf_token"] = csrf_of(await http.get(page))
    return await http.post(url, data=data)


def _api_body(path: str, rule: Rule) -> dict[str, Any]:
    if path.endswith("/upload"):
        return {"files": {"file": ("faq.md", b"# FAQ\n\nTexto.", "text/markdown")}}
    if path == "/api/v1/properties":
        return {"json": {"code": f"API{uuid.uuid4().hex[:5]}", "title": "Casa", "property_type": "house",
                         "transaction": "sale", "price": 900000, "neighborhood": "Moema",
                         "city": "São Paulo"}}  # fmt: skip
    if path.endswith("/properties/import"):
        return {"json": []}
    if path == "/api/v1/knowledge":
        return {"json": {"title": "FAQ", "content": "Texto.", "source_type": "text"}}
    return {"json": rule.data} if rule.data else {}


@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_tenant_matrix(world: World, persona: str) -> None:
    failures = []
    for (method, path), rule in sorted(MATRIX.items(), key=lambda item: item[0][1]):
        if path == "/logout":
            continue  # ends the session every other row needs; covered by the login tests
        if rule.kind == "stream" and persona != "anonymous":
            continue  # see MATRIX
        for whose in ("own", "foreign") if rule.obj else ("own",):
            response = await _call(world, method, path, rule, persona, whose)
            got, want = _outcome(response), _expected(rule, persona, whose)
            if got != want:
                failures.append(f"{persona} {method} {path} ({whose}): {want} expected, got "
                                f"{response.status_code} {got}")  # fmt: skip
    assert failures == []
