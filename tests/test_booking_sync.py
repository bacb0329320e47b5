"""Keeping the slots in the database in line with the opening hours, closures and holidays."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tiers_lieu.booking.models import BookingStatus, Closure, Slot
from tiers_lieu.booking.opening import add_public_holidays
from tiers_lieu.booking.slotsync import horizon, sync_slots
from tiers_lieu.extensions import db

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2031, 3, 3)
SUNDAY = date(2031, 3, 9)


def sync(start=MONDAY, end=SUNDAY, **kwargs):
    return sync_slots(db.session, start, end, PARIS, **kwargs)


def at(day, hour, minute=0):
    """The UTC instant of a local wall-clock time in Valence."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(timezone.utc)


def all_slots():
    return db.session.execute(db.select(Slot).order_by(Slot.starts_at)).scalars().all()


def local_starts(slots):
    return [slot.starts_at.astimezone(PARIS).strftime("%d %H:%M") for slot in slots]


def slot_at(rule, day, hour, minute=0):
    return db.session.execute(
        db.select(Slot).where(Slot.rule_id == rule.id, Slot.starts_at == at(day, hour, minute))
    ).scalar_one()


def counts(report):
    return report.created, report.updated, report.removed, len(report.kept_booked)


@pytest.fixture
def topics(make_topic):
    return [make_topic(slug="demarches"), make_topic(slug="achats")]


def test_creates_the_slots_of_the_opening_hours(make_rule, make_user, topics):
    facilitator = make_user()
    make_rule(topics=topics, facilitator_id=facilitator.id)
    make_rule(weekday=3, start_time=time(14), end_time=time(16), slot_length=120, capacity=6,
              workshop_title="Atelier smartphone : premiers pas", topics=topics[1:])

    assert counts(sync()) == (7, 0, 0, 0)

    slots = all_slots()
    assert local_starts(slots) == ["03 09:00", "03 09:30", "03 10:00", "03 10:30", "03 11:00",
                                   "03 11:30", "06 14:00"]
    assert slots[0].starts_at == datetime(2031, 3, 3, 8, tzinfo=timezone.utc)
    assert [topic.slug for topic in slots[0].topics] == ["demarches", "achats"]
    assert (slots[0].capacity, slots[0].seats_taken, slots[0].facilitator_id) == (1, 0, facilitator.id)
    workshop = slots[-1]
    assert (workshop.capacity, workshop.workshop_title) == (6, "Atelier smartphone : premiers pas")
    assert workshop.ends_at - workshop.starts_at == timedelta(hours=2)
    assert [topic.slug for topic in workshop.topics] == ["achats"]


def test_running_again_changes_nothing(make_rule, topics):
    make_rule(topics=topics)
    sync()
    before = [(slot.id, slot.starts_at) for slot in all_slots()]
    assert counts(sync()) == (0, 0, 0, 0)
    wider = sync(start=MONDAY - timedelta(days=7), end=SUNDAY + timedelta(days=7))
    assert counts(wider) == (12, 0, 0, 0)
    assert [(slot.id, slot.starts_at) for slot in all_slots()][6:12] == before


def test_inactive_rules_and_rules_out_of_their_dates_offer_nothing(make_rule):
    make_rule(active=False)
    make_rule(valid_from=SUNDAY)
    make_rule(valid_from=date(2030, 1, 1), valid_until=MONDAY - timedelta(days=1))
    assert counts(sync()) == (0, 0, 0, 0)


def test_wall_clock_survives_the_database_across_daylight_saving(make_rule):
    make_rule(weekday=6)
    make_rule(weekday=0)
    sync(start=date(2031, 3, 23), end=date(2031, 4, 6))
    db.session.expire_all()
    times = {slot.starts_at.astimezone(PARIS).strftime("%H:%M") for slot in all_slots()}
    assert times == {"09:00", "09:30", "10:00", "10:30", "11:00", "11:30"}
    assert len(all_slots()) == 6 * 5


def test_shorter_hours_remove_free_slots_and_keep_booked_ones(make_rule, make_booking, topics):
    rule = make_rule(topics=topics)
    sync()
    make_booking(slot_at(rule, MONDAY, 11, 30))

    rule.end_time = time(11)
    db.session.commit()
    report = sync()

    assert counts(report) == (0, 0, 1, 1)
    assert report.kept_booked == [slot_at(rule, MONDAY, 11, 30)]
    assert local_starts(all_slots()) == ["03 09:00", "03 09:30", "03 10:00", "03 10:30", "03 11:30"]
    # Reported again each time, until someone deals with it.
    assert counts(sync()) == (0, 0, 0, 1)


def test_a_new_slot_length_reshapes_the_day_around_a_booked_slot(make_rule, make_booking, topics):
    rule = make_rule(topics=topics)
    sync()
    booked = slot_at(rule, MONDAY, 9)
    make_booking(booked)

    rule.slot_length = 45
    db.session.commit()
    report = sync()

    # 09:00 is booked for 30 minutes: it stays as it is and is reported.
    # 10:30 is free and starts a 45-minute slot too: it is stretched rather than replaced.
    assert counts(report) == (2, 1, 4, 1)
    assert report.kept_booked == [booked]
    slots = all_slots()
    assert local_starts(slots) == ["03 09:00", "03 09:45", "03 10:30", "03 11:15"]
    assert [slot.ends_at - slot.starts_at for slot in slots] == [
        timedelta(minutes=30), timedelta(minutes=45), timedelta(minutes=45), timedelta(minutes=45)]


def test_a_new_facilitator_or_topic_list_follows_onto_booked_slots(make_rule, make_booking,
                                                                   make_user, topics):
    rule = make_rule(topics=topics[:1])
    sync()
    booked = slot_at(rule, MONDAY, 9)
    make_booking(booked)

    colleague = make_user()
    rule.facilitator_id = colleague.id
    rule.topics = topics
    db.session.commit()

    assert counts(sync()) == (0, 6, 0, 0)
    assert booked.facilitator_id == colleague.id
    assert {topic.slug for topic in booked.topics} == {"demarches", "achats"}
    assert booked.seats_taken == 1


def test_a_smaller_workshop_never_drops_below_the_seats_taken(make_rule, make_booking, topics):
    rule = make_rule(start_time=time(14), end_time=time(16), slot_length=120, capacity=6,
                     workshop_title="Atelier", topics=topics)
    sync()
    workshop = slot_at(rule, MONDAY, 14)
    for _ in range(3):
        make_booking(workshop)

    rule.capacity = 2
    db.session.commit()
    sync()
    assert (workshop.capacity, workshop.seats_taken) == (3, 3)


def test_a_deactivated_rule_loses_its_free_slots(make_rule, make_booking):
    rule = make_rule()
    sync()
    make_booking(slot_at(rule, MONDAY, 10))
    rule.active = False
    db.session.commit()

    assert counts(sync()) == (0, 0, 5, 1)
    assert local_starts(all_slots()) == ["03 10:00"]


@pytest.mark.parametrize("closed, expected", [
    (None, [("04 09:00", "Salle informatique")]),
    ("Salle informatique", [("03 09:00", "Bureau d'accueil"), ("04 09:00", "Salle informatique")]),
    ("Bureau d'accueil", [("03 09:00", "Salle informatique"), ("04 09:00", "Salle informatique")]),
])
def test_a_closure_removes_the_free_slots_of_its_days(make_rule, make_location, closed, expected):
    places = {name: make_location(name=name) for name in ("Salle informatique", "Bureau d'accueil")}
    hours = {"end_time": time(10), "slot_length": 60}
    make_rule(location=places["Salle informatique"], **hours)
    make_rule(location=places["Bureau d'accueil"], **hours)
    make_rule(location=places["Salle informatique"], weekday=1, **hours)
    sync()
    db.session.add(Closure(start_date=MONDAY, end_date=MONDAY, reason="Inventaire",
                           location_id=places[closed].id if closed else None))
    db.session.commit()

    sync()
    slots = all_slots()
    assert list(zip(local_starts(slots), (slot.location.name for slot in slots))) == expected


def test_a_closure_keeps_booked_slots_for_a_person_to_handle(make_rule, make_booking):
    rule = make_rule()
    sync()
    make_booking(slot_at(rule, MONDAY, 9, 30))
    db.session.add(Closure(start_date=MONDAY, end_date=MONDAY, reason="Formation de l'équipe"))
    db.session.commit()

    report = sync()
    assert counts(report) == (0, 0, 5, 1)
    assert local_starts(report.kept_booked) == ["03 09:30"]


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED_BY_RESIDENT, BookingStatus.NO_SHOW])
def test_a_slot_with_only_released_bookings_is_withdrawn_not_deleted(make_rule, make_booking,
                                                                       status):
    rule = make_rule(end_time=time(10))
    sync()
    slot = slot_at(rule, MONDAY, 9)
    make_booking(slot, status=status)
    rule.active = False
    db.session.commit()

    assert counts(sync()) == (0, 0, 2, 0)
    # The booking stays for the statistics, so its slot stays, no longer offered.
    assert [(s.id, s.cancelled) for s in all_slots()] == [(slot.id, True)]
    assert counts(sync()) == (0, 0, 0, 0)


def test_a_slot_cancelled_by_the_centre_is_not_brought_back(make_rule):
    rule = make_rule()
    sync()
    slot_at(rule, MONDAY, 9).cancelled = True
    db.session.commit()
    assert counts(sync()) == (0, 0, 0, 0)
    assert slot_at(rule, MONDAY, 9).cancelled


def test_slots_added_by_hand_are_left_alone(make_rule, make_slot):
    make_rule(active=False)
    by_hand = make_slot(starts_at=at(MONDAY, 15))
    assert counts(sync()) == (0, 0, 0, 0)
    assert all_slots() == [by_hand]


def test_past_slots_are_left_as_they_were(make_rule):
    rule = make_rule()
    sync()
    rule.end_time = time(10)
    db.session.commit()

    # At 10:15 on that Monday, the morning's first slots are history: occupancy counts them.
    report = sync(now=at(MONDAY, 10, 15))
    assert counts(report) == (0, 0, 3, 0)
    assert local_starts(all_slots()) == ["03 09:00", "03 09:30", "03 10:00"]


def test_no_slot_is_created_in_the_past(make_rule):
    make_rule()
    assert counts(sync(now=at(MONDAY, 10, 15))) == (3, 0, 0, 0)
    assert local_starts(all_slots()) == ["03 10:30", "03 11:00", "03 11:30"]


def test_public_holidays_become_whole_centre_closures_once(app):
    created, _ = add_public_holidays(db.session, 2031)
    assert len(created) == 11
    assert (created[1].start_date, created[1].end_date, created[1].reason) == (
        date(2031, 4, 14), date(2031, 4, 14), "Lundi de Pâques")
    assert all(closure.location_id is None for closure in created)
    assert add_public_holidays(db.session, 2031)[0] == []
    assert db.session.execute(db.select(db.func.count(Closure.id))).scalar_one() == 11


def test_public_holidays_already_within_a_closure_are_not_added_again(make_location):
    db.session.add_all([
        Closure(start_date=date(2031, 7, 13), end_date=date(2031, 8, 20), reason="Été"),
        # A closure of one room does not close the centre.
        Closure(start_date=date(2031, 11, 1), end_date=date(2031, 11, 1), reason="Travaux",
                location_id=make_location().id),
    ])
    db.session.commit()
    days = [closure.start_date for closure in add_public_holidays(db.session, 2031)[0]]
    assert len(days) == 9
    assert date(2031, 11, 1) in days and date(2031, 7, 14) not in days


def test_public_holidays_close_the_slots_of_their_day(make_rule):
    make_rule()
    add_public_holidays(db.session, 2031)
    sync(start=date(2031, 4, 7), end=date(2031, 4, 20))
    assert {slot.starts_at.astimezone(PARIS).date() for slot in all_slots()} == {date(2031, 4, 7)}


def test_horizon_runs_from_today_for_some_weeks():
    assert horizon(date(2031, 3, 3)) == (date(2031, 3, 3), date(2031, 4, 28))
    assert horizon(date(2031, 3, 3), weeks=2) == (date(2031, 3, 3), date(2031, 3, 17))


def test_a_booked_slot_in_a_new_closure_stays_booked_but_is_no_longer_offered(make_rule, topics, make_booking):
    rule = make_rule(topics=topics)
    sync()
    slot = slot_at(rule, MONDAY, 9)
    make_booking(slot)
    db.session.add(Closure(start_date=MONDAY, end_date=MONDAY, reason="Formation"))
    db.session.commit()
    report = sync()
    assert slot in report.kept_booked
    db.session.refresh(slot)
    assert (slot.seats_taken, slot.offered) == (1, False)

    db.session.execute(db.delete(Closure))
    db.session.commit()
    sync()
    db.session.refresh(slot)
    assert slot.offered is True
