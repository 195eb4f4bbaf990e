"""A send the provider accepted while the database went away is recorded once the database
answers again: the job keeps trying to write it down (tenacity) instead of giving up and
leaving it uncertain, and the provider is not asked twice."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.fakes.database_link import DatabaseLink
from tests.fakes.providers import FakeGraphAPI, Recorded, Reply
from tests.pipeline.harness import FAST, Stack, build_stack, meta_text
from vellarys.bootstrap import build
from vellarys.db.models import Message
from vellarys.db.uow import unit_of_work
from vellarys.worker import runtime, tasks


class GraphThatCutsTheDatabase(FakeGraphAPI):
    """Once armed, accepts the next send and at that moment the worker's database link goes
    down: open connections dropped, the next two connects refused, then accepted again."""

    def __init__(self, link: DatabaseLink) -> None:
        super().__init__(access_token="test-token")
        self.link, self.armed = link, False

    def success(self, request: Recorded, number: int) -> Reply:
        if self.armed:
            self.armed = False
            self.link.cut(refuse=2)
        return super().success(request, number)


async def test_a_send_accepted_while_the_database_is_away_is_recorded_when_it_returns(
    fresh_database: Callable[[], str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = fresh_database()
    with DatabaseLink(url) as link, GraphThatCutsTheDatabase(link) as graph:
        stack = await build_stack(url, tmp_path / "direct", graph)
        # The worker's side reaches the database through the link; the test's side does not.
        worker = build(
            make_settings(link.url_text, tmp_path / "linked", meta_graph_url=graph.url, **FAST)
        )
        try:
            reply_id = await _pending_reply(stack)
            runtime.install(worker)
            graph.armed = True
            with caplog.at_level(logging.WARNING, logger="vellarys.worker.retry"):
                outcome = await tasks.send_outbound(str(reply_id))
            async with unit_of_work(stack.container.sessions) as session:
                reply = await session.get(Message, reply_id)
        finally:
            await worker.aclose()
            await stack.client.aclose()
            await stack.container.aclose()
    assert outcome == "sent"
    assert link.refused == 2  # two writes failed on a refused connect before one landed
    retries = [r for r in caplog.records if "could not record a send yet" in r.getMessage()]
    # ... and those tried while the breaker knew the database away failed without a connect.
    assert len(retries) == 2 + worker.breaker.failed_fast
    assert reply is not None and reply.status == "sent" and reply.sending_since is None
    assert reply.external_id is not None and reply.external_id.startswith("wamid.")
    to_lead = [r for r in graph.sent if r.body.get("biz_opaque_callback_data") == str(reply_id)]
    assert len(to_lead) == 1  # recorded, not sent again


async def _pending_reply(stack: Stack) -> uuid.UUID:
    """A lead who wrote (their reply is sent at once), then one more pending reply to them."""
    await stack.post(meta_text("Oi"))
    await stack.drain()
    lead = await stack.lead("+5511988887777")
    assert lead is not None
    async with unit_of_work(stack.container.sessions) as session:
        message = Message(
            id=uuid.uuid4(),
            tenant_id=stack.tenant_id,
            lead_id=lead.id,
            channel_id=stack.channel.id,
            role="assistant",
            direction="outbound",
            status="pending",
            type="text",
            content="Temos 3 opções em Pinheiros.",
            media={},
        )
        session.add(message)
    return message.id
