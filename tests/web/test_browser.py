"""The main dashboard flows in real headless Chromium against a real server and worker."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_INDEXED_TEMPLATE, create_database, drop_database, make_settings
from tests.web.conftest import add_agency, add_lead
from vellarys.bootstrap import build
from vellarys.services.demo import DEMO_LOGIN

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LEAD_MESSAGES = [
    "Oi! Meu nome é Carla",
    "Quero comprar um apartamento de 2 quartos em Pinheiros, São Paulo",
    "Tenho até 800 mil",
    "Vou financiar e quero me mudar nos próximos 3 meses",
]
CSV = (
    "codigo;titulo;tipo;transacao;preco;bairro;cidade;quartos;fotos\n"
    "BR100;Apartamento importado no teste;apartamento;venda;720.000;Pinheiros;São Paulo;2;"
    "https://fotos.example/br100.jpg\n"
)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI must install Debian's chromium (apt-get install -y chromium)")
    pytest.skip("chromium is not installed at /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    foreign_lead: uuid.UUID


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "vellarys", *args], env=env, stdout=out, stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
async def server(
    pg_server: str, demo_indexed_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """The demo agency and another agency's lead, served by `vellarys api` and `vellarys worker`.

    The demo is the seeded and embedded one, as `vellarys up` leaves it. One server per module:
    starting the two processes costs seconds of CPU, and the module's tests do not meet (each
    signs in afresh, so the simulator gives each its own lead; each makes its own leads)."""
    tmp_path = tmp_path_factory.mktemp("browser")
    name = f"vellarys_b_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server, name, template=DEMO_INDEXED_TEMPLATE)
    container = build(make_settings(url, tmp_path))
    try:
        other, _ = await add_agency(container)
        foreign = await add_lead(container, other, name="Lead de outra imobiliária")
    finally:
        await container.aclose()
    port = _free_port()
    env = os.environ | {
        "VELLARYS_DATABASE_URL": url,
        "VELLARYS_DATA_DIR": str(tmp_path),
        "VELLARYS_SECRET_KEY": "browser-test-secret",
        "VELLARYS_PORT": str(port),
        "VELLARYS_DEBOUNCE_SECONDS": "0",
        "VELLARYS_SEND_PACE_SECONDS": "0",
        "VELLARYS_LOG_LEVEL": "WARNING",
    }
    processes = [
        _start(["api"], env, tmp_path / "api.log"),
        _start(["worker"], env, tmp_path / "worker.log"),
    ]
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(base, processes[0], tmp_path / "api.log")
        yield Server(url=base, foreign_lead=foreign)
    finally:
        for process in processes:
            _stop(process)
        drop_database(pg_server, name)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


async def _wait_ready(base: str, api: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # a guard, not a goal: starting took 40-60 s at load 12
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            assert api.poll() is None, _tail(log)
            try:
                if (await http.get(f"{base}/login")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the server did not start: " + _tail(log))


@pytest.fixture
def screenshots() -> Iterator[Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield SCREENSHOTS


async def test_admin_chats_takes_over_imports_and_cannot_see_another_agency(
    server: Server, screenshots: Path, tmp_path: Path
) -> None:
    _require_chromium()
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        # Anything the Content-Security-Policy blocks is reported on the console.
        blocked: list[str] = []
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text)
                if "Content Security Policy" in message.text or "unsafe-eval" in message.text
                else None
            ),
        )
        try:
            await page.goto(f"{server.url}/leads")
            await expect(page).to_have_url(f"{server.url}/login?next=/leads")
            await page.screenshot(path=screenshots / "login.png")
            await page.fill("#email", DEMO_LOGIN[0])
            await page.fill("#password", DEMO_LOGIN[1])
            await page.click("button[type=submit]")
            await expect(page.locator("h1")).to_have_text("Leads")

            await page.goto(f"{server.url}/simulator")
            for count, text in enumerate(LEAD_MESSAGES, start=1):
                await page.fill("#sim-text", text)
                await page.click("#sim-form button[type=submit]")
                await expect(page.locator("#sim-messages .msg[data-role=user]")).to_have_count(
                    count
                )
                await expect(page.locator("#sim-chat")).to_have_attribute(
                    "data-waiting", "false", timeout=120_000
                )
                # The form is emptied by the dashboard's script after htmx sends it.
                await expect(page.locator("#sim-text")).to_have_value("")
            assert await page.locator("#sim-messages .msg[data-role=assistant]").count() >= 4
            stage = await page.locator("#sim-lead .badge").first.inner_text()
            assert stage in ("Qualificado", "Com corretor"), stage
            await page.screenshot(path=screenshots / "simulator.png", full_page=True)

            await page.click("#sim-lead-link")
            await expect(page.locator("#conversation .msg").first).to_be_visible()
            if await page.locator("#take-over").count():
                await page.click("#take-over")
            await expect(page.locator("#ai-state")).to_contain_text("pausada")
            await page.fill("#reply-text", "Oi Carla, aqui é a Renata, corretora. Posso te ligar?")
            await page.click("#reply-form button[type=submit]")
            broker = page.locator("#conversation .msg.broker")
            await expect(broker).to_contain_text("aqui é a Renata")
            # The worker sends it through the simulator channel; polling shows the tick.
            await expect(broker).to_have_attribute("data-status", "sent", timeout=60_000)
            await page.screenshot(path=screenshots / "lead.png", full_page=True)

            await page.goto(f"{server.url}/properties")
            csv_file = tmp_path / "imoveis.csv"
            csv_file.write_text(CSV, encoding="utf-8")
            await page.set_input_files("#file", str(csv_file))
            await page.click("#import-form button[type=submit]")
            await expect(page.locator(".alert.ok")).to_contain_text("1 novos")
            await expect(page.locator("#property-table tr[data-code='BR100']")).to_be_visible()
            await page.screenshot(path=screenshots / "properties.png", full_page=True)

            response = await page.goto(f"{server.url}/leads/{server.foreign_lead}")
            assert response is not None and response.status == 404
            await expect(page.locator(".empty strong")).to_have_text("Página não encontrada")
            await page.screenshot(path=screenshots / "foreign-lead-404.png")

            for name in ("overview", "leads", "knowledge", "settings", "channels", "users"):
                path = "/" if name == "overview" else f"/{name}"
                await page.goto(f"{server.url}{path}")
                await page.screenshot(path=screenshots / f"{name}.png", full_page=True)
            assert blocked == [], blocked
        finally:
            await browser.close()


async def test_the_dashboard_runs_under_its_content_security_policy(server: Server) -> None:
    """htmx and the dashboard's own script work with no inline script and no eval: nothing
    is blocked, a message goes out through htmx and the form is emptied afterwards."""
    _require_chromium()
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page()
        page.set_default_timeout(30_000)
        blocked: list[str] = []
        page.on(
            "console", lambda m: blocked.append(m.text) if "Security Policy" in m.text else None
        )
        try:
            response = await page.goto(f"{server.url}/login")
            assert response is not None
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            await page.fill("#email", DEMO_LOGIN[0])
            await page.fill("#password", DEMO_LOGIN[1])
            await page.click("button[type=submit]")
            await page.goto(f"{server.url}/simulator")
            assert await page.evaluate("typeof window.htmx") == "object"
            await page.fill("#sim-text", "Oi, quero alugar em Pinheiros")
            await page.click("#sim-form button[type=submit]")
            await expect(page.locator("#sim-messages .msg[data-role=user]")).to_have_count(1)
            await expect(page.locator("#sim-text")).to_have_value("")
            assert page.url == f"{server.url}/simulator"  # htmx swapped, no full post
            for path in ("/", "/leads", "/users", "/channels", "/account/password"):
                await page.goto(f"{server.url}{path}")
            assert blocked == [], blocked
        finally:
            await browser.close()


async def _drag(page: object, card: object, column: object) -> None:
    """Drag ``card`` by its text (links and selects do not start a drag) onto ``column``."""
    grip = card.locator(".muted").first  # type: ignore[attr-defined]
    start = await grip.bounding_box()
    end = await column.bounding_box()  # type: ignore[attr-defined]
    assert start is not None and end is not None
    mouse = page.mouse  # type: ignore[attr-defined]
    await mouse.move(start["x"] + 5, start["y"] + start["height"] / 2)
    await mouse.down()
    for step in range(1, 11):
        x = start["x"] + (end["x"] + end["width"] / 2 - start["x"]) * step / 10
        y = start["y"] + (end["y"] + 20 - start["y"]) * step / 10
        await mouse.move(x, y)
    await mouse.up()


async def test_the_board_moves_leads_by_drag_and_drop_and_by_keyboard(
    server: Server, screenshots: Path
) -> None:
    """A lead typed on the leads page is dragged across the board (the move is saved), moved
    again with the keyboard alone, and dropped on "lost", which waits for a loss reason."""
    _require_chromium()
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
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
            await page.goto(f"{server.url}/leads")
            await page.fill("#new-phone", "11 93333-2222")
            await page.fill("#new-name", "Lia Arrasta")
            await page.click("#new-lead-form button[type=submit]")
            await expect(page.locator("h1")).to_contain_text("Lia Arrasta")
            lead_id = page.url.rsplit("/", 1)[-1]

            await page.goto(f"{server.url}/board")
            assert await page.evaluate("typeof window.Sortable") == "function"
            card = page.locator(f"li.board-card[data-lead='{lead_id}']")
            await expect(card).to_have_attribute("data-stage", "new")
            await _drag(page, card, page.locator("ul.board-cards[data-stage='qualified']"))
            # htmx redraws the board from the server: the card is there with its new stage.
            moved = page.locator(f"ul[data-stage='qualified'] li[data-lead='{lead_id}']")
            await expect(moved).to_have_attribute("data-stage", "qualified")
            await page.reload()
            await expect(moved).to_have_attribute("data-stage", "qualified")
            await page.screenshot(path=screenshots / "board.png", full_page=True)

            # The keyboard way: the card's own select and button.
            await page.focus(f"#stage-{lead_id}")
            await page.keyboard.press("End")  # the last stage: won
            await page.focus(f"li[data-lead='{lead_id}'] button[type=submit]")
            await page.keyboard.press("Enter")
            won = page.locator(f"ul[data-stage='won'] li[data-lead='{lead_id}']")
            await expect(won).to_have_attribute("data-stage", "won")

            # Dropped on "lost" it waits for the reason; choosing one completes the move.
            await _drag(page, won, page.locator("ul.board-cards[data-stage='lost']"))
            reason = page.locator(f"#reason-{lead_id}")
            await expect(reason).to_be_focused()
            await reason.select_option("Parou de responder")
            lost = page.locator(f"ul[data-stage='lost'] li[data-lead='{lead_id}']")
            await expect(lost).to_have_attribute("data-stage", "lost")
            await expect(lost).to_contain_text("Parou de responder")
            await page.goto(f"{server.url}/leads/{lead_id}")
            await expect(page.locator("#timeline")).to_contain_text("Perdido")
            await expect(page.locator("#timeline li")).to_have_count(4)
            assert blocked == [], blocked
        finally:
            await browser.close()
