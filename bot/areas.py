"""Area lookup: from a postcode, buurt name or location to the LWA area team, honestly.

One area when sure; when a postcode spans areas, the candidate buurten so the resident can pick;
"outside Maastricht" for a valid Dutch postcode elsewhere; an explanation for PO-box codes; and
`AreaNotFound` (with a message key) for anything else, never a guess. An exact PC6 table
imported from CBS (`meldwijzer import-cbs`, see bot/cbs.py) wins over the PC4 best-effort table.
Everything is in memory after `AreaDirectory.load`, so a lookup is a few dictionary hits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rapidfuzz import process, utils
from rapidfuzz.distance import Levenshtein

from bot.cbs import Pc6Entry, PostcodeTable, load_table, read_table
from bot.i18n import t
from bot.knowledge import Area, Buurt, Knowledge, Postcode4, fold
from bot.knowledge import load as load_knowledge
from bot.paths import KNOWLEDGE_DIR
from bot.storage import Database
from bot.textnorm import STOP_WORDS, normalise

__all__ = [
    "Area",
    "AreaDirectory",
    "AreaNotFound",
    "AreaResult",
    "Candidate",
    "Status",
]

NEAR_KM = 2.5  # a location further than this from every Maastricht PC4 centroid is outside
MAX_QUERY = 80  # longer input is not a postcode or a buurt name
MAX_SLIPS = 2  # letters a typed buurt name may be off by (one for names of 5 letters or fewer)
# "6221 AB", "6221ab", "6221-AB", "6221", optionally followed by a house number ("6221 AB 12a").
_POSTCODE = re.compile(
    r"^(?P<pc4>[0-9]{4})(?:\s*-?\s*(?P<letters>[a-z]{2}))?"
    r"(?:(?<=[a-z])[\s,]*(?P<number>[0-9]{1,5})(?:\s*[-/]?\s*[a-z0-9]{1,4})?)?$"
)
_LOOKS_LIKE_POSTCODE = re.compile(r"^[0-9]{4}(?:\s*-?\s*[a-z]{1,2})?\b")
# Starts only where a run of commas and spaces starts: from inside a run, every start would
# rescan the run (quadratic on ",,,,"); the leftmost match is the same.
_PLACE = re.compile(r"(?<![,\s])[,\s]*\b(?:maastricht|nederland|netherlands)$")
_UNUSED_LETTERS = frozenset({"sa", "sd", "ss"})  # never used in Dutch postcodes
# Words around a buurt name that carry nothing: "ik woon in Wyck", "buurt Malberg, Maastricht".
_FILLER = frozenset(
    {
        "ik",
        "woon",
        "in",
        "de",
        "buurt",
        "wijk",
        "mijn",
        "is",
        "het",
        "maastricht",
        "i",
        "live",
        "my",
        "neighbourhood",
        "neighborhood",
        "area",
        "gebied",
    }
)


class Status(StrEnum):
    """What kind of answer a lookup gave."""

    FOUND = "found"  # the area is certain (the buurt may still be one of `candidates`)
    CHOOSE = "choose"  # the postcode spans areas: the resident picks a buurt from `candidates`
    OUTSIDE = "outside"  # a valid Dutch postcode or a location outside Maastricht
    PO_BOX = "po-box"  # 6201-6203: a Maastricht PO-box code, no address, no buurt


@dataclass(frozen=True)
class Candidate:
    """A buurt the resident may live in, with its area."""

    area: str
    buurt: str

    def to_json(self) -> dict[str, str]:
        """The contract form: area id and buurt name."""
        return {"area": self.area, "buurt": self.buurt}


@dataclass(frozen=True)
class AreaResult:
    """The answer to one lookup."""

    query: str
    postcode: str | None  # normalised: "6221AB" or "6221"; None for a buurt name
    in_maastricht: bool
    area: str | None  # set only when one area is certain
    area_name: str | None
    buurt: str | None  # set only when one buurt is known
    candidates: tuple[Candidate, ...]
    approximate: bool  # from a location: the nearest PC4 centroid
    status: Status
    exact: bool = False  # from the imported CBS PC6 table

    def to_json(self) -> dict[str, object]:
        """The stable CLI / API contract (`meldwijzer area --json`)."""
        return {
            "query": self.query,
            "postcode": self.postcode,
            "in_maastricht": self.in_maastricht,
            "area": self.area,
            "area_name": self.area_name,
            "buurt": self.buurt,
            "candidates": [c.to_json() for c in self.candidates],
            "approximate": self.approximate,
        }


class AreaNotFound(ValueError):
    """Input that is neither a postcode nor a known buurt; `key` names a friendly message."""

    def __init__(self, query: str, key: str = "area.not_found") -> None:
        self.query = query
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return self.message("en")

    @property
    def values(self) -> dict[str, object]:
        """The values of the message: the query as shown (shortened)."""
        return {"query": _shown(self.query)}

    def message(self, lang: str) -> str:
        """The friendly message in LANG."""
        return t(self.key, lang, **self.values)


def _query_text(query: str) -> str:
    """QUERY as looked up: spaces collapsed, lower case, a trailing ", Maastricht" dropped."""
    return _PLACE.sub("", " ".join(query.split()).lower())


def _shown(query: str) -> str:
    text = " ".join(query.split())
    return text if len(text) <= 40 else text[:39] + "…"


@dataclass(frozen=True)
class _Name:
    """One searchable name: a buurt (or alias) or an area."""

    buurt: str | None
    area: str


@dataclass(frozen=True)
class Where:
    """Where a message is about, as far as it says: a Maastricht PC4 and/or an area id."""

    pc4: str | None
    area: str | None


# A Dutch postcode inside a sentence: four digits (not 0...) and optionally two letters.
_POSTCODE_IN_TEXT = re.compile(r"(?<!\d)([1-9]\d{3})(?:\s?([A-Za-z]{2}))?(?![\dA-Za-z])")


class AreaDirectory:
    """The four areas, their buurten and postcodes, and the lookup over them."""

    def __init__(self, knowledge: Knowledge, table: PostcodeTable | None = None) -> None:
        self.knowledge = knowledge
        self.table = table
        self._names: dict[str, _Name] = {}
        for buurt in knowledge.buurten.values():
            for label in (buurt.name, *buurt.aliases):
                self._names[fold(label)] = _Name(buurt.name, buurt.area)
        self._area_labels: dict[str, str] = {}
        for area in knowledge.areas.values():
            for label in (area.id, area.name, *area.aliases):
                self._names.setdefault(fold(label), _Name(None, area.id))
                self._area_labels.setdefault(fold(label), area.id)
        self._choices = list(self._names)
        self._pc4_exact = (
            {k: v for k, v in table.pc4_buurten().items() if k not in table.incomplete_pc4}
            if table
            else {}
        )
        self._centroids = [
            (p.pc4, p.lat, p.lon)
            for p in knowledge.postcodes.values()
            if p.kind == "residential" and p.lat is not None and p.lon is not None
        ]

    @classmethod
    def load(
        cls, knowledge_dir: Path = KNOWLEDGE_DIR, db: str | Path | None = None
    ) -> AreaDirectory:
        """Load knowledge/ and, when DB holds an imported CBS table, the exact PC6 table."""
        knowledge = load_knowledge(knowledge_dir)
        table = load_table(db, knowledge) if db is not None else None
        return cls(knowledge, table)

    @classmethod
    async def open(cls, db: Database, knowledge_dir: Path = KNOWLEDGE_DIR) -> AreaDirectory:
        """Load knowledge/ and the CBS table of the bot's database (either engine)."""
        knowledge = load_knowledge(knowledge_dir)
        return cls(knowledge, await read_table(db, knowledge))

    # -- the data ------------------------------------------------------------------------

    def area(self, area_id: str) -> Area:
        """The area with this id (KeyError when there is none)."""
        return self.knowledge.areas[area_id]

    def areas(self) -> list[Area]:
        """The four areas, in the brochure's order."""
        return list(self.knowledge.areas.values())

    def ids(self) -> tuple[str, ...]:
        """The area ids, in the brochure's order: noord-oost, zuid-oost, centrum-zuid-west, ..."""
        return tuple(self.knowledge.areas)

    def name(self, area_id: str) -> str:
        """The name residents know the area by ('Centrum / Zuid-West', the same in nl and en);
        the id itself when there is no such area (a stored area that has since gone)."""
        found = self.knowledge.areas.get(area_id)
        return found.name if found else area_id

    def find_area(self, label: str) -> str | None:
        """The id of the area LABEL names: its id, name or an alias ('noord-oost', 'Noord-Oost',
        'Centrum'), in any case and accents; None when it names none (buurten do not count)."""
        return self._area_labels.get(fold(label))

    def buurt(self, name: str) -> Buurt:
        """The buurt with this exact name (KeyError when there is none)."""
        return self.knowledge.buurten[name]

    @property
    def national_channels(self) -> tuple[str, ...]:
        """Channel ids that work anywhere in the Netherlands (for answers outside Maastricht)."""
        return self.knowledge.national_channels

    # -- lookups ---------------------------------------------------------------------------

    def is_postcode(self, text: str) -> bool:
        """Is TEXT a postcode and nothing more ("6221 AB", "6224", "6221ab 12", "6221 AB,
        Maastricht")? The conversation's one test: such a message is an area question."""
        return len(text) <= MAX_QUERY and _POSTCODE.match(_query_text(text)) is not None

    def lookup(self, query: str) -> AreaResult:
        """Resolve a postcode ("6221 AB", "6221") or a buurt name; AreaNotFound otherwise."""
        text = _query_text(query)
        if not text:
            raise AreaNotFound(query, "area.empty")
        if len(text) > MAX_QUERY:
            raise AreaNotFound(query)
        match = _POSTCODE.match(text)
        if match:
            number = match.group("number")
            return self._postcode(
                query, match.group("pc4"), match.group("letters"), int(number) if number else None
            )
        if _LOOKS_LIKE_POSTCODE.match(text):
            raise AreaNotFound(query, "area.bad_postcode")
        return self._name(query)

    def where_in(self, text: str) -> Where:
        """The Maastricht PC4 and area a message mentions, for counting; never a guess.

        A postcode counts when it is one of Maastricht's; its area only when that is certain.
        Otherwise a buurt named as a whole word gives its area (and no PC4). The text itself is
        not kept.
        """
        for match in _POSTCODE_IN_TEXT.finditer(text[:4096]):
            pc4 = match.group(1)
            if pc4 not in self.knowledge.postcodes:
                continue
            try:
                result = self.lookup(match.group(0))
            except AreaNotFound:
                continue
            if result.in_maastricht:
                return Where(pc4=pc4, area=result.area)
        words = normalise(text[:4096]).replace("'", "").split()
        windows = ("".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1))
        areas = {self._names[w].area for w in windows if w in self._names and self._names[w].buurt}
        return Where(pc4=None, area=areas.pop() if len(areas) == 1 else None)

    def lookup_location(self, lat: float, lon: float) -> AreaResult:
        """The area at a location (Telegram): the nearest PC4 centroid, marked approximate."""
        query = f"{lat},{lon}"
        if not (
            math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
        ):
            raise AreaNotFound(query, "area.bad_location")
        best, distance = None, math.inf
        for pc4, plat, plon in self._centroids:
            km = _distance_km(lat, lon, plat, plon)
            if km < distance:
                best, distance = pc4, km
        if best is None or distance > NEAR_KM:
            return AreaResult(query, None, False, None, None, None, (), True, Status.OUTSIDE)
        result = self._pc4(query, self.knowledge.postcodes[best])
        return _replace(result, approximate=True)

    # -- postcodes -------------------------------------------------------------------------

    def _postcode(
        self, query: str, pc4: str, letters: str | None, number: int | None
    ) -> AreaResult:
        if pc4.startswith("0") or (letters and letters in _UNUSED_LETTERS):
            raise AreaNotFound(query, "area.bad_postcode")
        shown = pc4 + (letters.upper() if letters else "")
        row = self.knowledge.postcodes.get(pc4)
        if row is None:
            return AreaResult(query, shown, False, None, None, None, (), False, Status.OUTSIDE)
        if row.kind == "po-box":
            return AreaResult(query, shown, True, None, None, None, (), False, Status.PO_BOX)
        if letters and self.table is not None:
            entries = self.table.pc6.get(shown)
            if entries:
                return self._exact(query, shown, entries, number)
        return _replace(self._pc4(query, row), postcode=shown)

    def _exact(
        self, query: str, pc6: str, entries: tuple[Pc6Entry, ...], number: int | None
    ) -> AreaResult:
        """An answer from the imported CBS table."""
        assert self.table is not None
        if len(entries) > 1 and number is not None:
            buurt = self.table.house_numbers.get((pc6, number))
            if buurt is not None:
                entries = tuple(e for e in entries if e.buurt == buurt) or entries
        return self._answer(query, pc6, [(e.buurt, e.area) for e in entries], exact=True)

    def _pc4(self, query: str, row: Postcode4) -> AreaResult:
        """An answer from a PC4 alone: the exact CBS buurten when imported, else the best effort."""
        exact = self._pc4_exact.get(row.pc4)
        if exact:
            pairs = [(e.buurt, e.area) for e in exact]
        else:
            pairs = [(name, self.knowledge.buurten[name].area) for name in row.buurten]
        return self._answer(query, row.pc4, pairs, exact=False)

    def _answer(
        self, query: str, postcode: str | None, pairs: list[tuple[str, str]], exact: bool
    ) -> AreaResult:
        """One area when every candidate buurt lies in it; otherwise the resident chooses."""
        areas = list(dict.fromkeys(area for _, area in pairs))
        if len(areas) == 1:
            area = self.knowledge.areas[areas[0]]
            if len(pairs) == 1:
                return AreaResult(
                    query,
                    postcode,
                    True,
                    area.id,
                    area.name,
                    pairs[0][0],
                    (),
                    False,
                    Status.FOUND,
                    exact,
                )
            candidates = tuple(Candidate(a, b) for b, a in pairs)
            return AreaResult(
                query,
                postcode,
                True,
                area.id,
                area.name,
                None,
                candidates,
                False,
                Status.FOUND,
                exact,
            )
        candidates = tuple(Candidate(a, b) for b, a in pairs)
        return AreaResult(
            query, postcode, True, None, None, None, candidates, False, Status.CHOOSE, exact
        )

    # -- buurt and area names --------------------------------------------------------------

    def _name(self, query: str) -> AreaResult:
        words = normalise(query).split()
        kept = [w for w in words if w not in _FILLER] or words
        key = "".join(kept).replace("'", "")
        if not key or key.isdigit():
            raise AreaNotFound(query)
        found = self._names.get(key)
        if found is not None:
            return self._named(query, [found])
        if len(key) < 3 or (len(kept) == 1 and kept[0] in STOP_WORDS):
            raise AreaNotFound(query)  # "hier", "heel", "worden": words, not slips of a buurt
        hits = [
            (choice, distance)
            for choice, distance, _ in process.extract(
                key,
                self._choices,
                scorer=Levenshtein.distance,
                processor=utils.default_process,
                score_cutoff=MAX_SLIPS,
                limit=16,
            )
            if _close_enough(key, choice, distance)
        ]
        if not hits:
            raise AreaNotFound(query)
        best = min(distance for _, distance in hits)
        named = list(
            dict.fromkeys(self._names[choice] for choice, distance in hits if distance == best)
        )
        return self._named(query, named)

    def _named(self, query: str, named: list[_Name]) -> AreaResult:
        buurten = [n for n in named if n.buurt is not None]
        if not buurten:  # an area name ("Noord-West"): the area itself
            area = self.knowledge.areas[named[0].area]
            return AreaResult(query, None, True, area.id, area.name, None, (), False, Status.FOUND)
        return self._answer(
            query, None, [(n.buurt, n.area) for n in buurten if n.buurt], exact=False
        )


def _close_enough(typed: str, name: str, distance: int) -> bool:
    """One slip in any name; two only in names of six letters or more, and not the first letter
    ("gisteren" is not a slip of Itteren)."""
    if distance <= 1:
        return True
    return distance <= MAX_SLIPS and len(name) > 5 and typed[:1] == name[:1]


def _replace(result: AreaResult, **changes: object) -> AreaResult:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))
