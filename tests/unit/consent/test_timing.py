"""When a lead asks us to wait (`consent.timing`), as tables: the pause a request names and
when it ends on the lead's clock, the standing hours it names, its lift, and words that ask
nothing of the kind (about the move, not about us)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workers.consent import timing
from workers.consent.quiet import LeadHours, QuietWindow

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Monday 11:00 in New York
HERE = Path(__file__).resolve().parent


def reading(text: str) -> list[tuple[str, str]]:
    """Each request as (kind, when): a pause's end in New York, hours' text form."""
    out: list[tuple[str, str]] = []
    for r in timing.read(text):
        if isinstance(r, timing.Wait):
            out.append(("wait", r.until(NOW, [NY]).astimezone(NY).strftime("%Y-%m-%d %H:%M")))
        elif isinstance(r, timing.Hours):
            out.append(("hours", str(r.hours)))
        else:
            out.append(("resume", ""))
    return out


@pytest.mark.parametrize(("text", "until"), [
    # Negated: a time it is told to wait until or after, a span, a day it means all of.
    ("don't contact me until after the holidays", "2027-01-02 00:00"),
    ("don't message me till next week, traveling", "2026-12-14 00:00"),
    ("no quiero recibir información hasta marzo", "2027-03-01 00:00"),
    ("no me llames hasta el 15 de enero", "2027-01-15 00:00"),
    ("hasta marzo no me escriban", "2027-03-01 00:00"),
    ("dont call me for a month", "2027-01-06 11:00"),
    ("don't text me this week", "2026-12-14 00:00"),
    ("don't text me next week", "2026-12-21 00:00"),
    ("don't text me tomorrow", "2026-12-09 00:00"),
    ("no me escribas esta semana", "2026-12-14 00:00"),
    ("don't text me until the end of the month", "2027-01-01 00:00"),
    ("please do not contact us until after Christmas", "2026-12-26 00:00"),
    # ...and no date the words pin down: `UNDATED`.
    ("don't text me until I'm back from my trip", "2026-12-21 11:00"),
    ("don't text me until you find something under 400k", "2026-12-21 11:00"),
    # Asked for: a later contact is a pause until then.
    ("text me next week", "2026-12-14 00:00"),
    ("check back in a couple of months", "2027-02-05 11:00"),
    ("llámame el mes que viene", "2027-01-01 00:00"),
    ("reach out after the new year", "2027-01-02 00:00"),
    ("escríbeme en enero", "2027-01-01 00:00"),
    ("let's talk in the spring", "2027-03-20 00:00"),
    ("hit me up in 2 weeks", "2026-12-21 11:00"),
    ("text me back in march", "2027-03-01 00:00"),
    ("talk to you after the holidays", "2027-01-02 00:00"),
    ("contact me after thanksgiving", "2027-11-26 00:00"),
    ("mándame info la próxima semana", "2026-12-14 00:00"),
    ("text me monday", "2026-12-14 00:00"),
    ("ok to message me after the holidays", "2027-01-02 00:00"),
    ("feel free to text me again next year", "2027-01-01 00:00"),
    ("escribeme mañana", "2026-12-08 00:00"),
    # A time of day asked for is today's (tomorrow's once past).
    ("text me after 5", "2026-12-07 17:00"),
    ("call me after work", "2026-12-07 17:30"),
    ("can you call me at 3?", "2026-12-07 15:00"),
    ("call me at 9am", "2026-12-08 09:00"),
    ("just text me after work", "2026-12-07 17:30"),  # "just" is "simply", not "only"
])
def test_a_pause_and_when_it_ends(text: str, until: str) -> None:
    assert reading(text) == [("wait", until)]


@pytest.mark.parametrize(("text", "hours"), [
    ("dont text me before 9am pls", "00:00-09:00"),
    ("please don't message me during work", "09:00-17:00"),
    ("no texts after 8pm", "20:00-00:00"),
    ("no texts after 8", "20:00-00:00"),  # a bare hour after "after": the evening's
    ("stop texting me so early lol", "00:00-10:00"),
    ("don't text me so late please", "20:00-00:00"),
    ("dont text me on sundays", "sun"),
    ("no me escriban antes de las 9", "00:00-09:00"),
    ("no me manden mensajes en la noche", "20:00-00:00"),
    ("no me escriban después de las 8 por favor", "20:00-00:00"),
    ("no me manden mensajes los domingos", "sun"),
    ("no texts on weekends or after 9pm", "21:00-00:00 sat,sun"),
    ("don't text me between 9 and 5", "09:00-17:00"),
    ("no calls before noon", "00:00-12:00"),
    ("also can you not text after 9pm, wife gets annoyed", "21:00-00:00"),
    ("los domingos no me escriban por favor", "sun"),  # fronted
    # "only", asked for in the positive: a standing rule; what it leaves out is quiet.
    ("only text me after 6pm", "00:00-18:00"),
    ("text me only after 6, im at work", "00:00-18:00"),
    ("solo escríbeme después de las 6", "00:00-18:00"),
    ("please only call me between 9 and 5", "17:00-09:00"),
    ("only text me in the evenings", "00:00-17:00"),
    ("solo escribeme por las noches", "00:00-17:00"),
    ("text me only mornings pls", "12:00-00:00"),
    ("only text me before noon", "12:00-00:00"),
    ("only text me on weekends", "mon,tue,wed,thu,fri"),
])
def test_standing_hours(text: str, hours: str) -> None:
    assert reading(text) == [("hours", hours)]


@pytest.mark.parametrize("text", [
    "you can text me now", "ok you can text me again", "feel free to reach out anytime",
    "ya me pueden escribir", "pueden volver a escribirme",
])
def test_the_lead_lifts_its_own_pause(text: str) -> None:
    assert reading(text) == [("resume", "")]


@pytest.mark.parametrize("text", [
    # About the move, the money or someone else, not about us.
    "we're not moving until next year",
    "no rush at all, we are not buying until 2028",
    "we close on the 15th",
    "text me the listings",
    "no rush, text me whenever",
    "don't text me while I'm driving",  # no time the words pin down
    # Asked for within a time that has begun: now.
    "can you call me this week?",
    "could you give us a call this weekend to go over next steps?",
    # Too far from the contact word: the showing is Saturday, not the text.
    "can you text me the address for the showing on saturday?",
    # A conditional or questioning "you can text me again" lifts nothing.
    "you can text me again when the market cools",
    "once we sell you can message me again",
    "you can text me again?",
    # Whose contact it is: the lead's or someone else's, or a text that came.
    "i'll call you next week when we're back",
    "my husband will text you tomorrow about the offer",
    "got your text at 9pm last night, yes we want to see it",
    "Looking to buy in the spring, text me listings under 400k",
    "only text me about condos", "only text me if something comes up in frisco",
])
def test_words_that_ask_nothing_of_when(text: str) -> None:
    assert timing.read(text) == ()


def test_every_timing_phrasing_is_read_but_one_with_no_time() -> None:
    """The labelled phrasings' "timing" class (not opt-outs) each record what they ask,
    except "while I'm driving", which names no time."""
    unread = []
    for name in ("phrasings.jsonl", "phrasings_heldout.jsonl"):
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if case["class"] == "timing" and not timing.read(case["text"]):
                unread.append(case["text"])
    assert unread == ["don't text me while I'm driving"]


def test_a_time_already_here_asks_no_wait() -> None:
    """"check back in december", said in December, is no pause at all."""
    [wait] = timing.read("check back in december")
    assert isinstance(wait, timing.Wait)
    assert wait.ends_after(NOW, [NY]) is None
    [later] = timing.read("check back in january")
    assert isinstance(later, timing.Wait) and later.ends_after(NOW, [NY]) is not None


def test_a_pause_ends_at_the_latest_of_the_leads_zones() -> None:
    """Tomorrow begins later in Los Angeles than in New York: the pause ends there."""
    [wait] = timing.read("don't text me till tomorrow")
    assert isinstance(wait, timing.Wait)
    la = ZoneInfo("America/Los_Angeles")
    assert wait.until(NOW, [NY, la]) == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    assert wait.until(NOW, []) == max(wait.until(NOW, [z]) for z in timing.US_ZONES)


@pytest.mark.parametrize(("text", "hours"), [
    ("20:00-00:00", LeadHours(QuietWindow(time(20), time(0)))),
    ("sun,sat", LeadHours(None, frozenset({5, 6}))),
    ("09:00-17:00 sat", LeadHours(QuietWindow(time(9), time(17)), frozenset({5}))),
])
def test_hours_text_form_round_trips(text: str, hours: LeadHours) -> None:
    assert LeadHours.parse(text) == hours
    assert LeadHours.parse(str(hours)) == hours


@pytest.mark.parametrize("text", ["", "nightly", "20:00-xx", "sun,funday"])
def test_hours_text_form_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        LeadHours.parse(text)
