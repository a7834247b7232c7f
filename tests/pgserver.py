"""A throw-away PostgreSQL server for the tests: a cluster in a temporary folder on 127.0.0.1.

    python tests/pgserver.py start DIR   # prints the DSN (postgresql://...) on stdout
    python tests/pgserver.py stop DIR

DIR must be reachable by the postgres user when run as root (e.g. `mktemp -d` and chmod 755).

`.ci/run` starts one and exports its DSN as MELDWIJZER_TEST_PG; without it the test fixture
starts its own (tests/conftest.py). As root, initdb and pg_ctl run as the `postgres` user
(PostgreSQL refuses to run as root). Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)
USER = "meldwijzer"


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are, or None on a machine without PostgreSQL."""
    for folder in BIN_DIRS:
        if (Path(folder) / "initdb").is_file():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """COMMAND as the postgres user when we are root (PostgreSQL will not run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def start(folder: Path) -> str:
    """Create and start a cluster in FOLDER; returns the DSN of its (empty) database."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("no PostgreSQL here (initdb not found)")
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    password = secrets.token_hex(12)
    pwfile = folder / "pw"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(pwfile, "postgres")
    _run(
        _as_owner(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--pwfile",
                str(pwfile),
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ]
        ),
    )
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    _run(
        _as_owner(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        ),
    )
    return f"postgresql://{USER}:{password}@127.0.0.1:{port}/postgres"


async def execute(dsn: str, statement: str) -> None:
    """Run one STATEMENT on a connection of its own to DSN (CREATE DATABASE, CREATE or DROP
    SCHEMA: set-up that runs outside any transaction)."""
    import asyncpg  # only where a server is used: `start` and `stop` need no driver

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _run(command: list[str]) -> None:
    """Run COMMAND; RuntimeError with its last line of output when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        tool = next(Path(part).name for part in command if part.startswith("/"))
        raise RuntimeError(f"{tool} failed: {said[-1] if said else done.returncode}")


def stop(folder: Path) -> None:
    """Stop the cluster in FOLDER (fast shutdown) and delete the folder."""
    binaries = bin_dir()
    if binaries is not None and (folder / "data" / "postmaster.pid").exists():
        subprocess.run(
            _as_owner([str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: pgserver.py start|stop DIR")
    if sys.argv[1] == "start":
        print(start(Path(sys.argv[2])))
    else:
        stop(Path(sys.argv[2]))
