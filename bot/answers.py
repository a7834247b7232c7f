"""The answer card: what a resident reads after a question, the same for every door.

`build_card` turns a RouteResult into a structured card; `render_text` writes it as plain text
(console chat, CLI, the web page's "copy" button). Telegram and the web page render the same card
in their own markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import t
from bot.meldkaart import Channel, Meldkaart, Situation
from bot.routing import RouteResult


@dataclass(frozen=True)
class ContactLine:
    """One way to reach a channel, ready to show."""

    kind: str  # phone | web | app | email
    value: str
    label: str | None
    href: str | None  # tel:, https: or mailto: link where there is one


@dataclass(frozen=True)
class ChannelBlock:
    """A channel as shown to a resident."""

    channel_id: str
    name: str
    contacts: tuple[ContactLine, ...]
    hours: str | None
    why: str | None
    expect: str
    note: str | None
    anonymous: bool


@dataclass(frozen=True)
class Option:
    """A button: a follow-up answer or one of the candidate situations."""

    label: str
    situation: str


@dataclass(frozen=True)
class AnswerCard:
    """Everything one answer says, before markup."""

    kind: str  # emergency | report | choices | followup | info | empty
    language: str
    title: str | None
    primary: ChannelBlock | None
    secondary: tuple[ChannelBlock, ...]
    question: str | None
    options: tuple[Option, ...]
    message: str | None
    reminder: str | None
    situation: str | None


def channel_block(channel: Channel, lang: str, why: str | None = None) -> ChannelBlock:
    """A channel's verified contacts, hours and expectations in LANG."""
    contacts = tuple(
        ContactLine(c.kind, c.value, c.label.get(lang) if c.label else None, _href(c.kind, c.value))
        for c in channel.shown_contacts()
    )
    hours = channel.hours.text.get(lang) if channel.hours and channel.hours.shown else None
    return ChannelBlock(
        channel_id=channel.id,
        name=channel.name.get(lang),
        contacts=contacts,
        hours=hours,
        why=why,
        expect=channel.expect.get(lang),
        note=channel.note.get(lang) if channel.note else None,
        anonymous=channel.anonymous,
    )


def _href(kind: str, value: str) -> str | None:
    if kind == "phone":
        digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
        return f"tel:{digits}" if digits else None
    if kind == "web":
        return value
    if kind == "email":
        return f"mailto:{value}"
    return None


def build_card(
    result: RouteResult, kaart: Meldkaart, lang: str, ask_followup: bool = True
) -> AnswerCard:
    """The card for one routed message, in LANG (nl or en).

    ASK_FOLLOWUP is False when the resident already answered the follow-up question (a button).
    """
    reminder = t("answer.reminder_112", lang)
    if result.info:
        info = kaart.situation(result.info)
        return _card("info", lang, message=info.reply.get(lang) if info.reply else None)
    if result.situation is None:
        return _card("empty", lang, message=t("answer.not_understood", lang), reminder=reminder)

    situation = kaart.situation(result.situation)
    primary = _primary(situation, result, kaart, lang)
    secondary = tuple(
        channel_block(kaart.channel(c), lang) for c in result.alternatives if c in kaart.channels
    )
    # Sure of the channel but not of the situation: name the channel only, no wrong situation.
    common = {
        "title": situation.title.get(lang) if result.situation_named else None,
        "primary": primary,
        "secondary": secondary,
        "situation": situation.id,
    }
    if result.emergency:
        return _card("emergency", lang, **common)
    if situation.followup and ask_followup and result.situation_named:
        options = tuple(Option(o.label.get(lang), o.situation) for o in situation.followup.options)
        return _card(
            "followup",
            lang,
            question=situation.followup.question.get(lang),
            options=options,
            reminder=reminder,
            **common,
        )
    if result.choices:
        # Unsure: the best answer first, the close runners-up as buttons.
        options = tuple(Option(kaart.situation(s).title.get(lang), s) for s in result.choices[:2])
        return _card(
            "choices",
            lang,
            question=t("answer.choices_question", lang),
            options=options,
            reminder=reminder,
            **common,
        )
    return _card("report", lang, reminder=reminder, **common)


def _primary(
    situation: Situation, result: RouteResult, kaart: Meldkaart, lang: str
) -> ChannelBlock:
    channel_id = result.channel or situation.channel or "112"
    why = situation.why.get(lang) if result.situation_named else None
    return channel_block(kaart.channel(channel_id), lang, why=why)


def _card(kind: str, lang: str, **fields: object) -> AnswerCard:
    base: dict[str, object] = {
        "title": None,
        "primary": None,
        "secondary": (),
        "question": None,
        "options": (),
        "message": None,
        "reminder": None,
        "situation": None,
    }
    base.update(fields)
    return AnswerCard(kind=kind, language=lang, **base)  # type: ignore[arg-type]


def render_text(card: AnswerCard) -> str:
    """The card as plain text, emergency first line first."""
    lang = card.language
    lines: list[str] = []
    if card.kind == "emergency":
        lines.append(t("answer.emergency_first_line", lang))
    if card.primary:
        block = card.primary
        heading = (
            block.name if card.kind == "emergency" else t("answer.report_to", lang, name=block.name)
        )
        if card.kind != "emergency":
            lines.append(heading)
        if card.title:
            lines.append(t("answer.situation", lang, title=card.title))
        lines.extend(_block_lines(block, lang, with_why=True))
    for block in card.secondary:
        lines.append("")
        lines.append(t("answer.also", lang, name=block.name))
        lines.extend(_block_lines(block, lang, with_why=False))
    if card.message:
        lines.append(card.message)
    if card.question:
        lines.append("")
        lines.append(card.question)
        lines.extend(f"  {index}. {option.label}" for index, option in enumerate(card.options, 1))
    if card.reminder:
        lines.append("")
        lines.append(card.reminder)
    return "\n".join(lines).strip()


def _block_lines(block: ChannelBlock, lang: str, with_why: bool) -> list[str]:
    lines = []
    for contact in block.contacts:
        label = f" ({contact.label})" if contact.label else ""
        lines.append(f"  {t('contact.' + contact.kind, lang)}: {contact.value}{label}")
    if block.hours:
        lines.append(f"  {t('answer.hours', lang)}: {block.hours}")
    if with_why and block.why:
        lines.append(f"  {t('answer.why', lang)}: {block.why}")
    lines.append(f"  {t('answer.expect', lang)}: {block.expect}")
    if block.note:
        lines.append(f"  {block.note}")
    return lines
