"""What a RESO `Property` record becomes, as tables: every StandardStatus in both forms, the
property types, the first photo by Order, the must-have features, and an error naming its
field for every bad value."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from workers.listings import reso
from workers.listings.reso import Invalid, Listed, Removed, Sold, classify

BASE: dict[str, Any] = {"ListingKey": "K1", "StandardStatus": "Active", "ListPrice": 450000}


def record(**fields: Any) -> dict[str, Any]:
    out = {**BASE, **fields}
    return {k: v for k, v in out.items() if v is not ...}


# -- StandardStatus: both forms, every status ------------------------------------------------

STATUS_TABLE = [
    # (enum name, display string, outcome type, listing status)
    ("Active", "Active", Listed, "active"),
    ("ComingSoon", "Coming Soon", Listed, "coming_soon"),
    ("ActiveUnderContract", "Active Under Contract", Listed, "active_under_contract"),
    ("Pending", "Pending", Listed, "pending"),
    ("Closed", "Closed", Sold, None),
    ("Withdrawn", "Withdrawn", Removed, None),
    ("Expired", "Expired", Removed, None),
    ("Canceled", "Canceled", Removed, None),
    ("Delete", "Delete", Removed, None),
    ("Hold", "Hold", Removed, None),
    ("Incomplete", "Incomplete", Removed, None),
]


@pytest.mark.parametrize(("enum", "display", "kind", "status"), STATUS_TABLE)
def test_every_status_in_both_forms(enum: str, display: str, kind: type, status: str | None,
                                    ) -> None:
    for form in (enum, display, display.upper(), f"  {display.lower()} ",
                 display.replace(" ", "_")):
        got = classify(record(StandardStatus=form, ClosePrice=440000, CloseDate="2026-02-01"))
        assert type(got) is kind, form
        if isinstance(got, Listed):
            assert got.status == status
        if isinstance(got, Removed):
            assert got.reason == enum and got.key == "K1"


def test_every_standard_status_is_in_the_table() -> None:
    assert {row[0] for row in STATUS_TABLE} == set(reso.STATUSES)


@pytest.mark.parametrize(("status", "error"), [
    ("Sold", "StandardStatus: not a RESO StandardStatus ('Sold')"),
    ("Active-ish", "StandardStatus: not a RESO StandardStatus ('Active-ish')"),
    (..., "StandardStatus: missing"),
    (3, "StandardStatus: not a RESO StandardStatus (3)"),
    (True, "StandardStatus: not text (True)"),
])
def test_a_status_we_cannot_read_is_invalid_naming_the_field(status: Any, error: str) -> None:
    got = classify(record(StandardStatus=status))
    assert isinstance(got, Invalid) and got.key == "K1"
    assert got.errors[0] == error


def test_cancelled_spelled_the_british_way() -> None:
    assert classify(record(StandardStatus="Cancelled")) == Removed("K1", "Canceled")


# -- removals need nothing but the key -------------------------------------------------------

def test_mlg_can_view_false_removes_whatever_the_rest_says() -> None:
    got = classify(record(MlgCanView=False, ListPrice="not a price"))
    assert got == Removed("K1", "MlgCanView false")
    assert isinstance(classify(record(MlgCanView=True)), Listed)


def test_a_withdrawn_record_with_bad_values_is_still_removed() -> None:
    assert classify(record(StandardStatus="Withdrawn", ListPrice=..., BedroomsTotal="x")) \
        == Removed("K1", "Withdrawn")


@pytest.mark.parametrize(("kind", "reason"), [
    ("ResidentialLease", "not a home for sale (PropertyType ResidentialLease)"),
    ("Residential Lease", "not a home for sale (PropertyType Residential Lease)"),
    ("CommercialSale", "not a home for sale (PropertyType CommercialSale)"),
    ("Commercial Lease", "not a home for sale (PropertyType Commercial Lease)"),
    ("BusinessOpportunity", "not a home for sale (PropertyType BusinessOpportunity)"),
])
def test_leases_and_commercial_listings_are_not_homes_for_sale(kind: str, reason: str) -> None:
    for status in ("Active", "Closed"):
        got = classify(record(PropertyType=kind, StandardStatus=status, ClosePrice=1,
                              CloseDate="2026-01-01"))
        assert got == Removed("K1", reason)


# -- keys ------------------------------------------------------------------------------------

def test_the_key_is_listing_key_else_listing_id() -> None:
    got = classify(record(ListingKey=..., ListingId="MLS-9"))
    assert isinstance(got, Listed) and got.key == "MLS-9" and got.mls_number == "MLS-9"
    got = classify(record(ListingId="MLS-9"))
    assert isinstance(got, Listed) and got.key == "K1" and got.mls_number == "MLS-9"
    assert classify(record(ListingKey=12345)).key == "12345"


@pytest.mark.parametrize(("key", "error"), [
    (..., "ListingKey: missing"),
    ("", "ListingKey: missing"),
    ("a\tb", "ListingKey: not a usable key ('a\\tb')"),
    ("x" * 256, "ListingKey: not a usable key"),
])
def test_a_record_without_a_usable_key_is_invalid(key: Any, error: str) -> None:
    got = classify(record(ListingKey=key))
    assert isinstance(got, Invalid) and got.key is None
    assert got.errors[0].startswith(error)


# -- values: parsed, or an error naming the field --------------------------------------------

@pytest.mark.parametrize(("fields", "error"), [
    ({"ListPrice": "abc"}, "ListPrice: not a number ('abc')"),
    ({"ListPrice": "12O000"}, "ListPrice: not a number ('12O000')"),
    ({"ListPrice": 0}, "ListPrice: must be more than 0 (0)"),
    ({"ListPrice": -5}, "ListPrice: negative (-5)"),
    ({"ListPrice": True}, "ListPrice: not a number (True)"),
    ({"ListPrice": float("nan")}, "ListPrice: not a number (nan)"),
    ({"ListPrice": 3e9}, "ListPrice: too large (3000000000.0)"),
    ({"ListPrice": ...}, "ListPrice: missing"),
    ({"BedroomsTotal": 2.5}, "BedroomsTotal: not a whole number (2.5)"),
    ({"BedroomsTotal": "three"}, "BedroomsTotal: not a number ('three')"),
    ({"BedroomsTotal": 5000}, "BedroomsTotal: not a plausible count (5000)"),
    ({"BathroomsTotalDecimal": 120}, "BathroomsTotalDecimal: not a plausible number (120)"),
    ({"LivingArea": "big"}, "LivingArea: not a number ('big')"),
    ({"ModificationTimestamp": "2026-03-01 10:00"},
     "ModificationTimestamp: not an ISO 8601 timestamp with an offset ('2026-03-01 10:00')"),
    ({"ModificationTimestamp": "2026-03-01T10:00:00"},
     "ModificationTimestamp: not an ISO 8601 timestamp with an offset"),
    ({"ModificationTimestamp": "2026-02-30T10:00:00Z"},
     "ModificationTimestamp: not a valid timestamp ('2026-02-30T10:00:00Z')"),
    ({"ListingURL": "www.example.com/1"}, "ListingURL: not an http(s) URL ('www.example.com/1')"),
    ({"ListingURL": "javascript:alert(1)"}, "ListingURL: not an http(s) URL"),
    ({"PoolPrivateYN": "maybe"}, "PoolPrivateYN: not true or false ('maybe')"),
    ({"Levels": 2}, "Levels: not a list of values (2)"),
    ({"Media": "https://x.test/1.jpg"}, "Media: not a list of media"),
    ({"Media": [{"MediaURL": "ftp://x.test/1.jpg", "Order": 1}]},
     "Media[0].MediaURL: not an http(s) URL ('ftp://x.test/1.jpg')"),
    ({"Media": [{"MediaURL": "https://x.test/1.jpg", "Order": "first"}]},
     "Media[0].Order: not a number ('first')"),
    ({"Media": ["https://x.test/1.jpg"]}, "Media[0]: not a media object"),
    ({"City": "x" * 501}, "City: longer than 500 characters"),
    ({"City": "Aus\x00tin"}, "City: contains a NUL character"),
    ({"City": {"name": "Austin"}}, "City: not text ({'name': 'Austin'})"),
])
def test_a_bad_value_is_an_error_naming_its_field(fields: dict[str, Any], error: str) -> None:
    got = classify(record(**fields))
    assert isinstance(got, Invalid) and got.key == "K1", got
    assert any(e.startswith(error) for e in got.errors), got.errors


def test_every_error_of_a_record_is_reported() -> None:
    got = classify(record(ListPrice="x", BedroomsTotal="y", ListingURL="z"))
    assert isinstance(got, Invalid)
    assert [e.split(":")[0] for e in got.errors] == ["ListPrice", "BedroomsTotal", "ListingURL"]


@pytest.mark.parametrize(("fields", "missing"), [
    ({"ClosePrice": 400000}, ["CloseDate: missing (a Closed record needs it)"]),
    ({"CloseDate": "2026-01-02"}, ["ClosePrice: missing (a Closed record needs it)"]),
    ({}, ["ClosePrice: missing (a Closed record needs it)",
          "CloseDate: missing (a Closed record needs it)"]),
])
def test_a_closed_record_needs_its_close_price_and_date(fields: dict[str, Any],
                                                        missing: list[str]) -> None:
    got = classify(record(StandardStatus="Closed", **fields))
    assert isinstance(got, Invalid) and list(got.errors) == missing


@pytest.mark.parametrize(("raw", "dollars"), [
    (450000, 450000), (450000.49, 450000), (450000.5, 450001), ("450000", 450000),
    ("$450,000", 450000), (" 1,250,000.00 ", 1250000), ("0.6", 1),
])
def test_money(raw: Any, dollars: int) -> None:
    got = classify(record(ListPrice=raw))
    assert isinstance(got, Listed) and got.price == dollars


@pytest.mark.parametrize(("raw", "at"), [
    ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01T10:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01T10:00:00.5Z", datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)),
    # a 7th fractional digit is cut, never rounded up (the watermark never passes a record)
    ("2026-03-01T10:00:00.1234567Z", datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ("2026-03-01T10:00:00.9999999Z", datetime(2026, 3, 1, 10, 0, 0, 999999, tzinfo=UTC)),
    ("2026-03-01T05:00:00-05:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
])
def test_timestamps_in_utc_to_the_microsecond(raw: str, at: datetime) -> None:
    got = classify(record(ModificationTimestamp=raw))
    assert isinstance(got, Listed) and got.modified_at == at


@pytest.mark.parametrize(("raw", "value"), [
    (True, True), (False, False), ("true", True), ("False", False), ("Y", True), ("n", False),
    ("yes", True), ("0", False), (1, True), (0, False),
])
def test_booleans_in_json_and_csv_forms(raw: Any, value: bool) -> None:
    assert reso.boolean("PoolPrivateYN", raw) is value


# -- what a listing and a sale hold ----------------------------------------------------------

def test_a_full_listing() -> None:
    got = classify({
        "ListingKey": "3yd-ACTRIS-1", "ListingId": "ACT1234", "StandardStatus": "Active",
        "ListPrice": 525000.0, "ModificationTimestamp": "2026-03-01T10:00:00.25Z",
        "StreetNumber": "1204", "StreetDirPrefix": "W", "StreetName": "Oak", "StreetSuffix":
        "St", "UnitNumber": "4", "City": "Austin", "PostalCode": "78704",
        "BedroomsTotal": 3, "BathroomsFull": 2, "BathroomsHalf": 1, "LivingArea": 1820.4,
        "PropertyType": "Residential", "PropertySubType": "Single Family Residence",
        "ListingURL": "https://mls.example.com/l/ACT1234", "PoolPrivateYN": True,
        "Media": [{"MediaURL": "https://p.example.com/2.jpg", "Order": 2},
                  {"MediaURL": "https://p.example.com/1.jpg", "Order": 1}],
        "@odata.id": "Property('3yd-ACTRIS-1')", "SomeLocalField": "ignored",
    })
    assert got == Listed(
        listing_id="3yd-ACTRIS-1", status="active", price=525000, mls_number="ACT1234",
        address="1204 W Oak St #4", area="Austin", postal_code="78704", bedrooms=3,
        bathrooms=2.5, property_type="single_family",
        property_sub_type="Single Family Residence", living_area=1820, features=("pool",),
        url="https://mls.example.com/l/ACT1234", photo_url="https://p.example.com/1.jpg",
        modified_at=datetime(2026, 3, 1, 10, 0, 0, 250000, tzinfo=UTC))


def test_a_closed_record_is_a_comparable_sale() -> None:
    got = classify(record(StandardStatus="Closed", ClosePrice="512,500", CloseDate="2026-02-14",
                          UnparsedAddress="9 Elm Ave, Austin, TX 78704", City="Austin",
                          BedroomsTotal=4, BathroomsTotalDecimal=2.75, LivingArea=2100,
                          PropertySubType="Condominium", PostalCode="78704"))
    assert got == Sold(sale_id="K1", sold_price=512500, sold_at=date(2026, 2, 14),
                       address="9 Elm Ave, Austin, TX 78704", area="Austin",
                       postal_code="78704", bedrooms=4, bathrooms=2.8, sqft=2100,
                       property_type="condo")


def test_close_date_may_be_a_timestamp() -> None:
    got = classify(record(StandardStatus="Closed", ClosePrice=1,
                          CloseDate="2026-02-14T23:30:00-06:00"))
    assert isinstance(got, Sold) and got.sold_at == date(2026, 2, 15)


@pytest.mark.parametrize(("fields", "baths"), [
    ({"BathroomsTotalDecimal": 2.5, "BathroomsFull": 9, "BathroomsTotalInteger": 9}, 2.5),
    ({"BathroomsFull": 2, "BathroomsHalf": 1, "BathroomsTotalInteger": 3}, 2.5),
    ({"BathroomsFull": 1, "BathroomsThreeQuarter": 1, "BathroomsHalf": 2}, 3.0),
    ({"BathroomsHalf": 1}, 0.5),
    ({"BathroomsTotalInteger": 3}, 3.0),
    ({}, None),
])
def test_bathrooms(fields: dict[str, Any], baths: float | None) -> None:
    got = classify(record(**fields))
    assert isinstance(got, Listed) and got.bathrooms == baths


@pytest.mark.parametrize(("fields", "address"), [
    ({"UnparsedAddress": "1 Main St", "StreetName": "Other"}, "1 Main St"),
    ({"StreetNumber": "12", "StreetName": "Main", "StreetSuffix": "St"}, "12 Main St"),
    ({"StreetNumber": "12", "StreetName": "Main", "UnitNumber": "#3"}, "12 Main #3"),
    ({"StreetNumber": "12", "StreetName": "Main", "StreetDirSuffix": "NE"}, "12 Main NE"),
    ({}, ""),
])
def test_address(fields: dict[str, Any], address: str) -> None:
    got = classify(record(**fields))
    assert isinstance(got, Listed) and got.address == address


# -- property types --------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "sub", "ours"), [
    ("Residential", "SingleFamilyResidence", "single_family"),
    ("Residential", "Single Family Residence", "single_family"),
    ("Residential", "Cabin", "single_family"),
    ("Residential", "Condominium", "condo"),
    ("Residential", "Stock Cooperative", "condo"),
    ("Residential", "Apartment", "condo"),
    ("Residential", "Townhouse", "townhouse"),
    ("ResidentialIncome", "Duplex", "multi_family"),
    ("Residential Income", "Triplex", "multi_family"),
    ("ResidentialIncome", "Quadruplex", "multi_family"),
    ("ResidentialIncome", None, "multi_family"),
    ("Residential", "Manufactured Home", "mobile_home"),
    ("Residential", "ManufacturedOnLand", "mobile_home"),
    ("ManufacturedInPark", None, "mobile_home"),
    ("Manufactured In Park", "Mobile Home", "mobile_home"),
    ("Land", "Unimproved Land", "land"),
    ("Land", None, "land"),
    ("Farm", "Ranch", "land"),
    ("Residential", None, None),
    ("Residential", "Timeshare", None),
    (None, "Townhouse", "townhouse"),
    (None, None, None),
])
def test_property_types(kind: str | None, sub: str | None, ours: str | None) -> None:
    got = classify(record(PropertyType=kind or ..., PropertySubType=sub or ...))
    assert isinstance(got, Listed) and got.property_type == ours
    assert got.property_sub_type == sub
    assert reso.property_type(kind, sub) == ours


def test_every_mapped_type_is_one_of_the_specs() -> None:
    spec = {"single_family", "condo", "townhouse", "multi_family", "land", "mobile_home"}
    assert set(reso.SUB_TYPES.values()) <= spec
    assert {t for t in reso.TYPES.values() if t} <= spec


# -- the first photo -------------------------------------------------------------------------

def _media(*items: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{k: v for k, v in zip(("MediaURL", "Order", "MediaCategory"), item, strict=False)
             if v is not None} for item in items]


@pytest.mark.parametrize(("media", "photo"), [
    (_media(("https://p.test/b.jpg", 2), ("https://p.test/a.jpg", 1)), "https://p.test/a.jpg"),
    (_media(("https://p.test/b.jpg", "2"), ("https://p.test/a.jpg", "10")),
     "https://p.test/b.jpg"),  # by number, not text
    (_media(("https://p.test/x.jpg", None), ("https://p.test/a.jpg", 5)), "https://p.test/a.jpg"),
    (_media(("https://p.test/x.jpg", None), ("https://p.test/y.jpg", None)),
     "https://p.test/x.jpg"),  # no Order: as listed
    (_media(("https://p.test/plan.pdf", 0, "Floor Plan"), ("https://p.test/a.jpg", 1, "Photo")),
     "https://p.test/a.jpg"),  # photos only
    (_media(("https://p.test/v.mp4", 0, "Video"), ("https://p.test/a.jpg", 3, "Photos")),
     "https://p.test/a.jpg"),
    (_media((None, 0), ("https://p.test/a.jpg", 1)), "https://p.test/a.jpg"),  # no URL
    ([], None),
])
def test_the_first_photo_by_order(media: list[dict[str, Any]], photo: str | None) -> None:
    got = classify(record(Media=media))
    assert isinstance(got, Listed) and got.photo_url == photo


def test_a_csv_names_the_first_photo_with_media_url() -> None:
    got = classify(record(MediaURL="https://p.test/1.jpg"))
    assert isinstance(got, Listed) and got.photo_url == "https://p.test/1.jpg"


# -- must-haves ------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "features"), [
    ({"PoolPrivateYN": True}, ("pool",)),
    ({"PoolPrivateYN": False}, ()),
    ({"GarageYN": True}, ("garage",)),
    ({"AttachedGarageYN": "Y"}, ("garage",)),
    ({"GarageSpaces": 2}, ("garage",)),
    ({"GarageSpaces": 0, "GarageYN": False}, ()),
    ({"Basement": ["Finished", "Walk-Out Access"]}, ("basement",)),
    ({"Basement": "Finished,Full"}, ("basement",)),
    ({"Basement": ["None"]}, ()),
    ({"Basement": ["Crawl Space"]}, ()),
    ({"RoomType": ["Office", "Kitchen"]}, ("home_office",)),
    ({"RoomType": ["Den"]}, ()),
    ({"Levels": ["One"]}, ("single_story",)),
    ({"Levels": "One"}, ("single_story",)),
    ({"Levels": ["Two"]}, ()),
    ({"StoriesTotal": 1}, ("single_story",)),
    ({"Stories": "1"}, ("single_story",)),
    ({"Stories": 2}, ()),
    ({"NewConstructionYN": True}, ("new_construction",)),
    ({"WaterfrontYN": "true"}, ("waterfront",)),
    ({"AssociationYN": False}, ("no_hoa",)),
    ({"AssociationYN": True}, ()),
    ({}, ()),  # a feed that says nothing claims nothing (no_hoa needs an explicit false)
    ({"PoolPrivateYN": True, "GarageYN": True, "WaterfrontYN": True, "AssociationYN": "N"},
     ("garage", "no_hoa", "pool", "waterfront")),
])
def test_must_haves_where_the_feed_has_them(fields: dict[str, Any],
                                            features: tuple[str, ...]) -> None:
    got = classify(record(**fields))
    assert isinstance(got, Listed) and got.features == features


def test_the_features_are_the_specs_must_haves() -> None:
    spec = {"pool", "garage", "yard", "basement", "home_office", "single_story",
            "new_construction", "waterfront", "good_schools", "updated_kitchen", "no_hoa"}
    assert {name for name, _ in reso.FEATURES} <= spec


# -- the table -------------------------------------------------------------------------------

def test_one_table_names_every_field_read() -> None:
    names = [f.name for f in reso.FIELDS]
    assert len(names) == len(set(names))
    # every field the derivations read is in the table (a typo would read nothing)
    read = {"ListingKey", "ListingId", "StandardStatus", "MlgCanView", "ListPrice",
            "ClosePrice", "CloseDate", "ModificationTimestamp", "UnparsedAddress", "City",
            "PostalCode", "BedroomsTotal", "BathroomsTotalDecimal", "BathroomsFull",
            "BathroomsThreeQuarter", "BathroomsHalf", "BathroomsTotalInteger", "LivingArea",
            "PropertyType", "PropertySubType", "ListingURL", "Media", "MediaURL",
            "PoolPrivateYN", "GarageYN", "AttachedGarageYN", "GarageSpaces", "Basement",
            "RoomType", "StoriesTotal", "Stories", "Levels", "NewConstructionYN",
            "WaterfrontYN", "AssociationYN"}
    assert read <= set(names)


def test_null_and_blank_values_are_absent() -> None:
    got = classify(record(City=None, BedroomsTotal="", PostalCode="  ", Media=None))
    assert isinstance(got, Listed)
    assert (got.area, got.bedrooms, got.postal_code, got.photo_url) == (None, None, None, None)
