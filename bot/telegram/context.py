"""What every handler reaches through its context: the services, the chat's language, the memory.

Handlers of every module (also spreekuren and stats) are typed `(update: Update, context:
Context)`; the builder installs `Context` through PTB's ContextTypes.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.chatsettings import ChatSettings, ChatSettingsStore
from bot.i18n import normalise_language
from bot.routing import RouteResult
from bot.services import Services
from bot.telegram.memory import MessageMemory

SERVICES = "services"
MEMORY = "memory"
CHATS = "chats"


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context with Meldwijzer's services at hand.

    One context serves every handler of an update: `routed` carries the danger check's route
    result of the update's text on to the question handler, so a text is routed once.
    """

    routed: tuple[str, RouteResult | None] | None = None

    @property
    def services(self) -> Services:
        """The core services (settings, router, database, stats)."""
        return self.application.bot_data[SERVICES]  # type: ignore[no-any-return]

    @property
    def memory(self) -> MessageMemory:
        """Recent message ids per chat, for /wis."""
        return self.application.bot_data[MEMORY]  # type: ignore[no-any-return]

    @property
    def chats(self) -> ChatSettingsStore:
        """The per-chat settings (language, area), read through a cache."""
        return self.application.bot_data[CHATS]  # type: ignore[no-any-return]

    async def chat_settings(self, update: Update) -> ChatSettings:
        """The stored settings of the update's chat (empty when none)."""
        chat = update.effective_chat
        if chat is None:
            return ChatSettings(0)
        return await self.chats.get(chat.id)

    async def language(self, update: Update) -> str:
        """The chat's chosen language, else the sender's Telegram language (nl or en)."""
        return language_of(update, await self.chat_settings(update))


def language_of(update: Update, settings: ChatSettings) -> str:
    """The chosen language in SETTINGS, else Dutch for Dutch Telegram users, English otherwise."""
    if settings.language:
        return settings.language
    user = update.effective_user
    return normalise_language(user.language_code if user else None)


MeldwijzerApp = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
