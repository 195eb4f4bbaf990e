"""The approved WhatsApp templates of a Meta channel, on the channels page."""

from __future__ import annotations

from tests.web.conftest import Dashboard, soup


async def test_templates_are_added_listed_refused_and_removed_on_the_channels_page(
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
    channel_id = await dashboard.scalar("SELECT id FROM channels WHERE provider = 'meta'")
    add = {
        "template_name": "retomada_1",
        "template_language": "pt_BR",
        "template_purpose": "follow_up",
        "template_variables": "lead_name, interest",
    }
    path = f"/channels/{channel_id}/templates"
    assert (await dashboard.post(path, add, page="/channels")).status_code == 303
    page = soup(await dashboard.http.get("/channels"))
    row = page.select_one(f"#templates-{channel_id} tr[data-template='retomada_1']")
    assert row is not None and "lead_name, interest" in row.text and "Follow-up" in row.text
    stored = await dashboard.scalar("SELECT templates FROM channels WHERE id = :id", id=channel_id)
    assert stored == [
        {
            "name": "retomada_1",
            "language": "pt_BR",
            "purpose": "follow_up",
            "variables": ["lead_name", "interest"],
        }
    ]

    bad = {**add, "template_name": "Retomada!", "template_variables": "cpf"}
    await dashboard.post(path, bad, page="/channels")
    page = soup(await dashboard.http.get("/channels"))
    assert "Nome do modelo" in page.select_one(".alert.error").text
    assert len(page.select(f"#templates-{channel_id} tr[data-template]")) == 1

    remove = {"template_name": "retomada_1"}
    assert (await dashboard.post(f"{path}/remove", remove, page="/channels")).status_code == 303
    assert (
        await dashboard.scalar("SELECT templates FROM channels WHERE id = :id", id=channel_id) == []
    )
