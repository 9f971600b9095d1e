"""Which key a tenant's calls use, and that keys never show in a repr."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from pydantic import SecretStr

from workers.claude.config import resolve_config
from workers.secrets import encrypt
from workers.settings import Settings

MASTER = Fernet.generate_key().decode()


def settings(**kw: Any) -> Settings:
    return Settings(**{"anthropic_api_key": None, "master_key": None, **kw})


def test_tenant_key_wins_over_the_global_key() -> None:
    token = encrypt("sk-tenant", MASTER)
    cfg = resolve_config(settings(anthropic_api_key=SecretStr("sk-global"),
                                  master_key=SecretStr(MASTER)), api_key_enc=token,
                         model="claude-haiku-4-5", max_tokens=99)
    assert cfg.api_key == "sk-tenant" and cfg.model == "claude-haiku-4-5"
    assert cfg.max_tokens == 99 and cfg.configured
    assert "sk-tenant" not in repr(cfg) and "sk-tenant" not in cfg.fingerprint


def test_global_key_and_defaults_when_tenant_has_none() -> None:
    s = settings(anthropic_api_key=SecretStr("sk-global"), anthropic_base_url="http://x")
    cfg = resolve_config(s)
    assert cfg.api_key == "sk-global" and cfg.model == s.claude_model
    assert cfg.base_url == "http://x" and cfg.timeout_s == s.claude_timeout_s


def test_no_key_anywhere_is_not_configured() -> None:
    cfg = resolve_config(settings())
    assert not cfg.configured and cfg.key_error is None


def test_undecryptable_tenant_key_never_falls_back_to_the_global_key() -> None:
    token = encrypt("sk-tenant", Fernet.generate_key().decode())  # another master key
    cfg = resolve_config(settings(anthropic_api_key=SecretStr("sk-global"),
                                  master_key=SecretStr(MASTER)), api_key_enc=token)
    assert not cfg.configured and cfg.key_error
    cfg = resolve_config(settings(anthropic_api_key=SecretStr("sk-global")), api_key_enc=token)
    assert not cfg.configured and "master key" in (cfg.key_error or "")


def test_extra_settings_are_read_when_present() -> None:
    class Tuned(Settings):
        claude_max_attempts: int = 5
        claude_deadline_s: float = 9.0

    cfg = resolve_config(Tuned(anthropic_api_key=SecretStr("k")))
    assert (cfg.max_attempts, cfg.deadline_s) == (5, 9.0)
