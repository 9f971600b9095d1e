"""Console passwords: the policy (pure) and Argon2id hashing (argon2-cffi, a maintained
binding of the reference implementation, with its default parameters, RFC 9106's
memory-constrained profile; `needs_rehash` upgrades a hash made with older ones at login).

The policy follows NIST SP 800-63B: long enough, no composition rules, nothing that is the
account's own address, no single repeated character, and no control characters (a form could
not type them)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work an attacker can ask for

_HASHER = PasswordHasher()


class PasswordError(ValueError):
    """A password the policy refuses; the message says why."""


def problems(password: str, email: str) -> list[str]:
    """What is wrong with `password` for the account `email` (empty: nothing)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"it has fewer than {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        found.append(f"it has more than {MAX_LENGTH} characters")
    if any(unicodedata.category(c) == "Cc" for c in password):
        found.append("it contains control characters")
    folded, address = password.casefold(), email.casefold()
    local = address.split("@", 1)[0]
    if password and (folded == address or (len(local) >= 4 and local in folded)):
        found.append("it contains the account's email address")
    if password and len(set(password)) == 1:
        found.append("it is one character repeated")
    return found


def check(password: str, email: str) -> None:
    """Raise `PasswordError` naming every problem of `password` for `email`."""
    found = problems(password, email)
    if found:
        raise PasswordError("the password is refused: " + "; ".join(found))


def hash_password(password: str) -> str:
    """The Argon2id hash in its encoded form (salt and parameters included)."""
    return _HASHER.hash(password)


def verify(encoded: str, password: str) -> bool:
    """True when `password` matches the hash; False for a mismatch or an unusable hash."""
    try:
        return _HASHER.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """The hash was made with other parameters than today's: hash the password again."""
    try:
        return _HASHER.check_needs_rehash(encoded)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash no password is known for: verified against when the account does not exist,
    so an unknown address costs the same time as a wrong password."""
    return _HASHER.hash("unknown account: no password matches this hash")
