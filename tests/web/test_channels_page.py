"""The channels page builds its form from the provider registry and stores secrets sealed."""

from __future__ import annotations

from tests.web.conftest import Dashboard, soup
from vellarys.adapters.whatsapp import CONNECTABLE, REGISTRY
from vellarys.domain.secretbox import open_sealed


async def test_the_form_offers_every_declared_credential_of_every_provider(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    page = soup(await dashboard.http.get("/channels"))
    options = [o["value"] for o in page.select("#provider option")]
    assert options == list(CONNECTABLE)
    for name in CONNECTABLE:
        for field in REGISTRY[name].fields:
            found = page.select_one(f"input[name='{name}.{field.key}']")
            assert found is not None, (name, field.key)
            assert (found.get("type") == "password") == field.secret, (name, field.key)


async def test_an_evolution_channel_added_on_the_page_keeps_its_key_sealed(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    form = {
        "provider": "evolution",
        "identity": "casa-paulista",
        "evolution.api_key": "evo-page-secret",
        "evolution.base_url": "https://evolution.example.com",
        # Another provider's inputs on the same form are ignored.
        "meta.access_token": "not-this-one",
    }
    assert (await dashboard.post("/channels", form, page="/channels")).status_code == 303
    stored = await dashboard.scalar(
        "SELECT credentials::text FROM channels WHERE provider = 'evolution'"
    )
    assert "evo-page-secret" not in stored and "not-this-one" not in stored
    sealed = await dashboard.scalar(
        "SELECT credentials->>'api_key' FROM channels WHERE provider = 'evolution'"
    )
    key = dashboard.container.settings.resolved_secret_key
    assert open_sealed(sealed, secret_key=key) == "evo-page-secret"
    page = await dashboard.http.get("/channels")
    assert "evo-page-secret" not in page.text
