"""The kept messages of an outage: bounded, each chat in order, emergency answers first."""

from __future__ import annotations

from bot.telegram.kept import KeptMessage, KeptMessages


async def _nothing() -> None:
    return None


def message(chat_id: int, urgent: bool = False) -> KeptMessage:
    """A kept call to CHAT_ID that does nothing."""
    return KeptMessage(chat_id, urgent, _nothing)


def drain(kept: KeptMessages) -> list[KeptMessage]:
    """Everything kept, in the order it would be delivered."""
    order = []
    while (first := kept.first()) is not None:
        order.append(first)
        kept.remove(first)
    return order


def test_a_chat_with_an_emergency_answer_goes_first_each_chat_in_order() -> None:
    kept = KeptMessages()
    a1, b1, a2, c1 = message(1), message(2), message(1), message(3, urgent=True)
    for m in (a1, b1, a2, c1):
        assert kept.keep(m)
    assert kept.holds(1) and not kept.holds(4)
    assert drain(kept) == [c1, a1, a2, b1]
    assert len(kept) == 0 and not kept.holds(1)


def test_when_full_an_emergency_answer_makes_room_and_another_does_not() -> None:
    kept = KeptMessages(limit=2)
    old, urgent = message(1), message(2, urgent=True)
    assert kept.keep(old) and kept.keep(urgent)
    assert not kept.keep(message(3))  # full: a plain answer is not kept
    newest = message(4, urgent=True)
    assert kept.keep(newest)  # the oldest plain one made room
    assert len(kept) == 2 and drain(kept) == [urgent, newest]
    full = KeptMessages(limit=1)
    assert full.keep(message(5, urgent=True))
    assert not full.keep(message(6, urgent=True))  # nothing plain left to drop
