"""Seed the demo agency (slug ``demo``) from the data shipped in ``vellarys.demo``."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, KnowledgeDocument, Tenant, User
from vellarys.db.queries import knowledge as knowledge_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.password import hash_password
from vellarys.domain.ports import Embedder
from vellarys.services import catalog, demo_vectors, knowledge, property_search

DEMO_SLUG = "demo"
DEMO_LOGIN = ("admin@demo.local", "vellarys-demo")


def is_published_demo_login(email: str, password: str) -> bool:
    """True for the demo login printed in the README: production refuses it, whatever the database
    holds (a database first run in development may still have the demo agency)."""
    return password == DEMO_LOGIN[1] or email.strip().lower() == DEMO_LOGIN[0]


@dataclass(frozen=True, slots=True)
class SeedResult:
    tenant: Tenant
    created: bool
    properties: int = 0
    documents: int = 0


def _data() -> Traversable:
    return files("vellarys.demo").joinpath("data")


def _load_json(name: str) -> Any:
    return json.loads(_data().joinpath(name).read_text(encoding="utf-8"))


async def seed_demo(session: AsyncSession, embedder: Embedder | None = None) -> SeedResult:
    """Create the demo agency with its staff, listings, knowledge base and simulator channel.

    With an ``embedder`` the listings and the knowledge base are embedded before it returns, so
    the agency answers at once with no worker running (``vellarys chat`` right after the seed);
    without one, indexing jobs are queued for the worker. Safe to run on every start: an agency
    that exists is only finished (whatever is still unembedded gets embedded).
    """
    existing = await tenant_queries.by_slug(session, DEMO_SLUG)
    if existing is not None:
        if embedder is not None:
            await index_demo(session, embedder, tenant_id=existing.id)
        return SeedResult(tenant=existing, created=False)
    agency = _load_json("agency.json")
    tenant = Tenant(slug=DEMO_SLUG, name=agency["name"], settings=agency["settings"])
    session.add(tenant)
    await session.flush()
    _add_users(session, tenant, agency["users"])
    rows = _load_json("properties.json")
    await catalog.import_listings(
        session, tenant_id=tenant.id, rows=list(enumerate(rows, 1)), as_text=False
    )
    documents = _add_documents(session, tenant)
    session.add(
        Channel(
            tenant_id=tenant.id,
            provider="simulator",
            name="Simulador",
            identity=f"simulator-{tenant.slug}",
            webhook_key=secrets.token_urlsafe(24),
        )
    )
    await session.flush()
    if embedder is None:
        await _enqueue_indexing(session, tenant)
    else:
        await index_demo(session, embedder, tenant_id=tenant.id)
    return SeedResult(tenant=tenant, created=True, properties=len(rows), documents=documents)


async def index_demo(session: AsyncSession, embedder: Embedder, *, tenant_id: uuid.UUID) -> None:
    """Embed the agency's listings and every knowledge document not yet ready, right now.

    The demo's texts come with their vectors (see ``demo_vectors``): the model embeds only
    what the shipped file does not hold."""
    embedder = demo_vectors.with_shipped(embedder)
    while await property_search.index_pending_properties(session, embedder, tenant_id=tenant_id):
        pass
    pending = await knowledge_queries.document_ids(session, tenant_id, unready_only=True)
    for document_id in pending:
        await knowledge.index_document(
            session, embedder, tenant_id=tenant_id, document_id=document_id
        )


async def _enqueue_indexing(session: AsyncSession, tenant: Tenant) -> None:
    """The worker embeds the knowledge base in the background (the import queued the listings)."""
    for document_id in await knowledge_queries.document_ids(session, tenant.id):
        await queue.defer_index_document(session, tenant_id=tenant.id, document_id=document_id)


def _add_users(session: AsyncSession, tenant: Tenant, users: list[dict[str, Any]]) -> None:
    for user in users:
        session.add(
            User(
                tenant_id=tenant.id,
                email=user["email"],
                name=user["name"],
                role=user["role"],
                phone=user.get("phone"),
                areas=user.get("areas", {}),
                password_hash=hash_password(user["password"]),
            )
        )


def _add_documents(session: AsyncSession, tenant: Tenant) -> int:
    folder = _data().joinpath("knowledge")
    count = 0
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".md"):
            continue
        content = entry.read_text(encoding="utf-8")
        title = content.splitlines()[0].lstrip("# ").strip() if content else entry.name
        session.add(
            KnowledgeDocument(
                tenant_id=tenant.id,
                title=title,
                filename=entry.name,
                source_type="markdown",
                content=content,
                content_hash=hashlib.sha256(content.encode()).hexdigest(),
            )
        )
        count += 1
    return count
