"""The router: from a resident's own words to a channel, with a 112 safety net first.

1. The danger check (`danger.py`) runs on every message: word-boundary patterns from
   routing_rules/danger.yaml with time cues. Acute danger answers 112, whatever else matched.
2. Otherwise the message is matched against the meldkaart's keywords and phrasings: normalised,
   stop words removed, stemmed (Dutch, English, German, French), compounds and spelling slips
   caught, each matched term weighted by how specific it is (IDF over situations).
3. Close calls between channels return alternatives; below a floor the router does not guess.
4. The learned layer (`bot.learning`, when its model is shipped) reads the same message and is
   combined with the rules by `combine`: a rules 112 is final; a learned danger estimate may add
   112 (never remove one); the learned channel decides where the rules abstain and overrules
   them only when clearly more confident. Every answer says what decided it (`decided_by`).
5. `settle` names the situation only where it is sure (the learned layer may tell two situations
   of the same channel apart), and marks a message too vague to answer (`vague`) with the
   situations it may be about (`likely`), so the conversation can ask instead of guessing.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rapidfuzz import fuzz, process

from bot import danger as danger_check
from bot.language import Identifier, load_identifier
from bot.language import detect as detect_language
from bot.learning.model import LearnedModel, ModelError, Prediction
from bot.meldkaart import Meldkaart, Situation
from bot.meldkaart import load as load_meldkaart
from bot.paths import MODELS_DIR, ROUTING_RULES_DIR
from bot.textnorm import STOP_WORDS, normalise, stem, stems, words

KEYWORD_WEIGHT = 1.0
CONTEXT_WEIGHT = 0.4  # supporting words ("kinderen", "nacht"): help, but never decide alone
PHRASE_WEIGHT = 0.35
COMPOUND_FACTOR = 0.8  # a keyword found inside a longer word ("vuilnis" in "vuilniszakken")
FUZZY_FACTOR = 0.8  # a keyword found through a spelling slip
FUZZY_CUTOFF = 86
MULTI_WORD_BONUS = 0.5  # extra weight per extra content word in a key word group
MIN_COMPOUND = 4
FLOOR = 1.0  # below this score the router does not guess
CLOSE = 0.8  # second-best channel at 80 % of the best: show both
ANONYMOUS_FLOOR = 2.5  # the wish to stay anonymous must rest on a real key word
# A clear answer rests on at least one specific key word (a lone generic word such as "overlast"
# or "buren" scores about 1); rules that stand against the learned layer also need this much
# confidence. Chosen on corpus/untouched: about 8 % of reports are vague, and the channel of
# those was right about half the time; of the clear answers 98.6 %.
CLEAR_SCORE = 2.0
CLEAR_CONFIDENCE = 0.5
LIKELY = 4  # situations offered for a vague message
LIKELY_SHARE = 0.5  # a rules situation is likely at half the best score ...
LIKELY_PROBABILITY = 0.02  # ... a learned one at this probability
RANKED = 8  # rules scores kept on a result


@dataclass(frozen=True)
class Limits:
    """How the learned layer joins the rules; probabilities are the model's, summed per channel.

    Chosen on out-of-fold predictions of the corpus (bench/learned_cv.py prints the figures).
    """

    danger: float = 0.40  # the emergency classes together: 112 first, the everyday channel second
    danger_over: float = 0.90  # the same where the rules see a reason against acute danger
    abstain: float = 0.35  # where the rules do not guess, the learned channel needs this much
    overrule: float = 0.40  # to overrule the rules' channel ...
    margin: float = 0.20  # ... and this much more than the rules' channel gets
    situation: float = 0.50  # the situation's share of its channel's probability, to name it
    not_report: float = 0.40  # the model sure it is no report (chit-chat) drops the rules' channel
    info: float = 0.60  # a greeting or question the rules did not see
    # Not shipped (None): an *unsure* rules 112 (a crime word, no time cue) with a learned danger
    # below this would put the everyday channel first and 112 second. The issue makes a rules
    # 112 final; bench/learned_cv.py measures what this would change.
    settle_unsure: float | None = None


RULES, LEARNED, BOTH = "rules", "learned", "both"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteResult:
    """Where one message should be reported, and how sure the router is."""

    channel: str | None
    situation: str | None
    alternatives: tuple[str, ...]
    emergency: bool
    confidence: float
    language: str
    choices: tuple[str, ...] = ()  # other candidate situations when the router is unsure
    info: str | None = None  # a non-report entry (greeting, question) when that matched
    danger: str | None = None  # the danger kind when emergency
    decided_by: str = RULES  # rules, learned or both
    situation_named: bool = True  # False: sure of the channel, not of the situation
    scores: tuple[tuple[str, float], ...] = ()  # the rules' report situations, best first
    vague: bool = False  # too little to go on: the resident picks from `likely`
    likely: tuple[str, ...] = ()  # the situations a vague message may be about, best first

    def to_json(self) -> dict[str, object]:
        """The stable CLI / API contract."""
        return {
            "channel": self.channel,
            "situation": self.situation,
            "alternatives": list(self.alternatives),
            "emergency": self.emergency,
            "confidence": round(self.confidence, 2),
            "language": self.language,
            "decided_by": self.decided_by,
        }


@dataclass
class _Term:
    stems: tuple[str, ...]
    weight: float
    entry: int


@dataclass
class _Index:
    entries: list[Situation]
    unigrams: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    multi: dict[str, list[_Term]] = field(
        default_factory=lambda: defaultdict(list)
    )  # by first stem
    compounds: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    longest_compound: int = 0  # no key word is longer: bounds the search inside a long word
    surface: tuple[str, ...] = ()
    surface_stem: dict[str, str] = field(default_factory=dict)
    slips: dict[str, str | None] = field(default_factory=dict)  # spelling slips seen, corrected
    position: dict[str, int] = field(default_factory=dict)


# Street names end like this; they are never split into compounds ("Borgharen" holds no "borg").
_STREET = re.compile(
    r"(straat|straot|weg|plein|laan|singel|kade|gracht|steeg|dreef|brug|brogk|berg|park|hof)$"
)


class Router:
    """A loaded meldkaart with its match index; `route()` is safe to call concurrently."""

    def __init__(
        self,
        kaart: Meldkaart,
        place_names: frozenset[str] = frozenset(),
        learned: LearnedModel | None = None,
        limits: Limits = Limits(),
        languages: Identifier | None = None,
    ) -> None:
        self.meldkaart = kaart
        self.limits = limits
        self._languages = languages  # None: function words tell the language
        self._index = _build_index(kaart)
        self._places = place_names  # buurt names: where, never what
        self.learned = learned

    @classmethod
    def load(cls, folder: Path = ROUTING_RULES_DIR, models: Path | None = MODELS_DIR) -> Router:
        """Load and validate the meldkaart in FOLDER, build the index, learn the place names,
        and load the learned model in MODELS (None: rules only)."""
        kaart = load_meldkaart(folder)
        learned = load_learned(models, kaart) if models else None
        return cls(kaart, _place_names(), learned, languages=load_identifier())

    def route(self, text: str) -> RouteResult:
        """Route one message: the rules, then the learned layer combined with them."""
        rules = self.route_by_rules(text)
        norm = normalise(text)

        def wider() -> frozenset[str]:
            return self.containing(text)

        if self.learned is None or not self._readable(norm):
            return settle(rules, None, self.meldkaart, self.limits, wider)
        if rules.emergency and self.limits.settle_unsure is None:
            return rules  # a rules 112 is final: the model is not asked
        tempered = danger_check.tempered(norm, self.meldkaart.danger, rules.language)
        prediction = self.learned.predict(text)
        combined = combine(rules, prediction, self.meldkaart, self.limits, tempered)
        return settle(combined, prediction, self.meldkaart, self.limits, wider)

    def route_by_rules(self, text: str) -> RouteResult:
        """Route one message by the meldkaart's rules alone."""
        norm = normalise(text)
        tokens = words(norm)
        lang = detect_language(text, tokens, self._languages)
        if not tokens:
            return RouteResult(None, None, (), False, 0.0, lang)
        scores = self._score(tokens, lang)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)

        found = danger_check.check(norm, self.meldkaart.danger, lang)
        if found is not None:
            return self._emergency(found, ranked, lang)

        reports = [(i, s) for i, s in ranked if self._index.entries[i].is_report]
        infos = [(i, s) for i, s in ranked if not self._index.entries[i].is_report]
        best_report = reports[0] if reports else None
        best_info = infos[0] if infos else None
        if (
            best_info
            and best_info[1] >= FLOOR
            and (best_report is None or best_info[1] > best_report[1])
        ):
            return RouteResult(
                None, None, (), False, 0.0, lang, info=self._index.entries[best_info[0]].id
            )
        if best_report is None or best_report[1] < FLOOR:
            return RouteResult(None, None, (), False, _confidence(best_report, None), lang)

        best = self._index.entries[best_report[0]]
        ranked_reports = tuple(
            (self._index.entries[i].id, round(score, 2)) for i, score in reports[:RANKED]
        )
        # Another situation of the same channel about as strong: sure of the channel only.
        twin = next(
            (s for i, s in reports[1:] if self._index.entries[i].channel == best.channel), 0.0
        )
        if best.acute and danger_check.happening_now(
            norm, self.meldkaart.danger, lang, weak=best.acute_on_weak_now
        ):
            # Policy rule 1: a crime happening now, the offender still there: 112 first.
            found = danger_check.Danger(f"now:{best.id}", best.acute, certain=False)
            return self._emergency(found, ranked, lang)
        best = self._anonymous_variant(best, scores)
        rivals = _rivals(best, reports, self._index.entries)
        alternatives = list(best.alternatives)
        choices: list[str] = []
        for entry, score in rivals:
            if score >= CLOSE * best_report[1]:
                choices.append(entry.id)
                if (
                    entry.channel
                    and entry.channel not in alternatives
                    and entry.channel != best.channel
                ):
                    alternatives.append(entry.channel)
        second = rivals[0][1] if rivals else 0.0
        return RouteResult(
            channel=best.channel,
            situation=best.id,
            alternatives=tuple(alternatives),
            emergency=False,
            confidence=_confidence(best_report, second),
            language=lang,
            choices=tuple(choices[:2]),
            situation_named=twin < CLOSE * best_report[1],
            scores=ranked_reports,
        )

    def _readable(self, norm: str) -> bool:
        """Whether the model has something to read in NORM: a word that is not only a place
        ("Wyck", "Sint Pieter": where, not what) and not only digits ("31-2", "14:00-15:30").
        It took some such texts for an emergency."""
        content = [w for w in words(norm) if w not in STOP_WORDS and w not in self._places]
        return any(ch.isalpha() for w in content for ch in w)

    def containing(self, text: str) -> frozenset[str]:
        """The situations with a key word that holds one of TEXT's words ("overlast" is in
        "jeugdoverlast" and "geluidsoverlast"): what a vague word may be short for."""
        typed = {w for w in words(normalise(text)) if len(w) >= MIN_COMPOUND}
        typed -= STOP_WORDS
        entries = self._index.entries
        return frozenset(
            entries[entry].id
            for key, postings in self._index.compounds.items()
            if any(word in key and word != key for word in typed)
            for entry, _ in postings
        )

    def rule_scores(self, text: str) -> list[tuple[str, float]]:
        """Every situation the key words matched, best first (for `route --explain`)."""
        tokens = words(normalise(text))
        scores = self._score(tokens, detect_language(text, tokens, self._languages))
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return [(self._index.entries[i].id, round(score, 2)) for i, score in ranked]

    def _anonymous_variant(self, best: Situation, scores: dict[int, float]) -> Situation:
        """Policy rule 3: a crime the resident wants to report anonymously goes to M. first."""
        anonymous_id = self.meldkaart.anonymous_situation
        if anonymous_id is None or best.id == anonymous_id:
            return best
        anonymous = self.meldkaart.situation(anonymous_id)
        position = self._index.position.get(anonymous_id)
        wish = scores.get(position, 0.0) if position is not None else 0.0
        if wish < ANONYMOUS_FLOOR or anonymous.channel not in best.alternatives:
            return best
        ordered = dict.fromkeys([best.channel, *best.alternatives])
        alternatives = tuple(c for c in ordered if c and c != anonymous.channel)
        return replace(best, channel=anonymous.channel, alternatives=alternatives)

    def _emergency(
        self, found: danger_check.Danger, ranked: list[tuple[int, float]], lang: str
    ) -> RouteResult:
        situation = self.meldkaart.situation(found.situation)
        alternatives = [c for c in situation.alternatives if c != "112"]
        if not found.certain:
            # Unsure whether it is acute: 112 first, the everyday channel second.
            for i, score in ranked:
                entry = self._index.entries[i]
                if entry.is_report and score >= FLOOR:
                    if entry.channel and entry.channel not in alternatives:
                        alternatives.insert(0, entry.channel)
                    break
        return RouteResult(
            channel="112",
            situation=situation.id,
            alternatives=tuple(alternatives),
            emergency=True,
            confidence=1.0 if found.certain else 0.7,
            language=lang,
            danger=found.kind,
        )

    def _score(self, tokens: list[str], lang: str = "nl") -> dict[int, float]:
        index = self._index
        hits: dict[tuple[int, object], float] = {}
        positions: dict[str, list[int]] = defaultdict(list)
        for pos, word in enumerate(tokens):
            forms = stems(word, lang)
            for form in forms:
                positions[form].append(pos)
            if word in STOP_WORDS or word in self._places:
                continue  # a stop word counts only inside a multi-word key word
            # One word counts once per situation, whichever of its stems matched.
            matched = False
            for form in forms:
                for entry, weight in index.unigrams.get(form, ()):
                    key = (entry, word)
                    hits[key] = max(hits.get(key, 0.0), weight)
                    matched = True
            if not matched:
                matched = self._compound(word, hits)
            if not matched and len(word) >= 5:
                fixed = _fuzzy(word, index)
                if fixed is not None:
                    form = index.surface_stem[fixed]
                    positions[form].append(pos)
                    for entry, weight in index.unigrams.get(form, ()):
                        key = (entry, word)
                        hits[key] = max(hits.get(key, 0.0), weight * FUZZY_FACTOR)
        for first in [f for f in positions if f in index.multi]:
            for term in index.multi[first]:
                if _sequence_present(term.stems, positions):
                    hits[(term.entry, term.stems)] = max(
                        hits.get((term.entry, term.stems), 0.0), term.weight
                    )
        scores: dict[int, float] = defaultdict(float)
        for (entry, _term), weight in hits.items():
            scores[entry] += weight
        return scores

    def _compound(self, word: str, hits: dict[tuple[int, object], float]) -> bool:
        """Find keywords inside a longer word (Dutch compounds): 'hondenpoep' holds 'poep'."""
        if len(word) <= MIN_COMPOUND + 1 or _STREET.search(word):
            return False
        found = False
        compounds = self._index.compounds
        n = len(word)
        longest = self._index.longest_compound
        for start in range(n - MIN_COMPOUND + 1):
            for end in range(start + MIN_COMPOUND, min(n, start + longest) + 1):
                if end - start == n:
                    continue
                for entry, weight in compounds.get(word[start:end], ()):
                    key = (entry, word)
                    hits[key] = max(hits.get(key, 0.0), weight * COMPOUND_FACTOR)
                    found = True
        return found


def combine(
    rules: RouteResult,
    prediction: Prediction,
    kaart: Meldkaart,
    limits: Limits = Limits(),
    tempered: bool = False,
) -> RouteResult:
    """The rules' answer joined with the learned layer's (policy: 112 can be added, not removed).

    TEMPERED: the rules see a reason against acute danger (a calm, past or habitual cue, or a
    false friend); the model then needs far more to add 112 (policy rule 1: 112 unless the
    text clearly puts it in the past)."""
    view = _LearnedView(prediction, kaart, limits)
    if rules.emergency:
        settle = limits.settle_unsure
        unsure = rules.confidence < 1.0 and settle is not None
        if unsure and view.danger < (settle or 0.0) and view.best_channel is not None:
            settled = _learned_report(rules, view, kaart, second="112")
            return replace(settled, decided_by=BOTH)
        return replace(rules, decided_by=RULES)
    if view.danger >= (limits.danger_over if tempered else limits.danger):
        # The everyday channel second: the rules' one, unless the model all but rules it out.
        plausible = rules.channel and view.channels.get(rules.channel, 0.0) >= 0.05
        everyday = rules.channel if plausible else view.best_channel
        return _learned_emergency(rules, view, everyday, kaart)
    if rules.channel is None:
        if view.best_channel is not None and view.best_probability >= limits.abstain:
            return _learned_report(rules, view, kaart, second=None)
        if rules.info is None and view.info is not None:
            return replace(rules, info=view.info, decided_by=LEARNED)
        return rules
    if view.best_channel == rules.channel:
        return replace(rules, decided_by=BOTH)
    mine = view.channels.get(rules.channel, 0.0)
    if view.best_channel is None and view.best_probability - mine >= limits.not_report:
        # small talk that happened to hit a key word: no channel is forced (policy rule 7)
        return replace(
            rules,
            channel=None,
            situation=None,
            alternatives=(),
            choices=(),
            confidence=0.0,
            info=view.info,
            decided_by=LEARNED,
        )
    if (
        view.best_channel is not None
        and not (view.best_channel in rules.alternatives and _keeps_order(rules, kaart))
        and view.best_probability >= limits.overrule
        and view.best_probability - mine >= limits.margin
    ):
        # the rules' scores stay: an overrule unsure of its situation asks (settle)
        return replace(
            _learned_report(rules, view, kaart, second=rules.channel), scores=rules.scores
        )
    return rules


def _keeps_order(rules: RouteResult, kaart: Meldkaart) -> bool:
    """The rules' order of a joint case stands: a wish to stay anonymous put M. first (policy
    rule 3), or the message is too vague to say which of the case's channels it is."""
    situation = kaart.situations.get(rules.situation or "")
    if situation is not None and situation.channel != rules.channel:
        return True
    top = rules.scores[0][1] if rules.scores else 0.0
    return top < CLEAR_SCORE


def settle(
    result: RouteResult,
    prediction: Prediction | None,
    kaart: Meldkaart,
    limits: Limits = Limits(),
    wider: Callable[[], frozenset[str]] = frozenset,
) -> RouteResult:
    """RESULT with its situation named only where sure, and marked vague where it is.

    Where rules and model agree on the channel, the model tells the channel's situations apart
    ("loud music every night" is the neighbours, not a terrace) when the rules matched its choice
    too; when they did not, the channel is named and no situation. WIDER gives the situations
    whose key words hold the message's words (asked only for a vague message)."""
    if result.emergency or result.info or result.situation is None:
        return result
    if prediction is not None and result.decided_by == BOTH and result.channel:
        result = _name_situation(result, _LearnedView(prediction, kaart, limits), kaart)
    top = result.scores[0][1] if result.scores else 0.0
    disputed = prediction is not None and result.decided_by == RULES
    if result.decided_by != LEARNED and (
        top < CLEAR_SCORE or (disputed and result.confidence < CLEAR_CONFIDENCE)
    ):
        return replace(result, vague=True, likely=_likely(result, prediction, kaart, wider()))
    # the model overruled the rules' match without being sure of any one situation
    # ("seit Tagen nicht zu sehen, es riecht komisch"): the card asks rather than names
    overruled = result.decided_by == LEARNED and prediction is not None and bool(result.scores)
    named = prediction.probabilities.get(result.situation or "", 0.0) if prediction else 0.0
    if overruled and named < limits.overrule:
        return replace(result, vague=True, likely=_likely(result, prediction, kaart, wider()))
    return result


def _name_situation(result: RouteResult, view: _LearnedView, kaart: Meldkaart) -> RouteResult:
    situation = kaart.situation(result.situation or "")
    if situation.channel != result.channel or not view.situations[result.channel]:
        return result  # the anonymous variant moved the channel: the rules' naming stands
    name, sure = view.situation(result.channel or "")
    if name == situation.id:
        return replace(result, situation_named=True)
    if not sure:
        return result
    scores = dict(result.scores)
    top = result.scores[0][1] if result.scores else 0.0
    if scores.get(name, 0.0) < LIKELY_SHARE * top:
        return replace(result, situation_named=False)
    chosen = kaart.situation(name)
    extra = [c for c in result.alternatives if c not in situation.alternatives]
    alternatives = dict.fromkeys(
        c for c in (*chosen.alternatives, *extra) if c and c != result.channel
    )
    return replace(result, situation=name, alternatives=tuple(alternatives), situation_named=True)


def _likely(
    result: RouteResult, prediction: Prediction | None, kaart: Meldkaart, wider: frozenset[str]
) -> tuple[str, ...]:
    """The report situations a vague message may be about, best first: what the rules matched,
    what the model finds probable, then the best one's theme (first those whose key words hold
    the message's words, WIDER, then in the meldkaart's order)."""
    weight: dict[str, float] = {}
    top = result.scores[0][1] if result.scores else 0.0
    for name, score in result.scores:
        if top and score >= LIKELY_SHARE * top:
            weight[name] = score / top
    learned = dict(prediction.probabilities) if prediction is not None else {}
    for name, probability in learned.items():
        if probability >= LIKELY_PROBABILITY and _offerable(kaart, name):
            weight[name] = max(weight.get(name, 0.0), probability)
    if result.situation and _offerable(kaart, result.situation):
        weight.setdefault(result.situation, 1.0)
    ranked = sorted(weight, key=lambda n: -weight[n])[:LIKELY]
    if ranked and len(ranked) < LIKELY:
        theme = kaart.situation(ranked[0]).theme
        kin = [
            s.id
            for s in kaart.situations.values()
            if s.theme == theme and s.id not in ranked and _offerable(kaart, s.id)
        ]
        kin.sort(key=lambda n: n not in wider)  # stable: the meldkaart's order otherwise
        ranked += kin[: LIKELY - len(ranked)]
    return tuple(ranked)


def _offerable(kaart: Meldkaart, name: str) -> bool:
    """A report situation a resident can pick (never a 112 one: the danger check decides 112)."""
    situation = kaart.situations.get(name)
    return situation is not None and situation.is_report and situation.channel != "112"


class _LearnedView:
    """A prediction read through the meldkaart: per channel, the danger, the best situations."""

    def __init__(self, prediction: Prediction, kaart: Meldkaart, limits: Limits) -> None:
        self.limits = limits
        self.channels: dict[str | None, float] = defaultdict(float)
        self.danger = 0.0
        self.emergencies: list[str] = []
        self.situations: dict[str | None, list[tuple[str, float]]] = defaultdict(list)
        for name, probability in prediction.probabilities.items():
            situation = kaart.situations.get(name)
            channel = situation.channel if situation else None
            if channel == "112":
                self.danger += probability
                self.emergencies.append(name)
                continue
            self.channels[channel] += probability
            self.situations[channel].append((name, probability))
        # the likeliest info entry (greeting, question), "none" aside, if likely enough
        infos = [(n, p) for n, p in self.situations[None] if n in kaart.situations]
        self.info = infos[0][0] if infos and infos[0][1] >= limits.info else None
        ranked = sorted(self.channels.items(), key=lambda kv: -kv[1])
        self.best_channel, self.best_probability = ranked[0] if ranked else (None, 0.0)
        self.runner_up = next((c for c, _ in ranked[1:] if c is not None), None)

    def situation(self, channel: str) -> tuple[str, bool]:
        """The most likely situation of CHANNEL, and whether it is sure enough to name."""
        name, probability = self.situations[channel][0]
        return name, probability >= self.limits.situation * self.channels[channel]


def _learned_emergency(
    rules: RouteResult, view: _LearnedView, everyday: str | None, kaart: Meldkaart
) -> RouteResult:
    situation = kaart.situation(view.emergencies[0])
    alternatives = [c for c in (*situation.alternatives, everyday) if c and c != "112"]
    return RouteResult(
        channel="112",
        situation=situation.id,
        alternatives=tuple(dict.fromkeys(alternatives)),
        emergency=True,
        confidence=round(view.danger, 2),
        language=rules.language,
        danger=f"learned:{situation.id}",
        decided_by=LEARNED,
    )


def _learned_report(
    rules: RouteResult, view: _LearnedView, kaart: Meldkaart, second: str | None
) -> RouteResult:
    channel = view.best_channel
    assert channel is not None
    name, sure = view.situation(channel)
    situation = kaart.situation(name)
    extra = second or view.runner_up
    alternatives = [c for c in (*situation.alternatives, extra) if c and c != channel]
    return RouteResult(
        channel=channel,
        situation=situation.id,
        alternatives=tuple(dict.fromkeys(alternatives))[:3],
        emergency=False,
        confidence=round(view.best_probability, 2),
        language=rules.language,
        decided_by=LEARNED,
        situation_named=sure,
    )


def load_learned(folder: Path, kaart: Meldkaart) -> LearnedModel | None:
    """The learned model in FOLDER, or None (logged once) when there is none that fits."""
    try:
        model = LearnedModel.load(folder)
    except ModelError as error:
        log.warning("learned routing layer off: %s", error)
        return None
    unknown = [c for c in model.classes if c != "none" and c not in kaart.situations]
    if unknown:
        log.warning(
            "learned routing layer off: the model names situations the meldkaart lacks (%s); "
            "run `meldwijzer train`",
            ", ".join(unknown[:5]),
        )
        return None
    return model


def _rivals(
    best: Situation, reports: list[tuple[int, float]], entries: list[Situation]
) -> list[tuple[Situation, float]]:
    """The best-scoring situations that lead to a different channel than the best one."""
    seen: set[str | None] = {best.channel}
    rivals = []
    for i, score in reports[1:]:
        entry = entries[i]
        if entry.channel in seen:
            continue
        seen.add(entry.channel)
        rivals.append((entry, score))
    return rivals


def _confidence(best: tuple[int, float] | None, second: float | None) -> float:
    if best is None:
        return 0.0
    top = best[1]
    margin = top - (second or 0.0)
    return (
        round(max(0.0, min(1.0, (top / (top + 1.5)) * (0.5 + 0.5 * margin / top))), 2)
        if top
        else 0.0
    )


def _sequence_present(term: tuple[str, ...], positions: dict[str, list[int]]) -> bool:
    """All stems of TERM occur in order, each at most two words after the one before."""
    starts = positions.get(term[0], ())
    return any(_follows(term, 1, start, positions) for start in starts)


def _follows(term: tuple[str, ...], i: int, previous: int, positions: dict[str, list[int]]) -> bool:
    if i == len(term):
        return True
    return any(
        _follows(term, i + 1, p, positions)
        for p in positions.get(term[i], ())
        if previous < p <= previous + 3
    )


def _fuzzy(word: str, index: _Index) -> str | None:
    """The key word WORD is a spelling slip of, if any (remembered: residents repeat slips)."""
    if word not in index.slips:
        if len(index.slips) > 50_000:
            index.slips.clear()
        match = process.extractOne(
            word, index.surface, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        index.slips[word] = match[0] if match else None
    return index.slips[word]


def _build_index(kaart: Meldkaart) -> _Index:
    """Index reports and info entries; 112 is reached only through the danger check."""
    entries = [s for s in kaart.situations.values() if s.channel != "112"]
    index = _Index(entries)
    index.position = {entry.id: i for i, entry in enumerate(entries)}
    raw_terms: list[_Term] = []
    surface: set[str] = set()
    sources = (
        ("keywords", KEYWORD_WEIGHT),
        ("context", CONTEXT_WEIGHT),
        ("phrases", PHRASE_WEIGHT),
    )
    for i, entry in enumerate(entries):
        for field_name, weight in sources:
            for lang, items in getattr(entry, field_name).items():
                for item in items:
                    all_words = words(normalise(item))
                    content = [w for w in all_words if w not in STOP_WORDS]
                    if not content and (field_name == "phrases" or len(all_words) < 2):
                        continue  # a lone stop word says nothing; "what can you do" does
                    if field_name == "phrases":
                        raw_terms.extend(_Term((stem(w, lang),), weight, i) for w in content)
                        continue
                    if len(content) == 1 and len(all_words) == 1:
                        # the word itself too: a stemmer may shorten it onto another word
                        raw_terms.append(_Term((content[0].replace("'", ""),), weight, i))
                    # A key word group keeps its stop words: "dood wil", "geen stroom". It is
                    # more specific than any one of its words, by the number of content words.
                    group = all_words if len(all_words) > 1 else content
                    bonus = (
                        1 + MULTI_WORD_BONUS * max(0, len(content) - 1) if len(group) > 1 else 1.0
                    )
                    raw_terms.append(_Term(tuple(stem(w, lang) for w in group), weight * bonus, i))
                    if len(group) == 1 and len(group[0]) >= MIN_COMPOUND:
                        index.compounds[group[0]].append((i, weight))
                    for w in content:
                        if len(w) >= 5:
                            surface.add(w)
                            index.surface_stem[w] = stem(w, lang)

    # IDF over channels: a term that points to many channels says little about any one of them.
    # (Info entries count as a channel of their own.)
    def channel_of(entry: int) -> str:
        return entries[entry].channel or f"info:{entries[entry].id}"

    df: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for term in raw_terms:
        df[term.stems].add(channel_of(term.entry))
    n = len({channel_of(i) for i in range(len(entries))})
    best: dict[tuple[int, tuple[str, ...]], float] = {}
    for term in raw_terms:
        idf = math.log(1 + n / len(df[term.stems]))
        pair = (term.entry, term.stems)
        best[pair] = max(best.get(pair, 0.0), term.weight * idf)
    for (entry_no, stems_), weight in best.items():
        if len(stems_) == 1:
            index.unigrams[stems_[0]].append((entry_no, weight))
        else:
            index.multi[stems_[0]].append(_Term(stems_, weight, entry_no))
    for compound, postings in list(index.compounds.items()):
        idf = math.log(1 + n / len({channel_of(e) for e, _ in postings}))
        index.compounds[compound] = [(e, w * idf) for e, w in postings]
    index.longest_compound = max(map(len, index.compounds), default=0)
    index.surface = tuple(sorted(surface))
    return index


def _place_names() -> frozenset[str]:
    """Every buurt name and alias of knowledge/, normalised: they say where, never what."""
    from bot.knowledge import load as load_knowledge

    names: set[str] = set()
    for buurt in load_knowledge().buurten.values():
        for name in (buurt.name, *buurt.aliases):
            names.update(words(normalise(name)))
    return frozenset(n for n in names if len(n) > 3 and n not in STOP_WORDS)
