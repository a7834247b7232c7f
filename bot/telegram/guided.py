"""Guided conversations in Telegram: one question at a time, the state kept in the database.

A `Conversation` is a set of named `Step`s, each with its question (`ask`) and what it takes: a
typed text, a button (callback data matching `buttons`), or both. Its entry command
(`Conversation.entry`) fills a draft and names the first step; `Guided`, registered in a group
before every other handler, takes each later message of that person in that chat: it reads the
conversation afresh from the `ConversationStore` (bot.guided), lets the step answer, stores the
next step and only then asks its question. So a restart, a crash (kill -9) or another worker on
the same database carries the conversation on; one delivered twice (after a crash, before
Telegram was told it arrived) asks the current question again instead of taking it twice.
A conversation silent for `TIMEOUT` has ended: the next message is told so, in its language.
Only the danger check (bot.telegram.resident.danger_first) goes before it: an emergency typed
half-way gets the 112 card, and the step it interrupted still waits for its answer.

Why not python-telegram-bot's ConversationHandler with a persistence: measured on PTB 22.8, a
persistent ConversationHandler writes its state only from `Application.update_persistence`,
every `update_interval` seconds (60 by default): when the next question has been sent the state
has not been written (with an interval of 0.2 s it is written about 200 ms later), so a kill -9
in between loses the step. It reads the stored conversations once, at start-up, so a
conversation begun on one worker is unknown to another; and its `check_update` is synchronous,
so it cannot read the database per message.

Updates it does not take (another command, a text where a step wants a button, a button of an
earlier step) go on to the ordinary handlers, as with PTB's ConversationHandler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, TypeHandler, filters

from bot.guided import ConversationState, ConversationStore
from bot.i18n import t
from bot.storage import StorageError
from bot.telegram.context import Context
from bot.telegram.render import esc

log = logging.getLogger(__name__)

GUIDED = "guided"  # bot_data: the Guided of this bot
GROUP = -1  # the handler group of `Guided.handler()`: before every ordinary handler (group 0)
END = "end"  # what an answer returns to end its conversation; None keeps the step
TIMEOUT = timedelta(minutes=30)  # silence that ends a conversation
FORGET = timedelta(days=1)  # a conversation ended by silence is forgotten after this
STOP_COMMANDS = ("afbreken", "cancel")

Draft = dict[str, Any]  # JSON-able: what the person answered so far
Answer = Callable[[Update, Context, str, Draft], Coroutine[Any, Any, str | None]]
Ask = Callable[[Update, Context, str, Draft], Coroutine[Any, Any, None]]
Clock = Callable[[Context], datetime]

_TEXT = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE


@dataclass(frozen=True)
class Step:
    """One question of a conversation and the answers it takes."""

    ask: Ask
    text: Answer | None = None  # takes a typed text (a new message, not a command)
    button: Answer | None = None  # takes a button whose whole callback data matches BUTTONS
    buttons: str = ""


@dataclass(frozen=True)
class Conversation:
    """A guided conversation: its steps, its entry and the texts the engine itself says."""

    name: str  # stored with the state: keep it when the code changes
    prefix: str  # its buttons' callback data start with PREFIX: ('PREFIX:stop' stops it)
    steps: Mapping[str, Step]
    start: Answer  # the entry command: fills the draft and names the first step
    stopped: str  # text keys: stopped on request, ended by silence, the database failed
    ended: str
    storage_error: str

    def entry(self, command: str) -> CommandHandler[Any, Any]:
        """The command that begins (or begins again) this conversation."""

        async def begin(update: Update, context: Context) -> None:
            await guided_of(context.application).begin(self, update, context)

        return CommandHandler(command, begin)


class Guided:
    """Takes every later message of a person in a guided conversation (see the module)."""

    def __init__(
        self, store: ConversationStore, conversations: Sequence[Conversation], clock: Clock
    ) -> None:
        self.store = store
        self.conversations = {c.name: c for c in conversations}
        self.prefixes = tuple(f"{c.prefix}:" for c in conversations)
        self.clock = clock
        self._stop = CommandHandler(list(STOP_COMMANDS), _nothing)

    def handler(self) -> TypeHandler[Update, Context, None]:
        """The handler to register in GROUP."""
        return TypeHandler(Update, self.take)

    async def begin(self, conversation: Conversation, update: Update, context: Context) -> None:
        """The entry command: a new draft; the first step is stored, then asked."""
        key = _key(update)
        if key is None:
            return
        lang = await context.language(update)
        draft: Draft = {}
        step = await conversation.start(update, context, lang, draft)
        if step is None:  # a mistake, already answered: any conversation going on goes on
            return
        if step == END:
            await self._end(conversation.name, *key)
            return
        now = self.clock(context)
        state = ConversationState(
            conversation.name, *key, step, draft, now, update_id=update.update_id
        )
        try:
            await self.store.begin(state, forget_before=now - FORGET)
        except StorageError as exc:
            log.warning("a guided conversation could not begin: %s", exc)
            await _say(update, context, t(conversation.storage_error, lang))
            return
        await conversation.steps[step].ask(update, context, lang, draft)

    async def take(self, update: Update, context: Context) -> None:
        """A person's next message or button: the step's answer, when a conversation waits."""
        kind, key = self._kind(update), _key(update)
        if kind is None or key is None:
            return
        try:
            state = await self.store.find(*key)
        except StorageError as exc:  # everyone is still answered; the step waits
            log.warning("guided conversations cannot be read: %s", exc)
            return
        if state is None:
            return
        conversation = self.conversations.get(state.name)
        if conversation is None or state.step not in conversation.steps:  # from older code
            await self._end(state.name, *key)
            return
        query = update.callback_query
        data = (query.data or "") if query is not None and isinstance(query.data, str) else ""
        if kind == "button" and not data.startswith(f"{conversation.prefix}:"):
            return  # another conversation's button: not this one's to judge
        step = conversation.steps[state.step]
        answer = self._answer(step, kind, data)
        lang = await context.language(update)
        if self.clock(context) - state.updated_at > TIMEOUT:
            await self._end(state.name, *key)
            await _answer_query(update)
            await _say(update, context, t(conversation.ended, lang))
            if answer is not None or kind == "stop" or data == f"{conversation.prefix}:stop":
                raise ApplicationHandlerStop
            return  # not an answer to the step: it still gets its ordinary answer
        if kind == "stop" or data == f"{conversation.prefix}:stop":
            await _answer_query(update)
            await self._end(state.name, *key)
            await _say(update, context, t(conversation.stopped, lang))
            raise ApplicationHandlerStop
        if answer is None:
            return
        await _answer_query(update)
        if state.update_id == update.update_id:  # delivered again: the answer was taken
            await step.ask(update, context, lang, dict(state.draft))
            raise ApplicationHandlerStop
        draft = dict(state.draft)
        following = await answer(update, context, lang, draft)
        await self._go(update, context, lang, conversation, state, following, draft)
        raise ApplicationHandlerStop

    async def _go(
        self,
        update: Update,
        context: Context,
        lang: str,
        conversation: Conversation,
        state: ConversationState,
        following: str | None,
        draft: Draft,
    ) -> None:
        """Store the step the answer led to, then ask it (or end the conversation)."""
        if following is None:  # a mistake, already answered: the same question stands
            return
        if following == END:
            await self._end(state.name, state.chat_id, state.user_id)
            return
        moved = replace(
            state,
            step=following,
            draft=draft,
            update_id=update.update_id,
            updated_at=self.clock(context),
        )
        try:
            going = await self.store.save(moved)
        except StorageError as exc:
            log.warning("a guided conversation's step could not be stored: %s", exc)
            await _say(update, context, t(conversation.storage_error, lang))
            return
        if going:  # else it ended meanwhile (e.g. stopped through another worker)
            await conversation.steps[following].ask(update, context, lang, draft)

    async def _end(self, name: str, chat_id: int, user_id: int) -> None:
        try:
            await self.store.end(name, chat_id, user_id)
        except StorageError as exc:  # the row is forgotten later (FORGET)
            log.warning("a guided conversation could not be ended: %s", exc)

    def _kind(self, update: Update) -> str | None:
        """'text', 'button' or 'stop' for what a conversation may take, else None (cheap)."""
        if update.callback_query is not None:
            data = update.callback_query.data
            return "button" if isinstance(data, str) and data.startswith(self.prefixes) else None
        if update.message is None:
            return None
        if _TEXT.check_update(update):
            return "text"
        return "stop" if self._stop.check_update(update) else None

    @staticmethod
    def _answer(step: Step, kind: str, data: str) -> Answer | None:
        if kind == "text":
            return step.text
        if kind == "button" and step.buttons and re.fullmatch(step.buttons, data):
            return step.button
        return None


def guided_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Guided:
    """The Guided the builder gave this bot."""
    return app.bot_data[GUIDED]  # type: ignore[no-any-return]


def _key(update: Update) -> tuple[int, int] | None:
    """(chat id, user id) of a private chat; conversations happen only there."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    return chat.id, user.id


async def _answer_query(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def _say(update: Update, context: Context, text: str) -> None:
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, esc(text))


async def _nothing(update: Update, context: Context) -> None:
    """Never called: the stop commands' handler only recognises them."""
