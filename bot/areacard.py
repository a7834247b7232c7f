"""The area card: what a resident reads after an area lookup, the same for every door.

`build_area_card` turns an AreaResult into a structured, language-free card; `render_area_text`
writes it as plain text in Dutch or English (console, CLI, the web page's "copy" button).
Telegram and the web page render the same card in their own markup. The spreekuren helper fills
`spreekuren` with ready-made lines once that issue lands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answers import channel_block
from bot.areas import AreaDirectory, AreaResult, Status
from bot.i18n import t
from bot.knowledge import Staff, TeamContact
from bot.meldkaart import Meldkaart, Text


@dataclass(frozen=True)
class TeamBlock:
    """How to reach one side of the area team (THOR or the police), with any named staff."""

    organisation: str  # thor | politie
    role: Text
    phone: str
    web: str | None
    staff: tuple[Staff, ...]  # only entries with a name, filled in by the team itself


@dataclass(frozen=True)
class CandidateLine:
    """A buurt the resident can pick, with its area."""

    buurt: str
    area: str
    area_name: str


@dataclass(frozen=True)
class AreaCard:
    """Everything an area answer says, before language and markup."""

    kind: str  # area | choose | outside | po-box
    query: str
    postcode: str | None
    area: str | None
    area_name: str | None
    buurt: str | None
    buurten: tuple[str, ...]  # the area is certain but the buurt is one of these
    candidates: tuple[CandidateLine, ...]  # the resident picks one (different areas)
    approximate: bool  # from a location
    from_postcode: bool  # derived from a PC4, not from the exact CBS table
    confidence: str | None  # of the buurt -> area assignment
    thor: TeamBlock | None
    police: TeamBlock | None
    national_channels: tuple[str, ...]  # channel ids, for answers outside Maastricht
    spreekuren: tuple[str, ...] = ()  # the next spreekuren of the area, one line each


def build_area_card(
    result: AreaResult, directory: AreaDirectory, spreekuren: Sequence[str] = ()
) -> AreaCard:
    """The card for one lookup; SPREEKUREN are lines the spreekuren module prepared."""
    thor = police = None
    if result.area:
        area = directory.area(result.area)
        thor = _team("thor", area.thor, area.named_staff)
        police = _team("politie", area.police, area.named_staff)
    kind = {
        Status.FOUND: "area",
        Status.CHOOSE: "choose",
        Status.OUTSIDE: "outside",
        Status.PO_BOX: "po-box",
    }[result.status]
    candidates: tuple[CandidateLine, ...] = ()
    buurten: tuple[str, ...] = ()
    if kind == "choose":
        candidates = tuple(
            CandidateLine(c.buurt, c.area, directory.area(c.area).name) for c in result.candidates
        )
    elif result.candidates:
        buurten = tuple(c.buurt for c in result.candidates)
    confidence = directory.buurt(result.buurt).confidence if result.buurt else None
    return AreaCard(
        kind=kind,
        query=result.query,
        postcode=result.postcode,
        area=result.area,
        area_name=result.area_name,
        buurt=result.buurt,
        buurten=buurten,
        candidates=candidates,
        approximate=result.approximate,
        from_postcode=bool(result.postcode) and not result.exact,
        confidence=confidence,
        thor=thor,
        police=police,
        national_channels=directory.national_channels if kind == "outside" else (),
        spreekuren=tuple(spreekuren) if kind == "area" else (),
    )


def _team(organisation: str, contact: TeamContact, staff: tuple[Staff, ...]) -> TeamBlock:
    prefix = "thor-" if organisation == "thor" else ""
    mine = tuple(s for s in staff if s.role.startswith("thor-") == (prefix == "thor-"))
    return TeamBlock(organisation, contact.role, contact.phone, contact.web, mine)


def shown_postcode(postcode: str | None) -> str:
    """A postcode as people write it: "6221 AB" (the contract form is "6221AB")."""
    if postcode and len(postcode) == 6:
        return f"{postcode[:4]} {postcode[4:]}"
    return postcode or ""


def render_area_text(card: AreaCard, lang: str, kaart: Meldkaart) -> str:
    """The card as plain text in LANG (nl or en); KAART names the national channels."""
    if card.kind == "choose":
        lines = _choose_lines(card, lang)
    elif card.kind == "outside":
        lines = _outside_lines(card, lang, kaart)
    elif card.kind == "po-box":
        lines = [t("area.po_box", lang, postcode=shown_postcode(card.postcode))]
    else:
        lines = _area_lines(card, lang)
    if card.kind != "outside":
        lines += ["", t("answer.reminder_112", lang)]
    return "\n".join(lines).strip()


def _area_lines(card: AreaCard, lang: str) -> list[str]:
    area = card.area_name or ""
    lines = [t("area.card_title", lang, area=area)]
    if card.buurt:
        lines.append(t("area.buurt", lang, buurt=card.buurt))
    elif card.buurten:
        lines.append(
            t(
                "area.buurten_of_postcode",
                lang,
                postcode=shown_postcode(card.postcode),
                buurten=", ".join(card.buurten),
            )
        )
    if card.approximate:
        lines.append(t("area.approximate", lang, postcode=shown_postcode(card.postcode)))
    elif card.from_postcode and card.postcode:
        lines.append(t("area.postcode_basis", lang, postcode=shown_postcode(card.postcode)))
    if card.buurt and card.confidence not in (None, "high"):
        lines.append(t("area.medium_confidence", lang, buurt=card.buurt, area=area))
    if card.thor:
        lines += ["", t("area.thor_heading", lang)]
        lines.append("  " + t("area.thor_first_contact", lang, role=card.thor.role.get(lang)))
        lines.append("  " + t("area.thor_how", lang, phone=card.thor.phone, area=area))
        lines += _staff_lines(card.thor, lang)
    if card.police:
        lines += ["", t("area.police_heading", lang)]
        lines.append(
            "  "
            + t("area.police_how", lang, role=card.police.role.get(lang), phone=card.police.phone)
        )
        if card.police.web:
            lines.append("  " + t("area.police_web", lang, web=card.police.web))
        lines += _staff_lines(card.police, lang)
    lines += ["", t("area.in_person", lang)]
    if card.spreekuren:
        lines += ["", t("area.spreekuren_heading", lang)]
        lines += [f"  - {line}" for line in card.spreekuren]
    return lines


def _staff_lines(block: TeamBlock, lang: str) -> list[str]:
    lines = []
    for person in block.staff:
        role = t(f"area.role.{person.role}", lang)
        if person.email:
            lines.append(
                "  "
                + t("area.staff_line_email", lang, role=role, name=person.name, email=person.email)
            )
        else:
            lines.append("  " + t("area.staff_line", lang, role=role, name=person.name))
    return lines


def _choose_lines(card: AreaCard, lang: str) -> list[str]:
    if card.postcode:
        lines = [t("area.choose", lang, postcode=shown_postcode(card.postcode))]
    else:
        lines = [t("area.choose_name", lang, query=card.query)]
    if card.approximate:
        lines.append(t("area.approximate", lang, postcode=shown_postcode(card.postcode)))
    lines += [
        f"  {index}. " + t("area.candidate", lang, buurt=c.buurt, area=c.area_name)
        for index, c in enumerate(card.candidates, 1)
    ]
    lines.append(t("area.choose_hint", lang))
    return lines


def _outside_lines(card: AreaCard, lang: str, kaart: Meldkaart) -> list[str]:
    if card.postcode:
        lines = [t("area.outside", lang, postcode=shown_postcode(card.postcode))]
    else:
        lines = [t("area.outside_location", lang)]
    blocks = [
        channel_block(kaart.channel(ident), lang)
        for ident in card.national_channels
        if ident in kaart.channels
    ]
    if blocks:
        lines += ["", t("area.national_heading", lang)]
    for block in blocks:
        contact = next((c for c in block.contacts if c.kind == "phone"), None) or next(
            iter(block.contacts), None
        )
        if contact is not None:
            lines.append(f"  {block.name}: {contact.value}")
    return lines
