"""The resident's conversation, end to end through the fake Bot API, in Dutch and English."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from bot import chatsettings
from bot.i18n import t
from bot.meldkaart import FollowUp, FollowUpOption, Meldkaart, Situation, Text
from bot.routing import Router, RouteResult
from bot.stats import Question

RUBBISH = "er staan weer vuilniszakken naast de container"
FIRE = "er is brand in mijn keuken nu"


# -- a router with scripted answers, so the door is tested apart from the routing rules -------


def _situation(ident: str, channel: str, title: str, **extra: Any) -> Situation:
    return Situation(
        id=ident,
        theme="afval",
        title=Text(title, title + " (en)"),
        why=Text("Omdat het zo is.", "Because it is so."),
        channel=channel,
        alternatives=extra.pop("alternatives", ()),
        phrases={},
        keywords={},
        **extra,
    )


class ScriptedRouter(Router):
    """The real meldkaart plus test situations; some texts get a scripted result."""

    def __init__(self, base: Router) -> None:
        noise_night = _situation("test-geluid-nacht", "politie", "Geluid 's nachts")
        noise_day = _situation("test-geluid-dag", "melddesk", "Geluid overdag")
        neighbours = _situation(
            "test-burenlawaai",
            "melddesk",
            "Lawaai van de buren",
            alternatives=("politie",),
            followup=FollowUp(
                Text("Is het nu, midden in de nacht?", "Is it now, in the middle of the night?"),
                (
                    FollowUpOption(Text("Ja, nu 's nachts", "Yes, now at night"), noise_night.id),
                    FollowUpOption(Text("Nee, overdag", "No, in the daytime"), noise_day.id),
                ),
            ),
        )
        home = _situation("test-thuis", "veilig-thuis", "Zorgen over geweld thuis")
        extra = {s.id: s for s in (noise_night, noise_day, neighbours, home)}
        kaart = base.meldkaart
        self.meldkaart = Meldkaart(
            kaart.channels,
            kaart.themes,
            {**kaart.situations, **extra},
            kaart.danger,
            kaart.source_dir,
        )
        self._base = base
        self.script = {
            "iets met geluid of afval": RouteResult(
                "melddesk",
                "afval-bijplaatsing",
                ("politie",),
                False,
                0.3,
                "nl",
                choices=(noise_night.id, noise_day.id),
            ),
            "de buren maken herrie": RouteResult(
                "melddesk", neighbours.id, ("politie",), False, 0.8, "nl"
            ),
            "ik maak me zorgen over mijn buurmeisje": RouteResult(
                "veilig-thuis", home.id, (), False, 0.8, "nl"
            ),
        }

    def route(self, text: str) -> RouteResult:
        """The scripted result for TEXT, else the real router's."""
        return self.script.get(text) or self._base.route(text)


@dataclass
class Counted:
    """What the bot handed to the statistics."""

    questions: list[Question] = field(default_factory=list)
    feedback: list[tuple[str | None, bool, str]] = field(default_factory=list)


@pytest.fixture
def scripted(telegram) -> ScriptedRouter:
    """Swap the router of the running bot for the scripted one."""
    router = ScriptedRouter(telegram.services.router)
    telegram.services.router = router
    return router


@pytest.fixture
def counted(telegram, monkeypatch) -> Counted:
    """Record what the bot counts instead of (also) writing it."""
    seen = Counted()

    async def record(question: Question) -> None:
        seen.questions.append(question)

    async def feedback(situation: str | None, helpful: bool, door: str) -> None:
        seen.feedback.append((situation, helpful, door))

    monkeypatch.setattr(telegram.services.stats, "record", record)
    monkeypatch.setattr(telegram.services.stats, "feedback", feedback)
    return seen


# -- /start, /help, /privacy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expect"),
    [
        ("nl", "Hoi, ik ben Meldwijzer"),
        ("nl-BE", "Hoi, ik ben Meldwijzer"),
        ("en", "Hi, I am Meldwijzer"),
        ("de", "Hi, I am Meldwijzer"),
        (None, "Hoi, ik ben Meldwijzer"),
    ],
)
async def test_start_follows_telegram_language(telegram, code, expect) -> None:
    replies = await telegram.send("/start", lang=code)
    assert replies.texts[0].startswith(expect)
    assert "112" in replies.text
    assert "/privacy" in replies.text
    assert replies.button("🏘")["callback_data"] == "area:ask"


@pytest.mark.parametrize(("lang", "words"), [("nl", "Zo werkt"), ("en", "How Meldwijzer works")])
async def test_help_lists_the_commands(telegram, lang, words) -> None:
    replies = await telegram.send("/help", lang=lang)
    assert words in replies.text
    for command in ("/gebied", "/spreekuren", "/taal", "/privacy", "/wis", "/stop"):
        assert command in replies.text


@pytest.mark.parametrize(
    ("lang", "stored", "not_stored"),
    [("nl", "Wat ik bewaar", "Wat ik niet bewaar"), ("en", "What I keep", "What I do not keep")],
)
async def test_privacy_says_what_is_kept_and_how_to_delete(
    telegram, lang, stored, not_stored
) -> None:
    replies = await telegram.send("/privacy", lang=lang)
    assert stored in replies.text and not_stored in replies.text
    assert "/stop" in replies.text and "/wis" in replies.text
    assert "6221" in replies.text  # the counts keep a postcode's four digits: it says so


# -- the answer card ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "first", "reminder"),
    [
        ("nl", "Meld dit bij: Gemeente Maastricht", "Bij direct gevaar: bel 112."),
        ("en", "Report this to: Municipality of Maastricht", "In immediate danger: call 112."),
    ],
)
async def test_an_everyday_answer_starts_with_its_channel_and_ends_with_112(
    telegram, counted, lang, first, reminder
) -> None:
    replies = await telegram.send(RUBBISH, lang=lang)
    assert len(replies.messages) == 1
    assert replies.first_line.startswith(first)
    assert "112" not in replies.first_line
    assert replies.texts[0].strip().splitlines()[-1] == reminder
    assert "14 043" in replies.text
    web = [b for b in replies.buttons() if "url" in b]
    assert web and all(b["url"].startswith("https://") for b in web)
    feedback = [
        b["callback_data"]
        for b in replies.buttons()
        if b.get("callback_data", "").startswith("fb:")
    ]
    assert feedback == ["fb:1:afval-bijplaatsing", "fb:0:afval-bijplaatsing"]
    assert replies.messages[0]["parse_mode"] == "HTML"
    assert counted.questions == [
        Question(
            situation="afval-bijplaatsing",
            channel="melddesk",
            emergency=False,
            language=lang,
            door="telegram",
            area=None,
        )
    ]


@pytest.mark.parametrize(("lang", "app"), [("nl", "112NL"), ("en", "112NL")])
async def test_an_emergency_starts_with_112_on_its_first_line(telegram, counted, lang, app) -> None:
    replies = await telegram.send(FIRE, lang=lang)
    assert "112" in replies.first_line
    assert replies.first_line.startswith("🚨")
    assert app in replies.text
    assert any(b["text"].startswith("👍") for b in replies.buttons())
    assert not any(b.get("callback_data") == "area:ask" for b in replies.buttons())
    assert counted.questions[0].emergency is True
    assert counted.questions[0].channel == "112"


async def test_a_counted_question_carries_the_chosen_area(telegram, counted) -> None:
    await chatsettings.set_area(telegram.services.db, telegram.RESIDENT, "noord-west", "Malberg")
    await telegram.send(RUBBISH)
    assert counted.questions[0].area == "noord-west"


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_unsure_offers_the_runners_up_and_a_pick_answers(
    telegram, scripted, counted, lang
) -> None:
    replies = await telegram.send("iets met geluid of afval", lang=lang)
    assert replies.first_line.startswith("Meld dit bij" if lang == "nl" else "Report this to")
    options = [b for b in replies.buttons() if b.get("callback_data", "").startswith("o:")]
    # the answer shown is not offered again: the buttons are the other possibilities
    assert [b["callback_data"] for b in options] == ["o:test-geluid-nacht", "o:test-geluid-dag"]
    picked = await telegram.click("o:test-geluid-nacht", on=replies.messages[0], lang=lang)
    assert picked.alerts == [{"callback_query_id": "1"}]
    assert picked.first_line.startswith(
        "Meld dit bij: Politie" if lang == "nl" else "Report this to: Police"
    )
    assert counted.questions[-1].situation == "test-geluid-nacht"


@pytest.mark.parametrize(
    ("lang", "question"),
    [
        ("nl", "Is het nu, midden in de nacht?"),
        ("en", "Is it now, in the middle of the night?"),
    ],
)
async def test_a_follow_up_question_is_asked_with_buttons(
    telegram, scripted, lang, question
) -> None:
    replies = await telegram.send("de buren maken herrie", lang=lang)
    assert question in replies.text
    assert replies.texts[0].index(question) < replies.texts[0].index("112")
    yes = replies.button("Ja" if lang == "nl" else "Yes")
    assert yes["callback_data"] == "o:test-geluid-nacht"
    answer = await telegram.click(yes["callback_data"], on=replies.messages[0], lang=lang)
    assert "Politie" in answer.first_line or "Police" in answer.first_line


async def test_a_veilig_thuis_answer_offers_the_quick_exit(telegram, scripted) -> None:
    replies = await telegram.send("ik maak me zorgen over mijn buurmeisje")
    assert "Veilig Thuis" in replies.first_line
    assert replies.button("🚪")["callback_data"] == "wis:now"


# -- 👍 / 👎 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "thanks"), [("nl", "Dank je"), ("en", "Thank you")])
async def test_feedback_is_counted_and_the_buttons_go(telegram, counted, lang, thanks) -> None:
    replies = await telegram.send(RUBBISH, lang=lang)
    down = replies.button("👎")
    clicked = await telegram.click(down["callback_data"], on=replies.messages[0], lang=lang)
    assert counted.feedback == [("afval-bijplaatsing", False, "telegram")]
    assert thanks in clicked.alerts[0]["text"]
    edited = clicked.of("editMessageReplyMarkup")
    assert len(edited) == 1
    left = [b for row in edited[0].params["reply_markup"]["inline_keyboard"] for b in row]
    assert left and not any(b.get("callback_data", "").startswith("fb:") for b in left)


async def test_feedback_on_an_answer_without_situation_counts_unknown(telegram, counted) -> None:
    await telegram.click("fb:1:-")
    assert counted.feedback == [(None, True, "telegram")]


@pytest.mark.parametrize(
    "data",
    [
        "fb:1:no-such-situation",
        "fb:2:afval-bijplaatsing",
        "fb:1:<b>",
        "o:no-such-situation",
        "o:groet",
        "o:",
        "zzz",
        "lang:fr",
        "bu:Atlantis",
        "area:steal",
        "wis:later",
        "x" * 64,
        "",
    ],
)
async def test_forged_buttons_get_a_polite_answer_and_change_nothing(
    telegram, counted, data
) -> None:
    replies = await telegram.click(data)
    assert replies.messages == []
    assert len(replies.alerts) == 1 and replies.alerts[0]["show_alert"] is True
    assert "button" in replies.alerts[0]["text"] or "knop" in replies.alerts[0]["text"]
    assert counted.feedback == [] and counted.questions == []
    row = await telegram.services.db.fetchone("SELECT COUNT(*) FROM chat_settings")
    assert row[0] == 0


# -- /taal and /stop ------------------------------------------------------------------------------


async def test_taal_with_an_argument_switches_and_is_kept(telegram) -> None:
    replies = await telegram.send("/taal en", lang="nl")
    assert "English" in replies.text
    settings = await chatsettings.get(telegram.services.db, telegram.RESIDENT)
    assert settings.language == "en"
    answer = await telegram.send(RUBBISH, lang="nl")
    assert answer.first_line.startswith("Report this to")


async def test_taal_without_argument_offers_buttons(telegram) -> None:
    replies = await telegram.send("/taal", lang="en")
    assert {b["callback_data"] for b in replies.buttons()} == {"lang:nl", "lang:en"}
    chosen = await telegram.click("lang:nl", on=replies.messages[0], lang="en")
    assert "Nederlands" in chosen.text
    assert (await chatsettings.get(telegram.services.db, telegram.RESIDENT)).language == "nl"
    assert (await telegram.send("/start", lang="en")).texts[0].startswith("Hoi")


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_stop_forgets_the_chat(telegram, lang) -> None:
    await telegram.send(f"/taal {lang}")
    await chatsettings.set_area(telegram.services.db, telegram.RESIDENT, "noord-oost")
    replies = await telegram.send("/stop", lang=lang)
    assert "/wis" in replies.text
    row = await telegram.services.db.fetchone(
        "SELECT COUNT(*) FROM chat_settings WHERE chat_id = ?", (telegram.RESIDENT,)
    )
    assert row[0] == 0
    again = await telegram.send("/stop", lang=lang)
    assert again.text != replies.text  # "nothing was kept"


async def test_only_language_and_area_are_ever_kept(telegram) -> None:
    for text in ("/start", RUBBISH, FIRE, "Mijn naam is Jan Jansen, 06-12345678", "/taal en"):
        await telegram.send(text)
    rows = await telegram.services.db.fetchall("SELECT * FROM chat_settings")
    assert [dict(r) for r in rows] == [
        {"chat_id": telegram.RESIDENT, "language": "en", "area": None, "buurt": None}
    ]


async def test_one_web_button_per_channel_each_named_apart(telegram) -> None:
    # Buurtbemiddeling has two web addresses: it once got two identical buttons
    replies = await telegram.send("we hebben al maanden ruzie met de buren over de schutting")
    assert replies.first_line.startswith("Meld dit bij: Buurtbemiddeling")
    first = [b["text"] for b in replies.buttons() if "url" in b]
    assert first == ["🌐 Buurtbemiddeling Maastricht"]  # the channel's own link, first
    # the details (the "Meer" button) carry a button per channel shown there
    more = replies.button("ℹ️")
    details = await telegram.click(more["callback_data"], on=replies.messages[0])
    links = [b["text"] for b in details.buttons() if "url" in b]
    assert len(links) == len(set(links)) == 2  # Buurtbemiddeling and the housing corporation


@pytest.mark.parametrize(
    ("lang", "text"), [("nl", "er is iets met mijn buren"), ("en", "something with my neighbours")]
)
async def test_a_vague_message_gets_the_likely_situations_as_buttons(
    telegram, counted, lang, text
) -> None:
    replies = await telegram.send(text, lang=lang)
    kaart = telegram.services.router.meldkaart
    assert replies.first_line == t("answer.vague_question", lang)
    options = [b for b in replies.buttons() if b.get("callback_data", "").startswith("o:")]
    titles = [kaart.situation(b["callback_data"][2:]).title.get(lang) for b in options]
    assert [b["text"] for b in options] == titles and len(titles) >= 3
    assert "burenruzie" in [b["callback_data"][2:] for b in options]
    assert counted.questions == []  # a question back is not an answer: the pick is counted
    picked = await telegram.click("o:burenruzie", on=replies.messages[0], lang=lang)
    assert "Buurtbemiddeling" in picked.first_line
    assert [q.situation for q in counted.questions] == ["burenruzie"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("my neighbour plays loud music every night", "geluid-buren-nacht"),
        ("Mein Nachbar ist seit Tagen nicht zu sehen, es riecht komisch", None),
    ],
)
async def test_het_gaat_om_names_what_was_described_or_nothing(telegram, text, named) -> None:
    kaart = telegram.services.router.meldkaart
    replies = await telegram.send(text, lang="en")
    first = replies.texts[0]
    wrong = [kaart.situation(s).title.en for s in ("geluid-horeca-terras", "graffiti")]
    named_lines = [line for line in first.splitlines() if line.startswith("This is about")]
    if named:
        assert named_lines == [t("answer.situation", "en", title=kaart.situation(named).title.en)]
    else:  # unsure of the situation: the likely ones are asked, none is named
        assert named_lines == [] and replies.first_line == t("answer.vague_question", "en")
    assert not any(title in line for title in wrong for line in named_lines)
