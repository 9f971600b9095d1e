"""A feed's settings as `tenant config --reso-*` takes them, and the replication watermark
(where a sync resumes; what a page moves it to), as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.listings import feed, replication
from workers.listings.feed import BEARER, CLIENT_CREDENTIALS, Changes, FeedSettingsError
from workers.listings.replication import UnorderedError, Watermark
from workers.listings.reso import Invalid, Listed, Outcome, Removed

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "url"), [
    ("https://api.mlsgrid.com/v2", "https://api.mlsgrid.com/v2"),
    ("https://api.bridgedataoutput.com/api/v2/OData/actris/ ",
     "https://api.bridgedataoutput.com/api/v2/OData/actris"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("http://localhost:8123/odata/", "http://localhost:8123/odata"),
])
def test_service_urls(text: str, url: str) -> None:
    assert feed.service_url("--reso-url", text) == url


@pytest.mark.parametrize(("text", "problem"), [
    ("api.mlsgrid.com/v2", "not an absolute URL"),
    ("ftp://api.mlsgrid.com", "not an absolute URL"),
    ("http://api.mlsgrid.com/v2", "served over https"),
    ("https://api.mlsgrid.com/v2?$top=5", "without a query"),
    ("https://user:pw@api.mlsgrid.com/v2", "without a query, fragment or credentials"),
])
def test_bad_service_urls(text: str, problem: str) -> None:
    with pytest.raises(FeedSettingsError, match=problem):
        feed.service_url("--reso-url", text)


@pytest.mark.parametrize(("text", "value"), [
    ("OriginatingSystemName eq 'actris'", "OriginatingSystemName eq 'actris'"),
    ("City eq 'O''Fallon' and (ListPrice gt 100)", "City eq 'O''Fallon' and (ListPrice gt 100)"),
    ("City eq ')('", "City eq ')('"),  # parentheses inside a string are text
    ("off", None), ("  ", None),
])
def test_filters(text: str, value: str | None) -> None:
    assert feed.odata_filter(text) == value


@pytest.mark.parametrize(("text", "problem"), [
    ("City eq 'Austin') or (true", "a parenthesis closes that was not opened"),
    ("(City eq 'Austin'", "a parenthesis is not closed"),
    ("City eq 'Austin", "a string literal is not closed"),
    ("City eq 'a''", "a string literal is not closed"),
    ("City eq 'a\nb'", "control character"),
    ("x" * 2001, "longer than 2000"),
])
def test_filters_that_could_escape_their_parentheses_are_refused(text: str, problem: str,
                                                                 ) -> None:
    with pytest.raises(FeedSettingsError, match=problem):
        feed.odata_filter(text)


@pytest.mark.parametrize(("text", "rate"), [
    ("2", (2.0, None)), ("2/40000", (2.0, 40000)), (" 0.5 / 7200 ", (0.5, 7200)),
    ("100", (100.0, None)),
])
def test_rates(text: str, rate: tuple[float, int | None]) -> None:
    assert feed.rate(text) == rate


@pytest.mark.parametrize("text", ["0", "101", "2/0", "fast", "2/s", "-1"])
def test_bad_rates(text: str) -> None:
    with pytest.raises(FeedSettingsError, match="--reso-rate"):
        feed.rate(text)


@pytest.mark.parametrize(("text", "ok"), [("1", True), ("5000", True), ("0", False),
                                          ("5001", False), ("ten", False)])
def test_page_sizes(text: str, ok: bool) -> None:
    if ok:
        assert feed.page_size(text) == int(text)
    else:
        with pytest.raises(FeedSettingsError, match="--reso-page-size"):
            feed.page_size(text)


def test_changes() -> None:
    got = feed.changes(url="https://api.mlsgrid.com/v2", token="abc", rate_text="2/40000",
                       filter_text="MlgCanView eq true", page_size_text="1000")
    assert got == Changes(base_url="https://api.mlsgrid.com/v2", token="abc",
                          filter="MlgCanView eq true", page_size=1000, rate_per_s=2.0,
                          daily_limit=40000)
    assert got.auth == BEARER and not got.empty
    assert feed.changes(client_id="c", client_secret="s").auth == CLIENT_CREDENTIALS
    assert feed.changes(filter_text="off") == Changes(clear_filter=True)
    assert feed.changes(url="off") == Changes(remove=True)
    assert feed.changes().empty


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"token": "t", "client_id": "c"}, "not both"),
    ({"url": "off", "token": "t"}, "give no other --reso-"),
    ({"token": "two words"}, "--reso-token: one word"),
    ({"token_url": "http://auth.example.com/token"}, "--reso-token-url: the RESO Web API"),
])
def test_contradictions(kwargs: dict[str, str], problem: str) -> None:
    with pytest.raises(FeedSettingsError, match=problem):
        feed.changes(**kwargs)


@pytest.mark.parametrize(("auth", "kwargs", "problem"), [
    (BEARER, {"token": False}, "needs its bearer token"),
    (CLIENT_CREDENTIALS, {"client_id": None, "client_secret": True, "token_url": "u"},
     "client credentials need --reso-client-id"),
    (CLIENT_CREDENTIALS, {"client_id": "c", "client_secret": False, "token_url": None},
     "--reso-client-secret-env/-stdin, --reso-token-url"),
])
def test_an_incomplete_feed_is_refused(auth: str, kwargs: dict[str, object], problem: str,
                                       ) -> None:
    values: dict[str, object] = {"token": True, "client_id": "c", "client_secret": True,
                                 "token_url": "u", **kwargs}
    with pytest.raises(FeedSettingsError, match=problem):
        feed.check_complete(auth, **values)  # type: ignore[arg-type]


# -- the watermark ---------------------------------------------------------------------------

def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def listed(key: str, ms: int | None) -> Listed:
    return Listed(key, "active", 1, modified_at=None if ms is None else at(ms))


@pytest.mark.parametrize(("mark", "tenant_filter", "query"), [
    (Watermark(), None, None),
    (Watermark(), "OriginatingSystemName eq 'actris'", "(OriginatingSystemName eq 'actris')"),
    (Watermark(at(250), ("A",)), None, "ModificationTimestamp ge 2026-03-01T10:00:00.250000Z"),
    (Watermark(at(250), ("A",)), "City eq 'Austin' or City eq 'Taylor'",
     "ModificationTimestamp ge 2026-03-01T10:00:00.250000Z and "
     "(City eq 'Austin' or City eq 'Taylor')"),
])
def test_query_filters(mark: Watermark, tenant_filter: str | None, query: str | None) -> None:
    assert replication.query_filter(mark, tenant_filter) == query


@pytest.mark.parametrize(("mark", "page", "after"), [
    (Watermark(), [listed("A", 1), listed("B", 2), listed("C", 2)], Watermark(at(2), ("B", "C"))),
    (Watermark(at(2), ("B",)), [listed("B", 2), listed("C", 2)], Watermark(at(2), ("B", "C"))),
    (Watermark(at(2), ("B", "C")), [listed("D", 3)], Watermark(at(3), ("D",))),
    (Watermark(at(2), ("B",)), [], Watermark(at(2), ("B",))),
    (Watermark(), [listed("A", None), listed("B", 5)], Watermark(at(5), ("B",))),
    (Watermark(), [listed("A", 5), Invalid(None, ("ListingKey: missing",), at(6))],
     Watermark(at(6), ())),
    (Watermark(), [listed("A", 5), Removed("B", "Withdrawn", at(5))], Watermark(at(5), ("A", "B"))),
])
def test_advance(mark: Watermark, page: list[Outcome], after: Watermark) -> None:
    assert replication.advance(mark, page) == after


def test_a_page_out_of_order_is_refused() -> None:
    with pytest.raises(UnorderedError, match="does not order by ModificationTimestamp"):
        replication.advance(Watermark(), [listed("A", 5), listed("B", 4)])
    with pytest.raises(UnorderedError):
        replication.advance(Watermark(at(5), ("A",)), [listed("B", 4)])


def test_the_keys_of_one_instant_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replication, "MAX_TIE_KEYS", 2)
    got = replication.advance(Watermark(), [listed(k, 1) for k in "ABCD"])
    assert got == Watermark(at(1), ("A", "B"))  # C and D are re-read after a crash: harmless


@pytest.mark.parametrize(("outcome", "skipped"), [
    (listed("B", 2), True),
    (listed("Z", 2), False),  # same instant, a key not yet applied, whatever its order
    (listed("A", 3), False),
    (Removed("B", "Withdrawn", at(2)), True),
    (Invalid(None, ("x",), at(2)), False),
    (listed("B", None), False),
])
def test_already_applied(outcome: Outcome, skipped: bool) -> None:
    assert replication.already_applied(outcome, Watermark(at(2), ("A", "B"))) is skipped
    assert replication.already_applied(outcome, Watermark()) is False
