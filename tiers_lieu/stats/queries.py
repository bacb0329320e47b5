"""The statistics' aggregates: each function counts one family of figures in SQL (GROUP BY, COUNT,
SUM) for a period and its filters, in a fixed number of statements whatever the period.

`figures.figures` assembles them; what each figure means is written there.
"""
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import (String, and_, case, cast, exists, func, literal, select, union_all)

from ..accounts.models import User
from ..booking.models import CANCELLED, Booking, CallbackRequest, Location, SeatOffer, Slot, Topic, slot_topic
from ..desk.models import (Attendee, Autonomy, Commune, HelpSession, Need, QueueTicket, ReferralTarget, SessionKind,
                           help_session_need, help_session_topic)
from . import daily_counts
from .daily_counts import DURATION_BOUNDS, ENUM_DIMENSIONS
from .sql import const, day_number, hour_of, instant_bounds, month_of_day, month_of_instant, percentiles, seconds_between, weekday_of

log = logging.getLogger(__name__)

HS = HelpSession.__table__
ATT = Attendee.__table__
BK = Booking.__table__
SL = Slot.__table__
TK = QueueTicket.__table__
CB = CallbackRequest.__table__
SO = SeatOffer.__table__

TREND_MONTHS = 12


# -- filters and results ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # included
    topic_id: Optional[int] = None
    facilitator_id: Optional[int] = None
    location_id: Optional[int] = None


# -- dialect helpers --------------------------------------------------------------------------------


# -- the help sessions of the period ----------------------------------------------------------------

def session_chunks(session, filters, chunk):
    """The sessions of the filters in id order, `chunk` rows at a time: the raw exports stream them,
    reading each chunk's topics, themes and attendees, then ending the read transaction before
    writing its rows."""
    last_id, conditions = 0, session_conditions(filters)
    while True:
        rows = session.execute(select(HS).where(HS.c.id > last_id, *conditions).order_by(HS.c.id).limit(chunk)).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield rows


def by_session(session, statement):
    """{session id: [the rest of each row]} of a statement whose first column is a session id, in
    the statement's order: a single other column gives its values, several give tuples."""
    grouped = {}
    for session_id, *rest in session.execute(statement):
        grouped.setdefault(session_id, []).append(rest[0] if len(rest) == 1 else tuple(rest))
    return grouped


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
        "access:booked": _sum_when(daily_counts.booked_condition(), people),
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
    for code, lower, upper in DURATION_BOUNDS:
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
    """Sessions and participants by topic, need, national theme, neighbourhood and commune, and
    participants by weekday × hour: one UNION ALL statement."""
    conditions = session_conditions(filters)
    people = HS.c.participant_count
    parts = []
    for name, link, link_column in (("topic", help_session_topic, help_session_topic.c.topic_id),
                                    ("need", help_session_need, help_session_need.c.need_id),
                                    ("theme", daily_counts.THEME, daily_counts.THEME.c.theme)):
        key = cast(link_column, String)
        parts.append(select(literal(name).label("dimension"), key.label("key"), func.count().label("sessions"),
                            func.sum(people).label("people"))
                     .select_from(link.join(HS, HS.c.id == link.c.session_id)).where(*conditions).group_by(key))
    key = func.nullif(HS.c.neighbourhood, const(""))  # a blank is "not recorded", as in the roll-up
    parts.append(select(literal("neighbourhood").label("dimension"), key.label("key"), func.count(),
                        func.sum(people)).where(*conditions).group_by(key))
    key = daily_counts.commune_key()  # NULL when not recorded, as a blank neighbourhood
    parts.append(select(literal("commune").label("dimension"), key.label("key"), func.count(),
                        func.sum(people)).where(*conditions).group_by(key))
    key = cast(weekday_of(dialect, HS.c.day) * 100 + hour_of(dialect, HS.c.start_time), String)
    parts.append(select(literal("heat").label("dimension"), key.label("key"), func.count(), func.sum(people))
                 .where(HS.c.start_time.isnot(None), *conditions).group_by(key))
    result = {dimension: {} for dimension in (*daily_counts.GROUPED, "heat")}
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


def _booking_filters(query, filters, topic=BK.c.topic_id):
    """The filters on a query joined to the slots; `topic`: the column saying the topic (a seat
    offer's is its request's)."""
    if filters.topic_id is not None:
        query = query.where(topic == filters.topic_id)
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


def offer_figures(session, filters, tz, now):
    """Seats offered to the waiting list in the period (booking/offers.py): how many, how many
    were taken through their link, how many expired untaken (their slot began, or their request
    ended). One statement; a facilitator's figures count the offers of their own slots."""
    first, after = instant_bounds(filters.start, filters.end, tz)
    expired = and_(SO.c.booking_id.is_(None),
                   (SL.c.starts_at <= now) | CB.c.ended_at.isnot(None) | CB.c.handled_at.isnot(None))
    query = (select(func.count(), func.count(SO.c.booking_id), func.coalesce(func.sum(case((expired, 1), else_=0)), 0))
             .select_from(SO.join(SL, SO.c.slot_id == SL.c.id).join(CB, SO.c.request_id == CB.c.id))
             .where(SO.c.created_at >= first, SO.c.created_at < after))
    sent, taken, lapsed = session.execute(_booking_filters(query, filters, topic=CB.c.topic_id)).one()
    return int(sent), int(taken), int(lapsed)


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


# -- the per-day counts of the sessions (daily_counts.py) ------------------------------------------------


# -- labels -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CommuneLabel:
    """A commune of the centre's list as the statistics show it: plain values, which the raw
    exports keep while they end their read transaction between chunks."""

    name: str
    postal_code: str
    insee_code: str
    active: bool

    @property
    def label(self):
        return f"{self.name} ({self.postal_code})"


@dataclass
class Labels:
    topics: dict
    needs: dict
    referrals: dict
    communes: dict  # {str(id): CommuneLabel}, in the list's order


def list_labels(session):
    """Names of topics, needs, referral targets and communes, in the current language (4 statements)."""
    topics = {str(t.id): t.name for t in session.execute(select(Topic).order_by(Topic.position, Topic.id)).scalars()}
    needs = {str(n.id): n.label for n in session.execute(select(Need).order_by(Need.position, Need.id)).scalars()}
    referrals = {str(r.id): r.label for r in session.execute(
        select(ReferralTarget).order_by(ReferralTarget.position, ReferralTarget.id)).scalars()}
    communes = {str(c.id): CommuneLabel(c.name, c.postal_code, c.insee_code, c.active)
                for c in session.execute(select(Commune).order_by(Commune.position, Commune.id)).scalars()}
    return Labels(topics, needs, referrals, communes)


def filter_options(session):
    """(topics, facilitators, places) offered in the filters: [(id, name)] each."""
    topics = [(t.id, t.name) for t in session.execute(select(Topic).order_by(Topic.position, Topic.id)).scalars()]
    staff = [(u.id, u.display_name) for u in session.execute(select(User).order_by(User.display_name)).scalars()]
    places = [(p.id, p.name) for p in session.execute(select(Location).order_by(Location.position, Location.id))
              .scalars()]
    return topics, staff, places


# -- assembling the figures -------------------------------------------------------------------------


