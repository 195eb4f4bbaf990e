"""Re-seal every stored secret under a new deployment key (``vellarys secrets rotate``).

Sealed values are the channels' secret credentials and app secrets, the agencies' own LLM
keys and their webhooks' signing secrets. A value the old key cannot open but the new one
can is already rotated (a rotation that stopped halfway can be run again); a value neither
opens is counted, never destroyed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.whatsapp import REGISTRY
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import integration as integration_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.secretbox import PREFIX, open_sealed, seal


@dataclass(slots=True)
class Rotation:
    resealed: int = 0
    already: int = 0
    unreadable: int = 0


def _rotate(value: str, *, old_key: str, new_key: str, report: Rotation) -> str:
    if not value.startswith(PREFIX):
        report.resealed += 1  # a secret stored before sealing existed
        return seal(value, secret_key=new_key)
    plain = open_sealed(value, secret_key=old_key)
    if plain is not None:
        report.resealed += 1
        return seal(plain, secret_key=new_key)
    if open_sealed(value, secret_key=new_key) is not None:
        report.already += 1
    else:
        report.unreadable += 1
    return value


async def rotate_secrets(session: AsyncSession, *, old_key: str, new_key: str) -> Rotation:
    """Re-seal every stored secret from ``old_key`` to ``new_key`` (all agencies)."""
    report = Rotation()
    for channel in await channel_queries.every_channel(session):
        secret = REGISTRY[channel.provider].secret_keys if channel.provider in REGISTRY else ()
        credentials = dict(channel.credentials or {})
        for key in secret:
            if credentials.get(key):
                credentials[key] = _rotate(
                    str(credentials[key]), old_key=old_key, new_key=new_key, report=report
                )
        channel.credentials = credentials
        if channel.app_secret:
            channel.app_secret = _rotate(
                channel.app_secret, old_key=old_key, new_key=new_key, report=report
            )
    for tenant in await tenant_queries.every_tenant(session):
        llm = dict((tenant.settings or {}).get("llm") or {})
        if llm.get("api_key"):
            llm["api_key"] = _rotate(
                llm["api_key"], old_key=old_key, new_key=new_key, report=report
            )
            tenant.settings = {**tenant.settings, "llm": llm}
    for endpoint in await integration_queries.every_endpoint(session):
        endpoint.secret = _rotate(endpoint.secret, old_key=old_key, new_key=new_key, report=report)
    await session.flush()
    return report
