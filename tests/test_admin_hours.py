"""Coordinators manage everyone's opening hours and absences at /admin/hours."""
from datetime import time, timedelta

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking.models import BookingStatus, Closure, OpeningRule
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .conftest import submit
from .test_desk_hours import day_ahead, own_rule, place, rule_form, slots_on  # noqa: F401


@pytest.fixture
def coordinator(client, login_as):
    return login_as(Role.COORDINATOR)


def test_a_coordinator_sets_hours_for_a_facilitator(client, coordinator, place, make_user):
    topic, location = place
    colleague = make_user(Role.FACILITATOR, name="Moussa Diallo")
    day = day_ahead()
    data = rule_form(topic, location, day, facilitator=str(colleague.id), capacity="8",
                     workshop_title="Atelier smartphone", slot_length="60")
    assert submit(client, "/admin/hours/new", data).status_code == 302
    rule = db.session.execute(db.select(OpeningRule)).scalar_one()
    assert (rule.facilitator_id, rule.capacity, rule.workshop_title) == (colleague.id, 8, "Atelier smartphone")
    [slot] = slots_on(day)
    assert (slot.capacity, slot.facilitator_id) == (8, colleague.id)
    page = client.get("/admin/hours").page
    assert "Moussa Diallo" in page and "Atelier smartphone" in page

    edit = client.get(f"/admin/hours/{rule.id}").page
    assert 'value="Atelier smartphone"' in edit and f'checked id="topics-0" name="topics" type="checkbox" value="{topic.id}"' in edit


@pytest.mark.parametrize("changes, field", [
    ({"end_time": "09:00"}, "end_time"),
    ({"slot_length": "0"}, "slot_length"),
    ({"facilitator": "99999"}, "facilitator"),
    ({"weekday": "9"}, "weekday"),
    ({"valid_from": ""}, "valid_from"),
])
def test_bad_hours_are_explained_to_coordinators(client, coordinator, place, changes, field):
    topic, location = place
    response = submit(client, "/admin/hours/new", rule_form(topic, location, day_ahead(), **changes))
    assert response.status_code == 200 and f'id="{field}-error"' in response.page
    assert db.session.execute(db.select(db.func.count(OpeningRule.id))).scalar_one() == 0


def test_a_coordinator_records_an_absence_for_a_facilitator(client, coordinator, place, make_user, make_booking):
    topic, location = place
    colleague = make_user(Role.FACILITATOR)
    day = day_ahead()
    own_rule(colleague, topic, location, day)
    booking = make_booking(slots_on(day)[1], topic=topic, first_name="Fatou", request_key="f" * 32)
    response = submit(client, "/admin/hours/absences", {
        "absence-facilitator": str(colleague.id), "absence-start_date": day.isoformat(),
        "absence-end_date": (day + timedelta(days=2)).isoformat()}, form_url="/admin/hours")
    assert response.status_code == 302
    db.session.expire_all()
    assert booking.status == BookingStatus.CANCELLED_BY_CENTRE.value
    assert slots_on(day) == []
    assert db.session.execute(db.select(OutboxMessage.kind)).scalars().all() == ["cancelled_by_centre"]
    assert "Fatou" in client.get("/admin/hours").page

    absence = db.session.execute(db.select(Closure)).scalar_one()
    submit(client, f"/admin/hours/absences/{absence.id}/delete", {}, form_url="/admin/hours")
    assert len(slots_on(day)) == 2


def test_a_centre_closure_is_not_removed_from_the_hours_page(client, coordinator):
    closure = Closure(start_date=day_ahead(), end_date=day_ahead(), reason="Été")
    db.session.add(closure)
    db.session.commit()
    assert submit(client, f"/admin/hours/absences/{closure.id}/delete", {},
                  form_url="/admin/hours").status_code == 404
    assert db.session.get(Closure, closure.id) is not None


def test_everyones_absences_are_listed(client, coordinator, place, make_user):
    topic, location = place
    colleague = make_user(Role.FACILITATOR)
    db.session.add(Closure(start_date=day_ahead(), end_date=day_ahead(), facilitator_id=colleague.id))
    db.session.commit()
    assert colleague.display_name in client.get("/admin/hours").page


def test_coordinators_edit_anyones_hours_from_the_desk_too(client, coordinator, place, make_user):
    topic, location = place
    colleague = make_user(Role.FACILITATOR)
    rule = own_rule(colleague, topic, location, day_ahead())
    assert client.get(f"/desk/hours/{rule.id}").status_code == 200
    response = submit(client, f"/desk/hours/{rule.id}", rule_form(topic, location, day_ahead(), end_time="11:00"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (rule.end_time, rule.facilitator_id) == (time(11), colleague.id)


def test_an_unchanged_rule_changes_nothing(client, coordinator, place):
    topic, location = place
    day = day_ahead()
    rule = own_rule(coordinator, topic, location, day)
    data = rule_form(topic, location, day, facilitator=str(coordinator.id))
    data["valid_from"] = rule.valid_from.isoformat()
    assert submit(client, f"/admin/hours/{rule.id}", data).status_code == 302
    assert not db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "settings.opening_rule_edit")).all()
