"""Typed checks of the YAML data files: shared pydantic field types, and its errors as file:line.

The loaders describe each file as pydantic models (or stdlib dataclasses) built from the types
below; `check` validates a document read by `read_yaml` and turns every error's location into the
line the YAML loader recorded, with a readable path ("situation 'x'.title: missing translation").
References to other entries (a channel id, a theme) are checked against sets of ids passed as the
validation context, so one run reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    RootModel,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.yamlfile import LineDict, LineList, Problem

LANGS = ("nl", "en")
EXTRA_LANGS = ("de", "fr", "li")
CONFIDENCES = ("high", "medium", "low", "unverified")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


class Schema(BaseModel):
    """The shape of a YAML mapping: numbers read as text, text stripped, other keys ignored."""

    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True)


def fail(kind: str, message: str, **ctx: Any) -> PydanticCustomError:
    """An error for a validator to raise; MESSAGE is formatted with CTX."""
    return PydanticCustomError(kind, message, ctx)


def rule(ok: Callable[[Any, ValidationInfo], object], message: str) -> AfterValidator:
    """A check after the type's: MESSAGE unless OK; it may name the {field} and a text {value}."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if not ok(value, info):
            ctx = {"field": info.field_name, **({"value": value} if isinstance(value, str) else {})}
            raise PydanticCustomError("rule", message, ctx)
        return value

    return AfterValidator(check)


def one_of(*choices: str) -> AfterValidator:
    """A text that must be one of CHOICES."""
    return rule(lambda v, _: v in choices, "{field} '{value}' is not one of " + ", ".join(choices))


def matching(pattern: str, message: str) -> AfterValidator:
    """A text that is empty or matches PATTERN."""
    return rule(lambda v, _: not v or re.match(pattern, v), message)


def known(name: str, message: str) -> AfterValidator:
    """A reference: the text must be among the ids the validation context holds under NAME."""

    def ok(value: str, info: ValidationInfo) -> bool:
        ids = (info.context or {}).get(name)
        return ids is None or value in ids

    return rule(ok, message)


def at_least(count: int, what: str) -> AfterValidator:
    """A list of at least COUNT entries (checked once its entries are valid)."""
    return rule(lambda v, _: len(v) >= count, f"needs at least {count} {what}")


def _language(*langs: str) -> AfterValidator:
    return rule(lambda v, _: v in langs, "unknown language '{value}'")


def _compile(value: Any) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise fail("pattern", "a pattern must be text")
    try:
        return re.compile(value)
    except re.error as exc:
        raise fail(
            "pattern", "bad pattern '{value}': {error}", value=value, error=str(exc)
        ) from exc


def _all_languages(lists: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    for lang in LANGS:
        if not lists.get(lang):
            raise fail("translation", "missing translation '{lang}'", lang=lang)
    return lists


Required = Annotated[str, Field(min_length=1)]
Translation = Annotated[
    str,
    Field(default="", validate_default=True),
    rule(lambda v, _: v, "missing translation '{field}'"),
]
Confidence = Annotated[str, one_of(*CONFIDENCES)]
Https = Annotated[str, matching(r"https://", "web address '{value}' must start with https://")]
Ident = Annotated[Required, matching(_ID.pattern, "'id' may hold only a-z, 0-9 and '-'")]
Regex = Annotated[re.Pattern[str], PlainValidator(_compile)]
_WordLang = Annotated[str, _language(*LANGS, *EXTRA_LANGS)]
_PatternLang = Annotated[str, _language(*LANGS, *EXTRA_LANGS, "any")]
# Word lists per language: nl and en required, de / fr / li welcome.
SomeWords = dict[_WordLang, tuple[Required, ...]]
Words = Annotated[SomeWords, AfterValidator(_all_languages)]
# Regexes per language (or "any"), written against normalised text.
SomePatterns = dict[_PatternLang, tuple[Regex, ...]]
Patterns = Annotated[SomePatterns, rule(lambda v, _: any(v.values()), "no {field}")]


def ids(doc: Any, key: str, field: str = "id") -> list[tuple[str, LineDict]]:
    """The entries of DOC[KEY] that are mappings with an id, as (id, entry), before validation."""
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return []
    return [
        (str(item[field]), item)
        for item in items
        if isinstance(item, LineDict) and isinstance(item.get(field), (str, int))
    ]


def duplicates(file: str, doc: Any, key: str, what: str) -> list[Problem]:
    """A problem for every id of DOC[KEY] that an earlier entry has already."""
    first: dict[str, int] = {}
    problems = []
    for ident, entry in ids(doc, key):
        line = entry.line_of("id")
        if ident in first:
            message = f"duplicate {what} id '{ident}' (first at line {first[ident]})"
            problems.append(Problem(file, line, message))
        first.setdefault(ident, line)
    return problems


M = TypeVar("M", bound=BaseModel)


def check(
    model: type[M],
    file: str,
    doc: Any,
    problems: list[Problem],
    context: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> M | None:
    """DOC validated as MODEL, or None with every error added to PROBLEMS as file:line.

    NAMES maps a list's key to what its entries are called ("situations": "situation"): an
    error inside an entry then says "situation 'id'" instead of "situations[3]".
    """
    try:
        return model.model_validate(doc, context=dict(context or {}))
    except ValidationError as exc:
        problems.extend(_problem(file, doc, error, names or {}, model) for error in exc.errors())
        return None


def line_at(doc: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the value at LOC in DOC (of its nearest existing parent when it is absent)."""
    return _walk(doc, loc, {})[0]


def _walk(doc: Any, loc: tuple[int | str, ...], names: Mapping[str, str]) -> tuple[int, str]:
    """The line of LOC in DOC and a readable path to it."""
    line, where, node, key = 1, "", doc, ""
    for step in loc:
        if isinstance(node, LineDict):
            line = node.line_of(str(step))
            where = f"{where}.{step}" if where else str(step)
            node, key = node.get(step), str(step)
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line, node = node.item_lines[step], node[step]
            name = node.get("id", node.get("name")) if isinstance(node, LineDict) else None
            named = key in names and isinstance(name, (str, int))
            # an entry of a file that is a list is said by its line alone
            where = f"{names[key]} '{name}'" if named else f"{where}[{step}]" if where else ""
        else:  # a dict key's "[key]", or past the end of what the file holds
            break
    return line, where


# Errors about a node itself: said of its path ("channel 'x'.hours: expected a mapping").
_NODE_ERRORS = {"model_type", "dict_type", "dataclass_type", "model_attributes_type", "node"}
# pydantic's own errors of a field, in the wording of our messages; {key} is the field.
_FIELD_ERRORS = {
    "missing": "{key} is missing",
    "string_type": "{key} must be text",
    "string_too_short": "{key} is empty",
    "bool_type": "{key} is true or false",
    "bool_parsing": "{key} is true or false",
    "list_type": "{key} must be a list",
    "tuple_type": "{key} must be a list",
    "too_short": "{key} needs at least {min_length} entries",
    "int_type": "{key} must be a whole number",
    "int_parsing": "{key} must be a whole number",
    "int_from_float": "{key} must be a whole number",
    "greater_than_equal": "{key} must be at least {ge}",
    "literal_error": "{key} is {expected}",
    "extra_forbidden": "unknown key {key}",
}


def _problem(
    file: str, doc: Any, error: ErrorDetails, names: Mapping[str, str], model: type[BaseModel]
) -> Problem:
    loc = tuple(step for step in error["loc"] if step != "[key]")
    line, at = _walk(doc, loc, names)
    kind = error["type"]
    if kind in _NODE_ERRORS:
        where = at or ("" if loc else "the file")
        text = "expected a mapping (key: value lines)" if kind != "node" else error["msg"]
        return Problem(file, line, f"{where}: {text}" if where else text)
    where = _walk(doc, loc[:-1], names)[1]
    last = loc[-1] if loc else ""
    key = f"item {last + 1}" if isinstance(last, int) else f"'{last}'"
    if kind.endswith("_type") and error.get("input", "") is None:
        kind = "missing"  # "key:" with nothing after it
    ctx = dict(error.get("ctx", {}))
    if kind == "literal_error":  # in YAML's words: true, false or strict
        ctx["expected"] = ctx["expected"].replace("'", "").replace("True", "true")
        ctx["expected"] = ctx["expected"].replace("False", "false")
    template = _FIELD_ERRORS.get(kind)
    text = template.format(key=key, **ctx) if template else error["msg"]
    if kind == "extra_forbidden" and (keys := _keys(model, loc[:-1])):
        text += f" (expected {', '.join(keys)})"
    if not where and not template and len(loc) == 1:  # a top-level key's own check: name it
        where = at
    return Problem(file, line, f"{where}: {text}" if where else text)


def _keys(model: Any, loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The keys of the model at LOC inside MODEL (through lists, dicts and optional fields)."""
    steps = list(loc)
    while True:
        model = _plain(model)
        if isinstance(model, type) and issubclass(model, RootModel):
            model = model.model_fields["root"].annotation  # its entries need no step of their own
        elif not steps:
            break
        elif isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(steps.pop(0)))
            model = field.annotation if field else None
        elif get_origin(model) in (list, tuple, dict):
            steps.pop(0)
            model = get_args(model)[-1 if get_origin(model) is dict else 0]
        else:
            return ()
    is_model = isinstance(model, type) and issubclass(model, BaseModel)
    return tuple(model.model_fields) if is_model else ()


def _plain(kind: Any) -> Any:
    """KIND without Annotated's extras, and an optional KIND without its None."""
    while get_origin(kind) is Annotated or get_origin(kind) in (Union, UnionType):
        args = [arg for arg in get_args(kind) if arg is not type(None)]
        if get_origin(kind) is not Annotated and len(args) != 1:
            return None  # a choice between kinds: no one set of keys
        kind = args[0]
    return kind


def node_error(message: str) -> PydanticCustomError:
    """An error of a whole entry (a model validator's), said of the entry's path."""
    return fail("node", message)
