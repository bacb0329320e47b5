"""Take, keep and restore copies of the database, on SQLite and PostgreSQL alike.

A copy is one consistent moment even while residents book and facilitators save: SQLite's online
backup API copies the database inside one read transaction, and `pg_dump` reads a single
snapshot. Copies hold personal data: they are written readable by their owner only, and only the
last few are kept (a purge cannot reach into them, so fewer copies means data really goes).
"""
import os
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
POSTGRESQL_MAGIC = b"PGDMP"
NAME = re.compile(r"^tiers-lieu-(\d{8}-\d{6})\.(sqlite3|pgdump)$")
OWNER_ONLY = 0o600


class BackupError(Exception):
    """Why a copy could not be taken or restored, in words for the person at the terminal."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    removed: tuple   # older copies deleted to keep the last ones


def kind_of(url):
    """"sqlite" or "postgresql", from a database URL; anything else is refused."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups handle SQLite and PostgreSQL databases, not {backend}.")
    return backend


def _sqlite_path(url):
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _libpq(url):
    """pg_dump's and pg_restore's connection options, the password in the environment only (never
    on a command line, where `ps` shows it)."""
    parts = make_url(url)
    options = ["--dbname", parts.database or "postgres"]
    if parts.host:
        options += ["--host", parts.host]
    if parts.port:
        options += ["--port", str(parts.port)]
    if parts.username:
        options += ["--username", parts.username]
    environment = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if parts.password:
        environment["PGPASSWORD"] = parts.password
    return options, environment


def _run(command, environment):
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed: install PostgreSQL's client tools.") from None
    if result.returncode != 0:
        # pg_dump's own message: which table or connection failed (it names no row's values).
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-500:]}")


def create(url, folder, keep, now=None):
    """Write a consistent copy of the database into `folder`, named by its time; keep the last
    `keep` copies there and delete the older ones. Return the Backup."""
    kind = kind_of(url)
    if keep < 1:
        raise BackupError("Keep at least one copy.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    path = folder / f"tiers-lieu-{stamp}.{'sqlite3' if kind == 'sqlite' else 'pgdump'}"
    if path.exists():
        raise BackupError(f"{path.name} already exists: wait a second and try again.")
    partial = folder / f".{path.name}.partial"
    # Created owner-only before a byte is written: the copy never exists readable by others.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY))
    try:
        if kind == "sqlite":
            _copy_sqlite(_sqlite_path(url), partial)
        else:
            options, environment = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial), *options],
                 environment)
        os.chmod(partial, OWNER_ONLY)
        os.replace(partial, path)   # a copy is there whole, or not at all
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path=path, size=path.stat().st_size, removed=tuple(prune(folder, keep)))


def _copy_sqlite(source_path, target_path):
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path}.")
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        # All pages in one step: one read transaction, so one moment, whatever is being written.
        source.backup(target)
    finally:
        target.close()
        source.close()


def kept(folder):
    """The copies in `folder`, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((path for path in folder.iterdir() if NAME.match(path.name)), key=lambda path: path.name)


def prune(folder, keep):
    """Delete all but the last `keep` copies; return the deleted paths."""
    found = kept(folder)
    old = found[:-keep]
    for path in old:
        path.unlink()
    return old


def kind_of_file(path):
    """"sqlite" or "postgresql", from the first bytes of a copy."""
    try:
        with open(path, "rb") as copy:
            head = copy.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"There is no file at {path}.") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(POSTGRESQL_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a backup of this application (neither SQLite nor pg_dump's format).")


def is_empty(url):
    """Whether the database holds no table at all (a database just created)."""
    if kind_of(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return not inspect(connection).get_table_names()
    finally:
        engine.dispose()


def restore(path, url, replace=False):
    """Restore the copy at `path` into the database of `url`.

    The database must be empty (a new one), unless `replace`: then what it holds is replaced.
    A copy of one kind of database is refused for the other kind.
    """
    path = Path(path)
    copy_kind, target_kind = kind_of_file(path), kind_of(url)
    if copy_kind != target_kind:
        raise BackupError(f"This is a copy of a {NAMES[copy_kind]} database; the target is {NAMES[target_kind]}. "
                          "Restore it into a database of the same kind.")
    if not replace and not is_empty(url):
        raise BackupError("The target database is not empty. Restore into a new, empty database, or give "
                          "--replace to overwrite what it holds.")
    if target_kind == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        _copy_sqlite(path, target_path)
        return
    options, environment = _libpq(url)
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, *options, str(path)], environment)


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
