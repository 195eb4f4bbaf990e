"""How full the connection pool is, and what an operator should do about it."""

from __future__ import annotations

from typing import Any

WARNING_PERCENT = 80.0
DEGRADED_PERCENT = 95.0


def assess_pool(
    *,
    pool_size: int,
    max_overflow: int,
    pool_timeout: float,
    pool_recycle: int,
    checked_out: int,
    overflow: int,
    timestamp: str,
) -> dict[str, Any]:
    """The ``/health/pool`` document: configuration, current state, usage and advice."""
    capacity = pool_size + max_overflow
    percent = round(100.0 * checked_out / capacity, 1) if capacity else 100.0
    usage_status, recommendations = "healthy", []
    if percent > DEGRADED_PERCENT:
        usage_status = "critical"
        recommendations.append(
            f"Pool almost exhausted ({percent}%): raise DB_POOL_SIZE/DB_MAX_OVERFLOW or add "
            "API instances, and look for slow queries or leaked sessions."
        )
    elif percent > WARNING_PERCENT:
        usage_status = "warning"
        recommendations.append(
            f"Pool usage is high ({percent}%): consider raising DB_MAX_OVERFLOW "
            "and check for long-running requests."
        )
    return {
        "status": "degraded" if percent > DEGRADED_PERCENT else "ok",
        "timestamp": timestamp,
        "configuration": {
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout_seconds": _whole(pool_timeout),
            "pool_recycle_seconds": pool_recycle,
        },
        "current_state": {
            "checked_out": checked_out,
            "overflow_count": max(0, overflow),
            "total_capacity": capacity,
        },
        "usage": {
            "percent": percent,
            "available_connections": max(0, capacity - checked_out),
            "status": usage_status,
        },
        "recommendations": recommendations,
    }


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
