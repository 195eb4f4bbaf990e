"""Properties, knowledge, settings, channels, users and simulator pages, on parsed HTML."""

from __future__ import annotations

from tests.web.conftest import Dashboard, soup
from vellarys.domain.rate_limit import NOTICES
from vellarys.domain.secretbox import open_sealed

GOOD_CSV = (
    "code,title,property_type,transaction,price,neighborhood,city,bedrooms,photos\n"
    'NV001,Apartamento novo na Lapa,apartamento,venda,"650.000",Lapa,São Paulo,2,'
    "https://fotos.example/nv001.jpg\n"
    "NV002;Casa;casa;aluguel;4500;Butantã;São Paulo;3;\n"
)
VALID_PROPERTY = {
    "code": "TST01",
    "title": "Apartamento teste",
    "property_type": "apartment",
    "transaction": "sale",
    "price": "800.000",
    "neighborhood": "Perdizes",
    "city": "São Paulo",
    "bedrooms": "2",
    "photos": "https://fotos.example/a.jpg\nhttps://fotos.example/b.jpg",
}


async def _count_properties(dashboard: Dashboard) -> int:
    return int(await dashboard.scalar("SELECT count(*) FROM properties"))


async def test_properties_page_lists_the_agencys_listings(dashboard: Dashboard) -> None:
    await dashboard.login()
    page = soup(await dashboard.http.get("/properties"))
    assert len(page.select("#property-table tbody tr")) == await _count_properties(dashboard)
    assert page.select_one("#import-form") is not None


async def test_creating_a_property_saves_it_and_enqueues_indexing(dashboard: Dashboard) -> None:
    await dashboard.login()
    jobs_before = await dashboard.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:index_properties'"
    )
    response = await dashboard.post("/properties", VALID_PROPERTY, page="/properties/new")
    assert response.status_code == 303
    page = soup(await dashboard.http.get("/properties?q=TST01"))
    row = page.select_one("#property-table tr[data-code='TST01']")
    assert row is not None and "R$ 800.000" in row.get_text() and "2 foto(s)" in row.get_text()
    assert (
        await dashboard.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:index_properties'"
        )
        == jobs_before + 1
    )


async def test_a_bad_property_form_is_shown_again_with_messages_and_nothing_saved(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    before = await _count_properties(dashboard)
    bad = {**VALID_PROPERTY, "price": "muito caro", "city": "", "photos": "ftp://x"}
    response = await dashboard.post("/properties", bad, page="/properties/new")
    assert response.status_code == 422
    errors = soup(response).select_one("#form-errors").get_text()
    assert "Valor inválido em preço" in errors and "Informe cidade" in errors and "Foto" in errors
    assert soup(response).select_one("#code")["value"] == "TST01"  # what was typed stays
    assert await _count_properties(dashboard) == before


async def test_editing_and_deactivating_a_property(dashboard: Dashboard) -> None:
    await dashboard.login()
    await dashboard.post("/properties", VALID_PROPERTY, page="/properties/new")
    prop = await dashboard.scalar("SELECT id FROM properties WHERE code = 'TST01'")
    form = soup(await dashboard.http.get(f"/properties/{prop}/edit"))
    assert form.select_one("#title")["value"] == "Apartamento teste"
    changed = {**VALID_PROPERTY, "title": "Apartamento reformado"}
    await dashboard.post(f"/properties/{prop}/edit", changed, page=f"/properties/{prop}/edit")
    assert await dashboard.scalar("SELECT title FROM properties WHERE id = :id", id=prop) == (
        "Apartamento reformado"
    )
    await dashboard.post(f"/properties/{prop}/deactivate", page="/properties")
    assert (
        await dashboard.scalar("SELECT available FROM properties WHERE id = :id", id=prop) is False
    )


async def test_csv_import_creates_listings_from_comma_or_semicolon_rows(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    good = GOOD_CSV.replace("NV002;Casa;casa;aluguel;4500;Butantã;São Paulo;3;\n", "")
    response = await dashboard.post(
        "/properties/import",
        page="/properties",
        files={"file": ("imoveis.csv", good.encode(), "text/csv")},
    )
    assert response.status_code == 303
    page = soup(await dashboard.http.get("/properties"))
    assert "1 novos" in page.select_one(".alert.ok").get_text()
    assert await dashboard.scalar("SELECT price FROM properties WHERE code = 'NV001'") == 650000


async def test_csv_import_with_one_bad_row_imports_nothing_and_names_the_line(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    before = await _count_properties(dashboard)
    bad = GOOD_CSV.replace(
        "NV002;Casa;casa;aluguel;4500;Butantã;São Paulo;3;\n",
        "NV002,Casa,castelo,venda,abc,Butantã,São Paulo,3,\n",
    )
    response = await dashboard.post(
        "/properties/import",
        page="/properties",
        files={"file": ("imoveis.csv", bad.encode(), "text/csv")},
    )
    assert response.status_code == 422
    report = soup(response).select_one("#import-report")
    assert "Nada foi importado" in report.get_text()
    line = report.select_one("li[data-line='3']").get_text()
    assert "Tipo desconhecido" in line and "preço" in line
    assert await _count_properties(dashboard) == before


async def test_csv_import_without_required_columns_says_which(dashboard: Dashboard) -> None:
    await dashboard.login()
    response = await dashboard.post(
        "/properties/import",
        page="/properties",
        files={"file": ("x.csv", b"code,title\nA,B\n", "text/csv")},
    )
    assert response.status_code == 400
    assert "Faltam colunas" in soup(response).select_one("#import-error").get_text()


async def test_knowledge_upload_lists_the_document_and_enqueues_indexing(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    response = await dashboard.post(
        "/knowledge",
        {"title": "Política de visitas"},
        page="/knowledge",
        files={
            "file": (
                "visitas.md",
                "# Visitas\nAgendamos visitas de segunda a sábado.".encode(),
                "text/markdown",
            )
        },
    )
    assert response.status_code == 303
    page = soup(await dashboard.http.get("/knowledge"))
    titles = [td.get_text() for td in page.select("#document-table tbody tr td:first-child")]
    assert any("Política de visitas" in t for t in titles)
    doc = await dashboard.scalar(
        "SELECT id FROM knowledge_documents WHERE title = 'Política de visitas'"
    )
    assert (
        await dashboard.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE args->>'document_id' = :id", id=str(doc)
        )
        == 1
    )
    await dashboard.post(f"/knowledge/{doc}/delete", page="/knowledge")
    assert (
        await dashboard.scalar("SELECT count(*) FROM knowledge_documents WHERE id = :id", id=doc)
        == 0
    )


async def test_knowledge_upload_of_an_empty_text_is_refused(dashboard: Dashboard) -> None:
    await dashboard.login()
    before = await dashboard.scalar("SELECT count(*) FROM knowledge_documents")
    response = await dashboard.post(
        "/knowledge", {"title": "Vazio", "content": "  "}, page="/knowledge"
    )
    assert response.status_code == 400
    assert "vazio" in soup(response).select_one("#upload .alert.error").get_text()
    assert await dashboard.scalar("SELECT count(*) FROM knowledge_documents") == before


async def test_knowledge_question_before_indexing_shows_nothing_found(dashboard: Dashboard) -> None:
    await dashboard.login()
    page = soup(await dashboard.http.get("/knowledge?q=posso usar FGTS?"))
    assert page.select_one("#no-hits") is not None


async def test_settings_are_saved_and_the_llm_key_is_sealed_and_never_shown(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    form = {
        "persona_name": "Lia",
        "agency_name": "Casa Paulista",
        "tone": "formal",
        "greeting": "Olá!",
        "after_hours_message": "Voltamos amanhã.",
        "handoff_threshold": "75",
        "qualification_enabled": "on",
        "hours_mon_open": "08:00",
        "hours_mon_close": "17:00",
        "llm_base_url": "https://api.openai.com/v1",
        "llm_model": "gpt-4o-mini",
        "llm_api_key": "sk-segredo-123",
        "briefing_enabled": "on",
        "briefing_whatsapp": "on",
        "briefing_hour": "7",
    }
    assert (await dashboard.post("/settings", form, page="/settings")).status_code == 303
    page = await dashboard.http.get("/settings")
    assert "sk-segredo-123" not in page.text
    assert soup(page).select_one("#persona_name")["value"] == "Lia"
    sealed = await dashboard.scalar(
        "SELECT settings->'llm'->>'api_key' FROM tenants WHERE slug = 'demo'"
    )
    assert sealed != "sk-segredo-123"
    secret = dashboard.container.settings.resolved_secret_key
    assert open_sealed(sealed, secret_key=secret) == "sk-segredo-123"
    hours = await dashboard.scalar(
        "SELECT settings->'business_hours'->'mon' FROM tenants WHERE slug = 'demo'"
    )
    assert hours == ["08:00", "17:00"]
    assert await dashboard.scalar("SELECT settings->>'follow_up_enabled' FROM tenants") == "false"
    assert await dashboard.scalar("SELECT settings->>'briefing_hour' FROM tenants") == "7"
    assert await dashboard.scalar("SELECT settings->>'briefing_whatsapp' FROM tenants") == "true"
    assert soup(page).select_one("input[name=briefing_whatsapp]").has_attr("checked")


async def test_bad_settings_are_shown_with_field_messages_and_nothing_saved(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    before = await dashboard.scalar("SELECT settings::text FROM tenants WHERE slug = 'demo'")
    form = {
        "persona_name": "",
        "agency_name": "Casa",
        "tone": "cordial e objetivo",
        "handoff_threshold": "7",
        "hours_tue_open": "18:00",
        "hours_tue_close": "09:00",
        "briefing_hour": "25",
    }
    response = await dashboard.post("/settings", form, page="/settings")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("[data-error-for='persona_name']") is not None
    assert page.select_one("[data-error-for='handoff_threshold']") is not None
    assert page.select_one("[data-error-for='hours_tue']") is not None
    assert page.select_one("[data-error-for='briefing_hour']") is not None
    assert (
        await dashboard.scalar("SELECT settings::text FROM tenants WHERE slug = 'demo'") == before
    )


async def test_adding_a_meta_channel_shows_its_webhook_url_and_verify_token(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    form = {
        "provider": "meta",
        "identity": "1234567890",
        "meta.access_token": "tok",
        "meta.app_secret": "s",
    }
    assert (await dashboard.post("/channels", form, page="/channels")).status_code == 303
    page = soup(await dashboard.http.get("/channels"))
    url = page.select_one(".webhook-url").get_text()
    assert url.startswith(dashboard.container.settings.base_url + "/webhooks/meta/")
    assert page.select_one(".verify-token").get_text()


async def test_a_channel_without_its_credentials_is_refused(dashboard: Dashboard) -> None:
    await dashboard.login()
    response = await dashboard.post(
        "/channels", {"provider": "evolution", "identity": "x"}, page="/channels"
    )
    assert response.status_code == 400
    assert "api_key" in soup(response).select_one("#add-channel .alert.error").get_text()
    assert await dashboard.scalar("SELECT count(*) FROM channels WHERE provider = 'evolution'") == 0


async def test_inviting_a_user_shows_the_temporary_password_once_and_it_works(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    response = await dashboard.post(
        "/users", {"name": "Paula", "email": "paula@demo.local", "role": "broker"}, page="/users"
    )
    password = soup(response).select_one("#temporary-password").get_text()
    assert len(password) >= 8
    assert soup(await dashboard.http.get("/users")).select_one("#temporary-password") is None
    paula = await dashboard.scalar("SELECT id FROM users WHERE email = 'paula@demo.local'")
    await dashboard.post(f"/users/{paula}/deactivate", page="/users")
    assert await dashboard.scalar("SELECT active FROM users WHERE id = :id", id=paula) is False


async def test_inviting_with_a_taken_email_says_so_and_creates_nobody(dashboard: Dashboard) -> None:
    await dashboard.login()
    before = await dashboard.scalar("SELECT count(*) FROM users")
    response = await dashboard.post(
        "/users", {"name": "X", "email": "admin@demo.local", "role": "broker"}, page="/users"
    )
    assert response.status_code == 409
    assert "Já existe" in soup(response).select_one("#invite .alert.error").get_text()
    assert await dashboard.scalar("SELECT count(*) FROM users") == before


async def test_brokers_cannot_open_admin_pages(dashboard: Dashboard) -> None:
    await dashboard.login("marcos.toledo@demo.local", "vellarys-demo")
    for path in ["/settings", "/channels", "/users", "/properties/new"]:
        assert (await dashboard.http.get(path)).status_code == 403, path
    page = soup(await dashboard.http.get("/properties"))
    assert page.select_one("#import-form") is None


async def test_simulator_starts_empty_and_an_empty_message_is_refused(dashboard: Dashboard) -> None:
    await dashboard.login()
    page = soup(await dashboard.http.get("/simulator"))
    assert page.select_one("#sim-empty") is not None
    response = await dashboard.post("/simulator/send", {"text": " "}, page="/simulator")
    assert response.status_code == 400
    assert await dashboard.scalar("SELECT count(*) FROM messages") == 0


async def test_simulator_message_is_answered_through_the_pipeline(dashboard: Dashboard) -> None:
    await dashboard.login()
    await dashboard.post(
        "/simulator/send", {"text": "Oi, quero alugar um apartamento"}, page="/simulator"
    )
    waiting = soup(await dashboard.http.get("/simulator"))
    assert waiting.select_one("#sim-chat")["data-waiting"] == "true"
    await dashboard.drain(queues=("pipeline", "outbound", "webhooks"))  # indexing can wait
    page = soup(await dashboard.http.get("/simulator"))
    roles = [m["data-role"] for m in page.select("#sim-messages .msg")]
    assert roles[0] == "user" and "assistant" in roles
    assert page.select_one("#sim-chat")["data-waiting"] == "false"
    assert page.select_one("#sim-lead-link")["href"].startswith("/leads/")


async def test_an_agencys_own_message_limit_is_set_on_the_settings_page_and_read_by_the_limiter(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    form = {
        "persona_name": "Bia",
        "agency_name": "Casa Paulista",
        "tone": "formal",
        "handoff_threshold": "70",
        "lead_messages_per_minute": "0",
    }
    refused = await dashboard.post("/settings", form, page="/settings")
    assert refused.status_code == 422
    assert soup(refused).select_one("[data-error-for='lead_messages_per_minute']") is not None
    form["lead_messages_per_minute"] = "2"
    assert (await dashboard.post("/settings", form, page="/settings")).status_code == 303
    page = soup(await dashboard.http.get("/settings"))
    assert page.select_one("#lead_messages_per_minute")["value"] == "2"
    assert page.select_one("#agency_messages_per_minute")["value"] == ""  # the deployment's
    default = dashboard.container.settings.agency_messages_per_minute
    assert page.select_one("#agency_messages_per_minute")["placeholder"].startswith(str(default))

    for text in ("Oi", "Quero alugar", "Em Pinheiros"):  # the deployment allows 20 a minute
        await dashboard.post("/simulator/send", {"text": text}, page="/simulator")
    if await dashboard.scalar("SELECT count(DISTINCT window_start) FROM message_rates") > 1:
        return  # the three straddled a minute: the count restarted midway
    notice = await dashboard.scalar(
        "SELECT array_agg(content) FROM messages WHERE role = 'system' AND direction = 'outbound'"
    )
    assert notice == [NOTICES["lead"]]
