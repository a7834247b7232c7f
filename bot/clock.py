"""The one clock: "now", aware, in Maastricht's time zone. `Services.clock` holds it; tests
replace it there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Amsterdam")
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, aware, in Europe/Amsterdam."""
    return datetime.now(TZ)
