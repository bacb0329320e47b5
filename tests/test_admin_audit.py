"""The audit log page: newest first, paginated, filterable, never personal values."""
from datetime import datetime, timedelta, timezone

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.admin import audit_log
from tiers_lieu.audit import AuditEvent
from tiers_lieu.extensions import db


@pytest.fixture
def coordinator(client, login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture
def events(app, make_user, coordinator):
    colleague = make_user(Role.FACILITATOR, name="Léa Martin")
    now = datetime.now(timezone.utc)
    rows = [
        AuditEvent(at=now - timedelta(days=40), actor_id=colleague.id, action="booking.cancel_by_centre",
                   target_type="booking", target_id=11, details={"slot_id": 3}),
        AuditEvent(at=now - timedelta(days=1), actor_id=coordinator.id, action="settings.topic_edit",
                   target_type="topic", target_id=2, details={"fields": ["colour", "name_en"]}),
        AuditEvent(at=now, actor_id=colleague.id, action="settings.absence_add", target_type="closure",
                   target_id=5, details={"facilitator_id": colleague.id}),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return colleague, rows


def table_of(page):
    """The log's table, without the filters' lists of actions."""
    return page[page.find("<tbody>"):]


def rows_of(page):
    return table_of(page).count("<tr>")


def test_the_log_lists_newest_first_with_ids(client, events):
    page = table_of(client.get("/admin/audit?lang=en").page)
    assert page.index("Added an absence") < page.index("Changed a topic") < page.index("Cancelled an appointment (by the centre)")
    assert "Appointment no. 11" in page and "Fields changed: Colour, Name in English" in page


def test_the_log_speaks_words_not_codes(client, events):
    """Issue 11: the log showed `booking.booked_for`, `callbackrequest #72`, `late: False`,
    `resident_id: None`."""
    colleague, _ = events
    db.session.add_all([
        AuditEvent(actor_id=colleague.id, action="booking.check_in", target_type="booking", target_id=72,
                   details={"late": False}),
        AuditEvent(actor_id=colleague.id, action="booking.booked_for", target_type="booking", target_id=73,
                   details={"resident_id": None}),
        AuditEvent(actor_id=colleague.id, action="callback.handled", target_type="callbackrequest",
                   target_id=72, details={"booking_id": 73}),
        AuditEvent(actor_id=colleague.id, action="user.create", target_type="user", target_id=colleague.id,
                   details={"role": "coordinator"}),
    ])
    db.session.commit()
    french = table_of(client.get("/admin/audit").page)
    for code in ("booking.", "callbackrequest", "False", "None", "resident_id", "late:", "#", "coordinator"):
        assert code not in french, code
    assert "Arrivée en retard : non" in french and "Habitant·e : —" in french
    assert "Demande de rappel n°\u00a072" in french and "Rendez-vous : Rendez-vous n°\u00a073" in french
    assert f'<a href="/admin/users/{colleague.id}">Compte du personnel n°\u00a0{colleague.id}</a>' in french
    assert "Rôle : Coordinateur·rice" in french
    filters = client.get("/admin/audit").page.split("<tbody>")[0]
    assert "Demandes de rappel" in filters and ">callbackrequest<" not in filters
    assert "A traité une demande de rappel" in filters and ">booking.check_in<" not in filters


def test_every_action_kind_and_detail_written_in_the_code_has_a_label():
    """A new action without a label would show its code to people: this fails first."""
    import re
    from pathlib import Path

    from tiers_lieu import audit
    from tiers_lieu.admin.setup import LISTS
    from tiers_lieu.extensions import db as database

    root = Path(audit.__file__).parent
    source = "\n".join(path.read_text(encoding="utf-8") for path in root.rglob("*.py"))
    calls = re.findall(r"audit\.record\((.*?)\)\n", source, re.S)
    assert len(calls) > 30
    actions = {name for call in calls for name in re.findall(r'"([a-z_]+\.[a-z_]+)"', call)}
    actions |= {f"settings.{kept.audit_name}_{verb}" for kept in LISTS.values() for verb in ("add", "edit", "move")}
    assert actions - set(audit.ACTIONS) == set()
    details = {name for call in calls for name in re.findall(r"\b([a-z_]+)=", call)} - {"actor"}
    assert details - set(audit.DETAILS) == set()
    models = {mapper.class_.__name__.lower() for mapper in database.Model.registry.mappers}
    never_audited = {"attendee", "auditevent", "deliveryattempt", "jobstatus", "seatoffer", "sessiondaycount", "slot",
                     "staffsession", "passwordreset", "recoverycode", "sessiontheme"}
    assert models - never_audited - set(audit.TARGETS) == set()
    assert set(audit.TARGETS) == set(audit.TARGET_KINDS)


def test_the_log_filters_by_staff_action_type_and_dates(client, events):
    colleague, _ = events
    by_colleague = table_of(client.get(f"/admin/audit?actor={colleague.id}&lang=en").page)
    assert "Changed a topic" not in by_colleague and "Added an absence" in by_colleague
    by_action = client.get("/admin/audit?action=settings.topic_edit").page
    assert rows_of(by_action) == 1
    by_type = client.get("/admin/audit?target_type=booking&lang=en").page
    assert rows_of(by_type) == 1 and "Appointment no. 11" in by_type
    today = datetime.now().date()
    recent = table_of(client.get(f"/admin/audit?since={(today - timedelta(days=7)).isoformat()}"
                                 f"&until={today.isoformat()}&lang=en").page)
    assert "Cancelled an appointment" not in recent and "Changed a topic" in recent


@pytest.mark.parametrize("query, field", [
    ("since=31/02/2026", "since"), ("since=2030-05-02&until=2030-05-01", "until"), ("actor=abc", "actor"),
    ("action=nothing.like.this", "action"),
])
def test_bad_filters_get_a_message_not_a_500(client, events, query, field):
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.page
    assert "Corrigez les filtres" in response.page


def test_the_log_is_paginated(client, coordinator, monkeypatch):
    monkeypatch.setattr(audit_log, "PER_PAGE", 2)
    db.session.add_all(AuditEvent(action="settings.topic_move", target_type="topic", target_id=n) for n in range(5))
    db.session.commit()
    first = client.get("/admin/audit?action=settings.topic_move").page
    assert "page 1 sur 3" in first and "page=2" in first and "action=settings.topic_move" in first
    last = client.get("/admin/audit?action=settings.topic_move&page=3").page
    assert rows_of(last) == 1
    assert client.get("/admin/audit?page=abc").status_code == 200


def test_the_set_up_pages_are_audited_by_field_not_value(client, coordinator):
    from .conftest import submit

    submit(client, "/admin/lists/needs/new", {"label_fr": "Pas de téléphone", "label_en": "No phone"},
           form_url="/admin/lists/needs")
    event = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert event.action == "settings.need_add" and event.actor_id == coordinator.id
    assert "téléphone" not in str(event.details)


def test_the_audit_log_is_for_coordinators(client, login_as):
    login_as(Role.FACILITATOR)
    assert client.get("/admin/audit").status_code == 403
