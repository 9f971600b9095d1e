"""A CSV with RESO field names as headers, validated row by row: every problem with its line
number, duplicates, unknown columns reported, files that are not CSV at all refused."""

from __future__ import annotations

import pytest

from workers.listings import csvfile
from workers.listings.csvfile import CsvError, decode, read
from workers.listings.reso import Listed, Removed, Sold

HEADER = "ListingKey,StandardStatus,ListPrice,ClosePrice,CloseDate,City,BedroomsTotal,MediaURL"


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def test_a_good_file() -> None:
    report = read(csv(
        "A1,Active,450000,,,Austin,3,https://p.test/a1.jpg",
        "A2,Active Under Contract,\"$515,000\",,,Round Rock,4,",
        "A3,Closed,,430000,2026-01-20,Austin,3,",
        "A4,Withdrawn,,,,,,",
    ))
    assert report.ok and report.errors == () and report.ignored == ()
    assert [r.line for r in report.rows] == [2, 3, 4, 5]
    a1, a2, a3, a4 = (r.outcome for r in report.rows)
    assert isinstance(a1, Listed) and (a1.price, a1.area, a1.bedrooms, a1.photo_url) == (
        450000, "Austin", 3, "https://p.test/a1.jpg")
    assert isinstance(a2, Listed) and (a2.status, a2.price) == ("active_under_contract", 515000)
    assert isinstance(a3, Sold) and a3.sold_price == 430000
    assert a4 == Removed("A4", "Withdrawn")
    assert report.counts == {"listed": 2, "sold": 1, "removed": 1, "invalid": 0}


def test_bad_rows_are_reported_with_their_line_numbers() -> None:
    report = read(csv(
        "A1,Active,450000,,,Austin,3,",
        "A2,Active,lots,,,Austin,3,",            # line 3
        "A3,Sold,450000,,,Austin,3,",            # line 4
        "A4,Closed,,430000,,Austin,three,",      # line 5: two problems
        ",Active,1,,,Austin,1,",                 # line 6: no key
        "A5,Active,450000,,,Austin,3,ftp://x",   # line 7
    ))
    assert not report.ok
    assert report.errors == (
        (3, "ListPrice: not a number ('lots')"),
        (4, "StandardStatus: not a RESO StandardStatus ('Sold')"),
        (5, "BedroomsTotal: not a number ('three')"),
        (5, "CloseDate: missing (a Closed record needs it)"),
        (6, "ListingKey: missing"),
        (7, "MediaURL: not an http(s) URL ('ftp://x')"),
    )
    assert [r.line for r in report.rows] == [2]
    assert report.counts["invalid"] == 5


def test_a_quoted_cell_spanning_lines_keeps_the_line_count_true() -> None:
    header = "ListingKey,StandardStatus,ListPrice,UnparsedAddress"
    report = read(csv('A1,Active,1,"12 Main St\nUnit 4"', "A2,Active,x,9 Elm", header=header))
    assert report.errors == ((4, "ListPrice: not a number ('x')"),)
    assert report.rows[0].line == 2


def test_duplicate_keys_and_ragged_rows() -> None:
    report = read(csv("A1,Active,1,,,Austin,3,", "A1,Pending,2,,,Austin,3,", "A2,Active,1",
                      "", "A3,Active,1,,,Austin,3,,extra"))
    assert report.errors == (
        (3, "ListingKey 'A1' is also on line 2"),
        (4, "3 cells, the header has 8"),
        (6, "9 cells, the header has 8"),
    )


def test_other_columns_are_reported_not_read() -> None:
    report = read(csv("A1,Active,1,Pool + spa,x", header="ListingKey,StandardStatus,ListPrice,"
                      "PublicRemarks,ListPirce"))
    assert report.ok and report.ignored == ("PublicRemarks", "ListPirce")


def test_a_listing_id_column_keys_the_rows() -> None:
    report = read(csv("MLS-1,Active,1", header="ListingId,StandardStatus,ListPrice"))
    assert report.ok and report.rows[0].outcome.key == "MLS-1"


@pytest.mark.parametrize(("text", "message"), [
    ("", "line 1: the file is empty"),
    ("\n\n", "line 1: the file is empty"),
    ("StandardStatus,ListPrice\nActive,1\n", "line 1: no ListingKey (or ListingId) column"),
    ("ListingKey,ListPrice,ListPrice\n", "line 1: columns named more than once: ListPrice"),
])
def test_files_that_cannot_be_read_at_all(text: str, message: str) -> None:
    with pytest.raises(CsvError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(text)


def test_decoding() -> None:
    assert decode("\ufeffListingKey\n".encode()) == "ListingKey\n"  # Excel's byte-order mark
    with pytest.raises(CsvError, match="line 2: not UTF-8"):
        decode(b"ListingKey\nA\xff1\n")


def test_the_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_ROWS", 2)
    report = read(csv(*(f"A{i},Active,1,,,Austin,3," for i in range(3))))
    assert report.errors == ((4, "more than 2 rows: split the file"),)
