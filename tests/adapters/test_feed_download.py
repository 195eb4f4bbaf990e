"""Feed downloads over real HTTP: through the outbound guard, with a size cap."""

from __future__ import annotations

import pytest

from tests.fakes.portal import FeedHost
from vellarys.adapters.feed_download import download
from vellarys.errors import ProviderError


async def test_a_feed_on_a_private_address_is_refused_unless_allowed() -> None:
    with FeedHost(b"<ListingDataFeed/>") as host:
        with pytest.raises(ProviderError, match="BlockedAddress"):
            await download(host.url, allow_private=False)
        with await download(host.url, allow_private=True) as got:
            assert got.read() == b"<ListingDataFeed/>"
        assert host.reads == 1


async def test_a_feed_over_the_size_cap_is_refused() -> None:
    with FeedHost(b"x" * 5000) as host, pytest.raises(ProviderError, match="MB"):
        await download(host.url, allow_private=True, max_bytes=1000)
