"""The two guided conversations: /spreekuur_nieuw (area, date or repeat, times, place, note,
preview, publish; or the one-line form after the command) and /spreekuur_wijzig (pick, field,
value, preview, save; or all after the command). A conversation's draft lives in memory only."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import spreekuren
from bot.dutchdates import parse_schedule, parse_time_range
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.spreekuren import Draft, Spreekuur, SpreekuurError
from bot.storage import StorageError
from bot.telegram.context import CHATS, Context, language_of
from bot.telegram.render import esc
from bot.telegram.spreekuren.common import (
    END,
    answering,
    button,
    callback_data,
    command_text,
    directory,
    keyboard,
    message_text,
    mine,
    now_of,
    own,
    parse_number,
    say_text,
    short,
    user_id,
)

log = logging.getLogger(__name__)

DRAFT = "spreekuur_draft"  # user_data: the guided conversation's answers so far (memory only)
NEW, EDIT = "spn", "spw"  # callback prefixes of the two conversations' buttons
TIMEOUT = 30 * 60  # seconds a guided conversation waits for the next answer
STOP_COMMANDS = ("afbreken", "cancel")

AREA, WHEN, TIMES, PLACE, NOTE, CONFIRM = range(6)
PICK, FIELD, VALUE, CONFIRM_EDIT = range(10, 14)


def _forget(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)


def _draft(context: Context) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    return data.setdefault(DRAFT, {})  # type: ignore[no-any-return]


def _stop_row(lang: str, prefix: str) -> list[InlineKeyboardButton]:
    return [button(t("spreekuren.tg.stop_button", lang), f"{prefix}:stop")]


async def _ask(
    update: Update,
    context: Context,
    key: str,
    lang: str,
    prefix: str = NEW,
    extra: list[list[InlineKeyboardButton]] | None = None,
    **values: object,
) -> None:
    rows = [*(extra or []), _stop_row(lang, prefix)]
    await say_text(update, context, t(key, lang, **values), keyboard(*rows))


@answering
async def new_start(update: Update, context: Context, lang: str) -> int | None:
    """/spreekuur_nieuw: the one-line form when text follows, else the guided conversation."""
    actor, now = user_id(update), now_of(context)
    areas = await directory(context).require_staff(actor, "spreekuur.create", now)
    _forget(context)
    line = command_text(update)
    if line:
        draft = spreekuren.parse_line(line, spreekuren.today_in_maastricht(now))
        stored = await spreekuren.publish(
            context.services.db, directory(context), actor, draft, now
        )
        await _published(update, context, stored, lang)
        return END
    if len(areas) == 1:
        _draft(context)["area"] = areas[0]
        await _ask(
            update,
            context,
            "spreekuren.tg.ask_when_in",
            lang,
            area=spreekuren.area_name(areas[0], lang),
        )
        return WHEN
    rows = [[button(spreekuren.area_name(a, lang), f"{NEW}:area:{a}")] for a in areas]
    await _ask(update, context, "spreekuren.tg.ask_area", lang, extra=rows)
    return AREA


@answering
async def new_area(update: Update, context: Context, lang: str) -> int | None:
    """The area button of the guided conversation."""
    area = callback_data(update).split(":", 2)[-1]
    await directory(context).require_area(
        user_id(update), area, "spreekuur.create", now_of(context)
    )
    _draft(context)["area"] = area
    await _ask(
        update, context, "spreekuren.tg.ask_when_in", lang, area=spreekuren.area_name(area, lang)
    )
    return WHEN


@answering
async def new_when(update: Update, context: Context, lang: str) -> int | None:
    """The date, or a repeat rule with its end date."""
    text = message_text(update)
    today = spreekuren.today_in_maastricht(now_of(context))
    _draft(context)["schedule"] = parse_schedule(text, today)
    await _ask(update, context, "spreekuren.tg.ask_times", lang)
    return TIMES


@answering
async def new_times(update: Update, context: Context, lang: str) -> int | None:
    """Start and end time; a moment already past sends the person back to the date."""
    draft = _draft(context)
    text = message_text(update)
    draft["times"] = parse_time_range(text)
    try:
        spreekuren.validate(
            Draft(draft["area"], draft["schedule"], draft["times"], "-"), now_of(context)
        )
    except SpreekuurError as exc:
        if exc.key != "spreekuren.err.past":
            raise
        await say_text(update, context, exc.message(lang))
        await _ask(update, context, "spreekuren.tg.ask_when", lang)
        return WHEN
    await _ask(update, context, "spreekuren.tg.ask_place", lang)
    return PLACE


@answering
async def new_place(update: Update, context: Context, lang: str) -> int | None:
    """The place."""
    _draft(context)["place"] = spreekuren.parse_place(message_text(update))
    none = [[button(t("spreekuren.tg.no_note_button", lang), f"{NEW}:nonote")]]
    await _ask(update, context, "spreekuren.tg.ask_note", lang, extra=none)
    return NOTE


@answering
async def new_note(update: Update, context: Context, lang: str) -> int | None:
    """The short note (typed, or the "no note" button), then the preview."""
    message = update.effective_message
    text = "" if update.callback_query or message is None else (message.text or "")
    draft = _draft(context)
    draft["note"] = spreekuren.parse_note(text)
    preview = Draft(draft["area"], draft["schedule"], draft["times"], draft["place"], draft["note"])
    today = spreekuren.today_in_maastricht(now_of(context))
    rows = [[button(t("spreekuren.tg.publish_button", lang), f"{NEW}:ok")]]
    await _ask(
        update,
        context,
        "spreekuren.tg.preview",
        lang,
        extra=rows,
        text=spreekuren.describe(preview, lang, today),
    )
    return CONFIRM


@answering
async def new_confirm(update: Update, context: Context, lang: str) -> int | None:
    """Publish the draft; an overlap sends the person back to the time, the past to the date."""
    draft = _draft(context)
    if not {"area", "schedule", "times", "place", "note"} <= set(draft):
        await say_text(update, context, t("spreekuren.tg.expired", lang))
        return END
    preview = Draft(draft["area"], draft["schedule"], draft["times"], draft["place"], draft["note"])
    try:
        stored = await spreekuren.publish(
            context.services.db, directory(context), user_id(update), preview, now_of(context)
        )
    except SpreekuurError as exc:
        await say_text(update, context, exc.message(lang))
        if exc.key == "spreekuren.err.overlap":
            await _ask(update, context, "spreekuren.tg.ask_times", lang)
            return TIMES
        await _ask(update, context, "spreekuren.tg.ask_when", lang)
        return WHEN
    _forget(context)
    await _published(update, context, stored, lang)
    return END


async def _published(update: Update, context: Context, stored: Spreekuur, lang: str) -> None:
    today = spreekuren.today_in_maastricht(now_of(context))
    await say_text(
        update,
        context,
        t("spreekuren.tg.published", lang, text=spreekuren.describe(stored, lang, today)),
    )


@answering
async def stop(update: Update, context: Context, lang: str) -> int:
    """Stop a guided conversation: nothing stored."""
    _forget(context)
    await say_text(update, context, t("spreekuren.tg.stopped", lang))
    return END


@answering
async def stale(update: Update, context: Context, lang: str) -> None:
    """A button of a conversation that is already over: nothing happens, say how to begin."""
    query = update.callback_query
    new = query is not None and (query.data or "").startswith(NEW)
    action = "spreekuur.create" if new else "spreekuur.edit"
    await directory(context).require_staff(user_id(update), action, now_of(context))  # audited
    await say_text(update, context, t("spreekuren.tg.expired", lang))


async def timed_out(update: Update, context: Context) -> None:
    """A guided conversation left alone too long: forget the draft."""
    _forget(context)


# -- staff: edit ------------------------------------------------------------------------------


@answering
async def edit_start(update: Update, context: Context, lang: str) -> int | None:
    """/spreekuur_wijzig [<nr> [<field> [<value>]]]: in one go, or step by step."""
    actor, now = user_id(update), now_of(context)
    await directory(context).require_staff(actor, "spreekuur.edit", now)
    parts = command_text(update).split(maxsplit=2)
    _forget(context)
    if len(parts) == 3:
        stored = await spreekuren.edit(
            context.services.db,
            directory(context),
            actor,
            parse_number(parts[0]),
            parts[1],
            parts[2],
            now,
        )
        await _changed(update, context, stored, lang)
        return END
    if not parts:
        live = await mine(context, actor, "spreekuur.edit")
        if not live:
            await say_text(update, context, t("spreekuren.tg.manage_none", lang))
            return END
        today = spreekuren.today_in_maastricht(now)
        rows = [[button(short(s, lang, today), f"{EDIT}:id:{s.id}")] for s in live]
        await _ask(update, context, "spreekuren.tg.pick_edit", lang, EDIT, extra=rows)
        return PICK
    found = await own(context, actor, parse_number(parts[0]), "spreekuur.edit")
    _draft(context)["id"] = found.id
    if len(parts) == 2:
        _draft(context)["field"] = spreekuren.parse_field(parts[1])
        return await _ask_value(update, context, lang)
    return await _ask_field(update, context, found, lang)


async def _ask_field(update: Update, context: Context, found: Spreekuur, lang: str) -> int:
    today = spreekuren.today_in_maastricht(now_of(context))
    rows = [
        [button(t(f"spreekuren.tg.field.{f}", lang), f"{EDIT}:f:{f}")]
        for f in spreekuren.EDIT_FIELDS
    ]
    await _ask(
        update,
        context,
        "spreekuren.tg.pick_field",
        lang,
        EDIT,
        extra=rows,
        text=spreekuren.describe(found, lang, today),
    )
    return FIELD


async def _ask_value(update: Update, context: Context, lang: str) -> int:
    field = _draft(context)["field"]
    await _ask(update, context, f"spreekuren.tg.ask_value.{field}", lang, EDIT)
    return VALUE


@answering
async def edit_pick(update: Update, context: Context, lang: str) -> int | None:
    """A spreekuur button."""
    number = parse_number(callback_data(update).split(":")[-1])
    found = await own(context, user_id(update), number, "spreekuur.edit")
    _draft(context)["id"] = found.id
    return await _ask_field(update, context, found, lang)


@answering
async def edit_field(update: Update, context: Context, lang: str) -> int | None:
    """A field button."""
    field = callback_data(update).split(":")[-1]
    _draft(context)["field"] = spreekuren.parse_field(field)
    return await _ask_value(update, context, lang)


@answering
async def edit_value(update: Update, context: Context, lang: str) -> int | None:
    """The new value: checked now, shown before and after, stored on confirmation."""
    draft = _draft(context)
    if "id" not in draft or "field" not in draft:
        await say_text(update, context, t("spreekuren.tg.expired", lang))
        return END
    value = message_text(update)
    found = await own(context, user_id(update), draft["id"], "spreekuur.edit")
    now = now_of(context)
    today = spreekuren.today_in_maastricht(now)
    changed = spreekuren.change(found.draft, draft["field"], value, today)
    changed = spreekuren.validate(changed, now, move_first=draft["field"] == "when")
    draft["value"] = value
    rows = [[button(t("spreekuren.tg.save_button", lang), f"{EDIT}:ok")]]
    await _ask(
        update,
        context,
        "spreekuren.tg.preview_edit",
        lang,
        EDIT,
        extra=rows,
        before=spreekuren.describe(found, lang, today),
        after=spreekuren.describe(changed, lang, today),
    )
    return CONFIRM_EDIT


@answering
async def edit_confirm(update: Update, context: Context, lang: str) -> int | None:
    """Store the change."""
    draft = _draft(context)
    if not {"id", "field", "value"} <= set(draft):
        await say_text(update, context, t("spreekuren.tg.expired", lang))
        return END
    try:
        stored = await spreekuren.edit(
            context.services.db,
            directory(context),
            user_id(update),
            draft["id"],
            draft["field"],
            draft["value"],
            now_of(context),
        )
    except SpreekuurError as exc:
        await say_text(update, context, exc.message(lang))
        return await _ask_value(update, context, lang)
    _forget(context)
    await _changed(update, context, stored, lang)
    return END


async def _changed(update: Update, context: Context, stored: Spreekuur, lang: str) -> None:
    today = spreekuren.today_in_maastricht(now_of(context))
    await say_text(
        update,
        context,
        t("spreekuren.tg.changed", lang, text=spreekuren.describe(stored, lang, today)),
    )


def _text() -> filters.BaseFilter:
    return filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Every spreekuren handler: residents, admins, staff (conversations included)."""
    stops: list[BaseHandler[Any, Any, Any]] = [CommandHandler(list(STOP_COMMANDS), stop)]
    with warnings.catch_warnings():  # buttons are tracked per chat and user, not per message
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        new = ConversationHandler(
            entry_points=[CommandHandler("spreekuur_nieuw", new_start)],
            states={
                AREA: [CallbackQueryHandler(new_area, pattern=rf"^{NEW}:area:[a-z-]+$")],
                WHEN: [MessageHandler(_text(), new_when)],
                TIMES: [MessageHandler(_text(), new_times)],
                PLACE: [MessageHandler(_text(), new_place)],
                NOTE: [
                    MessageHandler(_text(), new_note),
                    CallbackQueryHandler(new_note, pattern=rf"^{NEW}:nonote$"),
                ],
                CONFIRM: [CallbackQueryHandler(new_confirm, pattern=rf"^{NEW}:ok$")],
                ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timed_out)],
            },
            fallbacks=[*stops, CallbackQueryHandler(stop, pattern=rf"^{NEW}:stop$")],
            allow_reentry=True,
            conversation_timeout=TIMEOUT,
        )
        edit = ConversationHandler(
            entry_points=[CommandHandler("spreekuur_wijzig", edit_start)],
            states={
                PICK: [CallbackQueryHandler(edit_pick, pattern=rf"^{EDIT}:id:\d+$")],
                FIELD: [CallbackQueryHandler(edit_field, pattern=rf"^{EDIT}:f:[a-z]+$")],
                VALUE: [MessageHandler(_text(), edit_value)],
                CONFIRM_EDIT: [CallbackQueryHandler(edit_confirm, pattern=rf"^{EDIT}:ok$")],
                ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timed_out)],
            },
            fallbacks=[*stops, CallbackQueryHandler(stop, pattern=rf"^{EDIT}:stop$")],
            allow_reentry=True,
            conversation_timeout=TIMEOUT,
        )
    return [
        new,
        edit,
        # a button of a conversation that is over (or of another person's): say so
        CallbackQueryHandler(stale, pattern=rf"^({NEW}|{EDIT}):"),
    ]


async def stopping(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The bot stops: tell everyone half-way a guided conversation that it is not kept.

    A conversation lives in memory only, so a restart ends it; nothing of it was stored. The
    open ones are those with a time-out pending (PTB's `timeout_jobs`, kept while the JobQueue
    runs, as it does under bot.telegram.runner).
    """
    for handler in app.handlers.get(0, []):
        if not isinstance(handler, ConversationHandler):
            continue
        for (chat_id, *_), job in list(handler.timeout_jobs.items()):
            update = getattr(job.data, "update", None)  # the conversation's last update
            try:
                settings = await app.bot_data[CHATS].get(chat_id)
                lang = (
                    language_of(update, settings)
                    if isinstance(update, Update)
                    else settings.language or DEFAULT_LANGUAGE
                )
                await app.bot.send_message(chat_id, esc(t("spreekuren.tg.restarting", lang)))
            except (TelegramError, StorageError) as exc:
                log.warning("could not tell a conversation the bot stops: %s", type(exc).__name__)
        handler.timeout_jobs.clear()
