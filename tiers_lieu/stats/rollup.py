"""The help sessions of each day, counted once and kept beside them for the dashboard.

A year of sessions is some 40,000 rows; reading them for every figure of the dashboard (some
eighty sums, topics, needs, places, the heat map, the monthly trend) costs SQLite over half a
second. `stats_session_day` holds, for each day, one row per answer of every closed list
(dimension, key) with its sessions, participants and minutes: a year is a few tens of thousands
of small rows that one GROUP BY folds in milliseconds. The queries in `queries.py` read it for
periods without a topic, facilitator or place filter; filtered periods, and any period whose days
do not hold as many sessions here as in `help_session`, are counted from the sessions themselves.
The figures are the same either way (tests compare them on generated data).

Keeping it up to date:
- every change of a help session or an attendee made through the ORM marks its day, and the
  days marked are counted again in the same transaction, just before it commits;
- writers that use bulk statements (the generated history) call `refresh` themselves;
- `flask stats rebuild` counts every day again.
"""
from datetime import date

from sqlalchemy import (String, and_, case, cast, event, func, insert, inspect, literal, or_, select, text, true,
                        union_all)
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..desk.models import Attendee, HelpSession, help_session_need, help_session_topic
from ..extensions import db

NO_ANSWER = ""  # the key of "not recorded": a primary key cannot hold NULL
# (dimension, column) of the closed lists counted per answer; `kind` also counts its sessions.
TEXT_DIMENSIONS = ("kind", "channel", "equipment", "admin_domain", "assistance", "autonomy", "outcome",
                   "age_bracket", "situation")
YES_NO_DIMENSIONS = ("equipment_own", "aidants_connect", "first_visit")
DURATION_BUCKETS = (("under_30", 30), ("30_60", 60), ("60_120", 120), ("over_120", None))
ADVISORY_LOCK = 0x73746174  # "stat": PostgreSQL serialises the refreshes on this key


class SessionDayCount(db.Model):
    """How many sessions, participants and minutes of one day gave one answer to one question."""

    __tablename__ = "stats_session_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    sessions: Mapped[int] = mapped_column(default=0)
    participants: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)


DAY = SessionDayCount.__table__
HS = HelpSession.__table__
ATT = Attendee.__table__


def const(value):
    """A constant written into the SQL rather than bound. PostgreSQL matches a grouped expression
    with the same expression in the select list only when their constants are the same text, and
    SQLite compares a column with a bound parameter inside CASE about eight times slower."""
    return literal(value, literal_execute=True)


def booked_condition():
    """A session is booked when it comes from a slot or names a booking (see queries.DEFINITIONS);
    one probe of the attendees' covering index (session_id, resident_id, booking_id) per session."""
    return or_(HS.c.slot_id.isnot(None),
               select(ATT.c.id).where(ATT.c.session_id == HS.c.id, ATT.c.booking_id.isnot(None)).exists())


def hour_text(dialect, clock):
    """"09" for a session started at 9:30."""
    if dialect == "postgresql":
        return func.to_char(clock, const("HH24"))
    return func.substr(clock, const(1), const(2))


def _yes_no(column):
    return case((column.is_(True), const("yes")), (column.is_(False), const("no")), else_=const(NO_ANSWER))


def _bucket(minutes):
    whens = [(minutes < const(upper), const(code)) for code, upper in DURATION_BUCKETS if upper is not None]
    return case(*whens, else_=const(DURATION_BUCKETS[-1][0]))


def _counts(dimension, key, where, source=HS, extra=()):
    """The part of `day_counts` for one dimension; a key of None counts the day's sessions."""
    people, minutes = HS.c.participant_count, HS.c.duration_minutes
    grouped = (HS.c.day,) if key is None else (HS.c.day, key)
    return (select(HS.c.day, literal(dimension, String), cast(const(NO_ANSWER) if key is None else key, String),
                   func.count(), func.sum(people), func.sum(minutes))
            .select_from(source).where(*where, *extra).group_by(*grouped))


def day_counts(dialect, where):
    """SELECT (day, dimension, key, sessions, participants, minutes) for the sessions matching `where`."""
    parts = [_counts("total", None, where),
             _counts("access", case((booked_condition(), const("yes")), else_=const("no")), where),
             _counts("bucket", _bucket(HS.c.duration_minutes), where),
             _counts("referral_target_id", func.coalesce(cast(HS.c.referral_target_id, String), const(NO_ANSWER)),
                     where),
             _counts("neighbourhood", func.coalesce(func.nullif(HS.c.neighbourhood, const("")), const(NO_ANSWER)),
                     where),
             _counts("heat", hour_text(dialect, HS.c.start_time), where, extra=[HS.c.start_time.isnot(None)]),
             _counts("topic", help_session_topic.c.topic_id, where,
                     source=help_session_topic.join(HS, HS.c.id == help_session_topic.c.session_id)),
             _counts("need", help_session_need.c.need_id, where,
                     source=help_session_need.join(HS, HS.c.id == help_session_need.c.session_id))]
    parts += [_counts(name, func.coalesce(HS.c[name], const(NO_ANSWER)), where) for name in TEXT_DIMENSIONS]
    parts += [_counts(name, _yes_no(HS.c[name]), where) for name in YES_NO_DIMENSIONS]
    return union_all(*parts)


def refresh(connection, days=None, first=None, last=None):
    """Count again the given days (an iterable of dates), or those from `first` to `last`, or all.

    Runs in the connection's transaction: the counts change with the sessions, or not at all.
    """
    if days is not None:
        days = sorted(set(days))
        if not days:
            return
        day_in = (lambda column: column.in_(days))
    elif first is not None or last is not None:
        day_in = (lambda column: and_(column >= (first or date.min), column <= (last or date.max)))
    else:
        day_in = (lambda column: true())
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Two transactions counting the same day again would each delete what they see and insert
        # their count, and the day would be counted twice.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    connection.execute(DAY.delete().where(day_in(DAY.c.day)))
    counted = day_counts(dialect, [day_in(HS.c.day)])
    connection.execute(insert(DAY).from_select(
        ["day", "dimension", "key", "sessions", "participants", "minutes"], counted))


# -- keeping the counts with the sessions -------------------------------------------------------------

DAYS, SESSION_IDS = "stats_days_to_count", "stats_sessions_to_count"


@event.listens_for(Session, "after_flush")
def _mark_days(session, flush_context):
    """Remember the days whose sessions or attendees this flush changed (state is still pre-flush)."""
    days, session_ids = session.info.setdefault(DAYS, set()), session.info.setdefault(SESSION_IDS, set())
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, (HelpSession, Attendee)):
            # Read from the instance's state, never loaded: a row deleted in this flush is gone.
            state = inspect(row)
            marked, name = (days, "day") if isinstance(row, HelpSession) else (session_ids, "session_id")
            marked.add(state.dict.get(name))
            marked.update(state.attrs[name].history.deleted or ())
    days.discard(None)
    session_ids.discard(None)


@event.listens_for(Session, "before_commit")
def _count_marked_days(session):
    session.flush()
    days, session_ids = session.info.pop(DAYS, set()), session.info.pop(SESSION_IDS, set())
    if not days and not session_ids:
        return
    connection = session.connection()
    if session_ids:
        days.update(connection.execute(select(HS.c.day).where(HS.c.id.in_(sorted(session_ids)))).scalars())
    refresh(connection, days=days)


@event.listens_for(Session, "after_rollback")
def _forget_marked_days(session):
    session.info.pop(DAYS, None)
    session.info.pop(SESSION_IDS, None)


def mark_days(session, days):
    """For a bulk statement that changed sessions of these days: count them again at commit."""
    session.info.setdefault(DAYS, set()).update(days)
