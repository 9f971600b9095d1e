"""The login rate limit: failed logins counted per account and per address in Redis (shared by
every console replica), each in a fixed window that starts at its first failure. Over either
limit, logins are refused, a right password included, until the window passes; a success
clears its account's count (not the address's). Redis away: logins are refused (503), never
let through uncounted.

`refused` is the decision (pure); `LoginThrottle` the counters."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis.asyncio as aioredis

PREFIX = "lm:console:login"


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_address: int
    window_s: float


def refused(account_failures: int, address_failures: int, limits: LoginLimits) -> bool:
    """True when either count reached its limit."""
    return account_failures >= limits.per_account or address_failures >= limits.per_address


def _account_key(email: str) -> str:
    return f"{PREFIX}:account:{hashlib.sha256(email.encode()).hexdigest()[:32]}"


def _address_key(address: str) -> str:
    return f"{PREFIX}:address:{address}"


class LoginThrottle:
    def __init__(self, redis: aioredis.Redis, limits: LoginLimits) -> None:
        self.redis = redis
        self.limits = limits

    async def refuses(self, email: str, address: str) -> bool:
        account, addr = await self.redis.mget(_account_key(email), _address_key(address))
        return refused(int(account or 0), int(addr or 0), self.limits)

    async def failed(self, email: str, address: str) -> None:
        window = max(1, int(self.limits.window_s))
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (_account_key(email), _address_key(address)):
                pipe.incr(key)
                pipe.expire(key, window, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str) -> None:
        await self.redis.delete(_account_key(email))
