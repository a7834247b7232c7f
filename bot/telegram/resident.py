"""The resident's conversation: /start, /help, /privacy, /taal, /stop, /wis, questions and buttons.

One small handler per intent. A text or a picked option goes to bot.conversation, which decides
the answer and what is counted (situation, channel, language; never the words); nothing a
resident types is stored or logged. `danger_first` runs before every other handler, so a text
that is an emergency gets the 112 card in any state, also half-way a staff conversation.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.answers import details_of
from bot.conversation import PickSituation, Text
from bot.i18n import LANGUAGES, t
from bot.services import Services
from bot.storage import StorageError
from bot.telegram import area
from bot.telegram.commands import help_html
from bot.telegram.context import Context
from bot.telegram.render import (
    FEEDBACK,
    LANGUAGE,
    MORE,
    OPTION,
    WIPE,
    Reply,
    callback,
    details_reply,
    more_channels,
    parse_callback,
    without,
    without_feedback,
)
from bot.telegram.talk import DOOR, chat_state, conversation, respond, send

log = logging.getLogger(__name__)

DELETE_BATCH = 100  # Telegram's deleteMessages takes at most 100 ids

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE
EDITED = filters.UpdateType.EDITED_MESSAGE


# -- sending ----------------------------------------------------------------------------------


async def say(update: Update, context: Context, key: str, lang: str, **values: object) -> None:
    """Send the catalog text KEY (Telegram HTML) in LANG."""
    await send(update, context, Reply((t(key, lang, **values),)))


# -- commands ---------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Who the bot is, what it does, 112, one privacy line; the wijkteam button."""
    lang = await context.language(update)
    keyboard = InlineKeyboardMarkup([[area.ask_button(lang)]])
    await send(update, context, Reply((t("telegram.start", lang),), keyboard))


async def help_(update: Update, context: Context) -> None:
    """Every command this person may use (their role's), and what to type."""
    lang = await context.language(update)
    await send(update, context, Reply((await help_html(update, context, lang),)))


async def privacy(update: Update, context: Context) -> None:
    """What is stored, what is not, and how to delete it."""
    await say(update, context, "telegram.privacy", await context.language(update))


async def language(update: Update, context: Context) -> None:
    """/taal [nl|en]: set the answer language, or offer the two as buttons."""
    lang = await context.language(update)
    choice = (context.args[0].lower() if context.args else "").strip()
    if choice in LANGUAGES:
        await _set_language(update, context, choice)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("🇳🇱 Nederlands", callback_data=callback(LANGUAGE, "nl")),
                InlineKeyboardButton("🇬🇧 English", callback_data=callback(LANGUAGE, "en")),
            ]
        ]
    )
    await send(update, context, Reply((t("telegram.language_choose", lang),), keyboard))


async def _set_language(update: Update, context: Context, choice: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await context.chats.set_language(chat.id, choice)
    except StorageError as exc:  # locked, read-only or full: say so, in the language chosen
        log.warning("a language choice could not be saved: %s", exc)
        await say(update, context, "telegram.language_not_saved", choice)
        return
    await say(update, context, "telegram.language_set", choice)


async def stop(update: Update, context: Context) -> None:
    """/stop: forget this chat's settings (language, area)."""
    lang = await context.language(update)
    chat = update.effective_chat
    if chat is None:
        return
    if context.chat_data is not None:
        context.chat_data.clear()
    try:
        had = await context.chats.forget(chat.id)
    except StorageError as exc:  # nothing was deleted: say that the settings are still there
        log.warning("a chat's settings could not be deleted: %s", exc)
        await say(update, context, "telegram.stop_failed", lang)
        return
    await say(update, context, "telegram.stopped" if had else "telegram.stopped_nothing", lang)


async def wipe(update: Update, context: Context) -> None:
    """/wis: the quick exit: delete the recent messages of this chat, and say nothing after."""
    chat = update.effective_chat
    if chat is None:
        return
    lang = await context.language(update)
    ids = context.memory.take(chat.id)
    if context.chat_data is not None:
        context.chat_data.clear()
    command = update.message.message_id if update.message else None
    deleted = await _delete(context, chat.id, ids)
    if not deleted or not [i for i in ids if i != command]:
        # Nothing (else) was known, e.g. after a restart: say how to remove the chat itself.
        await say(update, context, "telegram.wipe_nothing", lang)


async def _delete(context: Context, chat_id: int, ids: Sequence[int]) -> bool:
    """Delete IDS in CHAT_ID in batches; True when every batch was accepted."""
    if not ids:
        return False
    ok = True
    for i in range(0, len(ids), DELETE_BATCH):
        try:
            await context.bot.delete_messages(chat_id, list(ids[i : i + DELETE_BATCH]))
        except TelegramError as exc:
            log.warning("deleting messages failed: %s", type(exc).__name__)
            ok = False
    return ok


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not know (private chats)."""
    await say(update, context, "telegram.unknown_command", await context.language(update))


# -- questions --------------------------------------------------------------------------------


async def danger_first(update: Update, context: Context) -> None:
    """Every text, before any other handler: an emergency gets the 112 card, whatever else is
    going on in the chat (a staff conversation waiting for a date, a question about the area),
    and nothing else handles it; the conversation goes on after it as it was. Any other text
    goes on to the handlers, with its route result kept for `question`."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = _addressed_text(message, context.bot.username)
    state = await chat_state(update, context)
    try:
        routed = await conversation(context).route(text, state)
    except Exception as exc:
        # Said once, by the error handler; no later handler tries the same text again.
        await context.application.process_error(update, exc)
        raise ApplicationHandlerStop from exc
    if routed is not None and routed.emergency:
        await respond(update, context, Text(text), routed)
        raise ApplicationHandlerStop
    context.routed = (text, routed)


async def question(update: Update, context: Context) -> None:
    """Any text: the conversation's answer (a card, an area, a question, a problem)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = _addressed_text(message, context.bot.username)
    kept = context.routed
    routed = kept[1] if kept is not None and kept[0] == text else None
    await respond(update, context, Text(text), routed)


def _addressed_text(message: Message, username: str) -> str:
    """The message text without this bot's @mention (groups address the bot that way)."""
    text = message.text or ""
    mention = f"@{username}".lower()
    for entity, value in sorted(
        message.parse_entities([MessageEntity.MENTION]).items(), key=lambda kv: -kv[0].offset
    ):
        if value.lower() == mention:
            text = text[: entity.offset] + text[entity.offset + entity.length :]
    return text.strip()


class _MentionsMe(filters.MessageFilter):
    """A message that @mentions this bot (groups: the bot answers commands and mentions only)."""

    def filter(self, message: Message) -> bool:
        username = message.get_bot().username
        if not username or not message.text:
            return False
        mention = f"@{username}".lower()
        return any(
            value.lower() == mention
            for value in message.parse_entities([MessageEntity.MENTION]).values()
        )


MENTIONS_ME = _MentionsMe(name="MentionsMe")


# -- buttons ----------------------------------------------------------------------------------


async def pick_option(update: Update, context: Context) -> None:
    """A choice or follow-up button: the answer card for the picked situation."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_callback(query.data)
    if parsed is None or parsed.kind != OPTION:
        await query.answer(
            t("telegram.button_unknown", await context.language(update)), show_alert=True
        )
        return
    await respond(update, context, PickSituation(parsed.value))


async def feedback(update: Update, context: Context) -> None:
    """👍 / 👎 under an answer: counted anonymously, then the buttons go away."""
    query = update.callback_query
    if query is None:
        return
    lang = await context.language(update)
    parsed = parse_callback(query.data)
    kaart = context.services.router.meldkaart
    if (
        parsed is None
        or parsed.kind != FEEDBACK
        or (parsed.value != "-" and parsed.value not in kaart.situations)
    ):
        await query.answer(t("telegram.button_unknown", lang), show_alert=True)
        return
    situation = None if parsed.value == "-" else parsed.value
    message = query.message
    if message is not None and not _first_feedback(context, message.chat.id, message.message_id):
        await query.answer()  # a double tap: counted once, answered quietly
        return
    try:
        await context.services.stats.feedback(situation, parsed.flag, door=DOOR)
    except (StorageError, ValueError) as exc:
        log.warning("counting feedback failed: %s", type(exc).__name__)
    await query.answer(t("telegram.feedback_thanks", lang))
    if isinstance(message, Message) and message.reply_markup is not None:
        try:
            await query.edit_message_reply_markup(without_feedback(message.reply_markup))
        except BadRequest as exc:  # the buttons already went with an earlier press
            if "not modified" not in str(exc).lower():
                raise


FEEDBACK_SEEN = "feedback_seen"
MORE_SEEN = "more_seen"
FEEDBACK_MEMORY = 10_000  # answers remembered; an older one pressed again counts again


def _first_feedback(context: Context, chat_id: int, message_id: int) -> bool:
    """True the first time an answer's feedback is pressed."""
    return _first_press(context, FEEDBACK_SEEN, chat_id, message_id)


def _first_press(context: Context, memory: str, chat_id: int, message_id: int) -> bool:
    """True the first time a button of MEMORY's kind under a message is pressed (a bounded
    memory, never stored; the key is a hash, so no chat id is kept in it)."""
    seen: OrderedDict[int, None] = context.application.bot_data.setdefault(memory, OrderedDict())
    key = hash((chat_id, message_id))
    if key in seen:
        return False
    seen[key] = None
    if len(seen) > FEEDBACK_MEMORY:
        seen.popitem(last=False)
    return True


async def more_pressed(update: Update, context: Context) -> None:
    """The "Meer" button under an answer: its details as a message of their own, once; the
    button then goes. A double tap is answered quietly; an old button (the meldkaart's
    channels changed since) gets the polite "this button does not work (any more)"."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_callback(query.data)
    kaart = context.services.router.meldkaart
    shown = more_channels(parsed.value, kaart) if parsed and parsed.kind == MORE else None
    found = details_of(kaart, shown[1], shown[0]) if shown else None
    if found is None:
        lang = await context.language(update)
        await query.answer(t("telegram.button_unknown", lang), show_alert=True)
        return
    message = query.message
    if message is not None and not _first_press(
        context, MORE_SEEN, message.chat.id, message.message_id
    ):
        await query.answer()  # a double tap: the details were sent already
        return
    await query.answer()
    await send(update, context, details_reply(found))
    if isinstance(message, Message) and message.reply_markup is not None:
        try:
            await query.edit_message_reply_markup(without(message.reply_markup, MORE))
        except BadRequest as exc:  # the button already went with an earlier press
            if "not modified" not in str(exc).lower():
                raise


async def choose_language(update: Update, context: Context) -> None:
    """The language buttons of /taal."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_callback(query.data)
    if parsed is None or parsed.kind != LANGUAGE:
        await query.answer(
            t("telegram.button_unknown", await context.language(update)), show_alert=True
        )
        return
    await query.answer()
    await _set_language(update, context, parsed.value)


async def wipe_button(update: Update, context: Context) -> None:
    """The quick-exit button under sensitive answers: the same as /wis."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await wipe(update, context)


async def unknown_button(update: Update, context: Context) -> None:
    """A button this bot did not make, or no longer knows: a polite answer, nothing done."""
    query = update.callback_query
    if query is not None:
        await query.answer(
            t("telegram.button_unknown", await context.language(update)), show_alert=True
        )


# -- everything that is not text ----------------------------------------------------------------

_MEDIA: tuple[tuple[filters.BaseFilter, str], ...] = (
    (filters.PHOTO | filters.VIDEO, "telegram.media_picture"),
    (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE, "telegram.media_voice"),
    (filters.Sticker.ALL | filters.ANIMATION | filters.Dice.ALL, "telegram.media_sticker"),
    (filters.Document.ALL, "telegram.media_document"),
    (filters.CONTACT, "telegram.media_contact"),
)


def _media_reply(key: str) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    async def reply(update: Update, context: Context) -> None:
        """Explain what the bot can do with this kind of message; nothing is stored."""
        await say(update, context, key, await context.language(update))

    return reply


async def other_message(update: Update, context: Context) -> None:
    """Anything else in a private chat (a poll, a game, an edited photo ...)."""
    await say(update, context, "telegram.media_other", await context.language(update))


# -- wiring ------------------------------------------------------------------------------------


async def remember_incoming(update: Update, context: Context) -> None:
    """Note the ids of messages people send in private chats, in memory, for /wis."""
    message = update.message
    chat = update.effective_chat
    if message is not None and chat is not None and chat.type == ChatType.PRIVATE:
        context.memory.remember(chat.id, message.message_id)


def commands(services: Services) -> list[BaseHandler]:  # type: ignore[type-arg]
    """The resident commands (registered before any plug-in's)."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_),
        CommandHandler("privacy", privacy),
        CommandHandler("taal", language),
        CommandHandler("stop", stop),
        CommandHandler("wis", wipe),
        CallbackQueryHandler(pick_option, pattern=rf"^{OPTION}:"),
        CallbackQueryHandler(feedback, pattern=rf"^{FEEDBACK}:"),
        CallbackQueryHandler(more_pressed, pattern=rf"^{MORE}:"),
        CallbackQueryHandler(choose_language, pattern=rf"^{LANGUAGE}:(nl|en)$"),
        CallbackQueryHandler(wipe_button, pattern=rf"^{WIPE}:now$"),
    ]


def asked() -> filters.BaseFilter:
    """A text for the bot: in a private chat, or mentioning it in a group; new or edited."""
    return (filters.TEXT & ~filters.COMMAND) & (PRIVATE | MENTIONS_ME) & (NEW | EDITED)


def danger_check(services: Services) -> BaseHandler:  # type: ignore[type-arg]
    """The handler that goes before all others (its own group): `danger_first`."""
    return MessageHandler(asked(), danger_first)


def fallbacks(services: Services) -> list[BaseHandler]:  # type: ignore[type-arg]
    """Catch-alls registered after every plug-in: questions, other input, unknown buttons."""
    handlers: list[BaseHandler] = [MessageHandler(asked(), question)]  # type: ignore[type-arg]
    for kind, key in _MEDIA:
        handlers.append(MessageHandler(kind & PRIVATE & (NEW | EDITED), _media_reply(key)))
    handlers.extend(
        [
            MessageHandler(filters.COMMAND & PRIVATE & NEW, unknown_command),
            MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL & (NEW | EDITED), other_message),
            CallbackQueryHandler(unknown_button),
        ]
    )
    return handlers
