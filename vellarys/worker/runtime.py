"""The process-wide container of a worker, set once by the runner before any job runs."""

from __future__ import annotations

from vellarys.bootstrap import Container

_container: Container | None = None


def install(container: Container) -> None:
    global _container
    _container = container


def container() -> Container:
    if _container is None:
        raise RuntimeError("the worker container is not installed; start jobs with run_worker()")
    return _container
