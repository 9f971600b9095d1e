"""The admin console in a real browser: Debian's `chromium`, headless, driven by Playwright
for Python (`executable_path=/usr/bin/chromium`: no browser build is downloaded; scripts/
services.sh installs the package). The console runs on its worker host on a real port
against the real Postgres, Redis and Kafka, as in test_console.py (whose data and users
these tests reuse); one browser per module, a fresh context (cookies) per test.

A person logs in, opens a lead and reads its timeline, changes a setting and sees the
owner's error on a bad value, replays a dead letter through its confirmation page, releases
a held reply; an agency admin of A gets 404 for B's pages; a form whose CSRF token was
removed in the page is refused (403); the login form is reached and submitted with the
keyboard alone; every input of every page has a label.

Without chromium the module is skipped, except in CI (CI=true), where that fails."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from schemas import topics
from tests.integration.test_console import (
    MASTER_KEY,
    PASSWORD,
    Running,
    Seeded,
    add_user,
    audit_rows,
    dead_letter,
    seed,
)
from tests.support.kafka import read_until
from workers.console.service import SPEC
from workers.db.tenant import TenantDatabase
from workers.runtime.host import WorkerHost
from workers.settings import Settings
from workers.tenants import store as tenants

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package
HAVE_CHROMIUM = shutil.which(str(CHROMIUM)) is not None
TIMEOUT_MS = 15_000  # a page's load or an element's wait; the machine is shared and slow


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One headless chromium for the module."""
    if not HAVE_CHROMIUM:
        message = (f"{CHROMIUM} is missing: the console's browser tests need Debian's "
                   "chromium (bash scripts/services.sh installs it, as root: apt-get install "
                   "-y chromium fonts-dejavu-core)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def console(make_settings: Callable[..., Settings]) -> AsyncIterator[Running]:
    """The console on its worker host, listening on a real (free) port."""
    settings = make_settings(master_key=MASTER_KEY, console_login_max_failures_ip=50)
    host = WorkerHost(SPEC, settings, http_port=0)
    await host.start()
    try:
        assert host.http is not None
        yield Running(f"http://127.0.0.1:{host.http.port}", settings)
    finally:
        await host.stop()


@pytest.fixture
async def context(browser: Browser, console: Running) -> AsyncIterator[BrowserContext]:
    """A person's browser: its own cookies, the console's address as the base URL."""
    ctx = await browser.new_context(base_url=console.url, viewport={"width": 1280,
                                                                    "height": 800})
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
async def data(db: TenantDatabase) -> Seeded:
    return await seed(db)


async def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill the login form and submit it as a person would; lands on the user's home."""
    await page.goto("/console/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()


async def status_of(page: Page, path: str) -> int:
    response = await page.goto(path)
    assert response is not None
    return response.status


# --- a person at work -----------------------------------------------------------------------

async def test_log_in_search_and_open_a_lead_with_its_timeline(
        console: Running, page: Page, data: Seeded, db: TenantDatabase) -> None:
    email = await add_user(console.settings, "agency", data.a)
    async with db.transaction(data.a) as conn:  # a fact whose value is a JSON string
        await conn.execute(
            """INSERT INTO lead_facts (tenant_id, contact_id, field, value, source_message_id,
                                       valid_from)
               VALUES ($1, $2, 'motivation', '"relocation"'::jsonb, $3, now())""",
            data.a, data.lead, f"m2-{data.lead}")
    await page.goto("/console/t/" + data.a)
    await expect(page).to_have_url(re.compile(r"/console/login\?next="))  # not logged in
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("not the password at all")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Wrong email or password, or the account is disabled.")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{console.url}/console/t/{data.a}")  # back to `next`
    await expect(page.get_by_role("heading", level=1)).to_have_text(data.a)

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    await page.get_by_label("Name, phone or email").fill("whitfield")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(r"/leads\?q=whitfield$"))
    await page.get_by_role("link", name="Dana Whitfield").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dana Whitfield")

    timeline = page.locator("ol.timeline > li")
    await expect(timeline).to_have_count(3)
    await expect(timeline.locator("p.body")).to_have_text([
        "Hi, looking for a 3 bed in Austin under 450k",
        "Happy to help! When would you like to move?",
        "By March. Call me at 512 555 0199"])
    await expect(timeline.nth(0)).to_contain_text("from the lead")
    await expect(timeline.nth(1)).to_contain_text("to the lead")
    # the score's reasons, a fact's history (opened), the consent, a held reply
    await expect(page.get_by_role("listitem").filter(has_text="asked for a call")).to_be_visible()
    await page.get_by_text("budget_max (2 versions)").click()
    await expect(page.get_by_role("cell", name="400000", exact=True)).to_be_visible()
    await page.get_by_text("motivation (1 version)").click()
    fact = page.get_by_role("row").filter(has=page.get_by_role("cell", name="relocation",
                                                               exact=True))
    await expect(fact).to_contain_text("“By March. Call me at 512 555 0199”")  # its message
    await expect(page.get_by_role("cell", name="asked by phone")).to_be_visible()
    await expect(page.get_by_role("cell", name=re.compile("held by the reply check"))
                 ).to_have_count(2)


async def test_a_setting_changed_then_a_bad_value_refused_with_the_owners_message(
        console: Running, page: Page, data: Seeded, db: TenantDatabase) -> None:
    await log_in(page, await add_user(console.settings, "agency", data.a))
    await page.get_by_role("navigation", name="Main").get_by_role("link",
                                                                  name="Settings").click()
    await page.get_by_label("Quiet hours").fill("22:00-07:00")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_have_text("The settings were saved.")
    await expect(page.get_by_label("Quiet hours")).to_have_value("22:00-07:00")
    async with db.transaction(data.a) as conn:
        conf = await tenants.read(conn, data.a)
    assert f"{conf.no_texts_from:%H:%M}-{conf.no_texts_until:%H:%M}" == "22:00-07:00"

    await page.get_by_label("Time zone").fill("Mars/Olympus")
    await page.get_by_label("Persona").fill("Not saved either")
    await page.get_by_role("button", name="Save settings").click()
    alert = page.get_by_role("alert")
    await expect(alert.get_by_role("heading")).to_have_text("Nothing was saved")
    await expect(alert).to_contain_text("--timezone: unknown time zone 'Mars/Olympus'")
    field = page.get_by_label("Time zone")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_value("Mars/Olympus")  # what was typed stays to be corrected
    # the error's link takes the person to the field
    await alert.get_by_role("link", name="unknown time zone").click()
    await expect(page).to_have_url(re.compile("#field-timezone$"))
    async with db.transaction(data.a) as conn:
        after = await tenants.read(conn, data.a)
    assert after.timezone is None and after.persona is None  # all or nothing
    assert len(await audit_rows(console.settings, "settings.update", data.a)) == 1


async def test_a_dead_letter_replayed_through_its_confirmation(
        console: Running, page: Page, data: Seeded, kafka: str) -> None:
    ops = await add_user(console.settings, "operator")
    await log_in(page, ops)
    where, value = await dead_letter(kafka, data.a, offset=10**9 + 11, trace="browser")

    await page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Dead letters").click()
    await page.get_by_label("Tenant").fill(data.a)
    await page.get_by_role("button", name="Show").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=where))
    await expect(row).to_contain_text("InvalidEventError")
    await expect(row.get_by_role("cell", name="no", exact=True)).to_be_visible()
    await row.get_by_role("link", name=re.compile("Replay")).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Replay dead letters")
    await expect(page.get_by_role("main")).to_contain_text("1 not replayed yet")
    await page.get_by_role("button", name="Replay 1 dead letter").click()
    await expect(page.get_by_role("status")).to_have_text(f"Replayed 1 dead letter(s): {where}.")

    [replayed] = await read_until(
        kafka, topics.GHL_EVENTS, lambda s: len(s) >= 1, settle_s=0.5,
        where=lambda r: any(k == "replay-of" for k, _ in r.headers)
        and r.key == data.a.encode())
    assert replayed.value == value and dict(replayed.headers)["x-trace"] == b"browser"
    await page.get_by_role("link", name="Back to the dead letters").click()
    await expect(row.get_by_role("cell", name="yes", exact=True)).to_be_visible()
    await expect(row.get_by_role("link", name=re.compile("Replay"))).to_have_count(0)
    [entry] = [r for r in await audit_rows(console.settings, "dlq.replay", None)
               if r["actor"] == ops]  # this test's (the session's database is shared)
    assert entry["target"] == where and json.loads(entry["after"])["sent"] == [where]


async def test_a_held_reply_released(console: Running, page: Page, data: Seeded,
                                     db: TenantDatabase) -> None:
    email = await add_user(console.settings, "agency", data.a)
    await log_in(page, email)
    await page.get_by_role("link", name="Held replies").first.click()
    await expect(page.get_by_role("heading", name="Waiting for a person (2)")).to_be_visible()
    first, second = data.held
    draft = page.locator(f"form#release-{first}")
    await draft.get_by_role("button", name=re.compile("Release")).click()
    await expect(page.get_by_role("status")).to_contain_text("The draft was released.")
    await expect(page.get_by_role("heading", name="Waiting for a person (1)")).to_be_visible()
    decided = page.get_by_role("row").filter(has_text="released")
    await expect(decided).to_contain_text(email)
    async with db.transaction(data.a) as conn:
        row = await conn.fetchrow("SELECT status, review, reviewed_by FROM replies "
                                  "WHERE idempotency_key = $1", first)
        untouched = await conn.fetchval("SELECT review FROM replies "
                                        "WHERE idempotency_key = $1", second)
    assert (row["status"], row["review"], row["reviewed_by"]) == ("drafted", "released", email)
    assert untouched is None
    assert [r["target"] for r in await audit_rows(console.settings, "reply.release",
                                                  data.a)] == [first]


# --- what is refused ----------------------------------------------------------------------------

async def test_an_agency_admin_of_a_gets_404_for_b(
        console: Running, page: Page, data: Seeded) -> None:
    await log_in(page, await add_user(console.settings, "agency", data.a))
    assert await status_of(page, f"/console/t/{data.a}/leads/{data.lead}") == 200
    for path in (f"/console/t/{data.b}", f"/console/t/{data.b}/settings",
                 f"/console/t/{data.b}/leads", f"/console/t/{data.b}/leads/{data.other_lead}",
                 f"/console/t/{data.b}/held", f"/console/t/{data.a}/leads/{data.other_lead}",
                 "/console/tenants", "/console/dlq", f"/console/audit?tenant={data.b}"):
        assert await status_of(page, path) == 404, path
        await expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
        await expect(page.get_by_role("main")).to_contain_text("not yours to see")
        await expect(page.get_by_role("main")).not_to_contain_text("Other")


async def test_a_form_whose_csrf_token_was_removed_is_refused(
        console: Running, page: Page, data: Seeded, db: TenantDatabase) -> None:
    await log_in(page, await add_user(console.settings, "agency", data.a))
    await page.goto(f"/console/t/{data.a}/settings")
    await page.get_by_label("Quiet hours").fill("20:00-09:00")
    assert await page.evaluate(
        "() => { const i = document.querySelector('form#settings input[name=csrf]');"
        " i.remove(); return document.querySelectorAll('form#settings [name=csrf]').length }"
    ) == 0
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.get_by_role("button", name="Save settings").click()
    assert (await answer.value).status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Forbidden")
    await expect(page.get_by_role("alert")).to_contain_text("security token is missing or wrong")

    await page.goto(f"/console/t/{data.a}/held")  # a token of another value: refused too
    await page.evaluate("() => document.querySelector"
                        f"('form#cancel-{data.held[0]} input[name=csrf]').value = '0'.repeat(64)")
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.locator(f"form#cancel-{data.held[0]} button").click()
    assert (await answer.value).status == 403
    async with db.transaction(data.a) as conn:
        assert (await tenants.read(conn, data.a)).no_texts_from is None
        assert await conn.fetchval("SELECT review FROM replies WHERE idempotency_key = $1",
                                   data.held[0]) is None


# --- accessibility ------------------------------------------------------------------------------

async def focused(page: Page) -> str:
    """The focused element, as `tag#id` or `tag:text`."""
    return str(await page.evaluate(
        "() => { const e = document.activeElement; if (!e) return '';"
        " return e.id ? `${e.tagName.toLowerCase()}#${e.id}`"
        " : `${e.tagName.toLowerCase()}:${e.textContent.trim()}` }"))


async def test_the_login_form_with_the_keyboard_alone(
        console: Running, page: Page, data: Seeded) -> None:
    email = await add_user(console.settings, "agency", data.a)
    await page.goto("/console/login")
    # autofocus (applied at the page's first rendering): typing starts in the email field
    await expect(page.locator("#login-email")).to_be_focused()
    # Tab walks every stop in order and comes back round (past the browser's own, where
    # nothing in the page has the focus): password, button, skip link, home link, email
    order = []
    for _ in range(8):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if not now.startswith("body"):
            order.append(now)
        if now == "input#login-email":
            break
    assert order == ["input#login-password", "button:Log in", "a:Skip to content",
                     "a:lead-memory console", "input#login-email"], order
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")  # submits the form
    await expect(page).to_have_url(f"{console.url}/console/t/{data.a}")
    await page.wait_for_load_state("load")

    # every page: the skip link is the first stop and takes the focus to the content
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main#main")).to_be_focused()
    await page.keyboard.press("Tab")  # the next stop is in the content, past the header
    assert await page.evaluate("() => document.getElementById('main')"
                               ".contains(document.activeElement)")


LABELS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML)"""
NAMELESS = """() => Array.from(document.querySelectorAll('button, a[href]'))
  .filter(e => !e.textContent.trim() && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML)"""


async def test_every_input_of_every_page_has_a_label(
        console: Running, context: BrowserContext, data: Seeded) -> None:
    page = await context.new_page()
    await page.goto("/console/login")
    assert await page.evaluate(LABELS) == []
    await log_in(page, await add_user(console.settings, "operator"))
    a = data.a
    pages = ["/console/tenants", "/console/status", f"/console/t/{a}",
             f"/console/t/{a}/settings", f"/console/t/{a}/leads",
             f"/console/t/{a}/leads/{data.lead}", f"/console/t/{a}/leads/{data.lead}/forget",
             f"/console/t/{a}/held", "/console/dlq", "/console/dlq/replay?all=1",
             "/console/audit"]
    counted = 0
    for path in pages:
        assert await status_of(page, path) == 200, path
        assert await page.evaluate(LABELS) == [], path
        assert await page.evaluate(NAMELESS) == [], path
        assert await page.get_attribute("html", "lang") == "en"
        counted += int(await page.evaluate(
            "() => document.querySelectorAll('input:not([type=hidden]), select, "
            "textarea').length"))
    assert counted > 20  # the check saw the forms: settings, search, filters, checkboxes
    # a refused settings form keeps every field labelled, and ties the error to its field
    await page.goto(f"/console/t/{a}/settings")
    await page.get_by_label("Time zone").fill("Mars/Olympus")
    await page.get_by_role("button", name="Save settings").click()
    assert await page.evaluate(LABELS) == []
    described = await page.get_by_label("Time zone").get_attribute("aria-describedby")
    assert described is not None and "error-timezone" in described.split()
    await expect(page.locator("#error-timezone")).to_contain_text("unknown time zone")
