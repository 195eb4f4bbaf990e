"""Web push: a broker subscribes two devices on "Minha conta", a lead handed to them and the
lead turning hot push to a local push service that checks the VAPID signature and decrypts
the payload; a device the service no longer knows is forgotten; a kind turned off stops."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from tests.fakes.push_service import PushService
from tests.web.conftest import Dashboard, add_lead, csrf_of, soup, user_id
from vellarys.adapters.webpush import KEY_FILE
from vellarys.db.models import Lead, Visit
from vellarys.db.uow import unit_of_work
from vellarys.services import visit_notices
from vellarys.services.demo import DEMO_LOGIN
from vellarys.worker import runtime, tasks
from vellarys.worker.queue import make_queue

BROKER = ("juliana.ferraz@demo.local", DEMO_LOGIN[1])


async def _run_pushes(dashboard: Dashboard) -> None:
    """Work the outbound queue (where push jobs go) until it is empty."""
    runtime.install(dashboard.container)
    queue = make_queue(dashboard.container.database_url)
    async with queue.open_async():
        await queue.run_worker_async(
            wait=False, install_signal_handlers=False, concurrency=1, queues=["outbound"]
        )


async def _subscribe(dashboard: Dashboard, body: object) -> int:
    token = csrf_of(await dashboard.http.get("/account"))
    response = await dashboard.http.post(
        "/account/push/subscribe",
        content=json.dumps(body),
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    return response.status_code


async def test_pushes_reach_the_brokers_devices_signed_and_encrypted(
    dashboard: Dashboard,
) -> None:
    broker = await user_id(dashboard.container, BROKER[0])
    lead = await add_lead(
        dashboard.container, dashboard.tenant_id, name="Carla Push", temperature="hot"
    )
    # Whatever the hour the test runs at: a hot lead's broker is told at once.
    await dashboard.scalar(
        "UPDATE tenants SET settings = settings || '{\"notify_hot_any_hour\": true}'"
        " WHERE id = :t RETURNING 1",
        t=dashboard.tenant_id,
    )
    with PushService(gone=("old-phone",)) as service:
        await dashboard.login(*BROKER)
        page = soup(await dashboard.http.get("/account"))
        vapid_key = str(page.select_one("#push-enable")["data-vapid-key"])  # type: ignore[index]
        assert len(page.select("#push-preferences input[type=checkbox][checked]")) == 4
        assert (dashboard.container.settings.data_dir / KEY_FILE).exists()

        # Bad subscriptions are refused with a 400 and store nothing.
        bad_keys = {**service.subscription("x"), "keys": {"p256dh": "abc", "auth": "def"}}
        assert await _subscribe(dashboard, bad_keys) == 400
        assert await _subscribe(dashboard, ["not", "an", "object"]) == 400
        ftp = {**service.subscription("x"), "endpoint": "ftp://127.0.0.1/push"}
        assert await _subscribe(dashboard, ftp) == 400
        assert await _subscribe(dashboard, service.subscription("phone")) == 200
        assert await _subscribe(dashboard, service.subscription("old-phone")) == 200
        assert await dashboard.scalar("SELECT count(*) FROM push_subscriptions") == 2

        # The admin hands the lead to the broker; the alerts job sees it is hot.
        await dashboard.login()
        assigned = await dashboard.post(
            f"/leads/{lead}/assign", {"user_id": str(broker)}, page=f"/leads/{lead}"
        )
        assert assigned.status_code in (200, 303)
        runtime.install(dashboard.container)
        await tasks.raise_manager_alerts(0)
        await _run_pushes(dashboard)
        # A visit booked with the broker: the visit notice pushes too.
        now = datetime.now(UTC)
        async with unit_of_work(dashboard.container.sessions) as session:
            visit = Visit(tenant_id=dashboard.tenant_id, lead_id=lead, user_id=broker,
                          property_code="AP1501", status="scheduled",
                          starts_at=now + timedelta(days=2),
                          ends_at=now + timedelta(days=2, minutes=45))  # fmt: skip
            session.add(visit)
            await session.flush()
            found = await session.get(Lead, lead)
            assert found is not None
            await visit_notices.announce(session, visit=visit, lead=found, kind="booked", now=now)
        await _run_pushes(dashboard)

    to_phone = [p for p in service.received if p.path == "/push/phone"]
    assert sorted(p.payload["title"] for p in to_phone if p.payload) == [
        "Agenda de visitas",
        "Lead quente",
        "Novo lead para você",
    ]
    for push in service.received:
        assert push.vapid_problem is None, push.vapid_problem
        assert push.vapid_key == vapid_key
        assert push.headers["ttl"] and push.headers["content-encoding"] == "aes128gcm"
    for push in to_phone:
        assert push.payload is not None
        assert "Carla Push" in push.payload["body"] and "*" not in push.payload["body"]
        visit_push = push.payload["title"] == "Agenda de visitas"
        assert push.payload["url"] == ("/visits" if visit_push else f"/leads/{lead}")
    # The device the push service answered 410 for is forgotten; the alerts are marked sent.
    assert {p.path for p in service.received} == {"/push/phone", "/push/old-phone"}
    assert await dashboard.scalar("SELECT count(*) FROM push_subscriptions") == 1
    statuses = await dashboard.scalar(
        "SELECT string_agg(kind || ':' || coalesce(push_status, '-'), ',' ORDER BY kind)"
        " FROM notifications WHERE user_id = :u",
        u=broker,
    )
    assert statuses == "handoff:sent,hot_lead:sent,visit:sent"


async def test_a_kind_turned_off_does_not_push_and_devices_are_per_user(
    dashboard: Dashboard,
) -> None:
    broker = await user_id(dashboard.container, BROKER[0])
    with PushService() as service:
        await dashboard.login(*BROKER)
        assert await _subscribe(dashboard, service.subscription("phone")) == 200
        saved = await dashboard.post("/account/push", {"push_handoff": "on"}, page="/account")
        assert saved.status_code == 303
        page = soup(await dashboard.http.get("/account"))
        assert [i["name"] for i in page.select("#push-preferences input[checked]")] == [
            "push_handoff"
        ]
        # Another user cannot remove this broker's device.
        device = await dashboard.scalar("SELECT id FROM push_subscriptions")
        await dashboard.login()
        await dashboard.post(f"/account/push/devices/{device}/forget", page="/account")
        assert await dashboard.scalar("SELECT count(*) FROM push_subscriptions") == 1
        lead = await add_lead(
            dashboard.container,
            dashboard.tenant_id,
            name="Lead Morno",
            temperature="hot",
            assigned_user_id=broker,
        )
        runtime.install(dashboard.container)
        await tasks.raise_manager_alerts(0)
        await _run_pushes(dashboard)
        assert service.received == []
        alerts = await dashboard.scalar(
            "SELECT count(*) FROM notifications WHERE user_id = :u AND lead_id = :l"
            " AND kind = 'hot_lead' AND push_status IS NULL",
            u=broker,
            l=lead,
        )
        assert alerts == 1
        # The broker removes the device themselves.
        await dashboard.login(*BROKER)
        await dashboard.post(f"/account/push/devices/{device}/forget", page="/account")
        assert await dashboard.scalar("SELECT count(*) FROM push_subscriptions") == 0
    assert isinstance(device, uuid.UUID)
