"""The booking schema: its migration goes down and up, and the database guards the seats."""
from datetime import datetime, time, timedelta, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError

from config import TestConfig
from tiers_lieu import create_app
from tiers_lieu.booking.availability import booking_rules
from tiers_lieu.booking.models import OpeningRule, Slot
from tiers_lieu.desk.reception import agenda
from tiers_lieu.extensions import db

from .test_migrations import schema_differences

BOOKING_TABLES = {"topic", "procedure", "location", "opening_rule", "opening_rule_topic",
                  "closure", "slot", "slot_topic", "booking"}


def test_booking_migration_goes_down_and_up_again(blank_database_url):
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": blank_database_url})
    app = create_app(config)
    with app.app_context():
        upgrade()
        assert schema_differences() == []

        downgrade(revision="0001_foundation")
        tables = set(inspect(db.engine).get_table_names())
        assert not tables & BOOKING_TABLES
        assert "staff_user" in tables

        upgrade()
        assert BOOKING_TABLES <= set(inspect(db.engine).get_table_names())
        assert schema_differences() == []
        db.engine.dispose()


@pytest.mark.parametrize("capacity, seats_taken", [(1, 2), (6, 7), (1, -1)])
def test_database_refuses_seats_outside_capacity(make_slot, capacity, seats_taken):
    with pytest.raises(IntegrityError):
        make_slot(capacity=capacity, seats_taken=seats_taken)
    db.session.rollback()


def test_database_refuses_an_unconditional_seat_update_past_capacity(make_slot):
    slot = make_slot(capacity=1, seats_taken=1)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Slot).where(Slot.id == slot.id)
                           .values(seats_taken=Slot.seats_taken + 1))
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Slot, slot.id).seats_taken == 1


def test_a_full_workshop_is_allowed(make_slot):
    assert make_slot(capacity=6, seats_taken=6).seats_left == 0


def test_a_rule_cannot_have_two_slots_at_the_same_start(make_rule, make_slot):
    rule = make_rule()
    make_slot(rule=rule, location=rule.location)
    with pytest.raises(IntegrityError):
        make_slot(rule=rule, location=rule.location)
    db.session.rollback()


def test_slots_added_by_hand_may_share_a_start(make_slot):
    make_slot()
    make_slot()
    assert db.session.execute(db.select(db.func.count(Slot.id))).scalar_one() == 2


def test_a_workshop_rule_needs_a_title(make_rule):
    with pytest.raises(IntegrityError):
        make_rule(capacity=6)
    db.session.rollback()
    assert make_rule(capacity=6, workshop_title="Atelier smartphone").capacity == 6


def test_a_rule_ends_after_it_starts(make_rule):
    with pytest.raises(IntegrityError):
        make_rule(start_time=time(12), end_time=time(9))
    db.session.rollback()


def test_a_slot_counts_exactly_the_bookings_that_hold_a_seat(make_slot, make_booking):
    """The status groups agree with the seats that the desk's changes take and give back."""
    slot = make_slot(capacity=4)
    waiting, arrived, absent, leaving = (make_booking(slot, request_key=f"key-{number}") for number in range(4))
    now = slot.starts_at + timedelta(minutes=5)
    rules = booking_rules(db.session)
    agenda.check_in(db.session, arrived, rules=rules, tz=timezone.utc, now=now)
    agenda.mark_no_show(db.session, absent, tz=timezone.utc, now=now)
    agenda.cancel_for_resident(db.session, leaving, reason="", rules=rules, now=now)
    db.session.refresh(slot)
    bookings = (waiting, arrived, absent, leaving)
    assert [booking.holds_seat for booking in bookings] == [True, True, False, False]
    assert slot.seats_taken == 2
    assert [booking.is_expected for booking in bookings] == [True, True, False, False]
    assert [booking.can_check_in for booking in bookings] == [True, False, True, False]
    assert [booking.is_cancelled for booking in bookings] == [False, False, False, True]
    assert [booking.can_cancel(now) for booking in bookings] == [True, True, False, False]
    assert [booking.can_log_session for booking in bookings] == [False, True, False, False]


def test_a_slot_keeps_its_instants_in_utc(make_slot):
    starts_at = datetime(2030, 3, 31, 9, tzinfo=timezone.utc)
    slot_id = make_slot(starts_at=starts_at).id
    db.session.expire_all()
    assert db.session.get(Slot, slot_id).starts_at == starts_at
    assert db.session.get(Slot, slot_id).starts_at.tzinfo is not None


@pytest.mark.parametrize("language, name, description, first_item", [
    ("fr", "Suivi scolaire", "Pronote et EduConnect", "Identifiants EduConnect"),
    # No English description: the French one is shown rather than nothing.
    ("en", "School follow-up", "Pronote et EduConnect", "EduConnect log-in"),
])
def test_topic_speaks_the_current_language(app, make_topic, language, name, description,
                                           first_item):
    topic = make_topic(name_fr="Suivi scolaire", name_en="School follow-up",
                       description_fr="Pronote et EduConnect",
                       what_to_bring_fr="Identifiants EduConnect\n\n  Numéro INE  \n",
                       what_to_bring_en="EduConnect log-in\nINE number")
    with app.test_request_context(f"/?lang={language}"):
        assert topic.name == name
        assert topic.description == description
        assert topic.what_to_bring[0] == first_item
        assert len(topic.what_to_bring) == 2


def test_rule_slot_and_topic_relations(make_rule, make_topic, make_slot, make_booking):
    topic = make_topic()
    rule = make_rule(topics=[topic])
    slot = make_slot(rule=rule, location=rule.location, topics=[topic], capacity=6,
                     workshop_title="Atelier")
    booking = make_booking(slot)
    db.session.expire_all()
    slot = db.session.get(Slot, slot.id)
    assert slot.rule.topics == [topic]
    assert slot.bookings == [booking]
    assert (slot.seats_taken, slot.seats_left, slot.is_workshop) == (1, 5, True)
    assert db.session.get(OpeningRule, rule.id).location.name == "Salle informatique"
