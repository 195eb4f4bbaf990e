"""The inbox in real headless Chromium: the live feed brings a lead's new message into the
open conversation, and a quick reply typed as "/atalho" goes out as the broker's message."""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    _require_chromium,
    screenshots,
    server,
)
from vellarys.services.demo import DEMO_LOGIN

__all__ = ["screenshots", "server"]  # fixtures shared with the main browser test


async def test_the_inbox_updates_live_and_sends_a_quick_reply(
    server: Server, screenshots: Path
) -> None:
    _require_chromium()
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(30_000)
        blocked: list[str] = []
        page.on(
            "console", lambda m: blocked.append(m.text) if "Security Policy" in m.text else None
        )
        try:
            await page.goto(f"{server.url}/login")
            await page.fill("#email", DEMO_LOGIN[0])
            await page.fill("#password", DEMO_LOGIN[1])
            await page.click("button[type=submit]")
            await page.goto(f"{server.url}/inbox/quick-replies")
            await page.fill("#qr-shortcut", "oi")
            await page.fill("#qr-body", "Oi {nome}, aqui é {corretor}! Posso te ligar?")
            await page.click("#new-quick-reply button[type=submit]")
            await expect(page.locator(".quick-reply[data-shortcut='oi']")).to_be_visible()

            # A lead writes (the simulator, in another tab of the same session).
            lead = await context.new_page()
            await lead.goto(f"{server.url}/simulator")
            await lead.fill("#sim-text", "Oi, meu nome é Carla e quero alugar em Pinheiros")
            await lead.click("#sim-form button[type=submit]")
            await expect(lead.locator("#sim-messages .msg[data-role=user]")).to_have_count(1)

            await page.goto(f"{server.url}/inbox")
            await expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
            await page.locator("#inbox-list a.conversation").first.click()
            chat = page.locator("#inbox-conversation")
            await expect(chat.locator(".msg.in")).to_have_count(1)
            await expect(page.locator("#inbox")).to_have_attribute("data-live", "on")

            # A new message from the lead arrives while the conversation is open.
            await lead.fill("#sim-text", "Tem com 2 quartos até 4 mil?")
            await lead.click("#sim-form button[type=submit]")
            await expect(chat.locator(".msg.in")).to_have_count(2)
            await expect(chat.locator(".msg.in").last).to_contain_text("2 quartos até 4 mil")
            # It came by the live feed (the polling fallback does not set this).
            await expect(page.locator("#inbox")).to_have_attribute(
                "data-last-event", re.compile(r".+")
            )
            await page.screenshot(path=screenshots / "inbox.png", full_page=True)

            await page.fill("#inbox-text", "/oi")
            await page.locator("#inbox-text").dispatch_event("input")
            # Filled for this conversation: the lead's first name (if known yet) and the broker's.
            await expect(page.locator("#inbox-text")).to_have_value(
                re.compile(r"^Oi( \w+)?, aqui é Renata! Posso te ligar\?$")
            )
            await page.click("#inbox-reply button[type=submit]")
            await expect(chat.locator(".msg.broker").last).to_contain_text("aqui é Renata")
            assert blocked == [], blocked
        finally:
            await browser.close()
