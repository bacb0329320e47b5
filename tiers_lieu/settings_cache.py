"""A short per-process memory of rarely changed settings rows (the centre, the booking rules).

Every page shows the centre and every booking checks the rules: reading them once every few
seconds instead of on each request saves a query per page. A change made in this process is seen
at once (the cache is emptied when such a row is flushed); other workers see it within TTL.
"""
import time
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

TTL_SECONDS = 10.0


@dataclass
class _Entry:
    value: object
    expires: float


_entries = {}
_watched = set()


def remember(name, database, load, ttl=TTL_SECONDS):
    """Return load()'s value, read again at most every `ttl` seconds; `load` must return a plain
    value (not an ORM object bound to a session)."""
    key = (name, database)
    entry = _entries.get(key)
    now = time.monotonic()
    if entry is None or entry.expires <= now:
        entry = _entries[key] = _Entry(load(), now + ttl)
    return entry.value


def forget(*names):
    """Forget these settings (all of them when no name is given), in every database."""
    for key in list(_entries):
        if not names or key[0] in names:
            _entries.pop(key, None)


def forget_when_flushed(model, name):
    """Forget the setting when a row of this model is added, changed or deleted in this process
    (once `watch_flushes` runs: the application factory calls it)."""
    _watched.add((model, name))


def watch_flushes():
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def _after_flush(session, flush_context):
    changed = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    for model, name in _watched:
        if model in changed:
            forget(name)
