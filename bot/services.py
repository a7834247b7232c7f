"""The core services every door (Telegram, web, CLI, console) is built on, opened in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.areas import AreaDirectory
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.inbox import Inbox
from bot.routing import Router, RouteResult
from bot.routingpool import RoutingPool
from bot.staff import StaffDirectory
from bot.stats import Stats
from bot.storage import Database


@dataclass
class Services:
    """What a door needs: settings, the router, the areas, staff, the database, the counters,
    the inbox and the clock. Nothing in the core reaches for a module-level default instead."""

    settings: Settings
    router: Router
    db: Database
    stats: Stats
    areas: AreaDirectory
    inbox: Inbox  # updates a door received, kept until handled (bot/inbox.py)
    staff: StaffDirectory
    clock: Clock = system_clock  # an aware "now"; tests set a fixed one
    # Routing is CPU work (rules, n-grams, the sentence encoder): it runs on these threads, so
    # the event loop every chat shares keeps answering while a long message is routed.
    routing: RoutingPool = field(default_factory=RoutingPool)

    async def route(self, text: str, door: str = "") -> RouteResult:
        """Route TEXT off the event loop; DOOR's long texts take turns with other doors'."""
        return await self.routing.run(self.router.route, text, door)

    async def close(self) -> None:
        """Stop the counters' timer (writing the last counts), write the inbox's last marks,
        then stop the threads and close the database."""
        self.routing.shutdown()
        await self.stats.stop()
        await self.inbox.flush()
        await self.db.close()


async def open_services(
    settings: Settings | None = None, router: Router | None = None, clock: Clock = system_clock
) -> Services:
    """Load the meldkaart, open the database (applying migrations) and wire the services.

    The counters' timer runs from here until `Services.close`.
    """
    settings = settings or Settings.from_env()
    db = await Database.open(settings.database)  # first: an unusable database fails at once
    try:
        router = router or Router.load()
        areas = await AreaDirectory.open(db)
        services = Services(
            settings=settings,
            router=router,
            db=db,
            stats=Stats(db, settings, clock=clock, meldkaart=router.meldkaart),
            areas=areas,
            inbox=Inbox(db),
            staff=StaffDirectory(db, settings.admins, areas),
            clock=clock,
        )
    except BaseException:
        await db.close()  # an open connection would keep the process alive
        raise
    services.stats.start()
    return services
