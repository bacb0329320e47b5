"""Database plumbing shared by every domain: SQLite connection settings, UTC timestamps and
one-row INSERTs without the unit of work."""
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cache

from sqlalchemy import DateTime, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.types import TypeDecorator


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC, always handed back time-zone aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is expected")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


@cache
def insert_into(table):
    return insert(table)


def insert_now(session, model, **values):
    """INSERT one row of the model at once, in the session's transaction, and return it as the
    session's object for that row (the model's primary key is `id`).

    Quicker than `session.add()` and a flush on the busiest writes (a booking and its message):
    the unit of work costs more than the INSERT itself. Columns left out get their defaults in the
    row, and are read back only if the object is asked for them.
    """
    [row_id] = session.execute(insert_into(model.__table__), values).inserted_primary_key
    row = model(id=row_id, **values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def _configure_sqlite(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        # WAL lets readers and one writer work side by side (several gunicorn workers);
        # the busy timeout makes a second writer wait instead of failing at once.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # The statistics read a year of sessions at once: 64 MiB of page cache instead of 2 keeps
        # it in memory (it is only allocated as pages are read).
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA temp_store=MEMORY")
        # An erased or purged value is overwritten on disk, not left in a free page of the file
        # where a copy of it could still read it (privacy/).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def init_app(app):
    if not event.contains(Engine, "connect", _configure_sqlite):
        event.listen(Engine, "connect", _configure_sqlite)


@contextmanager
def sqlite_foreign_keys_off(bind):
    """For a migration that rebuilds a table others reference: SQLite's own procedure
    (sqlite.org/lang_altertable.html, "other kinds of table schema changes").

    Alembic's batch mode copies such a table into a new one and drops the old; with foreign keys on,
    the drop deletes or empties what refers to it (a topic's sessions' topics, a session's attendees,
    a booking's resident). The pragma only changes outside a transaction, so what the migration did
    before is committed first; SQLite's DDL is not transactional here anyway (see alembic's sqlite
    impl). On PostgreSQL, which alters tables in place, it does nothing."""
    if bind.dialect.name != "sqlite":
        yield
        return
    raw = bind.connection.driver_connection
    raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
        raw.commit()
    finally:
        if raw.in_transaction:
            raw.rollback()
        raw.execute("PRAGMA foreign_keys=ON")
