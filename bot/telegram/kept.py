"""Messages Telegram would not take: kept in memory, bounded, until they can be delivered.

Each chat's messages stay in the order they were sent; a chat with an emergency answer among
them is delivered first. Only the bot's own messages are kept (never what a resident typed), in
memory only, so they are gone when the process stops; the update they answer then stays
unhandled in the inbox (bot.telegram.intake), and the next start answers it again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

KEPT = 1_000  # messages kept at most (4,096 characters each: a few MB)


@dataclass(eq=False)  # two equal answers are still two messages
class KeptMessage:
    """One Bot API call, ready to be made again."""

    chat_id: int
    urgent: bool  # an emergency answer: delivered first
    send: Callable[[], Awaitable[Any]]
    update_id: int | None = None  # the update it answers, if known
    misses: int = 0  # deliveries that failed while other calls got through


class KeptMessages:
    """Per chat in order; the chats with an emergency answer first."""

    def __init__(self, limit: int = KEPT) -> None:
        self.limit = limit
        self._chats: OrderedDict[int, deque[KeptMessage]] = OrderedDict()
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def holds(self, chat_id: int) -> bool:
        """True while CHAT_ID has messages waiting (its new ones must wait behind them)."""
        return chat_id in self._chats

    def answer_kept(self, update_id: int) -> bool:
        """True while an answer to UPDATE_ID is kept (the update is not done yet)."""
        return any(m.update_id == update_id for ms in self._chats.values() for m in ms)

    def keep(self, message: KeptMessage) -> bool:
        """Keep MESSAGE behind its chat's; False when full (an emergency makes room)."""
        if self._count >= self.limit and not (message.urgent and self._drop_one_not_urgent()):
            log.warning("%d messages kept for delivery already; one more is lost", self._count)
            return False
        self._chats.setdefault(message.chat_id, deque()).append(message)
        self._count += 1
        return True

    def first(self) -> KeptMessage | None:
        """The next to deliver: the oldest of the first chat with an emergency, else of the
        chat that has waited longest."""
        for messages in self._chats.values():
            if any(m.urgent for m in messages):
                return messages[0]
        for messages in self._chats.values():
            return messages[0]
        return None

    def remove(self, message: KeptMessage) -> None:
        """Forget MESSAGE (delivered, or given up)."""
        messages = self._chats.get(message.chat_id)
        if messages is None or message not in messages:
            return
        messages.remove(message)
        self._count -= 1
        if not messages:
            del self._chats[message.chat_id]

    def _drop_one_not_urgent(self) -> bool:
        for messages in self._chats.values():
            for message in messages:
                if not message.urgent:
                    log.warning("messages kept for delivery are full; an older one is dropped")
                    self.remove(message)
                    return True
        return False
