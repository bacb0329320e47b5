"""The set-up pages and the opening hours in a real browser: no axe-core violation in French and
English, on a phone and on a desktop, forms with errors included."""
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.opening import generate_for_horizon
from tiers_lieu.booking.models import Booking, BookingStatus, Location, OpeningRule, Procedure, Slot, Topic
from tiers_lieu.desk.lists import ensure_default_lists
from tiers_lieu.extensions import db

from .factories import PARIS
from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .test_browser_foundation import log_in_with_keyboard

pytestmark = pytest.mark.browser

TEXT = {
    "fr": {"setup": "Paramétrage", "topics": "Thématiques et démarches", "save": "Enregistrer",
           "errors": "Veuillez corriger", "absence": "Enregistrer l'absence", "call": "Personnes à appeler",
           "first_day": "Premier jour", "last_day": "Dernier jour (inclus)"},
    "en": {"setup": "Set-up", "topics": "Topics and procedures", "save": "Save",
           "errors": "Please correct", "absence": "Save the absence", "call": "Residents to call",
           "first_day": "First day", "last_day": "Last day (included)"},
}


@pytest.fixture
def centre(app, make_user):
    coordinator = make_user(role=Role.COORDINATOR, name="Claire Coordination")
    topic = Topic(slug="demarches", name_fr="Démarches administratives", name_en="Administrative procedures",
                  pictogram="demarches.svg", colour="#1d4e89")
    topic.procedures = [Procedure(name="CAF", position=1), Procedure(name="Ameli", position=2)]
    location = Location(name="Salle informatique")
    day = datetime.now(PARIS).date() + timedelta(days=9)
    rule = OpeningRule(weekday=day.weekday(), start_time=time(9), end_time=time(10), slot_length=30,
                       location=location, topics=[topic], valid_from=datetime.now(PARIS).date(),
                       facilitator_id=coordinator.id)
    db.session.add_all([topic, location, rule])
    db.session.commit()
    ensure_default_lists(db.session)
    generate_for_horizon(db.session)
    db.session.commit()
    slot = db.session.execute(db.select(Slot).where(Slot.rule_id == rule.id).order_by(Slot.starts_at)).scalars().first()
    db.session.add(Booking(slot=slot, topic=topic, code="AB2CD3", token_hash="0" * 64, first_name="Awa",
                           phone="+33612345678", status=BookingStatus.BOOKED.value, request_key="r" * 32))
    slot.seats_taken = 1
    db.session.commit()
    return coordinator, topic, slot.starts_at.astimezone(PARIS).date()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_set_up_pages_are_accessible(live_server, new_page, centre, viewport, lang):
    coordinator, topic, _ = centre
    text = TEXT[lang]
    page = new_page(viewport)
    log_in_with_keyboard(page, live_server, coordinator.email)
    page.goto(f"{live_server}/admin/?lang={lang}")
    assert page.get_by_role("heading", level=1).inner_text() == text["setup"]
    assert_accessible(page)
    page.get_by_role("link", name=text["topics"]).click()
    assert_accessible(page)
    for path in (f"/admin/topics/{topic.id}", "/admin/lists/places", "/admin/lists/needs",
                 "/admin/lists/referrals", "/admin/centre", "/admin/audit", "/admin/hours", "/admin/hours/new"):
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == lang
        assert_accessible(page)

    # A form sent with mistakes: the errors are announced, linked to their fields, still accessible.
    page.goto(f"{live_server}/admin/topics/new")
    page.get_by_role("button", name=text["save"]).click()
    expect(page.locator(".error-summary")).to_be_visible()  # waits for the answer, not the old page
    assert_accessible(page)
    page.goto(f"{live_server}/admin/audit?since=2030-05-02&until=2030-05-01")
    assert page.locator(".error-summary").is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_desk_hours_absence_lists_the_residents_to_call(live_server, new_page, centre, viewport, lang):
    coordinator, _, day = centre
    text = TEXT[lang]
    page = new_page(viewport)
    log_in_with_keyboard(page, live_server, coordinator.email)
    page.goto(f"{live_server}/desk/hours?lang={lang}")
    assert_accessible(page)
    page.get_by_label(text["first_day"]).fill(day.isoformat())
    page.get_by_label(text["last_day"]).fill(day.isoformat())
    page.get_by_role("button", name=text["absence"]).click()
    page.wait_for_load_state("load")
    calls = page.locator("section.calls")
    assert calls.is_visible() and text["call"] in calls.inner_text()
    assert "Awa" in calls.inner_text() and "06 12 34 56 78" in calls.inner_text()
    assert_accessible(page)
    if viewport == "phone":
        assert_fits_when_zoomed(page)
    page.goto(f"{live_server}/desk/hours/new")
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/admin/topics", "/admin/hours", "/admin/audit", "/admin/lists/referrals"])
def test_set_up_pages_fit_a_phone_at_200_percent_zoom(live_server, new_page, centre, path):
    coordinator, topic, _ = centre
    page = new_page("phone")
    log_in_with_keyboard(page, live_server, coordinator.email)
    page.goto(live_server + path)
    assert_fits_when_zoomed(page)
