"""Anonymised counts of answered questions (issue 6 fills this in; the API is fixed here)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.storage import Database


@dataclass(frozen=True)
class Question:
    """One answered question, as counted: no text, no chat or user id, no exact time."""

    situation: str | None
    channel: str | None
    emergency: bool
    language: str
    door: str  # telegram | web | api | cli
    area: str | None = None
    pc4: str | None = None


class Stats:
    """Counters in the database, aggregated when written."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def record(self, question: Question) -> None:
        """Add one to the counter of this question's cell."""

    async def feedback(self, situation: str | None, helpful: bool, door: str) -> None:
        """Count a 👍 or 👎 under an answer."""
