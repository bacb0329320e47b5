"""A change of opening hours, absences, closures or booking rules is one transaction with the
slots that follow from it: all of it or none of it; dates beyond the calendar are refused."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking.opening import generate_for_horizon
from tiers_lieu.booking.models import Closure, OpeningRule
from tiers_lieu.extensions import db

from .conftest import submit
from .test_desk_hours import day_ahead, own_rule, place, rule_form, slots_on  # noqa: F401


@pytest.fixture
def coordinator(client, login_as):
    return login_as(Role.COORDINATOR)


def database_rows():
    """Every row of every table, in primary-key order: the whole state of the database."""
    return {table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}


FREEZE_SLOTS = {
    "sqlite": [f"CREATE TRIGGER slot_frozen_{event} BEFORE {event} ON slot "
               "BEGIN SELECT RAISE(ABORT, 'slots are frozen'); END" for event in ("INSERT", "UPDATE", "DELETE")],
    "postgresql": ["CREATE FUNCTION slot_frozen() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'slots are frozen'; END $$",
                   "CREATE TRIGGER slot_frozen BEFORE INSERT OR UPDATE OR DELETE ON slot "
                   "FOR EACH ROW EXECUTE FUNCTION slot_frozen()"],
}
THAW_SLOTS = {
    "sqlite": [f"DROP TRIGGER slot_frozen_{event}" for event in ("INSERT", "UPDATE", "DELETE")],
    "postgresql": ["DROP TRIGGER slot_frozen ON slot", "DROP FUNCTION slot_frozen()"],
}


@pytest.fixture
def frozen_slots(app, backend):
    """Make the database refuse every change of a slot: a real failure in the second half of any
    operation that resyncs the slots. Undone after the test."""
    frozen = []

    def freeze():
        for statement in FREEZE_SLOTS[backend]:
            db.session.execute(text(statement))
        db.session.commit()
        frozen.append(True)
        app.config["PROPAGATE_EXCEPTIONS"] = False  # the failure is answered as in production

    yield freeze
    db.session.rollback()
    if frozen:
        for statement in THAW_SLOTS[backend]:
            db.session.execute(text(statement))
        db.session.commit()


@pytest.fixture
def week(client, coordinator, place, make_user):
    """A colleague's weekly opening with its slots, ten days from now."""
    topic, location = place
    colleague = make_user(Role.FACILITATOR)
    day = day_ahead()
    rule = own_rule(colleague, topic, location, day)
    assert len(slots_on(day)) == 2
    return {"colleague": colleague, "day": day, "rule": rule, "topic": topic, "location": location}


def absence_in_database(week, start, end):
    absence = Closure(start_date=start, end_date=end, reason="", facilitator_id=week["colleague"].id)
    db.session.add(absence)
    generate_for_horizon(db.session)
    db.session.commit()
    return absence


OPERATIONS = {
    "add an absence": lambda client, week: submit(client, "/admin/hours/absences", {
        "absence-facilitator": str(week["colleague"].id), "absence-start_date": week["day"].isoformat(),
        "absence-end_date": week["day"].isoformat()}, form_url="/admin/hours"),
    "remove an absence": lambda client, week: submit(
        client, f"/admin/hours/absences/{week['absence'].id}/delete", {}, form_url="/admin/hours"),
    "add a closure": lambda client, week: submit(client, "/admin/closures", {
        "start_date": week["day"].isoformat(), "end_date": week["day"].isoformat(), "reason": "Travaux",
        "location": "0"}),
    "remove a closure": lambda client, week: submit(
        client, f"/admin/closures/{week['closure'].id}/delete", {}, form_url="/admin/closures"),
    "add opening hours": lambda client, week: submit(client, "/admin/hours/new", rule_form(
        week["topic"], week["location"], week["day"], facilitator="0", start_time="14:00", end_time="15:00")),
    "change opening hours": lambda client, week: submit(client, f"/admin/hours/{week['rule'].id}", rule_form(
        week["topic"], week["location"], week["day"], facilitator=str(week["colleague"].id), end_time="11:00")),
    "deactivate opening hours": lambda client, week: submit(
        client, f"/admin/hours/{week['rule'].id}/active", {"active": "0"}, form_url="/admin/hours"),
    "lengthen the booking horizon": lambda client, week: submit(client, "/admin/rules", {
        "min_notice_minutes": "120", "horizon_weeks": "20", "change_deadline_minutes": "120",
        "max_active_per_contact": "3", "late_grace_minutes": "10", "callback_weeks": "6"}),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_operation_whose_slots_cannot_follow_changes_nothing(client, week, frozen_slots, operation):
    week["absence"] = absence_in_database(week, week["day"] + timedelta(days=7), week["day"] + timedelta(days=7))
    week["closure"] = Closure(start_date=week["day"] + timedelta(days=14), end_date=week["day"] + timedelta(days=14),
                              reason="Été")
    db.session.add(week["closure"])
    generate_for_horizon(db.session)
    db.session.commit()
    before = database_rows()
    frozen_slots()

    response = OPERATIONS[operation](client, week)

    assert response.status_code == 500
    assert "Content-Security-Policy" in response.headers
    db.session.rollback()
    assert database_rows() == before


@pytest.mark.parametrize("operation", ["add an absence", "remove an absence", "add a closure", "remove a closure",
                                       "add opening hours", "deactivate opening hours"])
def test_the_same_operations_apply_completely(client, week, operation):
    week["absence"] = absence_in_database(week, week["day"], week["day"])
    week["closure"] = Closure(start_date=week["day"] + timedelta(days=7), end_date=week["day"] + timedelta(days=7),
                              reason="Été")
    db.session.add(week["closure"])
    generate_for_horizon(db.session)
    db.session.commit()
    events = db.session.execute(select(db.func.count(AuditEvent.id))).scalar_one()

    assert OPERATIONS[operation](client, week).status_code == 302
    db.session.expire_all()
    assert db.session.execute(select(db.func.count(AuditEvent.id))).scalar_one() == events + 1


@pytest.mark.parametrize("url, form_url, fields", [
    ("/admin/hours/absences", "/admin/hours", {"absence-start_date": "{start}", "absence-end_date": "{end}"}),
    ("/desk/hours/absences", "/desk/hours", {"absence-start_date": "{start}", "absence-end_date": "{end}"}),
    ("/admin/closures", None, {"start_date": "{start}", "end_date": "{end}", "reason": "Été", "location": "0"}),
])
@pytest.mark.parametrize("start, end", [
    ("today", "9999-12-31"), ("0001-01-01", "today"), ("2101-01-01", "2101-01-02"), ("1999-12-31", "today"),
])
def test_dates_beyond_the_calendar_are_refused_at_entry(client, week, url, form_url, fields, start, end):
    today = date.today().isoformat()
    data = {name: value.format(start=start.replace("today", today), end=end.replace("today", today))
            for name, value in fields.items()}
    if "absence-start_date" in data and url.startswith("/admin"):
        data["absence-facilitator"] = str(week["colleague"].id)
    before = database_rows()

    response = submit(client, url + "?lang=en", data, form_url=form_url)

    assert response.status_code == 200
    assert "Give a date between January 1, 2000 and December 31, 2100." in response.page
    assert database_rows() == before


def test_opening_hours_until_the_year_9999_are_refused(client, week):
    response = submit(client, "/admin/hours/new?lang=en", rule_form(
        week["topic"], week["location"], week["day"], valid_until="9999-12-31"))
    assert response.status_code == 200
    assert "Give a date between" in response.page
    assert db.session.execute(select(db.func.count(OpeningRule.id))).scalar_one() == 1


@pytest.mark.parametrize("start, end", [(None, date.max), (date.min, None), (date.min, date.max)])
def test_an_absence_written_to_the_edges_of_the_calendar_is_removed_completely(client, week, start, end):
    """Written before dates were checked: its removal reopens the days and is audited, at once."""
    day = week["day"]
    absence_id = absence_in_database(week, start or day, end or day).id
    assert slots_on(day) == []

    response = submit(client, f"/admin/hours/absences/{absence_id}/delete", {}, form_url="/admin/hours")

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Closure, absence_id) is None
    assert len(slots_on(day)) == 2
    assert db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)).scalar() == \
        "settings.absence_delete"


def test_a_facilitator_removes_their_own_absence_to_the_year_9999(client, login_as, place):
    """The desk's page goes through the same operation."""
    topic, location = place
    facilitator = login_as(Role.FACILITATOR)
    day = day_ahead()
    own_rule(facilitator, topic, location, day)
    absence_id = absence_in_database({"colleague": facilitator}, day, date.max).id
    assert slots_on(day) == []

    response = submit(client, f"/desk/hours/absences/{absence_id}/delete", {}, form_url="/desk/hours")

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Closure, absence_id) is None
    assert len(slots_on(day)) == 2

