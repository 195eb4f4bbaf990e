"""The outbox page: the morning briefing the worker queued, shown to the agency's admins when
the deployment has no SMTP, and to no one else."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.web.conftest import PASSWORD, Dashboard, soup
from vellarys.db.models import User
from vellarys.db.uow import unit_of_work
from vellarys.domain.password import hash_password
from vellarys.worker import runtime, tasks


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def test_the_briefing_waits_in_the_outbox_for_admins_only(dashboard: Dashboard) -> None:
    dashboard.container.clock = FixedClock(
        datetime(2026, 12, 2, 8, 5, tzinfo=ZoneInfo("America/Sao_Paulo"))
    )
    runtime.install(dashboard.container)
    assert await tasks.send_briefings(0) == 1  # the demo's one admin, at 08:00 by default
    assert await tasks.send_briefings(0) == 0  # once a day

    await dashboard.login()
    page = soup(await dashboard.http.get("/outbox"))
    (row,) = page.select("#outbox tbody tr")
    assert "Resumo da manhã" in row.text and "não enviado" in row.text
    assert "Novos leads:" in row.select_one("pre").text
    assert "SMTP" in page.text

    async with unit_of_work(dashboard.container.sessions) as session:
        session.add(
            User(
                tenant_id=dashboard.tenant_id,
                email="corretor@demo.local",
                name="Corretor",
                role="broker",
                password_hash=hash_password(PASSWORD),
            )
        )
    await dashboard.http.post("/logout")
    dashboard.http.cookies.clear()
    await dashboard.login("corretor@demo.local", PASSWORD)
    assert (await dashboard.http.get("/outbox")).status_code == 403
