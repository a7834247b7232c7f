"""The meldkaart: channels, situations and danger rules, loaded from routing_rules/ and checked.

A load either gives a complete, valid `Meldkaart` or raises `DataError` listing every problem
with file and line: never a half-loaded card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bot.paths import ROUTING_RULES_DIR
from bot.yamlfile import DataError, LineDict, Problem, line_of_item, read_yaml

LANGS = ("nl", "en")
EXTRA_LANGS = ("de", "fr", "li")
CONFIDENCES = ("high", "medium", "low", "unverified")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class Text:
    """One text in Dutch and English."""

    nl: str
    en: str

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
    source: str
    confidence: str

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
    situation: str


@dataclass(frozen=True)
class FollowUp:
    """A question that tells two look-alike cases apart."""

    question: Text
    options: tuple[FollowUpOption, ...]


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

    id: str
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


def load(folder: Path = ROUTING_RULES_DIR) -> Meldkaart:
    """Load and validate channels.yaml, meldkaart.yaml and danger.yaml from FOLDER."""
    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    for name in ("channels.yaml", "meldkaart.yaml", "danger.yaml"):
        try:
            raw[name] = read_yaml(folder / name)
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    checker = _Checker(problems)
    channels = checker.channels(raw["channels.yaml"])
    themes, situations = checker.meldkaart(raw["meldkaart.yaml"], channels)
    danger = checker.danger(raw["danger.yaml"], situations)
    anonymous = checker.anonymous_situation(raw["meldkaart.yaml"], situations)
    if problems:
        raise DataError(problems)
    return Meldkaart(channels, themes, situations, danger, anonymous, folder)


class _Checker:
    """Builds the typed models and records every problem with its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def fail(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    # -- small typed readers -------------------------------------------------------------

    def mapping(self, file: str, node: Any, where: str, line: int) -> LineDict | None:
        if not isinstance(node, LineDict):
            self.fail(file, line, f"{where}: expected a mapping (key: value lines)")
            return None
        return node

    def string(self, file: str, node: LineDict, key: str, where: str, required: bool = True) -> str:
        value = node.get(key)
        if value is None:
            if required:
                self.fail(file, node.line_of(key), f"{where}: '{key}' is missing")
            return ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(file, node.line_of(key), f"{where}: '{key}' must be text")
            return ""
        text = str(value).strip()
        if required and not text:
            self.fail(file, node.line_of(key), f"{where}: '{key}' is empty")
        return text

    def text(
        self, file: str, node: LineDict, key: str, where: str, required: bool = True
    ) -> Text | None:
        value = node.get(key)
        if value is None:
            if required:
                self.fail(file, node.line_of(key), f"{where}: '{key}' is missing")
            return None
        sub = self.mapping(file, value, f"{where}.{key}", node.line_of(key))
        if sub is None:
            return None
        missing = [lang for lang in LANGS if not str(sub.get(lang) or "").strip()]
        for lang in missing:
            self.fail(file, sub.line_of(lang), f"{where}.{key}: missing translation '{lang}'")
        if missing:
            return None
        return Text(str(sub["nl"]).strip(), str(sub["en"]).strip())

    def source_and_confidence(self, file: str, node: LineDict, where: str) -> tuple[str, str]:
        source = self.string(file, node, "source", where)
        confidence = self.string(file, node, "confidence", where)
        if confidence and confidence not in CONFIDENCES:
            self.fail(
                file,
                node.line_of("confidence"),
                f"{where}: confidence '{confidence}' is not one of {', '.join(CONFIDENCES)}",
            )
        return source, confidence

    def word_lists(
        self, file: str, node: LineDict, key: str, where: str, required: bool = True
    ) -> dict[str, tuple[str, ...]]:
        value = node.get(key)
        if value is None:
            if required:
                self.fail(file, node.line, f"{where}: '{key}' is missing")
            return {}
        sub = self.mapping(file, value, f"{where}.{key}", node.line_of(key))
        if sub is None:
            return {}
        lists: dict[str, tuple[str, ...]] = {}
        for lang, items in sub.items():
            if lang not in LANGS + EXTRA_LANGS:
                self.fail(file, sub.line_of(lang), f"{where}.{key}: unknown language '{lang}'")
                continue
            if not isinstance(items, list) or not all(
                isinstance(i, str) and i.strip() for i in items
            ):
                self.fail(
                    file, sub.line_of(lang), f"{where}.{key}.{lang}: expected a list of texts"
                )
                continue
            lists[lang] = tuple(i.strip() for i in items)
        for lang in LANGS:
            if required and not lists.get(lang):
                self.fail(file, sub.line, f"{where}.{key}: missing translation '{lang}'")
        return lists

    def entries(self, file: str, doc: Any, key: str) -> list[LineDict]:
        top = self.mapping(file, doc, "the file", 1)
        if top is None:
            return []
        items = top.get(key)
        if not isinstance(items, list):
            self.fail(file, top.line_of(key), f"'{key}' must be a list")
            return []
        good = []
        for index, item in enumerate(items):
            entry = self.mapping(
                file, item, f"{key}[{index}]", line_of_item(items, index, top.line_of(key))
            )
            if entry is not None:
                good.append(entry)
        return good

    def unique_id(self, file: str, entry: LineDict, seen: dict[str, int], what: str) -> str:
        ident = self.string(file, entry, "id", what)
        if ident and not _ID.match(ident):
            self.fail(file, entry.line_of("id"), f"{what} id '{ident}': use a-z, 0-9 and '-'")
        if ident in seen:
            self.fail(
                file,
                entry.line_of("id"),
                f"duplicate {what} id '{ident}' (first at line {seen[ident]})",
            )
        seen.setdefault(ident, entry.line_of("id"))
        return ident

    # -- the three files ---------------------------------------------------------------------

    def channels(self, doc: Any) -> dict[str, Channel]:
        file = "channels.yaml"
        channels: dict[str, Channel] = {}
        seen: dict[str, int] = {}
        for entry in self.entries(file, doc, "channels"):
            ident = self.unique_id(file, entry, seen, "channel")
            where = f"channel '{ident}'"
            name = self.text(file, entry, "name", where)
            expect = self.text(file, entry, "expect", where)
            note = self.text(file, entry, "note", where, required=False)
            contacts = []
            for kind in ("phone", "web", "app", "email"):
                for item in entry.get(kind) or []:
                    contact = self.contact(file, item, kind, where, entry.line_of(kind))
                    if contact:
                        contacts.append(contact)
            hours = None
            if entry.get("hours") is not None:
                node = self.mapping(file, entry["hours"], f"{where}.hours", entry.line_of("hours"))
                if node is not None:
                    text = self.text(file, node, "text", f"{where}.hours")
                    source, confidence = self.source_and_confidence(file, node, f"{where}.hours")
                    if text:
                        hours = Hours(text, source, confidence)
            anonymous = entry.get("anonymous", False)
            if not isinstance(anonymous, bool):
                self.fail(
                    file, entry.line_of("anonymous"), f"{where}: 'anonymous' is true or false"
                )
            if ident and name and expect:
                channels[ident] = Channel(
                    ident, name, tuple(contacts), hours, bool(anonymous), expect, note
                )
        return channels

    def contact(self, file: str, item: Any, kind: str, where: str, line: int) -> Contact | None:
        node = self.mapping(file, item, f"{where}.{kind}", line)
        if node is None:
            return None
        value = self.string(file, node, "value", f"{where}.{kind}")
        label = self.text(file, node, "label", f"{where}.{kind}", required=False)
        source, confidence = self.source_and_confidence(file, node, f"{where}.{kind} '{value}'")
        if kind == "web" and value and not value.startswith("https://"):
            self.fail(
                file,
                node.line_of("value"),
                f"{where}: web address '{value}' must start with https://",
            )
        return Contact(kind, value, label, source, confidence) if value else None

    def meldkaart(
        self, doc: Any, channels: dict[str, Channel]
    ) -> tuple[dict[str, Theme], dict[str, Situation]]:
        file = "meldkaart.yaml"
        themes: dict[str, Theme] = {}
        seen_themes: dict[str, int] = {}
        for entry in self.entries(file, doc, "themes"):
            ident = self.unique_id(file, entry, seen_themes, "theme")
            name = self.text(file, entry, "name", f"theme '{ident}'")
            if ident and name:
                themes[ident] = Theme(ident, name)

        situations: dict[str, Situation] = {}
        seen: dict[str, int] = {}
        pending_followups: list[tuple[LineDict, str, LineDict]] = []
        pending_acute: list[tuple[LineDict, str, str]] = []
        for entry in self.entries(file, doc, "situations"):
            ident = self.unique_id(file, entry, seen, "situation")
            where = f"situation '{ident}'"
            theme = self.string(file, entry, "theme", where)
            if theme and theme not in themes:
                self.fail(file, entry.line_of("theme"), f"{where}: unknown theme '{theme}'")
            title = self.text(file, entry, "title", where)
            channel = entry.get("channel")
            reply = self.text(file, entry, "reply", where, required=channel is None)
            why = self.text(file, entry, "why", where, required=channel is not None)
            if channel is not None and channel not in channels:
                self.fail(
                    file, entry.line_of("channel"), f"{where}: unknown channel id '{channel}'"
                )
            alternatives = entry.get("alternatives") or []
            if not isinstance(alternatives, list):
                self.fail(
                    file, entry.line_of("alternatives"), f"{where}: 'alternatives' must be a list"
                )
                alternatives = []
            for alt in alternatives:
                if alt not in channels:
                    self.fail(
                        file, entry.line_of("alternatives"), f"{where}: unknown channel id '{alt}'"
                    )
            phrases = self.word_lists(file, entry, "phrases", where)
            keywords = self.word_lists(file, entry, "keywords", where)
            context = self.word_lists(file, entry, "context", where, required=False)
            if entry.get("followup") is not None:
                node = self.mapping(
                    file, entry["followup"], f"{where}.followup", entry.line_of("followup")
                )
                if node is not None:
                    pending_followups.append((entry, ident, node))
            acute = entry.get("acute")
            if entry.get("acute_on") not in (None, "weak", "strong"):
                self.fail(file, entry.line_of("acute_on"), f"{where}: 'acute_on' is weak or strong")
            if acute is not None:
                pending_acute.append((entry, ident, str(acute)))
            if ident and title and (why or reply):
                situations[ident] = Situation(
                    id=ident,
                    theme=theme,
                    title=title,
                    why=why or reply,  # type: ignore[arg-type]
                    channel=str(channel) if channel is not None else None,
                    alternatives=tuple(str(a) for a in alternatives),
                    phrases=phrases,
                    keywords=keywords,
                    context=context,
                    reply=reply,
                    acute=str(acute) if acute is not None else None,
                    acute_on_weak_now=entry.get("acute_on") == "weak",
                )
        for entry, ident, target in pending_acute:
            known = situations.get(target)
            if known is None or known.channel != "112":
                message = f"situation '{ident}': acute '{target}' must be a 112 situation"
                self.fail(file, entry.line_of("acute"), message)
        for _entry, ident, node in pending_followups:
            followup = self.followup(file, node, f"situation '{ident}'.followup", situations)
            if followup and ident in situations:
                situations[ident] = _replace_followup(situations[ident], followup)
        return themes, situations

    def anonymous_situation(self, doc: Any, situations: dict[str, Situation]) -> str | None:
        """The situation that signals a wish for anonymity (rule 3 of the routing policy)."""
        file = "meldkaart.yaml"
        if not isinstance(doc, LineDict) or doc.get("anonymous_situation") is None:
            return None
        ident = str(doc["anonymous_situation"])
        if ident not in situations:
            self.fail(
                file,
                doc.line_of("anonymous_situation"),
                f"anonymous_situation: unknown situation '{ident}'",
            )
            return None
        return ident

    def followup(
        self, file: str, node: LineDict, where: str, situations: dict[str, Situation]
    ) -> FollowUp | None:
        question = self.text(file, node, "question", where)
        options = []
        raw = node.get("options")
        if not isinstance(raw, list) or len(raw) < 2:
            self.fail(file, node.line_of("options"), f"{where}: needs at least two options")
            return None
        for index, item in enumerate(raw):
            opt = self.mapping(file, item, f"{where}.options[{index}]", node.line_of("options"))
            if opt is None:
                continue
            label = self.text(file, opt, "label", f"{where}.options[{index}]")
            target = self.string(file, opt, "situation", f"{where}.options[{index}]")
            if target and target not in situations:
                self.fail(file, opt.line_of("situation"), f"{where}: unknown situation '{target}'")
            elif label and target:
                options.append(FollowUpOption(label, target))
        return FollowUp(question, tuple(options)) if question and len(options) == len(raw) else None

    def danger(self, doc: Any, situations: dict[str, Situation]) -> DangerRules:
        file = "danger.yaml"
        top = self.mapping(file, doc, "the file", 1)
        if top is None:
            return DangerRules((), (), (), (), ())
        cues = {}
        for key in ("now_cues", "weak_now_cues", "past_cues", "calm_cues"):
            cues[key] = tuple(
                Cue(lang, pattern)
                for lang, pattern in self.patterns_by_language(file, top, key, "cues")
            )
        kinds = []
        seen: dict[str, int] = {}
        for entry in self.entries(file, doc, "kinds"):
            ident = self.unique_id(file, entry, seen, "danger kind")
            where = f"danger kind '{ident}'"
            target = self.string(file, entry, "situation", where)
            if target and target not in situations:
                self.fail(
                    file, entry.line_of("situation"), f"{where}: unknown situation '{target}'"
                )
            elif target and situations[target].channel != "112":
                self.fail(
                    file,
                    entry.line_of("situation"),
                    f"{where}: situation '{target}' must go to 112",
                )
            needs_now = entry.get("needs_now", False)
            if needs_now not in (True, False, "strict"):
                line = entry.line_of("needs_now")
                self.fail(file, line, f"{where}: 'needs_now' is true, false or strict")
            strict = needs_now == "strict"
            patterns = self.patterns(file, entry, "patterns", where)
            guards = self.patterns(file, entry, "guards", where) if "guards" in entry else ()
            if not patterns:
                self.fail(file, entry.line, f"{where}: no patterns")
            kinds.append(DangerKind(ident, target, bool(needs_now), patterns, guards, strict))
        return DangerRules(
            tuple(kinds),
            now_cues=cues["now_cues"],
            weak_now_cues=cues["weak_now_cues"],
            past_cues=cues["past_cues"],
            calm_cues=cues["calm_cues"],
            signals=self.signals(file, top, {k.id for k in kinds}),
        )

    def signals(self, file: str, top: LineDict, kind_ids: set[str]) -> Signals | None:
        """The optional word-level layer: weighted groups of whole words (a trailing * = prefix)."""
        node = top.get("signals")
        if node is None:
            return None
        sub = self.mapping(file, node, "signals", top.line_of("signals"))
        if sub is None:
            return None
        threshold = sub.get("threshold")
        if not isinstance(threshold, int) or threshold < 1:
            self.fail(file, sub.line_of("threshold"), "signals: 'threshold' is a whole number >= 1")
            threshold = 1
        certain = sub.get("certain", threshold)
        if not isinstance(certain, int) or certain < threshold:
            message = "signals: 'certain' is a whole number >= threshold"
            self.fail(file, sub.line_of("certain"), message)
            certain = threshold
        groups = []
        raw_groups = sub.get("groups")
        if not isinstance(raw_groups, list):
            self.fail(file, sub.line_of("groups"), "signals: 'groups' must be a list")
            return None
        for index, item in enumerate(raw_groups):
            group = self.mapping(file, item, f"signals.groups[{index}]", sub.line_of("groups"))
            if group is None:
                continue
            name = self.string(file, group, "name", f"signals.groups[{index}]")
            kind = self.string(file, group, "kind", f"signal group '{name}'")
            if kind and kind != "none" and kind not in kind_ids:
                message = f"signal group '{name}': unknown danger kind '{kind}'"
                self.fail(file, group.line_of("kind"), message)
            weight = group.get("weight")
            if not isinstance(weight, int) or weight < 1:
                message = f"signal group '{name}': 'weight' is a whole number"
                self.fail(file, group.line_of("weight"), message)
                weight = 1
            lists = self.word_lists(file, group, "words", f"signal group '{name}'")
            alternatives = sorted(
                {_word_pattern(w) for items in lists.values() for w in items}, key=len, reverse=True
            )
            if alternatives:
                matcher = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")
                groups.append(SignalGroup(name, kind, weight, matcher))
        return Signals(threshold, certain, tuple(groups))

    def patterns(
        self, file: str, node: LineDict, key: str, where: str
    ) -> tuple[re.Pattern[str], ...]:
        """Regexes of every language; written against normalised text (lower case, no accents)."""
        return tuple(p for _lang, p in self.patterns_by_language(file, node, key, where))

    def patterns_by_language(
        self, file: str, node: LineDict, key: str, where: str
    ) -> list[tuple[str, re.Pattern[str]]]:
        """Regexes with their language."""
        value = node.get(key)
        sub = self.mapping(file, value, f"{where}.{key}", node.line_of(key))
        if sub is None:
            return []
        compiled = []
        for lang, items in sub.items():
            if lang not in LANGS + EXTRA_LANGS + ("any",):
                self.fail(file, sub.line_of(lang), f"{where}.{key}: unknown language '{lang}'")
                continue
            if not isinstance(items, list):
                self.fail(
                    file, sub.line_of(lang), f"{where}.{key}.{lang}: expected a list of patterns"
                )
                continue
            for index, item in enumerate(items):
                try:
                    compiled.append((str(lang), re.compile(str(item))))
                except re.error as exc:
                    self.fail(
                        file,
                        line_of_item(items, index, sub.line_of(lang)),
                        f"{where}.{key}.{lang}: bad pattern '{item}': {exc}",
                    )
        return compiled


def _word_pattern(word: str) -> str:
    """A signal word as regex: accents folded like the messages; a trailing * allows any ending."""
    from bot.textnorm import normalise

    stem_only = word.endswith("*")
    plain = re.escape(normalise(word.rstrip("*")))
    return plain + r"\w*" if stem_only else plain


@cache
def _combined(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    return combine(patterns)


def _replace_followup(situation: Situation, followup: FollowUp) -> Situation:
    from dataclasses import replace

    return replace(situation, followup=followup)
