"""The coordinators' retention page: values in range saved and audited, the rest refused with a
clear message; and the demo centre purged with a month's retention keeps every figure."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking.models import Booking
from tiers_lieu.core.centre import centre_today
from tiers_lieu.demo import load_demo
from tiers_lieu.extensions import db
from tiers_lieu.privacy import retention
from tiers_lieu.stats import figures, queries

from .conftest import submit

PARIS = ZoneInfo("Europe/Paris")
FORM = {"resident_months": "24", "booking_months": "24", "callback_months": "6", "message_months": "3",
        "audit_author_months": "12", "protection_contact": ""}


def test_the_page_says_what_each_setting_means_and_what_a_purge_would_do(client, login_as):
    login_as(Role.COORDINATOR)
    page = client.get("/admin/retention").page
    assert 'value="24"' in page and 'value="6"' in page and 'value="3"' in page and 'value="12"' in page
    assert "anonymisé" in page or "anonymised" in page
    for rule in retention.FIXED_RULES:
        assert str(rule) in page
    assert "flask privacy purge" in page


def test_a_coordinator_saves_the_retention_and_the_audit_log_names_the_fields(client, login_as):
    coordinator = login_as(Role.COORDINATOR)
    response = submit(client, "/admin/retention", {**FORM, "booking_months": "36",
                                                   "protection_contact": "dpo@centre.example.org"})
    assert response.status_code == 302
    kept = retention.current(db.session)
    assert kept.booking_months == 36 and kept.resident_months == 24
    assert kept.protection_contact == "dpo@centre.example.org"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.retention")).one()
    assert event.actor_id == coordinator.id
    assert event.details == {"fields": ["booking_months", "protection_contact"]}
    assert "dpo@" not in str(event.details)


@pytest.mark.parametrize("value", ["0", "-1", "121", "99999999999999999999999", "douze", "", "1.5"])
def test_a_value_out_of_range_is_refused_with_a_message_and_nothing_saved(client, login_as, value):
    login_as(Role.COORDINATOR)
    response = submit(client, "/admin/retention", {**FORM, "resident_months": value, "booking_months": "6"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.page and 'id="resident_months-error"' in response.page
    assert retention.current(db.session) == retention.DEFAULTS


def test_facilitators_cannot_change_the_retention(client, login_as):
    login_as(Role.FACILITATOR)
    assert client.get("/admin/retention").status_code == 403
    assert retention.current(db.session) == retention.DEFAULTS


def test_the_demo_centre_purged_with_a_month_keeps_its_figures(app, client, login_as, runner):
    load_demo()
    today = centre_today()
    periods = [queries.Filters(today - timedelta(days=days), today) for days in (7, 30, 90, 365)]

    def counted():
        db.session.expire_all()
        return [[(key, value) for key, _, value, _ in figures.figures(db.session, filters, PARIS).headline]
                for filters in periods]

    before = counted()
    login_as(Role.COORDINATOR)
    assert submit(client, "/admin/retention", {key: ("1" if key.endswith("months") else "")
                                               for key in FORM}).status_code == 302
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).where(Booking.anonymised_at.is_not(None))) > 0
    assert counted() == before
    page = client.get("/admin/retention").page
    assert page.count("<td>0</td>") >= 6   # nothing more is due, except logins ended since
