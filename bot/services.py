"""The core services every door (Telegram, web, CLI, console) is built on, opened in one place."""

from __future__ import annotations

from dataclasses import dataclass

from bot.areas import AreaDirectory
from bot.config import Settings
from bot.routing import Router, default_router
from bot.stats import Stats
from bot.storage import Database


@dataclass
class Services:
    """What a door needs: settings, the router, the database and the counters."""

    settings: Settings
    router: Router
    db: Database
    stats: Stats
    areas: AreaDirectory

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()


async def open_services(settings: Settings | None = None, router: Router | None = None) -> Services:
    """Load the meldkaart, open the database (applying migrations) and wire the services."""
    settings = settings or Settings.from_env()
    router = router or default_router()
    db = await Database.open(settings.db_path)
    return Services(
        settings=settings,
        router=router,
        db=db,
        stats=Stats(db, settings),
        areas=AreaDirectory.load(db=settings.db_path),
    )
