"""The conversation: a resident's message and the chat's state in, one structured answer out.

Every door (Telegram, the web page, the console chat) hands what a resident sent to
`Conversation.answer` and only renders the `Turn` that comes back, so the same messages get the
same answers everywhere. The policy, in order:

1. Too long or empty: a problem, said kindly.
2. A picked option (a button, or the number of an offered option typed) answers that option.
3. A postcode ("6221 AB", "6224", "6221 AB 12") is an area question; it is never routed.
4. Anything else is routed (on the services' threads). An emergency gets the 112 card, in any
   state; the conversation goes on after it as it was.
5. After the bot asked for a postcode or buurt, a short text is tried as a buurt first; a text
   the router finds nothing in is tried as a buurt too ("Malberg").
6. A vague message gets the situations it may be about as choices; otherwise the answer card,
   with its follow-up question or close alternatives as options.

What is counted (situation, channel, language, door, area; never the words): every answer card
of a report or an emergency, and "not understood". Greetings, area lookups and the choice
question of a vague message are not (its pick is).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot import spreekuren
from bot.answers import AnswerCard, build_card
from bot.areacard import AreaCard, build_area_card
from bot.areas import AreaNotFound, AreaResult, Status
from bot.i18n import N_, normalise_language, t
from bot.meldkaart import Meldkaart
from bot.routing import RouteResult
from bot.services import Services
from bot.stats import Question as Counted
from bot.storage import StorageError

log = logging.getLogger(__name__)

MAX_AREA_WORDS = 4  # a longer text after "what is your postcode?" is a question, not a buurt
CARD_SPREEKUREN = 3  # spreekuren shown on an area card; /spreekuren shows them all


# -- what a resident sends --------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Something typed."""

    text: str


@dataclass(frozen=True)
class Location:
    """A shared location: used for the lookup once, never kept."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class PickSituation:
    """A situation picked from the options of an answer."""

    situation: str


@dataclass(frozen=True)
class PickBuurt:
    """A buurt picked where a postcode spans areas."""

    buurt: str


@dataclass(frozen=True)
class PickSpreekuren:
    """An area picked to see its spreekuren."""

    area: str


@dataclass(frozen=True)
class AskArea:
    """ "Who is my area team?" (/gebied), with a postcode or buurt or without."""

    query: str = ""


@dataclass(frozen=True)
class AskSpreekuren:
    """ "When are the spreekuren?" (/spreekuren), for the chat's area or a postcode or buurt."""

    query: str = ""


Offer = PickSituation | PickBuurt | PickSpreekuren
Message = Text | Location | Offer | AskArea | AskSpreekuren


@dataclass(frozen=True)
class ChatState:
    """What the conversation remembers of one chat between messages: ids and flags, no words.

    Telegram keeps language and area in its chat settings and the rest in memory; the web page
    sends it back with every message; the console holds it while it runs.
    """

    language: str | None = None  # chosen by the resident; None: the door's guess or the text's
    detected: str | None = None  # the language of the last text routed (nl or en)
    area: str | None = None  # the chat's area, once one was certain
    buurt: str | None = None
    asked_area: bool = False  # the last answer asked for a postcode or buurt
    offered: tuple[Offer, ...] = ()  # the options of the last answer, numbered from 1


# -- what the conversation answers --------------------------------------------------------------


@dataclass(frozen=True)
class RouteAnswer:
    """An answer card: where to report, or an emergency, a greeting, "not understood"."""

    card: AnswerCard
    result: RouteResult


@dataclass(frozen=True)
class AreaAnswer:
    """An area card; KEPT: its area became the chat's area."""

    card: AreaCard
    kept: bool


@dataclass(frozen=True)
class Listing:
    """The upcoming spreekuren of one area, as text in the answer's language."""

    area: str
    area_name: str
    text: str
    empty: bool


@dataclass(frozen=True)
class Choice:
    """One option of a question."""

    label: str
    pick: Offer


@dataclass(frozen=True)
class Question:
    """The conversation asks: KIND situation (a vague message), area (postcode or buurt) or
    spreekuren (which area)."""

    kind: str
    text: str
    choices: tuple[Choice, ...] = ()
    reminder: str | None = None  # the 112 line, under questions about what happened


@dataclass(frozen=True)
class Problem:
    """Something that cannot be answered as sent, with a catalog text saying why and what to do."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        """The friendly text in LANG."""
        return t(self.key, lang, **self.values)


Answer = RouteAnswer | AreaAnswer | Listing | Question | Problem


@dataclass(frozen=True)
class Turn:
    """One answer, the chat's state after it and the language it is in."""

    answer: Answer
    state: ChatState
    language: str


def answer_option(kaart: Meldkaart, situation_id: str) -> RouteResult:
    """The route result for a situation the resident picked (a sure answer, named)."""
    situation = kaart.situation(situation_id)
    return RouteResult(
        channel=situation.channel,
        situation=situation.id,
        alternatives=situation.alternatives,
        emergency=situation.channel == "112",
        confidence=1.0,
        language="nl",
    )


class Conversation:
    """The conversation policy for one door, on the services of the process."""

    def __init__(self, services: Services, door: str, *, counting: bool = True) -> None:
        self.services = services
        self.door = door  # for the counters: telegram, web, api or cli
        self.counting = counting

    async def answer(
        self,
        message: Message,
        state: ChatState,
        lang: str | None = None,
        routed: RouteResult | None = None,
    ) -> Turn:
        """The answer to MESSAGE in STATE. LANG is the door's guess of the resident's language
        (a chosen one in STATE wins); ROUTED is MESSAGE's route result when a door has it."""
        knowledge = self.services.areas.knowledge
        if state.area not in knowledge.areas or state.buurt not in (None, *knowledge.buurten):
            # an area the knowledge no longer has (or a page sent one it never had)
            state = replace(state, area=None, buurt=None)
        if isinstance(message, Text):
            return await self._text(message.text, state, lang, routed)
        language = state.language or lang or state.detected or "nl"
        if isinstance(message, PickSituation):
            return await self._pick_situation(message.situation, state, language)
        if isinstance(message, PickBuurt):
            return await self._pick_buurt(message.buurt, state, language)
        if isinstance(message, PickSpreekuren):
            return await self._listing(message.area, state, language)
        if isinstance(message, Location):
            return await self._location(message, state, language)
        if isinstance(message, AskArea):
            return await self._ask_area(message.query, state, language)
        return await self._ask_spreekuren(message.query, state, language)

    async def route(self, text: str, state: ChatState) -> RouteResult | None:
        """TEXT routed as `answer` routes it; None where `answer` does not route it (a problem, a
        postcode, the number of an offered option). A door that must know first whether a text
        is an emergency (whatever else is going on in the chat) asks this, then passes the
        result to `answer`."""
        text = text.strip()
        if self._problem(text) or self._offer(text, state) or self.services.areas.is_postcode(text):
            return None
        return await self.services.route(text, door=self.door)

    # -- text ------------------------------------------------------------------------------

    async def _text(
        self, raw: str, state: ChatState, lang: str | None, routed: RouteResult | None
    ) -> Turn:
        text = raw.strip()
        fallback = state.language or lang or state.detected or "nl"
        problem = self._problem(text)
        if problem is not None:
            return Turn(problem, state, fallback)
        offer = self._offer(text, state)
        if offer is not None:
            return await self.answer(offer, state, lang)
        areas = self.services.areas
        if areas.is_postcode(text):
            return await self._area(text, state, fallback)
        result = routed or await self.services.route(text, door=self.door)
        state = replace(state, detected=normalise_language(result.language))
        language = state.language or lang or state.detected or "nl"
        if result.emergency:
            return Turn(await self.card(result, text, state, language), state, language)
        found_nothing = result.situation is None and not result.info
        if len(text.split()) <= MAX_AREA_WORDS and (state.asked_area or found_nothing):
            try:
                looked_up = areas.lookup(text)
            except AreaNotFound as exc:
                if state.asked_area and found_nothing:
                    return Turn(Problem(exc.key, exc.values), state, language)
            else:
                return await self._area_turn(looked_up, state, language)
        if result.vague and len(result.likely) > 1:
            return self._vague(result, state, language)
        answer = await self.card(result, text, state, language)
        offered = tuple(PickSituation(o.situation) for o in answer.card.options)
        return Turn(answer, _after(state, offered=offered), language)

    def _problem(self, text: str) -> Problem | None:
        limit = self.services.settings.max_text_chars
        if len(text) > limit:
            return Problem(N_("chat.too_long"), {"limit": limit})
        if not any(ch.isalnum() for ch in text):  # blank, zero-width or only punctuation
            return Problem(N_("chat.empty"))
        return None

    @staticmethod
    def _offer(text: str, state: ChatState) -> Offer | None:
        """The offered option whose number TEXT is ("2" after numbered options), if any."""
        if text.isdigit() and 1 <= int(text) <= len(state.offered):
            return state.offered[int(text) - 1]
        return None

    def _vague(self, result: RouteResult, state: ChatState, lang: str) -> Turn:
        kaart = self.services.router.meldkaart
        choices = tuple(
            Choice(kaart.situation(s).title.get(lang), PickSituation(s)) for s in result.likely
        )
        question = Question(
            "situation",
            t("answer.vague_question", lang),
            choices,
            reminder=t("answer.reminder_112", lang),
        )
        return Turn(question, _after(state, offered=tuple(c.pick for c in choices)), lang)

    async def card(
        self,
        result: RouteResult,
        text: str | None,
        state: ChatState,
        lang: str,
        followup: bool = True,
    ) -> RouteAnswer:
        """The answer card of RESULT (TEXT routed, or a pick when None), counted.

        /api/route, which answers one text without a conversation, uses this too."""
        card = build_card(result, self.services.router.meldkaart, lang, ask_followup=followup)
        if not result.info:
            # Where the message says it is (a Maastricht postcode or buurt) beats the chat's area.
            where = self.services.areas.where_in(text) if text else None
            area = (where.area if where else None) or state.area
            await self._count(result, lang, area, where.pc4 if where else None)
        return RouteAnswer(card, result)

    async def _count(
        self, result: RouteResult, lang: str, area: str | None, pc4: str | None
    ) -> None:
        if not self.counting:
            return
        question = Counted(
            situation=result.situation,
            channel=result.channel,
            emergency=result.emergency,
            language=lang,
            door=self.door,
            area=area,
            pc4=pc4,
        )
        try:
            await self.services.stats.record(question)
        except Exception as exc:  # counting never costs an answer; the kind only, no words
            log.warning("counting failed: %s", type(exc).__name__)

    # -- picks -----------------------------------------------------------------------------

    async def _pick_situation(self, situation_id: str, state: ChatState, lang: str) -> Turn:
        kaart = self.services.router.meldkaart
        situation = kaart.situations.get(situation_id)
        if situation is None or not situation.is_report:
            return Turn(Problem(N_("chat.option_unknown")), state, lang)
        # A pick answers the question it came from: no follow-up question again.
        result = answer_option(kaart, situation.id)
        answer = await self.card(result, None, state, lang, followup=False)
        return Turn(answer, _after(state), lang)

    async def _pick_buurt(self, buurt: str, state: ChatState, lang: str) -> Turn:
        if buurt not in self.services.areas.knowledge.buurten:
            return Turn(Problem(N_("chat.option_unknown")), state, lang)
        return await self._area_turn(self.services.areas.lookup(buurt), state, lang)

    # -- areas -----------------------------------------------------------------------------

    async def _area(self, query: str, state: ChatState, lang: str) -> Turn:
        try:
            result = self.services.areas.lookup(query)
        except AreaNotFound as exc:
            problem = Problem(exc.key, exc.values)
            return Turn(problem, _after(state, asked_area=state.asked_area), lang)
        return await self._area_turn(result, state, lang)

    async def _location(self, location: Location, state: ChatState, lang: str) -> Turn:
        try:
            result = self.services.areas.lookup_location(location.latitude, location.longitude)
        except AreaNotFound as exc:
            return Turn(Problem(exc.key, exc.values), state, lang)
        return await self._area_turn(result, state, lang)

    async def _ask_area(self, query: str, state: ChatState, lang: str) -> Turn:
        if query.strip():
            return await self._area(query, state, lang)
        if state.area:
            try:
                result = self.services.areas.lookup(state.buurt or state.area)
            except AreaNotFound:  # the knowledge changed since the area was chosen
                result = None
            if result is not None and result.status == Status.FOUND:
                return await self._area_turn(result, state, lang, remember=False)
        question = Question("area", t("chat.area_question", lang))
        return Turn(question, _after(state, asked_area=True), lang)

    async def _area_turn(
        self, result: AreaResult, state: ChatState, lang: str, remember: bool = True
    ) -> Turn:
        """The area card; a certain area becomes the chat's area."""
        lines = await self._spreekuren_lines(result.area, lang) if result.area else []
        card = build_area_card(result, self.services.areas, lines)
        kept = remember and result.status == Status.FOUND and result.area is not None
        after = _after(
            state,
            # a split postcode: the card says to type the buurt, so the next text is tried so
            asked_area=result.status == Status.CHOOSE,
            offered=tuple(PickBuurt(c.buurt) for c in card.candidates),
        )
        if kept:
            after = replace(after, area=result.area, buurt=result.buurt)
        return Turn(AreaAnswer(card, kept), after, lang)

    # -- spreekuren ------------------------------------------------------------------------

    async def _spreekuren_lines(self, area: str, lang: str) -> list[str]:
        """The next few spreekuren of AREA for its card (none when the store fails)."""
        now = self.services.clock()
        try:
            items = await spreekuren.upcoming(self.services.db, area, now)
        except StorageError as exc:
            log.warning("spreekuren for the area card failed: %s", exc)
            return []
        today = spreekuren.today_in_maastricht(now)
        return [spreekuren.format_occurrence(o, lang, today) for o in items[:CARD_SPREEKUREN]]

    async def _ask_spreekuren(self, query: str, state: ChatState, lang: str) -> Turn:
        areas = self.services.areas
        if not query.strip():
            if state.area in areas.knowledge.areas:
                return await self._listing(state.area or "", state, lang)
            return self._which_area(t("spreekuren.tg.which_area", lang), state, lang)
        try:
            result = areas.lookup(query)
        except AreaNotFound as exc:
            text = exc.message(lang) + "\n\n" + t("spreekuren.tg.pick_area", lang)
            return self._which_area(text, state, lang)
        if result.status == Status.FOUND and result.area:
            return await self._listing(result.area, state, lang)
        if result.status == Status.CHOOSE and result.candidates:
            # every candidate buurt, as the area card offers them: a resident knows the buurt
            choices = tuple(
                Choice(
                    t(
                        "spreekuren.tg.candidate",
                        lang,
                        buurt=c.buurt,
                        area=areas.area(c.area).name,
                    ),
                    PickSpreekuren(c.area),
                )
                for c in result.candidates
            )
            question = Question("spreekuren", t("spreekuren.tg.choose", lang), choices)
            return Turn(question, _after(state, offered=tuple(c.pick for c in choices)), lang)
        return self._which_area(t("spreekuren.tg.outside", lang), state, lang)

    def _which_area(self, text: str, state: ChatState, lang: str) -> Turn:
        choices = tuple(
            Choice(area.name, PickSpreekuren(area.id)) for area in self.services.areas.areas()
        )
        question = Question("spreekuren", text, choices)
        return Turn(question, _after(state, offered=tuple(c.pick for c in choices)), lang)

    async def _listing(self, area: str, state: ChatState, lang: str) -> Turn:
        areas = self.services.areas
        if area not in areas.knowledge.areas:
            return Turn(Problem(N_("chat.option_unknown")), state, lang)
        now: datetime = self.services.clock()
        try:
            items = await spreekuren.upcoming(self.services.db, area, now)
        except StorageError as exc:
            log.warning("spreekuren: the database failed: %s", exc)
            return Turn(Problem(N_("spreekuren.tg.storage_error")), state, lang)
        contacts = spreekuren.team_contacts(self.services.router.meldkaart)
        text = spreekuren.render_listing(areas, area, items, lang, now, contacts)
        listing = Listing(area, areas.area(area).name, text, empty=not items)
        return Turn(listing, _after(state), lang)


def _after(
    state: ChatState, *, asked_area: bool = False, offered: tuple[Offer, ...] = ()
) -> ChatState:
    """STATE after an answer: what the answer asked and offered replaces what came before."""
    return replace(state, asked_area=asked_area, offered=offered)
