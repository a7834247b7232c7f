"""A fake Telegram Bot API server on 127.0.0.1 for tests and the benchmark.

It speaks enough HTTP/1.1 (keep-alive, form, multipart and JSON bodies) for python-telegram-bot's
httpx stack, records every method call, answers with valid Bot API JSON, checks what Telegram
checks (4096 characters, well-formed HTML, 64-byte callback data, command names) and can be told
to misbehave: a 500, a 429 with `parameters.retry_after`, a slow answer, a dropped connection,
or to hold a method's calls unanswered (`hold`) until `release`, as a stalled Telegram would.

Run as a script it serves until killed and generates load for bench/telegram_bench.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.parser
import email.policy
import gc
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

TOKEN = "123456789:TEST-token-for-the-fake-bot-api"
BOT_ID = 123456789
BOT_USERNAME = "meldwijzer_test_bot"

# Parameters PTB sends as JSON text inside a form field.
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "message_ids",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "media",
    "menu_button",
}
_TEXT_FIELDS = {"text", "caption", "description", "query"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "from_chat_id"}
_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-z-]+)(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class BotAPIError(Exception):
    """A request Telegram would refuse: answered with status and description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class Call:
    """One method call as the server saw it."""

    method: str
    params: dict[str, Any]
    outcome: str  # ok | rejected | 500 | 429 | slow | dropped | held | released | lost
    at: float
    result: Any = None


@dataclass
class Fault:
    """A misbehaviour for the next matching call(s)."""

    kind: str  # 500 | 429 | slow | drop
    method: str | None
    times: int
    retry_after: int = 1
    delay: float = 2.0


@dataclass
class _Chat:
    next_id: int = 1


@dataclass
class FakeBotAPI:
    """The server; `start()` it inside the running event loop and pass `base_url` to the bot."""

    token: str = TOKEN
    username: str = BOT_USERNAME
    bot_id: int = BOT_ID
    calls: list[Call] = field(default_factory=list)
    on_call: Callable[[Call], None] | None = None
    keep_calls: bool = True  # the benchmark only counts, through on_call
    _faults: list[Fault] = field(default_factory=list)
    _chats: dict[int, _Chat] = field(default_factory=lambda: defaultdict(_Chat))
    _updates: deque[dict[str, Any]] = field(default_factory=deque)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _new_update: asyncio.Event | None = None
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _holds: dict[str, asyncio.Event] = field(default_factory=dict)
    port: int = 0
    confirmed: int = 0  # the highest getUpdates offset asked for: every update below is read

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeBotAPI:
        """Listen on 127.0.0.1 (a free port unless PORT is given)."""
        self._new_update = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._new_update:
            self._new_update.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)
        self._server = None

    @property
    def base_url(self) -> str:
        """The `TELEGRAM_API_URL` / PTB `base_url` of this server (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what tests use -----------------------------------------------------------------------

    def fail(
        self,
        kind: str,
        method: str | None = None,
        times: int = 1,
        *,
        retry_after: int = 1,
        delay: float = 2.0,
    ) -> None:
        """Misbehave on the next TIMES calls of METHOD (any method but getUpdates when None)."""
        if kind not in ("500", "429", "slow", "drop"):
            raise ValueError(f"unknown fault {kind}")
        self._faults.append(Fault(kind, method, times, retry_after, delay))

    def hold(self, method: str) -> None:
        """Keep every call of METHOD waiting, unanswered and not carried out, until `release`.

        A held call whose client goes away (e.g. killed) is recorded as "lost": never carried out.
        """
        self._holds.setdefault(method, asyncio.Event())

    def release(self, method: str) -> None:
        """Carry out and answer the held calls of METHOD, and every later one at once."""
        event = self._holds.pop(method, None)
        if event is not None:
            event.set()

    def held(self, method: str) -> list[Call]:
        """The calls of METHOD waiting now."""
        return self.of(method, "held")

    def heal(self) -> None:
        """End every misbehaviour not yet used up (the end of an outage)."""
        self._faults.clear()

    def next_message_id(self, chat_id: int) -> int:
        """A fresh message id in CHAT_ID (shared by both directions, as in Telegram)."""
        chat = self._chats[chat_id]
        chat.next_id += 1
        return chat.next_id - 1

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        if self._new_update:
            self._new_update.set()
        return int(update["update_id"])

    def new_update_id(self) -> int:
        """A fresh update id (for updates fed to the bot directly)."""
        return next(self._update_ids)

    def texts_to(self, chat: int, start: int = 0) -> list[str]:
        """The visible texts that reached CHAT since call START."""
        return [
            visible_text(c.params["text"])
            for c in self.calls[start:]
            if c.method == "sendMessage" and c.params.get("chat_id") == chat and c.outcome == "ok"
        ]

    def button_press(self, user: int, label: str) -> dict[str, Any]:
        """A callback_query: USER presses the button LABEL under the bot's last message to them."""
        last = [
            c
            for c in self.calls
            if c.method == "sendMessage" and c.params.get("chat_id") == user and c.outcome == "ok"
        ][-1]
        rows = last.params["reply_markup"]["inline_keyboard"]
        data = next(b["callback_data"] for row in rows for b in row if label in b["text"])
        return {
            "id": str(time.monotonic_ns()),
            "chat_instance": str(user),
            "data": data,
            "from": {"id": user, "is_bot": False, "first_name": "A", "language_code": "en"},
            "message": dict(last.result),
        }

    def of(self, method: str, outcome: str | None = "ok") -> list[Call]:
        """The calls of METHOD with OUTCOME (every outcome when None)."""
        return [
            c
            for c in self.calls
            if c.method == method and (outcome is None or c.outcome == outcome)
        ]

    def rejected(self) -> list[Call]:
        """Calls Telegram would have refused (bad HTML, too long, bad buttons, ...)."""
        return [c for c in self.calls if c.outcome == "rejected"]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until PREDICATE holds, or fail after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Bot API did not see the expected calls in time")
            await asyncio.sleep(0.01)

    # -- HTTP ---------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                parts = request_line.split(" ")
                if len(parts) != 3:
                    return
                path = parts[1]
                headers = {}
                for line in header_lines:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await _read_body(reader, headers)
                keep = await self._handle(path, headers, body, reader, writer)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _handle(
        self,
        path: str,
        headers: dict[str, str],
        body: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            await _respond(
                writer, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return True
        method = path[len(prefix) :].split("?")[0]
        params = _parse_params(headers.get("content-type", ""), body)
        fault = self._take_fault(method)
        call = Call(method, params, "ok", time.monotonic())
        if fault is not None:
            return await self._misbehave(fault, call, writer)
        if method in self._holds and not await self._wait_held(call, reader):
            return False
        try:
            result = await self._dispatch(method, params)
        except BotAPIError as exc:
            call.outcome = "rejected"
            self._record(call)
            await _respond(
                writer,
                exc.status,
                {"ok": False, "error_code": exc.status, "description": exc.description},
            )
            return True
        call.result = result
        if method != "getUpdates" or result:
            self._record(call)
        await _respond(writer, 200, {"ok": True, "result": result})
        return True

    async def _misbehave(self, fault: Fault, call: Call, writer: asyncio.StreamWriter) -> bool:
        if fault.kind == "drop":
            call.outcome = "dropped"
            self._record(call)
            writer.transport.abort()
            return False
        if fault.kind == "500":
            call.outcome = "500"
            self._record(call)
            await _respond(
                writer,
                500,
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
            )
            return True
        if fault.kind == "429":
            call.outcome = "429"
            self._record(call)
            await _respond(
                writer,
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after},
                },
            )
            return True
        # slow: the client gives up before the answer comes; the answer is then written into
        # a closed connection, as a lost response on a bad network would be.
        call.outcome = "slow"
        self._record(call)
        try:
            result = await self._dispatch(call.method, call.params)
        except BotAPIError:
            result = True
        await asyncio.sleep(fault.delay)
        with contextlib.suppress(Exception):
            await _respond(writer, 200, {"ok": True, "result": result})
        return False

    async def _wait_held(self, call: Call, reader: asyncio.StreamReader) -> bool:
        """Hold CALL until its method is released (True) or its client goes away (False).

        The wait is recorded as a call of its own: "held", then "released" or "lost".
        """
        wait = Call(call.method, call.params, "held", call.at)
        self._record(wait)
        released = asyncio.ensure_future(self._holds[call.method].wait())
        gone = asyncio.ensure_future(reader.read(1))  # b"" once the client closed
        await asyncio.wait({released, gone}, return_when=asyncio.FIRST_COMPLETED)
        if gone.done() or reader.at_eof():
            released.cancel()
            wait.outcome = "lost"
            return False
        gone.cancel()
        wait.outcome = "released"
        call.at = time.monotonic()
        return True

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method == method or (fault.method is None and method != "getUpdates"):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _record(self, call: Call) -> None:
        if self.keep_calls:
            self.calls.append(call)
        if self.on_call:
            self.on_call(call)

    # -- the Bot API ----------------------------------------------------------------------------

    async def _dispatch(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.bot_user() | {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            return await self._get_updates(p)
        if method in ("sendMessage", "editMessageText"):
            _check_text(p.get("text"), p.get("parse_mode"), 4096)
            _check_markup(p.get("reply_markup"))
            if method == "editMessageText":
                return self._message(p, int(p["message_id"]))
            return self._message(p)
        if method in (
            "sendPhoto",
            "sendDocument",
            "sendVoice",
            "sendAudio",
            "sendVideo",
            "sendAnimation",
            "sendSticker",
            "sendLocation",
            "sendContact",
            "sendVenue",
        ):
            if "caption" in p:
                _check_text(p["caption"], p.get("parse_mode"), 1024)
            _check_markup(p.get("reply_markup"))
            return self._message(p)
        if method == "editMessageReplyMarkup":
            _check_markup(p.get("reply_markup"))
            return self._message(p, int(p["message_id"]))
        if method == "answerCallbackQuery":
            if len(str(p.get("text") or "")) > 200:
                raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
            return True
        if method == "deleteMessages":
            ids = p.get("message_ids") or []
            if not 1 <= len(ids) <= 100:
                raise BotAPIError(400, "Bad Request: message_ids must hold 1-100 ids")
            return True
        if method == "setMyCommands":
            for command in p.get("commands") or []:
                if not _COMMAND.match(str(command.get("command", ""))):
                    raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
                if not 1 <= len(str(command.get("description", ""))) <= 256:
                    raise BotAPIError(400, "Bad Request: command description is invalid")
            return True
        if method == "getMyCommands":
            return []
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method in (
            "deleteMessage",
            "deleteMyCommands",
            "setWebhook",
            "deleteWebhook",
            "sendChatAction",
            "setChatMenuButton",
            "setMyDescription",
            "close",
            "logOut",
        ):
            return True
        raise BotAPIError(404, "Not Found: method not found")

    def bot_user(self) -> dict[str, Any]:
        """The bot as a Telegram User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Meldwijzer",
            "username": self.username,
        }

    def _message(self, p: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        message: dict[str, Any] = {
            "message_id": message_id or self.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat_object(chat_id),
            "from": self.bot_user(),
        }
        if "text" in p:
            message["text"] = p["text"]
        if "caption" in p:
            message["caption"] = p["caption"]
        markup = p.get("reply_markup")
        # Only inline keyboards come back on a Message; PTB cannot parse anything else there.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        timeout = float(p.get("timeout") or 0)
        self.confirmed = max(self.confirmed, offset)
        while self._updates and int(self._updates[0]["update_id"]) < offset:
            self._updates.popleft()
        if not self._updates and timeout > 0 and self._new_update is not None:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return [u for u in itertools.islice(self._updates, limit) if int(u["update_id"]) >= offset]


def chat_object(chat_id: int) -> dict[str, Any]:
    """A Chat object: private for positive ids, a (super)group for negative ones."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Bewoner"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": "Wijkteam"}


# -- validation as Telegram does it ----------------------------------------------------------


def visible_text(html: str) -> str:
    """The text a reader sees of Telegram HTML (tags removed, entities decoded)."""
    import html as html_lib

    return html_lib.unescape(_TAG.sub("", html))


def _check_text(text: Any, parse_mode: Any, limit: int) -> None:
    if not isinstance(text, str) or not text.strip():
        raise BotAPIError(400, "Bad Request: message text is empty")
    shown = visible_text(text) if parse_mode == "HTML" else text
    if len(shown) > limit:
        raise BotAPIError(400, "Bad Request: message is too long")
    if parse_mode == "HTML":
        _check_html(text)


def _check_html(text: str) -> None:
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            match = _TAG.match(text, pos)
            if not match or match.group(2) not in _TAGS:
                raise BotAPIError(
                    400,
                    f"Bad Request: can't parse entities: unsupported tag at offset {pos}",
                )
            closing, name = match.group(1), match.group(2)
            if closing:
                if not stack or stack.pop() != name:
                    raise BotAPIError(
                        400,
                        f"Bad Request: can't parse entities: unmatched end tag at offset {pos}",
                    )
            else:
                stack.append(name)
            pos = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, pos)
            if not match:
                raise BotAPIError(
                    400, f"Bad Request: can't parse entities: bare & at byte offset {pos}"
                )
            pos = match.end()
        else:
            pos += 1
    if stack:
        raise BotAPIError(400, "Bad Request: can't parse entities: can't find end tag")


def _check_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")).strip():
                raise BotAPIError(400, "Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            url = button.get("url")
            if (data is None) == (url is None):
                raise BotAPIError(
                    400, "Bad Request: a button needs exactly one of url, callback_data"
                )
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
            if url is not None and not re.match(r"^(https?|tg)://", str(url)):
                raise BotAPIError(400, "Bad Request: BUTTON_URL_INVALID")


# -- HTTP plumbing ----------------------------------------------------------------------------


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length", "0") or 0)
    return await reader.readexactly(length) if length else b""


def _parse_params(content_type: str, body: bytes) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if not body:
        return raw
    if content_type.startswith("application/json"):
        raw = json.loads(body)
        return raw
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                raw[str(name)] = {"filename": part.get_filename(), "size": len(payload)}
            else:
                raw[str(name)] = payload.decode("utf-8")
    else:
        raw = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _JSON_FIELDS and isinstance(value, str):
            params[key] = json.loads(value)
        elif key in _INT_FIELDS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            params[key] = int(value)
        elif key not in _TEXT_FIELDS and value in ("true", "false"):
            params[key] = value == "true"
        else:
            params[key] = value
    return params


async def _respond(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
    await writer.drain()


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


# -- load generation for the benchmark ----------------------------------------------------------


@dataclass
class Load:
    """Open-loop load: RATE text messages per second from USERS private chats for SECONDS.

    Every reply counts for the throughput; latencies are timed after the first WARMUP seconds
    (one-off costs: connections opened, caches filled).
    """

    api: FakeBotAPI
    texts: list[str]
    rate: float
    users: int
    seconds: float
    warmup: float = 1.0
    webhooks: list[str] = field(default_factory=list)  # post updates here (round-robin), not poll
    secret: str = ""  # the webhooks' X-Telegram-Bot-Api-Secret-Token
    pending: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    answered: int = 0
    first: float = 0.0
    last_reply: float = 0.0

    def on_call(self, call: Call) -> None:
        """Match each reply to the oldest unanswered message of its chat."""
        if call.method != "sendMessage" or call.outcome != "ok":
            return
        queue = self.pending.get(int(call.params["chat_id"]))
        if queue:
            sent_at = queue.popleft()
            self.answered += 1
            self.last_reply = call.at
            if sent_at - self.first >= self.warmup:
                self.latencies.append(call.at - sent_at)

    async def run(self) -> None:
        """Push the messages on schedule."""
        self.api.on_call = self.on_call
        posts: set[asyncio.Task[None]] = set()
        n = len(self.webhooks)
        client = None
        if self.webhooks:
            # aiohttp, not httpx: about a quarter of the CPU a call, and this process shares the
            # machine's two cores with the workers it measures.
            import aiohttp

            client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64 * n),
                timeout=aiohttp.ClientTimeout(total=60.0),
            )
        interval = 1.0 / self.rate
        total = int(self.rate * self.seconds)
        self.first = time.monotonic()
        for i in range(total):
            delay = self.first + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            user = 1000 + i % self.users
            self.pending[user].append(time.monotonic())
            update = text_update(self.api, user, self.texts[i % len(self.texts)])
            if self.webhooks:
                update["update_id"] = self.api.new_update_id()
                posts.add(asyncio.create_task(self._post(client, self.webhooks[i % n], update)))
                posts = {p for p in posts if not p.done()}
            else:
                self.api.push_update(update)
            self.sent += 1
        if posts:
            await asyncio.gather(*posts)
        if client is not None:
            await client.close()

    async def _post(self, client: Any, url: str, update: dict[str, Any]) -> None:
        """One webhook call, as Telegram makes it (a failure is a message never answered)."""
        with contextlib.suppress(Exception):
            async with client.post(url, json=update, headers={SECRET_HEADER: self.secret}) as r:
                await r.read()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait (up to TIMEOUT seconds) for the replies still on their way."""
        with contextlib.suppress(TimeoutError):
            await self.api.wait_for(lambda: self.answered >= self.sent, timeout=timeout)

    def result(self) -> dict[str, Any]:
        """The figures measured so far."""
        lat = sorted(self.latencies)
        elapsed = self.last_reply - self.first if self.answered else 0.0

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

        return {
            "sent": self.sent,
            "answered": self.answered,
            "updates_per_s": self.answered / elapsed if elapsed else 0.0,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": lat[-1] * 1000 if lat else 0.0,
        }


def text_update(
    api: FakeBotAPI, user_id: int, text: str, language_code: str = "nl"
) -> dict[str, Any]:
    """A private text message from USER_ID as Telegram delivers it."""
    message: dict[str, Any] = {
        "message_id": api.next_message_id(user_id),
        "date": int(time.time()),
        "chat": chat_object(user_id),
        "from": {
            "id": user_id,
            "is_bot": False,
            "first_name": "Bewoner",
            "language_code": language_code,
        },
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


async def _serve_forever(port: int) -> None:
    api = await FakeBotAPI(keep_calls=False).start(port)
    gc.freeze()  # the server's own pauses would count as the bot's latency
    print(f"PORT {api.port}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), __import__("sys").stdin
    )
    # Control protocol on stdin, one JSON object a line: {"load": {...}} then {"result": true}.
    load: Load | None = None
    task: asyncio.Task[None] | None = None
    while line := await reader.readline():
        order = json.loads(line)
        if "load" in order:
            load = Load(api, **order["load"])
            task = asyncio.create_task(load.run())
            print(json.dumps({"started": True}), flush=True)
        elif "result" in order and load is not None:
            if task is not None:
                await task
            # the last replies may still be on their way
            await load.settle()
            print(json.dumps(load.result()), flush=True)
    await api.stop()


def main() -> None:
    """Serve until standard input closes (for the benchmark)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.port))


if __name__ == "__main__":
    main()
