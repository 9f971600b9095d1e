"""A lead's addresses as the ledger keys them (pure): an E.164 phone and a normalised email,
each kept only as a keyed hash (HMAC-SHA256 with a secret from the environment), so a
forgotten contact leaves no address behind yet its suppression still matches the same number
or email coming back as a new contact."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

_DIGITS = re.compile(r"\d")
# The channels an address reaches: an entry that bears on a lead only through a shared
# address (another contact's, or a forgotten one's) covers these, not every channel.
REACHES = {"p": frozenset({"sms", "whatsapp", "call", "voicemail"}),
           "e": frozenset({"email"})}


def e164(phone: str | None) -> str | None:
    """`+` and the digits of a phone number; a 10-digit (or 1 + 10-digit) number is taken as
    North American. None when it has too few digits to be a number."""
    if not phone:
        return None
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) == 10:
        return "+1" + digits
    if phone.strip().startswith("+") and 8 <= len(digits) <= 15:
        return "+" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return "+" + digits if 8 <= len(digits) <= 15 else None


def normal_email(email: str | None) -> str | None:
    """Lower-cased, trimmed; a `+tag` in the local part dropped (the same mailbox)."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}@{domain}" if local and domain else None


class AddressHasher:
    """Keyed hashes of addresses; the key never leaves the process."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the consent hash key is empty")
        self._key = key

    def one(self, kind: str, value: str) -> str:
        """`p:` or `e:` (the kind, in the clear: a phone's entries bear on texts and calls,
        an email's on email) and the keyed hash of the value."""
        digest = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind[0]}:{digest}"

    def of(self, *, phones: Iterable[str | None] = (),
           emails: Iterable[str | None] = ()) -> list[str]:
        """The keys of every usable phone and email, sorted and without repeats."""
        out = {self.one("phone", p) for p in map(e164, phones) if p}
        out |= {self.one("email", e) for e in map(normal_email, emails) if e}
        return sorted(out)


DEVELOPMENT_KEY = b"leadmem-development-consent-hash-key"


def hasher_for(key: str | None) -> AddressHasher:
    """The hasher of the configured key (`LEADMEM_CONSENT_HASH_KEY`), else the development
    key (tests, the demo; production sets its own)."""
    return AddressHasher(key.encode() if key else DEVELOPMENT_KEY)
