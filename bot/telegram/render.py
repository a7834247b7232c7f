"""Cards to Telegram: HTML text (everything from data or people escaped) and inline keyboards.

The answer card comes from bot.answers; this only decides its Telegram markup. Callback data is
short and typed here (at most 64 bytes, as Telegram allows) and parsed back with `parse_callback`,
which returns None for anything it did not make.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers import AnswerCard, ChannelBlock, Details, brief, details
from bot.areacard import AreaCard, render_area_text
from bot.conversation import Listing, Offer, PickBuurt, PickSituation, PickSpreekuren, Question
from bot.i18n import t
from bot.meldkaart import Meldkaart

MAX_MESSAGE = 4096
MAX_CALLBACK = 64
MAX_CHOICES = 3
MAX_MORE_CHANNELS = 8  # channels a "Meer" button names (a card has one to four)

# Callback data: a short prefix, then the value.
OPTION = "o"  # o:<situation id>: a choice or follow-up answer
FEEDBACK = "fb"  # fb:<1|0>:<situation id or ->: the 👍 / 👎 under an answer
AREA_ASK = "area"  # area:ask: "Wie is mijn wijkteam?"
WIPE = "wis"  # wis:now: the quick exit
LANGUAGE = "lang"  # lang:<nl|en>
SPREEKUREN = "sp"  # sp:<area id>: the spreekuren of an area (issue 5)
BUURT = "bu"  # bu:<buurt name>: the resident picks a buurt when a postcode spans areas
MORE = "mr"  # mr:<lang>:<fingerprint>:<channel places>: the details of an answer (issue 13)
QUICK_EXIT_CHANNELS = frozenset({"veilig-thuis"})

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_MORE_VALUE = re.compile(r"^(nl|en):([0-9a-f]{4}):(\d{1,3}(?:\.\d{1,3}){0,7})$")
_EMOJI = {"phone": "📞", "web": "🌐", "app": "📱", "email": "✉️"}


@dataclass(frozen=True)
class Reply:
    """One answer as Telegram messages: the texts in order, the keyboard under the last."""

    texts: tuple[str, ...]
    keyboard: InlineKeyboardMarkup | None = None
    urgent: bool = False  # an emergency answer: delivered first after a Telegram outage


@dataclass(frozen=True)
class Callback:
    """Parsed callback data."""

    kind: str
    value: str
    flag: bool = False


def esc(value: object) -> str:
    """Text from data or from a person, safe inside Telegram HTML."""
    return html.escape(str(value), quote=False)


def callback(kind: str, value: str, flag: bool | None = None) -> str:
    """Callback data for a button; raises ValueError past Telegram's 64 bytes."""
    data = f"{kind}:{int(flag)}:{value}" if flag is not None else f"{kind}:{value}"
    if len(data.encode("utf-8")) > MAX_CALLBACK:
        raise ValueError(f"callback data over {MAX_CALLBACK} bytes: {data!r}")
    return data


def parse_callback(data: str | None) -> Callback | None:
    """The callback behind DATA, or None for data this bot does not make (old or forged)."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK:
        return None
    kind, _, rest = data.partition(":")
    if kind == FEEDBACK:
        flag, _, value = rest.partition(":")
        if flag in ("0", "1") and (value == "-" or _ID.match(value)):
            return Callback(kind, value, flag == "1")
        return None
    if kind in (OPTION, SPREEKUREN) and _ID.match(rest):
        return Callback(kind, rest)
    if kind == MORE and _MORE_VALUE.match(rest):
        return Callback(kind, rest)
    if kind == BUURT and rest.strip() and rest.isprintable():
        return Callback(kind, rest)
    if (kind, rest) in ((AREA_ASK, "ask"), (WIPE, "now")):
        return Callback(kind, rest)
    if kind == LANGUAGE and rest in ("nl", "en"):
        return Callback(kind, rest)
    return None


# -- the answer card --------------------------------------------------------------------------


def answer_reply(card: AnswerCard, kaart: Meldkaart) -> Reply:
    """The answer card's first message as Telegram HTML with its buttons: an emergency card
    whole; any other card with a channel in brief, its details behind the "Meer" button."""
    lang = card.language
    found = details(card)
    more = more_callback(found, kaart) if found is not None else None
    # a card whose button would not fit (more channels than a button can name) is sent whole
    shown = brief(card) if more is not None else card
    paragraphs: list[str] = []
    if card.kind == "emergency":
        paragraphs.append(f"<b>{esc(t('answer.emergency_first_line', lang))}</b>")
    if shown.primary:
        paragraphs.append(_block_html(shown, shown.primary, primary=True))
    for block in shown.secondary:  # an emergency's (a brief card has none)
        paragraphs.append(_block_html(shown, block, primary=False))
    if card.message:
        paragraphs.append(esc(card.message))
    if card.question:
        paragraphs.append(f"<b>{esc(card.question)}</b>")
    if card.reminder:
        paragraphs.append(f"<i>{esc(card.reminder)}</i>")
    urgent = card.kind == "emergency"
    keyboard = _answer_keyboard(shown, more, sensitive=_sensitive(card))
    return Reply(split_html("\n\n".join(paragraphs)), keyboard, urgent)


def details_reply(found: Details) -> Reply:
    """The details of an answer (the "Meer" button): the channel whole, the other channels,
    how to find the area team; a web button per channel and the wijkteam button."""
    lang = found.language
    heading = f"<b>{esc(t('answer.details_heading', lang, name=found.primary.name))}</b>"
    paragraphs = [heading + "\n" + _contact_html(found.primary, lang, with_why=False)]
    for block in found.secondary:
        heading = f"<b>{esc(t('answer.also', lang, name=block.name))}</b>"
        paragraphs.append(heading + "\n" + _contact_html(block, lang, with_why=False))
    paragraphs.append(f"<i>{esc(found.area)}</i>")
    blocks = [found.primary, *found.secondary]
    rows = _web_rows(blocks, lang)
    rows.append([_button(t("telegram.area_button", lang), callback(AREA_ASK, "ask"))])
    if any(block.channel_id in QUICK_EXIT_CHANNELS for block in blocks):
        rows.append([_button(t("telegram.wipe_button", lang), callback(WIPE, "now"))])
    return Reply(split_html("\n\n".join(paragraphs)), InlineKeyboardMarkup(rows))


def _block_html(card: AnswerCard, block: ChannelBlock, primary: bool) -> str:
    lang = card.language
    lines: list[str] = []
    if not primary:
        lines.append(f"<b>{esc(t('answer.also', lang, name=block.name))}</b>")
    elif card.kind == "emergency":
        lines.append(f"<b>{esc(block.name)}</b>")
    else:
        lines.append(f"<b>{esc(t('answer.report_to', lang, name=block.name))}</b>")
    if primary and card.title:
        lines.append(esc(t("answer.situation", lang, title=card.title)))
    lines.append(_contact_html(block, lang, with_why=primary))
    return "\n".join(line for line in lines if line)


def _contact_html(block: ChannelBlock, lang: str, with_why: bool) -> str:
    """A channel's contacts, hours, why (WITH_WHY), what to expect and note, one per line."""
    lines: list[str] = []
    for contact in block.contacts:
        label = f" ({esc(contact.label)})" if contact.label else ""
        kind = esc(t("contact." + contact.kind, lang))
        emoji = _EMOJI.get(contact.kind, "•")
        if contact.kind == "web" and contact.href:
            shown = urlsplit(contact.href).netloc or contact.value
            value = f'<a href="{html.escape(contact.href, quote=True)}">{esc(shown)}</a>'
        else:
            value = f"<b>{esc(contact.value)}</b>"
        lines.append(f"{emoji} {kind}: {value}{label}")
    if block.hours:
        lines.append(f"🕐 {esc(t('answer.hours', lang))}: {esc(block.hours)}")
    if with_why and block.why:
        lines.append(f"<i>{esc(t('answer.why', lang))}:</i> {esc(block.why)}")
    if block.expect:
        lines.append(f"<i>{esc(t('answer.expect', lang))}:</i> {esc(block.expect)}")
    if block.note:
        lines.append(esc(block.note))
    return "\n".join(lines)


def _sensitive(card: AnswerCard) -> bool:
    """True when a channel of CARD (shown first or in the details) calls for the quick exit."""
    blocks = ([card.primary] if card.primary else []) + list(card.secondary)
    return any(block.channel_id in QUICK_EXIT_CHANNELS for block in blocks)


def _answer_keyboard(
    card: AnswerCard, more: str | None, sensitive: bool
) -> InlineKeyboardMarkup | None:
    lang = card.language
    rows: list[list[InlineKeyboardButton]] = []
    for option in card.options[:MAX_CHOICES]:
        data = callback(OPTION, option.situation)
        rows.append([InlineKeyboardButton(option.label, callback_data=data)])
    if more is not None:
        rows.append([_button(t("telegram.more_button", lang), more)])
    blocks = ([card.primary] if card.primary else []) + list(card.secondary)
    rows.extend(_web_rows(blocks, lang))
    if more is None and card.kind in ("report", "followup", "choices") and card.primary:
        # a card sent whole: the wijkteam button the details would have had
        rows.append([_button(t("telegram.area_button", lang), callback(AREA_ASK, "ask"))])
    if sensitive:
        rows.append([_button(t("telegram.wipe_button", lang), callback(WIPE, "now"))])
    if card.primary:
        rows.append(feedback_row(card.situation, lang))
    return InlineKeyboardMarkup(rows) if rows else None


def _web_rows(blocks: list[ChannelBlock], lang: str) -> list[list[InlineKeyboardButton]]:
    """One button per channel, to its first web address; the others are links in the text."""
    rows = []
    for block in blocks:
        href = next((c.href for c in block.contacts if c.kind == "web" and _linkable(c.href)), None)
        if href is not None:
            label = t("telegram.web_button", lang, name=block.name)
            rows.append([InlineKeyboardButton(label, url=href)])
    return rows


# -- the "Meer" button --------------------------------------------------------------------------


def more_callback(found: Details, kaart: Meldkaart) -> str | None:
    """The data of the "Meer" button: the language, a fingerprint of the meldkaart's channels
    and the shown channels' places in it ("mr:nl:3f2a:2.0.13"); None if it would not fit."""
    order = list(kaart.channels)
    if len(found.channels) > MAX_MORE_CHANNELS or any(c not in order for c in found.channels):
        return None
    places = ".".join(str(order.index(c)) for c in found.channels)
    data = f"{MORE}:{found.language}:{_fingerprint(order)}:{places}"
    return data if len(data.encode("utf-8")) <= MAX_CALLBACK else None


def more_channels(value: str, kaart: Meldkaart) -> tuple[str, tuple[str, ...]] | None:
    """The language and channel ids of a "Meer" button's value; None when the meldkaart's
    channels changed since the button was made (an old button) or the value is not ours."""
    match = _MORE_VALUE.match(value)
    if match is None:
        return None
    lang, fingerprint, places = match.groups()
    order = list(kaart.channels)
    indices = [int(p) for p in places.split(".")]
    if fingerprint != _fingerprint(order) or any(i >= len(order) for i in indices):
        return None
    return lang, tuple(order[i] for i in indices)


def _fingerprint(order: list[str]) -> str:
    return hashlib.sha256("\n".join(order).encode("utf-8")).hexdigest()[:4]


def _linkable(href: str | None) -> bool:
    return bool(href) and str(href).startswith(("https://", "http://"))


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def feedback_row(situation: str | None, lang: str) -> list[InlineKeyboardButton]:
    """The "Klopte dit? 👍 / 👎" buttons under an answer."""
    value = situation or "-"
    return [
        _button(t("telegram.feedback_yes", lang), callback(FEEDBACK, value, True)),
        _button(t("telegram.feedback_no", lang), callback(FEEDBACK, value, False)),
    ]


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """MARKUP with the 👍 / 👎 row removed (once answered, it is not asked again)."""
    return without(markup, FEEDBACK)


def without(markup: InlineKeyboardMarkup | None, kind: str) -> InlineKeyboardMarkup | None:
    """MARKUP without the rows of buttons of KIND (the 👍 / 👎 once answered, "Meer" once
    shown)."""
    if markup is None:
        return None
    rows = [
        list(row)
        for row in markup.inline_keyboard
        if not any(str(b.callback_data or "").startswith(kind + ":") for b in row)
    ]
    return InlineKeyboardMarkup(rows) if rows else None


# -- questions and listings --------------------------------------------------------------------


def question_reply(question: Question) -> Reply:
    """A question of the conversation with a button per choice; the 112 line in italics."""
    text = f"<b>{esc(question.text)}</b>"
    if question.reminder:
        text += f"\n\n<i>{esc(question.reminder)}</i>"
    rows = [[_button(c.label, offer_callback(c.pick))] for c in question.choices]
    return Reply(split_html(text), InlineKeyboardMarkup(rows) if rows else None)


def offer_callback(offer: Offer) -> str:
    """The callback data of an offered option."""
    if isinstance(offer, PickSituation):
        return callback(OPTION, offer.situation)
    if isinstance(offer, PickBuurt):
        return callback(BUURT, offer.buurt)
    assert isinstance(offer, PickSpreekuren)
    return callback(SPREEKUREN, offer.area)


def listing_reply(listing: Listing) -> Reply:
    """A spreekuren listing, its heading in bold (none when there is nothing to list)."""
    if listing.empty:
        return Reply(split_html(esc(listing.text)))
    first, _, rest = listing.text.partition("\n")
    return Reply(split_html(f"<b>{esc(first)}</b>" + (f"\n{esc(rest)}" if rest else "")))


# -- the area card ----------------------------------------------------------------------------


def area_reply(card: AreaCard, lang: str, kaart: Meldkaart, note: str | None = None) -> Reply:
    """The area card as Telegram HTML (title in bold) with its buttons; NOTE (HTML) at the end."""
    first, _, rest = render_area_text(card, lang, kaart).partition("\n")
    text = f"<b>{esc(first)}</b>" + (f"\n{esc(rest)}" if rest else "")
    if note:
        text += f"\n\n{note}"
    rows: list[list[InlineKeyboardButton]] = []
    for candidate in card.candidates:
        label = t("area.candidate", lang, buurt=candidate.buurt, area=candidate.area_name)
        with_name = f"{BUURT}:{candidate.buurt}"
        if len(with_name.encode("utf-8")) <= MAX_CALLBACK:
            rows.append([InlineKeyboardButton(label, callback_data=with_name)])
    if card.kind == "area" and card.area:
        rows.append(
            [
                InlineKeyboardButton(
                    t("telegram.spreekuren_button", lang),
                    callback_data=callback(SPREEKUREN, card.area),
                )
            ]
        )
        for team in (card.thor, card.police):
            if team and team.web and team.web.startswith(("https://", "http://")):
                name = t(
                    "area.thor_heading" if team.organisation == "thor" else "area.police_heading",
                    lang,
                )
                rows.append(
                    [
                        InlineKeyboardButton(
                            t("telegram.web_button", lang, name=name.rstrip(":")), url=team.web
                        )
                    ]
                )
    return Reply(split_html(text), InlineKeyboardMarkup(rows) if rows else None)


# -- long texts -------------------------------------------------------------------------------


def split_html(text: str, limit: int = MAX_MESSAGE) -> tuple[str, ...]:
    """TEXT cut at paragraph (else line) boundaries into messages of at most LIMIT characters.

    Rendered tags never span a line, so every part stays well-formed HTML.
    """
    if len(text) <= limit:
        return (text,)
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return tuple(p for p in parts if p.strip())


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        for line in paragraph.split("\n"):
            while len(line) > limit:  # a single line this long only comes from odd data
                cut = line.rfind(" ", 0, limit)
                cut = cut if cut > 0 else limit
                pieces.append(line[:cut])
                line = line[cut:].lstrip()
            pieces.append(line)
    return pieces
