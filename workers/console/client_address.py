"""Whose address a request comes from, for the login rate limit (pure).

Behind a reverse proxy every request reaches the console from the proxy's address, so a
limit per address would either lock every agency out together or count nothing. The proxy
names the client in `X-Forwarded-For`; that header is believed only when the request came
from a proxy the operator listed (`console_trusted_proxies`), and read from the right: each
trusted hop appends the address it saw, so the first address from the right that is not a
trusted proxy is the client. Entries further left are whatever the client sent, and never
believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    """The trusted proxies as networks; a bad entry is a ValueError naming it."""
    out: list[Network] = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an address or network: {cidr!r} ({exc})") from None
    return tuple(out)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address,
             trusted: Sequence[Network]) -> bool:
    return any(addr.version == net.version and addr in net for net in trusted)


def client_address(remote: str | None, forwarded_for: Sequence[str],
                   trusted: Sequence[Network]) -> str:
    """The client's address: `remote` itself unless it is a trusted proxy; then the
    rightmost `X-Forwarded-For` entry (over all such headers, in order) that is not a
    trusted proxy. A trusted proxy that forwarded nothing usable is its own client."""
    peer = _address(remote or "")
    if peer is None:
        return remote or "unknown"
    if not _trusted(peer, trusted):
        return str(peer)
    hops = [h for header in forwarded_for for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        addr = _address(hop)
        if addr is None:
            break  # garbage in the chain: nothing left of it can be believed
        if not _trusted(addr, trusted):
            return str(addr)
    return str(peer)
