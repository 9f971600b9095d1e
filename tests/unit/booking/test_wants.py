"""Does the lead ask for a showing or a call, as a table (English and Spanish, SMS style;
negations and unrelated uses of the same words)."""

from __future__ import annotations

import pytest

from workers.booking.wants import wants_appointment

TABLE: list[tuple[str, str | None]] = [
    # --- a showing
    ("can I see it?", "showing"),
    ("I'd like to schedule a showing", "showing"),
    ("can we tour it this weekend", "showing"),
    ("when can I view the house", "showing"),
    ("set up a time to walk through", "showing"),
    ("I'd love to see it in person", "showing"),
    ("can I come by tomorrow", "showing"),
    ("we'd love to take a look at the house", "showing"),
    ("Can u show me the house", "showing"),
    ("me gustaría conocer la casa", "showing"),
    ("I can't wait to see it!", "showing"),
    ("SHOWING SAT?", "showing"),
    ("quiero verla", "showing"),
    ("podemos visitarla el sábado", "showing"),
    ("cuando puedo ir a ver la casa?", "showing"),
    ("me la puede mostrar?", "showing"),
    ("call me to set up a showing", "showing"),  # the call is the means, the visit the goal
    # --- a meeting (a showing unless it says call)
    ("let's meet", "showing"),
    ("why don't we meet there at 5", "showing"),
    ("would like to make an appointment", "showing"),
    ("agendar una cita", "showing"),
    ("podemos vernos el lunes?", "showing"),
    # --- a call
    ("can we talk tomorrow", "call"),
    ("can you call me", "call"),
    ("hop on a call", "call"),
    ("give me a call when you can", "call"),
    ("call me back please", "call"),
    ("can we do a phone call instead", "call"),
    ("let's meet on zoom", "call"),
    ("me puede llamar", "call"),
    ("podemos hablar", "call"),
    ("hablamos mañana?", "call"),
    ("llámame en la tarde", "call"),
    ("¿me puede marcar mañana?", "call"),
    ("are you free to talk?", "call"),
    # --- negations
    ("I don't want a showing yet", None),
    ("not ready to see it yet", None),
    ("no need to call", None),
    ("don't call me, text only", None),
    ("just text me, no calls please", None),
    ("no me llame, solo mensajes", None),
    ("no quiero verla todavía", None),
    ("Stop calling me", None),
    ("do not call", None),
    # --- unrelated uses of the same words
    ("I saw it online", None),
    ("see you", None),
    ("nos vemos", None),
    ("what do you see in the market", None),
    ("call me crazy but I think it's overpriced", None),
    ("nice to meet you!", None),
    ("I'm in a meeting, text you later", None),
    ("I have an appointment at 3, text me later", None),
    ("tengo una cita con el doctor", None),
    ("need to talk to my husband first", None),
    ("can I see more photos of it?", None),
    ("can you show me more photos", None),
    ("quiero ver fotos de la casa", None),
    ("can you check if it has a garage", None),
    ("I see it has a pool", None),
    ("is there a virtual tour?", None),
    ("me llamo Juan", None),
    ("¿cómo se llama el barrio?", None),
    ("what's the hoa fee?", None),
    ("is it still available?", None),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_wants_appointment(text: str, expected: str | None) -> None:
    assert wants_appointment(text) == expected


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 30
    assert {e for _, e in TABLE} == {"showing", "call", None}


def test_text_must_be_a_string() -> None:
    with pytest.raises(ValueError, match="string"):
        wants_appointment(None)  # type: ignore[arg-type]
