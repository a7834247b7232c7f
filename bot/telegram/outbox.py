"""Every outgoing Bot API call passes here: flood limits, retries, kept answers, the /wis memory.

PTB's AIORateLimiter keeps the bot within Telegram's flood limits and retries a 429 after its
`retry_after`. On top of that a call that fails on the network is tried again: a 5xx or a
dropped connection for about 15 seconds (backing off), so an answer outlives a short outage; a
timeout three times, since a timed-out send may have arrived all the same and each retry can
then show it twice: for a bot that tells people where to get help, twice is better than never.

A message that still cannot be sent is kept (bot.telegram.kept: bounded, in memory) and the
caller gets `Kept`. One task then tries the next kept message now and then, emergency answers
first, each chat's in order, sooner when another call gets through. While a chat has messages
kept, its new ones are kept behind them at once, so nothing arrives out of order.

Messages sent inside `urgent()` (the emergency card) skip the flood limit's queue: 20 busy
chats can fill it for seconds, and 112 must not wait behind a litter report.

Telegram's limit of about 30 messages a second is for the whole bot, however many workers send
for it: the limit over all chats is this module's own (PTB's is off), so that workers sharing a
database can split it (`share`, from the number of workers beating: bot.inbox.live_workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter

from bot.telegram.kept import KeptMessage, KeptMessages
from bot.telegram.memory import MessageMemory

log = logging.getLogger(__name__)

BACKOFF: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)  # 15.7 s in all
TIMEOUT_RETRIES = 3
# The runner tries these again itself, for as long as Telegram cannot be reached, one log line
# a try: retrying them here too would only add lines.
RETRIED_BY_CALLER = frozenset({"getMe", "setWebhook", "deleteWebhook"})
RETRY_AFTER_RETRIES = 3
PROBE: tuple[float, ...] = (1.0, 2.0, 5.0)  # between tries of a kept message; the last repeats
MISSES = 3  # tries of one kept message that fail while other calls get through: given up
KEPT_METHODS = frozenset({"sendMessage"})  # answers; an edit or a button's toast is moot later

JSON = bool | dict[str, Any] | list[dict[str, Any]]

_urgent: ContextVar[bool] = ContextVar("urgent", default=False)
_answering: ContextVar[int | None] = ContextVar("answering", default=None)


class Kept(NetworkError):
    """The message could not be sent now; it is kept and delivered once Telegram takes it."""


@contextlib.contextmanager
def urgent(flag: bool = True) -> Iterator[None]:
    """Messages sent inside are emergency answers: delivered first after an outage."""
    token = _urgent.set(flag)
    try:
        yield
    finally:
        _urgent.reset(token)


@contextlib.contextmanager
def answering(update_id: int | None) -> Iterator[None]:
    """Messages sent inside answer UPDATE_ID: a kept one holds the update open (`settled`)."""
    token = _answering.set(update_id)
    try:
        yield
    finally:
        _answering.reset(token)


class Outbox(AIORateLimiter):
    """AIORateLimiter that also retries network failures, keeps what it could not send and
    remembers what it sent."""

    def __init__(
        self,
        memory: MessageMemory,
        *,
        backoff: Sequence[float] = BACKOFF,
        probe: Sequence[float] = PROBE,
        kept: KeptMessages | None = None,
        overall_max_rate: float = 30,
        group_max_rate: float = 20,
    ) -> None:
        super().__init__(
            overall_max_rate=0,  # ours (see `share`); PTB keeps the per-group limit
            group_max_rate=group_max_rate,
            max_retries=RETRY_AFTER_RETRIES,
        )
        self.bot_rate = overall_max_rate  # the whole bot's, over all chats; 0: no limit
        self._overall = AsyncLimiter(overall_max_rate, 1) if overall_max_rate else None
        self.memory = memory
        self.backoff = tuple(backoff)
        self.probe = tuple(probe)
        self.kept = kept if kept is not None else KeptMessages()
        self._got_through = asyncio.Event()  # a call succeeded since the last kept one's try
        self._delivering: asyncio.Task[None] | None = None
        # Called with an update id once no answer to it is kept any more (delivered or given up).
        self.settled: Callable[[int], None] = lambda update_id: None

    @property
    def rate(self) -> float:
        """Messages a second this process may send over all chats (0: no limit)."""
        return self._overall.max_rate if self._overall is not None else 0.0

    def share(self, workers: int) -> None:
        """Send 1/WORKERS of the bot's limit: that many workers send for the same bot."""
        rate = self.bot_rate / max(1, workers)
        if self._overall is not None and self._overall.max_rate != rate:
            log.info("%d workers send for this bot: %.1f messages a second each", workers, rate)
            self._overall = AsyncLimiter(rate, 1)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        """Send one call within the limits, retrying network failures; an answer that still
        fails is kept (`Kept` is raised); note sent messages."""
        urgent = _urgent.get()
        once = functools.partial(
            self._send_once, callback, args, kwargs, endpoint, data, rate_limit_args, urgent
        )
        chat_id = _chat_id(data) if endpoint in KEPT_METHODS else None
        if chat_id is not None and self.kept.holds(chat_id) and self._keep(chat_id, urgent, once):
            raise Kept("kept behind the chat's earlier messages")
        try:
            result = await self._with_retries(once, endpoint)
        except BadRequest:
            raise
        except NetworkError as exc:
            if chat_id is None or not self._keep(chat_id, urgent, once):
                raise
            raise Kept(f"kept for delivery after {type(exc).__name__}") from exc
        if chat_id is not None:
            self._got_through.set()
        return result

    async def _with_retries(self, once: Callable[[], Awaitable[JSON]], endpoint: str) -> JSON:
        attempt = 0
        while True:
            try:
                return await once()
            except BadRequest:
                raise
            except NetworkError as exc:  # includes TimedOut; BadRequest is not a network fault
                retries = TIMEOUT_RETRIES if isinstance(exc, TimedOut) else len(self.backoff)
                if endpoint in RETRIED_BY_CALLER or attempt >= min(retries, len(self.backoff)):
                    raise
                log.warning("%s failed (%s); retry %d", endpoint, type(exc).__name__, attempt + 1)
                await asyncio.sleep(self.backoff[attempt])
                attempt += 1

    async def _send_once(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
        urgent: bool,
    ) -> JSON:
        # An emergency answer does not queue behind the flood limit's backlog: to the limiter
        # it has no chat (it reads the chat from DATA only). A 429 is still waited out.
        limited_as = {} if urgent else data
        overall = self._overall if limited_as.get("chat_id") is not None else None
        async with overall or contextlib.nullcontext():
            result = await super().process_request(
                callback, args, kwargs, endpoint, limited_as, rate_limit_args
            )
        self._remember(result)
        return result

    def _keep(self, chat_id: int, urgent: bool, once: Callable[[], Awaitable[JSON]]) -> bool:
        """Keep the call for later delivery; False when it cannot be kept."""
        if not self.kept.keep(KeptMessage(chat_id, urgent, once, _answering.get())):
            return False
        if self._delivering is None or self._delivering.done():
            self._delivering = asyncio.create_task(self._deliver_kept(), name="deliver kept")
        return True

    async def _deliver_kept(self) -> None:
        """Try the next kept message until all are delivered (or given up)."""
        pauses = 0
        while (message := self.kept.first()) is not None:
            self._got_through.clear()
            try:
                await message.send()
            except TelegramError as exc:
                message.misses += self._got_through.is_set()  # other answers got through
                if _refused_for_good(exc) or message.misses >= MISSES:
                    log.warning("a kept message was given up: %s", type(exc).__name__)
                    self._forget(message)
                    continue
                with contextlib.suppress(TimeoutError):
                    pause = self.probe[min(pauses, len(self.probe) - 1)]
                    await asyncio.wait_for(self._got_through.wait(), pause)
                pauses += 1
                continue
            self._forget(message)
            pauses = 0

    def _forget(self, message: KeptMessage) -> None:
        self.kept.remove(message)
        if message.update_id is not None and not self.kept.answer_kept(message.update_id):
            self.settled(message.update_id)

    async def shutdown(self) -> None:
        """Stop delivering; say how many kept messages are lost with the stop."""
        task, self._delivering = self._delivering, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            log.warning(
                "%d kept messages are lost with the stop; the next start answers their updates",
                len(self.kept),
            )
        await super().shutdown()

    def _remember(self, result: JSON) -> None:
        messages = result if isinstance(result, list) else [result]
        for message in messages:
            if isinstance(message, dict) and "message_id" in message and "chat" in message:
                self.memory.remember(int(message["chat"]["id"]), int(message["message_id"]))


def _refused_for_good(exc: TelegramError) -> bool:
    """A bad request, a blocked bot, a chat gone: trying again cannot help."""
    return isinstance(exc, BadRequest) or not isinstance(exc, NetworkError | RetryAfter)


def _chat_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None
