"""The help sessions of each day, counted once and kept beside them for the dashboard.

A year of sessions is some 40,000 rows; reading them for every figure of the dashboard (some
eighty sums, topics, needs, places, the heat map, the monthly trend) costs SQLite over half a
second. `stats_session_day` holds, for each day, one row per answer of every closed list
(dimension, key) with its sessions, participants and minutes: a year is a few tens of thousands
of small rows that one GROUP BY folds in milliseconds. `read` (below) gives the dashboard its sums for
periods without a topic, facilitator or place filter; filtered periods, and any period whose days
do not hold as many sessions here as in `help_session`, are counted from the sessions themselves.
The figures are the same either way (tests compare them on generated data).

Keeping it up to date, in the same transaction as the sessions:
- a change of a help session or an attendee made through the ORM takes away what the session
  counted before the flush writes it, and adds what it counts at commit: the session listeners
  below, which the application factory registers (`keep_up_to_date`);
- writers that use bulk statements (the generated history) call `refresh` for their days;
- `flask stats rebuild` counts every day again.
"""
import logging
from datetime import date
from functools import cache

from sqlalchemy import (Integer, String, and_, bindparam, case, cast, event, func, insert, inspect, literal, or_,
                        select, text, union_all)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..desk.models import (AdminDomain, AgeBracket, Assistance, Attendee, Autonomy, Channel, Equipment, Gender,
                           HelpSession, Outcome, SessionKind, SessionTheme, Situation, WorkshopLevel,
                           help_session_need, help_session_topic)
from ..extensions import db
from .sql import const, hour_of, month_of_day, weekday_of

log = logging.getLogger(__name__)

NO_ANSWER = ""  # the key of "not recorded": a primary key cannot hold NULL
# The closed lists of a session, each counted per answer (here and in queries.py): (column, choices).
ENUM_DIMENSIONS = [("kind", SessionKind), ("channel", Channel), ("equipment", Equipment), ("admin_domain", AdminDomain),
                   ("assistance", Assistance), ("autonomy", Autonomy), ("outcome", Outcome),
                   ("age_bracket", AgeBracket), ("situation", Situation), ("gender", Gender),
                   ("workshop_level", WorkshopLevel)]
YES_NO_DIMENSIONS = ("equipment_own", "aidants_connect", "first_visit")
# The dimensions counted as (sessions, participants) per key, as `queries.grouped_counts` does, besides "heat".
GROUPED = ("topic", "need", "neighbourhood", "theme", "commune")
# Duration buckets of the national report: (code, lower bound included, upper bound excluded).
DURATION_BOUNDS = (("under_30", 0, 30), ("30_60", 30, 60), ("60_120", 60, 120), ("over_120", 120, None))
ADVISORY_LOCK = 0x73746174  # "stat": on PostgreSQL, counts from scratch take it alone, saves shared


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
THEME = SessionTheme.__table__
POSTAL = "postal:"  # the key of "another commune": "postal:26500"


def commune_key(none=None):
    """The key of a session's commune: the id of one of the centre's list, "postal:<code>" for
    another commune, `none` (an SQL expression; NULL by default) when neither was recorded: the
    same expression here and in queries.py."""
    other = func.coalesce(HS.c.other_postal_code, const(""))
    return case((HS.c.commune_id.isnot(None), cast(HS.c.commune_id, String)),
                (other != const(""), const(POSTAL) + other), else_=none)


def booked_condition():
    """A session is booked when it comes from a slot or names a booking (see queries.DEFINITIONS);
    one probe of the attendees' covering index (session_id, resident_id, booking_id) per session."""
    return or_(HS.c.slot_id.isnot(None),
               select(ATT.c.id).where(ATT.c.session_id == HS.c.id, ATT.c.booking_id.isnot(None)).exists())


def _yes_no(column):
    return case((column.is_(True), const("yes")), (column.is_(False), const("no")), else_=const(NO_ANSWER))


def _bucket(minutes):
    whens = [(minutes < const(upper), const(code)) for code, _, upper in DURATION_BOUNDS if upper is not None]
    return case(*whens, else_=const(DURATION_BOUNDS[-1][0]))


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
             _counts("heat", hour_of(dialect, HS.c.start_time), where, extra=[HS.c.start_time.isnot(None)]),
             _counts("topic", help_session_topic.c.topic_id, where,
                     source=help_session_topic.join(HS, HS.c.id == help_session_topic.c.session_id)),
             _counts("need", help_session_need.c.need_id, where,
                     source=help_session_need.join(HS, HS.c.id == help_session_need.c.session_id)),
             # A session counts once under each of its national themes, as under each of its topics.
             _counts("theme", THEME.c.theme, where, source=THEME.join(HS, HS.c.id == THEME.c.session_id)),
             _counts("commune", commune_key(const(NO_ANSWER)), where)]
    parts += [_counts(name, func.coalesce(HS.c[name], const(NO_ANSWER)), where) for name, _ in ENUM_DIMENSIONS]
    parts += [_counts(name, _yes_no(HS.c[name]), where) for name in YES_NO_DIMENSIONS]
    return union_all(*parts)


def refresh(connection, first=None, last=None):
    """Count again the days from `first` to `last` (all days when neither is given).

    Runs in the connection's transaction: the counts change with the sessions, or not at all.
    """
    def day_in(column):
        return and_(column >= (first or date.min), column <= (last or date.max))
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Alone: a count from scratch must not run beside another, nor beside saves adding to it
        # (each would miss what the other writes, and a day would be counted twice or not at all).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    connection.execute(DAY.delete().where(day_in(DAY.c.day)))
    counted = day_counts(dialect, [day_in(HS.c.day)])
    connection.execute(insert(DAY).from_select(
        ["day", "dimension", "key", "sessions", "participants", "minutes"], counted))


# -- keeping the counts with the sessions -------------------------------------------------------------
#
# Counts change by what a transaction changes: before a flush writes changes to sessions already
# counted, what they count now (as committed) is taken away; at commit, what the sessions touched
# count then is added. Adding and taking away commute, so two desks saving at the same moment never
# wait for each other nor lose a count, and a save costs the same however busy the day.

TAKEN_OUT = "stats_sessions_taken_out"  # ids whose committed counts are out (or new in this transaction)
TO_ADD = "stats_sessions_to_add"
TOUCHED = "stats_days_touched"


def _sessions_of(row):
    """The ids of the help sessions whose counts a changed session, attendee or theme may change."""
    state = inspect(row)
    if isinstance(row, HelpSession):
        return {state.identity[0]} if state.identity else set()
    # An attendee already written may have been expired: read its session (before the flush,
    # without flushing); a moved one also names the session it left (active history).
    ids = {row.session_id if state.has_identity else state.dict.get("session_id"),
           *(state.attrs.session_id.history.deleted or ())}
    parent = state.dict.get("session")
    if parent is not None and inspect(parent).identity:
        ids.add(inspect(parent).identity[0])
    ids.discard(None)
    return ids


@cache
def _counts_of_sessions(dialect):
    """`day_counts` of the sessions whose ids are bound as :ids, built once: a save would otherwise
    spend more on building and keying this statement of twenty parts than on running it."""
    return day_counts(dialect, [HS.c.id.in_(bindparam("ids", expanding=True))])


@cache
def _add_to_counts(dialect):
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(DAY)
    return upsert.on_conflict_do_update(
        index_elements=[DAY.c.day, DAY.c.dimension, DAY.c.key],
        set_={name: DAY.c[name] + upsert.excluded[name] for name in ("sessions", "participants", "minutes")})


def add_counts(connection, session_ids, sign):
    """Add (sign 1) or take away (sign -1) what these sessions count as the database holds them
    now; return the days touched."""
    if not session_ids:
        return set()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Shared: saves never wait for each other, only for a day being counted again (`refresh`).
        connection.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": ADVISORY_LOCK})
    rows = connection.execute(_counts_of_sessions(dialect), {"ids": sorted(session_ids)}).all()
    if not rows:
        return set()
    connection.execute(_add_to_counts(dialect), [
        {"day": day, "dimension": dimension, "key": key, "sessions": sign * sessions,
         "participants": sign * participants, "minutes": sign * minutes}
        for day, dimension, key, sessions, participants, minutes in rows])
    return {row[0] for row in rows}


def _take_out_what_changes(session, flush_context, instances):
    taken_out = session.info.setdefault(TAKEN_OUT, set())
    changing = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, (HelpSession, Attendee, SessionTheme)):
            changing |= _sessions_of(row)
    changing -= taken_out
    if changing:
        days = add_counts(session.connection(), changing, -1)
        session.info.setdefault(TOUCHED, set()).update(days)
        taken_out |= changing
        session.info.setdefault(TO_ADD, set()).update(changing)


def _remember_new_sessions(session, flush_context):
    # In after_flush the new rows have their ids, not yet their identity keys.
    new = {inspect(row).dict.get("id") for row in session.new if isinstance(row, HelpSession)} - {None}
    if new:
        session.info.setdefault(TAKEN_OUT, set()).update(new)
        session.info.setdefault(TO_ADD, set()).update(new)


def _add_what_changed(session):
    session.flush()
    to_add, touched = session.info.pop(TO_ADD, set()), session.info.pop(TOUCHED, set())
    session.info.pop(TAKEN_OUT, None)
    if not to_add:
        return
    connection = session.connection()
    add_counts(connection, to_add, 1)
    if touched:
        # A day, or an answer, left by its last session (only taking away can leave a zero).
        connection.execute(DAY.delete().where(DAY.c.day.in_(sorted(touched)), DAY.c.sessions == 0))


def _forget(session):
    for name in (TAKEN_OUT, TO_ADD, TOUCHED):
        session.info.pop(name, None)


LISTENERS = (("before_flush", _take_out_what_changes), ("after_flush", _remember_new_sessions),
             ("before_commit", _add_what_changed), ("after_rollback", _forget))


def keep_up_to_date():
    """Keep the counts in step with every change of a help session or an attendee made through
    the ORM, in its transaction; the application factory calls this once."""
    for name, listener in LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# -- reading ----------------------------------------------------------------------------------

def unfiltered(filters):
    return filters.topic_id is None and filters.facilitator_id is None and filters.location_id is None


def read(session, filters, dialect, measures, trend_span):
    """(session values, grouped counts, sessions by month), as `queries.session_values`,
    `queries.grouped_counts` and `queries.sessions_by_month` count them (`measures` are the
    former's names, `trend_span` the first and last day of the monthly trend), read from the
    per-day counts; None when some day of the
    period or of the trend does not hold there as many sessions as in help_session (a change
    that went round the ORM), so that the figures are counted from the sessions themselves.

    Two statements: the sessions per day on both sides, then every sum in one UNION ALL.
    """
    trend_start, trend_end = trend_span
    first, last = min(filters.start, trend_start), max(filters.end, trend_end)
    check = union_all(
        select(literal("sessions"), HS.c.day, func.count()).where(HS.c.day >= first, HS.c.day <= last)
        .group_by(HS.c.day),
        select(literal("counted"), DAY.c.day, DAY.c.sessions)
        .where(DAY.c.dimension == const("total"), DAY.c.day >= first, DAY.c.day <= last))
    per_day = {"sessions": {}, "counted": {}}
    for side, day, sessions in session.execute(check):
        per_day[side][day] = int(sessions)
    if per_day["sessions"] != per_day["counted"]:
        stale = sum(1 for day in per_day["sessions"].keys() | per_day["counted"].keys()
                    if per_day["sessions"].get(day) != per_day["counted"].get(day))
        log.warning("statistics: the per-day counts of %d days are out of date; run `flask stats rebuild`", stale)
        return None

    in_period = and_(DAY.c.day >= filters.start, DAY.c.day <= filters.end)
    sums = (func.sum(DAY.c.sessions), func.sum(DAY.c.participants), func.sum(DAY.c.minutes))
    heat = cast(weekday_of(dialect, DAY.c.day) * const(100) + cast(DAY.c.key, Integer), String)
    month = month_of_day(dialect, DAY.c.day)
    rows = session.execute(union_all(
        select(DAY.c.dimension, DAY.c.key, *sums).where(in_period, DAY.c.dimension != const("heat"))
        .group_by(DAY.c.dimension, DAY.c.key),
        select(literal("heat"), heat, *sums).where(in_period, DAY.c.dimension == const("heat")).group_by(heat),
        select(literal("month"), month, *sums)
        .where(DAY.c.dimension == const("total"), DAY.c.day >= trend_start, DAY.c.day <= trend_end)
        .group_by(month)))

    values = dict.fromkeys(measures, 0)
    groups = {dimension: {} for dimension in (*GROUPED, "heat")}
    months = {}
    for dimension, key, sessions, people, minutes in rows:
        sessions, people, minutes = int(sessions), int(people), int(minutes)
        if dimension == "total":
            values.update(sessions=sessions, participants=people, minutes=minutes)
        elif dimension == "month":
            months[key] = (sessions, people, minutes)
        elif dimension == "heat":
            code = int(float(key))
            groups["heat"][(code // 100, code % 100)] = people
        elif dimension in GROUPED:
            groups[dimension][key or None] = (sessions, people)
        elif dimension == "first_visit":
            if key in ("yes", "no"):
                values["fv_new" if key == "yes" else "fv_returning"] = people
        elif dimension == "access":
            if key == "yes":
                values["access:booked"] = people
        elif dimension == "bucket":
            values[f"bucket_sessions:{key}"], values[f"bucket_minutes:{key}"] = sessions, minutes
        elif key:  # the closed lists; "not recorded" is what the answers leave (session_aggregates)
            if dimension == "kind":
                values[f"kind_sessions:{key}"] = sessions
            if f"{dimension}:{key}" in values:
                values[f"{dimension}:{key}"] = people
    return values, groups, months
