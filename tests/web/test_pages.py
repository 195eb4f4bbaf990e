"""Dashboard pages, asserted on parsed HTML: accounts, overview, leads, lead page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.web.conftest import (
    PASSWORD,
    Dashboard,
    add_agency,
    add_lead,
    csrf_of,
    soup,
    user_id,
)
from vellarys.db.models import Message
from vellarys.db.uow import unit_of_work
from vellarys.services.audit import Actor
from vellarys.services.staff import create_user

BROKER = "marcos.toledo@demo.local"
OTHER_BROKER = "juliana.ferraz@demo.local"


async def test_every_page_sends_an_anonymous_visitor_to_login(dashboard: Dashboard) -> None:
    for path in [
        "/",
        "/leads",
        "/properties",
        "/knowledge",
        "/settings",
        "/channels",
        "/users",
        "/simulator",
        f"/leads/{uuid.uuid4()}",
    ]:
        response = await dashboard.http.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


async def test_login_sets_an_httponly_lax_cookie_and_shows_the_agency(dashboard: Dashboard) -> None:
    response = await dashboard.login()
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = soup(await dashboard.http.get("/"))
    assert "Casa Paulista Imóveis" in page.select_one(".who").get_text()


async def test_wrong_password_shows_a_message_and_the_sixth_try_is_rate_limited(
    dashboard: Dashboard,
) -> None:
    for _ in range(5):
        response = await dashboard.login(password="errada-123")
        assert response.status_code == 401
        assert "incorretos" in soup(response).select_one(".alert.error").get_text()
    response = await dashboard.login()  # even the right password waits out the window
    assert response.status_code == 429
    assert "Muitas tentativas" in soup(response).select_one(".alert.error").get_text()
    assert await dashboard.scalar("SELECT count(*) FROM login_attempts") == 5


async def test_a_form_posted_without_the_csrf_token_is_refused(dashboard: Dashboard) -> None:
    await dashboard.login()
    lead = await add_lead(dashboard.container, dashboard.tenant_id, name="Ana")
    response = await dashboard.http.post(f"/leads/{lead}/take-over", data={})
    assert response.status_code == 403
    assert await dashboard.scalar("SELECT ai_paused FROM leads WHERE id = :id", id=lead) is False


async def test_logout_ends_the_session(dashboard: Dashboard) -> None:
    await dashboard.login()
    await dashboard.post("/logout")
    assert (await dashboard.http.get("/")).status_code == 303


async def test_overview_shows_a_helpful_empty_state_without_leads(dashboard: Dashboard) -> None:
    await dashboard.login()
    page = soup(await dashboard.http.get("/"))
    assert page.select_one("#overview-empty") is not None
    assert page.select_one('[data-kpi="leads"]').get_text(strip=True) == "0"
    assert len(page.select("#leads-per-day .bar")) == 14


async def test_overview_counts_temperatures_stages_and_first_response(dashboard: Dashboard) -> None:
    await dashboard.login()
    for temperature, stage, seconds in [
        ("hot", "handed_off", 4.0),
        ("warm", "qualifying", 6.0),
        ("warm", "qualified", 8.0),
    ]:
        await add_lead(
            dashboard.container,
            dashboard.tenant_id,
            temperature=temperature,
            stage=stage,
            first_response_seconds=seconds,
        )
    page = soup(await dashboard.http.get("/"))
    assert page.select_one("#overview-empty") is None
    assert page.select_one('[data-kpi="leads"]').get_text(strip=True) == "3"
    assert page.select_one('[data-temperature="warm"]')["data-count"] == "2"
    assert page.select_one('[data-stage="handed_off"]')["data-count"] == "1"
    assert page.select_one('[data-kpi="first-response"]').get_text(strip=True) == "6 s"
    assert sum(int(b["data-count"]) for b in page.select("#leads-per-day .bar")) == 3


async def test_leads_list_filters_by_stage_neighborhood_and_budget(dashboard: Dashboard) -> None:
    await dashboard.login()
    container, tenant = dashboard.container, dashboard.tenant_id
    await add_lead(
        container,
        tenant,
        name="Ana Pinheiros",
        stage="qualified",
        custom_data={"neighborhoods": ["Pinheiros"], "budget_max": 700000},
    )
    await add_lead(
        container,
        tenant,
        name="Bruno Moema",
        stage="qualified",
        custom_data={"neighborhoods": ["Moema"], "budget_max": 1500000},
    )
    await add_lead(container, tenant, name="Carla Nova", stage="new")
    names = lambda r: [a.get_text() for a in soup(r).select("#lead-table tbody a")]  # noqa: E731
    assert len(names(await dashboard.http.get("/leads"))) == 3
    assert names(await dashboard.http.get("/leads?stage=new")) == ["Carla Nova"]
    assert names(await dashboard.http.get("/leads?neighborhood=Pinheiros")) == ["Ana Pinheiros"]
    by_budget = await dashboard.http.get("/leads?budget_min=1000000&budget_max=2000000")
    assert names(by_budget) == ["Bruno Moema"]
    custom = await dashboard.http.get("/leads?field=budget_max&value=700000")
    assert names(custom) == ["Ana Pinheiros"]
    empty = soup(await dashboard.http.get("/leads?q=ninguem"))
    assert "Nenhum lead com esses filtros" in empty.select_one("#leads-empty").get_text()


async def test_leads_list_with_an_unreadable_filter_says_what_is_wrong(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    response = await dashboard.http.get("/leads?created_from=31-02-2026")
    assert response.status_code == 400
    assert "Data inválida" in soup(response).select_one(".alert.error").get_text()
    response = await dashboard.http.get("/leads?budget_min=2000000&budget_max=1")
    assert response.status_code == 400


async def test_leads_list_empty_state_points_to_the_simulator(dashboard: Dashboard) -> None:
    await dashboard.login()
    page = soup(await dashboard.http.get("/leads"))
    assert page.select_one("#leads-empty a[href='/simulator']") is not None


async def test_csv_export_has_the_filtered_leads_and_is_audited(dashboard: Dashboard) -> None:
    await dashboard.login()
    await add_lead(dashboard.container, dashboard.tenant_id, name="Ana", stage="qualified")
    await add_lead(dashboard.container, dashboard.tenant_id, name="=HYPERLINK()", stage="new")
    response = await dashboard.http.get("/leads/export.csv?stage=qualified")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 2 and "Ana" in lines[1]
    audited = await dashboard.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'leads.exported'"
    )
    assert audited == 1


async def test_broker_sees_own_and_unassigned_leads_but_not_a_colleagues(
    dashboard: Dashboard,
) -> None:
    container, tenant = dashboard.container, dashboard.tenant_id
    mine = await add_lead(
        container, tenant, name="Do Marcos", assigned_user_id=await user_id(container, BROKER)
    )
    theirs = await add_lead(
        container,
        tenant,
        name="Da Juliana",
        assigned_user_id=await user_id(container, OTHER_BROKER),
    )
    await add_lead(container, tenant, name="Na fila")
    await dashboard.login(BROKER, "vellarys-demo")
    page = soup(await dashboard.http.get("/leads"))
    assert sorted(a.get_text() for a in page.select("#lead-table tbody a")) == [
        "Do Marcos",
        "Na fila",
    ]
    assert (await dashboard.http.get(f"/leads/{mine}")).status_code == 200
    hidden = await dashboard.http.get(f"/leads/{theirs}")
    assert hidden.status_code == 404
    assert soup(hidden).select_one("[data-status='404']") is not None
    assert (await dashboard.post(f"/leads/{theirs}/take-over")).status_code == 404
    assert (await dashboard.http.get("/users")).status_code == 403
    overview = soup(await dashboard.http.get("/"))
    assert overview.select_one('[data-kpi="leads"]').get_text(strip=True) == "2"


async def test_admin_sees_every_lead_of_the_agency(dashboard: Dashboard) -> None:
    container, tenant = dashboard.container, dashboard.tenant_id
    await add_lead(
        container,
        tenant,
        name="Da Juliana",
        assigned_user_id=await user_id(container, OTHER_BROKER),
    )
    await add_lead(container, tenant, name="Na fila")
    await dashboard.login()
    page = soup(await dashboard.http.get("/leads"))
    assert len(page.select("#lead-table tbody tr")) == 2


async def test_another_agencys_lead_is_not_found_never_forbidden(dashboard: Dashboard) -> None:
    other_tenant, _ = await add_agency(dashboard.container)
    foreign = await add_lead(dashboard.container, other_tenant, name="Lead de outra")
    await dashboard.login()
    for path in [f"/leads/{foreign}", f"/leads/{foreign}/messages", "/leads/not-a-uuid"]:
        assert (await dashboard.http.get(path)).status_code == 404, path
    for action in ["take-over", "give-back", "reply", "notes", "assign"]:
        response = await dashboard.post(f"/leads/{foreign}/{action}", {"text": "oi", "body": "x"})
        assert response.status_code == 404, action
    assert await dashboard.scalar("SELECT ai_paused FROM leads WHERE id = :id", id=foreign) is False
    listed = soup(await dashboard.http.get("/leads"))
    assert "Lead de outra" not in listed.get_text()


async def _lead_with_conversation(dashboard: Dashboard) -> uuid.UUID:
    lead = await add_lead(
        dashboard.container,
        dashboard.tenant_id,
        name="Ana Souza",
        custom_data={"intent": "buy", "neighborhoods": ["Pinheiros"]},
        summary="Quer comprar em Pinheiros.",
    )
    await dashboard.scalar(
        "UPDATE leads SET channel_id = (SELECT id FROM channels WHERE tenant_id = :t LIMIT 1)"
        " WHERE id = :id RETURNING 1",
        t=dashboard.tenant_id,
        id=lead,
    )
    async with unit_of_work(dashboard.container.sessions) as session:
        for role, direction, status, content, media in [
            ("user", "inbound", "received", "Oi, quero comprar", {}),
            ("assistant", "outbound", "read", "Olha este: AP1106", {"properties": ["AP1106"]}),
            ("assistant", "outbound", "failed", "Outra opção", {}),
        ]:
            session.add(
                Message(
                    tenant_id=dashboard.tenant_id,
                    lead_id=lead,
                    role=role,
                    direction=direction,
                    status=status,
                    content=content,
                    media=media,
                    created_at=datetime.now(UTC),
                )
            )
            await session.flush()
    return lead


async def test_lead_page_shows_conversation_ticks_profile_properties_and_is_audited(
    dashboard: Dashboard,
) -> None:
    lead = await _lead_with_conversation(dashboard)
    await dashboard.login()
    page = soup(await dashboard.http.get(f"/leads/{lead}"))
    statuses = [m["data-status"] for m in page.select("#conversation .msg")]
    assert statuses == ["received", "read", "failed"]
    assert page.select_one("#conversation")["hx-trigger"].startswith("every")
    assert page.select_one(".msg[data-status='read'] .tick")["title"] == "lida"
    assert "Pinheiros" in page.select_one("#profile dd[data-key='neighborhoods']").get_text()
    assert page.select_one("#matched-properties [data-code='AP1106']") is not None
    assert "Quer comprar em Pinheiros" in page.select_one("#summary").get_text()
    assert (
        await dashboard.scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'lead.viewed' AND target_id = :id",
            id=str(lead),
        )
        == 1
    )
    fragment = soup(await dashboard.http.get(f"/leads/{lead}/messages"))
    assert len(fragment.select(".msg")) == 3


async def test_the_profile_shows_portuguese_labels_and_values(dashboard: Dashboard) -> None:
    profile = {
        "property_type": "apartment",
        "budget_max": 5000,
        "intent": "rent",
        "payment": ["fgts", "financing"],
        "pets": True,
        "favorite_color": "azul",
    }
    lead = await add_lead(dashboard.container, dashboard.tenant_id, custom_data=profile)
    await dashboard.login()
    page = soup(await dashboard.http.get(f"/leads/{lead}"))
    shown = [
        f"{dt.get_text()}: {dt.find_next_sibling('dd').get_text()}"
        for dt in page.select("#profile dt")
    ]
    assert shown == [
        "Objetivo: Alugar",
        "Tipo: Apartamento",
        "Orçamento máximo: R$ 5.000",
        "Pagamento: FGTS, Financiamento",
        "Animais de estimação: sim",
        "Favorite color: azul",
    ]


async def test_take_over_reply_as_broker_and_give_back(dashboard: Dashboard) -> None:
    lead = await _lead_with_conversation(dashboard)
    await dashboard.login()
    response = await dashboard.post(f"/leads/{lead}/take-over", page=f"/leads/{lead}")
    assert response.status_code == 303
    page = soup(await dashboard.http.get(f"/leads/{lead}"))
    assert "pausada" in page.select_one("#ai-state").get_text()
    assert page.select_one("#give-back") is not None
    await dashboard.post(
        f"/leads/{lead}/reply", {"text": "Oi Ana, aqui é a Renata!"}, page=f"/leads/{lead}"
    )
    sent = await dashboard.scalar(
        "SELECT status FROM messages WHERE lead_id = :id AND role = 'broker'", id=lead
    )
    assert sent == "pending"
    jobs = await dashboard.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:send_outbound'"
    )
    assert jobs == 1
    assert (
        await dashboard.scalar("SELECT count(*) FROM audit_log WHERE action = 'lead.taken_over'")
        == 1
    )
    await dashboard.post(f"/leads/{lead}/give-back", page=f"/leads/{lead}")
    assert await dashboard.scalar("SELECT ai_paused FROM leads WHERE id = :id", id=lead) is False


async def test_an_empty_reply_or_note_is_refused_with_a_message(dashboard: Dashboard) -> None:
    lead = await _lead_with_conversation(dashboard)
    await dashboard.login()
    await dashboard.post(f"/leads/{lead}/reply", {"text": "  "}, page=f"/leads/{lead}")
    page = soup(await dashboard.http.get(f"/leads/{lead}"))
    assert "Escreva a mensagem" in page.select_one(".alert.error").get_text()
    assert await dashboard.scalar("SELECT ai_paused FROM leads WHERE id = :id", id=lead) is False
    assert await dashboard.scalar("SELECT count(*) FROM messages WHERE role = 'broker'") == 0
    await dashboard.post(f"/leads/{lead}/notes", {"body": ""}, page=f"/leads/{lead}")
    assert await dashboard.scalar("SELECT count(*) FROM lead_notes") == 0
    await dashboard.post(f"/leads/{lead}/notes", {"body": "Ligar amanhã"}, page=f"/leads/{lead}")
    page = soup(await dashboard.http.get(f"/leads/{lead}"))
    assert "Ligar amanhã" in page.select_one("#notes").get_text()


async def test_admin_assigns_a_lead_to_a_broker(dashboard: Dashboard) -> None:
    lead = await add_lead(dashboard.container, dashboard.tenant_id, name="Ana")
    broker = await user_id(dashboard.container, BROKER)
    await dashboard.login()
    await dashboard.post(f"/leads/{lead}/assign", {"user_id": str(broker)}, page=f"/leads/{lead}")
    page = soup(await dashboard.http.get(f"/leads/{lead}"))
    assert page.select_one("#assignee").get_text() == "Marcos Toledo"


async def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(dashboard: Dashboard) -> None:
    async with unit_of_work(dashboard.container.sessions) as session:
        await create_user(
            session,
            Actor(tenant_id=dashboard.tenant_id),
            email="novo@demo.local",
            password=PASSWORD,
            role="broker",
            name="Novo",
        )
    await dashboard.login("novo@demo.local", PASSWORD)
    assert (await dashboard.http.get("/leads")).status_code == 200
    await dashboard.scalar(
        "UPDATE users SET active = false WHERE email = 'novo@demo.local' RETURNING 1"
    )
    assert (await dashboard.http.get("/leads")).status_code == 303
    assert (await dashboard.login("novo@demo.local", PASSWORD)).status_code == 401


async def test_login_form_has_a_csrf_token(dashboard: Dashboard) -> None:
    assert csrf_of(await dashboard.http.get("/login"))


async def test_lead_page_shows_the_open_questions_the_assistant_promised_to_answer(
    dashboard: Dashboard,
) -> None:
    lead = await add_lead(
        dashboard.container,
        dashboard.tenant_id,
        custom_data={"intent": "buy", "open_questions": ["AP1101: fica em que andar?"]},
    )
    await dashboard.login()
    page = soup(await dashboard.http.get(f"/leads/{lead}"))
    items = [li.get_text() for li in page.select("#open-questions li")]
    assert items == ["AP1101: fica em que andar?"]
    assert page.select_one("#profile dd[data-key='open_questions']") is None
