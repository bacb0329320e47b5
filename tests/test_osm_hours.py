"""The centre's opening hours in OpenStreetMap syntax, read back by the reference parser."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from opening_hours import OpeningHours, validate

from tiers_lieu.booking import opening
from tiers_lieu.booking.models import Closure
from tiers_lieu.booking.osm_hours import ClosedDays, HoursRule, centre_opening_hours, osm_opening_hours
from tiers_lieu.booking.slotgen import french_public_holidays
from tiers_lieu.extensions import db

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2027, 6, 7)  # a Monday
LONG_AGO = date(2026, 1, 1)


def rule(weekday, start, end, valid_from=LONG_AGO, valid_until=None, **fields):
    return HoursRule(weekday, time(*start), time(*end), valid_from, valid_until, **fields)


def hours(rules, closures=(), today=TODAY, **options):
    """The string, after checking that the reference parser accepts it."""
    holidays = french_public_holidays(today.year) + french_public_holidays(today.year + 1)
    text = osm_opening_hours(rules, closures, holidays, today, **options)
    assert validate(text), text
    return text


def parsed(text):
    return OpeningHours(text, country="FR", timezone=PARIS)


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), PARIS)


def test_a_split_day_lists_both_intervals():
    text = hours([rule(0, (9,), (12,)), rule(0, (14,), (17,))])
    assert text == "Mo 09:00-12:00,14:00-17:00; PH off"
    oh = parsed(text)
    monday = date(2027, 6, 14)
    assert oh.is_open(at(monday, 10)) and oh.is_closed(at(monday, 13)) and oh.is_open(at(monday, 16, 30))
    assert oh.is_closed(at(monday, 17)) and oh.is_closed(at(monday + timedelta(days=1), 10))


@pytest.mark.parametrize("weekdays, expected", [
    ((0, 1, 2, 3, 4), "Mo-Fr 09:00-12:00; PH off"),
    ((1, 3), "Tu,Th 09:00-12:00; PH off"),
    ((5, 6), "Sa,Su 09:00-12:00; PH off"),
    ((0, 2, 3, 4), "Mo,We-Fr 09:00-12:00; PH off"),
    ((4,), "Fr 09:00-12:00; PH off"),
])
def test_weekdays_with_the_same_hours_are_grouped(weekdays, expected):
    assert hours([rule(weekday, (9,), (12,)) for weekday in weekdays]) == expected


def test_weekdays_with_different_hours_have_their_own_section():
    text = hours([rule(weekday, (9,), (12,)) for weekday in (0, 1, 2)] + [rule(3, (14,), (17,))])
    assert text == "Mo-We 09:00-12:00; Th 14:00-17:00; PH off"
    oh = parsed(text)
    thursday = date(2027, 6, 10)
    assert oh.is_closed(at(thursday, 10)) and oh.is_open(at(thursday, 15))


def test_a_workshop_counts_as_opening_hours():
    text = hours([rule(0, (9,), (12,)), rule(2, (14,), (16,), capacity=12)])
    assert text == "Mo 09:00-12:00; We 14:00-16:00; PH off"
    assert parsed(text).is_open(at(date(2027, 6, 9), 15))


def test_overlapping_and_touching_rules_of_two_places_make_one_interval():
    # The computer room 09:00-12:00, the office 11:00-13:00, then the computer room again 13:00-14:00.
    text = hours([rule(0, (9,), (12,)), rule(0, (11,), (13,)), rule(0, (13,), (14,))])
    assert text == "Mo 09:00-14:00; PH off"
    assert parsed(text).is_open(at(date(2027, 6, 14), 12, 30))


def test_inactive_and_expired_rules_are_ignored():
    text = hours([rule(0, (9,), (12,)), rule(1, (9,), (12,), active=False),
                  rule(2, (9,), (12,), valid_until=TODAY - timedelta(days=1))])
    assert text == "Mo 09:00-12:00; PH off"


def test_a_rule_not_yet_valid_gives_a_dated_section():
    text = hours([rule(0, (9,), (12,)), rule(1, (14,), (17,), date(2027, 7, 6), date(2027, 9, 28))])
    assert text == "Mo 09:00-12:00; 2027 Jul 06-2027 Sep 28 Tu 14:00-17:00; PH off"
    oh = parsed(text)
    assert oh.is_closed(at(date(2027, 6, 29), 15))
    assert oh.is_open(at(date(2027, 7, 6), 15)) and oh.is_open(at(date(2027, 9, 28), 15))
    assert oh.is_closed(at(date(2027, 10, 5), 15))
    assert oh.is_open(at(date(2027, 7, 5), 10))


def test_a_rule_starting_beyond_the_horizon_is_left_out():
    rules = [rule(0, (9,), (12,)), rule(1, (14,), (17,), date(2027, 9, 7))]
    assert hours(rules, horizon_days=60) == "Mo 09:00-12:00; PH off"
    assert hours(rules) == "Mo 09:00-12:00; 2027 Sep 07+ Tu 14:00-17:00; PH off"


def test_a_rule_ending_soon_closes_its_day_from_then_on():
    text = hours([rule(0, (9,), (12,)), rule(3, (14,), (17,), valid_until=date(2027, 6, 30))])
    assert text == "Mo 09:00-12:00; Th 14:00-17:00; 2027 Jul 01+ Th off; PH off"
    oh = parsed(text)
    assert oh.is_open(at(date(2027, 6, 24), 15))
    assert oh.is_closed(at(date(2027, 7, 1), 15)) and oh.is_closed(at(date(2027, 12, 2), 15))


def test_a_dated_section_carries_the_whole_day_it_replaces():
    # The later section replaces Tuesday's hours: it must repeat the morning that goes on.
    text = hours([rule(1, (9,), (12,)), rule(1, (14,), (17,), date(2027, 9, 7), date(2027, 12, 21)),
                  rule(0, (9,), (12,), valid_until=date(2027, 8, 30)), rule(0, (14,), (17,), date(2027, 8, 31))])
    assert text == ("Mo,Tu 09:00-12:00; 2027 Aug 31+ Mo 14:00-17:00; "
                    "2027 Sep 07-2027 Dec 21 Tu 09:00-12:00,14:00-17:00; PH off")
    oh = parsed(text)
    assert oh.is_open(at(date(2027, 9, 14), 10)) and oh.is_open(at(date(2027, 9, 14), 15))
    assert oh.is_closed(at(date(2027, 12, 28), 15)) and oh.is_open(at(date(2027, 12, 28), 10))
    assert oh.is_closed(at(date(2027, 9, 6), 10)) and oh.is_open(at(date(2027, 9, 6), 15))


def test_no_rule_in_force_today_but_one_to_come():
    text = hours([rule(1, (14,), (17,), date(2027, 7, 6))])
    assert text == "2027 Jul 06+ Tu 14:00-17:00; PH off"
    oh = parsed(text)
    assert oh.is_closed(at(date(2027, 6, 8), 15)) and oh.is_open(at(date(2027, 7, 6), 15))


WEEKDAYS = [rule(weekday, (9,), (12,)) for weekday in range(5)]


def test_a_summer_closure_is_appended():
    text = hours(WEEKDAYS, [ClosedDays(date(2027, 8, 2), date(2027, 8, 22), "Fermeture estivale")])
    assert text == "Mo-Fr 09:00-12:00; 2027 Aug 02-2027 Aug 22 off; PH off"
    oh = parsed(text)
    assert oh.is_open(at(date(2027, 7, 30), 10))
    assert oh.is_closed(at(date(2027, 8, 2), 10)) and oh.is_closed(at(date(2027, 8, 20), 10))
    assert oh.is_open(at(date(2027, 8, 23), 10))


def test_a_one_day_closure_is_one_date():
    text = hours(WEEKDAYS, [ClosedDays(date(2027, 6, 21), date(2027, 6, 21), "Inventaire")])
    assert text == "Mo-Fr 09:00-12:00; 2027 Jun 21 off; PH off"
    oh = parsed(text)
    assert oh.is_closed(at(date(2027, 6, 21), 10)) and oh.is_open(at(date(2027, 6, 22), 10))


def test_closures_are_clipped_to_today_merged_and_bounded_by_the_horizon():
    closures = [ClosedDays(date(2027, 6, 1), date(2027, 6, 9)),       # began last week
                ClosedDays(date(2027, 6, 10), date(2027, 6, 11)),     # follows it
                ClosedDays(date(2027, 5, 3), date(2027, 5, 7)),       # over
                ClosedDays(date(2027, 10, 4), date(2027, 10, 8))]     # beyond 60 days
    assert hours(WEEKDAYS, closures, horizon_days=60) == "Mo-Fr 09:00-12:00; 2027 Jun 07-2027 Jun 11 off; PH off"


def test_a_place_closure_or_an_absence_does_not_close_the_centre():
    closures = [ClosedDays(date(2027, 6, 21), date(2027, 6, 25), "Travaux", location_id=1),
                ClosedDays(date(2027, 6, 28), date(2027, 7, 2), "Congés", facilitator_id=4)]
    assert hours(WEEKDAYS, closures) == "Mo-Fr 09:00-12:00; PH off"


def test_public_holidays_read_ph_off_and_their_closures_are_not_repeated():
    closures = [ClosedDays(day, day, name) for day, name in french_public_holidays(2027)]
    closures.append(ClosedDays(date(2027, 7, 13), date(2027, 7, 13), "Pont"))
    text = hours(WEEKDAYS, closures)
    assert text == "Mo-Fr 09:00-12:00; 2027 Jul 13 off; PH off"
    oh = parsed(text)
    assert oh.is_closed(at(date(2027, 7, 14), 10)) and oh.is_closed(at(date(2027, 11, 11), 10))
    assert oh.is_closed(at(date(2027, 7, 13), 10)) and oh.is_open(at(date(2027, 7, 15), 10))


def test_a_holiday_name_on_another_day_is_an_ordinary_closure():
    text = hours(WEEKDAYS, [ClosedDays(date(2027, 7, 15), date(2027, 7, 15), "Fête nationale")])
    assert text == "Mo-Fr 09:00-12:00; 2027 Jul 15 off; PH off"


@pytest.mark.parametrize("before, spanning, after, changed_on", [
    # Last Sunday of March 2028 (clocks go forward), then of October 2028 (back).
    (date(2028, 3, 20), date(2028, 3, 23), date(2028, 3, 27), date(2028, 3, 26)),
    (date(2028, 10, 23), date(2028, 10, 26), date(2028, 10, 30), date(2028, 10, 29)),
])
def test_a_daylight_saving_week_reads_like_any_other(before, spanning, after, changed_on):
    rules = [rule(0, (9,), (12,)), rule(0, (14,), (17,)), rule(3, (14,), (17,), capacity=8)]
    texts = {hours(rules, today=today) for today in (before, spanning, after)}
    assert texts == {"Mo 09:00-12:00,14:00-17:00; Th 14:00-17:00; PH off"}
    oh = parsed(texts.pop())
    monday_before, monday_after = changed_on - timedelta(days=6), changed_on + timedelta(days=1)
    # 09:00 and 11:30 on the wall clock are the same instants the parser reads as opening hours,
    # one UTC hour apart across the change.
    for monday in (monday_before, monday_after):
        assert oh.is_open(at(monday, 9)) and oh.is_open(at(monday, 11, 30)) and oh.is_closed(at(monday, 8, 59))
    assert at(monday_before, 9).utcoffset() != at(monday_after, 9).utcoffset()


@pytest.mark.parametrize("rules, closures", [
    ([], []),
    ([rule(0, (9,), (12,), active=False)], []),
    ([rule(0, (9,), (12,), valid_until=TODAY - timedelta(days=1))], [ClosedDays(TODAY, TODAY)]),
])
def test_no_opening_hours_read_off(rules, closures):
    text = hours(rules, closures)
    assert text == "off"
    assert parsed(text).is_closed(at(TODAY, 10)) and parsed(text).next_change(at(TODAY, 10)) is None


def test_the_centre_s_rows(app, make_rule, make_location):
    """Active rules of every place, closures of the whole centre and its holidays, from the database."""
    room, office = make_location("Salle informatique"), make_location("Bureau")
    make_rule(location=room)  # Mondays 09:00-12:00 from 2030
    make_rule(location=office, start_time=time(11), end_time=time(13), capacity=8, workshop_title="Atelier")
    make_rule(location=room, weekday=2, active=False)
    make_rule(location=room, weekday=4, start_time=time(14), end_time=time(17), valid_until=date(2030, 3, 29))
    db.session.add_all([
        Closure(start_date=date(2030, 7, 29), end_date=date(2030, 8, 18), reason="Été"),
        Closure(start_date=date(2030, 2, 4), end_date=date(2030, 2, 8), reason="Travaux", location_id=room.id),
        Closure(start_date=date(2029, 12, 24), end_date=date(2029, 12, 31), reason="Fêtes"),
    ])
    db.session.commit()
    opening.add_public_holidays(db.session, 2030)

    text = centre_opening_hours(db.session, date(2030, 1, 7))

    assert text == "Mo 09:00-13:00; Fr 14:00-17:00; 2030 Mar 30+ Fr off; 2030 Jul 29-2030 Aug 18 off; PH off"
    assert validate(text)
    oh = parsed(text)
    assert oh.is_open(at(date(2030, 2, 4), 12, 30)) and oh.is_closed(at(date(2030, 7, 29), 10))
    assert oh.is_closed(at(date(2030, 4, 22), 10))  # Easter Monday
