"""Whether the database is away, and a breaker that stops a backlog from waiting on it.

``database_away(exc)`` tells an outage (PostgreSQL stopped, starting up, shutting down,
refusing, a connection cut mid-query) from a bad query, whatever layer raised it: asyncpg
raw, asyncpg wrapped by SQLAlchemy, the pool, or the socket.

``ConnectBreaker`` guards new connections. After a connect fails because the database is
away it opens: for ``cooldown`` seconds every connect fails at once with ``DatabaseAway``
instead of each request of a backlog waiting on its own connect (or its connect timeout).
Then one connect is let through as a probe while the others keep failing fast; it closes
the breaker when it succeeds and opens it again when it fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from vellarys.errors import VellarysError

# SQLSTATEs that mean "cannot be served now", not "this query is wrong": connection
# exceptions (class 08), shutting down, crashed, starting up, too many connections.
AWAY_SQLSTATE_CLASSES = ("08",)
AWAY_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# asyncpg's own errors that are about the link, not the statement.
_LINK_ERRORS = (asyncpg.InterfaceError, asyncpg.InternalClientError)
_NOT_LINK_ERRORS = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.ClientConfigurationError,
    asyncpg.exceptions.OutdatedSchemaCacheError,
)

State = Literal["closed", "open", "probing"]


class DatabaseAway(ConnectionError):
    """Not connecting: the breaker knows the database is away (see ``ConnectBreaker``)."""


def database_away(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver error it wraps) means the database cannot be reached
    now. One of our own errors never is: it already says what went wrong."""
    return not isinstance(exc, VellarysError) and any(_away(link) for link in _chain(exc))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the DBAPI error SQLAlchemy wraps, and the asyncpg error that one wraps."""
    link: BaseException | None = exc
    for _ in range(4):
        if link is None:
            return
        yield link
        link = getattr(link, "orig", None) or link.__cause__


def _away(exc: BaseException) -> bool:
    if isinstance(exc, OSError | PoolTimeout):  # refused, reset, timed out, pool exhausted
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, _LINK_ERRORS):
        return not isinstance(exc, _NOT_LINK_ERRORS)
    sqlstate = getattr(exc, "sqlstate", None)
    if not isinstance(sqlstate, str):
        return False
    return sqlstate in AWAY_SQLSTATES or sqlstate.startswith(AWAY_SQLSTATE_CLASSES)


@dataclass
class ConnectBreaker:
    """Closed, open or probing (see the module's docstring). ``clock`` is monotonic seconds;
    tests drive it. The counters say what the breaker did, for /health and for tests."""

    cooldown: float = 1.0
    clock: Callable[[], float] = time.monotonic
    state: State = "closed"
    opened_at: float | None = None
    attempts: int = 0  # connects let through
    failed_fast: int = 0  # connects refused without trying
    trips: int = 0  # times it opened
    _retry_at: float = field(default=0.0, repr=False)

    def before_connect(self) -> None:
        """Let a connect through, or raise ``DatabaseAway`` at once."""
        if self.state == "open" and self.clock() >= self._retry_at:
            self.state = "probing"  # this connect is the probe
        elif self.state != "closed":
            self.failed_fast += 1
            raise DatabaseAway(f"the database is away (since {self._away_for():.0f} s)")
        self.attempts += 1

    def succeeded(self) -> None:
        self.state, self.opened_at = "closed", None

    def failed(self, exc: BaseException) -> None:
        """A connect that was let through failed: open when the database is away."""
        if not database_away(exc):
            if self.state == "probing":
                self.state = "open"  # not an outage, but the probe proved nothing either
            return
        if self.state == "closed":
            self.trips += 1
            self.opened_at = self.clock()
        self.state = "open"
        self._retry_at = self.clock() + self.cooldown

    def _away_for(self) -> float:
        return 0.0 if self.opened_at is None else self.clock() - self.opened_at

    def report(self) -> dict[str, object]:
        return {
            "state": self.state,
            "away_seconds": round(self._away_for(), 1),
            "trips": self.trips,
            "failed_fast": self.failed_fast,
        }
