"""US (+ Puerto Rico) telephone area codes and states -> IANA time zones, for quiet hours.

Compact by design: one line per state and zone. Each area code has a state and a *primary*
zone (`AREA_CODE_TZ`, `timezone_for_phone`: the zone most of its numbers are in, kept for the
old callers). An area code that spans two zones counts *both* (`zones_for_area_code`): 850
Florida panhandle (Eastern and Central), 812/930 and 574 Indiana, 270/364 and 606 Kentucky,
423 and 931 Tennessee, 906 Michigan, 308 Nebraska, 605 South Dakota, 701 North Dakota, 620 and
785 Kansas, 432 Texas, 208/986 Idaho, 541/458 Oregon, 928 Arizona (the Navajo Nation keeps
daylight time), 907 Alaska (the Aleutians). A state likewise counts every zone it spans
(`STATE_ZONES`). A contact's own zone is never overridden by this table: `quiet.whereabouts`
counts every zone its sources make plausible.
"""

from __future__ import annotations

import re

EASTERN, CENTRAL, MOUNTAIN = "America/New_York", "America/Chicago", "America/Denver"
PACIFIC, ARIZONA, BOISE = "America/Los_Angeles", "America/Phoenix", "America/Boise"

# (state, primary zone, its area codes). A state with codes in two zones has two lines.
_CODES: tuple[tuple[str, str, str], ...] = (
    ("CT", EASTERN, "203 475 860 959"),
    ("DE", EASTERN, "302"),
    ("DC", EASTERN, "202 771"),
    ("FL", EASTERN, "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 "
                    "813 850 863 904 941 954"),
    ("GA", EASTERN, "229 404 470 478 678 706 762 770 912 943"),
    ("IN", EASTERN, "260 317 463 574 765 812 930"),
    ("KY", EASTERN, "502 606 859"),
    ("ME", EASTERN, "207"),
    ("MD", EASTERN, "227 240 301 410 443 667"),
    ("MA", EASTERN, "339 351 413 508 617 774 781 857 978"),
    ("MI", EASTERN, "231 248 269 313 517 586 616 679 734 810 906 947 989"),
    ("NH", EASTERN, "603"),
    ("NJ", EASTERN, "201 551 609 640 732 848 856 862 908 973"),
    ("NY", EASTERN, "212 315 329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 "
                    "914 917 929 934"),
    ("NC", EASTERN, "252 336 472 704 743 828 910 919 980 984"),
    ("OH", EASTERN, "216 220 234 283 326 330 380 419 436 440 513 567 614 740 937"),
    ("PA", EASTERN, "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878"),
    ("RI", EASTERN, "401"),
    ("SC", EASTERN, "803 839 843 854 864"),
    ("TN", EASTERN, "423 865"),
    ("VT", EASTERN, "802"),
    ("VA", EASTERN, "276 434 540 571 686 703 757 804 826 948"),
    ("WV", EASTERN, "304 681"),
    ("AL", CENTRAL, "205 251 256 334 483 659 938"),
    ("AR", CENTRAL, "327 479 501 870"),
    ("IL", CENTRAL, "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872"),
    ("IN", CENTRAL, "219"),
    ("IA", CENTRAL, "319 515 563 641 712"),
    ("KS", CENTRAL, "316 620 785 913"),
    ("KY", CENTRAL, "270 364"),
    ("LA", CENTRAL, "225 318 337 504 985"),
    ("MN", CENTRAL, "218 320 507 612 651 763 952"),
    ("MS", CENTRAL, "228 601 662 769"),
    ("MO", CENTRAL, "235 314 417 557 573 636 660 816 975"),
    ("NE", CENTRAL, "308 402 531"),
    ("ND", CENTRAL, "701"),
    ("OK", CENTRAL, "405 539 572 580 918"),
    ("SD", CENTRAL, "605"),
    ("TN", CENTRAL, "615 629 731 901 931"),
    ("TX", CENTRAL, "210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 "
                    "830 832 903 936 940 945 956 972 979"),
    ("WI", CENTRAL, "262 274 353 414 534 608 715 920"),
    ("CO", MOUNTAIN, "303 719 720 970 983"),
    ("MT", MOUNTAIN, "406"),
    ("NM", MOUNTAIN, "505 575"),
    ("UT", MOUNTAIN, "385 435 801"),
    ("WY", MOUNTAIN, "307"),
    ("TX", MOUNTAIN, "915"),
    ("ID", BOISE, "208 986"),
    ("AZ", ARIZONA, "480 520 602 623 928"),
    ("CA", PACIFIC, "209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 "
                    "628 650 657 661 669 707 714 747 760 805 818 820 831 840 858 909 916 925 "
                    "949 951"),
    ("NV", PACIFIC, "702 725 775"),
    ("OR", PACIFIC, "458 503 541 971"),
    ("WA", PACIFIC, "206 253 360 425 509 564"),
    ("AK", "America/Anchorage", "907"),
    ("HI", "Pacific/Honolulu", "808"),
    ("PR", "America/Puerto_Rico", "787 939"),
)
AREA_CODE_TZ: dict[str, str] = {
    code: zone for _, zone, codes in _CODES for code in codes.split()
}
AREA_CODE_STATE: dict[str, str] = {
    code: state for state, _, codes in _CODES for code in codes.split()
}
# Area codes whose numbers are in more than one zone: every zone, primary first.
_SPLIT: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("850",), (EASTERN, CENTRAL)),              # FL panhandle west of the
    **dict.fromkeys(("812", "930", "574"), (EASTERN, CENTRAL)),  # Apalachicola; IN SW, NW
    **dict.fromkeys(("270", "364"), (CENTRAL, EASTERN)),        # KY
    **dict.fromkeys(("606",), (EASTERN, CENTRAL)),              # KY
    **dict.fromkeys(("423",), (EASTERN, CENTRAL)),              # TN
    **dict.fromkeys(("931",), (CENTRAL, EASTERN)),              # TN
    **dict.fromkeys(("906",), (EASTERN, CENTRAL)),              # MI Upper Peninsula
    **dict.fromkeys(("308", "605", "701", "620", "785", "432"), (CENTRAL, MOUNTAIN)),
    **dict.fromkeys(("208", "986"), (BOISE, PACIFIC)),          # ID north of the Salmon
    **dict.fromkeys(("541", "458"), (PACIFIC, BOISE)),          # OR Malheur County
    **dict.fromkeys(("928",), (ARIZONA, MOUNTAIN)),             # Navajo Nation keeps DST
    **dict.fromkeys(("907",), ("America/Anchorage", "America/Adak")),
}
# Every zone a state spans (its whole territory, not only its area codes' primary zones).
STATE_ZONES: dict[str, tuple[str, ...]] = {
    **{state: (zone,) for state, zone, _ in _CODES},
    "FL": (EASTERN, CENTRAL), "IN": (EASTERN, CENTRAL), "KY": (EASTERN, CENTRAL),
    "TN": (CENTRAL, EASTERN), "MI": (EASTERN, CENTRAL), "KS": (CENTRAL, MOUNTAIN),
    "NE": (CENTRAL, MOUNTAIN), "SD": (CENTRAL, MOUNTAIN), "ND": (CENTRAL, MOUNTAIN),
    "TX": (CENTRAL, MOUNTAIN), "ID": (BOISE, PACIFIC), "OR": (PACIFIC, BOISE),
    "AZ": (ARIZONA, MOUNTAIN), "AK": ("America/Anchorage", "America/Adak"),
}
STATE_NAMES: dict[str, str] = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "WASHINGTON DC": "DC", "FLORIDA": "FL", "GEORGIA": "GA",
    "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA",
    "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD",
    "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS",
    "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK",
    "OREGON": "OR", "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC",
    "SOUTH DAKOTA": "SD", "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT",
    "VIRGINIA": "VA", "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI",
    "WYOMING": "WY", "PUERTO RICO": "PR",
}


def area_code(phone: str | None) -> str | None:
    """The NANP area code of a phone number in any common format (+1 optional)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits[:3] if len(digits) == 10 else None


def timezone_for_phone(phone: str | None) -> str | None:
    """The area code's primary zone (one zone; `zones_for_phone` gives every zone)."""
    code = area_code(phone)
    return AREA_CODE_TZ.get(code) if code else None


def zones_for_area_code(code: str | None) -> tuple[str, ...]:
    """Every zone an area code's numbers are in, primary first; () when unknown."""
    if not code:
        return ()
    if code in _SPLIT:
        return _SPLIT[code]
    zone = AREA_CODE_TZ.get(code)
    return (zone,) if zone else ()


def zones_for_phone(phone: str | None) -> tuple[str, ...]:
    return zones_for_area_code(area_code(phone))


def state_for_phone(phone: str | None) -> str | None:
    code = area_code(phone)
    return AREA_CODE_STATE.get(code) if code else None


def normalize_state(state: str | None) -> str | None:
    """A postal abbreviation from `TX`, `tx`, `Texas`, ` texas `; None when not a US state,
    DC or Puerto Rico."""
    name = " ".join(re.sub(r"[.,]", "", state or "").split()).upper()
    if name in STATE_ZONES:
        return name
    return STATE_NAMES.get(name)
