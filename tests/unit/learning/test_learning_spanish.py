"""Spanish and mixed messages: every field means the same in either language (SPEC:
Language, dates and edges). Our own sentences per field, with near misses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.learning.extract.lang import is_spanish
from workers.learning.extract.text import normalize

Extract = Callable[..., dict[str, Any]]


def test_language_and_accents() -> None:
    assert normalize("Recámaras en la Pequeña Habana") == "recamaras en la pequena habana"
    assert is_spanish("queremos una casa con patio en cary")
    assert not is_spanish("we want a casa style home in cary")


def test_intent_words(extract: Extract) -> None:
    assert extract([("<", "queremos comprar en apex")])["intent"] == "buy"
    assert extract([("<", "necesito vender mi condo en garner")])["intent"] == "sell"
    assert extract([("<", "buscamos algo para rentar en cary")])["intent"] == "rent"
    assert extract([("<", "quiero comprar un triplex para alquilarlo")])["intent"] == "invest"
    # "we rent now" describes the home, not the plan; a past purchase is no plan.
    assert "intent" not in extract([("<", "ya compramos casa el ano pasado")])
    got = extract([(">", "¿Busca comprar o rentar?"), ("<", "rentar")])
    assert got["intent"] == "rent"


def test_home_fields(extract: Extract) -> None:
    got = extract([("<", "busco una casa de 4 habitaciones y 3 banos en cary")])
    assert (got["property_type"], got["bedrooms_min"], got["bathrooms_min"]) == (
        "single_family", 4, 3)
    got = extract([("<", "un departamento de dos recamaras y dos banos y medio")])
    assert (got["property_type"], got["bedrooms_min"], got["bathrooms_min"]) == (
        "condo", 2, 2.5)
    assert extract([("<", "queremos un terreno en fuquay")])["property_type"] == "land"
    # The home the lead lives in, or working from home, is not the wanted home.
    assert "bedrooms_min" not in extract([("<", "nuestra casa tiene 3 recamaras")])
    assert "property_type" not in extract([("<", "trabajo desde casa")])


def test_features_hedges_and_declines(extract: Extract) -> None:
    got = extract([("<", "necesitamos cochera y un jardin para el perro")])
    assert sorted(got["must_haves"]) == ["garage", "yard"]
    assert extract([("<", "de un solo piso por mi rodilla")])["must_haves"] == ["single_story"]
    assert "must_haves" not in extract([("<", "una alberca seria un plus")])
    assert "must_haves" not in extract([("<", "no necesitamos alberca")])


def test_budget_and_financing(extract: Extract) -> None:
    got = extract([("<", "tenemos pre-aprobacion por 410 mil y pagamos el enganche")])
    assert (got["financing"], got["budget_max"]) == ("preapproved", 410_000)
    got = extract([("<", "compramos de contado, maximo 290 mil")])
    assert (got["financing"], got["budget_max"]) == ("cash", 290_000)
    got = extract([("<", "aun no estamos pre-aprobados, necesitamos un prestamo")])
    assert got["financing"] == "needs_financing"


def test_answers_to_spanish_questions(extract: Extract) -> None:
    assert extract([(">", "¿Cuál es su presupuesto?"), ("<", "unos 320")])[
        "budget_max"] == 320_000
    assert extract([(">", "¿Cuántas recámaras busca?"), ("<", "4")])["bedrooms_min"] == 4
    assert extract([(">", "¿Ya tiene su pre-aprobación?"), ("<", "si")])[
        "financing"] == "preapproved"
    assert extract([(">", "¿Ya tiene su pre-aprobación?"), ("<", "todavia no")])[
        "financing"] == "needs_financing"
    # "si es posible" is a hedge, not a yes.
    got = extract([(">", "¿Necesita cochera?"), ("<", "si es posible")])
    assert "must_haves" not in got


def test_reasons(extract: Extract) -> None:
    assert extract([("<", "nos mudamos por el trabajo de mi esposo")])[
        "motivation"] == "relocation"
    assert extract([("<", "viene el segundo bebe y necesitamos espacio")])[
        "motivation"] == "growing_family"
    assert extract([("<", "ya no cabemos en este departamento")])["motivation"] == "upsizing"
    assert extract([("<", "los hijos ya se fueron y nos queda grande")])[
        "motivation"] == "downsizing"
    assert extract([("<", "me jubilo en junio")])["motivation"] == "retirement"


def test_areas(extract: Extract) -> None:
    got = extract([("<", "vivimos en garner pero queremos comprar en apex")])
    assert got["locations"] == ["Apex"]
    got = extract([("<", "cualquier zona menos garner, de preferencia cary")])
    assert got["locations"] == ["Cary"]


def test_contact_flags(extract: Extract) -> None:
    assert extract([("<", "¿me pueden llamar en la tarde?")])["wants_human"] is True
    assert "wants_human" not in extract([("<", "no me llamen, mejor por mensaje")])
    assert extract([("<", "ya tenemos agente, gracias")])["has_agent"] is True
    assert "has_agent" not in extract([("<", "no tenemos agente todavia")])
