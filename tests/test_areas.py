"""Area lookup: postcodes, buurt names with slips, locations, splits, outside, PO boxes, garbage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from areas_support import OTHER_IDS, OTHER_NAMES, other_areas

from bot.areacard import build_area_card, render_area_text
from bot.areas import AreaDirectory, AreaNotFound, AreaResult, Candidate, Status
from bot.cli import main
from bot.knowledge import fold
from bot.meldkaart import load as load_meldkaart
from bot.textnorm import STOP_WORDS

CONTRACT_KEYS = [
    "query",
    "postcode",
    "in_maastricht",
    "area",
    "area_name",
    "buurt",
    "candidates",
    "approximate",
]
AREA_NAMES = {
    "noord-oost": "Noord-Oost",
    "zuid-oost": "Zuid-Oost",
    "centrum-zuid-west": "Centrum / Zuid-West",
    "noord-west": "Noord-West",
}

KAART = load_meldkaart()


@pytest.fixture(scope="module")
def directory() -> AreaDirectory:
    return AreaDirectory.load()


@pytest.fixture
def no_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI reads MELDWIJZER_DB: point it at a file that does not exist yet."""
    path = tmp_path / "none.sqlite3"
    monkeypatch.setenv("MELDWIJZER_DB", str(path))
    return path


def _answers(result: AreaResult, buurt: str) -> bool:
    return result.buurt == buurt or buurt in {c.buurt for c in result.candidates}


# -- buurten ------------------------------------------------------------------------------------


def test_every_buurt_resolves_to_its_area(directory: AreaDirectory) -> None:
    assert len(directory.knowledge.buurten) == 45
    for buurt in directory.knowledge.buurten.values():
        for query in (buurt.name, buurt.name.lower(), buurt.name.upper(), f"  {buurt.name} "):
            result = directory.lookup(query)
            assert result.status is Status.FOUND, query
            assert (result.buurt, result.area) == (buurt.name, buurt.area), query
            assert result.area_name == AREA_NAMES[buurt.area]
            assert result.postcode is None and result.in_maastricht and not result.approximate


def test_every_alias_resolves(directory: AreaDirectory) -> None:
    for buurt in directory.knowledge.buurten.values():
        for alias in buurt.aliases:
            assert directory.lookup(alias).buurt == buurt.name, alias


@pytest.mark.parametrize(
    ("query", "buurt"),
    [
        ("wittevrouweveld", "Wittevrouwenveld"),
        ("mariaberg", "Mariaberg"),
        ("Céramique", "Céramique"),
        ("Ceramique", "Céramique"),
        ("ceramiqe", "Céramique"),
        ("CERAMIQUE", "Céramique"),
        ("belvedere", "Belvédère"),
        ("Sint-Pieter", "Sint Pieter"),
        ("st. pieter", "Sint Pieter"),
        ("oud caberg", "Oud-Caberg"),
        ("oudcaberg", "Oud-Caberg"),
        ("dousberg hazendans", "Dousberg-Hazendans"),
        ("heeg", "De Heeg"),
        ("WVV", "Wittevrouwenveld"),
        ("ik woon in Malberg", "Malberg"),
        ("buurt Brusselsepoort, Maastricht", "Brusselsepoort"),
        ("Randwijck", "Randwyck"),
        ("wyckerpoort", "Wyckerpoort"),
        ("wijckerpoort", "Wyckerpoort"),
        ("Frontekwartier", "Frontenkwartier"),
        ("boschpoordt", "Boschpoort"),
        ("Amby", "Amby"),
    ],
)
def test_what_people_type_resolves(directory: AreaDirectory, query: str, buurt: str) -> None:
    result = directory.lookup(query)
    assert result.buurt == buurt
    assert result.area == directory.buurt(buurt).area


def _typos(name: str) -> list[str]:
    """Deterministic slips: one letter dropped, changed or doubled; for longer names also two
    letters swapped, two dropped, or one dropped and one changed (the first letter kept)."""
    key = fold(name)
    mid = len(key) // 2
    other = "a" if key[mid] != "a" else "e"
    one = [
        key[:mid] + key[mid + 1 :],
        key[:mid] + other + key[mid + 1 :],
        key[:mid] + key[mid] + key[mid:],
    ]
    if len(key) <= 5:
        return one
    last = "x" if key[-1] != "x" else "y"
    return [
        *one,
        key[: mid - 1] + key[mid] + key[mid - 1] + key[mid + 1 :],
        key[:1] + key[2:mid] + key[mid + 1 :],
        key[:mid] + key[mid + 1 : -1] + last,
    ]


def test_typos_within_one_or_two_letters_resolve(directory: AreaDirectory) -> None:
    misses = []
    for buurt in directory.knowledge.buurten.values():
        for typo in _typos(buurt.name):
            if typo in STOP_WORDS:  # "her" (Heer) is an everyday word first: never a buurt
                continue
            try:
                result = directory.lookup(typo)
            except AreaNotFound:
                misses.append((buurt.name, typo, "not found"))
                continue
            if not _answers(result, buurt.name):
                misses.append((buurt.name, typo, result.buurt))
    assert misses == []


def test_a_slip_between_two_buurten_offers_both(directory: AreaDirectory) -> None:
    # "heex" is one letter from both Heer and De Heeg ("heeg"): never a silent pick.
    result = directory.lookup("heex")
    assert result.buurt is None
    assert {c.buurt for c in result.candidates} == {"Heer", "De Heeg"}
    assert result.area == "zuid-oost"  # both lie in Zuid-Oost, so the area is still certain


@pytest.mark.parametrize("word", ["hier", "heel", "worden", "gisteren", "hallo", "help", "stop"])
def test_everyday_words_are_not_taken_for_buurten(directory: AreaDirectory, word: str) -> None:
    with pytest.raises(AreaNotFound):
        directory.lookup(word)


def test_area_names_give_the_area(directory: AreaDirectory) -> None:
    for ident, name in AREA_NAMES.items():
        for query in (ident, name, name.lower()):
            result = directory.lookup(query)
            assert (result.area, result.area_name, result.buurt) == (ident, name, None)
    assert directory.lookup("Centrum").area == "centrum-zuid-west"


# -- postcodes ------------------------------------------------------------------------------------


def test_every_pc4_resolves(directory: AreaDirectory) -> None:
    residential = [p for p in directory.knowledge.postcodes.values() if p.kind == "residential"]
    assert [p.pc4 for p in residential] == [
        str(n) for n in (*range(6211, 6220), *range(6221, 6230))
    ]
    for row in residential:
        result = directory.lookup(row.pc4)
        assert result.in_maastricht and result.postcode == row.pc4 and not result.approximate
        if row.split:
            assert result.status is Status.CHOOSE and result.area is None
            assert {c.area for c in result.candidates} == set(row.areas)
        else:
            assert result.status is Status.FOUND and result.area == row.areas[0]
            assert result.buurt is not None or result.candidates
        named = {result.buurt} | {c.buurt for c in result.candidates}
        assert named - {None} == set(row.buurten)


@pytest.mark.parametrize(
    "query",
    [
        "6221 AB",
        "6221ab",
        "6221-AB",
        "6221 - ab",
        " 6221  Ab ",
        "6221AB, Maastricht",
        "6221 ab 12",
        "6221AB12a",
    ],
)
def test_postcode_formats(directory: AreaDirectory, query: str) -> None:
    result = directory.lookup(query)
    assert result.postcode == "6221AB"
    assert result.query == query


def test_split_pc4s_give_candidates_never_a_guess(directory: AreaDirectory) -> None:
    wyck = directory.lookup("6221ab")
    assert wyck.status is Status.CHOOSE
    assert (wyck.area, wyck.area_name, wyck.buurt) == (None, None, None)
    assert Candidate("centrum-zuid-west", "Wyck") in wyck.candidates
    assert Candidate("zuid-oost", "Heugemerveld") in wyck.candidates
    assert wyck.candidates[0] == Candidate("centrum-zuid-west", "Wyck")  # bulk of addresses first

    assert directory.lookup("6224").candidates[0] == Candidate("noord-oost", "Wyckerpoort")
    assert Candidate("zuid-oost", "Scharn") in directory.lookup("6224").candidates
    assert Candidate("noord-west", "Frontenkwartier") in directory.lookup("6211").candidates
    assert directory.lookup("6211").candidates[0].area == "centrum-zuid-west"


def test_a_single_area_pc4_is_certain(directory: AreaDirectory) -> None:
    result = directory.lookup("6213 GA")
    assert (result.area, result.status, result.buurt) == ("centrum-zuid-west", Status.FOUND, None)
    assert {c.buurt for c in result.candidates} == {"Biesland", "Campagne", "Wolder"}
    scharn = directory.lookup("6226")
    assert (scharn.area, scharn.buurt, scharn.candidates) == ("zuid-oost", "Scharn", ())


@pytest.mark.parametrize("query", ["1011 AB", "1011ab", "9999 ZZ", "6231", "6200", "6220 AA"])
def test_a_valid_postcode_outside_maastricht(directory: AreaDirectory, query: str) -> None:
    result = directory.lookup(query)
    assert result.status is Status.OUTSIDE
    assert result.in_maastricht is False
    assert (result.area, result.buurt, result.candidates) == (None, None, ())


def test_outside_card_lists_the_national_channels(directory: AreaDirectory) -> None:
    card = build_area_card(directory.lookup("1011 AB"), directory)
    assert "112" in card.national_channels and "politie" in card.national_channels
    assert "melddesk" not in card.national_channels  # the gemeente Maastricht is not theirs
    text = render_area_text(card, "nl", KAART)
    assert "1011 AB" in text and "niet in de gemeente Maastricht" in text
    assert "112" in text and "0900-8844" in text and "0800-2000" in text
    assert "14 043" not in text
    assert "not in the municipality of Maastricht" in render_area_text(card, "en", KAART)


@pytest.mark.parametrize("query", ["6201", "6201 BZ", "6202ab", "6203-XY"])
def test_po_box_codes_are_explained(directory: AreaDirectory, query: str) -> None:
    result = directory.lookup(query)
    assert result.status is Status.PO_BOX
    assert result.in_maastricht and result.area is None and result.candidates == ()
    nl = render_area_text(build_area_card(result, directory), "nl", KAART)
    en = render_area_text(build_area_card(result, directory), "en", KAART)
    assert "postbus" in nl and "PO-box" in en


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("", "area.empty"),
        ("   ", "area.empty"),
        ("asdfgh", "area.not_found"),
        ("!!!", "area.not_found"),
        ("hallo", "area.not_found"),
        ("Amsterdam", "area.not_found"),
        ("12345", "area.not_found"),
        ("x" * 200, "area.not_found"),
        ("0123 AB", "area.bad_postcode"),
        ("6221 SA", "area.bad_postcode"),
        ("6221 A", "area.bad_postcode"),
        ("6221 12", "area.bad_postcode"),
    ],
)
def test_garbage_is_refused_with_a_friendly_message(
    directory: AreaDirectory, query: str, key: str
) -> None:
    with pytest.raises(AreaNotFound) as caught:
        directory.lookup(query)
    assert caught.value.key == key
    nl, en = caught.value.message("nl"), caught.value.message("en")
    assert nl and en and nl != en


def test_a_long_query_is_cut_in_the_message(directory: AreaDirectory) -> None:
    with pytest.raises(AreaNotFound) as caught:
        directory.lookup("q" * 500)
    assert len(caught.value.message("en")) < 400


# -- locations --------------------------------------------------------------------------------


def test_a_location_maps_to_the_nearest_pc4_marked_approximate(directory: AreaDirectory) -> None:
    for row in directory.knowledge.postcodes.values():
        if row.kind != "residential":
            continue
        assert row.lat is not None and row.lon is not None
        result = directory.lookup_location(row.lat + 0.001, row.lon - 0.001)
        by_postcode = directory.lookup(row.pc4)
        assert result.approximate and result.postcode == row.pc4
        assert (result.area, result.buurt, result.candidates) == (
            by_postcode.area,
            by_postcode.buurt,
            by_postcode.candidates,
        )


def test_a_location_far_outside_maastricht(directory: AreaDirectory) -> None:
    for lat, lon in (
        (52.3731, 4.8922),
        (50.8881, 4.4333),
        (50.80, 5.70),
    ):  # Amsterdam, Brussels, Kanne
        result = directory.lookup_location(lat, lon)
        assert result.status is Status.OUTSIDE and not result.in_maastricht and result.approximate
    text = render_area_text(
        build_area_card(directory.lookup_location(52.37, 4.89), directory), "en", KAART
    )
    assert "outside Maastricht" in text


@pytest.mark.parametrize(("lat", "lon"), [(float("nan"), 5.7), (91.0, 5.7), (50.8, float("inf"))])
def test_a_broken_location_is_refused(directory: AreaDirectory, lat: float, lon: float) -> None:
    with pytest.raises(AreaNotFound) as caught:
        directory.lookup_location(lat, lon)
    assert caught.value.key == "area.bad_location"


# -- the areas themselves -----------------------------------------------------------------------


def test_four_areas_with_roles_and_no_invented_names(directory: AreaDirectory) -> None:
    assert [(a.id, a.name) for a in directory.areas()] == list(AREA_NAMES.items())
    for area in directory.areas():
        assert area.thor.phone == "14 043" and "wijkgebonden" in area.thor.role.nl
        assert area.police.phone == "0900-8844" and area.police.web == "https://www.politie.nl"
        assert area.thor.source and area.police.source
        assert area.named_staff == ()
        assert all(not s.name and not s.email for s in area.staff)
    assert directory.area("noord-west").name == "Noord-West"
    with pytest.raises(KeyError):
        directory.area("west")


async def test_services_carry_the_directory(tmp_path: Path) -> None:
    from packaged import packaged_router

    from bot.config import Settings
    from bot.services import open_services

    services = await open_services(Settings(db_path=tmp_path / "s.sqlite3"), packaged_router())
    try:
        assert services.areas.lookup("Wyck").area == "centrum-zuid-west"
    finally:
        await services.close()


# -- the card -----------------------------------------------------------------------------------


def test_the_card_says_how_to_reach_thor_and_the_wijkagent(directory: AreaDirectory) -> None:
    card = build_area_card(
        directory.lookup("Mariaberg"), directory, spreekuren=["di 10:00 Wijkhuis"]
    )
    assert (card.kind, card.area, card.buurt, card.spreekuren) == (
        "area",
        "noord-west",
        "Mariaberg",
        ("di 10:00 Wijkhuis",),
    )
    nl = render_area_text(card, "nl", KAART)
    en = render_area_text(card, "en", KAART)
    for text in (nl, en):
        assert "Noord-West" in text and "Mariaberg" in text
        assert "14 043" in text and "wijkgebonden medewerker" in text
        assert "0900-8844" in text and "politie.nl" in text and "wijkagent" in text
        assert "di 10:00 Wijkhuis" in text and "112" in text
    assert "vraag naar de wijkgebonden medewerker van gebied Noord-West" in nl
    assert "ask for the wijkgebonden medewerker" in en
    assert nl != en


def test_the_card_is_honest_about_uncertainty(directory: AreaDirectory) -> None:
    scharn = render_area_text(build_area_card(directory.lookup("6226"), directory), "nl", KAART)
    assert "afgeleid van postcode 6226" in scharn  # PC4 only: "not your buurt?" hint
    assert "niet officieel bevestigd" in scharn  # Scharn's area is medium confidence
    wyck = render_area_text(build_area_card(directory.lookup("Wyck"), directory), "nl", KAART)
    assert "niet officieel bevestigd" not in wyck and "afgeleid van postcode" not in wyck
    spot = render_area_text(
        build_area_card(directory.lookup_location(50.8636, 5.6565), directory), "en", KAART
    )
    assert "Approximate, from your location" in spot


def test_the_choose_card_lists_the_candidates(directory: AreaDirectory) -> None:
    card = build_area_card(directory.lookup("6221 ab"), directory)
    assert card.kind == "choose" and card.thor is None and card.spreekuren == ()
    text = render_area_text(card, "nl", KAART)
    assert "6221 AB" in text and "Wyck (Centrum / Zuid-West)" in text
    assert "Heugemerveld (Zuid-Oost)" in text
    assert "Heugemerveld (Zuid-Oost)" in render_area_text(card, "en", KAART)


# -- the CLI contract ---------------------------------------------------------------------------


def test_cli_area_json_contract(no_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["area", "--json", "6221ab"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == CONTRACT_KEYS
    assert out["query"] == "6221ab" and out["postcode"] == "6221AB"
    assert out["in_maastricht"] is True and out["approximate"] is False
    assert out["area"] is None and out["area_name"] is None and out["buurt"] is None
    assert {"area": "centrum-zuid-west", "buurt": "Wyck"} in out["candidates"]
    assert {"area": "zuid-oost", "buurt": "Heugemerveld"} in out["candidates"]
    assert all(list(c) == ["area", "buurt"] for c in out["candidates"])


def test_cli_area_json_one_area(no_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["area", "--json", "mariaberg"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "query": "mariaberg",
        "postcode": None,
        "in_maastricht": True,
        "area": "noord-west",
        "area_name": "Noord-West",
        "buurt": "Mariaberg",
        "candidates": [],
        "approximate": False,
    }


def test_cli_area_outside_maastricht_exits_0(
    no_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["area", "--json", "1011 AB"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["in_maastricht"] is False and out["postcode"] == "1011AB" and out["area"] is None


def test_cli_area_garbage_exits_2(no_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["area", "--json", "qwertyuiop"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "qwertyuiop" in captured.err and "postcode" in captured.err
    assert main(["area", "--lang", "en", "qwertyuiop"]) == 2
    assert "I do not recognise" in capsys.readouterr().err


def test_cli_area_prints_the_card(no_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["area", "--lang", "en", "wittevrouweveld"]) == 0
    out = capsys.readouterr().out
    assert "Your area team: Noord-Oost" in out and "Wittevrouwenveld" in out and "14 043" in out
    assert not no_db.exists()  # a lookup never creates the database


def test_where_in_finds_a_maastricht_postcode_or_buurt_in_a_message(
    directory: AreaDirectory,
) -> None:
    assert directory.where_in("er staat een busje op de stoep, 6229").area == "zuid-oost"
    assert directory.where_in("er staat een busje op de stoep, 6229").pc4 == "6229"
    split = directory.where_in("graffiti bij de school, 6221 XX")
    assert (split.pc4, split.area) == ("6221", None)  # a split PC4 gives no area: never a guess
    assert directory.where_in("afval naast de container in Malberg").area == "noord-west"
    assert directory.where_in("hondenpoep in Sint Pieter").area == "centrum-zuid-west"
    assert directory.where_in("afval in 1011 Amsterdam").pc4 is None
    assert directory.where_in("mijn fiets is gestolen") == directory.where_in("")


# -- the area list ----------------------------------------------------------------------------


def test_the_area_list_in_the_brochures_order(directory: AreaDirectory) -> None:
    assert directory.ids() == tuple(AREA_NAMES)
    assert [directory.name(a) for a in directory.ids()] == list(AREA_NAMES.values())
    assert directory.name("gone-area") == "gone-area"  # a stored id that has since gone


@pytest.mark.parametrize(
    ("label", "area"),
    [
        ("noord-oost", "noord-oost"),
        ("Noord-Oost", "noord-oost"),
        (" NOORD OOST ", "noord-oost"),
        ("Centrum", "centrum-zuid-west"),
        ("centrum / zuid-west", "centrum-zuid-west"),
        ("Malberg", None),  # a buurt, not an area
        ("", None),
    ],
)
def test_find_area_by_id_name_or_alias(
    directory: AreaDirectory, label: str, area: str | None
) -> None:
    assert directory.find_area(label) == area


def test_the_area_list_is_the_directorys_own() -> None:
    other = other_areas()
    assert other.ids() == OTHER_IDS
    assert [other.name(a) for a in other.ids()] == list(OTHER_NAMES.values())
    assert other.find_area("westkant") == "noord-west"
    assert other.find_area("Noord-Oost") is None and other.name("noord-oost") == "noord-oost"
    assert AreaDirectory.load().ids() == tuple(AREA_NAMES)  # the packaged one is untouched
