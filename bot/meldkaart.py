"""The meldkaart: channels, situations and danger rules, loaded from routing_rules/ and checked.

The files are checked by typed models (shared types and file:line errors: bot/schema.py). A load
either gives a complete, valid `Meldkaart` or raises `DataError` listing every problem
with file and line: never a half-loaded card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from bot import schema
from bot.paths import ROUTING_RULES_DIR
from bot.schema import (
    Confidence,
    Https,
    Ident,
    Patterns,
    Required,
    Schema,
    SomePatterns,
    SomeWords,
    Translation,
    Words,
    at_least,
    known,
)
from bot.yamlfile import DataError, Problem, read_yaml

FILES = ("channels.yaml", "meldkaart.yaml", "danger.yaml")
# References between the files, checked against the ids in the validation context.
ChannelRef = Annotated[str, known("channels", "unknown channel id '{value}'")]
ThemeRef = Annotated[str, known("themes", "unknown theme '{value}'")]
SituationRef = Annotated[str, known("situations", "unknown situation '{value}'")]
EmergencyRef = Annotated[SituationRef, known("emergencies", "situation '{value}' must go to 112")]
AcuteRef = Annotated[str, known("emergencies", "acute '{value}' must be a 112 situation")]


@dataclass(frozen=True)
class Text:
    """One text in Dutch and English."""

    nl: Translation
    en: Translation

    def get(self, lang: str) -> str:
        """The text in LANG (English for anything that is not Dutch)."""
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Contact:
    """A phone number, web address, app or e-mail address, with where it was found."""

    kind: str  # phone | web | app | email
    value: str
    label: Text | None
    source: str
    confidence: str

    @property
    def shown(self) -> bool:
        """UNVERIFIED facts are never shown to people as facts."""
        return self.confidence != "unverified"


@dataclass(frozen=True)
class Hours:
    """When a channel is open, with its source."""

    text: Text
    source: Required
    confidence: Confidence

    @property
    def shown(self) -> bool:
        """UNVERIFIED hours are not shown."""
        return self.confidence != "unverified"


@dataclass(frozen=True)
class Channel:
    """Somewhere a resident can report: 112, politie, the Melddesk, Veilig Thuis, ..."""

    id: str
    name: Text
    contacts: tuple[Contact, ...]
    hours: Hours | None
    anonymous: bool
    expect: Text
    note: Text | None = None

    def shown_contacts(self, kind: str | None = None) -> list[Contact]:
        """The verified contacts, optionally of one kind."""
        return [c for c in self.contacts if c.shown and (kind is None or c.kind == kind)]


@dataclass(frozen=True)
class FollowUpOption:
    """One answer to a follow-up question and the situation it leads to."""

    label: Text
    situation: SituationRef


@dataclass(frozen=True)
class FollowUp:
    """A question that tells two look-alike cases apart."""

    question: Text
    options: Annotated[tuple[FollowUpOption, ...], at_least(2, "options")]


@dataclass(frozen=True)
class Situation:
    """One row of the meldkaart: what is going on and where it goes."""

    id: str
    theme: str
    title: Text
    why: Text
    channel: str | None  # None for an info entry (greeting, question): no channel forced
    alternatives: tuple[str, ...]
    phrases: dict[str, tuple[str, ...]]
    keywords: dict[str, tuple[str, ...]]
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)  # weak supporting words
    followup: FollowUp | None = None
    reply: Text | None = None  # for info entries: what the bot says instead of a channel
    acute: str | None = None  # the 112 situation this becomes when it is happening right now
    acute_on_weak_now: bool = False  # violence: a plain "nu" already makes it acute

    @property
    def is_report(self) -> bool:
        """True for a situation that has a channel; False for greetings and questions."""
        return self.channel is not None


@dataclass(frozen=True)
class Theme:
    """A THOR speerpunt or a veiligheid / zorg theme, used for counting."""

    id: Ident
    name: Text


def combine(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One regex that matches where any of PATTERNS does: one search instead of many."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))


@dataclass(frozen=True)
class DangerKind:
    """One kind of acute danger (fire, weapon, ...) and its patterns per language."""

    id: str
    situation: str
    needs_now: bool
    patterns: tuple[re.Pattern[str], ...]
    guards: tuple[re.Pattern[str], ...]
    strict: bool = False  # acute only with a now-cue; without one it is not even 'unsure'
    hazard: bool = False  # the danger is the thing itself (a fire): "nobody hurt" does not end it

    @property
    def matcher(self) -> re.Pattern[str] | None:
        """All patterns as one regex."""
        return _combined(self.patterns)

    @property
    def guard(self) -> re.Pattern[str] | None:
        """All guards as one regex."""
        return _combined(self.guards)


@dataclass(frozen=True)
class Cue:
    """A time cue and the language it is written in (cues are language-bound: 'hier')."""

    lang: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class SignalGroup:
    """Danger words of one weight, pointing to one danger kind ("none" for urgency words)."""

    name: str
    kind: str
    weight: int
    matcher: re.Pattern[str]


@dataclass(frozen=True)
class Signals:
    """The word-level danger layer: enough weighted danger words make a message acute."""

    threshold: int
    certain: int  # from this score on (or with a now-cue) the danger is certain, else 'unsure'
    groups: tuple[SignalGroup, ...]


@dataclass(frozen=True)
class DangerRules:
    """The emergency layer's data: kinds and the time cues that make a crime acute or past."""

    kinds: tuple[DangerKind, ...]
    now_cues: tuple[Cue, ...]  # strong: beat a past cue
    weak_now_cues: tuple[Cue, ...]  # "nu", "now": acute only when nothing says otherwise
    past_cues: tuple[Cue, ...]
    calm_cues: tuple[Cue, ...]
    signals: Signals | None = None
    unhurt_cues: tuple[Cue, ...] = ()  # "niemand gewond": ends every kind but a hazard
    after_cues: tuple[Cue, ...] = ()  # "ik maak me zorgen": past for a crime only


@dataclass(frozen=True)
class Meldkaart:
    """Everything the router needs, validated."""

    channels: dict[str, Channel]
    themes: dict[str, Theme]
    situations: dict[str, Situation]
    danger: DangerRules
    anonymous_situation: str | None = None  # matched as well: the wish to stay anonymous
    source_dir: Path = field(default=ROUTING_RULES_DIR)

    def situation(self, situation_id: str) -> Situation:
        """The situation with this id."""
        return self.situations[situation_id]

    def channel(self, channel_id: str) -> Channel:
        """The channel with this id."""
        return self.channels[channel_id]


# -- the files' shapes ----------------------------------------------------------------------


class _Contact(Schema):
    value: Required
    label: Text | None = None
    source: Required
    confidence: Confidence

    def build(self, kind: str) -> Contact:
        return Contact(kind, self.value, self.label, self.source, self.confidence)


class _WebContact(_Contact):
    value: Annotated[Https, Field(min_length=1)]


class _Channel(Schema):
    id: Ident
    name: Text
    phone: tuple[_Contact, ...] = ()
    web: tuple[_WebContact, ...] = ()
    app: tuple[_Contact, ...] = ()
    email: tuple[_Contact, ...] = ()
    hours: Hours | None = None
    anonymous: StrictBool = False
    expect: Text
    note: Text | None = None

    def build(self) -> Channel:
        contacts = [
            c.build(kind) for kind in ("phone", "web", "app", "email") for c in getattr(self, kind)
        ]
        return Channel(
            self.id, self.name, tuple(contacts), self.hours, self.anonymous, self.expect, self.note
        )


class _Channels(Schema):
    channels: list[_Channel]


class _Situation(Schema):
    id: Ident
    theme: ThemeRef
    title: Text
    channel: ChannelRef | None = None  # None for an info entry, which has a reply instead
    why: Text | None = None
    reply: Text | None = None
    alternatives: tuple[ChannelRef, ...] = ()
    phrases: Words
    keywords: Words
    context: SomeWords = Field(default_factory=dict)
    followup: FollowUp | None = None
    acute: AcuteRef | None = None
    acute_on: Literal["weak", "strong"] | None = None

    @model_validator(mode="after")
    def _why_or_reply(self) -> _Situation:
        if self.channel is not None and self.why is None:
            raise schema.node_error("'why' is missing")
        if self.channel is None and self.reply is None:
            raise schema.node_error("'reply' is missing (an entry without channel has one)")
        return self

    def build(self) -> Situation:
        return Situation(
            id=self.id,
            theme=self.theme,
            title=self.title,
            why=self.why or self.reply,  # type: ignore[arg-type]  # one of them is set
            channel=self.channel,
            alternatives=self.alternatives,
            phrases=self.phrases,
            keywords=self.keywords,
            context=self.context,
            followup=self.followup,
            reply=self.reply,
            acute=self.acute,
            acute_on_weak_now=self.acute_on == "weak",
        )


class _Card(Schema):
    anonymous_situation: SituationRef | None = None
    themes: list[Theme]
    situations: list[_Situation]


class _Kind(Schema):
    id: Ident
    situation: EmergencyRef
    needs_now: Literal[True, False, "strict"] = False
    patterns: Patterns
    guards: SomePatterns = Field(default_factory=dict)
    hazard: StrictBool = False

    def build(self) -> DangerKind:
        return DangerKind(
            self.id,
            self.situation,
            bool(self.needs_now),
            _flat(self.patterns),
            _flat(self.guards),
            strict=self.needs_now == "strict",
            hazard=self.hazard,
        )


class _Group(Schema):
    name: Required
    kind: Annotated[str, known("kinds", "unknown danger kind '{value}'")]
    weight: Annotated[StrictInt, Field(ge=1)]
    words: Words

    def build(self) -> SignalGroup:
        words = {_word_pattern(w) for items in self.words.values() for w in items}
        alternatives = sorted(words, key=len, reverse=True)
        matcher = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")
        return SignalGroup(self.name, self.kind, self.weight, matcher)


class _Signals(Schema):
    threshold: Annotated[StrictInt, Field(ge=1)]
    certain: StrictInt | None = None  # the threshold when absent
    groups: list[_Group]

    @model_validator(mode="after")
    def _certain_above_threshold(self) -> _Signals:
        if self.certain is not None and self.certain < self.threshold:
            raise schema.node_error("'certain' must be at least the threshold")
        return self

    def build(self) -> Signals:
        groups = tuple(g.build() for g in self.groups)
        return Signals(self.threshold, self.certain or self.threshold, groups)


class _Danger(Schema):
    now_cues: SomePatterns
    weak_now_cues: SomePatterns
    past_cues: SomePatterns
    calm_cues: SomePatterns
    unhurt_cues: SomePatterns = Field(default_factory=dict)
    after_cues: SomePatterns = Field(default_factory=dict)
    kinds: list[_Kind]
    signals: _Signals | None = None

    def build(self) -> DangerRules:
        def cues(lists: dict[str, tuple[re.Pattern[str], ...]]) -> tuple[Cue, ...]:
            return tuple(Cue(lang, p) for lang, patterns in lists.items() for p in patterns)

        return DangerRules(
            tuple(k.build() for k in self.kinds),
            now_cues=cues(self.now_cues),
            weak_now_cues=cues(self.weak_now_cues),
            past_cues=cues(self.past_cues),
            calm_cues=cues(self.calm_cues),
            unhurt_cues=cues(self.unhurt_cues),
            after_cues=cues(self.after_cues),
            signals=self.signals.build() if self.signals else None,
        )


# How an entry of each list is named in a message: "situation 'id'".
_NAMES = {
    "channels": "channel",
    "themes": "theme",
    "situations": "situation",
    "kinds": "danger kind",
    "groups": "signal group",
}


def load(folder: Path = ROUTING_RULES_DIR) -> Meldkaart:
    """Load and validate channels.yaml, meldkaart.yaml and danger.yaml from FOLDER."""
    problems: list[Problem] = []
    docs: dict[str, Any] = {}
    for name in FILES:
        try:
            docs[name] = read_yaml(folder / name)
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    channels_doc, card_doc, danger_doc = (docs[name] for name in FILES)
    situations = schema.ids(card_doc, "situations")
    context = {
        "channels": {i for i, _ in schema.ids(channels_doc, "channels")},
        "themes": {i for i, _ in schema.ids(card_doc, "themes")},
        "situations": {i for i, _ in situations},
        "emergencies": {i for i, entry in situations if str(entry.get("channel")) == "112"},
        "kinds": {"none"} | {i for i, _ in schema.ids(danger_doc, "kinds")},
    }
    for file, doc, key in (
        ("channels.yaml", channels_doc, "channels"),
        ("meldkaart.yaml", card_doc, "themes"),
        ("meldkaart.yaml", card_doc, "situations"),
        ("danger.yaml", danger_doc, "kinds"),
    ):
        problems.extend(schema.duplicates(file, doc, key, _NAMES[key]))
    channels = schema.check(_Channels, "channels.yaml", channels_doc, problems, context, _NAMES)
    card = schema.check(_Card, "meldkaart.yaml", card_doc, problems, context, _NAMES)
    danger = schema.check(_Danger, "danger.yaml", danger_doc, problems, context, _NAMES)
    if problems or not (channels and card and danger):
        raise DataError(problems)
    return Meldkaart(
        {c.id: c.build() for c in channels.channels},
        {t.id: t for t in card.themes},
        {s.id: s.build() for s in card.situations},
        danger.build(),
        card.anonymous_situation,
        folder,
    )


def _flat(lists: dict[str, tuple[re.Pattern[str], ...]]) -> tuple[re.Pattern[str], ...]:
    return tuple(p for patterns in lists.values() for p in patterns)


def _word_pattern(word: str) -> str:
    """A signal word as regex: accents folded like the messages; a trailing * allows any ending."""
    from bot.textnorm import normalise

    stem_only = word.endswith("*")
    plain = re.escape(normalise(word.rstrip("*")))
    return plain + r"\w*" if stem_only else plain


@cache
def _combined(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    return combine(patterns)
