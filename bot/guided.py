"""Where a person is in a guided, step-by-step conversation, kept in the database.

One row per conversation name, chat and user (migration 0005), read afresh for every message:
a restart, a crash (kill -9) or another worker on the same database carries the conversation on
from the step it was at. The draft is what staff typed so far (the date, time and place of a
spreekuur), never a resident's text, and it goes with the row when the conversation ends.
`ConversationStore` is what a door uses; `SqlConversationStore` implements it on bot.storage in
plain SQL that another engine can run as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.staff import stamp
from bot.storage import Database, Row


@dataclass(frozen=True)
class ConversationState:
    """One person's place in one conversation: the step asked last and the answers so far."""

    name: str
    chat_id: int
    user_id: int
    step: str
    draft: Mapping[str, Any]  # JSON-able: text, numbers, lists and objects of them
    updated_at: datetime
    update_id: int | None = None  # the last update applied


class ConversationStore(Protocol):
    """Conversation state as rows keyed by conversation name, chat and user."""

    async def find(self, chat_id: int, user_id: int) -> ConversationState | None:
        """The person's conversation in that chat, or None."""
        ...

    async def begin(self, state: ConversationState, forget_before: datetime) -> None:
        """Start STATE, ending the person's other conversations in that chat; rows not touched
        since FORGET_BEFORE (anyone's, long abandoned) go too."""
        ...

    async def save(self, state: ConversationState) -> bool:
        """Store a step taken; False when the conversation ended meanwhile (nothing stored)."""
        ...

    async def end(self, name: str, chat_id: int, user_id: int) -> bool:
        """Delete the conversation; False when there was none."""
        ...


class SqlConversationStore:
    """`ConversationStore` on the bot's database (table guided_conversations)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, chat_id: int, user_id: int) -> ConversationState | None:
        """The person's newest conversation in that chat (there is at most one), or None."""
        row = await self.db.fetchone(
            "SELECT * FROM guided_conversations WHERE chat_id = ? AND user_id = ? "
            "ORDER BY updated_at DESC LIMIT 1",
            (chat_id, user_id),
        )
        return None if row is None else _state(row)

    async def begin(self, state: ConversationState, forget_before: datetime) -> None:
        """Start STATE in place of the person's other conversations (one at a time)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM guided_conversations WHERE (chat_id = ? AND user_id = ?) "
                "OR updated_at < ?",
                (state.chat_id, state.user_id, stamp(forget_before)),
            )
            await tx.execute(
                "INSERT INTO guided_conversations "
                "(name, chat_id, user_id, step, draft, update_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    state.name,
                    state.chat_id,
                    state.user_id,
                    state.step,
                    _json(state.draft),
                    state.update_id,
                    stamp(state.updated_at),
                ),
            )

    async def save(self, state: ConversationState) -> bool:
        """Store the step and draft of a conversation that is still going."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE guided_conversations SET step = ?, draft = ?, update_id = ?, "
                "updated_at = ? WHERE name = ? AND chat_id = ? AND user_id = ?",
                (
                    state.step,
                    _json(state.draft),
                    state.update_id,
                    stamp(state.updated_at),
                    state.name,
                    state.chat_id,
                    state.user_id,
                ),
            )
            return changed > 0

    async def end(self, name: str, chat_id: int, user_id: int) -> bool:
        """Delete the conversation and its draft."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "DELETE FROM guided_conversations WHERE name = ? AND chat_id = ? AND user_id = ?",
                (name, chat_id, user_id),
            )
            return changed > 0


def _json(draft: Mapping[str, Any]) -> str:
    return json.dumps(dict(draft), ensure_ascii=False, sort_keys=True)


def _state(row: Row) -> ConversationState:
    return ConversationState(
        name=row["name"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        step=row["step"],
        draft=json.loads(row["draft"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        update_id=row["update_id"],
    )
