"""All settings come from the environment, read here and nowhere else."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_API_URL = "https://api.telegram.org/bot"


class ConfigError(ValueError):
    """A setting in the environment has a value we cannot use."""


def _int_set(raw: str, name: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError as exc:
            raise ConfigError(
                f"{name}: '{part}' is not a Telegram user id (a whole number)"
            ) from exc
    return frozenset(ids)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: '{raw}' is not a whole number") from exc


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name}: '{raw}' is not a number of seconds above 0")
    return value


def _proxies(raw: str) -> tuple[str, ...]:
    """MELDWIJZER_TRUSTED_PROXIES: addresses and networks, `*` (the peer, any address), `none`."""
    if not raw:
        return ("127.0.0.1",)
    if raw.lower() == "none":
        return ()
    entries: list[str] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if part != "*":
            try:
                part = str(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ConfigError(
                    f"MELDWIJZER_TRUSTED_PROXIES: '{part}' is not an IP address or network "
                    "(such as 10.0.0.0/8); give addresses, '*' or 'none'"
                ) from exc
        entries.append(part)
    return tuple(entries)


def _database(raw: str, platform: str) -> tuple[Path, str | None]:
    """MELDWIJZER_DB (or, when it is unset, a platform's DATABASE_URL): the SQLite file and the
    PostgreSQL DSN, one of them used.

    A path, or sqlite:///PATH (SQLAlchemy's form: three slashes for a relative path, four for an
    absolute one), is an SQLite file; postgresql://user:password@host:port/db (or postgres://)
    selects PostgreSQL; any other URL is refused.
    """
    name = "MELDWIJZER_DB" if raw or not platform else "DATABASE_URL"
    raw = raw or platform
    if not raw:
        return Path("meldwijzer.sqlite3"), None
    if raw.startswith(("postgresql://", "postgres://")):
        return Path("meldwijzer.sqlite3"), raw
    if raw.startswith("sqlite:///"):
        return Path(raw.removeprefix("sqlite:///")), None
    scheme, sep, _ = raw.partition("://")
    if sep and scheme.replace("+", "").isalnum():
        # Only the scheme is repeated: the rest may hold a password.
        raise ConfigError(
            f"{name}: a {scheme}:// address cannot be used here; give a file path (or "
            "sqlite:///PATH) for SQLite, or postgresql://user:password@host:port/db"
        )
    return Path(raw), None


@dataclass(frozen=True)
class Settings:
    """The runtime settings of every door (bot, web service, CLI)."""

    telegram_token: str | None = None
    telegram_api_url: str = DEFAULT_API_URL
    webhook_url: str | None = None
    webhook_secret: str | None = None
    db_path: Path = field(default_factory=lambda: Path("meldwijzer.sqlite3"))
    database_url: str | None = None  # a PostgreSQL DSN: used instead of the file at db_path
    admins: frozenset[int] = frozenset()
    host: str = "127.0.0.1"
    port: int = 8080
    cors_origins: tuple[str, ...] = ()
    rate_limit_per_minute: int = 60
    max_body_bytes: int = 16384
    max_text_chars: int = 2000
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)  # see _proxies
    header_timeout: float = 10.0  # seconds for a request line and headers
    body_timeout: float = 30.0  # seconds for a request body, once the headers are in
    max_connections: int = 1000  # open HTTP connections (lowered to fit the open-file limit)
    webhook_headroom: int = 64  # connections only the webhook and /healthz may use
    stats_min_cell: int = 5
    stats_retention_months: int = 24
    public_url: str | None = None  # where the HTTP service is reachable, for calendar links

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from the environment (os.environ by default)."""
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        origins = tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip())
        connections = _int(env, "MELDWIJZER_MAX_CONNECTIONS", 1000)
        if connections < 2:
            raise ConfigError(f"MELDWIJZER_MAX_CONNECTIONS: {connections} is too few (at least 2)")
        headroom = _int(env, "MELDWIJZER_WEBHOOK_HEADROOM", 64)
        if not 0 <= headroom < connections:
            raise ConfigError(
                f"MELDWIJZER_WEBHOOK_HEADROOM: {headroom} must be at least 0 and below "
                f"MELDWIJZER_MAX_CONNECTIONS ({connections})"
            )
        db_path, database_url = _database(
            env.get("MELDWIJZER_DB", "").strip(), env.get("DATABASE_URL", "").strip()
        )
        return cls(
            telegram_token=token,
            telegram_api_url=env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL,
            webhook_url=env.get("WEBHOOK_URL", "").strip() or None,
            webhook_secret=env.get("WEBHOOK_SECRET", "").strip() or None,
            db_path=db_path,
            database_url=database_url,
            admins=_int_set(env.get("MELDWIJZER_ADMINS", ""), "MELDWIJZER_ADMINS"),
            host=env.get("HOST", "").strip() or "127.0.0.1",
            port=_int(env, "PORT", 8080),
            cors_origins=origins,
            rate_limit_per_minute=_int(env, "MELDWIJZER_RATE_LIMIT", 60),
            max_body_bytes=_int(env, "MELDWIJZER_MAX_BODY", 16384),
            max_text_chars=_int(env, "MELDWIJZER_MAX_TEXT", 2000),
            trusted_proxies=_proxies(env.get("MELDWIJZER_TRUSTED_PROXIES", "").strip()),
            header_timeout=_seconds(env, "MELDWIJZER_HEADER_TIMEOUT", 10.0),
            body_timeout=_seconds(env, "MELDWIJZER_BODY_TIMEOUT", 30.0),
            max_connections=connections,
            webhook_headroom=headroom,
            stats_min_cell=_int(env, "MELDWIJZER_STATS_MIN_CELL", 5),
            stats_retention_months=_int(env, "MELDWIJZER_RETENTION_MONTHS", 24),
            public_url=env.get("MELDWIJZER_PUBLIC_URL", "").strip().rstrip("/") or None,
        )

    @property
    def database(self) -> str | Path:
        """What `Database.open` opens: the PostgreSQL DSN when set, else the SQLite file."""
        return self.database_url or self.db_path

    @property
    def database_shown(self) -> str:
        """The database as a message may name it: the file, or the DSN without its password."""
        if self.database_url is None:
            return str(self.db_path)
        return _without_password(self.database_url)

    def __repr__(self) -> str:  # never print the token or the password, even by accident
        shown = "set" if self.telegram_token else "unset"
        return (
            f"Settings(telegram_token={shown}, database={self.database_shown}, "
            f"host={self.host}, port={self.port})"
        )


def _without_password(dsn: str) -> str:
    """DSN as postgresql://user@host:port/db (no password, no query)."""
    try:
        parts = urlsplit(dsn)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
    except ValueError:  # e.g. a port that is no number
        return "postgresql://(an address that cannot be read)"
    return urlunsplit(("postgresql", f"{user}{host}{port}", parts.path, "", ""))
