"""The danger check: acute danger by word-boundary patterns and time cues, never by similarity.

Patterns come from routing_rules/danger.yaml and run on normalised text (lower case, no accents).
A kind that `needs_now` (a crime or violence) is acute only with a now-cue ("nu", "right now",
"is bezig", "still here"); with no time cue at all it is 'unsure', and the router shows 112 first
and the everyday channel second. A past or habitual cue ("gisteren", "last week", "soms") or a calm
cue ("nu is het rustig", "not in immediate danger") makes any kind not acute, unless a now-cue
says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.meldkaart import DangerRules


@dataclass(frozen=True)
class Danger:
    """An acute danger found in a message."""

    kind: str
    situation: str
    certain: bool


def check(normalised: str, rules: DangerRules) -> Danger | None:
    """The first acute danger in NORMALISED text, or None."""
    text = f" {normalised} "
    matching = [
        kind
        for kind in rules.kinds
        if any(p.search(text) for p in kind.patterns) and not any(g.search(text) for g in kind.guards)
    ]
    if not matching:
        return None
    if any(p.search(text) for p in rules.calm_cues):
        return None
    now = any(p.search(text) for p in rules.now_cues)
    past = any(p.search(text) for p in rules.past_cues)
    unsure: Danger | None = None
    for kind in matching:
        if now:
            return Danger(kind.id, kind.situation, certain=True)
        if past:
            continue
        if not kind.needs_now:
            return Danger(kind.id, kind.situation, certain=True)
        unsure = unsure or Danger(kind.id, kind.situation, certain=False)
    return unsure
