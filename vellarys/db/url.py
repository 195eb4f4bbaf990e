"""Database URLs in the three spellings we need: libpq, SQLAlchemy+asyncpg, SQLAlchemy+psycopg."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def _with_driver(url: str, driver: str) -> URL:
    parsed = make_url(url)
    return parsed.set(drivername=f"postgresql+{driver}")


def async_url(url: str) -> URL:
    return _with_driver(url, "asyncpg")


def sync_url(url: str) -> URL:
    return _with_driver(url, "psycopg")


def libpq_url(url: str) -> str:
    """The plain ``postgresql://`` form that psql and psycopg accept."""
    return (
        _with_driver(url, "psycopg")
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
