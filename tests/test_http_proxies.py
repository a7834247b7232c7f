"""Proxy headers on a real socket: X-Forwarded-For is read from the right, past trusted proxies.

The test connects to `serve` on 127.0.0.1 and plays the proxies: the client writes what it likes
on the left of X-Forwarded-For, each proxy appends the address it saw. The rate limit (5 a
minute here) shows which client the service believed.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from test_http_server import base_settings, running

from bot.config import ConfigError, Settings

# X-Forwarded-For as each kind of deployment delivers it; N numbers the request, so a believed
# spoof would be a new client each time.
FORWARDED = {
    "no proxy": ((), "10.0.{n}.1"),
    "one nginx": (("127.0.0.1",), "10.0.{n}.1, 203.0.113.5"),
    "platform router": (("*",), "10.0.{n}.1, 203.0.113.5"),
    "cloudflare and nginx": (
        ("127.0.0.1", "198.51.100.0/24"),
        "10.0.{n}.1, 203.0.113.5, 198.51.100.{n}",
    ),
    "ipv6 client": (("*",), "2001:db8::{n}, 2001:db8:5::{n}"),
    "ipv6 in brackets": (("*",), "[2001:db8:5::{n}]:4{n}"),
}


@pytest.mark.parametrize("deployment", FORWARDED)
async def test_a_spoofed_x_forwarded_for_does_not_bypass_the_rate_limit(
    tmp_path: Path, deployment: str
) -> None:
    proxies, forwarded = FORWARDED[deployment]
    settings = base_settings(tmp_path, rate_limit_per_minute=5, trusted_proxies=proxies)
    async with running(settings) as url, httpx.AsyncClient(base_url=url) as client:
        statuses = [
            (
                await client.get(
                    "/api/channels", headers={"X-Forwarded-For": forwarded.format(n=n)}
                )
            ).status_code
            for n in range(1, 13)
        ]
        assert statuses.count(200) == 5 and statuses.count(429) == 7, statuses
        if proxies:  # behind a proxy each client has its own bucket
            other = await client.get("/api/channels", headers={"X-Forwarded-For": "203.0.113.9"})
            assert other.status_code == 200


def test_trusted_proxies_are_addresses_networks_a_star_or_none() -> None:
    read = Settings.from_env
    assert read({}).trusted_proxies == ("127.0.0.1",)
    assert read({"MELDWIJZER_TRUSTED_PROXIES": "none"}).trusted_proxies == ()
    assert read({"MELDWIJZER_TRUSTED_PROXIES": "*, 10.1.2.3/8"}).trusted_proxies == (
        "*",
        "10.0.0.0/8",
    )
    with pytest.raises(ConfigError, match=r"'proxy\.local' is not an IP address"):
        read({"MELDWIJZER_TRUSTED_PROXIES": "127.0.0.1,proxy.local"})


@pytest.mark.parametrize(("proxies", "hsts"), [(("127.0.0.1",), True), ((), False)])
async def test_https_is_taken_from_a_trusted_proxy_only(
    tmp_path: Path, proxies: tuple[str, ...], hsts: bool
) -> None:
    settings = base_settings(tmp_path, trusted_proxies=proxies)
    async with running(settings) as url, httpx.AsyncClient(base_url=url) as client:
        health = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert ("strict-transport-security" in health.headers) is hsts
