"""Facilitators manage their own opening hours and absences; booked residents are told and listed."""
from datetime import datetime, time, timedelta

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking.opening import generate_for_horizon
from tiers_lieu.booking.models import BookingStatus, Closure, Location, OpeningRule, Slot, Topic
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .factories import PARIS
from .conftest import submit


@pytest.fixture
def place(app):
    topic = Topic(slug="demarches", name_fr="Démarches", name_en="Procedures")
    location = Location(name="Salle informatique")
    db.session.add_all([topic, location])
    db.session.commit()
    return topic, location


@pytest.fixture
def facilitator(client, login_as):
    return login_as(Role.FACILITATOR)


def day_ahead(days=10):
    return datetime.now(PARIS).date() + timedelta(days=days)


def rule_form(topic, place_, day, **changes):
    location = place_
    return {"weekday": str(day.weekday()), "start_time": "09:00", "end_time": "10:00", "slot_length": "30",
            "capacity": "1", "workshop_title": "", "topics": [str(topic.id)], "location": str(location.id),
            "valid_from": datetime.now(PARIS).date().isoformat(), "valid_until": "", **changes}


def slots_on(day, facilitator_id=None):
    start = datetime.combine(day, time(), PARIS)
    query = db.select(Slot).where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=1),
                                  Slot.cancelled.is_(False), Slot.offered.is_(True)).order_by(Slot.starts_at)
    if facilitator_id:
        query = query.where(Slot.facilitator_id == facilitator_id)
    return db.session.execute(query).scalars().all()


def own_rule(user, topic, location, day):
    rule = OpeningRule(weekday=day.weekday(), start_time=time(9), end_time=time(10), slot_length=30,
                       location=location, topics=[topic], valid_from=datetime.now(PARIS).date(),
                       facilitator_id=user.id)
    db.session.add(rule)
    generate_for_horizon(db.session)
    db.session.commit()
    return rule


def test_a_facilitator_adds_their_own_hours_and_the_slots_follow(client, facilitator, place):
    topic, location = place
    day = day_ahead()
    assert client.get("/desk/hours").status_code == 200
    response = submit(client, "/desk/hours/new", rule_form(topic, location, day))
    assert response.status_code == 302
    rule = db.session.execute(db.select(OpeningRule)).scalar_one()
    assert rule.facilitator_id == facilitator.id
    assert len(slots_on(day, facilitator.id)) == 2
    assert "09:00" in client.get("/desk/hours").page
    assert db.session.execute(db.select(AuditEvent.action)).scalars().all()[-1] == "settings.opening_rule_add"


@pytest.mark.parametrize("changes, field", [
    ({"end_time": "08:00"}, "end_time"),
    ({"slot_length": "90"}, "slot_length"),
    ({"capacity": "6"}, "workshop_title"),
    ({"topics": []}, "topics"),
    ({"location": "99999"}, "location"),
    ({"start_time": "25:00"}, "start_time"),
    ({"valid_until": "2000-01-01"}, "valid_until"),
])
def test_bad_hours_are_explained(client, facilitator, place, changes, field):
    topic, location = place
    response = submit(client, "/desk/hours/new", rule_form(topic, location, day_ahead(), **changes))
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.page
    assert db.session.execute(db.select(db.func.count(OpeningRule.id))).scalar_one() == 0


def test_a_workshop_needs_its_title(client, facilitator, place):
    topic, location = place
    data = rule_form(topic, location, day_ahead(), capacity="6", workshop_title="Atelier smartphone")
    assert submit(client, "/desk/hours/new", data).status_code == 302
    assert db.session.execute(db.select(OpeningRule.workshop_title)).scalar_one() == "Atelier smartphone"


def test_an_absence_cancels_the_booked_slots_tells_the_residents_and_lists_them(
        client, facilitator, place, make_booking):
    topic, location = place
    day = day_ahead()
    own_rule(facilitator, topic, location, day)
    booked, free = slots_on(day, facilitator.id)
    booking = make_booking(booked, topic=topic, first_name="Awa", phone="+33612345678", language="fr",
                           request_key="k" * 32)

    response = submit(client, "/desk/hours/absences", {"absence-start_date": day.isoformat(),
                                                       "absence-end_date": day.isoformat(),
                                                       "absence-reason": "Formation"}, form_url="/desk/hours")
    assert response.status_code == 302
    db.session.expire_all()
    assert booking.status == BookingStatus.CANCELLED_BY_CENTRE.value
    assert booking.cancel_reason == "l'animateur·rice est absent·e ce jour-là"
    assert booked.seats_taken == 0
    assert slots_on(day) == []
    message = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.booking_id == booking.id)).scalar_one()
    assert message.kind == "cancelled_by_centre" and message.channel == "sms"
    assert "annuler" in message.body

    page = client.get(response.headers["Location"]).page
    assert "Awa" in page and "06 12 34 56 78" in page  # the list of residents to call
    assert {"settings.absence_add", "booking.cancel_by_centre"} <= set(
        db.session.execute(db.select(AuditEvent.action)).scalars())

    submit(client, "/desk/hours/calls/done", {}, form_url="/desk/hours")
    assert "Awa" not in client.get("/desk/hours").page

    absence = db.session.execute(db.select(Closure)).scalar_one()
    submit(client, f"/desk/hours/absences/{absence.id}/delete", {}, form_url="/desk/hours")
    db.session.expire_all()
    assert len(slots_on(day, facilitator.id)) == 2  # offered again
    assert booking.status == BookingStatus.CANCELLED_BY_CENTRE.value


def test_an_english_resident_is_told_in_english(client, facilitator, place, make_booking):
    topic, location = place
    day = day_ahead()
    own_rule(facilitator, topic, location, day)
    booking = make_booking(slots_on(day)[0], topic=topic, email="ama@example.org", phone=None, language="en",
                           request_key="e" * 32)
    submit(client, "/desk/hours/absences", {"absence-start_date": day.isoformat(),
                                            "absence-end_date": day.isoformat()}, form_url="/desk/hours")
    message = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.booking_id == booking.id)).scalar_one()
    assert message.channel == "email" and message.language == "en"
    assert message.subject.startswith("We had to cancel your appointment")
    assert "the facilitator is absent that day" in message.body


def test_changing_ones_hours_cancels_the_bookings_the_new_hours_drop(client, facilitator, place, make_booking):
    topic, location = place
    day = day_ahead()
    rule = own_rule(facilitator, topic, location, day)
    booking = make_booking(slots_on(day)[0], topic=topic, request_key="c" * 32)
    response = submit(client, f"/desk/hours/{rule.id}", rule_form(topic, location, day, start_time="14:00",
                                                                 end_time="15:00"))
    assert response.status_code == 302
    db.session.expire_all()
    assert booking.status == BookingStatus.CANCELLED_BY_CENTRE.value
    assert [slot.starts_at.astimezone(PARIS).hour for slot in slots_on(day)] == [14, 14]


def test_deactivating_ones_hours_removes_the_slots(client, facilitator, place):
    topic, location = place
    day = day_ahead()
    rule = own_rule(facilitator, topic, location, day)
    submit(client, f"/desk/hours/{rule.id}/active", {"active": "0"}, form_url="/desk/hours")
    assert slots_on(day) == []
    submit(client, f"/desk/hours/{rule.id}/active", {"active": "1"}, form_url="/desk/hours")
    assert len(slots_on(day)) == 2


def test_a_facilitator_cannot_touch_someone_elses_hours_or_the_centres_closures(
        client, facilitator, place, make_user):
    topic, location = place
    colleague = make_user(Role.FACILITATOR)
    day = day_ahead()
    rule = own_rule(colleague, topic, location, day)
    assert client.get(f"/desk/hours/{rule.id}").status_code == 403
    assert submit(client, f"/desk/hours/{rule.id}", rule_form(topic, location, day),
                  form_url="/desk/hours").status_code == 403
    assert submit(client, f"/desk/hours/{rule.id}/active", {"active": "0"}, form_url="/desk/hours").status_code == 403
    assert len(slots_on(day)) == 2

    absence = Closure(start_date=day, end_date=day, facilitator_id=colleague.id)
    closure = Closure(start_date=day, end_date=day, reason="Fermeture")
    db.session.add_all([absence, closure])
    db.session.commit()
    for target in (absence, closure):
        assert submit(client, f"/desk/hours/absences/{target.id}/delete", {},
                      form_url="/desk/hours").status_code == 403
    assert client.get(f"/desk/hours/{999999}").status_code == 404
    assert "Salle informatique" not in client.get("/desk/hours").page  # only their own hours are listed


@pytest.mark.parametrize("data, field", [
    ({"absence-start_date": "2030-05-02", "absence-end_date": "2030-05-01"}, "absence-end_date"),
    ({"absence-start_date": "soon", "absence-end_date": "2030-05-01"}, "absence-start_date"),
])
def test_bad_absences_are_explained(client, facilitator, data, field):
    response = submit(client, "/desk/hours/absences", data, form_url="/desk/hours")
    assert response.status_code == 200 and f'id="{field}-error"' in response.page
    assert db.session.execute(db.select(db.func.count(Closure.id))).scalar_one() == 0


def test_the_desk_hours_need_a_login(client):
    assert client.get("/desk/hours").status_code == 302


def test_one_cannot_hold_two_openings_at_once(client, facilitator, place):
    topic, location = place
    day = day_ahead()
    rule = own_rule(facilitator, topic, location, day)
    response = submit(client, "/desk/hours/new", rule_form(topic, location, day, start_time="09:30",
                                                           end_time="11:00"))
    assert response.status_code == 200 and 'id="start_time-error"' in response.page
    assert "09:00" in response.page and "10:00" in response.page
    assert db.session.execute(db.select(db.func.count(OpeningRule.id))).scalar_one() == 1
    # Right after it, or the same rule edited, is fine.
    assert submit(client, "/desk/hours/new", rule_form(topic, location, day, start_time="10:00",
                                                       end_time="11:00")).status_code == 302
    assert submit(client, f"/desk/hours/{rule.id}", rule_form(topic, location, day, end_time="09:30")).status_code == 302
