"""What each figure of the statistics means, and the whole set the dashboard, report and exports show.

`figures(session, filters, tz)` answers with a `Figures`: headline numbers and sections of tables,
every value aggregated in SQL by `queries` in a fixed number of statements whatever the period.
What is counted per help session is read from its per-day counts (`daily_counts`) when the period
has no filter, and from the sessions themselves otherwise: both give the same numbers. The rates
are defined once, below (`Rates`), for the headline and the tables alike.

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
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from ..booking.models import CANCELLED, BookingStatus
from ..database import utcnow
from ..desk.models import (AdminDomain, AgeBracket, Assistance, Autonomy, Channel, Equipment, Gender, NationalTheme,
                           Outcome, SessionKind, Situation, TicketStatus, WorkshopLevel)
from . import daily_counts, queries
from .daily_counts import DURATION_BOUNDS
from .sql import dialect_of

log = logging.getLogger(__name__)


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
    filters: queries.Filters
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


@dataclass(frozen=True)
class Rates:
    """The rates of the bookings and the slots, defined here once for the headline and the tables."""

    no_show: Optional[float]        # no-shows / (seen + no-shows): among those whose day has come
    cancellation: Optional[float]   # cancelled, by anyone / all bookings
    occupancy: Optional[float]      # seats booked / seats offered, on slots not cancelled

    @classmethod
    def of(cls, statuses, seats_booked, seats_offered):
        """From the period's bookings per status and its seats booked and offered."""
        seen = statuses.get(BookingStatus.SEEN.value, 0)
        no_show = statuses.get(BookingStatus.NO_SHOW.value, 0)
        cancelled = sum(statuses.get(status, 0) for status in CANCELLED)
        return cls(no_show=ratio(no_show, seen + no_show), cancellation=ratio(cancelled, sum(statuses.values())),
                   occupancy=ratio(seats_booked, seats_offered))


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
    _l("Sessions with several national themes count under each of them. The commune is the one recorded "
       "for the session; a commune outside the centre's list is shown by its postal code."),
    _l("Autonomy evolution: residents with at least two sessions recording their autonomy in the "
       "period, their first level compared with their last."),
]


# Duration buckets of the national report: (code, label, lower bound included, upper bound excluded).
DURATION_LABELS = {"under_30": _l("Under 30 min"), "30_60": _l("30 min to 1 h"), "60_120": _l("1 h to 2 h"),
                   "over_120": _l("2 h and more")}


DURATION_BUCKETS = [(code, DURATION_LABELS[code], lower, upper) for code, lower, upper in DURATION_BOUNDS]


WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]


NOT_RECORDED = _l("Not recorded")


def _choice_rows(counts, choice):
    """Rows in the list's order, then "Not recorded", for a dimension's {code: participants}."""
    rows = [(member.label, counts.get(member.value, 0)) for member in choice]
    if counts.get(None):
        rows.append((NOT_RECORDED, counts[None]))
    return rows


def _level_rows(dims):
    """Workshop participants by level, then those of workshops without one ("Not recorded")."""
    counts = dims.get("workshop_level", {})
    rows = [(member.label, counts.get(member.value, 0)) for member in WorkshopLevel]
    unknown = dims["kind"].get(SessionKind.WORKSHOP.value, 0) - sum(row[1] for row in rows)
    return rows + ([(NOT_RECORDED, unknown)] if unknown > 0 else [])


def _commune_rows(counts, communes):
    """Participants by commune: the centre's list in its order ("Valence (26000)"; a commune no
    longer active only when it has participants), then the other communes by postal code, then
    "Not recorded". `counts`: {key: (sessions, participants)} as daily_counts.commune_key keys them."""
    rows = [(commune.label, counts.get(key, (0, 0))[1]) for key, commune in communes.items()
            if commune.active or counts.get(key)]
    for key in sorted(key for key in counts if key and key.startswith(daily_counts.POSTAL)):
        code = key.removeprefix(daily_counts.POSTAL)
        rows.append((_l("Another commune (%(postal_code)s)", postal_code=code), counts[key][1]))
    if counts.get(None):
        rows.append((NOT_RECORDED, counts[None][1]))
    return rows


def _share_rows(rows):
    total = sum(row[1] for row in rows)
    return [(label, value, ratio(value, total)) for label, value in rows]


def figures(session, filters, tz):
    """Every figure of the dashboard for the filters: a fixed number of statements whatever the period."""
    dialect = dialect_of(session)
    if dialect == "postgresql":
        # A year of sessions passes the planner's jit_above_cost, and compiling the statements
        # (40 ms for the largest) costs more than it saves on statements of some tens of ms.
        session.execute(text("SET LOCAL jit = off"))
    labels = queries.list_labels(session)
    attendees = queries.attendee_figures(session, filters, dialect)
    counted = daily_counts.read(session, filters, dialect, queries.measure_columns(labels), queries.trend_span(filters)) if daily_counts.unfiltered(filters) else None
    if counted is None:
        counted = (queries.session_values(session, filters, labels), queries.grouped_counts(session, filters, dialect),
                   queries.sessions_by_month(session, filters, dialect))
    values, groups, session_months = counted
    totals, dims = queries.session_aggregates(values, attendees)
    heat = groups["heat"]
    residents, new_residents, moves = attendees["residents"], attendees["new_residents"], attendees["moves"]
    statuses, seats_booked, bookings_by_month = queries.booking_figures(session, filters, tz, dialect,
                                                                queries.trend_months(filters.end))
    slots, seats_offered, hours_offered = queries.slot_offer(session, filters, tz, dialect)
    tickets, waits, called = queries.ticket_figures(session, filters, dialect)
    callbacks, callbacks_handled, callback_waits = queries.callback_figures(session, filters, tz, dialect)
    offers_sent, offers_taken, offers_expired = queries.offer_figures(session, filters, tz, utcnow())
    monthly = queries.trends(session, filters, tz, dialect, session_months, bookings_by_month)

    people = residents + totals["others"]
    new = new_residents + totals["others_new"]
    returning = (residents - new_residents) + totals["others_returning"]
    unknown = people - new - returning
    anonymous = totals["participants"] - totals["named"]
    rates = Rates.of(statuses, seats_booked, seats_offered)
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
        ("no_show_rate", _l("No-show rate"), rates.no_show, "percent"),
        ("cancellation_rate", _l("Cancellation rate"), rates.cancellation, "percent"),
        ("occupancy", _l("Slot occupancy"), rates.occupancy, "percent"),
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
    workshop_levels = Table("workshop_levels", _l("Workshop participants by level"), [_l("Level"), count_col],
                            _level_rows(dims), chart="bar")
    sections.append(Section("people", _l("Sessions and people"), [people_table, kinds, workshop_levels]))

    booking_rows = [(status.label, statuses.get(status.value, 0)) for status in BookingStatus]
    bookings_table = Table("bookings", _l("Bookings by status"), [_l("Status"), _l("Bookings"), share_col],
                           _share_rows(booking_rows), chart="bar", percent_columns=(2,))
    rates_table = Table("booking_rates", _l("Rates and occupancy"), [_l("Measure"), _l("Value")], [
        (_l("No-show rate (%)"), rates.no_show),
        (_l("Cancellation rate (%)"), rates.cancellation),
        (_l("Slots offered"), slots),
        (_l("Seats offered"), seats_offered),
        (_l("Seats booked"), seats_booked),
        (_l("Slot occupancy (%)"), rates.occupancy),
        (_l("Hours offered"), hours_offered),
    ])
    sections.append(Section("bookings", _l("Bookings and slots"), [bookings_table, rates_table]))

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
    theme_counts = groups["theme"]
    themes_table = Table("themes", _l("By national theme"), [_l("National theme"), sessions_col, count_col],
                         [(member.label, *theme_counts.get(member.value, (0, 0))) for member in NationalTheme],
                         chart="bar")
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
    sections.append(Section("what", _l("What people came for"), [topics_table, themes_table, domains, channels,
                                                                 equipment, own_table]))

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
    genders = Table("genders", _l("Gender"), [_l("Gender"), count_col],
                    _choice_rows(dims.get("gender", {}), Gender), chart="bar")
    communes = Table("communes", _l("Commune"), [_l("Commune"), count_col],
                     _commune_rows(groups["commune"], labels.communes), chart="bar")
    sections.append(Section("profiles", _l("Profiles"), [ages, genders, situations, communes, neighbourhoods]))

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
        (_l("Freed seats offered by message"), offers_sent),
        (_l("Offers taken (booked from the link)"), offers_taken),
        (_l("Offers expired without being taken"), offers_expired),
    ])
    sections.append(Section("callbacks", _l("Call-back requests"), [callback_table]))

    empty = not (totals["sessions"] or all_bookings or sum(tickets.values()) or callbacks or slots)
    return Figures(filters, headline, sections, empty)
