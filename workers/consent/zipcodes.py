"""US postal code -> state, by 3-digit ZIP prefix ranges (pure, compact data).

USPS assigns each 3-digit prefix (sectional center) to one state; a few odd ones are listed
on their own (055 Massachusetts inside Vermont's range, 201 Virginia inside DC's, 733 and 885
Texas inside Oklahoma's and New Mexico's, 569 DC). Military (AA/AE/AP) and territories other
than Puerto Rico give no state. Unassigned prefixes inside a range are counted as that range's
state: a wrong guess only adds a plausible state, never removes one.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_RANGES = """
005-005 NY 006-007 PR 009-009 PR 010-027 MA 028-029 RI 030-038 NH 039-049 ME 050-054 VT
055-055 MA 056-059 VT 060-069 CT 070-089 NJ 100-149 NY 150-196 PA 197-199 DE 200-200 DC
201-201 VA 202-205 DC 206-219 MD 220-246 VA 247-268 WV 270-289 NC 290-299 SC 300-319 GA
320-339 FL 341-349 FL 350-369 AL 370-385 TN 386-397 MS 398-399 GA 400-427 KY 430-459 OH
460-479 IN 480-499 MI 500-528 IA 530-549 WI 550-567 MN 569-569 DC 570-577 SD 580-588 ND
590-599 MT 600-629 IL 630-658 MO 660-679 KS 680-693 NE 700-714 LA 716-729 AR 730-732 OK
733-733 TX 734-749 OK 750-799 TX 800-816 CO 820-831 WY 832-838 ID 840-847 UT 850-865 AZ
870-884 NM 885-885 TX 889-898 NV 900-961 CA 967-968 HI 970-979 OR 980-994 WA 995-999 AK
"""
_TABLE: tuple[tuple[int, int, str], ...] = tuple(sorted(
    (int(span[:3]), int(span[4:]), state)
    for span, state in zip(_RANGES.split()[::2], _RANGES.split()[1::2], strict=True)))
_STARTS = tuple(lo for lo, _, _ in _TABLE)


def state_for_zip(postal_code: str | None) -> str | None:
    """The state of a US ZIP (`73301`, `73301-0001`, `  02134 `); None for anything else
    (a Canadian postal code, a military ZIP, garbage)."""
    match = re.fullmatch(r"\s*(\d{5})(?:[-\s]?\d{4})?\s*", postal_code or "")
    if match is None:
        return None
    prefix = int(match.group(1)[:3])
    i = bisect_right(_STARTS, prefix) - 1
    if i < 0:
        return None
    lo, hi, state = _TABLE[i]
    return state if lo <= prefix <= hi else None
