"""API key authentication for ``/api/v1``.

The key is checked first, in a short unit of work of its own, so a caller without a valid
key learns nothing else (not even that its body was malformed). The handler then opens the
request's unit of work, which commits before the response goes out.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.api.deps import get_container
from vellarys.bootstrap import Container
from vellarys.db.uow import unit_of_work
from vellarys.errors import Unauthorized
from vellarys.services.api_keys import authenticate
from vellarys.services.audit import Actor

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="vk_<prefix>_<secret>",
    description="A per-agency API key: `Authorization: Bearer vk_...`.",
)


@dataclass(frozen=True, slots=True)
class Caller:
    tenant_id: uuid.UUID
    api_key_id: uuid.UUID

    @property
    def actor(self) -> Actor:
        """An API key acts with an admin's reach over its agency."""
        return Actor(tenant_id=self.tenant_id, api_key_id=self.api_key_id)


@dataclass(frozen=True, slots=True)
class Authorized:
    """An authenticated request: who calls, and how to open its unit of work."""

    container: Container
    caller: Caller

    @asynccontextmanager
    async def session(self) -> AsyncIterator[tuple[AsyncSession, Caller]]:
        # Row-level security then shows this transaction the key's agency only.
        tenant = self.caller.tenant_id
        async with unit_of_work(self.container.sessions, tenant_id=tenant) as session:
            yield session, self.caller


async def _authorized(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Authorized:
    container = get_container(request)
    token = credentials.credentials.strip() if credentials else ""
    key = None
    if token:
        async with unit_of_work(container.sessions) as session:
            key = await authenticate(session, token)
    if key is None:
        raise Unauthorized("Chave de API ausente, inválida ou revogada")
    return Authorized(container, Caller(tenant_id=key.tenant_id, api_key_id=key.id))


Auth = Annotated[Authorized, Depends(_authorized)]
