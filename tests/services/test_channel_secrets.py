"""Channel credentials: declared once per provider (the registry), stored sealed, opened only
to build the adapter, re-sealed by `vellarys secrets rotate`; database errors reach the logs
without their parameters."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_tenant
from tests.conftest import make_settings
from vellarys.adapters.whatsapp import CONNECTABLE, REGISTRY
from vellarys.adapters.whatsapp.meta_cloud import MetaCloudProvider
from vellarys.bootstrap import build
from vellarys.cli.catalog import load as load_command
from vellarys.db import migrate
from vellarys.db.models.channel import PROVIDERS as STORED_PROVIDERS
from vellarys.db.uow import unit_of_work
from vellarys.domain.secretbox import PREFIX, open_sealed, seal
from vellarys.errors import BadRequest, Unauthorized
from vellarys.services.channel import add_channel, open_credentials
from vellarys.services.sealing import rotate_secrets
from vellarys.telemetry.logs import configure_logging

KEY = "test-secret"


def test_the_registry_names_every_stored_provider_and_the_cli_offers_every_credential() -> None:
    assert set(REGISTRY) == set(STORED_PROVIDERS)
    channel = load_command("channel")
    add = channel.commands["add"]  # type: ignore[attr-defined]
    options = {opt for param in add.params for opt in param.opts}
    for spec in REGISTRY.values():
        if spec.connectable:
            assert spec.identity_option in options, spec.name
        for field in spec.fields:
            assert field.option in options, (spec.name, field.key)


async def test_required_credentials_come_from_the_provider_declaration(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    for name in CONNECTABLE:
        spec = REGISTRY[name]
        with pytest.raises(BadRequest) as refused:
            await add_channel(
                session, tenant_id=tenant.id, provider=name, identity="x", credentials={},
                secret_key=KEY,
            )  # fmt: skip
        for key in spec.required_keys:
            assert key in refused.value.message


async def test_secret_credentials_are_stored_sealed_and_open_to_build_the_adapter(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    channel = await add_channel(
        session,
        tenant_id=tenant.id,
        provider="meta",
        identity=f"pn-{uuid.uuid4().hex[:8]}",
        credentials={"access_token": "EAAG-plain-token", "app_secret": "plain-app-secret"},
        secret_key=KEY,
    )
    raw = (
        await session.execute(
            text(
                "SELECT credentials::text || coalesce(app_secret, '') FROM channels WHERE id = :i"
            ),
            {"i": channel.id},
        )
    ).scalar_one()
    assert "EAAG-plain-token" not in raw and "plain-app-secret" not in raw
    assert channel.credentials["access_token"].startswith(PREFIX)
    assert (channel.app_secret or "").startswith(PREFIX)
    assert open_credentials(channel, KEY) == {
        "access_token": "EAAG-plain-token",
        "app_secret": "plain-app-secret",
    }
    evolution = await add_channel(
        session,
        tenant_id=tenant.id,
        provider="evolution",
        identity=f"evo-{uuid.uuid4().hex[:8]}",
        credentials={"api_key": "evo-key", "base_url": "https://evolution.example.com"},
        secret_key=KEY,
    )
    # Addresses are not secrets: the page and the operator can read them.
    assert evolution.credentials["base_url"] == "https://evolution.example.com"
    assert evolution.credentials["api_key"].startswith(PREFIX)


async def test_the_container_opens_sealed_credentials_to_sign_and_send(
    database_url: str, tmp_path: Path
) -> None:
    container = build(make_settings(database_url, tmp_path))
    try:
        async with unit_of_work(container.sessions) as session:
            tenant = await make_tenant(session)
            channel = await add_channel(
                session,
                tenant_id=tenant.id,
                provider="meta",
                identity=f"pn-{uuid.uuid4().hex[:8]}",
                credentials={"access_token": "tok-1", "app_secret": "app-1"},
                secret_key=container.settings.resolved_secret_key,
            )
            provider = container.pipeline.provider_for(channel)
            assert isinstance(provider, MetaCloudProvider)
            body = b'{"object": "whatsapp_business_account", "entry": []}'
            signature = hmac.new(b"app-1", body, hashlib.sha256).hexdigest()
            provider.verify_request(body, {"x-hub-signature-256": f"sha256={signature}"})
            with pytest.raises(Unauthorized):
                provider.verify_request(body, {"x-hub-signature-256": "sha256=" + "0" * 64})
            await session.execute(text("DELETE FROM tenants WHERE id = :i"), {"i": tenant.id})
    finally:
        await container.aclose()


async def test_rotation_reseals_channel_secrets_and_agency_llm_keys(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    channel = await add_channel(
        session,
        tenant_id=tenant.id,
        provider="zapi",
        identity=f"z-{uuid.uuid4().hex[:8]}",
        credentials={"token": "z-token", "client_token": "z-client"},
        secret_key="old-key",
    )
    tenant.settings = {
        "llm": {
            "base_url": "https://x",
            "model": "m",
            "api_key": seal("sk-1", secret_key="old-key"),
        }
    }
    await session.flush()
    report = await rotate_secrets(session, old_key="old-key", new_key="new-key")
    assert report.unreadable == 0 and report.resealed >= 3
    assert open_credentials(channel, "new-key") == {"token": "z-token", "client_token": "z-client"}
    assert open_credentials(channel, "old-key") == {"token": "", "client_token": ""}
    assert open_sealed(tenant.settings["llm"]["api_key"], secret_key="new-key") == "sk-1"
    again = await rotate_secrets(session, old_key="old-key", new_key="new-key")
    assert again.resealed == 0 and again.already >= 3


def test_the_migration_seals_plain_text_credentials_and_the_downgrade_opens_them(
    empty_database: str,
) -> None:
    migrate.upgrade(empty_database, "0005")
    with psycopg.connect(empty_database, autocommit=True) as conn:
        tenant = conn.execute(
            "INSERT INTO tenants (id, slug, name) VALUES (gen_random_uuid(), 'velha', 'Velha') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO channels (id, tenant_id, provider, name, identity, webhook_key, app_secret, credentials) "
            "VALUES (gen_random_uuid(), %s, 'meta', 'Meta', '123', 'wk', 'old-app-secret', "
            '\'{"access_token": "old-token", "api_version": "v21.0"}\')',
            (tenant,),
        )
    migrate.upgrade(empty_database, secret_key=KEY)
    with psycopg.connect(empty_database) as conn:
        creds, app_secret = conn.execute("SELECT credentials, app_secret FROM channels").fetchone()
    assert open_sealed(creds["access_token"], secret_key=KEY) == "old-token"
    assert open_sealed(app_secret, secret_key=KEY) == "old-app-secret"
    assert creds["api_version"] == "v21.0"
    migrate.downgrade(empty_database, "0005", secret_key=KEY)
    with psycopg.connect(empty_database) as conn:
        creds, app_secret = conn.execute("SELECT credentials, app_secret FROM channels").fetchone()
    assert (creds["access_token"], app_secret) == ("old-token", "old-app-secret")


def test_secrets_rotate_command_moves_stored_secrets_to_the_new_key(empty_database: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    env |= {"VELLARYS_DATABASE_URL": empty_database, "VELLARYS_SECRET_KEY": "first-key"}
    run = [sys.executable, "-m", "vellarys"]
    subprocess.run([*run, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*run, "tenant", "create", "--slug", "rot", "--name", "Rot"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*run, "channel", "add", "evolution", "--tenant", "rot", "--instance", "casa",
         "--api-key", "evo-secret", "--base-url", "https://evolution.example.com", "--json"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    rotated = subprocess.run(
        [*run, "secrets", "rotate"],
        env=env | {"VELLARYS_SECRET_KEY": "second-key", "VELLARYS_OLD_SECRET_KEY": "first-key"},
        capture_output=True,
        text=True,
    )
    assert rotated.returncode == 0, rotated.stderr
    assert "1 secrets re-sealed" in rotated.stdout
    with psycopg.connect(empty_database) as conn:
        creds = conn.execute(
            "SELECT credentials FROM channels WHERE provider = 'evolution'"
        ).fetchone()[0]
    assert open_sealed(creds["api_key"], secret_key="second-key") == "evo-secret"


async def test_database_errors_reach_the_logs_without_their_parameters(
    database_url: str, tmp_path: Path
) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    container = build(make_settings(database_url, tmp_path))
    phone, words = "+5511987650001", "Meu CPF é 123.456.789-00"
    try:
        async with unit_of_work(container.sessions) as session:
            tenant = await make_tenant(session)
            await session.execute(
                text("INSERT INTO leads (id, tenant_id, phone) VALUES (gen_random_uuid(), :t, :p)"),
                {"t": tenant.id, "p": phone},
            )
            with pytest.raises(DBAPIError) as failed:
                async with session.begin_nested():
                    await session.execute(
                        text("INSERT INTO leads (id, tenant_id, phone, name) "
                             "VALUES (gen_random_uuid(), :t, :p, :n)"),
                        {"t": tenant.id, "p": phone, "n": words},
                    )  # fmt: skip
            try:
                raise failed.value
            except DBAPIError:
                logging.getLogger("vellarys.test").exception("could not store")
            logging.getLogger("vellarys.test").error("failed", extra={"error": str(failed.value)})
            await session.execute(text("DELETE FROM tenants WHERE id = :i"), {"i": tenant.id})
    finally:
        await container.aclose()
        configure_logging("WARNING")
    output = stream.getvalue()
    assert "could not store" in output and "UniqueViolation" in output
    assert phone not in output and phone[1:] not in output and "CPF" not in output
    for line in output.splitlines():
        json.loads(line)
