"""The API under test: a client, two agencies with a key each, and the database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.openapi_check import OpenApiChecker
from vellarys.bootstrap import Container
from vellarys.db.uow import unit_of_work


@dataclass
class Agency:
    tenant_id: uuid.UUID
    key: str
    key_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Api:
    container: Container
    client: httpx.AsyncClient
    openapi: OpenApiChecker
    ours: Agency
    theirs: Agency

    async def call(
        self, method: str, path: str, *, as_: Agency | None = None, **kwargs: Any
    ) -> httpx.Response:
        agency = as_ or self.ours
        headers = {**agency.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """A committed unit of work, for arranging data and checking what was saved."""
        async with unit_of_work(self.container.sessions) as session:
            yield session

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db() as session:
            return (await session.execute(text(sql), params)).scalar()
