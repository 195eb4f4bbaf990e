from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(access_token="test-token") as fake:
        yield fake


@pytest.fixture
async def stack(
    fresh_database: Callable[[], str], tmp_path: Path, graph: FakeGraphAPI
) -> AsyncIterator[Stack]:
    built = await build_stack(fresh_database(), tmp_path, graph)
    yield built
    await built.client.aclose()
    await built.container.aclose()
