"""The meldkaart loader: a complete, valid card, or every problem with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.meldkaart import load
from bot.paths import ROUTING_RULES_DIR
from bot.yamlfile import DataError


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A writable copy of the packaged routing_rules/."""
    target = tmp_path / "rules"
    shutil.copytree(ROUTING_RULES_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_packaged_meldkaart_loads_and_covers_every_policy_channel() -> None:
    kaart = load()
    policy_ids = {
        "112",
        "politie",
        "melddesk",
        "veilig-thuis",
        "meld-misdaad-anoniem",
        "zorgwekkend-gedrag",
        "113",
        "slachtofferhulp",
        "fraudehelpdesk",
        "storingsnummer",
        "144",
        "discriminatie",
        "meldpunt-kinderporno",
        "buurtbemiddeling",
        "woningcorporatie",
    }
    assert set(kaart.channels) == policy_ids
    used = {s.channel for s in kaart.situations.values()} | {
        a for s in kaart.situations.values() for a in s.alternatives
    }
    assert policy_ids <= used, "every channel is the answer to at least one situation"
    themes = {s.theme for s in kaart.situations.values()}
    assert {"afval", "fiets", "parkeren", "sociale-overlast", "evenementen"} <= themes


def test_every_fact_shown_has_a_source_and_unverified_is_hidden() -> None:
    kaart = load()
    for channel in kaart.channels.values():
        for contact in channel.contacts:
            assert contact.source, f"{channel.id} {contact.value} has no source"
        assert all(c.confidence != "unverified" for c in channel.shown_contacts())
    corporatie = kaart.channel("woningcorporatie")
    assert any(c.confidence == "unverified" for c in corporatie.contacts)
    assert all("telefoonnummer" not in c.value for c in corporatie.shown_contacts())


def test_unknown_channel_id_names_file_and_line(rules: Path) -> None:
    card = rules / "meldkaart.yaml"
    _edit(card, "    channel: melddesk\n", "    channel: meldbureau\n")
    line = _line_of(card, "channel: meldbureau")
    with pytest.raises(DataError) as caught:
        load(rules)
    assert f"meldkaart.yaml:{line}:" in str(caught.value)
    assert "unknown channel id 'meldbureau'" in str(caught.value)


def test_duplicate_situation_id(rules: Path) -> None:
    card = rules / "meldkaart.yaml"
    _edit(card, "  - id: hondenpoep\n", "  - id: zwerfafval\n")
    with pytest.raises(DataError) as caught:
        load(rules)
    assert "duplicate situation id 'zwerfafval'" in str(caught.value)
    assert "meldkaart.yaml:" in str(caught.value)


def test_missing_translation(rules: Path) -> None:
    card = rules / "meldkaart.yaml"
    _edit(card, 'title: {nl: "Hondenpoep", en: "Dog fouling"}', 'title: {nl: "Hondenpoep"}')
    with pytest.raises(DataError) as caught:
        load(rules)
    assert "situation 'hondenpoep'.title: missing translation 'en'" in str(caught.value)


def test_malformed_yaml_names_the_line_and_loads_nothing(rules: Path) -> None:
    channels = rules / "channels.yaml"
    _edit(channels, "  - id: politie\n", "  - id: politie\n   bad: [indent\n")
    with pytest.raises(DataError) as caught:
        load(rules)
    problem = caught.value.problems[0]
    assert problem.file == "channels.yaml"
    assert problem.line > 0
    assert "not valid YAML" in problem.message


def test_bad_danger_pattern_is_reported(rules: Path) -> None:
    danger = rules / "danger.yaml"
    _edit(danger, "    - '\\bmomenteel\\b'\n", "    - '\\bmomenteel(\\b'\n")
    line = _line_of(danger, "momenteel(")
    with pytest.raises(DataError) as caught:
        load(rules)
    assert f"danger.yaml:{line}: " in str(caught.value)  # the pattern's own line, not its list's
    assert "bad pattern" in str(caught.value)


def test_a_hazard_flag_that_is_not_a_boolean_is_reported(rules: Path) -> None:
    danger = rules / "danger.yaml"
    _edit(
        danger,
        "    needs_now: false\n    hazard: true\n",
        "    needs_now: false\n    hazard: yes please\n",
    )
    line = _line_of(danger, "hazard: yes please")
    with pytest.raises(DataError) as caught:
        load(rules)
    assert f"danger.yaml:{line}: danger kind 'fire': 'hazard' is true or false" in str(caught.value)


def test_an_empty_meldkaart_is_reported_once(rules: Path) -> None:
    (rules / "meldkaart.yaml").write_text("", "utf-8")
    with pytest.raises(DataError) as caught:
        load(rules)
    lines = [str(p) for p in caught.value.problems]
    assert lines.count("meldkaart.yaml:1: the file: expected a mapping (key: value lines)") == 1


def test_web_address_must_be_https(rules: Path) -> None:
    _edit(rules / "channels.yaml", '"https://www.113.nl"', '"http://www.113.nl"')
    with pytest.raises(DataError, match="must start with https://"):
        load(rules)


def test_follow_up_options_lead_to_known_situations(rules: Path) -> None:
    _edit(
        rules / "meldkaart.yaml",
        "          situation: jeugd-intimidatie\n",
        "          situation: nergens\n",
    )
    with pytest.raises(DataError, match="unknown situation 'nergens'"):
        load(rules)


def test_all_problems_are_reported_at_once(rules: Path) -> None:
    card = rules / "meldkaart.yaml"
    _edit(card, "    channel: melddesk\n", "    channel: nope-1\n")
    _edit(card, "    channel: politie\n", "    channel: nope-2\n")
    with pytest.raises(DataError) as caught:
        load(rules)
    assert len(caught.value.problems) >= 2
