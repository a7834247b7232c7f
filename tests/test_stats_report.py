"""The per-area overview on a generated half year: figures, suppression, files, escaping."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from areas_support import other_areas, packaged_areas

from bot.config import Settings
from bot.meldkaart import Text
from bot.stats import TZ, Period, Question, Stats
from bot.statsreport import (
    Overview,
    areas_with_data,
    build_overview,
    heatmap,
    heatmap_file,
    report_html,
    summary_text,
    write_report,
)
from bot.storage import Database


def _situation(theme: str, nl: str, en: str) -> SimpleNamespace:
    return SimpleNamespace(theme=theme, title=Text(nl, en))


KAART = SimpleNamespace(
    situations={
        "afval-bijplaatsing": _situation("afval", "Afval naast de container", "Rubbish by the bin"),
        "fiets-wrak": _situation("fiets", "Fietswrak", "Abandoned bike"),
        "jeugdoverlast": _situation("sociaal", "Jeugdoverlast", "Youth nuisance"),
        "nood-brand": _situation("veiligheid", "Brand <script>alert(1)</script>", "Fire"),
    },
    themes={
        "afval": SimpleNamespace(name=Text("Afval", "Waste")),
        "fiets": SimpleNamespace(name=Text("Fiets", "Bicycles")),
        "sociaal": SimpleNamespace(name=Text("Sociale overlast", "Social nuisance")),
        "veiligheid": SimpleNamespace(name=Text("Veiligheid", "Safety")),
    },
)
FRIDAY_22 = 4 * 24 + 22
AREAS = packaged_areas()


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 2, 12, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
async def stats(tmp_path: Path) -> AsyncIterator[Stats]:
    db = await Database.open(tmp_path / "report.sqlite3")
    yield Stats(db, Settings(), clock=Clock(), meldkaart=KAART)  # type: ignore[arg-type]
    await db.close()


async def ask(
    stats: Stats,
    when: datetime,
    times: int,
    situation: str | None,
    area: str = "noord-oost",
    pc4: str | None = None,
) -> None:
    stats.clock.moment = when  # type: ignore[attr-defined]
    for _ in range(times):
        await stats.record(
            Question(
                situation, "melddesk" if situation else None, False, "nl", "telegram", area, pc4
            )
        )


async def generate_half_year(stats: Stats) -> None:
    """2026H1 and 2025H2 in Noord-Oost, some Zuid-Oost beside it (which must not mix in)."""
    friday_night = datetime(2026, 3, 13, 22, 15, tzinfo=TZ)
    await ask(stats, friday_night, 30, "afval-bijplaatsing", pc4="6222")
    await ask(stats, datetime(2026, 5, 4, 9, tzinfo=TZ), 10, "afval-bijplaatsing", pc4="6224")
    await ask(stats, datetime(2026, 2, 10, 16, tzinfo=TZ), 12, "fiets-wrak")
    await ask(stats, datetime(2026, 6, 30, 23, 30, tzinfo=TZ), 3, "jeugdoverlast", pc4="6211")
    await ask(stats, datetime(2026, 1, 1, 0, 5, tzinfo=TZ), 7, "nood-brand")
    await ask(stats, datetime(2026, 4, 17, 22, 40, tzinfo=TZ), 6, None)  # another Friday 22:00
    # the half year before
    await ask(stats, datetime(2025, 9, 1, 10, tzinfo=TZ), 25, "afval-bijplaatsing")
    await ask(stats, datetime(2025, 12, 31, 23, 59, tzinfo=TZ), 2, "fiets-wrak")
    await ask(stats, datetime(2025, 7, 1, 0, 0, tzinfo=TZ), 8, "jeugdoverlast")
    await ask(stats, datetime(2025, 10, 5, 14, tzinfo=TZ), 7, "nood-brand")
    # outside both periods, and another area
    await ask(stats, datetime(2026, 7, 1, 0, 0, tzinfo=TZ), 50, "afval-bijplaatsing")
    await ask(stats, datetime(2025, 6, 30, 23, 59, tzinfo=TZ), 50, "afval-bijplaatsing")
    await ask(stats, friday_night, 100, "fiets-wrak", area="zuid-oost", pc4="6222")


async def test_the_overview_of_a_half_year(stats: Stats) -> None:
    await generate_half_year(stats)
    o = await build_overview(stats, AREAS, Period.parse("2026H1"), "noord-oost", "nl")
    assert (o.area_name, o.period.label) == ("Noord-Oost", "2026H1")
    assert o.previous_period.label == "2025H2"
    # 40 + 12 + 3 + 7 + 6 = 68 and 25 + 2 + 8 + 7 = 42, each shown as its band of five
    assert (o.total.label, o.total.exact) == ("65–69", None)
    assert o.previous_total.label == "40–44"
    assert (o.change, o.change_label) == (25, "≈+25")  # from the bands: within 4 of the +26

    themes = {
        i.id: (i.figure.label, i.previous.label if i.previous else None, i.change) for i in o.themes
    }
    assert themes == {
        "afval": ("40–44", "25–29", 15),
        "fiets": ("10–14", "<5", None),  # no change against a count under 5
        "sociaal": ("<5", "5–9", None),
        "veiligheid": ("5–9", "5–9", 0),
        "unknown": ("5–9", "0", 5),
    }
    assert [i.id for i in o.themes][:2] == ["afval", "fiets"]

    situations = [(i.id, i.name, i.figure.label, i.change) for i in o.situations]
    assert situations == [
        ("afval-bijplaatsing", "Afval naast de container", "40–44", 15),
        ("fiets-wrak", "Fietswrak", "10–14", None),
        ("nood-brand", "Brand <script>alert(1)</script>", "5–9", 0),
        ("unknown", "Niet herkend", "5–9", 5),
    ]  # jeugdoverlast (3) is not a hot-item and is not listed at all

    hotspots = [(i.id, i.figure.label) for i in o.hotspots]
    assert hotspots == [("6222", "30–34"), ("6224", "10–14")]

    hours = o.heatmap
    assert hours.bands[FRIDAY_22] == max(hours.bands)  # 30 + 6 questions
    assert hours.busiest == (FRIDAY_22,)
    assert hours.bands[0 * 24 + 9] >= 1  # Monday 09:00, 10 questions
    assert hours.bands[1 * 24 + 23] == 0  # Tuesday 23:00, 3 questions: hidden
    assert o.cut_months == ()


async def test_other_periods_and_an_empty_area(stats: Stats) -> None:
    await generate_half_year(stats)
    q1 = await build_overview(stats, AREAS, Period.parse("2026Q1"), "noord-oost", "en")
    assert q1.previous_period.label == "2025Q4"
    assert {i.id: i.figure.label for i in q1.themes} == {
        "afval": "30–34",
        "fiets": "10–14",
        "veiligheid": "5–9",
    }
    march = await build_overview(stats, AREAS, Period.parse("2026-03"), "zuid-oost", "en")
    assert (march.total.label, [i.name for i in march.situations]) == (
        "100–104",
        ["Abandoned bike"],
    )
    empty = await build_overview(stats, AREAS, Period.parse("2026H1"), "noord-west", "en")
    assert (empty.total.label, empty.themes, empty.situations, empty.hotspots) == ("0", (), (), ())
    assert set(empty.heatmap.bands) == {0}
    assert "No questions" in report_html([empty], "en", date(2026, 7, 1))


async def test_an_area_under_k_lists_no_themes(stats: Stats) -> None:
    """Four themes "<5" under a total "<5" would be 1 each."""
    when = datetime(2026, 3, 2, 10, tzinfo=TZ)
    for situation in ("afval-bijplaatsing", "fiets-wrak", "jeugdoverlast", "nood-brand"):
        await ask(stats, when, 1, situation, area="noord-west")
    o = await build_overview(stats, AREAS, Period.parse("2026-03"), "noord-west", "nl")
    assert (o.total.label, o.themes, o.situations) == ("<5", (), ())


async def test_a_rolled_up_month_cut_by_the_period_is_named(stats: Stats) -> None:
    await ask(stats, datetime(2024, 3, 20, 10, tzinfo=TZ), 9, "fiets-wrak")
    stats.clock.moment = datetime(2026, 3, 1, 12, tzinfo=TZ)  # type: ignore[attr-defined]
    await stats.roll_up(12)
    whole = await build_overview(stats, AREAS, Period.parse("2024Q1"), "noord-oost", "nl")
    assert (whole.total.label, whole.cut_months) == ("5–9", ())
    cut = await build_overview(stats, AREAS, Period.parse("2024"), "noord-oost", "nl")
    assert cut.total.label == "5–9"  # the whole year holds the whole month
    half = await build_overview(stats, AREAS, Period.parse("2024-03"), "noord-oost", "nl")
    assert half.total.label == "5–9"


def test_heatmap_bands() -> None:
    hours = [0] * 168
    hours[1], hours[2], hours[3], hours[4] = 3, 5, 12, 40
    hm = heatmap(hours, 5)
    assert hm.edges == (5, 10, 20, 40)
    assert hm.bands[:5] == (0, 0, 1, 2, 4)
    assert [hm.band_label(b) for b in range(5)] == ["<5", "5–9", "10–19", "20–39", "≥40"]
    assert hm.busiest == (4,)
    flat = heatmap([6] * 168, 5)
    assert (flat.edges, flat.busiest) == ((5,), ())  # nothing stands out: no "busiest" claimed


async def test_report_files(stats: Stats, tmp_path: Path) -> None:
    await generate_half_year(stats)
    period = Period.parse("2026H1")
    overviews = [
        await build_overview(stats, AREAS, period, a, "nl") for a in ("noord-oost", "zuid-oost")
    ]
    out = tmp_path / "rapport"
    written = write_report(overviews, out, "nl", date(2026, 7, 2))
    assert sorted(p.name for p in written) == [
        "heatmap-noord-oost.png",
        "heatmap-zuid-oost.png",
        "index.html",
        "report.json",
    ]
    for area in ("noord-oost", "zuid-oost"):
        png = (out / heatmap_file(area)).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000

    page = (out / "index.html").read_text("utf-8")
    for area in ("noord-oost", "zuid-oost"):
        assert f'<img src="heatmap-{area}.png"' in page
    assert "<script>" not in page and "Brand &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "niet het aantal meldingen of incidenten" in page  # the caveat
    assert "<td>Afval naast de container</td><td>40–44</td><td>25–29</td><td>≈+15</td>" in page
    assert "<td>6222</td><td>30–34</td>" in page
    assert "Jeugdoverlast" not in page  # a hidden situation is not listed
    assert "65–69" in page and "&lt;5" in page

    data = json.loads((out / "report.json").read_text("utf-8"))
    north = data["areas"][0]
    assert (data["k"], north["area"], north["total"], north["previous_total"]) == (
        5,
        "noord-oost",
        "65–69",
        "40–44",
    )
    assert north["themes"][0] == {
        "id": "afval",
        "name": "Afval",
        "count": "40–44",
        "previous": "25–29",
        "change": 15,
    }
    assert north["hotspots"] == [
        {"id": "6222", "name": "6222", "count": "30–34"},
        {"id": "6224", "name": "6224", "count": "10–14"},
    ]
    assert north["hot_times"]["busiest"] == ["Fri 22:00"]
    assert data["areas"][1]["total"] == "100–104"


async def test_the_chat_summary(stats: Stats) -> None:
    await generate_half_year(stats)
    o: Overview = await build_overview(stats, AREAS, Period.parse("2026H1"), "noord-oost", "nl")
    text = summary_text(o, "nl")
    assert "Noord-Oost" in text and "65–69" in text and "≈+25" in text
    assert "Afval naast de container (40–44)" in text
    assert "6222 (30–34)" in text and "vr 22:00" in text
    assert "geen meldingen of incidenten" in text
    assert "Jeugdoverlast" not in text
    english = summary_text(
        await build_overview(stats, AREAS, Period.parse("2026H1"), "noord-oost", "en"), "en"
    )
    assert "Rubbish by the bin (40–44)" in english and "Fri 22:00" in english


def test_every_stats_text_is_in_both_languages() -> None:
    from babel.messages.pofile import read_po

    from bot.paths import LOCALES_DIR

    def keys(lang: str) -> dict[str, str]:
        with (LOCALES_DIR / lang / "LC_MESSAGES" / "stats.po").open("rb") as fh:
            return {str(m.id): str(m.string) for m in read_po(fh) if m.id}

    nl, en = keys("nl"), keys("en")
    assert set(nl) == set(en) and all(nl.values()) and all(en.values())
    root = Path(__file__).resolve().parent.parent / "bot"
    source = "".join(
        p.read_text("utf-8") for p in (root / "statsreport.py", root / "telegram" / "stats.py")
    )
    used = set(re.findall(r"""t\(\s*["'](stats\.[a-z_]+)["']""", source))
    assert used and used <= set(nl), used - set(nl)
    for key in nl:  # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", nl[key])) == set(re.findall(r"{(\w+)}", en[key])), key


async def test_the_area_list_is_the_one_given(stats: Stats) -> None:
    """Another area list than the packaged one: the areas a report covers and their names come
    from it; no module-level list is reached instead."""
    await generate_half_year(stats)  # Noord-Oost and Zuid-Oost
    await ask(stats, datetime(2026, 3, 2, 10, tzinfo=TZ), 5, "fiets-wrak", area="")  # no area
    period = Period.parse("2026H1")
    assert await areas_with_data(stats, AREAS, period) == [*AREAS.ids(), "unknown"]
    other = other_areas()
    assert await areas_with_data(stats, other, period) == [
        "noord-west",
        "zuid-oost",
        "noord-oost",  # counted, though not an area of this list
        "unknown",
    ]
    assert (await build_overview(stats, other, period, "noord-west", "nl")).area_name == "Maas-West"
    gone = await build_overview(stats, other, period, "noord-oost", "nl")
    assert gone.area_name == "noord-oost"
    assert (await build_overview(stats, other, period, "unknown", "en")).area_name == "Area unknown"
