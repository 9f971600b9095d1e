"""`leadmem console-shots`: a screenshot of each page of a running admin console, taken as
a person sees it: Debian's headless `chromium` driven by Playwright (the browser the
console's browser tests use; nothing downloads a browser build), a 1280x800 viewport.

It logs in with the logins `leadmem demo --linger S --console-login FILE` writes (the URL, an
operator, an agency admin) and opens every page an operator and an agency admin have, in the
order of docs/console/README.md, one PNG each in `--out`. It changes nothing: the settings
form is submitted only with a value its owner refuses (nothing is saved) and the DLQ replay
stops at its confirmation page. The PNGs of an earlier run (`NN-*.png`) in `--out` are
replaced. `scripts/console-shots.sh` runs the demo, this, and stops the demo: one command."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from devtools.demo.console import ConsoleLogins, Login
from devtools.demo.stream import CONVERSATIONS

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (scripts/services.sh installs it)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 20_000
# The operator's pages show the demo's first agency and its first lead (a hot buyer with a
# profile, facts and CRM write-backs); the agency admin's, the journey's agency and lead.
TENANT, LEAD = CONVERSATIONS[0][0], CONVERSATIONS[0][1]


class ShotError(RuntimeError):
    """A page did not answer as expected; the message says which."""


@dataclass(frozen=True)
class Shot:
    name: str  # the file's name, without .png
    caption: str  # what it shows (printed; the same words as docs/console/README.md)


Prepare = Callable[[Page], Awaitable[None]]


class Camera:
    """One browser context (one person's session) that opens pages and saves them."""

    def __init__(self, page: Page, base: str, out: Path) -> None:
        self.page = page
        self.base = base
        self.out = out
        self.saved: list[Path] = []

    async def open(self, path: str, status: int = 200) -> None:
        response = await self.page.goto(urljoin(self.base, path))
        got = response.status if response is not None else None
        if got != status:
            raise ShotError(f"GET {path}: {got}, expected {status}")

    async def save(self, shot: Shot) -> None:
        await self.page.wait_for_load_state("load")
        path = self.out / f"{shot.name}.png"
        await self.page.screenshot(path=str(path), full_page=False)
        self.saved.append(path)
        print(f"  {path} ({path.stat().st_size // 1024} KB): {shot.caption}", flush=True)

    async def log_in(self, login: Login) -> None:
        await self.open("/console/login")
        await self.page.get_by_label("Email").fill(login.email)
        await self.page.get_by_label("Password").fill(login.password)
        async with self.page.expect_navigation():
            await self.page.get_by_role("button", name="Log in").click()
        if "/console/login" in self.page.url:
            raise ShotError(f"logging in as {login.email} failed: {self.page.url}")

    async def log_out(self) -> None:
        async with self.page.expect_navigation():
            await self.page.get_by_role("button", name="Log out").click()

    async def links(self, selector: str) -> list[str]:
        """The hrefs of the links `selector` finds, in page order."""
        found = await self.page.locator(selector).evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        return [str(h) for h in found if h]


async def _scroll_to(page: Page, heading: str) -> None:
    await page.get_by_role("heading", name=heading, exact=True).evaluate(
        "h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 8)")


async def _operator(camera: Camera, login: Login, tenant: str, lead: str) -> None:
    page = camera.page
    await camera.open("/console/login")
    await camera.save(Shot("01-login", "the login page"))
    await camera.log_in(login)
    await camera.open("/console/tenants")
    await camera.save(Shot("02-tenants", "an operator's tenants: status, replies today, Claude "
                           "spend, dead letters"))
    await camera.open("/console/status")
    await camera.save(Shot("03-status", "the pipeline's status (`leadmem status`)"))
    t = f"/console/t/{tenant}"
    await camera.open(t)
    await camera.save(Shot("04-tenant", f"{tenant} at a glance: replies per day and the lead "
                           "funnel, drawn as SVG"))
    await camera.open(f"{t}/leads")
    await camera.save(Shot("05-leads", "its leads: score, last message, next follow-up"))
    await camera.open(f"{t}/leads/{lead}")
    await camera.save(Shot("06-lead", "a lead: the profile, the score and its reasons, each "
                           "fact's history"))
    await _scroll_to(page, "Conversation")
    await camera.save(Shot("07-lead-conversation", "the lead's conversation as a timeline, "
                           "its replies and why each was sent or not"))
    await _scroll_to(page, "Consent")
    await camera.save(Shot("08-lead-consent", "the lead's consent and its ledger, the CRM "
                           "write-backs, follow-ups and appointments"))
    await camera.open(f"{t}/held")
    await camera.save(Shot("09-held", "held replies: release or cancel, by a person"))
    await camera.open(f"{t}/settings")
    await camera.save(Shot("10-settings", "the tenant's settings, as `leadmem tenant config` "
                           "sets them"))
    await page.get_by_label("Time zone").fill("Mars/Olympus")
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.get_by_role("button", name="Save settings").click()
    if (await answer.value).status != 400:
        raise ShotError("the settings form did not refuse a bad time zone")
    await camera.save(Shot("11-settings-refused", "a bad value: the owner's message, nothing "
                           "saved"))
    await camera.open("/console/dlq")
    await camera.save(Shot("12-dlq", "the dead letters"))
    letters = await camera.links("table tbody th[scope=row] a")
    if letters:
        await camera.open(letters[0])
        await camera.save(Shot("13-dlq-letter", "one dead letter: its error, headers and "
                               "bytes"))
    await camera.open("/console/dlq/replay?all=1")
    await camera.save(Shot("14-dlq-replay", "a replay's confirmation page (not confirmed "
                           "here)"))
    await camera.open("/console/audit")
    await camera.save(Shot("15-audit", "the audit log: who changed what, when"))


async def _agency(camera: Camera, login: Login, other: str | None) -> None:
    await camera.log_in(login)
    await camera.save(Shot("16-agency-home", f"an agency admin's home: its one tenant "
                           f"({login.tenant}), the funnel of the demo's lead journey"))
    await camera.open(f"/console/t/{login.tenant}/leads")
    listed = await camera.links("table tbody th[scope=row] a")
    if not listed:
        raise ShotError(f"{login.tenant} has no lead to show")
    await camera.open(listed[0])
    await _scroll_to(camera.page, "Conversation")
    await camera.save(Shot("17-agency-lead-journey", "its lead's journey: first touch, "
                           "follow-up, slots offered, a showing booked"))
    if other is not None:
        await camera.open(f"/console/t/{other}", status=404)
        await camera.save(Shot("18-agency-other-tenant", "another tenant's page: 404 for an "
                               "agency admin"))


async def shoot(browser: Browser, logins: ConsoleLogins, out: Path, tenant: str,
                lead: str) -> list[Path]:
    base = logins.url
    saved: list[Path] = []
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        camera = Camera(await context.new_page(), base, out)
        await _operator(camera, logins.operator, tenant, lead)
        await camera.open("/console/tenants")
        others = [h.rsplit("/", 1)[-1] for h in await camera.links(
            "table tbody th[scope=row] a") if not h.endswith(f"/{logins.agency.tenant}")]
        await camera.log_out()
        saved += camera.saved
    finally:
        await context.close()
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        camera = Camera(await context.new_page(), base, out)
        await _agency(camera, logins.agency, others[0] if others else None)
        await camera.log_out()
        saved += camera.saved
    finally:
        await context.close()
    return saved


def take(login_file: Path, out: Path, *, tenant: str | None = None,
         lead: str | None = None) -> int:
    """Every page's screenshot in `out`; 0 when each page answered as expected."""
    if not shutil.which(str(CHROMIUM)):
        print(f"console-shots: {CHROMIUM} is missing: apt-get install -y chromium "
              "fonts-dejavu-core (scripts/services.sh does, as root)", file=sys.stderr)
        return 2
    logins = ConsoleLogins.read(login_file)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9]-*.png"):
        old.unlink()
    print(f"screenshots of the console at {logins.url} ({VIEWPORT['width']}x"
          f"{VIEWPORT['height']}, headless {CHROMIUM}):")
    try:
        saved = asyncio.run(_take(logins, out, tenant or TENANT, lead or LEAD))
    except ShotError as exc:
        print(f"console-shots: {exc}", file=sys.stderr)
        return 1
    print(f"{len(saved)} screenshots in {out}")
    return 0


async def _take(logins: ConsoleLogins, out: Path, tenant: str, lead: str) -> list[Path]:
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            return await shoot(browser, logins, out, tenant, lead)
        finally:
            await browser.close()
