"""Area directories for tests (no tests here): another area list than the packaged one.

A test that gives a function this directory and sees its areas used proves the function takes
its areas from what it is given, not from a module-level default.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from bot.areas import AreaDirectory
from bot.knowledge import load as load_knowledge

# Two of the four areas, in the other order, the first renamed and with an alias of its own.
OTHER_IDS = ("noord-west", "zuid-oost")
OTHER_NAMES = {"noord-west": "Maas-West", "zuid-oost": "Zuid-Oost"}


@cache
def packaged_areas() -> AreaDirectory:
    """The packaged area list (knowledge/), loaded once for the tests that need no services."""
    return AreaDirectory.load()


def other_areas() -> AreaDirectory:
    """A directory of two areas only: Maas-West (noord-west, alias 'Westkant') and Zuid-Oost."""
    knowledge = load_knowledge()
    west = replace(knowledge.areas["noord-west"], name="Maas-West", aliases=("Westkant",))
    areas = {"noord-west": west, "zuid-oost": knowledge.areas["zuid-oost"]}
    return AreaDirectory(replace(knowledge, areas=areas))
