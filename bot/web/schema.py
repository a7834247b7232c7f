"""JSON Schema for typed dataclasses, and the OpenAPI document built from them.

The API's payloads are dataclasses (bot.answers' cards, bot.web.payloads); their type hints are
the one description of each payload, so the schema cannot drift from the code that fills it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

JsonSchema = dict[str, Any]

_SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class SchemaBuilder:
    """Collects the named schemas (components) of every dataclass it meets."""

    def __init__(self) -> None:
        self.components: dict[str, JsonSchema] = {}

    def ref(self, name: str) -> JsonSchema:
        """A reference to a named component."""
        return {"$ref": f"#/components/schemas/{name}"}

    def of(self, tp: Any) -> JsonSchema:
        """The schema of one type hint."""
        if tp is Any or tp is object:
            return {}
        if tp is type(None):
            return {"type": "null"}
        if tp in _SCALARS:
            return {"type": _SCALARS[tp]}
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return self.dataclass(tp)
        origin = get_origin(tp)
        args = get_args(tp)
        if origin in (Union, types.UnionType):
            return self._union(args)
        if origin is Literal:
            values = list(args)
            kinds = {_SCALARS[type(v)] for v in values}
            return {"type": kinds.pop(), "enum": values} if len(kinds) == 1 else {"enum": values}
        if origin in (list, tuple, typing.Sequence):
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                items = [self.of(a) for a in args]
                n = len(items)
                return {"type": "array", "prefixItems": items, "minItems": n, "maxItems": n}
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.of(args[1]) if args else {}}
        raise TypeError(f"no JSON schema for type {tp!r}")

    def _union(self, args: tuple[Any, ...]) -> JsonSchema:
        members = [self.of(a) for a in args]
        simple = [m for m in members if set(m) == {"type"} and isinstance(m["type"], str)]
        if len(simple) == len(members):
            return {"type": [m["type"] for m in members]}
        return {"anyOf": members}

    def dataclass(self, cls: type, *, all_required: bool = True) -> JsonSchema:
        """Register CLS as a component; every field is required (responses always carry all).

        With ALL_REQUIRED false (a request), a field that defaults to None is optional by being
        left out, so null itself is not one of its values.
        """
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # placeholder: breaks recursion
            hints = get_type_hints(cls)
            properties: dict[str, JsonSchema] = {}
            required: list[str] = []
            for f in dataclasses.fields(cls):
                hint = hints[f.name]
                if not all_required and f.default is None:
                    hint = _without_none(hint)
                prop = dict(self.of(hint))
                if f.metadata.get("doc"):
                    prop["description"] = f.metadata["doc"]
                properties[f.name] = prop
                has_default = not (
                    f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                )
                if all_required or not has_default:
                    required.append(f.name)
            schema: JsonSchema = {"type": "object", "properties": properties, "required": required}
            doc = (cls.__doc__ or "").strip()
            if doc and not doc.startswith(f"{name}("):
                schema["description"] = doc
            self.components[name] = schema
        return self.ref(name)

    def request(self, cls: type) -> JsonSchema:
        """A request body: fields with defaults are optional and unknown fields are refused."""
        ref = self.dataclass(cls, all_required=False)
        self.components[cls.__name__]["additionalProperties"] = False
        return ref


def _without_none(tp: Any) -> Any:
    """X | None -> X."""
    if get_origin(tp) in (Union, types.UnionType):
        rest = [a for a in get_args(tp) if a is not type(None)]
        return rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007
    return tp
