"""The builder: one python-telegram-bot Application with every handler of the bot.

`build_application(settings, services)` is the only way the bot is made, in production, in the
tests (against the fake Bot API) and in the benchmark. Start and stop it with bot.telegram.runner.
The features (spreekuren, stats) are listed here, in the order their handlers are tried.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import traceback
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, TypeHandler

from bot.chatsettings import ChatSettings, ChatSettingsStore
from bot.config import Settings
from bot.guided import SqlConversationStore
from bot.i18n import normalise_language, t
from bot.services import Services
from bot.storage import StorageError
from bot.telegram import area, resident, spreekuren, stats
from bot.telegram.aiohttprequest import AiohttpRequest
from bot.telegram.commands import MENUS, RESIDENT_COMMANDS, Menus
from bot.telegram.context import CHATS, MEMORY, SERVICES, Context, language_of
from bot.telegram.guided import GROUP, GUIDED, Guided
from bot.telegram.intake import InboxQueue
from bot.telegram.memory import MessageMemory
from bot.telegram.ordering import MAX_CONCURRENT, PerChatOrder
from bot.telegram.outbox import Kept, Outbox, answering

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for one Bot API call before it counts as lost (and is retried)
FLOOD_RATE = 30.0  # messages per second over all chats: Telegram's broadcast limit
CONNECTIONS = 16  # keep-alive connections: far more than Telegram's 30 messages a second need
# Handler groups before the usual group 0: note every message id (for /wis), then the danger
# check, which answers an emergency and stops the update, in any state of any conversation
# (also before a guided conversation's next answer, GROUP), then the guided conversations.
REMEMBER_GROUP = GROUP - 2
DANGER_GROUP = GROUP - 1


def build_application(
    settings: Settings,
    services: Services,
    *,
    timeout: float = TIMEOUT,
    flood_rate: float = FLOOD_RATE,
) -> Application[Any, Context, Any, Any, Any, Any]:
    """The bot with every handler registered, talking to `settings.telegram_api_url`."""
    if not settings.telegram_token:
        raise ValueError("the Telegram bot needs TELEGRAM_BOT_TOKEN")
    quiet_loggers()
    memory = MessageMemory()
    queue = InboxQueue(services.inbox)
    # Workers sharing one database (PostgreSQL) take a chat's turn there too (bot.pgstore).
    turn = services.db.chat_turn if services.db.shared else None
    order = PerChatOrder(MAX_CONCURRENT, after=queue.handled, within=_answering, turn=turn)
    outbox = Outbox(memory, overall_max_rate=flood_rate)
    # An update whose answer Telegram did not take yet stays in the inbox until it is delivered.
    queue.answer_kept, outbox.settled = outbox.kept.answer_kept, queue.settled
    app = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .rate_limiter(outbox)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=Context))
        .update_queue(queue)  # stores every update before it is confirmed to Telegram
        .concurrent_updates(order)
        .request(AiohttpRequest(CONNECTIONS, timeout, timeout, timeout, timeout))
        .get_updates_request(AiohttpRequest(1, timeout, timeout, timeout, timeout))
        .build()
    )
    app.bot_data[SERVICES] = services
    app.bot_data[MEMORY] = memory
    app.bot_data[CHATS] = ChatSettingsStore(services.db)
    features = (spreekuren.feature(), stats.feature())
    app.bot_data[MENUS] = Menus(RESIDENT_COMMANDS + tuple(c for f in features for c in f.commands))
    guided = Guided(
        SqlConversationStore(services.db),
        [c for f in features for c in f.conversations],
        clock=spreekuren.now_of,
    )
    app.bot_data[GUIDED] = guided
    app.add_handler(TypeHandler(Update, resident.remember_incoming), group=REMEMBER_GROUP)
    app.add_handler(resident.danger_check(services), group=DANGER_GROUP)
    app.add_handler(guided.handler(), group=GROUP)  # a guided conversation's next answer
    app.add_handlers(
        resident.commands(services)
        + area.handlers(services)
        + [handler for feature in features for handler in feature.handlers]
        + resident.fallbacks(services)
    )
    app.add_error_handler(on_error)
    order.refused = functools.partial(slow_down, app)
    return app


def _answering(update: object) -> contextlib.AbstractContextManager[None]:
    """Messages sent while UPDATE is handled answer it (see `Outbox.settled`)."""
    return answering(update.update_id if isinstance(update, Update) else None)


def quiet_loggers() -> None:
    """Keep the token and people's words out of the logs, whatever the root level.

    httpx logs every request URL at INFO, and the URL holds the token; PTB logs whole updates
    (people's text) at DEBUG, aiosqlite every statement with its parameters.
    """
    for name, level in (
        ("httpx", logging.WARNING),
        ("telegram", logging.INFO),
        ("aiosqlite", logging.INFO),
    ):
        logger = logging.getLogger(name)
        logger.setLevel(max(level, logger.level))


async def on_error(update: object, context: Context) -> None:
    """Log what failed (never the person's text) and tell the person kindly."""
    error = context.error
    if error is None:
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Kept):  # no excuse: the answer itself follows once Telegram is back
        log.warning("update %s: Telegram took no message; the answer is kept", update_id)
        return
    # Only Telegram's own error texts are logged; any other message might quote user input.
    detail = str(error) if isinstance(error, TelegramError) else ""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("update %s failed: %s %s\n%s", update_id, type(error).__name__, detail, frames)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = normalise_language(user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, t("telegram.error", lang))
    except TelegramError as exc:
        log.warning("could not tell the chat about the failure: %s", type(exc).__name__)


async def slow_down(app: Application[Any, Any, Any, Any, Any, Any], update: object) -> None:
    """Ask a chat that writes faster than it is answered to slow down (once a burst)."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    chat_id = update.effective_chat.id
    try:
        settings = await app.bot_data[CHATS].get(chat_id)
    except StorageError:
        settings = ChatSettings(chat_id)
    try:
        await app.bot.send_message(chat_id, t("telegram.slow_down", language_of(update, settings)))
    except TelegramError as exc:
        log.warning("could not ask a chat to slow down: %s", type(exc).__name__)
