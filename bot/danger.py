"""The danger check: acute danger by word-boundary patterns and time cues, never by similarity.

Patterns come from routing_rules/danger.yaml and run on normalised text (lower case, no accents).
A kind that `needs_now` (a crime or violence) is acute only with a now-cue ("nu", "right now",
"is bezig", "still here"); with no time cue at all it is 'unsure', and the router shows 112 first
and the everyday channel second. A past or habitual cue ("gisteren", "last week", "soms") makes
any kind not acute unless a strong now-cue ("op dit moment", "is bezig") says otherwise; a weak
one ("nu", "now") overrides it only for life-threatening kinds (fire, injury, water). An
after cue that names no time ("ik maak me zorgen", "waar kan ik melden") does so only for kinds
that need a now-cue (a crime, violence): it does not make a faint or a fire past. A calm cue
("nu is het rustig") makes every kind not acute; an unhurt cue ("niemand is gewond", "we zijn
veilig") every kind but a hazard: a fire that burns is 112 though nobody is hurt yet. Neither
ends a danger told after a "maar" / "but" that follows it ("het vuur is uit, maar mijn vader
ademt niet"): what comes after the "but" is not what the cue was about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.meldkaart import Cue, DangerRules, combine


@dataclass(frozen=True)
class Danger:
    """An acute danger found in a message."""

    kind: str
    situation: str
    certain: bool


# Cues in these languages always apply (Maastricht messages mix them); German and French cues
# only when the message is German or French ("hier" is 'here' in Dutch, 'yesterday' in French).
_ALWAYS = frozenset({"any", "nl", "en", "li"})

# A turn in the message: what follows is something else than what a calm or unhurt cue before
# it said was over ("ik ben veilig, maar mijn man ligt bewusteloos").
_BUT = re.compile(r"\b(maar|but|aber|mais|mer)\b")


@cache
def _cue_matcher(cues: tuple[Cue, ...], lang: str) -> re.Pattern[str] | None:
    return combine(tuple(c.pattern for c in cues if c.lang in _ALWAYS or c.lang == lang))


def _any(cues: tuple[Cue, ...], text: str, lang: str) -> bool:
    matcher = _cue_matcher(cues, lang)
    return bool(matcher and matcher.search(text))


def _reach(cues: tuple[Cue, ...], text: str, lang: str) -> int | None:
    """Where the last of CUES in TEXT stops ending dangers: at the first "maar" / "but" after it
    (a danger told from there on still counts), else at the end; None when no cue is there."""
    matcher = _cue_matcher(cues, lang)
    ends = [m.end() for m in matcher.finditer(text)] if matcher is not None else []
    if not ends:
        return None
    turn = _BUT.search(text, ends[-1])
    return turn.start() if turn else len(text)


def check(normalised: str, rules: DangerRules, lang: str = "nl") -> Danger | None:
    """The first acute danger in NORMALISED text (written in LANG), or None."""
    text = f" {normalised} "
    matching = [
        kind
        for kind in rules.kinds
        if kind.matcher is not None
        and kind.matcher.search(text)
        and not (kind.guard is not None and kind.guard.search(text))
    ]
    calm_reach = _reach(rules.calm_cues, text, lang)
    if calm_reach is not None:
        matching = [
            k for k in matching if k.matcher is not None and k.matcher.search(text, calm_reach)
        ]
        if not matching:
            return None
    unhurt_reach = _reach(rules.unhurt_cues, text, lang)
    if unhurt_reach is not None:
        matching = [
            k
            for k in matching
            if k.hazard or (k.matcher is not None and k.matcher.search(text, unhurt_reach))
        ]
        if not matching:
            return None
    if not matching:
        return _by_signals(text, rules, lang)
    strong_now = _any(rules.now_cues, text, lang)
    any_past = _any(rules.past_cues, text, lang)
    after = _any(rules.after_cues, text, lang)
    weak_now = _any(rules.weak_now_cues, text, lang)
    unsure: Danger | None = None
    for kind in matching:
        # "ik maak me zorgen", "who can help" put a crime after the fact, not a fire or a faint
        past = any_past or (after and kind.needs_now)
        # For fire, injury or drowning even a weak "nu" wins: the past cue may be background
        # ("ik woon hier al jaren ... nu staat het huis in brand"). For a crime it does not.
        if strong_now or (weak_now and (not past or not kind.needs_now)):
            return Danger(kind.id, kind.situation, certain=True)
        if past:
            continue
        if not kind.needs_now:
            return Danger(kind.id, kind.situation, certain=True)
        if not kind.strict:
            unsure = unsure or Danger(kind.id, kind.situation, certain=False)
    return unsure


def _by_signals(text: str, rules: DangerRules, lang: str) -> Danger | None:
    """The word-level layer: enough danger words, and nothing saying it is over or past."""
    signals = rules.signals
    if signals is None:
        return None
    if any(k.guard is not None and k.guard.search(text) for k in rules.kinds):
        return None  # a guard names a false friend; single words cannot outweigh it
    per_group = {g.name: len(set(g.matcher.findall(text))) for g in signals.groups}
    score_per_kind: dict[str, int] = {}
    harm = body = urgency = 0
    for group in signals.groups:
        found = per_group[group.name]
        if not found:
            continue
        if group.kind == "none":
            urgency += min(found, 2) * group.weight
            continue
        score_per_kind[group.kind] = score_per_kind.get(group.kind, 0) + found * group.weight
        if group.weight >= 2:
            harm += found
        else:
            body += found
    score = sum(score_per_kind.values()) + urgency
    if score < signals.threshold or not (harm or body >= 2):
        return None
    strong_now = _any(rules.now_cues, text, lang)
    kind_id = max(score_per_kind, key=lambda k: score_per_kind[k])
    kind = next(k for k in rules.kinds if k.id == kind_id)
    past = _any(rules.past_cues, text, lang) or (
        kind.needs_now and _any(rules.after_cues, text, lang)
    )
    if past and not strong_now:
        return None
    certain = score >= signals.certain or strong_now or _any(rules.weak_now_cues, text, lang)
    return Danger(kind.id, kind.situation, certain=certain)


def happening_now(
    normalised: str, rules: DangerRules, lang: str = "nl", weak: bool = False
) -> bool:
    """A strong now-cue ("op dit moment", "is bezig", "right now"), or with WEAK also a plain
    "nu" / "now", and nothing calm or past."""
    text = f" {normalised} "
    if _calm_or_unhurt(rules, text, lang) or _past_or_after(rules, text, lang):
        return False
    return _any(rules.now_cues, text, lang) or (weak and _any(rules.weak_now_cues, text, lang))


def tempered(normalised: str, rules: DangerRules, lang: str = "nl") -> bool:
    """The text gives a reason against acute danger: it says it is over, past or habitual
    ("nu is het rustig", "gisteren", "soms", "ik maak me zorgen") with no strong now-cue, or
    a guard names a false friend (an animal, "de lamp brandt niet")."""
    text = f" {normalised} "
    if _calm_or_unhurt(rules, text, lang):
        return True
    if any(kind.guard is not None and kind.guard.search(text) for kind in rules.kinds):
        return True
    return _past_or_after(rules, text, lang) and not _any(rules.now_cues, text, lang)


def _calm_or_unhurt(rules: DangerRules, text: str, lang: str) -> bool:
    return _any(rules.calm_cues, text, lang) or _any(rules.unhurt_cues, text, lang)


def _past_or_after(rules: DangerRules, text: str, lang: str) -> bool:
    return _any(rules.past_cues, text, lang) or _any(rules.after_cues, text, lang)
