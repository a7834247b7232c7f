"""The conversation in Telegram: the chat's state into bot.conversation, its answer out as messages.

What is kept where: the chosen language and the chat's area in the chat settings (the database,
forgotten by /stop); what the last answer asked and offered in PTB's chat_data (memory only).
No text a resident typed is kept anywhere.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import (
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType

from bot.conversation import (
    AreaAnswer,
    ChatState,
    Conversation,
    Listing,
    Offer,
    Problem,
    Question,
    RouteAnswer,
    Turn,
)
from bot.conversation import Message as Incoming
from bot.i18n import normalise_language, t
from bot.routing import RouteResult
from bot.storage import StorageError
from bot.telegram.context import Context
from bot.telegram.outbox import Kept, urgent
from bot.telegram.render import Reply, answer_reply, area_reply, esc, listing_reply, question_reply

log = logging.getLogger(__name__)

DOOR = "telegram"
ASKED = "asked_area"  # chat_data (memory): the last answer asked for a postcode or buurt
OFFERED = "offered"  # chat_data (memory): the options of the last answer
DETECTED = "detected_language"  # chat_data (memory): the language of the last text routed
KEYBOARD = "area_keyboard"  # chat_data (memory): the location keyboard is showing


def conversation(context: Context) -> Conversation:
    """The conversation policy on the bot's services."""
    return Conversation(context.services, DOOR)


def guessed_language(update: Update) -> str:
    """The sender's Telegram language, as nl or en (a chosen one, in the state, wins)."""
    user = update.effective_user
    return normalise_language(user.language_code if user else None)


async def chat_state(update: Update, context: Context) -> ChatState:
    """The conversation's state of the update's chat."""
    settings = await context.chat_settings(update)
    memory = context.chat_data if context.chat_data is not None else {}
    offered: tuple[Offer, ...] = tuple(memory.get(OFFERED, ()))
    return ChatState(
        language=settings.language,
        detected=memory.get(DETECTED),
        area=settings.area,
        buurt=settings.buurt,
        asked_area=bool(memory.get(ASKED)),
        offered=offered,
    )


async def respond(
    update: Update, context: Context, message: Incoming, routed: RouteResult | None = None
) -> Turn:
    """Answer MESSAGE through the conversation, keep the chat's new state, send the answer."""
    state = await chat_state(update, context)
    turn = await conversation(context).answer(message, state, guessed_language(update), routed)
    turn = await keep(update, context, turn)
    await show(update, context, turn)
    return turn


async def keep(update: Update, context: Context, turn: Turn) -> Turn:
    """Keep what the turn changed: the area in the chat settings, the rest in memory.

    When the database cannot keep the area (locked, read-only, full), the card goes out all the
    same, only without "I will remember ..." (the turn returned says so)."""
    chat = update.effective_chat
    if chat is None:
        return turn
    answer = turn.answer
    if isinstance(answer, AreaAnswer) and answer.kept and turn.state.area:
        try:
            await context.chats.set_area(chat.id, turn.state.area, turn.state.buurt)
        except StorageError as exc:
            log.warning("an area could not be kept: %s", exc)
            turn = replace(turn, answer=replace(answer, kept=False))
    if context.chat_data is not None:
        context.chat_data[ASKED] = turn.state.asked_area
        context.chat_data[OFFERED] = turn.state.offered
        context.chat_data[DETECTED] = turn.state.detected
    return turn


async def show(update: Update, context: Context, turn: Turn) -> None:
    """Send the turn's answer; a problem with a pressed button is said as a pop-up."""
    answer, lang = turn.answer, turn.language
    query = update.callback_query
    if isinstance(answer, Problem) and query is not None:
        await query.answer(answer.message(lang), show_alert=True)
        return
    if query is not None:
        await query.answer()
    if isinstance(answer, RouteAnswer):
        await send(update, context, answer_reply(answer.card, context.services.router.meldkaart))
    elif isinstance(answer, AreaAnswer):
        await _show_area(update, context, answer, lang)
    elif isinstance(answer, Listing):
        await send(update, context, listing_reply(answer))
    elif isinstance(answer, Question) and answer.kind == "area":
        await _ask_area(update, context, lang)
    elif isinstance(answer, Question):
        await send(update, context, question_reply(answer))
    else:
        await send(update, context, Reply((esc(answer.message(lang)),)))


async def send(update: Update, context: Context, reply: Reply) -> list[Message]:
    """Send REPLY to the update's chat (in groups as a reply to the message that asked); the
    messages sent now (not those kept for later)."""
    chat = update.effective_chat
    if chat is None:
        return []
    quote = update.effective_message if chat.type != ChatType.PRIVATE else None
    if update.callback_query is not None:
        quote = None  # a button's message is the bot's own
    sent: list[Message] = []
    with urgent(reply.urgent):
        for index, text in enumerate(reply.texts):
            markup = reply.keyboard if index == len(reply.texts) - 1 else None
            try:
                if quote is not None and index == 0:
                    sent.append(await quote.reply_text(text, reply_markup=markup, do_quote=True))
                else:
                    sent.append(await context.bot.send_message(chat.id, text, reply_markup=markup))
            except Kept:
                continue  # Telegram is away: the rest is kept behind it, delivered in order
    return sent


async def _show_area(update: Update, context: Context, answer: AreaAnswer, lang: str) -> None:
    kaart = context.services.router.meldkaart
    card = answer.card
    note = t("telegram.area_kept", lang, area=esc(card.area_name or "")) if answer.kept else None
    removal = _remove_keyboard(context) if answer.kept else None
    if removal is None:
        await send(update, context, area_reply(card, lang, kaart, note))
        return
    # A message cannot both drop the reply keyboard and carry inline buttons: the note goes in a
    # message of its own that drops the location keyboard.
    await send(update, context, area_reply(card, lang, kaart))
    chat = update.effective_chat
    if chat is not None and note is not None:
        await context.bot.send_message(chat.id, note, reply_markup=removal)


async def _ask_area(update: Update, context: Context, lang: str) -> None:
    """Ask for a postcode, a buurt or a shared location (reply-keyboard location button)."""
    chat = update.effective_chat
    if chat is None:
        return
    markup: ReplyKeyboardMarkup | None = None
    if chat.type == ChatType.PRIVATE:  # a location button only works in private chats
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(t("telegram.location_button", lang), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder=t("telegram.area_placeholder", lang),
        )
        if context.chat_data is not None:
            context.chat_data[KEYBOARD] = True
    await context.bot.send_message(chat.id, t("telegram.area_ask", lang), reply_markup=markup)


def _remove_keyboard(context: Context) -> ReplyKeyboardRemove | None:
    """A keyboard removal when the location keyboard is showing (and forget that it is)."""
    if context.chat_data is not None and context.chat_data.pop(KEYBOARD, None):
        return ReplyKeyboardRemove()
    return None
