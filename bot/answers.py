"""The answer card: what a resident reads after a question, the same for every door.

`build_card` turns a RouteResult into a structured card; `render_text` writes it whole as plain
text (`meldwijzer route`, /api/route, the web page's "copy" button). On a phone the whole card is
too long to find what to do, so the conversation's doors show it in two parts:

- `brief`: the first message: the channel, its first phone number and web address, when it is
  open, one line why, the question and options, the 112 line;
- `details`: on request (a button, or "meer" in the console): what happens after reporting,
  every way to reach the channel, the other channels whole, and how to find the area team.

An emergency card is never split: its first screen is the whole 112 card, the 112NL app included.
Telegram and the web page render the same parts in their own markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

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
    expect: str | None  # None in the first message: what happens next comes on request
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
    if block.expect:
        lines.append(f"  {t('answer.expect', lang)}: {block.expect}")
    if block.note:
        lines.append(f"  {block.note}")
    return lines


# -- the first message and the details ----------------------------------------------------------

SHORT_LABEL = 40  # a contact's label up to this long stays in the first message ("geen spoed")


@dataclass(frozen=True)
class Details:
    """What an answer says on request: what happens after reporting, every way to reach the
    channel, the other channels whole, and how to find the area team."""

    language: str
    primary: ChannelBlock
    secondary: tuple[ChannelBlock, ...]
    area: str

    @property
    def channels(self) -> tuple[str, ...]:
        """The ids of the channels it shows, the primary first."""
        return (self.primary.channel_id, *(b.channel_id for b in self.secondary))


def has_details(card: AnswerCard) -> bool:
    """True when CARD is shown in two parts: a channel to report to, and not an emergency."""
    return card.primary is not None and card.kind != "emergency"


def first_contacts(block: ChannelBlock) -> tuple[ContactLine, ...]:
    """The contacts of the first message: the first phone number and the first web address
    (else the first contact), each with its label only when that is short."""
    phone = next((c for c in block.contacts if c.kind == "phone"), None)
    web = next((c for c in block.contacts if c.kind == "web"), None)
    chosen = [c for c in (phone, web) if c is not None] or list(block.contacts[:1])
    return tuple(
        replace(c, label=c.label if c.label and len(c.label) <= SHORT_LABEL else None)
        for c in chosen
    )


def brief(card: AnswerCard) -> AnswerCard:
    """The first message of CARD: its channel with the first phone and web address, the hours
    and why (the other channels are in the details). A card without details comes back whole."""
    if not has_details(card) or card.primary is None:
        return card
    primary = replace(card.primary, contacts=first_contacts(card.primary), expect=None, note=None)
    return replace(card, primary=primary, secondary=())


def details(card: AnswerCard) -> Details | None:
    """The part of CARD that comes on request (None for an emergency or a card without channel)."""
    if not has_details(card) or card.primary is None:
        return None
    primary = replace(card.primary, why=None)
    return Details(card.language, primary, card.secondary, t("answer.area_hint", card.language))


def details_of(kaart: Meldkaart, channels: Iterable[str], lang: str) -> Details | None:
    """The details of an answer that showed CHANNELS (the primary first), rebuilt from the
    meldkaart (a Telegram button carries the ids only); None when one is not (any more) known."""
    ids = list(channels)
    if not ids or any(c not in kaart.channels for c in ids):
        return None
    blocks = [channel_block(kaart.channel(c), lang) for c in ids]
    return Details(lang, blocks[0], tuple(blocks[1:]), t("answer.area_hint", lang))


def render_brief(card: AnswerCard) -> str:
    """The first message of CARD as plain text (an emergency card whole, as `render_text`)."""
    return render_text(brief(card))


def render_details(found: Details) -> str:
    """The details as plain text: the channel whole, the other channels, the area team."""
    lang = found.language
    lines = [t("answer.details_heading", lang, name=found.primary.name)]
    lines.extend(_block_lines(found.primary, lang, with_why=False))
    for block in found.secondary:
        lines.append("")
        lines.append(t("answer.also", lang, name=block.name))
        lines.extend(_block_lines(block, lang, with_why=False))
    lines.append("")
    lines.append(found.area)
    return "\n".join(lines)
