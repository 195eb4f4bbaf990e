"""Server-side sessions, password resets, erased identifiers, sealed channel credentials.

Channel secrets (access tokens, app secrets, client tokens, API keys) were stored in plain
text; this revision seals every existing one with the deployment's secret key (the key
``vellarys migrate`` passes in). The downgrade opens them again.

Revision ID: 0006_sec
Revises: 0006_edge
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from vellarys.domain.secretbox import PREFIX, open_sealed, seal

revision = "0006_sec"
down_revision = "0006_edge"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
# The provider credential keys that were secret when this revision was written.
SECRET_KEYS = {
    "meta": ("access_token",),
    "zapi": ("token", "client_token"),
    "evolution": ("api_key",),
}
TIMESTAMP = sa.DateTime(timezone=True)


def _tenant_fk() -> sa.Column[Any]:
    return sa.Column(
        "tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant_fk(),
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP),
        sa.Column("revoked_reason", sa.String(32)),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
    )
    op.create_index(
        "ix_user_sessions_user_id_revoked_at", "user_sessions", ["user_id", "revoked_at"]
    )
    op.create_table(
        "password_resets",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant_fk(),
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "created_by_id", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP),
    )
    op.create_table(
        "erasure_salts",
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("salt", sa.String(64), nullable=False),
    )
    op.create_table(
        "erased_identifiers",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("erased_at", TIMESTAMP, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('phone', 'message')", name="kind"),
    )
    op.create_index(
        "ux_erased_identifiers_lookup", "erased_identifiers", ["tenant_id", "kind", "digest"],
        unique=True,
    )  # fmt: skip
    for table in ("user_sessions", "password_resets", "erasure_salts", "erased_identifiers"):
        _protect(table)
    _reseal(_sealer())


def _protect(table: str) -> None:
    # The same tenant wall as 0005; grants come from its default privileges.
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON {table} USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )


def _secret_key() -> str | None:
    config = op.get_context().config
    key = config.attributes.get("secret_key") if config is not None else None
    return str(key) if key else None


def _sealer() -> Callable[[str], str]:
    key = _secret_key()

    def sealed(value: str) -> str:
        if value.startswith(PREFIX):
            return value
        if key is None:
            raise RuntimeError(
                "channels hold plain-text credentials: run `vellarys migrate` (it passes "
                "VELLARYS_SECRET_KEY) so this migration can seal them"
            )
        return seal(value, secret_key=key)

    return sealed


def _opener() -> Callable[[str], str]:
    key = _secret_key()

    def opened(value: str) -> str:
        if not value.startswith(PREFIX):
            return value
        plain = open_sealed(value, secret_key=key) if key else None
        if plain is None:
            raise RuntimeError("cannot open a sealed channel credential without its secret key")
        return plain

    return opened


def _reseal(change: Callable[[str], str]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, provider, credentials, app_secret FROM channels"))
    for channel_id, provider, credentials, app_secret in rows.fetchall():
        creds = dict(credentials or {})
        for key in SECRET_KEYS.get(provider, ()):
            if creds.get(key):
                creds[key] = change(str(creds[key]))
        bind.execute(
            sa.text(
                "UPDATE channels SET credentials = CAST(:c AS jsonb), app_secret = :s WHERE id = :i"
            ),
            {
                "c": json.dumps(creds),
                "s": change(app_secret) if app_secret else None,
                "i": channel_id,
            },
        )


def downgrade() -> None:
    _reseal(_opener())
    for table in ("erased_identifiers", "erasure_salts", "password_resets", "user_sessions"):
        op.drop_table(table)
