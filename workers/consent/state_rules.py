"""When the law lets an automated text reach a lead: the federal and state rules as data.

Each `SendRule` is one jurisdiction's rule for telephone solicitations (texts included): the
local send window for each weekday (None: no texts that day), whether its legal holidays are
banned (the calendar in `holidays`), a cap of texts per rolling 24 hours where the law has
one, the citation, and a note saying what was checked and, where sources differ, which
reading was taken (always the stricter). The federal rule applies everywhere; a state's on
top of it. `UNKNOWN` is the conservative stand-in for a lead whose state nothing tells.

Checked against stored public copies of the texts (2026-12): quoted wording is marked
"verified"; everything else says where it comes from. Not legal advice: a rule whose
citation says "not verified" needs counsel's review before relying on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

Window = tuple[time, time]  # send from [0] until [1], local time (end exclusive)
Week = tuple[Window | None, ...]  # Monday .. Sunday


def week(every_day: Window | None = None, *, weekdays: Window | None = None,
         saturday: Window | None = None, sunday: Window | None = None,
         no_sunday: bool = False, weekend_off: bool = False) -> Week:
    """Seven windows: `every_day`, with Monday-Friday, Saturday or Sunday overridden; no
    texts at all on Sundays (`no_sunday`) or on the whole weekend (`weekend_off`)."""
    days: list[Window | None] = [every_day] * 7
    if weekdays is not None:
        days[:5] = [weekdays] * 5
    if saturday is not None:
        days[5] = saturday
    if sunday is not None:
        days[6] = sunday
    if no_sunday or weekend_off:
        days[6] = None
    if weekend_off:
        days[5] = None
    return tuple(days)


def hours(start: int, end: int) -> Window:
    return time(start), time(end)



@dataclass(frozen=True)
class SendRule:
    region: str  # "US", a state's postal abbreviation, or "??" (state unknown)
    week: Week  # Monday .. Sunday
    citation: str
    holidays: str | None = None  # a `holidays.CALENDARS` key: no texts on those days
    daily_cap: int | None = None  # at most this many automated texts per rolling 24 h
    note: str = ""

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError(f"{self.region}: a week has 7 days, not {len(self.week)}")
        for window in self.week:
            if window is not None and not window[0] < window[1]:
                raise ValueError(f"{self.region}: window {window} is empty or crosses midnight")


FEDERAL_RULE = SendRule(
    "US", week(hours(8, 21)), "47 CFR 64.1200(c)(1) (TCPA, 47 U.S.C. § 227(c))",
    note="No telephone solicitation before 8 a.m. or after 9 p.m. local time at the called "
         "party's location; the FCC applies it to texts. Not re-checked here (well known).")

STATE_RULES: tuple[SendRule, ...] = (
    SendRule("FL", week(hours(8, 20)),
             "Fla. Stat. § 501.616(6)(a) (hours) and (6)(b) (3 per 24 h), as amended by "
             "CS/SB 1120 (2021); § 501.059 (FTSA) for consent and the area-code presumption",
             daily_cap=3,
             note="Verified: the enrolled 2021 bill amends 501.616(6)(a) to 'before 8 a.m. or "
                  "after 8 p.m. local time at the called person's location' and adds (6)(b) 'more "
                  "than three ... phone calls from any number to a person over a 24-hour "
                  "period on the same subject matter or issue'. 501.059(8) is the FTSA's "
                  "autodialer-consent rule, not the hours: 501.616(6) is the right cite."),
    SendRule("OK", week(hours(9, 20)),
             "15 O.S. § 775C.4 (Telephone Solicitation Act of 2022, HB 3168); "
             "15 O.S. § 755.1(C)(2)(a) (automatic dial announcing devices: 9 a.m.-9 p.m.)",
             daily_cap=3,
             note="775C.4's 8 a.m.-8 p.m. and 3 per 24 h on the same subject are from summaries "
                  "of the 2022 act (the section text itself was not seen). Sources differ: "
                  "755.1 (verified text) bars automatic dial announcing devices before 9 a.m.; "
                  "the stricter 9:00 start is taken."),
    SendRule("MD", week(hours(8, 20)),
             "Md. Code Com. Law § 14-4503 (Stop the Spam Calls Act of 2023, SB 90, in force "
             "2024-01-01)",
             daily_cap=3,
             note="8 a.m.-8 p.m. in the called party's time zone and 'three calls or text "
                  "messages per 24 hours about the same subject' per reports of the act; the "
                  "subsection wording of 14-4503 was not seen (14-4502 was)."),
    SendRule("TX", week(weekdays=hours(9, 21), saturday=hours(9, 21), sunday=hours(12, 21)),
             "Tex. Bus. & Com. Code § 301.051",
             note="9 a.m.-9 p.m. weekdays and Saturday, noon-9 p.m. Sunday. The stored copy "
                  "shows § 301.051 'Telephone solicitation requirements' exists but not its "
                  "hours wording: not verified here."),
    SendRule("WA", week(hours(8, 20)),
             "RCW 80.36.390; RCW 19.158.040(2)",
             note="Verified: RCW 19.158.040(2) 'shall not place calls ... before 8:00 a.m. or "
                  "after 8:00 p.m. at the call recipient's local time'. The stored 80.36.390 "
                  "text did not show its hours subsection."),
    SendRule("MA", week(hours(8, 20)),
             "M.G.L. c. 159C § 3; 201 CMR 12.02(2)",
             note="Verified: 201 CMR 12.02(2) bars unsolicited telephonic sales calls 'between "
                  "the hours of 8:00 P.M. to 8:00 A.M., local time at the consumer's location'. "
                  "The text of c. 159C § 3 itself was not seen."),
    SendRule("CT", week(hours(9, 20)),
             "Conn. Gen. Stat. § 42-288a as amended by Public Act 23-98 (SB 1058), in force "
             "2023-10-01",
             note="Verified in reports quoting the act: 'between the hours of nine o'clock a.m. "
                  "and eight o'clock p.m. local time' (was 9 p.m.), texts included, Connecticut "
                  "area codes presumed in the state. Sources differ (older charts: 9-9); the "
                  "amended 8 p.m. is taken."),
    SendRule("AL", week(hours(8, 20), no_sunday=True), "Alabama Public Service Commission "
             "telephone rules (Ala. Admin. Code ch. 770-X; rule number not verified); "
             "holidays Ala. Code § 1-3-8",
             holidays="AL",
             note="8 a.m.-8 p.m. Monday-Saturday, no Sundays or state holidays, per industry "
                  "charts; the rules may bind only telephone utilities (dnc.com). Not "
                  "verified: taken as the stricter reading."),
    SendRule("LA", week(hours(8, 20), no_sunday=True),
             "La. R.S. 45:811(2)-(3); LPSC General Order R-29617 § V(A)(2); holidays "
             "La. R.S. 1:55",
             holidays="LA",
             note="Verified (45:811): not 'other than between the hours of 8:00 a.m. and 8:00 "
                  "p.m., Monday through Saturday', nor 'on days declared to be a state holiday, "
                  "or Sundays'. Every 1:55 holiday is banned, not only the LPSC's list (the "
                  "stricter reading); governor-declared days must be added by hand."),
    SendRule("MS", week(hours(9, 21), no_sunday=True),
             "Miss. Code Ann. § 77-3-723(1) (no Sundays); § 77-3-603(a) (hours); holidays "
             "§ 3-3-7",
             holidays="MS",
             note="Verified (quoted by dnc.com, 2024): 'No telephone solicitations may be made "
                  "on a Sunday'; 77-3-603(a): 'between the hours of 8:00 a.m. and 9:00 p.m., "
                  "Central Standard Time'. Read literally, 8:00 CST is 9:00 local in summer: "
                  "the 9:00 start is taken all year (the stricter reading). The PSC's holiday "
                  "ban (39 Miss. Admin. Code Pt. I R. 1:28) was repealed in 2023-24 per the "
                  "AG's office; sources differ, so legal holidays stay banned."),
    SendRule("RI", week(weekdays=hours(9, 18), saturday=hours(10, 17), no_sunday=True),
             "R.I. Gen. Laws § 5-61-2 ('hours of operation') and § 5-61-3.6; holidays "
             "§ 25-1-1 and federal",
             holidays="RI",
             note="Verified: 'Monday through Friday, except a state or federal holiday, 9:00 "
                  "a.m. to 6:00 p.m.; Saturday 10:00 a.m. to 5:00 p.m.' (no Sunday). A holiday "
                  "on a Saturday is banned too (the stricter reading)."),
    SendRule("UT", week(hours(8, 21), no_sunday=True),
             "Utah Code § 13-25a-103(3); holidays § 63G-1-301",
             holidays="UT",
             note="Verified: no telephone solicitation without prior express consent 'between "
                  "the hours of 9 p.m. and 8 a.m. local time', 'on a Sunday' or 'on a legal "
                  "holiday'. Applied even with consent (the stricter reading)."),
    SendRule("SD", week(hours(9, 21), weekend_off=True),
             "SDCL 37-30-28",
             note="Verified: no automated telephone dialing system solicitation 'except "
                  "weekdays between 9 a.m. and 9 p.m.'. Whether a texting platform is such a "
                  "system is unsettled: applied (the stricter reading), so no weekend texts."),
    SendRule("KY", week(hours(10, 21)),
             "KRS 367.46955 (hours subsection not verified); KRS 367.461(2)(e)",
             note="10 a.m.-9 p.m. per industry charts; the stored KRS 367.46955 text did not "
                  "show it. KRS 367.461(2)(e) (verified) allows automated calling equipment "
                  "8 a.m.-9 p.m. Sources differ: the stricter 10:00 start is taken."),
)

UNKNOWN_RULE = SendRule(
    "??", week(hours(9, 20)), "none: conservative stand-in for an unknown state",
    daily_cap=None,
    note="Nothing tells the lead's state: 9:00-20:00 every day (the 9:00 start of CT/TX/OK "
         "and the 8 p.m. end of FL/OK/MD/WA/MA/CT). The 3-per-24-h cap of FL/OK/MD is not "
         "assumed (it would cap every conversation with a lead whose state GHL does not know "
         "at three answers a day), nor are KY's 10:00 start, RI's and SD's weekday-only hours "
         "and the Sunday/holiday bans (they would hold most texts to leads who are in none "
         "of those states).")

RULES_BY_REGION: dict[str, SendRule] = {rule.region: rule for rule in STATE_RULES}


def rules_for(state: str | None) -> tuple[SendRule, ...]:
    """Every rule that applies to a lead in `state` (None: unknown): federal + the state's."""
    if state is None:
        return FEDERAL_RULE, UNKNOWN_RULE
    own = RULES_BY_REGION.get(state)
    return (FEDERAL_RULE,) if own is None else (FEDERAL_RULE, own)


@dataclass(frozen=True)
class Combined:
    """All the rules for one state, merged once: the narrowest window per weekday, the
    holiday calendars, and the strictest cap."""

    week: Week
    calendars: tuple[str, ...]
    daily_cap: int | None


def combine(rules: tuple[SendRule, ...]) -> Combined:
    days: list[Window | None] = []
    for weekday in range(7):
        windows = [rule.week[weekday] for rule in rules]
        if any(w is None for w in windows):
            days.append(None)
            continue
        start = max(w[0] for w in windows if w is not None)
        end = min(w[1] for w in windows if w is not None)
        days.append((start, end) if start < end else None)
    caps = [rule.daily_cap for rule in rules if rule.daily_cap is not None]
    return Combined(tuple(days), tuple(r.holidays for r in rules if r.holidays),
                    min(caps) if caps else None)


_COMBINED: dict[str | None, Combined] = {
    None: combine(rules_for(None)), "US": combine((FEDERAL_RULE,)),
    **{rule.region: combine(rules_for(rule.region)) for rule in STATE_RULES},
}


def combined(state: str | None) -> Combined:
    """The precomputed merge of `rules_for(state)` (a state without its own rule: federal)."""
    return _COMBINED.get(state) or _COMBINED["US"]
