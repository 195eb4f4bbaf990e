"""The properties page's portal feed: an admin sets the address, the periodic job reads it, and
the last run's report is on the page."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.portal import FeedHost
from tests.web.conftest import Dashboard, soup
from vellarys.worker import runtime, tasks

FEED = (Path(__file__).parents[1] / "data" / "vrsync" / "feed.xml").read_bytes()


async def _run_feed_job(dashboard: Dashboard) -> None:
    """The periodic job's function (the queue around it is tested in tests/pipeline; here the
    demo's knowledge-indexing jobs would make the worker embed for minutes)."""
    runtime.install(dashboard.container)
    await tasks.sync_listing_feeds(timestamp=0)


async def test_an_admin_sets_the_feed_and_the_page_shows_the_last_report(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    with FeedHost(FEED) as host:
        saved = await dashboard.post(
            "/properties/feed", {"url": host.url, "interval_hours": "6"}, page="/properties"
        )
        assert saved.status_code == 303
        pending = soup(await dashboard.http.get("/properties"))
        assert pending.select_one("#feed-pending") is not None
        assert pending.select_one("#feed-url")["value"] == host.url
        await _run_feed_job(dashboard)
        assert host.reads == 1

    page = soup(await dashboard.http.get("/properties"))
    counts = {s["data-count"]: s.get_text() for s in page.select("#feed-counts span")}
    assert counts == {
        "added": "4",
        "updated": "0",
        "unchanged": "0",
        "unpublished": "0",
        "rejected": "4",
    }
    reasons = {li["data-code"]: li.get_text() for li in page.select("#feed-rejected li")}
    assert "TransactionType" in reasons["VR-500"]
    assert page.select_one("#feed-interval")["value"] == "6"
    found = soup(await dashboard.http.get("/properties", params={"q": "VR-200"}))
    assert {tr["data-code"] for tr in found.select("#property-table tr[data-code]")} == {
        "VR-200",
        "VR-200-L",
    }


async def test_a_bad_feed_address_or_interval_is_a_400_that_says_why(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    bad_url = await dashboard.post(
        "/properties/feed", {"url": "ftp://x/feed.xml", "interval_hours": "6"}, page="/properties"
    )
    assert bad_url.status_code == 400
    assert "http(s)" in soup(bad_url).select_one("#feed-error").get_text()
    bad_hours = await dashboard.post(
        "/properties/feed",
        {"url": "https://x.example/f.xml", "interval_hours": "0"},
        page="/properties",
    )
    assert bad_hours.status_code == 400
    assert await dashboard.scalar("SELECT count(*) FROM listing_feeds") == 0
