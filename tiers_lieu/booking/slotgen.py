"""Cut weekly opening hours into slots, and list French public holidays.

Pure computation: plain values in, plain values out; neither Flask nor the database.
Slots follow the centre's wall clock, so 09:00 stays 09:00 across daylight-saving changes;
the instants handed back are in UTC, as they are stored.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo


@dataclass(frozen=True, kw_only=True)
class RuleSpec:
    """Weekly opening hours, as `OpeningRule` holds them."""

    id: int
    weekday: int  # 0 = Monday
    start_time: time
    end_time: time
    slot_length: int  # minutes
    location_id: int
    capacity: int = 1
    facilitator_id: Optional[int] = None
    valid_from: date = date.min
    valid_until: Optional[date] = None
    topic_ids: tuple[int, ...] = ()
    workshop_title: Optional[str] = None

    def applies_on(self, day):
        """Tell whether the rule opens on this day, ignoring closures."""
        return (
            day.weekday() == self.weekday
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True, kw_only=True)
class ClosureSpec:
    """Days (both ends included) with no slot: for the whole centre, one place or one facilitator."""

    start_date: date
    end_date: date
    location_id: Optional[int] = None  # None: every place
    facilitator_id: Optional[int] = None  # set: that facilitator's absence only

    def closes(self, day, location_id, facilitator_id=None):
        """Tell whether this closure removes the slots of this place (and facilitator) on this day."""
        return (
            self.start_date <= day <= self.end_date
            and (self.location_id is None or self.location_id == location_id)
            and (self.facilitator_id is None or self.facilitator_id == facilitator_id)
        )


@dataclass(frozen=True, kw_only=True)
class SlotSpec:
    """One slot a rule offers; `starts_at` and `ends_at` are aware datetimes in UTC."""

    rule_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    location_id: int
    facilitator_id: Optional[int]
    topic_ids: tuple[int, ...]
    workshop_title: Optional[str]

    @property
    def key(self):
        """What identifies a generated slot in the database: its rule and start."""
        return (self.rule_id, self.starts_at)


def generate_slots(rules: Iterable[RuleSpec], closures: Iterable[ClosureSpec], start: date,
                   end: date, tz: ZoneInfo) -> list[SlotSpec]:
    """Return the slots the rules offer from `start` to `end` (dates included), in time order."""
    rules, closures = list(rules), list(closures)
    specs = []
    day = start
    while day <= end:
        for rule in rules:
            if rule.applies_on(day) and not any(c.closes(day, rule.location_id, rule.facilitator_id) for c in closures):
                specs.extend(slots_of_day(rule, day, tz))
        day += timedelta(days=1)
    return sorted(specs, key=lambda spec: (spec.starts_at, spec.rule_id))


def slots_of_day(rule, day, tz):
    """Return the slots of one rule on one day, walking the local wall clock."""
    length = timedelta(minutes=rule.slot_length)
    wall = datetime.combine(day, rule.start_time)
    closing = datetime.combine(day, rule.end_time)
    slots = []
    while wall + length <= closing:
        starts_at = to_utc(wall, tz)
        if starts_at is not None:
            slots.append(SlotSpec(
                rule_id=rule.id,
                starts_at=starts_at,
                # Real elapsed time, so a slot lasts its length even across a clock change.
                ends_at=starts_at + length,
                capacity=rule.capacity,
                location_id=rule.location_id,
                facilitator_id=rule.facilitator_id,
                topic_ids=tuple(rule.topic_ids),
                workshop_title=rule.workshop_title,
            ))
        wall += length
    return slots


def to_utc(wall, tz):
    """Return the UTC instant of a naive local wall-clock time, or None if the clock skips it.

    A time repeated when clocks go back is taken at its first occurrence (fold=0).
    """
    local = wall.replace(tzinfo=tz, fold=0)
    instant = local.astimezone(timezone.utc)
    # A time inside the spring-forward gap does not survive the round trip.
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return instant


def start_of_day(day, tz):
    """Return the UTC instant at which a local day begins."""
    # fold=0 maps a skipped midnight to the instant the clock resumes, a repeated one to its first.
    return datetime.combine(day, time(), tzinfo=tz).astimezone(timezone.utc)


def easter_sunday(year: int) -> date:
    """Return the date of Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def french_public_holidays(year: int) -> list[tuple[date, str]]:
    """Return the eleven French public holidays of a year as (date, French name), by date."""
    easter = easter_sunday(year)
    return sorted([
        (date(year, 1, 1), "Jour de l'an"),
        (easter + timedelta(days=1), "Lundi de Pâques"),
        (date(year, 5, 1), "Fête du Travail"),
        (date(year, 5, 8), "Victoire 1945"),
        (easter + timedelta(days=39), "Ascension"),
        (easter + timedelta(days=50), "Lundi de Pentecôte"),
        (date(year, 7, 14), "Fête nationale"),
        (date(year, 8, 15), "Assomption"),
        (date(year, 11, 1), "Toussaint"),
        (date(year, 11, 11), "Armistice 1918"),
        (date(year, 12, 25), "Noël"),
    ])
