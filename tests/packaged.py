"""The packaged router, loaded once for the whole test run (a load takes over a second).

Production loads it once per process in `open_services`; tests open services many times.
"""

from __future__ import annotations

from functools import cache

from bot.routing import Router


@cache
def packaged_router() -> Router:
    """The router over the packaged meldkaart and model."""
    return Router.load()
