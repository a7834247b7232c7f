"""The area knowledge: LWA areas, buurten and postcodes, loaded from knowledge/ and checked.

A load either gives a complete, consistent `Knowledge` or raises `DataError` listing every
problem with file and line, like the meldkaart: never a half-loaded table.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import Field

from bot import schema
from bot.meldkaart import ChannelRef, Text
from bot.paths import KNOWLEDGE_DIR
from bot.schema import CONFIDENCES, Confidence, Https, Required, Schema, at_least, one_of
from bot.textnorm import normalise
from bot.yamlfile import DataError, Problem, read_yaml

AREAS_FILE = "areas.yaml"
BUURTEN_FILE = "buurten.csv"
POSTCODES_FILE = "postcodes.csv"
STAFF_ROLES = ("thor-senior", "thor-wijkgebonden", "politie-coordinator", "wijkagent")
POSTCODE_KINDS = ("residential", "po-box")
_PC4 = re.compile(r"^[1-9][0-9]{3}$")
_EMAIL = r"(?i)^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
_BUURTEN_COLUMNS = (
    "buurt",
    "area",
    "confidence",
    "pc4",
    "pc4_verified",
    "stadsdeel_2022",
    "cbs_wijk",
    "part_of",
    "aliases",
    "source",
)
_POSTCODES_COLUMNS = ("pc4", "kind", "lat", "lon", "buurten", "areas", "confidence", "source")


def fold(name: str) -> str:
    """A name reduced for comparison: lower case, no accents, letters and digits only."""
    return normalise(name).replace(" ", "").replace("'", "")


@dataclass(frozen=True)
class TeamContact:
    """How a resident reaches THOR's first contact or the wijkagent of an area."""

    role: Text
    phone: Required
    web: Annotated[Https | None, Field(default=None)]
    source: Required
    confidence: Confidence


@dataclass(frozen=True)
class Staff:
    """A named person of an area team, filled in by the team itself (never invented)."""

    role: Annotated[Required, one_of(*STAFF_ROLES)]
    name: Annotated[str, Field(default="")]
    email: Annotated[
        str,
        Field(default=""),
        schema.matching(_EMAIL, "'{value}' is not an e-mail address"),
        schema.rule(
            lambda v, info: not v or info.data.get("name"),
            "an e-mail address needs the name beside it",
        ),
    ]
    source: Annotated[
        str,
        Field(default="", validate_default=True),
        schema.rule(
            lambda v, info: v or not (info.data.get("name") or info.data.get("email")),
            "a filled-in name or e-mail needs a source (who gave it, when)",
        ),
    ]


@dataclass(frozen=True)
class Area:
    """One of the four LWA areas of THOR and the police."""

    id: Annotated[
        Required, schema.matching(r"^[a-z][a-z-]{1,40}$", "'id' may hold only a-z and '-'")
    ]
    name: Required
    source: Required
    buurten: Annotated[tuple[Required, ...], at_least(1, "buurt")]
    thor: TeamContact
    police: TeamContact
    staff: tuple[Staff, ...] = ()
    aliases: tuple[Required, ...] = ()  # other names people use for the area ("Centrum")

    @property
    def named_staff(self) -> tuple[Staff, ...]:
        """The staff entries that carry a name (empty placeholders left out)."""
        return tuple(s for s in self.staff if s.name)


@dataclass(frozen=True)
class Buurt:
    """A buurt with its LWA area and the evidence for it."""

    name: str
    area: str
    confidence: str  # of the area assignment
    pc4: tuple[str, ...]
    pc4_verified: tuple[str, ...]
    stadsdeel_2022: str
    cbs_wijk: str
    part_of: str | None
    aliases: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Postcode4:
    """A PC4 of Maastricht: its centroid and the buurten believed to lie in it."""

    pc4: str
    kind: str  # residential | po-box
    lat: float | None
    lon: float | None
    buurten: tuple[str, ...]  # the bulk of the addresses first
    areas: tuple[str, ...]
    confidence: str
    source: str

    @property
    def split(self) -> bool:
        """True when the PC4 spans more than one area."""
        return len(self.areas) > 1


@dataclass(frozen=True)
class Knowledge:
    """Everything the area lookup needs, validated."""

    areas: dict[str, Area]
    buurten: dict[str, Buurt]
    postcodes: dict[str, Postcode4]
    national_channels: tuple[str, ...]
    po_boxes: tuple[str, ...]
    source_dir: Path = field(default=KNOWLEDGE_DIR)

    def names(self) -> dict[str, str]:
        """Folded buurt name or alias -> buurt name."""
        index: dict[str, str] = {}
        for buurt in self.buurten.values():
            for name in (buurt.name, *buurt.aliases):
                index[fold(name)] = buurt.name
        return index


class _National(Schema):
    source: Required
    ids: Annotated[tuple[ChannelRef, ...], at_least(1, "channel id")]


class _PoBoxes(Schema):
    source: Required
    confidence: Confidence
    pc4: tuple[
        Annotated[str, schema.matching(_PC4.pattern, "'{value}' is not a four-digit postcode")], ...
    ]


class _AreasFile(Schema):
    areas: Annotated[list[Area], at_least(1, "area")]
    national_channels: _National
    po_boxes: _PoBoxes


def load(folder: Path = KNOWLEDGE_DIR, channel_ids: Collection[str] | None = None) -> Knowledge:
    """Load and cross-check areas.yaml, buurten.csv and postcodes.csv from FOLDER.

    CHANNEL_IDS, when given (the meldkaart's channels), checks the national channel list too.
    """
    problems: list[Problem] = []
    try:
        doc = read_yaml(folder / AREAS_FILE)
    except DataError as exc:
        problems.extend(exc.problems)
        doc = None
    buurt_rows = _read_csv(folder / BUURTEN_FILE, _BUURTEN_COLUMNS, problems)
    postcode_rows = _read_csv(folder / POSTCODES_FILE, _POSTCODES_COLUMNS, problems)
    if problems:
        raise DataError(problems)
    problems.extend(schema.duplicates(AREAS_FILE, doc, "areas", "area"))
    context = {"channels": channel_ids}
    top = schema.check(_AreasFile, AREAS_FILE, doc, problems, context, {"areas": "area"})
    if top is None or problems:  # the tables are checked against a valid areas.yaml
        raise DataError(problems)
    checker = _Checker(problems)
    for index, area in enumerate(top.areas):
        checker.lines[(AREAS_FILE, area.id)] = schema.line_at(doc, ("areas", index, "buurten"))
    checker.lines[(AREAS_FILE, "po_boxes")] = schema.line_at(doc, ("po_boxes", "pc4"))
    areas = {area.id: area for area in top.areas}
    po_boxes = top.po_boxes.pc4
    buurten = checker.buurten(buurt_rows, areas)
    postcodes = checker.postcodes(postcode_rows, buurten, po_boxes)
    checker.agree(areas, buurten, postcodes)
    if problems:
        raise DataError(problems)
    return Knowledge(areas, buurten, postcodes, top.national_channels.ids, po_boxes, folder)


def _read_csv(
    path: Path, columns: tuple[str, ...], problems: list[Problem]
) -> list[tuple[int, dict[str, str]]]:
    """The rows of a UTF-8 CSV with their line numbers; checks the header."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(Problem(path.name, 0, f"cannot read the file: {exc.strerror}"))
        return []
    except UnicodeDecodeError:
        problems.append(Problem(path.name, 0, "the file is not UTF-8 text"))
        return []
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        problems.append(Problem(path.name, 1, "the file is empty"))
        return []
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(Problem(path.name, 1, f"missing column(s): {', '.join(missing)}"))
        return []
    rows = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(
                Problem(path.name, line, f"expected {len(header)} fields, found {len(values)}")
            )
            continue
        rows.append((line, {h: v.strip() for h, v in zip(header, values, strict=True)}))
    return rows


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


class _Checker:
    """Builds the typed models and records every problem with its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.lines: dict[tuple[str, str], int] = {}  # (file, key) -> line, for cross-file checks

    def line(self, file: str, key: str) -> int:
        return self.lines.get((file, key), 0)

    def fail(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def confidence(self, file: str, line: int, value: str, where: str) -> None:
        if value not in CONFIDENCES:
            self.fail(
                file, line, f"{where}: confidence '{value}' is not one of {', '.join(CONFIDENCES)}"
            )

    # -- buurten.csv -----------------------------------------------------------------------

    def buurten(
        self, rows: list[tuple[int, dict[str, str]]], areas: dict[str, Area]
    ) -> dict[str, Buurt]:
        file = BUURTEN_FILE
        buurten: dict[str, Buurt] = {}
        seen: dict[str, tuple[str, int]] = {}  # folded name or alias -> (buurt, line)
        for line, row in rows:
            name = row["buurt"]
            where = f"buurt '{name}'"
            if not name:
                self.fail(file, line, "'buurt' is empty")
                continue
            if row["area"] not in areas:
                self.fail(
                    file,
                    line,
                    f"{where}: unknown area '{row['area']}' (areas.yaml has {', '.join(areas)})",
                )
            self.confidence(file, line, row["confidence"], where)
            pc4 = _split(row["pc4"])
            verified = _split(row["pc4_verified"])
            if not pc4:
                self.fail(file, line, f"{where}: 'pc4' is empty")
            for code in pc4:
                if not _PC4.match(code):
                    self.fail(file, line, f"{where}: '{code}' is not a four-digit postcode")
            for code in verified:
                if code not in pc4:
                    self.fail(
                        file, line, f"{where}: verified PC4 '{code}' is not in its 'pc4' list"
                    )
            if not row["source"]:
                self.fail(file, line, f"{where}: 'source' is empty")
            aliases = _split(row["aliases"])
            for label in (name, *aliases):
                key = fold(label)
                if key in seen and seen[key][0] != name:
                    other, other_line = seen[key]
                    self.fail(
                        file,
                        line,
                        f"{where}: '{label}' already names '{other}' (line {other_line})",
                    )
                seen.setdefault(key, (name, line))
            if name in buurten:
                self.fail(file, line, f"duplicate buurt '{name}'")
            self.lines[(file, name)] = line
            buurten[name] = Buurt(
                name=name,
                area=row["area"],
                confidence=row["confidence"],
                pc4=pc4,
                pc4_verified=verified,
                stadsdeel_2022=row["stadsdeel_2022"],
                cbs_wijk=row["cbs_wijk"],
                part_of=row["part_of"] or None,
                aliases=aliases,
                source=row["source"],
            )
        for buurt in buurten.values():
            if buurt.part_of and buurt.part_of not in buurten:
                self.fail(
                    file,
                    self.line(file, buurt.name),
                    f"buurt '{buurt.name}': part_of '{buurt.part_of}' is not a buurt",
                )
        return buurten

    # -- postcodes.csv ---------------------------------------------------------------------

    def postcodes(
        self,
        rows: list[tuple[int, dict[str, str]]],
        buurten: dict[str, Buurt],
        po_boxes: tuple[str, ...],
    ) -> dict[str, Postcode4]:
        file = POSTCODES_FILE
        postcodes: dict[str, Postcode4] = {}
        for line, row in rows:
            code = row["pc4"]
            where = f"PC4 '{code}'"
            if not _PC4.match(code):
                self.fail(file, line, f"'{code}' is not a four-digit postcode")
                continue
            if code in postcodes:
                self.fail(file, line, f"duplicate PC4 '{code}'")
                continue
            kind = row["kind"]
            if kind not in POSTCODE_KINDS:
                self.fail(
                    file, line, f"{where}: kind '{kind}' is not one of {', '.join(POSTCODE_KINDS)}"
                )
                continue
            self.confidence(file, line, row["confidence"], where)
            if not row["source"]:
                self.fail(file, line, f"{where}: 'source' is empty")
            names = _split(row["buurten"])
            areas = _split(row["areas"])
            lat = lon = None
            if kind == "po-box":
                if names or areas:
                    self.fail(file, line, f"{where}: a PO-box code has no buurten or areas")
                if code not in po_boxes:
                    self.fail(file, line, f"{where}: not listed under po_boxes in {AREAS_FILE}")
            else:
                lat, lon = self.coordinates(file, line, row, where)
                for name in names:
                    if name not in buurten:
                        self.fail(file, line, f"{where}: unknown buurt '{name}'")
                    elif code not in buurten[name].pc4:
                        self.fail(
                            file,
                            line,
                            f"{where}: buurt '{name}' does not list {code} in {BUURTEN_FILE}",
                        )
                if not names:
                    self.fail(file, line, f"{where}: 'buurten' is empty")
                derived = tuple(dict.fromkeys(buurten[n].area for n in names if n in buurten))
                if set(areas) != set(derived):
                    self.fail(
                        file,
                        line,
                        f"{where}: 'areas' should be {';'.join(derived)}, the areas of its buurten",
                    )
            self.lines[(file, code)] = line
            postcodes[code] = Postcode4(
                code, kind, lat, lon, names, areas, row["confidence"], row["source"]
            )
        for code in po_boxes:
            if code not in postcodes:
                self.fail(
                    AREAS_FILE,
                    self.line(AREAS_FILE, "po_boxes"),
                    f"po_boxes: {code} has no row in {POSTCODES_FILE}",
                )
        return postcodes

    def coordinates(
        self, file: str, line: int, row: dict[str, str], where: str
    ) -> tuple[float | None, float | None]:
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            self.fail(file, line, f"{where}: lat and lon must be numbers")
            return None, None
        if not (50.0 < lat < 54.0 and 3.0 < lon < 7.5):
            self.fail(file, line, f"{where}: {lat},{lon} is not in the Netherlands")
        return lat, lon

    # -- all three agree ---------------------------------------------------------------------

    def agree(
        self, areas: dict[str, Area], buurten: dict[str, Buurt], postcodes: dict[str, Postcode4]
    ) -> None:
        listed: dict[str, str] = {}
        for area in areas.values():
            line = self.line(AREAS_FILE, area.id)
            for name in area.buurten:
                if name in listed:
                    self.fail(
                        AREAS_FILE,
                        line,
                        f"buurt '{name}' is in both '{listed[name]}' and '{area.id}'",
                    )
                listed[name] = area.id
                if name not in buurten:
                    self.fail(
                        AREAS_FILE,
                        line,
                        f"area '{area.id}': buurt '{name}' is not in {BUURTEN_FILE}",
                    )
                elif buurten[name].area != area.id:
                    self.fail(
                        BUURTEN_FILE,
                        self.line(BUURTEN_FILE, name),
                        f"buurt '{name}': area '{buurten[name].area}', {AREAS_FILE}: '{area.id}'",
                    )
        for buurt in buurten.values():
            line = self.line(BUURTEN_FILE, buurt.name)
            if buurt.name not in listed and buurt.area in areas:
                self.fail(
                    AREAS_FILE,
                    self.line(AREAS_FILE, buurt.area),
                    f"area '{buurt.area}': buurt '{buurt.name}' ({BUURTEN_FILE}) is not listed",
                )
            for code in buurt.pc4:
                row = postcodes.get(code)
                if row is None or row.kind != "residential":
                    self.fail(
                        BUURTEN_FILE,
                        line,
                        f"buurt '{buurt.name}': PC4 {code} is no residential {POSTCODES_FILE} row",
                    )
                elif buurt.name not in row.buurten:
                    self.fail(
                        POSTCODES_FILE,
                        self.line(POSTCODES_FILE, code),
                        f"PC4 {code}: buurt '{buurt.name}' lists it in {BUURTEN_FILE}, not so here",
                    )
