"""The `meldwijzer` command line: a thin door on the core, a stable contract for scripts.

Exit status: 0 on success, 2 on bad usage or input (with a message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot import __version__
from bot.yamlfile import DataError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import date

    from bot.areas import AreaDirectory
    from bot.meldkaart import Meldkaart
    from bot.routing import Router
    from bot.stats import Stats

EXIT_OK = 0
EXIT_USAGE = 2
LEARNED_HELP = "the learned layer: on (default), off (rules alone) or a model folder"

T = TypeVar("T")


class UsageError(Exception):
    """Bad input from the command line: printed on stderr, exit 2."""


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False))


# -- route ------------------------------------------------------------------------------------


def _router(args: argparse.Namespace) -> Router:
    """The router of --rules and --learned (default: the packaged meldkaart and model)."""
    from bot.paths import MODELS_DIR, ROUTING_RULES_DIR
    from bot.routing import Router

    rules = Path(args.rules) if args.rules else ROUTING_RULES_DIR
    models = {"on": MODELS_DIR, "off": None}.get(args.learned, Path(args.learned))
    return Router.load(rules, models)


def cmd_route(args: argparse.Namespace) -> int:
    """Route TEXT, or every line of standard input, and print the answer."""
    from bot.answers import build_card, render_text
    from bot.i18n import normalise_language

    router = _router(args)
    texts = [args.text] if args.text is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for text in texts:
        if args.explain:
            from bot.explain import explain, render
            from bot.paths import CORPUS_DIR

            corpus = CORPUS_DIR / "train" if (CORPUS_DIR / "train").is_dir() else None
            print(render(explain(router, text, corpus)))
            continue
        result = router.route(text)
        if args.json:
            _print_json(result.to_json())
        else:
            lang = args.lang or normalise_language(result.language)
            print(render_text(build_card(result, router.meldkaart, lang)))
            if args.text is None:
                print()
        sys.stdout.flush()
    return EXIT_OK


# -- eval -------------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a labelled set and print the accuracy report."""
    from bot.evaluation import evaluate, load_cases, render_misses, render_report

    router = _router(args)
    cases = load_cases(Path(args.file), router.meldkaart)
    report = evaluate(router, cases)
    if args.json:
        _print_json(report.to_json())
    else:
        print(render_report(report))
        if args.misses:
            print("\nmisses:\n" + render_misses(report))
    return EXIT_OK


# -- train ------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Rebuild the learned model files from the corpus (fixed seed: the same bytes each time)."""
    from bot.learning import train
    from bot.learning.corpus import corpus_files, fingerprint
    from bot.learning.corpus import load as load_corpus
    from bot.learning.encoder import load_encoder
    from bot.learning.model import read_model
    from bot.meldkaart import load as load_meldkaart
    from bot.paths import CORPUS_DIR, MODELS_DIR, ROUTING_RULES_DIR

    corpus = Path(args.corpus) if args.corpus else CORPUS_DIR / "train"
    out = Path(args.out) if args.out else MODELS_DIR
    files = corpus_files(corpus)
    if not files:
        raise UsageError(f"{corpus}: no corpus files (*.yaml) here")
    if args.check:
        _, manifest = read_model(out)
        if manifest.get("corpus_sha256") != fingerprint(files):
            print(f"{out}: trained on another corpus than {corpus}; run `meldwijzer train`")
            return EXIT_USAGE
        print(f"{out}: trained on the corpus in {corpus} as it is now")
        return EXIT_OK
    examples = load_corpus(files, load_meldkaart(ROUTING_RULES_DIR))
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise UsageError("training needs scikit-learn: pip install -e '.[train]'") from None
    trained = train.train(examples, load_encoder(), fingerprint(files))
    train.write(trained, out)
    print(
        f"trained on {len(examples)} messages ({len(files)} files): "
        f"{trained.manifest['classes']} classes, {trained.manifest['features']} n-grams; "
        f"wrote {out}"
    )
    return EXIT_OK


# -- validate ---------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Check the meldkaart and knowledge files; print every problem with file and line."""
    from bot.knowledge import load as load_knowledge
    from bot.meldkaart import load

    folder = Path(args.rules) if args.rules else None
    kaart = load(folder) if folder else load()
    print(
        f"meldkaart ok: {len(kaart.channels)} channels, {len(kaart.situations)} situations, "
        f"{len(kaart.danger.kinds)} danger kinds"
    )
    knowledge = load_knowledge(channel_ids=kaart.channels)
    print(
        f"knowledge ok: {len(knowledge.areas)} areas, {len(knowledge.buurten)} buurten, "
        f"{len(knowledge.postcodes)} postcodes"
    )
    return _validate_corpus(kaart)


def _validate_corpus(kaart: Meldkaart) -> int:
    """Check the routing corpus (a source checkout's corpus/) and whether models/ was built
    from it: a new situation needs corpus messages and `meldwijzer train`."""
    from bot.learning.corpus import corpus_files, fingerprint
    from bot.learning.corpus import load as load_corpus
    from bot.learning.model import ModelError, read_model
    from bot.paths import CORPUS_DIR, MODELS_DIR

    files = corpus_files(CORPUS_DIR / "train")
    if not files:
        return EXIT_OK  # an installed package carries no corpus
    examples = load_corpus(files, kaart)
    seen = {e.text.strip().lower() for e in examples}
    slices = []
    for held_out_file in corpus_files(CORPUS_DIR / "untouched"):  # each slice is its own set
        held_out = load_corpus([held_out_file], kaart)
        shared = sum(e.text.strip().lower() in seen for e in held_out)
        slices.append(f"{held_out_file.stem} {len(held_out)} ({shared} as in training)")
    print(
        f"corpus ok: {len(examples)} training messages in {len(files)} files; "
        f"untouched: {', '.join(slices) or 'none'}"
    )
    try:
        _, manifest = read_model(MODELS_DIR)
    except ModelError as error:
        print(f"model: {error}")
        return EXIT_USAGE
    if manifest.get("corpus_sha256") != fingerprint(corpus_files(CORPUS_DIR / "train")):
        print(f"model: {MODELS_DIR} is older than corpus/train; run `meldwijzer train`")
        return EXIT_USAGE
    print("model ok: trained on corpus/train as it is")
    return EXIT_OK


# -- chat -------------------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace) -> int:
    """A console conversation with the same answers a Telegram user gets."""
    import asyncio
    import dataclasses

    from bot.chat import run_console
    from bot.config import Settings
    from bot.services import open_services

    settings = Settings.from_env()
    if settings.database_url is None and not settings.db_path.exists():
        # no spreekuren to show: an empty database, no new file
        settings = dataclasses.replace(settings, db_path=Path(":memory:"))

    async def chat() -> int:
        services = await open_services(settings)
        try:
            return await run_console(sys.stdin, sys.stdout, services, lang=args.lang)
        finally:
            await services.close()

    return asyncio.run(chat())


# -- area (issue 3) ---------------------------------------------------------------------------


async def _areas_from(dsn: str) -> AreaDirectory:
    """The area directory with the CBS table stored in the PostgreSQL database at DSN."""
    from bot.areas import AreaDirectory
    from bot.storage import Database, StorageError

    try:
        db = await Database.open(dsn)
    except StorageError as exc:
        raise UsageError(str(exc)) from exc
    try:
        return await AreaDirectory.open(db)
    finally:
        await db.close()


def cmd_area(args: argparse.Namespace) -> int:
    """Look up the area team for a postcode or buurt."""
    import asyncio

    from bot.areacard import build_area_card, render_area_text
    from bot.areas import AreaDirectory, AreaNotFound
    from bot.config import Settings
    from bot.meldkaart import load

    settings = Settings.from_env()
    if settings.database_url is None:
        directory = AreaDirectory.load(db=settings.db_path)
    else:
        directory = asyncio.run(_areas_from(settings.database_url))
    try:
        result = directory.lookup(args.query)
    except AreaNotFound as exc:
        raise UsageError(exc.message(args.lang)) from exc
    if args.json:
        _print_json(result.to_json())
    else:
        print(render_area_text(build_area_card(result, directory), args.lang, load()))
    return EXIT_OK


def cmd_import_cbs(args: argparse.Namespace) -> int:
    """Import the CBS PC6 -> buurt file as the exact postcode table."""
    import asyncio

    from bot.cbs import find_buurten_file, read_cbs, store
    from bot.clock import system_clock
    from bot.config import Settings
    from bot.knowledge import load as load_knowledge
    from bot.storage import Database

    pc6_file = Path(args.pc6_file)
    if not pc6_file.is_file():
        raise UsageError(f"{pc6_file}: no such file")
    buurten_file = Path(args.buurten) if args.buurten else find_buurten_file(pc6_file)
    if buurten_file is None or not buurten_file.is_file():
        raise UsageError(
            f"no buurt name table (buurt_YYYY.csv) found beside {pc6_file}: pass --buurten FILE"
        )
    result = read_cbs(pc6_file, buurten_file, load_knowledge())
    if not result.addresses:
        raise UsageError(f"{pc6_file}: no addresses of gemeente 0935 (Maastricht) in this file")
    for unknown in result.unknown:
        print(
            f"meldwijzer: unknown buurt {unknown.code} '{unknown.name or '(no name)'}' "
            f"({unknown.addresses} address{'es' if unknown.addresses != 1 else ''}): "
            "not imported; add it (or an alias) to knowledge/buurten.csv",
            file=sys.stderr,
        )
    settings = Settings.from_env()

    async def _store() -> int:
        db = await Database.open(settings.database)
        try:
            return await store(db, result, pc6_file.name, system_clock())
        finally:
            await db.close()

    stored = asyncio.run(_store())
    skipped = f", {result.skipped_pc6} PC6 left to the PC4 table" if result.skipped_pc6 else ""
    print(
        f"imported CBS {result.year or '?'} into {settings.database_shown}: "
        f"{result.addresses} addresses of Maastricht, {stored} postcodes (PC6), "
        f"{len(result.buurten)} buurten{skipped}"
    )
    return EXIT_OK


# -- migrate (issue 14) ----------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply the migrations to MELDWIJZER_DB; with --from FILE, copy an SQLite file into it."""
    import asyncio

    from bot.config import ConfigError, Settings
    from bot.dbcopy import copy_sqlite
    from bot.storage import Database, StorageError

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    source = Path(args.source) if args.source else None
    same = settings.database_url is None and source is not None
    if same and source is not None and source.resolve() == settings.db_path.resolve():
        raise UsageError(f"--from {source} is MELDWIJZER_DB itself: nothing to copy")

    async def run() -> str:
        db = await Database.open(settings.database)  # applies every pending migration
        try:
            said = f"{settings.database_shown}: schema version {await db.schema_version()}"
            if source is None:
                return said
            copied = await copy_sqlite(source, db)
            lines = [f"  {table}: {n}" for table, n in copied.tables]
            return "\n".join([f"{said}; copied {copied.rows} rows from {source}:", *lines])
        finally:
            await db.close()

    try:
        print(asyncio.run(run()))
    except StorageError as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK


# -- run (issues 4 and 7) ---------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: the HTTP service on HOST:PORT, and the Telegram bot beside it when set."""
    from bot.config import ConfigError, Settings
    from bot.server import ServerError, run
    from bot.storage import StorageError

    try:
        run(Settings.from_env())
    except (ConfigError, ServerError, StorageError) as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK


# -- spreekuren (issue 5) ---------------------------------------------------------------------


def cmd_spreekuren(args: argparse.Namespace) -> int:
    """List upcoming spreekuren, or export them as iCalendar."""
    import asyncio

    from bot import spreekuren
    from bot.areas import AreaDirectory
    from bot.clock import system_clock
    from bot.config import Settings
    from bot.dutchdates import InputError
    from bot.staff import parse_area
    from bot.storage import Database, StorageError

    if args.json and args.ics:
        raise UsageError("choose --json or --ics, not both")
    directory = AreaDirectory.load()  # the names and ids only: no CBS table needed
    try:
        area = parse_area(directory, args.area) if args.area is not None else None
    except InputError as exc:
        raise UsageError(exc.message(args.lang)) from exc
    settings = Settings.from_env()
    # A missing database has no spreekuren: answer from an empty one instead of creating a file.
    path = settings.database if settings.database_url or settings.db_path.exists() else ":memory:"

    async def run() -> str:
        db = await Database.open(path)
        try:
            now = system_clock()
            if args.ics:
                feed = await spreekuren.ics_feed(db, directory, area, now, args.lang)
                return feed.decode("utf-8")
            areas = [area] if area else list(directory.ids())
            per_area = {a: await spreekuren.upcoming(db, a, now) for a in areas}
            if args.json:
                items = sorted((o for a in areas for o in per_area[a]), key=lambda o: o.starts_at)
                shown = [spreekuren.occurrence_json(o, args.lang) for o in items]
                return json.dumps({"area": area, "spreekuren": shown}, ensure_ascii=False)
            from bot.meldkaart import load

            contacts = spreekuren.team_contacts(load())
            return "\n\n".join(
                spreekuren.render_listing(directory, a, per_area[a], args.lang, now, contacts)
                for a in areas
            )
        finally:
            await db.close()

    try:
        output = asyncio.run(run())
    except StorageError as exc:
        raise UsageError(str(exc)) from exc
    sys.stdout.write(output if args.ics else output + "\n")
    return EXIT_OK


# -- stats and report (issue 6) ---------------------------------------------------------------


def _day(text: str, option: str) -> date:
    """A day as YYYY-MM-DD; UsageError naming OPTION otherwise."""
    import re
    from datetime import date

    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise UsageError(f"{option} '{text}': give a day as YYYY-MM-DD, e.g. 2026-01-31")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{option} '{text}': {exc}") from exc


def _area_option(areas: AreaDirectory, area: str | None) -> str | None:
    """--area: an area id of AREAS (knowledge/areas.yaml), 'unknown', or None for every area."""
    from bot.stats import UNKNOWN

    if area is None:
        return None
    known = [*areas.ids(), UNKNOWN]
    if area not in known:
        raise UsageError(f"--area '{area}': choose one of {', '.join(known)}")
    return area


def _with_stats(work: Callable[[Stats], Awaitable[T]]) -> T:
    """Open the counters in MELDWIJZER_DB (which must exist), run WORK, close.

    UsageError for a setting, a database or a WORK that refuses (ValueError).
    """
    import asyncio

    from bot.config import ConfigError, Settings
    from bot.meldkaart import load as load_meldkaart
    from bot.stats import Stats
    from bot.storage import Database, StorageError

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    if settings.stats_min_cell < 1:
        raise UsageError("MELDWIJZER_STATS_MIN_CELL must be 1 or more")
    if settings.database_url is None and not settings.db_path.is_file():
        raise UsageError(f"no database at {settings.db_path} (set MELDWIJZER_DB)")

    async def run() -> T:
        db = await Database.open(settings.database)
        try:
            return await work(Stats(db, settings, meldkaart=load_meldkaart()))
        finally:
            await db.close()

    try:
        return asyncio.run(run())
    except (StorageError, ValueError) as exc:
        raise UsageError(str(exc)) from exc


def cmd_stats(args: argparse.Namespace) -> int:
    """Print anonymised counts, every figure through the small-cell suppression."""
    from bot import statsreport as report
    from bot.areas import AreaDirectory
    from bot.stats import Count, parse_fields

    first, last = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    area = _area_option(AreaDirectory.load(), args.area)
    try:
        by = parse_fields(args.by)
    except ValueError as exc:
        raise UsageError(f"--by: {exc}") from exc
    kinds = ("question", "helpful", "unhelpful") if "kind" in by else ("question",)

    async def query(stats: Stats) -> tuple[list[Count], list[str], int]:
        counts = await stats.counts(first, last, by, area=area, kinds=kinds)
        return counts, await stats.cut_months(first, last), stats.settings.stats_min_cell

    counts, cut, k = _with_stats(query)
    for month in cut:
        print(
            f"meldwijzer: {month} is kept only as a whole month and lies partly outside "
            "--from/--to: left out",
            file=sys.stderr,
        )
    rows, total = report.count_rows(by, counts, k)
    if counts and not rows:
        print(
            f"meldwijzer: fewer than {k} questions in all: only the total is shown "
            "(its lines would give each other away)",
            file=sys.stderr,
        )
    if args.format == "json":
        _print_json(rows)
    elif args.format == "csv":
        sys.stdout.write(report.render_csv(by, rows))
    else:
        sys.stdout.write(report.render_table(by, rows, total))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write the overview per area (hot-items, hotspots, hot-times) for a period."""
    from datetime import datetime

    from bot import statsreport as report
    from bot.areas import AreaDirectory
    from bot.stats import TZ, Period

    try:
        period = Period.parse(args.period)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from exc
    directory = AreaDirectory.load()  # the names and ids only: no CBS table needed
    area = _area_option(directory, args.area)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")

    async def build(stats: Stats) -> list[report.Overview]:
        areas = [area] if area else await report.areas_with_data(stats, directory, period)
        return [await report.build_overview(stats, directory, period, a, args.lang) for a in areas]

    overviews = _with_stats(build)
    try:
        written = report.write_report(overviews, out, args.lang, datetime.now(TZ).date())
    except OSError as exc:
        raise UsageError(f"--out {out}: {exc.strerror or exc}") from exc
    for path in written:
        print(path)
    return EXIT_OK


def cmd_retention(args: argparse.Namespace) -> int:
    """Roll day counters older than N months up to one counter per month, atomically."""
    from bot.stats import RollUp

    async def roll(stats: Stats) -> tuple[RollUp, str]:
        months = stats.settings.stats_retention_months if args.months is None else args.months
        if months < 1:
            raise ValueError("--months: keep at least 1 month of day counts")
        return await stats.roll_up(months), stats.settings.database_shown

    done, db_path = _with_stats(roll)
    print(
        f"rolled {done.day_rows} day counters before {done.cutoff} up into whole months "
        f"({done.month_rows} month counters before that date) in {db_path}"
    )
    return EXIT_OK


# -- the parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand and its options."""
    parser = argparse.ArgumentParser(
        prog="meldwijzer",
        description="Meldwijzer Maastricht: where to report what, your area team, its spreekuren.",
    )
    parser.add_argument("--version", action="version", version=f"meldwijzer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("route", help="route a message (or each line of stdin)")
    p.add_argument("text", nargs="?", help="the message; omit to read one per line from stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object per message")
    p.add_argument("--lang", choices=("nl", "en"), help="language of the answer text")
    p.add_argument("--rules", help="meldkaart folder (default: the packaged routing_rules/)")
    p.add_argument("--learned", default="on", help=LEARNED_HELP)
    p.add_argument(
        "--explain",
        action="store_true",
        help="show the rule matches, the learned layer's strongest n-grams and nearest phrasings",
    )
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("eval", help="measure routing on a labelled YAML set")
    p.add_argument("file", help="labelled set, format of corpus/README.md (situation optional)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--rules", help="meldkaart folder (default: the packaged routing_rules/)")
    p.add_argument("--learned", default="on", help=LEARNED_HELP)
    p.add_argument("--misses", action="store_true", help="list every miss with what decided it")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("train", help="rebuild the learned model from the corpus")
    p.add_argument("--corpus", help="corpus folder (default: corpus/train)")
    p.add_argument("--out", help="model folder (default: the packaged models/)")
    p.add_argument(
        "--check",
        action="store_true",
        help="only check that the model in --out was trained on this corpus",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("validate", help="check the meldkaart YAML")
    p.add_argument("--rules", help="meldkaart folder (default: the packaged routing_rules/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("chat", help="talk to Meldwijzer in the console")
    p.add_argument("--lang", choices=("nl", "en"), help="answer language (default: follows you)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("area", help="find the area team for a postcode or buurt")
    p.add_argument("query", help="postcode (6221 AB, 6221) or buurt name")
    p.add_argument("--json", action="store_true", help="print the lookup as JSON")
    p.add_argument("--lang", choices=("nl", "en"), default="nl", help="language of the card")
    p.set_defaults(func=cmd_area)

    p = sub.add_parser("import-cbs", help="import the CBS postcode-huisnummer -> buurt file")
    p.add_argument("pc6_file", help="pc6hnrYYYY0801_gwb.csv (semicolon separated, latin-1)")
    p.add_argument("--buurten", help="buurt_YYYY.csv beside it (default: found next to PC6_FILE)")
    p.set_defaults(func=cmd_import_cbs)

    p = sub.add_parser(
        "migrate", help="apply the migrations to MELDWIJZER_DB (SQLite file or PostgreSQL)"
    )
    p.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="first copy every row of this SQLite file into MELDWIJZER_DB (which must be empty)",
    )
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("run", help="the main job: Telegram bot and/or local service")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("spreekuren", help="list upcoming spreekuren")
    p.add_argument("--area", help="area id, e.g. noord-oost")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--ics", action="store_true", help="print an iCalendar feed")
    p.add_argument("--lang", choices=("nl", "en"), default="nl")
    p.set_defaults(func=cmd_spreekuren)

    p = sub.add_parser("stats", help="anonymised counts")
    p.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
    p.add_argument("--area", help="area id, or 'unknown'")
    p.add_argument(
        "--by",
        default="area,theme",
        help="comma-separated grouping fields: date, month, weekday, hour, hour_of_week, area, "
        "pc4, situation, theme, channel, emergency, language, door, kind (adds 👍/👎 counts)",
    )
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("report", help="overview per area: hot-items, hotspots, hot-times")
    p.add_argument("--period", required=True, help="2026H1, 2026Q1, 2026-03 or 2026")
    p.add_argument("--area", help="area id (default: every area)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--lang", choices=("nl", "en"), default="nl", help="language of the report")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("retention", help="roll counters older than N months up to months")
    p.add_argument("--months", type=int, help="keep day detail for this many months")
    p.set_defaults(func=cmd_retention)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status follows the contract above."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except UsageError as exc:
        print(f"meldwijzer: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DataError as exc:
        print("meldwijzer: the data files have problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
