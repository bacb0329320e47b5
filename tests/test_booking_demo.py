"""The demo's topics, places, opening hours and slots."""
from pathlib import Path

from tiers_lieu import ROOT
from tiers_lieu.booking.models import (HOLDS_SEAT, Booking, Closure, Location, OpeningRule, Procedure,
                                       Slot, Topic, slot_topic)
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db


def count(what):
    return db.session.execute(db.select(db.func.count()).select_from(what)).scalar_one()


def test_demo_brings_topics_places_hours_and_slots_once(runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    figures = {model: count(model) for model in (Topic, Procedure, Location, OpeningRule,
                                                 Closure, Slot, slot_topic, Booking)}
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert {model: count(model) for model in figures} == figures

    topics = db.session.execute(db.select(Topic).order_by(Topic.position)).scalars().all()
    assert [topic.slug for topic in topics] == ["demarches", "achats", "scolarite", "smartphone"]
    assert figures[Location] == 2
    assert figures[Closure] == 22
    assert figures[Slot] > 0
    # Seven booked online for the coming weeks; the desk's demo day adds bookings made by staff for
    # today, and the six months of past activity (stats/history.py) add past bookings.
    online = db.session.execute(
        db.select(db.func.count(Booking.id)).join(Slot)
        .where(Booking.booked_by_id.is_(None), Booking.status == "booked", Slot.starts_at >= utcnow())
    ).scalar_one()
    assert online == 7
    holding = db.session.execute(db.select(db.func.count(Booking.id)).where(
        Booking.status.in_(HOLDS_SEAT))).scalar_one()
    seats = db.session.execute(db.select(db.func.sum(Slot.seats_taken))).scalar_one()
    assert seats == holding
    workshop = db.session.execute(
        db.select(OpeningRule).where(OpeningRule.capacity > 1)).scalar_one()
    assert (workshop.weekday, workshop.capacity, workshop.slot_length) == (3, 6, 120)
    assert workshop.workshop_title == "Atelier smartphone : premiers pas"
    assert {rule.facilitator.email for rule in db.session.execute(
        db.select(OpeningRule)).scalars()} == {"facilitator@example.org", "volunteer@example.org"}


def test_demo_topics_are_complete_in_both_languages(runner):
    runner.invoke(args=["seed", "demo"])
    for topic in db.session.execute(db.select(Topic)).scalars():
        for field in ("name", "description", "what_to_bring"):
            assert getattr(topic, f"{field}_fr") and getattr(topic, f"{field}_en")
        assert len(topic.what_to_bring_fr.splitlines()) == len(topic.what_to_bring_en.splitlines())
        assert (Path(ROOT, "static", topic.pictogram_path)).is_file()
        assert topic.procedures
