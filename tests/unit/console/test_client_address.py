"""Whose address a console request comes from (workers/console/client_address.py)."""

from __future__ import annotations

import pytest

from workers.console.client_address import client_address, networks

PROXIES = networks(["10.0.0.0/8", "127.0.0.1", "fd00::/8"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # no proxy trusted for this peer: the peer, whatever it forwards
        ("203.0.113.9", [], "203.0.113.9"),
        ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
        # a trusted proxy: the rightmost untrusted hop
        ("10.0.0.5", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.5", ["6.6.6.6, 198.51.100.7"], "198.51.100.7"),  # the spoofed left entry
        ("10.0.0.5", ["198.51.100.7, 10.1.2.3"], "198.51.100.7"),  # two proxies in a row
        ("10.0.0.5", ["6.6.6.6", "198.51.100.7"], "198.51.100.7"),  # several headers
        ("10.0.0.5", ["198.51.100.7:51234"], "198.51.100.7"),  # with a port
        ("127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("fd00::2", ["2001:db8::7"], "2001:db8::7"),
        # a trusted proxy that forwarded nothing usable is its own client
        ("10.0.0.5", [], "10.0.0.5"),
        ("10.0.0.5", ["10.9.9.9"], "10.0.0.5"),
        ("10.0.0.5", ["unknown"], "10.0.0.5"),
        ("10.0.0.5", ["6.6.6.6, garbage, 10.1.1.1"], "10.0.0.5"),  # nothing left of garbage
        # no peer address (a unix socket)
        (None, ["1.2.3.4"], "unknown"),
    ],
)
def test_the_client_is_the_rightmost_hop_no_trusted_proxy_added(
    remote: str | None, forwarded: list[str], client: str,
) -> None:
    assert client_address(remote, forwarded, PROXIES) == client


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_address("10.0.0.5", ["198.51.100.7"], ()) == "10.0.0.5"


def test_a_bad_network_is_named() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        networks(["10.0.0.0/33"])
