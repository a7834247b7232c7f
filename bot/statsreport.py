"""The per-area overview of hot-items, hotspots and hot-times, as HTML, PNG, JSON and a chat text.

One `Overview` per area and period is built from the counters, every figure passed through
`bot.stats.suppress`: a count is its band of k numbers, the same band as in `meldwijzer stats`.
Situations and themes share one suppressed table (themes and the area total are its totals,
each the band of its own count); an area under k lists no themes; postcodes are listed only from
k questions on; hours are drawn in colour bands starting at multiples of k, so they say no more
than the bands.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.dates import format_date, get_day_names

from bot.areas import AreaDirectory
from bot.i18n import t
from bot.meldkaart import Meldkaart
from bot.stats import (
    UNKNOWN,
    Count,
    Figure,
    Period,
    Stats,
    fold,
    suppress,
    suppress_counts,
)

TOP_SITUATIONS = 10
TOP_HOTSPOTS = 10
MAX_BUSIEST = 6
HOURS_OF_WEEK = 168
_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
_BAND_COLOURS = ("#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000", "#7f0000")
_HIDDEN_COLOUR = "#e6e6e6"


@dataclass(frozen=True)
class Item:
    """One line of a list: a situation, theme or postcode, now and in the period before."""

    id: str
    name: str
    figure: Figure
    previous: Figure | None = None

    @property
    def change(self) -> int | None:
        """The difference with the previous period, from the low ends of the two ranges (so
        within their width of the true one); None when either count is under k."""
        if self.previous is None or self.figure.small or self.previous.small:
            return None
        return self.figure.low - self.previous.low

    @property
    def approximate(self) -> bool:
        """True when `change` is not exact (a figure is a range)."""
        return self.figure.hidden or (self.previous is not None and self.previous.hidden)

    def json(self) -> dict[str, object]:
        """The line as report.json carries it."""
        found: dict[str, object] = {"id": self.id, "name": self.name, "count": self.figure.json()}
        if self.previous is not None:
            found["previous"] = self.previous.json()
            found["change"] = self.change
        return found


@dataclass(frozen=True)
class Heatmap:
    """Questions per hour of the week as colour bands: band 0 is 'fewer than k' (or none)."""

    bands: tuple[int, ...]  # 168 entries, Monday 00:00 first
    edges: tuple[int, ...]  # band i (i >= 1) holds counts from edges[i-1] up to edges[i] - 1
    k: int

    def band_label(self, band: int) -> str:
        """'<5', '5–9', ..., '≥40' for the last band."""
        if band == 0:
            return f"<{self.k}"
        low = self.edges[band - 1]
        if band == len(self.edges):
            return f"≥{low}"
        return f"{low}–{self.edges[band] - 1}"

    @property
    def busiest(self) -> tuple[int, ...]:
        """Hours of the week in the top band, when it stands out (above the first band, few)."""
        top = max(self.bands, default=0)
        hours = tuple(h for h, band in enumerate(self.bands) if band == top)
        return hours if top >= 2 and len(hours) <= MAX_BUSIEST else ()


@dataclass(frozen=True)
class Overview:
    """Hot-items, hotspots and hot-times of one area (or 'unknown') in one period."""

    area: str
    area_name: str
    period: Period
    previous_period: Period
    total: Figure
    previous_total: Figure
    themes: tuple[Item, ...]
    situations: tuple[Item, ...]
    hotspots: tuple[Item, ...]
    heatmap: Heatmap
    cut_months: tuple[str, ...]

    @property
    def change(self) -> int | None:
        """The change of the area total (see `Item.change`)."""
        return self._total_item.change

    @property
    def change_label(self) -> str:
        """The change of the area total as shown."""
        return change_text(self._total_item)

    @property
    def _total_item(self) -> Item:
        return Item("", "", self.total, self.previous_total)

    def json(self) -> dict[str, object]:
        """Everything of the overview as report.json carries it (only suppressed figures)."""
        return {
            "area": self.area,
            "area_name": self.area_name,
            "period": self.period.label,
            "first": self.period.first.isoformat(),
            "last": self.period.last.isoformat(),
            "previous_period": self.previous_period.label,
            "total": self.total.json(),
            "previous_total": self.previous_total.json(),
            "change": self.change,
            "themes": [i.json() for i in self.themes],
            "situations": [i.json() for i in self.situations],
            "hotspots": [i.json() for i in self.hotspots],
            "hot_times": {
                "bands": [self.heatmap.band_label(b) for b in range(len(self.heatmap.edges) + 1)],
                "band_per_hour_of_week": list(self.heatmap.bands),
                "busiest": [hour_label(h, "en") for h in self.heatmap.busiest],
            },
            "months_left_out": list(self.cut_months),
        }


# -- building ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _HotItems:
    total: Figure
    situations: dict[str, Figure]
    themes: dict[str, Figure]


async def _hot_items(stats: Stats, period: Period, area: str) -> _HotItems:
    """Situations and themes of one period as one suppressed table: cells and their totals."""
    counts = await stats.counts(period.first, period.last, ["situation", "theme"], area=area)
    by_situation: dict[str, list[int]] = {}
    by_theme: dict[str, list[int]] = {}
    for i, count in enumerate(counts):
        situation, theme = str(count.key[0]), str(count.key[1])
        by_situation.setdefault(situation, []).append(i)
        by_theme.setdefault(theme, []).append(i)
    groups = [*by_situation.values(), *by_theme.values(), list(range(len(counts)))]
    table = suppress([c.count for c in counts], stats.settings.stats_min_cell, groups)
    figures = iter(table.totals)
    situations = {s: next(figures) for s in by_situation}
    themes = {th: next(figures) for th in by_theme}
    return _HotItems(next(figures), situations, themes)


async def build_overview(
    stats: Stats, areas: AreaDirectory, period: Period, area: str, lang: str = "nl"
) -> Overview:
    """The overview of AREA (an area id of AREAS or 'unknown') in PERIOD, against the period
    before."""
    k = stats.settings.stats_min_cell
    previous = period.previous()
    kaart = _meldkaart(stats)
    now, before = await _hot_items(stats, period, area), await _hot_items(stats, previous, area)
    zero = Figure(0, 0, 0, k)

    themes = [
        Item(th, theme_name(kaart, th, lang), now.themes.get(th, zero), before.themes.get(th, zero))
        for th in ([] if fold(now.total) else now.themes)
    ]
    themes.sort(key=lambda i: (-i.figure.sort_key, i.name))
    shown = [s for s, f in now.situations.items() if f.low >= k]
    shown.sort(key=lambda s: (-now.situations[s].low, s))
    situations = [
        Item(s, situation_name(kaart, s, lang), now.situations[s], before.situations.get(s, zero))
        for s in shown[:TOP_SITUATIONS]
    ]

    pc4_counts = await stats.counts(period.first, period.last, ["pc4"], area=area)
    pc4_counts = [c for c in pc4_counts if c.key[0] != UNKNOWN]
    pc4_figures = suppress([c.count for c in pc4_counts], k).cells
    hotspots = sorted(
        (
            Item(str(c.key[0]), str(c.key[0]), f)
            for c, f in zip(pc4_counts, pc4_figures, strict=True)
            if f.low >= k
        ),
        key=lambda i: (-i.figure.low, i.id),
    )[:TOP_HOTSPOTS]

    hours = [0] * HOURS_OF_WEEK
    for count in await stats.counts(period.first, period.last, ["hour_of_week"], area=area):
        hours[int(count.key[0])] = count.count

    cut = await stats.cut_months(period.first, period.last)
    cut += [m for m in await stats.cut_months(previous.first, previous.last) if m not in cut]
    return Overview(
        area=area,
        area_name=area_name(areas, area, lang),
        period=period,
        previous_period=previous,
        total=now.total,
        previous_total=before.total,
        themes=tuple(themes),
        situations=tuple(situations),
        hotspots=tuple(hotspots),
        heatmap=heatmap(hours, k),
        cut_months=tuple(cut),
    )


def heatmap(hours: list[int], k: int) -> Heatmap:
    """Colour bands for 168 hourly counts: under k (and 0) in band 0, then from k, 2k, 4k, ...

    Bands are drawn from each hour's figure (its band of k), and their edges are multiples of k,
    so the picture says no more than the figures do.
    """
    figures = suppress(hours, k).cells
    top = max((f.low for f in figures), default=0)
    edges = [max(1, k)]
    while edges[-1] * 2 <= top and len(edges) < len(_BAND_COLOURS):
        edges.append(edges[-1] * 2)
    bands = []
    for f in figures:
        value = f.low
        bands.append(0 if value < edges[0] else sum(1 for e in edges if value >= e))
    return Heatmap(tuple(bands), tuple(edges), max(1, k))


async def areas_with_data(stats: Stats, areas: AreaDirectory, period: Period) -> list[str]:
    """The areas of AREAS, then any other area counted ('unknown': questions without one)."""
    found = [str(c.key[0]) for c in await stats.counts(period.first, period.last, ["area"])]
    previous = period.previous()
    found += [str(c.key[0]) for c in await stats.counts(previous.first, previous.last, ["area"])]
    known = list(areas.ids())
    return known + sorted({a for a in found if a not in known})


# -- names and labels -------------------------------------------------------------------------


def area_name(areas: AreaDirectory, area: str, lang: str) -> str:
    """The area's name in AREAS, or 'area unknown' in LANG."""
    if area == UNKNOWN:
        return t("stats.area_unknown", lang)
    return areas.name(area)


def situation_name(kaart: Meldkaart, situation: str, lang: str) -> str:
    """The situation's title in LANG, or its id when the meldkaart no longer has it."""
    if situation == UNKNOWN:
        return t("stats.situation_unknown", lang)
    found = kaart.situations.get(situation)
    return found.title.get(lang) if found else situation


def theme_name(kaart: Meldkaart, theme: str, lang: str) -> str:
    """The theme's name in LANG, or its id."""
    if theme == UNKNOWN:
        return t("stats.theme_unknown", lang)
    found = kaart.themes.get(theme)
    return found.name.get(lang) if found else theme


def day_names(lang: str) -> list[str]:
    """Abbreviated weekday names, Monday first."""
    names = get_day_names("abbreviated", locale=_LOCALES.get(lang, "nl_NL"))
    return [str(names[i]).rstrip(".") for i in range(7)]


def hour_label(hour_of_week: int, lang: str) -> str:
    """'vr 22:00' for hour 4 * 24 + 22."""
    return f"{day_names(lang)[hour_of_week // 24]} {hour_of_week % 24:02d}:00"


def period_text(period: Period, lang: str) -> str:
    """'2026H1 (1 januari 2026 – 30 juni 2026)'."""
    locale = _LOCALES.get(lang, "nl_NL")
    return t(
        "stats.period",
        lang,
        label=period.label,
        first=format_date(period.first, "d MMMM y", locale=locale),
        last=format_date(period.last, "d MMMM y", locale=locale),
    )


def change_text(item: Item) -> str:
    """'+12', '−3', '0'; '≈+10' when the figures are ranges; '–' when a count is under k."""
    change = item.change
    if change is None:
        return "–"
    about = "≈" if item.approximate else ""
    return about + (f"+{change}" if change > 0 else ("0" if change == 0 else f"−{-change}"))


def _meldkaart(stats: Stats) -> Meldkaart:
    """The meldkaart the counters were opened with: the report names its situations."""
    if stats.meldkaart is None:
        raise ValueError("the report names situations: open the counters with the meldkaart")
    return stats.meldkaart


# -- the picture ------------------------------------------------------------------------------


def heatmap_png(overview: Overview, lang: str) -> bytes:
    """The weekday × hour heatmap as a PNG (matplotlib, Agg, no network, no pyplot state)."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure as Canvas
    from matplotlib.patches import Patch

    hm = overview.heatmap
    count = len(hm.edges) + 1
    colours = [_HIDDEN_COLOUR, *_band_colours(count - 1)]
    cmap = ListedColormap(colours)
    norm = BoundaryNorm([b - 0.5 for b in range(count + 1)], cmap.N)
    grid = [list(hm.bands[day * 24 : (day + 1) * 24]) for day in range(7)]

    fig = Canvas(figsize=(10, 3.8), dpi=100)
    ax = fig.add_subplot()
    ax.imshow(grid, cmap=cmap, norm=norm, aspect="auto")
    ax.set_yticks(range(7), labels=day_names(lang))
    ax.set_xticks(range(24), labels=[f"{h:02d}" for h in range(24)], fontsize=8)
    ax.set_xlabel(t("stats.heatmap_hour", lang))
    ax.set_title(heatmap_caption(overview, lang))
    ax.set_xticks([x - 0.5 for x in range(25)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(8)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    handles = [
        Patch(facecolor=colours[b], edgecolor="#999999", label=hm.band_label(b))
        for b in range(count)
    ]
    ax.legend(
        handles=handles,
        title=t("stats.heatmap_legend", lang),
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title_fontsize=8,
    )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _band_colours(bands: int) -> list[str]:
    """BANDS colours spread over the palette, light to dark."""
    if bands <= 1:
        return [_BAND_COLOURS[2]][:bands]
    last = len(_BAND_COLOURS) - 1
    return [_BAND_COLOURS[round(i * last / (bands - 1))] for i in range(bands)]


def heatmap_caption(overview: Overview, lang: str) -> str:
    """'Noord-Oost: vragen per weekdag en uur, 2026H1'."""
    return t("stats.heatmap_caption", lang, area=overview.area_name, period=overview.period.label)


# -- texts ------------------------------------------------------------------------------------


def summary_text(overview: Overview, lang: str) -> str:
    """A short chat summary: total and change, top situations, hotspots, busiest hours."""
    o = overview
    lines = [
        t("stats.summary_title", lang, area=o.area_name, period=period_text(o.period, lang)),
        t(
            "stats.summary_total",
            lang,
            total=o.total.label,
            previous=o.previous_total.label,
            change=o.change_label,
        ),
    ]
    if o.situations:
        items = ", ".join(f"{i.name} ({i.figure.label})" for i in o.situations[:3])
        lines.append(t("stats.summary_situations", lang, items=items))
    if o.themes:
        items = ", ".join(f"{i.name} ({i.figure.label})" for i in o.themes[:3])
        lines.append(t("stats.summary_themes", lang, items=items))
    if o.hotspots:
        items = ", ".join(f"{i.id} ({i.figure.label})" for i in o.hotspots[:3])
        lines.append(t("stats.summary_hotspots", lang, items=items))
    if o.heatmap.busiest:
        items = ", ".join(hour_label(h, lang) for h in o.heatmap.busiest[:3])
        lines.append(t("stats.summary_busiest", lang, items=items))
    lines.append(t("stats.caveat_short", lang, k=o.total.k))
    return "\n".join(lines)


def heatmap_file(area: str) -> str:
    """The PNG's file name in the report folder."""
    return f"heatmap-{area}.png"


def write_report(overviews: list[Overview], out: Path, lang: str, generated: date) -> list[Path]:
    """Write index.html, report.json and one heatmap PNG per area into OUT; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for o in overviews:
        path = out / heatmap_file(o.area)
        path.write_bytes(heatmap_png(o, lang))
        written.append(path)
    k = overviews[0].total.k if overviews else 0
    data = {"k": k, "generated": generated.isoformat(), "areas": [o.json() for o in overviews]}
    path = out / "report.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    written.append(path)
    path = out / "index.html"
    path.write_text(report_html(overviews, lang, generated), "utf-8")
    written.append(path)
    return written


def report_html(overviews: list[Overview], lang: str, generated: date) -> str:
    """The report page: a section per area with its tables and heatmap (everything escaped)."""
    e = html.escape
    period = overviews[0].period if overviews else None
    title = t("stats.report_title", lang, period=period.label if period else "")
    parts = [
        "<!doctype html>",
        f'<html lang="{e(lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    if period:
        parts.append(f"<p>{e(period_text(period, lang))}</p>")
    k = overviews[0].total.k if overviews else 5
    parts.append(f'<p class="caveat">{e(t("stats.caveat", lang, k=k))}</p>')
    parts.append(f"<p>{e(t('stats.suppression_note', lang, k=k))}</p>")
    if len(overviews) > 1:
        links = "".join(f'<li><a href="#{e(o.area)}">{e(o.area_name)}</a></li>' for o in overviews)
        parts.append(f"<nav><ul>{links}</ul></nav>")
    for o in overviews:
        parts.append(_section_html(o, lang))
    made = format_date(generated, "d MMMM y", locale=_LOCALES.get(lang, "nl_NL"))
    parts.append(f"<footer>{e(t('stats.generated', lang, date=made))}</footer></body></html>")
    return "\n".join(parts) + "\n"


def _section_html(o: Overview, lang: str) -> str:
    e = html.escape
    previous = o.previous_period.label
    parts = [
        f'<section id="{e(o.area)}">',
        f"<h2>{e(o.area_name)}</h2>",
        "<p>"
        + e(
            t(
                "stats.total_line",
                lang,
                total=o.total.label,
                previous_period=previous,
                previous=o.previous_total.label,
                change=o.change_label,
            )
        )
        + "</p>",
    ]
    if o.cut_months:
        months = ", ".join(o.cut_months)
        parts.append(f"<p>{e(t('stats.months_left_out', lang, months=months))}</p>")
    parts.append(f"<h3>{e(t('stats.hot_items', lang))}</h3>")
    for column, items in (("stats.col_theme", o.themes), ("stats.col_situation", o.situations)):
        head = (t(column, lang), o.period.label, previous, t("stats.col_change", lang))
        rows: list[tuple[str, ...]] = [
            (i.name, i.figure.label, i.previous.label if i.previous else "", change_text(i))
            for i in items
        ]
        parts.append(_table(head, rows, t("stats.none", lang)))
    parts.append(f"<h3>{e(t('stats.hotspots', lang))}</h3>")
    parts.append(f"<p>{e(t('stats.hotspots_note', lang, k=o.total.k))}</p>")
    parts.append(
        _table(
            (t("stats.col_pc4", lang), o.period.label),
            [(i.id, i.figure.label) for i in o.hotspots],
            t("stats.none", lang),
        )
    )
    parts.append(f"<h3>{e(t('stats.hot_times', lang))}</h3>")
    alt = t("stats.heatmap_alt", lang, area=o.area_name, period=o.period.label)
    parts.append(f'<img src="{e(heatmap_file(o.area))}" alt="{e(alt)}" width="1000">')
    if o.heatmap.busiest:
        busiest = ", ".join(hour_label(h, lang) for h in o.heatmap.busiest)
        parts.append(f"<p>{e(t('stats.busiest', lang, hours=busiest))}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]], empty: str) -> str:
    e = html.escape
    if not rows:
        return f"<p>{e(empty)}</p>"
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;"
    "padding:.25rem .6rem;text-align:left}td+td{text-align:right}.caveat{background:#fff4d6;"
    "padding:.6rem;border-left:4px solid #e0a800}img{max-width:100%;height:auto}"
    "section{margin-top:2.5rem}"
)


# -- the command line's tables ----------------------------------------------------------------


def count_rows(
    by: Sequence[str], counts: Sequence[Count], k: int
) -> tuple[list[dict[str, object]], Figure]:
    """One object per cell (the grouping fields and `count`) and the total, suppressed; no
    cells at all when the total is under k (`fold`)."""
    cells, total = suppress_counts(counts, k)
    if fold(total):
        return [], total
    rows: list[dict[str, object]] = [
        {**dict(zip(by, c.key, strict=True)), "count": f.json()}
        for c, f in zip(counts, cells, strict=True)
    ]
    return rows, total


def render_csv(by: Sequence[str], rows: Sequence[dict[str, object]]) -> str:
    """The cells as CSV with a header line (no total line: one row per cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*by, "count"])
    for row in rows:
        writer.writerow([row[f] for f in (*by, "count")])
    return buffer.getvalue()


def render_table(by: Sequence[str], rows: Sequence[dict[str, object]], total: Figure) -> str:
    """The cells as aligned columns, counts right-aligned, with a total line."""
    head = [*by, "count"]
    body = [[str(row[f]) for f in head] for row in rows]
    foot = ["total", *[""] * (len(by) - 1), total.label] if by else ["total", total.label]
    if not by:
        head = ["", "count"]
        body = [["", str(row["count"])] for row in rows]
    widths = [max(len(line[i]) for line in (head, *body, foot)) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:-1], widths, strict=False)]
        return "  ".join([*left, cells[-1].rjust(widths[-1])]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(r) for r in body), rule, line(foot)]) + "\n"
