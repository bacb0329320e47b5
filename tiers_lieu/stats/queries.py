"""The one query layer of the statistics: the dashboard, the report and the exports all call it.

`figures(session, filters, tz)` answers with a `Figures`: headline numbers and sections of tables,
every value aggregated in SQL (GROUP BY, COUNT, SUM) in a fixed number of statements whatever the
period. Medians and 90th percentiles are read from at most four rows picked by a window query.
What is counted per help session is read from its per-day counts (`rollup.py`) when the period
has no filter, and from the sessions themselves otherwise: both give the same numbers.

How figures are counted (also shown on the dashboard, see `DEFINITIONS`):
- a help session is one logged row; a workshop is one session with `participant_count` people, and
  every people-figure counts one per participant;
- people helped = distinct residents named in the period's sessions + participants not linked to a
  resident (each counted once per session, since nobody can tell them apart);
- a named resident is new when their first session ever at the centre falls in the period; other
  participants are new or returning according to the session's "first visit" answer;
- a session is booked when it comes from a slot or names a booking, otherwise a walk-in;
- bookings and slots belong to the period of their slot's start; no-show rate = no-shows / (seen +
  no-shows); cancellation rate = cancelled (by anyone) / all bookings; occupancy = seats booked
  (bookings not cancelled) / seats offered on slots not cancelled;
- waiting time = ticket called − ticket issued, for the period's tickets that were called;
- call-back requests belong to the period they were received in; their wait = handled − received;
- autonomy evolution compares, for residents with at least two sessions recording autonomy in the
  period, the level of their first and of their last one.
"""
import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (BigInteger, Integer, String, and_, case, cast, exists, func, literal, or_, select, text,
                        union_all)

from ..accounts.models import User
from ..booking.models import CANCELLED, Booking, BookingStatus, CallbackRequest, Location, Slot, Topic, slot_topic
from ..desk.models import (AdminDomain, AgeBracket, Assistance, Attendee, Autonomy, Channel, Equipment,
                           HelpSession, Need, Outcome, QueueTicket, ReferralTarget, SessionKind, Situation,
                           TicketStatus, help_session_need, help_session_topic)
from . import indexes  # noqa: F401  (the indexes these queries rely on)
from . import rollup
from .rollup import DAY, DURATION_BOUNDS, ENUM_DIMENSIONS, const, hour_of

log = logging.getLogger(__name__)

HS = HelpSession.__table__
ATT = Attendee.__table__
BK = Booking.__table__
SL = Slot.__table__
TK = QueueTicket.__table__
CB = CallbackRequest.__table__

# Duration buckets of the national report: (code, label, lower bound included, upper bound excluded).
DURATION_LABELS = {"under_30": _l("Under 30 min"), "30_60": _l("30 min to 1 h"), "60_120": _l("1 h to 2 h"),
                   "over_120": _l("2 h and more")}
DURATION_BUCKETS = [(code, DURATION_LABELS[code], lower, upper) for code, lower, upper in DURATION_BOUNDS]
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]
NOT_RECORDED = _l("Not recorded")
TREND_MONTHS = 12

DEFINITIONS = [
    _l("A help session is one logged session; a workshop is one session with several participants, "
       "and every figure about people counts one per participant."),
    _l("People helped: the distinct residents named in the sessions, plus the participants not linked "
       "to a resident, counted once per session."),
    _l("New or returning: a named resident is new when their first session ever at the centre falls in "
       "the period; for the others, the session's “first visit” answer decides."),
    _l("Booked: a session that comes from a slot or names a booking; the others are walk-ins."),
    _l("Bookings and slots count in the period of the slot. No-show rate: no-shows out of seen plus "
       "no-shows. Cancellation rate: cancelled bookings (by the resident or the centre) out of all "
       "bookings. Occupancy: seats booked (bookings not cancelled) out of seats offered on slots that "
       "were not cancelled."),
    _l("Waiting time at the desk: from the ticket being taken to its call, for tickets that were called."),
    _l("Call-back requests count in the period they were received; their wait runs until a member of "
       "staff handled them."),
    _l("Time spent: the length of each session, once per session, workshops included."),
    _l("Sessions with several topics count under each of them; sessions without an answer to a "
       "question count as “Not recorded”."),
    _l("Autonomy evolution: residents with at least two sessions recording their autonomy in the "
       "period, their first level compared with their last."),
]


# -- filters and results ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # included
    topic_id: Optional[int] = None
    facilitator_id: Optional[int] = None
    location_id: Optional[int] = None


@dataclass
class Table:
    """One table of figures: the dashboard shows it, the charts draw it, the exports write it."""

    key: str
    title: str
    columns: list  # labels: the first names the rows, the others the measures
    rows: list  # [(label, value, …)]
    chart: Optional[str] = None  # "bar", "heat", "trend" or None
    percent_columns: tuple = ()  # indexes of columns holding percentages
    label_columns: int = 1  # how many columns at the start of a row name it

    @property
    def has_data(self):
        return any(value for row in self.rows for value in row[self.label_columns:]
                   if isinstance(value, (int, float)))


@dataclass
class Section:
    key: str
    title: str
    tables: list = field(default_factory=list)
    # The XLSX sheet's name when the title is longer than Excel's 31 characters in a language.
    sheet_name: str = None


@dataclass
class Figures:
    filters: Filters
    headline: list  # [(key, label, value, kind)], kind: "count", "percent", "minutes", "hours"
    sections: list
    empty: bool

    def headline_value(self, key):
        return next(value for k, _, value, _ in self.headline if k == key)

    def table(self, key):
        return next(table for section in self.sections for table in section.tables if table.key == key)


def ratio(part, whole):
    """part / whole as a percentage rounded to 0.1, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 1) if whole else None


# -- dialect helpers --------------------------------------------------------------------------------

def _dialect(session):
    return session.get_bind().dialect.name


def seconds_between(dialect, start, end):
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def weekday_of(dialect, day):
    """0 = Monday … 6 = Sunday, of a date column."""
    if dialect == "postgresql":
        return cast(func.extract("isodow", day), Integer) - 1
    return (cast(func.strftime("%w", day), Integer) + 6) % 7


def month_of_day(dialect, day):
    if dialect == "postgresql":
        return func.to_char(day, "YYYY-MM")
    # SQLite keeps dates as ISO text: the first seven characters are the month, read without
    # parsing the date as strftime would (a third of a trend query's time).
    return func.substr(day, const(1), const(7))


def month_of_instant(dialect, instant, tz):
    """The local month of a UTC instant (on SQLite the UTC month: the centre never opens at midnight)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(str(tz), instant), "YYYY-MM")
    return func.substr(instant, const(1), const(7))


def day_number(dialect, day):
    """An integer that orders dates like the dates themselves: 20261201 for 1 December 2026."""
    if dialect == "postgresql":
        return cast(func.to_char(day, "YYYYMMDD"), BigInteger)
    return cast(func.replace(day, const("-"), const("")), BigInteger)


def instant_bounds(start, end, tz):
    """The UTC instants of a local date range's first moment and of the moment after its last day."""
    first = datetime.combine(start, time(0), tz)
    after = datetime.combine(end + timedelta(days=1), time(0), tz)
    return first, after


def percentiles(session, values, ks=(50, 90)):
    """{k: the k-th percentile (linear interpolation)} of a one-column select, reading ≤ 2·len(ks) rows.

    `values` is a select of one labelled column "v" (None values are left out). Returns
    ({k: value or None}, number of values).
    """
    inner = values.subquery()
    ranked = select(inner.c.v, func.row_number().over(order_by=inner.c.v).label("rn"),
                    func.count().over().label("n")).where(inner.c.v.isnot(None)).subquery()
    # rn − 1 lies between floor and ceil of k·(n − 1)/100: integer comparisons work the same everywhere.
    near = [and_(100 * (ranked.c.rn - 2) < k * (ranked.c.n - 1), k * (ranked.c.n - 1) < 100 * ranked.c.rn)
            for k in ks]
    rows = session.execute(select(ranked.c.v, ranked.c.rn, ranked.c.n).where(or_(*near))).all()
    if not rows:
        return {k: None for k in ks}, 0
    count = rows[0].n
    by_rank = {row.rn: float(row.v) for row in rows}
    result = {}
    for k in ks:
        position = k * (count - 1) / 100
        low = math.floor(position)
        low_value, high_value = by_rank[low + 1], by_rank.get(low + 2, by_rank[low + 1])
        result[k] = low_value + (high_value - low_value) * (position - low)
    return result, count


# -- the help sessions of the period ----------------------------------------------------------------

def session_conditions(filters, start=None, end=None):
    conditions = [HS.c.day >= (start or filters.start), HS.c.day <= (end or filters.end)]
    if filters.topic_id is not None:
        chosen = help_session_topic.alias("chosen_topic")  # never correlated with a join on the topics
        conditions.append(exists().where(chosen.c.session_id == HS.c.id, chosen.c.topic_id == filters.topic_id))
    if filters.facilitator_id is not None:
        conditions.append(HS.c.facilitator_id == filters.facilitator_id)
    if filters.location_id is not None:
        conditions.append(HS.c.location_id == filters.location_id)
    return conditions



def _sum_when(condition, value):
    """The sum of `value` over the rows meeting `condition` (0 when none does). Written with
    FILTER, which both databases skip rows with, rather than SUM(CASE …), which evaluates a CASE
    per row: over a year of sessions and some eighty such sums, 40 % faster on SQLite."""
    if isinstance(value, int) and value == 1:
        return func.count().filter(condition)
    return func.coalesce(func.sum(value).filter(condition), const(0))


def measure_columns(labels):
    """{measure: its SQL sum over help sessions}: "sessions", "participants", "minutes",
    "fv_new", "fv_returning" and "dimension:answer" (participants, or sessions for
    "kind_sessions:" and "bucket_sessions:", minutes for "bucket_minutes:")."""
    people, minutes = HS.c.participant_count, HS.c.duration_minutes
    columns = {
        "sessions": func.count(), "participants": func.coalesce(func.sum(people), 0),
        "minutes": func.coalesce(func.sum(minutes), 0),
        "fv_new": _sum_when(HS.c.first_visit.is_(True), people),
        "fv_returning": _sum_when(HS.c.first_visit.is_(False), people),
        "access:booked": _sum_when(rollup.booked_condition(), people),
    }
    for name, choice in ENUM_DIMENSIONS:
        column = HS.c[name]
        for member in choice:
            columns[f"{name}:{member.value}"] = _sum_when(column == const(member.value), people)
    for member in SessionKind:
        columns[f"kind_sessions:{member.value}"] = _sum_when(HS.c.kind == const(member.value), 1)
    for name in ("equipment_own", "aidants_connect"):
        columns[f"{name}:yes"] = _sum_when(HS.c[name].is_(True), people)
        columns[f"{name}:no"] = _sum_when(HS.c[name].is_(False), people)
    for key in labels.referrals:
        columns[f"referral_target_id:{key}"] = _sum_when(HS.c.referral_target_id == const(int(key)), people)
    for code, _label, lower, upper in DURATION_BUCKETS:
        inside = minutes >= const(lower) if upper is None else and_(minutes >= const(lower), minutes < const(upper))
        columns[f"bucket_sessions:{code}"] = _sum_when(inside, 1)
        columns[f"bucket_minutes:{code}"] = _sum_when(inside, minutes)
    return columns


def session_values(session, filters, labels):
    """Every measure of `measure_columns` over the period's sessions, in one pass over them."""
    columns = measure_columns(labels)
    names = list(columns)
    row = session.execute(select(*[columns[name].label(f"c{n}") for n, name in enumerate(names)])
                          .where(*session_conditions(filters))).one()
    return {name: int(value or 0) for name, value in zip(names, row)}


def session_aggregates(values, attendees):
    """(totals, {dimension: {answer: participants}}) from `session_values` (or the roll-up's) and
    what `attendee_figures` counted over the same sessions; an answer of None counts the
    participants without one: what the answers leave of all participants."""
    values = dict(values)
    for name, answers in [*((name, [m.value for m in choice]) for name, choice in ENUM_DIMENSIONS),
                          ("equipment_own", ["yes", "no"]), ("aidants_connect", ["yes", "no"])]:
        values[f"{name}:"] = values["participants"] - sum(values.get(f"{name}:{answer}", 0) for answer in answers)
    values.update((key, attendees[key]) for key in ("named", "residents_named", "residents_fv_new",
                                                     "residents_fv_returning"))
    totals = {key: values[key] for key in ("sessions", "participants", "minutes", "named")}
    totals["others"] = values["participants"] - values["residents_named"]
    totals["others_new"] = values["fv_new"] - values["residents_fv_new"]
    totals["others_returning"] = values["fv_returning"] - values["residents_fv_returning"]
    dims = {}
    for name, value in values.items():
        if ":" in name:
            dimension, key = name.split(":", 1)
            dims.setdefault(dimension, {})[key or None] = value
    dims["access"]["walk_in"] = values["participants"] - values["access:booked"]
    return totals, dims


def grouped_counts(session, filters, dialect):
    """Participants by topic, need, neighbourhood, and weekday × hour: one UNION ALL statement."""
    conditions = session_conditions(filters)
    people = HS.c.participant_count
    parts = []
    for name, link, link_column in (("topic", help_session_topic, help_session_topic.c.topic_id),
                                    ("need", help_session_need, help_session_need.c.need_id)):
        key = cast(link_column, String)
        parts.append(select(literal(name).label("dimension"), key.label("key"), func.count().label("sessions"),
                            func.sum(people).label("people"))
                     .select_from(link.join(HS, HS.c.id == link.c.session_id)).where(*conditions).group_by(key))
    key = func.nullif(HS.c.neighbourhood, const(""))  # a blank is "not recorded", as in the roll-up
    parts.append(select(literal("neighbourhood").label("dimension"), key.label("key"), func.count(),
                        func.sum(people)).where(*conditions).group_by(key))
    key = cast(weekday_of(dialect, HS.c.day) * 100 + hour_of(dialect, HS.c.start_time), String)
    parts.append(select(literal("heat").label("dimension"), key.label("key"), func.count(), func.sum(people))
                 .where(HS.c.start_time.isnot(None), *conditions).group_by(key))
    result = {"topic": {}, "need": {}, "neighbourhood": {}, "heat": {}}
    for dimension, key, sessions, total in session.execute(union_all(*parts)):
        if dimension == "heat":
            code = int(float(key))
            result["heat"][(code // 100, code % 100)] = int(total)
        else:
            result[dimension][key] = (int(sessions), int(total or 0))
    return result


def attendee_figures(session, filters, dialect):
    """Named attendees, distinct residents (and the new ones), autonomy moves: one statement.

    The inner query groups the period's named attendees by resident (all attendees without a
    resident fall in one group); for each resident the smallest and the largest key
    day · 10¹¹ + session id · 10 + level of their sessions recording autonomy name their first
    and last level (the id orders sessions of the same day; integers, since building and
    comparing text keys took a third of the statement's time). The outer query folds that into
    at most a few dozen rows: (first level, last level, is a resident, is new) with their counts.
    """
    conditions = session_conditions(filters)
    levels = list(Autonomy)
    level = case(*((HS.c.autonomy == const(member.value), const(n)) for n, member in enumerate(levels, 1)),
                 else_=None)
    key = day_number(dialect, HS.c.day) * const(10 ** 11) + HS.c.id * const(10) + level  # NULL without a level
    per_resident = (select(
        ATT.c.resident_id.label("resident_id"), func.count().label("rows"),
        _sum_when(HS.c.first_visit.is_(True), 1).label("fv_new"),
        _sum_when(HS.c.first_visit.is_(False), 1).label("fv_returning"),
        func.count(HS.c.autonomy).label("levels"), func.min(key).label("first_key"),
        func.max(key).label("last_key"))
        .select_from(ATT.join(HS, HS.c.id == ATT.c.session_id)).where(*conditions)
        .group_by(ATT.c.resident_id).subquery())
    earlier_att, earlier_hs = ATT.alias("earlier_attendee"), HS.alias("earlier_session")
    came_before = exists().where(earlier_att.c.resident_id == per_resident.c.resident_id,
                                 earlier_hs.c.id == earlier_att.c.session_id, earlier_hs.c.day < filters.start)
    followed = and_(per_resident.c.resident_id.isnot(None), per_resident.c.levels >= 2)
    first = case((followed, per_resident.c.first_key % const(10)), else_=None).label("first_level")
    last = case((followed, per_resident.c.last_key % const(10)), else_=None).label("last_level")
    is_resident = case((per_resident.c.resident_id.isnot(None), 1), else_=0).label("is_resident")
    is_new = case((per_resident.c.resident_id.is_(None), 0), (came_before, 0), else_=1).label("is_new")
    rows = session.execute(select(first, last, is_resident, is_new, func.count(), func.sum(per_resident.c.rows),
                                  func.sum(per_resident.c.fv_new), func.sum(per_resident.c.fv_returning))
                           .group_by(first, last, is_resident, is_new)).all()
    result = {"named": 0, "residents_named": 0, "residents_fv_new": 0, "residents_fv_returning": 0,
              "residents": 0, "new_residents": 0, "moves": {}}
    for first_level, last_level, resident, new, people, attendee_rows, fv_new, fv_returning in rows:
        result["named"] += int(attendee_rows)
        if not resident:
            continue
        result["residents_named"] += int(attendee_rows)
        result["residents_fv_new"] += int(fv_new)
        result["residents_fv_returning"] += int(fv_returning)
        result["residents"] += int(people)
        result["new_residents"] += int(people) if new else 0
        if first_level is not None:
            pair = (levels[int(first_level) - 1].value, levels[int(last_level) - 1].value)
            result["moves"][pair] = result["moves"].get(pair, 0) + int(people)
    return result


# -- bookings, slots, tickets, call-backs -----------------------------------------------------------

def booking_figures(session, filters, tz, dialect, months):
    """Bookings of the period by status, its seats booked, and the bookings of the trend's months.

    One statement over the span covering both the period and the 12 trend months (they end
    together), grouped by month, status, whether the slot was cancelled and whether it lies in the
    period. Returns (statuses, seats booked, {month: {status: count}}).
    """
    first, after = instant_bounds(filters.start, filters.end, tz)
    span_first, _ = instant_bounds(min(filters.start, date.fromisoformat(months[0] + "-01")), filters.end, tz)
    _, span_after = instant_bounds(filters.start, month_end(filters.end), tz)
    month = month_of_instant(dialect, SL.c.starts_at, tz)
    in_period = case((and_(SL.c.starts_at >= first, SL.c.starts_at < after), 1), else_=0)
    query = (select(month, BK.c.status, SL.c.cancelled, in_period, func.count())
             .join(SL, SL.c.id == BK.c.slot_id)
             .where(SL.c.starts_at >= span_first, SL.c.starts_at < span_after)
             .group_by(month, BK.c.status, SL.c.cancelled, in_period))
    statuses, seats_booked, monthly = {}, 0, {}
    for key, status, slot_cancelled, counted, count in session.execute(_booking_filters(query, filters)):
        by_month = monthly.setdefault(key, {})
        by_month[status] = by_month.get(status, 0) + count
        if counted:
            statuses[status] = statuses.get(status, 0) + count
            if not slot_cancelled and status not in CANCELLED:
                seats_booked += count
    return statuses, seats_booked, monthly


def month_end(day):
    following = day.replace(day=1) + timedelta(days=32)
    return following.replace(day=1) - timedelta(days=1)


def _booking_filters(query, filters):
    if filters.topic_id is not None:
        query = query.where(BK.c.topic_id == filters.topic_id)
    if filters.facilitator_id is not None:
        query = query.where(SL.c.facilitator_id == filters.facilitator_id)
    if filters.location_id is not None:
        query = query.where(SL.c.location_id == filters.location_id)
    return query


def _slot_filters(query, filters):
    if filters.topic_id is not None:
        query = query.where(exists().where(slot_topic.c.slot_id == SL.c.id,
                                           slot_topic.c.topic_id == filters.topic_id))
    if filters.facilitator_id is not None:
        query = query.where(SL.c.facilitator_id == filters.facilitator_id)
    if filters.location_id is not None:
        query = query.where(SL.c.location_id == filters.location_id)
    return query


def slot_offer(session, filters, tz, dialect):
    first, after = instant_bounds(filters.start, filters.end, tz)
    query = _slot_filters(select(
        func.count(), func.coalesce(func.sum(SL.c.capacity), 0),
        func.coalesce(func.sum(seconds_between(dialect, SL.c.starts_at, SL.c.ends_at)), 0),
    ).where(SL.c.starts_at >= first, SL.c.starts_at < after, SL.c.cancelled.is_(False)), filters)
    slots, seats, seconds = session.execute(query).one()
    return int(slots), int(seats), round(float(seconds) / 3600, 1)


def _ticket_filters(query, filters, start=None, end=None):
    query = query.where(TK.c.day >= (start or filters.start), TK.c.day <= (end or filters.end))
    if filters.topic_id is not None:
        query = query.where(TK.c.topic_id == filters.topic_id)
    if filters.facilitator_id is not None:
        query = query.where(TK.c.called_by_id == filters.facilitator_id)
    return query


def ticket_figures(session, filters, dialect):
    statuses = dict(session.execute(_ticket_filters(select(TK.c.status, func.count()), filters)
                                    .group_by(TK.c.status)).all())
    wait = seconds_between(dialect, TK.c.issued_at, TK.c.called_at) / 60.0
    waits, called = percentiles(session, _ticket_filters(select(wait.label("v")), filters)
                                .where(TK.c.called_at.isnot(None)))
    return statuses, waits, called


def _callback_filters(query, filters, tz, start=None, end=None):
    first, after = instant_bounds(start or filters.start, end or filters.end, tz)
    query = query.where(CB.c.created_at >= first, CB.c.created_at < after)
    if filters.topic_id is not None:
        query = query.where(CB.c.topic_id == filters.topic_id)
    if filters.facilitator_id is not None:
        query = query.where(CB.c.handled_by_id == filters.facilitator_id)
    return query


def callback_figures(session, filters, tz, dialect):
    received = session.execute(_callback_filters(select(func.count()), filters, tz)).scalar_one()
    wait = seconds_between(dialect, CB.c.created_at, CB.c.handled_at) / 3600.0
    waits, handled = percentiles(session, _callback_filters(select(wait.label("v")), filters, tz)
                                 .where(CB.c.handled_at.isnot(None)))
    return int(received), handled, waits


# -- trends -----------------------------------------------------------------------------------------

def trend_months(end):
    """The 12 months ending with the month of `end`, as "YYYY-MM" keys, oldest first."""
    year, month = end.year, end.month
    keys = []
    for _ in range(TREND_MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def trend_span(filters):
    """The first and last days of the 12 months ending with the period's last month."""
    return date.fromisoformat(trend_months(filters.end)[0] + "-01"), month_end(filters.end)


def sessions_by_month(session, filters, dialect):
    """{month: (sessions, participants, minutes)} over the trend's months."""
    start, end = trend_span(filters)
    month = month_of_day(dialect, HS.c.day)
    query = (select(month, func.count(), func.sum(HS.c.participant_count), func.sum(HS.c.duration_minutes))
             .where(*session_conditions(filters, start, end)).group_by(month))
    return {key: (int(sessions), int(people), int(minutes)) for key, sessions, people, minutes in session.execute(query)}


def trends(session, filters, tz, dialect, session_months, bookings_by_month):
    """{month: {measure: value}} over the 12 months ending with the period's last month."""
    months = trend_months(filters.end)
    start, end = trend_span(filters)
    data = {month: {} for month in months}

    for key, (sessions, people, minutes) in session_months.items():
        if key in data:
            data[key].update(sessions=sessions, people=people, hours=round(minutes / 60, 1))

    for key, statuses in bookings_by_month.items():
        if key in data:
            for status, count in statuses.items():
                measure = "cancelled" if status in CANCELLED else status
                data[key][measure] = data[key].get(measure, 0) + int(count)

    month = month_of_day(dialect, TK.c.day)
    for key, count in session.execute(_ticket_filters(select(month, func.count()), filters, start, end)
                                      .group_by(month)):
        if key in data:
            data[key]["tickets"] = int(count)

    month = month_of_instant(dialect, CB.c.created_at, tz)
    for key, count in session.execute(_callback_filters(select(month, func.count()), filters, tz, start, end)
                                      .group_by(month)):
        if key in data:
            data[key]["callbacks"] = int(count)
    return data


# -- the per-day counts of the sessions (rollup.py) ------------------------------------------------

def unfiltered(filters):
    return filters.topic_id is None and filters.facilitator_id is None and filters.location_id is None


def rolled_up(session, filters, dialect, labels):
    """(session values, grouped counts, sessions by month), as `session_values`, `grouped_counts`
    and `sessions_by_month` count them, read from the per-day counts; None when some day of the
    period or of the trend does not hold there as many sessions as in help_session (a change
    that went round the ORM), so that the figures are counted from the sessions themselves.

    Two statements: the sessions per day on both sides, then every sum in one UNION ALL.
    """
    trend_start, trend_end = trend_span(filters)
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

    values = dict.fromkeys(measure_columns(labels), 0)
    groups = {"topic": {}, "need": {}, "neighbourhood": {}, "heat": {}}
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
        elif dimension in ("topic", "need", "neighbourhood"):
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


# -- labels -----------------------------------------------------------------------------------------

@dataclass
class Labels:
    topics: dict
    needs: dict
    referrals: dict


def list_labels(session):
    """Names of topics, needs and referral targets, in the current language (3 statements)."""
    topics = {str(t.id): t.name for t in session.execute(select(Topic).order_by(Topic.position, Topic.id)).scalars()}
    needs = {str(n.id): n.label for n in session.execute(select(Need).order_by(Need.position, Need.id)).scalars()}
    referrals = {str(r.id): r.label for r in session.execute(
        select(ReferralTarget).order_by(ReferralTarget.position, ReferralTarget.id)).scalars()}
    return Labels(topics, needs, referrals)


def filter_options(session):
    """(topics, facilitators, places) offered in the filters: [(id, name)] each."""
    topics = [(t.id, t.name) for t in session.execute(select(Topic).order_by(Topic.position, Topic.id)).scalars()]
    staff = [(u.id, u.display_name) for u in session.execute(select(User).order_by(User.display_name)).scalars()]
    places = [(p.id, p.name) for p in session.execute(select(Location).order_by(Location.position, Location.id))
              .scalars()]
    return topics, staff, places


# -- assembling the figures -------------------------------------------------------------------------

def _choice_rows(counts, choice):
    """Rows in the list's order, then "Not recorded", for a dimension's {code: participants}."""
    rows = [(member.label, counts.get(member.value, 0)) for member in choice]
    if counts.get(None):
        rows.append((NOT_RECORDED, counts[None]))
    return rows


def _share_rows(rows):
    total = sum(row[1] for row in rows)
    return [(label, value, ratio(value, total)) for label, value in rows]


def figures(session, filters, tz):
    """Every figure of the dashboard for the filters: a fixed number of statements whatever the period."""
    dialect = _dialect(session)
    if dialect == "postgresql":
        # A year of sessions passes the planner's jit_above_cost, and compiling the statements
        # (40 ms for the largest) costs more than it saves on statements of some tens of ms.
        session.execute(text("SET LOCAL jit = off"))
    labels = list_labels(session)
    attendees = attendee_figures(session, filters, dialect)
    counted = rolled_up(session, filters, dialect, labels) if unfiltered(filters) else None
    if counted is None:
        counted = (session_values(session, filters, labels), grouped_counts(session, filters, dialect),
                   sessions_by_month(session, filters, dialect))
    values, groups, session_months = counted
    totals, dims = session_aggregates(values, attendees)
    heat = groups["heat"]
    residents, new_residents, moves = attendees["residents"], attendees["new_residents"], attendees["moves"]
    statuses, seats_booked, bookings_by_month = booking_figures(session, filters, tz, dialect,
                                                                trend_months(filters.end))
    slots, seats_offered, hours_offered = slot_offer(session, filters, tz, dialect)
    tickets, waits, called = ticket_figures(session, filters, dialect)
    callbacks, callbacks_handled, callback_waits = callback_figures(session, filters, tz, dialect)
    monthly = trends(session, filters, tz, dialect, session_months, bookings_by_month)

    people = residents + totals["others"]
    new = new_residents + totals["others_new"]
    returning = (residents - new_residents) + totals["others_returning"]
    unknown = people - new - returning
    anonymous = totals["participants"] - totals["named"]
    seen = statuses.get(BookingStatus.SEEN.value, 0)
    no_show = statuses.get(BookingStatus.NO_SHOW.value, 0)
    by_resident = statuses.get(BookingStatus.CANCELLED_BY_RESIDENT.value, 0)
    by_centre = statuses.get(BookingStatus.CANCELLED_BY_CENTRE.value, 0)
    all_bookings = sum(statuses.values())
    booked_people, walk_in_people = dims["access"]["booked"], dims["access"]["walk_in"]

    def wait(value):
        return round(value, 1) if value is not None else None

    headline = [
        ("sessions", _l("Help sessions"), totals["sessions"], "count"),
        ("participants", _l("Participants (one per person per session)"), totals["participants"], "count"),
        ("people", _l("People helped"), people, "count"),
        ("residents", _l("Distinct named residents"), residents, "count"),
        ("new", _l("New people"), new, "count"),
        ("returning", _l("Returning people"), returning, "count"),
        ("hours", _l("Hours spent helping"), round(totals["minutes"] / 60, 1), "hours"),
        ("bookings", _l("Bookings"), all_bookings, "count"),
        ("no_show_rate", _l("No-show rate"), ratio(no_show, seen + no_show), "percent"),
        ("cancellation_rate", _l("Cancellation rate"), ratio(by_resident + by_centre, all_bookings), "percent"),
        ("occupancy", _l("Slot occupancy"), ratio(seats_booked, seats_offered), "percent"),
        ("wait_median", _l("Median wait at the desk (min)"), wait(waits[50]), "minutes"),
        ("callbacks", _l("Call-back requests received"), callbacks, "count"),
    ]

    count_col, share_col = _l("Participants"), _l("Share (%)")
    sessions_col = _l("Sessions")
    sections = []

    people_table = Table("people", _l("People helped"), [_l("Measure"), _l("Number")], [
        (_l("Help sessions"), totals["sessions"]),
        (_l("Participants (one per person per session)"), totals["participants"]),
        (_l("People helped"), people),
        (_l("Distinct named residents"), residents),
        (_l("New people"), new),
        (_l("Returning people"), returning),
        (_l("First visit not known"), unknown),
        (_l("Named participants"), totals["named"]),
        (_l("Anonymous participants"), anonymous),
    ])
    kinds = Table("kinds", _l("Kind of session"), [_l("Kind"), sessions_col, count_col],
                  [(m.label, dims["kind_sessions"][m.value], dims["kind"][m.value]) for m in SessionKind],
                  chart="bar")
    sections.append(Section("people", _l("Sessions and people"), [people_table, kinds]))

    booking_rows = [(status.label, statuses.get(status.value, 0)) for status in BookingStatus]
    bookings_table = Table("bookings", _l("Bookings by status"), [_l("Status"), _l("Bookings"), share_col],
                           _share_rows(booking_rows), chart="bar", percent_columns=(2,))
    rates = Table("booking_rates", _l("Rates and occupancy"), [_l("Measure"), _l("Value")], [
        (_l("No-show rate (%)"), ratio(no_show, seen + no_show)),
        (_l("Cancellation rate (%)"), ratio(by_resident + by_centre, all_bookings)),
        (_l("Slots offered"), slots),
        (_l("Seats offered"), seats_offered),
        (_l("Seats booked"), seats_booked),
        (_l("Slot occupancy (%)"), ratio(seats_booked, seats_offered)),
        (_l("Hours offered"), hours_offered),
    ])
    sections.append(Section("bookings", _l("Bookings and slots"), [bookings_table, rates]))

    access_table = Table("access", _l("Booked or walk-in"), [_l("Access"), count_col, share_col],
                         _share_rows([(_l("Booked"), booked_people), (_l("Walk-in"), walk_in_people)]),
                         chart="bar", percent_columns=(2,))
    ticket_rows = [(status.label, tickets.get(status.value, 0)) for status in TicketStatus]
    tickets_table = Table("tickets", _l("Walk-in tickets"), [_l("Status"), _l("Tickets")], ticket_rows)
    wait_table = Table("waiting", _l("Waiting time at the desk"), [_l("Measure"), _l("Value")], [
        (_l("Tickets called"), called),
        (_l("Median wait (min)"), wait(waits[50])),
        (_l("90th percentile wait (min)"), wait(waits[90])),
    ])

    time_table = Table("durations", _l("Time spent helping"),
                       [_l("Duration"), sessions_col, _l("Minutes")],
                       [(label, dims["bucket_sessions"][code], dims["bucket_minutes"][code])
                        for code, label, _, _ in DURATION_BUCKETS]
                       + [(_l("Total"), totals["sessions"], totals["minutes"])], chart="bar")
    sections.append(Section("desk", _l("Walk-ins, waiting and time spent"),
                            [access_table, tickets_table, wait_table, time_table],
                            sheet_name=_l("Walk-ins, waiting, time")))

    topic_counts = groups["topic"]
    topics_table = Table("topics", _l("By topic"), [_l("Topic"), sessions_col, count_col],
                         [(name, topic_counts.get(key, (0, 0))[0], topic_counts.get(key, (0, 0))[1])
                          for key, name in labels.topics.items()], chart="bar")
    domains = Table("domains", _l("By administrative domain"), [_l("Domain"), count_col],
                    _choice_rows(dims.get("admin_domain", {}), AdminDomain), chart="bar")
    channels = Table("channels", _l("By channel"), [_l("Channel"), count_col],
                     _choice_rows(dims.get("channel", {}), Channel), chart="bar")
    equipment = Table("equipment", _l("By equipment"), [_l("Equipment"), count_col],
                      _choice_rows(dims.get("equipment", {}), Equipment), chart="bar")
    own = dims["equipment_own"]
    own_table = Table("equipment_own", _l("Whose equipment"), [_l("Equipment"), count_col], [
        (_l("The person's own"), own["yes"]),
        (_l("The centre's"), own["no"]),
        (NOT_RECORDED, own[None]),
    ])
    sections.append(Section("what", _l("What people came for"), [topics_table, domains, channels, equipment,
                                                                 own_table]))

    outcomes = Table("outcomes", _l("Outcomes"), [_l("Outcome"), count_col],
                     _choice_rows(dims.get("outcome", {}), Outcome), chart="bar")
    referral_counts = dims.get("referral_target_id", {})
    referrals = Table("referrals", _l("Referrals"), [_l("Referred to"), count_col],
                      [(name, referral_counts.get(key, 0)) for key, name in labels.referrals.items()
                       if referral_counts.get(key)] or [(_l("No referral"), 0)], chart="bar")
    assistance = Table("assistance", _l("Done with or for the person"), [_l("Assistance"), count_col],
                       _choice_rows(dims.get("assistance", {}), Assistance)
                       + [(_l("Of which covered by an Aidants Connect mandate"),
                           dims["aidants_connect"]["yes"])])
    sections.append(Section("outcomes", _l("Outcomes and referrals"), [outcomes, referrals, assistance]))

    levels = Table("autonomy", _l("Autonomy levels recorded"), [_l("Level"), count_col],
                   _choice_rows(dims.get("autonomy", {}), Autonomy), chart="bar")
    rank = {member.value: member.rank for member in Autonomy}
    progressed = sum(n for (a, b), n in moves.items() if rank.get(b, 0) > rank.get(a, 0))
    regressed = sum(n for (a, b), n in moves.items() if rank.get(b, 0) < rank.get(a, 0))
    followed = sum(moves.values())
    evolution = Table("autonomy_evolution", _l("Autonomy between first and last visit"),
                      [_l("Residents seen at least twice"), _l("Residents"), share_col], [
                          (_l("More autonomous"), progressed, ratio(progressed, followed)),
                          (_l("Same level"), followed - progressed - regressed,
                           ratio(followed - progressed - regressed, followed)),
                          (_l("Less autonomous"), regressed, ratio(regressed, followed)),
                      ], chart="bar", percent_columns=(2,))
    moves_table = Table("autonomy_moves", _l("From first to last level"),
                        [_l("First level"), _l("Last level"), _l("Residents")],
                        [(Autonomy.label_of(a), Autonomy.label_of(b), moves.get((a.value, b.value), 0))
                         for a in Autonomy for b in Autonomy], label_columns=2)
    sections.append(Section("autonomy", _l("Autonomy"), [levels, evolution, moves_table]))

    need_counts = groups["need"]
    needs = Table("needs", _l("Needs noticed, most frequent first"), [_l("Need"), count_col],
                  sorted([(name, need_counts.get(key, (0, 0))[1]) for key, name in labels.needs.items()],
                         key=lambda row: -row[1]), chart="bar")
    sections.append(Section("needs", _l("Needs noticed"), [needs]))

    ages = Table("ages", _l("Age brackets"), [_l("Age"), count_col],
                 _choice_rows(dims.get("age_bracket", {}), AgeBracket), chart="bar")
    situations = Table("situations", _l("Situation"), [_l("Situation"), count_col],
                       _choice_rows(dims.get("situation", {}), Situation), chart="bar")
    places = groups["neighbourhood"]
    neighbourhoods = Table("neighbourhoods", _l("Neighbourhood or town"), [_l("Neighbourhood"), count_col],
                           sorted([(name, value[1]) for name, value in places.items() if name],
                                  key=lambda row: (-row[1], row[0]))
                           + ([(NOT_RECORDED, places[None][1])] if places.get(None) else []), chart="bar")
    sections.append(Section("profiles", _l("Profiles"), [ages, situations, neighbourhoods]))

    hours = sorted({hour for _, hour in heat}) or list(range(9, 18))
    hours = list(range(min(hours), max(hours) + 1))
    heat_table = Table("heat", _l("Participants by weekday and hour"),
                       [_l("Weekday")] + [f"{hour:02d}:00" for hour in hours],
                       [(WEEKDAYS[day],) + tuple(heat.get((day, hour), 0) for hour in hours) for day in range(7)
                        if day < 5 or any(heat.get((day, hour)) for hour in hours)], chart="heat")
    sections.append(Section("busy", _l("Busiest weekdays and hours"), [heat_table]))

    measures = [("sessions", _l("Sessions")), ("people", _l("Participants")), ("hours", _l("Hours spent")),
                ("seen", _l("Bookings seen")), ("no_show", _l("No-shows")), ("cancelled", _l("Cancelled bookings")),
                ("tickets", _l("Walk-in tickets")), ("callbacks", _l("Call-back requests"))]
    trend_table = Table("trends", _l("Month by month, last 12 months"), [_l("Month")] + [m[1] for m in measures],
                        [(month,) + tuple(monthly[month].get(key, 0) for key, _ in measures) for month in monthly],
                        chart="trend")
    sections.append(Section("trends", _l("Trends"), [trend_table]))

    callback_table = Table("callbacks", _l("Call-back requests"), [_l("Measure"), _l("Value")], [
        (_l("Requests received"), callbacks),
        (_l("Requests handled"), callbacks_handled),
        (_l("Median wait before handling (hours)"), wait(callback_waits[50])),
        (_l("90th percentile wait before handling (hours)"), wait(callback_waits[90])),
    ])
    sections.append(Section("callbacks", _l("Call-back requests"), [callback_table]))

    empty = not (totals["sessions"] or all_bookings or sum(tickets.values()) or callbacks or slots)
    return Figures(filters, headline, sections, empty)
