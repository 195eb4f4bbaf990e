"""The manager-alert job on the real queue, and the WhatsApp copy against the fake Graph API."""

from __future__ import annotations

import contextlib
import uuid

from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import select, update

from tests.pipeline.harness import Stack, meta_text
from vellarys.db.models import Channel, Notification, User
from vellarys.db.uow import unit_of_work
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue

MANAGER_PHONE = "+5511900000009"
ALERT = {
    "name": "alerta_gestor",
    "language": "pt_BR",
    "purpose": "manager_alert",
    "variables": ["text"],
}


async def _periodic(stack: Stack) -> None:
    runtime.install(stack.container)
    app = make_queue(stack.container.database_url)
    async with app.open_async():
        with contextlib.suppress(AlreadyEnqueued):  # the periodic deferrer may have queued it
            await app.configure_task("vellarys:raise_manager_alerts").defer_async(timestamp=0)
        await app.run_worker_async(
            wait=False, install_signal_handlers=False, queues=["maintenance"]
        )


async def test_a_new_lead_reaches_the_manager_in_the_app_and_on_whatsapp(stack: Stack) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        session.add(
            User(
                tenant_id=stack.tenant_id,
                email=f"{uuid.uuid4().hex[:8]}@x.com",
                name="Renata",
                role="admin",
                password_hash="x",
                phone=MANAGER_PHONE,
            )
        )
        await session.execute(
            update(Channel).where(Channel.id == stack.channel.id).values(templates=[ALERT])
        )
    await stack.post(meta_text("Oi, vi um anúncio de vocês", phone="5511955550000"))
    await stack.drain()
    before = len(stack.graph.sent)

    await _periodic(stack)
    await stack.drain()
    await _periodic(stack)  # a second run raises nothing new
    await stack.drain()

    async with unit_of_work(stack.container.sessions) as session:
        notes = (await session.execute(select(Notification))).scalars().all()
    assert [n.kind for n in notes] == ["new_lead"]
    assert notes[0].whatsapp_status == "sent" and "+5511955550000" in notes[0].text
    [request] = [r.body for r in stack.graph.sent[before:]]
    assert request["to"] == MANAGER_PHONE.removeprefix("+")
    assert request["type"] == "template"  # the manager has not written to the number today
    assert request["template"]["components"][0]["parameters"][0]["text"] == notes[0].text
