"""Spreekuren in Telegram (issue 5): what residents see and how staff publish, change and cancel.

Residents: /spreekuren (the chat's area), /spreekuren 6224 | Malberg | noord-oost, and the
"Spreekuren" button under an area card (callback data sp:<area>).
Admins: /staff_toevoegen, /staff_verwijderen, /staff_lijst. Anyone: /mijn_id (the id an admin
needs; nothing is kept).
Staff: /spreekuur_nieuw (a guided conversation, or the one-line form after the command),
/spreekuur_wijzig, /spreekuur_annuleer, /spreekuren_beheer.

Every staff handler asks bot.staff who is asking, behind buttons too (a menu is only a hint),
and a staff command counts only when typed as a new message in a private chat (`not_direct`);
bot.spreekuren checks and stores. Texts staff typed are shown as plain text, escaped for
Telegram HTML, never interpreted. A conversation's draft lives in memory only.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
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
from bot.areas import AreaNotFound, Status
from bot.dutchdates import InputError, parse_date, parse_schedule, parse_time_range
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.services import Services
from bot.spreekuren import Draft, Spreekuur, SpreekuurError
from bot.staff import Refused, StaffDirectory, area_ids, parse_areas
from bot.storage import StorageError
from bot.telegram.context import CHATS, Context, language_of
from bot.telegram.render import SPREEKUREN, esc, parse_callback, split_html

log = logging.getLogger(__name__)

CLOCK = "spreekuren_clock"  # bot_data: a callable giving an aware "now" (tests fix it)
DRAFT = "spreekuur_draft"  # user_data: the guided conversation's answers so far (memory only)
NEW, EDIT, CANCEL = "spn", "spw", "spa"  # callback prefixes of the staff buttons
CARD_LINES = 3  # spreekuren shown on an area card; the button shows them all
PICK_LIMIT = 20  # spreekuren offered as buttons to change or cancel
DATE_BUTTONS = 8  # dates of a series offered to cancel
TIMEOUT = 30 * 60  # seconds a guided conversation waits for the next answer
MAX_ID = 2**53  # above every Telegram user id and spreekuur number; SQLite stops at 2**63

AREA, WHEN, TIMES, PLACE, NOTE, CONFIRM = range(6)
PICK, FIELD, VALUE, CONFIRM_EDIT = range(10, 14)
END = ConversationHandler.END

STAFF_COMMANDS = (
    "spreekuur_nieuw",
    "spreekuur_wijzig",
    "spreekuur_annuleer",
    "spreekuren_beheer",
    "staff_toevoegen",
    "staff_verwijderen",
    "staff_lijst",
    "mijn_id",
)
STOP_COMMANDS = ("afbreken", "cancel")

Handler = Callable[[Update, Context, str], Awaitable[object]]


# -- plumbing ---------------------------------------------------------------------------------


def now_of(context: Context) -> datetime:
    """The current time for this bot (a fixed one in tests)."""
    clock = context.application.bot_data.get(CLOCK, spreekuren.system_clock)
    return clock()  # type: ignore[no-any-return]


def directory(context: Context) -> StaffDirectory:
    """Admins and staff, on the bot's database."""
    services = context.services
    return StaffDirectory(services.db, services.settings.admins)


def user_id(update: Update) -> int:
    """The Telegram user id of whoever sent the update (0 when there is none)."""
    return update.effective_user.id if update.effective_user else 0


async def say(
    update: Update, context: Context, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send HTML (already escaped) to the update's chat, split when over Telegram's limit."""
    chat = update.effective_chat
    if chat is None:
        return
    parts = split_html(html)
    for index, part in enumerate(parts):
        markup = keyboard if index == len(parts) - 1 else None
        await context.bot.send_message(chat.id, part, reply_markup=markup)


async def say_text(
    update: Update, context: Context, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send plain TEXT (escaped here)."""
    await say(update, context, esc(text), keyboard)


def answering(func: Handler) -> Callable[[Update, Context], Awaitable[object]]:
    """Wrap a handler: language first, every refusal and bad input answered kindly.

    A bad input keeps a conversation where it is (None); a refusal ends it.
    """

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> object:
        lang = await context.language(update)
        if update.callback_query is not None:
            await update.callback_query.answer()
        try:
            return await func(update, context, lang)
        except Refused as exc:
            # The draft stays: the refusal may be of another command or a forged button while
            # a guided conversation goes on (every start clears the draft anyway).
            await say_text(update, context, exc.message(lang))
            return END
        except InputError as exc:
            await say_text(update, context, exc.message(lang))
            return None
        except StorageError as exc:
            log.warning("spreekuren: the database failed: %s", exc)
            await say_text(update, context, t("spreekuren.tg.storage_error", lang))
            return None

    return wrapper


def command_text(update: Update) -> str:
    """What follows the command in the message, spacing and '|' kept."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    return message.text.partition(" ")[2].strip() if " " in message.text else ""


def button(label: str, data: str) -> InlineKeyboardButton:
    """An inline button with callback DATA."""
    return InlineKeyboardButton(label, callback_data=data)


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """An inline keyboard of ROWS."""
    return InlineKeyboardMarkup([list(r) for r in rows])


# -- residents --------------------------------------------------------------------------------


async def listing_html(context: Context, area: str, lang: str) -> str:
    """The resident's list for AREA as Telegram HTML, heading in bold."""
    now = now_of(context)
    items = await spreekuren.upcoming(context.services.db, area, now)
    contacts = spreekuren.team_contacts(context.services.router.meldkaart)
    text = spreekuren.render_listing(area, items, lang, now, contacts)
    if not items:
        return esc(text)
    first, _, rest = text.partition("\n")
    return f"<b>{esc(first)}</b>\n{esc(rest)}"


def calendar_keyboard(context: Context, area: str, lang: str) -> InlineKeyboardMarkup | None:
    """A button to the area's iCalendar feed, when the HTTP service's address is known."""
    base = context.services.settings.public_url
    if not base or not base.startswith(("https://", "http://")):
        return None
    url = f"{base}/spreekuren/{area}.ics"
    label = t("spreekuren.tg.calendar", lang)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])


async def show_listing(update: Update, context: Context, area: str, lang: str) -> None:
    """Send the spreekuren of AREA."""
    await say(
        update,
        context,
        await listing_html(context, area, lang),
        calendar_keyboard(context, area, lang),
    )


def area_buttons(
    lang: str, areas: tuple[str, ...] | None = None, prefix: str = SPREEKUREN
) -> InlineKeyboardMarkup:
    """One button per area (callback PREFIX:<area>)."""
    return keyboard(
        *[[button(spreekuren.area_name(a, lang), f"{prefix}:{a}")] for a in (areas or area_ids())]
    )


@answering
async def spreekuren_command(update: Update, context: Context, lang: str) -> None:
    """/spreekuren [postcode, buurt or area]: the list, without storing what was typed."""
    query = command_text(update)
    if query:
        await _listing_for_query(update, context, query, lang)
        return
    settings = await context.chat_settings(update)
    if settings.area in area_ids():
        await show_listing(update, context, settings.area, lang)  # type: ignore[arg-type]
        return
    await say_text(update, context, t("spreekuren.tg.which_area", lang), area_buttons(lang))


async def _listing_for_query(update: Update, context: Context, query: str, lang: str) -> None:
    try:
        result = context.services.areas.lookup(query)
    except AreaNotFound as exc:
        await say_text(
            update,
            context,
            exc.message(lang) + "\n\n" + t("spreekuren.tg.pick_area", lang),
            area_buttons(lang),
        )
        return
    if result.status == Status.FOUND and result.area:
        await show_listing(update, context, result.area, lang)
        return
    if result.status == Status.CHOOSE and result.candidates:
        seen: list[str] = []
        rows = []
        for candidate in result.candidates:
            if candidate.area in seen:
                continue
            seen.append(candidate.area)
            label = t(
                "spreekuren.tg.candidate",
                lang,
                buurt=candidate.buurt,
                area=spreekuren.area_name(candidate.area, lang),
            )
            rows.append([button(label, f"{SPREEKUREN}:{candidate.area}")])
        await say_text(update, context, t("spreekuren.tg.choose", lang), keyboard(*rows))
        return
    await say_text(update, context, t("spreekuren.tg.outside", lang), area_buttons(lang))


@answering
async def spreekuren_button(update: Update, context: Context, lang: str) -> None:
    """The "Spreekuren" button under an area card, and the area buttons: sp:<area>."""
    query = update.callback_query
    parsed = parse_callback(query.data if query else None)
    if parsed is None or parsed.kind != SPREEKUREN or parsed.value not in area_ids():
        await say_text(update, context, t("telegram.button_unknown", lang))
        return
    await show_listing(update, context, parsed.value, lang)


async def card_lines(context: Context, area: str, lang: str) -> list[str]:
    """The next few spreekuren of AREA as lines for the area card (none when the store fails)."""
    try:
        now = now_of(context)
        items = await spreekuren.upcoming(context.services.db, area, now)
    except StorageError as exc:
        log.warning("spreekuren for the area card failed: %s", exc)
        return []
    today = spreekuren.today_in_maastricht(now)
    return [spreekuren.format_occurrence(o, lang, today) for o in items[:CARD_LINES]]


# -- admins -----------------------------------------------------------------------------------


@answering
async def my_id(update: Update, context: Context, lang: str) -> None:
    """/mijn_id: your Telegram user id, to give to an admin (nothing is stored)."""
    await say_text(update, context, t("spreekuren.tg.my_id", lang, id=user_id(update)))


@answering
async def staff_add(update: Update, context: Context, lang: str) -> None:
    """/staff_toevoegen <user id> <area[,area]> [name]."""
    staff, now = directory(context), now_of(context)
    await staff.require_admin(user_id(update), "staff.add", now)
    parts = command_text(update).split(maxsplit=2)
    if len(parts) < 2:
        await say_text(
            update, context, t("spreekuren.tg.staff_add_usage", lang, areas=", ".join(area_ids()))
        )
        return
    member_id = _user_id(parts[0])
    member = await staff.add(
        user_id(update),
        member_id,
        parse_areas(parts[1]),
        now,
        name=parts[2] if len(parts) > 2 else "",
    )
    names = ", ".join(spreekuren.area_name(a, lang) for a in member.areas)
    await say_text(
        update,
        context,
        t(
            "spreekuren.tg.staff_added",
            lang,
            id=member.user_id,
            name=member.name or member.user_id,
            areas=names,
        ),
    )
    await _menu(context, member.user_id, show=True)


@answering
async def staff_remove(update: Update, context: Context, lang: str) -> None:
    """/staff_verwijderen <user id>."""
    staff, now = directory(context), now_of(context)
    await staff.require_admin(user_id(update), "staff.remove", now)
    text = command_text(update)
    if not text:
        await say_text(update, context, t("spreekuren.tg.staff_remove_usage", lang))
        return
    member_id = _user_id(text.split()[0])
    if await staff.remove(user_id(update), member_id, now):
        await say_text(update, context, t("spreekuren.tg.staff_removed", lang, id=member_id))
        await _menu(context, member_id, show=False)
    else:
        await say_text(update, context, t("spreekuren.tg.staff_unknown", lang, id=member_id))


@answering
async def staff_list(update: Update, context: Context, lang: str) -> None:
    """/staff_lijst: every staff member and their areas."""
    staff = directory(context)
    await staff.require_admin(user_id(update), "staff.list", now_of(context))
    members = await staff.members()
    if not members:
        await say_text(update, context, t("spreekuren.tg.staff_none", lang))
        return
    lines = [t("spreekuren.tg.staff_heading", lang)]
    for member in members:
        areas = ", ".join(spreekuren.area_name(a, lang) for a in member.areas)
        lines.append(
            t(
                "spreekuren.tg.staff_line",
                lang,
                name=member.name or "-",
                id=member.user_id,
                areas=areas,
            )
        )
    await say_text(update, context, "\n".join(lines))


def _user_id(text: str) -> int:
    # ASCII digits only ("²" and "١٢" are digits to Python), and within SQLite's 64 bits
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or not 0 < int(text) < MAX_ID:
        raise InputError("spreekuren.err.user_id", text=text)
    return int(text)


async def _menu(context: Context, chat_id: int, *, show: bool) -> None:
    """The staff command menu in that person's chat (a convenience: failures are only logged)."""
    from bot.telegram.commands import clear_staff_menu, set_staff_menu  # imports the plug-ins

    try:
        if show:
            await set_staff_menu(context.bot, chat_id)
        else:
            await clear_staff_menu(context.bot, chat_id)
    except TelegramError as exc:  # e.g. the person never opened a chat with the bot
        log.warning("staff menu not changed: %s", type(exc).__name__)


# -- staff: overview --------------------------------------------------------------------------


@answering
async def manage(update: Update, context: Context, lang: str) -> None:
    """/spreekuren_beheer: the spreekuren of your areas with their numbers."""
    now = now_of(context)
    areas = await directory(context).require_staff(user_id(update), "spreekuur.list", now)
    found = await spreekuren.current(context.services.db, now, areas)
    today = spreekuren.today_in_maastricht(now)
    if not found:
        await say_text(update, context, t("spreekuren.tg.manage_none", lang))
        return
    lines = [f"<b>{esc(t('spreekuren.tg.manage_heading', lang))}</b>"]
    lines += [esc(spreekuren.describe(s, lang, today)) for s in found]
    lines.append("")
    lines.append(esc(t("spreekuren.tg.manage_help", lang)))
    await say(update, context, "\n\n".join(lines))


async def _mine(context: Context, actor: int, action: str) -> list[Spreekuur]:
    """ACTOR's live spreekuren (not cancelled), for buttons; refused when not staff."""
    now = now_of(context)
    areas = await directory(context).require_staff(actor, action, now)
    found = await spreekuren.current(context.services.db, now, areas)
    return [s for s in found if not s.cancelled][:PICK_LIMIT]


def _short(item: Spreekuur, lang: str, today: date) -> str:
    """A button label for a spreekuur: '#12 wo 25 nov · Wijkhuis' style, within Telegram limits."""
    text = spreekuren.describe(item, lang, today).split("\n")[0]
    return text if len(text) <= 60 else text[:59] + "…"


async def _own(context: Context, actor: int, spreekuur_id: int, action: str) -> Spreekuur:
    """The spreekuur, when ACTOR may change it (refusals audited)."""
    now = now_of(context)
    await directory(context).require_staff(actor, action, now)
    found = await spreekuren.get(context.services.db, spreekuur_id)
    if found is None:
        raise SpreekuurError("spreekuren.err.not_found", id=spreekuur_id)
    await directory(context).require_area(actor, found.area, action, now)
    return found


def _number(text: str) -> int:
    # as _user_id: ASCII digits within 64 bits
    digits = text.strip().lstrip("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 16 or int(digits) >= MAX_ID:
        raise SpreekuurError("spreekuren.err.id", text=text.strip())
    return int(digits)


# -- staff: new -------------------------------------------------------------------------------


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
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
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
    area = (update.callback_query.data or "").split(":", 2)[-1]  # type: ignore[union-attr]
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
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    today = spreekuren.today_in_maastricht(now_of(context))
    _draft(context)["schedule"] = parse_schedule(text, today)
    await _ask(update, context, "spreekuren.tg.ask_times", lang)
    return TIMES


@answering
async def new_times(update: Update, context: Context, lang: str) -> int | None:
    """Start and end time; a moment already past sends the person back to the date."""
    draft = _draft(context)
    text = update.effective_message.text or ""  # type: ignore[union-attr]
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
    _draft(context)["place"] = spreekuren.parse_place(
        update.effective_message.text or ""  # type: ignore[union-attr]
    )
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
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
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
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
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
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)


# -- staff: edit ------------------------------------------------------------------------------


@answering
async def edit_start(update: Update, context: Context, lang: str) -> int | None:
    """/spreekuur_wijzig [<nr> [<field> [<value>]]]: in one go, or step by step."""
    actor, now = user_id(update), now_of(context)
    await directory(context).require_staff(actor, "spreekuur.edit", now)
    parts = command_text(update).split(maxsplit=2)
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if len(parts) == 3:
        stored = await spreekuren.edit(
            context.services.db,
            directory(context),
            actor,
            _number(parts[0]),
            parts[1],
            parts[2],
            now,
        )
        await _changed(update, context, stored, lang)
        return END
    if not parts:
        mine = await _mine(context, actor, "spreekuur.edit")
        if not mine:
            await say_text(update, context, t("spreekuren.tg.manage_none", lang))
            return END
        today = spreekuren.today_in_maastricht(now)
        rows = [[button(_short(s, lang, today), f"{EDIT}:id:{s.id}")] for s in mine]
        await _ask(update, context, "spreekuren.tg.pick_edit", lang, EDIT, extra=rows)
        return PICK
    found = await _own(context, actor, _number(parts[0]), "spreekuur.edit")
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
    number = _number((update.callback_query.data or "").split(":")[-1])  # type: ignore[union-attr]
    found = await _own(context, user_id(update), number, "spreekuur.edit")
    _draft(context)["id"] = found.id
    return await _ask_field(update, context, found, lang)


@answering
async def edit_field(update: Update, context: Context, lang: str) -> int | None:
    """A field button."""
    field = (update.callback_query.data or "").split(":")[-1]  # type: ignore[union-attr]
    _draft(context)["field"] = spreekuren.parse_field(field)
    return await _ask_value(update, context, lang)


@answering
async def edit_value(update: Update, context: Context, lang: str) -> int | None:
    """The new value: checked now, shown before and after, stored on confirmation."""
    draft = _draft(context)
    if "id" not in draft or "field" not in draft:
        await say_text(update, context, t("spreekuren.tg.expired", lang))
        return END
    value = update.effective_message.text or ""  # type: ignore[union-attr]
    found = await _own(context, user_id(update), draft["id"], "spreekuur.edit")
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
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await _changed(update, context, stored, lang)
    return END


async def _changed(update: Update, context: Context, stored: Spreekuur, lang: str) -> None:
    today = spreekuren.today_in_maastricht(now_of(context))
    await say_text(
        update,
        context,
        t("spreekuren.tg.changed", lang, text=spreekuren.describe(stored, lang, today)),
    )


# -- staff: cancel ----------------------------------------------------------------------------

_ALL = ("alles", "all", "reeks", "series", "hele")


@answering
async def cancel_command(update: Update, context: Context, lang: str) -> None:
    """/spreekuur_annuleer [<nr> [<date> | alles]]."""
    actor, now = user_id(update), now_of(context)
    await directory(context).require_staff(actor, "spreekuur.cancel", now)
    parts = command_text(update).split(maxsplit=1)
    if not parts:
        mine = await _mine(context, actor, "spreekuur.cancel")
        if not mine:
            await say_text(update, context, t("spreekuren.tg.manage_none", lang))
            return
        today = spreekuren.today_in_maastricht(now)
        rows = [[button(_short(s, lang, today), f"{CANCEL}:p:{s.id}")] for s in mine]
        await say_text(update, context, t("spreekuren.tg.pick_cancel", lang), keyboard(*rows))
        return
    number = _number(parts[0])
    if len(parts) == 1:
        await _offer_dates(
            update, context, await _own(context, actor, number, "spreekuur.cancel"), lang
        )
        return
    which = parts[1].strip().lower()
    day = None if which in _ALL else parse_date(which, spreekuren.today_in_maastricht(now))
    stored = await spreekuren.cancel(
        context.services.db, directory(context), actor, number, day, now
    )
    await _cancelled(update, context, stored, day, lang)


async def _offer_dates(update: Update, context: Context, found: Spreekuur, lang: str) -> None:
    """Ask which date to cancel (a series), or for confirmation (a single spreekuur)."""
    now = now_of(context)
    today = spreekuren.today_in_maastricht(now)
    if not found.recurring:
        await _confirm_cancel(update, context, found, None, lang)
        return
    coming = [o for o in found.occurrences(start=today) if not o.cancelled and o.starts_at > now]
    rows = [
        [button(spreekuren.format_day(o.day, lang, today), f"{CANCEL}:c:{found.id}:{o.day:%Y%m%d}")]
        for o in coming[:DATE_BUTTONS]
    ]
    rows.append([button(t("spreekuren.tg.cancel_all_button", lang), f"{CANCEL}:c:{found.id}:all")])
    await say_text(
        update,
        context,
        t("spreekuren.tg.pick_date", lang, text=spreekuren.describe(found, lang, today)),
        keyboard(*rows),
    )


async def _confirm_cancel(
    update: Update, context: Context, found: Spreekuur, day: date | None, lang: str
) -> None:
    today = spreekuren.today_in_maastricht(now_of(context))
    which = f"{day:%Y%m%d}" if day else "all"
    what = (
        spreekuren.format_day(day, lang, today) if day else spreekuren.describe(found, lang, today)
    )
    key = "spreekuren.tg.confirm_cancel_day" if day else "spreekuren.tg.confirm_cancel"
    await say_text(
        update,
        context,
        t(key, lang, id=found.id, text=what),
        keyboard(
            [
                button(t("spreekuren.tg.cancel_yes", lang), f"{CANCEL}:y:{found.id}:{which}"),
                button(t("spreekuren.tg.cancel_no", lang), f"{CANCEL}:n"),
            ]
        ),
    )


@answering
async def cancel_button(update: Update, context: Context, lang: str) -> None:
    """spa:p:<nr> (pick), spa:c:<nr>:<day|all> (ask), spa:y:<nr>:<day|all> (do), spa:n (don't)."""
    parts = (update.callback_query.data or "").split(":")  # type: ignore[union-attr]
    actor = user_id(update)
    await directory(context).require_staff(actor, "spreekuur.cancel", now_of(context))  # forged too
    if parts[1:2] == ["n"]:
        await say_text(update, context, t("spreekuren.tg.cancel_kept", lang))
        return
    if len(parts) < 3 or parts[1] not in ("p", "c", "y"):
        await say_text(update, context, t("telegram.button_unknown", lang))
        return
    found = await _own(context, actor, _number(parts[2]), "spreekuur.cancel")
    if parts[1] == "p":
        await _offer_dates(update, context, found, lang)
        return
    which = parts[3] if len(parts) > 3 else "all"
    day = None if which == "all" else _compact_date(which)
    if parts[1] == "c":
        await _confirm_cancel(update, context, found, day, lang)
        return
    stored = await spreekuren.cancel(
        context.services.db, directory(context), actor, found.id, day, now_of(context)
    )
    await _cancelled(update, context, stored, day, lang)


def _compact_date(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise SpreekuurError("spreekuren.err.date_invalid", text=text) from None


async def _cancelled(
    update: Update, context: Context, stored: Spreekuur, day: date | None, lang: str
) -> None:
    today = spreekuren.today_in_maastricht(now_of(context))
    if day is None:
        text = t("spreekuren.tg.cancelled_all", lang, id=stored.id)
    else:
        text = t(
            "spreekuren.tg.cancelled_day",
            lang,
            id=stored.id,
            day=spreekuren.format_day(day, lang, today),
        )
    await say_text(update, context, text)


# -- staff commands count only when typed, new, in a private chat -------------------------------

# An edited or forwarded command would replay one already carried out, or someone else's; in a
# group, staff data (ids, names, drafts) would be shown to everyone there.
DIRECT = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & ~filters.FORWARDED
GUARDED = {  # every staff and admin command (/stats of bot.telegram.stats too): audit action
    "staff_toevoegen": "staff.add",
    "staff_verwijderen": "staff.remove",
    "staff_lijst": "staff.list",
    "spreekuur_nieuw": "spreekuur.create",
    "spreekuur_wijzig": "spreekuur.edit",
    "spreekuur_annuleer": "spreekuur.cancel",
    "spreekuren_beheer": "spreekuur.list",
    "stats": "stats.view",
}


async def not_direct(update: Update, context: Context) -> None:
    """A staff command edited, forwarded or sent in a group: refused (audited), nothing done.

    Not through `answering`: a guided conversation of the same person goes on untouched.
    """
    lang = await context.language(update)
    message = update.effective_message
    words = (message.text or "").split() if message else []
    action = GUARDED.get(words[0].lstrip("/").split("@")[0].lower() if words else "", "staff")
    staff, actor = directory(context), user_id(update)
    if action.startswith("staff.") and not staff.is_admin(actor):
        key = "spreekuren.err.not_admin"
    elif not await staff.is_staff(actor):
        key = "stats.refused" if action == "stats.view" else "spreekuren.err.not_staff"
    elif update.edited_message is not None:
        key = "spreekuren.err.edited"
    elif message is not None and message.forward_origin is not None:
        key = "spreekuren.err.forwarded"
    else:
        key = "spreekuren.err.private_only"
    try:
        refusal = await staff.refuse(actor, action, now_of(context), key=key)
    except StorageError as exc:  # refused all the same; only the audit line is missing
        log.warning("spreekuren: could not audit a refusal: %s", exc)
        refusal = Refused(key)
    await say_text(update, context, refusal.message(lang))


# -- the plug-in ------------------------------------------------------------------------------


def _text() -> filters.BaseFilter:
    return filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE


def handlers(services: Services) -> list[BaseHandler[Any, Any, Any]]:
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
        CommandHandler(list(GUARDED), not_direct, filters=~DIRECT),  # before every staff handler
        CommandHandler("spreekuren", spreekuren_command),
        CallbackQueryHandler(spreekuren_button, pattern=rf"^{SPREEKUREN}:"),
        CommandHandler("mijn_id", my_id),
        CommandHandler("staff_toevoegen", staff_add),
        CommandHandler("staff_verwijderen", staff_remove),
        CommandHandler("staff_lijst", staff_list),
        CommandHandler("spreekuren_beheer", manage),
        new,
        edit,
        CommandHandler("spreekuur_annuleer", cancel_command),
        CallbackQueryHandler(cancel_button, pattern=rf"^{CANCEL}:"),
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


def staff_commands(lang: str) -> list[BotCommand]:
    """The staff menu entries."""
    return [BotCommand(name, t(f"spreekuren.cmd.{name}", lang)) for name in STAFF_COMMANDS]


async def staff_chats(services: Services) -> set[int]:
    """The private chats of every staff member (their user ids)."""
    members = await StaffDirectory(services.db, services.settings.admins).members()
    return {m.user_id for m in members}
