"""What a chat keeps between messages: its language and chosen area, nothing else.

Any door with a persistent conversation (the Telegram bot) reads and writes these through here;
`forget` removes every trace of a chat (/stop). `ChatSettingsStore` adds a read cache.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

from bot.storage import Database


@dataclass(frozen=True)
class ChatSettings:
    """The stored settings of one chat; None where nothing was chosen."""

    chat_id: int
    language: str | None = None
    area: str | None = None
    buurt: str | None = None


async def get(db: Database, chat_id: int) -> ChatSettings:
    """The settings of CHAT_ID (empty settings when the chat chose nothing)."""
    row = await db.fetchone(
        "SELECT language, area, buurt FROM chat_settings WHERE chat_id = ?", (chat_id,)
    )
    if row is None:
        return ChatSettings(chat_id)
    return ChatSettings(chat_id, row["language"], row["area"], row["buurt"])


async def set_language(db: Database, chat_id: int, language: str) -> None:
    """Remember the language the chat chose."""
    await db.execute(
        "INSERT INTO chat_settings (chat_id, language) VALUES (?, ?) "
        "ON CONFLICT(chat_id) DO UPDATE SET language = excluded.language",
        (chat_id, language),
    )


async def set_area(db: Database, chat_id: int, area: str, buurt: str | None = None) -> None:
    """Remember the area (and buurt, when known) the chat looked up."""
    await db.execute(
        "INSERT INTO chat_settings (chat_id, area, buurt) VALUES (?, ?, ?) "
        "ON CONFLICT(chat_id) DO UPDATE SET area = excluded.area, buurt = excluded.buurt",
        (chat_id, area, buurt),
    )


async def forget(db: Database, chat_id: int) -> bool:
    """Delete everything kept for CHAT_ID; True when there was something to delete.

    With nothing kept there is no write, so that answer needs no writable database; a delete
    that fails raises StorageError and the settings stay.
    """
    existed = await db.fetchone("SELECT 1 FROM chat_settings WHERE chat_id = ?", (chat_id,))
    if existed is None:
        return False
    await db.execute("DELETE FROM chat_settings WHERE chat_id = ?", (chat_id,))
    return True


class ChatSettingsStore:
    """The same operations with a read cache, for a door that reads them on every message.

    Correct while writes go through this store (one process owns the bot's chats); bounded
    to the most recently used chats. On a database several workers share (PostgreSQL) it keeps
    nothing: another worker may have changed a chat's settings since.
    """

    def __init__(self, db: Database, size: int = 10_000) -> None:
        self.db = db
        self._size = 0 if db.shared else size
        self._cache: OrderedDict[int, ChatSettings] = OrderedDict()

    async def get(self, chat_id: int) -> ChatSettings:
        """The settings of CHAT_ID, from memory when read before."""
        found = self._cache.get(chat_id)
        if found is None:
            found = await get(self.db, chat_id)
            self._keep(found)
        else:
            self._cache.move_to_end(chat_id)
        return found

    async def set_language(self, chat_id: int, language: str) -> None:
        """Remember the language the chat chose."""
        await set_language(self.db, chat_id, language)
        self._keep(replace(await self.get(chat_id), language=language))

    async def set_area(self, chat_id: int, area: str, buurt: str | None = None) -> None:
        """Remember the area (and buurt) the chat looked up."""
        await set_area(self.db, chat_id, area, buurt)
        self._keep(replace(await self.get(chat_id), area=area, buurt=buurt))

    async def forget(self, chat_id: int) -> bool:
        """Delete everything kept for CHAT_ID."""
        self._cache.pop(chat_id, None)
        return await forget(self.db, chat_id)

    def _keep(self, settings: ChatSettings) -> None:
        self._cache[settings.chat_id] = settings
        self._cache.move_to_end(settings.chat_id)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
