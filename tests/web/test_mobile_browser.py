"""Every dashboard page on a 390 px phone in real headless Chromium: no sideways scrolling, the
menu folds away and opens, a broker replies from the lead page, and axe-core finds no serious or
critical accessibility violation. Screenshots go to test-artifacts/mobile/."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import create_database, drop_database, make_settings
from tests.web.conftest import SEEDED_TEMPLATE, add_lead
from tests.web.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    _free_port,
    _require_chromium,
    _start,
    _stop,
    _wait_ready,
)
from vellarys.bootstrap import build
from vellarys.db.models import Message, Notification
from vellarys.db.queries.tenant import by_slug
from vellarys.db.uow import unit_of_work
from vellarys.services.demo import DEMO_LOGIN, DEMO_SLUG

WIDTH, HEIGHT = 390, 844
AXE = Path(__file__).resolve().parents[1] / "assets" / "axe" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "mobile"
BLOCKING = ("serious", "critical")
# Pages reached from the menu and from a lead; {lead} is the simulator's lead.
PAGES = [
    "/",
    "/leads",
    "/leads/{lead}",
    "/leads/{lead}/ai",
    "/inbox",
    "/inbox/{lead}",
    "/inbox/quick-replies",
    "/board",
    "/visits",
    "/properties",
    "/properties/new",
    "/knowledge",
    "/simulator",
    "/reengagement",
    "/settings",
    "/channels",
    "/integrations",
    "/users",
    "/notifications",
    "/outbox",
    "/reports",
    "/account",
    "/account/password",
]


CONVERSATION = [
    ("user", "inbound", "received", "Oi, sou a Carla e quero alugar em Pinheiros até 5 mil"),
    ("assistant", "outbound", "read", "Oi, Carla! Tenho três opções em Pinheiros até R$ 5.000."),
    ("user", "inbound", "received", "Pode me mandar a primeira? Quero visitar no sábado"),
]


@dataclass
class Phone:
    url: str
    lead: uuid.UUID


async def _seed(url: str, data_dir: Path) -> uuid.UUID:
    """The demo agency, a lead with a conversation on its simulator channel and an alert."""
    container = build(make_settings(url, data_dir))
    try:
        async with unit_of_work(container.sessions) as session:
            tenant = await by_slug(session, DEMO_SLUG)
            assert tenant is not None
            row = await session.execute(
                text(
                    "SELECT c.id, u.id FROM channels c JOIN users u ON u.tenant_id = c.tenant_id"
                    " WHERE c.tenant_id = :t AND u.email = :e"
                ),
                {"t": tenant.id, "e": DEMO_LOGIN[0]},
            )
            channel_id, admin_id = row.one()
        lead = await add_lead(
            container, tenant.id, name="Carla Mendes", channel_id=channel_id, temperature="hot"
        )
        async with unit_of_work(container.sessions) as session:
            for role, direction, status, content in CONVERSATION:
                session.add(
                    Message(
                        tenant_id=tenant.id,
                        lead_id=lead,
                        channel_id=channel_id,
                        role=role,
                        direction=direction,
                        status=status,
                        content=content,
                        created_at=datetime.now(UTC),
                    )
                )
                await session.flush()
            session.add(
                Notification(
                    tenant_id=tenant.id,
                    user_id=admin_id,
                    lead_id=lead,
                    kind="hot_lead",
                    text="🔥 Lead quente: *Carla Mendes* — Pinheiros · até R$ 5.000.",
                )
            )
    finally:
        await container.aclose()
    return lead


@pytest.fixture
async def phone(pg_server: str, seeded_template: str, tmp_path: Path) -> AsyncIterator[Phone]:
    """The dashboard served by `vellarys api` (no worker: nothing here waits on a job)."""
    name = f"vellarys_m_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server, name, template=SEEDED_TEMPLATE)
    lead = await _seed(url, tmp_path)
    port = _free_port()
    env = os.environ | {
        "VELLARYS_DATABASE_URL": url,
        "VELLARYS_DATA_DIR": str(tmp_path),
        "VELLARYS_SECRET_KEY": "mobile-test-secret",
        "VELLARYS_PORT": str(port),
        "VELLARYS_LOG_LEVEL": "WARNING",
    }
    api = _start(["api"], env, tmp_path / "api.log")
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(base, api, tmp_path / "api.log")
        yield Phone(url=base, lead=lead)
    finally:
        _stop(api)
        drop_database(pg_server, name)


@dataclass
class Findings:
    """What the pages got wrong, gathered so one run reports every page at once."""

    overflow: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    minor: list[str] = field(default_factory=list)

    def add_axe(self, path: str, violations: list[dict[str, Any]]) -> None:
        for violation in violations:
            nodes = [" ".join(node["target"][0:1]) for node in violation["nodes"]][:3]
            line = f"{path}: {violation['impact']} {violation['id']} {nodes}"
            (self.blocking if violation["impact"] in BLOCKING else self.minor).append(line)


async def _check(page: Any, path: str, findings: Findings) -> None:
    """Measure the page's width, run axe-core on it and keep a screenshot."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        findings.overflow.append(f"{path}: scrollWidth {width}")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    findings.add_axe(path, result["violations"])
    name = path.strip("/").replace("/", "_").replace("{lead}", "lead") or "overview"
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def _check_installable(context: Any, page: Any, base: str) -> None:
    """Chromium reads the manifest without errors and finds the app installable; the service
    worker takes control, and with the network off a page is the offline page."""
    from playwright.async_api import expect

    state = await page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
    assert state in ("activating", "activated"), state
    cdp = await context.new_cdp_session(page)
    manifest = await cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{base}/manifest.webmanifest"
    assert manifest["errors"] == [], manifest["errors"]
    icons = await page.evaluate(
        "Promise.all([192, 512].map(size => new Promise(done => {"
        " const img = new Image(); img.onload = () => done(img.naturalWidth);"
        " img.onerror = () => done(0); img.src = `/static/icons/icon-${size}.png`; })))"
    )
    assert icons == [192, 512]
    await page.reload()  # now under the service worker's control
    await expect(page.locator("h1")).to_have_text("Minha conta")
    assert await page.evaluate("navigator.serviceWorker.controller !== null")
    # A Playwright context is incognito, which Chromium never installs apps from; any other
    # reason (manifest, icons, service worker, secure origin) would be listed here.
    found = (await cdp.send("Page.getInstallabilityErrors"))["installabilityErrors"]
    assert [e["errorId"] for e in found if e["errorId"] != "in-incognito"] == [], found
    await context.set_offline(True)
    try:
        await page.goto(f"{base}/leads")
        await expect(page.locator("#offline h1")).to_have_text("Sem conexão")
        await page.screenshot(path=ARTIFACTS / "offline.png", full_page=True)
    finally:
        await context.set_offline(False)


async def test_every_page_fits_a_phone_and_passes_axe(phone: Phone) -> None:
    _require_chromium()
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=30_000)  # a loaded machine signs in slowly (argon2)
    findings = Findings()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # axe is injected as an inline script, which the dashboard's policy rightly refuses.
        context = await browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT},
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,
        )
        page = await context.new_page()
        page.set_default_timeout(30_000)
        try:
            await page.goto(f"{phone.url}/login")
            await _check(page, "/login", findings)
            await page.fill("#email", DEMO_LOGIN[0])
            await page.fill("#password", DEMO_LOGIN[1])
            await page.tap("button[type=submit]")
            await expect(page.locator("h1")).to_be_visible()

            # The menu is folded: its links are hidden until the menu button opens it.
            menu = page.locator("#menu-toggle")
            await expect(menu).to_be_visible()
            await expect(menu).to_have_attribute("aria-expanded", "false")
            nav_link = page.locator("#main-nav a[href='/simulator']")
            await expect(nav_link).to_be_hidden()
            await menu.tap()
            await expect(menu).to_have_attribute("aria-expanded", "true")
            await page.screenshot(path=ARTIFACTS / "menu-open.png")
            await nav_link.tap()
            await expect(page.locator("h1")).to_contain_text("Simulador")
            await expect(page.locator("#sim-text")).to_be_visible()

            # The broker opens the lead, takes over and replies with the touch screen.
            await page.goto(f"{phone.url}/leads/{phone.lead}")
            await expect(page.locator("#conversation .msg")).to_have_count(len(CONVERSATION))
            await page.tap("#take-over")
            await expect(page.locator("#ai-state")).to_contain_text("pausada")
            reply = page.locator("#reply-text")
            await reply.scroll_into_view_if_needed()
            await expect(reply).to_be_visible()
            await reply.fill("Oi Carla, aqui é a Renata. Posso te ligar agora?")
            await page.tap("#reply-form button[type=submit]")
            broker = page.locator("#conversation .msg.broker")
            await expect(broker).to_contain_text("Posso te ligar")
            await page.screenshot(path=ARTIFACTS / "lead-replied.png", full_page=True)

            for path in PAGES:
                target = path.format(lead=phone.lead)
                response = await page.goto(f"{phone.url}{target}")
                assert response is not None and response.status == 200, target
                await _check(page, path, findings)
            await page.goto(f"{phone.url}/account")
            await expect(page.locator("#push-enable")).to_be_visible()

            await _check_installable(context, page, phone.url)
        finally:
            await browser.close()
    print("axe serious/critical:", *findings.blocking, "axe minor:", *findings.minor, sep="\n  ")
    assert findings.overflow == [], findings.overflow
    assert findings.blocking == [], findings.blocking
