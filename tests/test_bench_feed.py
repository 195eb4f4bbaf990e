"""The feed benchmark runs (small) and the parser's memory does not grow with the feed."""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

from bench.feed import run, write_feed
from vellarys.domain.vrsync import FeedListing, read_feed


def test_the_feed_benchmark_syncs_a_generated_feed_and_its_changed_copy(
    fresh_database: object,
) -> None:
    url = fresh_database()  # type: ignore[operator]
    with tempfile.TemporaryDirectory() as folder:
        first, second = run(url, 200, trace=False, folder=Path(folder))
    # 200 listings, a quarter sale/rent (two rows each); the copy drops 20 and raises the
    # sale price of every tenth (the ones sold: 9 of the 18).
    assert "added 250, updated 0, unchanged 0, unpublished 0, rejected 0" in first
    assert "added 0, updated 9, unchanged 216, unpublished 25, rejected 0" in second


def test_parsing_a_feed_holds_one_listing_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with path.open("wb") as out:
        write_feed(out, 3000)
    assert path.stat().st_size > 10 * 2**20
    tracemalloc.start()
    with path.open("rb") as stream:
        read = sum(1 for item in read_feed(stream) if isinstance(item, FeedListing))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert read == 3000
    assert peak < 4 * 2**20  # a few listings' worth, not the file's 10+ MB
