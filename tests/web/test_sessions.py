"""Sessions live on the server: a cookie dies with logout, a password change, an admin's
revocation and the idle and absolute timeouts; passwords change and reset through one-time
links; a login costs the same whether or not the e-mail exists."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import argon2
import httpx
import pytest

from tests.web.conftest import Dashboard, add_lead, csrf_of, soup, user_id
from vellarys.asgi import create_app
from vellarys.services.demo import DEMO_LOGIN

BROKER = ("marcos.toledo@demo.local", "vellarys-demo")


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
async def clock(dashboard: Dashboard) -> Clock:
    fake = Clock()
    dashboard.container.clock = fake
    return fake


@pytest.fixture
async def other_browser(dashboard: Dashboard) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(dashboard.container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await http.get("/login")
    return await http.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page)}
    )


def _signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_a_cookie_copied_before_logout_can_neither_list_leads_nor_post_notes(
    dashboard: Dashboard, other_browser: httpx.AsyncClient
) -> None:
    lead = await add_lead(dashboard.container, dashboard.tenant_id, name="Lead da cópia")
    await dashboard.login()
    token = csrf_of(await dashboard.http.get(f"/leads/{lead}"))
    other_browser.cookies.update(dashboard.http.cookies)  # the attacker's copy
    assert (await other_browser.get("/leads")).status_code == 200

    await dashboard.post("/logout")

    assert _signed_out(await other_browser.get("/leads"))
    posted = await other_browser.post(
        f"/leads/{lead}/notes", data={"body": "nota depois do logout", "csrf_token": token}
    )
    assert posted.status_code in (303, 403) and "/leads/" not in posted.headers.get("location", "")
    assert await dashboard.scalar("SELECT count(*) FROM lead_notes WHERE lead_id = :l", l=lead) == 0
    assert (
        await dashboard.scalar(
            "SELECT revoked_reason FROM user_sessions WHERE revoked_at IS NOT NULL"
        )
        == "logout"
    )


async def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    dashboard: Dashboard, other_browser: httpx.AsyncClient
) -> None:
    await dashboard.login(*BROKER)
    await _sign_in(other_browser, *BROKER)
    assert (await other_browser.get("/leads")).status_code == 200
    changed = await dashboard.post(
        "/account/password",
        {"current_password": BROKER[1], "new_password": "nova-senha-123", "confirm_password": "nova-senha-123"},
        page="/account/password",
    )  # fmt: skip
    assert changed.status_code == 303
    assert (await dashboard.http.get("/leads")).status_code == 200
    assert _signed_out(await other_browser.get("/leads"))
    other_browser.cookies.clear()
    assert (await _sign_in(other_browser, *BROKER)).status_code == 401
    assert (await _sign_in(other_browser, BROKER[0], "nova-senha-123")).status_code == 303


async def test_a_wrong_current_password_changes_nothing(dashboard: Dashboard) -> None:
    await dashboard.login(*BROKER)
    refused = await dashboard.post(
        "/account/password",
        {"current_password": "errada-123", "new_password": "nova-senha-123", "confirm_password": "nova-senha-123"},
        page="/account/password",
    )  # fmt: skip
    assert refused.status_code == 400
    assert "incorreta" in soup(refused).select_one("#change-password .alert.error").get_text()
    assert (await dashboard.http.get("/leads")).status_code == 200


async def test_an_admin_ends_a_brokers_sessions_and_deactivation_does_too(
    dashboard: Dashboard, other_browser: httpx.AsyncClient
) -> None:
    await _sign_in(other_browser, *BROKER)
    assert (await other_browser.get("/leads")).status_code == 200
    await dashboard.login()
    broker = await user_id(dashboard.container, BROKER[0])
    done = await dashboard.post(f"/users/{broker}/sessions/revoke", page="/users")
    assert done.status_code == 303
    assert _signed_out(await other_browser.get("/leads"))

    await _sign_in(other_browser, *BROKER)
    assert (await other_browser.get("/leads")).status_code == 200
    await dashboard.post(f"/users/{broker}/deactivate", page="/users")
    assert _signed_out(await other_browser.get("/leads"))
    assert (
        await dashboard.scalar(
            "SELECT count(*) FROM user_sessions WHERE user_id = :u AND revoked_at IS NULL", u=broker
        )
        == 0
    )


async def test_a_session_idle_past_the_limit_ends(dashboard: Dashboard, clock: Clock) -> None:
    idle = timedelta(minutes=dashboard.container.settings.session_idle_minutes)
    await dashboard.login()
    clock.at += idle - timedelta(minutes=1)
    assert (await dashboard.http.get("/leads")).status_code == 200  # activity resets the idle clock
    clock.at += idle - timedelta(minutes=1)
    assert (await dashboard.http.get("/leads")).status_code == 200
    clock.at += idle
    assert _signed_out(await dashboard.http.get("/leads"))


async def test_an_active_session_still_ends_at_its_absolute_limit(
    dashboard: Dashboard, clock: Clock
) -> None:
    limit = timedelta(hours=dashboard.container.settings.session_max_hours)
    await dashboard.login()
    started = clock.at
    while clock.at + timedelta(minutes=30) < started + limit:
        clock.at += timedelta(minutes=30)
        assert (await dashboard.http.get("/")).status_code == 200
    clock.at = started + limit
    assert _signed_out(await dashboard.http.get("/"))


async def _reset_link(dashboard: Dashboard, email: str) -> str:
    target = await user_id(dashboard.container, email)
    shown = await dashboard.post(f"/users/{target}/reset-link", page="/users")
    assert shown.status_code == 200
    url = soup(shown).select_one("#reset-link").get_text().strip()
    assert url.startswith(dashboard.container.settings.base_url + "/reset/")
    # Shown once: not on the next page view, not in the database.
    assert soup(await dashboard.http.get("/users")).select_one("#reset-link") is None
    token = url.rsplit("/", 1)[1]
    assert (
        await dashboard.scalar(
            "SELECT count(*) FROM password_resets WHERE token_hash = :t", t=token
        )
        == 0
    )
    return "/reset/" + token


async def test_a_reset_link_sets_a_new_password_once_and_ends_the_users_sessions(
    dashboard: Dashboard, other_browser: httpx.AsyncClient
) -> None:
    await _sign_in(other_browser, *BROKER)
    await dashboard.login()
    link = await _reset_link(dashboard, BROKER[0])

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(dashboard.container)),
        base_url="http://testserver",
    ) as visitor:
        page = await visitor.get(link)
        assert page.status_code == 200 and BROKER[0] in page.text
        form = {"new_password": "senha-do-link-1", "confirm_password": "senha-do-link-1"}
        done = await visitor.post(link, data={**form, "csrf_token": csrf_of(page)})
        assert done.status_code == 303 and done.headers["location"] == "/login"
        again = await visitor.post(
            link, data={**form, "csrf_token": csrf_of(await visitor.get("/login"))}
        )
        assert again.status_code == 410
        assert (await visitor.get(link)).status_code == 410

    assert _signed_out(await other_browser.get("/leads"))
    other_browser.cookies.clear()
    assert (await _sign_in(other_browser, *BROKER)).status_code == 401
    assert (await _sign_in(other_browser, BROKER[0], "senha-do-link-1")).status_code == 303


async def test_a_reset_link_expires_and_a_newer_one_replaces_it(
    dashboard: Dashboard, clock: Clock
) -> None:
    await dashboard.login()
    first = await _reset_link(dashboard, BROKER[0])
    second = await _reset_link(dashboard, BROKER[0])
    assert (await dashboard.http.get(first)).status_code == 410
    assert (await dashboard.http.get(second)).status_code == 200
    clock.at += timedelta(minutes=dashboard.container.settings.password_reset_minutes + 1)
    assert (await dashboard.http.get(second)).status_code == 410


async def test_an_admin_cannot_issue_a_link_for_another_agencys_user(dashboard: Dashboard) -> None:
    await dashboard.login()
    response = await dashboard.post(f"/users/{uuid.uuid4()}/reset-link", page="/users")
    assert response.status_code == 404


async def test_an_unknown_email_costs_the_same_password_check_as_a_known_one(
    dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def counting(self: argon2.PasswordHasher, hash: str, password: str) -> bool:
        checks.append(password)
        return real_verify(self, hash, password)

    # The hashing library is observed, not replaced: the real check still runs.
    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    assert (await dashboard.login(DEMO_LOGIN[0], "senha-errada-1")).status_code == 401
    assert (await dashboard.login("ninguem@nenhures.local", "senha-errada-2")).status_code == 401
    assert checks == ["senha-errada-1", "senha-errada-2"]


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


async def test_every_dashboard_response_carries_the_security_headers(dashboard: Dashboard) -> None:
    await dashboard.login()
    for path in ("/login", "/", "/leads", "/simulator", "/no-such-page", "/static/app.css"):
        response = await dashboard.http.get(path)
        csp = _csp(response)
        assert csp["frame-ancestors"] == "frame-ancestors 'none'", path
        assert csp["script-src"] == "script-src 'self'", path  # no inline script, no eval
        assert "unsafe" not in csp["default-src"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain http here
    api = await dashboard.http.get("/health")
    assert _csp(api)["frame-ancestors"] == "frame-ancestors 'none'"


async def test_hsts_is_sent_when_the_deployment_is_served_over_https(dashboard: Dashboard) -> None:
    https = httpx.ASGITransport(app=create_app(dashboard.container))
    async with httpx.AsyncClient(transport=https, base_url="https://testserver") as http:
        response = await http.get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_pages_hold_no_inline_script_the_policy_would_block(dashboard: Dashboard) -> None:
    await dashboard.login()
    lead = await add_lead(dashboard.container, dashboard.tenant_id)
    for path in ("/", "/leads", f"/leads/{lead}", "/simulator", "/properties", "/knowledge",
                 "/settings", "/channels", "/users", "/account/password", "/login"):  # fmt: skip
        page = soup(await dashboard.http.get(path))
        for script in page.find_all("script"):
            assert script.get("src", "").startswith("/static/"), (path, script)
        for tag in page.find_all(True):
            handlers = [a for a in tag.attrs if a.startswith(("on", "hx-on"))]
            assert handlers == [], (path, tag.name, handlers)
