"""Settings: defaults, aliases, production rules, and that every one is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import CHEAP_PASSWORD_HASH
from vellarys.bootstrap import build
from vellarys.config import InvalidSettings, Settings, load_settings
from vellarys.domain import password

README = Path(__file__).resolve().parent.parent / "README.md"


def _env_names(field: str) -> list[str]:
    info = Settings.model_fields[field]
    alias = info.validation_alias
    if alias is not None:
        return [str(choice) for choice in alias.choices]  # type: ignore[union-attr]
    return [f"VELLARYS_{field.upper()}"]


def test_defaults_match_the_reference_system(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DB_POOL_SIZE", "VELLARYS_DB_POOL_SIZE", "VELLARYS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.db_pool_size, settings.db_max_overflow) == (10, 20)
    assert (settings.db_pool_timeout, settings.db_pool_recycle) == (10, 1800)
    assert settings.statement_timeout_ms == 60000
    assert settings.embedded


@pytest.mark.parametrize("name", ["DB_POOL_SIZE", "VELLARYS_DB_POOL_SIZE"])
def test_pool_size_is_read_from_both_names(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "7")
    assert Settings(_env_file=None).db_pool_size == 7  # type: ignore[call-arg]


def test_production_requires_a_secret_key_and_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELLARYS_ENVIRONMENT", "production")
    monkeypatch.delenv("VELLARYS_SECRET_KEY", raising=False)
    with pytest.raises(InvalidSettings, match="VELLARYS_SECRET_KEY: required in production"):
        load_settings(_env_file=None, database_url="postgresql://x@h/db")


def test_every_settings_problem_is_listed_at_once_without_echoing_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VELLARYS_ENVIRONMENT", "production")
    monkeypatch.setenv("VELLARYS_SECRET_KEY", "short-secret")
    monkeypatch.setenv("VELLARYS_PORT", "70000")
    monkeypatch.setenv("DB_POOL_SIZE", "lots")
    monkeypatch.delenv("VELLARYS_DATABASE_URL", raising=False)
    with pytest.raises(InvalidSettings) as raised:
        load_settings(_env_file=None)
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "VELLARYS_DATABASE_URL",
        "VELLARYS_PORT",
        "VELLARYS_SECRET_KEY",
        "VELLARYS_DB_POOL_SIZE",
    ]
    assert "at least 32 bytes" in problems[2]
    assert "short-secret" not in str(raised.value)
    assert "70000" in problems[1]


def test_a_32_byte_secret_is_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELLARYS_ENVIRONMENT", "production")
    settings = load_settings(
        _env_file=None, database_url="postgresql://x@h/db", secret_key="s" * 32
    )
    assert settings.environment == "production"


def test_a_missing_secret_is_generated_once_and_kept_in_the_data_folder(tmp_path: Path) -> None:
    first = Settings(_env_file=None, data_dir=tmp_path).resolved_secret_key  # type: ignore[call-arg]
    second = Settings(_env_file=None, data_dir=tmp_path).resolved_secret_key  # type: ignore[call-arg]
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text()
    documented = set(re.findall(r"`((?:VELLARYS_)?[A-Z][A-Z0-9_]+)`", readme))
    missing = [
        name
        for field in Settings.model_fields
        for name in _env_names(field)
        if name not in documented
    ]
    assert missing == []


async def test_production_hashes_passwords_at_argon2s_default_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one test that hashes at production's cost: the rest of the suite runs at the cheapest
    (tests/conftest.py), which a hash made at either cost does not care about when verified."""
    cheap = password.hash_password("senha-forte-123")
    assert cheap.startswith("$argon2id$v=19$m=32,t=1,p=4$")
    for name in ("VELLARYS_PASSWORD_HASH_TIME_COST", "VELLARYS_PASSWORD_HASH_MEMORY_KIB"):
        monkeypatch.delenv(name, raising=False)
    shipped = Settings(_env_file=None, database_url="postgresql://x@127.0.0.1/none")  # type: ignore[call-arg]
    container = build(shipped)
    try:
        stored = password.hash_password("senha-forte-123")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert password.verify_password(stored, "senha-forte-123")
        assert not password.verify_password(stored, "senha-forte-124")
        assert password.dummy_hash().startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert password.verify_password(cheap, "senha-forte-123")
    finally:
        await container.aclose()
        password.configure(**CHEAP_PASSWORD_HASH)
    assert password.hash_password("x").startswith("$argon2id$v=19$m=32,t=1,p=4$")
