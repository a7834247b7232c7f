"""Labelled messages: the YAML shape of the corpus and of evaluation sets, as typed models.

A file is a list of messages (text, lang, situation, expect, emergency: corpus/README.md; an
evaluation set needs the text only), validated through bot/schema.py, so every problem is said
with its file and line. With a meldkaart in the context (`context`) the channel and situation ids
are checked against it, and a message that names its situation must fit it: `emergency` is true
exactly for a 112 situation, `expect` holds the situation's channel or one of its alternatives,
or nothing for a non-report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot import schema
from bot.schema import Schema, fail, known, one_of, rule
from bot.yamlfile import DataError, Problem, read_yaml

if TYPE_CHECKING:
    from bot.meldkaart import Meldkaart, Situation

NOT_A_REPORT = "none"  # the situation of chit-chat that matches no info entry either
LANGUAGES = ("nl", "en", "de", "fr", "li")

ChannelRef = Annotated[str, known("channels", "unknown channel id '{value}'")]
SituationRef = Annotated[str, known("situations", "unknown situation '{value}'")]
# The text as written (not stripped: it is what the model is trained on), but not blank.
MessageText = Annotated[StrictStr, rule(lambda v, _: v.strip(), "'{field}' is empty")]
Language = Annotated[str, one_of(*LANGUAGES)]


class Message(Schema):
    """One labelled message of an evaluation set: only its text is required there."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    text: MessageText
    lang: Language = ""
    situation: SituationRef | None = None
    # every acceptable first channel; () = not a report. Defaults, too, must fit a situation.
    expect: tuple[ChannelRef, ...] = Field(default=(), validate_default=True)
    emergency: StrictBool = Field(default=False, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            keys = ", ".join(cls.model_fields)
            raise schema.node_error(f"each item must be a mapping of {keys}")
        return data

    @field_validator("expect")
    @classmethod
    def _expect_fits(cls, expect: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        named, entry = _situation(info)
        if entry is None or entry.channel is None:  # no situation, or one that is no report
            if named and expect:
                raise fail("fit", "'{name}' is not a report: 'expect' must be []", name=named)
        elif not {entry.channel, *entry.alternatives} & set(expect):
            others = f" or an alternative ({', '.join(entry.alternatives)})"
            raise fail(
                "fit",
                "'expect' must include {channel}, the channel of '{name}'{others}",
                channel=entry.channel,
                name=named,
                others=others if entry.alternatives else "",
            )
        return expect

    @field_validator("emergency")
    @classmethod
    def _emergency_fits(cls, emergency: bool, info: ValidationInfo) -> bool:
        named, entry = _situation(info)
        urgent = entry is not None and entry.channel == "112"
        if named and emergency != urgent:
            goes = "goes" if urgent else "does not go"
            raise fail(
                "fit",
                "'emergency: {value}' does not fit '{situation}', which {goes} to 112",
                value=str(emergency).lower(),
                situation=named,
                goes=goes,
            )
        return emergency


class CorpusMessage(Message):
    """One message of the training corpus: every key is required."""

    lang: Language
    situation: SituationRef
    expect: tuple[ChannelRef, ...]
    emergency: StrictBool


M = TypeVar("M", bound=BaseModel)


class Messages(RootModel[list[M]], Generic[M]):
    """A file of labelled messages: a YAML list."""

    @model_validator(mode="before")
    @classmethod
    def _a_list(cls, data: Any) -> Any:
        if not isinstance(data, list):
            raise schema.node_error("expected a list of labelled messages")
        return data


EvalSet = Messages[Message]  # a file of `meldwijzer eval`
CorpusFile = Messages[CorpusMessage]  # a file of corpus/


def context(kaart: Meldkaart | None) -> dict[str, Any]:
    """What the references are checked against: KAART's ids (nothing is checked without one)."""
    if kaart is None:
        return {}
    situations = {NOT_A_REPORT, *kaart.situations}
    return {"channels": set(kaart.channels), "situations": situations, "kaart": kaart}


def read(
    model: type[Messages[M]], path: Path, kaart: Meldkaart | None, problems: list[Problem]
) -> list[tuple[M, int]]:
    """PATH's messages (a MODEL) with the line of each; none, with PROBLEMS added, if any is bad."""
    file = str(path)
    try:
        doc = read_yaml(path, file)
    except DataError as error:
        problems.extend(error.problems)
        return []
    messages = schema.check(model, file, doc, problems, context(kaart))
    if messages is None:
        return []
    return [(message, doc.item_lines[index]) for index, message in enumerate(messages.root)]


def _situation(info: ValidationInfo) -> tuple[str | None, Situation | None]:
    """The message's situation when it is valid and there is a meldkaart to look it up in."""
    kaart = (info.context or {}).get("kaart")
    named = info.data.get("situation")
    if kaart is None or not isinstance(named, str):
        return None, None
    return named, kaart.situations.get(named)
