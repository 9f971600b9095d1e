"""The demo's lead journey (`devtools/demo/journey.py`, issue #26 item 7) as `leadmem demo`
runs it: an agency installed through the OAuth callback and a signed INSTALL, the receiver
and the workers in this process, the fake GHL and the demo's scripted Claude; the lead's
ContactCreate, its answers and GHL's echoes of our texts POSTed as signed webhooks. It must
be texted first, followed up, offered slots, booked, and counted so in the funnel.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime

import aiohttp
import pytest

from devtools.demo import journey
from devtools.demo.receiver import receiver_running, webhook_url
from devtools.demo.services import configure, fake_apis, install
from devtools.inprocess import running
from tests.conftest import new_tenant
from workers.settings import Settings

pytestmark = pytest.mark.integration


async def walk(settings: Settings, tenant: str) -> journey.Journey | None:
    """The demo's setup for one agency, then its journey."""
    async with AsyncExitStack() as stack:
        settings, ghl = await stack.enter_async_context(fake_apis(settings))
        await stack.enter_async_context(running(settings, "ingestion", "memory", "learning",
                                                "responder", "outbound"))
        receiver = await stack.enter_async_context(receiver_running(settings))
        url = webhook_url(receiver)
        async with aiohttp.ClientSession() as http:
            assert await install(http, f"http://127.0.0.1:{receiver.port}", url, ghl,
                                 tenant) == (200, 200)
        await configure(settings, {tenant: journey.AREAS[journey.AGENCY]})
        return await journey.run_journey(settings, ghl, url, tenant)


async def test_the_demo_walks_a_lead_from_first_touch_to_a_booked_showing(
        make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]) -> None:
    tenant = new_tenant()
    walked = await walk(make_settings(timer_interval_s=0.2), tenant)
    out = capsys.readouterr().out
    assert walked is not None, out
    said = [(e.who, e.text) for e in walked.timeline if e.who]
    assert [who for who, _ in said] == ["lead", "agency", "agency", "lead", "agency", "lead",
                                        "GHL", "agency"]
    assert said[1][1].startswith("first touch: 'Hi Maya, this is Peak Realty! Thanks for "
                                 "asking about 418 Oak St.")
    assert said[2][1].startswith("follow-up: 'Hi Maya")
    assert said[4][1].startswith("slots offered: 'I can set that up — would")
    assert said[7][1].startswith("booking confirmed: \"You're booked for a showing on")
    assert walked.appointment is not None
    assert datetime.fromisoformat(walked.appointment["startTime"]) == walked.slots[1]
    assert walked.appointment["assignedUserId"] == journey.AGENT
    assert walked.echoes == [200] * 4
    assert walked.funnel is not None
    assert walked.funnel.stages() == {"new": 1, "texted": 1, "first_touched": 1, "replied": 1,
                                      "qualified": 0, "booked": 1, "opted_out": 0}
    assert "follow-ups left after the booking: none" in out
    assert f"Lead funnel of {tenant} (Peak Realty)" in out



async def test_a_journey_that_stops_short_fails_and_says_where(
        make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journey, "CHOICE", "hmm, let me think about it")  # picks no slot
    monkeypatch.setattr(journey, "STEP_TIMEOUT_S", 3.0)
    walked = await walk(make_settings(timer_interval_s=0.2), new_tenant())
    out = capsys.readouterr().out
    assert walked is None
    assert "the journey stopped: waited 3 s for the appointment on the GHL calendar" in out
    assert "reply booking_offer: sent" in out  # what the pipeline did, to see where
    assert "Lead funnel of" not in out
