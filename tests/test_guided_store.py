"""The store of guided conversations: rows by name, chat and user, one conversation per person
in a chat, old ones forgotten, and the state read afresh (another connection sees it at once)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from engines import both_engines
from spreekuren_support import AGENT, HANDHAVER, NOW

from bot.guided import ConversationState, SqlConversationStore
from bot.storage import Database

pytestmark = both_engines

DAY_AGO = NOW - timedelta(days=1)


def state(step: str = "when", name: str = "spreekuur_nieuw", **values: object) -> ConversationState:
    fields: dict[str, object] = {
        "name": name,
        "chat_id": AGENT,
        "user_id": AGENT,
        "step": step,
        "draft": {"area": "noord-oost"},
        "updated_at": NOW,
        "update_id": 10,
    }
    fields.update(values)
    return ConversationState(**fields)  # type: ignore[arg-type]


@pytest.fixture
def path(db_target: str | Path) -> str | Path:
    return db_target


@pytest.fixture
def store(db: Database) -> SqlConversationStore:
    return SqlConversationStore(db)


async def test_a_conversation_is_begun_saved_and_ended(store: SqlConversationStore) -> None:
    assert await store.find(AGENT, AGENT) is None
    await store.begin(state(), forget_before=DAY_AGO)
    assert await store.find(AGENT, AGENT) == state()
    draft = {"area": "noord-oost", "schedule": {"first": "2026-12-03"}, "place": "Café « Ü »"}
    later = NOW + timedelta(minutes=2)
    assert await store.save(state("times", draft=draft, updated_at=later, update_id=11))
    found = await store.find(AGENT, AGENT)
    assert found == state("times", draft=draft, updated_at=later, update_id=11)
    assert await store.end("spreekuur_nieuw", AGENT, AGENT)
    assert await store.find(AGENT, AGENT) is None
    assert not await store.end("spreekuur_nieuw", AGENT, AGENT)
    assert not await store.save(state("place"))  # ended meanwhile: nothing comes back


async def test_one_conversation_per_person_and_chat(store: SqlConversationStore) -> None:
    await store.begin(state(), forget_before=DAY_AGO)
    await store.begin(state(chat_id=-100, user_id=AGENT), forget_before=DAY_AGO)  # another chat
    await store.begin(state(user_id=HANDHAVER, chat_id=HANDHAVER), forget_before=DAY_AGO)
    await store.begin(state("pick", name="spreekuur_wijzig", draft={}), forget_before=DAY_AGO)
    mine = await store.find(AGENT, AGENT)
    assert mine is not None and (mine.name, mine.step) == ("spreekuur_wijzig", "pick")
    assert await store.find(-100, AGENT) is not None
    assert await store.find(HANDHAVER, HANDHAVER) is not None
    sql = "SELECT name FROM guided_conversations WHERE chat_id = ?"
    rows = await store.db.fetchall(sql, [AGENT])
    assert [r["name"] for r in rows] == ["spreekuur_wijzig"]


async def test_long_abandoned_conversations_are_forgotten(store: SqlConversationStore) -> None:
    old = NOW - timedelta(days=3)
    await store.begin(state(user_id=HANDHAVER, chat_id=HANDHAVER, updated_at=old), old)
    await store.begin(state(), forget_before=DAY_AGO)
    assert await store.find(HANDHAVER, HANDHAVER) is None
    assert await store.find(AGENT, AGENT) is not None


async def test_the_state_is_read_afresh_by_another_connection(
    store: SqlConversationStore, path: str | Path
) -> None:
    """What a second worker on the same database (or the process after a restart) sees."""
    other = await Database.open(path)
    try:
        elsewhere = SqlConversationStore(other)
        await store.begin(state(), forget_before=DAY_AGO)
        assert await elsewhere.find(AGENT, AGENT) == state()
        assert await elsewhere.save(state("times", update_id=12))
        assert (await store.find(AGENT, AGENT)) == state("times", update_id=12)
        assert await elsewhere.end("spreekuur_nieuw", AGENT, AGENT)
        assert await store.find(AGENT, AGENT) is None
    finally:
        await other.close()
