"""The password policy as a table, and Argon2id hashing: a hash verifies its password only,
carries its salt (two hashes of one password differ) and is refused when malformed."""

from __future__ import annotations

import pytest

from workers.console import passwords

EMAIL = "dana.ops@example.com"


@pytest.mark.parametrize(("password", "problems"), [
    ("correct horse battery", []),
    ("twelve chars", []),
    ("short", ["fewer than 12"]),
    ("", ["fewer than 12"]),
    ("x" * 1025, ["more than 1024", "one character repeated"]),
    ("aaaaaaaaaaaaaaaa", ["one character repeated"]),
    ("DANA.OPS@example.com", ["email address"]),
    ("my name is dana.ops!", ["email address"]),
    ("tab\tinside the password", ["control characters"]),
    ("ünïcödé pässwörd", []),
])
def test_policy(password: str, problems: list[str]) -> None:
    found = passwords.problems(password, EMAIL)
    assert len(found) == len(problems), found
    for expected, text in zip(problems, found, strict=True):
        assert expected in text


def test_check_names_every_problem() -> None:
    with pytest.raises(passwords.PasswordError, match=r"fewer than 12.*one character"):
        passwords.check("aaa", EMAIL)
    passwords.check("a long enough passphrase", EMAIL)


def test_a_short_local_part_is_not_held_against_the_password() -> None:
    assert passwords.problems("my password has bob in it", "bob@example.com") == []


def test_hash_verify_and_rehash() -> None:
    encoded = passwords.hash_password("a long enough passphrase")
    assert encoded.startswith("$argon2id$")
    assert passwords.verify(encoded, "a long enough passphrase")
    assert not passwords.verify(encoded, "a long enough passphrasE")
    assert encoded != passwords.hash_password("a long enough passphrase")  # salted
    assert not passwords.needs_rehash(encoded)
    assert not passwords.verify("not a hash", "anything")
    assert passwords.needs_rehash("not a hash")
    weak = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$QVi2zJvfw8jFhq4nZMw4iw"
    assert passwords.needs_rehash(weak)


def test_the_dummy_hash_matches_nothing_typed() -> None:
    assert not passwords.verify(passwords.dummy_hash(), "")
    assert not passwords.verify(passwords.dummy_hash(), "a long enough passphrase")
