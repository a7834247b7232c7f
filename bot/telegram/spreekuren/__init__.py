"""Spreekuren in Telegram (issue 5): what residents see and how staff publish, change and cancel.

One module per feature, composed by `feature()` in the order the handlers must be tried:
- `guards`: a staff command edited, forwarded or sent in a group is refused before any other,
  and a button of a guided conversation that is over changes nothing;
- `listing` (residents): /spreekuren, /spreekuren 6224 | Malberg | noord-oost, and the
  "Spreekuren" button under an area card (sp:<area>); `card_lines` for the area card;
- `staff_admin` (admins): /staff_toevoegen, /staff_verwijderen, /staff_lijst; /mijn_id for anyone;
- `overview` (staff): /spreekuren_beheer;
- `publish` and `edit` (staff): /spreekuur_nieuw and /spreekuur_wijzig, in one line or as a
  guided conversation (bot.telegram.guided keeps it in the database, so a restart goes on);
- `cancel` (staff): /spreekuur_annuleer and its buttons.

Every staff handler asks bot.staff who is asking, behind buttons too (a menu is only a hint);
bot.spreekuren checks and stores.
"""

from __future__ import annotations

from bot.telegram.commands import Command, Role
from bot.telegram.feature import Feature
from bot.telegram.spreekuren import cancel, edit, guards, listing, overview, publish, staff_admin
from bot.telegram.spreekuren.common import now_of
from bot.telegram.spreekuren.listing import card_lines

__all__ = ["card_lines", "feature", "now_of"]

STAFF_COMMANDS = ("spreekuur_nieuw", "spreekuur_wijzig", "spreekuur_annuleer", "spreekuren_beheer")
ADMIN_COMMANDS = ("staff_toevoegen", "staff_verwijderen", "staff_lijst")


def feature() -> Feature:
    """Every spreekuren handler, and the staff and admin commands."""
    return Feature(
        name="spreekuren",
        handlers=(
            *guards.handlers(),  # before every staff handler
            *listing.handlers(),
            *staff_admin.handlers(),
            *overview.handlers(),
            publish.CONVERSATION.entry("spreekuur_nieuw"),
            edit.CONVERSATION.entry("spreekuur_wijzig"),
            *cancel.handlers(),
        ),
        commands=(
            *(Command(n, Role.STAFF, f"spreekuren.cmd.{n}") for n in STAFF_COMMANDS),
            Command("afbreken", Role.STAFF, "spreekuren.cmd.afbreken", in_menu=False),
            Command("mijn_id", Role.STAFF, "spreekuren.cmd.mijn_id"),
            *(Command(n, Role.ADMIN, f"spreekuren.cmd.{n}") for n in ADMIN_COMMANDS),
        ),
        conversations=(publish.CONVERSATION, edit.CONVERSATION),
    )
