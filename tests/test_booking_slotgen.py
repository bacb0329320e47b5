"""Slot generation on the centre's wall clock, closures, and French public holidays."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tiers_lieu.booking.slotgen import (ClosureSpec, RuleSpec, easter_sunday,
                                        french_public_holidays, generate_slots, start_of_day)

PARIS = ZoneInfo("Europe/Paris")
MORNING = [time(9), time(9, 30), time(10), time(10, 30), time(11), time(11, 30)]


def rule(**fields):
    """Mondays 09:00–12:00 in 30-minute slots, in place 1, unless told otherwise."""
    return RuleSpec(**{"id": 1, "weekday": 0, "start_time": time(9), "end_time": time(12),
                       "slot_length": 30, "location_id": 1, **fields})


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def local_times(slots):
    return [slot.starts_at.astimezone(PARIS).time() for slot in slots]


def days_of(slots):
    return sorted({slot.starts_at.astimezone(PARIS).date() for slot in slots})


def test_an_ordinary_week():
    rules = [rule(id=1, weekday=0), rule(id=2, weekday=2, start_time=time(14), end_time=time(16),
                                         slot_length=60)]
    slots = generate_slots(rules, [], date(2026, 2, 2), date(2026, 2, 8), PARIS)
    assert [(slot.rule_id, slot.starts_at) for slot in slots] == [
        (1, utc(2026, 2, 2, 8)), (1, utc(2026, 2, 2, 8, 30)), (1, utc(2026, 2, 2, 9)),
        (1, utc(2026, 2, 2, 9, 30)), (1, utc(2026, 2, 2, 10)), (1, utc(2026, 2, 2, 10, 30)),
        (2, utc(2026, 2, 4, 13)), (2, utc(2026, 2, 4, 14)),
    ]
    lengths = {1: timedelta(minutes=30), 2: timedelta(hours=1)}
    assert all(slot.ends_at - slot.starts_at == lengths[slot.rule_id] for slot in slots)


def test_slots_carry_what_their_rule_offers():
    workshop = rule(weekday=3, start_time=time(14), end_time=time(16), slot_length=120,
                    capacity=6, location_id=2, facilitator_id=7, topic_ids=(4, 1),
                    workshop_title="Atelier smartphone : premiers pas")
    [slot] = generate_slots([workshop], [], date(2026, 6, 1), date(2026, 6, 7), PARIS)
    assert (slot.starts_at, slot.ends_at) == (utc(2026, 6, 4, 12), utc(2026, 6, 4, 14))
    assert (slot.capacity, slot.location_id, slot.facilitator_id) == (6, 2, 7)
    assert slot.topic_ids == (4, 1)
    assert slot.workshop_title == "Atelier smartphone : premiers pas"
    assert slot.key == (1, utc(2026, 6, 4, 12))


@pytest.mark.parametrize("day, first_utc", [
    (date(2026, 3, 22), utc(2026, 3, 22, 8)),   # the Sunday before, winter time
    (date(2026, 3, 29), utc(2026, 3, 29, 7)),   # clocks go forward that night
    (date(2026, 3, 30), utc(2026, 3, 30, 7)),
    (date(2026, 10, 18), utc(2026, 10, 18, 7)),
    (date(2026, 10, 25), utc(2026, 10, 25, 8)),  # clocks go back that night
    (date(2026, 10, 26), utc(2026, 10, 26, 8)),
    (date(2027, 3, 28), utc(2027, 3, 28, 7)),
    (date(2027, 3, 29), utc(2027, 3, 29, 7)),
    (date(2027, 10, 31), utc(2027, 10, 31, 8)),
    (date(2027, 11, 1), utc(2027, 11, 1, 8)),
])
def test_the_morning_stays_at_nine_around_daylight_saving(day, first_utc):
    slots = generate_slots([rule(weekday=day.weekday())], [], day, day, PARIS)
    assert local_times(slots) == MORNING
    assert slots[0].starts_at == first_utc
    assert all(slot.starts_at.utcoffset() == timedelta(0) for slot in slots)
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=30) for slot in slots)


@pytest.mark.parametrize("start, end", [
    (date(2026, 3, 16), date(2026, 4, 12)),
    (date(2026, 10, 12), date(2026, 11, 8)),
    (date(2027, 3, 15), date(2027, 4, 11)),
    (date(2027, 10, 18), date(2027, 11, 14)),
])
def test_every_week_across_a_clock_change_opens_at_the_same_hours(start, end):
    rules = [rule(id=1, weekday=0), rule(id=2, weekday=6)]
    slots = generate_slots(rules, [], start, end, PARIS)
    assert len(days_of(slots)) == 8
    for day in days_of(slots):
        assert local_times(s for s in slots if s.starts_at.astimezone(PARIS).date() == day) == MORNING


@pytest.mark.parametrize("day, expected", [
    # 02:00 and 02:30 do not exist: the clock jumps from 02:00 to 03:00.
    (date(2026, 3, 29), [(time(1), utc(2026, 3, 29, 0)), (time(1, 30), utc(2026, 3, 29, 0, 30)),
                         (time(3), utc(2026, 3, 29, 1)), (time(3, 30), utc(2026, 3, 29, 1, 30))]),
    # 02:00 and 02:30 happen twice: the first occurrence, still in summer time, is taken.
    (date(2026, 10, 25), [(time(1), utc(2026, 10, 24, 23)), (time(1, 30), utc(2026, 10, 24, 23, 30)),
                          (time(2), utc(2026, 10, 25, 0)), (time(2, 30), utc(2026, 10, 25, 0, 30)),
                          (time(3), utc(2026, 10, 25, 2)), (time(3, 30), utc(2026, 10, 25, 2, 30))]),
])
def test_night_hours_skip_the_gap_and_take_the_first_repeated_hour(day, expected):
    night = rule(weekday=6, start_time=time(1), end_time=time(4))
    slots = generate_slots([night], [], day, day, PARIS)
    assert list(zip(local_times(slots), (slot.starts_at for slot in slots))) == expected


@pytest.mark.parametrize("start_time, end_time, length, expected", [
    (time(9), time(12), 45, [time(9), time(9, 45), time(10, 30), time(11, 15)]),
    (time(9), time(11), 45, [time(9), time(9, 45)]),
    (time(9), time(12), 50, [time(9), time(9, 50), time(10, 40)]),
    (time(14), time(16), 120, [time(14)]),
    (time(14), time(15), 90, []),
])
def test_no_slot_runs_past_closing_time(start_time, end_time, length, expected):
    opening = rule(start_time=start_time, end_time=end_time, slot_length=length)
    slots = generate_slots([opening], [], date(2026, 2, 2), date(2026, 2, 2), PARIS)
    assert local_times(slots) == expected


@pytest.mark.parametrize("valid_from, valid_until, expected", [
    (date.min, None, [2, 9, 16, 23]),
    (date(2026, 2, 9), None, [9, 16, 23]),
    (date(2026, 2, 10), None, [16, 23]),
    (date(2026, 2, 9), date(2026, 2, 16), [9, 16]),
    (date(2026, 1, 1), date(2026, 2, 15), [2, 9]),
    (date(2026, 3, 1), None, []),
    (date(2026, 1, 1), date(2026, 1, 31), []),
])
def test_a_rule_applies_within_its_validity_dates(valid_from, valid_until, expected):
    bounded = rule(valid_from=valid_from, valid_until=valid_until)
    slots = generate_slots([bounded], [], date(2026, 2, 1), date(2026, 2, 28), PARIS)
    assert [day.day for day in days_of(slots)] == expected


TWO_PLACES = [rule(id=1, location_id=1), rule(id=2, location_id=2)]


@pytest.mark.parametrize("closures, expected", [
    ([], {1: [2, 9, 16], 2: [2, 9, 16]}),
    ([ClosureSpec(start_date=date(2026, 2, 9), end_date=date(2026, 2, 9))],
     {1: [2, 16], 2: [2, 16]}),
    ([ClosureSpec(start_date=date(2026, 2, 9), end_date=date(2026, 2, 9), location_id=2)],
     {1: [2, 9, 16], 2: [2, 16]}),
    # Both ends included.
    ([ClosureSpec(start_date=date(2026, 2, 2), end_date=date(2026, 2, 9))],
     {1: [16], 2: [16]}),
    ([ClosureSpec(start_date=date(2026, 2, 3), end_date=date(2026, 2, 8))],
     {1: [2, 9, 16], 2: [2, 9, 16]}),
    ([ClosureSpec(start_date=date(2026, 2, 16), end_date=date(2026, 2, 16), location_id=1),
      ClosureSpec(start_date=date(2026, 2, 1), end_date=date(2026, 2, 2), location_id=2)],
     {1: [2, 9], 2: [9, 16]}),
])
def test_closures_remove_slots_of_the_whole_centre_or_of_one_place(closures, expected):
    slots = generate_slots(TWO_PLACES, closures, date(2026, 2, 1), date(2026, 2, 16), PARIS)
    for location_id, days in expected.items():
        assert [d.day for d in days_of(s for s in slots if s.location_id == location_id)] == days


def test_slots_come_in_time_order_across_rules():
    rules = [rule(id=1, start_time=time(10)), rule(id=2, start_time=time(9), location_id=2)]
    slots = generate_slots(rules, [], date(2026, 2, 2), date(2026, 2, 2), PARIS)
    assert [slot.starts_at for slot in slots] == sorted(slot.starts_at for slot in slots)
    assert [slot.rule_id for slot in slots[:3]] == [2, 2, 1]


def test_an_empty_range_gives_no_slot():
    assert generate_slots([rule()], [], date(2026, 2, 3), date(2026, 2, 2), PARIS) == []


@pytest.mark.parametrize("day, instant", [
    (date(2026, 3, 29), utc(2026, 3, 28, 23)),
    (date(2026, 3, 30), utc(2026, 3, 29, 22)),
    (date(2026, 10, 25), utc(2026, 10, 24, 22)),
    (date(2026, 10, 26), utc(2026, 10, 25, 23)),
])
def test_start_of_a_local_day(day, instant):
    assert start_of_day(day, PARIS) == instant


def test_start_of_a_day_whose_midnight_is_skipped():
    # Chile moved its clocks forward at midnight on 8 September 2024: the day began at 01:00.
    assert start_of_day(date(2024, 9, 8), ZoneInfo("America/Santiago")) == utc(2024, 9, 8, 4)


@pytest.mark.parametrize("year, easter", [
    (1818, date(1818, 3, 22)),
    (1943, date(1943, 4, 25)),
    (2000, date(2000, 4, 23)),
    (2008, date(2008, 3, 23)),
    (2011, date(2011, 4, 24)),
    (2019, date(2019, 4, 21)),
    (2024, date(2024, 3, 31)),
    (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)),
    (2027, date(2027, 3, 28)),
    (2038, date(2038, 4, 25)),
    (2285, date(2285, 3, 22)),
])
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter
    assert easter.weekday() == 6


def test_french_public_holidays_of_2026():
    assert french_public_holidays(2026) == [
        (date(2026, 1, 1), "Jour de l'an"),
        (date(2026, 4, 6), "Lundi de Pâques"),
        (date(2026, 5, 1), "Fête du Travail"),
        (date(2026, 5, 8), "Victoire 1945"),
        (date(2026, 5, 14), "Ascension"),
        (date(2026, 5, 25), "Lundi de Pentecôte"),
        (date(2026, 7, 14), "Fête nationale"),
        (date(2026, 8, 15), "Assomption"),
        (date(2026, 11, 1), "Toussaint"),
        (date(2026, 11, 11), "Armistice 1918"),
        (date(2026, 12, 25), "Noël"),
    ]


@pytest.mark.parametrize("year, name, day", [
    (2027, "Lundi de Pâques", date(2027, 3, 29)),
    (2027, "Ascension", date(2027, 5, 6)),
    (2027, "Lundi de Pentecôte", date(2027, 5, 17)),
    (2038, "Lundi de Pentecôte", date(2038, 6, 14)),
])
def test_movable_holidays_follow_easter(year, name, day):
    assert (day, name) in french_public_holidays(year)
    assert len(french_public_holidays(year)) == 11
