"""Re-seal every stored secret under a new deployment key (``vellarys secrets rotate``).

Sealed values are the channels' secret credentials and app secrets and the agencies' own LLM
keys. A value the old key cannot open but the new one can is already rotated (a rotation
that stopped halfway can be run again); a value neither opens is counted, never destroyed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.whatsapp import REGISTRY
from vellarys.db.models import Channel, Tenant
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
    channels = (await session.execute(select(Channel).order_by(Channel.id))).scalars()
    for channel in channels:
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
    for tenant in (await session.execute(select(Tenant).order_by(Tenant.id))).scalars():
        llm = dict((tenant.settings or {}).get("llm") or {})
        if llm.get("api_key"):
            llm["api_key"] = _rotate(
                llm["api_key"], old_key=old_key, new_key=new_key, report=report
            )
            tenant.settings = {**tenant.settings, "llm": llm}
    await session.flush()
    return report
