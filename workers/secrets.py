"""Encryption at rest of tenants' secrets (their own Claude API keys, GHL OAuth tokens) with
the master key.

`LEADMEM_MASTER_KEY` holds one Fernet key, or several separated by commas for rotation: the
first encrypts, every one decrypts (re-encrypt with `leadmem tenant config --api-key-stdin`
after adding a new first key, then drop the old one; OAuth tokens are re-encrypted at each
refresh). Generate a key with `generate_key()`:
`python -c "from workers.secrets import generate_key; print(generate_key())"`.
The admin CLI encrypts; the responder decrypts (`decrypt(row["claude_api_key_enc"], key)`);
the outbound connector does both for `ghl_oauth_tokens` (`workers.ghl.token_store`).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from workers.errors import ConfigurationError, PipelineError

MasterKey = SecretStr | str | None


class SecretDecryptionError(PipelineError):
    """A stored secret does not decrypt with the master key (wrong or rotated-out key)."""


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _cipher(master_key: MasterKey) -> MultiFernet:
    text = master_key.get_secret_value() if isinstance(master_key, SecretStr) else master_key
    keys = [k.strip() for k in (text or "").split(",") if k.strip()]
    if not keys:
        raise ConfigurationError(
            "no master key: set LEADMEM_MASTER_KEY to a Fernet key "
            "(python -c 'from workers.secrets import generate_key; print(generate_key())')"
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ConfigurationError(
            "LEADMEM_MASTER_KEY is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc


def encrypt(plaintext: str, master_key: MasterKey) -> bytes:
    """The Fernet token for `plaintext` (store it as bytea)."""
    return _cipher(master_key).encrypt(plaintext.encode())


def decrypt(token: bytes | memoryview, master_key: MasterKey) -> str:
    """The plaintext of a stored token; `SecretDecryptionError` if no key opens it."""
    try:
        return _cipher(master_key).decrypt(bytes(token)).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "stored secret does not decrypt with LEADMEM_MASTER_KEY (wrong or rotated-out key)"
        ) from exc
