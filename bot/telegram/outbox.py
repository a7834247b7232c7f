"""Every outgoing Bot API call passes here: flood limits, retries, and the /wis memory.

PTB's AIORateLimiter keeps the bot within Telegram's flood limits and retries a 429 after its
`retry_after`. On top of that a call that fails on the network is tried again: a 5xx or a
dropped connection for about 15 seconds (backing off), so an answer outlives a short outage; a
timeout three times, since a timed-out send may have arrived all the same and each retry can
then show it twice: for a bot that tells people where to get help, twice is better than never.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

from bot.telegram.memory import MessageMemory

log = logging.getLogger(__name__)

BACKOFF: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)  # 15.7 s in all
TIMEOUT_RETRIES = 3
# The runner tries these again itself, for as long as Telegram cannot be reached, one log line
# a try: retrying them here too would only add lines.
RETRIED_BY_CALLER = frozenset({"getMe", "setWebhook", "deleteWebhook"})
RETRY_AFTER_RETRIES = 3

JSON = bool | dict[str, Any] | list[dict[str, Any]]


class Outbox(AIORateLimiter):
    """AIORateLimiter that also retries network failures and remembers what it sent."""

    def __init__(
        self,
        memory: MessageMemory,
        *,
        backoff: Sequence[float] = BACKOFF,
        overall_max_rate: float = 30,
        group_max_rate: float = 20,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            group_max_rate=group_max_rate,
            max_retries=RETRY_AFTER_RETRIES,
        )
        self.memory = memory
        self.backoff = tuple(backoff)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        """Send one call within the limits, retrying network failures; note sent messages."""
        attempt = 0
        while True:
            try:
                result = await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
                break
            except BadRequest:
                raise
            except NetworkError as exc:  # includes TimedOut; BadRequest is not a network fault
                retries = TIMEOUT_RETRIES if isinstance(exc, TimedOut) else len(self.backoff)
                if endpoint in RETRIED_BY_CALLER or attempt >= min(retries, len(self.backoff)):
                    raise
                log.warning("%s failed (%s); retry %d", endpoint, type(exc).__name__, attempt + 1)
                await asyncio.sleep(self.backoff[attempt])
                attempt += 1
        self._remember(result)
        return result

    def _remember(self, result: JSON) -> None:
        messages = result if isinstance(result, list) else [result]
        for message in messages:
            if isinstance(message, dict) and "message_id" in message and "chat" in message:
                self.memory.remember(int(message["chat"]["id"]), int(message["message_id"]))
