"""Request-scoped access to the process container."""

from __future__ import annotations

from fastapi import Request

from vellarys.bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container
