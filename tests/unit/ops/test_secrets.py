"""Tenant secrets at rest: Fernet with the master key, rotation by a key list."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from workers.errors import ConfigurationError
from workers.secrets import SecretDecryptionError, decrypt, encrypt, generate_key


def test_round_trip_and_the_token_hides_the_plaintext() -> None:
    key = generate_key()
    token = encrypt("sk-ant-123", SecretStr(key))
    assert b"sk-ant-123" not in token
    assert decrypt(token, key) == "sk-ant-123"
    assert decrypt(memoryview(token), SecretStr(key)) == "sk-ant-123"  # bytea from asyncpg


def test_rotation_new_key_first_old_tokens_still_open() -> None:
    old, new = generate_key(), generate_key()
    token = encrypt("secret", old)
    assert decrypt(token, f"{new},{old}") == "secret"
    assert decrypt(encrypt("secret", f"{new},{old}"), new) == "secret"


def test_a_wrong_key_fails_clearly() -> None:
    token = encrypt("secret", generate_key())
    with pytest.raises(SecretDecryptionError, match="does not decrypt"):
        decrypt(token, generate_key())


@pytest.mark.parametrize("key", [None, "", " , ", SecretStr("")])
def test_no_master_key_is_a_configuration_error(key: str | SecretStr | None) -> None:
    with pytest.raises(ConfigurationError, match="LEADMEM_MASTER_KEY"):
        encrypt("secret", key)


def test_a_malformed_master_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        encrypt("secret", "too-short")
