"""What `vellarys doctor` concludes from facts about a deployment (pure: the facts come from
the database, the file system and the network, gathered by ``services.doctor``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]
GIB = 1024**3
MIN_SERVER_VERSION = 150000  # PostgreSQL 15
MIN_PGVECTOR = (0, 6)
ITERATIVE_SCAN_PGVECTOR = (0, 8)
BUDGET_WARN_RATIO = 0.8
CERT_WARN_DAYS = 14


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str


def failed(checks: list[Check]) -> bool:
    return any(check.status == "fail" for check in checks)


def secret_check(*, production: bool, secret_bytes: int, minimum: int) -> Check:
    if secret_bytes >= minimum:
        return Check("secret key", "ok", f"{secret_bytes} bytes")
    status: Status = "fail" if production else "warn"
    return Check("secret key", status, f"{secret_bytes} bytes, needs at least {minimum}")


def versions_check(server_version_num: int, server_version: str, pgvector: str | None) -> Check:
    if server_version_num < MIN_SERVER_VERSION:
        return Check(
            "postgresql", "fail", f"{server_version}: Vellarys needs PostgreSQL 15 or newer"
        )
    if pgvector is None:
        return Check(
            "postgresql", "fail", f"{server_version}, pgvector not installed in this database"
        )
    found = _version_tuple(pgvector)
    if found < MIN_PGVECTOR:
        return Check("postgresql", "fail", f"{server_version}, pgvector {pgvector}: needs 0.6+")
    if found < ITERATIVE_SCAN_PGVECTOR:
        detail = f"{server_version}, pgvector {pgvector} (0.8+ adds iterative index scans)"
        return Check("postgresql", "ok", detail)
    return Check("postgresql", "ok", f"{server_version}, pgvector {pgvector}")


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class Budget:
    api_processes: int
    worker_processes: int
    pool_size: int
    max_overflow: int
    worker_queue_connections: int
    api_extra_connections: int  # the webhook ack path's pool and the health probe's connection
    headroom: int  # migrations, CLI commands, psql
    max_connections: int
    reserved_connections: int
    in_use: int

    @property
    def needed(self) -> int:
        per_process = self.pool_size + self.max_overflow
        workers = self.worker_processes * (per_process + self.worker_queue_connections)
        apis = self.api_processes * (per_process + self.api_extra_connections)
        return apis + workers + self.headroom

    @property
    def available(self) -> int:
        return self.max_connections - self.reserved_connections


def budget_check(budget: Budget) -> Check:
    """Every process at full pool must fit in the server's max_connections."""
    detail = (
        f"{budget.api_processes} api + {budget.worker_processes} worker processes "
        f"x (pool {budget.pool_size} + overflow {budget.max_overflow}) + ack, health, queue "
        f"and headroom "
        f"= {budget.needed} of {budget.available} available (max_connections "
        f"{budget.max_connections}; {budget.in_use} in use now)"
    )
    if budget.needed > budget.available:
        advice = "; lower VELLARYS_DB_MAX_OVERFLOW / DB_POOL_SIZE or raise max_connections"
        return Check("connections", "fail", detail + advice)
    if budget.needed > BUDGET_WARN_RATIO * budget.available:
        return Check("connections", "warn", detail + " (above 80 %)")
    return Check("connections", "ok", detail)


def disk_check(path: str, *, free: int, total: int) -> Check:
    ratio = free / total if total else 0.0
    detail = f"{path}: {free / GIB:.1f} GiB free of {total / GIB:.1f} GiB ({ratio:.0%})"
    if free < 1 * GIB or ratio < 0.05:
        return Check("disk", "fail", detail)
    if free < 5 * GIB or ratio < 0.10:
        return Check("disk", "warn", detail)
    return Check("disk", "ok", detail)


def workers_check(
    *, alive: int, heartbeat_seconds: float, per_process: int = 1, expected: int = 1
) -> Check:
    """``alive`` queue workers with a fresh heartbeat; each process runs ``per_process``."""
    if alive == 0:
        return Check(
            "workers",
            "warn",
            f"no worker sent a heartbeat in the last {heartbeat_seconds:g} s "
            "(start one: vellarys worker)",
        )
    processes = -(-alive // per_process)
    detail = f"{processes} of {expected} processes alive (heartbeat within {heartbeat_seconds:g} s)"
    return Check("workers", "ok" if processes >= expected else "warn", detail)


def queue_check(*, depth: int, oldest_seconds: float | None, limit_seconds: float) -> Check:
    age = oldest_seconds or 0.0
    detail = f"{depth} waiting, oldest due {age:.0f} s ago (limit {limit_seconds:g} s)"
    if age > limit_seconds:
        return Check("queue", "fail", detail + ": the workers do not keep up or are down")
    return Check("queue", "ok", detail)


def public_url_check(public_url: str | None, *, production: bool) -> Check:
    if not public_url:
        status: Status = "fail" if production else "ok"
        return Check("public url", status, "VELLARYS_PUBLIC_URL unset (webhooks need it)")
    if not public_url.startswith("https://"):
        status = "fail" if production else "ok"
        return Check("public url", status, f"{public_url}: WhatsApp providers need https")
    return Check("public url", "ok", public_url)


def certificate_check(host: str, days_left: float | None, error: str | None) -> Check:
    if error is not None:
        return Check(
            "tls", "warn" if error.startswith("unreachable") else "fail", f"{host}: {error}"
        )
    assert days_left is not None
    if days_left < CERT_WARN_DAYS:
        return Check("tls", "warn", f"{host}: certificate expires in {days_left:.0f} days")
    return Check("tls", "ok", f"{host}: certificate valid for {days_left:.0f} more days")
