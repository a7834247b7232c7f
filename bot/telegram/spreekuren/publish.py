"""Publishing: /spreekuur_nieuw with the one-line form after the command, or step by step.

The guided conversation asks the area (skipped with one area), the date or repeat, the times,
the place and a note, shows a preview and publishes on "Publiceren". Its draft is kept by
bot.telegram.guided in the database (dates and times in their stored forms), so a restart
carries it on; it is deleted when the conversation ends.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from telegram import Update

from bot import spreekuren
from bot.dutchdates import Recurrence, Schedule, TimeRange, parse_schedule, parse_time_range
from bot.i18n import t
from bot.spreekuren import Draft, SpreekuurError
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
    now_of,
    say_stored,
    say_text,
    step,
    user_id,
)

NEW = "spn"  # callback prefix of this conversation's buttons
AREA, WHEN, TIMES, PLACE, NOTE, CONFIRM = "area", "when", "times", "place", "note", "confirm"


# -- the draft as stored: plain JSON ----------------------------------------------------------


def _schedule_json(schedule: Schedule) -> dict[str, Any]:
    rule = schedule.recurrence.rule if schedule.recurrence else None
    until = schedule.until.isoformat() if schedule.until else None
    return {"first": schedule.first.isoformat(), "rule": rule, "until": until}


def _schedule(data: dict[str, Any]) -> Schedule:
    return Schedule(
        date.fromisoformat(data["first"]),
        Recurrence.from_rule(data["rule"]) if data["rule"] else None,
        date.fromisoformat(data["until"]) if data["until"] else None,
    )


def _times_json(times: TimeRange) -> dict[str, str]:
    return {"start": times.start.isoformat("minutes"), "end": times.end.isoformat("minutes")}


def _times(data: dict[str, str]) -> TimeRange:
    return TimeRange(time.fromisoformat(data["start"]), time.fromisoformat(data["end"]))


def _preview(answers: Answers) -> Draft:
    return Draft(
        answers["area"],
        _schedule(answers["schedule"]),
        _times(answers["times"]),
        answers.get("place", "-"),
        answers.get("note", ""),
    )


# -- the questions ----------------------------------------------------------------------------


@asking
async def ask_area(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """Which of the person's areas."""
    areas = await directory(context).areas_of(user_id(update))
    rows = [[button(context.services.areas.name(a), f"{NEW}:area:{a}")] for a in areas]
    await ask(update, context, "spreekuren.tg.ask_area", lang, NEW, extra=rows)


@asking
async def ask_when(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """The date or repeat; the first time with the area's name."""
    if "schedule" in answers:  # back after a date that did not work
        await ask(update, context, "spreekuren.tg.ask_when", lang, NEW)
        return
    area = context.services.areas.name(answers["area"])
    await ask(update, context, "spreekuren.tg.ask_when_in", lang, NEW, area=area)


@asking
async def ask_times(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """Start and end time."""
    await ask(update, context, "spreekuren.tg.ask_times", lang, NEW)


@asking
async def ask_place(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """The place."""
    await ask(update, context, "spreekuren.tg.ask_place", lang, NEW)


@asking
async def ask_note(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """A short note, or none."""
    none = [[button(t("spreekuren.tg.no_note_button", lang), f"{NEW}:nonote")]]
    await ask(update, context, "spreekuren.tg.ask_note", lang, NEW, extra=none)


@asking
async def ask_confirm(update: Update, context: Context, lang: str, answers: Answers) -> None:
    """The preview of what residents will see, and "Publiceren"."""
    today = spreekuren.today_in_maastricht(now_of(context))
    rows = [[button(t("spreekuren.tg.publish_button", lang), f"{NEW}:ok")]]
    text = spreekuren.describe(context.services.areas, _preview(answers), lang, today)
    await ask(update, context, "spreekuren.tg.preview", lang, NEW, extra=rows, text=text)


# -- the answers ------------------------------------------------------------------------------


@step
async def start(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """/spreekuur_nieuw: the one-line form when text follows, else the guided conversation."""
    actor, now = user_id(update), now_of(context)
    areas = await directory(context).require_staff(actor, "spreekuur.create", now)
    line = command_text(update)
    if line:
        today = spreekuren.today_in_maastricht(now)
        draft = spreekuren.parse_line(context.services.areas, line, today)
        stored = await spreekuren.publish(
            context.services.db, directory(context), actor, draft, now
        )
        await say_stored(update, context, "spreekuren.tg.published", stored, lang)
        return END
    if len(areas) == 1:
        answers["area"] = areas[0]
        return WHEN
    return AREA


@step
async def take_area(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """The area button."""
    area = callback_data(update).split(":", 2)[-1]
    await directory(context).require_area(
        user_id(update), area, "spreekuur.create", now_of(context)
    )
    answers["area"] = area
    return WHEN


@step
async def take_when(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """The date, or a repeat rule with its end date."""
    today = spreekuren.today_in_maastricht(now_of(context))
    answers["schedule"] = _schedule_json(parse_schedule(message_text(update), today))
    return TIMES


@step
async def take_times(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """Start and end time; a moment already past sends the person back to the date."""
    times = parse_time_range(message_text(update))
    try:
        spreekuren.validate(
            context.services.areas,
            Draft(answers["area"], _schedule(answers["schedule"]), times, "-"),
            now_of(context),
        )
    except SpreekuurError as exc:
        if exc.key != "spreekuren.err.past":
            raise
        await say_text(update, context, exc.message(lang))
        return WHEN
    answers["times"] = _times_json(times)
    return PLACE


@step
async def take_place(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """The place."""
    answers["place"] = spreekuren.parse_place(message_text(update))
    return NOTE


@step
async def take_note(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """The short note, typed or none (the "Geen toelichting" button)."""
    typed = "" if update.callback_query is not None else message_text(update)
    answers["note"] = spreekuren.parse_note(typed)
    return CONFIRM


@step
async def take_confirm(update: Update, context: Context, lang: str, answers: Answers) -> str | None:
    """Publish; an overlap sends the person back to the time, the past to the date."""
    try:
        stored = await spreekuren.publish(
            context.services.db,
            directory(context),
            user_id(update),
            _preview(answers),
            now_of(context),
        )
    except SpreekuurError as exc:
        await say_text(update, context, exc.message(lang))
        return TIMES if exc.key == "spreekuren.err.overlap" else WHEN
    await say_stored(update, context, "spreekuren.tg.published", stored, lang)
    return END


CONVERSATION = Conversation(
    name="spreekuur_nieuw",
    prefix=NEW,
    steps={
        AREA: Step(ask_area, button=take_area, buttons=rf"{NEW}:area:[a-z-]+"),
        WHEN: Step(ask_when, text=take_when),
        TIMES: Step(ask_times, text=take_times),
        PLACE: Step(ask_place, text=take_place),
        NOTE: Step(ask_note, text=take_note, button=take_note, buttons=rf"{NEW}:nonote"),
        CONFIRM: Step(ask_confirm, button=take_confirm, buttons=rf"{NEW}:ok"),
    },
    start=start,
    stopped="spreekuren.tg.stopped",
    ended="spreekuren.tg.ended",
    storage_error="spreekuren.tg.storage_error",
)
