"""The centre's opening hours in OpenStreetMap `opening_hours` syntax, for the national open data.

MedNum's "lieux de médiation numérique" (field `horaires`) and data·inclusion (field
`horaires_accueil`) both take this syntax
(https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification). `osm_opening_hours` is
pure: plain values in, a string out; `centre_opening_hours` reads the rows and calls it.

What the string says, and the choices behind it:

- The centre is open whenever at least one active opening rule valid that day covers the time,
  whatever the place or the facilitator. Workshops (rules with several seats) count: the place is
  open to the public then, even if a seat must be booked.
- The first, undated, section is the week in force `today`. A rule that starts or ends within the
  horizon gives dated sections for the weekdays whose hours then differ from today's week, with
  those weekdays' whole hours, since a later section replaces a day's hours rather than adding to
  them: `2027 Jan 05-2027 Mar 30 Tu 09:00-12:00,14:00-17:00`, or `2027 Apr 01+ Th off` when the
  change lasts. Changes beyond the horizon are left out, so the string is rebuilt daily rather
  than kept.
- Closures of the whole centre within the horizon follow as `2027 Aug 01-2027 Aug 22 off`: in this
  syntax a later rule overrides the earlier ones on the days it names. A place's closure or a
  facilitator's absence does not close the centre (the other places may stay open), so they are
  left out, even when in fact every rule of those days is affected.
- `PH off` ends the string: the centre is closed on French public holidays. The closures
  `opening.add_public_holidays` writes for them (one day, whole centre, the holiday's French name
  as reason) are therefore not listed again as dates. A holiday on which the coordinators chose
  to open (by removing its closure) still reads as closed.
- Times are the centre's wall clock, the way the rules are written and the way the syntax reads
  them, so a week with a daylight-saving change reads like any other.
- A centre with no opening hours at all reads `off` (always closed, in the syntax's words), not an
  empty string, which the syntax refuses.
"""
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Iterable, Optional

from sqlalchemy import or_, select

from .models import Closure, OpeningRule
from .slotgen import french_public_holidays

# A year: far enough to show the summer closure announced in spring, short enough to keep the
# string readable.
HORIZON_DAYS = 365

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class HoursRule:
    """What an opening rule says about when the centre is open."""

    weekday: int  # 0 = Monday
    start_time: time
    end_time: time
    valid_from: date
    valid_until: Optional[date] = None
    capacity: int = 1
    active: bool = True

    def in_force(self, day):
        return self.active and self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class ClosedDays:
    """A closure: of the whole centre when it names neither place nor facilitator."""

    start_date: date
    end_date: date  # inclusive
    reason: str = ""
    location_id: Optional[int] = None
    facilitator_id: Optional[int] = None

    @property
    def whole_centre(self):
        return self.location_id is None and self.facilitator_id is None


def osm_opening_hours(rules: Iterable[HoursRule], closures: Iterable[ClosedDays],
                      holidays: Iterable[tuple[date, str]], today: date, horizon_days=HORIZON_DAYS):
    """Return the centre's opening hours as an OSM `opening_hours` string (see the module's text).

    Workshops count as opening hours: the place is open to the public while they run.
    `holidays` are the French public holidays as (date, French name), those of
    `slotgen.french_public_holidays` for the years the horizon covers.
    """
    rules = [rule for rule in rules if rule.active]
    last_day = today + timedelta(days=horizon_days)
    base = _week(rules, today)
    sections = [f"{days} {hours}" for days, hours in _day_groups(base, range(7)) if hours != "off"]
    for (start, end, spans), weekdays in _changes(rules, base, today, last_day):
        dates = _date_range(start, end) if end is not None else f"{_date(start)}+"
        sections.append(f"{dates} {_days(weekdays)} {_hours(spans)}")
    if not sections:
        return "off"
    holiday_marks = set(holidays)
    closed = [(closure.start_date, closure.end_date) for closure in closures
              if closure.whole_centre and closure.end_date >= today and closure.start_date <= last_day
              and not (closure.start_date == closure.end_date
                       and (closure.start_date, closure.reason) in holiday_marks)]
    sections += [f"{_date_range(start, end)} off" for start, end in _merged(closed, today)]
    sections.append("PH off")
    return "; ".join(sections)


def centre_opening_hours(session, today):
    """Read the active rules and the closures not yet over, and return the OSM string."""
    rules = session.execute(select(OpeningRule).where(
        OpeningRule.active.is_(True),
        or_(OpeningRule.valid_until.is_(None), OpeningRule.valid_until >= today))).scalars()
    closures = session.execute(select(Closure).where(
        Closure.end_date >= today, Closure.location_id.is_(None), Closure.facilitator_id.is_(None))).scalars()
    last_day = today + timedelta(days=HORIZON_DAYS)
    holidays = [holiday for year in range(today.year, last_day.year + 1) for holiday in french_public_holidays(year)]
    return osm_opening_hours(
        [HoursRule(rule.weekday, rule.start_time, rule.end_time, rule.valid_from, rule.valid_until,
                   rule.capacity, rule.active) for rule in rules],
        [ClosedDays(closure.start_date, closure.end_date, closure.reason, closure.location_id,
                    closure.facilitator_id) for closure in closures],
        holidays, today)


def _week(rules, day):
    """The merged opening intervals of each weekday, by the rules in force on `day`."""
    week = []
    for weekday in range(7):
        spans = sorted((rule.start_time, rule.end_time) for rule in rules if rule.in_force(day)
                       and rule.weekday == weekday)
        merged = []
        for start, end in spans:
            # Overlapping or touching openings (two places, 09:00-12:00 and 12:00-13:00) make one.
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        week.append(tuple(merged))
    return week


def _periods(rules, today, last_day):
    """The stretches after today in which the rules in force do not change, up to the horizon:
    (first day, last day), the last one open-ended (None). Within one, the rules in force on its
    first day are those of all its days."""
    changes = set()
    for rule in rules:
        changes.add(rule.valid_from)
        if rule.valid_until is not None:
            changes.add(rule.valid_until + timedelta(days=1))
    starts = sorted(day for day in changes if today < day <= last_day)
    return [(start, following - timedelta(days=1)) for start, following in zip(starts, starts[1:])] + \
        [(start, None) for start in starts[-1:]]


def _day_groups(week, weekdays):
    """(days, hours) for these weekdays, the days with the same hours together: `Mo-Fr`, `Tu,Th`."""
    by_hours = {}
    for weekday in weekdays:
        by_hours.setdefault(week[weekday], []).append(weekday)
    return [(_days(days), _hours(spans)) for spans, days in by_hours.items()]


def _changes(rules, base, today, last_day):
    """((first day, last day or None, intervals), weekdays): each stretch of dates in which a
    weekday's hours differ from today's week, the weekdays with the same change together, by date."""
    weeks = [(start, end, _week(rules, start)) for start, end in _periods(rules, today, last_day)]
    changes = {}
    for weekday in range(7):
        runs = []
        for start, end, week in weeks:
            # A weekday unchanged from one stretch to the next keeps one date range.
            if runs and runs[-1][2] == week[weekday]:
                runs[-1][1] = end
            else:
                runs.append([start, end, week[weekday]])
        for start, end, spans in runs:
            if spans != base[weekday]:
                changes.setdefault((start, end, spans), []).append(weekday)
    return sorted(changes.items(), key=lambda item: (item[0][0], item[1][0]))


def _days(weekdays):
    runs = []
    for weekday in weekdays:
        if runs and runs[-1][-1] == weekday - 1:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    # Three days or more as a range (Mo-Fr); two as a list (Sa,Su), the way mappers write them.
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}")
        else:
            parts += [WEEKDAYS[weekday] for weekday in run]
    return ",".join(parts)


def _hours(spans):
    return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in spans) or "off"


def _merged(ranges, today):
    """Date ranges from today on, overlapping or following ones joined."""
    merged = []
    for start, end in sorted((max(start, today), end) for start, end in ranges):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _date(day):
    return f"{day.year} {MONTHS[day.month - 1]} {day.day:02d}"


def _date_range(start, end):
    return _date(start) if start == end else f"{_date(start)}-{_date(end)}"
