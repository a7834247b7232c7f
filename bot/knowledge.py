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
from typing import Any

from bot.meldkaart import CONFIDENCES, Text
from bot.paths import KNOWLEDGE_DIR
from bot.textnorm import normalise
from bot.yamlfile import DataError, LineDict, Problem, line_of_item, read_yaml

AREAS_FILE = "areas.yaml"
BUURTEN_FILE = "buurten.csv"
POSTCODES_FILE = "postcodes.csv"
STAFF_ROLES = ("thor-senior", "thor-wijkgebonden", "politie-coordinator", "wijkagent")
POSTCODE_KINDS = ("residential", "po-box")
_AREA_ID = re.compile(r"^[a-z][a-z-]{1,40}$")
_PC4 = re.compile(r"^[1-9][0-9]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
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
    phone: str
    web: str | None
    source: str
    confidence: str


@dataclass(frozen=True)
class Staff:
    """A named person of an area team, filled in by the team itself (never invented)."""

    role: str  # one of STAFF_ROLES
    name: str
    email: str
    source: str


@dataclass(frozen=True)
class Area:
    """One of the four LWA areas of THOR and the police."""

    id: str
    name: str
    source: str
    buurten: tuple[str, ...]
    thor: TeamContact
    police: TeamContact
    staff: tuple[Staff, ...] = ()
    aliases: tuple[str, ...] = ()  # other names people use for the area ("Centrum")

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
    checker = _Checker(problems)
    areas, national, po_boxes = checker.areas(doc, channel_ids)
    buurten = checker.buurten(buurt_rows, areas)
    postcodes = checker.postcodes(postcode_rows, buurten, po_boxes)
    checker.agree(areas, buurten, postcodes)
    if problems:
        raise DataError(problems)
    return Knowledge(areas, buurten, postcodes, national, po_boxes, folder)


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

    # -- areas.yaml ------------------------------------------------------------------------

    def string(self, node: LineDict, key: str, where: str, required: bool = True) -> str:
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(AREAS_FILE, node.line_of(key), f"{where}: '{key}' is missing or empty")
            return ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(AREAS_FILE, node.line_of(key), f"{where}: '{key}' must be text")
            return ""
        return str(value).strip()

    def mapping(self, node: Any, where: str, line: int) -> LineDict | None:
        if not isinstance(node, LineDict):
            self.fail(AREAS_FILE, line, f"{where}: expected a mapping (key: value lines)")
            return None
        return node

    def areas(
        self, doc: Any, channel_ids: Collection[str] | None
    ) -> tuple[dict[str, Area], tuple[str, ...], tuple[str, ...]]:
        top = self.mapping(doc, "the file", 1)
        if top is None:
            return {}, (), ()
        entries = top.get("areas")
        if not isinstance(entries, list) or not entries:
            self.fail(AREAS_FILE, top.line_of("areas"), "'areas' must be a non-empty list")
            entries = []
        areas: dict[str, Area] = {}
        for index, item in enumerate(entries):
            node = self.mapping(item, f"areas[{index}]", top.line_of("areas"))
            if node is None:
                continue
            area = self.area(node, index)
            if area is None:
                continue
            if area.id in areas:
                self.fail(AREAS_FILE, node.line_of("id"), f"duplicate area id '{area.id}'")
            areas[area.id] = area
        return areas, self.national(top, channel_ids), self.po_boxes(top)

    def area(self, node: LineDict, index: int) -> Area | None:
        ident = self.string(node, "id", f"areas[{index}]")
        where = f"area '{ident or index}'"
        if ident and not _AREA_ID.match(ident):
            self.fail(AREAS_FILE, node.line_of("id"), f"{where}: use a-z and '-' in the id")
        name = self.string(node, "name", where)
        source = self.string(node, "source", where)
        buurten = node.get("buurten")
        if (
            not isinstance(buurten, list)
            or not buurten
            or not all(isinstance(b, str) and b.strip() for b in buurten)
        ):
            self.fail(
                AREAS_FILE, node.line_of("buurten"), f"{where}: 'buurten' must be a list of names"
            )
            buurten = []
        thor = self.contact(node, "thor", where)
        police = self.contact(node, "police", where)
        staff = self.staff(node, where)
        aliases = node.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            self.fail(AREAS_FILE, node.line_of("aliases"), f"{where}: 'aliases' must be a list")
            aliases = []
        self.lines[(AREAS_FILE, ident)] = node.line_of("buurten")
        if not (ident and name and source and thor and police):
            return None
        return Area(
            ident,
            name,
            source,
            tuple(b.strip() for b in buurten),
            thor,
            police,
            staff,
            tuple(a.strip() for a in aliases if a.strip()),
        )

    def contact(self, node: LineDict, key: str, where: str) -> TeamContact | None:
        sub = self.mapping(node.get(key), f"{where}.{key}", node.line_of(key))
        if sub is None:
            return None
        here = f"{where}.{key}"
        role = sub.get("role")
        role_node = self.mapping(role, f"{here}.role", sub.line_of("role"))
        text = None
        if role_node is not None:
            missing = [lang for lang in ("nl", "en") if not str(role_node.get(lang) or "").strip()]
            for lang in missing:
                self.fail(
                    AREAS_FILE,
                    role_node.line_of(lang),
                    f"{here}.role: missing translation '{lang}'",
                )
            if not missing:
                text = Text(str(role_node["nl"]).strip(), str(role_node["en"]).strip())
        phone = self.string(sub, "phone", here)
        web = self.string(sub, "web", here, required=False) or None
        if web and not web.startswith("https://"):
            self.fail(
                AREAS_FILE,
                sub.line_of("web"),
                f"{here}: web address '{web}' must start with https://",
            )
        source = self.string(sub, "source", here)
        confidence = self.string(sub, "confidence", here)
        if confidence:
            self.confidence(AREAS_FILE, sub.line_of("confidence"), confidence, here)
        if not (text and phone and source and confidence):
            return None
        return TeamContact(text, phone, web, source, confidence)

    def staff(self, node: LineDict, where: str) -> tuple[Staff, ...]:
        items = node.get("staff") or []
        if not isinstance(items, list):
            self.fail(AREAS_FILE, node.line_of("staff"), f"{where}: 'staff' must be a list")
            return ()
        people = []
        for index, item in enumerate(items):
            here = f"{where}.staff[{index}]"
            entry = self.mapping(item, here, line_of_item(items, index, node.line_of("staff")))
            if entry is None:
                continue
            role = self.string(entry, "role", here)
            if role and role not in STAFF_ROLES:
                self.fail(
                    AREAS_FILE,
                    entry.line_of("role"),
                    f"{here}: role '{role}' is not one of {', '.join(STAFF_ROLES)}",
                )
            name = self.string(entry, "name", here, required=False)
            email = self.string(entry, "email", here, required=False)
            source = self.string(entry, "source", here, required=False)
            if email and not _EMAIL.match(email):
                self.fail(
                    AREAS_FILE,
                    entry.line_of("email"),
                    f"{here}: '{email}' is not an e-mail address",
                )
            if (name or email) and not source:
                self.fail(
                    AREAS_FILE,
                    entry.line_of("source"),
                    f"{here}: a filled-in name or e-mail needs a source (who gave it, when)",
                )
            if email and not name:
                self.fail(
                    AREAS_FILE,
                    entry.line_of("name"),
                    f"{here}: an e-mail address needs the name beside it",
                )
            people.append(Staff(role, name, email, source))
        return tuple(people)

    def national(self, top: LineDict, channel_ids: Collection[str] | None) -> tuple[str, ...]:
        node = self.mapping(
            top.get("national_channels"), "national_channels", top.line_of("national_channels")
        )
        if node is None:
            return ()
        self.string(node, "source", "national_channels")
        ids = node.get("ids")
        if not isinstance(ids, list) or not ids:
            self.fail(
                AREAS_FILE,
                node.line_of("ids"),
                "national_channels: 'ids' must be a list of channel ids",
            )
            return ()
        result = tuple(str(i) for i in ids)
        if channel_ids is not None:
            for ident in result:
                if ident not in channel_ids:
                    self.fail(
                        AREAS_FILE,
                        node.line_of("ids"),
                        f"national_channels: unknown channel id '{ident}'",
                    )
        return result

    def po_boxes(self, top: LineDict) -> tuple[str, ...]:
        node = self.mapping(top.get("po_boxes"), "po_boxes", top.line_of("po_boxes"))
        if node is None:
            return ()
        self.string(node, "source", "po_boxes")
        confidence = self.string(node, "confidence", "po_boxes")
        if confidence:
            self.confidence(AREAS_FILE, node.line_of("confidence"), confidence, "po_boxes")
        self.lines[(AREAS_FILE, "po_boxes")] = node.line_of("pc4")
        codes = node.get("pc4")
        if not isinstance(codes, list) or not all(_PC4.match(str(c)) for c in codes):
            self.fail(
                AREAS_FILE,
                node.line_of("pc4"),
                "po_boxes: 'pc4' must be a list of four-digit codes",
            )
            return ()
        return tuple(str(c) for c in codes)

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
