"""A CSV of listings with RESO field names as headers, read and validated row by row (pure).

For agencies without a feed (`leadmem listings import ID FILE.csv`). The header row names RESO
Data Dictionary `Property` fields (`workers.listings.reso.FIELDS`; `MediaURL` for the first
photo); columns of other names are reported and not read. Each row is classified as a feed's
record is (`reso.classify`), so a CSV row and a feed record with the same values become the
same row. Every problem is reported with the line it is on (the header is line 1; a quoted
cell spanning lines counts its lines); the importer writes nothing when there is one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from workers.listings import reso
from workers.listings.reso import Invalid, Outcome

MAX_ROWS = 200_000


class CsvError(ValueError):
    """The file cannot be read as a CSV at all (not UTF-8, no header, no key column)."""


@dataclass(frozen=True)
class Row:
    line: int
    outcome: Outcome


@dataclass(frozen=True)
class Report:
    """The rows read, the problems found (line, message; sorted by line) and the columns
    that are not RESO fields we read."""

    rows: tuple[Row, ...] = ()
    errors: tuple[tuple[int, str], ...] = ()
    ignored: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without the byte-order mark spreadsheets write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CsvError(f"line {line}: not UTF-8 text (byte {exc.start}); save the file as "
                       "CSV UTF-8") from exc


def _kind(outcome: Outcome) -> str:
    return {reso.Listed: "listed", reso.Sold: "sold", reso.Removed: "removed",
            reso.Invalid: "invalid"}[type(outcome)]


def read(text: str) -> Report:
    """Every row of the CSV `text`, classified, with every problem (see the module)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CsvError(f"line 1: {exc}") from exc
    if header is None or not any(h.strip() for h in header):
        raise CsvError("line 1: the file is empty: the first line must name RESO fields "
                       "(ListingKey, StandardStatus, ListPrice, ...)")
    names = [h.strip() for h in header]
    dupes = sorted({n for n in names if n and names.count(n) > 1})
    if dupes:
        raise CsvError(f"line 1: columns named more than once: {', '.join(dupes)}")
    if not set(reso.KEY_FIELDS) & set(names):
        raise CsvError("line 1: no ListingKey (or ListingId) column: each row needs its key")
    ignored = tuple(n for n in names if n and n not in reso.BY_NAME)
    rows: list[Row] = []
    errors: list[tuple[int, str]] = []
    counts = dict.fromkeys(("listed", "sold", "removed", "invalid"), 0)
    seen: dict[str, int] = {}
    line_end = reader.line_num
    while True:
        start = line_end + 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            errors.append((start, f"not valid CSV: {exc}"))
            break
        line_end = reader.line_num
        if cells is None:
            break
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(rows) >= MAX_ROWS:
            errors.append((start, f"more than {MAX_ROWS} rows: split the file"))
            break
        if len(cells) != len(names):
            errors.append((start, f"{len(cells)} cells, the header has {len(names)}"))
            continue
        record = {n: c for n, c in zip(names, cells, strict=True) if n in reso.BY_NAME}
        outcome = reso.classify(record)
        counts[_kind(outcome)] += 1
        if isinstance(outcome, Invalid):
            errors.extend((start, e) for e in outcome.errors)
            continue
        first = seen.setdefault(outcome.key, start)
        if first != start:
            errors.append((start, f"ListingKey {outcome.key!r} is also on line {first}"))
            continue
        rows.append(Row(start, outcome))
    return Report(tuple(rows), tuple(sorted(errors, key=lambda e: e[0])), ignored, counts)
