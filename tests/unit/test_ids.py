"""The one safe-id rule that Redis keys, the inlined tenant setting and the CLI share."""

from __future__ import annotations

import pytest

from schemas.ids import is_safe_id
from workers.db.tenant import begin_statement
from workers.memory.cache import memory_key


@pytest.mark.parametrize("value", ["loc123", "Ab9_.@+-", "x" * 128, "ve9EPM428h8vShlRW1KT"])
def test_ghl_like_ids_are_safe_everywhere(value: str) -> None:
    assert is_safe_id(value)
    assert begin_statement(value) is not None
    assert memory_key(value, value).startswith("lm:{")


@pytest.mark.parametrize("value", [
    "", "x" * 129, "john doe", "loc:1", "o'brien", "loc1\n", "loc1\r\n", "\u200bloc",
    "lóc", "a;b", "a/b",
])
def test_anything_else_is_refused_by_every_user_of_the_rule(value: str) -> None:
    assert not is_safe_id(value)
    assert begin_statement(value) is None  # the parameterised path, never inlined
    with pytest.raises(ValueError, match="cannot be used in a cache key"):
        memory_key(value, "c1")
