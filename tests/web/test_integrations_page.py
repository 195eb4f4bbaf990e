"""The Integrações page (portal URL and secret, webhooks, delivery log, test event) and where
a lead came from on the leads list and the lead page."""

from __future__ import annotations

import contextlib

from tests.fakes.receiver import WebhookReceiver
from tests.web.conftest import Dashboard, add_agency, add_lead, soup
from vellarys.worker import runtime, tasks


async def _deliver_pending(dashboard: Dashboard) -> None:
    """The delivery job's function (the queue around it is tested in tests/pipeline; here the
    demo's indexing jobs would make a worker embed for minutes)."""
    runtime.install(dashboard.container)
    pending = await dashboard.scalar(
        "SELECT string_agg(id::text, ',') FROM webhook_deliveries WHERE status = 'pending'"
    )
    for delivery_id in (pending or "").split(","):
        if delivery_id:
            with contextlib.suppress(tasks.RetryAt):  # the queue would run it again later
                await tasks.deliver_webhook(delivery_id)


async def test_an_admin_connects_the_portals_and_a_webhook_and_reads_the_delivery_log(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    made = await dashboard.post("/integrations/portal", page="/integrations")
    page = soup(made)
    secret = page.select_one("#new-secret code").get_text()
    assert made.status_code == 200 and len(secret) > 20
    assert "/portal-leads/" in page.select_one("#portal-url").get_text()
    assert secret not in (await dashboard.http.get("/integrations")).text  # shown once

    refused = await dashboard.post(
        "/integrations/webhooks", {"url": "ftp://crm.example/x"}, page="/integrations"
    )
    assert refused.status_code == 400 and soup(refused).select_one(".alert.error")
    assert await dashboard.scalar("SELECT count(*) FROM webhook_endpoints") == 0

    with WebhookReceiver([503]) as receiver:
        form = {"url": receiver.url, "event:lead.created": "on"}
        added = await dashboard.post("/integrations/webhooks", form, page="/integrations")
        receiver.secret = soup(added).select_one("#new-secret code").get_text()
        [endpoint] = soup(added).select("[data-endpoint-id]")
        test = f"/integrations/webhooks/{endpoint['data-endpoint-id']}/test"
        assert (await dashboard.post(test, page="/integrations")).status_code == 303
        await _deliver_pending(dashboard)
        rows = soup(await dashboard.http.get("/integrations")).select("#delivery-table tbody tr")
        assert [(r["data-status"], r.select("td")[5].get_text().strip()) for r in rows] == [
            ("pending", "503 · HTTP 503")
        ]
        await _deliver_pending(dashboard)
        assert [r.signed for r in receiver.received] == [True, True]
        assert receiver.received[-1].event["type"] == "webhook.test"
    rows = soup(await dashboard.http.get("/integrations")).select("#delivery-table tbody tr")
    assert [r["data-status"] for r in rows] == ["delivered"]

    # Another agency's admin sees none of it and cannot test or remove it.
    _, email = await add_agency(dashboard.container)
    await dashboard.http.post("/logout")
    await dashboard.login(email, "senha-forte-123")
    theirs = soup(await dashboard.http.get("/integrations"))
    assert theirs.select("[data-endpoint-id]") == [] and theirs.select("#delivery-table") == []
    removed = await dashboard.post(
        f"/integrations/webhooks/{endpoint['data-endpoint-id']}/delete", page="/integrations"
    )
    assert removed.status_code == 404
    assert await dashboard.scalar("SELECT count(*) FROM webhook_endpoints") == 1


async def test_the_leads_list_filters_by_source_and_the_lead_page_shows_the_ad(
    dashboard: Dashboard,
) -> None:
    referral = {"headline": "Casa com piscina", "source_url": "https://fb.me/x", "ctwa_clid": "C1"}
    ad = await add_lead(
        dashboard.container,
        dashboard.tenant_id,
        name="Lead do anúncio",
        source="ad",
        campaign="Casa com piscina",
        source_details={"referral": referral},
    )
    await add_lead(
        dashboard.container, dashboard.tenant_id, name="Lead do ZAP", source="portal:zap"
    )
    await dashboard.login()

    async def names(query: str) -> list[str]:
        page = soup(await dashboard.http.get("/leads?" + query))
        return sorted(a.get_text() for a in page.select("#lead-table tbody td:first-child a"))

    assert await names("source=ad") == ["Lead do anúncio"]
    assert await names("source=portal") == ["Lead do ZAP"]
    assert await names("campaign=Casa+com+piscina") == ["Lead do anúncio"]
    bad = await dashboard.http.get("/leads?source=jornal")
    assert bad.status_code == 400 and "Origem" in soup(bad).select_one(".alert.error").get_text()

    rows = soup(await dashboard.http.get("/")).select("#by-source tbody tr")
    figures = {(r["data-source"], r["data-campaign"]): r.select("td")[2].get_text() for r in rows}
    assert figures[("ad", "Casa com piscina")] == "1" and figures[("portal:zap", "")] == "1"

    card = soup(await dashboard.http.get(f"/leads/{ad}")).select_one("#lead-source")
    assert card.select_one("[data-source]")["data-source"] == "ad"
    assert card.select_one("#lead-campaign").get_text() == "Casa com piscina"
    assert "C1" in card.select_one("#lead-referral").get_text()
