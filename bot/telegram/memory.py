"""The ids of recent messages per chat, in memory only, so /wis can delete them.

Never written to disk: a restart forgets them, which is the point. Bounded per chat and in the
number of chats; ids older than Telegram's 48-hour deletion window are dropped.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

DELETE_WINDOW = 48 * 3600 - 60  # Telegram deletes messages up to 48 hours old
PER_CHAT = 150  # a quick exit needs the recent messages, not a whole history
CHATS = 3_000  # worst case 450,000 ids, about 50 MB: inside the 150 MB RSS budget


class MessageMemory:
    """Recent message ids per chat: what the bot sent, and in private chats what it was sent."""

    def __init__(self, per_chat: int = PER_CHAT, chats: int = CHATS) -> None:
        self._per_chat = per_chat
        self._chats = chats
        self._ids: OrderedDict[int, deque[tuple[float, int]]] = OrderedDict()

    def remember(self, chat_id: int, message_id: int) -> None:
        """Note one message of CHAT_ID."""
        ids = self._ids.get(chat_id)
        if ids is None:
            ids = self._ids[chat_id] = deque(maxlen=self._per_chat)
            while len(self._ids) > self._chats:
                self._ids.popitem(last=False)
        else:
            self._ids.move_to_end(chat_id)
        ids.append((time.monotonic(), message_id))

    def take(self, chat_id: int) -> list[int]:
        """Every still deletable message id of CHAT_ID, forgotten as they are handed out."""
        ids = self._ids.pop(chat_id, None) or ()
        oldest = time.monotonic() - DELETE_WINDOW
        return sorted({message_id for at, message_id in ids if at >= oldest})

    def forget(self, chat_id: int) -> None:
        """Drop everything noted for CHAT_ID."""
        self._ids.pop(chat_id, None)

    def __len__(self) -> int:
        return len(self._ids)
