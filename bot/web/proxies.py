"""The client behind reverse proxies: X-Forwarded-For read from the right, past trusted proxies.

Each proxy appends the address it saw to X-Forwarded-For, so only the entries on the right,
written by proxies we trust, are true; everything to their left may be written by the client.
The client is the address the nearest trusted proxy saw: the walk starts at the socket's peer
(a proxy, or the request is taken as it comes) and goes right to left while the address is a
trusted proxy. `*` trusts the peer whatever its address (a platform's router), but no entry in
the header; listed addresses and networks (CIDR) are trusted as peer and as entries.

uvicorn's own ProxyHeadersMiddleware does the same for a list, but takes the leftmost,
client-written entry for `*`, which let anyone choose their rate-limit bucket.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An address as proxies write it (1.2.3.4, 1.2.3.4:80, ::1, [::1]:80), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's spelling of an IPv4 peer
    return address


class TrustedProxies:
    """The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed."""

    def __init__(self, entries: Iterable[str]) -> None:
        entries = tuple(entries)
        self.any_peer = "*" in entries
        self.networks = tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != "*")

    def __bool__(self) -> bool:
        return self.any_peer or bool(self.networks)

    def _listed(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def peer_is_proxy(self, peer: str) -> bool:
        """True when the socket's peer is a trusted proxy."""
        if self.any_peer:
            return True
        address = parse_address(peer)
        return address is not None and self._listed(address)

    def client(self, peer: str, forwarded_for: Iterable[str]) -> str:
        """The client address of a request from PEER (a trusted proxy) with these header values."""
        hops = [hop for value in forwarded_for for hop in value.split(",")]
        current = parse_address(peer)
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                break  # a proxy wrote something that is not an address: it is the client we know
            current = address
            if not self._listed(address):
                break
        return peer if current is None else str(current)


class ForwardedClient:
    """Sets the request's client (and scheme) from the proxy headers of trusted proxies only."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] == "http" and peer and self.proxies.peer_is_proxy(peer[0]):
            forwarded_for: list[str] = []
            proto = None
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                elif name == b"x-forwarded-proto":
                    proto = value.decode("latin-1").rpartition(",")[2].strip().lower()
            scope = dict(scope)
            if forwarded_for:
                scope["client"] = (self.proxies.client(peer[0], forwarded_for), 0)
            if proto in ("http", "https"):
                scope["scheme"] = proto
        await self.app(scope, receive, send)
