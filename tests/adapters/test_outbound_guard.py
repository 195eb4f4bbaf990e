"""Addresses agency admins type (Evolution, Z-API, their own LLM): http(s) only, and no
private, loopback or link-local target unless the operator allows it — checked when saved
and again at connect time (a name may resolve elsewhere later: DNS rebinding)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_tenant
from tests.conftest import make_settings
from tests.fakes.providers import FakeEvolution
from vellarys.adapters.outbound import BlockedAddress, GuardedTransport, IpAddress, check_url
from vellarys.adapters.whatsapp import REGISTRY
from vellarys.adapters.whatsapp.evolution import EvolutionProvider
from vellarys.bootstrap import build
from vellarys.config import Settings
from vellarys.db.models import Channel
from vellarys.domain.address import UnsafeUrl
from vellarys.errors import BadRequest, ProviderError
from vellarys.services.channel import add_channel, seal_values
from vellarys.services.settings import InvalidSettings, save_settings

INTERNAL = [
    "http://127.0.0.1:8080",
    "http://10.1.2.3/api",
    "http://192.168.0.10",
    "http://172.16.5.4",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]:9000",
    "http://[::ffff:127.0.0.1]/",
    "http://100.64.0.1",
    "http://0.0.0.0:8000",
    "http://localhost:8080",
    "http://evolution.internal",
]


def _resolver(answer: str):  # type: ignore[no-untyped-def]
    """A DNS answer at the network edge: every name resolves to ``answer``."""

    async def resolve(host: str, port: int) -> list[IpAddress]:
        return [ipaddress.ip_address(answer)]

    return resolve


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x", "evolution"]
)
async def test_only_http_and_https_urls_are_accepted_even_when_private_ones_are(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await check_url(url, allow_private=True)


@pytest.mark.parametrize("url", INTERNAL)
async def test_internal_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await check_url(url, allow_private=False)
    await check_url(url, allow_private=True)


async def test_a_name_that_resolves_to_an_internal_address_is_refused_when_saved() -> None:
    with pytest.raises(UnsafeUrl):
        await check_url(
            "https://evolution.example.com", allow_private=False, resolver=_resolver("10.0.0.7")
        )
    await check_url(
        "https://evolution.example.com", allow_private=False, resolver=_resolver("93.184.216.34")
    )


def test_production_refuses_private_urls_by_default_and_development_allows_them(
    tmp_path: Path,
) -> None:
    production = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="production",
        secret_key="k" * 40,
        database_url="postgresql://x@h/db",
    )
    assert production.private_urls_allowed is False
    assert Settings(_env_file=None, data_dir=tmp_path).private_urls_allowed is True  # type: ignore[call-arg]
    assert (
        Settings(_env_file=None, data_dir=tmp_path, allow_private_urls=False).private_urls_allowed  # type: ignore[call-arg]
        is False
    )


async def test_saving_an_evolution_channel_on_an_internal_address_is_refused(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    with pytest.raises(BadRequest, match="base_url"):
        await add_channel(
            session,
            tenant_id=tenant.id,
            provider="evolution",
            identity="casa",
            credentials={"api_key": "k", "base_url": "http://169.254.169.254"},
            secret_key="s",
            allow_private_urls=False,
        )


async def test_a_name_rebound_to_loopback_after_saving_is_refused_at_connect_time() -> None:
    with FakeEvolution() as evolution:
        port = httpx.URL(evolution.url).port
        # Saved while the name pointed at a public address...
        await check_url(
            f"http://evolution.example.com:{port}",
            allow_private=False,
            resolver=_resolver("93.184.216.34"),
        )
        # ...and now the same name answers with the server's own loopback.
        transport = GuardedTransport(allow_private=False, resolver=_resolver("127.0.0.1"))
        async with httpx.AsyncClient(transport=transport) as http:
            provider = EvolutionProvider(
                instance="casa",
                api_key="k",
                base_url=f"http://evolution.example.com:{port}",
                http=http,
            )
            with pytest.raises(ProviderError) as refused:
                await provider.send_text(to="+5511988887777", text="Oi")
        assert not refused.value.retryable
        assert evolution.requests == []


async def test_the_guarded_transport_refuses_literal_internal_addresses() -> None:
    with FakeEvolution() as evolution:
        async with httpx.AsyncClient(transport=GuardedTransport(allow_private=False)) as http:
            with pytest.raises(BlockedAddress):
                await http.post(evolution.url + "/message/sendText/casa", json={})
        async with httpx.AsyncClient(transport=GuardedTransport(allow_private=True)) as http:
            answer = await http.post(evolution.url + "/message/sendText/casa", json={})
        assert answer.status_code < 500
        assert len(evolution.requests) == 1


async def test_a_deployment_that_refuses_private_urls_does_not_call_a_stored_internal_channel(
    database_url: str, tmp_path: Path
) -> None:
    container = build(make_settings(database_url, tmp_path, allow_private_urls=False))
    try:
        with FakeEvolution() as evolution:
            # A row written before the guard existed (or by hand): the guard still holds.
            channel = Channel(
                provider="evolution",
                identity="casa",
                credentials=seal_values(
                    REGISTRY["evolution"],
                    {"api_key": "k", "base_url": evolution.url},
                    container.settings.resolved_secret_key,
                ),
            )
            with pytest.raises(ProviderError):
                await container.pipeline.provider_for(channel).send_text(
                    to="+5511988887777", text="Oi"
                )
            assert evolution.requests == []
    finally:
        await container.aclose()


async def test_an_agency_llm_url_on_an_internal_address_is_refused_and_nothing_is_stored(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    before = dict(tenant.settings)
    form = {
        "persona_name": "Lia", "agency_name": "Casa", "tone": "formal", "handoff_threshold": "75",
        "llm_base_url": "http://169.254.169.254/v1", "llm_model": "gpt-4o-mini",
    }  # fmt: skip
    with pytest.raises(InvalidSettings) as refused:
        await save_settings(
            session, tenant_id=tenant.id, form=form, secret_key="s", allow_private_urls=False
        )
    assert "llm_base_url" in refused.value.errors
    await session.refresh(tenant)
    assert tenant.settings == before
    form["llm_base_url"] = "file:///etc/passwd"
    with pytest.raises(InvalidSettings):
        await save_settings(
            session, tenant_id=tenant.id, form=form, secret_key="s", allow_private_urls=True
        )
