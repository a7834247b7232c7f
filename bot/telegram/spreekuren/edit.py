"""Changing: /spreekuur_wijzig <nr> <field> <value> in one go, or step by step with buttons
(which spreekuur, which field, the new value, "now" and "will be", save). A change applies to
the whole series. The draft (number, field, value typed) is kept by bot.telegram.guided."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot import spreekuren
from bot.i18n import t
from bot.spreekuren import Draft, Spreekuur, SpreekuurError
from bot.telegram.context import Context
from bot.telegram.guided import END, Conversation, Step
from bot.telegram.guided import Draft as Answers
from bot.telegram.spreekuren.common import (
    ask,
    asking,
    button,
    callback_data,
    command_text,
    directory,
    message_text,
    mine,
    now_of,
    own,
    parse_number,
    say_stored,
    say_text,
    short,
    step,
    user_id,
)

EDIT = "spw"  # callback prefix of this conversation's buttons
PICK, FIELD, VALUE, CONFIRM = "pick", "field", "value", "confirm"
ACTION = "spreekuur.edit"


async def _edited(
    update: Update, context: Context, answers: Answers
) -> tuple[Spreekuur, Draft, date]:
    """The spreekuur, as it would be with the typed value (checked), and today."""
    found = await own(context, user_id(update), answers["id"], ACTION)
    now = now_of(context)
    today = spreekuren.today_in_maastricht(now)
    changed = spreekuren.change(found.draft, answers["field"], answers["value"], today)
    changed = spreekuren.validate(
        context.services.areas, changed, now, move_first=answers["field"] == "when"
    )
    return found, changed, today


# -- the questions ----------------------------------------------------------------------------


@asking
async def ask_pick(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """Which of the person's spreekuren."""
    today = spreekuren.today_in_maastricht(now_of(context))
    live = await mine(context, user_id(update), ACTION)
    rows = [[button(short(context, s, lang, today), f"{EDIT}:id:{s.id}")] for s in live]
    await ask(update, context, "spreekuren.tg.pick_edit", lang, EDIT, extra=rows)


@asking
async def ask_field(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """Which field, under the spreekuur as it is."""
    found = await own(context, user_id(update), answers["id"], ACTION)
    today = spreekuren.today_in_maastricht(now_of(context))
    rows = [
        [button(t(f"spreekuren.tg.field.{f}", lang), f"{EDIT}:f:{f}")]
        for f in spreekuren.EDIT_FIELDS
    ]
    text = spreekuren.describe(context.services.areas, found, lang, today)
    await ask(update, context, "spreekuren.tg.pick_field", lang, EDIT, extra=rows, text=text)


@asking
async def ask_value(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """The new value of the field."""
    await ask(update, context, f"spreekuren.tg.ask_value.{answers['field']}", lang, EDIT)


@asking
async def ask_confirm(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """Now and will be, and "Opslaan"."""
    found, changed, today = await _edited(update, context, answers)
    rows = [[button(t("spreekuren.tg.save_button", lang), f"{EDIT}:ok")]]
    await ask(
        update,
        context,
        "spreekuren.tg.preview_edit",
        lang,
        EDIT,
        extra=rows,
        before=spreekuren.describe(context.services.areas, found, lang, today),
        after=spreekuren.describe(context.services.areas, changed, lang, today),
    )


# -- the answers ------------------------------------------------------------------------------


@step
async def start(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """/spreekuur_wijzig [<nr> [<field> [<value>]]]: in one go, or step by step."""
    actor, now = user_id(update), now_of(context)
    await directory(context).require_staff(actor, ACTION, now)
    parts = command_text(update).split(maxsplit=2)
    if len(parts) == 3:
        number, field, value = parse_number(parts[0]), parts[1], parts[2]
        stored = await spreekuren.edit(
            context.services.db, directory(context), actor, number, field, value, now
        )
        await say_stored(update, context, "spreekuren.tg.changed", stored, lang)
        return END
    if not parts:
        if not await mine(context, actor, ACTION):
            await say_text(update, context, t("spreekuren.tg.manage_none", lang))
            return END
        return PICK
    answers["id"] = (await own(context, actor, parse_number(parts[0]), ACTION)).id
    if len(parts) == 2:
        answers["field"] = spreekuren.parse_field(parts[1])
        return VALUE
    return FIELD


@step
async def take_pick(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """A spreekuur button."""
    number = parse_number(callback_data(update).split(":")[-1])
    answers["id"] = (await own(context, user_id(update), number, ACTION)).id
    return FIELD


@step
async def take_field(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """A field button."""
    answers["field"] = spreekuren.parse_field(callback_data(update).split(":")[-1])
    return VALUE


@step
async def take_value(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """The new value: checked now, shown before and after, stored on confirmation."""
    typed = {**answers, "value": message_text(update)}
    await _edited(update, context, typed)
    answers["value"] = typed["value"]
    return CONFIRM


@step
async def take_confirm(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """Store the change; a clash asks for the value again."""
    try:
        stored = await spreekuren.edit(
            context.services.db,
            directory(context),
            user_id(update),
            answers["id"],
            answers["field"],
            answers["value"],
            now_of(context),
        )
    except SpreekuurError as exc:
        await say_text(update, context, exc.message(lang))
        return VALUE
    await say_stored(update, context, "spreekuren.tg.changed", stored, lang)
    return END


CONVERSATION = Conversation(
    name="spreekuur_wijzig",
    prefix=EDIT,
    steps={
        PICK: Step(ask_pick, button=take_pick, buttons=rf"{EDIT}:id:\d+"),
        FIELD: Step(ask_field, button=take_field, buttons=rf"{EDIT}:f:[a-z]+"),
        VALUE: Step(ask_value, text=take_value),
        CONFIRM: Step(ask_confirm, button=take_confirm, buttons=rf"{EDIT}:ok"),
    },
    start=start,
    stopped="spreekuren.tg.stopped",
    ended="spreekuren.tg.ended",
    storage_error="spreekuren.tg.storage_error",
)
